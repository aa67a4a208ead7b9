/*
 * sc_storage.h - storage service keys and boxes (signal-service.md §8.4):
 *   master key   = HKDF-SHA256(account entropy pool (64 chars), salt none,
 *                  "20240801_SIGNAL_SVR_MASTER_KEY", 32)
 *   storage key  = HMAC-SHA256(master key, "Storage Service Encryption")
 *   manifest key = HMAC-SHA256(storage key, "Manifest_" || decimal version)
 *   item key     = HKDF-SHA256(ikm = recordIkm, salt "", info =
 *                  "20240801_SIGNAL_STORAGE_SERVICE_ITEM_" || raw key, 32)
 *                  or, without a recordIkm in the manifest,
 *                  HMAC-SHA256(storage key, "Item_" || base64(raw key))
 * Manifest and records are sc_gcmbox boxes under those keys: decrypt with
 * sc_gcmbox_open; the protobufs inside are signal/proto's.
 * Thread-safe, no I/O. Errors: SC_ERR_CRYPTO, SC_ERR_FORMAT (bad lengths).
 */
#ifndef SC_STORAGE_H
#define SC_STORAGE_H

#include <stddef.h>
#include <stdint.h>

#include "sc_err.h"
#include "sc_gcmbox.h"

#define SC_STORAGE_RAW_KEY_MAX 64 /* raw item keys are 16 bytes in practice */

int sc_master_key_from_aep(uint8_t out[32], const char *aep, size_t len)
    __attribute__((warn_unused_result));
int sc_storage_key(uint8_t out[32], const uint8_t master_key[32])
    __attribute__((warn_unused_result));
int sc_storage_manifest_key(uint8_t out[32], const uint8_t storage_key[32],
                            uint64_t version)
    __attribute__((warn_unused_result));
/* record_ikm: the manifest's recordIkm (32 bytes) or NULL. raw_len must be
 * 1..SC_STORAGE_RAW_KEY_MAX. */
int sc_storage_item_key(uint8_t out[32], const uint8_t storage_key[32],
                        const uint8_t *record_ikm, const uint8_t *raw_key,
                        size_t raw_len) __attribute__((warn_unused_result));

#endif
