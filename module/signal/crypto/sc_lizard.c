/* sc_lizard.c - Elligator, Lizard and the Elligator inverse on
 * Ristretto255 (see sc_lizard.h). libsodium keeps its field arithmetic
 * private, so this file works in sc_fe25519.h's GF(2^255-19) and carries
 * the Ristretto encode/decode of RFC 9496, so that points cross to
 * libsodium as canonical encodings. */
#include "config.h"

#include <string.h>

#include <sodium.h>

#include "sc_fe25519.h"
#include "sc_lizard.h"
#include "ut.h"

/* Constants, little-endian canonical bytes (values of RFC 9496 §4.1 and
 * the lizard module's, derived from d and sqrt(-1)). */
static const uint8_t K_D[32] = {
    0xa3, 0x78, 0x59, 0x13, 0xca, 0x4d, 0xeb, 0x75, 0xab, 0xd8, 0x41, 0x41, 0x4d, 0x0a, 0x70, 0x00,
    0x98, 0xe8, 0x79, 0x77, 0x79, 0x40, 0xc7, 0x8c, 0x73, 0xfe, 0x6f, 0x2b, 0xee, 0x6c, 0x03, 0x52};
static const uint8_t K_SQRT_M1[32] = {
    0xb0, 0xa0, 0x0e, 0x4a, 0x27, 0x1b, 0xee, 0xc4, 0x78, 0xe4, 0x2f, 0xad, 0x06, 0x18, 0x43, 0x2f,
    0xa7, 0xd7, 0xfb, 0x3d, 0x99, 0x00, 0x4d, 0x2b, 0x0b, 0xdf, 0xc1, 0x4f, 0x80, 0x24, 0x83, 0x2b};
/* sqrt(a*d - 1), the RFC's (odd) root */
static const uint8_t K_SQRT_AD_MINUS_ONE[32] = {
    0x1b, 0x2e, 0x7b, 0x49, 0xa0, 0xf6, 0x97, 0x7e, 0xbd, 0x54, 0x78, 0x1b, 0x0c, 0x8e, 0x9d, 0xaf,
    0xfd, 0xd1, 0xf5, 0x31, 0xc9, 0xfc, 0x3c, 0x0f, 0xac, 0x48, 0x83, 0x2b, 0xbf, 0x31, 0x69, 0x37};
static const uint8_t K_INVSQRT_A_MINUS_D[32] = {
    0xea, 0x40, 0x5d, 0x80, 0xaa, 0xfd, 0xc8, 0x99, 0xbe, 0x72, 0x41, 0x5a, 0x17, 0x16, 0x2f, 0x9d,
    0x40, 0xd8, 0x01, 0xfe, 0x91, 0x7b, 0xc2, 0x16, 0xa2, 0xfc, 0xaf, 0xcf, 0x05, 0x89, 0x6c, 0x78};
static const uint8_t K_ONE_MINUS_D_SQ[32] = {
    0x76, 0xc1, 0x5f, 0x94, 0xc1, 0x09, 0x7c, 0xe2, 0x0f, 0x35, 0x5e, 0xcd, 0x38, 0xa1, 0x81, 0x2c,
    0xe4, 0xdf, 0x70, 0xbe, 0xdd, 0xab, 0x94, 0x99, 0xd7, 0xe0, 0xb3, 0xb2, 0xa8, 0x72, 0x90, 0x02};
static const uint8_t K_D_MINUS_ONE_SQ[32] = {
    0x20, 0x4d, 0xed, 0x44, 0xaa, 0x5a, 0xad, 0x31, 0x99, 0x19, 0x1e, 0xb0, 0x2c, 0x4a, 0x9e, 0xd2,
    0xeb, 0x4e, 0x9b, 0x52, 0x2f, 0xd3, 0xdc, 0x4c, 0x41, 0x22, 0x6c, 0xf6, 0x7a, 0xb3, 0x68, 0x59};
