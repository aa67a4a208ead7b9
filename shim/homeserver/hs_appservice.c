/*
 * hs_appservice.c - mxhs as an Application Service host: registration
 * files from `app_service_config_files` (as Synapse names the key), events
 * pushed to each AS as transactions, and the CS API extensions an AS uses.
 * Spec: matrix-org/matrix-spec content/application-service-api.md;
 * Synapse's behaviour where the spec leaves room: element-hq/synapse
 * synapse/config/appservice.py (fields, rate_limited, MSC2409 key),
 * synapse/appservice/scheduler.py and api.py (one transaction in flight per
 * AS, retried with exponential backoff until 200, the same txnId with the
 * same events), synapse/api/auth (user_id masquerading, 403 for users the
 * AS has not registered).
 *
 *   - Registration: id, url (null: no pushes), as_token, hs_token,
 *     sender_localpart, namespaces.users/aliases/rooms of {regex, exclusive},
 *     receive_ephemeral or de.sorunome.msc2409.push_ephemeral. Regexes are
 *     POSIX extended and match at the start of the ID (Python's re.match,
 *     as Synapse). Exclusive user namespaces and the sender are refused to
 *     everyone else (hs_namespace_owned).
 *   - Interest: events of rooms where a user of the AS's namespaces (or its
 *     sender) is joined or invited, events they send, and membership
 *     events about them. They
 *     are queued durably in module_queue under "as:<id>", in the write
 *     transaction of the event, like modules' (hs_deliver.c).
 *   - Pushing: one transaction in flight per AS; its body is kept and sent
 *     again, as is, until the AS answers 200, with backoff from 250 ms to
 *     30 s. The txnId of a batch of events is "s<first>-<last>" of their
 *     stream positions, so a batch rebuilt after a restart of mxhs has the
 *     same ID only when it holds the same events. After 200 the position is
 *     written (module_pos "as:<id>") and the queue pruned.
 *   - CS API: as_token with ?user_id= (the sender without it) and ?ts= for
 *     origin_server_ts; POST /register with m.login.application_service in
 *     the AS's user namespaces (no password, no token: inhibit_login).
 */
#include "config.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "hs.h"
#include "shim_yaml.h"

enum { AS_BATCH = 50, AS_EPH_MAX = 1000, AS_BACKOFF_MIN_MS = 250, AS_BACKOFF_MAX_MS = 30000 };

typedef struct hs_as {
    hs *s;
    char *id, *url, *as_token, *hs_token, *sender;
    char sender_id[300];
    regex_t *users;
    int *excl;
    size_t nusers;
    int ephemeral;
    char qname[160]; /* module_queue/module_pos key */
    int64_t delivered;
    /* pushing */
    char host[256], prefix[512];
    int port;
    struct evhttp_connection *conn;
    struct event *timer;
    unsigned attempt;
    int in_flight;
    char *body;       /* the transaction being delivered, resent as is */
    char txn_id[64];
    int64_t batch_last; /* 0: ephemeral only */
    json_t *eph;
    uint64_t eph_seq;
} hs_as;

/* ---- registration files --------------------------------------------------- */

static char *req_str(json_t *o, const char *k, const char *path, char *err, size_t errlen)
{
    const char *v = json_string_value(json_object_get(o, k));

    if (!v || !*v) {
        snprintf(err, errlen, "%s: %s: required (a string)", path, k);
        return NULL;
    }
    return strdup(v);
}

static int parse_url(hs_as *a, char *err, size_t errlen, const char *path)
{
    struct evhttp_uri *u = evhttp_uri_parse(a->url);
    const char *h, *pp;

    if (!u || !evhttp_uri_get_scheme(u) || strcmp(evhttp_uri_get_scheme(u), "http") ||
        !(h = evhttp_uri_get_host(u)) || strlen(h) >= sizeof(a->host)) {
        if (u)
            evhttp_uri_free(u);
        snprintf(err, errlen, "%s: url: expected http://host[:port][/path] or null", path);
        return -1;
    }
    snprintf(a->host, sizeof(a->host), "%s", h);
    a->port = evhttp_uri_get_port(u) > 0 ? evhttp_uri_get_port(u) : 80;
    pp = evhttp_uri_get_path(u);
    snprintf(a->prefix, sizeof(a->prefix), "%s", pp ? pp : "");
    if (a->prefix[0] && a->prefix[strlen(a->prefix) - 1] == '/')
        a->prefix[strlen(a->prefix) - 1] = '\0';
    evhttp_uri_free(u);
    return 0;
}

