/* test_sc_keys.c - EC/pre-key serializations, signatures, canonical base-key
 * check and the storage records. libsignal's view of the same keys is
 * checked by tests/interop/session.js. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <check.h>

#include "sc_keys.h"
#include "sc_prim.h"

static void unhex(uint8_t *out, const char *hex)
{
    size_t n = strlen(hex) / 2, i;
    for (i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
}

START_TEST(ec_serialization)
{
    sc_ec_keypair kp;
    uint8_t ser[33], pub[32];

    ck_assert_int_eq(sc_ec_keypair_generate(&kp), 0);
    sc_ec_pub_serialize(ser, kp.pub);
    ck_assert_uint_eq(ser[0], 0x05);
    ck_assert_int_eq(sc_ec_pub_deserialize(pub, ser, 33), 0);
    ck_assert_int_eq(memcmp(pub, kp.pub, 32), 0);
    ck_assert_int_eq(sc_ec_pub_deserialize(pub, ser, 32), SC_ERR_KEY);
    ck_assert_int_eq(sc_ec_pub_deserialize(pub, ser, 34), SC_ERR_KEY);
    ser[0] = 0x06;
    ck_assert_int_eq(sc_ec_pub_deserialize(pub, ser, 33), SC_ERR_KEY);
    sc_ec_keypair_wipe(&kp);
}
END_TEST

START_TEST(canonical_base_key)
{
    sc_ec_keypair kp;
    uint8_t u[32];
    int i;

    for (i = 0; i < 4; i++) {
        ck_assert_int_eq(sc_ec_keypair_generate(&kp), 0);
        ck_assert_int_eq(sc_ec_pub_check_canonical(kp.pub), 0);
    }
    memset(u, 0, 32);
    ck_assert_int_eq(sc_ec_pub_check_canonical(u), SC_ERR_KEY); /* order 2 */
    u[0] = 1;
    ck_assert_int_eq(sc_ec_pub_check_canonical(u), SC_ERR_KEY); /* order 4 */
    /* an order-8 point */
    unhex(u, "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800");
    ck_assert_int_eq(sc_ec_pub_check_canonical(u), SC_ERR_KEY);
    /* u + p: same point, non-canonical encoding (top bit set) */
    memcpy(u, kp.pub, 32);
    u[31] |= 0x80;
    ck_assert_int_eq(sc_ec_pub_check_canonical(u), SC_ERR_KEY);
    sc_ec_keypair_wipe(&kp);
    {
        /* A random u is on the twist half the time and, on the curve, has
         * a small-order component 7 times in 8: about 1 in 16 passes. */
        int ok = 0;
        for (i = 0; i < 400; i++) {
            ck_assert_int_eq(ut_random(u, 32), 0);
            u[31] &= 0x7f;
            ok += sc_ec_pub_check_canonical(u) == 0;
        }
        ck_assert_int_ge(ok, 5);
        ck_assert_int_le(ok, 70);
    }
}
END_TEST

START_TEST(signed_prekey_sign_verify_store)
{
    sc_ec_keypair ik;
    sc_signed_prekey spk, back;
    uint8_t rec[SC_SIGNED_PREKEY_RECORD_LEN];

    ck_assert_int_eq(sc_ec_keypair_generate(&ik), 0);
    ck_assert_int_eq(sc_signed_prekey_generate(&spk, 77, 1700000000000ULL, &ik), 0);
    ck_assert_int_eq(sc_signed_prekey_verify(ik.pub, spk.kp.pub, spk.sig), 0);
    spk.sig[5] ^= 1;
    ck_assert_int_eq(sc_signed_prekey_verify(ik.pub, spk.kp.pub, spk.sig), SC_ERR_SIGNATURE);
    spk.sig[5] ^= 1;
    sc_signed_prekey_store(rec, &spk);
    ck_assert_int_eq(sc_signed_prekey_load(&back, rec, sizeof(rec)), 0);
    ck_assert_uint_eq(back.id, 77);
    ck_assert_uint_eq(back.timestamp_ms, 1700000000000ULL);
    ck_assert_int_eq(memcmp(&back.kp, &spk.kp, sizeof(spk.kp)), 0);
    ck_assert_int_eq(memcmp(back.sig, spk.sig, 64), 0);
    ck_assert_int_eq(sc_signed_prekey_load(&back, rec, sizeof(rec) - 1), SC_ERR_KEY_RECORD);
    rec[0] = 2;
    ck_assert_int_eq(sc_signed_prekey_load(&back, rec, sizeof(rec)), SC_ERR_KEY_RECORD);
    rec[0] = 1;
    rec[20] ^= 1; /* public key no longer matches the private key */
    ck_assert_int_eq(sc_signed_prekey_load(&back, rec, sizeof(rec)), SC_ERR_KEY_RECORD);
    ut_wipe(rec, sizeof(rec));
    sc_signed_prekey_wipe(&spk);
    sc_signed_prekey_wipe(&back);
    sc_ec_keypair_wipe(&ik);
}
END_TEST

