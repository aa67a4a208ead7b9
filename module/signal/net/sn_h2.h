/*
 * sn_h2.h - an HTTP/2 client connection (nghttp2) on a TLS bufferevent.
 *
 * Carries ordinary requests (REST, CDN, storage; see sn_grpc.h for unary
 * gRPC) and RFC 8441 websocket streams (extended CONNECT, :protocol
 * websocket) on one connection. Responses are collected up to a cap.
 *
 * Threads: everything on the loop thread of the event_base given at creation;
 * the object never dispatches the loop. Callbacks run on that thread.
 * Lifetime: sn_h2_free may be called from any callback of this object; the
 * memory is then released when the callback returns. Each request callback
 * runs exactly once (at the latest from sn_h2_free, with SN_ERR_CANCELLED,
 * also when sn_h2_free is called from a callback: the other requests end
 * before sn_h2_free returns).
 */
#ifndef SN_H2_H
#define SN_H2_H

#include <stddef.h>
#include <stdint.h>

#include "sn_hdr.h"
#include "sn_tls.h"

struct bufferevent;
struct event_base;
struct evdns_base;
struct sn_gate;

typedef struct sn_h2 sn_h2;
typedef struct sn_h2_stream sn_h2_stream;

typedef struct sn_h2_callbacks {
    /* The server's first SETTINGS arrived: requests and (if
     * sn_h2_can_websocket) websocket streams may be opened. Optional. */
    void (*on_ready)(sn_h2 *h2, void *ud);
    /* The connection is gone (err: SN_ERR_CLOSED, SN_ERR_TLS_VERIFY,
     * SN_ERR_TIMEOUT, SN_ERR_H2, ...). Every open request and stream was
     * completed with the same error first. Called once. Optional. */
    void (*on_close)(sn_h2 *h2, int err, void *ud);
} sn_h2_callbacks;

/* Connect to host:port with TLS (ALPN h2 only) and start HTTP/2.
 * connect_timeout_ms (0 = 15 s) bounds TCP + TLS + the server's SETTINGS.
 * Requests may be submitted at once; they go out after the handshake.
 * `cbs` copied, `ud`/`tls`/`dns` borrowed. UT_ERR_*, SN_ERR_TLS,
 * SN_ERR_CONNECT. */
int sn_h2_connect(sn_h2 **out, struct event_base *base, sn_tls *tls,
                  struct evdns_base *dns, const char *host, uint16_t port,
                  uint32_t connect_timeout_ms, const sn_h2_callbacks *cbs,
                  void *ud);
/* sn_h2_connect through a gate (sn_gate.h; NULL = sn_h2_connect): the
 * TLS connection starts when the gate has a slot, which it holds until the
 * server's SETTINGS arrive (both sides are through the TLS handshake) or
 * the attempt fails. Requests may be submitted at once; they
 * wait in the session. connect_timeout_ms runs from the connection's
 * start, not from the queue. `gate` borrowed, must outlive the session. */
int sn_h2_connect_gated(sn_h2 **out, struct event_base *base, sn_tls *tls,
                        struct evdns_base *dns, const char *host, uint16_t port,
                        uint32_t connect_timeout_ms, struct sn_gate *gate,
                        const sn_h2_callbacks *cbs, void *ud);
/* Start HTTP/2 on an already connected TLS bufferevent whose ALPN result is
 * h2 (takes ownership of `bev`, also on error). `authority` "host:port". */
int sn_h2_new_from_bev(sn_h2 **out, struct event_base *base,
                       struct bufferevent *bev, const char *authority,
                       uint32_t settings_timeout_ms, const sn_h2_callbacks *cbs,
                       void *ud);
/* NULL ok; see Lifetime above. Open websocket streams are dropped silently. */
void sn_h2_free(sn_h2 *h2);

/* 1 after the server's SETTINGS arrived. */
int sn_h2_is_ready(const sn_h2 *h2);
/* 1 if the server sent SETTINGS_ENABLE_CONNECT_PROTOCOL = 1. */
int sn_h2_can_websocket(const sn_h2 *h2);

/* ---- ordinary requests ------------------------------------------------ */

/* Streaming request body (uploads from a file): store at most `len` bytes
 * in `buf`, return how many, and set *eof with the last bytes (or with 0
 * bytes). Data must be available at once (a file, not a pipe). A negative
 * return aborts the request; its callback gets that code. */
typedef long (*sn_http_body_read_fn)(uint8_t *buf, size_t len, int *eof, void *ud);
/* Streaming response body (downloads to a file): called per chunk, in
 * order, before the final callback. Return 0, or a negative code to abort
 * the request (the final callback then gets that code). */
typedef int (*sn_http_body_fn)(const uint8_t *p, size_t n, void *ud);

