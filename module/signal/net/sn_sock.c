/* sn_sock.c - a self-healing Signal websocket over h2 (RFC 8441) or h1. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "sn_err.h"
#include "sn_gate.h"
#include "sn_h1ws.h"
#include "sn_h2.h"
#include "sn_sock.h"
#include "sn_ws.h"

enum { PH_TLS, PH_H2, PH_H1_UPGRADE, PH_OPEN };

/* One connection attempt. Discarded connections are reaped from a
 * zero-timeout event, never inside their own callbacks. */
typedef struct conn {
    sn_sock *s;            /* NULL once discarded */
    int phase;
    struct bufferevent *bev; /* TLS bev until handed to h2; h1 carrier */
    sn_h2 *h2;
    sn_h2_stream *st;
    sn_ws *ws;
    char key[32];
    int close_code;
    int http_status;       /* answer to the RFC 8441 CONNECT */
} conn;

/* The longest wait a Retry-After can impose on a reconnect: the server's
 * word, but never a day offline for one odd value. */
#define RETRY_AFTER_CAP_MS (3600u * 1000u)

struct sn_sock {
    struct event_base *base;
    sn_sock_config cfg;
    char *host, *path, *ka_path, authority[300];
    sn_hdrs hdrs;
    sn_sock_callbacks cbs;
    void *ud;
    sn_rpc *rpc;
    sn_backoff bo;
    conn *c;
    sn_gate_wait gw;        /* our place at cfg.gate (queued or holding) */
    struct event *t_connect, *t_retry, *t_ka, *t_grant;
    sn_sock_state state;
    int running, force_h1, ka_out, transport;
    unsigned connections;
    int depth, freeing;
    uint32_t retry_after_ms;   /* from a refused handshake; 0 = none */
    int has_retry_after;
};

static void destroy(sn_sock *s);
static void connect_now(sn_sock *s);
static void attempt(sn_sock *s);

static void enter(sn_sock *s)
{
    s->depth++;
}

static void leave(sn_sock *s)
{
    if (--s->depth == 0 && s->freeing)
        destroy(s);
}

static void set_state(sn_sock *s, sn_sock_state st, int err, int code)
{
    s->state = st;
    ut_logf(s->cfg.log, UT_LOG_INFO, "sn_sock %s: state %d err %d (%s) close %d",
            s->path, (int)st, err, sn_strerror(err), code);
    if (s->cbs.on_state && !s->freeing)
        s->cbs.on_state(s, st, err, code, s->ud);
}

static void ms_tv(struct timeval *tv, uint32_t ms)
{
    tv->tv_sec = ms / 1000;
    tv->tv_usec = (ms % 1000) * 1000;
}

/* ---- connection teardown -------------------------------------------------- */

static void reap_cb(evutil_socket_t fd, short what, void *arg)
{
    conn *c = arg;

    (void)fd;
    (void)what;
    if (c->st)
        sn_h2_stream_close(c->st);
    sn_h2_free(c->h2);
    sn_ws_free(c->ws);
    if (c->bev)
        bufferevent_free(c->bev);
    free(c);
}

/* Give back our slot at the gate (or our place in its queue); the next in
 * line is woken from the loop, not from inside this call. */
static void gate_release(sn_sock *s)
{
    sn_gate_pass(s->cfg.gate, &s->gw);
}

/* sn_gate's wake hook: our turn came; start from the loop (grant_cb). */
static void gate_wake(sn_gate_wait *w)
{
    event_active(((sn_sock *)w->ud)->t_grant, EV_TIMEOUT, 1);
}

static void discard(sn_sock *s)
{
    conn *c = s->c;
    struct timeval zero = {0, 0};

    gate_release(s);
    if (!c)
        return;
    s->c = NULL;
    c->s = NULL;
    if (c->bev) {
        bufferevent_disable(c->bev, EV_READ | EV_WRITE);
        bufferevent_setcb(c->bev, NULL, NULL, NULL, NULL);
    }
    if (event_base_once(s->base, -1, EV_TIMEOUT, reap_cb, c, &zero) != 0)
        ut_logf(s->cfg.log, UT_LOG_ERROR, "sn_sock: cannot schedule reaping");
    event_del(s->t_connect);
    event_del(s->t_ka);
    s->ka_out = 0;
    s->transport = SN_PROTO_NONE;
}

