/* fuzz_sn_h2.c - server bytes into an sn_h2 client session (nghttp2) with
 * one open request and one RFC 8441 websocket stream whose bytes go through
 * sn_ws and the WebSocketMessage decoder. The transport is an in-memory
 * bufferevent pair; the input follows a valid server SETTINGS frame that
 * enables extended CONNECT. TLS is not exercised, so the three sn_tls
 * functions sn_h2 calls are replaced here. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "../../module/signal/net/sn_err.h"
#include "../../module/signal/net/sn_h2.h"
#include "../../module/signal/net/sn_ws.h"
#include "../../module/signal/net/sn_wsmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int sn_tls_connect(sn_tls *tls, struct event_base *base, struct evdns_base *dns,
                   const char *host, uint16_t port, int alpn, struct bufferevent **out)
{
    (void)tls; (void)base; (void)dns; (void)host; (void)port; (void)alpn; (void)out;
    return SN_ERR_CONNECT;
}

int sn_tls_protocol(struct bufferevent *bev)
{
    (void)bev;
    return SN_PROTO_H2;
}

int sn_tls_error(struct bufferevent *bev, short events)
{
    (void)bev;
    (void)events;
    return SN_ERR_CLOSED;
}

typedef struct ctx {
    sn_ws *ws;
    sn_h2_stream *st;
} ctx;

static int ws_write(void *c, const uint8_t *p, size_t n)
{
    ctx *x = c;

    return x->st ? sn_h2_stream_write(x->st, p, n) : SN_ERR_CLOSED;
}

static void on_msg(sn_ws *ws, int binary, const uint8_t *p, size_t n, void *ud)
{
    sn_wsmsg m;

    (void)ws; (void)binary; (void)ud;
    if (sn_wsmsg_decode(p, n, &m) == 0)
        sn_wsmsg_clear(&m);
}

static void on_wclose(sn_ws *ws, int code, void *ud)
{
    (void)ws; (void)code; (void)ud;
}

static void st_open(sn_h2_stream *st, int status, void *ud)
{
    (void)st; (void)status; (void)ud;
}

static void st_data(sn_h2_stream *st, const uint8_t *p, size_t n, void *ud)
{
    ctx *x = ud;

    (void)st;
    if (x->ws)
        (void)sn_ws_feed(x->ws, p, n);
}

static void st_close(sn_h2_stream *st, int err, void *ud)
{
    ctx *x = ud;

    (void)st; (void)err;
    x->st = NULL;
}

static void on_reply(int rc, const sn_http_resp *r, void *ud)
{
    (void)rc; (void)r; (void)ud;
}

static void pump(struct event_base *base)
{
    int i;

    for (i = 0; i < 8; i++)
        event_base_loop(base, EVLOOP_NONBLOCK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* SETTINGS: ENABLE_CONNECT_PROTOCOL (0x8) = 1 */
    static const uint8_t settings[] = {0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 1};
    static const sn_ws_callbacks wcb = {on_msg, on_wclose};
    static const sn_h2_ws_callbacks scb = {st_open, st_data, st_close};
    struct event_base *base = event_base_new();
    struct bufferevent *pair[2];
    sn_h2 *h2 = NULL;
    ctx x = {0};
    sn_http_req req = {.method = "GET", .path = "/x", .max_response = 4096};

    if (!base || bufferevent_pair_new(base, 0, pair) != 0)
        abort();
    if (sn_h2_new_from_bev(&h2, base, pair[0], "fuzz:443", 1000, NULL, NULL) != 0)
        abort();
    bufferevent_enable(pair[1], EV_READ | EV_WRITE);
    bufferevent_write(pair[1], settings, sizeof(settings));
    pump(base);
    (void)sn_h2_request(h2, &req, on_reply, NULL);
    if (sn_h2_ws_open(h2, "/v1/websocket/", NULL, 0, &scb, &x, &x.st) == 0)
        (void)sn_ws_new(&x.ws, SN_WS_CLIENT, 65536, ws_write, &x, &wcb, NULL);
    pump(base);
    evbuffer_drain(bufferevent_get_input(pair[1]), (size_t)-1);
    bufferevent_write(pair[1], data, size);
    pump(base);
    sn_h2_free(h2);
    sn_ws_free(x.ws);
    bufferevent_free(pair[1]);
    event_base_free(base);
    return 0;
}
