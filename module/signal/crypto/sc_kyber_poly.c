/*
 * sc_kyber_poly.c - polynomial arithmetic of Kyber1024 round 3: NTT over
 * q = 3329 with Montgomery/Barrett reduction, CBD sampling, (de)compression
 * and byte encodings. Written from the round-3 specification (v3.02);
 * the arithmetic is the same in FIPS 203, only the KEM wrapper differs.
 *
 * Constant time: no branch or table index depends on a coefficient. The
 * compressions avoid division (KyberSlash) by multiplying with a rounded
 * reciprocal; tests/unit check them exhaustively against the division.
 */
#include "config.h"

/* The coefficient loops vectorise well; -O2 does not try hard enough. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif

#include <string.h>

#include "sc_kyber_int.h"
#include "ut.h"

#define QINV (-3327) /* q^-1 mod 2^16 */

/* 2^16 * 17^brv7(i) mod q, centered: the NTT twiddles in Montgomery form. */
static const int16_t zetas[128] = {
    -1044, -758,  -359,  -1517, 1493,  1422,  287,   202,
    -171,  622,   1577,  182,   962,   -1202, -1474, 1468,
    573,   -1325, 264,   383,   -829,  1458,  -1602, -130,
    -681,  1017,  732,   608,   -1542, 411,   -205,  -1571,
    1223,  652,   -552,  1015,  -1293, 1491,  -282,  -1544,
    516,   -8,    -320,  -666,  -1618, -1162, 126,   1469,
    -853,  -90,   -271,  830,   107,   -1421, -247,  -951,
    -398,  961,   -1508, -725,  448,   -1065, 677,   -1275,
    -1103, 430,   555,   843,   -1251, 871,   1550,  105,
    422,   587,   177,   -235,  -291,  -460,  1574,  1653,
    -246,  778,   1159,  -147,  -777,  1483,  -602,  1119,
    -1590, 644,   -872,  349,   418,   329,   -156,  -75,
    817,   1097,  603,   610,   1322,  -1285, -1465, 384,
    -1215, -136,  1218,  -1335, -874,  220,   -1187, -1659,
    -1185, -1530, -1278, 794,   -1510, -854,  -870,  478,
    -108,  -308,  996,   991,   958,   -1460, 1522,  1628,
};

/* a * 2^-16 mod q, for |a| < q * 2^15; result in (-q, q). */
static inline int16_t mont_reduce(int32_t a)
{
    int16_t t = (int16_t)((int16_t)a * QINV);

    return (int16_t)((a - (int32_t)t * KY_Q) >> 16);
}

/* a mod q, centered representative in [-(q-1)/2, (q-1)/2]. */
static inline int16_t barrett_reduce(int16_t a)
{
    const int16_t v = ((1 << 26) + KY_Q / 2) / KY_Q;
    int16_t t = (int16_t)(((int32_t)v * a + (1 << 25)) >> 26);

    return (int16_t)(a - t * KY_Q);
}

static inline int16_t fqmul(int16_t a, int16_t b)
{
    return mont_reduce((int32_t)a * b);
}

int16_t sc_kyber_montgomery_reduce(int32_t a)
{
    return mont_reduce(a);
}

int16_t sc_kyber_barrett_reduce(int16_t a)
{
    return barrett_reduce(a);
}

void sc_kyber_ntt(ky_poly *p)
{
    unsigned len, start, j, k = 1;
    int16_t *r = p->c;

    for (len = 128; len >= 2; len >>= 1) {
        for (start = 0; start < KY_N; start = j + len) {
            int16_t zeta = zetas[k++];

            for (j = start; j < start + len; j++) {
                int16_t t = fqmul(zeta, r[j + len]);

                r[j + len] = (int16_t)(r[j] - t);
                r[j] = (int16_t)(r[j] + t);
            }
        }
    }
    sc_kyber_poly_reduce(p);
}

