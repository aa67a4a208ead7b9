/* test_sc_msg.c - v4 codec: round trips, MAC, version and field checks,
 * SPQR varints. libsignal parses what we encode in tests/interop. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "sc_msg.h"
#include "sc_prim.h"

static uint8_t ik_a[32], ik_b[32], mk[32], rk[32];

static void setup(void)
{
    ck_assert_int_eq(ut_random(ik_a, 32), 0);
    ck_assert_int_eq(ut_random(ik_b, 32), 0);
    ck_assert_int_eq(ut_random(mk, 32), 0);
    ck_assert_int_eq(ut_random(rk, 32), 0);
}

static uint8_t *make(size_t *len, const uint8_t *addrs)
{
    static const uint8_t ct[32] = {1, 2, 3}, pq[4] = {1, 1, 7, 0};
    sc_signal_msg_fields f = {0};
    uint8_t *out;

    f.ratchet_key = rk;
    f.counter = 300;
    f.previous_counter = 5;
    f.ciphertext = ct;
    f.ciphertext_len = sizeof(ct);
    f.pq_ratchet = pq;
    f.pq_ratchet_len = sizeof(pq);
    f.addresses = addrs;
    ck_assert_int_eq(sc_signal_msg_encode(&out, len, &f, mk, ik_a, ik_b), 0);
    return out;
}

START_TEST(signal_message_round_trip_and_mac)
{
    uint8_t addrs[36], *buf;
    size_t len;
    sc_signal_msg m;

    memset(addrs, 0xab, sizeof(addrs));
    buf = make(&len, addrs);
    ck_assert_uint_eq(buf[0], 0x44);
    ck_assert_int_eq(sc_signal_msg_decode(&m, buf, len), 0);
    ck_assert_int_eq(memcmp(m.ratchet_key, rk, 32), 0);
    ck_assert_uint_eq(m.counter, 300);
    ck_assert_uint_eq(m.previous_counter, 5);
    ck_assert_uint_eq(m.ciphertext_len, 32);
    ck_assert_uint_eq(m.pq_ratchet_len, 4);
    ck_assert_uint_eq(m.pq_ratchet[2], 7);
    ck_assert_ptr_nonnull(m.addresses);
    ck_assert_int_eq(memcmp(m.addresses, addrs, 36), 0);
    ck_assert_int_eq(sc_signal_msg_verify_mac(&m, mk, ik_a, ik_b), 0);
    /* the MAC binds both identities and their order */
    ck_assert_int_eq(sc_signal_msg_verify_mac(&m, mk, ik_b, ik_a), SC_ERR_BAD_MAC);
    sc_signal_msg_clear(&m);
    buf[len - 1] ^= 1;
    ck_assert_int_eq(sc_signal_msg_decode(&m, buf, len), 0);
    ck_assert_int_eq(sc_signal_msg_verify_mac(&m, mk, ik_a, ik_b), SC_ERR_BAD_MAC);
    sc_signal_msg_clear(&m);
    free(buf);
}
END_TEST

START_TEST(signal_message_rejects)
{
    uint8_t *buf, bad[64];
    size_t len;
    sc_signal_msg m;

    buf = make(&len, NULL);
    buf[0] = 0x33; /* v3 */
    ck_assert_int_eq(sc_signal_msg_decode(&m, buf, len), SC_ERR_MSG_VERSION);
    buf[0] = 0x54;
    ck_assert_int_eq(sc_signal_msg_decode(&m, buf, len), SC_ERR_MSG_VERSION);
    buf[0] = 0x22;
    ck_assert_int_eq(sc_signal_msg_decode(&m, buf, len), SC_ERR_MSG_VERSION);
    buf[0] = 0x44;
    ck_assert_int_eq(sc_signal_msg_decode(&m, buf, 8), SC_ERR_MSG_FORMAT);
    ck_assert_int_eq(sc_signal_msg_decode(&m, NULL, 0), SC_ERR_MSG_FORMAT);
    /* protobuf without ratchet key */
    memset(bad, 0, sizeof(bad));
    bad[0] = 0x44;
    bad[1] = 0x10; /* counter = 1 */
    bad[2] = 0x01;
    ck_assert_int_eq(sc_signal_msg_decode(&m, bad, 3 + 8), SC_ERR_MSG_FORMAT);
    /* garbage protobuf */
    memset(bad + 1, 0xff, 20);
    ck_assert_int_eq(sc_signal_msg_decode(&m, bad, 21 + 8), SC_ERR_MSG_FORMAT);
    free(buf);
}
END_TEST

