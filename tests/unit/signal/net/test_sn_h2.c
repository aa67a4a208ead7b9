/* test_sn_h2.c - module/signal/net/sn_h2.c and sn_grpc.c without a network:
 * the client talks to an nghttp2 server session over an in-memory
 * bufferevent pair (no TLS). Requests, trailers, caps, timeouts, RFC 8441
 * streams, connection loss, freeing from inside callbacks, PING (answered,
 * unanswered = a dead connection, cancelled) and the open-stream count. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <nghttp2/nghttp2.h>

#include "sn_err.h"
#include "sn_grpc.h"
#include "sn_h2.h"

/* ---- the server side -------------------------------------------------- */

typedef struct sstream {
    int32_t id;
    char method[16], path[128], protocol[32], auth[64];
    uint8_t body[4096];
    size_t body_len, total;
    char count[32];
    const uint8_t *out;
    size_t out_len, out_off;
    int ws;
} sstream;

typedef struct server {
    struct bufferevent *bev;
    nghttp2_session *ng;
    sstream st[16];
    int n;
    int ws_enabled;
    uint8_t big[10000];
} server;

static sstream *find(server *s, int32_t id)
{
    int i;

    for (i = 0; i < s->n; i++)
        if (s->st[i].id == id)
            return &s->st[i];
    ck_assert_int_lt(s->n, 16);
    memset(&s->st[s->n], 0, sizeof(s->st[0]));
    s->st[s->n].id = id;
    return &s->st[s->n++];
}

static ssize_t s_send(nghttp2_session *ng, const uint8_t *d, size_t n, int f, void *ud)
{
    server *s = ud;

    (void)ng;
    (void)f;
    bufferevent_write(s->bev, d, n);
    return (ssize_t)n;
}

static int s_header(nghttp2_session *ng, const nghttp2_frame *fr, const uint8_t *name,
                    size_t nl, const uint8_t *value, size_t vl, uint8_t fl, void *ud)
{
    sstream *st = find(ud, fr->hd.stream_id);
    char *dst = NULL;
    size_t cap = 0;

    (void)ng;
    (void)fl;
    if (nl == 7 && !memcmp(name, ":method", 7)) { dst = st->method; cap = sizeof(st->method); }
    if (nl == 5 && !memcmp(name, ":path", 5)) { dst = st->path; cap = sizeof(st->path); }
    if (nl == 9 && !memcmp(name, ":protocol", 9)) { dst = st->protocol; cap = sizeof(st->protocol); }
    if (nl == 13 && !memcmp(name, "authorization", 13)) { dst = st->auth; cap = sizeof(st->auth); }
    if (dst && vl < cap) {
        memcpy(dst, value, vl);
        dst[vl] = '\0';
    }
    return 0;
}

static ssize_t s_read(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t len,
                      uint32_t *flags, nghttp2_data_source *src, void *ud)
{
    sstream *st = src->ptr;
    size_t n = st->out_len - st->out_off;

    (void)ud;
    if (n > len)
        n = len;
    memcpy(buf, st->out + st->out_off, n);
    st->out_off += n;
    if (st->out_off == st->out_len) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        if (!strcmp(st->path, "/grpc")) {
            /* trailers go after the data: submit them from here */
            nghttp2_nv tr[] = {{(uint8_t *)"grpc-status", (uint8_t *)"0", 11, 1, 0},
                               {(uint8_t *)"grpc-message", (uint8_t *)"all%20good", 12, 10, 0}};
            *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
            nghttp2_submit_trailer(ng, id, tr, 2);
        }
    }
    return (ssize_t)n;
}

#define NVS(n, v) {(uint8_t *)(n), (uint8_t *)(v), strlen(n), strlen(v), NGHTTP2_NV_FLAG_NONE}

