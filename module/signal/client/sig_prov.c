/* sig_prov.c - link URL, ProvisionEnvelope decryption, DeviceName. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "Provisioning.pb-c.h"
#include "sc_prim.h"
#include "sig_err.h"
#include "sig_prov.h"
#include "ut.h"

void sig_provision_wipe(sig_provision *p)
{
    ut_wipe(p, sizeof(*p));
}

int sig_prov_url(char **out, const char *address, const uint8_t pub[32])
{
    uint8_t ser[33];
    char *b64 = NULL;
    ut_buf b;
    const char *c;
    int rc;

    *out = NULL;
    for (c = address; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') ||
              (*c >= 'A' && *c <= 'Z') || *c == '-'))
            return UT_ERR_INVAL;
    if (!*address)
        return UT_ERR_INVAL;
    sc_ec_pub_serialize(ser, pub);
    rc = sig_b64_encode(ser, sizeof(ser), &b64);
    if (rc != 0)
        return rc;
    ut_buf_init(&b, 4096);
    rc = ut_buf_printf(&b, "sgnl://linkdevice?uuid=%s&pub_key=", address);
    /* URLSearchParams-style: '+', '/', '=' percent-encoded (a raw '+'
     * becomes a space on the phone's side). */
    for (c = b64; rc == 0 && *c; c++) {
        if (*c == '+')
            rc = ut_buf_append_str(&b, "%2B");
        else if (*c == '/')
            rc = ut_buf_append_str(&b, "%2F");
        else if (*c == '=')
            rc = ut_buf_append_str(&b, "%3D");
        else
            rc = ut_buf_append(&b, c, 1);
    }
    if (rc == 0)
        rc = ut_buf_nul(&b);
    free(b64);
    if (rc != 0) {
        ut_buf_free(&b);
        return rc;
    }
    *out = (char *)ut_buf_take(&b, NULL);
    return 0;
}

static int copy_keypair(sc_ec_keypair *kp, const ProtobufCBinaryData *pub,
                        const ProtobufCBinaryData *priv)
{
    uint8_t check[32];
    int rc;

    if (sc_ec_pub_deserialize(kp->pub, pub->data, pub->len) != 0 ||
        priv->len != 32)
        return SIG_ERR_PROVISION;
    memcpy(kp->priv, priv->data, 32);
    rc = sc_x25519_public(check, kp->priv);
    if (rc != 0 || !ut_ct_eq(check, kp->pub, 32))
        rc = SIG_ERR_PROVISION;
    ut_wipe(check, sizeof(check));
    return rc;
}

static int copy_str(char *dst, size_t cap, const char *src)
{
    size_t n;

    if (!src)
        return SIG_ERR_PROVISION;
    n = strlen(src);
    if (n == 0 || n >= cap)
        return SIG_ERR_PROVISION;
    memcpy(dst, src, n + 1);
    return 0;
}

static int fill(sig_provision *out, const Signalservice__ProvisionMessage *m)
{
    int rc;

    if (!m->has_aciidentitykeypublic || !m->has_aciidentitykeyprivate ||
        !m->has_acibinary || m->acibinary.len != 16)
        return SIG_ERR_PROVISION;
    rc = copy_keypair(&out->aci_identity, &m->aciidentitykeypublic,
                      &m->aciidentitykeyprivate);
    if (rc != 0)
        return rc;
    if (m->has_pniidentitykeypublic && m->has_pniidentitykeyprivate) {
        rc = copy_keypair(&out->pni_identity, &m->pniidentitykeypublic,
                          &m->pniidentitykeyprivate);
        if (rc != 0)
            return rc;
        out->has_pni = 1;
    }
    sig_uuid_format(out->aci, m->acibinary.data);
    if (m->has_pnibinary && m->pnibinary.len == 16)
        sig_uuid_format(out->pni, m->pnibinary.data);
    else if (m->has_pnibinary && m->pnibinary.len == 17 && m->pnibinary.data[0] == 1)
        sig_uuid_format(out->pni, m->pnibinary.data + 1);
    if ((rc = copy_str(out->number, sizeof(out->number), m->number)) != 0 ||
        (rc = copy_str(out->code, sizeof(out->code), m->provisioningcode)) != 0)
        return rc;
    if (m->has_profilekey && m->profilekey.len == 32) {
        memcpy(out->profile_key, m->profilekey.data, 32);
        out->has_profile_key = 1;
    }
    if (m->has_masterkey && m->masterkey.len == 32) {
        memcpy(out->master_key, m->masterkey.data, 32);
        out->has_master_key = 1;
    }
    out->read_receipts = m->has_readreceipts && m->readreceipts;
    return 0;
}

