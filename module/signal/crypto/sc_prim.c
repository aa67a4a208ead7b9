/*
 * sc_prim.c - see sc_prim.h. OpenSSL for hashes, MACs and AES; libgcrypt
 * for AES-GCM-SIV (OpenSSL 3.0 has none); libsodium for X25519 and XEdDSA
 * signing (its fixed-base Ed25519 multiplication and scalar arithmetic);
 * XEdDSA verification converts the key with GMP and checks the Ed25519
 * equation with ed25519-donna (sc_donna.h). Each is the fastest of the
 * Debian 12 libraries for its job (bench/README.md).
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <gmp.h>
#include <sodium.h>

#include "sc_donna.h"
#include "sc_prim.h"

/* tests/ct/ct_x25519.c builds this file with SC_CTGRIND: secrets are marked
 * undefined for valgrind; the one bit an agreement reveals on purpose
 * (whether the result is all zeros, which libsignal refuses too) is
 * declassified here so that only real leaks are reported. */
#ifdef SC_CTGRIND
#include <valgrind/memcheck.h>
#define CT_PUBLIC(p, n) ((void)VALGRIND_MAKE_MEM_DEFINED((p), (n)))
#else
#define CT_PUBLIC(p, n) ((void)0)
#endif


/* ---- hashes and MACs ----------------------------------------------------- */

static int digest(const EVP_MD *md, uint8_t *out, const void *data, size_t n)
{
    unsigned int len = 0;

    return EVP_Digest(data, n, out, &len, md, NULL) == 1 ? 0 : SC_ERR_CRYPTO;
}

int sc_sha256(uint8_t out[32], const void *data, size_t n)
{
    return digest(EVP_sha256(), out, data, n);
}

int sc_sha512(uint8_t out[64], const void *data, size_t n)
{
    return digest(EVP_sha512(), out, data, n);
}

int sc_hmac_sha256(uint8_t out[32], const uint8_t *key, size_t key_len,
                   const void *data, size_t n)
{
    static const uint8_t zero;
    unsigned int len = 0;

    /* HMAC() is the one-shot interface OpenSSL 3 keeps undeprecated. */
    if (!HMAC(EVP_sha256(), key_len ? key : &zero, (int)key_len,
              n ? data : &zero, n, out, &len) ||
        len != 32)
        return SC_ERR_CRYPTO;
    return 0;
}

int sc_hmac_sha256_v(uint8_t out[32], const uint8_t *key, size_t key_len,
                     const sc_iov *iov, size_t niov)
{
    uint8_t kpad[64], ihash[32];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int len;
    size_t i;
    int rc = SC_ERR_CRYPTO;

    /* HMAC by its definition over two SHA-256 passes: no deprecated
     * HMAC_CTX, no EVP_MAC fetch per call. */
    if (!ctx)
        return SC_ERR_CRYPTO;
    memset(kpad, 0, sizeof(kpad));
    if (key_len > 64) {
        if (sc_sha256(kpad, key, key_len) != 0)
            goto out;
    } else if (key_len) {
        memcpy(kpad, key, key_len);
    }
    for (i = 0; i < 64; i++)
        kpad[i] ^= 0x36;
    if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
        EVP_DigestUpdate(ctx, kpad, 64) != 1)
        goto out;
    for (i = 0; i < niov; i++)
        if (iov[i].n && EVP_DigestUpdate(ctx, iov[i].p, iov[i].n) != 1)
            goto out;
    if (EVP_DigestFinal_ex(ctx, ihash, &len) != 1)
        goto out;
    for (i = 0; i < 64; i++)
        kpad[i] ^= 0x36 ^ 0x5c;
    if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
        EVP_DigestUpdate(ctx, kpad, 64) != 1 ||
        EVP_DigestUpdate(ctx, ihash, 32) != 1 ||
        EVP_DigestFinal_ex(ctx, out, &len) != 1)
        goto out;
    rc = 0;
