/*
 * sc_devname.h - encrypted device names (signal-service.md §2.6, Desktop
 * encryptDeviceName): the name of a linked device is readable only with the
 * account's ACI identity key.
 *   DeviceName { ephemeralPublic = 1 (0x05 || 32), syntheticIv = 2 (16),
 *                ciphertext = 3 }
 *   master      = X25519(ephemeral, identity)
 *   syntheticIv = HMAC(HMAC(master, "auth"), plaintext)[0..16]
 *   cipher key  = HMAC(HMAC(master, "cipher"), syntheticIv)
 *   ciphertext  = AES-256-CTR(cipher key, counter 0^16, plaintext)
 * Decrypt recomputes the synthetic IV and compares in constant time.
 * Thread-safe, no I/O. Errors: SC_ERR_FORMAT (protobuf, lengths), SC_ERR_KEY
 * (ephemeral key not 0x05 || 32, zero agreement), SC_ERR_DECRYPT (synthetic
 * IV mismatch), SC_ERR_TOO_LONG (over SC_DEVNAME_MAX), SC_ERR_CRYPTO,
 * UT_ERR_NOMEM, UT_ERR_IO.
 */
#ifndef SC_DEVNAME_H
#define SC_DEVNAME_H

#include <stddef.h>
#include <stdint.h>

#include "sc_err.h"

#define SC_DEVNAME_MAX 4096 /* bytes of plaintext name */

/* *out: malloc'd serialized DeviceName (free()); base64 it for the API. */
int sc_devname_encrypt(uint8_t **out, size_t *out_len,
                       const uint8_t identity_pub[32], const uint8_t *name,
                       size_t n) __attribute__((warn_unused_result));
/* *name: malloc'd, n bytes plus a terminating NUL (free()). */
int sc_devname_decrypt(char **name, size_t *n, const uint8_t identity_priv[32],
                       const uint8_t *in, size_t in_len)
    __attribute__((warn_unused_result));

#endif
