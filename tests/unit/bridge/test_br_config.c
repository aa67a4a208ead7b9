/* test_br_config.c - bridge configuration: defaults, validation messages,
 * permissions, templates. */
#include "config.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "br_config.h"

static char err[512];

START_TEST(defaults_work_out_of_the_box)
{
    br_config c;

    ck_assert_int_eq(br_config_parse(&c, "{}", "example.org", err, sizeof(err)), 0);
    ck_assert_int_eq(c.enabled, 1);
    ck_assert_str_eq(c.bot_localpart, "signalbot");
    ck_assert_int_eq(c.max_signal_users, 100);
    ck_assert_int_eq(c.low_limit_warning, 0);
    ck_assert_int_eq(c.link_timeout_s, 60);
    ck_assert_int_eq(c.outbox_max_age_s, 86400); /* a day */
    /* the phone's history at link: on, 50 messages per chat, 30 days (#14) */
    ck_assert_int_eq(c.history_enabled, 1);
    ck_assert_int_eq(c.history_max_messages, 50);
    ck_assert_int_eq(c.history_max_age_days, 30);
    ck_assert_str_eq(c.signal_server, "https://chat.signal.org");
    ck_assert_ptr_null(c.signal_ca_file);
    ck_assert_ptr_null(c.signal_zk_params); /* the client's production default */
    ck_assert_int_eq(c.signal_connect_concurrency, 16);
    ck_assert_int_eq(br_config_permission(&c, "@alice:example.org"), BR_PERM_USER);
    ck_assert_int_eq(br_config_permission(&c, "@mallory:evil.org"), BR_PERM_NONE);
    ck_assert_int_eq(br_config_permission(&c, "not-a-user"), BR_PERM_NONE);
    br_config_free(&c);
    ck_assert_int_eq(br_config_parse(&c, NULL, "example.org", err, sizeof(err)), 0);
    br_config_free(&c);
    /* a private service's zkgroup params, for its groups server */
    ck_assert_int_eq(br_config_parse(&c, "{\"signal\":{\"server_public_params\":\"AAEC\"}}", "example.org",
                                     err, sizeof(err)), 0);
    ck_assert_str_eq(c.signal_zk_params, "AAEC");
    br_config_free(&c);
    /* 0 turns the bound on connection attempts off */
    ck_assert_int_eq(br_config_parse(&c, "{\"signal\":{\"connect_concurrency\":0}}", "example.org",
                                     err, sizeof(err)), 0);
    ck_assert_int_eq(c.signal_connect_concurrency, 0);
    br_config_free(&c);
}
END_TEST

/* The one decision every entry point asks (br_access.c): `enabled` and at
 * least `user`. */
START_TEST(may_bridge_needs_enabled_and_user)
{
    br_config c;

    ck_assert_int_eq(br_config_parse(&c,
        "{\"permissions\":{\"example.org\":\"user\",\"@eve:example.org\":\"none\","
        "\"@boss:example.org\":\"admin\"}}", "example.org", err, sizeof(err)), 0);
    ck_assert_int_eq(br_config_may_bridge(&c, "@alice:example.org"), 1);
    ck_assert_int_eq(br_config_may_bridge(&c, "@boss:example.org"), 1);
    ck_assert_int_eq(br_config_may_bridge(&c, "@eve:example.org"), 0);
    ck_assert_int_eq(br_config_may_bridge(&c, "@x:other.org"), 0); /* not in the map */
    br_config_free(&c);
    ck_assert_int_eq(br_config_parse(&c,
        "{\"enabled\":false,\"permissions\":{\"*\":\"admin\"}}", "example.org", err,
        sizeof(err)), 0);
    ck_assert_int_eq(br_config_may_bridge(&c, "@boss:example.org"), 0);
    br_config_free(&c);
}
END_TEST

START_TEST(permissions_most_specific_wins)
{
    br_config c;

    ck_assert_int_eq(br_config_parse(&c,
        "{\"permissions\":{\"*\":\"user\",\"evil.org\":\"none\","
        "\"@boss:evil.org\":\"admin\",\"@eve:example.org\":\"none\"},"
        "\"max_signal_users\":3}", "example.org", err, sizeof(err)), 0);
    ck_assert_int_eq(br_config_permission(&c, "@alice:example.org"), BR_PERM_USER);
    ck_assert_int_eq(br_config_permission(&c, "@eve:example.org"), BR_PERM_NONE);
    ck_assert_int_eq(br_config_permission(&c, "@x:evil.org"), BR_PERM_NONE);
    ck_assert_int_eq(br_config_permission(&c, "@boss:evil.org"), BR_PERM_ADMIN);
    ck_assert_int_eq(c.max_signal_users, 3);
    ck_assert_int_eq(c.low_limit_warning, 1);
    br_config_free(&c);
}
END_TEST