static void respond(server *s, sstream *st)
{
    nghttp2_data_provider dp = {.source.ptr = st, .read_callback = s_read};
    static uint8_t grpc_body[64];

    if (!strcmp(st->path, "/slow"))
        return; /* never answers */
    if (!strcmp(st->path, "/count")) { /* answers with the body size */
        nghttp2_nv h[] = {NVS(":status", "200")};
        snprintf(st->count, sizeof(st->count), "%zu", st->total);
        st->out = (const uint8_t *)st->count;
        st->out_len = strlen(st->count);
        nghttp2_submit_response(s->ng, st->id, h, 1, &dp);
        return;
    }
    if (!strcmp(st->path, "/big")) {
        nghttp2_nv h[] = {NVS(":status", "200")};
        st->out = s->big;
        st->out_len = sizeof(s->big);
        nghttp2_submit_response(s->ng, st->id, h, 1, &dp);
    } else if (!strcmp(st->path, "/grpc")) {
        nghttp2_nv h[] = {NVS(":status", "200"), NVS("content-type", "application/grpc")};
        /* echo the request message back */
        ck_assert_uint_le(st->body_len, sizeof(grpc_body));
        memcpy(grpc_body, st->body, st->body_len);
        st->out = grpc_body;
        st->out_len = st->body_len;
        nghttp2_submit_response(s->ng, st->id, h, 2, &dp);
    } else {
        nghttp2_nv h[] = {NVS(":status", "201"), NVS("x-reply", "yes")};
        st->out = (const uint8_t *)"hello";
        st->out_len = 5;
        nghttp2_submit_response(s->ng, st->id, h, 2, &dp);
    }
}

static int s_frame(nghttp2_session *ng, const nghttp2_frame *fr, void *ud)
{
    server *s = ud;
    sstream *st;

    (void)ng;
    if (fr->hd.type != NGHTTP2_HEADERS && fr->hd.type != NGHTTP2_DATA)
        return 0;
    st = find(s, fr->hd.stream_id);
    if (fr->hd.type == NGHTTP2_HEADERS && !strcmp(st->method, "CONNECT")) {
        nghttp2_nv h[] = {NVS(":status", strcmp(st->path, "/deny") ? "200" : "403")};
        st->ws = 1;
        nghttp2_submit_headers(s->ng, NGHTTP2_FLAG_NONE, st->id, NULL, h, 1, NULL);
        return 0;
    }
    if (fr->hd.flags & NGHTTP2_FLAG_END_STREAM)
        respond(s, st);
    return 0;
}

static int s_data(nghttp2_session *ng, uint8_t fl, int32_t id, const uint8_t *d, size_t n,
                  void *ud)
{
    server *s = ud;
    sstream *st = find(s, id);

    (void)ng;
    (void)fl;
    if (st->ws) { /* echo tunnel bytes back, uppercased */
        nghttp2_data_provider dp = {.source.ptr = st, .read_callback = s_read};
        static uint8_t echo[256];
        size_t i;
        for (i = 0; i < n && i < sizeof(echo); i++)
            echo[i] = (d[i] >= 'a' && d[i] <= 'z') ? (uint8_t)(d[i] - 32) : d[i];
        st->out = echo;
        st->out_len = i;
        st->out_off = 0;
        nghttp2_submit_data(s->ng, NGHTTP2_FLAG_NONE, id, &dp);
        return 0;
    }
    st->total += n;
    if (st->body_len + n <= sizeof(st->body)) {
        memcpy(st->body + st->body_len, d, n);
        st->body_len += n;
    }
    return 0;
}

static void s_readcb(struct bufferevent *bev, void *arg)
{
    server *s = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    size_t n = evbuffer_get_length(in);

    ck_assert_int_ge(nghttp2_session_mem_recv(s->ng, evbuffer_pullup(in, -1), n), 0);
    evbuffer_drain(in, n);
    nghttp2_session_send(s->ng);
}

