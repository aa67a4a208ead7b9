/*
 * sc_spqr_code.h - SPQR's erasure code for the chunks of its KEM messages
 * (spqr v1.5.3 src/encoding/polynomial.rs, src/encoding/gf.rs).
 *
 * A message of n bytes is read as n/2 big-endian 16-bit symbols of
 * GF(2^16) (reduction polynomial 0x1100B); symbol i is the value at
 * x = i / 16 of polynomial i % 16. Chunk j (32 bytes) holds the 16
 * polynomials' values at x = j, so chunks 0 .. k-1 (k = n / 32) are the
 * message itself and every later chunk is redundancy: any k distinct
 * chunks give the message back (Lagrange interpolation).
 *
 * Every SPQR payload is a multiple of 32 bytes (hdr+mac 96, ek 1152, ct1
 * 960, ct2+mac 160), where each polynomial holds the same number of
 * points, so the decoder can keep whole chunks: it stores a chunk when its
 * index is below k or while it holds fewer than k, and ignores repeats, as
 * the Rust PolyDecoder does per point. All data here is public (the chunks
 * travel in clear), so nothing needs constant time.
 */
#ifndef SC_SPQR_CODE_H
#define SC_SPQR_CODE_H

#include <stddef.h>
#include <stdint.h>

#define SC_SPQR_CHUNK 32
#define SC_SPQR_CODE_MAXK 36   /* ek: 1152 / 32 */

/* GF(2^16), exposed for the unit test. */
uint16_t sc_gf16_mul(uint16_t a, uint16_t b);
uint16_t sc_gf16_inv(uint16_t a); /* a != 0 */

/* Chunk `idx` of msg (n a multiple of 32, n / 32 <= SC_SPQR_CODE_MAXK). */
void sc_spqr_chunk_at(uint8_t out[SC_SPQR_CHUNK], const uint8_t *msg, size_t n,
                      uint16_t idx);

typedef struct sc_spqr_decoder {
    uint16_t k;                              /* chunks needed: n / 32 */
    uint16_t count;                          /* chunks held, at most 2k */
    uint16_t idx[2 * SC_SPQR_CODE_MAXK];
    uint8_t data[2 * SC_SPQR_CODE_MAXK][SC_SPQR_CHUNK];
} sc_spqr_decoder;

void sc_spqr_decoder_init(sc_spqr_decoder *d, size_t n);
void sc_spqr_decoder_add(sc_spqr_decoder *d, uint16_t idx,
                         const uint8_t data[SC_SPQR_CHUNK]);
/* 1 and the n = 32k bytes in out once k chunks are held, else 0. */
int sc_spqr_decoder_done(const sc_spqr_decoder *d, uint8_t *out);

#endif
