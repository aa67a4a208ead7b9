/*
 * sc_mlkem768.c - see sc_mlkem768.h. FIPS 203 Algorithms 13-18 (K-PKE and
 * ML-KEM internal functions) with k = 3, η1 = η2 = 2, du = 10, dv = 4, on
 * the polynomial arithmetic shared with Kyber1024 (sc_kyber_poly.c; the
 * ring, NTT and sampling are the same in both). What differs from round 3
 * Kyber (sc_kyber.c): G(d ‖ k) in key generation, no hashing of m, and
 * K = the first half of G(m ‖ H(ek)) with implicit rejection J(z ‖ c).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "sc_kyber_int.h"
#include "sc_mlkem768.h"
#include "ut.h"

#ifdef SC_CTGRIND
#include <valgrind/memcheck.h>
#define CT_PUBLIC(p, n) ((void)VALGRIND_MAKE_MEM_DEFINED((p), (n)))
#else
#define CT_PUBLIC(p, n) ((void)0)
#endif

#define K 3
#define PVB (K * KY_POLYBYTES) /* 1152 */
#define XOF_BLOCK 168

typedef struct {
    ky_poly a[K][K], s[K], e[K], t[K], v, k;
} ml_work;

typedef struct {
    EVP_MD_CTX *c;
    ml_work *w;
    int avx2;  /* batch SHAKEs four at a time (sc_kyber_keccak4x.c) */
} ml_ctx;

static int hash2(EVP_MD_CTX *c, const EVP_MD *md, uint8_t *out, size_t outlen,
                 const void *a, size_t an, const void *b, size_t bn)
{
    unsigned int len = 0;

    if (EVP_DigestInit_ex(c, md, NULL) != 1 || EVP_DigestUpdate(c, a, an) != 1 ||
        (bn && EVP_DigestUpdate(c, b, bn) != 1))
        return SC_ERR_CRYPTO;
    if (EVP_MD_get_flags(md) & EVP_MD_FLAG_XOF)
        return EVP_DigestFinalXOF(c, out, outlen) == 1 ? 0 : SC_ERR_CRYPTO;
    if (EVP_DigestFinal_ex(c, out, &len) != 1 || len != outlen)
        return SC_ERR_CRYPTO;
    return 0;
}

#define H(c, out, a, an) hash2(c, EVP_sha3_256(), out, 32, a, an, NULL, 0)
#define G(c, out, a, an, b, bn) hash2(c, EVP_sha3_512(), out, 64, a, an, b, bn)
#define J(c, out, a, an, b, bn) hash2(c, EVP_shake256(), out, 32, a, an, b, bn)

/* One entry of Â by OpenSSL's SHAKE128, squeezing more when short. */
static int gen_entry(EVP_MD_CTX *c, ky_poly *p, const uint8_t rho[32],
                     const uint8_t idx[2], unsigned blocks)
{
    uint8_t buf[12 * XOF_BLOCK];
    unsigned have = 0;
    int rc;

    for (; have < KY_N; blocks *= 2) {
        if (blocks > 12)
            return SC_ERR_CRYPTO; /* probability < 2^-500 */
        if ((rc = hash2(c, EVP_shake128(), buf, blocks * XOF_BLOCK, rho, 32, idx, 2)))
            return rc;
        have = sc_kyber_rej_uniform(p->c, 0, buf, blocks * XOF_BLOCK);
    }
    return 0;
}

/* Â[i][j] = SampleNTT(ρ ‖ j ‖ i), or its transpose. Public data. With
 * AVX2 the nine SHAKE128s run four at a time (sc_kyber_keccak4x.c); 3
 * blocks suffice for ~99% of entries, a short one is redone by OpenSSL. */
static int gen_matrix(EVP_MD_CTX *c, int avx2, ky_poly a[K][K], const uint8_t rho[32],
                      int transposed)
{
    uint8_t in[4][34], out[4][3 * XOF_BLOCK];
    uint8_t *const outp[4] = {out[0], out[1], out[2], out[3]};
    const uint8_t *const inp[4] = {in[0], in[1], in[2], in[3]};
    unsigned e, b, i, j;
    int rc;

    for (e = 0; e < K * K; e += b) {
        b = K * K - e < 4 ? K * K - e : 4;
        for (j = 0; j < 4; j++) {
            unsigned n = e + (j < b ? j : 0);
            memcpy(in[j], rho, 32);
            in[j][32] = (uint8_t)(transposed ? n / K : n % K);
            in[j][33] = (uint8_t)(transposed ? n % K : n / K);
        }
        if (avx2)
            sc_kyber_shake4x(outp, 3, XOF_BLOCK, inp, 34);
        for (j = 0; j < b; j++) {
            i = e + j;
            if (avx2 && sc_kyber_rej_uniform(a[i / K][i % K].c, 0, out[j], sizeof(out[j])) == KY_N)
                continue;
            if ((rc = gen_entry(c, &a[i / K][i % K], rho, in[j] + 32, avx2 ? 6 : 3)))
                return rc;
        }
    }
    return 0;
}

