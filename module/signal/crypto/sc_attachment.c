/* sc_attachment.c - see sc_attachment.h. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sc_attachment.h"
#include "sc_prim.h"

size_t sc_attachment_padded_size(size_t n)
{
    double k, v;

    /* Same double arithmetic as Desktop's Math.log / ** so both sides pick
     * the same bucket (tests/interop/ciphers.js compares). */
    if (n <= 541)
        return 541;
    k = ceil(log((double)n) / log(1.05));
    v = floor(pow(1.05, k));
    if (v >= (double)SC_ATTACHMENT_MAX)
        return n; /* no padding at sizes beyond the cap */
    return (size_t)v < n ? n : (size_t)v;
}

int sc_attachment_encrypt(uint8_t **blob, size_t *blob_len, uint8_t digest[32],
                          const uint8_t key[64], const uint8_t *iv,
                          const uint8_t *pt, size_t n, int pad)
{
    uint8_t *padded = NULL, *out = NULL;
    size_t plen, ct_len = 0, len;
    int rc;

    *blob = NULL;
    *blob_len = 0;
    if (n > SC_ATTACHMENT_MAX)
        return SC_ERR_TOO_LONG;
    plen = pad ? sc_attachment_padded_size(n) : n;
    len = 16 + (plen / 16 + 1) * 16 + 32;
    if (!(out = malloc(len)) || (plen && !(padded = calloc(1, plen)))) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    if (n)
        memcpy(padded, pt, n);
    if (iv)
        memcpy(out, iv, 16);
    else if ((rc = ut_random(out, 16)))
        goto out;
    if ((rc = sc_aes256_cbc_encrypt(out + 16, &ct_len, key, out, padded, plen)))
        goto out;
    if (16 + ct_len + 32 != len) {
        rc = SC_ERR_CRYPTO;
        goto out;
    }
    if ((rc = sc_hmac_sha256(out + 16 + ct_len, key + 32, 32, out,
                             16 + ct_len)) ||
        (rc = sc_sha256(digest, out, len)))
        goto out;
    *blob = out;
    *blob_len = len;
    out = NULL;
out:
    free(out);
    ut_free_secret(padded, plen);
    return rc;
}

int sc_attachment_decrypt(uint8_t **pt, size_t *pt_len, const uint8_t key[64],
                          const uint8_t digest[32], size_t size,
                          const uint8_t *blob, size_t blob_len)
{
    uint8_t got[32], mac[32];
    uint8_t *out = NULL;
    size_t ct_len, out_len = 0;
    int rc;

    *pt = NULL;
    *pt_len = 0;
    if (blob_len > SC_ATTACHMENT_MAX + 64)
        return SC_ERR_TOO_LONG;
    if (blob_len < 16 + 16 + 32 || (blob_len - 48) % 16)
        return SC_ERR_FORMAT;
    ct_len = blob_len - 48;
    if ((rc = sc_sha256(got, blob, blob_len)))
        return rc;
    if (!ut_ct_eq(got, digest, 32))
        return SC_ERR_DIGEST;
    if ((rc = sc_hmac_sha256(mac, key + 32, 32, blob, blob_len - 32)))
        return rc;
    if (!ut_ct_eq(mac, blob + blob_len - 32, 32))
        return SC_ERR_DECRYPT;
    if (!(out = malloc(ct_len + 16)))
        return UT_ERR_NOMEM;
    if ((rc = sc_aes256_cbc_decrypt(out, &out_len, key, blob, blob + 16,
                                    ct_len)))
        goto out;
    if (size > out_len) {
        rc = SC_ERR_FORMAT;
        goto out;
    }
    ut_wipe(out + size, out_len - size);
    *pt = out;
    *pt_len = size;
    out = NULL;
out:
    ut_free_secret(out, ct_len + 16);
    return rc;
}