static int load_one(hs *s, hs_as *a, const char *path, char *err, size_t errlen)
{
    json_t *j = shim_yaml_file(path, 0, err, errlen), *ns, *users, *v;
    size_t i;
    int rc = -1;

    if (!j)
        return -1;
    a->s = s;
    if (!json_is_object(j)) {
        snprintf(err, errlen, "%s: expected a mapping", path);
        goto out;
    }
    if (!(a->id = req_str(j, "id", path, err, errlen)) ||
        !(a->as_token = req_str(j, "as_token", path, err, errlen)) ||
        !(a->hs_token = req_str(j, "hs_token", path, err, errlen)) ||
        !(a->sender = req_str(j, "sender_localpart", path, err, errlen)))
        goto out;
    if (!hs_valid_localpart(a->sender)) {
        snprintf(err, errlen, "%s: sender_localpart: not a valid localpart", path);
        goto out;
    }
    snprintf(a->sender_id, sizeof(a->sender_id), "@%s:%s", a->sender, s->cfg.server_name);
    v = json_object_get(j, "url");
    if (json_is_string(v) && *json_string_value(v)) {
        a->url = strdup(json_string_value(v));
        if (!a->url || parse_url(a, err, errlen, path))
            goto out;
    } else if (v && !json_is_null(v)) {
        snprintf(err, errlen, "%s: url: expected a string or null", path);
        goto out;
    }
    a->ephemeral = json_is_true(json_object_get(j, "receive_ephemeral")) ||
                   json_is_true(json_object_get(j, "de.sorunome.msc2409.push_ephemeral")) ||
                   json_is_true(json_object_get(j, "push_ephemeral"));
    ns = json_object_get(j, "namespaces");
    if (!json_is_object(ns)) {
        snprintf(err, errlen, "%s: namespaces: required (a mapping)", path);
        goto out;
    }
    users = json_object_get(ns, "users");
    if (users && !json_is_array(users) && !json_is_null(users)) {
        snprintf(err, errlen, "%s: namespaces.users: expected a list", path);
        goto out;
    }
    a->users = calloc(json_array_size(users) + 1, sizeof(*a->users));
    a->excl = calloc(json_array_size(users) + 1, sizeof(*a->excl));
    if (!a->users || !a->excl) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    json_array_foreach(users, i, v) {
        const char *re = json_string_value(json_object_get(v, "regex"));
        if (!re || regcomp(&a->users[a->nusers], re, REG_EXTENDED)) {
            snprintf(err, errlen, "%s: namespaces.users[%zu].regex: %s", path, i,
                     re ? "not a POSIX extended regex" : "required");
            goto out;
        }
        a->excl[a->nusers++] = json_is_true(json_object_get(v, "exclusive"));
    }
    snprintf(a->qname, sizeof(a->qname), "as:%s", a->id);
    rc = 0;
out:
    json_decref(j);
    return rc;
}

/* Does the AS's user namespace hold user_id? Matched at the start, as
 * Python's re.match in Synapse. */
static int ns_match(const hs_as *a, const char *user_id, int exclusive_only)
{
    regmatch_t m;
    size_t i;

    if (!strcmp(user_id, a->sender_id))
        return 1;
    for (i = 0; i < a->nusers; i++)
        if ((!exclusive_only || a->excl[i]) && regexec(&a->users[i], user_id, 1, &m, 0) == 0 &&
            m.rm_so == 0)
            return 1;
    return 0;
}

