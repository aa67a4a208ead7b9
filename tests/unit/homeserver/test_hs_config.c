/*
 * test_hs_config.c - Check tests for shim/homeserver/hs_config.c: a full
 * config, module config blocks converted to JSON, defaults, the shipped
 * examples/homeserver.yaml, and errors that name file, line and key.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hs_config.h"

static char path[] = "/tmp/test_hs_config_XXXXXX";

static void write_cfg(const char *text)
{
    int fd = mkstemp(path);
    FILE *f;

    ck_assert_int_ge(fd, 0);
    f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
}

static void drop_cfg(void)
{
    unlink(path);
    strcpy(path, "/tmp/test_hs_config_XXXXXX");
}

/* Load text; return 0/-1 and the error in err. */
static int load(const char *text, hs_config *c, char *err, size_t n)
{
    int rc;

    write_cfg(text);
    rc = hs_config_load(c, path, err, n);
    drop_cfg();
    return rc;
}

START_TEST(test_full)
{
    hs_config c;
    char err[512] = "";

    ck_assert_int_eq(load("server_name: ex.org\n"
                          "listen: {address: 0.0.0.0, port: 9000}\n"
                          "database: /tmp/x.db\n"
                          "media_path: /tmp/m\n"
                          "registration: {enabled: yes, shared_secret: abc}\n"
                          "unauthenticated_media: false\n"
                          "max_upload_size: 1000\n"
                          "login_rate_limit: {per_minute: 7}\n"
                          "log_level: debug\n"
                          "modules:\n"
                          "  - module: echo\n"
                          "    double_puppet: true\n"
                          "    config:\n"
                          "      localpart: bot\n"
                          "      n: 3\n"
                          "      flag: true\n"
                          "      quoted: \"42\"\n"
                          "      list: [1, a]\n"
                          "  - module: /x/y.so\n", &c, err, sizeof(err)), 0);
    ck_assert_str_eq(c.server_name, "ex.org");
    ck_assert_str_eq(c.listen_addr, "0.0.0.0");
    ck_assert_int_eq(c.port, 9000);
    ck_assert_str_eq(c.db_path, "/tmp/x.db");
    ck_assert_str_eq(c.media_path, "/tmp/m");
    ck_assert_int_eq(c.registration_enabled, 1);
    ck_assert_str_eq(c.registration_secret, "abc");
    ck_assert_int_eq(c.unauth_media, 0);
    ck_assert_uint_eq(c.max_upload, 1000);
    ck_assert_int_eq(c.login_per_minute, 7);
    ck_assert_int_eq(c.log_level, 3);
    ck_assert_uint_eq(c.nmodules, 2);
    ck_assert_str_eq(c.modules[0].module, "echo");
    ck_assert_int_eq(c.modules[0].double_puppet, 1);
    ck_assert_str_eq(c.modules[0].config_json,
                     "{\"localpart\":\"bot\",\"n\":3,\"flag\":true,\"quoted\":\"42\",\"list\":[1,\"a\"]}");
    ck_assert_str_eq(c.modules[1].config_json, "{}");
    ck_assert_int_eq(c.modules[1].double_puppet, 0);
    hs_config_free(&c);
}
END_TEST

START_TEST(test_defaults_and_example)
{
    hs_config c;
    char err[512] = "";

    ck_assert_int_eq(load("server_name: a.b\n", &c, err, sizeof(err)), 0);
    ck_assert_str_eq(c.listen_addr, "127.0.0.1");
    ck_assert_int_eq(c.port, 8008);
    ck_assert_int_eq(c.registration_enabled, 0); /* closed by default */
    ck_assert_ptr_null(c.registration_secret);
    ck_assert_int_eq(c.unauth_media, 1);
    ck_assert_uint_eq(c.nmodules, 0);
    hs_config_free(&c);

    ck_assert_int_eq(hs_config_load(&c, TOP_SRCDIR "/examples/homeserver.yaml", err, sizeof(err)), 0);
    ck_assert_str_eq(c.listen_addr, "127.0.0.1");
    ck_assert_int_eq(c.port, 8008);
    ck_assert_uint_eq(c.nmodules, 2);
    ck_assert_str_eq(c.modules[0].module, "echo");
    ck_assert_str_eq(c.modules[1].module, "signalbridge");
    ck_assert_int_eq(c.modules[1].double_puppet, 1);
    ck_assert_ptr_nonnull(strstr(c.modules[1].config_json, "https://127.0.0.1:8443"));
    hs_config_free(&c);
}
END_TEST

static void expect_error(const char *text, const char *fragment)
{
    hs_config c;
    char err[512] = "";

    ck_assert_int_eq(load(text, &c, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, fragment) != NULL, "error '%s' lacks '%s'", err, fragment);
    ck_assert_msg(strstr(err, "test_hs_config_") != NULL, "error '%s' lacks the file", err);
}

START_TEST(test_errors)
{
    expect_error("server_name: a.b\nlisten:\n  port: 70000\n", ":3: listen.port: expected an integer");
    expect_error("server_name: a.b\nlisten:\n  colour: red\n", ":3: listen: unknown key 'colour'");
    expect_error("server_name: a.b\ncolour: red\n", ":2: colour: unknown key");
    expect_error("listen: {port: 1}\n", "server_name: missing");
    expect_error("server_name: a.b\nregistration: {enabled: maybe}\n", ":2: registration.enabled: expected true or false");
    expect_error("server_name: a.b\nlog_level: loud\n", ":2: log_level: expected one of");
    expect_error("server_name: a.b\nmodules:\n  - config: {}\n", ":3: modules[].module: missing");
    expect_error("server_name: a.b\nmodules:\n  - module: x\n    extra: 1\n", ":4: extra: unknown key in modules[]");
    expect_error("server_name: a.b\nmodules:\n  - module: x\n    config: [1]\n", ":4: modules[].config: expected a mapping");
    expect_error("server_name: a.b\nlisten: [\n", "YAML syntax error");
    expect_error("server_name: a/b\n", ":1: server_name: not a valid server name");
    expect_error("", "server_name: missing");
    /* found by fuzz_hs_config: a second modules list overflowed the first */
    expect_error("server_name: a.b\nmodules:\n  - module: x\nmodules:\n  - module: y\n  - module: z\n",
                 ":4: modules: given twice");
}
END_TEST

START_TEST(test_missing_file)
{
    hs_config c;
    char err[512] = "";

    ck_assert_int_eq(hs_config_load(&c, "/nonexistent/hs.yaml", err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/hs.yaml: cannot open"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hs_config");
    TCase *t = tcase_create("load");
    SRunner *sr;
    int failed;

    tcase_add_test(t, test_full);
    tcase_add_test(t, test_defaults_and_example);
    tcase_add_test(t, test_errors);
    tcase_add_test(t, test_missing_file);
    suite_add_tcase(s, t);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
