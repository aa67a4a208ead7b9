/*
 * sc_provision.h - the ProvisionEnvelope of device linking
 * (signal-service.md §2.4): the primary encrypts the ProvisionMessage to the
 * ephemeral X25519 key the new device shows in its QR code.
 *
 *   ProvisionEnvelope { publicKey = 1 (0x05 || 32), body = 2 }
 *   body   = 0x01 || iv(16) || AES-256-CBC-PKCS7(ct) || HMAC-SHA256(32)
 *   keys   = HKDF-SHA256(X25519(ours, publicKey), salt none,
 *                        "TextSecure Provisioning Message", 64)
 *            -> aes key [0..32], mac key [32..64]; the MAC covers
 *            version || iv || ct and is checked (in constant time) first.
 *
 * Output is the serialized ProvisionMessage; decoding it is signal/proto's
 * job. Thread-safe, no I/O. Errors: SC_ERR_FORMAT (protobuf, lengths),
 * SC_ERR_KEY (public key not 0x05 || 32, or an all-zero agreement),
 * SC_ERR_VERSION (body version != 1), SC_ERR_DECRYPT (MAC or padding),
 * SC_ERR_TOO_LONG (over SC_PROVISION_MAX), SC_ERR_CRYPTO, UT_ERR_NOMEM,
 * UT_ERR_IO (encrypt: no randomness).
 */
#ifndef SC_PROVISION_H
#define SC_PROVISION_H

#include <stddef.h>
#include <stdint.h>

#include "sc_err.h"

#define SC_PROVISION_MAX (256 * 1024) /* envelope cap; real ones are < 1 KiB */

/* Decrypt a serialized ProvisionEnvelope with our ephemeral private key.
 * On success *pt is malloc'd (the caller releases it with
 * ut_free_secret(*pt, *pt_len): it holds identity private keys). */
int sc_provision_decrypt(uint8_t **pt, size_t *pt_len,
                         const uint8_t our_priv[32], const uint8_t *env,
                         size_t env_len) __attribute__((warn_unused_result));

/* The same on already decoded fields: pub = 0x05 || 32, body as above. */
int sc_provision_decrypt_fields(uint8_t **pt, size_t *pt_len,
                                const uint8_t our_priv[32],
                                const uint8_t *pub, size_t pub_len,
                                const uint8_t *body, size_t body_len)
    __attribute__((warn_unused_result));

/* The primary's side (tests, a future "link a device" feature): encrypt pt
 * to their_pub (32 raw bytes) with a fresh ephemeral key; *env is a
 * malloc'd serialized ProvisionEnvelope (free with free()). */
int sc_provision_encrypt(uint8_t **env, size_t *env_len,
                         const uint8_t their_pub[32], const uint8_t *pt,
                         size_t n) __attribute__((warn_unused_result));

#endif