/* The status of a refused websocket handshake as an error: 401/403 are
 * rejected credentials; 499 is Signal-Server's RemoteDeprecationFilter
 * refusing this client (for a third-party client: its device lacks the
 * spqr capability; filters/RemoteDeprecationFilter.java). Neither gets
 * better by retrying. */
static int handshake_err(int status, int err)
{
    if (status == 401 || status == 403)
        return SN_ERR_UNAUTHORIZED;
    if (status == 499)
        return SN_ERR_DEPRECATED;
    return err;
}

/* A refused handshake's Retry-After (seconds): the next reconnect waits at
 * least that long. libsignal-net lets it take precedence over every other
 * reading of a refused chat handshake (rust/net/src/chat/error.rs
 * ConnectError::RetryLater); Signal-Server sends it with 429
 * (mappers/RateLimitExceededExceptionMapper). */
static void note_retry_after(sn_sock *s, const sn_hdrs *h)
{
    uint32_t ms;

    if (h && sn_retry_after_ms(sn_hdrs_get(h, "retry-after"), RETRY_AFTER_CAP_MS, &ms) == 0) {
        s->retry_after_ms = ms;
        s->has_retry_after = 1;
        ut_logf(s->cfg.log, UT_LOG_WARN, "sn_sock: the server asks to retry in %u s (Retry-After)",
                (unsigned)(ms / 1000));
    }
}

/* The connection is lost or refused: report and maybe schedule a retry. */
static void drop(sn_sock *s, int err, int code)
{
    struct timeval tv;
    uint32_t delay;

    discard(s);
    sn_rpc_detach(s->rpc, err);
    if (err == SN_ERR_UNAUTHORIZED || err == SN_ERR_REPLACED || err == SN_ERR_DEPRECATED) {
        s->running = 0;
        set_state(s, err == SN_ERR_REPLACED ? SN_SOCK_REPLACED : SN_SOCK_UNAUTHORIZED,
                  err, code);
        return;
    }
    set_state(s, SN_SOCK_DISCONNECTED, err, code);
    if (!s->running || s->freeing)
        return;
    if (s->cfg.no_reconnect) {
        s->running = 0;
        return;
    }
    delay = sn_backoff_next(&s->bo);
    if (s->has_retry_after && s->retry_after_ms > delay)
        delay = s->retry_after_ms;
    s->has_retry_after = 0;
    ut_logf(s->cfg.log, UT_LOG_INFO, "sn_sock: reconnect in %u ms", delay);
    ms_tv(&tv, delay);
    evtimer_add(s->t_retry, &tv);
}

/* ---- the websocket on top of a carrier ------------------------------------ */

static int carrier_write(void *ctx, const uint8_t *p, size_t n)
{
    conn *c = ctx;

    if (c->st)
        return sn_h2_stream_write(c->st, p, n);
    if (c->bev && bufferevent_write(c->bev, p, n) == 0)
        return 0;
    return SN_ERR_CLOSED;
}

static int rpc_send(void *ctx, const uint8_t *p, size_t n)
{
    conn *c = ctx;

    if (!c->ws)
        return SN_ERR_CLOSED;
    return sn_ws_send(c->ws, 1, p, n);
}

static void ws_message(sn_ws *ws, int binary, const uint8_t *p, size_t n, void *ud)
{
    conn *c = ud;
    int rc;

    (void)ws;
    if (!c->s || !binary)
        return;
    rc = sn_rpc_input(c->s->rpc, p, n);
    if (rc)
        ut_logf(c->s->cfg.log, UT_LOG_WARN, "sn_sock: bad message (%d bytes): %s",
                (int)n, sn_strerror(rc));
}

static void ws_close(sn_ws *ws, int code, void *ud)
{
    conn *c = ud;

    (void)ws;
    if (!c->s)
        return;
    c->close_code = code;
    drop(c->s, code == 3000 ? SN_ERR_UNAUTHORIZED
               : code == 4409 ? SN_ERR_REPLACED : SN_ERR_WS_CLOSED, code);
}

static const sn_ws_callbacks ws_cbs = {ws_message, ws_close};

