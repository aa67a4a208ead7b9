/* test_sc_senderkey.c - sender keys C to C: chain steps, out-of-order,
 * limits, signatures, record storage. libsignal interop is in
 * tests/interop/senderkey-interop.js. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "module/signal/crypto/sc_sealed.pb-c.h"
#include "sc_prim.h"
#include "sc_senderkey.h"

static const uint8_t DIST[16] = {0xd1, 0xd1, 0xd1, 0xd1, 0x70, 0x00, 0x11, 0xeb,
                                 0xb3, 0x2a, 0x33, 0xb8, 0xa8, 0xa4, 0x87, 0xa6};

typedef struct pair {
    sc_sk_record *tx, *rx;
} pair;

static pair setup(void)
{
    pair p;
    uint8_t *skdm, d[16];
    size_t n;

    ck_assert_int_eq(sc_sk_record_new(&p.tx, DIST), 0);
    ck_assert_int_eq(sc_sk_record_new(&p.rx, DIST), 0);
    ck_assert_int_eq(sc_sk_create(p.tx, &skdm, &n), 0);
    ck_assert_uint_eq(skdm[0], 0x33);
    ck_assert_int_eq(sc_sk_peek_distribution_id(skdm, n, 1, d), 0);
    ck_assert_mem_eq(d, DIST, 16);
    ck_assert_int_eq(sc_sk_process(p.rx, skdm, n), 0);
    ut_free_secret(skdm, n);
    return p;
}

static void teardown(pair *p)
{
    sc_sk_record_free(p->tx);
    sc_sk_record_free(p->rx);
}

typedef struct msg {
    uint8_t *b;
    size_t n;
} msg;

static msg enc(sc_sk_record *r, const char *text)
{
    msg m;
    ck_assert_int_eq(sc_sk_encrypt(r, (const uint8_t *)text, strlen(text), &m.b, &m.n), 0);
    return m;
}

static int dec(sc_sk_record *r, msg m, const char *want)
{
    uint8_t *pt;
    size_t n;
    int rc = sc_sk_decrypt(r, m.b, m.n, &pt, &n);

    if (rc == 0) {
        ck_assert_uint_eq(n, strlen(want));
        ck_assert_mem_eq(pt, want, n);
        ut_free_secret(pt, n);
    }
    return rc;
}

START_TEST(in_order_and_out_of_order)
{
    pair p = setup();
    msg m[6];
    char t[16];
    int i;

    for (i = 0; i < 6; i++) {
        snprintf(t, sizeof(t), "msg %d", i);
        m[i] = enc(p.tx, t);
        ck_assert_uint_eq(m[i].b[0], 0x33);
    }
    ck_assert_int_eq(dec(p.rx, m[0], "msg 0"), 0);
    ck_assert_int_eq(dec(p.rx, m[3], "msg 3"), 0);  /* skips 1, 2 */
    ck_assert_int_eq(dec(p.rx, m[2], "msg 2"), 0);
    ck_assert_int_eq(dec(p.rx, m[2], "msg 2"), SC_ERR_SK_DUPLICATE);
    ck_assert_int_eq(dec(p.rx, m[0], "msg 0"), SC_ERR_SK_DUPLICATE);
    ck_assert_int_eq(dec(p.rx, m[5], "msg 5"), 0);
    ck_assert_int_eq(dec(p.rx, m[1], "msg 1"), 0);
    ck_assert_int_eq(dec(p.rx, m[4], "msg 4"), 0);
    for (i = 0; i < 6; i++)
        free(m[i].b);
    teardown(&p);
}
END_TEST

