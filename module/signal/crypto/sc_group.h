/*
 * sc_group.h - what a groups-v2 master key gives without zkgroup
 * (signal-service.md §9): the group id and the blob key, squeezed from
 * libsignal's ShoHmacSha256 with label
 * "Signal_ZKGroup_20200424_GroupMasterKey_GroupSecretParams_DeriveFromMasterKey",
 * and the group attribute blobs (title, description, timer) encrypted with
 * AES-256-GCM-SIV under the blob key:
 *   blob      = ciphertext || tag(16) || nonce(12) || 0x00 (reserved)
 *   plaintext = uint32_be(pad_len) || content || pad_len zero bytes
 * (content is a GroupAttributeBlob protobuf; signal/proto decodes it).
 * Thread-safe, no I/O. Errors: SC_ERR_FORMAT (short blob, pad length past
 * the end), SC_ERR_VERSION (reserved byte not 0), SC_ERR_DECRYPT (tag),
 * SC_ERR_TOO_LONG (over SC_GROUP_BLOB_MAX), SC_ERR_CRYPTO, UT_ERR_NOMEM,
 * UT_ERR_IO (encrypt without nonce).
 */
#ifndef SC_GROUP_H
#define SC_GROUP_H

#include <stddef.h>
#include <stdint.h>

#include "sc_err.h"

#define SC_GROUP_BLOB_MAX (1024 * 1024)
#define SC_GROUP_BLOB_OVERHEAD (4 + 16 + 12 + 1)

/* Either output may be NULL. */
int sc_group_derive(uint8_t group_id[32], uint8_t blob_key[32],
                    const uint8_t master_key[32])
    __attribute__((warn_unused_result));

/* *out is malloc'd: n + pad_len + 33 bytes (free()). nonce NULL = random. */
int sc_group_blob_encrypt(uint8_t **out, size_t *out_len,
                          const uint8_t blob_key[32], const uint8_t *nonce,
                          const uint8_t *content, size_t n, uint32_t pad_len)
    __attribute__((warn_unused_result));
/* *content is malloc'd (ut_free_secret(*content, *n) or free()). */
int sc_group_blob_decrypt(uint8_t **content, size_t *n,
                          const uint8_t blob_key[32], const uint8_t *blob,
                          size_t blob_len) __attribute__((warn_unused_result));

#endif
