/*
 * sc_kyber_int.h - internals of Kyber1024 (round 3) shared by sc_kyber.c and
 * sc_kyber_poly.c. Not part of the API; tests may include it to check the
 * arithmetic. Polynomials are 256 int16 coefficients mod q = 3329.
 *
 * Everything here is constant time in the coefficients except
 * sc_kyber_rej_uniform, which only ever sees public data (the matrix seed).
 */
#ifndef SC_KYBER_INT_H
#define SC_KYBER_INT_H

#include <stddef.h>
#include <stdint.h>

#define KY_N 256
#define KY_Q 3329
#define KY_K 4
#define KY_POLYBYTES 384
#define KY_POLYVECBYTES (KY_K * KY_POLYBYTES)          /* 1536 */
#define KY_POLYCOMP_DU 352                              /* 256 * 11 / 8 */
#define KY_POLYCOMP_DV 160                              /* 256 * 5 / 8 */
#define KY_CPA_CTBYTES (KY_K * KY_POLYCOMP_DU + KY_POLYCOMP_DV) /* 1568 */
#define KY_CPA_PKBYTES (KY_POLYVECBYTES + 32)           /* 1568 */
#define KY_CPA_SKBYTES KY_POLYVECBYTES                  /* 1536 */

typedef struct {
    int16_t c[KY_N];
} ky_poly;

typedef struct {
    ky_poly v[KY_K];
} ky_polyvec;

int16_t sc_kyber_montgomery_reduce(int32_t a);
int16_t sc_kyber_barrett_reduce(int16_t a);

void sc_kyber_ntt(ky_poly *p);            /* in: |c| < q; out: normal order */
void sc_kyber_invntt_tomont(ky_poly *p);  /* includes the Montgomery factor */
void sc_kyber_poly_basemul(ky_poly *r, const ky_poly *a, const ky_poly *b);
void sc_kyber_poly_tomont(ky_poly *p);
void sc_kyber_poly_reduce(ky_poly *p);
void sc_kyber_poly_add(ky_poly *r, const ky_poly *a, const ky_poly *b);
void sc_kyber_poly_sub(ky_poly *r, const ky_poly *a, const ky_poly *b);
/* r = sum a[i] * b[i] in the NTT domain, reduced. */
void sc_kyber_polyvec_basemul_acc(ky_poly *r, const ky_polyvec *a,
                                  const ky_polyvec *b);

/* b's odd coefficients times their pair's zeta (Montgomery form), so that
 * a . b over a whole vector needs one reduction per output coefficient:
 * prepared once per vector b, reused for every row a. */
typedef struct {
    int16_t c[KY_K][KY_N / 2];
} ky_polyvec_z;
void sc_kyber_polyvec_zprep(ky_polyvec_z *bz, const ky_polyvec *b);
/* r = sum a[i] * b[i] in the NTT domain, reduced; same result (mod q and
 * after reduction) as sc_kyber_polyvec_basemul_acc. Inputs |a|, |b| < 2^12. */
void sc_kyber_polyvec_basemul_acc_z(ky_poly *r, const ky_polyvec *a,
                                    const ky_polyvec *b, const ky_polyvec_z *bz);

/* Centered binomial distribution, eta = 2, from 128 uniform bytes. */
void sc_kyber_cbd2(ky_poly *r, const uint8_t buf[128]);

void sc_kyber_poly_tobytes(uint8_t r[KY_POLYBYTES], const ky_poly *a);
void sc_kyber_poly_frombytes(ky_poly *r, const uint8_t a[KY_POLYBYTES]);
void sc_kyber_poly_frommsg(ky_poly *r, const uint8_t msg[32]);
void sc_kyber_poly_tomsg(uint8_t msg[32], const ky_poly *a);
/* d = 11 for the vector part, d = 5 for v. Division-free (KyberSlash). */
void sc_kyber_poly_compress11(uint8_t r[KY_POLYCOMP_DU], const ky_poly *a);
void sc_kyber_poly_decompress11(ky_poly *r, const uint8_t a[KY_POLYCOMP_DU]);
void sc_kyber_poly_compress5(uint8_t r[KY_POLYCOMP_DV], const ky_poly *a);
void sc_kyber_poly_decompress5(ky_poly *r, const uint8_t a[KY_POLYCOMP_DV]);

/* Any d of 4, 5, 10, 11 (ML-KEM-768 uses du = 10, dv = 4); r holds
 * 32 * d bytes. */
void sc_kyber_poly_compress_d(uint8_t *r, const ky_poly *a, unsigned d);
void sc_kyber_poly_decompress_d(ky_poly *r, const uint8_t *a, unsigned d);

/* Rejection sampling of uniform coefficients from XOF output: fills r from
 * position `have`, returns the new count (<= KY_N). Public input only. */
unsigned sc_kyber_rej_uniform(int16_t *r, unsigned have, const uint8_t *buf,
                              size_t len);

/* 1 when the CPU runs AVX2 (then sc_kyber_shake4x may be used). */
int sc_kyber_have_avx2(void);
/* Four SHAKE instances (rate 168 = SHAKE128, 136 = SHAKE256) of inputs of
 * inlen < rate bytes each; squeezes nblocks * rate bytes into each out[k].
 * AVX2 only: call only when sc_kyber_have_avx2(). */
void sc_kyber_shake4x(uint8_t *const out[4], size_t nblocks, unsigned rate,
                      const uint8_t *const in[4], size_t inlen);

/* Single-coefficient compression (exposed for the exhaustive unit test). */
uint16_t sc_kyber_compress_coeff(int16_t a, unsigned d);

#endif
