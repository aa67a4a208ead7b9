/*
 * sc_prim.h - the primitives everything in signal/crypto is built from:
 * SHA-2, HMAC-SHA256, HKDF-SHA256, AES-256 (CBC+PKCS7, CTR, GCM, GCM-SIV),
 * X25519 and XEdDSA. Thin, allocation-free wrappers (except where output size
 * depends on input) over OpenSSL 3, libgcrypt (GCM-SIV, which OpenSSL 3.0
 * lacks) and libsodium (X25519, XEdDSA).
 *
 * All functions are thread-safe and do no I/O. Results: 0, or SC_ERR_*.
 * Keys are raw bytes: X25519 private keys are 32-byte scalars (clamped on
 * use), public keys 32 bytes without Signal's 0x05 type prefix.
 */
#ifndef SC_PRIM_H
#define SC_PRIM_H

#include <stddef.h>
#include <stdint.h>

#include "sc_err.h"

#define SC_WUR __attribute__((warn_unused_result))

/* A piece of a message fed to a multi-part hash or MAC. */
typedef struct sc_iov {
    const void *p;
    size_t n;
} sc_iov;

int sc_sha256(uint8_t out[32], const void *data, size_t n) SC_WUR;
int sc_sha512(uint8_t out[64], const void *data, size_t n) SC_WUR;

int sc_hmac_sha256(uint8_t out[32], const uint8_t *key, size_t key_len,
                   const void *data, size_t n) SC_WUR;
/* HMAC over the concatenation of `niov` pieces. */
int sc_hmac_sha256_v(uint8_t out[32], const uint8_t *key, size_t key_len,
                     const sc_iov *iov, size_t niov) SC_WUR;

/* RFC 5869 HKDF-SHA256. salt NULL/0 = 32 zero bytes. out_len <= 8160. */
int sc_hkdf_sha256(uint8_t *out, size_t out_len, const uint8_t *salt,
                   size_t salt_len, const uint8_t *ikm, size_t ikm_len,
                   const void *info, size_t info_len) SC_WUR;

/* AES-256-CBC with PKCS#7. `out` must hold n + 16 bytes; *out_len is set.
 * Decrypt: SC_ERR_DECRYPT on bad length or padding (check the MAC first). */
int sc_aes256_cbc_encrypt(uint8_t *out, size_t *out_len, const uint8_t key[32],
                          const uint8_t iv[16], const uint8_t *in,
                          size_t n) SC_WUR;
int sc_aes256_cbc_decrypt(uint8_t *out, size_t *out_len, const uint8_t key[32],
                          const uint8_t iv[16], const uint8_t *in,
                          size_t n) SC_WUR;

/* AES-256-CTR with a 128-bit big-endian counter block starting at `iv`
 * (encrypt = decrypt). out may equal in. */
int sc_aes256_ctr(uint8_t *out, const uint8_t key[32], const uint8_t iv[16],
                  const uint8_t *in, size_t n) SC_WUR;

/* AES-256-GCM, 16-byte tag appended: `out` holds n + 16. */
int sc_aes256_gcm_encrypt(uint8_t *out, const uint8_t key[32],
                          const uint8_t *iv, size_t iv_len, const uint8_t *aad,
                          size_t aad_len, const uint8_t *in, size_t n) SC_WUR;
/* `in` = ciphertext || tag (n >= 16); `out` holds n - 16. */
int sc_aes256_gcm_decrypt(uint8_t *out, const uint8_t key[32],
                          const uint8_t *iv, size_t iv_len, const uint8_t *aad,
                          size_t aad_len, const uint8_t *in, size_t n) SC_WUR;

/* AES-256-GCM-SIV (RFC 8452), 12-byte nonce, tag appended, same sizes as
 * GCM. */
int sc_aes256_gcm_siv_encrypt(uint8_t *out, const uint8_t key[32],
                              const uint8_t nonce[12], const uint8_t *aad,
                              size_t aad_len, const uint8_t *in,
                              size_t n) SC_WUR;
int sc_aes256_gcm_siv_decrypt(uint8_t *out, const uint8_t key[32],
                              const uint8_t nonce[12], const uint8_t *aad,
                              size_t aad_len, const uint8_t *in,
                              size_t n) SC_WUR;

/* X25519. keypair: fresh random clamped private key and its public key. */
int sc_x25519_keypair(uint8_t pub[32], uint8_t priv[32]) SC_WUR;
int sc_x25519_public(uint8_t pub[32], const uint8_t priv[32]) SC_WUR;
/* Shared secret; SC_ERR_KEY when the result is all zeros (small-order
 * peer key), as libsignal rejects it. */
int sc_x25519(uint8_t out[32], const uint8_t priv[32],
              const uint8_t pub[32]) SC_WUR;

/* The same with our public key supplied (kept for callers; libsodium's
 * agreement never needs it). `our_pub` must belong to `priv`. */
int sc_x25519_pair(uint8_t out[32], const uint8_t priv[32],
                   const uint8_t our_pub[32], const uint8_t their_pub[32]) SC_WUR;

/* XEdDSA (Signal's signatures with X25519 keys; sign bit in sig[63]).
 * Verify: 0, or SC_ERR_SIGNATURE; accepts what libsignal accepts, except
 * signatures with a small-order R or key, which only a forger or a
 * deliberately odd signer makes. */
int sc_xeddsa_sign(uint8_t sig[64], const uint8_t priv[32], const void *msg,
                   size_t n) SC_WUR;
int sc_xeddsa_verify(const uint8_t sig[64], const uint8_t pub[32],
                     const void *msg, size_t n) SC_WUR;

#endif
