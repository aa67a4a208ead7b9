/*
 * hs_http.c - the evhttp front end: turns an evhttp_request into an hs_req,
 * routes it, and writes JSON or raw replies with CORS headers. Module HTTP
 * routes (/_mxm/...) are handed to libmxmhost.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <strings.h>

#include <event2/buffer.h>
#include <sys/queue.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "hs.h"
#include "hs_http.h"

#define HS_BODY_PREAUTH (64u * 1024u) /* body limit before authentication */

static void add_common_headers(struct evkeyvalq *h)
{
    evhttp_add_header(h, "Access-Control-Allow-Origin", "*");
    evhttp_add_header(h, "Access-Control-Allow-Methods",
                      "GET, POST, PUT, DELETE, OPTIONS");
    evhttp_add_header(h, "Access-Control-Allow-Headers",
                      "X-Requested-With, Content-Type, Authorization");
}

static void on_close(struct evhttp_connection *c, void *arg);

/* A request handed to a module route: answered through hs_http_respond by
 * id, so a module answering late (or twice) never touches a freed request. */
typedef struct hs_mxm_pending {
    uint64_t id;
    struct evhttp_request *req;
    hs *s;
    struct hs_mxm_pending *next;
} hs_mxm_pending;

static hs_mxm_pending *pending_take(hs *s, uint64_t id)
{
    hs_mxm_pending **pp, *p;

    for (pp = &s->mxm_pending; (p = *pp); pp = &p->next)
        if (p->id == id) {
            *pp = p->next;
            return p;
        }
    return NULL;
}

static void on_mxm_close(struct evhttp_connection *c, void *arg)
{
    hs_mxm_pending *p = arg;

    (void)c;
    free(pending_take(p->s, p->id));
}

static void http_finish(hs_req *r)
{
    struct evhttp_request *req = r->transport;
    struct evbuffer *out;
    struct evkeyvalq *h;

    if (!req) { /* the client went away while we waited */
        hs_req_free(r);
        return;
    }
    evhttp_connection_set_closecb(evhttp_request_get_connection(req), NULL, NULL);
    out = evbuffer_new();
    h = evhttp_request_get_output_headers(req);
    add_common_headers(h);
    if (r->raw || (!r->resp && r->ctype[0])) {
        evhttp_add_header(h, "Content-Type", r->ctype[0] ? r->ctype : "application/octet-stream");
        if (r->disposition[0])
            evhttp_add_header(h, "Content-Disposition", r->disposition);
        evhttp_add_header(h, "Content-Security-Policy",
                          "sandbox; default-src 'none'; script-src 'none'; "
                          "plugin-types application/pdf; style-src 'unsafe-inline'; "
                          "object-src 'self';");
        evhttp_add_header(h, "Cross-Origin-Resource-Policy", "cross-origin");
        /* a browser must not sniff an uploaded file into HTML or script:
         * the type is the uploader's, so trust it no further than it says */
        evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
        if (out && r->raw_len)
            evbuffer_add(out, r->raw, r->raw_len);
    } else {
        char *txt = r->resp ? json_dumps(r->resp, JSON_COMPACT) : NULL;
        evhttp_add_header(h, "Content-Type", "application/json");
        if (out && txt)
            evbuffer_add(out, txt, strlen(txt));
        free(txt);
    }
    evhttp_send_reply(req, r->status ? r->status : 200, NULL, out);
    if (out)
        evbuffer_free(out);
    hs_req_free(r);
}

/* The peer closed the connection while a long-poll was parked. */
static void on_close(struct evhttp_connection *c, void *arg)
{
    hs_req *r = arg;

    (void)c;
    r->transport = NULL;
}

static json_t *parse_query(const char *q)
{
    struct evkeyvalq kv;
    struct evkeyval *e;
    json_t *o = json_object();

    if (!o || !q || !*q)
        return o;
    TAILQ_INIT(&kv);
    if (evhttp_parse_query_str(q, &kv) == 0)
        TAILQ_FOREACH(e, &kv, next)
            json_object_set_new(o, e->key, json_string(e->value));
    evhttp_clear_headers(&kv);
    return o;
}

