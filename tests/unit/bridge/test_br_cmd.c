/* test_br_cmd.c - bot commands and phone numbers. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "br_cmd.h"

START_TEST(commands_parse)
{
    br_cmd c;

    br_cmd_parse(&c, "link");
    ck_assert_int_eq(c.kind, BR_CMD_LINK);
    br_cmd_parse(&c, "  !signal   PM  +1 555 123 4567  \nsecond line");
    ck_assert_int_eq(c.kind, BR_CMD_PM);
    ck_assert_str_eq(c.word, "pm");
    ck_assert_str_eq(c.arg, "+1 555 123 4567");
    br_cmd_parse(&c, "Help me");
    ck_assert_int_eq(c.kind, BR_CMD_HELP);
    br_cmd_parse(&c, "hello there");
    ck_assert_int_eq(c.kind, BR_CMD_UNKNOWN);
    ck_assert_str_eq(c.word, "hello");
    br_cmd_parse(&c, "   ");
    ck_assert_int_eq(c.kind, BR_CMD_NONE);
    br_cmd_parse(&c, NULL);
    ck_assert_int_eq(c.kind, BR_CMD_NONE);
    br_cmd_parse(&c, "!signalling");
    ck_assert_int_eq(c.kind, BR_CMD_UNKNOWN);
    br_cmd_parse(&c, "linkxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    ck_assert_int_eq(c.kind, BR_CMD_UNKNOWN);
    br_cmd_parse(&c, "usage");
    ck_assert_int_eq(c.kind, BR_CMD_USAGE);
    ck_assert_ptr_nonnull(strstr(br_cmd_help(1), "usage"));
    ck_assert_ptr_null(strstr(br_cmd_help(0), "usage"));
    ck_assert_ptr_nonnull(strstr(br_cmd_help(0), "Linked devices"));
}
END_TEST

START_TEST(notices_as_html)
{
    char *h;

    h = br_cmd_html("Send `link` <now> & \"then\"\nwait");
    ck_assert_str_eq(h, "Send <code>link</code> &lt;now&gt; &amp; &quot;then&quot;<br/>wait");
    free(h);
    /* a lone backtick, or one whose partner is on the next line, stays */
    h = br_cmd_html("a ` b\nc `e` d `");
    ck_assert_str_eq(h, "a ` b<br/>c <code>e</code> d `");
    free(h);
    h = br_cmd_html("");
    ck_assert_str_eq(h, "");
    free(h);
    h = br_cmd_html(NULL);
    ck_assert_str_eq(h, "");
    free(h);
    ck_assert_ptr_nonnull(strstr(br_cmd_help_html(1), "<td><code>usage</code></td>"));
    ck_assert_ptr_null(strstr(br_cmd_help_html(0), "usage"));
    ck_assert_ptr_nonnull(strstr(br_cmd_help_html(0), "<table>"));
}
END_TEST

START_TEST(phone_numbers_normalize)
{
    char out[20], err[160];

    ck_assert_int_eq(br_phone_normalize("+1 (555) 123-4567", out, sizeof(out), err, sizeof(err)), 0);
    ck_assert_str_eq(out, "+15551234567");
    ck_assert_int_eq(br_phone_normalize("0044 20 7946 0958", out, sizeof(out), err, sizeof(err)), 0);
    ck_assert_str_eq(out, "+442079460958");
    ck_assert_int_eq(br_phone_normalize("5551234567", out, sizeof(out), err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "start with +"));
    ck_assert_int_eq(br_phone_normalize("+1 555 CALL NOW", out, sizeof(out), err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "'C'"));
    ck_assert_int_eq(br_phone_normalize("+123", out, sizeof(out), err, sizeof(err)), -1);
    ck_assert_int_eq(br_phone_normalize("+1234567890123456", out, sizeof(out), err, sizeof(err)), -1);
    ck_assert_int_eq(br_phone_normalize("+0123456789", out, sizeof(out), err, sizeof(err)), -1);
    ck_assert_int_eq(br_phone_normalize("", out, sizeof(out), err, sizeof(err)), -1);
}
END_TEST

START_TEST(phone_numbers_format_for_humans)
{
    char out[32];

    br_phone_format("+15555555555", out, sizeof(out));
    ck_assert_str_eq(out, "+1 555-555-5555");
    br_phone_format("+442079460958", out, sizeof(out));
    ck_assert_str_eq(out, "+44 207 946 0958");
    br_phone_format("+4915123456789", out, sizeof(out));
    ck_assert_str_eq(out, "+49 151 234 567 89");
    br_phone_format("+3541234567", out, sizeof(out));
    ck_assert_str_eq(out, "+354 123 4567");
    br_phone_format("junk", out, sizeof(out));
    ck_assert_str_eq(out, "junk");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("br_cmd");
    TCase *tc = tcase_create("cmd");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, commands_parse);
    tcase_add_test(tc, notices_as_html);
    tcase_add_test(tc, phone_numbers_normalize);
    tcase_add_test(tc, phone_numbers_format_for_humans);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
