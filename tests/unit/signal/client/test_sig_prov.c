/* test_sig_prov.c - link URL, ProvisionEnvelope decryption, DeviceName,
 * base64/UUID/padding helpers. The envelope is built here the way the mock
 * builds it (signal-service.md §2.4) from independent primitives; the real
 * peer check is tests/e2e/signal-link.js against the mock. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "Provisioning.pb-c.h"
#include "sc_prim.h"
#include "sig_err.h"
#include "sig_prov.h"
#include "sig_util.h"

START_TEST(test_b64)
{
    const uint8_t in[] = {0xfb, 0xff, 0x00, 0x10, 0x83};
    char *s = NULL;
    uint8_t *d = NULL;
    size_t n = 0;

    ck_assert_int_eq(sig_b64_encode(in, sizeof(in), &s), 0);
    ck_assert_str_eq(s, "+/8AEIM=");
    ck_assert_int_eq(sig_b64_decode(s, &d, &n), 0);
    ck_assert_uint_eq(n, sizeof(in));
    ck_assert_mem_eq(d, in, n);
    free(d);
    ck_assert_int_eq(sig_b64_decode("-_8AEIM", &d, &n), 0); /* url-safe, unpadded */
    ck_assert_mem_eq(d, in, n);
    free(d);
    ck_assert_int_eq(sig_b64_decode("ab!c", &d, &n), UT_ERR_INVAL);
    ck_assert_int_eq(sig_b64_decode("abcde", &d, &n), UT_ERR_INVAL);
    free(s);
}
END_TEST

START_TEST(test_uuid_and_service_id)
{
    uint8_t u[16], p[17];
    char s[SIG_UUID_STR_LEN + 5];

    ck_assert_int_eq(sig_uuid_parse(u, "0A1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"), 0);
    sig_uuid_format(s, u);
    ck_assert_str_eq(s, "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9");
    ck_assert_int_eq(sig_uuid_parse(u, "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f"), UT_ERR_INVAL);
    ck_assert_int_eq(sig_uuid_parse(u, "0a1b2c3d+4e5f-6071-8293-a4b5c6d7e8f9"), UT_ERR_INVAL);
    p[0] = 0x01;
    memcpy(p + 1, u, 16);
    ck_assert_int_eq(sig_service_id_format(s, p, 17), 0);
    ck_assert_str_eq(s, "PNI:0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9");
    p[0] = 0x02;
    ck_assert_int_eq(sig_service_id_format(s, p, 17), UT_ERR_INVAL);
    ck_assert_int_eq(sig_service_id_format(s, p, 15), UT_ERR_INVAL);
}
END_TEST

START_TEST(test_padding)
{
    const uint8_t c[] = {1, 2, 0, 0};
    uint8_t *p = NULL;
    size_t n = 0, m = 0;

    ck_assert_int_eq(sig_pad_content(c, sizeof(c), &p, &n), 0);
    ck_assert_uint_eq(n, 159);
    ck_assert_uint_eq(p[4], 0x80);
    ck_assert_int_eq(sig_unpad_len(p, n, &m), 0);
    ck_assert_uint_eq(m, 4); /* trailing zeros of the content survive */
    free(p);
    ck_assert_int_eq(sig_unpad_len(c, sizeof(c), &m), UT_ERR_INVAL);
}
END_TEST