static const char *method_name(enum evhttp_cmd_type t)
{
    switch (t) {
    case EVHTTP_REQ_GET: return "GET";
    case EVHTTP_REQ_POST: return "POST";
    case EVHTTP_REQ_PUT: return "PUT";
    case EVHTTP_REQ_DELETE: return "DELETE";
    case EVHTTP_REQ_OPTIONS: return "OPTIONS";
    case EVHTTP_REQ_HEAD: return "HEAD";
    default: return "OTHER";
    }
}

static void send_simple(struct evhttp_request *req, int status,
                        const char *errcode, const char *msg)
{
    struct evbuffer *out = evbuffer_new();
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);

    add_common_headers(h);
    evhttp_add_header(h, "Content-Type", "application/json");
    if (out)
        evbuffer_add_printf(out, "{\"errcode\":\"%s\",\"error\":\"%s\"}",
                            errcode, msg);
    evhttp_send_reply(req, status, NULL, out);
    if (out)
        evbuffer_free(out);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    hs *s = arg;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t blen = evbuffer_get_length(in);
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    hs_req *r;
    char *host_addr = NULL;
    ev_uint16_t port = 0;

    /* the next request on this connection starts at the small limit again */
    evhttp_connection_set_max_body_size(evhttp_request_get_connection(req),
                                        (ev_ssize_t)HS_BODY_PREAUTH);
    if (!path)
        path = "/";
    if (cmd == EVHTTP_REQ_OPTIONS) {
        add_common_headers(evhttp_request_get_output_headers(req));
        evhttp_send_reply(req, 200, "OK", NULL);
        return;
    }
    if (!strncmp(path, "/_mxm/", 6) && s->host) {
        char *dec = evhttp_uridecode(path, 0, NULL);
        unsigned char *b = blen ? evbuffer_pullup(in, -1) : NULL;
        hs_mxm_pending *p = calloc(1, sizeof(*p));
        uint64_t id = ++s->mxm_next_id;
        int taken;

        if (!p || !dec) {
            free(p);
            free(dec);
            send_simple(req, 500, "M_UNKNOWN", "out of memory");
            return;
        }
        p->id = id;
        p->req = req;
        p->s = s;
        p->next = s->mxm_pending;
        s->mxm_pending = p;
        evhttp_connection_set_closecb(evhttp_request_get_connection(req), on_mxm_close, p);
        taken = host_dispatch_http(s->host, id, method_name(cmd), dec,
                                   query ? query : "", (const char *)b, blen);
        free(dec);
        if (!taken) {
            p = pending_take(s, id);
            if (p) {
                evhttp_connection_set_closecb(evhttp_request_get_connection(req), NULL, NULL);
                free(p);
                send_simple(req, 404, "M_UNRECOGNIZED", "Unrecognized request");
            }
        }
        return;
    }
    r = calloc(1, sizeof(*r));
    if (!r) {
        send_simple(req, 500, "M_UNKNOWN", "out of memory");
        return;
    }
    r->s = s;
    r->method = method_name(cmd);
    r->finish = http_finish;
    r->transport = req;
    r->query = parse_query(query);
    r->body = blen ? evbuffer_pullup(in, -1) : NULL;
    r->body_len = blen;
    r->content_type = evhttp_find_header(evhttp_request_get_input_headers(req),
                                         "Content-Type");
    r->authorization = evhttp_find_header(evhttp_request_get_input_headers(req),
                                          "Authorization");
    r->host = evhttp_find_header(evhttp_request_get_input_headers(req), "Host");
    evhttp_connection_get_peer(evhttp_request_get_connection(req), &host_addr, &port);
    snprintf(r->remote, sizeof(r->remote), "%s", host_addr ? host_addr : "?");
    if (hs_req_set_path(r, path)) {
        hs_err(r, 400, "M_UNRECOGNIZED", "bad path");
        r->finish(r);
        return;
    }
    /* Long-polls need to notice a vanished client. */
    evhttp_connection_set_closecb(evhttp_request_get_connection(req), on_close, r);
    hs_logf(s, UT_LOG_DEBUG, "%s %s", r->method, path);
    hs_route(r);
}

