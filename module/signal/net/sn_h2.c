/* sn_h2.c - nghttp2 client session on a libevent TLS bufferevent. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <nghttp2/nghttp2.h>

#include "sn_agent.h"
#include "sn_err.h"
#include "sn_gate.h"
#include "sn_h2.h"
#include "ut.h"

#define SN_H2_OUT_HIGH (4u << 20)  /* stop feeding nghttp2 above this backlog */
#define SN_H2_WINDOW (4 << 20)

enum { ST_REQ, ST_WS };

struct sn_h2_stream {
    sn_h2 *h2;
    sn_h2_stream *next;
    int32_t id;
    int kind;
    int err;              /* error to report when the stream closes */
    /* request */
    int done;             /* callback delivered */
    uint8_t *body;
    size_t body_len, body_off;
    sn_http_cb cb;
    void *ud;
    struct event *timer;
    int status;
    sn_hdrs hdrs, trailers;
    ut_buf resp;
    sn_http_body_read_fn body_read;
    sn_http_body_fn on_body;
    size_t resp_total, resp_max;
    /* websocket */
    int detached;         /* owner closed it: no more callbacks */
    struct evbuffer *out;
    int out_eof;
    sn_h2_ws_callbacks wcb;
    void *wud;
};

struct sn_h2 {
    struct event_base *base;
    struct bufferevent *bev;
    nghttp2_session *ng;
    char authority[300];
    sn_h2_callbacks cbs;
    void *ud;
    struct event *timer;   /* connect + SETTINGS deadline */
    struct event *kick;    /* first read of bytes already buffered */
    sn_h2_stream *streams;
    int connected, ready, dead, freeing, depth;
    /* an outstanding PING */
    struct event *ping_timer;
    sn_h2_ping_cb ping_cb;
    void *ping_ud;
    /* a connection through a gate (sn_h2_connect_gated): until its turn
     * there is no bufferevent; the TLS connection starts at grant_cb */
    sn_gate *gate;
    sn_gate_wait gw;
    struct event *t_grant;
    uint32_t timeout_ms;
    sn_tls *tls;
    struct evdns_base *dns;
    char host[256];
    uint16_t port;
};

static void destroy(sn_h2 *h);

/* Report the outstanding PING's outcome, once. */
static void ping_done(sn_h2 *h, int rc)
{
    sn_h2_ping_cb cb = h->ping_cb;

    if (!cb)
        return;
    h->ping_cb = NULL;
    if (h->ping_timer)
        event_del(h->ping_timer);
    cb(h, rc, h->ping_ud);
}

static void stream_free(sn_h2_stream *st)
{
    if (st->timer)
        event_free(st->timer);
    free(st->body);
    sn_hdrs_free(&st->hdrs);
    sn_hdrs_free(&st->trailers);
    ut_buf_free(&st->resp);
    if (st->out)
        evbuffer_free(st->out);
    free(st);
}

static void stream_unlink(sn_h2 *h, sn_h2_stream *st)
{
    sn_h2_stream **pp;

    for (pp = &h->streams; *pp; pp = &(*pp)->next)
        if (*pp == st) {
            *pp = st->next;
            return;
        }
}

/* Deliver a request's result exactly once. */
static void complete(sn_h2_stream *st, int rc)
{
    sn_http_resp r;
    sn_http_cb cb = st->cb;

    if (st->done)
        return;
    st->done = 1;
    st->cb = NULL;
    if (st->timer)
        event_del(st->timer);
    if (!cb)
        return;
    if (rc) {
        cb(rc, NULL, st->ud);
        return;
    }
    r.status = st->status;
    r.headers = &st->hdrs;
    r.trailers = &st->trailers;
    r.body = st->resp.data;
    r.body_len = st->on_body ? st->resp_total : st->resp.len;
    cb(0, &r, st->ud);
}

static void ws_closed(sn_h2_stream *st, int err)
{
    if (st->detached)
        return;
    st->detached = 1;
    if (st->wcb.on_close)
        st->wcb.on_close(st, err, st->wud);
}

