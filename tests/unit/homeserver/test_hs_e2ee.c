/*
 * test_hs_e2ee.c - Check tests for shim/homeserver/hs_e2ee_json.c: the
 * DeviceKeys, one-time key, CrossSigningKey and key backup checks, the
 * backup replacement order, and ed25519 verification over canonical JSON
 * against a known answer signed by Node's crypto (an independent
 * implementation of the signing and of canonical JSON).
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "hs_e2ee.h"

/* Node: ed25519 key from a seed of 32 bytes 0x07; signature over the
 * canonical JSON of the object below (with a non-ASCII string). */
#define KAT_PUB "6kpsY+KcUgq+9VB7Ey7F+ZVHdq6+vnuSQh7qaRRG0iw"
#define KAT_SIG "nlrufyJD9mSzSPnIEJtD6fl90DQifSPSAVGh0G1HCP0EjPDW53W2z2NzGLB8SP/FO7lqAkBxdC4/wLswHr1gDw"

static json_t *kat_obj(void)
{
    return json_pack("{s:s,s:[s],s:{s:s},s:s,s:{s:{s:s}},s:{s:i}}", "user_id", "@a:t", "usage",
                     "self_signing", "keys", "ed25519:" KAT_PUB, KAT_PUB, "x", "h\xc3\xa9",
                     "signatures", "@a:t", "ed25519:" KAT_PUB, KAT_SIG, "unsigned", "age", 3);
}

START_TEST(test_verify_known_answer)
{
    json_t *o = kat_obj();

    ck_assert_int_eq(hs_e2ee_verify(o, "@a:t", "ed25519:" KAT_PUB, KAT_PUB), 0);
    /* another signer or key ID: no signature */
    ck_assert_int_eq(hs_e2ee_verify(o, "@b:t", "ed25519:" KAT_PUB, KAT_PUB), -1);
    ck_assert_int_eq(hs_e2ee_verify(o, "@a:t", "ed25519:other", KAT_PUB), -1);
    /* a changed field breaks it; unsigned does not count */
    json_object_set_new(o, "unsigned", json_pack("{s:i}", "age", 99));
    ck_assert_int_eq(hs_e2ee_verify(o, "@a:t", "ed25519:" KAT_PUB, KAT_PUB), 0);
    json_object_set_new(o, "x", json_string("he"));
    ck_assert_int_eq(hs_e2ee_verify(o, "@a:t", "ed25519:" KAT_PUB, KAT_PUB), -1);
    /* garbage key or signature */
    ck_assert_int_eq(hs_e2ee_verify(o, "@a:t", "ed25519:" KAT_PUB, "not base64!"), -1);
    ck_assert_int_eq(hs_e2ee_verify(o, "@a:t", "ed25519:" KAT_PUB, NULL), -1);
    json_decref(o);
}
END_TEST

START_TEST(test_xsign_key)
{
    json_t *o = kat_obj();
    char pub[64], why[200];

    ck_assert_int_eq(hs_e2ee_check_xsign_key(o, "@a:t", "self_signing", pub, why, sizeof(why)), 0);
    ck_assert_str_eq(pub, KAT_PUB);
    ck_assert_int_eq(hs_e2ee_check_xsign_key(o, "@b:t", "self_signing", pub, why, sizeof(why)), -1);
    ck_assert_ptr_nonnull(strstr(why, "user_id"));
    ck_assert_int_eq(hs_e2ee_check_xsign_key(o, "@a:t", "master", pub, why, sizeof(why)), -1);
    /* two keys */
    json_object_set_new(json_object_get(o, "keys"), "ed25519:x", json_string("x"));
    ck_assert_int_eq(hs_e2ee_check_xsign_key(o, "@a:t", "self_signing", pub, why, sizeof(why)), -1);
    /* ID not matching the key, or not a key */
    json_object_set_new(o, "keys", json_pack("{s:s}", "ed25519:AAAA", KAT_PUB));
    ck_assert_int_eq(hs_e2ee_check_xsign_key(o, "@a:t", "self_signing", pub, why, sizeof(why)), -1);
    json_object_set_new(o, "keys", json_pack("{s:s}", "ed25519:AAAA", "AAAA"));
    ck_assert_int_eq(hs_e2ee_check_xsign_key(o, "@a:t", "self_signing", pub, why, sizeof(why)), -1);
    json_object_set_new(o, "keys", json_pack("{s:i}", "ed25519:" KAT_PUB, 1));
    ck_assert_int_eq(hs_e2ee_check_xsign_key(o, "@a:t", "self_signing", pub, why, sizeof(why)), -1);
    ck_assert_int_eq(hs_e2ee_check_xsign_key(json_null(), "@a:t", "master", pub, why, sizeof(why)), -1);
    json_decref(o);
}
END_TEST

