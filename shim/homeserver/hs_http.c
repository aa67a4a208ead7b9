/*
 * hs_http.c - the evhttp front end: turns an evhttp_request into an hs_req,
 * routes it, and writes JSON or raw replies with CORS headers. Module HTTP
 * routes (/_mxm/...) are handed to libmxmhost.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <sys/queue.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "hs.h"
#include "hs_http.h"

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

int hs_http_start(hs *s, char *err, size_t errlen)
{
    struct evhttp_bound_socket *bs;

    s->http = evhttp_new(s->base);
    if (!s->http) {
        snprintf(err, errlen, "evhttp_new failed");
        return -1;
    }
    evhttp_set_max_body_size(s->http, (ev_ssize_t)s->cfg.max_upload + 4096);
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
}