/* The connection is unusable: complete everything once with `err`. */
static void fail_all(sn_h2 *h, int err)
{
    sn_h2_stream *st;

    if (h->dead)
        return;
    h->dead = 1;
    sn_gate_pass(h->gate, &h->gw); /* a failed attempt frees its slot */
    if (h->timer)
        event_del(h->timer);
    if (h->bev)
        bufferevent_disable(h->bev, EV_READ | EV_WRITE);
    for (st = h->streams; st; st = st->next) {
        if (st->kind == ST_REQ)
            complete(st, err);
        else
            ws_closed(st, err);
    }
    ping_done(h, err);
    if (h->cbs.on_close && !h->freeing)
        h->cbs.on_close(h, err, h->ud);
}

static void flush(sn_h2 *h)
{
    int rv;

    if (h->dead || !h->connected)
        return;
    rv = nghttp2_session_send(h->ng);
    if (rv < 0) {
        fail_all(h, SN_ERR_H2);
        return;
    }
    if (!nghttp2_session_want_read(h->ng) && !nghttp2_session_want_write(h->ng))
        fail_all(h, SN_ERR_CLOSED); /* GOAWAY exchanged, nothing left */
}

static void enter(sn_h2 *h)
{
    h->depth++;
}

/* Leave an entry point: send what callbacks queued, then free if asked. */
static void leave(sn_h2 *h)
{
    if (h->depth == 1 && !h->freeing)
        flush(h);
    if (--h->depth == 0 && h->freeing)
        destroy(h);
}

/* ---- nghttp2 callbacks --------------------------------------------------- */

static ssize_t send_cb(nghttp2_session *s, const uint8_t *data, size_t len,
                       int flags, void *user_data)
{
    sn_h2 *h = user_data;

    (void)s;
    (void)flags;
    if (h->dead)
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    if (!h->bev)
        return NGHTTP2_ERR_WOULDBLOCK; /* waiting at the gate: sent at start_tls */
    if (evbuffer_get_length(bufferevent_get_output(h->bev)) > SN_H2_OUT_HIGH)
        return NGHTTP2_ERR_WOULDBLOCK; /* resumed from the write callback */
    if (bufferevent_write(h->bev, data, len) != 0)
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    return (ssize_t)len;
}

static int header_cb(nghttp2_session *s, const nghttp2_frame *frame,
                     const uint8_t *name, size_t namelen, const uint8_t *value,
                     size_t valuelen, uint8_t flags, void *user_data)
{
    sn_h2_stream *st;
    int rc;

    (void)flags;
    (void)user_data;
    if (frame->hd.type != NGHTTP2_HEADERS)
        return 0;
    st = nghttp2_session_get_stream_user_data(s, frame->hd.stream_id);
    if (!st)
        return 0;
    if (frame->headers.cat == NGHTTP2_HCAT_RESPONSE) {
        if (namelen == 7 && memcmp(name, ":status", 7) == 0) {
            int v = 0;
            size_t i;
            for (i = 0; i < valuelen && i < 3; i++) {
                if (value[i] < '0' || value[i] > '9')
                    break;
                v = v * 10 + (value[i] - '0');
            }
            st->status = (valuelen == 3 && i == 3) ? v : 0;
            return 0;
        }
        if (namelen && name[0] == ':')
            return 0;
        rc = sn_hdrs_add(&st->hdrs, (const char *)name, namelen,
                         (const char *)value, valuelen);
    } else if (frame->headers.cat == NGHTTP2_HCAT_HEADERS) {
        rc = sn_hdrs_add(&st->trailers, (const char *)name, namelen,
                         (const char *)value, valuelen);
    } else {
        return 0;
    }
    if (rc) {
        st->err = rc == SN_ERR_TOO_BIG ? SN_ERR_TOO_BIG : SN_ERR_H2;
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* resets the stream */
    }
    return 0;
}

