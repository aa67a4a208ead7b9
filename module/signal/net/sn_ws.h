/*
 * sn_ws.h - a websocket endpoint (RFC 6455 framing via wslay) over any byte
 * carrier: an RFC 8441 HTTP/2 stream or an HTTP/1.1 upgraded connection.
 *
 * It does no I/O itself: the carrier feeds received bytes in with
 * sn_ws_feed() and receives bytes to send through the `write` function.
 * Client endpoints mask their frames (RFC 6455 §5.3) and reject masked frames
 * from the server. Fragmented messages are reassembled; a message larger than
 * max_msg is refused (close 1009, SN_ERR_TOO_BIG). PINGs are answered; we
 * send none (the mock never answers them: use request-level keepalive).
 *
 * Threads: one loop thread. Callbacks run inside sn_ws_feed(); they may call
 * sn_ws_send/sn_ws_close but must NOT call sn_ws_free (defer it).
 */
#ifndef SN_WS_H
#define SN_WS_H

#include <stddef.h>
#include <stdint.h>

typedef struct sn_ws sn_ws;

/* Bytes to put on the carrier, in order. Return 0, or a negative code which
 * sn_ws passes back to its caller. Must not call back into this sn_ws. */
typedef int (*sn_ws_write_fn)(void *io_ctx, const uint8_t *p, size_t n);

typedef struct sn_ws_callbacks {
    /* A complete text or binary message. `p` is valid during the call. */
    void (*on_message)(sn_ws *ws, int binary, const uint8_t *p, size_t n,
                       void *ud);
    /* The peer sent a close frame with `code` (1005 when it had none). Our
     * close reply is already queued. Called at most once. */
    void (*on_close)(sn_ws *ws, int code, void *ud);
} sn_ws_callbacks;

enum { SN_WS_CLIENT = 0, SN_WS_SERVER = 1 };

/* Create an endpoint. role: SN_WS_CLIENT (masks, for us) or SN_WS_SERVER
 * (for tests and fuzzing). max_msg 0 means 16 MiB. `cbs` is copied; `ud`
 * and `io_ctx` are borrowed. UT_ERR_INVAL, UT_ERR_NOMEM. */
int sn_ws_new(sn_ws **out, int role, size_t max_msg, sn_ws_write_fn write,
              void *io_ctx, const sn_ws_callbacks *cbs, void *ud);
/* NULL ok. Never from inside this endpoint's callbacks. */
void sn_ws_free(sn_ws *ws);

/* Process received bytes (any split). Returns 0, or SN_ERR_WS_PROTO (bad
 * frame, masked server frame, bad UTF-8 in text, ...) or SN_ERR_TOO_BIG;
 * after those our close frame is queued and further input is ignored.
 * A write error from the carrier is returned as is. UT_ERR_NOMEM. */
int sn_ws_feed(sn_ws *ws, const uint8_t *p, size_t n);

/* Queue and write one unfragmented message (binary or text). SN_ERR_STATE
 * after a close was sent; UT_ERR_NOMEM; carrier write errors. */
int sn_ws_send(sn_ws *ws, int binary, const uint8_t *p, size_t n);
/* Queue and write a close frame (code 0: none). SN_ERR_STATE if already sent. */
int sn_ws_close(sn_ws *ws, uint16_t code);

/* 1 once a close frame was received / sent. */
int sn_ws_close_received(const sn_ws *ws);
int sn_ws_close_sent(const sn_ws *ws);

#endif /* SN_WS_H */