/* CBD_2(PRF_2(seed, nonce)) */
static int noise(EVP_MD_CTX *c, ky_poly *r, const uint8_t seed[32], uint8_t nonce)
{
    uint8_t buf[128];
    int rc = hash2(c, EVP_shake256(), buf, sizeof(buf), seed, 32, &nonce, 1);

    if (!rc)
        sc_kyber_cbd2(r, buf);
    ut_wipe(buf, sizeof(buf));
    return rc;
}

/* r[k] = CBD_2(PRF_2(seed, nonce + k)) for k < n, four at a time with AVX2. */
static int noise_n(EVP_MD_CTX *c, int avx2, ky_poly *const *r, unsigned n,
                   const uint8_t seed[32], uint8_t nonce)
{
    uint8_t in[4][33], out[4][136];
    uint8_t *const outp[4] = {out[0], out[1], out[2], out[3]};
    const uint8_t *const inp[4] = {in[0], in[1], in[2], in[3]};
    unsigned k, j, b;
    int rc = 0;

    if (!avx2) {
        for (k = 0; k < n && !rc; k++)
            rc = noise(c, r[k], seed, (uint8_t)(nonce + k));
        return rc;
    }
    for (k = 0; k < n; k += b) {
        b = n - k < 4 ? n - k : 4;
        for (j = 0; j < 4; j++) {
            memcpy(in[j], seed, 32);
            in[j][32] = (uint8_t)(nonce + k + (j < b ? j : 0));
        }
        sc_kyber_shake4x(outp, 1, 136, inp, 33);
        for (j = 0; j < b; j++)
            sc_kyber_cbd2(r[k + j], out[j]);
    }
    ut_wipe(in, sizeof(in));
    ut_wipe(out, sizeof(out));
    return 0;
}

/* r = Σ a[i] ∘ b[i] (NTT domain, Montgomery factor R^-1), reduced. */
static void acc(ky_poly *r, const ky_poly *a, const ky_poly *b)
{
    ky_poly t;
    unsigned i;

    sc_kyber_poly_basemul(r, &a[0], &b[0]);
    for (i = 1; i < K; i++) {
        sc_kyber_poly_basemul(&t, &a[i], &b[i]);
        sc_kyber_poly_add(r, r, &t);
    }
    sc_kyber_poly_reduce(r);
}

/* ByteDecode12 with the modulus check: 0, or SC_ERR_FORMAT. */
static int vec_decode(ky_poly *v, const uint8_t *in)
{
    unsigned i, j;
    int bad = 0;

    for (i = 0; i < K; i++) {
        sc_kyber_poly_frombytes(&v[i], in + i * KY_POLYBYTES);
        for (j = 0; j < KY_N; j++)
            bad |= v[i].c[j] >= KY_Q;
    }
    return bad ? SC_ERR_FORMAT : 0;
}

static void vec_encode(uint8_t *out, const ky_poly *v)
{
    unsigned i;

    for (i = 0; i < K; i++)
        sc_kyber_poly_tobytes(out + i * KY_POLYBYTES, &v[i]);
}

/* u = NTT^-1(Âᵀ r̂) + e1 → c1; r̂, e2 kept in w->s, w->v. */
static int encrypt1(ml_ctx *x, uint8_t ct1[SC_MLKEM768_CT1],
                    const uint8_t rho[32], const uint8_t r[32])
{
    ml_work *w = x->w;
    ky_poly *const polys[2 * K + 1] = {&w->s[0], &w->s[1], &w->s[2],
                                       &w->e[0], &w->e[1], &w->e[2], &w->v};
    unsigned i;
    int rc;

    if ((rc = gen_matrix(x->c, x->avx2, w->a, rho, 1)) ||
        (rc = noise_n(x->c, x->avx2, polys, 2 * K + 1, r, 0)))
        return rc;
    for (i = 0; i < K; i++)
        sc_kyber_ntt(&w->s[i]);
    for (i = 0; i < K; i++) {
        acc(&w->t[i], w->a[i], w->s);
        sc_kyber_invntt_tomont(&w->t[i]);
        sc_kyber_poly_add(&w->t[i], &w->t[i], &w->e[i]);
        sc_kyber_poly_reduce(&w->t[i]);
        sc_kyber_poly_compress_d(ct1 + i * 320, &w->t[i], 10);
    }
    return 0;
}