static int frame_recv_cb(nghttp2_session *s, const nghttp2_frame *frame,
                         void *user_data)
{
    sn_h2 *h = user_data;
    sn_h2_stream *st;

    if (frame->hd.type == NGHTTP2_SETTINGS && !(frame->hd.flags & NGHTTP2_FLAG_ACK)) {
        if (!h->ready) {
            h->ready = 1;
            /* the server's SETTINGS: its side of the handshake is over
             * too (TLS 1.3 ends there half a round trip after ours) */
            sn_gate_pass(h->gate, &h->gw);
            if (h->timer)
                event_del(h->timer);
            if (h->cbs.on_ready)
                h->cbs.on_ready(h, h->ud);
        }
        return 0;
    }
    if (frame->hd.type == NGHTTP2_PING && (frame->hd.flags & NGHTTP2_FLAG_ACK)) {
        ping_done(h, 0);
        return 0;
    }
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_RESPONSE)
        return 0;
    st = nghttp2_session_get_stream_user_data(s, frame->hd.stream_id);
    if (!st || st->kind != ST_WS || st->detached)
        return 0;
    if (st->status != 200) {
        /* RFC 8441 §5: only 2xx opens the tunnel */
        st->err = SN_ERR_HTTP_STATUS;
        nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_CANCEL);
    }
    if (st->wcb.on_open)
        st->wcb.on_open(st, st->status, st->wud);
    return 0;
}

static int data_cb(nghttp2_session *s, uint8_t flags, int32_t stream_id,
                   const uint8_t *data, size_t len, void *user_data)
{
    sn_h2_stream *st = nghttp2_session_get_stream_user_data(s, stream_id);

    (void)flags;
    (void)user_data;
    if (!st)
        return 0;
    if (st->kind == ST_WS) {
        if (!st->detached && st->status == 200 && st->wcb.on_data)
            st->wcb.on_data(st, data, len, st->wud);
        return 0;
    }
    if (st->done || st->err)
        return 0;
    if (st->on_body) {
        int rc = len > st->resp_max - st->resp_total ? SN_ERR_TOO_BIG : 0;
        if (rc == 0) {
            st->resp_total += len;
            rc = st->on_body(data, len, st->ud);
        }
        if (rc) {
            st->err = rc;
            nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL);
        }
        return 0;
    }
    if (ut_buf_append(&st->resp, data, len) != 0) {
        st->err = SN_ERR_TOO_BIG;
        nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL);
    }
    return 0;
}

static int stream_close_cb(nghttp2_session *s, int32_t stream_id,
                           uint32_t error_code, void *user_data)
{
    sn_h2 *h = user_data;
    sn_h2_stream *st = nghttp2_session_get_stream_user_data(s, stream_id);
    int rc;

    if (!st)
        return 0;
    nghttp2_session_set_stream_user_data(s, stream_id, NULL);
    rc = st->err ? st->err : error_code ? SN_ERR_H2 : 0;
    if (st->kind == ST_REQ) {
        if (rc == 0 && st->status < 200)
            rc = SN_ERR_H2; /* ended without a final response */
        complete(st, rc);
    } else {
        ws_closed(st, rc);
    }
    stream_unlink(h, st);
    stream_free(st);
    return 0;
}

static ssize_t body_read_cb(nghttp2_session *s, int32_t stream_id, uint8_t *buf,
                            size_t length, uint32_t *data_flags,
                            nghttp2_data_source *source, void *user_data)
{
    sn_h2_stream *st = source->ptr;
    size_t n;

    (void)s;
    (void)stream_id;
    (void)user_data;
    if (st->kind == ST_REQ && st->body_read) {
        int eof = 0;
        long got = st->body_read(buf, length, &eof, st->ud);
        if (got < 0 || (size_t)got > length) {
            st->err = got < 0 ? (int)got : UT_ERR_RANGE;
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* resets the stream */
        }
        if (eof)
            *data_flags |= NGHTTP2_DATA_FLAG_EOF;
        return got;
    }
    if (st->kind == ST_REQ) {
        n = st->body_len - st->body_off;
        if (n > length)
            n = length;
        if (n)
            memcpy(buf, st->body + st->body_off, n);
        st->body_off += n;
        if (st->body_off == st->body_len)
            *data_flags |= NGHTTP2_DATA_FLAG_EOF;
        return (ssize_t)n;
    }
    n = evbuffer_get_length(st->out);
    if (n == 0) {
        if (st->out_eof) {
            *data_flags |= NGHTTP2_DATA_FLAG_EOF;
            return 0;
        }
        return NGHTTP2_ERR_DEFERRED; /* resumed by sn_h2_stream_write */
    }
    return evbuffer_remove(st->out, buf, length);
}