out:
    ut_wipe(kpad, sizeof(kpad));
    ut_wipe(ihash, sizeof(ihash));
    EVP_MD_CTX_free(ctx);
    return rc;
}

int sc_hkdf_sha256(uint8_t *out, size_t out_len, const uint8_t *salt,
                   size_t salt_len, const uint8_t *ikm, size_t ikm_len,
                   const void *info, size_t info_len)
{
    static const uint8_t zeros[32];
    uint8_t prk[32], t[32];
    size_t done = 0;
    uint8_t ctr = 1;
    int rc;

    if (out_len > 255 * 32)
        return SC_ERR_FORMAT;
    if (!salt || !salt_len) {
        salt = zeros;
        salt_len = sizeof(zeros);
    }
    if ((rc = sc_hmac_sha256(prk, salt, salt_len, ikm, ikm_len)) != 0)
        goto out;
    while (done < out_len) {
        sc_iov v[3] = {{t, done ? 32u : 0u}, {info, info_len}, {&ctr, 1}};
        size_t take = out_len - done < 32 ? out_len - done : 32;

        if ((rc = sc_hmac_sha256_v(t, prk, 32, v, 3)) != 0)
            goto out;
        memcpy(out + done, t, take);
        done += take;
        ctr++;
    }
out:
    ut_wipe(prk, sizeof(prk));
    ut_wipe(t, sizeof(t));
    return rc;
}

/* ---- AES ----------------------------------------------------------------- */

static int cipher(const EVP_CIPHER *c, int enc, int pad, uint8_t *out,
                  size_t *out_len, const uint8_t *key, const uint8_t *iv,
                  const uint8_t *in, size_t n)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int l1 = 0, l2 = 0, rc = SC_ERR_CRYPTO;

    if (!ctx || n > (size_t)INT32_MAX - 32)
        goto out;
    if (EVP_CipherInit_ex(ctx, c, NULL, key, iv, enc) != 1 ||
        EVP_CIPHER_CTX_set_padding(ctx, pad) != 1 ||
        EVP_CipherUpdate(ctx, out, &l1, in, (int)n) != 1)
        goto out;
    if (EVP_CipherFinal_ex(ctx, out + l1, &l2) != 1) {
        rc = enc ? SC_ERR_CRYPTO : SC_ERR_DECRYPT;
        goto out;
    }
    if (out_len)
        *out_len = (size_t)l1 + (size_t)l2;
    rc = 0;
out:
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

int sc_aes256_cbc_encrypt(uint8_t *out, size_t *out_len, const uint8_t key[32],
                          const uint8_t iv[16], const uint8_t *in, size_t n)
{
    return cipher(EVP_aes_256_cbc(), 1, 1, out, out_len, key, iv, in, n);
}

int sc_aes256_cbc_decrypt(uint8_t *out, size_t *out_len, const uint8_t key[32],
                          const uint8_t iv[16], const uint8_t *in, size_t n)
{
    if (n == 0 || n % 16)
        return SC_ERR_DECRYPT;
    return cipher(EVP_aes_256_cbc(), 0, 1, out, out_len, key, iv, in, n);
}

int sc_aes256_ctr(uint8_t *out, const uint8_t key[32], const uint8_t iv[16],
                  const uint8_t *in, size_t n)
{
    return cipher(EVP_aes_256_ctr(), 1, 0, out, NULL, key, iv, in, n);
}

static int gcm(int enc, uint8_t *out, const uint8_t *key, const uint8_t *iv,
               size_t iv_len, const uint8_t *aad, size_t aad_len,
               const uint8_t *in, size_t n)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int l = 0, rc = SC_ERR_CRYPTO;
    size_t body = enc ? n : n - 16;

    if (!ctx || (!enc && n < 16) || n > (size_t)INT32_MAX - 32 ||
        aad_len > (size_t)INT32_MAX)
        goto out;
    if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, (int)iv_len, NULL) != 1 ||
        EVP_CipherInit_ex(ctx, NULL, NULL, key, iv, enc) != 1)
        goto out;
    if (aad_len && EVP_CipherUpdate(ctx, NULL, &l, aad, (int)aad_len) != 1)
        goto out;
    if (body && EVP_CipherUpdate(ctx, out, &l, in, (int)body) != 1)
        goto out;
    if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16,
                                    (void *)(in + body)) != 1)
        goto out;
    if (EVP_CipherFinal_ex(ctx, out + body, &l) != 1) {
        if (!enc) {
            ut_wipe(out, body); /* never hand out unauthenticated plaintext */
            rc = SC_ERR_DECRYPT;
        }
        goto out;
    }
    if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out + n) != 1)
        goto out;
    rc = 0;
