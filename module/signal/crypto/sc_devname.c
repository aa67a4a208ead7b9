/* sc_devname.c - see sc_devname.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sc_devname.h"
#include "sc_pbwire.h"
#include "sc_prim.h"

/* key = HMAC(HMAC(master, label), data) */
static int hmac2(uint8_t out[32], const uint8_t master[32], const char *label,
                 const uint8_t *data, size_t n)
{
    uint8_t k[32];
    int rc = sc_hmac_sha256(k, master, 32, label, strlen(label));

    if (!rc)
        rc = sc_hmac_sha256(out, k, 32, data, n);
    ut_wipe(k, sizeof(k));
    return rc;
}

int sc_devname_encrypt(uint8_t **out, size_t *out_len,
                       const uint8_t identity_pub[32], const uint8_t *name,
                       size_t n)
{
    uint8_t eph[32], eph_pub[33], master[32], siv[32], key[32];
    uint8_t *ct = NULL;
    static const uint8_t zero_iv[16];
    ut_buf b;
    int rc;

    *out = NULL;
    *out_len = 0;
    ut_buf_init(&b, SC_DEVNAME_MAX + 128);
    if (n > SC_DEVNAME_MAX)
        return SC_ERR_TOO_LONG;
    if (!(ct = malloc(n ? n : 1)))
        return UT_ERR_NOMEM;
    eph_pub[0] = 0x05;
    if ((rc = sc_x25519_keypair(eph_pub + 1, eph)) ||
        (rc = sc_x25519(master, eph, identity_pub)) ||
        (rc = hmac2(siv, master, "auth", name, n)) ||
        (rc = hmac2(key, master, "cipher", siv, 16)) ||
        (rc = sc_aes256_ctr(ct, key, zero_iv, name, n)) ||
        (rc = sc_pb_put_bytes(&b, 1, eph_pub, 33)) ||
        (rc = sc_pb_put_bytes(&b, 2, siv, 16)) ||
        (rc = sc_pb_put_bytes(&b, 3, ct, n)))
        goto out;
    *out = ut_buf_take(&b, out_len);
out:
    ut_buf_free(&b);
    free(ct);
    ut_wipe(eph, sizeof(eph));
    ut_wipe(master, sizeof(master));
    ut_wipe(key, sizeof(key));
    return rc;
}

int sc_devname_decrypt(char **name, size_t *n, const uint8_t identity_priv[32],
                       const uint8_t *in, size_t in_len)
{
    const uint8_t *eph = NULL, *siv = NULL, *ct = NULL;
    size_t eph_len = 0, siv_len = 0, ct_len = 0;
    uint8_t master[32], key[32], check[32];
    static const uint8_t zero_iv[16];
    uint8_t *pt = NULL;
    sc_pb_reader r;
    sc_pb_field f;
    int rc;

    *name = NULL;
    *n = 0;
    if (in_len > SC_DEVNAME_MAX + 128)
        return SC_ERR_TOO_LONG;
    sc_pb_reader_init(&r, in, in_len);
    while ((rc = sc_pb_next(&r, &f)) == 1) {
        if (f.field >= 1 && f.field <= 3 && f.wire != 2)
            return SC_ERR_FORMAT;
        if (f.field == 1) {
            eph = f.p;
            eph_len = f.n;
        } else if (f.field == 2) {
            siv = f.p;
            siv_len = f.n;
        } else if (f.field == 3) {
            ct = f.p;
            ct_len = f.n;
        }
    }
    if (rc < 0)
        return rc;
    if (!eph || eph_len != 33 || eph[0] != 0x05)
        return SC_ERR_KEY;
    if (!siv || siv_len != 16)
        return SC_ERR_FORMAT;
    if (!ct)
        ct = siv; /* an empty name: encoders may omit the empty field */
    if (ct_len > SC_DEVNAME_MAX)
        return SC_ERR_TOO_LONG;
    if (!(pt = malloc(ct_len + 1)))
        return UT_ERR_NOMEM;
    if ((rc = sc_x25519(master, identity_priv, eph + 1)) ||
        (rc = hmac2(key, master, "cipher", siv, 16)) ||
        (rc = sc_aes256_ctr(pt, key, zero_iv, ct, ct_len)) ||
        (rc = hmac2(check, master, "auth", pt, ct_len)))
        goto out;
    if (!ut_ct_eq(check, siv, 16)) {
        rc = SC_ERR_DECRYPT;
        goto out;
    }
    pt[ct_len] = '\0';
    *name = (char *)pt;
    *n = ct_len;
    pt = NULL;
out:
    ut_free_secret(pt, ct_len + 1);
    ut_wipe(master, sizeof(master));
    ut_wipe(key, sizeof(key));
    ut_wipe(check, sizeof(check));
    return rc;
}
