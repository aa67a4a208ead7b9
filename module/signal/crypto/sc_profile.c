/* sc_profile.c - see sc_profile.h. */
#include "config.h"

#include <string.h>

#include "sc_prim.h"
#include "sc_profile.h"
#include "sc_sho.h"

int sc_profile_name_encrypt(uint8_t *out, size_t *out_len, const uint8_t key[32],
                            const uint8_t *iv, const char *given,
                            const char *family)
{
    uint8_t pt[SC_PROFILE_NAME_PAD_LONG];
    size_t gl = strlen(given), fl = family ? strlen(family) : 0;
    size_t need = gl + (fl ? 1 + fl : 0), plen;
    int rc;

    *out_len = 0;
    if (need > SC_PROFILE_NAME_PAD_LONG)
        return SC_ERR_TOO_LONG;
    plen = need <= SC_PROFILE_NAME_PAD_SHORT ? SC_PROFILE_NAME_PAD_SHORT
                                             : SC_PROFILE_NAME_PAD_LONG;
    memset(pt, 0, sizeof(pt));
    memcpy(pt, given, gl);
    if (fl)
        memcpy(pt + gl + 1, family, fl);
    rc = sc_gcmbox_seal(out, key, iv, pt, plen);
    if (!rc)
        *out_len = plen + SC_GCMBOX_OVERHEAD;
    ut_wipe(pt, sizeof(pt));
    return rc;
}

/* Copy [p, p+n) as a C string; SC_ERR_TOO_LONG if it does not fit. */
static int put_str(char *dst, size_t cap, const uint8_t *p, size_t n)
{
    if (!cap || n > cap - 1)
        return SC_ERR_TOO_LONG;
    memcpy(dst, p, n);
    dst[n] = '\0';
    return 0;
}

int sc_profile_name_decrypt(char *given, size_t given_cap, char *family,
                            size_t family_cap, const uint8_t key[32],
                            const uint8_t *box, size_t n)
{
    uint8_t pt[SC_PROFILE_NAME_PAD_LONG];
    const uint8_t *nul, *rest, *end;
    size_t len = 0, gl, fl = 0;
    int rc;

    if (given_cap)
        given[0] = '\0';
    if (family_cap)
        family[0] = '\0';
    if (n > SC_PROFILE_NAME_BOX_MAX)
        return SC_ERR_TOO_LONG;
    if ((rc = sc_gcmbox_open(pt, &len, key, box, n)))
        return rc;
    end = pt + len;
    nul = memchr(pt, 0, len);
    gl = nul ? (size_t)(nul - pt) : len;
    if (nul) {
        rest = nul + 1;
        nul = memchr(rest, 0, (size_t)(end - rest));
        fl = nul ? (size_t)(nul - rest) : (size_t)(end - rest);
    } else {
        rest = end;
    }
    if (!(rc = put_str(given, given_cap, pt, gl)))
        rc = put_str(family, family_cap, rest, fl);
    ut_wipe(pt, sizeof(pt));
    return rc;
}

int sc_profile_text_encrypt(uint8_t *out, size_t *out_len, const uint8_t key[32],
                            const uint8_t *iv, const char *text, int kind)
{
    static const size_t about[] = {128, 254, 512}, emoji[] = {32};
    const size_t *b = kind == SC_PROFILE_EMOJI ? emoji : about;
    size_t nb = kind == SC_PROFILE_EMOJI ? 1 : 3, i, len = strlen(text);
    uint8_t pt[512];
    int rc;

    *out_len = 0;
    if (kind != SC_PROFILE_ABOUT && kind != SC_PROFILE_EMOJI)
        return UT_ERR_INVAL;
    for (i = 0; i < nb && b[i] < len; i++)
        ;
    if (i == nb)
        return SC_ERR_TOO_LONG;
    memset(pt, 0, b[i]);
    memcpy(pt, text, len);
    rc = sc_gcmbox_seal(out, key, iv, pt, b[i]);
    if (!rc)
        *out_len = b[i] + SC_GCMBOX_OVERHEAD;
    ut_wipe(pt, sizeof(pt));
    return rc;
}

int sc_profile_text_decrypt(char *text, size_t cap, const uint8_t key[32],
                            const uint8_t *box, size_t n)
{
    uint8_t pt[512];
    const uint8_t *nul;
    size_t len = 0;
    int rc;

    if (cap)
        text[0] = '\0';
    if (n > SC_PROFILE_TEXT_BOX_MAX)
        return SC_ERR_TOO_LONG;
    if ((rc = sc_gcmbox_open(pt, &len, key, box, n)))
        return rc;
    nul = memchr(pt, 0, len);
    rc = put_str(text, cap, pt, nul ? (size_t)(nul - pt) : len);
    ut_wipe(pt, sizeof(pt));
    return rc;
}

int sc_access_key(uint8_t out[16], const uint8_t profile_key[32])
{
    static const uint8_t zero[16];
    uint8_t iv[12] = {0}, ct[32];
    int rc = sc_aes256_gcm_encrypt(ct, profile_key, iv, 12, NULL, 0, zero, 16);

    if (!rc)
        memcpy(out, ct, 16);
    ut_wipe(ct, sizeof(ct));
    return rc;
}

int sc_access_key_verifier(uint8_t out[32], const uint8_t access_key[16])
{
    static const uint8_t zero[32];

    return sc_hmac_sha256(out, access_key, 16, zero, sizeof(zero));
}

int sc_profile_key_version(char out[SC_PROFILE_KEY_VERSION_HEX + 1],
                           const uint8_t key[32], const uint8_t aci[16])
{
    static const char label[] =
        "Signal_ZKGroup_20200424_ProfileKeyAndUid_ProfileKey_GetProfileKeyVersion";
    static const char hex[] = "0123456789abcdef";
    uint8_t in[48], v[32];
    sc_sho s;
    size_t i;
    int rc;

    out[0] = '\0';
    memcpy(in, key, 32);
    memcpy(in + 32, aci, 16);
    memset(&s, 0, sizeof(s));
    rc = sc_sho_init(&s, label, sizeof(label) - 1);
    if (!rc)
        rc = sc_sho_absorb_and_ratchet(&s, in, sizeof(in));
    if (!rc)
        rc = sc_sho_squeeze(&s, v, sizeof(v));
    sc_sho_clear(&s);
    ut_wipe(in, sizeof(in));
    if (rc)
        return rc;
    for (i = 0; i < sizeof(v); i++) {
        out[2 * i] = hex[v[i] >> 4];
        out[2 * i + 1] = hex[v[i] & 15];
    }
    out[2 * sizeof(v)] = '\0';
    return 0;
}
