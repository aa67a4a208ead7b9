/* test_sn_gate.c - module/signal/net/sn_gate.c: the bound on connection
 * attempts, alone and in a reconnect storm simulated on a fake clock with
 * seeded jitter (sn_backoff), so every figure is the same on every run. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sn_backoff.h"
#include "sn_gate.h"
#include "ut.h"

START_TEST(grants_up_to_the_bound_then_queues_in_order)
{
    sn_gate *g;
    sn_gate_wait w[5];
    int i;

    ck_assert_int_eq(sn_gate_new(&g, 0), UT_ERR_INVAL);
    ck_assert_int_eq(sn_gate_new(&g, 2), 0);
    for (i = 0; i < 5; i++)
        sn_gate_wait_init(&w[i], NULL, &w[i]);
    ck_assert_int_eq(sn_gate_acquire(g, &w[0]), 1);
    ck_assert_int_eq(sn_gate_acquire(g, &w[1]), 1);
    ck_assert_int_eq(sn_gate_acquire(g, &w[2]), 0);
    ck_assert_int_eq(sn_gate_acquire(g, &w[3]), 0);
    ck_assert_int_eq(sn_gate_acquire(g, &w[4]), 0);
    ck_assert_uint_eq(sn_gate_held(g), 2);
    ck_assert_uint_eq(sn_gate_queued(g), 3);
    /* asking again changes nothing */
    ck_assert_int_eq(sn_gate_acquire(g, &w[0]), 1);
    ck_assert_int_eq(sn_gate_acquire(g, &w[2]), 0);
    ck_assert_uint_eq(sn_gate_queued(g), 3);
    /* a freed slot goes to the first in line, who now holds it */
    ck_assert_ptr_eq(sn_gate_release(g, &w[0]), &w[2]);
    ck_assert_int_eq(w[2].state, SN_GATE_HELD);
    ck_assert_int_eq(w[0].state, SN_GATE_IDLE);
    ck_assert_uint_eq(sn_gate_held(g), 2);
    /* leaving the queue hands nothing on */
    ck_assert_ptr_null(sn_gate_release(g, &w[3]));
    ck_assert_int_eq(w[3].state, SN_GATE_IDLE);
    ck_assert_uint_eq(sn_gate_queued(g), 1);
    ck_assert_ptr_eq(sn_gate_release(g, &w[1]), &w[4]);
    ck_assert_ptr_null(sn_gate_release(g, &w[2]));
    ck_assert_ptr_null(sn_gate_release(g, &w[2])); /* idle: no-op */
    ck_assert_ptr_null(sn_gate_release(g, &w[4]));
    ck_assert_uint_eq(sn_gate_held(g), 0);
    ck_assert_uint_eq(sn_gate_queued(g), 0);
    ck_assert_uint_eq(sn_gate_peak(g), 2);
    /* a newcomer never overtakes the queue */
    ck_assert_int_eq(sn_gate_acquire(g, &w[0]), 1);
    ck_assert_int_eq(sn_gate_acquire(g, &w[1]), 1);
    ck_assert_int_eq(sn_gate_acquire(g, &w[2]), 0);
    ck_assert_ptr_eq(sn_gate_release(g, &w[0]), &w[2]);
    ck_assert_int_eq(sn_gate_acquire(g, &w[3]), 0);
    sn_gate_free(g);
    sn_gate_free(NULL);
}
END_TEST

static int woken[3];

static void wake(sn_gate_wait *w)
{
    woken[(int)(intptr_t)w->ud]++;
}

START_TEST(pass_wakes_the_new_holder_once)
{
    sn_gate *g;
    sn_gate_wait w[3];
    int i;

    ck_assert_int_eq(sn_gate_new(&g, 1), 0);
    for (i = 0; i < 3; i++)
        sn_gate_wait_init(&w[i], wake, (void *)(intptr_t)i);
    ck_assert_int_eq(sn_gate_acquire(g, &w[0]), 1);
    ck_assert_int_eq(sn_gate_acquire(g, &w[1]), 0);
    ck_assert_int_eq(sn_gate_acquire(g, &w[2]), 0);
    sn_gate_pass(g, &w[2]); /* leaves the queue: nobody woken */
    ck_assert_int_eq(woken[1] + woken[2], 0);
    sn_gate_pass(g, &w[0]);
    ck_assert_int_eq(woken[1], 1);
    ck_assert_int_eq(w[1].state, SN_GATE_HELD);
    sn_gate_pass(g, &w[0]); /* idle now: nothing */
    ck_assert_int_eq(woken[1], 1);
    sn_gate_pass(g, &w[1]);
    ck_assert_int_eq(woken[0] + woken[2], 0);
    ck_assert_uint_eq(sn_gate_held(g), 0);
    sn_gate_pass(NULL, &w[1]); /* no gate: nothing */
    sn_gate_free(g);
}
END_TEST

/* ---- a reconnect storm on a fake clock -------------------------------------- */

enum { N = 1000, HANDSHAKE_MS = 20 };