/* v = NTT^-1(t̂ᵀ r̂) + e2 + Decompress1(m) → c2. w->s = r̂, w->v = e2. */
static void encrypt2(ml_work *w, uint8_t ct2[SC_MLKEM768_CT2],
                     const ky_poly *that, const uint8_t m[32])
{
    acc(&w->k, that, w->s);
    sc_kyber_invntt_tomont(&w->k);
    sc_kyber_poly_add(&w->k, &w->k, &w->v);
    sc_kyber_poly_frommsg(&w->e[0], m);
    sc_kyber_poly_add(&w->k, &w->k, &w->e[0]);
    sc_kyber_poly_reduce(&w->k);
    sc_kyber_poly_compress_d(ct2, &w->k, 4);
}

static int ctx_open(ml_ctx *x)
{
    /* SC_KYBER_NO_AVX2 (tests only) forces OpenSSL's SHAKE, as in sc_kyber */
    x->avx2 = sc_kyber_have_avx2() && !getenv("SC_KYBER_NO_AVX2");
    x->w = malloc(sizeof(*x->w));
    x->c = EVP_MD_CTX_new();
    if (!x->w || !x->c) {
        free(x->w);
        EVP_MD_CTX_free(x->c);
        x->w = NULL;
        x->c = NULL;
        return UT_ERR_NOMEM;
    }
    return 0;
}

static void ctx_close(ml_ctx *x)
{
    EVP_MD_CTX_free(x->c);
    ut_free_secret(x->w, sizeof(*x->w));
}

int sc_mlkem768_keypair_derand(uint8_t ek[SC_MLKEM768_EK], uint8_t dk[SC_MLKEM768_DK],
                               const uint8_t seed[64])
{
    static const uint8_t kbyte = K;
    uint8_t rs[64];  /* ρ ‖ σ */
    ml_ctx x;
    unsigned i;
    int rc;

    if ((rc = ctx_open(&x)))
        goto out0;
    if ((rc = G(x.c, rs, seed, 32, &kbyte, 1)))
        goto out;
    CT_PUBLIC(rs, 32); /* ρ is published in ek */
    {
        ky_poly *const polys[2 * K] = {&x.w->s[0], &x.w->s[1], &x.w->s[2],
                                       &x.w->e[0], &x.w->e[1], &x.w->e[2]};
        if ((rc = gen_matrix(x.c, x.avx2, x.w->a, rs, 0)) ||
            (rc = noise_n(x.c, x.avx2, polys, 2 * K, rs + 32, 0)))
            goto out;
    }
    for (i = 0; i < K; i++) {
        sc_kyber_ntt(&x.w->s[i]);
        sc_kyber_ntt(&x.w->e[i]);
    }
    for (i = 0; i < K; i++) {
        acc(&x.w->t[i], x.w->a[i], x.w->s);
        sc_kyber_poly_tomont(&x.w->t[i]);
        sc_kyber_poly_add(&x.w->t[i], &x.w->t[i], &x.w->e[i]);
        sc_kyber_poly_reduce(&x.w->t[i]);
    }
    vec_encode(ek, x.w->t);
    memcpy(ek + PVB, rs, 32);
    vec_encode(dk, x.w->s);
    memcpy(dk + PVB, ek, SC_MLKEM768_EK);
    if ((rc = H(x.c, dk + PVB + SC_MLKEM768_EK, ek, SC_MLKEM768_EK)))
        goto out;
    memcpy(dk + PVB + SC_MLKEM768_EK + 32, seed + 32, 32);
out:
    ctx_close(&x);
out0:
    ut_wipe(rs, sizeof(rs));
    if (rc) {
        ut_wipe(ek, SC_MLKEM768_EK);
        ut_wipe(dk, SC_MLKEM768_DK);
    }
    return rc;
}

int sc_mlkem768_keypair(uint8_t ek[SC_MLKEM768_EK], uint8_t dk[SC_MLKEM768_DK])
{
    uint8_t seed[64];
    int rc = ut_random(seed, sizeof(seed));

    if (!rc)
        rc = sc_mlkem768_keypair_derand(ek, dk, seed);
    else {
        ut_wipe(ek, SC_MLKEM768_EK);
        ut_wipe(dk, SC_MLKEM768_DK);
    }
    ut_wipe(seed, sizeof(seed));
    return rc;
}

