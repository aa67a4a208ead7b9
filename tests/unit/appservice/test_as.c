/*
 * test_as.c - Check tests for mxm-appservice's pure parts:
 *   - the registration writer: every field the AS API and Synapse read,
 *     namespaces as anchored full-ID regexes with the server's dots
 *     escaped, tokens round-tripping through as_reg_load, mode 0600, and
 *     the file parsing back as YAML with the expected values;
 *   - appservice.yaml: defaults, and clear errors for unknown keys and a
 *     non-http homeserver URL;
 *   - transaction idempotency: a txnId recorded as done is still seen
 *     after the store is closed and reopened (a restart of the shim).
 */
#include "config.h"

#include <check.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "as.h"

static char dir[256];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/test_as.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static const char *cfg_yaml =
    "homeserver: {url: 'http://127.0.0.1:8008', server_name: example.org}\n"
    "appservice:\n"
    "  id: signal\n"
    "  listen: {address: 127.0.0.1, port: 29328}\n"
    "module: {module: echo, config: {localpart: echo, delay_ms: 5}}\n";

static void load_cfg(as_config *c, const char *text)
{
    char err[512];
    json_t *j = as_yaml_buf("t.yaml", (const unsigned char *)text, strlen(text), err, sizeof(err));
    ck_assert_msg(j != NULL, "%s", err);
    ck_assert_msg(as_config_from_json(c, "t.yaml", j, err, sizeof(err)) == 0, "%s", err);
    json_decref(j);
}

START_TEST(test_config_defaults)
{
    as_config c;

    load_cfg(&c, cfg_yaml);
    ck_assert_str_eq(c.hs_url, "http://127.0.0.1:8008");
    ck_assert_str_eq(c.server_name, "example.org");
    ck_assert_str_eq(c.sender_localpart, "signal_bot");
    ck_assert_str_eq(c.public_url, "http://127.0.0.1:29328");
    ck_assert_str_eq(c.registration, "signal-registration.yaml");
    ck_assert_str_eq(c.module, "echo");
    ck_assert_str_eq(c.module_config, "{\"localpart\":\"echo\",\"delay_ms\":5}");
    as_config_free(&c);
}
END_TEST

START_TEST(test_config_errors)
{
    static const char *const bad[][2] = {
        {"homeserver: {url: 'http://h', server_name: x}\nappservice: {id: a}\n"
         "module: {module: echo}\nmodlue: 1\n", "modlue: unknown key"},
        {"homeserver: {url: 'ftp://h', server_name: x}\nappservice: {id: a}\n"
         "module: {module: echo}\n", "homeserver.url: expected an http:// or https:// URL"},
        {"homeserver: {url: 'https://h', server_name: x, ca_file: [1]}\nappservice: {id: a}\n"
         "module: {module: echo}\n", "homeserver.ca_file"},
        {"homeserver: {url: 'http://h', server_name: x}\nappservice: {id: a, listen: {port: 70000}}\n"
         "module: {module: echo}\n", "appservice.listen.port"},
        {"homeserver: {url: 'http://h', server_name: x}\nappservice: {id: a}\n", "module"},
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        as_config c;
        char err[512] = "";
        json_t *j = as_yaml_buf("t.yaml", (const unsigned char *)bad[i][0], strlen(bad[i][0]),
                                err, sizeof(err));
        ck_assert_ptr_nonnull(j);
        ck_assert_int_ne(as_config_from_json(&c, "t.yaml", j, err, sizeof(err)), 0);
        ck_assert_msg(strstr(err, bad[i][1]) != NULL, "case %zu: %s", i, err);
        json_decref(j);
    }
}
END_TEST

static int matches(const char *re, const char *s)
{
    regex_t r;
    int ok;

    ck_assert_int_eq(regcomp(&r, re, REG_EXTENDED | REG_NOSUB), 0);
    ok = regexec(&r, s, 0, NULL, 0) == 0;
    regfree(&r);
    return ok;
}

