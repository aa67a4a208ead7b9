/*
 * host_api.c - the generic slots of mxm_host_api: log, post, timers, fd
 * watches, HTTP routes, and forwarding of Matrix slots to the homeserver.
 *
 * Each module gets its own table whose `host` handle is its host_module, so
 * every call knows which module made it without trusting the module to say.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "host_internal.h"

void host_logf(host *h, const char *module, int level, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (h->log)
        h->log(h->log_ctx, level, module, buf);
    else
        fprintf(stderr, "[%s] %s\n", module ? module : "host", buf);
}

static void api_log(mxm_host *m, int level, const char *msg)
{
    if (level < MXM_LOG_ERROR)
        level = MXM_LOG_ERROR;
    if (level > MXM_LOG_TRACE)
        level = MXM_LOG_TRACE;
    host_logf(m->h, m->name, level, "%s", msg ? msg : "");
}

/* ---- post queue --------------------------------------------------------- */

static int api_post(mxm_host *m, mxm_task_fn fn, void *arg)
{
    host_task *t;
    int wake = 0;

    if (!fn)
        return MXM_ERR_INVAL;
    t = malloc(sizeof(*t));
    if (!t)
        return MXM_ERR_NOMEM;
    t->fn = fn;
    t->arg = arg;
    t->next = NULL;

    pthread_mutex_lock(&m->lock);
    if (m->closed) {
        pthread_mutex_unlock(&m->lock);
        free(t);
        return MXM_ERR_STOPPED;
    }
    if (m->tail)
        m->tail->next = t;
    else
        m->head = t;
    m->tail = t;
    if (!m->wake_pending) {
        m->wake_pending = 1;
        wake = 1;
    }
    pthread_mutex_unlock(&m->lock);

    /* One byte per batch: the loop drains the whole queue per wake-up. */
    if (wake) {
        char c = 1;
        ssize_t r;
        do
            r = write(m->wake_fd[1], &c, 1);
        while (r < 0 && errno == EINTR);
    }
    return MXM_OK;
}

static host_task *take_all(host_module *m)
{
    host_task *list;
    char buf[64];

    while (read(m->wake_fd[0], buf, sizeof(buf)) > 0)
        ;
    pthread_mutex_lock(&m->lock);
    list = m->head;
    m->head = m->tail = NULL;
    m->wake_pending = 0;
    pthread_mutex_unlock(&m->lock);
    return list;
}

static void run_tasks(host_task *t, int cancelled)
{
    while (t) {
        host_task *next = t->next;
        t->fn(t->arg, cancelled);
        free(t);
        t = next;
    }
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    host_module *m = arg;

    (void)fd;
    (void)what;
    /* While stop() runs, tasks wait; they run cancelled after it returns. */
    if (m->stopping)
        return;
    run_tasks(take_all(m), 0);
}

/* ---- timers ------------------------------------------------------------- */

static void unlink_timer(host_module *m, host_timer *t)
{
    host_timer **pp;

    for (pp = &m->timers; *pp; pp = &(*pp)->next)
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    event_free(t->ev);
    free(t);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    host_timer *t = arg;
    host_module *m = t->m;
    mxm_timer_fn fn = t->fn;
    void *targ = t->arg;

    (void)fd;
    (void)what;
    /* Unlink first: the callback may add or cancel timers. */
    unlink_timer(m, t);
    if (!m->stopping)
        fn(targ);
}

static uint64_t api_timer_add(mxm_host *m, uint64_t delay_ms, mxm_timer_fn fn,
                              void *arg)
{
    host_timer *t;
    struct timeval tv;

    if (!fn || m->stopping)
        return 0;
    t = calloc(1, sizeof(*t));
    if (!t)
        return 0;
    t->ev = evtimer_new(m->h->base, on_timer, t);
    if (!t->ev) {
        free(t);
        return 0;
    }
    t->id = ++m->h->next_id;
    t->fn = fn;
    t->arg = arg;
    t->m = m;
    tv.tv_sec = (time_t)(delay_ms / 1000);
    tv.tv_usec = (suseconds_t)((delay_ms % 1000) * 1000);
    if (evtimer_add(t->ev, &tv) != 0) {
        event_free(t->ev);
        free(t);
        return 0;
    }
    t->next = m->timers;
    m->timers = t;
    return t->id;
}

static int api_timer_cancel(mxm_host *m, uint64_t id)
{
    host_timer *t;

    for (t = m->timers; t; t = t->next)
        if (t->id == id) {
            unlink_timer(m, t);
            return MXM_OK;
        }
    return MXM_ERR_NOTFOUND;
}

/* ---- fd watches --------------------------------------------------------- */