int sig_prov_parse_message(sig_provision *out, const uint8_t *pt, size_t n)
{
    Signalservice__ProvisionMessage *m;
    int rc;

    memset(out, 0, sizeof(*out));
    m = signalservice__provision_message__unpack(NULL, n, pt);
    if (!m)
        return SIG_ERR_PROVISION;
    rc = fill(out, m);
    /* the unpacked message holds the identity private keys */
    if (m->has_aciidentitykeyprivate)
        ut_wipe(m->aciidentitykeyprivate.data, m->aciidentitykeyprivate.len);
    if (m->has_pniidentitykeyprivate)
        ut_wipe(m->pniidentitykeyprivate.data, m->pniidentitykeyprivate.len);
    if (m->has_masterkey)
        ut_wipe(m->masterkey.data, m->masterkey.len);
    if (m->has_profilekey)
        ut_wipe(m->profilekey.data, m->profilekey.len);
    signalservice__provision_message__free_unpacked(m, NULL);
    if (rc != 0)
        sig_provision_wipe(out);
    return rc;
}

int sig_prov_decrypt(sig_provision *out, const uint8_t *env, size_t n,
                     const uint8_t our_priv[32])
{
    Signalservice__ProvisionEnvelope *e = NULL;
    uint8_t their[32], shared[32], okm[64], mac[32];
    uint8_t *pt = NULL;
    size_t pt_len = 0, ct_len = 0, body_len;
    const uint8_t *body;
    static const char info[] = "TextSecure Provisioning Message";
    int rc;

    memset(out, 0, sizeof(*out));
    if (n > SIG_PROV_MAX_ENVELOPE)
        return SIG_ERR_PROVISION;
    e = signalservice__provision_envelope__unpack(NULL, n, env);
    if (!e || !e->has_publickey || !e->has_body) {
        rc = SIG_ERR_PROVISION;
        goto out;
    }
    body = e->body.data;
    body_len = e->body.len;
    /* version(1) ‖ iv(16) ‖ ciphertext (≥ one block) ‖ mac(32) */
    if (body_len < 1 + 16 + 16 + 32 || body[0] != 0x01 ||
        sc_ec_pub_deserialize(their, e->publickey.data, e->publickey.len) != 0) {
        rc = SIG_ERR_PROVISION;
        goto out;
    }
    if ((rc = sc_x25519(shared, our_priv, their)) != 0 ||
        (rc = sc_hkdf_sha256(okm, sizeof(okm), NULL, 0, shared, 32, info,
                             sizeof(info) - 1)) != 0 ||
        (rc = sc_hmac_sha256(mac, okm + 32, 32, body, body_len - 32)) != 0)
        goto out;
    if (!ut_ct_eq(mac, body + body_len - 32, 32)) {
        rc = SIG_ERR_PROVISION;
        goto out;
    }
    ct_len = body_len - 1 - 16 - 32;
    pt = malloc(ct_len + 16);
    if (!pt) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    if (sc_aes256_cbc_decrypt(pt, &pt_len, okm, body + 1, body + 17, ct_len) != 0) {
        rc = SIG_ERR_PROVISION;
        goto out;
    }
    rc = sig_prov_parse_message(out, pt, pt_len);
out:
    if (e)
        signalservice__provision_envelope__free_unpacked(e, NULL);
    if (pt)
        ut_free_secret(pt, ct_len + 16);
    ut_wipe(shared, sizeof(shared));
    ut_wipe(okm, sizeof(okm));
    if (rc != 0)
        sig_provision_wipe(out);
    return rc;
}

/* DeviceName (Desktop encryptDeviceName): master = X25519(eph, identity);
 * siv = HMAC(HMAC(master,"auth"), pt)[0..16];
 * key = HMAC(HMAC(master,"cipher"), siv); ct = AES-256-CTR(key, 0^16, pt). */
static int dn_keys(uint8_t siv_key[32], uint8_t cipher_key[32],
                   const uint8_t master[32])
{
    int rc = sc_hmac_sha256(siv_key, master, 32, "auth", 4);

    if (rc == 0)
        rc = sc_hmac_sha256(cipher_key, master, 32, "cipher", 6);
    return rc;
}