void sc_kyber_invntt_tomont(ky_poly *p)
{
    const int16_t f = 1441; /* mont^2 / 128 */
    unsigned len, start, j, k = 127;
    int16_t *r = p->c;

    for (len = 2; len <= 128; len <<= 1) {
        for (start = 0; start < KY_N; start = j + len) {
            int16_t zeta = zetas[k--];

            for (j = start; j < start + len; j++) {
                int16_t t = r[j];

                r[j] = barrett_reduce((int16_t)(t + r[j + len]));
                r[j + len] = (int16_t)(r[j + len] - t);
                r[j + len] = fqmul(zeta, r[j + len]);
            }
        }
    }
    for (j = 0; j < KY_N; j++)
        r[j] = fqmul(r[j], f);
}

/* Multiplication in Z_q[X]/(X^2 - zeta). */
static void basemul(int16_t r[2], const int16_t a[2], const int16_t b[2],
                    int16_t zeta)
{
    r[0] = fqmul(a[1], b[1]);
    r[0] = fqmul(r[0], zeta);
    r[0] = (int16_t)(r[0] + fqmul(a[0], b[0]));
    r[1] = fqmul(a[0], b[1]);
    r[1] = (int16_t)(r[1] + fqmul(a[1], b[0]));
}

void sc_kyber_poly_basemul(ky_poly *r, const ky_poly *a, const ky_poly *b)
{
    unsigned i;

    for (i = 0; i < KY_N / 4; i++) {
        basemul(&r->c[4 * i], &a->c[4 * i], &b->c[4 * i], zetas[64 + i]);
        basemul(&r->c[4 * i + 2], &a->c[4 * i + 2], &b->c[4 * i + 2],
                (int16_t)-zetas[64 + i]);
    }
}

void sc_kyber_poly_tomont(ky_poly *p)
{
    const int16_t f = (int16_t)((1ULL << 32) % KY_Q);
    unsigned i;

    for (i = 0; i < KY_N; i++)
        p->c[i] = mont_reduce((int32_t)p->c[i] * f);
}

void sc_kyber_poly_reduce(ky_poly *p)
{
    unsigned i;

    for (i = 0; i < KY_N; i++)
        p->c[i] = barrett_reduce(p->c[i]);
}

void sc_kyber_poly_add(ky_poly *r, const ky_poly *a, const ky_poly *b)
{
    unsigned i;

    for (i = 0; i < KY_N; i++)
        r->c[i] = (int16_t)(a->c[i] + b->c[i]);
}

void sc_kyber_poly_sub(ky_poly *r, const ky_poly *a, const ky_poly *b)
{
    unsigned i;

    for (i = 0; i < KY_N; i++)
        r->c[i] = (int16_t)(a->c[i] - b->c[i]);
}

void sc_kyber_polyvec_basemul_acc(ky_poly *r, const ky_polyvec *a,
                                  const ky_polyvec *b)
{
    ky_poly t;
    unsigned i;

    sc_kyber_poly_basemul(r, &a->v[0], &b->v[0]);
    for (i = 1; i < KY_K; i++) {
        sc_kyber_poly_basemul(&t, &a->v[i], &b->v[i]);
        sc_kyber_poly_add(r, r, &t);
    }
    sc_kyber_poly_reduce(r);
}

void sc_kyber_polyvec_zprep(ky_polyvec_z *bz, const ky_polyvec *b)
{
    unsigned k, i;

    for (k = 0; k < KY_K; k++)
        for (i = 0; i < KY_N / 4; i++) {
            bz->c[k][2 * i] = fqmul(b->v[k].c[4 * i + 1], zetas[64 + i]);
            bz->c[k][2 * i + 1] =
                fqmul(b->v[k].c[4 * i + 3], (int16_t)-zetas[64 + i]);
        }
}

void sc_kyber_polyvec_basemul_acc_z(ky_poly *r, const ky_polyvec *a,
                                    const ky_polyvec *b, const ky_polyvec_z *bz)
{
    unsigned j, k;

    /* |sum| <= 8 * 4095 * 3328 < q * 2^15: one Montgomery reduction */
    for (j = 0; j < KY_N / 2; j++) {
        int32_t r0 = 0, r1 = 0;

        for (k = 0; k < KY_K; k++) {
            int32_t a0 = a->v[k].c[2 * j], a1 = a->v[k].c[2 * j + 1];
            int32_t b0 = b->v[k].c[2 * j], b1 = b->v[k].c[2 * j + 1];

            r0 += a1 * bz->c[k][j] + a0 * b0;
            r1 += a0 * b1 + a1 * b0;
        }
        r->c[2 * j] = mont_reduce(r0);
        r->c[2 * j + 1] = mont_reduce(r1);
    }
    sc_kyber_poly_reduce(r);
}

