/* test_sc_ciphers.c - the "other ciphers": round trips, tampering and
 * malformed input. Byte-exact agreement with libsignal, the mock server and
 * the clients' formulas is checked by tests/interop/ciphers.js. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "sc_attachment.h"
#include "sc_devname.h"
#include "sc_gcmbox.h"
#include "sc_group.h"
#include "sc_padding.h"
#include "sc_pbwire.h"
#include "sc_prim.h"
#include "sc_profile.h"
#include "sc_provision.h"
#include "sc_storage.h"

START_TEST(pbwire_reads_and_rejects)
{
    /* field 1 varint 300, field 2 bytes "hi", field 3 fixed32, field 4 fixed64 */
    static const uint8_t ok[] = {0x08, 0xac, 0x02, 0x12, 0x02, 'h', 'i',
                                 0x1d, 1, 2, 3, 4, 0x21, 1, 2, 3, 4, 5, 6, 7, 8};
    static const uint8_t trunc[] = {0x12, 0x05, 'a'};
    static const uint8_t group[] = {0x0b};
    static const uint8_t field0[] = {0x02, 0x00};
    static const uint8_t longvar[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
                                      0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    sc_pb_reader r;
    sc_pb_field f;

    sc_pb_reader_init(&r, ok, sizeof(ok));
    ck_assert_int_eq(sc_pb_next(&r, &f), 1);
    ck_assert_uint_eq(f.field, 1);
    ck_assert_uint_eq(f.varint, 300);
    ck_assert_int_eq(sc_pb_next(&r, &f), 1);
    ck_assert_uint_eq(f.field, 2);
    ck_assert_uint_eq(f.n, 2);
    ck_assert_int_eq(memcmp(f.p, "hi", 2), 0);
    ck_assert_int_eq(sc_pb_next(&r, &f), 1);
    ck_assert_uint_eq(f.varint, 0x04030201u);
    ck_assert_int_eq(sc_pb_next(&r, &f), 1);
    ck_assert_uint_eq(f.wire, 1);
    ck_assert_int_eq(sc_pb_next(&r, &f), 0);
    sc_pb_reader_init(&r, trunc, sizeof(trunc));
    ck_assert_int_eq(sc_pb_next(&r, &f), SC_ERR_FORMAT);
    sc_pb_reader_init(&r, group, sizeof(group));
    ck_assert_int_eq(sc_pb_next(&r, &f), SC_ERR_FORMAT);
    sc_pb_reader_init(&r, field0, sizeof(field0));
    ck_assert_int_eq(sc_pb_next(&r, &f), SC_ERR_FORMAT);
    sc_pb_reader_init(&r, longvar, sizeof(longvar));
    ck_assert_int_eq(sc_pb_next(&r, &f), SC_ERR_FORMAT);
}
END_TEST

START_TEST(gcmbox_round_trip_and_tamper)
{
    uint8_t key[32] = {7}, box[64], out[64];
    size_t n;

    ck_assert_int_eq(sc_gcmbox_seal(box, key, NULL, (const uint8_t *)"hello", 5), 0);
    ck_assert_int_eq(sc_gcmbox_open(out, &n, key, box, 5 + 28), 0);
    ck_assert_uint_eq(n, 5);
    ck_assert_int_eq(memcmp(out, "hello", 5), 0);
    box[12] ^= 1;
    ck_assert_int_eq(sc_gcmbox_open(out, &n, key, box, 5 + 28), SC_ERR_DECRYPT);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(sc_gcmbox_open(out, &n, key, box, 27), SC_ERR_FORMAT);
}
END_TEST