/* ---- libevent callbacks --------------------------------------------------- */

static void read_cb(struct bufferevent *bev, void *arg)
{
    sn_h2 *h = arg;
    struct evbuffer *in = bufferevent_get_input(bev);

    enter(h);
    while (!h->dead && !h->freeing && evbuffer_get_length(in) > 0) {
        struct evbuffer_iovec v[8];
        int k = evbuffer_peek(in, -1, NULL, v, 8), i;
        size_t used = 0;

        for (i = 0; i < k && i < 8 && !h->dead && !h->freeing; i++) {
            ssize_t rv = nghttp2_session_mem_recv(h->ng, v[i].iov_base, v[i].iov_len);
            if (rv < 0) {
                fail_all(h, SN_ERR_H2);
                break;
            }
            used += v[i].iov_len;
        }
        evbuffer_drain(in, used);
        if (used == 0)
            break;
    }
    leave(h);
}

static void write_cb(struct bufferevent *bev, void *arg)
{
    sn_h2 *h = arg;

    (void)bev;
    enter(h); /* leave() sends what was held back */
    leave(h);
}

static void event_cb(struct bufferevent *bev, short events, void *arg)
{
    sn_h2 *h = arg;

    enter(h);
    if (!(events & BEV_EVENT_CONNECTED))
        sn_gate_pass(h->gate, &h->gw); /* the attempt failed */
    if (events & BEV_EVENT_CONNECTED) {
        if (sn_tls_protocol(bev) != SN_PROTO_H2)
            fail_all(h, SN_ERR_ALPN);
        else
            h->connected = 1;
    } else if (events & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
        int err = sn_tls_error(bev, events);
        if (!h->connected && err == SN_ERR_CLOSED)
            err = SN_ERR_CONNECT;
        else if (h->connected && err == SN_ERR_CONNECT)
            err = SN_ERR_CLOSED; /* a reset after the handshake */
        fail_all(h, err);
    }
    leave(h);
}

static void kick_cb(evutil_socket_t fd, short what, void *arg)
{
    sn_h2 *h = arg;

    (void)fd;
    (void)what;
    read_cb(h->bev, h);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    sn_h2 *h = arg;

    (void)fd;
    (void)what;
    enter(h);
    if (!h->ready)
        fail_all(h, SN_ERR_TIMEOUT);
    leave(h);
}

static void ping_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    sn_h2 *h = arg;

    (void)fd;
    (void)what;
    enter(h);
    ping_done(h, SN_ERR_TIMEOUT);
    fail_all(h, SN_ERR_TIMEOUT); /* unanswered: treat the connection as dead */
    leave(h);
}

static void req_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    sn_h2_stream *st = arg;
    sn_h2 *h = st->h2;

    (void)fd;
    (void)what;
    enter(h);
    if (!h->dead)
        nghttp2_submit_rst_stream(h->ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_CANCEL);
    complete(st, SN_ERR_TIMEOUT);
    leave(h);
}

/* ---- construction ------------------------------------------------------- */

static int setup(sn_h2 *h, uint32_t timeout_ms)
{
    nghttp2_session_callbacks *cb;
    nghttp2_settings_entry iv[2] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, SN_H2_WINDOW},
    };
    struct timeval tv;
    int rv;

    if (nghttp2_session_callbacks_new(&cb) != 0)
        return UT_ERR_NOMEM;
    nghttp2_session_callbacks_set_send_callback(cb, send_cb);
    nghttp2_session_callbacks_set_on_header_callback(cb, header_cb);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, frame_recv_cb);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, data_cb);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, stream_close_cb);
    rv = nghttp2_session_client_new(&h->ng, cb, h);
    nghttp2_session_callbacks_del(cb);
    if (rv)
        return UT_ERR_NOMEM;
    if (nghttp2_submit_settings(h->ng, NGHTTP2_FLAG_NONE, iv, 2) != 0 ||
        nghttp2_session_set_local_window_size(h->ng, NGHTTP2_FLAG_NONE, 0, SN_H2_WINDOW) != 0)
        return UT_ERR_NOMEM;
    h->timer = evtimer_new(h->base, timer_cb, h);
    if (!h->timer)
        return UT_ERR_NOMEM;
    h->timeout_ms = timeout_ms;
    if (!h->bev)
        return 0; /* at the gate: the deadline starts with the connection */
    tv.tv_sec = timeout_ms / 1000;
    tv.tv_usec = (timeout_ms % 1000) * 1000;
    evtimer_add(h->timer, &tv);
    bufferevent_setcb(h->bev, read_cb, write_cb, event_cb, h);
    bufferevent_enable(h->bev, EV_READ | EV_WRITE);
    return 0;
}