static void server_init(server *s, struct bufferevent *bev, int ws)
{
    nghttp2_session_callbacks *cb;
    nghttp2_settings_entry iv[1] = {{NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1}};

    memset(s, 0, sizeof(*s));
    s->bev = bev;
    s->ws_enabled = ws;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_send_callback(cb, s_send);
    nghttp2_session_callbacks_set_on_header_callback(cb, s_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, s_frame);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, s_data);
    ck_assert_int_eq(nghttp2_session_server_new(&s->ng, cb, s), 0);
    nghttp2_session_callbacks_del(cb);
    nghttp2_submit_settings(s->ng, NGHTTP2_FLAG_NONE, iv, ws ? 1 : 0);
    nghttp2_session_send(s->ng);
    bufferevent_setcb(bev, s_readcb, NULL, NULL, s);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static void server_free(server *s)
{
    nghttp2_session_del(s->ng);
    if (s->bev)
        bufferevent_free(s->bev);
    s->bev = NULL;
}

/* ---- the client side -------------------------------------------------- */

typedef struct fixture {
    struct event_base *base;
    server srv;
    sn_h2 *h2;
    int ready, closed, close_err;
} fixture;

static void on_ready(sn_h2 *h2, void *ud)
{
    (void)h2;
    ((fixture *)ud)->ready++;
}

static void on_close(sn_h2 *h2, int err, void *ud)
{
    fixture *f = ud;

    (void)h2;
    f->closed++;
    f->close_err = err;
}

static void setup_fx(fixture *f, int ws)
{
    struct bufferevent *pair[2];
    sn_h2_callbacks cbs = {on_ready, on_close};

    memset(f, 0, sizeof(*f));
    f->base = event_base_new();
    ck_assert_int_eq(bufferevent_pair_new(f->base, BEV_OPT_DEFER_CALLBACKS, pair), 0);
    server_init(&f->srv, pair[1], ws);
    ck_assert_int_eq(sn_h2_new_from_bev(&f->h2, f->base, pair[0], "test:443", 2000, &cbs, f), 0);
}

static void teardown_fx(fixture *f)
{
    sn_h2_free(f->h2);
    server_free(&f->srv);
    event_base_loop(f->base, EVLOOP_NONBLOCK);
    event_base_free(f->base);
}

static void give_up(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    *(int *)arg = 1;
}

/* Run the loop until *flag is set (or 5 s pass: a failure). */
static void run_until(fixture *f, const int *flag)
{
    int expired = 0;
    struct timeval tv = {5, 0};
    struct event *t = evtimer_new(f->base, give_up, &expired);

    evtimer_add(t, &tv);
    while (!*flag && !expired)
        event_base_loop(f->base, EVLOOP_ONCE);
    event_free(t);
    ck_assert_msg(*flag, "condition not reached");
}

typedef struct reply {
    int done, rc, status;
    char body[64], hdr[32];
    size_t body_len;
    fixture *free_from_cb;
    struct reply *other;     /* with free_from_cb: was it done on return? */
    int other_done_at_free;
} reply;

static void on_reply(int rc, const sn_http_resp *r, void *ud)
{
    reply *x = ud;

    x->done++;
    x->rc = rc;
    if (r) {
        const char *h = sn_hdrs_get(r->headers, "x-reply");
        x->status = r->status;
        x->body_len = r->body_len;
        if (r->body)
            memcpy(x->body, r->body, r->body_len < 63 ? r->body_len : 63);
        if (h)
            snprintf(x->hdr, sizeof(x->hdr), "%s", h);
    }
    if (x->free_from_cb) {
        sn_h2_free(x->free_from_cb->h2); /* deferred until we return */
        x->free_from_cb->h2 = NULL;
        if (x->other)
            x->other_done_at_free = x->other->done;
    }
}