int hs_as_owns_localpart(hs *s, const char *localpart)
{
    char uid[300];
    size_t i;

    snprintf(uid, sizeof(uid), "@%s:%s", localpart, s->cfg.server_name);
    for (i = 0; i < s->nas; i++)
        if (ns_match(&s->as[i], uid, 1))
            return 1;
    return 0;
}

/* ---- the CS API for an AS ------------------------------------------------- */

static hs_as *by_token(hs *s, const char *tok)
{
    size_t i, n = strlen(tok);
    hs_as *found = NULL;

    for (i = 0; i < s->nas; i++) /* every entry, in constant time each */
        if (strlen(s->as[i].as_token) == n && ut_ct_eq(tok, s->as[i].as_token, n))
            found = &s->as[i];
    return found;
}

int hs_as_auth(hs_req *r, const char *tok)
{
    hs_as *a = r->s->nas ? by_token(r->s, tok) : NULL;
    const char *uid, *ts;

    if (!a)
        return 1;
    uid = hs_query(r, "user_id");
    if (!uid || !*uid) {
        uid = a->sender_id;
    } else if (strcmp(uid, a->sender_id)) {
        if (!hs_user_is_local(r->s, uid) || !ns_match(a, uid, 0)) {
            hs_err(r, 403, "M_EXCLUSIVE", "The application service may not masquerade as %s", uid);
            return -1;
        }
        if (!hs_user_exists(r->s, uid)) {
            hs_err(r, 403, "M_FORBIDDEN", "Application service has not registered this user");
            return -1;
        }
    }
    if (strlen(uid) >= sizeof(r->user_id)) {
        hs_err(r, 400, "M_INVALID_PARAM", "user_id too long");
        return -1;
    }
    memcpy(r->user_id, uid, strlen(uid) + 1);
    r->device_id[0] = '\0';
    r->is_admin = 0;
    r->authed = 1;
    ts = hs_query(r, "ts");
    if (ts && *ts) {
        char *end;
        long long v = strtoll(ts, &end, 10);
        if (*end || v <= 0) {
            hs_err(r, 400, "M_INVALID_PARAM", "ts must be a positive integer (milliseconds)");
            return -1;
        }
        r->ts_override = v;
    }
    return 0;
}

int hs_as_register(hs_req *r)
{
    const char *tok = NULL, *user;
    char uid[300];
    hs_as *a;
    int rc;

    if (r->authorization && !strncmp(r->authorization, "Bearer ", 7))
        tok = r->authorization + 7;
    if (!tok)
        tok = hs_query(r, "access_token");
    if (!tok || !*tok)
        return hs_err(r, 401, "M_MISSING_TOKEN", "m.login.application_service needs the as_token");
    if (!(a = by_token(r->s, tok)))
        return hs_err(r, 401, "M_UNKNOWN_TOKEN", "Unknown as_token");
    user = json_string_value(json_object_get(r->json, "username"));
    if (!user || !hs_valid_localpart(user))
        return hs_err(r, 400, "M_INVALID_USERNAME", "User ID may only contain a-z, 0-9, ._=-/+");
    snprintf(uid, sizeof(uid), "@%s:%s", user, r->s->cfg.server_name);
    if (!ns_match(a, uid, 0))
        return hs_err(r, 400, "M_EXCLUSIVE", "%s is outside the application service's namespaces", uid);
    rc = hs_user_create(r->s, user, NULL, 0, uid, sizeof(uid));
    if (rc == HS_ERR_EXISTS)
        return hs_err(r, 400, "M_USER_IN_USE", "User ID already taken");
    if (rc)
        return hs_err(r, 500, "M_UNKNOWN", "cannot create user: %s", hs_strerror(rc));
    hs_logf(r->s, UT_LOG_INFO, "application service %s registered %s", a->id, uid);
    return hs_ok(r, json_pack("{s:s,s:s}", "user_id", uid, "home_server", r->s->cfg.server_name));
}

/* ---- interest and queueing ------------------------------------------------ */