/* c = K-PKE.Encrypt(ek, m, r) with t̂ already decoded in w->t[..]
 * (clobbered: w->t is reused for u). */
static int pke_encrypt(ml_ctx *x, uint8_t ct[SC_MLKEM768_CT], const ky_poly *that,
                       const uint8_t rho[32], const uint8_t m[32], const uint8_t r[32])
{
    ky_poly t[K];
    int rc;

    memcpy(t, that, sizeof(t));
    rc = encrypt1(x, ct, rho, r);
    if (!rc)
        encrypt2(x->w, ct + SC_MLKEM768_CT1, t, m);
    ut_wipe(t, sizeof(t));
    return rc;
}

int sc_mlkem768_encaps_derand(uint8_t ct[SC_MLKEM768_CT], uint8_t ss[32],
                              const uint8_t ek[SC_MLKEM768_EK], const uint8_t m[32])
{
    uint8_t kr[64], h[32];
    ky_poly that[K];
    ml_ctx x;
    int rc;

    if ((rc = ctx_open(&x)))
        goto out0;
    if ((rc = vec_decode(that, ek)) || (rc = H(x.c, h, ek, SC_MLKEM768_EK)) ||
        (rc = G(x.c, kr, m, 32, h, 32)) ||
        (rc = pke_encrypt(&x, ct, that, ek + PVB, m, kr + 32)))
        goto out;
    memcpy(ss, kr, 32);
out:
    ctx_close(&x);
out0:
    ut_wipe(kr, sizeof(kr));
    if (rc) {
        ut_wipe(ct, SC_MLKEM768_CT);
        ut_wipe(ss, 32);
    }
    return rc;
}

int sc_mlkem768_encaps(uint8_t ct[SC_MLKEM768_CT], uint8_t ss[32],
                       const uint8_t ek[SC_MLKEM768_EK])
{
    uint8_t m[32];
    int rc = ut_random(m, sizeof(m));

    if (!rc)
        rc = sc_mlkem768_encaps_derand(ct, ss, ek, m);
    else {
        ut_wipe(ct, SC_MLKEM768_CT);
        ut_wipe(ss, 32);
    }
    ut_wipe(m, sizeof(m));
    return rc;
}

static uint8_t ct_barrier(uint8_t v)
{
    __asm__("" : "+r"(v));
    return v;
}

int sc_mlkem768_decaps(uint8_t ss[32], const uint8_t ct[SC_MLKEM768_CT],
                       const uint8_t dk[SC_MLKEM768_DK])
{
    const uint8_t *ek = dk + PVB, *h = ek + SC_MLKEM768_EK, *z = h + 32;
    uint8_t m[32], kr[64], kbar[32], cmp[SC_MLKEM768_CT], diff = 0, mask;
    ky_poly that[K];
    ml_ctx x;
    size_t i;
    int rc;

    if ((rc = ctx_open(&x)))
        goto out0;
    /* m' = Decode1(Compress1(v' - NTT^-1(ŝᵀ NTT(u')))) */
    for (i = 0; i < K; i++) {
        sc_kyber_poly_decompress_d(&x.w->t[i], ct + i * 320, 10);
        sc_kyber_ntt(&x.w->t[i]);
        sc_kyber_poly_frombytes(&x.w->s[i], dk + i * KY_POLYBYTES);
    }
    sc_kyber_poly_decompress_d(&x.w->v, ct + SC_MLKEM768_CT1, 4);
    acc(&x.w->k, x.w->s, x.w->t);
    sc_kyber_invntt_tomont(&x.w->k);
    sc_kyber_poly_sub(&x.w->k, &x.w->v, &x.w->k);
    sc_kyber_poly_reduce(&x.w->k);
    sc_kyber_poly_tomsg(m, &x.w->k);
    for (i = 0; i < K; i++)
        sc_kyber_poly_frombytes(&that[i], ek + i * KY_POLYBYTES);
    if ((rc = G(x.c, kr, m, 32, h, 32)) || (rc = J(x.c, kbar, z, 32, ct, SC_MLKEM768_CT)) ||
        (rc = pke_encrypt(&x, cmp, that, ek + PVB, m, kr + 32)))
        goto out;
    for (i = 0; i < SC_MLKEM768_CT; i++)
        diff |= (uint8_t)(ct[i] ^ cmp[i]);
    mask = ct_barrier((uint8_t)((0u - (uint32_t)diff) >> 8)); /* 0xff: reject */
    for (i = 0; i < 32; i++)
        ss[i] = (uint8_t)(kr[i] ^ (mask & (kr[i] ^ kbar[i])));
out:
    ctx_close(&x);
out0:
    ut_wipe(m, sizeof(m));
    ut_wipe(kr, sizeof(kr));
    ut_wipe(kbar, sizeof(kbar));
    ut_wipe(cmp, sizeof(cmp));
    ut_wipe(that, sizeof(that));
    if (rc)
        ut_wipe(ss, 32);
    return rc;
}

