/* test_br_netfail.c - the words for failures to reach or trust Signal:
 * each names the host and what to check, never a bare code. */
#include "config.h"

#include <string.h>

#include <check.h>

#include "br_config.h"
#include "br_net.h"
#include "br_netfail.h"

static char err[512], user[1024], admin[1024];

START_TEST(each_cause_says_what_to_check)
{
    br_config c;

    ck_assert_int_eq(br_config_parse(&c, "{}", "example.org", err, sizeof(err)), 0);
    /* Signal's real servers (no signal: block): the pinned root */
    ck_assert_int_eq(br_netfail_words(&c, BR_NET_ERR_TLS, "not trusted", 1, user, sizeof(user),
                                      admin, sizeof(admin)), 0);
    ck_assert_ptr_nonnull(strstr(user, "Linking failed: I could not verify the certificate of Signal's "
                                       "server (chat.signal.org)"));
    ck_assert_ptr_nonnull(strstr(user, "proxy"));
    ck_assert_ptr_nonnull(strstr(user, "signal.ca_file"));
    ck_assert_ptr_nonnull(strstr(admin, "chat.signal.org is not trusted (not trusted)"));
    ck_assert_ptr_nonnull(strstr(admin, "signal.ca_file is not set"));
    ck_assert_int_eq(br_netfail_words(&c, BR_NET_ERR_DNS, "host name not found (DNS)", 1, user,
                                      sizeof(user), admin, sizeof(admin)), 0);
    ck_assert_ptr_nonnull(strstr(user, "(chat.signal.org) does not resolve (DNS)"));
    ck_assert_ptr_nonnull(strstr(user, "Send `link` to try again"));
    ck_assert_ptr_nonnull(strstr(admin, "cannot resolve chat.signal.org (host name not found (DNS))"));
    ck_assert_int_eq(br_netfail_words(&c, BR_NET_ERR_UNREACHABLE, "could not connect", 0, user,
                                      sizeof(user), admin, sizeof(admin)), 0);
    ck_assert_ptr_nonnull(strstr(user, "Your Signal connection is down: I could not connect"));
    ck_assert_ptr_nonnull(strstr(user, "keeps retrying"));
    ck_assert_ptr_nonnull(strstr(admin, "port 443"));
    /* other causes are worded by the caller */
    user[0] = admin[0] = 'x';
    ck_assert_int_eq(br_netfail_words(&c, BR_NET_ERR_TIMEOUT, NULL, 1, user, sizeof(user), admin,
                                      sizeof(admin)), -1);
    ck_assert_int_eq(user[0], 'x');
    br_config_free(&c);
    /* a private server with its own CA */
    ck_assert_int_eq(br_config_parse(&c, "{\"signal\":{\"server\":\"https://signal.example.org:8443/x\","
                                         "\"ca_file\":\"/etc/ca.pem\"}}", "example.org", err, sizeof(err)), 0);
    ck_assert_int_eq(br_netfail_words(&c, BR_NET_ERR_TLS, NULL, 0, user, sizeof(user), admin,
                                      sizeof(admin)), 0);
    ck_assert_ptr_nonnull(strstr(user, "the Signal server signal.example.org:8443: it is not signed"));
    ck_assert_ptr_nonnull(strstr(admin, "signal.ca_file (/etc/ca.pem)"));
    /* truncated, still terminated */
    ck_assert_int_eq(br_netfail_words(&c, BR_NET_ERR_DNS, NULL, 1, user, 8, admin, 8), 0);
    ck_assert_int_eq((int)strlen(user), 7);
    br_config_free(&c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("br_netfail");
    TCase *tc = tcase_create("words");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, each_cause_says_what_to_check);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