START_TEST(prekey_message_round_trip_and_kyber_required)
{
    uint8_t *inner, *buf, kct[SC_KEM_CT_LEN], base[32];
    size_t ilen, len;
    sc_prekey_msg_fields f = {0};
    sc_prekey_msg m;

    inner = make(&ilen, NULL);
    ck_assert_int_eq(ut_random(kct, sizeof(kct)), 0);
    ck_assert_int_eq(ut_random(base, 32), 0);
    f.registration_id = 4321;
    f.has_pre_key_id = 1;
    f.pre_key_id = 7;
    f.signed_pre_key_id = 1;
    f.kyber_pre_key_id = 9;
    f.kyber_ct = kct;
    f.base_key = base;
    f.identity_key = ik_a;
    f.message = inner;
    f.message_len = ilen;
    ck_assert_int_eq(sc_prekey_msg_encode(&buf, &len, &f), 0);
    ck_assert_int_eq(sc_prekey_msg_decode(&m, buf, len), 0);
    ck_assert_uint_eq(m.registration_id, 4321);
    ck_assert(m.has_pre_key_id && m.pre_key_id == 7);
    ck_assert_uint_eq(m.signed_pre_key_id, 1);
    ck_assert_uint_eq(m.kyber_pre_key_id, 9);
    ck_assert_int_eq(memcmp(m.kyber_ct, kct, sizeof(kct)), 0);
    ck_assert_int_eq(memcmp(m.base_key, base, 32), 0);
    ck_assert_int_eq(memcmp(m.identity_key, ik_a, 32), 0);
    ck_assert_uint_eq(m.message.counter, 300);
    ck_assert_int_eq(sc_signal_msg_verify_mac(&m.message, mk, ik_a, ik_b), 0);
    sc_prekey_msg_clear(&m);
    free(buf);
    /* without the Kyber pre-key id: refused like libsignal */
    {
        uint8_t raw[2048];
        size_t n = 0;
        raw[n++] = 0x44;
        raw[n++] = 0x30; raw[n++] = 1;            /* signed_pre_key_id 6 */
        raw[n++] = 0x12; raw[n++] = 33; raw[n++] = 5; memcpy(raw + n, base, 32); n += 32;
        raw[n++] = 0x1a; raw[n++] = 33; raw[n++] = 5; memcpy(raw + n, ik_a, 32); n += 32;
        raw[n++] = 0x22; raw[n++] = (uint8_t)ilen; memcpy(raw + n, inner, ilen); n += ilen;
        ck_assert_int_eq(sc_prekey_msg_decode(&m, raw, n), SC_ERR_NO_KYBER);
        raw[0] = 0x33;
        ck_assert_int_eq(sc_prekey_msg_decode(&m, raw, n), SC_ERR_MSG_VERSION);
    }
    free(inner);
}
END_TEST

START_TEST(varints)
{
    uint8_t b[10];
    uint64_t v;
    size_t n;

    n = sc_varint_put(b, 300);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(sc_varint_get(&v, b, n), 2);
    ck_assert_uint_eq(v, 300);
    ck_assert_uint_eq(sc_varint_get(&v, b, 1), 0); /* truncated */
    n = sc_varint_put(b, UINT64_MAX);
    ck_assert_uint_eq(n, 10);
    ck_assert_uint_eq(sc_varint_get(&v, b, n), 10);
    ck_assert(v == UINT64_MAX);
    b[9] = 0x02; /* 65 bits */
    ck_assert_uint_eq(sc_varint_get(&v, b, n), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sc_msg");
    TCase *tc = tcase_create("codec");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, signal_message_round_trip_and_mac);
    tcase_add_test(tc, signal_message_rejects);
    tcase_add_test(tc, prekey_message_round_trip_and_kyber_required);
    tcase_add_test(tc, varints);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