/* Bit i set when AS i is interested in the room (or in `extra`). */
static uint64_t interested(hs *s, const char *room, const char *extra)
{
    sqlite3_stmt *st = hs_db_stmt(s, "SELECT user_id FROM members WHERE room_id=? AND membership IN ('join','invite')");
    uint64_t bits = 0;
    size_t i;

    for (i = 0; extra && i < s->nas; i++)
        if (ns_match(&s->as[i], extra, 0))
            bits |= 1ull << i;
    if (!st)
        return bits;
    hs_bind_text(st, 1, room);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *u = hs_col_text(st, 0);
        for (i = 0; i < s->nas; i++)
            if (!(bits & (1ull << i)) && ns_match(&s->as[i], u, 0))
                bits |= 1ull << i;
    }
    sqlite3_reset(st);
    return bits;
}

int hs_as_event(hs *s, const char *room_id, int64_t stream, const char *member_target)
{
    uint64_t bits;
    size_t i;

    if (!s->nas)
        return 0;
    bits = interested(s, room_id, member_target);
    {   /* events its own users send, as Synapse (the room's m.room.create
         * comes before any member); the row is already written */
        sqlite3_stmt *q = hs_db_stmt(s, "SELECT sender FROM events WHERE stream=?");
        if (q) {
            sqlite3_bind_int64(q, 1, stream);
            if (sqlite3_step(q) == SQLITE_ROW)
                for (i = 0; i < s->nas; i++)
                    if (ns_match(&s->as[i], hs_col_text(q, 0), 0))
                        bits |= 1ull << i;
            sqlite3_reset(q);
        }
    }
    for (i = 0; i < s->nas; i++) {
        sqlite3_stmt *st;
        if (!(bits & (1ull << i)) || !s->as[i].url)
            continue;
        st = hs_db_stmt(s, "INSERT OR IGNORE INTO module_queue(module,stream) VALUES(?,?)");
        if (!st)
            return HS_ERR_DB;
        hs_bind_text(st, 1, s->as[i].qname);
        sqlite3_bind_int64(st, 2, stream);
        if (hs_db_step_done(s, st))
            return HS_ERR_DB;
    }
    if (bits && s->as_ev)
        event_active(s->as_ev, EV_TIMEOUT, 0);
    return 0;
}

void hs_as_ephemeral(hs *s, const char *room_id, json_t *ev)
{
    uint64_t bits;
    size_t i;

    if (!s->nas)
        return;
    bits = interested(s, room_id, NULL);
    for (i = 0; i < s->nas; i++) {
        hs_as *a = &s->as[i];
        if (!(bits & (1ull << i)) || !a->url || !a->ephemeral)
            continue;
        if (!a->eph)
            a->eph = json_array();
        if (a->eph && json_array_size(a->eph) < AS_EPH_MAX) /* state the next change supersedes */
            json_array_append(a->eph, ev);
    }
    if (bits && s->as_ev)
        event_active(s->as_ev, EV_TIMEOUT, 0);
}

/* ---- pushing transactions ------------------------------------------------- */

static void push(hs_as *a);

static void save_pos(hs_as *a)
{
    hs *s = a->s;
    sqlite3_stmt *st;

    if (hs_db_begin(s))
        goto fail;
    st = hs_db_stmt(s, "INSERT OR REPLACE INTO module_pos(module,stream) VALUES(?,?)");
    if (!st)
        goto fail_rb;
    hs_bind_text(st, 1, a->qname);
    sqlite3_bind_int64(st, 2, a->delivered);
    if (hs_db_step_done(s, st))
        goto fail_rb;
    st = hs_db_stmt(s, "DELETE FROM module_queue WHERE module=? AND stream<=?");
    if (!st)
        goto fail_rb;
    hs_bind_text(st, 1, a->qname);
    sqlite3_bind_int64(st, 2, a->delivered);
    if (hs_db_step_done(s, st) || hs_db_commit(s))
        goto fail_rb;
    return;
fail_rb:
    hs_db_rollback(s);
fail:
    /* the AS has the events; after a restart they go again under the same
     * txnId, which it answers without applying them */
    hs_logf(s, UT_LOG_WARN, "application service %s: position not saved", a->id);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    push(arg);
}

