/*
 * sc_mlkem768.h - ML-KEM-768 (FIPS 203), the KEM of SPQR's epochs
 * (spqr v1.5.3 src/incremental_mlkem768.rs over libcrux-ml-kem's
 * mlkem768::incremental). Not the Kyber1024 round 3 of PQXDH (sc_kyber.h).
 *
 * Standard byte layouts: ek = t̂ (1152) ‖ ρ (32); dk = ŝ (1152) ‖ ek ‖
 * H(ek) ‖ z; ct = c1 (960, du = 10) ‖ c2 (128, dv = 4).
 *
 * The incremental split SPQR sends over the wire (libcrux
 * ind_cca/incremental/types.rs): hdr = ρ ‖ H(ek) (64 bytes, "pk1"); the
 * encapsulation key part is t̂ alone (1152, "pk2"). encaps1 needs only hdr
 * and yields c1, the shared secret and a private state; encaps2 needs that
 * state and t̂ and yields c2. c1 ‖ c2 is an ordinary ciphertext, so
 * decapsulation is the standard one. The state layout is ours (it never
 * leaves this process): r̂ (3 × 384) ‖ e2 (384) ‖ m (32).
 *
 * Constant time in secrets (keys, m, r, shared secrets), as sc_kyber.
 * Results: 0, SC_ERR_CRYPTO (SHA-3 backend), UT_ERR_IO (no randomness),
 * SC_ERR_FORMAT (an ek or t̂ with a coefficient >= q: FIPS 203 §7.2's
 * modulus check). Outputs are zeroed on error.
 */
#ifndef SC_MLKEM768_H
#define SC_MLKEM768_H

#include <stddef.h>
#include <stdint.h>

#include "sc_err.h"

#define SC_MLKEM768_EK 1184
#define SC_MLKEM768_DK 2400
#define SC_MLKEM768_CT 1088
#define SC_MLKEM768_SS 32
#define SC_MLKEM768_HDR 64
#define SC_MLKEM768_EK_T 1152
#define SC_MLKEM768_CT1 960
#define SC_MLKEM768_CT2 128
#define SC_MLKEM768_ES 1568

#define SC_MLKEM_WUR __attribute__((warn_unused_result))

/* seed = d ‖ z (FIPS 203 ML-KEM.KeyGen_internal). */
int sc_mlkem768_keypair_derand(uint8_t ek[SC_MLKEM768_EK], uint8_t dk[SC_MLKEM768_DK],
                               const uint8_t seed[64]) SC_MLKEM_WUR;
int sc_mlkem768_keypair(uint8_t ek[SC_MLKEM768_EK],
                        uint8_t dk[SC_MLKEM768_DK]) SC_MLKEM_WUR;
/* m = the 32 random bytes of ML-KEM.Encaps_internal. */
int sc_mlkem768_encaps_derand(uint8_t ct[SC_MLKEM768_CT], uint8_t ss[32],
                              const uint8_t ek[SC_MLKEM768_EK],
                              const uint8_t m[32]) SC_MLKEM_WUR;
int sc_mlkem768_encaps(uint8_t ct[SC_MLKEM768_CT], uint8_t ss[32],
                       const uint8_t ek[SC_MLKEM768_EK]) SC_MLKEM_WUR;
/* Implicit rejection: a bad ct yields J(z ‖ ct), not an error. */
int sc_mlkem768_decaps(uint8_t ss[32], const uint8_t ct[SC_MLKEM768_CT],
                       const uint8_t dk[SC_MLKEM768_DK]) SC_MLKEM_WUR;

/* ---- incremental encapsulation ------------------------------------------ */

/* hdr = ρ ‖ H(ek) and t̂ from a standard ek (no checks). */
void sc_mlkem768_split(uint8_t hdr[SC_MLKEM768_HDR], uint8_t ek_t[SC_MLKEM768_EK_T],
                       const uint8_t ek[SC_MLKEM768_EK]);
/* 1 when H(t̂ ‖ ρ) equals the hash in hdr and t̂ passes the modulus check
 * (libcrux incremental::validate_pk_bytes), else 0. Public data only. */
int sc_mlkem768_hdr_matches(const uint8_t hdr[SC_MLKEM768_HDR],
                            const uint8_t ek_t[SC_MLKEM768_EK_T]);
int sc_mlkem768_encaps1_derand(uint8_t ct1[SC_MLKEM768_CT1],
                               uint8_t es[SC_MLKEM768_ES], uint8_t ss[32],
                               const uint8_t hdr[SC_MLKEM768_HDR],
                               const uint8_t m[32]) SC_MLKEM_WUR;
int sc_mlkem768_encaps1(uint8_t ct1[SC_MLKEM768_CT1], uint8_t es[SC_MLKEM768_ES],
                        uint8_t ss[32], const uint8_t hdr[SC_MLKEM768_HDR]) SC_MLKEM_WUR;
int sc_mlkem768_encaps2(uint8_t ct2[SC_MLKEM768_CT2],
                        const uint8_t es[SC_MLKEM768_ES],
                        const uint8_t ek_t[SC_MLKEM768_EK_T]) SC_MLKEM_WUR;

#endif