static void on_fd(evutil_socket_t fd, short what, void *arg)
{
    host_watch *w = arg;
    int ev = 0;

    if (what & EV_READ)
        ev |= MXM_FD_READ;
    if (what & EV_WRITE)
        ev |= MXM_FD_WRITE;
    w->fn(w->arg, (int)fd, ev);
}

static uint64_t api_fd_watch(mxm_host *m, int fd, int events, mxm_fd_fn fn,
                             void *arg)
{
    host_watch *w;
    short what = EV_PERSIST;

    if (!fn || fd < 0 || !(events & (MXM_FD_READ | MXM_FD_WRITE)) ||
        m->stopping)
        return 0;
    if (events & MXM_FD_READ)
        what |= EV_READ;
    if (events & MXM_FD_WRITE)
        what |= EV_WRITE;
    w = calloc(1, sizeof(*w));
    if (!w)
        return 0;
    w->ev = event_new(m->h->base, fd, what, on_fd, w);
    if (!w->ev || event_add(w->ev, NULL) != 0) {
        if (w->ev)
            event_free(w->ev);
        free(w);
        return 0;
    }
    w->id = ++m->h->next_id;
    w->fn = fn;
    w->arg = arg;
    w->next = m->watches;
    m->watches = w;
    return w->id;
}

static int api_fd_unwatch(mxm_host *m, uint64_t id)
{
    host_watch **pp;

    for (pp = &m->watches; *pp; pp = &(*pp)->next)
        if ((*pp)->id == id) {
            host_watch *w = *pp;
            *pp = w->next;
            event_free(w->ev);
            free(w);
            return MXM_OK;
        }
    return MXM_ERR_NOTFOUND;
}

/* ---- identity ----------------------------------------------------------- */

static const char *api_server_name(mxm_host *m) { return m->h->server_name; }
static const char *api_data_dir(mxm_host *m) { return m->data_dir; }

/* ---- Matrix slots: forwarded to the homeserver -------------------------- */

static int api_ensure_user(mxm_host *m, const char *localpart, mxm_done_fn cb,
                           void *arg)
{
    host *h = m->h;

    if (!localpart || !cb)
        return MXM_ERR_INVAL;
    if (!host_ns_match(&m->users, localpart))
        return MXM_ERR_INVAL; /* not in this module's namespace */
    if (!h->ops.ensure_user)
        return MXM_ERR_UNSUPPORTED;
    return h->ops.ensure_user(h->ops.ctx, m, localpart, cb, arg);
}

static int api_request(mxm_host *m, const char *user_id, const char *method,
                       const char *path, const char *body, size_t body_len,
                       int64_t ts_ms, mxm_done_fn cb, void *arg)
{
    host *h = m->h;

    if (!user_id || !method || !path || !cb || (body_len && !body))
        return MXM_ERR_INVAL;
    if (!h->ops.request)
        return MXM_ERR_UNSUPPORTED;
    return h->ops.request(h->ops.ctx, m, user_id, method, path, body, body_len,
                          ts_ms, cb, arg);
}

static int api_media_upload(mxm_host *m, const char *user_id,
                            const char *content_type, const char *filename,
                            const void *data, size_t len, mxm_done_fn cb,
                            void *arg)
{
    host *h = m->h;

    if (!user_id || !cb || (len && !data))
        return MXM_ERR_INVAL;
    if (!h->ops.media_upload)
        return MXM_ERR_UNSUPPORTED;
    return h->ops.media_upload(h->ops.ctx, m, user_id, content_type, filename,
                               data, len, cb, arg);
}

static int api_media_download(mxm_host *m, const char *mxc, mxm_media_fn cb,
                              void *arg)
{
    host *h = m->h;

    if (!mxc || !cb)
        return MXM_ERR_INVAL;
    if (!h->ops.media_download)
        return MXM_ERR_UNSUPPORTED;
    return h->ops.media_download(h->ops.ctx, m, mxc, cb, arg);
}

/* ---- HTTP routes -------------------------------------------------------- */

static int api_http_route(mxm_host *m, const char *prefix, mxm_http_fn fn,
                          void *arg)
{
    host *h = m->h;
    host_route *r;
    size_t n = strlen(m->name);

    /* A module may only claim /_mxm/<its name>/... */
    if (!prefix || !fn || strncmp(prefix, "/_mxm/", 6) != 0 ||
        strncmp(prefix + 6, m->name, n) != 0 || prefix[6 + n] != '/')
        return MXM_ERR_INVAL;
    r = calloc(1, sizeof(*r));
    if (!r || !(r->prefix = strdup(prefix))) {
        free(r);
        return MXM_ERR_NOMEM;
    }
    r->prefix_len = strlen(prefix);
    r->fn = fn;
    r->arg = arg;
    r->m = m;
    r->next = h->routes;
    h->routes = r;
    return MXM_OK;
}