START_TEST(test_url)
{
    uint8_t pub[32];
    char *url = NULL;
    const char *k;

    memset(pub, 0xfb, sizeof(pub)); /* base64 of 0x05 fb fb ... has + and / */
    ck_assert_int_eq(sig_prov_url(&url, "c0ffee00-1234-4abc-8def-001122334455", pub, 0), 0);
    ck_assert_ptr_nonnull(strstr(url, "sgnl://linkdevice?uuid=c0ffee00-1234-4abc-8def-001122334455&pub_key="));
    ck_assert_ptr_null(strstr(url, "capabilities"));
    k = strstr(url, "pub_key=") + 8;
    ck_assert_ptr_null(strpbrk(k, "+/="));
    ck_assert_ptr_nonnull(strstr(k, "%2F") ? strstr(k, "%2F") : strstr(k, "%2B"));
    free(url);
    /* accepting a history transfer: backup5, as signalmeow's startProvisioning */
    ck_assert_int_eq(sig_prov_url(&url, "c0ffee00-1234-4abc-8def-001122334455", pub, 1), 0);
    k = strstr(url, "&capabilities=backup5");
    ck_assert_ptr_nonnull(k);
    ck_assert_str_eq(k, "&capabilities=backup5");
    free(url);
    ck_assert_int_eq(sig_prov_url(&url, "bad&uuid", pub, 0), UT_ERR_INVAL);
}
END_TEST

/* Build a ProvisionEnvelope as the phone does. */
static void make_envelope(uint8_t **out, size_t *out_len, const uint8_t their_pub[32],
                          const uint8_t *pt, size_t pt_len, int tamper)
{
    uint8_t eph_pub[32], eph_priv[32], shared[32], okm[64], ser[33], iv[16];
    static const char info[] = "TextSecure Provisioning Message";
    size_t ct_len = 0, body_len;
    uint8_t *body = malloc(1 + 16 + pt_len + 16 + 32);
    Signalservice__ProvisionEnvelope e = SIGNALSERVICE__PROVISION_ENVELOPE__INIT;

    ck_assert_int_eq(sc_x25519_keypair(eph_pub, eph_priv), 0);
    ck_assert_int_eq(sc_x25519(shared, eph_priv, their_pub), 0);
    ck_assert_int_eq(sc_hkdf_sha256(okm, 64, NULL, 0, shared, 32, info, sizeof(info) - 1), 0);
    memset(iv, 7, sizeof(iv));
    body[0] = 1;
    memcpy(body + 1, iv, 16);
    ck_assert_int_eq(sc_aes256_cbc_encrypt(body + 17, &ct_len, okm, iv, pt, pt_len), 0);
    body_len = 17 + ct_len;
    ck_assert_int_eq(sc_hmac_sha256(body + body_len, okm + 32, 32, body, body_len), 0);
    body_len += 32;
    if (tamper)
        body[20] ^= 1;
    sc_ec_pub_serialize(ser, eph_pub);
    e.has_publickey = 1;
    e.publickey.data = ser;
    e.publickey.len = 33;
    e.has_body = 1;
    e.body.data = body;
    e.body.len = body_len;
    *out_len = signalservice__provision_envelope__get_packed_size(&e);
    *out = malloc(*out_len);
    signalservice__provision_envelope__pack(&e, *out);
    free(body);
}

static uint8_t *make_message(size_t *len, sc_ec_keypair *aci, int mismatch)
{
    Signalservice__ProvisionMessage m = SIGNALSERVICE__PROVISION_MESSAGE__INIT;
    uint8_t ser[33], acib[16], pk[32], ebk[32];
    uint8_t *out;

    ck_assert_int_eq(sc_x25519_keypair(aci->pub, aci->priv), 0);
    sc_ec_pub_serialize(ser, aci->pub);
    if (mismatch)
        ser[5] ^= 1;
    memset(acib, 0xab, sizeof(acib));
    memset(pk, 0x42, sizeof(pk));
    m.has_aciidentitykeypublic = 1;
    m.aciidentitykeypublic.data = ser;
    m.aciidentitykeypublic.len = 33;
    m.has_aciidentitykeyprivate = 1;
    m.aciidentitykeyprivate.data = aci->priv;
    m.aciidentitykeyprivate.len = 32;
    m.number = "+14155550101";
    m.provisioningcode = "0123456789abcdef";
    m.has_acibinary = 1;
    m.acibinary.data = acib;
    m.acibinary.len = 16;
    m.has_profilekey = 1;
    m.profilekey.data = pk;
    m.profilekey.len = 32;
    memset(ebk, 0x5e, sizeof(ebk));
    m.has_ephemeralbackupkey = 1;
    m.ephemeralbackupkey.data = ebk;
    m.ephemeralbackupkey.len = 32;
    *len = signalservice__provision_message__get_packed_size(&m);
    out = malloc(*len);
    signalservice__provision_message__pack(&m, out);
    return out;
}