out:
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

int sc_aes256_gcm_encrypt(uint8_t *out, const uint8_t key[32],
                          const uint8_t *iv, size_t iv_len, const uint8_t *aad,
                          size_t aad_len, const uint8_t *in, size_t n)
{
    return gcm(1, out, key, iv, iv_len, aad, aad_len, in, n);
}

int sc_aes256_gcm_decrypt(uint8_t *out, const uint8_t key[32],
                          const uint8_t *iv, size_t iv_len, const uint8_t *aad,
                          size_t aad_len, const uint8_t *in, size_t n)
{
    if (n < 16)
        return SC_ERR_DECRYPT;
    return gcm(0, out, key, iv, iv_len, aad, aad_len, in, n);
}

/* libgcrypt must be initialised once per process before use; the once
 * control is the only static state in this library. */
static pthread_once_t gcry_once = PTHREAD_ONCE_INIT;
static void gcry_init(void)
{
    if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
        gcry_check_version(NULL);
        gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
        gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    }
}

static int gcm_siv(int enc, uint8_t *out, const uint8_t *key,
                   const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                   const uint8_t *in, size_t n)
{
    gcry_cipher_hd_t h = NULL;
    size_t body = enc ? n : n - 16;
    int rc = SC_ERR_CRYPTO;

    if (!enc && n < 16)
        return SC_ERR_DECRYPT;
    pthread_once(&gcry_once, gcry_init);
    if (gcry_cipher_open(&h, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_GCM_SIV, 0) ||
        gcry_cipher_setkey(h, key, 32) || gcry_cipher_setiv(h, nonce, 12))
        goto out;
    if (aad_len && gcry_cipher_authenticate(h, aad, aad_len))
        goto out;
    if (enc) {
        if (gcry_cipher_final(h) || gcry_cipher_encrypt(h, out, n, in, n) ||
            gcry_cipher_gettag(h, out + n, 16))
            goto out;
    } else {
        /* GCM-SIV authenticates the plaintext: set the tag, then decrypt. */
        if (gcry_cipher_set_decryption_tag(h, in + body, 16) ||
            gcry_cipher_final(h))
            goto out;
        if (gcry_cipher_decrypt(h, out, body, in, body)) {
            ut_wipe(out, body);
            rc = SC_ERR_DECRYPT;
            goto out;
        }
    }
    rc = 0;
out:
    gcry_cipher_close(h);
    return rc;
}

int sc_aes256_gcm_siv_encrypt(uint8_t *out, const uint8_t key[32],
                              const uint8_t nonce[12], const uint8_t *aad,
                              size_t aad_len, const uint8_t *in, size_t n)
{
    return gcm_siv(1, out, key, nonce, aad, aad_len, in, n);
}

int sc_aes256_gcm_siv_decrypt(uint8_t *out, const uint8_t key[32],
                              const uint8_t nonce[12], const uint8_t *aad,
                              size_t aad_len, const uint8_t *in, size_t n)
{
    return gcm_siv(0, out, key, nonce, aad, aad_len, in, n);
}

/* ---- X25519 and XEdDSA --------------------------------------------------- */

/* libsodium picks its fastest X25519 (sandy2x, AVX) in sodium_init(); it is
 * thread-safe and idempotent, the once control only saves its lock. */
static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static void sodium_setup(void)
{
    if (sodium_init() < 0)
        abort(); /* cannot happen on Linux: no entropy source at all */
}

