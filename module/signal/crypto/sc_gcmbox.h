/*
 * sc_gcmbox.h - the "iv(12) || AES-256-GCM ciphertext || tag(16)" box used
 * by Signal's profile fields, the storage service manifest and records, and
 * the unidentified access key derivation (signal-service.md §8.3, §8.4).
 * Thread-safe, no allocation. Errors: SC_ERR_FORMAT (box shorter than 28
 * bytes), SC_ERR_DECRYPT (tag), SC_ERR_CRYPTO, UT_ERR_IO (no randomness).
 */
#ifndef SC_GCMBOX_H
#define SC_GCMBOX_H

#include <stddef.h>
#include <stdint.h>

#include "sc_err.h"

#define SC_GCMBOX_OVERHEAD 28 /* iv 12 + tag 16 */

/* out holds n + 28 bytes. iv NULL: 12 random bytes. */
int sc_gcmbox_seal(uint8_t *out, const uint8_t key[32], const uint8_t *iv,
                   const uint8_t *pt, size_t n)
    __attribute__((warn_unused_result));
/* out holds n - 28 bytes; *out_len = n - 28. out is wiped on failure. */
int sc_gcmbox_open(uint8_t *out, size_t *out_len, const uint8_t key[32],
                   const uint8_t *box, size_t n)
    __attribute__((warn_unused_result));

#endif
