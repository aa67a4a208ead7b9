/*
 * sig_sync.h - pure parts of syncing (signal-service.md §7.4, §8): the
 * attachment cipher (decrypt with digest and MAC check), the contacts
 * stream (varint length ‖ ContactDetails ‖ avatar bytes) and profile-name
 * decryption. The ciphers are crypto's (sc_attachment, sc_profile); these
 * wrappers give the client's error codes.
 *
 * Thread-safe, no I/O, nothing logged. Errors: SIG_ERR_DIGEST (digest or
 * MAC mismatch), SIG_ERR_ENVELOPE (malformed), SIG_ERR_TOO_BIG, UT_ERR_*.
 */
#ifndef SIG_SYNC_H
#define SIG_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "sig_util.h"

#define SIG_CONTACTS_MAX (16u << 20)

/* blob = iv(16) ‖ AES-256-CBC(ct) ‖ HMAC-SHA256(32); key = aes(32) ‖ mac(32).
 * digest (32 bytes, may be NULL to skip) = SHA-256(blob). The plaintext is
 * truncated to `size` (padding). *out malloc'd (secret: wipe). */
int sig_attachment_decrypt(uint8_t **out, size_t *out_len, const uint8_t *blob,
                           size_t n, const uint8_t key[64], const uint8_t *digest,
                           size_t size);
/* Encrypt (tests and uploads): *out = iv ‖ ct ‖ mac, digest_out = SHA-256. */
int sig_attachment_encrypt(uint8_t **out, size_t *out_len, uint8_t digest_out[32],
                           const uint8_t *pt, size_t n, const uint8_t key[64]);

typedef struct sig_contact_rec {
    char aci[SIG_UUID_STR_LEN + 1];   /* "" if absent */
    char number[32];                  /* "" if absent */
    char name[256];                   /* "" if absent */
} sig_contact_rec;

/* Parse one record at *off; advances *off past the avatar. Returns 1 and
 * fills rec, 0 at the end of the stream, SIG_ERR_ENVELOPE on a malformed
 * record. */
int sig_contacts_next(const uint8_t *p, size_t n, size_t *off, sig_contact_rec *rec);

/* Profile name: base64(iv(12) ‖ AES-256-GCM ct ‖ tag(16)) with the 32-byte
 * profile key; "given\0family\0…" padded, or unpadded (the mock) -> "given
 * family" in out. */
int sig_profile_name_decrypt(char *out, size_t cap, const char *b64,
                             const uint8_t profile_key[32]);

#endif
