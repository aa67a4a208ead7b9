/*
 * sc_kyber.c - Kyber1024 round 3: the IND-CPA scheme and the
 * Fujisaki-Okamoto transform, over OpenSSL's SHA3-256/512 and SHAKE128/256.
 *
 * OpenSSL 3.0 squeezes a XOF only once per context (EVP_DigestFinalXOF), so
 * the matrix sampler squeezes 3 blocks for the rejection sampling in one go
 * (enough for about 99% of entries) and otherwise squeezes a longer output
 * again; SHAKE outputs are prefixes of each other, so the result equals
 * that of an incremental squeeze. Where the CPU has AVX2 the matrix and
 * noise SHAKEs run four at a time (sc_kyber_keccak4x.c).
 *
 * Round 3 vs ML-KEM (the reason this file exists, see signal-crypto.md
 * §1.1): encapsulation hashes the random message, m = SHA3-256(m); the
 * secret is SHAKE256(K' || SHA3-256(ct)); key generation hashes d alone.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "sc_kyber.h"
#include "sc_kyber_int.h"

/* tests/ct builds this file with SC_CTGRIND: secrets are marked undefined
 * for valgrind, and values that are public by design (rho, which is part of
 * the public key) are declassified here so only real leaks are reported. */
#ifdef SC_CTGRIND
#include <valgrind/memcheck.h>
#define CT_PUBLIC(p, n) ((void)VALGRIND_MAKE_MEM_DEFINED((p), (n)))
#else
#define CT_PUBLIC(p, n) ((void)0)
#endif

/* One EVP context reused for every hash of an operation; avx2: batch the
 * matrix and noise SHAKEs four at a time (sc_kyber_keccak4x.c). */
typedef struct {
    EVP_MD_CTX *ctx;
    int avx2;
} ky_hash;

static int hash2(ky_hash *h, const EVP_MD *md, uint8_t *out, size_t outlen,
                 const void *a, size_t an, const void *b, size_t bn)
{
    unsigned int len = 0;

    if (EVP_DigestInit_ex(h->ctx, md, NULL) != 1 ||
        EVP_DigestUpdate(h->ctx, a, an) != 1 ||
        (bn && EVP_DigestUpdate(h->ctx, b, bn) != 1))
        return SC_ERR_CRYPTO;
    if (EVP_MD_get_flags(md) & EVP_MD_FLAG_XOF)
        return EVP_DigestFinalXOF(h->ctx, out, outlen) == 1 ? 0 : SC_ERR_CRYPTO;
    if (EVP_DigestFinal_ex(h->ctx, out, &len) != 1 || len != outlen)
        return SC_ERR_CRYPTO;
    return 0;
}

#define SHA3_256(h, out, a, an) hash2(h, EVP_sha3_256(), out, 32, a, an, NULL, 0)
#define SHA3_512(h, out, a, an, b, bn) hash2(h, EVP_sha3_512(), out, 64, a, an, b, bn)
#define SHAKE256(h, out, n, a, an, b, bn) hash2(h, EVP_shake256(), out, n, a, an, b, bn)

#define XOF_BLOCK 168 /* SHAKE128 rate */
#define MATRIX_MAX_BLOCKS 24

/* A[i][j] = Parse(SHAKE128(rho || j || i)), or of (rho || i || j) for the
 * transpose, with OpenSSL. Public data: variable time is fine here. */
static int gen_entry(ky_hash *h, ky_poly *p, const uint8_t rho[32],
                     const uint8_t idx[2], unsigned blocks)
{
    uint8_t buf[MATRIX_MAX_BLOCKS * XOF_BLOCK];
    unsigned have = 0;
    int rc;

    for (; have < KY_N; blocks *= 2) {
        if (blocks > MATRIX_MAX_BLOCKS)
            return SC_ERR_CRYPTO; /* probability < 2^-1000 */
        if ((rc = hash2(h, EVP_shake128(), buf, blocks * XOF_BLOCK, rho, 32,
                        idx, 2)))
            return rc;
        have = sc_kyber_rej_uniform(p->c, 0, buf, blocks * XOF_BLOCK);
    }
    return 0;
}