START_TEST(request_response_headers_and_body)
{
    fixture f;
    reply r = {0};
    sn_http_req req = {.method = "GET", .path = "/hello"};
    sn_hdr h = {"authorization", "Basic x"};

    setup_fx(&f, 0);
    req.headers = &h;
    req.n_headers = 1;
    ck_assert_int_eq(sn_h2_request(f.h2, &req, on_reply, &r), 0);
    ck_assert_int_eq(r.done, 0); /* never before the call returns */
    run_until(&f, &r.done);
    ck_assert_int_eq(f.ready, 1);
    ck_assert_int_eq(r.rc, 0);
    ck_assert_int_eq(r.status, 201);
    ck_assert_str_eq(r.hdr, "yes");
    ck_assert_str_eq(r.body, "hello");
    ck_assert_str_eq(f.srv.st[0].method, "GET");
    ck_assert_str_eq(f.srv.st[0].path, "/hello");
    ck_assert_str_eq(f.srv.st[0].auth, "Basic x");
    ck_assert_int_eq(r.done, 1);
    /* upper-case header names are refused (HTTP/2 needs lower case) */
    h.name = "Authorization";
    ck_assert_int_eq(sn_h2_request(f.h2, &req, on_reply, &r), SN_ERR_HEADER);
    teardown_fx(&f);
}
END_TEST

START_TEST(body_cap_and_timeout)
{
    fixture f;
    reply big = {0}, slow = {0}, ok = {0};
    sn_http_req rb = {.method = "GET", .path = "/big", .max_response = 100};
    sn_http_req rs = {.method = "GET", .path = "/slow", .timeout_ms = 50};
    sn_http_req ro = {.method = "GET", .path = "/big"};

    setup_fx(&f, 0);
    ck_assert_int_eq(sn_h2_request(f.h2, &rb, on_reply, &big), 0);
    ck_assert_int_eq(sn_h2_request(f.h2, &rs, on_reply, &slow), 0);
    ck_assert_int_eq(sn_h2_request(f.h2, &ro, on_reply, &ok), 0);
    run_until(&f, &big.done);
    ck_assert_int_eq(big.rc, SN_ERR_TOO_BIG);
    run_until(&f, &ok.done);
    ck_assert_int_eq(ok.rc, 0);
    ck_assert_uint_eq(ok.body_len, 10000);
    run_until(&f, &slow.done);
    ck_assert_int_eq(slow.rc, SN_ERR_TIMEOUT);
    ck_assert_int_eq(big.done + slow.done + ok.done, 3);
    ck_assert_int_eq(f.closed, 0); /* the connection survives both */
    teardown_fx(&f);
}
END_TEST

typedef struct greply {
    int done, rc, status;
    char msg[64], text[64];
} greply;

static void on_grpc(int rc, int status, const char *text, const uint8_t *m, size_t n, void *ud)
{
    greply *g = ud;

    g->done++;
    g->rc = rc;
    g->status = status;
    if (m)
        memcpy(g->msg, m, n < 63 ? n : 63);
    if (text)
        snprintf(g->text, sizeof(g->text), "%s", text);
}

START_TEST(grpc_unary_reads_status_from_trailers)
{
    fixture f;
    greply g = {0};

    setup_fx(&f, 0);
    ck_assert_int_eq(sn_grpc_unary(f.h2, "/grpc", NULL, 0, (const uint8_t *)"ping", 4, 0, 0,
                                   on_grpc, &g), 0);
    run_until(&f, &g.done);
    ck_assert_int_eq(g.rc, 0);
    ck_assert_int_eq(g.status, 0);
    ck_assert_str_eq(g.text, "all good");
    /* the server echoed our framed body: 5-byte prefix + "ping" -> the
     * client unframes the echo back to "ping" */
    ck_assert_str_eq(f.srv.st[0].method, "POST");
    ck_assert_uint_eq(f.srv.st[0].body_len, 9);
    ck_assert_str_eq(g.msg, "ping");
    ck_assert_uint_eq(f.srv.st[0].body_len, 9);
    ck_assert_int_eq(memcmp(f.srv.st[0].body, "\0\0\0\0\4ping", 9), 0);
    teardown_fx(&f);
}
END_TEST

typedef struct wsx {
    int opened, status, closed, err;
    char data[64];
    size_t len;
} wsx;

static void w_open(sn_h2_stream *st, int status, void *ud)
{
    wsx *w = ud;

    (void)st;
    w->opened++;
    w->status = status;
}

