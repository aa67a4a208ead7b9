/*
 * as_client.c - calls from the shim to the homeserver's Client-Server API,
 * authenticated with the registration's as_token (AS API, "Identity
 * assertion"), over one evhttp connection on the shim's loop; plain http
 * or https (TLS 1.2+, the certificate verified).
 *
 * While the homeserver is down (no connection, or 502/503/504 from a proxy
 * in front of it) or rate-limits us (429, honouring retry_after_ms), calls
 * wait and are repeated with exponential backoff from 250 ms up to 30 s,
 * for as long as the shim runs, so a module never sees a restart of the
 * homeserver. Order is kept, as mxhs runs a module's requests in order:
 * calls are sent in the order made (one evhttp connection sends them one
 * after the other); once one fails that way the client is "down", every
 * failed and new call waits in a queue ordered by when it was made, one
 * probe (the oldest) goes at each backoff step, and when it succeeds the
 * queue is sent in order.
 * Calls that change state are idempotent where the CS API allows it (the
 * module sends with a transaction ID), so a repeat after a reply was lost
 * is harmless; a createRoom repeated after a lost reply can make a second
 * room, as with any client. Calls pending at shutdown are dropped without
 * completion (the host has stopped the module).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "as.h"
#include "ut.h"

enum { BACKOFF_MIN_MS = 250, BACKOFF_MAX_MS = 30000 };

typedef struct call {
    as_client *c;
    char *method, *path, *ctype;
    unsigned char *body;
    size_t len;
    as_resp_fn cb;
    void *arg;
    as_drop_fn drop;
    uint64_t seq; /* order of the module's calls */
    struct evhttp_request *req; /* in flight */
    struct call *prev, *next;   /* every call */
    struct call *qnext;         /* waiting while down, by seq */
} call;

struct as_client {
    struct event_base *base;
    char host[256];
    int port;
    char *token;
    char auth[300];
    struct evhttp_connection *conn;
    SSL_CTX *tls;       /* https: the verifying context; NULL for http */
    int stale;          /* https: a call failed on conn; open a new one */
    call *calls;
    uint64_t next_seq;
    int down;           /* a call failed; calls wait in `waiting` */
    call *waiting;
    unsigned attempt;
    struct event *timer;
    host_log_fn log;
    void *log_ctx;
};

static void call_free(call *k)
{
    as_client *c = k->c;

    if (k->prev)
        k->prev->next = k->next;
    else if (c->calls == k)
        c->calls = k->next;
    if (k->next)
        k->next->prev = k->prev;
    free(k->method);
    free(k->path);
    free(k->ctype);
    free(k->body);
    free(k);
}

static void logf_(as_client *c, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void logf_(as_client *c, int level, const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    if (!c->log)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    c->log(c->log_ctx, level, NULL, buf);
}

static int send_call(call *k);

static void fail_oom(call *k)
{
    static const char oom[] = "{\"errcode\":\"M_UNKNOWN\",\"error\":\"out of memory\"}";

    k->cb(k->arg, 500, "application/json", (const unsigned char *)oom, sizeof(oom) - 1);
    call_free(k);
}

static void wait_in_order(as_client *c, call *k)
{
    call **pp = &c->waiting;

    while (*pp && (*pp)->seq < k->seq)
        pp = &(*pp)->qnext;
    k->qnext = *pp;
    *pp = k;
}

/* An evhttp connection to the homeserver: plain, or TLS through an
 * OpenSSL bufferevent with a new SSL object (SNI and the name or IP of
 * the URL checked against the certificate, OpenSSL's X509_VERIFY_PARAM). */
static struct evhttp_connection *open_conn(as_client *c)
{
    struct evhttp_connection *conn;
    struct bufferevent *bev;
    unsigned char ip[16];
    SSL *ssl;

    if (!c->tls)
        conn = evhttp_connection_base_new(c->base, NULL, c->host, (unsigned short)c->port);
    else {
        if (!(ssl = SSL_new(c->tls)))
            return NULL;
        if (inet_pton(AF_INET, c->host, ip) == 1 || inet_pton(AF_INET6, c->host, ip) == 1) {
            if (!X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), c->host)) {
                SSL_free(ssl);
                return NULL;
            }
        } else if (!SSL_set_tlsext_host_name(ssl, c->host) || !SSL_set1_host(ssl, c->host)) {
            SSL_free(ssl);
            return NULL;
        }
        bev = bufferevent_openssl_socket_new(c->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
                                             BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
        if (!bev) {
            SSL_free(ssl);
            return NULL;
        }
        /* servers often close without close_notify after a response */
        bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
        conn = evhttp_connection_base_bufferevent_new(c->base, NULL, bev, c->host,
                                                      (unsigned short)c->port);
        if (!conn) {
            bufferevent_free(bev);
            return NULL;
        }
    }
    if (conn) {
        evhttp_connection_set_timeout(conn, 120);
        evhttp_connection_set_retries(conn, 0); /* we retry, with backoff */
    }
    return conn;
}