static int gen_matrix(ky_hash *h, ky_polyvec a[KY_K], const uint8_t rho[32],
                      int transposed)
{
    uint8_t in[4][34], out[4][3 * XOF_BLOCK];
    uint8_t *const outp[4] = {out[0], out[1], out[2], out[3]};
    const uint8_t *const inp[4] = {in[0], in[1], in[2], in[3]};
    unsigned i, j;
    int rc;

    for (i = 0; i < KY_K; i++) {
        for (j = 0; j < KY_K; j++) {
            memcpy(in[j], rho, 32);
            in[j][32] = (uint8_t)(transposed ? i : j);
            in[j][33] = (uint8_t)(transposed ? j : i);
        }
        if (h->avx2) {
            /* one row per batch: 3 blocks suffice for ~99% of entries; a
             * short one is redone with a longer OpenSSL squeeze */
            sc_kyber_shake4x(outp, 3, XOF_BLOCK, inp, 34);
            for (j = 0; j < KY_K; j++)
                if (sc_kyber_rej_uniform(a[i].v[j].c, 0, out[j],
                                         sizeof(out[j])) < KY_N &&
                    (rc = gen_entry(h, &a[i].v[j], rho, in[j] + 32, 6)))
                    return rc;
        } else {
            for (j = 0; j < KY_K; j++)
                if ((rc = gen_entry(h, &a[i].v[j], rho, in[j] + 32, 3)))
                    return rc;
        }
    }
    return 0;
}

/* CBD_2(PRF(seed, nonce)). */
static int getnoise(ky_hash *h, ky_poly *r, const uint8_t seed[32],
                    uint8_t nonce)
{
    uint8_t buf[128];
    int rc = SHAKE256(h, buf, sizeof(buf), seed, 32, &nonce, 1);

    if (!rc)
        sc_kyber_cbd2(r, buf);
    ut_wipe(buf, sizeof(buf));
    return rc;
}

/* Four noise polynomials with nonces nonce..nonce+3. */
static int getnoise4(ky_hash *h, ky_poly *r, const uint8_t seed[32],
                     uint8_t nonce)
{
    uint8_t in[4][33], out[4][136];
    uint8_t *const outp[4] = {out[0], out[1], out[2], out[3]};
    const uint8_t *const inp[4] = {in[0], in[1], in[2], in[3]};
    unsigned k;
    int rc = 0;

    if (!h->avx2) {
        for (k = 0; k < 4 && !rc; k++)
            rc = getnoise(h, &r[k], seed, (uint8_t)(nonce + k));
        return rc;
    }
    for (k = 0; k < 4; k++) {
        memcpy(in[k], seed, 32);
        in[k][32] = (uint8_t)(nonce + k);
    }
    sc_kyber_shake4x(outp, 1, 136, inp, 33);
    for (k = 0; k < 4; k++)
        sc_kyber_cbd2(&r[k], out[k]);
    ut_wipe(in, sizeof(in));
    ut_wipe(out, sizeof(out));
    return 0;
}

static void polyvec_ntt(ky_polyvec *v)
{
    unsigned i;

    for (i = 0; i < KY_K; i++)
        sc_kyber_ntt(&v->v[i]);
}

static void polyvec_tobytes(uint8_t *r, const ky_polyvec *v)
{
    unsigned i;

    for (i = 0; i < KY_K; i++)
        sc_kyber_poly_tobytes(r + i * KY_POLYBYTES, &v->v[i]);
}

static void polyvec_frombytes(ky_polyvec *v, const uint8_t *a)
{
    unsigned i;

    for (i = 0; i < KY_K; i++)
        sc_kyber_poly_frombytes(&v->v[i], a + i * KY_POLYBYTES);
}

/* Working memory of the IND-CPA functions, wiped as one block. */
typedef struct {
    ky_polyvec a[KY_K], s, e, t;
    ky_polyvec_z sz;
    ky_poly v, k, epp;
    uint8_t seeds[64];
} ky_work;

