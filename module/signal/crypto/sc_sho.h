/*
 * sc_sho.h - ShoHmacSha256, the stateful hash object of libsignal's poksho
 * and zkgroup (rust/poksho/src/shohmacsha256.rs), with zkgroup's
 * get_point/get_scalar squeezes (rust/zkgroup/src/common/sho.rs).
 *
 *   init(label)      cv = 0^32, then absorb_and_ratchet(label)
 *   absorb(x)        appends x to the pending input (any number of calls)
 *   ratchet()        cv = HMAC(cv, pending || 0x00); no-op if nothing pending
 *   squeeze(n)       block i = HMAC(cv, be64(i) || 0x01), truncated to n;
 *                    then cv = HMAC(cv, be64(n) || 0x02)
 *
 * Points and scalars are Ristretto255 in libsodium's encodings:
 * sc_sho_point = RistrettoPoint::from_uniform_bytes(squeeze(64)),
 * sc_sho_scalar = Scalar::from_bytes_mod_order_wide(squeeze(64)).
 *
 * The struct is visible only so it can live on the stack; its fields are
 * private. The state is secret when what was absorbed is: sc_sho_clear wipes
 * it and must be called on every path. Thread-safe per object; no I/O.
 * Errors: SC_ERR_CRYPTO (HMAC failed), SC_ERR_FORMAT (squeeze while input
 * is pending: ratchet first), UT_ERR_NOMEM.
 */
#ifndef SC_SHO_H
#define SC_SHO_H

#include <stddef.h>
#include <stdint.h>

#include "sc_err.h"

typedef struct sc_sho {
    uint8_t cv[32];
    uint8_t *in; /* pending absorbed input (malloc'd) */
    size_t n, cap;
    int absorbing;
} sc_sho;

int sc_sho_init(sc_sho *s, const void *label, size_t n)
    __attribute__((warn_unused_result));
int sc_sho_absorb(sc_sho *s, const void *in, size_t n)
    __attribute__((warn_unused_result));
int sc_sho_ratchet(sc_sho *s) __attribute__((warn_unused_result));
int sc_sho_absorb_and_ratchet(sc_sho *s, const void *in, size_t n)
    __attribute__((warn_unused_result));
/* squeeze_and_ratchet: n bytes into out. */
int sc_sho_squeeze(sc_sho *s, uint8_t *out, size_t n)
    __attribute__((warn_unused_result));
/* 64 squeezed bytes mapped to a point / reduced to a scalar (32 bytes). */
int sc_sho_point(sc_sho *s, uint8_t point[32])
    __attribute__((warn_unused_result));
int sc_sho_scalar(sc_sho *s, uint8_t scalar[32])
    __attribute__((warn_unused_result));
/* dst becomes an independent copy of src (clear both). */
int sc_sho_clone(sc_sho *dst, const sc_sho *src)
    __attribute__((warn_unused_result));
/* Wipes and frees; safe on a zeroed or already cleared object. */
void sc_sho_clear(sc_sho *s);

#endif