static void w_data(sn_h2_stream *st, const uint8_t *p, size_t n, void *ud)
{
    wsx *w = ud;

    (void)st;
    memcpy(w->data + w->len, p, n);
    w->len += n;
}

static void w_close(sn_h2_stream *st, int err, void *ud)
{
    wsx *w = ud;

    (void)st;
    w->closed++;
    w->err = err;
}

static const sn_h2_ws_callbacks wcbs = {w_open, w_data, w_close};

START_TEST(rfc8441_stream_opens_and_carries_bytes_both_ways)
{
    fixture f;
    wsx w = {0};
    sn_h2_stream *st;
    sn_hdr h = {"authorization", "Basic y"};

    setup_fx(&f, 1);
    ck_assert_int_eq(sn_h2_ws_open(f.h2, "/v1/websocket/", &h, 1, &wcbs, &w, &st), SN_ERR_STATE);
    run_until(&f, &f.ready);
    ck_assert_int_eq(sn_h2_can_websocket(f.h2), 1);
    ck_assert_int_eq(sn_h2_ws_open(f.h2, "/v1/websocket/", &h, 1, &wcbs, &w, &st), 0);
    run_until(&f, &w.opened);
    ck_assert_int_eq(w.status, 200);
    ck_assert_str_eq(f.srv.st[0].method, "CONNECT");
    ck_assert_str_eq(f.srv.st[0].protocol, "websocket");
    ck_assert_str_eq(f.srv.st[0].path, "/v1/websocket/");
    ck_assert_str_eq(f.srv.st[0].auth, "Basic y");
    ck_assert_int_eq(sn_h2_stream_write(st, (const uint8_t *)"frame", 5), 0);
    while (w.len < 5)
        event_base_loop(f.base, EVLOOP_ONCE);
    ck_assert_int_eq(memcmp(w.data, "FRAME", 5), 0);
    ck_assert_int_eq(w.closed, 0);
    sn_h2_stream_close(st);
    event_base_loop(f.base, EVLOOP_NONBLOCK);
    ck_assert_int_eq(w.closed, 0); /* no callbacks after we closed it */
    teardown_fx(&f);
}
END_TEST

START_TEST(websocket_needs_the_server_setting_and_a_200)
{
    fixture f;
    wsx w = {0};
    sn_h2_stream *st;

    setup_fx(&f, 0);
    run_until(&f, &f.ready);
    ck_assert_int_eq(sn_h2_can_websocket(f.h2), 0);
    ck_assert_int_eq(sn_h2_ws_open(f.h2, "/v1/websocket/", NULL, 0, &wcbs, &w, &st),
                     SN_ERR_NO_CONNECT_PROTO);
    teardown_fx(&f);

    setup_fx(&f, 1);
    run_until(&f, &f.ready);
    ck_assert_int_eq(sn_h2_ws_open(f.h2, "/deny", NULL, 0, &wcbs, &w, &st), 0);
    run_until(&f, &w.closed);
    ck_assert_int_eq(w.status, 403);
    ck_assert_int_eq(w.err, SN_ERR_HTTP_STATUS);
    teardown_fx(&f);
}
END_TEST

START_TEST(connection_loss_completes_everything_once)
{
    fixture f;
    reply r = {0};
    wsx w = {0};
    sn_h2_stream *st;
    sn_http_req req = {.method = "GET", .path = "/slow"};

    setup_fx(&f, 1);
    run_until(&f, &f.ready);
    ck_assert_int_eq(sn_h2_request(f.h2, &req, on_reply, &r), 0);
    ck_assert_int_eq(sn_h2_ws_open(f.h2, "/v1/websocket/", NULL, 0, &wcbs, &w, &st), 0);
    run_until(&f, &w.opened);
    /* the peer goes away: EOF to our side, then its end is freed */
    bufferevent_flush(f.srv.bev, EV_WRITE, BEV_FINISHED);
    server_free(&f.srv);
    run_until(&f, &f.closed);
    ck_assert_int_eq(r.done, 1);
    ck_assert_int_lt(r.rc, 0);
    ck_assert_int_eq(w.closed, 1);
    ck_assert_int_eq(f.closed, 1);
    ck_assert_int_eq(sn_h2_request(f.h2, &req, on_reply, &r), SN_ERR_CLOSED);
    f.srv.ng = NULL;
    sn_h2_free(f.h2);
    f.h2 = NULL;
    event_base_free(f.base);
}
END_TEST

