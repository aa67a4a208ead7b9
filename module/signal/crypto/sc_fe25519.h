/*
 * sc_fe25519.h - arithmetic in GF(2^255-19), five 51-bit limbs with
 * unsigned __int128 products. libsodium keeps its own field arithmetic
 * private; sc_lizard.c (Ristretto maps) and sc_prim.c (XEdDSA's
 * Montgomery-to-Edwards conversion) need a few field operations of their
 * own. Everything here is constant time. Header-only (static inline).
 */
#ifndef SC_FE25519_H
#define SC_FE25519_H

#include <stdint.h>
#include <string.h>

typedef uint64_t fe[5];
typedef unsigned __int128 u128;

#define MASK51 ((uint64_t)0x7ffffffffffffULL)

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static inline void store64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++, v >>= 8)
        p[i] = (uint8_t)v;
}

/* Bit 255 is ignored, the value is not reduced (as dalek's from_bytes). */
static inline void fe_frombytes(fe h, const uint8_t s[32])
{
    h[0] = load64(s) & MASK51;
    h[1] = (load64(s + 6) >> 3) & MASK51;
    h[2] = (load64(s + 12) >> 6) & MASK51;
    h[3] = (load64(s + 19) >> 1) & MASK51;
    h[4] = (load64(s + 24) >> 12) & MASK51;
}

static inline void fe_carry(fe h)
{
    h[1] += h[0] >> 51;
    h[0] &= MASK51;
    h[2] += h[1] >> 51;
    h[1] &= MASK51;
    h[3] += h[2] >> 51;
    h[2] &= MASK51;
    h[4] += h[3] >> 51;
    h[3] &= MASK51;
    h[0] += 19 * (h[4] >> 51);
    h[4] &= MASK51;
}

/* Canonical encoding: fully reduced mod p. */
static inline void fe_tobytes(uint8_t s[32], const fe f)
{
    uint64_t t[5];
    memcpy(t, f, sizeof(t));
    fe_carry(t);
    fe_carry(t);
    /* t < 2^255 now; add 19 and carry to learn whether t >= p */
    t[0] += 19;
    fe_carry(t);
    /* t + 19 (mod 2^255, folded); subtract 19 back with a 2^255 offset */
    t[0] += 0x8000000000000ULL - 19;
    t[1] += 0x8000000000000ULL - 1;
    t[2] += 0x8000000000000ULL - 1;
    t[3] += 0x8000000000000ULL - 1;
    t[4] += 0x8000000000000ULL - 1;
    t[1] += t[0] >> 51;
    t[0] &= MASK51;
    t[2] += t[1] >> 51;
    t[1] &= MASK51;
    t[3] += t[2] >> 51;
    t[2] &= MASK51;
    t[4] += t[3] >> 51;
    t[3] &= MASK51;
    t[4] &= MASK51;
    store64(s, t[0] | (t[1] << 51));
    store64(s + 8, (t[1] >> 13) | (t[2] << 38));
    store64(s + 16, (t[2] >> 26) | (t[3] << 25));
    store64(s + 24, (t[3] >> 39) | (t[4] << 12));
}

static inline void fe_copy(fe h, const fe f) { memcpy(h, f, sizeof(fe)); }

static inline void fe_one(fe h)
{
    memset(h, 0, sizeof(fe));
    h[0] = 1;
}

static inline void fe_add(fe h, const fe f, const fe g)
{
    for (int i = 0; i < 5; i++)
        h[i] = f[i] + g[i];
    fe_carry(h);
}

/* f - g + 4p keeps every limb positive for carried inputs. */
static inline void fe_sub(fe h, const fe f, const fe g)
{
    h[0] = f[0] + 0x1fffffffffffb4ULL - g[0];
    for (int i = 1; i < 5; i++)
        h[i] = f[i] + 0x1ffffffffffffcULL - g[i];
    fe_carry(h);
}

static inline void fe_neg(fe h, const fe f)
{
    fe z = {0, 0, 0, 0, 0};
    fe_sub(h, z, f);
}

static inline void fe_mul(fe h, const fe f, const fe g)
{
    uint64_t g1 = 19 * g[1], g2 = 19 * g[2], g3 = 19 * g[3], g4 = 19 * g[4];
    u128 r0, r1, r2, r3, r4;
    uint64_t c;

    r0 = (u128)f[0] * g[0] + (u128)f[1] * g4 + (u128)f[2] * g3 + (u128)f[3] * g2 +
         (u128)f[4] * g1;
    r1 = (u128)f[0] * g[1] + (u128)f[1] * g[0] + (u128)f[2] * g4 + (u128)f[3] * g3 +
         (u128)f[4] * g2;
    r2 = (u128)f[0] * g[2] + (u128)f[1] * g[1] + (u128)f[2] * g[0] + (u128)f[3] * g4 +
         (u128)f[4] * g3;
    r3 = (u128)f[0] * g[3] + (u128)f[1] * g[2] + (u128)f[2] * g[1] + (u128)f[3] * g[0] +
         (u128)f[4] * g4;
    r4 = (u128)f[0] * g[4] + (u128)f[1] * g[3] + (u128)f[2] * g[2] + (u128)f[3] * g[1] +
         (u128)f[4] * g[0];
    r1 += (uint64_t)(r0 >> 51);
    h[0] = (uint64_t)r0 & MASK51;
    r2 += (uint64_t)(r1 >> 51);
    h[1] = (uint64_t)r1 & MASK51;
    r3 += (uint64_t)(r2 >> 51);
    h[2] = (uint64_t)r2 & MASK51;
    r4 += (uint64_t)(r3 >> 51);
    h[3] = (uint64_t)r3 & MASK51;
    c = (uint64_t)(r4 >> 51);
    h[4] = (uint64_t)r4 & MASK51;
    h[0] += c * 19;
    h[1] += h[0] >> 51;
    h[0] &= MASK51;
}

