/*
 * sn_sock.h - one Signal websocket (chat or provisioning) that stays up:
 * TLS, then RFC 8441 extended CONNECT on HTTP/2 when ALPN gives h2 and the
 * server allows it, else an HTTP/1.1 Upgrade; the WebSocketMessage layer
 * (sn_rpc); `GET /v1/keepalive` on an interval, a missing answer tears the
 * socket down; reconnects with exponential backoff and jitter, each
 * attempt through a gate (sn_gate) that bounds the handshakes in progress
 * across all sockets of the loop.
 *
 * Many sn_socks (one or two per account) share one event_base; none of
 * them dispatches it. Each has its own TCP connection.
 *
 * Threads: loop thread of `base` only (every function and callback).
 * Lifetime: sn_sock_free may be called from inside its own callbacks; the
 * memory is released when the callback returns.
 */
#ifndef SN_SOCK_H
#define SN_SOCK_H

#include <stddef.h>
#include <stdint.h>

#include "sn_backoff.h"
#include "sn_gate.h"
#include "sn_hdr.h"
#include "sn_rpc.h"
#include "sn_tls.h"
#include "ut.h"

struct event_base;
struct evdns_base;

typedef struct sn_sock sn_sock;

typedef enum sn_sock_state {
    SN_SOCK_CONNECTING = 1,  /* a connection attempt started */
    SN_SOCK_CONNECTED,       /* websocket open; requests may be sent */
    SN_SOCK_DISCONNECTED,    /* lost (err says why); reconnect scheduled
                                unless reconnect is off */
    SN_SOCK_UNAUTHORIZED,    /* close 3000 or HTTP 401/403: credentials
                                rejected or device unlinked; or HTTP 499
                                (err SN_ERR_DEPRECATED): the service refuses
                                this client; no reconnect */
    SN_SOCK_REPLACED,        /* close 4409: another socket for this device
                                took over; no reconnect */
    SN_SOCK_STOPPED          /* sn_sock_stop was called */
} sn_sock_state;

enum { SN_WS_AUTO = 0, SN_WS_H2 = 1, SN_WS_H1 = 2 };

typedef struct sn_sock_config {
    const char *host;              /* name or IP literal; copied */
    uint16_t port;
    const char *path;              /* "/v1/websocket/" or
                                      "/v1/websocket/provisioning/"; copied */
    const sn_hdr *headers;         /* e.g. authorization; copied */
    size_t n_headers;
    sn_tls *tls;                   /* borrowed; must outlive the sn_sock */
    struct evdns_base *dns;        /* borrowed; NULL = blocking lookups */
    int transport;                 /* SN_WS_AUTO / SN_WS_H2 / SN_WS_H1 */
    uint32_t connect_timeout_ms;   /* TCP+TLS+handshake; 0 = 15000 */
    uint32_t keepalive_ms;         /* interval; 0 = 30000, as Signal-Desktop's
                                      KEEPALIVE_INTERVAL_MS and Android's
                                      KEEPALIVE_FREQUENCY_SECONDS (cited in
                                      libsignal rust/net/infra/src/timeouts.rs);
                                      UINT32_MAX = off */
    uint32_t keepalive_timeout_ms; /* 0 = 10000 */
    const char *keepalive_path;    /* NULL = "/v1/keepalive"; the provisioning
                                      socket uses "/v1/keepalive/provisioning"
                                      (Signal-Desktop SocketManager.ts;
                                      Signal-Server KeepAliveController) */
    size_t max_message;            /* websocket message cap; 0 = 16 MiB */
    int no_reconnect;              /* 1: stay DISCONNECTED after a loss */
    uint32_t backoff_base_ms;      /* 0 = 500 */
    uint32_t backoff_max_ms;       /* 0 = 60000: signalmeow's maxBackoff
                                      (pkg/signalmeow/web/signalwebsocket.go);
                                      Signal-Desktop's last step is 55 s plus
                                      up to 5 s of jitter (ts/util/BackOff.std.ts
                                      FIBONACCI_TIMEOUTS, SocketManager JITTER) */
    uint32_t backoff_jitter_pct;   /* 0..100; 0 = 100, "full jitter": a
                                      delay anywhere in [0, ceiling], so
                                      sockets that dropped together do not
                                      come back together */
    sn_gate *gate;                 /* borrowed, shared by the loop's sockets:
                                      at most its bound of connection attempts
                                      (TCP + TLS + websocket handshake) at
                                      once; NULL = no bound */
    const ut_log *log;             /* borrowed; may be NULL */
} sn_sock_config;

typedef struct sn_sock_callbacks {
    /* State changes. err: 0 or the SN_ERR_* behind DISCONNECTED /
     * UNAUTHORIZED / REPLACED; close_code the websocket close code received
     * (0 if none). */
    void (*on_state)(sn_sock *s, sn_sock_state st, int err, int close_code,
                     void *ud);
    /* A server request. Answer exactly once, now or later, with
     * sn_sock_respond (200 = ack, after the data is durable) or
     * sn_sock_release. May be NULL: requests are then released unanswered. */
    void (*on_request)(sn_sock *s, sn_rpc_srvreq *req,
                       const sn_rpc_incoming *in, void *ud);
} sn_sock_callbacks;

/* Create (not started). `cfg` and `cbs` are copied. UT_ERR_INVAL (missing
 * host/port/path/tls), UT_ERR_NOMEM, SN_ERR_HEADER. */
int sn_sock_new(sn_sock **out, struct event_base *base,
                const sn_sock_config *cfg, const sn_sock_callbacks *cbs,
                void *ud);
/* Start connecting (also after STOPPED/UNAUTHORIZED/REPLACED/no_reconnect).
 * SN_ERR_STATE if already running. */
int sn_sock_start(sn_sock *s);
/* Close the connection (a close frame 1000 is queued best effort), cancel
 * timers and pending requests (SN_ERR_CLOSED); state STOPPED. */
void sn_sock_stop(sn_sock *s);
/* Stop and free. NULL ok. Held server requests become invalid. */
void sn_sock_free(sn_sock *s);

/* Send a request on the open socket: see sn_rpc_request. SN_ERR_STATE when
 * not CONNECTED. */
int sn_sock_request(sn_sock *s, const char *verb, const char *path,
                    const sn_hdr *headers, size_t n_headers,
                    const uint8_t *body, size_t body_len, uint32_t timeout_ms,
                    sn_rpc_response_cb cb, void *ud);
/* Answer / drop a server request: see sn_rpc_respond / sn_rpc_release. */
int sn_sock_respond(sn_sock *s, sn_rpc_srvreq *req, uint32_t status);
void sn_sock_release(sn_sock *s, sn_rpc_srvreq *req);

sn_sock_state sn_sock_get_state(const sn_sock *s);
/* Carrier of the open websocket: SN_PROTO_H2 (RFC 8441) or SN_PROTO_H1
 * (Upgrade); SN_PROTO_NONE when not connected. */
int sn_sock_transport(const sn_sock *s);
/* Number of successful connections so far (tests, metrics). */
unsigned sn_sock_connections(const sn_sock *s);

#endif /* SN_SOCK_H */