START_TEST(tamper_and_unknown)
{
    pair p = setup();
    msg m = enc(p.tx, "payload");
    sc_sk_record *other;
    uint8_t dist2[16], *skdm;
    size_t n;

    m.b[m.n - 1] ^= 1; /* signature */
    ck_assert_int_eq(dec(p.rx, m, "payload"), SC_ERR_SK_SIGNATURE);
    m.b[m.n - 1] ^= 1;
    m.b[m.n - 70] ^= 1; /* ciphertext: covered by the signature */
    ck_assert_int_eq(dec(p.rx, m, "payload"), SC_ERR_SK_SIGNATURE);
    m.b[m.n - 70] ^= 1;
    m.b[0] = 0x23;
    ck_assert_int_eq(dec(p.rx, m, "payload"), SC_ERR_SK_VERSION);
    m.b[0] = 0x33;
    ck_assert_int_eq(sc_sk_decrypt(p.rx, m.b, 10, &skdm, &n), SC_ERR_SK_FORMAT);
    /* a failed decrypt did not advance anything */
    ck_assert_int_eq(dec(p.rx, m, "payload"), 0);
    /* a record for another distribution has no state */
    memcpy(dist2, DIST, 16);
    dist2[0] ^= 1;
    ck_assert_int_eq(sc_sk_record_new(&other, dist2), 0);
    ck_assert_int_eq(dec(other, m, "payload"), SC_ERR_SK_NO_STATE);
    /* nor does a record of the right distribution without the chain */
    sc_sk_record_free(other);
    ck_assert_int_eq(sc_sk_record_new(&other, DIST), 0);
    ck_assert_int_eq(dec(other, m, "payload"), SC_ERR_SK_NO_STATE);
    ck_assert_int_eq(sc_sk_encrypt(other, (const uint8_t *)"x", 1, &skdm, &n), SC_ERR_SK_NO_STATE);
    /* a received chain cannot encrypt */
    ck_assert_int_eq(sc_sk_encrypt(p.rx, (const uint8_t *)"x", 1, &skdm, &n), SC_ERR_SK_NOT_OURS);
    /* a distribution message for another distribution id is refused */
    sc_sk_record_free(other);
    ck_assert_int_eq(sc_sk_record_new(&other, dist2), 0);
    ck_assert_int_eq(sc_sk_create(p.tx, &skdm, &n), 0);
    ck_assert_int_eq(sc_sk_process(other, skdm, n), SC_ERR_SK_NO_STATE);
    ck_assert_int_eq(sc_sk_process(other, skdm, 20), SC_ERR_SK_FORMAT);
    skdm[0] = 0x44;
    ck_assert_int_eq(sc_sk_process(other, skdm, n), SC_ERR_SK_VERSION);
    ut_free_secret(skdm, n);
    sc_sk_record_free(other);
    free(m.b);
    teardown(&p);
}
END_TEST

/* Move our own chain forward to iteration `to` by editing the stored
 * record, deriving the chain key as the spec says (HMAC(ck, 0x02) per
 * step); much cheaper than signing thousands of messages (valgrind). */
static void advance(sc_sk_record **r, uint32_t to)
{
    ScSs__SenderKeyRecord *rec;
    uint8_t *buf, ck[32];
    size_t n, packed;
    uint32_t i;
    const uint8_t two = 2;

    ck_assert_int_eq(sc_sk_record_save(*r, &buf, &n), 0);
    rec = sc_ss__sender_key_record__unpack(NULL, n, buf);
    ck_assert_ptr_nonnull(rec);
    memcpy(ck, rec->states[0]->chain_key.data, 32);
    for (i = rec->states[0]->iteration; i < to; i++)
        ck_assert_int_eq(sc_hmac_sha256(ck, ck, 32, &two, 1), 0);
    memcpy(rec->states[0]->chain_key.data, ck, 32);
    rec->states[0]->iteration = to;
    ck_assert_uint_le(sc_ss__sender_key_record__get_packed_size(rec), n + 8);
    ut_free_secret(buf, n);
    buf = malloc(n + 8);
    packed = sc_ss__sender_key_record__pack(rec, buf);
    sc_ss__sender_key_record__free_unpacked(rec, NULL);
    sc_sk_record_free(*r);
    ck_assert_int_eq(sc_sk_record_load(r, buf, packed), 0);
    ut_free_secret(buf, n + 8);
}

START_TEST(jump_limit)
{
    pair p = setup();
    msg m;

    /* 25000 ahead is allowed, 25001 is not */
    advance(&p.tx, SC_SK_MAX_JUMP + 1);
    m = enc(p.tx, "far");
    ck_assert_int_eq(dec(p.rx, m, "far"), SC_ERR_SK_TOO_FAR);
    free(m.b);
    teardown(&p);

    p = setup();
    advance(&p.tx, SC_SK_MAX_JUMP);
    m = enc(p.tx, "edge");
    ck_assert_int_eq(dec(p.rx, m, "edge"), 0);
    free(m.b);
    teardown(&p);
}
END_TEST

