/*
 * as_server.c - the endpoints the homeserver calls (AS API, matrix-org/
 * matrix-spec content/application-service-api.md, and the paths mautrix/go
 * serves in appservice/http.go, legacy unprefixed ones included):
 *   PUT  /_matrix/app/v1/transactions/{txnId}  events -> on_event,
 *        ephemeral m.typing/m.receipt -> on_ephemeral ("ephemeral", or
 *        MSC2409's "de.sorunome.msc2409.ephemeral" from older Synapse);
 *        a txnId already processed is answered 200 at once; otherwise 200
 *        only after every on_event returned and the txnId is durable
 *        (as_txn.c);
 *   GET  /_matrix/app/v1/users/{userId}   200 when the module's namespace
 *        holds it and query_user says yes, else 404 M_NOT_FOUND;
 *   GET  /_matrix/app/v1/rooms/{alias}    404 M_NOT_FOUND (ABI 1.0 has no
 *        alias query; a module makes its rooms itself);
 *   POST /_matrix/app/v1/ping             200 {} (spec v1.7);
 *   /_mxm/...                             the module's own HTTP routes.
 * The hs_token comes as "Authorization: Bearer" (v1.4) or as the legacy
 * ?access_token=, and is compared in constant time. Missing: 401
 * M_UNAUTHORIZED; wrong: 403 M_FORBIDDEN; unknown path 404 and wrong
 * method 405, both M_UNRECOGNIZED (spec, "Unknown routes").
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "as.h"
#include "ut.h"

typedef struct pending {
    uint64_t id;
    struct evhttp_request *req;
    struct pending *next;
} pending;

struct as_server {
    struct evhttp *http;
    int port;
    const as_config *cfg;
    const as_reg *reg;
    as_txn *txn;
    host *h;
    pending *pend;
    uint64_t next_id;
};

static void reply(struct evhttp_request *req, int status, const char *json)
{
    struct evbuffer *b = evbuffer_new();

    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "application/json");
    if (b)
        evbuffer_add(b, json, strlen(json));
    evhttp_send_reply(req, status, status == 200 ? "OK" : "Error", b);
    if (b)
        evbuffer_free(b);
}

static void reply_err(struct evhttp_request *req, int status, const char *code, const char *msg)
{
    json_t *o = json_pack("{s:s,s:s}", "errcode", code, "error", msg);
    char *t = o ? json_dumps(o, JSON_COMPACT) : NULL;

    reply(req, status, t ? t : "{}");
    free(t);
    json_decref(o);
}

/* 0 when the request carries our hs_token; otherwise answered. */
static int check_token(as_server *s, struct evhttp_request *req, const char *query)
{
    const char *auth = evhttp_find_header(evhttp_request_get_input_headers(req),
                                          "Authorization");
    const char *tok = NULL;
    struct evkeyvalq kv;
    size_t n = strlen(s->reg->hs_token);
    int ok;

    TAILQ_INIT(&kv);
    if (auth && !strncmp(auth, "Bearer ", 7))
        tok = auth + 7;
    else if (query && evhttp_parse_query_str(query, &kv) == 0)
        tok = evhttp_find_header(&kv, "access_token");
    if (!tok || !*tok) {
        evhttp_clear_headers(&kv);
        reply_err(req, 401, "M_UNAUTHORIZED", "missing hs_token");
        return -1;
    }
    ok = strlen(tok) == n && ut_ct_eq(tok, s->reg->hs_token, n);
    evhttp_clear_headers(&kv);
    if (!ok) {
        reply_err(req, 403, "M_FORBIDDEN", "wrong hs_token");
        return -1;
    }
    return 0;
}

static host_module *the_module(as_server *s)
{
    return host_module_count(s->h) ? host_module_at(s->h, 0) : NULL;
}

/* Returns nonzero when the module refused an event for now (ABI 1.1
 * on_event_try): the rest of the list is not handed over. */
static int deliver_list(host_module *m, json_t *arr, int ephemeral)
{
    size_t i;
    json_t *ev;
    int refused = 0;

    json_array_foreach(arr, i, ev) {
        char *t;
        const char *type = json_string_value(json_object_get(ev, "type"));
        if (!json_is_object(ev) || !type)
            continue;
        if (ephemeral && ((strcmp(type, "m.typing") && strcmp(type, "m.receipt")) ||
                          !json_is_string(json_object_get(ev, "room_id"))))
            continue; /* presence and others: the ABI carries typing and receipts */
        t = json_dumps(ev, JSON_COMPACT);
        if (!t)
            continue;
        if (ephemeral)
            host_module_on_ephemeral(m, t, strlen(t));
        else
            refused = host_module_on_event(m, t, strlen(t)) == MXM_ERR_AGAIN;
        free(t);
        if (refused)
            break;
    }
    return refused;
}

