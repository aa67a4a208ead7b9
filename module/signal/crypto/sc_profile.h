/*
 * sc_profile.h - profile-key cryptography (signal-service.md §8.3):
 * profile fields are sc_gcmbox boxes (iv 12 || AES-256-GCM || tag 16)
 * under the 32-byte profile key; the name is "given \0 family" zero-padded
 * to 53 or 257 bytes by real clients (the mock sends the bare string).
 * The unidentified access key is the first 16 bytes of
 * AES-256-GCM(profile key, iv 0^12, plaintext 0^16); the server stores
 * HMAC-SHA256(access key, 0^32) as its verifier.
 * Thread-safe, no I/O. Errors as sc_gcmbox.h, plus SC_ERR_TOO_LONG (name
 * over 257 bytes with separator, or over the caller's caps).
 */
#ifndef SC_PROFILE_H
#define SC_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "sc_err.h"
#include "sc_gcmbox.h"

#define SC_PROFILE_KEY_BYTES 32
#define SC_PROFILE_NAME_PAD_SHORT 53
#define SC_PROFILE_NAME_PAD_LONG 257
/* Largest encrypted name: 257 + 28. */
#define SC_PROFILE_NAME_BOX_MAX (SC_PROFILE_NAME_PAD_LONG + SC_GCMBOX_OVERHEAD)

/* Encrypt a name: out holds SC_PROFILE_NAME_BOX_MAX; *out_len is 81 or 285.
 * family may be NULL or "". iv NULL = random. */
int sc_profile_name_encrypt(uint8_t *out, size_t *out_len, const uint8_t key[32],
                            const uint8_t *iv, const char *given,
                            const char *family)
    __attribute__((warn_unused_result));

/* Decrypt a name box into NUL-terminated given and family (family is "" if
 * absent). Accepts padded client names and the mock's unpadded strings.
 * Names longer than the caps give SC_ERR_TOO_LONG. */
int sc_profile_name_decrypt(char *given, size_t given_cap, char *family,
                            size_t family_cap, const uint8_t key[32],
                            const uint8_t *box, size_t n)
    __attribute__((warn_unused_result));

/* Other text fields: "about" padded to 128, 254 or 512 bytes, the about
 * emoji to 32 (Signal's ProfileCipher buckets). out holds
 * SC_PROFILE_TEXT_BOX_MAX; *out_len = bucket + 28. Too long for the
 * largest bucket: SC_ERR_TOO_LONG. */
enum { SC_PROFILE_ABOUT = 1, SC_PROFILE_EMOJI = 2 };
#define SC_PROFILE_TEXT_BOX_MAX (512 + SC_GCMBOX_OVERHEAD)
int sc_profile_text_encrypt(uint8_t *out, size_t *out_len, const uint8_t key[32],
                            const uint8_t *iv, const char *text, int kind)
    __attribute__((warn_unused_result));
/* Any padded text field: the plaintext up to its first NUL, as a C string
 * (SC_ERR_TOO_LONG if over cap - 1 bytes or the box is over 540 bytes). */
int sc_profile_text_decrypt(char *text, size_t cap, const uint8_t key[32],
                            const uint8_t *box, size_t n)
    __attribute__((warn_unused_result));

/* The profile key's version for an ACI (zkgroup ProfileKey::
 * get_profile_key_version): the hex of 32 bytes squeezed from ShoHmacSha256
 * labelled "Signal_ZKGroup_20200424_ProfileKeyAndUid_ProfileKey_
 * GetProfileKeyVersion" over key || aci (16 uuid bytes). The profile that
 * carries the name is GET /v1/profile/<aci>/<version> (Signal-Server
 * ProfileController); out gets 64 hex digits and a NUL. */
#define SC_PROFILE_KEY_VERSION_HEX 64
int sc_profile_key_version(char out[SC_PROFILE_KEY_VERSION_HEX + 1],
                           const uint8_t key[32], const uint8_t aci[16])
    __attribute__((warn_unused_result));

/* Unidentified access key (16 bytes) of a profile key, and its verifier. */
int sc_access_key(uint8_t out[16], const uint8_t profile_key[32])
    __attribute__((warn_unused_result));
int sc_access_key_verifier(uint8_t out[32], const uint8_t access_key[16])
    __attribute__((warn_unused_result));

#endif
