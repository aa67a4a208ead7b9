/* sc_storage.c - see sc_storage.h. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "sc_prim.h"
#include "sc_storage.h"

int sc_master_key_from_aep(uint8_t out[32], const char *aep, size_t len)
{
    static const char info[] = "20240801_SIGNAL_SVR_MASTER_KEY";

    return sc_hkdf_sha256(out, 32, NULL, 0, (const uint8_t *)aep, len, info,
                          sizeof(info) - 1);
}

int sc_storage_key(uint8_t out[32], const uint8_t master_key[32])
{
    static const char label[] = "Storage Service Encryption";

    return sc_hmac_sha256(out, master_key, 32, label, sizeof(label) - 1);
}

int sc_storage_manifest_key(uint8_t out[32], const uint8_t storage_key[32],
                            uint64_t version)
{
    char label[32];
    int n = snprintf(label, sizeof(label), "Manifest_%" PRIu64, version);

    if (n < 0 || (size_t)n >= sizeof(label))
        return SC_ERR_FORMAT;
    return sc_hmac_sha256(out, storage_key, 32, label, (size_t)n);
}

int sc_storage_item_key(uint8_t out[32], const uint8_t storage_key[32],
                        const uint8_t *record_ikm, const uint8_t *raw_key,
                        size_t raw_len)
{
    static const char prefix[] = "20240801_SIGNAL_STORAGE_SERVICE_ITEM_";
    uint8_t buf[sizeof(prefix) + 4 * SC_STORAGE_RAW_KEY_MAX];
    size_t pl = sizeof(prefix) - 1;
    int n;

    if (!raw_key || raw_len == 0 || raw_len > SC_STORAGE_RAW_KEY_MAX)
        return SC_ERR_FORMAT;
    if (record_ikm) {
        memcpy(buf, prefix, pl);
        memcpy(buf + pl, raw_key, raw_len);
        /* salt "" and salt none are the same HKDF (HMAC pads the key) */
        return sc_hkdf_sha256(out, 32, NULL, 0, record_ikm, 32, buf,
                              pl + raw_len);
    }
    memcpy(buf, "Item_", 5);
    n = EVP_EncodeBlock(buf + 5, raw_key, (int)raw_len); /* padded base64 */
    if (n <= 0)
        return SC_ERR_CRYPTO;
    return sc_hmac_sha256(out, storage_key, 32, buf, 5 + (size_t)n);
}