int sc_x25519_public(uint8_t pub[32], const uint8_t priv[32])
{
    int rc;

    pthread_once(&sodium_once, sodium_setup);
    /* clamps, as RFC 7748 and libsignal do */
    rc = crypto_scalarmult_curve25519_base(pub, priv);
    CT_PUBLIC(&rc, sizeof(rc));
    return rc == 0 ? 0 : SC_ERR_CRYPTO;
}

int sc_x25519_keypair(uint8_t pub[32], uint8_t priv[32])
{
    int rc;

    if (ut_random(priv, 32) != 0)
        return SC_ERR_CRYPTO;
    /* Store the clamped form, as libsignal does. */
    priv[0] &= 248;
    priv[31] &= 127;
    priv[31] |= 64;
    if ((rc = sc_x25519_public(pub, priv)) != 0)
        ut_wipe(priv, 32);
    return rc;
}

int sc_x25519(uint8_t out[32], const uint8_t priv[32], const uint8_t pub[32])
{
    int rc;

    pthread_once(&sodium_once, sodium_setup);
    /* libsodium clamps the scalar, ignores bit 255 of the u coordinate and
     * fails on an all-zero result (small-order peer key), which libsignal
     * refuses too; its ladder is constant time (tests/ct/ct_x25519.c). */
    rc = crypto_scalarmult_curve25519(out, priv, pub);
    CT_PUBLIC(&rc, sizeof(rc));
    if (rc != 0) {
        ut_wipe(out, 32);
        return SC_ERR_KEY;
    }
    return 0;
}

int sc_x25519_pair(uint8_t out[32], const uint8_t priv[32],
                   const uint8_t our_pub[32], const uint8_t their_pub[32])
{
    (void)our_pub; /* libsodium never computes it */
    return sc_x25519(out, priv, their_pub);
}

/* SHA-512 over up to four pieces, then reduced mod L (libsodium's). */
static void hash_mod_l(uint8_t out[32], const sc_iov *v, size_t nv)
{
    crypto_hash_sha512_state st;
    uint8_t wide[64];
    size_t i;

    crypto_hash_sha512_init(&st);
    for (i = 0; i < nv; i++)
        crypto_hash_sha512_update(&st, v[i].p, v[i].n);
    crypto_hash_sha512_final(&st, wide);
    crypto_core_ed25519_scalar_reduce(out, wide);
    ut_wipe(wide, sizeof(wide));
    ut_wipe(&st, sizeof(st));
}

