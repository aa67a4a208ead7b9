/*
 * sc_attachment.h - attachment encryption of Signal clients
 * (signal-service.md §7): a 64-byte key = AES key (32) || MAC key (32),
 *   blob   = iv(16) || AES-256-CBC-PKCS7(plaintext || zero padding) ||
 *            HMAC-SHA256(mac key, iv || ciphertext)
 *   digest = SHA-256(blob), carried in the AttachmentPointer with the
 *            plaintext size (the padding is only removed by truncation).
 * Padding: Signal clients zero-pad to a bucket, max(541, floor(1.05^
 * ceil(log_1.05(size)))) (Desktop logPadSize), so sizes leak only coarsely.
 *
 * Thread-safe, no I/O. Errors: SC_ERR_DIGEST (digest mismatch, checked
 * first), SC_ERR_DECRYPT (MAC, padding), SC_ERR_FORMAT (blob too short or
 * misaligned, size larger than the plaintext), SC_ERR_TOO_LONG (over
 * SC_ATTACHMENT_MAX), SC_ERR_CRYPTO, UT_ERR_NOMEM, UT_ERR_IO.
 */
#ifndef SC_ATTACHMENT_H
#define SC_ATTACHMENT_H

#include <stddef.h>
#include <stdint.h>

#include "sc_err.h"

#define SC_ATTACHMENT_KEY_BYTES 64
#define SC_ATTACHMENT_MAX ((size_t)1 << 31) /* plaintext or blob cap, 2 GiB */

/* Padded plaintext size for a plaintext of n bytes (>= n; 541 for n <= 541). */
size_t sc_attachment_padded_size(size_t n);

/* Encrypt n bytes. pad: 1 = zero-pad to sc_attachment_padded_size(n) as
 * clients do, 0 = no padding (what the mock server does). iv NULL = random.
 * *blob is malloc'd (free()); digest receives SHA-256(blob). */
int sc_attachment_encrypt(uint8_t **blob, size_t *blob_len, uint8_t digest[32],
                          const uint8_t key[64], const uint8_t *iv,
                          const uint8_t *pt, size_t n, int pad)
    __attribute__((warn_unused_result));

/* Check digest and MAC, decrypt, truncate to `size` (the pointer's size).
 * *pt is malloc'd (ut_free_secret(*pt, *pt_len) or free()). */
int sc_attachment_decrypt(uint8_t **pt, size_t *pt_len, const uint8_t key[64],
                          const uint8_t digest[32], size_t size,
                          const uint8_t *blob, size_t blob_len)
    __attribute__((warn_unused_result));

#endif