static int make(sn_h2 **out, struct event_base *base, struct bufferevent *bev,
                const char *authority, uint32_t timeout_ms, int connected,
                const sn_h2_callbacks *cbs, void *ud)
{
    sn_h2 *h;
    int rc;

    h = calloc(1, sizeof(*h));
    if (!h) {
        bufferevent_free(bev);
        return UT_ERR_NOMEM;
    }
    h->base = base;
    h->bev = bev;
    h->connected = connected;
    if (cbs)
        h->cbs = *cbs;
    h->ud = ud;
    snprintf(h->authority, sizeof(h->authority), "%s", authority);
    rc = setup(h, timeout_ms ? timeout_ms : 15000);
    if (rc) {
        h->freeing = 1;
        destroy(h);
        return rc;
    }
    *out = h;
    if (connected) {
        struct timeval zero = {0, 0};
        /* the server's SETTINGS may already sit in the input buffer, and
         * the bufferevent only calls us for new bytes: read them from the
         * loop (never inside this constructor) */
        h->kick = evtimer_new(base, kick_cb, h);
        if (!h->kick) {
            sn_h2_free(h);
            *out = NULL;
            return UT_ERR_NOMEM;
        }
        evtimer_add(h->kick, &zero);
        enter(h);
        leave(h); /* sends the preface now */
    }
    return 0;
}

int sn_h2_new_from_bev(sn_h2 **out, struct event_base *base,
                       struct bufferevent *bev, const char *authority,
                       uint32_t settings_timeout_ms, const sn_h2_callbacks *cbs,
                       void *ud)
{
    if (!out || !base || !bev || !authority || strlen(authority) >= 300) {
        if (bev)
            bufferevent_free(bev);
        return UT_ERR_INVAL;
    }
    *out = NULL;
    return make(out, base, bev, authority, settings_timeout_ms, 1, cbs, ud);
}

/* Our turn at the gate: connect now; what was submitted meanwhile goes
 * out once the bufferevent has it (flush at leave). */
static int start_tls(sn_h2 *h)
{
    struct timeval tv;
    int rc = sn_tls_connect(h->tls, h->base, h->dns, h->host, h->port, SN_ALPN_H2, &h->bev);

    if (rc)
        return rc;
    tv.tv_sec = h->timeout_ms / 1000;
    tv.tv_usec = (h->timeout_ms % 1000) * 1000;
    evtimer_add(h->timer, &tv);
    bufferevent_setcb(h->bev, read_cb, write_cb, event_cb, h);
    bufferevent_enable(h->bev, EV_READ | EV_WRITE);
    return 0;
}

static void grant_cb(evutil_socket_t fd, short what, void *arg)
{
    sn_h2 *h = arg;
    int rc;

    (void)fd;
    (void)what;
    enter(h);
    if (h->gw.state == SN_GATE_HELD && !h->bev) {
        if (h->dead || h->freeing)
            sn_gate_pass(h->gate, &h->gw);
        else if ((rc = start_tls(h)) != 0)
            fail_all(h, rc);
    }
    leave(h);
}

static void gate_wake(sn_gate_wait *w)
{
    event_active(((sn_h2 *)w->ud)->t_grant, EV_TIMEOUT, 1);
}

