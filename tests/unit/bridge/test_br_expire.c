/* test_br_expire.c - the durations of `!signal disappearing` and their
 * words in notices (br_expire.h): units, "off", bad input, the cap. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "br_expire.h"

START_TEST(test_parse_units)
{
    uint32_t s = 1;

    ck_assert_int_eq(br_expire_parse("30s", &s), 0);
    ck_assert_uint_eq(s, 30);
    ck_assert_int_eq(br_expire_parse(" 90", &s), 0);
    ck_assert_uint_eq(s, 90);
    ck_assert_int_eq(br_expire_parse("10m", &s), 0);
    ck_assert_uint_eq(s, 600);
    ck_assert_int_eq(br_expire_parse("8H", &s), 0);
    ck_assert_uint_eq(s, 28800);
    ck_assert_int_eq(br_expire_parse(" 1d ", &s), 0);
    ck_assert_uint_eq(s, 86400);
    ck_assert_int_eq(br_expire_parse("2w", &s), 0);
    ck_assert_uint_eq(s, 1209600);
    ck_assert_int_eq(br_expire_parse("off", &s), 0);
    ck_assert_uint_eq(s, 0);
    ck_assert_int_eq(br_expire_parse("365d", &s), 0);
}
END_TEST

START_TEST(test_parse_bad)
{
    uint32_t s;

    ck_assert_int_eq(br_expire_parse(NULL, &s), -1);
    ck_assert_int_eq(br_expire_parse("", &s), -1);
    ck_assert_int_eq(br_expire_parse("soon", &s), -1);
    ck_assert_int_eq(br_expire_parse("1x", &s), -1);
    ck_assert_int_eq(br_expire_parse("1d2h", &s), -1);
    ck_assert_int_eq(br_expire_parse("-5s", &s), -1);
    ck_assert_int_eq(br_expire_parse("366d", &s), -1);
    ck_assert_int_eq(br_expire_parse("99999999999999999999", &s), -1);
    ck_assert_int_eq(br_expire_parse("offish", &s), -1);
}
END_TEST

START_TEST(test_words)
{
    char w[48];

    br_expire_words(1, w, sizeof(w));
    ck_assert_str_eq(w, "1 second");
    br_expire_words(3, w, sizeof(w));
    ck_assert_str_eq(w, "3 seconds");
    br_expire_words(86400, w, sizeof(w));
    ck_assert_str_eq(w, "1 day");
    br_expire_words(1209600, w, sizeof(w));
    ck_assert_str_eq(w, "2 weeks");
    br_expire_words(5400, w, sizeof(w));
    ck_assert_str_eq(w, "90 minutes");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("br_expire");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_parse_units);
    tcase_add_test(tc, test_parse_bad);
    tcase_add_test(tc, test_words);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