static int indcpa_keypair(ky_hash *h, ky_work *w, uint8_t pk[KY_CPA_PKBYTES],
                          uint8_t sk[KY_CPA_SKBYTES], const uint8_t d[32])
{
    const uint8_t *rho = w->seeds, *sigma = w->seeds + 32;
    unsigned i;
    int rc;

    if ((rc = SHA3_512(h, w->seeds, d, 32, NULL, 0)))
        return rc;
    CT_PUBLIC(rho, 32); /* published in pk */
    if ((rc = gen_matrix(h, w->a, rho, 0)))
        return rc;
    if ((rc = getnoise4(h, w->s.v, sigma, 0)) ||
        (rc = getnoise4(h, w->e.v, sigma, KY_K)))
        return rc;
    polyvec_ntt(&w->s);
    polyvec_ntt(&w->e);
    sc_kyber_polyvec_zprep(&w->sz, &w->s);
    for (i = 0; i < KY_K; i++) {
        sc_kyber_polyvec_basemul_acc_z(&w->t.v[i], &w->a[i], &w->s, &w->sz);
        sc_kyber_poly_tomont(&w->t.v[i]);
        sc_kyber_poly_add(&w->t.v[i], &w->t.v[i], &w->e.v[i]);
        sc_kyber_poly_reduce(&w->t.v[i]);
    }
    polyvec_tobytes(sk, &w->s);
    polyvec_tobytes(pk, &w->t);
    memcpy(pk + KY_POLYVECBYTES, rho, 32);
    return 0;
}

/* c = Enc(pk, m; coins). Used by encapsulation and by the re-encryption of
 * decapsulation, so it must be constant time in m and coins. */
static int indcpa_enc(ky_hash *h, ky_work *w, uint8_t c[KY_CPA_CTBYTES],
                      const uint8_t m[32], const uint8_t pk[KY_CPA_PKBYTES],
                      const uint8_t coins[32])
{
    unsigned i;
    int rc;

    polyvec_frombytes(&w->t, pk);
    if ((rc = gen_matrix(h, w->a, pk + KY_POLYVECBYTES, 1)))
        return rc;
    sc_kyber_poly_frommsg(&w->k, m);
    if ((rc = getnoise4(h, w->s.v, coins, 0)) ||
        (rc = getnoise4(h, w->e.v, coins, KY_K)) ||
        (rc = getnoise(h, &w->epp, coins, 2 * KY_K)))
        return rc;
    polyvec_ntt(&w->s);
    /* u = invNTT(A^T r) + e1, reusing t's slot after v is computed */
    sc_kyber_polyvec_zprep(&w->sz, &w->s);
    sc_kyber_polyvec_basemul_acc_z(&w->v, &w->t, &w->s, &w->sz);
    sc_kyber_invntt_tomont(&w->v);
    sc_kyber_poly_add(&w->v, &w->v, &w->epp);
    sc_kyber_poly_add(&w->v, &w->v, &w->k);
    sc_kyber_poly_reduce(&w->v);
    for (i = 0; i < KY_K; i++) {
        sc_kyber_polyvec_basemul_acc_z(&w->t.v[i], &w->a[i], &w->s, &w->sz);
        sc_kyber_invntt_tomont(&w->t.v[i]);
        sc_kyber_poly_add(&w->t.v[i], &w->t.v[i], &w->e.v[i]);
        sc_kyber_poly_reduce(&w->t.v[i]);
        sc_kyber_poly_compress11(c + i * KY_POLYCOMP_DU, &w->t.v[i]);
    }
    sc_kyber_poly_compress5(c + KY_K * KY_POLYCOMP_DU, &w->v);
    return 0;
}

static void indcpa_dec(ky_work *w, uint8_t m[32],
                       const uint8_t c[KY_CPA_CTBYTES],
                       const uint8_t sk[KY_CPA_SKBYTES])
{
    unsigned i;

    for (i = 0; i < KY_K; i++)
        sc_kyber_poly_decompress11(&w->t.v[i], c + i * KY_POLYCOMP_DU);
    sc_kyber_poly_decompress5(&w->v, c + KY_K * KY_POLYCOMP_DU);
    polyvec_frombytes(&w->s, sk);
    polyvec_ntt(&w->t);
    sc_kyber_polyvec_zprep(&w->sz, &w->t);
    sc_kyber_polyvec_basemul_acc_z(&w->k, &w->s, &w->t, &w->sz);
    sc_kyber_invntt_tomont(&w->k);
    sc_kyber_poly_sub(&w->k, &w->v, &w->k);
    sc_kyber_poly_reduce(&w->k);
    sc_kyber_poly_tomsg(m, &w->k);
}

