/* sc_group.c - see sc_group.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sc_group.h"
#include "sc_prim.h"
#include "sc_sho.h"

int sc_group_derive(uint8_t group_id[32], uint8_t blob_key[32],
                    const uint8_t master_key[32])
{
    static const char label[] =
        "Signal_ZKGroup_20200424_GroupMasterKey_GroupSecretParams_"
        "DeriveFromMasterKey";
    uint8_t id[32], bk[32];
    sc_sho s;
    int rc;

    if ((rc = sc_sho_init(&s, label, sizeof(label) - 1)) ||
        (rc = sc_sho_absorb_and_ratchet(&s, master_key, 32)) ||
        (rc = sc_sho_squeeze(&s, id, 32)) || (rc = sc_sho_squeeze(&s, bk, 32)))
        goto out;
    if (group_id)
        memcpy(group_id, id, 32);
    if (blob_key)
        memcpy(blob_key, bk, 32);
out:
    sc_sho_clear(&s);
    ut_wipe(bk, sizeof(bk));
    return rc;
}

int sc_group_blob_encrypt(uint8_t **out, size_t *out_len,
                          const uint8_t blob_key[32], const uint8_t *nonce,
                          const uint8_t *content, size_t n, uint32_t pad_len)
{
    uint8_t *pt = NULL, *blob = NULL;
    size_t pt_len, len;
    int rc;

    *out = NULL;
    *out_len = 0;
    if (n > SC_GROUP_BLOB_MAX || pad_len > SC_GROUP_BLOB_MAX)
        return SC_ERR_TOO_LONG;
    pt_len = 4 + n + pad_len;
    len = pt_len + 16 + 12 + 1;
    if (!(pt = calloc(1, pt_len)) || !(blob = malloc(len))) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    pt[0] = (uint8_t)(pad_len >> 24);
    pt[1] = (uint8_t)(pad_len >> 16);
    pt[2] = (uint8_t)(pad_len >> 8);
    pt[3] = (uint8_t)pad_len;
    if (n)
        memcpy(pt + 4, content, n);
    if (nonce)
        memcpy(blob + pt_len + 16, nonce, 12);
    else if ((rc = ut_random(blob + pt_len + 16, 12)))
        goto out;
    blob[len - 1] = 0x00;
    if ((rc = sc_aes256_gcm_siv_encrypt(blob, blob_key, blob + pt_len + 16,
                                        NULL, 0, pt, pt_len)))
        goto out;
    *out = blob;
    *out_len = len;
    blob = NULL;
out:
    free(blob);
    ut_free_secret(pt, pt_len);
    return rc;
}

int sc_group_blob_decrypt(uint8_t **content, size_t *n,
                          const uint8_t blob_key[32], const uint8_t *blob,
                          size_t blob_len)
{
    uint8_t *pt = NULL;
    size_t pt_len;
    uint32_t pad;
    int rc;

    *content = NULL;
    *n = 0;
    if (blob_len > SC_GROUP_BLOB_MAX * 2 + SC_GROUP_BLOB_OVERHEAD)
        return SC_ERR_TOO_LONG;
    if (blob_len < SC_GROUP_BLOB_OVERHEAD)
        return SC_ERR_FORMAT;
    if (blob[blob_len - 1] != 0x00)
        return SC_ERR_VERSION;
    pt_len = blob_len - 1 - 12 - 16;
    if (!(pt = malloc(pt_len ? pt_len : 1)))
        return UT_ERR_NOMEM;
    if ((rc = sc_aes256_gcm_siv_decrypt(pt, blob_key, blob + pt_len + 16, NULL,
                                        0, blob, pt_len + 16)))
        goto out;
    pad = (uint32_t)pt[0] << 24 | (uint32_t)pt[1] << 16 |
          (uint32_t)pt[2] << 8 | pt[3];
    if (pad > pt_len - 4) {
        rc = SC_ERR_FORMAT;
        goto out;
    }
    /* hand out the buffer with the content moved to the front */
    memmove(pt, pt + 4, pt_len - 4 - pad);
    ut_wipe(pt + (pt_len - 4 - pad), 4 + pad);
    *n = pt_len - 4 - pad;
    *content = pt;
    pt = NULL;
out:
    ut_free_secret(pt, pt_len);
    return rc;
}