/* ---- incremental ----------------------------------------------------------- */

void sc_mlkem768_split(uint8_t hdr[SC_MLKEM768_HDR], uint8_t ek_t[SC_MLKEM768_EK_T],
                       const uint8_t ek[SC_MLKEM768_EK])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();

    memcpy(hdr, ek + PVB, 32);
    if (!c || H(c, hdr + 32, ek, SC_MLKEM768_EK))
        memset(hdr + 32, 0, 32); /* cannot match any ek: fails closed */
    EVP_MD_CTX_free(c);
    memcpy(ek_t, ek, SC_MLKEM768_EK_T);
}

int sc_mlkem768_hdr_matches(const uint8_t hdr[SC_MLKEM768_HDR],
                            const uint8_t ek_t[SC_MLKEM768_EK_T])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    uint8_t h[32];
    ky_poly t[K];
    int ok = 0;

    if (c && !vec_decode(t, ek_t) &&
        !hash2(c, EVP_sha3_256(), h, 32, ek_t, SC_MLKEM768_EK_T, hdr, 32))
        ok = memcmp(h, hdr + 32, 32) == 0;
    EVP_MD_CTX_free(c);
    return ok;
}

int sc_mlkem768_encaps1_derand(uint8_t ct1[SC_MLKEM768_CT1], uint8_t es[SC_MLKEM768_ES],
                               uint8_t ss[32], const uint8_t hdr[SC_MLKEM768_HDR],
                               const uint8_t m[32])
{
    uint8_t kr[64];
    ml_ctx x;
    unsigned i;
    int rc;

    if ((rc = ctx_open(&x)))
        goto out0;
    if ((rc = G(x.c, kr, m, 32, hdr + 32, 32)) ||
        (rc = encrypt1(&x, ct1, hdr, kr + 32)))
        goto out;
    for (i = 0; i < K; i++)
        sc_kyber_poly_tobytes(es + i * KY_POLYBYTES, &x.w->s[i]);
    sc_kyber_poly_reduce(&x.w->v);
    sc_kyber_poly_tobytes(es + PVB, &x.w->v);
    memcpy(es + PVB + KY_POLYBYTES, m, 32);
    memcpy(ss, kr, 32);
out:
    ctx_close(&x);
out0:
    ut_wipe(kr, sizeof(kr));
    if (rc) {
        ut_wipe(ct1, SC_MLKEM768_CT1);
        ut_wipe(es, SC_MLKEM768_ES);
        ut_wipe(ss, 32);
    }
    return rc;
}

int sc_mlkem768_encaps1(uint8_t ct1[SC_MLKEM768_CT1], uint8_t es[SC_MLKEM768_ES],
                        uint8_t ss[32], const uint8_t hdr[SC_MLKEM768_HDR])
{
    uint8_t m[32];
    int rc = ut_random(m, sizeof(m));

    if (!rc)
        rc = sc_mlkem768_encaps1_derand(ct1, es, ss, hdr, m);
    else {
        ut_wipe(ct1, SC_MLKEM768_CT1);
        ut_wipe(es, SC_MLKEM768_ES);
        ut_wipe(ss, 32);
    }
    ut_wipe(m, sizeof(m));
    return rc;
}

int sc_mlkem768_encaps2(uint8_t ct2[SC_MLKEM768_CT2], const uint8_t es[SC_MLKEM768_ES],
                        const uint8_t ek_t[SC_MLKEM768_EK_T])
{
    ky_poly that[K];
    ml_ctx x;
    unsigned i;
    int rc;

    if ((rc = ctx_open(&x)))
        goto out0;
    if ((rc = vec_decode(that, ek_t)))
        goto out;
    for (i = 0; i < K; i++)
        sc_kyber_poly_frombytes(&x.w->s[i], es + i * KY_POLYBYTES);
    sc_kyber_poly_frombytes(&x.w->v, es + PVB);
    encrypt2(x.w, ct2, that, es + PVB + KY_POLYBYTES);
out:
    ctx_close(&x);
out0:
    ut_wipe(that, sizeof(that));
    if (rc)
        ut_wipe(ct2, SC_MLKEM768_CT2);
    return rc;
}
