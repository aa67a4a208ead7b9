/*
 * sn_rpc.h - Signal's request/response layer on a websocket: our requests
 * with ids and per-request timeouts, and the server's requests (incoming
 * envelopes, queue/empty, provisioning) handed to a callback that answers
 * each one exactly once, possibly later (deferred ack: answer 200 only once
 * the data is durable).
 *
 * One sn_rpc lives as long as its account socket; every (re)connection is
 * attached with sn_rpc_attach and detached with sn_rpc_detach. Answers to a
 * request of a connection that is gone are not sent (SN_ERR_STALE): the
 * server redelivers on the next connection.
 *
 * Threads: loop thread of `base` only. Callbacks run inside sn_rpc_input,
 * sn_rpc_detach, timer events and sn_rpc_free; they may call any sn_rpc
 * function except sn_rpc_free.
 */
#ifndef SN_RPC_H
#define SN_RPC_H

#include <stddef.h>
#include <stdint.h>

#include "sn_hdr.h"

struct event_base;

typedef struct sn_rpc sn_rpc;
/* A server-initiated request awaiting our answer. Owned by the sn_rpc;
 * the handle is valid until sn_rpc_respond/sn_rpc_release (or sn_rpc_free). */
typedef struct sn_rpc_srvreq sn_rpc_srvreq;

/* What the server asked. Views valid until the request is answered. */
typedef struct sn_rpc_incoming {
    const char *verb;
    const char *path;
    uint64_t id;
    const sn_hdrs *headers;    /* names lower-case */
    const uint8_t *body;       /* NULL when absent */
    size_t body_len;
} sn_rpc_incoming;

typedef struct sn_rpc_response {
    uint32_t status;
    const char *message;       /* may be NULL */
    const sn_hdrs *headers;
    const uint8_t *body;       /* NULL when absent */
    size_t body_len;
} sn_rpc_response;

/* Called for each server request. The callee must later (or now) call
 * sn_rpc_respond or sn_rpc_release exactly once for `req`. */
typedef void (*sn_rpc_request_cb)(sn_rpc *rpc, sn_rpc_srvreq *req,
                                  const sn_rpc_incoming *in, void *ud);
/* Result of one of our requests, exactly once: rc 0 and `resp` (valid during
 * the call), or SN_ERR_TIMEOUT, SN_ERR_CLOSED (connection dropped before the
 * answer), SN_ERR_CANCELLED (sn_rpc_free). */
typedef void (*sn_rpc_response_cb)(int rc, const sn_rpc_response *resp,
                                   void *ud);
/* Put one encoded WebSocketMessage on the current connection. */
typedef int (*sn_rpc_send_fn)(void *ctx, const uint8_t *msg, size_t len);

/* `on_request` may be NULL (then every server request is released unanswered).
 * UT_ERR_INVAL, UT_ERR_NOMEM. */
int sn_rpc_new(sn_rpc **out, struct event_base *base,
               sn_rpc_request_cb on_request, void *ud);
/* Pending requests complete with SN_ERR_CANCELLED; unanswered server
 * requests are dropped (handles become invalid). NULL ok. */
void sn_rpc_free(sn_rpc *rpc);

/* A new connection is up; messages go out through send(ctx, ...). */
void sn_rpc_attach(sn_rpc *rpc, sn_rpc_send_fn send, void *ctx);
/* The connection is gone: our pending requests complete with `err`
 * (SN_ERR_CLOSED if 0), unanswered server requests become stale. */
void sn_rpc_detach(sn_rpc *rpc, int err);
/* 1 while attached. */
int sn_rpc_attached(const sn_rpc *rpc);

/* Send a request. timeout_ms 0 = 30 s. `headers` as "name:value" pairs,
 * body NULL = absent; all copied. *id_out (may be NULL) gets the id.
 * SN_ERR_STATE when detached, UT_ERR_INVAL, UT_ERR_NOMEM, or the send
 * function's error. On error the callback is not called. */
int sn_rpc_request(sn_rpc *rpc, const char *verb, const char *path,
                   const sn_hdr *headers, size_t n_headers, const uint8_t *body,
                   size_t body_len, uint32_t timeout_ms, sn_rpc_response_cb cb,
                   void *ud, uint64_t *id_out);

/* Feed one received binary websocket message. Returns 0; SN_ERR_DECODE for
 * a malformed message (ignored: the connection stays up); UT_ERR_NOMEM.
 * A response with an unknown id (late, after a timeout) is ignored. */
int sn_rpc_input(sn_rpc *rpc, const uint8_t *msg, size_t len);

/* Answer `req` with `status` (200 = ack) and free it. SN_ERR_STALE if its
 * connection is gone (nothing sent; the server redelivers); send errors.
 * The handle is invalid afterwards in every case. */
int sn_rpc_respond(sn_rpc *rpc, sn_rpc_srvreq *req, uint32_t status);
/* Free `req` without answering (a NACK by silence). */
void sn_rpc_release(sn_rpc *rpc, sn_rpc_srvreq *req);

/* Counts, for tests and metrics. */
size_t sn_rpc_pending(const sn_rpc *rpc);      /* our unanswered requests */
size_t sn_rpc_unanswered(const sn_rpc *rpc);   /* server requests held */

#endif /* SN_RPC_H */