START_TEST(free_from_inside_a_callback_and_pending_cancelled)
{
    fixture f;
    reply a = {0}, b = {0};
    sn_http_req ra = {.method = "GET", .path = "/hello"};
    sn_http_req rb = {.method = "GET", .path = "/slow"};

    setup_fx(&f, 0);
    a.free_from_cb = &f;
    a.other = &b;
    ck_assert_int_eq(sn_h2_request(f.h2, &ra, on_reply, &a), 0);
    ck_assert_int_eq(sn_h2_request(f.h2, &rb, on_reply, &b), 0);
    run_until(&f, &a.done);
    ck_assert_ptr_null(f.h2);
    ck_assert_int_eq(b.done, 1);
    ck_assert_int_eq(b.rc, SN_ERR_CANCELLED);
    /* ended inside sn_h2_free, not later: b's owner may be gone by then
     * (a pooled connection freed with the client in a's callback) */
    ck_assert_int_eq(a.other_done_at_free, 1);
    ck_assert_int_eq(f.closed, 0); /* no on_close for a freed session */
    teardown_fx(&f);
}
END_TEST

typedef struct stream_io {
    size_t to_send, sent, got, chunks;
    int abort_at; /* chunk number whose callback fails; 0 never */
} stream_io;

static stream_io *cur_io;

static long read_pattern(uint8_t *buf, size_t len, int *eof, void *ud)
{
    size_t n = cur_io->to_send - cur_io->sent;

    (void)ud;
    if (n > len)
        n = len;
    memset(buf, 'u', n);
    cur_io->sent += n;
    *eof = cur_io->sent == cur_io->to_send;
    return (long)n;
}

static int count_body(const uint8_t *p, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    cur_io->got += n;
    if (++cur_io->chunks == (size_t)cur_io->abort_at)
        return -5;
    return 0;
}

START_TEST(streaming_upload_and_download)
{
    fixture f;
    reply up = {0}, down = {0}, capped = {0}, aborted = {0};
    stream_io io = {.to_send = 100000};
    sn_http_req ru = {.method = "PUT", .path = "/count", .body_read = read_pattern};
    sn_http_req rd = {.method = "GET", .path = "/big", .on_body = count_body};
    sn_http_req rc = {.method = "GET", .path = "/big", .on_body = count_body,
                      .max_response = 5000};

    cur_io = &io;
    setup_fx(&f, 0);
    ck_assert_int_eq(sn_h2_request(f.h2, &ru, on_reply, &up), 0);
    run_until(&f, &up.done);
    ck_assert_int_eq(up.rc, 0);
    ck_assert_str_eq(up.body, "100000"); /* the server counted every byte */
    ck_assert_uint_eq(io.sent, 100000);

    ck_assert_int_eq(sn_h2_request(f.h2, &rd, on_reply, &down), 0);
    run_until(&f, &down.done);
    ck_assert_int_eq(down.rc, 0);
    ck_assert_uint_eq(io.got, 10000);
    ck_assert_uint_eq(down.body_len, 10000); /* total, though not kept */

    io.got = 0;
    ck_assert_int_eq(sn_h2_request(f.h2, &rc, on_reply, &capped), 0);
    run_until(&f, &capped.done);
    ck_assert_int_eq(capped.rc, SN_ERR_TOO_BIG);
    ck_assert_uint_le(io.got, 5000);

    io.chunks = 0;
    io.abort_at = 1;
    ck_assert_int_eq(sn_h2_request(f.h2, &rd, on_reply, &aborted), 0);
    run_until(&f, &aborted.done);
    ck_assert_int_eq(aborted.rc, -5);
    ck_assert_int_eq(f.closed, 0);
    teardown_fx(&f);
}
END_TEST

