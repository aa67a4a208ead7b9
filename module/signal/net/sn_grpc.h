/*
 * sn_grpc.h - unary gRPC calls over an sn_h2 connection (the attachment
 * upload form, org.signal.chat.attachments.Attachments, method GetUploadForm).
 *
 * Wire format (gRPC over HTTP/2): POST, content-type application/grpc,
 * te: trailers; each message is a 1-byte compressed flag (always 0 here),
 * a 4-byte big-endian length and the protobuf bytes. The status is the
 * grpc-status trailer (or header, for trailers-only responses).
 * Threads: as sn_h2 (loop thread). Framing functions are pure.
 */
#ifndef SN_GRPC_H
#define SN_GRPC_H

#include <stddef.h>
#include <stdint.h>

#include "sn_h2.h"
#include "ut.h"

/* Append the 5-byte prefix and `msg` to `out`. UT_ERR_RANGE (cap, or a
 * message of 4 GiB or more), UT_ERR_NOMEM. */
int sn_grpc_frame(ut_buf *out, const uint8_t *msg, size_t len);

/* Exactly one uncompressed message in `body`: *msg and *msg_len view it.
 * An empty body gives an empty message (trailers-only error responses).
 * SN_ERR_GRPC_FRAME: short prefix, compressed flag set, length mismatch,
 * trailing bytes. */
int sn_grpc_unframe(const uint8_t *body, size_t len, const uint8_t **msg,
                    size_t *msg_len);

/* rc < 0: transport error (as sn_http_cb), or SN_ERR_HTTP_STATUS (HTTP status
 * not 200), SN_ERR_GRPC_FRAME (bad framing or no grpc-status).
 * rc 0: grpc_status is the gRPC status (0 = OK), grpc_message the decoded
 * text or NULL, msg/len the response message. Views valid during the call. */
typedef void (*sn_grpc_cb)(int rc, int grpc_status, const char *grpc_message,
                           const uint8_t *msg, size_t len, void *ud);

/* Call `path` ("/package.Service/Method") with one request message.
 * `headers` as in sn_http_req (e.g. authorization). max_response 0 = 1 MiB,
 * timeout_ms 0 = 30 s. Errors as sn_h2_request; on error cb is not called. */
int sn_grpc_unary(sn_h2 *h2, const char *path, const sn_hdr *headers,
                  size_t n_headers, const uint8_t *msg, size_t len,
                  size_t max_response, uint32_t timeout_ms, sn_grpc_cb cb,
                  void *ud);

#endif /* SN_GRPC_H */
