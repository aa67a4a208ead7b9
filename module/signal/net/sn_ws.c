/* sn_ws.c - wslay's event API driven by fed bytes instead of a socket. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <wslay/wslay.h>

#include "sn_err.h"
#include "sn_ws.h"
#include "ut.h"

struct sn_ws {
    wslay_event_context_ptr ctx;
    sn_ws_write_fn write;
    void *io_ctx;
    sn_ws_callbacks cbs;
    void *ud;
    const uint8_t *in;     /* bytes being fed, consumed by recv_cb */
    size_t in_len;
    int write_err;         /* first carrier error, reported once */
    int close_seen;
    int failed;            /* protocol error already reported */
};

static ssize_t recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len,
                       int flags, void *user_data)
{
    sn_ws *ws = user_data;
    size_t n = ws->in_len < len ? ws->in_len : len;

    (void)flags;
    if (n == 0) {
        /* all fed bytes consumed: wait for the carrier */
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    memcpy(buf, ws->in, n);
    ws->in += n;
    ws->in_len -= n;
    return (ssize_t)n;
}

static ssize_t send_cb(wslay_event_context_ptr ctx, const uint8_t *data,
                       size_t len, int flags, void *user_data)
{
    sn_ws *ws = user_data;
    int rc;

    (void)flags;
    rc = ws->write(ws->io_ctx, data, len);
    if (rc) {
        if (!ws->write_err)
            ws->write_err = rc;
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    return (ssize_t)len;
}

static int genmask_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len,
                      void *user_data)
{
    (void)user_data;
    if (ut_random(buf, len) != 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    return 0;
}

static void msg_cb(wslay_event_context_ptr ctx,
                   const struct wslay_event_on_msg_recv_arg *arg, void *user_data)
{
    sn_ws *ws = user_data;

    (void)ctx;
    switch (arg->opcode) {
    case WSLAY_TEXT_FRAME:
    case WSLAY_BINARY_FRAME:
        if (ws->cbs.on_message && !ws->close_seen)
            ws->cbs.on_message(ws, arg->opcode == WSLAY_BINARY_FRAME,
                               arg->msg, arg->msg_length, ws->ud);
        break;
    case WSLAY_CONNECTION_CLOSE:
        if (!ws->close_seen) {
            ws->close_seen = 1;
            if (ws->cbs.on_close)
                ws->cbs.on_close(ws, arg->status_code ? arg->status_code : 1005,
                                 ws->ud);
        }
        break;
    default: /* ping is answered by wslay; pong ignored */
        break;
    }
}

int sn_ws_new(sn_ws **out, int role, size_t max_msg, sn_ws_write_fn write,
              void *io_ctx, const sn_ws_callbacks *cbs, void *ud)
{
    struct wslay_event_callbacks wcb;
    sn_ws *ws;
    int r;

    if (!out || !write || !cbs)
        return UT_ERR_INVAL;
    *out = NULL;
    ws = calloc(1, sizeof(*ws));
    if (!ws)
        return UT_ERR_NOMEM;
    ws->write = write;
    ws->io_ctx = io_ctx;
    ws->cbs = *cbs;
    ws->ud = ud;
    memset(&wcb, 0, sizeof(wcb));
    wcb.recv_callback = recv_cb;
    wcb.send_callback = send_cb;
    wcb.genmask_callback = genmask_cb;
    wcb.on_msg_recv_callback = msg_cb;
    r = role == SN_WS_SERVER ? wslay_event_context_server_init(&ws->ctx, &wcb, ws)
                             : wslay_event_context_client_init(&ws->ctx, &wcb, ws);
    if (r) {
        free(ws);
        return UT_ERR_NOMEM;
    }
    wslay_event_config_set_max_recv_msg_length(ws->ctx,
                                               max_msg ? max_msg : 16u << 20);
    *out = ws;
    return 0;
}

void sn_ws_free(sn_ws *ws)
{
    if (!ws)
        return;
    wslay_event_context_free(ws->ctx);
    free(ws);
}

static int flush(sn_ws *ws)
{
    int r;

    if (!wslay_event_want_write(ws->ctx))
        return 0;
    r = wslay_event_send(ws->ctx);
    if (ws->write_err) {
        r = ws->write_err;
        ws->write_err = 0;
        return r;
    }
    return r == WSLAY_ERR_NOMEM ? UT_ERR_NOMEM : r ? SN_ERR_WS_PROTO : 0;
}

int sn_ws_feed(sn_ws *ws, const uint8_t *p, size_t n)
{
    int r, rc;

    if (!ws || (!p && n))
        return UT_ERR_INVAL;
    if (ws->failed || !wslay_event_get_read_enabled(ws->ctx))
        return 0; /* after a close or an error the rest is ignored */
    ws->in = p;
    ws->in_len = n;
    r = wslay_event_recv(ws->ctx);
    ws->in = NULL;
    ws->in_len = 0;
    rc = flush(ws);
    if (r == WSLAY_ERR_NOMEM)
        return UT_ERR_NOMEM;
    if (r)
        return rc ? rc : SN_ERR_WS_PROTO;
    /* wslay reports a bad frame or an oversized message by queueing its own
     * close and disabling reads, with no error code: detect that here */
    if (!wslay_event_get_read_enabled(ws->ctx) &&
        !wslay_event_get_close_received(ws->ctx)) {
        ws->failed = 1;
        return wslay_event_get_status_code_sent(ws->ctx) == WSLAY_CODE_MESSAGE_TOO_BIG
                   ? SN_ERR_TOO_BIG : SN_ERR_WS_PROTO;
    }
    return rc;
}

int sn_ws_send(sn_ws *ws, int binary, const uint8_t *p, size_t n)
{
    struct wslay_event_msg m;
    int r;

    if (!ws || (!p && n))
        return UT_ERR_INVAL;
    m.opcode = binary ? WSLAY_BINARY_FRAME : WSLAY_TEXT_FRAME;
    m.msg = p;
    m.msg_length = n;
    r = wslay_event_queue_msg(ws->ctx, &m);
    if (r == WSLAY_ERR_NO_MORE_MSG)
        return SN_ERR_STATE;
    if (r == WSLAY_ERR_NOMEM)
        return UT_ERR_NOMEM;
    if (r)
        return UT_ERR_INVAL;
    return flush(ws);
}

int sn_ws_close(sn_ws *ws, uint16_t code)
{
    int r;

    if (!ws)
        return UT_ERR_INVAL;
    r = wslay_event_queue_close(ws->ctx, code, NULL, 0);
    if (r == WSLAY_ERR_NO_MORE_MSG)
        return SN_ERR_STATE;
    if (r)
        return r == WSLAY_ERR_NOMEM ? UT_ERR_NOMEM : UT_ERR_INVAL;
    return flush(ws);
}

int sn_ws_close_received(const sn_ws *ws)
{
    return ws && wslay_event_get_close_received(ws->ctx);
}

int sn_ws_close_sent(const sn_ws *ws)
{
    return ws && wslay_event_get_close_sent(ws->ctx);
}