int sn_h2_connect_gated(sn_h2 **out, struct event_base *base, sn_tls *tls,
                        struct evdns_base *dns, const char *host, uint16_t port,
                        uint32_t connect_timeout_ms, sn_gate *gate,
                        const sn_h2_callbacks *cbs, void *ud)
{
    char auth[300];
    sn_h2 *h;
    int rc;

    if (!gate)
        return sn_h2_connect(out, base, tls, dns, host, port, connect_timeout_ms, cbs, ud);
    if (!out || !base || !tls || !host || strlen(host) > 255)
        return UT_ERR_INVAL;
    *out = NULL;
    snprintf(auth, sizeof(auth), strchr(host, ':') ? "[%s]:%u" : "%s:%u", host,
             (unsigned)port);
    if ((rc = make(&h, base, NULL, auth, connect_timeout_ms, 0, cbs, ud)) != 0)
        return rc;
    h->gate = gate;
    h->tls = tls;
    h->dns = dns;
    h->port = port;
    snprintf(h->host, sizeof(h->host), "%s", host);
    sn_gate_wait_init(&h->gw, gate_wake, h);
    if (!(h->t_grant = evtimer_new(base, grant_cb, h))) {
        sn_h2_free(h);
        return UT_ERR_NOMEM;
    }
    if (sn_gate_acquire(gate, &h->gw) && (rc = start_tls(h)) != 0) {
        sn_h2_free(h);
        return rc;
    }
    *out = h;
    return 0;
}

int sn_h2_connect(sn_h2 **out, struct event_base *base, sn_tls *tls,
                  struct evdns_base *dns, const char *host, uint16_t port,
                  uint32_t connect_timeout_ms, const sn_h2_callbacks *cbs,
                  void *ud)
{
    struct bufferevent *bev = NULL;
    char auth[300];
    int rc;

    if (!out || !host || strlen(host) > 255)
        return UT_ERR_INVAL;
    *out = NULL;
    snprintf(auth, sizeof(auth), strchr(host, ':') ? "[%s]:%u" : "%s:%u", host,
             (unsigned)port);
    rc = sn_tls_connect(tls, base, dns, host, port, SN_ALPN_H2, &bev);
    if (rc)
        return rc;
    return make(out, base, bev, auth, connect_timeout_ms, 0, cbs, ud);
}

static void destroy(sn_h2 *h)
{
    sn_h2_stream *st, *next;

    h->depth++; /* cancellation callbacks must not re-enter destroy */
    for (st = h->streams; st; st = st->next)
        if (st->kind == ST_REQ)
            complete(st, SN_ERR_CANCELLED);
    ping_done(h, SN_ERR_CANCELLED);
    h->depth--;
    sn_gate_pass(h->gate, &h->gw);
    if (h->t_grant)
        event_free(h->t_grant);
    for (st = h->streams; st; st = next) {
        next = st->next;
        stream_free(st);
    }
    if (h->ng)
        nghttp2_session_del(h->ng);
    if (h->bev)
        bufferevent_free(h->bev);
    if (h->timer)
        event_free(h->timer);
    if (h->kick)
        event_free(h->kick);
    if (h->ping_timer)
        event_free(h->ping_timer);
    free(h);
}

void sn_h2_free(sn_h2 *h)
{
    if (!h || h->freeing)
        return;
    h->freeing = 1;
    h->dead = 1;
    if (h->depth == 0) {
        destroy(h);
        return;
    }
    /* Freed from a callback: the memory goes when it returns, but the other
     * requests end now. Their owners may be gone by then (a pool shared by
     * many requests is freed with its client), and frames already read in
     * this pass would otherwise still reach them. */
    for (sn_h2_stream *st = h->streams; st; st = st->next)
        if (st->kind == ST_REQ)
            complete(st, SN_ERR_CANCELLED);
    ping_done(h, SN_ERR_CANCELLED);
}

int sn_h2_is_ready(const sn_h2 *h)
{
    return h && h->ready && !h->dead;
}

int sn_h2_can_websocket(const sn_h2 *h)
{
    return h && h->ready &&
           nghttp2_session_get_remote_settings(h->ng, NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL) == 1;
}

