/*
 * sn_tls.h - TLS client connections (OpenSSL) as libevent bufferevents.
 *
 * An sn_tls holds the shared configuration (trust anchors: Signal's pinned
 * roots or the ca_file's, never the system store; protocol floor)
 * for any number of connections on any number of accounts. Each connection
 * verifies the server certificate chain and the host: a DNS name is checked
 * against the certificate's DNS SANs (and sent as SNI), an IP literal
 * against its IP SANs. ALPN offers h2 and/or http/1.1.
 *
 * Threads: sn_tls is immutable after sn_tls_new and may be shared by
 * threads; each bufferevent belongs to the loop thread of its event_base.
 */
#ifndef SN_TLS_H
#define SN_TLS_H

#include <stdint.h>

struct bufferevent;
struct event_base;
struct evdns_base;

typedef struct sn_tls sn_tls;

/* The trust anchors are exactly one set, whatever the host:
 *   ca_file NULL: Signal's own roots, built in (sn_roots.h), as production
 *     clients pin them; chat, storage and CDN hosts all chain to them;
 *   ca_file set: the roots in that PEM file and nothing else (the sandbox's
 *     ca-cert.pem, a private Signal server).
 * The system's trust store (and SSL_CERT_FILE / SSL_CERT_DIR) is never
 * used. UT_ERR_NOMEM; SN_ERR_TLS when the file cannot be read or holds no
 * certificate. */
int sn_tls_new(sn_tls **out, const char *ca_file);
/* NULL ok. Connections already made keep working (OpenSSL refcounts). */
void sn_tls_free(sn_tls *tls);

enum { SN_ALPN_H2_H1 = 0, SN_ALPN_H2 = 1, SN_ALPN_H1 = 2 };
enum { SN_PROTO_NONE = 0, SN_PROTO_H1 = 1, SN_PROTO_H2 = 2 };

/* Block SIGPIPE in the calling thread (idempotent; 0 or UT_ERR_IO). A peer
 * that resets the connection makes the next write fail with EPIPE, which
 * on Linux also raises SIGPIPE and would kill the whole host process;
 * blocked, the write just returns the error. sn_tls_connect calls it, since
 * connections are made on the loop thread that later writes to them. */
int sn_tls_block_sigpipe(void);

/* Start a TLS connection to host:port. `dns` may be NULL (then a host name
 * is resolved with a blocking lookup; IP literals never block). `alpn` is
 * one of SN_ALPN_*. On success *out is a connecting bufferevent (caller
 * owns it, frees with bufferevent_free; callbacks deferred to the loop)
 * which reports BEV_EVENT_CONNECTED after the handshake and verification, or
 * BEV_EVENT_ERROR (map with sn_tls_error). UT_ERR_INVAL, UT_ERR_NOMEM,
 * SN_ERR_TLS, SN_ERR_CONNECT, SN_ERR_DNS (immediate failure; a blocking
 * lookup that fails is reported here). Loop thread only (it
 * blocks SIGPIPE in that thread, see above). */
int sn_tls_connect(sn_tls *tls, struct event_base *base, struct evdns_base *dns,
                   const char *host, uint16_t port, int alpn,
                   struct bufferevent **out);

/* After BEV_EVENT_CONNECTED: the ALPN result, SN_PROTO_*. */
int sn_tls_protocol(struct bufferevent *bev);

/* After BEV_EVENT_ERROR/EOF on a TLS bufferevent: SN_ERR_TLS_VERIFY (the
 * chain or the host name did not verify), SN_ERR_TLS (other TLS failure),
 * SN_ERR_DNS (the host name did not resolve), SN_ERR_CONNECT (TCP not
 * established; callers that saw
 * BEV_EVENT_CONNECTED read it as a reset), or SN_ERR_CLOSED. `events` are the
 * BEV_EVENT_* flags the event callback got. */
int sn_tls_error(struct bufferevent *bev, short events);

#endif /* SN_TLS_H */