START_TEST(provision_round_trip_and_errors)
{
    uint8_t priv[32], pub[32], *env, *pt;
    size_t env_len, pt_len;
    const char *msg = "a ProvisionMessage with identity keys";
    sc_pb_reader r;
    sc_pb_field f;
    uint8_t body[512], pubf[33];
    size_t body_len = 0;

    ck_assert_int_eq(sc_x25519_keypair(pub, priv), 0);
    ck_assert_int_eq(sc_provision_encrypt(&env, &env_len, pub, (const uint8_t *)msg, strlen(msg)), 0);
    ck_assert_int_eq(sc_provision_decrypt(&pt, &pt_len, priv, env, env_len), 0);
    ck_assert_uint_eq(pt_len, strlen(msg));
    ck_assert_int_eq(memcmp(pt, msg, pt_len), 0);
    ut_free_secret(pt, pt_len);

    /* pull the fields out to tamper with them */
    sc_pb_reader_init(&r, env, env_len);
    while (sc_pb_next(&r, &f) == 1) {
        if (f.field == 1)
            memcpy(pubf, f.p, 33);
        if (f.field == 2) {
            memcpy(body, f.p, f.n);
            body_len = f.n;
        }
    }
    ck_assert_uint_eq(body_len, 1 + 16 + 48 + 32);
    ck_assert_int_eq(sc_provision_decrypt_fields(&pt, &pt_len, priv, pubf, 33, body, body_len), 0);
    free(pt);
    body[20] ^= 1;
    ck_assert_int_eq(sc_provision_decrypt_fields(&pt, &pt_len, priv, pubf, 33, body, body_len), SC_ERR_DECRYPT);
    ck_assert_ptr_null(pt);
    body[20] ^= 1;
    body[0] = 2;
    ck_assert_int_eq(sc_provision_decrypt_fields(&pt, &pt_len, priv, pubf, 33, body, body_len), SC_ERR_VERSION);
    body[0] = 1;
    pubf[0] = 0x06;
    ck_assert_int_eq(sc_provision_decrypt_fields(&pt, &pt_len, priv, pubf, 33, body, body_len), SC_ERR_KEY);
    pubf[0] = 0x05;
    ck_assert_int_eq(sc_provision_decrypt_fields(&pt, &pt_len, priv, pubf, 33, body, 60), SC_ERR_FORMAT);
    /* envelope without body, and garbage */
    ck_assert_int_eq(sc_provision_decrypt(&pt, &pt_len, priv, env, 35), SC_ERR_FORMAT);
    ck_assert_int_eq(sc_provision_decrypt(&pt, &pt_len, priv, (const uint8_t *)"\xff\xff", 2), SC_ERR_FORMAT);
    /* someone else's key: MAC fails */
    priv[0] ^= 0x40;
    ck_assert_int_eq(sc_provision_decrypt(&pt, &pt_len, priv, env, env_len), SC_ERR_DECRYPT);
    free(env);
}
END_TEST

START_TEST(attachment_round_trip_padding_and_errors)
{
    uint8_t key[64], digest[32], *blob, *pt;
    size_t blob_len, pt_len, n, sizes[] = {0, 1, 15, 16, 541, 542, 5000, 100000};
    uint8_t *data = malloc(100000);
    unsigned i;

    ck_assert_ptr_nonnull(data);
    ck_assert_int_eq(ut_random(key, sizeof(key)), 0);
    ck_assert_int_eq(ut_random(data, 100000), 0);
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        n = sizes[i];
        ck_assert_uint_ge(sc_attachment_padded_size(n), n);
        ck_assert_uint_ge(sc_attachment_padded_size(n), 541);
        ck_assert_int_eq(sc_attachment_encrypt(&blob, &blob_len, digest, key, NULL, data, n, 1), 0);
        ck_assert_uint_eq(blob_len, 16 + (sc_attachment_padded_size(n) / 16 + 1) * 16 + 32);
        ck_assert_int_eq(sc_attachment_decrypt(&pt, &pt_len, key, digest, n, blob, blob_len), 0);
        ck_assert_uint_eq(pt_len, n);
        ck_assert_int_eq(memcmp(pt, data, n), 0);
        free(pt);
        free(blob);
    }
    /* unpadded (the mock's form) */
    ck_assert_int_eq(sc_attachment_encrypt(&blob, &blob_len, digest, key, NULL, data, 33, 0), 0);
    ck_assert_uint_eq(blob_len, 16 + 48 + 32);
    ck_assert_int_eq(sc_attachment_decrypt(&pt, &pt_len, key, digest, 34, blob, blob_len), SC_ERR_FORMAT);
    ck_assert_ptr_null(pt);
    blob[20] ^= 1; /* digest now wrong */
    ck_assert_int_eq(sc_attachment_decrypt(&pt, &pt_len, key, digest, 33, blob, blob_len), SC_ERR_DIGEST);
    ck_assert_int_eq(sc_sha256(digest, blob, blob_len), 0); /* attacker fixes the digest */
    ck_assert_int_eq(sc_attachment_decrypt(&pt, &pt_len, key, digest, 33, blob, blob_len), SC_ERR_DECRYPT);
    ck_assert_int_eq(sc_attachment_decrypt(&pt, &pt_len, key, digest, 0, blob, 47), SC_ERR_FORMAT);
    ck_assert_int_eq(sc_attachment_decrypt(&pt, &pt_len, key, digest, 0, blob, blob_len - 1), SC_ERR_FORMAT);
    free(blob);
    free(data);
}
END_TEST