/* sqrt(i*d), nonnegative */
static const uint8_t K_SQRT_ID[32] = {
    0xa8, 0x1b, 0x5c, 0x4a, 0xcb, 0x2a, 0x30, 0x75, 0xaa, 0x6d, 0xea, 0x0e, 0x2d, 0xa9, 0xbc, 0xcd,
    0x15, 0x6e, 0xeb, 0x73, 0x99, 0x54, 0x34, 0x75, 0x97, 0xeb, 0x7b, 0xf4, 0x58, 0x55, 0xb3, 0x05};
/* (d+1)/(d-1) */
static const uint8_t K_DP1_OVER_DM1[32] = {
    0x2c, 0xbb, 0x81, 0x9b, 0x5f, 0xac, 0x7f, 0x27, 0xc8, 0x1d, 0x24, 0xcd, 0xf1, 0xe7, 0x9a, 0x48,
    0x24, 0x18, 0x9f, 0x99, 0x5f, 0xd9, 0xf8, 0xae, 0x9d, 0xd8, 0xe8, 0xa7, 0x30, 0xc8, 0x67, 0x0e};
/* -2/sqrt(a-d) and i times it */
static const uint8_t K_MDOUBLE_INVSQRT_A_MINUS_D[32] = {
    0x06, 0x7e, 0x45, 0xff, 0xaa, 0x04, 0x6e, 0xcc, 0x82, 0x1a, 0x7d, 0x4b, 0xd1, 0xd3, 0xa1, 0xc5,
    0x7e, 0x4f, 0xfc, 0x03, 0xdc, 0x08, 0x7b, 0xd2, 0xbb, 0x06, 0xa0, 0x60, 0xf4, 0xed, 0x26, 0x0f};
static const uint8_t K_MIDOUBLE_INVSQRT_A_MINUS_D[32] = {
    0xd8, 0xbb, 0x77, 0x63, 0x10, 0xb7, 0x5d, 0x16, 0x9c, 0x6c, 0xb5, 0xd7, 0x38, 0xee, 0xa5, 0x9c,
    0x10, 0x59, 0x0b, 0x28, 0x85, 0x58, 0xe0, 0x3d, 0x50, 0x3d, 0x56, 0x06, 0x68, 0x0b, 0x1b, 0x14};
/* -1/sqrt(1+d) */
static const uint8_t K_MINVSQRT_ONE_PLUS_D[32] = {
    0x01, 0x22, 0x44, 0xce, 0x77, 0x24, 0xd1, 0xf4, 0xb1, 0x49, 0x25, 0x94, 0xe3, 0x08, 0xad, 0xb1,
    0x77, 0x53, 0xfa, 0x6b, 0xbd, 0xd3, 0x0f, 0xe1, 0x57, 0xe1, 0xd4, 0xfc, 0x4b, 0x7a, 0xf2, 0x75};

static void fe_k(fe h, const uint8_t k[32]) { fe_frombytes(h, k); }

/* dalek's sqrt_ratio_i: (was_nonzero_square, nonnegative r) with r^2 = u/v
 * or r^2 = i*u/v. */
static int fe_sqrt_ratio_i(fe r, const fe u, const fe v)
{
    fe v3, v7, t, check, nu, nui, i, rp;
    int correct, flipped, flipped_i;

    fe_k(i, K_SQRT_M1);
    fe_sq(v3, v);
    fe_mul(v3, v3, v);
    fe_sq(v7, v3);
    fe_mul(v7, v7, v);
    fe_mul(t, u, v7);
    fe_pow22523(t, t);
    fe_mul(r, u, v3);
    fe_mul(r, r, t);
    fe_sq(check, r);
    fe_mul(check, check, v);
    fe_neg(nu, u);
    fe_mul(nui, nu, i);
    correct = fe_eq(check, u);
    flipped = fe_eq(check, nu);
    flipped_i = fe_eq(check, nui);
    fe_mul(rp, r, i);
    fe_cmov(r, rp, flipped | flipped_i);
    fe_cneg(r, fe_isneg(r));
    return correct | flipped;
}

static int fe_invsqrt(fe r, const fe v)
{
    fe one;
    fe_one(one);
    return fe_sqrt_ratio_i(r, one, v);
}

