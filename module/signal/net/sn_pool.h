/*
 * sn_pool.h - one HTTP/2 connection per origin (host, port), shared by the
 * REST, CDN, storage and gRPC calls of its owner (sig_client keeps one per
 * account, sig_https, so that logout and free cancel exactly its own); a
 * connection that closed or got GOAWAY (sn_h2_can_request) is replaced on
 * the next use while its last requests finish; with an idle limit
 * (sn_pool_set_idle) connections without open streams are closed.
 *
 * Threads: loop thread of `base` only; never dispatches the loop.
 */
#ifndef SN_POOL_H
#define SN_POOL_H

#include <stdint.h>

#include "sn_h2.h"
#include "sn_tls.h"

struct event_base;
struct evdns_base;

typedef struct sn_pool sn_pool;

/* `tls` and `dns` (may be NULL) are borrowed and must outlive the pool.
 * connect_timeout_ms 0 = 15 s. UT_ERR_INVAL, UT_ERR_NOMEM. */
int sn_pool_new(sn_pool **out, struct event_base *base, sn_tls *tls,
                struct evdns_base *dns, uint32_t connect_timeout_ms);
/* Frees every connection: their pending requests complete with
 * SN_ERR_CANCELLED before this returns. NULL ok. May be called from a
 * request callback of the pool (the sessions go when it returns). */
void sn_pool_free(sn_pool *pool);
/* New connections go through `gate` (sn_h2_connect_gated; borrowed, must
 * outlive the pool; NULL = none, the default), the one the loop's
 * websockets use, so that all connection attempts share one bound. */
struct sn_gate;
void sn_pool_set_gate(sn_pool *pool, struct sn_gate *gate);

/* The live connection to host:port, connecting if there is none (requests
 * may be submitted at once). The session is owned by the pool and may be
 * freed as soon as it closes: use the pointer at once (submit, then drop
 * it) and call sn_pool_get again for later calls. UT_ERR_INVAL,
 * UT_ERR_NOMEM, and sn_h2_connect's errors. */
int sn_pool_get(sn_pool *pool, const char *host, uint16_t port, sn_h2 **out);

/* Convenience: sn_pool_get + sn_h2_request. */
int sn_pool_request(sn_pool *pool, const char *host, uint16_t port,
                    const sn_http_req *req, sn_http_cb cb, void *ud);

/* Close connections that had no open request or stream for about idle_ms
 * (checked every idle_ms / 2, at least 50 ms); 0 = keep them (default).
 * Servers drop idle connections themselves, often silently; closing ours
 * first saves a failed request and the sockets. UT_ERR_INVAL, UT_ERR_NOMEM. */
int sn_pool_set_idle(sn_pool *pool, uint32_t idle_ms);

/* Open connections (tests, metrics). */
unsigned sn_pool_size(const sn_pool *pool);

#endif /* SN_POOL_H */
