/*
 * test_host_load.c - libmxmhost loader: every refusal, the lifecycle,
 * namespaces and HTTP routes, using modules built by the test suite.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>

#include "mxmhost.h"

#ifndef TESTMOD_DIR
#error TESTMOD_DIR must name the directory of the test modules
#endif

typedef struct fixture {
    struct event_base *base;
    host *h;
    char dir[256];
    char err[1024];
    /* last HTTP response a module gave */
    int status;
    char body[1024];
    int responses;
} fixture;

static fixture F;

static int respond(void *ctx, uint64_t reply_id, int status,
                   const char *content_type, const void *body, size_t len)
{
    fixture *f = ctx;

    (void)reply_id;
    (void)content_type;
    f->status = status;
    snprintf(f->body, sizeof(f->body), "%.*s", (int)len, (const char *)body);
    f->responses++;
    return 0;
}

static void quiet_log(void *ctx, int level, const char *module, const char *msg)
{
    (void)ctx;
    (void)level;
    (void)module;
    (void)msg;
}

static void setup(void)
{
    host_matrix_ops ops = {0};
    char tmpl[] = "/tmp/mxmhost-test-XXXXXX";

    memset(&F, 0, sizeof(F));
    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    snprintf(F.dir, sizeof(F.dir), "%s", tmpl);
    F.base = event_base_new();
    ck_assert_ptr_nonnull(F.base);
    ops.ctx = &F;
    ops.http_respond = respond;
    ck_assert_int_eq(host_new(&F.h, F.base, "example.org", F.dir, &ops,
                              quiet_log, NULL, F.err, sizeof(F.err)),
                     0);
}

static void teardown(void)
{
    char cmd[300];

    host_free(F.h);
    event_base_free(F.base);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", F.dir);
    ck_assert_int_eq(system(cmd), 0);
}

static const char *mod(const char *name)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/%s.so", TESTMOD_DIR, name);
    return path;
}

/* Loading `name` must fail with a message containing every `want`. */
static void refused(const char *name, const char *want1, const char *want2)
{
    host_module *m = (host_module *)1;
    int rc = host_load(F.h, mod(name), "{}", &m, F.err, sizeof(F.err));

    ck_assert_int_ne(rc, 0);
    ck_assert_ptr_null(m);
    ck_assert_uint_eq(host_module_count(F.h), 0);
    ck_assert_msg(strstr(F.err, want1), "'%s' lacks '%s'", F.err, want1);
    if (want2)
        ck_assert_msg(strstr(F.err, want2), "'%s' lacks '%s'", F.err, want2);
    /* Every refusal names the file. */
    ck_assert_msg(strstr(F.err, name), "'%s' does not name %s", F.err, name);
}

START_TEST(refuse_missing_file)
{
    ck_assert_int_ne(host_load(F.h, "/nonexistent/x.so", NULL, NULL, F.err,
                               sizeof(F.err)),
                     0);
    ck_assert_ptr_nonnull(strstr(F.err, "not found"));
    ck_assert_int_ne(host_load(F.h, "no_such_module_name", NULL, NULL, F.err,
                               sizeof(F.err)),
                     0);
    ck_assert_ptr_nonnull(strstr(F.err, "no_such_module_name"));
}
END_TEST

START_TEST(refuse_not_a_shared_object)
{
    char p[300];
    FILE *fp;

    snprintf(p, sizeof(p), "%s/junk.so", F.dir);
    fp = fopen(p, "w");
    ck_assert_ptr_nonnull(fp);
    fputs("this is not ELF\n", fp);
    fclose(fp);
    ck_assert_int_ne(host_load(F.h, p, NULL, NULL, F.err, sizeof(F.err)), 0);
    ck_assert_ptr_nonnull(strstr(F.err, "cannot load"));
}
END_TEST

START_TEST(refuse_no_descriptor) { refused("tm_nodesc", "no 'mxm_module_descriptor'", NULL); }
END_TEST
START_TEST(refuse_bad_magic) { refused("tm_badmagic", "bad descriptor magic", NULL); }
END_TEST
START_TEST(refuse_major) { refused("tm_major2", "ABI 2.0", "host's ABI 1."); }
END_TEST
START_TEST(refuse_newer_minor) { refused("tm_minor_newer", "newer than this host", NULL); }
END_TEST
START_TEST(refuse_ptr_size) { refused("tm_ptrsize", "pointers", NULL); }
END_TEST
START_TEST(refuse_no_init) { refused("tm_noinit", "no entry point 'mxm_module_init'", NULL); }
END_TEST
START_TEST(refuse_init_failure)
{
    refused("tm_initfail", "failed to initialise", "the frobnicator setting is missing");
}
END_TEST
START_TEST(refuse_small_table) { refused("tm_smalltable", "incomplete function table", NULL); }
END_TEST
START_TEST(refuse_bad_namespace) { refused("tm_badregex", "does not compile", NULL); }
END_TEST

START_TEST(refuse_duplicate_name)
{
    ck_assert_int_eq(host_load(F.h, mod("tm_good"), NULL, NULL, F.err, sizeof(F.err)), 0);
    ck_assert_int_ne(host_load(F.h, mod("tm_good2"), NULL, NULL, F.err, sizeof(F.err)), 0);
    ck_assert_ptr_nonnull(strstr(F.err, "already loaded"));
    ck_assert_uint_eq(host_module_count(F.h), 1);
}
END_TEST