/* ---- Ristretto255 (extended coordinates X:Y:Z:T) ---- */

typedef struct {
    fe X, Y, Z, T;
} ge;

static void ristretto_encode(uint8_t s[32], const ge *p)
{
    fe u1, u2, t, inv, den1, den2, zinv, ix, iy, ench, x, y, den, k;
    int rotate;

    fe_add(u1, p->Z, p->Y);
    fe_sub(t, p->Z, p->Y);
    fe_mul(u1, u1, t);
    fe_mul(u2, p->X, p->Y);
    fe_sq(t, u2);
    fe_mul(t, t, u1);
    (void)fe_invsqrt(inv, t);
    fe_mul(den1, inv, u1);
    fe_mul(den2, inv, u2);
    fe_mul(zinv, den1, den2);
    fe_mul(zinv, zinv, p->T);
    fe_k(k, K_SQRT_M1);
    fe_mul(ix, p->X, k);
    fe_mul(iy, p->Y, k);
    fe_k(k, K_INVSQRT_A_MINUS_D);
    fe_mul(ench, den1, k);
    fe_mul(t, p->T, zinv);
    rotate = fe_isneg(t);
    fe_copy(x, p->X);
    fe_copy(y, p->Y);
    fe_cmov(x, iy, rotate);
    fe_cmov(y, ix, rotate);
    fe_copy(den, den2);
    fe_cmov(den, ench, rotate);
    fe_mul(t, x, zinv);
    fe_cneg(y, fe_isneg(t));
    fe_sub(t, p->Z, y);
    fe_mul(t, den, t);
    fe_abs(t, t);
    fe_tobytes(s, t);
}

/* RFC 9496 decode; -1 for a non-canonical or invalid encoding. */
static int ristretto_decode(ge *p, const uint8_t in[32])
{
    uint8_t chk[32];
    fe s, ss, u1, u2, u2sq, v, d, t, inv, denx, deny, one;
    int sq;

    fe_frombytes(s, in);
    fe_tobytes(chk, s);
    if (sodium_memcmp(chk, in, 32) != 0 || (in[0] & 1))
        return -1;
    fe_one(one);
    fe_sq(ss, s);
    fe_sub(u1, one, ss);
    fe_add(u2, one, ss);
    fe_sq(u2sq, u2);
    fe_k(d, K_D);
    fe_sq(t, u1);
    fe_mul(t, t, d);
    fe_neg(t, t);
    fe_sub(v, t, u2sq);
    fe_mul(t, v, u2sq);
    sq = fe_invsqrt(inv, t);
    fe_mul(denx, inv, u2);
    fe_mul(deny, inv, denx);
    fe_mul(deny, deny, v);
    fe_add(t, s, s);
    fe_mul(t, t, denx);
    fe_abs(p->X, t);
    fe_mul(p->Y, u1, deny);
    fe_one(p->Z);
    fe_mul(p->T, p->X, p->Y);
    if (!sq || fe_isneg(p->T) || fe_iszero(p->Y))
        return -1;
    return 0;
}

/* RFC 9496 MAP (dalek's elligator_ristretto_flavor). */
static void elligator(ge *p, const fe r0)
{
    fe i, d, one, c, r, ns, den, s, sp, nt, ssq, t, k, cx, cy, cz, ct;
    int sq;

    fe_k(i, K_SQRT_M1);
    fe_k(d, K_D);
    fe_one(one);
    fe_neg(c, one);
    fe_sq(r, r0);
    fe_mul(r, i, r);
    fe_add(t, r, one);
    fe_k(k, K_ONE_MINUS_D_SQ);
    fe_mul(ns, t, k);
    fe_mul(t, d, r);
    fe_sub(t, c, t);
    fe_add(den, r, d);
    fe_mul(den, t, den);
    sq = fe_sqrt_ratio_i(s, ns, den);
    fe_mul(sp, s, r0);
    fe_cneg(sp, !fe_isneg(sp));
    fe_cmov(s, sp, !sq);
    fe_cmov(c, r, !sq);
    fe_sub(t, r, one);
    fe_mul(t, c, t);
    fe_k(k, K_D_MINUS_ONE_SQ);
    fe_mul(t, t, k);
    fe_sub(nt, t, den);
    fe_sq(ssq, s);
    /* completed point, then to extended */
    fe_add(cx, s, s);
    fe_mul(cx, cx, den);
    fe_k(k, K_SQRT_AD_MINUS_ONE);
    fe_mul(cz, nt, k);
    fe_sub(cy, one, ssq);
    fe_add(ct, one, ssq);
    fe_mul(p->X, cx, ct);
    fe_mul(p->Y, cy, cz);
    fe_mul(p->Z, cz, ct);
    fe_mul(p->T, cx, cy);
}

