/* test_sc_scka.c - the SPQR V1 SCKA state machine between two C parties:
 * epochs advance both ways in lockstep, with lost and reordered payloads,
 * and both sides derive the same epoch secrets; forged chunks are refused.
 * libsignal as the peer: tests/interop/spqr-interop.js. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "sc_scka.h"

typedef struct {
    uint64_t epoch;
    uint8_t key[32];
} got_secret;

typedef struct {
    got_secret v[64];
    int n;
} secrets;

static void note(secrets *s, const sc_scka_secret *x)
{
    if (x->has && s->n < 64) {
        s->v[s->n].epoch = x->epoch;
        memcpy(s->v[s->n].key, x->key, 32);
        s->n++;
    }
}

static unsigned visited; /* bit per state seen after a step */

/* The storage form round-trips in the state at hand. */
static void round_trip(sc_scka *s)
{
    static uint8_t buf[SC_SCKA_SER_MAX];
    static sc_scka t;
    size_t n = sc_scka_serialize(buf, s);

    visited |= 1u << s->state;
    ck_assert_int_eq(sc_scka_deserialize(&t, buf, n - 1), SC_ERR_RECORD);
    ck_assert_int_eq(sc_scka_deserialize(&t, buf, n), 0);
    ck_assert_uint_eq(sc_scka_serialize(buf, &t), n);
    *s = t;
}

/* One message from `from` to `to`, through the wire form. */
static void deliver(sc_scka *from, sc_scka *to, secrets *sf, secrets *st, int drop)
{
    sc_scka_msg m, d;
    sc_scka_secret x;
    uint8_t wire[64];
    uint32_t idx;
    size_t n;

    ck_assert_int_eq(sc_scka_send(from, &m, &x), 0);
    note(sf, &x);
    n = sc_scka_msg_encode(wire, &m, 7);
    ck_assert_int_eq(sc_scka_msg_decode(&d, &idx, wire, n), 0);
    ck_assert_uint_eq(idx, 7);
    ck_assert_uint_eq(d.epoch, m.epoch);
    round_trip(from);
    if (drop)
        return;
    ck_assert_int_eq(sc_scka_recv(to, &d, &x), 0);
    note(st, &x);
    round_trip(to);
}

static void check_agree(const secrets *a, const secrets *b, int min)
{
    int i, n = a->n < b->n ? a->n : b->n;

    ck_assert_int_ge(n, min);
    for (i = 0; i < n; i++) {
        ck_assert_uint_eq(a->v[i].epoch, (uint64_t)(i + 1));
        ck_assert_uint_eq(b->v[i].epoch, (uint64_t)(i + 1));
        ck_assert_mem_eq(a->v[i].key, b->v[i].key, 32);
        if (i)
            ck_assert_mem_ne(a->v[i].key, a->v[i - 1].key, 32);
    }
}

START_TEST(lockstep_epochs_advance)
{
    static sc_scka a, b;
    secrets sa = {0}, sb = {0};
    uint8_t auth[32];
    int i;

    memset(auth, 41, sizeof(auth));
    ck_assert_int_eq(sc_scka_init(&a, 1, auth), 0);
    ck_assert_int_eq(sc_scka_init(&b, 0, auth), 0);
    for (i = 0; i < 300; i++) {
        deliver(&a, &b, &sa, &sb, 0);
        deliver(&b, &a, &sb, &sa, 0);
    }
    /* an epoch takes hdr (3) + ek (36) + ct2 (5) chunks from alternating
     * sides: 300 rounds give several */
    check_agree(&sa, &sb, 4);
    ck_assert_uint_ge(a.epoch, 5);
    ck_assert_uint_ge(b.epoch, 5);
}
END_TEST

START_TEST(lossy_and_one_sided_bursts)
{
    static sc_scka a, b;
    secrets sa = {0}, sb = {0};
    uint8_t auth[32];
    int i, j;

    memset(auth, 7, sizeof(auth));
    ck_assert_int_eq(sc_scka_init(&a, 1, auth), 0);
    ck_assert_int_eq(sc_scka_init(&b, 0, auth), 0);
    srand(11);
    for (i = 0; i < 200; i++) {
        int na = 1 + rand() % 5, nb = 1 + rand() % 5;
        for (j = 0; j < na; j++)
            deliver(&a, &b, &sa, &sb, rand() % 4 == 0);
        for (j = 0; j < nb; j++)
            deliver(&b, &a, &sb, &sa, rand() % 4 == 0);
    }
    check_agree(&sa, &sb, 3);
    /* every one of the 11 states was stored and reloaded on the way */
    ck_assert_uint_eq(visited, (1u << 11) - 1);
}
END_TEST

START_TEST(forged_header_is_refused)
{
    static sc_scka a, b;
    sc_scka_msg m;
    sc_scka_secret x;
    uint8_t auth[32], other[32];
    int i, rc = 0;

    memset(auth, 1, sizeof(auth));
    memset(other, 2, sizeof(other));
    ck_assert_int_eq(sc_scka_init(&a, 1, other), 0); /* another auth key */
    ck_assert_int_eq(sc_scka_init(&b, 0, auth), 0);
    for (i = 0; i < 3 && !rc; i++) {
        ck_assert_int_eq(sc_scka_send(&a, &m, &x), 0);
        rc = sc_scka_recv(&b, &m, &x);
    }
    ck_assert_int_eq(rc, SC_ERR_SPQR);
    /* a payload from a future epoch is refused too */
    m.epoch = 5;
    ck_assert_int_eq(sc_scka_recv(&b, &m, &x), SC_ERR_SPQR);
}
END_TEST

START_TEST(wire_form)
{
    sc_scka_msg m, d;
    uint8_t wire[64];
    uint32_t idx;
    size_t n;

    memset(&m, 0, sizeof(m));
    m.epoch = 1;
    m.type = SC_SCKA_MSG_NONE;
    n = sc_scka_msg_encode(wire, &m, 2);
    ck_assert_uint_eq(n, 4);
    ck_assert_mem_eq(wire, "\x01\x01\x02\x00", 4); /* libsignal B2A (signal-crypto.md §3.2) */
    m.type = SC_SCKA_MSG_HDR;
    m.chunk_idx = 300;
    memset(m.chunk, 0xab, 32);
    n = sc_scka_msg_encode(wire, &m, 0x012c);
    ck_assert_uint_eq(n, 1 + 1 + 2 + 1 + 2 + 32);
    ck_assert_mem_eq(wire + 2, "\xac\x02", 2);
    ck_assert_int_eq(sc_scka_msg_decode(&d, &idx, wire, n), 0);
    ck_assert_uint_eq(d.chunk_idx, 300);
    ck_assert_int_eq(sc_scka_msg_decode(&d, &idx, wire, n - 1), SC_ERR_SPQR);
    wire[1] = 0; /* epoch 0 */
    ck_assert_int_eq(sc_scka_msg_decode(&d, &idx, wire, n), SC_ERR_SPQR);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sc_scka");
    TCase *tc = tcase_create("scka");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, lockstep_epochs_advance);
    tcase_add_test(tc, lossy_and_one_sided_bursts);
    tcase_add_test(tc, forged_header_is_refused);
    tcase_add_test(tc, wire_form);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