typedef struct pinged {
    int done, rc, closed_then;
    fixture *f;
} pinged;

static void on_ping(sn_h2 *h2, int rc, void *ud)
{
    pinged *p = ud;

    (void)h2;
    p->done++;
    p->rc = rc;
    p->closed_then = p->f ? p->f->closed : 0;
}

START_TEST(ping_answered_unanswered_and_cancelled)
{
    fixture f;
    pinged a = {0}, b = {0}, c = {0}, d = {0};
    reply slow = {0};
    sn_http_req req = {.method = "GET", .path = "/slow"};

    setup_fx(&f, 0);
    run_until(&f, &f.ready);
    ck_assert_uint_eq(sn_h2_open_streams(f.h2), 0);
    /* the server's nghttp2 answers PINGs */
    ck_assert_int_eq(sn_h2_ping(f.h2, 2000, on_ping, &a), 0);
    ck_assert_int_eq(sn_h2_ping(f.h2, 2000, on_ping, &b), SN_ERR_STATE);
    ck_assert_int_eq(a.done, 0); /* never from inside sn_h2_ping */
    run_until(&f, &a.done);
    ck_assert_int_eq(a.rc, 0);
    ck_assert_int_eq(f.closed, 0);

    ck_assert_int_eq(sn_h2_request(f.h2, &req, on_reply, &slow), 0);
    ck_assert_uint_eq(sn_h2_open_streams(f.h2), 1);
    /* a peer that stops reading never answers: timeout, connection closed */
    event_base_loop(f.base, EVLOOP_NONBLOCK); /* let the request go out */
    bufferevent_disable(f.srv.bev, EV_READ);
    c.f = &f;
    ck_assert_int_eq(sn_h2_ping(f.h2, 150, on_ping, &c), 0);
    run_until(&f, &c.done);
    ck_assert_int_eq(c.rc, SN_ERR_TIMEOUT);
    ck_assert_int_eq(c.closed_then, 0); /* reported before the close */
    run_until(&f, &f.closed);
    ck_assert_int_eq(f.close_err, SN_ERR_TIMEOUT);
    ck_assert_int_eq(slow.done, 1);
    ck_assert_int_eq(slow.rc, SN_ERR_TIMEOUT);
    ck_assert_uint_eq(sn_h2_open_streams(f.h2), 0);
    ck_assert_int_eq(sn_h2_ping(f.h2, 100, on_ping, &b), SN_ERR_CLOSED);
    teardown_fx(&f);

    /* freed with a PING outstanding: cancelled, exactly once */
    setup_fx(&f, 0);
    run_until(&f, &f.ready);
    ck_assert_int_eq(sn_h2_ping(f.h2, 2000, on_ping, &d), 0);
    sn_h2_free(f.h2);
    f.h2 = NULL;
    ck_assert_int_eq(d.done, 1);
    ck_assert_int_eq(d.rc, SN_ERR_CANCELLED);
    teardown_fx(&f);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sn_h2");
    TCase *tc = tcase_create("h2");

    tcase_add_test(tc, request_response_headers_and_body);
    tcase_add_test(tc, body_cap_and_timeout);
    tcase_add_test(tc, grpc_unary_reads_status_from_trailers);
    tcase_add_test(tc, rfc8441_stream_opens_and_carries_bytes_both_ways);
    tcase_add_test(tc, websocket_needs_the_server_setting_and_a_200);
    tcase_add_test(tc, connection_loss_completes_everything_once);
    tcase_add_test(tc, free_from_inside_a_callback_and_pending_cancelled);
    tcase_add_test(tc, streaming_upload_and_download);
    tcase_add_test(tc, ping_answered_unanswered_and_cancelled);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