int sig_device_name_encrypt(char **out, const char *name,
                            const uint8_t aci_identity_pub[32])
{
    Signalservice__DeviceName dn = SIGNALSERVICE__DEVICE_NAME__INIT;
    uint8_t eph_pub[32], eph_priv[32], master[32], k1[32], k2[32], siv[32],
        key[32], ser[33], iv0[16] = {0};
    size_t n = strlen(name), plen;
    uint8_t *ct = NULL, *packed = NULL;
    int rc;

    *out = NULL;
    if (n > 1024)
        return UT_ERR_RANGE;
    ct = malloc(n + 1);
    if (!ct)
        return UT_ERR_NOMEM;
    if ((rc = sc_x25519_keypair(eph_pub, eph_priv)) != 0 ||
        (rc = sc_x25519(master, eph_priv, aci_identity_pub)) != 0 ||
        (rc = dn_keys(k1, k2, master)) != 0 ||
        (rc = sc_hmac_sha256(siv, k1, 32, name, n)) != 0 ||
        (rc = sc_hmac_sha256(key, k2, 32, siv, 16)) != 0 ||
        (rc = sc_aes256_ctr(ct, key, iv0, (const uint8_t *)name, n)) != 0)
        goto out;
    sc_ec_pub_serialize(ser, eph_pub);
    dn.has_ephemeralpublic = 1;
    dn.ephemeralpublic.data = ser;
    dn.ephemeralpublic.len = 33;
    dn.has_syntheticiv = 1;
    dn.syntheticiv.data = siv;
    dn.syntheticiv.len = 16;
    dn.has_ciphertext = 1;
    dn.ciphertext.data = ct;
    dn.ciphertext.len = n;
    plen = signalservice__device_name__get_packed_size(&dn);
    packed = malloc(plen ? plen : 1);
    if (!packed) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    signalservice__device_name__pack(&dn, packed);
    rc = sig_b64_encode(packed, plen, out);
out:
    free(packed);
    free(ct);
    ut_wipe(eph_priv, sizeof(eph_priv));
    ut_wipe(master, sizeof(master));
    ut_wipe(k1, sizeof(k1));
    ut_wipe(k2, sizeof(k2));
    ut_wipe(key, sizeof(key));
    return rc;
}

int sig_device_name_decrypt(char **out, const char *b64,
                            const uint8_t aci_identity_priv[32])
{
    Signalservice__DeviceName *dn = NULL;
    uint8_t *raw = NULL, eph[32], master[32], k1[32], k2[32], siv[32], key[32],
        iv0[16] = {0};
    size_t raw_len = 0;
    char *pt = NULL;
    int rc;

    *out = NULL;
    if ((rc = sig_b64_decode(b64, &raw, &raw_len)) != 0)
        return SIG_ERR_PROVISION;
    dn = signalservice__device_name__unpack(NULL, raw_len, raw);
    if (!dn || !dn->has_ephemeralpublic || !dn->has_syntheticiv ||
        !dn->has_ciphertext || dn->syntheticiv.len != 16 ||
        dn->ciphertext.len > 4096 ||
        sc_ec_pub_deserialize(eph, dn->ephemeralpublic.data,
                              dn->ephemeralpublic.len) != 0) {
        rc = SIG_ERR_PROVISION;
        goto out;
    }
    pt = malloc(dn->ciphertext.len + 1);
    if (!pt) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    if ((rc = sc_x25519(master, aci_identity_priv, eph)) != 0 ||
        (rc = dn_keys(k1, k2, master)) != 0 ||
        (rc = sc_hmac_sha256(key, k2, 32, dn->syntheticiv.data, 16)) != 0 ||
        (rc = sc_aes256_ctr((uint8_t *)pt, key, iv0, dn->ciphertext.data,
                            dn->ciphertext.len)) != 0 ||
        (rc = sc_hmac_sha256(siv, k1, 32, pt, dn->ciphertext.len)) != 0)
        goto out;
    if (!ut_ct_eq(siv, dn->syntheticiv.data, 16)) {
        rc = SIG_ERR_PROVISION;
        goto out;
    }
    pt[dn->ciphertext.len] = '\0';
    *out = pt;
    pt = NULL;
out:
    free(pt);
    if (dn)
        signalservice__device_name__free_unpacked(dn, NULL);
    free(raw);
    ut_wipe(master, sizeof(master));
    ut_wipe(k1, sizeof(k1));
    ut_wipe(k2, sizeof(k2));
    ut_wipe(key, sizeof(key));
    return rc;
}