START_TEST(bad_options_name_the_key)
{
    static const struct {
        const char *json, *want;
    } cases[] = {
        {"{\"enable\":true}", "config.enable: unknown option"},
        {"{\"enabled\":\"yes\"}", "config.enabled: expected true or false"},
        {"{\"permissions\":{\"example.org\":\"root\"}}", "config.permissions.example.org: expected user, admin or none"},
        {"{\"permissions\":[]}", "config.permissions: expected a map"},
        {"{\"bot\":{\"localpart\":\"Signal Bot\"}}", "config.bot.localpart"},
        {"{\"bot\":{\"name\":\"x\"}}", "config.bot.name: unknown option"},
        {"{\"bot\":{\"avatar\":\"http://x/y.png\"}}", "config.bot.avatar: expected an mxc:// URI"},
        {"{\"username_template\":\"signal\"}", "config.username_template: expected a string containing {aci}"},
        {"{\"username_template\":\"{aci}\"}", "needs a prefix"},
        {"{\"username_template\":\"Sig_{aci}\"}", "'S' is not allowed"},
        {"{\"displayname_template\":\"Signal\"}", "must contain {name} or {phone}"},
        {"{\"max_signal_users\":0}", "config.max_signal_users: expected an integer from 1"},
        {"{\"max_signal_users\":\"10\"}", "config.max_signal_users"},
        {"{\"link_timeout\":5}", "config.link_timeout"},
        /* a new QR code follows each one Signal expires, up to 10 minutes */
        {"{\"link_timeout\":601}", "config.link_timeout: expected an integer from 10 to 600"},
        {"{\"outbox_max_age\":0}", "config.outbox_max_age: expected an integer from 1"},
        {"{\"history\":true}", "config.history: expected a map"},
        {"{\"history\":{\"max_messages\":0}}", "config.history.max_messages: expected an integer from 1 to 10000"},
        {"{\"history\":{\"max_age_days\":\"30\"}}", "config.history.max_age_days"},
        {"{\"history\":{\"enabled\":1}}", "config.history.enabled: expected true or false"},
        {"{\"history\":{\"days\":3}}", "config.history.days: unknown option"},
        {"{\"signal\":{\"server\":\"http://x\"}}", "config.signal.server: expected an https:// URL"},
        {"{\"signal\":{\"cert\":\"x\"}}", "config.signal.cert: unknown option"},
        {"{\"signal\":{\"connect_concurrency\":1025}}", "config.signal.connect_concurrency: expected an integer from 0"},
        {"{\"signal\":{\"connect_concurrency\":-1}}", "config.signal.connect_concurrency: expected an integer from 0"},
        {"{\"signal\":{\"server_public_params\":\"\"}}", "config.signal.server_public_params: must not be empty"},
        {"{\"signal\":{\"server_public_params\":7}}", "config.signal.server_public_params: expected a string"},
        {"{\"provisioning\":{\"shared_secret\":\"short\"}}",
         "config.provisioning.shared_secret: must be at least 16 characters"},
        {"{\"provisioning\":{\"shared_secret\":16}}", "config.provisioning.shared_secret: expected a string"},
        {"{\"provisioning\":{\"secret\":\"0123456789abcdef\"}}", "config.provisioning.secret: unknown option"},
        {"{\"provisioning\":true}", "config.provisioning: expected a map"},
        {"{\"debug\":true}", "config.debug: expected a map"},
        {"{\"debug\":{\"store_faults\":\"\"}}", "config.debug.store_faults: must not be empty"},
        {"{\"debug\":{\"faults\":\"/tmp/x\"}}", "config.debug.faults: unknown option"},
        {"{\"enabled\":true,\"enabled\":false}", "config: expected a map"},
        {"[]", "config: expected a map"},
    };
    size_t i;
    br_config c;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        err[0] = '\0';
        ck_assert_msg(br_config_parse(&c, cases[i].json, "example.org", err, sizeof(err)) == UT_ERR_INVAL,
                      "accepted %s", cases[i].json);
        ck_assert_msg(strstr(err, cases[i].want), "for %s: '%s' lacks '%s'", cases[i].json, err, cases[i].want);
    }
}
END_TEST