void sc_lizard_map(uint8_t point[32], const uint8_t r[32])
{
    fe r0;
    ge p;
    fe_frombytes(r0, r);
    elligator(&p, r0);
    ristretto_encode(point, &p);
}

void sc_lizard_encode(uint8_t point[32], const uint8_t data[16])
{
    uint8_t b[32];

    crypto_hash_sha256(b, data, 16);
    memcpy(b + 8, data, 16);
    b[0] &= 0xfe;
    b[31] &= 0x3f;
    sc_lizard_map(point, b);
    ut_wipe(b, sizeof(b));
}

/* ---- Elligator inverse (dalek's lizard_ristretto.rs / jacobi_quartic.rs) ---- */

typedef struct {
    fe S, T;
} jq;

static void to_jacobi_quartic(jq out[4], const ge *p)
{
    fe x2, y2, y4, z2, zmy, zpy, z2my2, t, gamma, den, sox, spoxp, k, tmp, iz, izmx, izpx,
        soy, spoyp, one, mone, mid;
    int zero;

    fe_sq(x2, p->X);
    fe_sq(y2, p->Y);
    fe_sq(y4, y2);
    fe_sq(z2, p->Z);
    fe_sub(zmy, p->Z, p->Y);
    fe_add(zpy, p->Z, p->Y);
    fe_sub(z2my2, z2, y2);
    fe_mul(t, y4, x2);
    fe_mul(t, t, z2my2);
    (void)fe_invsqrt(gamma, t);
    fe_mul(den, gamma, y2);
    fe_mul(sox, den, zmy);
    fe_mul(spoxp, den, zpy);
    fe_mul(out[0].S, sox, p->X);
    fe_neg(t, spoxp);
    fe_mul(out[1].S, t, p->X);
    fe_k(k, K_MDOUBLE_INVSQRT_A_MINUS_D);
    fe_mul(tmp, k, p->Z);
    fe_mul(out[0].T, tmp, sox);
    fe_mul(out[1].T, tmp, spoxp);

    fe_neg(t, z2my2);
    fe_k(k, K_MINVSQRT_ONE_PLUS_D);
    fe_mul(t, t, k);
    fe_mul(den, t, gamma);
    fe_k(k, K_SQRT_M1);
    fe_mul(iz, k, p->Z);
    fe_sub(izmx, iz, p->X);
    fe_add(izpx, iz, p->X);
    fe_mul(soy, den, izmx);
    fe_mul(spoyp, den, izpx);
    fe_mul(out[2].S, soy, p->Y);
    fe_neg(t, spoyp);
    fe_mul(out[3].S, t, p->Y);
    fe_k(k, K_MDOUBLE_INVSQRT_A_MINUS_D);
    fe_mul(tmp, k, iz);
    fe_mul(out[2].T, tmp, soy);
    fe_mul(out[3].T, tmp, spoyp);

    /* X = 0 or Y = 0: (0,1), (1,-2i/sqrt(-d-1)), (-1,-2i/sqrt(-d-1)) */
    zero = fe_iszero(p->X) | fe_iszero(p->Y);
    fe_one(one);
    fe_neg(mone, one);
    fe_k(mid, K_MIDOUBLE_INVSQRT_A_MINUS_D);
    fe_cmov(out[0].T, one, zero);
    fe_cmov(out[1].T, one, zero);
    fe_cmov(out[2].T, mid, zero);
    fe_cmov(out[3].T, mid, zero);
    fe_cmov(out[2].S, one, zero);
    fe_cmov(out[3].S, mone, zero);
}

