/*
 * br_prov.c - the provisioning HTTP API (br_prov.h). Routes, as mautrix/go
 * bridgev2/matrix/provisioning.go registers them under /_matrix/provision:
 *   GET  v3/whoami                          login state (the "ping")
 *   GET  v3/login/flows, v3/logins
 *   POST v3/login/start/qr                  -> display_and_wait step (QR data)
 *   POST v3/login/step/{id}/{step}/display_and_wait  waits: a new QR, or
 *                                           the complete step
 *   POST v3/login/cancel/{id}
 *   POST v3/logout/{login id | all}
 *   GET  v3/resolve_identifier/{phone}      phone number -> Signal user
 *   POST v3/create_dm/{phone}               ... and its DM portal (201 new)
 * Errors are {"errcode","error"} with mautrix's codes and statuses
 * (mautrix/go error.go, bridgev2/matrix/provisioninglogin.go). The step IDs
 * and texts are mautrix-signal's (mautrix/signal pkg/connector/login.go),
 * so a client written for mautrix-signal works unchanged.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "br_phone.h"
#include "br_internal.h"
#include "br_prov.h"

#define STEP_QR "fi.mau.signal.login.qr"
#define STEP_COMPLETE "fi.mau.signal.login.complete"
#define START_WAIT_MS 30000   /* the link URL from Signal's server */
#define RESOLVE_WAIT_MS 30000 /* a lookup and a room creation */

enum { W_START = 1, W_STEP, W_RESOLVE, W_DM, W_ROOM };

/* A request waiting for the Signal side or for a room. */
typedef struct prov_req {
    br_bridge *b;
    uint64_t reply_id;
    int kind;
    char *owner;
    uint64_t request_id; /* W_RESOLVE, W_DM: the resolve's */
    char *phone;         /* E.164 asked for */
    char *aci;           /* W_ROOM: resolved */
    uint64_t timer;
    struct prov_req *next;
} prov_req;

/* The user's login process started here: one per user, as the bridge has
 * one Signal account per Matrix user. */
typedef struct prov_login {
    char *owner;
    char id[48];
    int state; /* 0 waiting for the URL, 1 QR shown, 2 complete, 3 failed,
                  4 cancelled (kept: a step asked after the cancel says so) */
    char *url;
    unsigned url_seq, shown_seq;
    char *number, *aci;
    int fail_code;
    char *fail_text;
    struct prov_login *next;
} prov_login;

struct br_prov {
    prov_req *reqs;
    prov_login *logins;
    uint64_t next_id;
};

/* ---- answers ------------------------------------------------------------ */

static void respond(br_bridge *b, uint64_t id, int status, json_t *o)
{
    char *t = o ? json_dumps(o, JSON_COMPACT) : NULL;

    static const char oom[] = "{\"errcode\":\"M_UNKNOWN\",\"error\":\"out of memory\"}";

    if (!t)
        b->host->http_respond(b->host->host, id, 500, "application/json", oom, sizeof(oom) - 1);
    else
        b->host->http_respond(b->host->host, id, status, "application/json", t, strlen(t));
    free(t);
    json_decref(o);
}