/* f^2 with 15 products instead of fe_mul's 25: inversion and square
 * roots are almost all squarings. */
static inline void fe_sq(fe h, const fe f)
{
    uint64_t f0_2 = 2 * f[0], f1_2 = 2 * f[1];
    uint64_t f3_19 = 19 * f[3], f4_19 = 19 * f[4], f3_38 = 38 * f[3], f4_38 = 38 * f[4];
    u128 r0, r1, r2, r3, r4;
    uint64_t c;

    r0 = (u128)f[0] * f[0] + (u128)f4_38 * f[1] + (u128)f3_38 * f[2];
    r1 = (u128)f0_2 * f[1] + (u128)f4_38 * f[2] + (u128)f3_19 * f[3];
    r2 = (u128)f0_2 * f[2] + (u128)f[1] * f[1] + (u128)f4_38 * f[3];
    r3 = (u128)f0_2 * f[3] + (u128)f1_2 * f[2] + (u128)f4_19 * f[4];
    r4 = (u128)f0_2 * f[4] + (u128)f1_2 * f[3] + (u128)f[2] * f[2];
    r1 += (uint64_t)(r0 >> 51);
    h[0] = (uint64_t)r0 & MASK51;
    r2 += (uint64_t)(r1 >> 51);
    h[1] = (uint64_t)r1 & MASK51;
    r3 += (uint64_t)(r2 >> 51);
    h[2] = (uint64_t)r2 & MASK51;
    r4 += (uint64_t)(r3 >> 51);
    h[3] = (uint64_t)r3 & MASK51;
    c = (uint64_t)(r4 >> 51);
    h[4] = (uint64_t)r4 & MASK51;
    h[0] += c * 19;
    h[1] += h[0] >> 51;
    h[0] &= MASK51;
}

static inline void fe_sqn(fe h, const fe f, int n)
{
    fe_sq(h, f);
    while (--n > 0)
        fe_sq(h, h);
}

/* z^((p-5)/8) = z^(2^252-3) */
static inline void fe_pow22523(fe out, const fe z)
{
    fe t0, t1, t2;
    fe_sq(t0, z);            /* 2 */
    fe_sqn(t1, t0, 2);       /* 8 */
    fe_mul(t1, z, t1);       /* 9 */
    fe_mul(t0, t0, t1);      /* 11 */
    fe_sq(t0, t0);           /* 22 */
    fe_mul(t0, t1, t0);      /* 2^5-1 */
    fe_sqn(t1, t0, 5);
    fe_mul(t0, t1, t0);      /* 2^10-1 */
    fe_sqn(t1, t0, 10);
    fe_mul(t1, t1, t0);      /* 2^20-1 */
    fe_sqn(t2, t1, 20);
    fe_mul(t1, t2, t1);      /* 2^40-1 */
    fe_sqn(t1, t1, 10);
    fe_mul(t0, t1, t0);      /* 2^50-1 */
    fe_sqn(t1, t0, 50);
    fe_mul(t1, t1, t0);      /* 2^100-1 */
    fe_sqn(t2, t1, 100);
    fe_mul(t1, t2, t1);      /* 2^200-1 */
    fe_sqn(t1, t1, 50);
    fe_mul(t0, t1, t0);      /* 2^250-1 */
    fe_sqn(t0, t0, 2);       /* 2^252-4 */
    fe_mul(out, t0, z);      /* 2^252-3 */
}

static inline int fe_isneg(const fe f)
{
    uint8_t s[32];
    fe_tobytes(s, f);
    return s[0] & 1;
}

static inline int fe_iszero(const fe f)
{
    uint8_t s[32], acc = 0;
    fe_tobytes(s, f);
    for (int i = 0; i < 32; i++)
        acc |= s[i];
    return (int)((((unsigned)acc) - 1) >> 8) & 1;
}

static inline int fe_eq(const fe f, const fe g)
{
    fe d;
    fe_sub(d, f, g);
    return fe_iszero(d);
}

/* h = g if b (b is 0 or 1), constant time */
static inline void fe_cmov(fe h, const fe g, int b)
{
    uint64_t m = (uint64_t)0 - (uint64_t)(b & 1);
    for (int i = 0; i < 5; i++)
        h[i] ^= m & (h[i] ^ g[i]);
}

static inline void fe_cneg(fe h, int b)
{
    fe n;
    fe_neg(n, h);
    fe_cmov(h, n, b);
}

static inline void fe_abs(fe h, const fe f)
{
    fe_copy(h, f);
    fe_cneg(h, fe_isneg(f));
}

/* 1/z = z^(p-2) = z^(2^255-21) = (z^(2^252-3))^8 * z^3; 0 for z = 0. */
static inline void fe_invert(fe out, const fe z)
{
    fe t, z3;

    fe_sq(z3, z);
    fe_mul(z3, z3, z);
    fe_pow22523(t, z);
    fe_sqn(t, t, 3);
    fe_mul(out, t, z3);
}

#endif