START_TEST(skipped_window)
{
    pair p = setup();
    msg first, inside, outside, last;

    first = enc(p.tx, "first");       /* iteration 0 */
    advance(&p.tx, 2499 - SC_SK_MAX_SKIPPED);
    outside = enc(p.tx, "outside");   /* dropped once 2500 arrives */
    inside = enc(p.tx, "inside");     /* the oldest one kept */
    advance(&p.tx, 2500);
    last = enc(p.tx, "last");
    ck_assert_int_eq(dec(p.rx, last, "last"), 0);
    ck_assert_int_eq(dec(p.rx, first, "first"), SC_ERR_SK_DUPLICATE);
    ck_assert_int_eq(dec(p.rx, outside, "outside"), SC_ERR_SK_DUPLICATE);
    ck_assert_int_eq(dec(p.rx, inside, "inside"), 0);
    free(first.b);
    free(outside.b);
    free(inside.b);
    free(last.b);
    teardown(&p);
}
END_TEST

START_TEST(record_round_trip)
{
    pair p = setup();
    msg a = enc(p.tx, "a"), b = enc(p.tx, "b"), c = enc(p.tx, "c");
    uint8_t *buf;
    size_t n;
    sc_sk_record *r2;

    ck_assert_int_eq(dec(p.rx, b, "b"), 0); /* a is now a skipped key */
    ck_assert_int_eq(sc_sk_record_save(p.rx, &buf, &n), 0);
    sc_sk_record_free(p.rx);
    ck_assert_int_eq(sc_sk_record_load(&p.rx, buf, n), 0);
    ck_assert_mem_eq(sc_sk_record_distribution_id(p.rx), DIST, 16);
    ck_assert_int_eq(dec(p.rx, a, "a"), 0);
    ck_assert_int_eq(dec(p.rx, c, "c"), 0);
    ck_assert_int_eq(dec(p.rx, b, "b"), SC_ERR_SK_DUPLICATE);
    ck_assert_int_eq(sc_sk_record_load(&r2, buf, n / 2), SC_ERR_SK_RECORD);
    buf[1] = 2; /* version field (0x08 0x01) -> 2: unknown */
    ck_assert_uint_eq(buf[0], 0x08);
    ck_assert_int_eq(sc_sk_record_load(&r2, buf, n), SC_ERR_SK_RECORD);
    ut_free_secret(buf, n);
    /* the sender's record keeps its signing key across a save */
    ck_assert_int_eq(sc_sk_record_save(p.tx, &buf, &n), 0);
    sc_sk_record_free(p.tx);
    ck_assert_int_eq(sc_sk_record_load(&p.tx, buf, n), 0);
    ut_free_secret(buf, n);
    msg d = enc(p.tx, "d");
    ck_assert_int_eq(dec(p.rx, d, "d"), 0);
    free(a.b);
    free(b.b);
    free(c.b);
    free(d.b);
    teardown(&p);
}
END_TEST

START_TEST(state_limit_and_reprocess)
{
    sc_sk_record *rx, *tx[SC_SK_MAX_STATES + 1];
    uint8_t *skdm;
    size_t n;
    msg m0, m1;
    int i;

    ck_assert_int_eq(sc_sk_record_new(&rx, DIST), 0);
    for (i = 0; i <= SC_SK_MAX_STATES; i++) {
        ck_assert_int_eq(sc_sk_record_new(&tx[i], DIST), 0);
        ck_assert_int_eq(sc_sk_create(tx[i], &skdm, &n), 0);
        ck_assert_int_eq(sc_sk_process(rx, skdm, n), 0);
        ut_free_secret(skdm, n);
    }
    ck_assert_uint_eq(sc_sk_record_count(rx), SC_SK_MAX_STATES);
    m0 = enc(tx[0], "oldest");
    m1 = enc(tx[SC_SK_MAX_STATES], "newest");
    ck_assert_int_eq(dec(rx, m0, "oldest"), SC_ERR_SK_NO_STATE);
    ck_assert_int_eq(dec(rx, m1, "newest"), 0);
    /* the same distribution message again keeps the chain's progress */
    ck_assert_int_eq(sc_sk_create(tx[SC_SK_MAX_STATES], &skdm, &n), 0);
    ck_assert_int_eq(sc_sk_process(rx, skdm, n), 0);
    ut_free_secret(skdm, n);
    ck_assert_int_eq(dec(rx, m1, "newest"), SC_ERR_SK_DUPLICATE);
    free(m0.b);
    free(m1.b);
    for (i = 0; i <= SC_SK_MAX_STATES; i++)
        sc_sk_record_free(tx[i]);
    sc_sk_record_free(rx);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sc_senderkey");
    TCase *tc = tcase_create("all");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, in_order_and_out_of_order);
    tcase_add_test(tc, tamper_and_unknown);
    tcase_add_test(tc, jump_limit);
    tcase_add_test(tc, skipped_window);
    tcase_add_test(tc, record_round_trip);
    tcase_add_test(tc, state_limit_and_reprocess);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
