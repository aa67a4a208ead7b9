/* sc_backup.c - message-backup keys and envelope (see sc_backup.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sc_backup.h"
#include "sc_prim.h"

/* rust/account-keys/src/backup.rs derive_backup_id (V1) */
static const char ID_INFO[] = "20241024_SIGNAL_BACKUP_ID:";
/* rust/message-backup/src/key.rs MessageBackupKey::derive, OLD_DST (no
 * forward-secrecy nonce) */
static const char KEY_INFO[] = "20241007_SIGNAL_BACKUP_ENCRYPT_MESSAGE_BACKUP:";
/* rust/message-backup/src/frame/forward_secrecy.rs MAGIC_NUMBER */
static const uint8_t MAGIC[8] = {'S', 'B', 'A', 'C', 'K', 'U', 'P', 0x01};

int sc_backup_id(uint8_t out[SC_BACKUP_ID_LEN], const uint8_t backup_key[32],
                 const uint8_t aci[16])
{
    uint8_t info[sizeof(ID_INFO) - 1 + 16];

    memcpy(info, ID_INFO, sizeof(ID_INFO) - 1);
    memcpy(info + sizeof(ID_INFO) - 1, aci, 16);
    return sc_hkdf_sha256(out, SC_BACKUP_ID_LEN, NULL, 0, backup_key, 32, info,
                          sizeof(info));
}

int sc_message_backup_key(uint8_t hmac_key[32], uint8_t aes_key[32],
                          const uint8_t backup_key[32],
                          const uint8_t backup_id[SC_BACKUP_ID_LEN])
{
    uint8_t info[sizeof(KEY_INFO) - 1 + SC_BACKUP_ID_LEN], okm[64];
    int rc;

    memcpy(info, KEY_INFO, sizeof(KEY_INFO) - 1);
    memcpy(info + sizeof(KEY_INFO) - 1, backup_id, SC_BACKUP_ID_LEN);
    rc = sc_hkdf_sha256(okm, sizeof(okm), NULL, 0, backup_key, 32, info, sizeof(info));
    if (rc == 0) {
        /* derive_arrays: hmac_key first, then aes_key */
        memcpy(hmac_key, okm, 32);
        memcpy(aes_key, okm + 32, 32);
    }
    ut_wipe(okm, sizeof(okm));
    return rc;
}

int sc_backup_decrypt(uint8_t **out, size_t *out_len, const uint8_t hmac_key[32],
                      const uint8_t aes_key[32], const uint8_t *in, size_t n)
{
    uint8_t mac[32];
    size_t ct_len;
    uint8_t *pt;
    int rc;

    *out = NULL;
    *out_len = 0;
    if (n >= sizeof(MAGIC) && !memcmp(in, MAGIC, sizeof(MAGIC)))
        return SC_ERR_VERSION;
    if (n < 16 + 16 + 32)
        return SC_ERR_FORMAT;
    ct_len = n - 16 - 32;
    if (ct_len % 16 != 0)
        return SC_ERR_DECRYPT;
    if ((rc = sc_hmac_sha256(mac, hmac_key, 32, in, n - 32)) != 0)
        return rc;
    if (!ut_ct_eq(mac, in + n - 32, 32))
        return SC_ERR_DECRYPT;
    pt = malloc(ct_len + 16);
    if (!pt)
        return UT_ERR_NOMEM;
    rc = sc_aes256_cbc_decrypt(pt, out_len, aes_key, in, in + 16, ct_len);
    if (rc != 0) {
        free(pt);
        *out_len = 0;
        return rc;
    }
    *out = pt;
    return 0;
}

int sc_backup_encrypt(uint8_t **out, size_t *out_len, const uint8_t hmac_key[32],
                      const uint8_t aes_key[32], const uint8_t iv[16],
                      const uint8_t *in, size_t n)
{
    size_t ct_len = 0;
    uint8_t *b;
    int rc;

    *out = NULL;
    *out_len = 0;
    b = malloc(16 + n + 16 + 32);
    if (!b)
        return UT_ERR_NOMEM;
    memcpy(b, iv, 16);
    if ((rc = sc_aes256_cbc_encrypt(b + 16, &ct_len, aes_key, iv, in, n)) != 0 ||
        (rc = sc_hmac_sha256(b + 16 + ct_len, hmac_key, 32, b, 16 + ct_len)) != 0) {
        free(b);
        return rc;
    }
    *out = b;
    *out_len = 16 + ct_len + 32;
    return 0;
}