/* The positive Elligator preimage of a Jacobi quartic point, if any. */
static int e_inv_positive(fe out, const jq *j)
{
    fe one, k, a, a2, s2, s4, t, y, pms2, x;
    int s_zero, defined, done, sq;

    memset(out, 0, sizeof(fe));
    fe_one(one);
    s_zero = fe_iszero(j->S);
    fe_k(k, K_SQRT_ID);
    fe_cmov(out, k, fe_eq(j->T, one));
    defined = s_zero;
    done = s_zero;
    fe_add(a, j->T, one);
    fe_k(k, K_DP1_OVER_DM1);
    fe_mul(a, a, k);
    fe_sq(a2, a);
    fe_sq(s2, j->S);
    fe_sq(s4, s2);
    fe_sub(t, s4, a2);
    fe_k(k, K_SQRT_M1);
    fe_mul(t, t, k);
    sq = fe_invsqrt(y, t);
    defined |= sq;
    done |= !sq;
    fe_copy(pms2, s2);
    fe_cneg(pms2, fe_isneg(j->S));
    fe_add(x, a, pms2);
    fe_mul(x, x, y);
    fe_cneg(x, fe_isneg(x));
    fe_cmov(out, x, !done);
    return defined;
}

/* The 8 positive preimages of a decoded point, in dalek's order. */
static unsigned inverse8(fe out[8], const ge *p)
{
    jq jcs[4], dual;
    unsigned mask = 0;

    to_jacobi_quartic(jcs, p);
    for (int i = 0; i < 4; i++) {
        mask |= (unsigned)e_inv_positive(out[2 * i], &jcs[i]) << (2 * i);
        fe_neg(dual.S, jcs[i].S);
        fe_neg(dual.T, jcs[i].T);
        mask |= (unsigned)e_inv_positive(out[2 * i + 1], &dual) << (2 * i + 1);
    }
    return mask;
}

int sc_lizard_map_inverse(uint8_t cand[8][32], unsigned *mask,
                          const uint8_t point[32])
{
    fe fes[8];
    ge p;
    unsigned m;

    *mask = 0;
    memset(cand, 0, 8 * 32);
    if (ristretto_decode(&p, point))
        return SC_ERR_FORMAT;
    m = inverse8(fes, &p);
    for (int i = 0; i < 8; i++) {
        uint8_t b[32];
        uint8_t keep = (uint8_t)(0 - ((m >> i) & 1));
        fe_tobytes(b, fes[i]);
        for (int k = 0; k < 32; k++)
            cand[i][k] = b[k] & keep;
    }
    *mask = m;
    return 0;
}

/* Lizard preimages are even field elements, so the negated half of dalek's
 * 16 candidates (all odd or zero) can never pass the hash check; looking at
 * the positive 8 gives the same n_found. */
int sc_lizard_decode(uint8_t data[16], const uint8_t point[32])
{
    uint8_t cand[8][32], h[32], result[16] = {0};
    unsigned mask, found = 0;
    int rc;

    if ((rc = sc_lizard_map_inverse(cand, &mask, point)))
        return rc;
    for (int j = 0; j < 8; j++) {
        unsigned ok = (mask >> j) & 1;
        crypto_hash_sha256(h, cand[j] + 8, 16);
        memcpy(h + 8, cand[j] + 8, 16);
        h[0] &= 0xfe;
        h[31] &= 0x3f;
        ok &= (unsigned)ut_ct_eq(h, cand[j], 32);
        uint8_t m = (uint8_t)(0 - ok);
        for (int i = 0; i < 16; i++)
            result[i] = (uint8_t)((result[i] & ~m) | (cand[j][8 + i] & m));
        found += ok;
    }
    if (found == 1)
        memcpy(data, result, 16);
    ut_wipe(cand, sizeof(cand));
    ut_wipe(result, sizeof(result));
    return found == 1 ? 0 : SC_ERR_ZK_VERIFY;
}