static void h_transaction(as_server *s, struct evhttp_request *req, const char *txn_id)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    const char *body = (const char *)evbuffer_pullup(in, (ev_ssize_t)len);
    json_t *j, *events, *eph;
    json_error_t je;
    int seen = as_txn_seen(s->txn, txn_id);

    if (seen < 0) {
        reply_err(req, 500, "M_UNKNOWN", "transaction store failed");
        return;
    }
    if (seen) { /* a retry of what we acknowledged (or acknowledged late) */
        reply(req, 200, "{}");
        return;
    }
    j = body ? json_loadb(body, len, 0, &je) : NULL;
    events = json_object_get(j, "events");
    if (!json_is_object(j) || !json_is_array(events)) {
        json_decref(j);
        reply_err(req, 400, "M_BAD_JSON", "expected {\"events\": [...]}");
        return;
    }
    if (deliver_list(the_module(s), events, 0)) {
        /* the module could not take an event now: the homeserver retries
         * the transaction later (with backoff) and the module drops the
         * events it already has by event_id */
        json_decref(j);
        reply_err(req, 500, "M_UNKNOWN", "the module cannot take an event now; retry");
        return;
    }
    eph = json_object_get(j, "ephemeral");
    if (!json_is_array(eph))
        eph = json_object_get(j, "de.sorunome.msc2409.ephemeral");
    if (json_is_array(eph))
        deliver_list(the_module(s), eph, 1);
    json_decref(j);
    if (as_txn_done(s->txn, txn_id)) {
        /* not acknowledged: the homeserver retries and the module drops
         * the events it has by event_id */
        reply_err(req, 500, "M_UNKNOWN", "transaction store failed");
        return;
    }
    reply(req, 200, "{}");
}

static void h_user(as_server *s, struct evhttp_request *req, const char *user_id)
{
    const char *colon = strchr(user_id, ':');
    char lp[256];
    host_module *m;

    if (user_id[0] != '@' || !colon || strcmp(colon + 1, s->cfg->server_name) ||
        (size_t)(colon - user_id - 1) >= sizeof(lp)) {
        reply_err(req, 404, "M_NOT_FOUND", "not a user of this application service");
        return;
    }
    memcpy(lp, user_id + 1, (size_t)(colon - user_id - 1));
    lp[colon - user_id - 1] = '\0';
    m = host_user_owner(s->h, lp);
    if (m && host_module_query_user(m, user_id) == 1)
        reply(req, 200, "{}");
    else
        reply_err(req, 404, "M_NOT_FOUND", "no such user");
}

static void h_mxm(as_server *s, struct evhttp_request *req, const char *path, const char *query)
{
    static const char *const meth[] = {"GET", "POST", "HEAD", "PUT", "DELETE"};
    enum evhttp_cmd_type c = evhttp_request_get_command(req);
    const char *method = c == EVHTTP_REQ_GET ? meth[0] : c == EVHTTP_REQ_POST ? meth[1]
                         : c == EVHTTP_REQ_PUT ? meth[3] : c == EVHTTP_REQ_DELETE ? meth[4]
                                                                                 : meth[2];
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    const char *body = len ? (const char *)evbuffer_pullup(in, (ev_ssize_t)len) : "";
    pending *p = calloc(1, sizeof(*p));
    char *dec = evhttp_uridecode(path, 0, NULL);

    if (!p || !dec) {
        free(p);
        free(dec);
        reply_err(req, 500, "M_UNKNOWN", "out of memory");
        return;
    }
    p->id = ++s->next_id;
    p->req = req;
    p->next = s->pend;
    s->pend = p;
    if (!host_dispatch_http(s->h, p->id, method, dec, query ? query : "", body, len)) {
        s->pend = p->next;
        free(p);
        reply_err(req, 404, "M_UNRECOGNIZED", "no such route");
    }
    free(dec);
}