/* https: a failed connection gets a new one with a fresh SSL object
 * rather than a reconnect of the old TLS state (only while down, from the
 * backoff timer). Calls still queued on the old one wait again, in order:
 * freeing it drops their requests without callbacks. */
static int renew(as_client *c)
{
    struct evhttp_connection *conn = open_conn(c);
    call *k;

    if (!conn)
        return -1;
    for (k = c->calls; k; k = k->next)
        if (k->req) {
            k->req = NULL;
            wait_in_order(c, k);
        }
    evhttp_connection_free(c->conn);
    c->conn = conn;
    c->stale = 0;
    return 0;
}

/* Probe with the oldest waiting call after the next backoff step. */
static void backoff(as_client *c, int64_t hint_ms)
{
    uint64_t ms = (uint64_t)BACKOFF_MIN_MS << (c->attempt < 8 ? c->attempt : 8);
    struct timeval tv;

    if (ms > BACKOFF_MAX_MS)
        ms = BACKOFF_MAX_MS;
    if (hint_ms > 0 && (uint64_t)hint_ms > ms)
        ms = hint_ms > 300000 ? 300000 : (uint64_t)hint_ms;
    c->attempt++;
    tv.tv_sec = (time_t)(ms / 1000);
    tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
    evtimer_add(c->timer, &tv);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    as_client *c = arg;
    call *k;

    (void)fd;
    (void)what;
    if (c->stale && renew(c) != 0) { /* try again at the next step */
        backoff(c, 0);
        return;
    }
    if (!(k = c->waiting))
        return;
    c->waiting = k->qnext;
    k->qnext = NULL;
    if (send_call(k))
        fail_oom(k);
}

/* The homeserver answered: send everything that waited, in order. */
static void back_up(as_client *c)
{
    call *k;

    if (!c->down)
        return;
    c->down = 0;
    c->attempt = 0;
    evtimer_del(c->timer);
    while ((k = c->waiting)) {
        c->waiting = k->qnext;
        k->qnext = NULL;
        if (send_call(k))
            fail_oom(k);
    }
}

static void on_reply(struct evhttp_request *req, void *arg)
{
    call *k = arg;
    int status = req ? evhttp_request_get_response_code(req) : 0;
    struct evbuffer *in;
    unsigned char *body;
    size_t len;
    const char *ct = NULL;

    k->req = NULL;
    if (status == 0 || status == 502 || status == 503 || status == 504 || status == 429) {
        int64_t hint = 0;
        if (status == 429 && req) {
            in = evhttp_request_get_input_buffer(req);
            len = evbuffer_get_length(in);
            body = evbuffer_pullup(in, (ev_ssize_t)len);
            json_t *j = body ? json_loadb((const char *)body, len, 0, NULL) : NULL;
            hint = json_integer_value(json_object_get(j, "retry_after_ms"));
            json_decref(j);
        }
        if (status == 0 && k->c->tls)
            k->c->stale = 1;
        logf_(k->c, k->c->down ? UT_LOG_DEBUG : UT_LOG_WARN,
              "homeserver %s (%s %.80s); retrying", status ? "busy" : "unreachable",
              k->method, k->path);
        wait_in_order(k->c, k);
        /* the first failure starts the backoff; a failed probe goes on */
        if (!k->c->down || !evtimer_pending(k->c->timer, NULL)) {
            k->c->down = 1;
            if (!evtimer_pending(k->c->timer, NULL))
                backoff(k->c, hint);
        }
        return;
    }
    back_up(k->c);
    in = evhttp_request_get_input_buffer(req);
    len = evbuffer_get_length(in);
    body = malloc(len + 1);
    if (body) {
        evbuffer_remove(in, body, len);
        body[len] = '\0';
    }
    ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
    if (body)
        k->cb(k->arg, status, ct ? ct : "application/json", body, len);
    else
        k->cb(k->arg, 500, "application/json",
              (const unsigned char *)"{\"errcode\":\"M_UNKNOWN\",\"error\":\"out of memory\"}", 47);
    free(body);
    call_free(k);
}

static int send_call(call *k)
{
    as_client *c = k->c;
    struct evhttp_request *req = evhttp_request_new(on_reply, k);
    struct evkeyvalq *h;
    enum evhttp_cmd_type cmd = !strcmp(k->method, "GET")    ? EVHTTP_REQ_GET
                               : !strcmp(k->method, "PUT")  ? EVHTTP_REQ_PUT
                               : !strcmp(k->method, "POST") ? EVHTTP_REQ_POST
                                                            : EVHTTP_REQ_DELETE;

    if (!req)
        return -1;
    h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Host", c->host);
    evhttp_add_header(h, "Authorization", c->auth);
    if (k->ctype)
        evhttp_add_header(h, "Content-Type", k->ctype);
    if (k->len)
        evbuffer_add(evhttp_request_get_output_buffer(req), k->body, k->len);
    else if (cmd == EVHTTP_REQ_PUT || cmd == EVHTTP_REQ_POST)
        evhttp_add_header(h, "Content-Length", "0");
    if (evhttp_make_request(c->conn, req, cmd, k->path)) /* req freed on failure */
        return -1;
    k->req = req;
    return 0;
}