START_TEST(profile_name_and_access_key)
{
    uint8_t key[32], box[SC_PROFILE_NAME_BOX_MAX], ak[16], ak2[16], ver[32];
    char given[300], family[300], longname[300];
    size_t n;

    ck_assert_int_eq(ut_random(key, 32), 0);
    ck_assert_int_eq(sc_profile_name_encrypt(box, &n, key, NULL, "Alice", "Liddell"), 0);
    ck_assert_uint_eq(n, 53 + 28);
    ck_assert_int_eq(sc_profile_name_decrypt(given, sizeof(given), family, sizeof(family), key, box, n), 0);
    ck_assert_str_eq(given, "Alice");
    ck_assert_str_eq(family, "Liddell");
    ck_assert_int_eq(sc_profile_name_encrypt(box, &n, key, NULL, "Bob", NULL), 0);
    ck_assert_int_eq(sc_profile_name_decrypt(given, sizeof(given), family, sizeof(family), key, box, n), 0);
    ck_assert_str_eq(given, "Bob");
    ck_assert_str_eq(family, "");
    memset(longname, 'x', 100);
    longname[100] = '\0';
    ck_assert_int_eq(sc_profile_name_encrypt(box, &n, key, NULL, longname, "y"), 0);
    ck_assert_uint_eq(n, 257 + 28);
    ck_assert_int_eq(sc_profile_name_decrypt(given, sizeof(given), family, sizeof(family), key, box, n), 0);
    ck_assert_str_eq(given, longname);
    ck_assert_int_eq(sc_profile_name_decrypt(given, 50, family, sizeof(family), key, box, n), SC_ERR_TOO_LONG);
    memset(longname, 'x', 257);
    longname[257] = '\0';
    ck_assert_int_eq(sc_profile_name_encrypt(box, &n, key, NULL, longname, NULL), 0);
    ck_assert_int_eq(sc_profile_name_encrypt(box, &n, key, NULL, longname, "z"), SC_ERR_TOO_LONG);
    /* the mock's unpadded form: a bare string */
    ck_assert_int_eq(sc_gcmbox_seal(box, key, NULL, (const uint8_t *)"Carol", 5), 0);
    ck_assert_int_eq(sc_profile_name_decrypt(given, sizeof(given), family, sizeof(family), key, box, 33), 0);
    ck_assert_str_eq(given, "Carol");
    box[15] ^= 1;
    ck_assert_int_eq(sc_profile_name_decrypt(given, sizeof(given), family, sizeof(family), key, box, 33), SC_ERR_DECRYPT);

    {
        uint8_t tbox[SC_PROFILE_TEXT_BOX_MAX];
        char text[600], about[600];

        ck_assert_int_eq(sc_profile_text_encrypt(tbox, &n, key, NULL, "busy", SC_PROFILE_ABOUT), 0);
        ck_assert_uint_eq(n, 128 + 28);
        ck_assert_int_eq(sc_profile_text_decrypt(text, sizeof(text), key, tbox, n), 0);
        ck_assert_str_eq(text, "busy");
        memset(about, 'a', 200);
        about[200] = '\0';
        ck_assert_int_eq(sc_profile_text_encrypt(tbox, &n, key, NULL, about, SC_PROFILE_ABOUT), 0);
        ck_assert_uint_eq(n, 254 + 28);
        memset(about, 'a', 513);
        about[513] = '\0';
        ck_assert_int_eq(sc_profile_text_encrypt(tbox, &n, key, NULL, about, SC_PROFILE_ABOUT), SC_ERR_TOO_LONG);
        ck_assert_int_eq(sc_profile_text_encrypt(tbox, &n, key, NULL, "\xf0\x9f\x8c\x89", SC_PROFILE_EMOJI), 0);
        ck_assert_uint_eq(n, 32 + 28);
        ck_assert_int_eq(sc_profile_text_decrypt(text, sizeof(text), key, tbox, n), 0);
        ck_assert_str_eq(text, "\xf0\x9f\x8c\x89");
        ck_assert_int_eq(sc_profile_text_decrypt(text, 4, key, tbox, n), SC_ERR_TOO_LONG);
        ck_assert_int_eq(sc_profile_text_encrypt(tbox, &n, key, NULL, "x", 9), UT_ERR_INVAL);
    }

    ck_assert_int_eq(sc_access_key(ak, key), 0);
    ck_assert_int_eq(sc_access_key(ak2, key), 0);
    ck_assert_int_eq(memcmp(ak, ak2, 16), 0);
    key[0] ^= 1;
    ck_assert_int_eq(sc_access_key(ak2, key), 0);
    ck_assert_int_ne(memcmp(ak, ak2, 16), 0);
    ck_assert_int_eq(sc_access_key_verifier(ver, ak), 0);

    /* profile key version: libsignal 0.100's
     * ProfileKey(01..20).getProfileKeyVersion(Aci 8c78cd2a-...-713d) */
    {
        static const uint8_t aci[16] = {0x8c, 0x78, 0xcd, 0x2a, 0x16, 0xff, 0x42, 0x7d,
                                        0x83, 0xdc, 0x1a, 0x5e, 0x36, 0xce, 0x71, 0x3d};
        uint8_t pk[32];
        char v[SC_PROFILE_KEY_VERSION_HEX + 1], v2[SC_PROFILE_KEY_VERSION_HEX + 1];
        size_t i;

        for (i = 0; i < 32; i++)
            pk[i] = (uint8_t)(i + 1);
        ck_assert_int_eq(sc_profile_key_version(v, pk, aci), 0);
        ck_assert_str_eq(v, "6b152c0ff4c8e3ac40e90ba5c3eb6093e04802fb9d1ef3d4c5eb446f7304cd41");
        pk[31] ^= 1;
        ck_assert_int_eq(sc_profile_key_version(v2, pk, aci), 0);
        ck_assert_str_ne(v, v2);
    }
}
END_TEST