int as_server_respond(void *ctx, uint64_t id, int status, const char *ctype, const void *body,
                      size_t len)
{
    as_server *s = ctx;
    pending **pp, *p;
    struct evbuffer *b;

    for (pp = &s->pend; (p = *pp); pp = &p->next)
        if (p->id == id)
            break;
    if (!p)
        return MXM_ERR_NOTFOUND;
    *pp = p->next;
    b = evbuffer_new();
    if (ctype)
        evhttp_add_header(evhttp_request_get_output_headers(p->req), "Content-Type", ctype);
    if (b && len)
        evbuffer_add(b, body, len);
    evhttp_send_reply(p->req, status, "", b);
    if (b)
        evbuffer_free(b);
    free(p);
    return MXM_OK;
}

/* The segment after `prefix` when path is prefix + one segment. */
static const char *tail(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);

    if (strncmp(path, prefix, n) || !path[n] || strchr(path + n, '/'))
        return NULL;
    return path + n;
}

static void on_request(struct evhttp_request *req, void *arg)
{
    as_server *s = arg;
    const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
    const char *path = u ? evhttp_uri_get_path(u) : NULL, *query = u ? evhttp_uri_get_query(u) : NULL;
    enum evhttp_cmd_type c = evhttp_request_get_command(req);
    const char *seg;
    char *dec;
    int kind;

    if (!path) {
        reply_err(req, 400, "M_UNRECOGNIZED", "bad request");
        return;
    }
    if (!strncmp(path, "/_mxm/", 6)) {
        h_mxm(s, req, path, query);
        return;
    }
    if ((seg = tail(path, "/_matrix/app/v1/transactions/")) || (seg = tail(path, "/transactions/")))
        kind = 0;
    else if ((seg = tail(path, "/_matrix/app/v1/users/")) || (seg = tail(path, "/users/")))
        kind = 1;
    else if ((seg = tail(path, "/_matrix/app/v1/rooms/")) || (seg = tail(path, "/rooms/")))
        kind = 2;
    else if (!strcmp(path, "/_matrix/app/v1/ping"))
        kind = 3;
    else {
        reply_err(req, 404, "M_UNRECOGNIZED", "Unrecognized request");
        return;
    }
    if ((kind == 0 && c != EVHTTP_REQ_PUT) || ((kind == 1 || kind == 2) && c != EVHTTP_REQ_GET) ||
        (kind == 3 && c != EVHTTP_REQ_POST)) {
        reply_err(req, 405, "M_UNRECOGNIZED", "Unrecognized request");
        return;
    }
    if (check_token(s, req, query))
        return;
    if (kind == 3) {
        reply(req, 200, "{}");
        return;
    }
    dec = evhttp_uridecode(seg, 0, NULL);
    if (!dec || !*dec || strlen(dec) > 255) {
        free(dec);
        reply_err(req, 400, "M_INVALID_PARAM", "bad path segment");
        return;
    }
    if (kind == 0)
        h_transaction(s, req, dec);
    else if (kind == 1)
        h_user(s, req, dec);
    else
        reply_err(req, 404, "M_NOT_FOUND", "no such room alias");
    free(dec);
}

int as_server_start(as_server **out, struct event_base *base, const as_config *c,
                    const as_reg *reg, as_txn *txn, host *h, char *err, size_t errlen)
{
    as_server *s = calloc(1, sizeof(*s));
    struct evhttp_bound_socket *bs;

    *out = NULL;
    if (!s || !(s->http = evhttp_new(base))) {
        free(s);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->cfg = c;
    s->reg = reg;
    s->txn = txn;
    s->h = h;
    evhttp_set_max_body_size(s->http, 64 * 1024 * 1024);
    evhttp_set_timeout(s->http, 120);
    evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
                                            EVHTTP_REQ_DELETE);
    evhttp_set_gencb(s->http, on_request, s);
    bs = evhttp_bind_socket_with_handle(s->http, c->listen_addr, (unsigned short)c->port);
    if (!bs) {
        snprintf(err, errlen, "cannot listen on %s:%d", c->listen_addr, c->port);
        evhttp_free(s->http);
        free(s);
        return -1;
    }
    {
        struct sockaddr_storage ss;
        ev_socklen_t sl = sizeof(ss);
        evutil_socket_t fd = evhttp_bound_socket_get_fd(bs);
        if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
            s->port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                               : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    }
    *out = s;
    return 0;
}

int as_server_port(const as_server *s)
{
    return s->port;
}

void as_server_free(as_server *s)
{
    pending *p;

    if (!s)
        return;
    while ((p = s->pend)) {
        s->pend = p->next;
        free(p);
    }
    if (s->http)
        evhttp_free(s->http);
    free(s);
}