void sc_kyber_cbd2(ky_poly *r, const uint8_t buf[128])
{
    unsigned i, j;

    for (i = 0; i < KY_N / 8; i++) {
        uint32_t t = (uint32_t)buf[4 * i] | (uint32_t)buf[4 * i + 1] << 8 |
                     (uint32_t)buf[4 * i + 2] << 16 |
                     (uint32_t)buf[4 * i + 3] << 24;
        uint32_t d = (t & 0x55555555u) + ((t >> 1) & 0x55555555u);

        for (j = 0; j < 8; j++) {
            int16_t a = (int16_t)((d >> (4 * j)) & 3);
            int16_t b = (int16_t)((d >> (4 * j + 2)) & 3);

            r->c[8 * i + j] = (int16_t)(a - b);
        }
    }
}

/* Map a coefficient in (-q, q) to [0, q) without a branch. */
static uint32_t csubq_pos(int16_t a)
{
    a = (int16_t)(a + ((a >> 15) & KY_Q));
    return (uint32_t)(uint16_t)a;
}

uint16_t sc_kyber_compress_coeff(int16_t a, unsigned d)
{
    uint64_t u = csubq_pos(a);

    /* round(2^d * u / q) mod 2^d, with 1/q as a fixed-point reciprocal
     * exact for all u < q (checked exhaustively in the unit test). */
    switch (d) {
    case 1:
        return (uint16_t)((((u << 1) + 1665) * 80635) >> 28 & 1);
    case 4: /* ML-KEM-768's dv */
        return (uint16_t)((((u << 4) + 1665) * 80635) >> 28 & 0xf);
    case 5:
        return (uint16_t)((((u << 5) + 1664) * 40318) >> 27 & 0x1f);
    case 10: /* ML-KEM-768's du */
        return (uint16_t)((((u << 10) + 1665) * 1290167) >> 32 & 0x3ff);
    case 11:
        return (uint16_t)((((u << 11) + 1664) * 645084) >> 31 & 0x7ff);
    default:
        return 0;
    }
}

/* Little-endian bit packing of 256 values of `bits` bits each. */
static void pack_bits(uint8_t *out, const uint16_t *v, unsigned bits)
{
    uint32_t acc = 0;
    unsigned have = 0, i, o = 0;

    for (i = 0; i < KY_N; i++) {
        acc |= (uint32_t)v[i] << have;
        have += bits;
        while (have >= 8) {
            out[o++] = (uint8_t)acc;
            acc >>= 8;
            have -= 8;
        }
    }
}

static void unpack_bits(uint16_t *v, const uint8_t *in, unsigned bits)
{
    uint32_t acc = 0, mask = (1u << bits) - 1;
    unsigned have = 0, i, o = 0;

    for (i = 0; i < KY_N; i++) {
        while (have < bits) {
            acc |= (uint32_t)in[o++] << have;
            have += 8;
        }
        v[i] = (uint16_t)(acc & mask);
        acc >>= bits;
        have -= bits;
    }
}

void sc_kyber_poly_tobytes(uint8_t r[KY_POLYBYTES], const ky_poly *a)
{
    unsigned i;

    for (i = 0; i < KY_N / 2; i++) {
        uint32_t t0 = csubq_pos(a->c[2 * i]), t1 = csubq_pos(a->c[2 * i + 1]);

        r[3 * i] = (uint8_t)t0;
        r[3 * i + 1] = (uint8_t)(t0 >> 8 | t1 << 4);
        r[3 * i + 2] = (uint8_t)(t1 >> 4);
    }
}

void sc_kyber_poly_frombytes(ky_poly *r, const uint8_t a[KY_POLYBYTES])
{
    unsigned i;

    for (i = 0; i < KY_N / 2; i++) {
        r->c[2 * i] = (int16_t)((a[3 * i] | (uint16_t)a[3 * i + 1] << 8) & 0xfff);
        r->c[2 * i + 1] =
            (int16_t)((a[3 * i + 1] >> 4 | (uint16_t)a[3 * i + 2] << 4) & 0xfff);
    }
}

