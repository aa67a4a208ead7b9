/*
 * test_echo.c - the echo example module driven through libmxmhost. The
 * homeserver side here only records what the module asks for and completes
 * it asynchronously, as a real host must; the module is the real thing.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/event.h>

#include "mxmhost.h"

#define MAXREQ 64

typedef struct req {
    char user[128], method[8], path[512], body[512];
} req;

typedef struct completion {
    mxm_done_fn done;
    mxm_media_fn media;
    void *arg;
    int status;
    char json[256];
} completion;

static struct event_base *base;
static host *H;
static char dir[64], err[1024];
static req reqs[MAXREQ];
static int nreq, ensured, downloads, uploads;
static char ensured_lp[64], upload_type[64];
static char http_body[256];
static int http_status;
static const char png[] = "\x89PNG\r\n\x1a\nfake";

static void complete(evutil_socket_t fd, short what, void *arg)
{
    completion *c = arg;

    (void)fd;
    (void)what;
    if (c->media)
        c->media(c->arg, c->status, "image/png", png, sizeof(png) - 1);
    else
        c->done(c->arg, c->status, c->json, strlen(c->json));
    free(c);
}

static void later(mxm_done_fn done, mxm_media_fn media, void *arg, int status,
                  const char *json)
{
    completion *c = calloc(1, sizeof(*c));
    struct timeval zero = {0, 0};

    c->done = done;
    c->media = media;
    c->arg = arg;
    c->status = status;
    snprintf(c->json, sizeof(c->json), "%s", json);
    event_base_once(base, -1, EV_TIMEOUT, complete, c, &zero);
}

static int hs_ensure_user(void *ctx, host_module *m, const char *lp,
                          mxm_done_fn cb, void *arg)
{
    (void)ctx;
    (void)m;
    ensured++;
    snprintf(ensured_lp, sizeof(ensured_lp), "%s", lp);
    later(cb, NULL, arg, 200, "{\"user_id\":\"@echo:example.org\"}");
    return 0;
}

static int hs_request(void *ctx, host_module *m, const char *user,
                      const char *method, const char *path, const char *body,
                      size_t len, int64_t ts, mxm_done_fn cb, void *arg)
{
    req *r;

    (void)ctx;
    (void)m;
    (void)ts;
    ck_assert_int_lt(nreq, MAXREQ);
    r = &reqs[nreq++];
    snprintf(r->user, sizeof(r->user), "%s", user);
    snprintf(r->method, sizeof(r->method), "%s", method);
    snprintf(r->path, sizeof(r->path), "%s", path);
    snprintf(r->body, sizeof(r->body), "%.*s", (int)len, body ? body : "");
    later(cb, NULL, arg, 200, "{\"event_id\":\"$e\"}");
    return 0;
}

static int hs_upload(void *ctx, host_module *m, const char *user,
                     const char *type, const char *name, const void *data,
                     size_t len, mxm_done_fn cb, void *arg)
{
    (void)ctx;
    (void)m;
    (void)user;
    (void)name;
    ck_assert_uint_eq(len, sizeof(png) - 1);
    ck_assert_int_eq(memcmp(data, png, len), 0);
    snprintf(upload_type, sizeof(upload_type), "%s", type);
    uploads++;
    later(cb, NULL, arg, 200, "{\"content_uri\":\"mxc://example.org/echoed\"}");
    return 0;
}

static int hs_download(void *ctx, host_module *m, const char *mxc,
                       mxm_media_fn cb, void *arg)
{
    (void)ctx;
    (void)m;
    ck_assert_str_eq(mxc, "mxc://example.org/abc");
    downloads++;
    later(NULL, cb, arg, 200, "");
    return 0;
}

static int hs_respond(void *ctx, uint64_t id, int status, const char *type,
                      const void *body, size_t len)
{
    (void)ctx;
    (void)id;
    (void)type;
    http_status = status;
    snprintf(http_body, sizeof(http_body), "%.*s", (int)len, (const char *)body);
    return 0;
}

static void quiet(void *ctx, int level, const char *module, const char *msg)
{
    (void)ctx; (void)level; (void)module; (void)msg;
}

static void start_echo(const char *config)
{
    host_matrix_ops ops = {NULL, hs_ensure_user, hs_request, hs_upload,
                           hs_download, hs_respond, NULL};

    snprintf(dir, sizeof(dir), "/tmp/echo-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    base = event_base_new();
    nreq = ensured = downloads = uploads = 0;
    ck_assert_int_eq(host_new(&H, base, "example.org", dir, &ops, quiet, NULL,
                              err, sizeof(err)),
                     0);
    ck_assert_msg(host_load(H, ECHO_SO, config, NULL, err, sizeof(err)) == 0,
                  "%s", err);
    ck_assert_msg(host_start(H, err, sizeof(err)) == 0, "%s", err);
}

static void teardown(void)
{
    char cmd[128];
    int i;

    /* let completions already queued reach the module before it stops */
    for (i = 0; i < 5; i++)
        event_base_loop(base, EVLOOP_NONBLOCK);
    host_free(H);
    H = NULL;
    event_base_free(base);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Run the loop until `n` requests were made, or fail after 10 s. */