START_TEST(load_by_name_from_search_path)
{
    host_module *m = NULL;

    ck_assert_int_eq(setenv("MXM_MODULE_PATH", "/nonexistent:" TESTMOD_DIR, 1), 0);
    ck_assert_int_eq(host_load(F.h, "tm_good", NULL, &m, F.err, sizeof(F.err)), 0);
    unsetenv("MXM_MODULE_PATH");
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(host_module_name(m), "good");
    ck_assert_str_eq(host_module_version(m), "0.0.1");
    ck_assert_ptr_nonnull(strstr(host_module_path(m), "tm_good.so"));
    ck_assert_int_eq(access(F.dir, F_OK), 0);
}
END_TEST

START_TEST(lifecycle_config_events_routes)
{
    host_module *m = NULL;

    ck_assert_int_eq(host_load(F.h, mod("tm_good"), "{\"answer\":42}", &m,
                               F.err, sizeof(F.err)),
                     0);
    /* Not started yet: nothing is delivered, no route exists. */
    host_module_on_event(m, "{}", 2);
    ck_assert_int_eq(host_dispatch_http(F.h, 1, "GET", "/_mxm/good/state", "", "", 0), 0);

    ck_assert_int_eq(host_start(F.h, F.err, sizeof(F.err)), 0);
    ck_assert_int_eq(host_start(F.h, F.err, sizeof(F.err)), 0); /* idempotent */
    ck_assert_int_eq(host_module_on_event(m, "{}", 2), MXM_OK);
    /* ABI 1.1: a module may refuse an event for now; not counted */
    ck_assert_int_eq(host_module_on_event(m, "again", 5), MXM_ERR_AGAIN);
    ck_assert_int_eq(host_module_on_event(m, "{}", 2), MXM_OK);
    host_module_on_ephemeral(m, "{}", 2);
    ck_assert_int_eq(host_dispatch_http(F.h, 7, "GET", "/_mxm/good/state", "a=1", "", 0), 1);
    ck_assert_int_eq(F.status, 200);
    ck_assert_str_eq(F.body, "{\"starts\":1,\"events\":2,\"ephemerals\":1,"
                             "\"config\":{\"answer\":42},\"method\":\"GET\",\"query\":\"a=1\"}");
    ck_assert_int_eq(host_dispatch_http(F.h, 8, "GET", "/_mxm/other/x", "", "", 0), 0);
    ck_assert_int_eq(host_module_query_user(m, "@good_x:example.org"), 1);
    ck_assert_int_eq(host_module_query_user(m, "@bad:example.org"), 0);

    host_stop(F.h);
    host_stop(F.h); /* idempotent */
    /* After stop: no delivery, the route is gone. */
    ck_assert_int_eq(host_dispatch_http(F.h, 9, "GET", "/_mxm/good/state", "", "", 0), 0);
    ck_assert_int_eq(F.responses, 1);
}
END_TEST

START_TEST(start_failure_is_reported)
{
    ck_assert_int_eq(host_load(F.h, mod("tm_good"), NULL, NULL, F.err, sizeof(F.err)), 0);
    ck_assert_int_eq(host_load(F.h, mod("tm_startfail"), NULL, NULL, F.err, sizeof(F.err)), 0);
    ck_assert_int_ne(host_start(F.h, F.err, sizeof(F.err)), 0);
    ck_assert_ptr_nonnull(strstr(F.err, "cannot reach the warp core"));
    ck_assert_ptr_nonnull(strstr(F.err, "startfail"));
    /* the good module was started and stopped again: its route is gone */
    ck_assert_int_eq(host_dispatch_http(F.h, 1, "GET", "/_mxm/good/state", "", "", 0), 0);
}
END_TEST

START_TEST(namespaces_are_exclusive_and_anchored)
{
    host_module *m = NULL;

    ck_assert_int_eq(host_load(F.h, mod("tm_good"), NULL, &m, F.err, sizeof(F.err)), 0);
    ck_assert_ptr_eq(host_user_owner(F.h, "good_alice"), m);
    ck_assert_ptr_eq(host_user_owner(F.h, "goodbot"), m);
    ck_assert_ptr_null(host_user_owner(F.h, "xgood_alice")); /* anchored start */
    ck_assert_ptr_null(host_user_owner(F.h, "goodbotx"));    /* anchored end */
    ck_assert_ptr_null(host_user_owner(F.h, "alice"));
    ck_assert_ptr_eq(host_alias_owner(F.h, "good_room"), m);
    ck_assert_ptr_null(host_alias_owner(F.h, "room"));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("host_load");
    TCase *tc = tcase_create("refusals");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, refuse_missing_file);
    tcase_add_test(tc, refuse_not_a_shared_object);
    tcase_add_test(tc, refuse_no_descriptor);
    tcase_add_test(tc, refuse_bad_magic);
    tcase_add_test(tc, refuse_major);
    tcase_add_test(tc, refuse_newer_minor);
    tcase_add_test(tc, refuse_ptr_size);
    tcase_add_test(tc, refuse_no_init);
    tcase_add_test(tc, refuse_init_failure);
    tcase_add_test(tc, refuse_small_table);
    tcase_add_test(tc, refuse_bad_namespace);
    tcase_add_test(tc, refuse_duplicate_name);
    suite_add_tcase(s, tc);

    tc = tcase_create("lifecycle");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, load_by_name_from_search_path);
    tcase_add_test(tc, lifecycle_config_events_routes);
    tcase_add_test(tc, start_failure_is_reported);
    tcase_add_test(tc, namespaces_are_exclusive_and_anchored);
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