int as_client_call(as_client *c, const char *method, const char *path,
                   const char *ctype, const void *body, size_t len, as_resp_fn cb,
                   void *arg, as_drop_fn drop)
{
    call *k = calloc(1, sizeof(*k));

    if (!k)
        return MXM_ERR_NOMEM;
    k->c = c;
    k->seq = ++c->next_seq;
    k->cb = cb;
    k->arg = arg;
    k->drop = drop;
    k->len = len;
    k->method = strdup(method);
    k->path = strdup(path);
    k->ctype = ctype ? strdup(ctype) : NULL;
    k->body = malloc(len ? len : 1);
    k->next = c->calls;
    if (c->calls)
        c->calls->prev = k;
    c->calls = k;
    if (!k->method || !k->path || (ctype && !k->ctype) || !k->body) {
        call_free(k);
        return MXM_ERR_NOMEM;
    }
    if (len)
        memcpy(k->body, body, len);
    if (c->down) { /* behind the calls that wait */
        wait_in_order(c, k);
        return MXM_OK;
    }
    if (send_call(k)) {
        call_free(k);
        return MXM_ERR_NOMEM;
    }
    return MXM_OK;
}

int as_client_new(as_client **out, struct event_base *base, const char *url,
                  const char *as_token, const char *ca_file, char *err, size_t errlen)
{
    struct evhttp_uri *u = evhttp_uri_parse(url);
    as_client *c;
    const char *hostname;

    const char *scheme = u ? evhttp_uri_get_scheme(u) : NULL;
    int https = scheme && !strcmp(scheme, "https");

    *out = NULL;
    if (!u || !scheme || (strcmp(scheme, "http") && !https) ||
        !(hostname = evhttp_uri_get_host(u)) || strlen(hostname) >= sizeof(((as_client *)0)->host)) {
        snprintf(err, errlen, "%s: expected http(s)://host[:port]", url);
        if (u)
            evhttp_uri_free(u);
        return -1;
    }
    c = calloc(1, sizeof(*c));
    if (!c) {
        evhttp_uri_free(u);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    c->base = base;
    snprintf(c->host, sizeof(c->host), "%s", hostname);
    c->port = evhttp_uri_get_port(u) > 0 ? evhttp_uri_get_port(u) : https ? 443 : 80;
    evhttp_uri_free(u);
    if (https) {
        /* the homeserver's certificate is checked as any client does: the
         * system's CA store, or only the roots in homeserver.ca_file */
        c->tls = SSL_CTX_new(TLS_client_method());
        if (!c->tls || !SSL_CTX_set_min_proto_version(c->tls, TLS1_2_VERSION) ||
            (ca_file ? !SSL_CTX_load_verify_locations(c->tls, ca_file, NULL)
                     : !SSL_CTX_set_default_verify_paths(c->tls))) {
            snprintf(err, errlen, "%s: cannot set up TLS%s%s", url, ca_file ? " with homeserver.ca_file " : "",
                     ca_file ? ca_file : "");
            SSL_CTX_free(c->tls);
            free(c);
            return -1;
        }
        SSL_CTX_set_verify(c->tls, SSL_VERIFY_PEER, NULL);
    }
    if (snprintf(c->auth, sizeof(c->auth), "Bearer %s", as_token) >= (int)sizeof(c->auth)) {
        free(c);
        snprintf(err, errlen, "as_token too long");
        return -1;
    }
    c->conn = open_conn(c);
    c->timer = evtimer_new(base, on_timer, c);
    if (!c->conn || !c->timer) {
        if (c->conn)
            evhttp_connection_free(c->conn);
        if (c->timer)
            event_free(c->timer);
        SSL_CTX_free(c->tls);
        ut_wipe(c->auth, sizeof(c->auth));
        free(c);
        snprintf(err, errlen, "cannot create a connection to %s", url);
        return -1;
    }
    *out = c;
    return 0;
}

void as_client_set_log(as_client *c, host_log_fn fn, void *ctx)
{
    c->log = fn;
    c->log_ctx = ctx;
}

void as_client_free(as_client *c)
{
    if (!c)
        return;
    /* Freeing the connection frees its requests without calling back. */
    if (c->conn)
        evhttp_connection_free(c->conn);
    while (c->calls) {
        if (c->calls->drop)
            c->calls->drop(c->calls->arg);
        call_free(c->calls);
    }
    if (c->timer)
        event_free(c->timer);
    SSL_CTX_free(c->tls);
    ut_wipe(c->auth, sizeof(c->auth));
    free(c);
}
