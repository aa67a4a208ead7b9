/*
 * sc_prim.c - see sc_prim.h. OpenSSL for hashes, MACs, AES and X25519;
 * libgcrypt for AES-GCM-SIV (OpenSSL 3.0 has none); libsignal-protocol-c's
 * ref10-based XEdDSA, the same code Signal's clients used for years.
 */
#include "config.h"

#include <pthread.h>
#include <string.h>

#include <gcrypt.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/hmac.h>

#include "sc_prim.h"

/* From libsignal-protocol-c's curve_sigs.h, which Debian does not install;
 * exported by libsignal-protocol-c.so (2.3.x) and stable since 2016. */
int curve25519_sign(unsigned char *signature_out,
                    const unsigned char *curve25519_privkey,
                    const unsigned char *msg, const unsigned long msg_len,
                    const unsigned char *random);
int curve25519_verify(const unsigned char *signature,
                      const unsigned char *curve25519_pubkey,
                      const unsigned char *msg, const unsigned long msg_len);

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

int sc_x25519_public(uint8_t pub[32], const uint8_t priv[32])
{
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, 32);
    size_t len = 32;
    int rc = SC_ERR_CRYPTO;

    if (k && EVP_PKEY_get_raw_public_key(k, pub, &len) == 1 && len == 32)
        rc = 0;
    EVP_PKEY_free(k);
    return rc;
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

/* Derive with an already-made private EVP_PKEY; rejects all-zero output. */
static int derive(uint8_t out[32], EVP_PKEY *a, const uint8_t pub[32])
{
    static const uint8_t zero[32];
    EVP_PKEY *b = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pub, 32);
    EVP_PKEY_CTX *ctx = a ? EVP_PKEY_CTX_new(a, NULL) : NULL;
    size_t len = 32;
    int rc = SC_ERR_CRYPTO;

    if (!a || !b || !ctx || EVP_PKEY_derive_init(ctx) != 1 ||
        EVP_PKEY_derive_set_peer(ctx, b) != 1) {
        rc = b ? SC_ERR_CRYPTO : SC_ERR_KEY;
        goto out;
    }
    if (EVP_PKEY_derive(ctx, out, &len) != 1 || len != 32) {
        /* OpenSSL itself refuses an all-zero result */
        rc = SC_ERR_KEY;
        goto out;
    }
    if (ut_ct_eq(out, zero, 32)) {
        ut_wipe(out, 32);
        rc = SC_ERR_KEY;
        goto out;
    }
    rc = 0;
out:
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(b);
    return rc;
}

int sc_x25519(uint8_t out[32], const uint8_t priv[32], const uint8_t pub[32])
{
    EVP_PKEY *a = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, 32);
    int rc = derive(out, a, pub);

    EVP_PKEY_free(a);
    return rc;
}

int sc_x25519_pair(uint8_t out[32], const uint8_t priv[32],
                   const uint8_t our_pub[32], const uint8_t their_pub[32])
{
    OSSL_PARAM ps[3];
    EVP_PKEY_CTX *fctx = EVP_PKEY_CTX_new_from_name(NULL, "X25519", NULL);
    EVP_PKEY *a = NULL;
    int rc;

    /* Both halves given: the provider stores them instead of computing the
     * public key with a second scalar multiplication. */
    ps[0] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PRIV_KEY, (void *)priv, 32);
    ps[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)our_pub, 32);
    ps[2] = OSSL_PARAM_construct_end();
    if (!fctx || EVP_PKEY_fromdata_init(fctx) != 1 ||
        EVP_PKEY_fromdata(fctx, &a, EVP_PKEY_KEYPAIR, ps) != 1)
        rc = SC_ERR_CRYPTO;
    else
        rc = derive(out, a, their_pub);
    EVP_PKEY_free(a);
    EVP_PKEY_CTX_free(fctx);
    return rc;
}

int sc_xeddsa_sign(uint8_t sig[64], const uint8_t priv[32], const void *msg,
                   size_t n)
{
    uint8_t k[32], rnd[64];
    int rc = SC_ERR_CRYPTO;

    memcpy(k, priv, 32);
    k[0] &= 248;
    k[31] &= 127;
    k[31] |= 64;
    if (ut_random(rnd, sizeof(rnd)) != 0)
        goto out;
    if (curve25519_sign(sig, k, msg, (unsigned long)n, rnd) != 0)
        goto out;
    rc = 0;
out:
    ut_wipe(k, sizeof(k));
    ut_wipe(rnd, sizeof(rnd));
    return rc;
}

int sc_xeddsa_verify(const uint8_t sig[64], const uint8_t pub[32],
                     const void *msg, size_t n)
{
    return curve25519_verify(sig, pub, msg, (unsigned long)n) == 0
               ? 0
               : SC_ERR_SIGNATURE;
}