int sn_h2_ping(sn_h2 *h, uint32_t timeout_ms, sn_h2_ping_cb cb, void *ud)
{
    struct timeval tv;

    if (!h || !cb)
        return UT_ERR_INVAL;
    if (h->dead || h->freeing)
        return SN_ERR_CLOSED;
    if (h->ping_cb)
        return SN_ERR_STATE;
    if (!h->ping_timer && !(h->ping_timer = evtimer_new(h->base, ping_timer_cb, h)))
        return UT_ERR_NOMEM;
    if (nghttp2_submit_ping(h->ng, NGHTTP2_FLAG_NONE, NULL) != 0)
        return SN_ERR_H2;
    enter(h);
    leave(h); /* send it now (or after the handshake) */
    if (h->dead)
        return SN_ERR_CLOSED; /* the send failed: no callback */
    if (!timeout_ms)
        timeout_ms = 10000;
    tv.tv_sec = timeout_ms / 1000;
    tv.tv_usec = (timeout_ms % 1000) * 1000;
    evtimer_add(h->ping_timer, &tv);
    h->ping_cb = cb;
    h->ping_ud = ud;
    return 0;
}

int sn_h2_can_request(const sn_h2 *h)
{
    return h && !h->dead && (!h->ng || nghttp2_session_check_request_allowed(h->ng));
}

unsigned sn_h2_open_streams(const sn_h2 *h)
{
    const sn_h2_stream *st;
    unsigned n = 0;

    for (st = h ? h->streams : NULL; st; st = st->next)
        if (st->kind == ST_REQ ? !st->done : !st->detached)
            n++;
    return n;
}

/* ---- requests ------------------------------------------------------------- */

#define NV(n, v) {(uint8_t *)(n), (uint8_t *)(v), strlen(n), strlen(v), NGHTTP2_NV_FLAG_NONE}

static int check_headers(const sn_hdr *hd, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        const char *c;
        if (!hd[i].name || !hd[i].value || !hd[i].name[0] ||
            !nghttp2_check_header_name((const uint8_t *)hd[i].name, strlen(hd[i].name)) ||
            !nghttp2_check_header_value((const uint8_t *)hd[i].value, strlen(hd[i].value)))
            return SN_ERR_HEADER;
        for (c = hd[i].name; *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                return SN_ERR_HEADER;
    }
    return 0;
}

static sn_h2_stream *stream_new(sn_h2 *h, int kind)
{
    sn_h2_stream *st = calloc(1, sizeof(*st));

    if (!st)
        return NULL;
    st->h2 = h;
    st->kind = kind;
    sn_hdrs_init(&st->hdrs, 0);
    sn_hdrs_init(&st->trailers, 0);
    return st;
}

static int submit(sn_h2 *h, sn_h2_stream *st, const nghttp2_nv *fixed, size_t nf,
                  const sn_hdr *extra, size_t ne, int with_data)
{
    nghttp2_nv *nv;
    nghttp2_data_provider dp;
    size_t i;
    int32_t id;

    int has_ua = 0, has_sa = 0;
    size_t n;

    nv = calloc(nf + ne + 2, sizeof(*nv));
    if (!nv)
        return UT_ERR_NOMEM;
    memcpy(nv, fixed, nf * sizeof(*nv));
    for (i = 0; i < ne; i++) {
        nghttp2_nv x = NV(extra[i].name, extra[i].value);
        nv[nf + i] = x;
        has_ua |= !strcmp(extra[i].name, "user-agent");
        has_sa |= !strcmp(extra[i].name, "x-signal-agent");
    }
    n = nf + ne;
    /* every request and websocket names the client, as production
     * clients do (sn_agent.h) */
    if (!has_ua) {
        nghttp2_nv x = NV("user-agent", SN_USER_AGENT);
        nv[n++] = x;
    }
    if (!has_sa) {
        nghttp2_nv x = NV("x-signal-agent", SN_SIGNAL_AGENT);
        nv[n++] = x;
    }
    dp.source.ptr = st;
    dp.read_callback = body_read_cb;
    id = nghttp2_submit_request(h->ng, NULL, nv, n, with_data ? &dp : NULL, st);
    free(nv);
    if (id < 0)
        return id == NGHTTP2_ERR_NOMEM ? UT_ERR_NOMEM : SN_ERR_H2;
    st->id = id;
    st->next = h->streams;
    h->streams = st;
    return 0;
}

