/* sc_provision.c - see sc_provision.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sc_pbwire.h"
#include "sc_prim.h"
#include "sc_provision.h"

static const char INFO[] = "TextSecure Provisioning Message";

/* okm = aes key || mac key */
static int derive(uint8_t okm[64], const uint8_t priv[32],
                  const uint8_t pub[32])
{
    uint8_t shared[32];
    int rc = sc_x25519(shared, priv, pub);

    if (!rc)
        rc = sc_hkdf_sha256(okm, 64, NULL, 0, shared, 32, INFO,
                            sizeof(INFO) - 1);
    ut_wipe(shared, sizeof(shared));
    return rc;
}

int sc_provision_decrypt_fields(uint8_t **pt, size_t *pt_len,
                                const uint8_t our_priv[32],
                                const uint8_t *pub, size_t pub_len,
                                const uint8_t *body, size_t body_len)
{
    uint8_t okm[64], mac[32];
    uint8_t *out = NULL;
    size_t ct_len, out_len = 0;
    int rc;

    *pt = NULL;
    *pt_len = 0;
    if (!pub || pub_len != 33 || pub[0] != 0x05)
        return SC_ERR_KEY;
    if (!body || body_len < 1 + 16 + 16 + 32)
        return SC_ERR_FORMAT;
    if (body_len > SC_PROVISION_MAX)
        return SC_ERR_TOO_LONG;
    if (body[0] != 0x01)
        return SC_ERR_VERSION;
    ct_len = body_len - 1 - 16 - 32;
    if ((rc = derive(okm, our_priv, pub + 1)) ||
        (rc = sc_hmac_sha256(mac, okm + 32, 32, body, body_len - 32)))
        goto out;
    if (!ut_ct_eq(mac, body + body_len - 32, 32)) {
        rc = SC_ERR_DECRYPT;
        goto out;
    }
    if (!(out = malloc(ct_len + 16))) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    if ((rc = sc_aes256_cbc_decrypt(out, &out_len, okm, body + 1, body + 17,
                                    ct_len)))
        goto out;
    *pt = out;
    *pt_len = out_len;
    out = NULL;
out:
    ut_free_secret(out, ct_len + 16);
    ut_wipe(okm, sizeof(okm));
    return rc;
}

int sc_provision_decrypt(uint8_t **pt, size_t *pt_len,
                         const uint8_t our_priv[32], const uint8_t *env,
                         size_t env_len)
{
    sc_pb_reader r;
    sc_pb_field f;
    const uint8_t *pub = NULL, *body = NULL;
    size_t pub_len = 0, body_len = 0;
    int rc;

    *pt = NULL;
    *pt_len = 0;
    if (env_len > SC_PROVISION_MAX)
        return SC_ERR_TOO_LONG;
    sc_pb_reader_init(&r, env, env_len);
    while ((rc = sc_pb_next(&r, &f)) == 1) {
        if (f.field == 1 && f.wire == 2) {
            pub = f.p;
            pub_len = f.n;
        } else if (f.field == 2 && f.wire == 2) {
            body = f.p;
            body_len = f.n;
        } else if (f.field == 1 || f.field == 2) {
            return SC_ERR_FORMAT; /* known field, wrong wire type */
        }
    }
    if (rc < 0)
        return rc;
    if (!pub || !body)
        return SC_ERR_FORMAT;
    return sc_provision_decrypt_fields(pt, pt_len, our_priv, pub, pub_len,
                                       body, body_len);
}

int sc_provision_encrypt(uint8_t **env, size_t *env_len,
                         const uint8_t their_pub[32], const uint8_t *pt,
                         size_t n)
{
    uint8_t eph[32], eph_pub[33], okm[64];
    uint8_t *body = NULL;
    size_t body_len = 0, ct_len = 0;
    ut_buf b;
    int rc;

    *env = NULL;
    *env_len = 0;
    ut_buf_init(&b, SC_PROVISION_MAX + 64);
    if (n > SC_PROVISION_MAX - 1 - 16 - 16 - 32)
        return SC_ERR_TOO_LONG;
    body_len = 1 + 16 + (n / 16 + 1) * 16 + 32;
    if (!(body = malloc(body_len)))
        return UT_ERR_NOMEM;
    eph_pub[0] = 0x05;
    body[0] = 0x01;
    if ((rc = sc_x25519_keypair(eph_pub + 1, eph)) ||
        (rc = derive(okm, eph, their_pub)) || (rc = ut_random(body + 1, 16)) ||
        (rc = sc_aes256_cbc_encrypt(body + 17, &ct_len, okm, body + 1, pt, n)))
        goto out;
    if (17 + ct_len + 32 != body_len) {
        rc = SC_ERR_CRYPTO;
        goto out;
    }
    if ((rc = sc_hmac_sha256(body + 17 + ct_len, okm + 32, 32, body,
                             17 + ct_len)) ||
        (rc = sc_pb_put_bytes(&b, 1, eph_pub, sizeof(eph_pub))) ||
        (rc = sc_pb_put_bytes(&b, 2, body, body_len)))
        goto out;
    *env = ut_buf_take(&b, env_len);
out:
    ut_buf_free(&b);
    free(body);
    ut_wipe(eph, sizeof(eph));
    ut_wipe(okm, sizeof(okm));
    return rc;
}