static int open_ws(sn_sock *s, conn *c, int proto)
{
    int rc = sn_ws_new(&c->ws, SN_WS_CLIENT, s->cfg.max_message, carrier_write,
                       c, &ws_cbs, c);
    struct timeval tv;

    if (rc)
        return rc;
    c->phase = PH_OPEN;
    event_del(s->t_connect);
    gate_release(s); /* the handshakes are over: let the next one in */
    s->transport = proto;
    s->connections++;
    sn_backoff_reset(&s->bo);
    sn_rpc_attach(s->rpc, rpc_send, c);
    if (s->cfg.keepalive_ms != UINT32_MAX) {
        ms_tv(&tv, s->cfg.keepalive_ms);
        evtimer_add(s->t_ka, &tv);
    }
    set_state(s, SN_SOCK_CONNECTED, 0, 0);
    return 0;
}

/* Feed carrier bytes to the websocket; a protocol error drops the socket. */
static void feed(sn_sock *s, conn *c, const uint8_t *p, size_t n)
{
    int rc = sn_ws_feed(c->ws, p, n);

    if (rc && c->s)
        drop(s, rc, 0);
}

/* ---- RFC 8441 carrier ------------------------------------------------------ */

static void st_open(sn_h2_stream *st, int status, void *ud)
{
    conn *c = ud;
    sn_sock *s = c->s;
    int rc;

    c->http_status = status;
    if (s && status != 200)
        note_retry_after(s, sn_h2_stream_headers(st));
    if (!s || status != 200)
        return; /* st_close follows with SN_ERR_HTTP_STATUS */
    enter(s);
    if ((rc = open_ws(s, c, SN_PROTO_H2)) != 0)
        drop(s, rc, 0);
    leave(s);
}

static void st_data(sn_h2_stream *st, const uint8_t *p, size_t n, void *ud)
{
    conn *c = ud;

    (void)st;
    if (!c->s || !c->ws)
        return;
    enter(c->s);
    {
        sn_sock *s = c->s;
        feed(s, c, p, n);
        leave(s);
    }
}

static void st_close(sn_h2_stream *st, int err, void *ud)
{
    conn *c = ud;
    sn_sock *s = c->s;

    (void)st;
    c->st = NULL;
    if (!s)
        return;
    if (err == SN_ERR_HTTP_STATUS)
        err = handshake_err(c->http_status, err);
    enter(s);
    drop(s, err ? err : SN_ERR_CLOSED, 0);
    leave(s);
}

static const sn_h2_ws_callbacks st_cbs = {st_open, st_data, st_close};

static void h2_ready(sn_h2 *h2, void *ud)
{
    conn *c = ud;
    sn_sock *s = c->s;
    int rc;

    if (!s)
        return;
    enter(s);
    if (!sn_h2_can_websocket(h2)) {
        if (s->cfg.transport == SN_WS_AUTO) {
            /* h2 without extended CONNECT: retry at once over HTTP/1.1 */
            ut_logf(s->cfg.log, UT_LOG_INFO, "sn_sock: no RFC 8441, using HTTP/1.1");
            s->force_h1 = 1;
            discard(s);
            connect_now(s);
        } else {
            drop(s, SN_ERR_NO_CONNECT_PROTO, 0);
        }
        leave(s);
        return;
    }
    rc = sn_h2_ws_open(h2, s->path, s->hdrs.v, s->hdrs.n, &st_cbs, c, &c->st);
    if (rc)
        drop(s, rc, 0);
    leave(s);
}

static void h2_closed(sn_h2 *h2, int err, void *ud)
{
    conn *c = ud;
    sn_sock *s = c->s;

    (void)h2;
    if (!s)
        return;
    enter(s);
    drop(s, err, 0);
    leave(s);
}

static const sn_h2_callbacks h2_cbs = {h2_ready, h2_closed};

/* ---- HTTP/1.1 Upgrade carrier ---------------------------------------------- */