START_TEST(storage_keys_differ_by_input)
{
    uint8_t mk[32] = {1}, sk[32], m1[32], m2[32], i1[32], i2[32], ikm[32] = {9};
    uint8_t raw[16] = {3};

    ck_assert_int_eq(sc_storage_key(sk, mk), 0);
    ck_assert_int_eq(sc_storage_manifest_key(m1, sk, 1), 0);
    ck_assert_int_eq(sc_storage_manifest_key(m2, sk, 2), 0);
    ck_assert_int_ne(memcmp(m1, m2, 32), 0);
    ck_assert_int_eq(sc_storage_manifest_key(m2, sk, UINT64_MAX), 0);
    ck_assert_int_eq(sc_storage_item_key(i1, sk, ikm, raw, 16), 0);
    ck_assert_int_eq(sc_storage_item_key(i2, sk, NULL, raw, 16), 0);
    ck_assert_int_ne(memcmp(i1, i2, 32), 0);
    ck_assert_int_eq(sc_storage_item_key(i1, sk, NULL, raw, 0), SC_ERR_FORMAT);
    ck_assert_int_eq(sc_storage_item_key(i1, sk, NULL, raw, SC_STORAGE_RAW_KEY_MAX + 1), SC_ERR_FORMAT);
}
END_TEST

START_TEST(group_blob_round_trip_and_errors)
{
    uint8_t mk[32] = {5}, id[32], bk[32], bk2[32], *blob, *pt;
    size_t len, n;

    ck_assert_int_eq(sc_group_derive(id, bk, mk), 0);
    ck_assert_int_eq(sc_group_derive(NULL, bk2, mk), 0);
    ck_assert_int_eq(memcmp(bk, bk2, 32), 0);
    ck_assert_int_ne(memcmp(id, bk, 32), 0);
    ck_assert_int_eq(sc_group_blob_encrypt(&blob, &len, bk, NULL, (const uint8_t *)"title", 5, 11), 0);
    ck_assert_uint_eq(len, 4 + 5 + 11 + 16 + 12 + 1);
    ck_assert_int_eq(sc_group_blob_decrypt(&pt, &n, bk, blob, len), 0);
    ck_assert_uint_eq(n, 5);
    ck_assert_int_eq(memcmp(pt, "title", 5), 0);
    free(pt);
    blob[len - 1] = 1;
    ck_assert_int_eq(sc_group_blob_decrypt(&pt, &n, bk, blob, len), SC_ERR_VERSION);
    blob[len - 1] = 0;
    blob[2] ^= 1;
    ck_assert_int_eq(sc_group_blob_decrypt(&pt, &n, bk, blob, len), SC_ERR_DECRYPT);
    ck_assert_ptr_null(pt);
    ck_assert_int_eq(sc_group_blob_decrypt(&pt, &n, bk, blob, 32), SC_ERR_FORMAT);
    free(blob);
    /* a pad length past the end is refused after authentication */
    {
        uint8_t raw[4 + 3] = {0, 0, 0, 9, 'a', 'b', 'c'}, nonce[12] = {0};
        uint8_t box[7 + 16 + 12 + 1];

        ck_assert_int_eq(sc_aes256_gcm_siv_encrypt(box, bk, nonce, NULL, 0, raw, 7), 0);
        memcpy(box + 7 + 16, nonce, 12);
        box[sizeof(box) - 1] = 0;
        ck_assert_int_eq(sc_group_blob_decrypt(&pt, &n, bk, box, sizeof(box)), SC_ERR_FORMAT);
    }
}
END_TEST