int hs_http_respond(hs *s, uint64_t reply_id, int status,
                    const char *content_type, const void *body, size_t len)
{
    hs_mxm_pending *p = pending_take(s, reply_id);
    struct evhttp_request *req;
    struct evbuffer *out;
    struct evkeyvalq *h;

    if (!p)
        return MXM_ERR_NOTFOUND; /* answered already, or the client left */
    req = p->req;
    free(p);
    if (status < 100 || status > 599)
        status = 500;
    evhttp_connection_set_closecb(evhttp_request_get_connection(req), NULL, NULL);
    out = evbuffer_new();
    h = evhttp_request_get_output_headers(req);
    add_common_headers(h);
    evhttp_add_header(h, "Content-Type", content_type ? content_type : "application/octet-stream");
    if (out && len)
        evbuffer_add(out, body, len);
    evhttp_send_reply(req, status, NULL, out);
    if (out)
        evbuffer_free(out);
    return 0;
}

/*
 * Body limits by request, decided from the request head before evhttp reads
 * the body: 64 KiB without a valid access token, 1 MiB (the JSON limit)
 * with one, and max_upload_size only for an authenticated media upload;
 * so no unauthenticated peer makes the server buffer more than 64 KiB.
 * libevent 2.1 has no server hook between head and body
 * (evhttp_set_newreqcb came in 2.2), so each connection's input buffer
 * gets a callback, which runs when bytes arrive and before evhttp parses
 * them; when they start with a complete request head it sets that
 * connection's limit. evhttp answers a larger body with 413 after reading
 * it (EVHTTP_SERVER_LINGERING_CLOSE), and on_request puts the limit back
 * to 64 KiB for the next request on the connection.
 *
 * The callback knows its input buffer, not the connection: s->conns maps
 * input buffers to their bufferevents. A new connection replaces an entry
 * with its buffer's address (that buffer is gone), so a live buffer always
 * finds its own bufferevent; the table is capped, and a connection without
 * an entry keeps 64 KiB.
 */
#define HS_HEAD_MAX (64u * 1024u)
#define HS_CONNS_MAX 4096

typedef struct hs_conn_ref {
    struct evbuffer *in;
    struct bufferevent *bev;
} hs_conn_ref;