static void h1_read(struct bufferevent *bev, void *arg)
{
    conn *c = arg;
    sn_sock *s = c->s;
    struct evbuffer *in = bufferevent_get_input(bev);
    int status = 0, n;

    if (!s)
        return;
    enter(s);
    if (c->phase == PH_H1_UPGRADE) {
        size_t len = evbuffer_get_length(in);
        size_t look = len > SN_H1WS_MAX_HEAD ? SN_H1WS_MAX_HEAD : len;
        const uint8_t *p = evbuffer_pullup(in, (ev_ssize_t)look);
        sn_hdrs h;

        sn_hdrs_init(&h, 0);
        n = sn_h1ws_parse_response(p, look, c->key, &status, &h);
        if (n == SN_ERR_HTTP_STATUS)
            note_retry_after(s, &h);
        sn_hdrs_free(&h);
        if (n == 0)
            goto out;
        if (n < 0) {
            if (n == SN_ERR_HTTP_STATUS)
                n = handshake_err(status, n);
            ut_logf(s->cfg.log, UT_LOG_WARN, "sn_sock: upgrade failed, HTTP %d", status);
            drop(s, n, 0);
            goto out;
        }
        evbuffer_drain(in, (size_t)n);
        if ((n = open_ws(s, c, SN_PROTO_H1)) != 0) {
            drop(s, n, 0);
            goto out;
        }
    }
    while (c->s && c->ws && evbuffer_get_length(in) > 0) {
        struct evbuffer_iovec v[4];
        int k = evbuffer_peek(in, -1, NULL, v, 4), i;
        size_t used = 0;

        for (i = 0; i < k && i < 4 && c->s; i++) {
            feed(s, c, v[i].iov_base, v[i].iov_len);
            used += v[i].iov_len;
        }
        if (!c->s) /* dropped: the bev is already detached */
            break;
        evbuffer_drain(in, used);
    }
out:
    leave(s);
}

static void h1_upgrade(sn_sock *s, conn *c)
{
    ut_buf req;
    int rc;

    ut_buf_init(&req, 64 * 1024);
    rc = sn_h1ws_request(&req, s->authority, s->path, s->hdrs.v, s->hdrs.n, c->key);
    if (rc == 0 && bufferevent_write(c->bev, req.data, req.len) != 0)
        rc = SN_ERR_CLOSED;
    ut_buf_free(&req);
    if (rc) {
        drop(s, rc, 0);
        return;
    }
    c->phase = PH_H1_UPGRADE;
}

/* ---- TLS connect ------------------------------------------------------------- */

static void tls_event(struct bufferevent *bev, short events, void *arg)
{
    conn *c = arg;
    sn_sock *s = c->s;
    int proto, rc;

    if (!s)
        return;
    enter(s);
    if (!(events & BEV_EVENT_CONNECTED)) {
        rc = sn_tls_error(bev, events);
        if (c->phase == PH_TLS && rc == SN_ERR_CLOSED)
            rc = SN_ERR_CONNECT;
        else if (c->phase != PH_TLS && rc == SN_ERR_CONNECT)
            rc = SN_ERR_CLOSED; /* a reset after the handshake */
        drop(s, rc, 0);
        goto out;
    }
    if (c->phase != PH_TLS)
        goto out;
    proto = sn_tls_protocol(bev);
    if (proto == SN_PROTO_H2 && !s->force_h1 && s->cfg.transport != SN_WS_H1) {
        c->bev = NULL; /* sn_h2 owns it now */
        c->phase = PH_H2;
        rc = sn_h2_new_from_bev(&c->h2, s->base, bev, s->authority,
                                s->cfg.connect_timeout_ms, &h2_cbs, c);
        if (rc)
            drop(s, rc, 0);
    } else if (proto != SN_PROTO_H2 && s->cfg.transport != SN_WS_H2) {
        h1_upgrade(s, c);
    } else {
        drop(s, SN_ERR_ALPN, 0);
    }
out:
    leave(s);
}

/* A connection attempt, through the gate when there is one: at once while
 * fewer than its bound are in their handshakes, else when one of them ends
 * (grant_cb). Waiting in the queue is not CONNECTING yet: no timer runs, so
 * a long queue never times an attempt out. */
static void connect_now(sn_sock *s)
{
    if (s->cfg.gate && !sn_gate_acquire(s->cfg.gate, &s->gw))
        return;
    attempt(s);
}

static void attempt(sn_sock *s)
{
    conn *c;
    int alpn, rc;
    struct timeval tv;

    c = calloc(1, sizeof(*c));
    if (!c) {
        drop(s, UT_ERR_NOMEM, 0);
        return;
    }
    c->s = s;
    c->phase = PH_TLS;
    s->c = c;
    alpn = (s->force_h1 || s->cfg.transport == SN_WS_H1) ? SN_ALPN_H1
           : s->cfg.transport == SN_WS_H2 ? SN_ALPN_H2 : SN_ALPN_H2_H1;
    set_state(s, SN_SOCK_CONNECTING, 0, 0);
    if (s->c != c) /* the callback stopped us */
        return;
    rc = sn_tls_connect(s->cfg.tls, s->base, s->cfg.dns, s->host, s->cfg.port,
                        alpn, &c->bev);
    if (rc) {
        drop(s, rc, 0);
        return;
    }
    bufferevent_setcb(c->bev, h1_read, NULL, tls_event, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    ms_tv(&tv, s->cfg.connect_timeout_ms);
    evtimer_add(s->t_connect, &tv);
}

/* ---- timers ------------------------------------------------------------------ */

static void connect_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    sn_sock *s = arg;

    (void)fd;
    (void)what;
    enter(s);
    if (s->c && s->c->phase != PH_OPEN)
        drop(s, SN_ERR_TIMEOUT, 0);
    leave(s);
}

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
    sn_sock *s = arg;

    (void)fd;
    (void)what;
    enter(s);
    if (s->running && !s->c)
        connect_now(s);
    leave(s);
}

