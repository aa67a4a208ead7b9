/* sig_prov.c - link URL, ProvisionEnvelope decryption, DeviceName. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "Provisioning.pb-c.h"
#include "sc_devname.h"
#include "sc_prim.h"
#include "sc_provision.h"
#include "sig_err.h"
#include "sig_prov.h"
#include "ut.h"

void sig_provision_wipe(sig_provision *p)
{
    ut_wipe(p, sizeof(*p));
}

int sig_prov_url(char **out, const char *address, const uint8_t pub[32],
                 int backup)
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
    /* The link capabilities the primary reads from the URL: "backup5" says
     * this device accepts a message-history transfer, and only then does
     * the phone put an ephemeralBackupKey in the ProvisionMessage and
     * offer "transfer message history" (mautrix-signal
     * pkg/signalmeow/provisioning.go startProvisioning: linkCapabilities
     * {"backup5"} when allowBackup; Signal-Desktop sends the same). */
    if (rc == 0 && backup)
        rc = ut_buf_append_str(&b, "&capabilities=backup5");
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
    /* field 14 (mautrix-signal pkg/signalmeow/protobuf/Provisioning.proto,
     * "optional bytes ephemeralBackupKey = 14; // 32 bytes") */
    if (m->has_ephemeralbackupkey && m->ephemeralbackupkey.len == 32) {
        memcpy(out->ephemeral_backup_key, m->ephemeralbackupkey.data, 32);
        out->has_ephemeral_backup_key = 1;
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
    if (m->has_ephemeralbackupkey)
        ut_wipe(m->ephemeralbackupkey.data, m->ephemeralbackupkey.len);
    if (m->has_mediarootbackupkey)
        ut_wipe(m->mediarootbackupkey.data, m->mediarootbackupkey.len);
    signalservice__provision_message__free_unpacked(m, NULL);
    if (rc != 0)
        sig_provision_wipe(out);
    return rc;
}

int sig_prov_decrypt(sig_provision *out, const uint8_t *env, size_t n,
                     const uint8_t our_priv[32])
{
    uint8_t *pt = NULL;
    size_t pt_len = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    if (n > SIG_PROV_MAX_ENVELOPE)
        return SIG_ERR_PROVISION;
    rc = sc_provision_decrypt(&pt, &pt_len, our_priv, env, n);
    if (rc != 0)
        return rc == UT_ERR_NOMEM ? rc : SIG_ERR_PROVISION;
    rc = sig_prov_parse_message(out, pt, pt_len);
    ut_free_secret(pt, pt_len);
    return rc;
}

int sig_device_name_encrypt(char **out, const char *name,
                            const uint8_t aci_identity_pub[32])
{
    uint8_t *packed = NULL;
    size_t plen = 0, n = strlen(name);
    int rc;

    *out = NULL;
    if (n > 1024)
        return UT_ERR_RANGE;
    if ((rc = sc_devname_encrypt(&packed, &plen, aci_identity_pub, (const uint8_t *)name,
                                 n)) != 0)
        return rc;
    rc = sig_b64_encode(packed, plen, out);
    free(packed);
    return rc;
}

int sig_device_name_decrypt(char **out, const char *b64,
                            const uint8_t aci_identity_priv[32])
{
    uint8_t *raw = NULL;
    size_t raw_len = 0, n = 0;
    int rc;

    *out = NULL;
    if (sig_b64_decode(b64, &raw, &raw_len) != 0)
        return SIG_ERR_PROVISION;
    rc = sc_devname_decrypt(out, &n, aci_identity_priv, raw, raw_len);
    free(raw);
    if (rc != 0)
        return rc == UT_ERR_NOMEM ? rc : SIG_ERR_PROVISION;
    return 0;
}
