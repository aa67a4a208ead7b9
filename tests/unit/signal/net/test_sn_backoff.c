/* test_sn_backoff.c - module/signal/net/sn_backoff.c: the delay schedule. */
#include "config.h"

#include <check.h>

#include "sn_backoff.h"

START_TEST(ceiling_doubles_up_to_the_cap)
{
    sn_backoff b;
    uint32_t want[] = {500, 1000, 2000, 4000, 8000, 10000, 10000};
    size_t i;

    sn_backoff_init(&b, 500, 10000, 0);
    for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        ck_assert_uint_eq(sn_backoff_ceiling(&b), want[i]);
        /* no jitter: the delay is the ceiling */
        ck_assert_uint_eq(sn_backoff_next_r(&b, 12345), want[i]);
    }
    b.attempt = 4000000000u; /* no overflow however long it fails */
    ck_assert_uint_eq(sn_backoff_ceiling(&b), 10000);
}
END_TEST

START_TEST(jitter_stays_in_range_and_varies)
{
    sn_backoff b;
    uint32_t lo, hi, d, seen_lo = UINT32_MAX, seen_hi = 0;
    int i;

    sn_backoff_init(&b, 1000, 60000, 50);
    /* attempt 3: ceiling 8000, delay in [4000, 8000] */
    b.attempt = 3;
    lo = sn_backoff_next_r(&b, 0);
    b.attempt = 3;
    hi = sn_backoff_next_r(&b, 4000);
    ck_assert_uint_eq(lo, 4000);
    ck_assert_uint_eq(hi, 8000);
    for (i = 0; i < 200; i++) {
        b.attempt = 3;
        d = sn_backoff_next(&b);
        ck_assert_uint_ge(d, 4000);
        ck_assert_uint_le(d, 8000);
        if (d < seen_lo)
            seen_lo = d;
        if (d > seen_hi)
            seen_hi = d;
    }
    ck_assert_uint_gt(seen_hi - seen_lo, 100); /* random draws differ */
}
END_TEST

START_TEST(reset_and_defaults)
{
    sn_backoff b;

    sn_backoff_init(&b, 0, 0, 200);
    ck_assert_uint_eq(b.base_ms, 500);
    ck_assert_uint_eq(b.max_ms, 60000);
    ck_assert_uint_eq(b.jitter_pct, 100);
    (void)sn_backoff_next(&b);
    (void)sn_backoff_next(&b);
    ck_assert_uint_eq(sn_backoff_ceiling(&b), 2000);
    sn_backoff_reset(&b);
    ck_assert_uint_eq(sn_backoff_ceiling(&b), 500);
    sn_backoff_init(&b, 5000, 100, 0); /* max below base: clamps to base */
    ck_assert_uint_eq(sn_backoff_next_r(&b, 0), 5000);
    ck_assert_uint_eq(sn_backoff_next_r(&b, 0), 5000);
}
END_TEST

START_TEST(retry_after_seconds_only)
{
    uint32_t ms = 7;

    ck_assert_int_eq(sn_retry_after_ms("30", 3600000, &ms), 0);
    ck_assert_uint_eq(ms, 30000);
    ck_assert_int_eq(sn_retry_after_ms(" 0 ", 3600000, &ms), 0);
    ck_assert_uint_eq(ms, 0);
    /* capped, also far beyond 32 bits */
    ck_assert_int_eq(sn_retry_after_ms("86400", 3600000, &ms), 0);
    ck_assert_uint_eq(ms, 3600000);
    ck_assert_int_eq(sn_retry_after_ms("99999999999999999999999", 3600000, &ms), 0);
    ck_assert_uint_eq(ms, 3600000);
    /* the HTTP-date form and garbage are not read (ms unchanged) */
    ms = 7;
    ck_assert_int_eq(sn_retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT", 3600000, &ms), -1);
    ck_assert_int_eq(sn_retry_after_ms("", 3600000, &ms), -1);
    ck_assert_int_eq(sn_retry_after_ms("-5", 3600000, &ms), -1);
    ck_assert_int_eq(sn_retry_after_ms("5s", 3600000, &ms), -1);
    ck_assert_int_eq(sn_retry_after_ms(NULL, 3600000, &ms), -1);
    ck_assert_uint_eq(ms, 7);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sn_backoff");
    TCase *tc = tcase_create("backoff");

    tcase_add_test(tc, ceiling_doubles_up_to_the_cap);
    tcase_add_test(tc, jitter_stays_in_range_and_varies);
    tcase_add_test(tc, reset_and_defaults);
    tcase_add_test(tc, retry_after_seconds_only);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
