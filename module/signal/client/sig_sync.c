/* sig_sync.c - attachment cipher, contacts stream, profile names. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "SignalService.pb-c.h"
#include "sc_prim.h"
#include "sig_err.h"
#include "sig_sync.h"
#include "ut.h"

int sig_attachment_decrypt(uint8_t **out, size_t *out_len, const uint8_t *blob,
                           size_t n, const uint8_t key[64], const uint8_t *digest,
                           size_t size)
{
    uint8_t mac[32], dg[32], *pt = NULL;
    size_t ct_len, pt_len = 0;
    int rc;

    *out = NULL;
    *out_len = 0;
    if (n < 16 + 16 + 32 || (n - 48) % 16 != 0)
        return SIG_ERR_ENVELOPE;
    if (digest) {
        if ((rc = sc_sha256(dg, blob, n)) != 0)
            return rc;
        if (!ut_ct_eq(dg, digest, 32))
            return SIG_ERR_DIGEST;
    }
    if ((rc = sc_hmac_sha256(mac, key + 32, 32, blob, n - 32)) != 0)
        return rc;
    if (!ut_ct_eq(mac, blob + n - 32, 32))
        return SIG_ERR_DIGEST;
    ct_len = n - 48;
    pt = malloc(ct_len + 16);
    if (!pt)
        return UT_ERR_NOMEM;
    if (sc_aes256_cbc_decrypt(pt, &pt_len, key, blob, blob + 16, ct_len) != 0) {
        ut_free_secret(pt, ct_len + 16);
        return SIG_ERR_DIGEST;
    }
    if (size > pt_len) {
        ut_free_secret(pt, ct_len + 16);
        return SIG_ERR_ENVELOPE;
    }
    ut_wipe(pt + size, ct_len + 16 - size);
    *out = pt;
    *out_len = size;
    return 0;
}

int sig_attachment_encrypt(uint8_t **out, size_t *out_len, uint8_t digest_out[32],
                           const uint8_t *pt, size_t n, const uint8_t key[64])
{
    uint8_t *b;
    size_t ct_len = 0;
    int rc;

    *out = NULL;
    if (n > (1u << 30))
        return UT_ERR_RANGE;
    b = malloc(16 + n + 16 + 32);
    if (!b)
        return UT_ERR_NOMEM;
    if ((rc = ut_random(b, 16)) != 0 ||
        (rc = sc_aes256_cbc_encrypt(b + 16, &ct_len, key, b, pt, n)) != 0 ||
        (rc = sc_hmac_sha256(b + 16 + ct_len, key + 32, 32, b, 16 + ct_len)) != 0 ||
        (rc = sc_sha256(digest_out, b, 16 + ct_len + 32)) != 0) {
        free(b);
        return rc;
    }
    *out = b;
    *out_len = 16 + ct_len + 32;
    return 0;
}

static int read_varint(const uint8_t *p, size_t n, size_t *off, uint64_t *v)
{
    uint64_t r = 0;
    unsigned shift = 0;

    while (*off < n && shift < 64) {
        uint8_t b = p[(*off)++];
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return 0;
        }
        shift += 7;
    }
    return SIG_ERR_ENVELOPE;
}

static void copy(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;

    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src ? src : "", n);
    dst[n] = '\0';
}

int sig_contacts_next(const uint8_t *p, size_t n, size_t *off, sig_contact_rec *rec)
{
    Signalservice__ContactDetails *cd;
    uint64_t len = 0;
    int rc;

    memset(rec, 0, sizeof(*rec));
    if (*off >= n)
        return 0;
    if ((rc = read_varint(p, n, off, &len)) != 0)
        return rc;
    if (len > n - *off)
        return SIG_ERR_ENVELOPE;
    cd = signalservice__contact_details__unpack(NULL, (size_t)len, p + *off);
    if (!cd)
        return SIG_ERR_ENVELOPE;
    *off += (size_t)len;
    if (cd->avatar && cd->avatar->has_length) {
        if (cd->avatar->length > n - *off) {
            signalservice__contact_details__free_unpacked(cd, NULL);
            return SIG_ERR_ENVELOPE;
        }
        *off += cd->avatar->length;
    }
    if (cd->has_acibinary && cd->acibinary.len == 16)
        sig_uuid_format(rec->aci, cd->acibinary.data);
    else if (cd->aci && strlen(cd->aci) == SIG_UUID_STR_LEN)
        copy(rec->aci, sizeof(rec->aci), cd->aci);
    copy(rec->number, sizeof(rec->number), cd->number);
    copy(rec->name, sizeof(rec->name), cd->name);
    signalservice__contact_details__free_unpacked(cd, NULL);
    return 1;
}

int sig_profile_name_decrypt(char *out, size_t cap, const char *b64,
                             const uint8_t profile_key[32])
{
    uint8_t *raw = NULL, *pt = NULL;
    size_t len = 0, pt_len, i, o = 0;
    int rc;

    if (cap == 0)
        return UT_ERR_INVAL;
    out[0] = '\0';
    if ((rc = sig_b64_decode(b64, &raw, &len)) != 0)
        return SIG_ERR_ENVELOPE;
    if (len < 12 + 16 || len > 4096) {
        free(raw);
        return SIG_ERR_ENVELOPE;
    }
    pt_len = len - 12 - 16;
    pt = malloc(pt_len + 1);
    if (!pt) {
        free(raw);
        return UT_ERR_NOMEM;
    }
    if (sc_aes256_gcm_decrypt(pt, profile_key, raw, 12, NULL, 0, raw + 12,
                              len - 12) != 0) {
        rc = SIG_ERR_DIGEST;
        goto out;
    }
    /* given \0 family \0 padding: join the non-empty parts with a space */
    for (i = 0; i < pt_len && o + 1 < cap; i++) {
        if (pt[i] == 0) {
            if (i + 1 < pt_len && pt[i + 1] != 0 && o > 0 && o + 1 < cap)
                out[o++] = ' ';
            continue;
        }
        out[o++] = (char)pt[i];
    }
    out[o] = '\0';
    rc = 0;
out:
    ut_free_secret(pt, pt_len + 1);
    free(raw);
    return rc;
}