static void grant_cb(evutil_socket_t fd, short what, void *arg)
{
    sn_sock *s = arg;

    (void)fd;
    (void)what;
    enter(s);
    if (s->gw.state == SN_GATE_HELD) {
        if (s->running && !s->c && !s->freeing)
            attempt(s);
        else
            gate_release(s); /* stopped meanwhile: pass the slot on */
    }
    leave(s);
}

static void ka_done(int rc, const sn_rpc_response *resp, void *ud)
{
    sn_sock *s = ud;

    s->ka_out = 0;
    if (rc == SN_ERR_TIMEOUT && s->c) {
        ut_logf(s->cfg.log, UT_LOG_WARN, "sn_sock: keepalive timed out");
        enter(s);
        drop(s, SN_ERR_KEEPALIVE, 0);
        leave(s);
    } else if (rc == 0 && resp->status != 200) {
        ut_logf(s->cfg.log, UT_LOG_WARN, "sn_sock: keepalive status %u", resp->status);
    }
}

static void ka_cb(evutil_socket_t fd, short what, void *arg)
{
    sn_sock *s = arg;
    struct timeval tv;
    int rc;

    (void)fd;
    (void)what;
    enter(s);
    if (s->c && s->c->phase == PH_OPEN) {
        if (!s->ka_out) {
            rc = sn_rpc_request(s->rpc, "GET", s->ka_path, NULL, 0, NULL, 0,
                                s->cfg.keepalive_timeout_ms, ka_done, s, NULL);
            if (rc == 0)
                s->ka_out = 1;
            else
                drop(s, rc, 0);
        }
        if (s->c) {
            ms_tv(&tv, s->cfg.keepalive_ms);
            evtimer_add(s->t_ka, &tv);
        }
    }
    leave(s);
}

/* ---- public ------------------------------------------------------------------- */

static void rpc_request(sn_rpc *rpc, sn_rpc_srvreq *req, const sn_rpc_incoming *in,
                        void *ud)
{
    sn_sock *s = ud;

    if (s->cbs.on_request && !s->freeing)
        s->cbs.on_request(s, req, in, s->ud);
    else
        sn_rpc_release(rpc, req);
}

int sn_sock_new(sn_sock **out, struct event_base *base, const sn_sock_config *cfg,
                const sn_sock_callbacks *cbs, void *ud)
{
    sn_sock *s;
    size_t i;
    int rc = 0;

    if (!out || !base || !cfg || !cfg->host || !cfg->port || !cfg->path ||
        !cfg->tls || (!cfg->headers && cfg->n_headers) || strlen(cfg->host) > 255)
        return UT_ERR_INVAL;
    *out = NULL;
    s = calloc(1, sizeof(*s));
    if (!s)
        return UT_ERR_NOMEM;
    s->base = base;
    s->cfg = *cfg;
    if (cbs)
        s->cbs = *cbs;
    s->ud = ud;
    if (!s->cfg.connect_timeout_ms)
        s->cfg.connect_timeout_ms = 15000;
    if (!s->cfg.keepalive_ms)
        s->cfg.keepalive_ms = 30000;
    if (!s->cfg.keepalive_timeout_ms)
        s->cfg.keepalive_timeout_ms = 10000;
    sn_backoff_init(&s->bo, cfg->backoff_base_ms, cfg->backoff_max_ms,
                    cfg->backoff_jitter_pct ? cfg->backoff_jitter_pct : 100);
    sn_gate_wait_init(&s->gw, gate_wake, s);
    sn_hdrs_init(&s->hdrs, 0);
    snprintf(s->authority, sizeof(s->authority),
             strchr(cfg->host, ':') ? "[%s]:%u" : "%s:%u", cfg->host, (unsigned)cfg->port);
    s->host = strdup(cfg->host);
    s->path = strdup(cfg->path);
    s->ka_path = strdup(cfg->keepalive_path ? cfg->keepalive_path : "/v1/keepalive");
    s->t_connect = evtimer_new(base, connect_timeout_cb, s);
    s->t_retry = evtimer_new(base, retry_cb, s);
    s->t_ka = evtimer_new(base, ka_cb, s);
    s->t_grant = evtimer_new(base, grant_cb, s);
    if (!s->host || !s->path || !s->ka_path || !s->t_connect || !s->t_retry || !s->t_ka ||
        !s->t_grant) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    for (i = 0; i < cfg->n_headers && rc == 0; i++) {
        if (!cfg->headers[i].name || !cfg->headers[i].value)
            rc = SN_ERR_HEADER;
        else
            rc = sn_hdrs_add(&s->hdrs, cfg->headers[i].name, strlen(cfg->headers[i].name),
                             cfg->headers[i].value, strlen(cfg->headers[i].value));
    }
    if (rc)
        goto out;
    rc = sn_rpc_new(&s->rpc, base, rpc_request, s);
out:
    if (rc) {
        destroy(s);
        return rc;
    }
    *out = s;
    return 0;
}

