/*
 * test_host_loop.c - the loop-side slots of the host table: post() from many
 * threads, cancellation at stop, timers, fd watches, route rules.
 * White-box: reaches the table the module was given through host_internal.h.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>

#include "host_internal.h"

#define THREADS 8
#define POSTS 10000

static struct event_base *base;
static host *H;
static host_module *M;
static const mxm_host_api *A;
static char dir[64];

static void setup(void)
{
    char err[512];

    snprintf(dir, sizeof(dir), "/tmp/mxmhost-loop-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    base = event_base_new();
    ck_assert_int_eq(host_new(&H, base, "example.org", dir, NULL, NULL, NULL,
                              err, sizeof(err)),
                     0);
    ck_assert_msg(host_load(H, TESTMOD_DIR "/tm_good.so", NULL, &M, err,
                            sizeof(err)) == 0, "%s", err);
    ck_assert_int_eq(host_start(H, err, sizeof(err)), 0);
    A = &M->api;
}

static void teardown(void)
{
    char cmd[128];

    host_free(H);
    event_base_free(base);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* ---- post from 8 threads ------------------------------------------------ */

typedef struct order {
    long last[THREADS];
    long delivered;
    long out_of_order;
    long cancelled;
} order;

typedef struct item {
    order *o;
    int thread;
    long seq;
} item;

static void deliver(void *arg, int cancelled)
{
    item *it = arg;
    order *o = it->o;

    if (cancelled) {
        o->cancelled++;
    } else {
        if (it->seq != o->last[it->thread] + 1)
            o->out_of_order++;
        o->last[it->thread] = it->seq;
        if (++o->delivered == (long)THREADS * POSTS)
            event_base_loopbreak(base);
    }
    free(it);
}

typedef struct poster {
    order *o;
    int thread;
    int failures;
} poster;

static void *post_many(void *arg)
{
    poster *p = arg;
    long i;

    for (i = 0; i < POSTS; i++) {
        item *it = malloc(sizeof(*it));
        it->o = p->o;
        it->thread = p->thread;
        it->seq = i;
        if (A->post(A->host, deliver, it) != MXM_OK) {
            p->failures++;
            free(it);
        }
    }
    return NULL;
}

static void give_up(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    event_base_loopbreak(base);
}

START_TEST(post_from_8_threads_in_order)
{
    static order o;
    pthread_t th[THREADS];
    poster ps[THREADS];
    struct timeval limit = {120, 0};
    struct event *guard = evtimer_new(base, give_up, NULL);
    int i;

    memset(&o, 0, sizeof(o));
    for (i = 0; i < THREADS; i++)
        o.last[i] = -1;
    evtimer_add(guard, &limit);
    for (i = 0; i < THREADS; i++) {
        ps[i].o = &o;
        ps[i].thread = i;
        ps[i].failures = 0;
        ck_assert_int_eq(pthread_create(&th[i], NULL, post_many, &ps[i]), 0);
    }
    event_base_dispatch(base);
    for (i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        ck_assert_int_eq(ps[i].failures, 0);
    }
    event_free(guard);
    ck_assert_int_eq(o.delivered, (long)THREADS * POSTS);
    ck_assert_int_eq(o.out_of_order, 0);
    ck_assert_int_eq(o.cancelled, 0);
    for (i = 0; i < THREADS; i++)
        ck_assert_int_eq(o.last[i], POSTS - 1);
}
END_TEST

START_TEST(queued_posts_are_cancelled_at_stop)
{
    static order o;
    int i;

    memset(&o, 0, sizeof(o));
    for (i = 0; i < 100; i++) {
        item *it = malloc(sizeof(*it));
        it->o = &o;
        it->thread = 0;
        it->seq = i;
        ck_assert_int_eq(A->post(A->host, deliver, it), MXM_OK);
    }
    /* The loop never ran: stopping must hand every task back cancelled. */
    host_stop(H);
    ck_assert_int_eq(o.cancelled, 100);
    ck_assert_int_eq(o.delivered, 0);
    {
        item it = {&o, 0, 0};
        ck_assert_int_eq(A->post(A->host, deliver, &it), MXM_ERR_STOPPED);
    }
    ck_assert_int_eq(A->post(A->host, NULL, NULL), MXM_ERR_INVAL);
}
END_TEST

/* ---- timers ------------------------------------------------------------- */

static int fired[4];
static void on_timer(void *arg)
{
    fired[(int)(intptr_t)arg]++;
    if (arg == (void *)(intptr_t)3)
        event_base_loopbreak(base);
}

