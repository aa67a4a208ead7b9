/* test_ut.c - module/common: capped buffers, secrets, errors, randomness. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ut.h"

START_TEST(buf_grows_up_to_its_cap_and_no_further)
{
    ut_buf b;
    uint8_t *p;
    size_t n;

    ut_buf_init(&b, 10);
    ck_assert_int_eq(ut_buf_append(&b, "hello", 5), 0);
    ck_assert_int_eq(ut_buf_printf(&b, "%d", 1234), 0);
    ck_assert_uint_eq(b.len, 9);
    ck_assert_int_eq(ut_buf_nul(&b), 0);
    ck_assert_str_eq((char *)b.data, "hello1234");
    /* one byte fits, two do not: the buffer is freed on overflow */
    ck_assert_int_eq(ut_buf_append(&b, "!", 1), 0);
    ck_assert_int_eq(ut_buf_append(&b, "!", 1), UT_ERR_RANGE);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_int_eq(ut_buf_printf(&b, "%s", "01234567890"), UT_ERR_RANGE);
    ck_assert_int_eq(ut_buf_append_str(&b, "abc"), 0);
    p = ut_buf_take(&b, &n);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(memcmp(p, "abc", 3), 0);
    ck_assert_ptr_null(b.data);
    free(p);
    ut_buf_free(&b);
    ut_buf_free(&b); /* twice is fine */
}
END_TEST

START_TEST(secrets_compare_and_wipe)
{
    uint8_t a[32], b[32], z[32] = {0};
    ut_buf s;

    ck_assert_int_eq(ut_random(a, sizeof(a)), 0);
    memcpy(b, a, sizeof(a));
    ck_assert_int_eq(ut_ct_eq(a, b, sizeof(a)), 1);
    b[31] ^= 1;
    ck_assert_int_eq(ut_ct_eq(a, b, sizeof(a)), 0);
    ut_wipe(a, sizeof(a));
    ck_assert_int_eq(memcmp(a, z, sizeof(a)), 0);
    ut_buf_init(&s, 64);
    ck_assert_int_eq(ut_buf_append(&s, b, sizeof(b)), 0);
    ut_buf_free_secret(&s);
    ck_assert_ptr_null(s.data);
    ut_free_secret(NULL, 5);
}
END_TEST

static int lines;
static char last[64];
static void sink(void *ctx, int level, const char *msg)
{
    (void)ctx;
    (void)level;
    lines++;
    strncpy(last, msg, sizeof(last) - 1);
}

START_TEST(log_levels_filter_and_errors_have_text)
{
    ut_log log = {sink, NULL, UT_LOG_INFO};

    lines = 0;
    ut_logf(&log, UT_LOG_DEBUG, "dropped");
    ut_logf(&log, UT_LOG_WARN, "kept %d", 7);
    ut_logf(NULL, UT_LOG_ERROR, "nowhere");
    ck_assert_int_eq(lines, 1);
    ck_assert_str_eq(last, "kept 7");
    ck_assert_str_eq(ut_strerror(UT_ERR_RANGE), "value or size over its limit");
    ck_assert_str_eq(ut_strerror(-4242), "unknown error");
    ck_assert(ut_now_mono_ms() > 0);
    ck_assert(ut_now_ms() > 1700000000000LL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ut");
    TCase *tc = tcase_create("ut");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, buf_grows_up_to_its_cap_and_no_further);
    tcase_add_test(tc, secrets_compare_and_wipe);
    tcase_add_test(tc, log_levels_filter_and_errors_have_text);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