static void respond_err(br_bridge *b, uint64_t id, int status, const char *code,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void respond_err(br_bridge *b, uint64_t id, int status, const char *code,
                        const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    respond(b, id, status, json_pack("{s:s,s:s}", "errcode", code, "error", msg));
}

/* ---- waiting requests --------------------------------------------------- */

static void req_free(prov_req *r)
{
    free(r->owner);
    free(r->phone);
    free(r->aci);
    free(r);
}

/* Take r out of the list and cancel its timer; the caller answers it. */
static void req_unlink(br_bridge *b, prov_req *r)
{
    prov_req **pp;

    for (pp = &b->prov->reqs; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    if (r->timer)
        b->host->timer_cancel(b->host->host, r->timer);
    r->timer = 0;
}

static void on_req_timeout(void *arg)
{
    prov_req *r = arg;
    br_bridge *b = r->b;

    r->timer = 0;
    req_unlink(b, r);
    if (r->kind == W_STEP)
        respond_err(b, r->reply_id, 410, "FI.MAU.BRIDGE.LOGIN_TIMED_OUT", "Login process timed out");
    else
        respond_err(b, r->reply_id, 504, "M_UNKNOWN", "Signal did not answer in time; try again");
    req_free(r);
}

static prov_req *req_add(br_bridge *b, uint64_t reply_id, int kind, const char *owner,
                         uint64_t wait_ms)
{
    prov_req *r = calloc(1, sizeof(*r));

    if (!r || !(r->owner = strdup(owner))) {
        free(r);
        return NULL;
    }
    r->b = b;
    r->reply_id = reply_id;
    r->kind = kind;
    r->timer = b->host->timer_add(b->host->host, wait_ms, on_req_timeout, r);
    r->next = b->prov->reqs;
    b->prov->reqs = r;
    return r;
}

/* ---- login processes ---------------------------------------------------- */

static prov_login *login_find(br_bridge *b, const char *owner)
{
    prov_login *p;

    for (p = b->prov->logins; p; p = p->next)
        if (!strcmp(p->owner, owner))
            return p;
    return NULL;
}

static void login_drop(br_bridge *b, const char *owner)
{
    prov_login **pp, *p;

    for (pp = &b->prov->logins; (p = *pp); pp = &p->next)
        if (!strcmp(p->owner, owner)) {
            *pp = p->next;
            free(p->owner);
            free(p->url);
            free(p->number);
            free(p->aci);
            free(p->fail_text);
            free(p);
            return;
        }
}

static json_t *step_json(prov_login *p)
{
    char text[200];

    if (p->state == 2) {
        /* mautrix-signal's loginComplete: "Successfully logged in as
         * <number> / <ACI>", user_login_id the ACI */
        snprintf(text, sizeof(text), "Successfully logged in as %s / %s",
                 p->number ? p->number : "", p->aci ? p->aci : "");
        return json_pack("{s:s,s:s,s:s,s:s,s:{s:s}}", "login_id", p->id, "type", "complete",
                         "step_id", STEP_COMPLETE, "instructions", text, "complete",
                         "user_login_id", p->aci ? p->aci : "");
    }
    p->shown_seq = p->url_seq;
    return json_pack("{s:s,s:s,s:s,s:s,s:{s:s,s:s}}", "login_id", p->id, "type",
                     "display_and_wait", "step_id", STEP_QR, "instructions",
                     "Scan the QR code on your Signal app to log in", "display_and_wait",
                     "type", "qr", "data", p->url ? p->url : "");
}

static void respond_failed(br_bridge *b, uint64_t id, prov_login *p)
{
    if (p->fail_code == BR_NET_ERR_TIMEOUT)
        respond_err(b, id, 410, "FI.MAU.BRIDGE.LOGIN_TIMED_OUT", "Login process timed out");
    else
        respond_err(b, id, 502, "M_UNKNOWN", "Linking failed: %s",
                    p->fail_text ? p->fail_text : "unknown error");
}

/* Answer every request of owner of `kind` (0: W_START and W_STEP). */
static void answer_login(br_bridge *b, const char *owner, prov_login *p)
{
    prov_req *r = b->prov->reqs, *next;

    for (; r; r = next) {
        next = r->next;
        if ((r->kind != W_START && r->kind != W_STEP) || strcmp(r->owner, owner))
            continue;
        req_unlink(b, r);
        if (!p)
            respond_err(b, r->reply_id, 410, "FI.MAU.BRIDGE.LOGIN_CANCELLED", "Login process was cancelled");
        else if (p->state == 3)
            respond_failed(b, r->reply_id, p);
        else
            respond(b, r->reply_id, 200, step_json(p));
        req_free(r);
    }
}

/* ---- request parsing ---------------------------------------------------- */

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The percent-decoded value of `key` in a query string; -1 when absent or
 * too long. */
static int query_get(const char *q, const char *key, char *out, size_t n)
{
    size_t kl = strlen(key);

    while (q && *q) {
        const char *end = strchr(q, '&');
        size_t len = end ? (size_t)(end - q) : strlen(q);
        if (len > kl && !strncmp(q, key, kl) && q[kl] == '=') {
            const char *s = q + kl + 1, *e = q + len;
            size_t o = 0;
            for (; s < e; s++) {
                int c = (unsigned char)*s;
                if (c == '%' && e - s >= 3 && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
                    c = hexval(s[1]) * 16 + hexval(s[2]);
                    s += 2;
                } else if (c == '+') {
                    c = ' ';
                }
                if (o + 1 >= n || c == 0)
                    return -1;
                out[o++] = (char)c;
            }
            out[o] = '\0';
            return 0;
        }
        q = end ? end + 1 : NULL;
    }
    return -1;
}

/* Split "a/b/c" into segments (in place); max + 1 when there are more. */
static size_t split(char *s, char **seg, size_t max)
{
    size_t n = 0;

    while (*s) {
        char *slash = strchr(s, '/');
        if (n == max)
            return max + 1;
        seg[n++] = s;
        if (!slash)
            break;
        *slash = '\0';
        s = slash + 1;
    }
    return n;
}

/* 0 with the E.164 form of a phone identifier ("+1555...", "tel:+1555..."),
 * or answered 400. */
static int phone_arg(br_bridge *b, uint64_t id, const char *ident, char *e164, size_t n)
{
    char err[200];

    if (!strncmp(ident, "tel:", 4))
        ident += 4;
    if (br_phone_normalize(ident, e164, n, err, sizeof(err)) != 0) {
        respond_err(b, id, 400, "M_INVALID_PARAM", "Not a valid phone number: %s", err);
        return -1;
    }
    return 0;
}

/* ---- handlers ----------------------------------------------------------- */

static const char *login_state(br_bridge *b, const br_login *l)
{
    /* mautrix/go bridgev2/status/bridgestate.go: the BridgeStateEvent names */
    if (!b->have_net || l->trouble)
        return "TRANSIENT_DISCONNECT";
    return l->connected ? "CONNECTED" : "CONNECTING";
}

static json_t *flows_json(void)
{
    /* mautrix-signal's GetLoginFlows (pkg/connector/login.go) */
    return json_pack("[{s:s,s:s,s:s}]", "name", "QR", "description",
                     "Scan a QR code to pair the bridge to your Signal app", "id", "qr");
}

static void h_whoami(br_bridge *b, uint64_t id, const char *user)
{
    br_login *l = br_login_get(b, user, 0);
    char room[256];
    json_t *o, *logins = json_array();

    /* RespWhoami of provisioning.go; network as mautrix-signal's GetName
     * (pkg/connector/connector.go) */
    o = json_pack("{s:{s:s,s:s,s:s,s:s},s:o,s:s,s:s,s:s,s:o}", "network", "displayname", "Signal",
                  "network_url", "https://signal.org", "network_id", "signal",
                  "beeper_bridge_type", "signal", "login_flows", flows_json(), "homeserver",
                  mx_server_name(b->mx), "bridge_bot", b->bot, "command_prefix", "",
                  "logins", logins ? logins : json_array());
    if (o && br_mgmt_room(b, user, room, sizeof(room)))
        json_object_set_new(o, "management_room", json_string(room));
    if (o && l && l->number) {
        const char *st = login_state(b, l);
        json_t *e = json_pack("{s:s,s:s,s:{s:s},s:{s:s,s:I},s:s,s:I}", "id", l->aci ? l->aci : "",
                              "name", l->number, "profile", "phone", l->number, "state",
                              "state_event", st, "timestamp", (json_int_t)(ut_now_ms() / 1000),
                              "state_event", st, "state_ts", (json_int_t)(ut_now_ms() / 1000));
        if (e)
            json_array_append_new(json_object_get(o, "logins"), e);
    }
    respond(b, id, 200, o);
}

static void h_start(br_bridge *b, uint64_t id, const char *user, const char *flow)
{
    br_login *l;
    prov_login *p;

    if (strcmp(flow, "qr")) {
        respond_err(b, id, 404, "M_NOT_FOUND", "Invalid login flow ID");
        return;
    }
    if (!b->have_net) {
        respond_err(b, id, 503, "M_UNKNOWN", "The Signal side of this bridge is not running");
        return;
    }
    if (!(l = br_login_get(b, user, 1))) {
        respond_err(b, id, 500, "M_UNKNOWN", "out of memory");
        return;
    }
    if (l->number) { /* one Signal account per Matrix user */
        respond_err(b, id, 403, "FI.MAU.BRIDGE.TOO_MANY_LOGINS", "Maximum number of logins exceeded (1)");
        return;
    }
    if (l->linking) {
        respond_err(b, id, 409, "M_BAD_STATE", "A login is already in progress; cancel it first");
        return;
    }
    login_drop(b, user);
    if (!(p = calloc(1, sizeof(*p))) || !(p->owner = strdup(user))) {
        free(p);
        respond_err(b, id, 500, "M_UNKNOWN", "out of memory");
        return;
    }
    snprintf(p->id, sizeof(p->id), "%llx%llx", (unsigned long long)++b->prov->next_id,
             (unsigned long long)ut_now_ms());
    p->next = b->prov->logins;
    b->prov->logins = p;
    l->linking = 1;
    if (b->net.link(b->net.ctx, user, b->cfg.link_timeout_s) != 0) {
        l->linking = 0;
        login_drop(b, user);
        respond_err(b, id, 500, "M_UNKNOWN", "Could not start linking; try again in a minute");
        return;
    }
    if (!req_add(b, id, W_START, user, START_WAIT_MS))
        respond_err(b, id, 500, "M_UNKNOWN", "out of memory");
}

static void h_step(br_bridge *b, uint64_t id, const char *user, char **seg)
{
    prov_login *p = login_find(b, user);

    if (!p || strcmp(p->id, seg[0])) {
        respond_err(b, id, 404, "M_NOT_FOUND", "Login not found");
        return;
    }
    if (!strcmp(seg[2], "complete")) {
        respond_err(b, id, 410, "FI.MAU.BRIDGE.LOGIN_ALREADY_FINISHED", "Login process was already finished");
        return;
    }
    if (strcmp(seg[2], "display_and_wait")) {
        respond_err(b, id, 404, "M_UNRECOGNIZED", "Invalid step type \"%s\"", seg[2]);
        return;
    }
    if (strcmp(seg[1], STEP_QR) && !(p->state == 2 && !strcmp(seg[1], STEP_COMPLETE))) {
        respond_err(b, id, 400, "M_BAD_STATE", "Step ID does not match");
        return;
    }
    if (p->state == 3) {
        respond_failed(b, id, p);
        return;
    }
    if (p->state == 4) {
        respond_err(b, id, 410, "FI.MAU.BRIDGE.LOGIN_CANCELLED", "Login process was cancelled");
        return;
    }
    if (p->state == 2 || (p->state == 1 && p->url_seq != p->shown_seq)) {
        respond(b, id, 200, step_json(p)); /* done, or a newer QR code */
        return;
    }
    if (!req_add(b, id, W_STEP, user, (uint64_t)(b->cfg.link_timeout_s + 30) * 1000))
        respond_err(b, id, 500, "M_UNKNOWN", "out of memory");
}

static void h_cancel(br_bridge *b, uint64_t id, const char *user, const char *login_id)
{
    prov_login *p = login_find(b, user);
    br_login *l = br_login_get(b, user, 0);

    if (!p || strcmp(p->id, login_id)) {
        respond_err(b, id, 404, "M_NOT_FOUND", "Login not found");
        return;
    }
    if (p->state < 2 && l && l->linking) {
        if (b->net.cancel_link)
            b->net.cancel_link(b->net.ctx, user);
        l->linking = 0;
    }
    if (p->state < 2)
        p->state = 4;
    answer_login(b, user, NULL);
    respond(b, id, 200, json_object());
}

static void h_logout(br_bridge *b, uint64_t id, const char *user, const char *login_id)
{
    br_login *l = br_login_get(b, user, 0);

    if (strcmp(login_id, "all") && (!l || !l->aci || strcmp(l->aci, login_id))) {
        respond_err(b, id, 404, "M_NOT_FOUND", "Login not found");
        return;
    }
    if (l && (l->number || l->linking))
        br_bot_logout(b, l);
    login_drop(b, user);
    answer_login(b, user, NULL);
    respond(b, id, 200, json_object());
}

static void h_logins(br_bridge *b, uint64_t id, const char *user)
{
    br_login *l = br_login_get(b, user, 0);

    respond(b, id, 200, l && l->number && l->aci ? json_pack("{s:[s]}", "login_ids", l->aci)
                                                 : json_pack("{s:[]}", "login_ids"));
}

static void h_resolve(br_bridge *b, uint64_t id, const char *user, const char *ident, int dm)
{
    br_login *l = br_login_get(b, user, 0);
    char e164[32];
    prov_req *r;

    if (phone_arg(b, id, ident, e164, sizeof(e164)))
        return;
    if (!l || !l->number) {
        respond_err(b, id, 400, "FI.MAU.NOT_LOGGED_IN", "Not logged in");
        return;
    }
    if (!(r = req_add(b, id, dm ? W_DM : W_RESOLVE, user, RESOLVE_WAIT_MS)) ||
        !(r->phone = strdup(e164))) {
        if (r) {
            req_unlink(b, r);
            req_free(r);
        }
        respond_err(b, id, 500, "M_UNKNOWN", "out of memory");
        return;
    }
    r->request_id = ++b->next_request;
    if (b->net.resolve(b->net.ctx, user, e164, r->request_id) != 0) {
        req_unlink(b, r);
        req_free(r);
        respond_err(b, id, 503, "M_UNKNOWN", "Could not look up %s right now; try again", e164);
    }
}

/* ResolveIdentifierResponse (mautrix/go bridgev2/provisionutil/
 * resolveidentifier.go); identifiers as mautrix-signal's "tel:" (pkg/
 * connector/chatinfo.go). */
static json_t *resolved_json(br_bridge *b, const char *aci, const char *phone, const char *room)
{
    char mxid[320];
    json_t *o = json_pack("{s:s,s:[s+]}", "id", aci, "identifiers", "tel:", phone);

    if (o && br_puppet_mxid(b, aci, mxid, sizeof(mxid)) == 0)
        json_object_set_new(o, "mxid", json_string(mxid));
    if (o && room)
        json_object_set_new(o, "dm_room_mxid", json_string(room));
    return o;
}

static void on_resolved(br_bridge *b, prov_req *r, const br_net_event *ev)
{
    char chat[80], room[256];
    int have;

    if (!ev->id || !*ev->id) {
        /* only numbers the phone knows resolve (no contact discovery here) */
        respond_err(b, r->reply_id, 404, "M_NOT_FOUND", "Identifier not found: %s is not among your Signal contacts",
                    r->phone);
        req_free(r);
        return;
    }
    snprintf(chat, sizeof(chat), "dm:%s", ev->id);
    have = br_portal_room(b, r->owner, chat, room, sizeof(room)) == 1;
    if (r->kind == W_RESOLVE) {
        br_puppet_ensure(b, ev->id);
        respond(b, r->reply_id, 200, resolved_json(b, ev->id, r->phone, have ? room : NULL));
        req_free(r);
        return;
    }
    if (br_portal_open_dm(b, r->owner, ev->id, r->phone, NULL) != 0) {
        respond_err(b, r->reply_id, 500, "M_UNKNOWN", "Could not create the chat; try again");
        req_free(r);
        return;
    }
    if (have) { /* it existed: the owner was invited again */
        respond(b, r->reply_id, 200, resolved_json(b, ev->id, r->phone, room));
        req_free(r);
        return;
    }
    /* wait for the room (br_prov_portal_ready) */
    r->kind = W_ROOM;
    if (!(r->aci = strdup(ev->id))) {
        respond_err(b, r->reply_id, 500, "M_UNKNOWN", "out of memory");
        req_free(r);
        return;
    }
    r->timer = b->host->timer_add(b->host->host, RESOLVE_WAIT_MS, on_req_timeout, r);
    r->next = b->prov->reqs;
    b->prov->reqs = r;
}

static void on_http(void *arg, uint64_t id, const char *method, const char *path,
                    const char *query, const char *body, size_t body_len)
{
    br_bridge *b = arg;
    const char *auth = MXM_HAS(b->host, http_header)
                           ? b->host->http_header(b->host->host, id, "Authorization") : NULL;
    const char *secret = b->cfg.prov_secret;
    char user[320], rest[1024], *seg[8];
    size_t n, sl;
    int get = !strcmp(method, "GET"), post = !strcmp(method, "POST");

    (void)body;
    (void)body_len;
    if (b->stopping) {
        respond_err(b, id, 503, "M_UNKNOWN", "The bridge is stopping");
        return;
    }
    /* AuthMiddleware of mautrix/go provisioning.go: disabled without a
     * secret (403), missing token 401 M_MISSING_TOKEN, wrong 401
     * M_UNKNOWN_TOKEN, no login permission 403 */
    if (!secret) {
        respond_err(b, id, 403, "M_FORBIDDEN", "Provisioning API is disabled");
        return;
    }
    if (auth && !strncmp(auth, "Bearer ", 7))
        auth += 7;
    if (!auth || !*auth) {
        respond_err(b, id, 401, "M_MISSING_TOKEN", "Missing auth token");
        return;
    }
    sl = strlen(secret);
    if (strlen(auth) != sl || !ut_ct_eq(auth, secret, sl)) {
        respond_err(b, id, 401, "M_UNKNOWN_TOKEN", "Invalid auth token");
        return;
    }
    if (query_get(query, "user_id", user, sizeof(user)) != 0 || !*user) {
        respond_err(b, id, 400, "M_MISSING_PARAM", "The user_id query parameter is required");
        return;
    }
    if (user[0] != '@' || !strchr(user, ':')) {
        respond_err(b, id, 400, "M_INVALID_PARAM", "user_id is not a Matrix user ID");
        return;
    }
    if (!br_access_ok(b, user)) {
        respond_err(b, id, 403, "M_FORBIDDEN", "User does not have login permissions");
        return;
    }
    if (strlen(path) >= sizeof(BR_PROV_PREFIX) - 1 + sizeof(rest)) {
        respond_err(b, id, 404, "M_UNRECOGNIZED", "Unrecognized endpoint");
        return;
    }
    snprintf(rest, sizeof(rest), "%s", path + sizeof(BR_PROV_PREFIX) - 1);
    n = split(rest, seg, 7);
    if (n < 2 || strcmp(seg[0], "v3"))
        goto unknown;
    if (n == 2 && !strcmp(seg[1], "whoami")) {
        if (!get)
            goto method;
        h_whoami(b, id, user);
    } else if (n == 3 && !strcmp(seg[1], "login") && !strcmp(seg[2], "flows")) {
        if (!get)
            goto method;
        respond(b, id, 200, json_pack("{s:o}", "flows", flows_json()));
    } else if (n == 2 && !strcmp(seg[1], "logins")) {
        if (!get)
            goto method;
        h_logins(b, id, user);
    } else if (n == 4 && !strcmp(seg[1], "login") && !strcmp(seg[2], "start")) {
        if (!post)
            goto method;
        h_start(b, id, user, seg[3]);
    } else if (n == 6 && !strcmp(seg[1], "login") && !strcmp(seg[2], "step")) {
        if (!post)
            goto method;
        h_step(b, id, user, seg + 3);
    } else if (n == 4 && !strcmp(seg[1], "login") && !strcmp(seg[2], "cancel")) {
        if (!post)
            goto method;
        h_cancel(b, id, user, seg[3]);
    } else if (n == 3 && !strcmp(seg[1], "logout")) {
        if (!post)
            goto method;
        h_logout(b, id, user, seg[2]);
    } else if (n == 3 && !strcmp(seg[1], "resolve_identifier")) {
        if (!get)
            goto method;
        h_resolve(b, id, user, seg[2], 0);
    } else if (n == 3 && !strcmp(seg[1], "create_dm")) {
        if (!post)
            goto method;
        h_resolve(b, id, user, seg[2], 1);
    } else {
        goto unknown;
    }
    return;
unknown:
    respond_err(b, id, 404, "M_UNRECOGNIZED", "Unrecognized endpoint");
    return;
method:
    respond_err(b, id, 405, "M_UNRECOGNIZED", "Invalid method for endpoint");
}

/* ---- the bridge's hooks ------------------------------------------------- */

void br_prov_start(br_bridge *b)
{
    if (!(b->prov = calloc(1, sizeof(*b->prov))))
        return;
    if (b->host->http_route(b->host->host, BR_PROV_PREFIX, on_http, b) != MXM_OK)
        ut_logf(&b->log, UT_LOG_WARN, "bridge: the host refused the route %s: no provisioning API",
                BR_PROV_PREFIX);
    else if (b->cfg.prov_secret && !MXM_HAS(b->host, http_header))
        ut_logf(&b->log, UT_LOG_WARN, "bridge: this host passes no request headers (ABI 1.0): "
                                      "every provisioning request will be refused");
    else if (b->cfg.prov_secret)
        ut_logf(&b->log, UT_LOG_INFO, "bridge: provisioning API at %sv3/", BR_PROV_PREFIX);
}

void br_prov_stop(br_bridge *b)
{
    prov_req *r;

    if (!b->prov)
        return;
    while ((r = b->prov->reqs)) {
        req_unlink(b, r);
        req_free(r);
    }
    while (b->prov->logins)
        login_drop(b, b->prov->logins->owner);
    free(b->prov);
    b->prov = NULL;
}

int br_prov_net_event(br_bridge *b, const br_net_event *ev)
{
    prov_login *p;
    prov_req *r;

    if (!b->prov || !ev->owner)
        return 0;
    if (ev->kind == BR_NET_RESOLVED) {
        for (r = b->prov->reqs; r; r = r->next)
            if ((r->kind == W_RESOLVE || r->kind == W_DM) && r->request_id == ev->outbox_id &&
                !strcmp(r->owner, ev->owner))
                break;
        if (!r)
            return 0;
        req_unlink(b, r);
        on_resolved(b, r, ev);
        return 1;
    }
    if (!(p = login_find(b, ev->owner)) || p->state >= 2)
        return 0;
    switch (ev->kind) {
    case BR_NET_LINK_URL:
        if (!ev->text)
            return 0;
        free(p->url);
        p->url = strdup(ev->text);
        p->url_seq++;
        p->state = 1;
        break;
    case BR_NET_LINKED:
        p->state = 2;
        p->number = ev->text ? strdup(ev->text) : NULL;
        p->aci = ev->id ? strdup(ev->id) : NULL;
        break;
    case BR_NET_LINK_FAILED:
        p->state = 3;
        p->fail_code = ev->code;
        p->fail_text = ev->text ? strdup(ev->text) : NULL;
        break;
    default:
        return 0;
    }
    answer_login(b, ev->owner, p);
    return 0;
}

void br_prov_portal_ready(br_bridge *b, const char *owner, const char *chat_id,
                          const char *room)
{
    prov_req *r, *next;

    if (!b->prov)
        return;
    for (r = b->prov->reqs; r; r = next) {
        next = r->next;
        if (r->kind != W_ROOM || strcmp(r->owner, owner) || strncmp(chat_id, "dm:", 3) ||
            strcmp(chat_id + 3, r->aci))
            continue;
        req_unlink(b, r);
        if (room) /* JustCreated: 201, as provisioning.go doResolveIdentifier */
            respond(b, r->reply_id, 201, resolved_json(b, r->aci, r->phone, room));
        else
            respond_err(b, r->reply_id, 500, "M_UNKNOWN", "Could not create the chat; try again");
        req_free(r);
    }
}