START_TEST(test_decrypt)
{
    uint8_t our_pub[32], our_priv[32], *env, *pt;
    size_t env_len, pt_len;
    sc_ec_keypair aci;
    sig_provision p;

    ck_assert_int_eq(sc_x25519_keypair(our_pub, our_priv), 0);
    pt = make_message(&pt_len, &aci, 0);
    make_envelope(&env, &env_len, our_pub, pt, pt_len, 0);
    ck_assert_int_eq(sig_prov_decrypt(&p, env, env_len, our_priv), 0);
    ck_assert_str_eq(p.number, "+14155550101");
    ck_assert_str_eq(p.code, "0123456789abcdef");
    ck_assert_str_eq(p.aci, "abababab-abab-abab-abab-abababababab");
    ck_assert_mem_eq(p.aci_identity.priv, aci.priv, 32);
    ck_assert_int_eq(p.has_profile_key, 1);
    ck_assert_int_eq(p.has_pni, 0);
    ck_assert_int_eq(p.has_ephemeral_backup_key, 1);
    ck_assert_uint_eq(p.ephemeral_backup_key[0], 0x5e);
    ck_assert_uint_eq(p.ephemeral_backup_key[31], 0x5e);
    sig_provision_wipe(&p);
    free(env);

    /* tampered ciphertext: MAC fails */
    make_envelope(&env, &env_len, our_pub, pt, pt_len, 1);
    ck_assert_int_eq(sig_prov_decrypt(&p, env, env_len, our_priv), SIG_ERR_PROVISION);
    free(env);
    /* wrong private key */
    make_envelope(&env, &env_len, our_pub, pt, pt_len, 0);
    our_priv[3] ^= 0x10;
    ck_assert_int_eq(sig_prov_decrypt(&p, env, env_len, our_priv), SIG_ERR_PROVISION);
    our_priv[3] ^= 0x10;
    /* garbage */
    ck_assert_int_eq(sig_prov_decrypt(&p, env, 5, our_priv), SIG_ERR_PROVISION);
    free(env);
    free(pt);

    /* identity public key that does not match the private key */
    pt = make_message(&pt_len, &aci, 1);
    make_envelope(&env, &env_len, our_pub, pt, pt_len, 0);
    ck_assert_int_eq(sig_prov_decrypt(&p, env, env_len, our_priv), SIG_ERR_PROVISION);
    free(env);
    free(pt);
}
END_TEST

START_TEST(test_device_name)
{
    sc_ec_keypair id, other;
    char *b64 = NULL, *name = NULL;

    ck_assert_int_eq(sc_x25519_keypair(id.pub, id.priv), 0);
    ck_assert_int_eq(sc_x25519_keypair(other.pub, other.priv), 0);
    ck_assert_int_eq(sig_device_name_encrypt(&b64, "signalbridge on host", id.pub), 0);
    ck_assert_ptr_null(strstr(b64, "signalbridge"));
    ck_assert_int_eq(sig_device_name_decrypt(&name, b64, id.priv), 0);
    ck_assert_str_eq(name, "signalbridge on host");
    free(name);
    ck_assert_int_eq(sig_device_name_decrypt(&name, b64, other.priv), SIG_ERR_PROVISION);
    free(b64);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sig_prov");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int nf;

    tcase_add_test(tc, test_b64);
    tcase_add_test(tc, test_uuid_and_service_id);
    tcase_add_test(tc, test_padding);
    tcase_add_test(tc, test_url);
    tcase_add_test(tc, test_decrypt);
    tcase_add_test(tc, test_device_name);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? 0 : 1;
}