int sn_sock_start(sn_sock *s)
{
    if (!s)
        return UT_ERR_INVAL;
    if (s->running || s->freeing)
        return SN_ERR_STATE;
    s->running = 1;
    s->force_h1 = 0;
    s->has_retry_after = 0;
    sn_backoff_reset(&s->bo);
    enter(s);
    connect_now(s);
    leave(s);
    return 0;
}

void sn_sock_stop(sn_sock *s)
{
    int was;

    if (!s)
        return;
    enter(s);
    was = s->running || s->c;
    s->running = 0;
    event_del(s->t_retry);
    if (s->c && s->c->ws)
        (void)sn_ws_close(s->c->ws, 1000);
    discard(s);
    sn_rpc_detach(s->rpc, SN_ERR_CLOSED);
    if (was)
        set_state(s, SN_SOCK_STOPPED, 0, 0);
    leave(s);
}

static void destroy(sn_sock *s)
{
    discard(s);
    sn_rpc_free(s->rpc);
    if (s->t_connect)
        event_free(s->t_connect);
    if (s->t_retry)
        event_free(s->t_retry);
    if (s->t_ka)
        event_free(s->t_ka);
    if (s->t_grant)
        event_free(s->t_grant);
    sn_hdrs_free(&s->hdrs);
    free(s->host);
    free(s->path);
    free(s->ka_path);
    free(s);
}

void sn_sock_free(sn_sock *s)
{
    if (!s || s->freeing)
        return;
    s->running = 0;
    s->freeing = 1;
    if (s->depth == 0)
        destroy(s);
}

int sn_sock_request(sn_sock *s, const char *verb, const char *path,
                    const sn_hdr *headers, size_t n_headers, const uint8_t *body,
                    size_t body_len, uint32_t timeout_ms, sn_rpc_response_cb cb,
                    void *ud)
{
    int rc;

    if (!s)
        return UT_ERR_INVAL;
    if (!s->c || s->c->phase != PH_OPEN || s->freeing)
        return SN_ERR_STATE;
    enter(s);
    rc = sn_rpc_request(s->rpc, verb, path, headers, n_headers, body, body_len,
                        timeout_ms, cb, ud, NULL);
    leave(s);
    return rc;
}

int sn_sock_respond(sn_sock *s, sn_rpc_srvreq *req, uint32_t status)
{
    int rc;

    if (!s || !req)
        return UT_ERR_INVAL;
    enter(s);
    rc = sn_rpc_respond(s->rpc, req, status);
    leave(s);
    return rc;
}

void sn_sock_release(sn_sock *s, sn_rpc_srvreq *req)
{
    if (s)
        sn_rpc_release(s->rpc, req);
}

sn_sock_state sn_sock_get_state(const sn_sock *s)
{
    return s ? s->state : SN_SOCK_STOPPED;
}

int sn_sock_transport(const sn_sock *s)
{
    return s ? s->transport : SN_PROTO_NONE;
}

unsigned sn_sock_connections(const sn_sock *s)
{
    return s ? s->connections : 0;
}