/* ---- the KEM ------------------------------------------------------------- */

static int hash_open(ky_hash *h)
{
    /* SC_KYBER_NO_AVX2 (tests only) forces the OpenSSL-only path so both
     * paths run through the same known-answer tests. */
    h->avx2 = sc_kyber_have_avx2() && !getenv("SC_KYBER_NO_AVX2");
    h->ctx = EVP_MD_CTX_new();
    return h->ctx ? 0 : SC_ERR_CRYPTO;
}

static void hash_close(ky_hash *h)
{
    EVP_MD_CTX_free(h->ctx); /* the provider clears its state on free */
}

int sc_kyber1024_keypair_derand(uint8_t pk[1568], uint8_t sk[3168],
                                const uint8_t coins[64])
{
    ky_hash h;
    ky_work w;
    int rc;

    if ((rc = hash_open(&h)))
        goto out;
    if ((rc = indcpa_keypair(&h, &w, pk, sk, coins)))
        goto out;
    memcpy(sk + KY_CPA_SKBYTES, pk, KY_CPA_PKBYTES);
    if ((rc = SHA3_256(&h, sk + KY_CPA_SKBYTES + KY_CPA_PKBYTES, pk,
                       KY_CPA_PKBYTES)))
        goto out;
    memcpy(sk + SC_KYBER1024_SECRETKEYBYTES - 32, coins + 32, 32);
out:
    hash_close(&h);
    ut_wipe(&w, sizeof(w));
    if (rc) {
        ut_wipe(pk, SC_KYBER1024_PUBLICKEYBYTES);
        ut_wipe(sk, SC_KYBER1024_SECRETKEYBYTES);
    }
    return rc;
}

int sc_kyber1024_keypair(uint8_t pk[1568], uint8_t sk[3168])
{
    uint8_t coins[64];
    int rc = ut_random(coins, sizeof(coins));

    if (!rc)
        rc = sc_kyber1024_keypair_derand(pk, sk, coins);
    else {
        ut_wipe(pk, SC_KYBER1024_PUBLICKEYBYTES);
        ut_wipe(sk, SC_KYBER1024_SECRETKEYBYTES);
    }
    ut_wipe(coins, sizeof(coins));
    return rc;
}

int sc_kyber1024_enc_derand(uint8_t ct[1568], uint8_t ss[32],
                            const uint8_t pk[1568], const uint8_t coins[32])
{
    uint8_t buf[64]; /* m' = H(coins) || H(pk) */
    uint8_t kr[64];  /* K' || r, then K' || H(ct) */
    ky_hash h;
    ky_work w;
    int rc;

    if ((rc = hash_open(&h)))
        goto out;
    if ((rc = SHA3_256(&h, buf, coins, 32)) ||
        (rc = SHA3_256(&h, buf + 32, pk, KY_CPA_PKBYTES)) ||
        (rc = SHA3_512(&h, kr, buf, 64, NULL, 0)) ||
        (rc = indcpa_enc(&h, &w, ct, buf, pk, kr + 32)) ||
        (rc = SHA3_256(&h, kr + 32, ct, KY_CPA_CTBYTES)) ||
        (rc = SHAKE256(&h, ss, 32, kr, 64, NULL, 0)))
        goto out;
out:
    hash_close(&h);
    ut_wipe(&w, sizeof(w));
    ut_wipe(buf, sizeof(buf));
    ut_wipe(kr, sizeof(kr));
    if (rc) {
        ut_wipe(ct, SC_KYBER1024_CIPHERTEXTBYTES);
        ut_wipe(ss, SC_KYBER1024_SSBYTES);
    }
    return rc;
}

int sc_kyber1024_enc(uint8_t ct[1568], uint8_t ss[32], const uint8_t pk[1568])
{
    uint8_t coins[32];
    int rc = ut_random(coins, sizeof(coins));

    if (!rc)
        rc = sc_kyber1024_enc_derand(ct, ss, pk, coins);
    else {
        ut_wipe(ct, SC_KYBER1024_CIPHERTEXTBYTES);
        ut_wipe(ss, SC_KYBER1024_SSBYTES);
    }
    ut_wipe(coins, sizeof(coins));
    return rc;
}