static void on_reply(struct evhttp_request *req, void *arg)
{
    hs_as *a = arg;
    int status = req ? evhttp_request_get_response_code(req) : 0;

    a->in_flight = 0;
    if (status == 200) {
        if (a->batch_last > a->delivered) {
            a->delivered = a->batch_last;
            save_pos(a);
        }
        free(a->body);
        a->body = NULL;
        a->attempt = 0;
        event_active(a->s->as_ev, EV_TIMEOUT, 0); /* more may be queued */
        return;
    } else {
        uint64_t ms = (uint64_t)AS_BACKOFF_MIN_MS << (a->attempt < 7 ? a->attempt : 7);
        struct timeval tv;
        if (ms > AS_BACKOFF_MAX_MS)
            ms = AS_BACKOFF_MAX_MS;
        hs_logf(a->s, a->attempt ? UT_LOG_DEBUG : UT_LOG_WARN,
                "application service %s: transaction %s %s %d; retrying in %llu ms", a->id,
                a->txn_id, status ? "answered" : "not delivered", status, (unsigned long long)ms);
        a->attempt++;
        tv.tv_sec = (time_t)(ms / 1000);
        tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
        evtimer_add(a->timer, &tv);
    }
}

/* Build the next transaction: queued events after the position, then the
 * ephemeral events gathered so far. 0 when there is nothing to send. */
static int build(hs_as *a)
{
    hs *s = a->s;
    sqlite3_stmt *st = hs_db_stmt(s, "SELECT q.stream, e.json, e.redacted_by FROM module_queue q "
                                     "JOIN events e ON e.stream=q.stream "
                                     "WHERE q.module=? AND q.stream>? ORDER BY q.stream LIMIT ?");
    json_t *events = json_array(), *body;
    int64_t first = 0, last = 0;

    if (!st || !events) {
        json_decref(events);
        return 0;
    }
    hs_bind_text(st, 1, a->qname);
    sqlite3_bind_int64(st, 2, a->delivered);
    sqlite3_bind_int(st, 3, AS_BATCH);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t stream = sqlite3_column_int64(st, 0);
        json_t *ev = hs_client_event(s, hs_col_text(st, 1),
                                     sqlite3_column_type(st, 2) == SQLITE_NULL ? NULL : hs_col_text(st, 2),
                                     NULL, NULL, NULL, NULL, NULL, stream);
        if (!ev)
            break; /* out of memory: send what we have, the rest follows */
        json_array_append_new(events, ev);
        if (!first)
            first = stream;
        last = stream;
    }
    sqlite3_reset(st);
    if (!json_array_size(events) && !json_array_size(a->eph)) {
        json_decref(events);
        return 0;
    }
    body = json_pack("{s:o}", "events", events);
    if (json_array_size(a->eph)) {
        /* spec v1.13 "ephemeral", and MSC2409's key for older AS libraries */
        json_object_set(body, "ephemeral", a->eph);
        json_object_set(body, "de.sorunome.msc2409.ephemeral", a->eph);
        json_decref(a->eph);
        a->eph = NULL;
    }
    if (last)
        snprintf(a->txn_id, sizeof(a->txn_id), "s%lld-%lld", (long long)first, (long long)last);
    else
        snprintf(a->txn_id, sizeof(a->txn_id), "e%lld-%llu", (long long)ut_now_ms(),
                 (unsigned long long)++a->eph_seq);
    a->batch_last = last;
    a->body = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    return a->body != NULL;
}

static void push(hs_as *a)
{
    struct evhttp_request *req;
    struct evkeyvalq *h;
    char path[700], auth[300];

    if (a->in_flight || !a->url || evtimer_pending(a->timer, NULL))
        return;
    if (!a->body && !build(a))
        return;
    req = evhttp_request_new(on_reply, a);
    if (!req)
        return;
    h = evhttp_request_get_output_headers(req);
    snprintf(auth, sizeof(auth), "Bearer %s", a->hs_token);
    evhttp_add_header(h, "Host", a->host);
    evhttp_add_header(h, "Authorization", auth);
    evhttp_add_header(h, "Content-Type", "application/json");
    ut_wipe(auth, sizeof(auth));
    evbuffer_add(evhttp_request_get_output_buffer(req), a->body, strlen(a->body));
    snprintf(path, sizeof(path), "%s/_matrix/app/v1/transactions/%s", a->prefix, a->txn_id);
    if (evhttp_make_request(a->conn, req, EVHTTP_REQ_PUT, path) == 0)
        a->in_flight = 1;
}