START_TEST(test_device_keys)
{
    json_t *dk = json_pack("{s:s,s:s,s:[s],s:{s:s},s:{s:{s:s}}}", "user_id", "@a:t", "device_id", "D",
                           "algorithms", "m.olm.v1.curve25519-aes-sha2", "keys", "ed25519:D", "k",
                           "signatures", "@a:t", "ed25519:D", "sig");
    char why[200];

    ck_assert_int_eq(hs_e2ee_check_device_keys(dk, "@a:t", "D", why, sizeof(why)), 0);
    ck_assert_int_eq(hs_e2ee_check_device_keys(dk, "@b:t", "D", why, sizeof(why)), -1);
    ck_assert_int_eq(hs_e2ee_check_device_keys(dk, "@a:t", "E", why, sizeof(why)), -1);
    ck_assert_ptr_nonnull(strstr(why, "device_id"));
    json_object_set_new(dk, "signatures", json_pack("{s:s}", "@a:t", "flat"));
    ck_assert_int_eq(hs_e2ee_check_device_keys(dk, "@a:t", "D", why, sizeof(why)), -1);
    json_object_del(dk, "signatures");
    json_object_set_new(dk, "keys", json_object());
    ck_assert_int_eq(hs_e2ee_check_device_keys(dk, "@a:t", "D", why, sizeof(why)), -1);
    json_object_set_new(dk, "keys", json_pack("{s:s}", "ed25519:D", "k"));
    json_object_set_new(dk, "algorithms", json_pack("[i]", 1));
    ck_assert_int_eq(hs_e2ee_check_device_keys(dk, "@a:t", "D", why, sizeof(why)), -1);
    json_decref(dk);
}
END_TEST

START_TEST(test_key_map)
{
    char why[200];
    json_t *m = json_pack("{s:s,s:{s:s}}", "curve25519:A", "k", "signed_curve25519:B", "key", "k");

    ck_assert_int_eq(hs_e2ee_check_key_map(m, why, sizeof(why)), 0);
    json_object_set_new(m, "nocolon", json_string("k"));
    ck_assert_int_eq(hs_e2ee_check_key_map(m, why, sizeof(why)), -1);
    json_object_del(m, "nocolon");
    json_object_set_new(m, ":B", json_string("k"));
    ck_assert_int_eq(hs_e2ee_check_key_map(m, why, sizeof(why)), -1);
    json_object_del(m, ":B");
    json_object_set_new(m, "alg:", json_string("k"));
    ck_assert_int_eq(hs_e2ee_check_key_map(m, why, sizeof(why)), -1);
    json_object_del(m, "alg:");
    json_object_set_new(m, "alg:C", json_integer(3));
    ck_assert_int_eq(hs_e2ee_check_key_map(m, why, sizeof(why)), -1);
    json_decref(m);
    m = json_array();
    ck_assert_int_eq(hs_e2ee_check_key_map(m, why, sizeof(why)), -1);
    json_decref(m);
}
END_TEST

static json_t *bk(int idx, int fwd, int verified)
{
    return json_pack("{s:i,s:i,s:b,s:{}}", "first_message_index", idx, "forwarded_count", fwd,
                     "is_verified", verified, "session_data");
}

START_TEST(test_backup)
{
    char why[200];
    json_t *a = bk(5, 0, 0), *b = bk(2, 0, 0), *v = bk(9, 3, 1), *f = bk(5, 1, 0), *bad;

    ck_assert_int_eq(hs_e2ee_check_backup_key(a, why, sizeof(why)), 0);
    bad = json_pack("{s:i,s:i,s:b}", "first_message_index", 1, "forwarded_count", 0, "is_verified", 0);
    ck_assert_int_eq(hs_e2ee_check_backup_key(bad, why, sizeof(why)), -1);
    json_decref(bad);
    bad = bk(-1, 0, 0);
    ck_assert_int_eq(hs_e2ee_check_backup_key(bad, why, sizeof(why)), -1);
    json_decref(bad);
    /* the spec's order: verified, then lower index, then fewer forwards */
    ck_assert(hs_e2ee_backup_better(a, NULL));
    ck_assert(hs_e2ee_backup_better(b, a));
    ck_assert(!hs_e2ee_backup_better(a, b));
    ck_assert(hs_e2ee_backup_better(v, b));
    ck_assert(!hs_e2ee_backup_better(b, v));
    ck_assert(hs_e2ee_backup_better(a, f));
    ck_assert(!hs_e2ee_backup_better(f, a));
    ck_assert(!hs_e2ee_backup_better(a, a));
    json_decref(a);
    json_decref(b);
    json_decref(v);
    json_decref(f);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("hs_e2ee");
    TCase *t = tcase_create("json");

    tcase_add_test(t, test_verify_known_answer);
    tcase_add_test(t, test_xsign_key);
    tcase_add_test(t, test_device_keys);
    tcase_add_test(t, test_key_map);
    tcase_add_test(t, test_backup);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr;
    int failed;

    if (sodium_init() < 0)
        return 1;
    sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