START_TEST(device_name_round_trip_and_errors)
{
    uint8_t priv[32], pub[32], *enc;
    size_t len, n;
    char *name;

    ck_assert_int_eq(sc_x25519_keypair(pub, priv), 0);
    ck_assert_int_eq(sc_devname_encrypt(&enc, &len, pub, (const uint8_t *)"signalbridge", 12), 0);
    ck_assert_int_eq(sc_devname_decrypt(&name, &n, priv, enc, len), 0);
    ck_assert_uint_eq(n, 12);
    ck_assert_str_eq(name, "signalbridge");
    free(name);
    enc[len - 1] ^= 1; /* last ciphertext byte */
    ck_assert_int_eq(sc_devname_decrypt(&name, &n, priv, enc, len), SC_ERR_DECRYPT);
    ck_assert_ptr_null(name);
    ck_assert_int_eq(sc_devname_decrypt(&name, &n, priv, enc, 10), SC_ERR_FORMAT);
    enc[2] = 0x06; /* key type byte of ephemeralPublic */
    ck_assert_int_eq(sc_devname_decrypt(&name, &n, priv, enc, len), SC_ERR_KEY);
    free(enc);
    ck_assert_int_eq(sc_devname_encrypt(&enc, &len, pub, (const uint8_t *)"", 0), 0);
    ck_assert_int_eq(sc_devname_decrypt(&name, &n, priv, enc, len), 0);
    ck_assert_uint_eq(n, 0);
    free(name);
    /* the same without the empty ciphertext field (0x1a 0x00 at the end) */
    ck_assert_uint_eq(enc[len - 2], 0x1a);
    ck_assert_int_eq(sc_devname_decrypt(&name, &n, priv, enc, len - 2), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_str_eq(name, "");
    free(name);
    free(enc);
}
END_TEST

START_TEST(content_padding)
{
    uint8_t buf[400];
    size_t n;

    ck_assert_uint_eq(sc_content_padded_len(0), 159);
    ck_assert_uint_eq(sc_content_padded_len(157), 159);
    ck_assert_uint_eq(sc_content_padded_len(158), 159);
    ck_assert_uint_eq(sc_content_padded_len(159), 319);
    memset(buf, 0xaa, sizeof(buf));
    memcpy(buf, "hello\0\0", 7);
    ck_assert_int_eq(sc_content_pad(buf, buf, 7), 0);
    ck_assert_uint_eq(buf[7], 0x80);
    ck_assert_uint_eq(buf[158], 0);
    ck_assert_int_eq(sc_content_unpad(&n, buf, 159), 0);
    ck_assert_uint_eq(n, 7); /* trailing zeros of the content survive */
    ck_assert_int_eq(sc_content_unpad(&n, (const uint8_t *)"\x80", 1), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(sc_content_unpad(&n, (const uint8_t *)"ab\0\0", 4), SC_ERR_PADDING);
    ck_assert_int_eq(sc_content_unpad(&n, (const uint8_t *)"\0\0", 2), SC_ERR_PADDING);
    ck_assert_int_eq(sc_content_unpad(&n, buf, 0), SC_ERR_PADDING);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sc_ciphers");
    TCase *tc = tcase_create("ciphers");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, pbwire_reads_and_rejects);
    tcase_add_test(tc, gcmbox_round_trip_and_tamper);
    tcase_add_test(tc, provision_round_trip_and_errors);
    tcase_add_test(tc, attachment_round_trip_padding_and_errors);
    tcase_add_test(tc, profile_name_and_access_key);
    tcase_add_test(tc, storage_keys_differ_by_input);
    tcase_add_test(tc, group_blob_round_trip_and_errors);
    tcase_add_test(tc, device_name_round_trip_and_errors);
    tcase_add_test(tc, content_padding);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
