/*
 * sc_lizard.h - the Ristretto255 maps zkgroup takes from curve25519-dalek's
 * `lizard` feature that libsodium does not export (curve25519-dalek 5.0,
 * src/lizard/ and src/ristretto/elligator.rs, as used by libsignal 0.100):
 *
 *   sc_lizard_map          RistrettoPoint::map_to_curve: one Elligator
 *                          (RFC 9496 MAP) of a field element, bit 255 ignored
 *   sc_lizard_encode       RistrettoPoint::lizard_encode::<Sha256>(16 bytes)
 *   sc_lizard_decode       RistrettoPoint::lizard_decode::<Sha256>
 *   sc_lizard_map_inverse  the positive half (first 8 entries) of
 *                          RistrettoPoint::map_to_curve_inverse
 *
 * Points are canonical Ristretto255 encodings (libsodium's). The field
 * arithmetic is constant time; decode and inverse branch only on whether the
 * input point is a valid encoding. Thread-safe, no allocation, no I/O.
 * Errors: SC_ERR_FORMAT (not a canonical Ristretto encoding),
 * SC_ERR_ZK_VERIFY (decode: no unique Lizard preimage).
 */
#ifndef SC_LIZARD_H
#define SC_LIZARD_H

#include <stdint.h>

#include "sc_err.h"

void sc_lizard_map(uint8_t point[32], const uint8_t r[32]);
void sc_lizard_encode(uint8_t point[32], const uint8_t data[16]);
int sc_lizard_decode(uint8_t data[16], const uint8_t point[32])
    __attribute__((warn_unused_result));
/* cand[i] is defined iff bit i of *mask is set (undefined ones are zero).
 * Every defined candidate c satisfies sc_lizard_map(c) == point. */
int sc_lizard_map_inverse(uint8_t cand[8][32], unsigned *mask,
                          const uint8_t point[32])
    __attribute__((warn_unused_result));

#endif