/* Keep the compiler from turning the masks below into branches. */
static uint8_t ct_barrier(uint8_t x)
{
    __asm__("" : "+r"(x));
    return x;
}

int sc_kyber1024_dec(uint8_t ss[32], const uint8_t ct[1568],
                     const uint8_t sk[3168])
{
    const uint8_t *pk = sk + KY_CPA_SKBYTES;
    const uint8_t *pkh = pk + KY_CPA_PKBYTES;
    const uint8_t *z = pkh + 32;
    uint8_t buf[64], kr[64], cmp[KY_CPA_CTBYTES];
    uint8_t diff = 0, mask;
    ky_hash h;
    ky_work w;
    size_t i;
    int rc;

    if ((rc = hash_open(&h)))
        goto out;
    indcpa_dec(&w, buf, ct, sk);
    memcpy(buf + 32, pkh, 32);
    if ((rc = SHA3_512(&h, kr, buf, 64, NULL, 0)) ||
        (rc = indcpa_enc(&h, &w, cmp, buf, pk, kr + 32)))
        goto out;
    for (i = 0; i < KY_CPA_CTBYTES; i++)
        diff |= (uint8_t)(ct[i] ^ cmp[i]);
    /* mask = 0xff when the re-encryption differs: then K' := z. */
    mask = ct_barrier((uint8_t)((0u - (uint32_t)diff) >> 8));
    for (i = 0; i < 32; i++)
        kr[i] ^= (uint8_t)(mask & (kr[i] ^ z[i]));
    if ((rc = SHA3_256(&h, kr + 32, ct, KY_CPA_CTBYTES)) ||
        (rc = SHAKE256(&h, ss, 32, kr, 64, NULL, 0)))
        goto out;
out:
    hash_close(&h);
    ut_wipe(&w, sizeof(w));
    ut_wipe(buf, sizeof(buf));
    ut_wipe(kr, sizeof(kr));
    ut_wipe(cmp, sizeof(cmp));
    if (rc)
        ut_wipe(ss, SC_KYBER1024_SSBYTES);
    return rc;
}

/* ---- Signal's type-prefixed forms ---------------------------------------- */

void sc_kyber1024_serialize(uint8_t *out, const uint8_t *raw, size_t raw_len)
{
    out[0] = SC_KYBER1024_TYPE;
    memmove(out + 1, raw, raw_len);
}

int sc_kyber1024_deserialize(const uint8_t **raw, const uint8_t *in, size_t n,
                             size_t raw_len)
{
    *raw = NULL;
    if (!in || n < 1)
        return SC_ERR_FORMAT;
    if (in[0] != SC_KYBER1024_TYPE)
        return SC_ERR_KEM_TYPE;
    if (n != raw_len + 1)
        return SC_ERR_FORMAT;
    *raw = in + 1;
    return 0;
}

int sc_kyber1024_enc_serialized(uint8_t ct[1569], uint8_t ss[32],
                                const uint8_t *pk, size_t pk_len)
{
    const uint8_t *raw;
    int rc = sc_kyber1024_deserialize(&raw, pk, pk_len,
                                      SC_KYBER1024_PUBLICKEYBYTES);

    if (!rc)
        rc = sc_kyber1024_enc(ct + 1, ss, raw);
    if (rc) {
        ut_wipe(ct, SC_KYBER1024_SERIALIZED_CT);
        ut_wipe(ss, SC_KYBER1024_SSBYTES);
        return rc;
    }
    ct[0] = SC_KYBER1024_TYPE;
    return 0;
}

int sc_kyber1024_dec_serialized(uint8_t ss[32], const uint8_t *ct,
                                size_t ct_len, const uint8_t sk[3168])
{
    const uint8_t *raw;
    int rc = sc_kyber1024_deserialize(&raw, ct, ct_len,
                                      SC_KYBER1024_CIPHERTEXTBYTES);

    if (!rc)
        rc = sc_kyber1024_dec(ss, raw, sk);
    if (rc)
        ut_wipe(ss, SC_KYBER1024_SSBYTES);
    return rc;
}