static int api_http_respond(mxm_host *m, uint64_t reply_id, int status,
                            const char *content_type, const void *body,
                            size_t len)
{
    host *h = m->h;

    if (!h->ops.http_respond)
        return MXM_ERR_UNSUPPORTED;
    return h->ops.http_respond(h->ops.ctx, reply_id, status, content_type,
                               body, len);
}

static const char *api_http_header(mxm_host *m, uint64_t reply_id,
                                   const char *name)
{
    host *h = m->h;

    if (!name || !h->ops.http_header)
        return NULL;
    return h->ops.http_header(h->ops.ctx, reply_id, name);
}

int host_dispatch_http(host *h, uint64_t reply_id, const char *method,
                       const char *path, const char *query, const char *body,
                       size_t body_len)
{
    host_route *r, *best = NULL;

    for (r = h->routes; r; r = r->next)
        if (!r->m->stopping && strncmp(path, r->prefix, r->prefix_len) == 0 &&
            (!best || r->prefix_len > best->prefix_len))
            best = r;
    if (!best)
        return 0;
    best->fn(best->arg, reply_id, method, path, query ? query : "",
             body ? body : "", body_len);
    return 1;
}

/* ---- lifecycle ---------------------------------------------------------- */

int host_api_init(host_module *m, char *err, size_t errlen)
{
    mxm_host_api *a = &m->api;

    memset(a, 0, sizeof(*a));
    a->struct_size = sizeof(*a);
    a->abi_major = MXM_ABI_MAJOR;
    a->abi_minor = MXM_ABI_MINOR;
    a->host = m;
    a->log = api_log;
    a->post = api_post;
    a->timer_add = api_timer_add;
    a->timer_cancel = api_timer_cancel;
    a->fd_watch = api_fd_watch;
    a->fd_unwatch = api_fd_unwatch;
    a->server_name = api_server_name;
    a->data_dir = api_data_dir;
    a->ensure_user = api_ensure_user;
    a->request = api_request;
    a->media_upload = api_media_upload;
    a->media_download = api_media_download;
    a->http_route = api_http_route;
    a->http_respond = api_http_respond;
    a->http_header = api_http_header;

    m->wake_fd[0] = m->wake_fd[1] = -1;
    if (pthread_mutex_init(&m->lock, NULL) != 0) {
        snprintf(err, errlen, "cannot create a mutex");
        return -1;
    }
    if (pipe2(m->wake_fd, O_NONBLOCK | O_CLOEXEC) != 0) {
        snprintf(err, errlen, "cannot create the post queue: %s",
                 strerror(errno));
        pthread_mutex_destroy(&m->lock);
        return -1;
    }
    m->wake_ev = event_new(m->h->base, m->wake_fd[0], EV_READ | EV_PERSIST,
                           on_wake, m);
    if (!m->wake_ev || event_add(m->wake_ev, NULL) != 0) {
        snprintf(err, errlen, "cannot watch the post queue");
        if (m->wake_ev)
            event_free(m->wake_ev);
        m->wake_ev = NULL;
        close(m->wake_fd[0]);
        close(m->wake_fd[1]);
        m->wake_fd[0] = m->wake_fd[1] = -1;
        pthread_mutex_destroy(&m->lock);
        return -1;
    }
    return 0;
}

void host_api_shutdown(host_module *m)
{
    host_route **pp;

    /* Refuse new posts, then let queued ones release their arguments. */
    pthread_mutex_lock(&m->lock);
    m->closed = 1;
    pthread_mutex_unlock(&m->lock);
    run_tasks(take_all(m), 1);

    while (m->timers)
        unlink_timer(m, m->timers);
    while (m->watches)
        api_fd_unwatch(m, m->watches->id);
    for (pp = &m->h->routes; *pp;) {
        host_route *r = *pp;
        if (r->m == m) {
            *pp = r->next;
            free(r->prefix);
            free(r);
        } else {
            pp = &r->next;
        }
    }
}

void host_api_release(host_module *m)
{
    if (m->wake_fd[0] < 0)
        return;
    pthread_mutex_lock(&m->lock);
    m->closed = 1;
    pthread_mutex_unlock(&m->lock);
    run_tasks(take_all(m), 1);
    if (m->wake_ev)
        event_free(m->wake_ev);
    close(m->wake_fd[0]);
    close(m->wake_fd[1]);
    m->wake_fd[0] = m->wake_fd[1] = -1;
    pthread_mutex_destroy(&m->lock);
}