/* The provisioning API is off unless a secret is set (br_prov.c). */
START_TEST(provisioning_secret)
{
    br_config c;

    ck_assert_int_eq(br_config_parse(&c, "{}", "example.org", err, sizeof(err)), 0);
    ck_assert_ptr_null(c.prov_secret);
    br_config_free(&c);
    ck_assert_int_eq(br_config_parse(&c, "{\"provisioning\":{\"shared_secret\":null}}", "example.org", err,
                                     sizeof(err)), 0);
    ck_assert_ptr_null(c.prov_secret);
    br_config_free(&c);
    ck_assert_int_eq(br_config_parse(&c, "{\"provisioning\":{\"shared_secret\":\"0123456789abcdef\"}}",
                                     "example.org", err, sizeof(err)), 0);
    ck_assert_str_eq(c.prov_secret, "0123456789abcdef");
    br_config_free(&c);
}
END_TEST

/* The test-only fault injector is off unless its file is named
 * (docs/store-faults.md). */
START_TEST(debug_store_faults)
{
    br_config c;

    ck_assert_int_eq(br_config_parse(&c, "{}", "example.org", err, sizeof(err)), 0);
    ck_assert_ptr_null(c.debug_store_faults);
    br_config_free(&c);
    ck_assert_int_eq(br_config_parse(&c, "{\"debug\":{\"store_faults\":\"/tmp/f\"}}", "example.org", err,
                                     sizeof(err)), 0);
    ck_assert_str_eq(c.debug_store_faults, "/tmp/f");
    br_config_free(&c);
}
END_TEST

START_TEST(puppet_names_and_namespace)
{
    br_config c;
    char lp[128], aci[64];
    char *re, *dn;
    regex_t rx;
    const char *uuid = "6b1f7a2e-3c4d-4e5f-8a9b-0c1d2e3f4a5b";

    ck_assert_int_eq(br_config_parse(&c, "{\"username_template\":\"sig_{aci}_x\","
                                         "\"displayname_template\":\"{name} via Signal\"}",
                                     "hs", err, sizeof(err)), 0);
    ck_assert_int_eq(br_config_puppet_localpart(&c, "6B1F7A2E-3C4D-4E5F-8A9B-0C1D2E3F4A5B", lp, sizeof(lp)), 0);
    ck_assert_str_eq(lp, "sig_6b1f7a2e-3c4d-4e5f-8a9b-0c1d2e3f4a5b_x");
    ck_assert_str_eq(br_config_puppet_aci(&c, lp, aci, sizeof(aci)), uuid);
    ck_assert_ptr_null(br_config_puppet_aci(&c, "sig_nope_x", aci, sizeof(aci)));
    ck_assert_ptr_null(br_config_puppet_aci(&c, "signalbot", aci, sizeof(aci)));
    re = br_config_puppet_regex(&c);
    ck_assert_ptr_nonnull(re);
    {
        char anchored[256];
        snprintf(anchored, sizeof(anchored), "^(%s)$", re);
        ck_assert_int_eq(regcomp(&rx, anchored, REG_EXTENDED | REG_NOSUB), 0);
    }
    ck_assert_int_eq(regexec(&rx, lp, 0, NULL, 0), 0);
    ck_assert_int_ne(regexec(&rx, "sig_x_x", 0, NULL, 0), 0);
    ck_assert_int_ne(regexec(&rx, "signalbot", 0, NULL, 0), 0);
    regfree(&rx);
    free(re);
    dn = br_config_displayname(&c, "Alice", "+15551234567", NULL);
    ck_assert_str_eq(dn, "Alice via Signal");
    free(dn);
    dn = br_config_displayname(&c, NULL, "+1 555-123-4567", "9d0652a3-dcc3-4e07-9b35-2f9a1f0b1c6d");
    ck_assert_str_eq(dn, "+1 555-123-4567 via Signal");
    free(dn);
    dn = br_config_displayname(&c, "", NULL, NULL);
    ck_assert_str_eq(dn, "Signal user via Signal");
    free(dn);
    /* two contacts with neither name nor phone number stay apart */
    dn = br_config_displayname(&c, "", NULL, "9d0652a3-dcc3-4e07-9b35-2f9a1f0b1c6d");
    ck_assert_str_eq(dn, "Signal user 9d06 via Signal");
    free(dn);
    br_config_free(&c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("br_config");
    TCase *tc = tcase_create("config");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, defaults_work_out_of_the_box);
    tcase_add_test(tc, permissions_most_specific_wins);
    tcase_add_test(tc, may_bridge_needs_enabled_and_user);
    tcase_add_test(tc, bad_options_name_the_key);
    tcase_add_test(tc, puppet_names_and_namespace);
    tcase_add_test(tc, provisioning_secret);
    tcase_add_test(tc, debug_store_faults);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
