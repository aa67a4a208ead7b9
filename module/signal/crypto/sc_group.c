/* sc_group.c - see sc_group.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sc_group.h"
#include "sc_prim.h"

/* ShoHmacSha256 (libsignal rust/poksho): cv = HMAC(cv, input || 0x00) to
 * absorb; squeeze block i = HMAC(cv, be64(i) || 0x01), then
 * cv = HMAC(cv, be64(outlen) || 0x02). */
static int sho_absorb(uint8_t cv[32], const void *in, size_t n)
{
    static const uint8_t zero = 0x00;
    sc_iov v[2] = {{in, n}, {&zero, 1}};

    return sc_hmac_sha256_v(cv, cv, 32, v, 2);
}

static void be64(uint8_t out[8], uint64_t x)
{
    int i;

    for (i = 7; i >= 0; i--, x >>= 8)
        out[i] = (uint8_t)x;
}

/* squeeze exactly 32 bytes (one block) */
static int sho_squeeze32(uint8_t cv[32], uint8_t out[32])
{
    static const uint8_t one = 0x01, two = 0x02;
    uint8_t ctr[8], len[8];
    sc_iov a[2] = {{ctr, 8}, {&one, 1}}, b[2] = {{len, 8}, {&two, 1}};
    int rc;

    be64(ctr, 0);
    be64(len, 32);
    if ((rc = sc_hmac_sha256_v(out, cv, 32, a, 2)))
        return rc;
    return sc_hmac_sha256_v(cv, cv, 32, b, 2);
}

int sc_group_derive(uint8_t group_id[32], uint8_t blob_key[32],
                    const uint8_t master_key[32])
{
    static const char label[] =
        "Signal_ZKGroup_20200424_GroupMasterKey_GroupSecretParams_"
        "DeriveFromMasterKey";
    uint8_t cv[32] = {0}, id[32], bk[32];
    int rc;

    if ((rc = sho_absorb(cv, label, sizeof(label) - 1)) ||
        (rc = sho_absorb(cv, master_key, 32)) ||
        (rc = sho_squeeze32(cv, id)) || (rc = sho_squeeze32(cv, bk)))
        goto out;
    if (group_id)
        memcpy(group_id, id, 32);
    if (blob_key)
        memcpy(blob_key, bk, 32);
out:
    ut_wipe(cv, sizeof(cv));
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