int sn_h2_request(sn_h2 *h, const sn_http_req *req, sn_http_cb cb, void *ud)
{
    sn_h2_stream *st = NULL;
    struct timeval tv;
    uint32_t tmo;
    int rc;

    if (!h || !req || !req->method || !req->path || !cb ||
        (!req->headers && req->n_headers) || (!req->body && req->body_len))
        return UT_ERR_INVAL;
    if (h->dead)
        return SN_ERR_CLOSED;
    if ((rc = check_headers(req->headers, req->n_headers)) != 0)
        return rc;
    st = stream_new(h, ST_REQ);
    if (!st)
        return UT_ERR_NOMEM;
    st->resp_max = req->max_response ? req->max_response : 1u << 20;
    ut_buf_init(&st->resp, st->resp_max);
    st->cb = cb;
    st->ud = ud;
    st->body_read = req->body_read;
    st->on_body = req->on_body;
    if (req->body_len) {
        st->body = malloc(req->body_len);
        if (!st->body) {
            rc = UT_ERR_NOMEM;
            goto out;
        }
        memcpy(st->body, req->body, req->body_len);
        st->body_len = req->body_len;
    }
    st->timer = evtimer_new(h->base, req_timer_cb, st);
    if (!st->timer) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    {
        nghttp2_nv fixed[4] = {NV(":method", req->method), NV(":scheme", "https"),
                               NV(":authority", h->authority), NV(":path", req->path)};
        rc = submit(h, st, fixed, 4, req->headers, req->n_headers,
                    req->body != NULL || req->body_read != NULL);
    }
    if (rc)
        goto out;
    tmo = req->timeout_ms ? req->timeout_ms : 30000;
    tv.tv_sec = tmo / 1000;
    tv.tv_usec = (tmo % 1000) * 1000;
    evtimer_add(st->timer, &tv);
    enter(h);
    leave(h);
    return 0;
out:
    stream_free(st);
    return rc;
}

/* ---- websocket streams ---------------------------------------------------- */

const sn_hdrs *sn_h2_stream_headers(const sn_h2_stream *st)
{
    return &st->hdrs;
}

int sn_h2_ws_open(sn_h2 *h, const char *path, const sn_hdr *headers,
                  size_t n_headers, const sn_h2_ws_callbacks *cbs, void *ud,
                  sn_h2_stream **out)
{
    sn_h2_stream *st;
    int rc;

    if (!h || !path || !cbs || !out || (!headers && n_headers))
        return UT_ERR_INVAL;
    *out = NULL;
    if (h->dead)
        return SN_ERR_CLOSED;
    if (!h->ready)
        return SN_ERR_STATE;
    if (!sn_h2_can_websocket(h))
        return SN_ERR_NO_CONNECT_PROTO;
    if ((rc = check_headers(headers, n_headers)) != 0)
        return rc;
    st = stream_new(h, ST_WS);
    if (!st)
        return UT_ERR_NOMEM;
    st->out = evbuffer_new();
    if (!st->out) {
        stream_free(st);
        return UT_ERR_NOMEM;
    }
    st->wcb = *cbs;
    st->wud = ud;
    {
        nghttp2_nv fixed[6] = {NV(":method", "CONNECT"), NV(":protocol", "websocket"),
                               NV(":scheme", "https"), NV(":authority", h->authority),
                               NV(":path", path), NV("sec-websocket-version", "13")};
        rc = submit(h, st, fixed, 6, headers, n_headers, 1);
    }
    if (rc) {
        stream_free(st);
        return rc;
    }
    *out = st;
    enter(h);
    leave(h);
    return 0;
}

int sn_h2_stream_write(sn_h2_stream *st, const uint8_t *p, size_t n)
{
    sn_h2 *h;

    if (!st || (!p && n))
        return UT_ERR_INVAL;
    h = st->h2;
    if (h->dead || st->detached || st->out_eof)
        return SN_ERR_CLOSED;
    if (evbuffer_add(st->out, p, n) != 0)
        return UT_ERR_NOMEM;
    nghttp2_session_resume_data(h->ng, st->id);
    enter(h);
    leave(h);
    return 0;
}

void sn_h2_stream_close(sn_h2_stream *st)
{
    sn_h2 *h;

    if (!st)
        return;
    h = st->h2;
    st->detached = 1;
    if (h->dead || st->out_eof)
        return;
    st->out_eof = 1;
    nghttp2_session_resume_data(h->ng, st->id);
    enter(h);
    leave(h);
}