START_TEST(identity_and_prekey_store)
{
    sc_ec_keypair ik, ik2;
    sc_prekey pk, pk2;
    uint8_t r1[SC_IDENTITY_RECORD_LEN], r2[SC_PREKEY_RECORD_LEN];

    ck_assert_int_eq(sc_ec_keypair_generate(&ik), 0);
    ck_assert_int_eq(sc_prekey_generate(&pk, 0xfffffffe), 0);
    sc_identity_keypair_store(r1, &ik);
    sc_prekey_store(r2, &pk);
    ck_assert_int_eq(sc_identity_keypair_load(&ik2, r1, sizeof(r1)), 0);
    ck_assert_int_eq(memcmp(&ik, &ik2, sizeof(ik)), 0);
    ck_assert_int_eq(sc_prekey_load(&pk2, r2, sizeof(r2)), 0);
    ck_assert_uint_eq(pk2.id, 0xfffffffe);
    ck_assert_int_eq(memcmp(&pk.kp, &pk2.kp, sizeof(pk.kp)), 0);
    /* a record of one kind is not accepted as another */
    ck_assert_int_eq(sc_identity_keypair_load(&ik2, r2, sizeof(r1)), SC_ERR_KEY_RECORD);
    ck_assert_int_eq(sc_prekey_load(&pk2, r1, sizeof(r2)), SC_ERR_KEY_RECORD);
    sc_ec_keypair_wipe(&ik);
    sc_ec_keypair_wipe(&ik2);
    sc_prekey_wipe(&pk);
    sc_prekey_wipe(&pk2);
}
END_TEST

START_TEST(kem_serialization)
{
    uint8_t raw[SC_KEM_PUB_LEN], ser[SC_KEM_SERIALIZED_LEN], back[SC_KEM_PUB_LEN];

    ck_assert_int_eq(ut_random(raw, sizeof(raw)), 0);
    sc_kem_serialize(ser, raw);
    ck_assert_uint_eq(ser[0], 0x08);
    ck_assert_int_eq(sc_kem_deserialize(back, ser, sizeof(ser)), 0);
    ck_assert_int_eq(memcmp(raw, back, sizeof(raw)), 0);
    ser[0] = 0x0a; /* ML-KEM-1024 type: not accepted */
    ck_assert_int_eq(sc_kem_deserialize(back, ser, sizeof(ser)), SC_ERR_KEY);
    ser[0] = 0x08;
    ck_assert_int_eq(sc_kem_deserialize(back, ser, sizeof(ser) - 1), SC_ERR_KEY);
}
END_TEST

START_TEST(kyber_prekey_sign_verify_store)
{
    sc_ec_keypair ik;
    static sc_kyber_prekey k, back;
    static uint8_t rec[SC_KYBER_PREKEY_RECORD_LEN];

    ck_assert_int_eq(sc_ec_keypair_generate(&ik), 0);
    ck_assert_int_eq(sc_kyber_prekey_generate(&k, 9, 1700000000001ULL, 1, &ik), 0);
    ck_assert_uint_eq(k.last_resort, 1);
    ck_assert_int_eq(sc_kyber_prekey_verify(ik.pub, k.pub, k.sig), 0);
    /* the signature covers 0x08 || pk: over the raw 1568 bytes it fails */
    ck_assert_int_eq(sc_xeddsa_verify(k.sig, ik.pub, k.pub, SC_KEM_PUB_LEN), SC_ERR_SIGNATURE);
    k.pub[100] ^= 1;
    ck_assert_int_eq(sc_kyber_prekey_verify(ik.pub, k.pub, k.sig), SC_ERR_SIGNATURE);
    k.pub[100] ^= 1;
    sc_kyber_prekey_store(rec, &k);
    ck_assert_int_eq(sc_kyber_prekey_load(&back, rec, sizeof(rec)), 0);
    ck_assert_uint_eq(back.id, 9);
    ck_assert_uint_eq(back.timestamp_ms, 1700000000001ULL);
    ck_assert_uint_eq(back.last_resort, 1);
    ck_assert_int_eq(memcmp(&back, &k, sizeof(k)), 0);
    rec[14] = 2;
    ck_assert_int_eq(sc_kyber_prekey_load(&back, rec, sizeof(rec)), SC_ERR_KEY_RECORD);
    rec[14] = 1;
    rec[15 + 7] ^= 1; /* public key no longer the one inside the secret key */
    ck_assert_int_eq(sc_kyber_prekey_load(&back, rec, sizeof(rec)), SC_ERR_KEY_RECORD);
    ut_wipe(rec, sizeof(rec));
    sc_kyber_prekey_wipe(&k);
    sc_kyber_prekey_wipe(&back);
    sc_ec_keypair_wipe(&ik);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sc_keys");
    TCase *tc = tcase_create("keys");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, ec_serialization);
    tcase_add_test(tc, canonical_base_key);
    tcase_add_test(tc, signed_prekey_sign_verify_store);
    tcase_add_test(tc, identity_and_prekey_store);
    tcase_add_test(tc, kem_serialization);
    tcase_add_test(tc, kyber_prekey_sign_verify_store);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