START_TEST(timers_fire_and_cancel)
{
    uint64_t a, b, c;

    memset(fired, 0, sizeof(fired));
    a = A->timer_add(A->host, 10, on_timer, (void *)(intptr_t)1);
    b = A->timer_add(A->host, 20, on_timer, (void *)(intptr_t)2);
    c = A->timer_add(A->host, 50, on_timer, (void *)(intptr_t)3);
    ck_assert(a && b && c && a != b && b != c);
    ck_assert_int_eq(A->timer_cancel(A->host, b), MXM_OK);
    ck_assert_int_eq(A->timer_cancel(A->host, b), MXM_ERR_NOTFOUND);
    event_base_dispatch(base);
    ck_assert_int_eq(fired[1], 1);
    ck_assert_int_eq(fired[2], 0);
    ck_assert_int_eq(fired[3], 1);
    ck_assert_int_eq(A->timer_cancel(A->host, a), MXM_ERR_NOTFOUND);
    ck_assert_uint_eq(A->timer_add(A->host, 1, NULL, NULL), 0);
    /* a pending timer is dropped at stop, never fires afterwards */
    ck_assert(A->timer_add(A->host, 1, on_timer, (void *)(intptr_t)2));
    host_stop(H);
    event_base_loop(base, EVLOOP_NONBLOCK);
    ck_assert_int_eq(fired[2], 0);
}
END_TEST

/* ---- fd watches --------------------------------------------------------- */

static int fd_events;
static void on_readable(void *arg, int fd, int events)
{
    char c;

    (void)arg;
    ck_assert(events & MXM_FD_READ);
    ck_assert_int_eq(read(fd, &c, 1), 1);
    if (++fd_events == 3)
        event_base_loopbreak(base);
}

START_TEST(fd_watch_is_persistent)
{
    int p[2];
    uint64_t w;

    fd_events = 0;
    ck_assert_int_eq(pipe(p), 0);
    w = A->fd_watch(A->host, p[0], MXM_FD_READ, on_readable, NULL);
    ck_assert(w != 0);
    ck_assert_int_eq(write(p[1], "abc", 3), 3);
    event_base_dispatch(base);
    ck_assert_int_eq(fd_events, 3);
    ck_assert_int_eq(A->fd_unwatch(A->host, w), MXM_OK);
    ck_assert_int_eq(A->fd_unwatch(A->host, w), MXM_ERR_NOTFOUND);
    ck_assert_uint_eq(A->fd_watch(A->host, -1, MXM_FD_READ, on_readable, NULL), 0);
    ck_assert_uint_eq(A->fd_watch(A->host, p[0], 0, on_readable, NULL), 0);
    close(p[0]);
    close(p[1]);
}
END_TEST

/* ---- identity and guards ------------------------------------------------ */

static void http_noop(void *arg, uint64_t id, const char *m, const char *p,
                      const char *q, const char *b, size_t n)
{
    (void)arg; (void)id; (void)m; (void)p; (void)q; (void)b; (void)n;
}
static void done_noop(void *arg, int s, const char *j, size_t n)
{
    (void)arg; (void)s; (void)j; (void)n;
}

START_TEST(identity_routes_and_missing_matrix_ops)
{
    char want[128];

    ck_assert_int_eq(A->struct_size, sizeof(mxm_host_api));
    ck_assert(MXM_HAS(A, http_respond));
    ck_assert_str_eq(A->server_name(A->host), "example.org");
    snprintf(want, sizeof(want), "%s/good", dir);
    ck_assert_str_eq(A->data_dir(A->host), want);
    /* A module may only route under /_mxm/<its name>/ */
    ck_assert_int_eq(A->http_route(A->host, "/_matrix/client/", http_noop, NULL), MXM_ERR_INVAL);
    ck_assert_int_eq(A->http_route(A->host, "/_mxm/echo/", http_noop, NULL), MXM_ERR_INVAL);
    ck_assert_int_eq(A->http_route(A->host, "/_mxm/goodx/", http_noop, NULL), MXM_ERR_INVAL);
    ck_assert_int_eq(A->http_route(A->host, "/_mxm/good/extra/", http_noop, NULL), MXM_OK);
    /* This host was given no Matrix ops. */
    ck_assert_int_eq(A->request(A->host, "@good_a:example.org", "GET", "/x", NULL, 0, 0, done_noop, NULL),
                     MXM_ERR_UNSUPPORTED);
    /* ensure_user outside the namespace is refused before the homeserver. */
    ck_assert_int_eq(A->ensure_user(A->host, "alice", done_noop, NULL), MXM_ERR_INVAL);
    ck_assert_int_eq(A->ensure_user(A->host, "good_alice", done_noop, NULL), MXM_ERR_UNSUPPORTED);
    A->log(A->host, 99, "level is clamped, not trusted");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("host_loop");
    TCase *tc = tcase_create("post");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, post_from_8_threads_in_order);
    tcase_add_test(tc, queued_posts_are_cancelled_at_stop);
    suite_add_tcase(s, tc);

    tc = tcase_create("timers_fds");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, timers_fire_and_cancel);
    tcase_add_test(tc, fd_watch_is_persistent);
    tcase_add_test(tc, identity_routes_and_missing_matrix_ops);
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