static void run_pushes(evutil_socket_t fd, short what, void *arg)
{
    hs *s = arg;
    size_t i;

    (void)fd;
    (void)what;
    for (i = 0; i < s->nas; i++)
        push(&s->as[i]);
}

/* ---- lifecycle ------------------------------------------------------------ */

int hs_as_load(hs *s, char *err, size_t errlen)
{
    size_t i, k;

    if (!s->cfg.nas_files)
        return 0;
    if (s->cfg.nas_files > 64) {
        snprintf(err, errlen, "app_service_config_files: at most 64");
        return -1;
    }
    s->as = calloc(s->cfg.nas_files, sizeof(*s->as));
    s->as_ev = event_new(s->base, -1, 0, run_pushes, s);
    if (!s->as || !s->as_ev) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (i = 0; i < s->cfg.nas_files; i++) {
        hs_as *a = &s->as[i];
        sqlite3_stmt *st;
        s->nas++;
        if (load_one(s, a, s->cfg.as_files[i], err, errlen))
            return -1;
        for (k = 0; k < i; k++)
            if (!strcmp(s->as[k].id, a->id) || !strcmp(s->as[k].as_token, a->as_token)) {
                snprintf(err, errlen, "%s: id and as_token must differ from %s's (spec: unique)",
                         s->cfg.as_files[i], s->as[k].id);
                return -1;
            }
        if (!hs_user_exists(s, a->sender_id) && hs_user_create(s, a->sender, NULL, 0, NULL, 0)) {
            snprintf(err, errlen, "%s: cannot create the sender %s", s->cfg.as_files[i], a->sender_id);
            return -1;
        }
        st = hs_db_stmt(s, "SELECT stream FROM module_pos WHERE module=?");
        if (!st) {
            snprintf(err, errlen, "database error");
            return -1;
        }
        hs_bind_text(st, 1, a->qname);
        if (sqlite3_step(st) == SQLITE_ROW)
            a->delivered = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        if (a->url) {
            a->timer = evtimer_new(s->base, on_timer, a);
            a->conn = evhttp_connection_base_new(s->base, NULL, a->host, (unsigned short)a->port);
            if (!a->timer || !a->conn) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            evhttp_connection_set_timeout(a->conn, 60);
            evhttp_connection_set_retries(a->conn, 0); /* we retry, with backoff */
        }
        hs_logf(s, UT_LOG_INFO, "application service %s loaded from %s (url %s)", a->id,
                s->cfg.as_files[i], a->url ? a->url : "none");
    }
    event_active(s->as_ev, EV_TIMEOUT, 0); /* what was queued before a restart */
    return 0;
}

static void free_str(char *p)
{
    if (p) {
        ut_wipe(p, strlen(p));
        free(p);
    }
}

void hs_as_stop(hs *s)
{
    size_t i, k;

    for (i = 0; i < s->nas; i++) {
        hs_as *a = &s->as[i];
        if (a->conn) /* frees an in-flight request without calling back */
            evhttp_connection_free(a->conn);
        if (a->timer)
            event_free(a->timer);
        for (k = 0; k < a->nusers; k++)
            regfree(&a->users[k]);
        free(a->users);
        free(a->excl);
        free(a->id);
        free(a->url);
        free_str(a->as_token);
        free_str(a->hs_token);
        free(a->sender);
        free(a->body);
        json_decref(a->eph);
    }
    free(s->as);
    s->as = NULL;
    s->nas = 0;
    if (s->as_ev)
        event_free(s->as_ev);
    s->as_ev = NULL;
}