START_TEST(test_registration)
{
    static const char *const users[] = {"signal_.*", "a|b", NULL};
    static const char *const aliases[] = {"signal_.*", NULL};
    char path[300], err[512], ast[65], hst[65];
    as_config c;
    as_reg r;
    struct stat st;
    json_t *j, *ns;
    char *text;

    load_cfg(&c, cfg_yaml);
    ck_assert_int_eq(as_token_new(ast), 0);
    ck_assert_int_eq(as_token_new(hst), 0);
    ck_assert_int_eq(strlen(ast), 64);
    ck_assert_str_ne(ast, hst);
    text = as_reg_render(&c, users, aliases, ast, hst);
    ck_assert_ptr_nonnull(text);
    snprintf(path, sizeof(path), "%s/reg.yaml", dir);
    ck_assert_int_eq(as_reg_write(path, text, err, sizeof(err)), 0);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);

    ck_assert_int_eq(as_reg_load(&r, path, err, sizeof(err)), 0);
    ck_assert_str_eq(r.id, "signal");
    ck_assert_str_eq(r.url, "http://127.0.0.1:29328");
    ck_assert_str_eq(r.as_token, ast);
    ck_assert_str_eq(r.hs_token, hst);
    ck_assert_str_eq(r.sender_localpart, "signal_bot");
    as_reg_free(&r);

    j = as_yaml_file(path, err, sizeof(err));
    ck_assert_ptr_nonnull(j);
    ck_assert(json_is_false(json_object_get(j, "rate_limited")));
    ck_assert(json_is_true(json_object_get(j, "receive_ephemeral")));
    ck_assert(json_is_true(json_object_get(j, "de.sorunome.msc2409.push_ephemeral")));
    ns = json_object_get(j, "namespaces");
    ck_assert_int_eq(json_array_size(json_object_get(ns, "rooms")), 0);
    ck_assert_int_eq(json_array_size(json_object_get(ns, "users")), 3); /* sender + 2 */
    ck_assert_int_eq(json_array_size(json_object_get(ns, "aliases")), 1);
    {
        json_t *u0 = json_array_get(json_object_get(ns, "users"), 0);
        json_t *u1 = json_array_get(json_object_get(ns, "users"), 1);
        json_t *u2 = json_array_get(json_object_get(ns, "users"), 2);
        json_t *a0 = json_array_get(json_object_get(ns, "aliases"), 0);
        ck_assert(json_is_true(json_object_get(u1, "exclusive")));
        ck_assert_str_eq(json_string_value(json_object_get(u1, "regex")),
                         "^@(signal_.*):example\\.org$");
        ck_assert(matches(json_string_value(json_object_get(u0, "regex")), "@signal_bot:example.org"));
        ck_assert(!matches(json_string_value(json_object_get(u1, "regex")), "@signal_x:exampleXorg"));
        ck_assert(!matches(json_string_value(json_object_get(u1, "regex")), "@signal_x:example.org.evil"));
        ck_assert(matches(json_string_value(json_object_get(u2, "regex")), "@b:example.org"));
        ck_assert(!matches(json_string_value(json_object_get(u2, "regex")), "@ab:example.org"));
        ck_assert(matches(json_string_value(json_object_get(a0, "regex")), "#signal_g1:example.org"));
    }
    json_decref(j);
    free(text);
    as_config_free(&c);
}
END_TEST

START_TEST(test_registration_quotes)
{
    static const char *const users[] = {"it's_.*", NULL};
    char path[300], err[512];
    as_config c;
    json_t *j;
    char *text;

    load_cfg(&c, cfg_yaml);
    text = as_reg_render(&c, users, NULL, "a'b", "c");
    snprintf(path, sizeof(path), "%s/q.yaml", dir);
    ck_assert_int_eq(as_reg_write(path, text, err, sizeof(err)), 0);
    j = as_yaml_file(path, err, sizeof(err));
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(json_object_get(j, "as_token")), "a'b");
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(json_object_get(j, "namespaces"), "users"), 1),
                         "regex")),
                     "^@(it's_.*):example\\.org$");
    json_decref(j);
    free(text);
    as_config_free(&c);
}
END_TEST

START_TEST(test_txn_idempotent_across_restart)
{
    char path[300], err[512];
    as_txn *t;

    snprintf(path, sizeof(path), "%s/as.db", dir);
    ck_assert_int_eq(as_txn_open(&t, path, err, sizeof(err)), 0);
    ck_assert_int_eq(as_txn_seen(t, "txn1"), 0);
    ck_assert_int_eq(as_txn_done(t, "txn1"), 0);
    ck_assert_int_eq(as_txn_seen(t, "txn1"), 1);
    ck_assert_int_eq(as_txn_done(t, "txn1"), 0); /* recording twice is harmless */
    ck_assert_int_eq(as_txn_seen(t, "txn2"), 0);
    as_txn_close(t);
    ck_assert_int_eq(as_txn_open(&t, path, err, sizeof(err)), 0);
    ck_assert_int_eq(as_txn_seen(t, "txn1"), 1);
    ck_assert_int_eq(as_txn_seen(t, "txn2"), 0);
    as_txn_close(t);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("appservice");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_config_defaults);
    tcase_add_test(tc, test_config_errors);
    tcase_add_test(tc, test_registration);
    tcase_add_test(tc, test_registration_quotes);
    tcase_add_test(tc, test_txn_idempotent_across_restart);
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
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