static void run_until(int n)
{
    int i;

    for (i = 0; i < 1000 && nreq < n; i++) {
        struct timeval tick = {0, 10000};
        event_base_loopexit(base, &tick);
        event_base_dispatch(base);
    }
    ck_assert_msg(nreq >= n, "only %d of %d requests", nreq, n);
}

static const req *find(const char *method, const char *path_part)
{
    int i;

    for (i = 0; i < nreq; i++)
        if (strcmp(reqs[i].method, method) == 0 && strstr(reqs[i].path, path_part))
            return &reqs[i];
    return NULL;
}

static void deliver(const char *json)
{
    host_module_on_event(host_module_at(H, 0), json, strlen(json));
}

START_TEST(creates_its_user_and_sets_a_name)
{
    start_echo(NULL);
    run_until(1);
    ck_assert_int_eq(ensured, 1);
    ck_assert_str_eq(ensured_lp, "echo");
    ck_assert_ptr_nonnull(find("PUT", "/profile/%40echo%3Aexample.org/displayname"));
    ck_assert_ptr_eq(host_user_owner(H, "echo"), host_module_at(H, 0));
    ck_assert_ptr_null(host_user_owner(H, "echo2"));
    teardown();
}
END_TEST

START_TEST(joins_on_invite_and_echoes_text)
{
    const req *r;

    start_echo("{\"prefix\":\">> \"}");
    run_until(1);
    deliver("{\"type\":\"m.room.member\",\"room_id\":\"!r:example.org\","
            "\"sender\":\"@alice:example.org\",\"state_key\":\"@echo:example.org\","
            "\"event_id\":\"$i\",\"content\":{\"membership\":\"invite\"}}");
    run_until(2);
    r = find("POST", "/rooms/%21r%3Aexample.org/join");
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(r->user, "@echo:example.org");

    deliver("{\"type\":\"m.room.message\",\"room_id\":\"!r:example.org\","
            "\"sender\":\"@alice:example.org\",\"event_id\":\"$m1\","
            "\"content\":{\"msgtype\":\"m.text\",\"body\":\"hello\"}}");
    run_until(3);
    r = find("PUT", "/send/m.room.message/echo-%24m1");
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(r->body, "{\"msgtype\":\"m.text\",\"body\":\">> hello\"}");

    /* its own messages are not echoed */
    deliver("{\"type\":\"m.room.message\",\"room_id\":\"!r:example.org\","
            "\"sender\":\"@echo:example.org\",\"event_id\":\"$m2\","
            "\"content\":{\"msgtype\":\"m.text\",\"body\":\"x\"}}");
    deliver("{not json");
    {
        int before = nreq, i;
        for (i = 0; i < 20; i++)
            event_base_loop(base, EVLOOP_NONBLOCK);
        ck_assert_int_eq(nreq, before);
    }
    teardown();
}
END_TEST

START_TEST(delayed_reply_uses_a_timer)
{
    start_echo("{\"delay_ms\":30}");
    run_until(1);
    deliver("{\"type\":\"m.room.message\",\"room_id\":\"!r:example.org\","
            "\"sender\":\"@alice:example.org\",\"event_id\":\"$d\","
            "\"content\":{\"msgtype\":\"m.text\",\"body\":\"later\"}}");
    run_until(2);
    ck_assert_ptr_nonnull(find("PUT", "echo-%24d"));
    /* a reply still waiting on its timer at stop is released, not leaked */
    deliver("{\"type\":\"m.room.message\",\"room_id\":\"!r:example.org\","
            "\"sender\":\"@alice:example.org\",\"event_id\":\"$e\","
            "\"content\":{\"msgtype\":\"m.text\",\"body\":\"never\"}}");
    {
        struct timeval t = {0, 5000};
        event_base_loopexit(base, &t);
        event_base_dispatch(base);
    }
    teardown();
}
END_TEST

