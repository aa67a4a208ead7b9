/* host_internal.h - structures shared by the files of libmxmhost. Not installed. */
#ifndef HOST_INTERNAL_H
#define HOST_INTERNAL_H

#include <pthread.h>
#include <regex.h>
#include <stdarg.h>

#include "mxmhost.h"

struct event;

/* A task queued by mxm_host_api.post(). */
typedef struct host_task {
    mxm_task_fn fn;
    void *arg;
    struct host_task *next;
} host_task;

/* A timer, fd watch or HTTP route owned by a module. */
typedef struct host_timer {
    uint64_t id;
    struct event *ev;
    mxm_timer_fn fn;
    void *arg;
    host_module *m;
    struct host_timer *next;
} host_timer;

typedef struct host_watch {
    uint64_t id;
    struct event *ev;
    mxm_fd_fn fn;
    void *arg;
    struct host_watch *next;
} host_watch;

typedef struct host_route {
    char *prefix;
    size_t prefix_len;
    mxm_http_fn fn;
    void *arg;
    host_module *m;
    struct host_route *next;
} host_route;

typedef struct host_ns {
    regex_t *re;
    size_t n;
} host_ns;

struct mxm_host { /* = host_module */
    host *h;
    mxm_host_api api;            /* the table this module was given */
    const mxm_module_api *mod;   /* the module's table */
    void *dl;                    /* dlopen handle; never closed once init ran */
    char *path;
    char *name;
    char *version;
    char *data_dir;
    host_ns users;
    host_ns aliases;
    int started;
    int stopping;                /* inside or after stop(): no more callbacks */

    /* post() queue: the only state touched from other threads. */
    pthread_mutex_t lock;
    host_task *head, *tail;
    int closed;                  /* post() refuses once set */
    int wake_pending;
    int wake_fd[2];
    struct event *wake_ev;

    host_timer *timers;
    host_watch *watches;
};

struct host {
    struct event_base *base;
    char *server_name;
    char *data_dir;
    host_matrix_ops ops;
    host_log_fn log;
    void *log_ctx;
    host_module **mods;
    size_t nmods;
    host_route *routes;
    uint64_t next_id;
};

/* host_api.c */
int host_api_init(host_module *m, char *err, size_t errlen);
void host_api_shutdown(host_module *m); /* after stop(): drain, drop timers */
void host_api_release(host_module *m);  /* free queue resources */
void host_logf(host *h, const char *module, int level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* host_load.c */
int host_ns_compile(host_ns *ns, const char *const *patterns, char *err,
                    size_t errlen);
void host_ns_free(host_ns *ns);
int host_ns_match(const host_ns *ns, const char *s);

#endif