/* xorshift32: the seeded jitter source (sn_backoff_next_r takes the draw) */
static uint32_t rnd(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

typedef struct storm {
    uint64_t recovered_ms;   /* the last socket's websocket open */
    unsigned peak;           /* most handshakes at once */
    unsigned densest_10ms;   /* most new attempts in any 10 ms window */
} storm;

/* N sockets drop at t = 0; each waits its first backoff delay (seeded
 * jitter), then asks the gate (bound 0: none); a handshake takes
 * HANDSHAKE_MS of fake time, then the slot goes to the next in line. */
static storm run_storm(unsigned bound, uint32_t jitter_pct, uint32_t seed)
{
    static uint64_t arrive[N], done[N];
    static sn_gate_wait w[N];
    static int started[N];
    sn_gate *g = NULL;
    storm r = {0, 0, 0};
    uint32_t st = seed;
    unsigned in_hs = 0, connected = 0;
    uint64_t t;
    int i, j;

    if (bound)
        ck_assert_int_eq(sn_gate_new(&g, bound), 0);
    for (i = 0; i < N; i++) {
        sn_backoff b;

        sn_backoff_init(&b, 500, 60000, jitter_pct);
        arrive[i] = sn_backoff_next_r(&b, rnd(&st));
        done[i] = UINT64_MAX;
        started[i] = 0;
        sn_gate_wait_init(&w[i], NULL, (void *)(intptr_t)i);
    }
    for (i = 0; i < N; i++) {
        unsigned k = 0;

        for (j = 0; j < N; j++)
            k += arrive[j] >= arrive[i] && arrive[j] < arrive[i] + 10;
        if (k > r.densest_10ms)
            r.densest_10ms = k;
    }
    /* one fake millisecond at a time: finish handshakes, then arrivals */
    for (t = 0; connected < N; t++) {
        ck_assert_uint_lt(t, 3600000); /* never stuck */
        for (i = 0; i < N; i++) {
            sn_gate_wait *n;

            if (done[i] != t)
                continue;
            connected++;
            in_hs--;
            if (!g || !(n = sn_gate_release(g, &w[i])))
                continue;
            j = (int)(intptr_t)n->ud;
            started[j] = 1;
            done[j] = t + HANDSHAKE_MS;
            in_hs++;
        }
        for (i = 0; i < N; i++) {
            if (arrive[i] != t || started[i])
                continue;
            if (g && !sn_gate_acquire(g, &w[i]))
                continue; /* queued: started by a release above */
            started[i] = 1;
            done[i] = t + HANDSHAKE_MS;
            in_hs++;
        }
        if (in_hs > r.peak)
            r.peak = in_hs;
        if (connected == N)
            r.recovered_ms = t;
    }
    if (g) {
        ck_assert_uint_eq(sn_gate_peak(g), r.peak);
        ck_assert_uint_eq(sn_gate_queued(g), 0);
        ck_assert_uint_eq(sn_gate_held(g), 0);
    }
    sn_gate_free(g);
    return r;
}

START_TEST(storm_without_jitter_is_a_herd)
{
    storm r = run_storm(0, 0, 1);

    /* every socket comes back in the same millisecond */
    ck_assert_uint_eq(r.densest_10ms, N);
    ck_assert_uint_eq(r.peak, N);
}
END_TEST

START_TEST(full_jitter_spreads_the_attempts)
{
    uint32_t seed;

    for (seed = 1; seed <= 5; seed++) {
        storm r = run_storm(0, 100, seed);

        /* 1000 attempts over [0, 500] ms: about 20 per 10 ms, never a herd */
        ck_assert_uint_le(r.densest_10ms, 60);
        ck_assert_uint_le(r.recovered_ms, 500 + HANDSHAKE_MS);
    }
}
END_TEST

START_TEST(the_gate_bounds_handshakes_and_all_recover)
{
    uint32_t seed;
    storm open = run_storm(0, 100, 7), gated;

    ck_assert_uint_gt(open.peak, 16); /* what the gate is for */
    for (seed = 1; seed <= 5; seed++) {
        gated = run_storm(16, 100, seed);
        ck_assert_uint_le(gated.peak, 16);
        /* queueing costs at most N / bound handshakes in a row */
        ck_assert_uint_le(gated.recovered_ms, 500 + (N / 16 + 1) * HANDSHAKE_MS);
        ck_assert_uint_lt(gated.recovered_ms, 60000); /* issue #15's goal */
    }
    /* a bound of one still gets everybody through, one at a time */
    gated = run_storm(1, 100, 3);
    ck_assert_uint_eq(gated.peak, 1);
    ck_assert_uint_ge(gated.recovered_ms, (uint64_t)N * HANDSHAKE_MS);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sn_gate");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, grants_up_to_the_bound_then_queues_in_order);
    tcase_add_test(tc, pass_wakes_the_new_holder_once);
    tcase_add_test(tc, storm_without_jitter_is_a_herd);
    tcase_add_test(tc, full_jitter_spreads_the_attempts);
    tcase_add_test(tc, the_gate_bounds_handshakes_and_all_recover);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
