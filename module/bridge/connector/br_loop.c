/*
 * br_loop.c - see br_loop.h. A pipe wakes the loop; the queue is a mutex-
 * protected list drained whole on each wake-up (as libmxmhost's post).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/event.h>

#include "br_loop.h"
#include "ut.h"

typedef struct task {
    br_task_fn fn;
    void *arg;
    struct task *next;
} task;

struct br_loop {
    pthread_t th;
    struct event_base *base;
    struct event *wake;
    int fd[2];
    pthread_mutex_t lock;
    task *head, *tail;
    int closed, pending;
    void (*init)(void *, struct event_base *);
    void *init_arg;
    void (*fini)(void *);
    void *fini_arg;
    int quit;
};

static task *take(br_loop *l)
{
    task *t;
    char buf[64];

    while (read(l->fd[0], buf, sizeof(buf)) > 0)
        ;
    pthread_mutex_lock(&l->lock);
    t = l->head;
    l->head = l->tail = NULL;
    l->pending = 0;
    pthread_mutex_unlock(&l->lock);
    return t;
}

static void run(task *t, int cancelled)
{
    while (t) {
        task *n = t->next;
        t->fn(t->arg, cancelled);
        free(t);
        t = n;
    }
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    br_loop *l = arg;

    (void)fd;
    (void)what;
    run(take(l), 0);
    if (l->quit)
        event_base_loopbreak(l->base);
}

static void *main_fn(void *arg)
{
    br_loop *l = arg;

    if (l->init)
        l->init(l->init_arg, l->base);
    event_base_dispatch(l->base);
    if (l->fini) {
        /* Connections freed by fini finish closing (TLS close_notify,
         * bufferevent teardown) only on the loop: give them a moment.
         * Tasks posted now must not run against freed state, so the wake
         * event goes first; br_loop_free runs them cancelled. */
        struct timeval grace = {0, 250000};
        l->fini(l->fini_arg);
        event_del(l->wake);
        event_base_loopexit(l->base, &grace);
        event_base_dispatch(l->base);
    }
    return NULL;
}

int br_loop_new(br_loop **out, void (*init)(void *, struct event_base *),
                void *init_arg)
{
    br_loop *l = calloc(1, sizeof(*l));

    *out = NULL;
    if (!l)
        return UT_ERR_NOMEM;
    l->fd[0] = l->fd[1] = -1;
    pthread_mutex_init(&l->lock, NULL);
    if (pipe2(l->fd, O_NONBLOCK | O_CLOEXEC) != 0 ||
        !(l->base = event_base_new()) ||
        !(l->wake = event_new(l->base, l->fd[0], EV_READ | EV_PERSIST, on_wake, l)) ||
        event_add(l->wake, NULL) != 0)
        goto fail;
    l->init = init;
    l->init_arg = init_arg;
    /* Published before the thread starts: init may use the loop through
     * the caller's pointer (br_signal's thread_init does). */
    *out = l;
    if (pthread_create(&l->th, NULL, main_fn, l) != 0)
        goto fail;
    return 0;
fail:
    *out = NULL;
    if (l->wake)
        event_free(l->wake);
    if (l->base)
        event_base_free(l->base);
    if (l->fd[0] >= 0) {
        close(l->fd[0]);
        close(l->fd[1]);
    }
    pthread_mutex_destroy(&l->lock);
    free(l);
    return UT_ERR_IO;
}

int br_loop_post(br_loop *l, br_task_fn fn, void *arg)
{
    task *t = malloc(sizeof(*t));
    int wake = 0;

    if (!t)
        return UT_ERR_NOMEM;
    t->fn = fn;
    t->arg = arg;
    t->next = NULL;
    pthread_mutex_lock(&l->lock);
    if (l->closed) {
        pthread_mutex_unlock(&l->lock);
        free(t);
        return UT_ERR_INVAL;
    }
    if (l->tail)
        l->tail->next = t;
    else
        l->head = t;
    l->tail = t;
    if (!l->pending)
        wake = l->pending = 1;
    pthread_mutex_unlock(&l->lock);
    if (wake) {
        char c = 1;
        ssize_t r;
        do
            r = write(l->fd[1], &c, 1);
        while (r < 0 && errno == EINTR);
    }
    return 0;
}

struct event_base *br_loop_base(br_loop *l) { return l->base; }

static void quit_task(void *arg, int cancelled)
{
    br_loop *l = arg;

    (void)cancelled;
    l->quit = 1;
}

void br_loop_free(br_loop *l, void (*fini)(void *), void *fini_arg)
{
    if (!l)
        return;
    l->fini = fini;
    l->fini_arg = fini_arg;
    /* The quit task runs after everything posted before it. */
    if (br_loop_post(l, quit_task, l) != 0)
        event_base_loopbreak(l->base);
    pthread_join(l->th, NULL);
    pthread_mutex_lock(&l->lock);
    l->closed = 1;
    pthread_mutex_unlock(&l->lock);
    run(take(l), 1);
    event_free(l->wake);
    event_base_free(l->base);
    close(l->fd[0]);
    close(l->fd[1]);
    pthread_mutex_destroy(&l->lock);
    free(l);
}
