/* sig_sync.c - attachment cipher and profile names (over crypto's
 * sc_attachment / sc_profile, with the client's error codes), contacts
 * stream. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "SignalService.pb-c.h"
#include "sc_attachment.h"
#include "sc_prim.h"
#include "sc_profile.h"
#include "sig_err.h"
#include "sig_sync.h"
#include "ut.h"

static int att_err(int rc)
{
    if (rc == SC_ERR_DIGEST || rc == SC_ERR_DECRYPT)
        return SIG_ERR_DIGEST;
    if (rc == SC_ERR_FORMAT)
        return SIG_ERR_ENVELOPE;
    if (rc == SC_ERR_TOO_LONG)
        return SIG_ERR_TOO_BIG;
    return rc;
}

int sig_attachment_decrypt(uint8_t **out, size_t *out_len, const uint8_t *blob,
                           size_t n, const uint8_t key[64], const uint8_t *digest,
                           size_t size)
{
    uint8_t dg[32];
    int rc;

    *out = NULL;
    *out_len = 0;
    if (!digest) {
        /* no digest to hold it to: the MAC alone authenticates */
        if ((rc = sc_sha256(dg, blob, n)) != 0)
            return rc;
        digest = dg;
    }
    return att_err(sc_attachment_decrypt(out, out_len, key, digest, size, blob, n));
}

int sig_attachment_encrypt(uint8_t **out, size_t *out_len, uint8_t digest_out[32],
                           const uint8_t *pt, size_t n, const uint8_t key[64])
{
    *out = NULL;
    if (n > (1u << 30))
        return UT_ERR_RANGE;
    return att_err(sc_attachment_encrypt(out, out_len, digest_out, key, NULL, pt, n, 0));
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
    char given[SC_PROFILE_NAME_PAD_LONG + 1], family[SC_PROFILE_NAME_PAD_LONG + 1];
    uint8_t *raw = NULL;
    size_t len = 0;
    int rc;

    if (cap == 0)
        return UT_ERR_INVAL;
    out[0] = '\0';
    if (sig_b64_decode(b64, &raw, &len) != 0)
        return SIG_ERR_ENVELOPE;
    rc = len > 4096 ? SC_ERR_FORMAT
                    : sc_profile_name_decrypt(given, sizeof(given), family, sizeof(family),
                                              profile_key, raw, len);
    free(raw);
    if (rc == SC_ERR_DECRYPT)
        return SIG_ERR_DIGEST;
    if (rc == SC_ERR_FORMAT || rc == SC_ERR_TOO_LONG)
        return SIG_ERR_ENVELOPE;
    if (rc != 0)
        return rc;
    /* "given family", or whichever part is there */
    snprintf(out, cap, "%s%s%s", given, *given && *family ? " " : "", family);
    ut_wipe(given, sizeof(given));
    ut_wipe(family, sizeof(family));
    return 0;
}
