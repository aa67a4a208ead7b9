/* test_sn_hdr.c - module/signal/net/sn_hdr.c: header lists and parsing. */
#include "config.h"

#include <string.h>

#include <check.h>

#include "sn_err.h"
#include "sn_hdr.h"

START_TEST(parse_splits_on_first_colon_trims_and_lowercases)
{
    sn_hdrs h;

    sn_hdrs_init(&h, 0);
    ck_assert_int_eq(sn_hdr_parse_line(&h, "X-Signal-Timestamp:1700000000000", 32), 0);
    ck_assert_int_eq(sn_hdr_parse_line(&h, "  Content-Type :  application/json ", 35), 0);
    ck_assert_int_eq(sn_hdr_parse_line(&h, "authorization:Basic a:b", 23), 0);
    ck_assert_int_eq(sn_hdr_parse_line(&h, "empty:", 6), 0);
    ck_assert_uint_eq(h.n, 4);
    ck_assert_str_eq(h.v[0].name, "x-signal-timestamp");
    ck_assert_str_eq(h.v[0].value, "1700000000000");
    ck_assert_str_eq(h.v[1].name, "content-type");
    ck_assert_str_eq(h.v[1].value, "application/json");
    ck_assert_str_eq(sn_hdrs_get(&h, "Authorization"), "Basic a:b");
    ck_assert_str_eq(sn_hdrs_get(&h, "empty"), "");
    ck_assert_ptr_null(sn_hdrs_get(&h, "missing"));
    sn_hdrs_free(&h);
    ck_assert_uint_eq(h.n, 0);
}
END_TEST

START_TEST(parse_rejects_malformed_lines)
{
    sn_hdrs h;

    sn_hdrs_init(&h, 0);
    ck_assert_int_eq(sn_hdr_parse_line(&h, "no colon here", 13), SN_ERR_HEADER);
    ck_assert_int_eq(sn_hdr_parse_line(&h, "  :value", 8), SN_ERR_HEADER);
    ck_assert_int_eq(sn_hdr_parse_line(&h, "a\nb:c", 5), SN_ERR_HEADER);
    ck_assert_int_eq(sn_hdr_parse_line(&h, "a:b\r\nc", 6), SN_ERR_HEADER);
    ck_assert_int_eq(sn_hdr_parse_line(&h, "a:b\0c", 5), SN_ERR_HEADER);
    ck_assert_int_eq(sn_hdr_parse_line(&h, "", 0), SN_ERR_HEADER);
    ck_assert_uint_eq(h.n, 0);
    sn_hdrs_free(&h);
}
END_TEST

START_TEST(list_enforces_its_byte_cap)
{
    sn_hdrs h;
    char big[64];
    int i, rc = 0;

    memset(big, 'v', sizeof(big));
    sn_hdrs_init(&h, 200);
    for (i = 0; i < 10 && rc == 0; i++)
        rc = sn_hdrs_add(&h, "name", 4, big, sizeof(big));
    ck_assert_int_eq(rc, SN_ERR_TOO_BIG);
    ck_assert_uint_eq(h.n, 2); /* 2 * 68 = 136 fits, 204 does not */
    ck_assert_uint_le(h.bytes, 200);
    sn_hdrs_free(&h);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sn_hdr");
    TCase *tc = tcase_create("hdr");

    tcase_add_test(tc, parse_splits_on_first_colon_trims_and_lowercases);
    tcase_add_test(tc, parse_rejects_malformed_lines);
    tcase_add_test(tc, list_enforces_its_byte_cap);
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