typedef struct sn_http_req {
    const char *method;        /* "GET", "PUT", ... */
    const char *path;          /* "/v1/..." with query */
    const sn_hdr *headers;     /* extra headers; names lower-case; borrowed */
    size_t n_headers;
    const uint8_t *body;       /* copied; NULL for none */
    size_t body_len;
    size_t max_response;       /* cap on the response body; 0 = 1 MiB */
    uint32_t timeout_ms;       /* 0 = 30 s */
    /* optional streaming (both get the request's `ud`): */
    sn_http_body_read_fn body_read; /* instead of body/body_len */
    sn_http_body_fn on_body;   /* response bytes go here, not into memory;
                                  max_response still caps the total */
} sn_http_req;

typedef struct sn_http_resp {
    int status;                 /* :status */
    const sn_hdrs *headers;     /* response headers (no pseudo-headers) */
    const sn_hdrs *trailers;    /* trailing headers (gRPC status lives here) */
    const uint8_t *body;        /* may be NULL when empty (always with on_body) */
    size_t body_len;            /* total received (also with on_body) */
} sn_http_resp;

/* rc 0 and `resp` (valid during the call only), or rc < 0 and resp NULL:
 * SN_ERR_TIMEOUT, SN_ERR_TOO_BIG (body over the cap), SN_ERR_CLOSED,
 * SN_ERR_H2 (stream reset), SN_ERR_CANCELLED, or the connection's error. */
typedef void (*sn_http_cb)(int rc, const sn_http_resp *resp, void *ud);

/* Submit a request (everything copied). The callback runs exactly once,
 * never before this function returns. UT_ERR_INVAL, UT_ERR_NOMEM,
 * SN_ERR_HEADER (bad header name/value), SN_ERR_CLOSED (connection gone),
 * SN_ERR_H2 (nghttp2 refused it). */
int sn_h2_request(sn_h2 *h2, const sn_http_req *req, sn_http_cb cb, void *ud);

/* ---- liveness ------------------------------------------------------------ */

/* rc 0: the peer acknowledged the PING; SN_ERR_TIMEOUT: it did not in time
 * (the connection is then closed: on_close with SN_ERR_TIMEOUT follows);
 * the connection's error if it closed first; SN_ERR_CANCELLED from
 * sn_h2_free. Runs exactly once, never before sn_h2_ping returns. */
typedef void (*sn_h2_ping_cb)(sn_h2 *h2, int rc, void *ud);

/* Send an HTTP/2 PING (RFC 9113 §6.7) to check that the peer still answers
 * (a connection idle for long may be silently dead). timeout_ms 0 = 10 s.
 * One at a time: SN_ERR_STATE while one is outstanding. SN_ERR_CLOSED,
 * SN_ERR_H2, UT_ERR_NOMEM. */
int sn_h2_ping(sn_h2 *h2, uint32_t timeout_ms, sn_h2_ping_cb cb, void *ud);

/* 1 while new requests may go out: not closed (also not while its
 * requests are being failed, before on_close) and no GOAWAY sent or
 * received (RFC 9113 §6.8: the peer takes no new streams). A pool asks
 * this before reusing a connection. */
int sn_h2_can_request(const sn_h2 *h);

/* Requests and websocket streams not finished yet (0 = idle). */
unsigned sn_h2_open_streams(const sn_h2 *h2);

/* ---- RFC 8441 websocket streams ---------------------------------------- */

typedef struct sn_h2_ws_callbacks {
    /* Response HEADERS: status 200 means the websocket is open; any other
     * status is followed by on_close(SN_ERR_HTTP_STATUS). */
    void (*on_open)(sn_h2_stream *st, int status, void *ud);
    /* Bytes of the stream (websocket frames), in order. */
    void (*on_data)(sn_h2_stream *st, const uint8_t *p, size_t n, void *ud);
    /* The stream ended: 0 peer ended it cleanly, else an SN_ERR_*. The
     * handle is invalid after this returns. */
    void (*on_close)(sn_h2_stream *st, int err, void *ud);
} sn_h2_ws_callbacks;

/* Open a websocket stream: CONNECT :protocol websocket :path `path`, plus
 * sec-websocket-version 13 and `headers` (e.g. authorization). Needs
 * sn_h2_is_ready (else SN_ERR_STATE) and sn_h2_can_websocket (else
 * SN_ERR_NO_CONNECT_PROTO). *out is valid until on_close or
 * sn_h2_stream_close. UT_ERR_*, SN_ERR_HEADER, SN_ERR_H2, SN_ERR_CLOSED. */
int sn_h2_ws_open(sn_h2 *h2, const char *path, const sn_hdr *headers,
                  size_t n_headers, const sn_h2_ws_callbacks *cbs, void *ud,
                  sn_h2_stream **out);
/* Queue bytes on the stream (copied) and send. UT_ERR_NOMEM, SN_ERR_CLOSED. */
int sn_h2_stream_write(sn_h2_stream *st, const uint8_t *p, size_t n);
/* The response headers of a websocket stream (no pseudo-headers), e.g.
 * Retry-After on a refused CONNECT. Valid during on_open. */
const sn_hdrs *sn_h2_stream_headers(const sn_h2_stream *st);
/* Stop receiving callbacks, end the stream after queued bytes are sent.
 * The handle is invalid afterwards. NULL ok. */
void sn_h2_stream_close(sn_h2_stream *st);

#endif /* SN_H2_H */
