/* test_sig_sync.c - attachment cipher (digest and MAC checks, truncation
 * to size), the contacts stream parser (incl. avatars and truncation), and
 * profile-name decryption (padded and unpadded). */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "SignalService.pb-c.h"
#include "sc_prim.h"
#include "sig_err.h"
#include "sig_sync.h"

START_TEST(test_attachment)
{
    uint8_t key[64], dg[32], *blob = NULL, *pt = NULL;
    size_t n = 0, m = 0;
    const char msg[] = "attachment plaintext, 40 bytes long!!!!";

    memset(key, 9, sizeof(key));
    ck_assert_int_eq(sig_attachment_encrypt(&blob, &n, dg, (const uint8_t *)msg,
                                            sizeof(msg), key), 0);
    ck_assert_int_eq(sig_attachment_decrypt(&pt, &m, blob, n, key, dg, sizeof(msg)), 0);
    ck_assert_uint_eq(m, sizeof(msg));
    ck_assert_mem_eq(pt, msg, m);
    free(pt);
    /* size shorter than the plaintext: truncated (padding removal) */
    ck_assert_int_eq(sig_attachment_decrypt(&pt, &m, blob, n, key, dg, 10), 0);
    ck_assert_uint_eq(m, 10);
    free(pt);
    /* size beyond the plaintext */
    ck_assert_int_eq(sig_attachment_decrypt(&pt, &m, blob, n, key, dg, 1000), SIG_ERR_ENVELOPE);
    /* wrong digest */
    dg[0] ^= 1;
    ck_assert_int_eq(sig_attachment_decrypt(&pt, &m, blob, n, key, dg, sizeof(msg)), SIG_ERR_DIGEST);
    dg[0] ^= 1;
    /* tampered ciphertext with no digest given: the MAC catches it */
    blob[20] ^= 1;
    ck_assert_int_eq(sig_attachment_decrypt(&pt, &m, blob, n, key, NULL, sizeof(msg)), SIG_ERR_DIGEST);
    ck_assert_int_eq(sig_attachment_decrypt(&pt, &m, blob, 20, key, NULL, 1), SIG_ERR_ENVELOPE);
    free(blob);
}
END_TEST

static size_t put_record(uint8_t *p, const char *number, const uint8_t *aci,
                         const char *name, uint32_t avatar_len)
{
    Signalservice__ContactDetails cd = SIGNALSERVICE__CONTACT_DETAILS__INIT;
    Signalservice__ContactDetails__Avatar av = SIGNALSERVICE__CONTACT_DETAILS__AVATAR__INIT;
    size_t len, o = 0;

    cd.number = (char *)number;
    cd.name = (char *)name;
    if (aci) {
        cd.has_acibinary = 1;
        cd.acibinary.data = (uint8_t *)aci;
        cd.acibinary.len = 16;
    }
    if (avatar_len) {
        av.has_length = 1;
        av.length = avatar_len;
        cd.avatar = &av;
    }
    len = signalservice__contact_details__get_packed_size(&cd);
    ck_assert_uint_lt(len, 128);
    p[o++] = (uint8_t)len;
    o += signalservice__contact_details__pack(&cd, p + o);
    memset(p + o, 0xAA, avatar_len);
    return o + avatar_len;
}

START_TEST(test_contacts_stream)
{
    uint8_t buf[1024], aci[16];
    size_t n = 0, off = 0;
    sig_contact_rec r;

    memset(aci, 0x11, sizeof(aci));
    n += put_record(buf + n, "+14155550001", aci, "Alice", 7);
    n += put_record(buf + n, "+14155550002", NULL, "Nobody", 0);
    ck_assert_int_eq(sig_contacts_next(buf, n, &off, &r), 1);
    ck_assert_str_eq(r.number, "+14155550001");
    ck_assert_str_eq(r.name, "Alice");
    ck_assert_str_eq(r.aci, "11111111-1111-1111-1111-111111111111");
    ck_assert_int_eq(sig_contacts_next(buf, n, &off, &r), 1);
    ck_assert_str_eq(r.aci, "");
    ck_assert_str_eq(r.name, "Nobody");
    ck_assert_int_eq(sig_contacts_next(buf, n, &off, &r), 0);
    /* truncated avatar */
    off = 0;
    ck_assert_int_eq(sig_contacts_next(buf, 20, &off, &r), SIG_ERR_ENVELOPE);
    /* length past the end */
    buf[0] = 0x7f;
    off = 0;
    ck_assert_int_eq(sig_contacts_next(buf, 10, &off, &r), SIG_ERR_ENVELOPE);
    /* unterminated varint */
    memset(buf, 0xff, 12);
    off = 0;
    ck_assert_int_eq(sig_contacts_next(buf, 12, &off, &r), SIG_ERR_ENVELOPE);
}
END_TEST

static char *enc_name(const uint8_t key[32], const uint8_t *pt, size_t n)
{
    uint8_t *raw = malloc(12 + n + 16);
    char *b64 = NULL;

    memset(raw, 3, 12);
    ck_assert_int_eq(sc_aes256_gcm_encrypt(raw + 12, key, raw, 12, NULL, 0, pt, n), 0);
    ck_assert_int_eq(sig_b64_encode(raw, 12 + n + 16, &b64), 0);
    free(raw);
    return b64;
}

START_TEST(test_profile_name)
{
    uint8_t key[32], padded[53];
    char out[256], *b64;

    memset(key, 5, sizeof(key));
    b64 = enc_name(key, (const uint8_t *)"Alice Smith", 11); /* the mock: raw */
    ck_assert_int_eq(sig_profile_name_decrypt(out, sizeof(out), b64, key), 0);
    ck_assert_str_eq(out, "Alice Smith");
    key[0] ^= 1;
    ck_assert_int_eq(sig_profile_name_decrypt(out, sizeof(out), b64, key), SIG_ERR_DIGEST);
    key[0] ^= 1;
    free(b64);
    memset(padded, 0, sizeof(padded));
    memcpy(padded, "Bob\0Jones", 9); /* real clients: given\0family\0 padded */
    b64 = enc_name(key, padded, sizeof(padded));
    ck_assert_int_eq(sig_profile_name_decrypt(out, sizeof(out), b64, key), 0);
    ck_assert_str_eq(out, "Bob Jones");
    free(b64);
    ck_assert_int_eq(sig_profile_name_decrypt(out, sizeof(out), "AAAA", key), SIG_ERR_ENVELOPE);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sig_sync");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int nf;

    tcase_add_test(tc, test_attachment);
    tcase_add_test(tc, test_contacts_stream);
    tcase_add_test(tc, test_profile_name);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? 0 : 1;
}