/* Value of header `name` in the NUL-terminated head, copied into buf. */
static char *head_value(const char *head, const char *name, char *buf, size_t n)
{
    size_t nl = strlen(name);
    const char *p = strchr(head, '\n');

    while (p && *++p) {
        const char *eol = strchr(p, '\n'), *v;
        size_t len;
        if (!eol)
            break;
        if ((size_t)(eol - p) > nl && !strncasecmp(p, name, nl) && p[nl] == ':') {
            for (v = p + nl + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
                ;
            len = (size_t)(eol - v);
            while (len && (v[len - 1] == '\r' || v[len - 1] == ' '))
                len--;
            if (len >= n)
                len = n - 1;
            memcpy(buf, v, len);
            buf[len] = '\0';
            return buf;
        }
        p = eol;
    }
    return NULL;
}

static int upload_path(const char *method, const char *target)
{
    static const char *const paths[] = {"/_matrix/media/r0/upload", "/_matrix/media/v1/upload",
                                        "/_matrix/media/v3/upload",
                                        "/_matrix/client/v1/media/upload", NULL};
    size_t i, n = strcspn(target, "?");

    if (strcmp(method, "POST"))
        return 0;
    for (i = 0; paths[i]; i++)
        if (n == strlen(paths[i]) && !strncmp(target, paths[i], n))
            return 1;
    return 0;
}

/* Does the head carry a valid access token (header or query)? */
static int head_authed(hs *s, const char *head, const char *target)
{
    char auth[512];
    const char *q = strchr(target, '?');
    hs_req r;
    int ok;

    memset(&r, 0, sizeof(r));
    r.s = s;
    r.authorization = head_value(head, "Authorization", auth, sizeof(auth));
    if (q) {
        struct evkeyvalq kv;
        TAILQ_INIT(&kv);
        if (evhttp_parse_query_str(q + 1, &kv) == 0) {
            const char *t = evhttp_find_header(&kv, "access_token");
            if (t)
                r.query = json_pack("{s:s}", "access_token", t);
        }
        evhttp_clear_headers(&kv);
    }
    ok = (r.authorization || r.query) && hs_auth_request(&r) == 0;
    json_decref(r.query);
    json_decref(r.resp);
    return ok;
}

static void conn_in(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    static const char *const methods[] = {"GET ", "POST ", "PUT ", "DELETE ", "OPTIONS ",
                                          "HEAD ", NULL};
    hs *s = arg;
    char start[8] = "", method[16], target[2048], *head;
    struct evbuffer_ptr end;
    size_t i, n, hlen;
    hs_conn_ref *c = NULL;
    void *evcon = NULL;
    size_t limit = HS_BODY_PREAUTH;

    if (!info->n_added)
        return;
    n = evbuffer_get_length(buf);
    evbuffer_copyout(buf, start, sizeof(start) - 1);
    for (i = 0; methods[i]; i++)
        if (!strncmp(start, methods[i], strlen(methods[i]) < n ? strlen(methods[i]) : n))
            break;
    if (!methods[i])
        return; /* body bytes */
    end = evbuffer_search(buf, "\r\n\r\n", 4, NULL);
    if (end.pos < 0 || (size_t)end.pos + 4 > HS_HEAD_MAX)
        return; /* not complete yet: the limit stays 64 KiB */
    for (i = s->nconns; i > 0 && !c; i--)
        if (s->conns[i - 1].in == buf)
            c = &s->conns[i - 1];
    if (!c)
        return;
    hlen = (size_t)end.pos + 4;
    if (!(head = malloc(hlen + 1)))
        return;
    evbuffer_copyout(buf, head, hlen);
    head[hlen] = '\0';
    if (sscanf(head, "%15s %2047s", method, target) == 2 && head_authed(s, head, target))
        limit = upload_path(method, target) ? s->cfg.max_upload + 4096 : HS_JSON_MAX_BODY;
    free(head);
    bufferevent_getcb(c->bev, NULL, NULL, NULL, &evcon);
    if (evcon)
        evhttp_connection_set_max_body_size(evcon, (ev_ssize_t)limit);
}

static struct bufferevent *conn_bev(struct event_base *base, void *arg)
{
    hs *s = arg;
    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    struct evbuffer *in;
    size_t i;

    if (!bev)
        return NULL; /* evhttp makes its own: the 64 KiB default applies */
    in = bufferevent_get_input(bev);
    for (i = 0; i < s->nconns; i++)
        if (s->conns[i].in == in)
            break;
    if (i == s->nconns) {
        if (s->nconns == HS_CONNS_MAX)
            return bev;
        if (!(s->nconns % 64)) {
            hs_conn_ref *nc = realloc(s->conns, sizeof(*nc) * (s->nconns + 64));
            if (!nc)
                return bev;
            s->conns = nc;
        }
        s->nconns++;
    }
    s->conns[i].in = in;
    s->conns[i].bev = bev;
    evbuffer_add_cb(in, conn_in, s);
    return bev;
}

int hs_http_start(hs *s, char *err, size_t errlen)
{
    struct evhttp_bound_socket *bs;

    s->http = evhttp_new(s->base);
    if (!s->http) {
        snprintf(err, errlen, "evhttp_new failed");
        return -1;
    }
    evhttp_set_max_body_size(s->http, (ev_ssize_t)HS_BODY_PREAUTH);
    evhttp_set_bevcb(s->http, conn_bev, s);
    evhttp_set_flags(s->http, EVHTTP_SERVER_LINGERING_CLOSE);
    evhttp_set_max_headers_size(s->http, 64 * 1024);
    evhttp_set_timeout(s->http, 120);
    evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
                                            EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                            EVHTTP_REQ_OPTIONS | EVHTTP_REQ_HEAD);
    evhttp_set_gencb(s->http, on_request, s);
    bs = evhttp_bind_socket_with_handle(s->http, s->cfg.listen_addr,
                                        (ev_uint16_t)s->cfg.port);
    if (!bs) {
        snprintf(err, errlen, "listen.port: cannot listen on %s:%d",
                 s->cfg.listen_addr, s->cfg.port);
        return -1;
    }
    {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        evutil_socket_t fd = evhttp_bound_socket_get_fd(bs);
        if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
            if (ss.ss_family == AF_INET)
                s->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
            else if (ss.ss_family == AF_INET6)
                s->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        }
    }
    return 0;
}

void hs_http_stop(hs *s)
{
    /* evhttp_free runs the close callbacks, which drop pending entries */
    if (s->http)
        evhttp_free(s->http);
    s->http = NULL;
    while (s->mxm_pending) {
        hs_mxm_pending *p = s->mxm_pending;
        s->mxm_pending = p->next;
        free(p);
    }
    free(s->conns);
    s->conns = NULL;
    s->nconns = 0;
}