int sc_xeddsa_sign(uint8_t sig[64], const uint8_t priv[32], const void *msg,
                   size_t n)
{
    static const uint8_t prefix[32] = {
        0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t zero = 0;
    uint8_t k[32], wide[64], a[32], A[32], r[32], h[32], s[32], rnd[64];
    const void *m = n ? msg : &zero;
    int rc = SC_ERR_CRYPTO, r1, r2;

    /* libsignal's PrivateKey::calculate_signature (rust/core/src/curve/
     * curve25519.rs): a = clamped key mod L, A = aB; r = H(0xFE 0xFF*31 ||
     * key || M || Z) mod L with 64 random bytes Z; R = rB; h = H(R || A ||
     * M) mod L; s = ha + r; the sign bit of A goes in bit 255 of s. The
     * fixed-base multiplications and the scalar arithmetic are libsodium's
     * constant-time ones (tests/ct/x25519-ct.sh). */
    pthread_once(&sodium_once, sodium_setup);
    memcpy(k, priv, 32);
    k[0] &= 248;
    k[31] &= 127;
    k[31] |= 64;
    memset(wide, 0, sizeof(wide));
    memcpy(wide, k, 32);
    crypto_core_ed25519_scalar_reduce(a, wide);
    if (ut_random(rnd, sizeof(rnd)) != 0)
        goto out;
    {
        sc_iov v[4] = {{prefix, 32}, {k, 32}, {m, n}, {rnd, 64}};
        hash_mod_l(r, v, 4);
    }
    /* libsodium refuses a zero scalar or an identity result (both with
     * probability 2^-252); the verdicts are public. */
    r1 = crypto_scalarmult_ed25519_base_noclamp(A, a);
    r2 = crypto_scalarmult_ed25519_base_noclamp(sig, r);
    CT_PUBLIC(&r1, sizeof(r1));
    CT_PUBLIC(&r2, sizeof(r2));
    if (r1 != 0 || r2 != 0)
        goto out;
    {
        sc_iov v[3] = {{sig, 32}, {A, 32}, {m, n}};
        hash_mod_l(h, v, 3);
    }
    crypto_core_ed25519_scalar_mul(s, h, a);
    crypto_core_ed25519_scalar_add(sig + 32, s, r);
    sig[63] = (uint8_t)((sig[63] & 0x7f) | (A[31] & 0x80));
    rc = 0;
out:
    if (rc != 0)
        ut_wipe(sig, 64);
    ut_wipe(k, sizeof(k));
    ut_wipe(wide, sizeof(wide));
    ut_wipe(a, sizeof(a));
    ut_wipe(r, sizeof(r));
    ut_wipe(s, sizeof(s));
    ut_wipe(rnd, sizeof(rnd));
    return rc;
}

/* y = (u - 1) / (u + 1) mod p, canonical, for the Montgomery u of a public
 * key (bit 255 ignored, as dalek's MontgomeryPoint). GMP's variable-time
 * inversion (Lehmer's extended gcd) is about three times faster than the
 * constant-time exponentiation of sc_fe25519.h, and u is public. -1 when
 * u = -1, which has no Edwards point. */
static int mont_to_edwards_y(uint8_t y[32], const uint8_t pub[32])
{
    static const uint8_t p_le[32] = {
        0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
    uint8_t ub[32];
    mpz_t p, u, d;
    int ok;

    memcpy(ub, pub, 32);
    ub[31] &= 0x7f;
    mpz_inits(p, u, d, NULL);
    mpz_import(p, 32, -1, 1, 0, 0, p_le);
    mpz_import(u, 32, -1, 1, 0, 0, ub);
    mpz_add_ui(d, u, 1);
    ok = mpz_invert(d, d, p); /* 0 when u + 1 = 0 mod p */
    if (ok) {
        mpz_sub_ui(u, u, 1);
        mpz_mul(u, u, d);
        mpz_mod(u, u, p);
        memset(y, 0, 32);
        mpz_export(y, NULL, -1, 1, 0, 0, u);
    }
    mpz_clears(p, u, d, NULL);
    return ok ? 0 : -1;
}

int sc_xeddsa_verify(const uint8_t sig[64], const uint8_t pub[32],
                     const void *msg, size_t n)
{
    uint8_t edpub[32], sig2[64];

    /* libsignal's PrivateKey::verify_signature (rust/core/src/curve/
     * curve25519.rs): the Edwards key is MontgomeryPoint::to_edwards(u,
     * sign bit = sig[63] >> 7) with y = (u-1)/(u+1) (bit 255 of u ignored,
     * u = -1 refused); s is sig[32..64] with that bit cleared, refused when
     * s >= 2^253, else taken mod L; then the cofactorless Ed25519 equation
     * [s]B - [H(R || A || M)]A, compressed, equal to R's bytes. That last
     * part is ed25519-donna's verify exactly (the same 2^253 bound, no
     * small-order refusals, which libsodium's adds), so the sign bit moves
     * into A and is cleared from s. Everything here is public. */
    if (mont_to_edwards_y(edpub, pub) != 0)
        return SC_ERR_SIGNATURE;
    edpub[31] |= sig[63] & 0x80; /* y < p, so bit 255 is free for the sign */
    memcpy(sig2, sig, 64);
    sig2[63] &= 0x7f;
    return sc_donna_ed25519_verify(sig2, edpub, msg, n) == 0 ? 0 : SC_ERR_SIGNATURE;
}