void sc_kyber_poly_frommsg(ky_poly *r, const uint8_t msg[32])
{
    unsigned i, j;

    for (i = 0; i < 32; i++) {
        for (j = 0; j < 8; j++) {
            int16_t mask = (int16_t)-(int16_t)((msg[i] >> j) & 1);

            r->c[8 * i + j] = (int16_t)(mask & ((KY_Q + 1) / 2));
        }
    }
}

void sc_kyber_poly_tomsg(uint8_t msg[32], const ky_poly *a)
{
    unsigned i, j;

    for (i = 0; i < 32; i++) {
        uint8_t b = 0;

        for (j = 0; j < 8; j++)
            b |= (uint8_t)(sc_kyber_compress_coeff(a->c[8 * i + j], 1) << j);
        msg[i] = b;
    }
}

void sc_kyber_poly_compress11(uint8_t r[KY_POLYCOMP_DU], const ky_poly *a)
{
    uint16_t t[KY_N];
    unsigned i;

    for (i = 0; i < KY_N; i++)
        t[i] = sc_kyber_compress_coeff(a->c[i], 11);
    pack_bits(r, t, 11);
}

void sc_kyber_poly_decompress11(ky_poly *r, const uint8_t a[KY_POLYCOMP_DU])
{
    uint16_t t[KY_N];
    unsigned i;

    unpack_bits(t, a, 11);
    for (i = 0; i < KY_N; i++)
        r->c[i] = (int16_t)(((uint32_t)t[i] * KY_Q + 1024) >> 11);
}

void sc_kyber_poly_compress5(uint8_t r[KY_POLYCOMP_DV], const ky_poly *a)
{
    uint16_t t[KY_N];
    unsigned i;

    for (i = 0; i < KY_N; i++)
        t[i] = sc_kyber_compress_coeff(a->c[i], 5);
    pack_bits(r, t, 5);
}

void sc_kyber_poly_decompress5(ky_poly *r, const uint8_t a[KY_POLYCOMP_DV])
{
    uint16_t t[KY_N];
    unsigned i;

    unpack_bits(t, a, 5);
    for (i = 0; i < KY_N; i++)
        r->c[i] = (int16_t)(((uint32_t)t[i] * KY_Q + 16) >> 5);
}

void sc_kyber_poly_compress_d(uint8_t *r, const ky_poly *a, unsigned d)
{
    uint16_t t[KY_N];
    unsigned i;

    for (i = 0; i < KY_N; i++)
        t[i] = sc_kyber_compress_coeff(a->c[i], d);
    pack_bits(r, t, d);
}

void sc_kyber_poly_decompress_d(ky_poly *r, const uint8_t *a, unsigned d)
{
    uint16_t t[KY_N];
    unsigned i;

    unpack_bits(t, a, d);
    for (i = 0; i < KY_N; i++)
        r->c[i] = (int16_t)(((uint32_t)t[i] * KY_Q + (1u << (d - 1))) >> d);
}

unsigned sc_kyber_rej_uniform(int16_t *r, unsigned have, const uint8_t *buf,
                              size_t len)
{
    int16_t tmp[KY_N + 2]; /* slack for the branch-free stores */
    size_t pos = 0;

    /* Public data, but branch-free stores avoid the ~20% mispredicted
     * accept/reject branches. */
    memcpy(tmp, r, have * sizeof(int16_t));
    while (have < KY_N && pos + 3 <= len) {
        uint16_t v0 = (uint16_t)((buf[pos] | (uint16_t)buf[pos + 1] << 8) &
                                 0xfff);
        uint16_t v1 = (uint16_t)((buf[pos + 1] >> 4 |
                                  (uint16_t)buf[pos + 2] << 4) & 0xfff);

        pos += 3;
        tmp[have] = (int16_t)v0;
        have += v0 < KY_Q;
        tmp[have] = (int16_t)v1;
        have += v1 < KY_Q;
    }
    if (have > KY_N)
        have = KY_N;
    memcpy(r, tmp, have * sizeof(int16_t));
    return have;
}