START_TEST(ping_goes_through_the_fd_watch)
{
    start_echo(NULL);
    run_until(1);
    deliver("{\"type\":\"m.room.message\",\"room_id\":\"!p:example.org\","
            "\"sender\":\"@alice:example.org\",\"event_id\":\"$p\","
            "\"content\":{\"msgtype\":\"m.text\",\"body\":\"!ping\"}}");
    run_until(2);
    ck_assert_ptr_nonnull(find("PUT", "/rooms/%21p%3Aexample.org/send/m.room.message/pong-1"));
    teardown();
}
END_TEST

START_TEST(image_is_downloaded_and_uploaded_again)
{
    const req *r;

    start_echo(NULL);
    run_until(1);
    deliver("{\"type\":\"m.room.message\",\"room_id\":\"!r:example.org\","
            "\"sender\":\"@alice:example.org\",\"event_id\":\"$img\","
            "\"content\":{\"msgtype\":\"m.image\",\"body\":\"cat.png\","
            "\"url\":\"mxc://example.org/abc\"}}");
    run_until(2);
    ck_assert_int_eq(downloads, 1);
    ck_assert_int_eq(uploads, 1);
    ck_assert_str_eq(upload_type, "image/png");
    r = find("PUT", "echo-%24img");
    ck_assert_ptr_nonnull(r);
    ck_assert_ptr_nonnull(strstr(r->body, "\"url\":\"mxc://example.org/echoed\""));
    teardown();
}
END_TEST

START_TEST(stats_route_and_ephemeral_counts)
{
    start_echo(NULL);
    run_until(1);
    host_module_on_ephemeral(host_module_at(H, 0), "{\"type\":\"m.typing\"}", 19);
    host_module_on_ephemeral(host_module_at(H, 0), "{\"type\":\"m.receipt\"}", 20);
    ck_assert_int_eq(host_dispatch_http(H, 1, "GET", "/_mxm/echo/stats", "", "", 0), 1);
    ck_assert_int_eq(http_status, 200);
    /* no request header given to host_dispatch_http: an empty probe */
    ck_assert_str_eq(http_body, "{\"echoed\":0,\"typing\":1,\"receipts\":1,\"pings\":0,\"probe\":\"\"}");
    ck_assert_int_eq(host_dispatch_http(H, 2, "POST", "/_mxm/echo/stats", "", "", 0), 1);
    ck_assert_int_eq(http_status, 405);
    teardown();
}
END_TEST

START_TEST(bad_config_is_refused_with_the_key)
{
    host_matrix_ops ops = {0};
    static const struct {
        const char *cfg, *want;
    } cases[] = {
        {"{\"delay\":1}", "config.delay: unknown option"},
        {"{\"delay_ms\":-1}", "config.delay_ms"},
        {"{\"localpart\":\"Bad Name\"}", "config.localpart"},
        {"[1,2]", "not a JSON object"},
        {"{", "not a JSON object"},
    };
    size_t i;

    snprintf(dir, sizeof(dir), "/tmp/echo-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    base = event_base_new();
    ck_assert_int_eq(host_new(&H, base, "example.org", dir, &ops, quiet, NULL,
                              err, sizeof(err)), 0);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ck_assert_int_ne(host_load(H, ECHO_SO, cases[i].cfg, NULL, err, sizeof(err)), 0);
        ck_assert_msg(strstr(err, cases[i].want), "'%s' lacks '%s'", err, cases[i].want);
        ck_assert_ptr_nonnull(strstr(err, "failed to initialise"));
    }
    teardown();
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("echo");
    TCase *tc = tcase_create("echo");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, creates_its_user_and_sets_a_name);
    tcase_add_test(tc, joins_on_invite_and_echoes_text);
    tcase_add_test(tc, delayed_reply_uses_a_timer);
    tcase_add_test(tc, ping_goes_through_the_fd_watch);
    tcase_add_test(tc, image_is_downloaded_and_uploaded_again);
    tcase_add_test(tc, stats_route_and_ephemeral_counts);
    tcase_add_test(tc, bad_config_is_refused_with_the_key);
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
