/*
 * echo.c - an example mxm module that uses every slot of the ABI.
 *
 * It owns one user, @<localpart>:<server> (default "echo"), joins rooms it is
 * invited to and answers each text message with "<prefix><body>". The reply
 * text is made on the module's own worker thread and handed back with
 * host->post() (the one thread-safe call); with delay_ms > 0 it is sent from
 * a host timer. "!ping" is answered through an fd watch on a self-pipe; an
 * m.image is downloaded and uploaded again (media slots); GET
 * /_mxm/echo/stats answers counters (HTTP route slot).
 *
 * Config (JSON): {"localpart": "echo", "prefix": "echo: ", "delay_ms": 0}
 */
#define _GNU_SOURCE /* pipe2, strdup */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include <mxm/module.h>

MXM_MODULE_DESCRIPTOR("echo", "1.0.0");

typedef struct job {
    char *room_id;
    char *txn;  /* derived from the incoming event id: replays are no-ops */
    char *body; /* input on the way in, reply on the way out */
    struct mxm_module *m;
    uint64_t timer_id; /* while waiting on a host timer */
    struct job *next;
} job;

struct mxm_module {
    const mxm_host_api *host;
    mxm_module_api api;
    const char *ns[2];
    char localpart[64];
    char user_id[320];
    char prefix[128];
    unsigned delay_ms;

    pthread_t worker;
    int worker_started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    job *head, *tail;
    int quit;
    job *timed; /* replies waiting on a timer; loop thread only */

    int pipe_fd[2];
    uint64_t watch_id;
    char ping_room[256];
    int pings;

    unsigned long echoed, typing_seen, receipts_seen;
};

static void logf_(mxm_module *m, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void logf_(mxm_module *m, int level, const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    m->host->log(m->host->host, level, buf);
}

static void job_free(job *j)
{
    if (!j)
        return;
    free(j->room_id);
    free(j->txn);
    free(j->body);
    free(j);
}

/* Percent-encode one path segment (room IDs carry '!' and ':'). */
static void path_escape(char *out, size_t n, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;

    for (; *s && o + 4 < n; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
            c == '~') {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
}

static void on_done(void *arg, int status, const char *json, size_t len)
{
    mxm_module *m = arg;

    (void)len;
    if (status != 200)
        logf_(m, MXM_LOG_WARN, "request failed: %d %s", status, json);
}

static void send_message(mxm_module *m, const char *room_id, const char *txn,
                         json_t *content)
{
    char room[256], t[256], path[640];
    char *body = json_dumps(content, JSON_COMPACT);

    if (!body)
        return;
    path_escape(room, sizeof(room), room_id);
    path_escape(t, sizeof(t), txn);
    snprintf(path, sizeof(path),
             "/_matrix/client/v3/rooms/%s/send/m.room.message/%s", room, t);
    m->host->request(m->host->host, m->user_id, "PUT", path, body,
                     strlen(body), 0, on_done, m);
    free(body);
}

static void send_text(mxm_module *m, const char *room_id, const char *txn,
                      const char *text)
{
    json_t *c = json_pack("{s:s,s:s}", "msgtype", "m.text", "body", text);

    if (c)
        send_message(m, room_id, txn, c);
    json_decref(c);
}

/* ---- worker thread: makes replies, posts them back ----------------------- */

static void unlink_timed(mxm_module *m, job *j)
{
    job **pp;

    for (pp = &m->timed; *pp; pp = &(*pp)->next)
        if (*pp == j) {
            *pp = j->next;
            return;
        }
}

static void reply_timer(void *arg)
{
    job *j = arg;

    unlink_timed(j->m, j);
    send_text(j->m, j->room_id, j->txn, j->body);
    j->m->echoed++;
    job_free(j);
}

static void reply_task(void *arg, int cancelled)
{
    job *j = arg;
    mxm_module *m = j->m;

    if (cancelled) {
        job_free(j);
        return;
    }
    j->next = m->timed;
    m->timed = j;
    if (m->delay_ms) {
        j->timer_id = m->host->timer_add(m->host->host, m->delay_ms,
                                         reply_timer, j);
        if (j->timer_id)
            return;
        logf_(m, MXM_LOG_WARN, "timer_add failed; replying at once");
    }
    reply_timer(j);
}

static void *worker_main(void *arg)
{
    mxm_module *m = arg;

    for (;;) {
        job *j;
        char *reply;
        size_t n;

        pthread_mutex_lock(&m->lock);
        while (!m->head && !m->quit)
            pthread_cond_wait(&m->cond, &m->lock);
        if (!m->head) {
            pthread_mutex_unlock(&m->lock);
            break;
        }
        j = m->head;
        m->head = j->next;
        if (!m->head)
            m->tail = NULL;
        pthread_mutex_unlock(&m->lock);

        n = strlen(m->prefix) + strlen(j->body) + 1;
        reply = malloc(n);
        if (reply) {
            snprintf(reply, n, "%s%s", m->prefix, j->body);
            free(j->body);
            j->body = reply;
            if (m->host->post(m->host->host, reply_task, j) == MXM_OK)
                continue;
        }
        job_free(j);
    }
    return NULL;
}

static void queue_job(mxm_module *m, const char *room_id, const char *event_id,
                      const char *body)
{
    job *j = calloc(1, sizeof(*j));
    size_t n = strlen(event_id) + 6;

    if (!j)
        return;
    j->m = m;
    j->room_id = strdup(room_id);
    j->body = strdup(body);
    j->txn = malloc(n);
    if (!j->room_id || !j->body || !j->txn) {
        job_free(j);
        return;
    }
    snprintf(j->txn, n, "echo-%s", event_id);
    pthread_mutex_lock(&m->lock);
    if (m->tail)
        m->tail->next = j;
    else
        m->head = j;
    m->tail = j;
    pthread_cond_signal(&m->cond);
    pthread_mutex_unlock(&m->lock);
}

/* ---- fd watch: "!ping" goes through a self-pipe -------------------------- */

static void on_pipe(void *arg, int fd, int events)
{
    mxm_module *m = arg;
    char buf[16], txn[32];
    ssize_t r;

    (void)events;
    while ((r = read(fd, buf, sizeof(buf))) > 0) {
        ssize_t i;
        for (i = 0; i < r; i++) {
            snprintf(txn, sizeof(txn), "pong-%d", ++m->pings);
            send_text(m, m->ping_room, txn, "pong");
        }
    }
}

/* ---- media: echo an image back ------------------------------------------- */

typedef struct media_job {
    mxm_module *m;
    char *room_id;
    char *txn;
    char *name;
} media_job;

static void media_job_free(media_job *mj)
{
    free(mj->room_id);
    free(mj->txn);
    free(mj->name);
    free(mj);
}

static void on_uploaded(void *arg, int status, const char *json, size_t len)
{
    media_job *mj = arg;
    json_t *root;
    const char *uri = NULL;

    root = status == 200 ? json_loadb(json, len, 0, NULL) : NULL;
    if (root && json_unpack(root, "{s:s}", "content_uri", &uri) == 0) {
        json_t *c = json_pack("{s:s,s:s,s:s}", "msgtype", "m.image", "body",
                              mj->name, "url", uri);
        if (c)
            send_message(mj->m, mj->room_id, mj->txn, c);
        json_decref(c);
    } else {
        logf_(mj->m, MXM_LOG_WARN, "upload failed: %d", status);
    }
    json_decref(root);
    media_job_free(mj);
}

static void on_downloaded(void *arg, int status, const char *content_type,
                          const void *data, size_t len)
{
    media_job *mj = arg;
    mxm_module *m = mj->m;

    if (status != 200 ||
        m->host->media_upload(m->host->host, m->user_id, content_type,
                              mj->name, data, len, on_uploaded, mj) != MXM_OK) {
        logf_(m, MXM_LOG_WARN, "image echo failed: %d", status);
        media_job_free(mj);
    }
}

static void echo_image(mxm_module *m, const char *room_id, const char *event_id,
                       const char *url, const char *name)
{
    media_job *mj = calloc(1, sizeof(*mj));
    size_t n = strlen(event_id) + 6;

    if (!mj)
        return;
    mj->m = m;
    mj->room_id = strdup(room_id);
    mj->name = strdup(name ? name : "image");
    mj->txn = malloc(n);
    if (!mj->room_id || !mj->name || !mj->txn) {
        media_job_free(mj);
        return;
    }
    snprintf(mj->txn, n, "echo-%s", event_id);
    if (m->host->media_download(m->host->host, url, on_downloaded, mj) !=
        MXM_OK)
        media_job_free(mj);
}

/* ---- module callbacks ---------------------------------------------------- */

static void on_event(mxm_module *m, const char *json, size_t len)
{
    json_t *ev = json_loadb(json, len, 0, NULL);
    const char *type = NULL, *room = NULL, *sender = NULL, *eid = NULL;
    json_t *content;

    if (!ev)
        return;
    json_unpack(ev, "{s?s,s?s,s?s,s?s}", "type", &type, "room_id", &room,
                "sender", &sender, "event_id", &eid);
    content = json_object_get(ev, "content");
    if (!type || !room || !sender || !json_is_object(content))
        goto out;

    if (strcmp(type, "m.room.member") == 0) {
        const char *sk = json_string_value(json_object_get(ev, "state_key"));
        const char *mem = json_string_value(json_object_get(content, "membership"));
        if (sk && mem && strcmp(sk, m->user_id) == 0 &&
            strcmp(mem, "invite") == 0) {
            char r[256], path[320];
            path_escape(r, sizeof(r), room);
            snprintf(path, sizeof(path), "/_matrix/client/v3/rooms/%s/join", r);
            m->host->request(m->host->host, m->user_id, "POST", path, "{}", 2,
                             0, on_done, m);
        }
    } else if (strcmp(type, "m.room.message") == 0 && eid &&
               strcmp(sender, m->user_id) != 0) {
        const char *mt = json_string_value(json_object_get(content, "msgtype"));
        const char *body = json_string_value(json_object_get(content, "body"));
        const char *url = json_string_value(json_object_get(content, "url"));

        if (mt && strcmp(mt, "m.image") == 0 && url) {
            echo_image(m, room, eid, url, body);
        } else if (body && strcmp(body, "!ping") == 0) {
            char c = 1;
            snprintf(m->ping_room, sizeof(m->ping_room), "%s", room);
            if (write(m->pipe_fd[1], &c, 1) != 1)
                logf_(m, MXM_LOG_WARN, "ping pipe full");
        } else if (body) {
            queue_job(m, room, eid, body);
        }
    }
out:
    json_decref(ev);
}

/* ABI 1.1: as on_event, but able to refuse an event for now (MXM_ERR_AGAIN)
 * when what it needs cannot be made durable. Echo keeps nothing durable,
 * so it always takes the event. */
static int on_event_try(mxm_module *m, const char *json, size_t len)
{
    on_event(m, json, len);
    return MXM_OK;
}

static void on_ephemeral(mxm_module *m, const char *json, size_t len)
{
    json_t *ev = json_loadb(json, len, 0, NULL);
    const char *type = ev ? json_string_value(json_object_get(ev, "type")) : NULL;

    if (type && strcmp(type, "m.typing") == 0)
        m->typing_seen++;
    else if (type && strcmp(type, "m.receipt") == 0)
        m->receipts_seen++;
    json_decref(ev);
}

static int query_user(mxm_module *m, const char *user_id)
{
    return strcmp(user_id, m->user_id) == 0;
}

static void on_stats(void *arg, uint64_t reply_id, const char *method,
                     const char *path, const char *query, const char *body,
                     size_t body_len)
{
    mxm_module *m = arg;
    char out[384], probe[64] = "";
    const char *h = NULL;
    int n;

    /* ABI 1.1: a request header of a module route (a 1.0 host has none) */
    if (MXM_HAS(m->host, http_header))
        h = m->host->http_header(m->host->host, reply_id, "X-Echo-Probe");
    /* only a short, plain value is echoed back, never raw bytes into JSON */
    if (h && strlen(h) < sizeof(probe) && strspn(h, "abcdefghijklmnopqrstuvwxyz0123456789-") == strlen(h))
        snprintf(probe, sizeof(probe), "%s", h);
    (void)path;
    (void)query;
    (void)body;
    (void)body_len;
    if (strcmp(method, "GET") != 0) {
        static const char e[] =
            "{\"errcode\":\"M_UNRECOGNIZED\",\"error\":\"GET only\"}";
        m->host->http_respond(m->host->host, reply_id, 405, "application/json",
                              e, sizeof(e) - 1);
        return;
    }
    n = snprintf(out, sizeof(out),
                 "{\"echoed\":%lu,\"typing\":%lu,\"receipts\":%lu,\"pings\":%d,"
                 "\"probe\":\"%s\"}",
                 m->echoed, m->typing_seen, m->receipts_seen, m->pings, probe);
    m->host->http_respond(m->host->host, reply_id, 200, "application/json", out,
                          (size_t)n);
}

static void on_user_ready(void *arg, int status, const char *json, size_t len)
{
    mxm_module *m = arg;
    char uid[400], path[512], body[256];
    int n;

    (void)len;
    if (status != 200) {
        logf_(m, MXM_LOG_ERROR, "cannot create %s: %d %s", m->user_id, status,
              json);
        return;
    }
    path_escape(uid, sizeof(uid), m->user_id);
    snprintf(path, sizeof(path), "/_matrix/client/v3/profile/%s/displayname",
             uid);
    n = snprintf(body, sizeof(body), "{\"displayname\":\"Echo\"}");
    m->host->request(m->host->host, m->user_id, "PUT", path, body, (size_t)n, 0,
                     on_done, m);
}

static int start(mxm_module *m, char *err, size_t errlen)
{
    if (pipe2(m->pipe_fd, O_NONBLOCK | O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    m->watch_id = m->host->fd_watch(m->host->host, m->pipe_fd[0], MXM_FD_READ,
                                    on_pipe, m);
    if (!m->watch_id) {
        snprintf(err, errlen, "fd_watch failed");
        return -1;
    }
    if (m->host->http_route(m->host->host, "/_mxm/echo/", on_stats, m) !=
        MXM_OK) {
        snprintf(err, errlen, "http_route failed");
        return -1;
    }
    if (pthread_create(&m->worker, NULL, worker_main, m) != 0) {
        snprintf(err, errlen, "cannot start the worker thread");
        return -1;
    }
    m->worker_started = 1;
    if (m->host->ensure_user(m->host->host, m->localpart, on_user_ready, m) !=
        MXM_OK) {
        snprintf(err, errlen, "ensure_user(%s) failed", m->localpart);
        return -1;
    }
    logf_(m, MXM_LOG_INFO, "echo ready as %s", m->user_id);
    return 0;
}

static void stop(mxm_module *m)
{
    job *j;

    if (m->worker_started) {
        pthread_mutex_lock(&m->lock);
        m->quit = 1;
        pthread_cond_signal(&m->cond);
        pthread_mutex_unlock(&m->lock);
        pthread_join(m->worker, NULL);
    }
    while ((j = m->head)) {
        m->head = j->next;
        job_free(j);
    }
    while ((j = m->timed)) {
        m->timed = j->next;
        m->host->timer_cancel(m->host->host, j->timer_id);
        job_free(j);
    }
    if (m->watch_id)
        m->host->fd_unwatch(m->host->host, m->watch_id);
    if (m->pipe_fd[0] >= 0) {
        close(m->pipe_fd[0]);
        close(m->pipe_fd[1]);
    }
    pthread_cond_destroy(&m->cond);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

/* ---- configuration ------------------------------------------------------- */

static int parse_config(mxm_module *m, const char *json, char *err,
                        size_t errlen)
{
    json_error_t je;
    json_t *cfg = json_loads(json, 0, &je), *v;
    const char *key;
    int rc = -1;

    if (!cfg || !json_is_object(cfg)) {
        snprintf(err, errlen, "config is not a JSON object: %s",
                 cfg ? "wrong type" : je.text);
        goto out;
    }
    json_object_foreach(cfg, key, v) {
        if (strcmp(key, "localpart") == 0) {
            const char *s = json_string_value(v);
            size_t i;
            if (!s || !*s || strlen(s) >= sizeof(m->localpart)) {
                snprintf(err, errlen, "config.localpart: expected a short non-empty string");
                goto out;
            }
            for (i = 0; s[i]; i++)
                /* No regex metacharacters: the localpart is our namespace. */
                if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789_-", s[i])) {
                    snprintf(err, errlen, "config.localpart: '%c' is not allowed in a user ID", s[i]);
                    goto out;
                }
            memcpy(m->localpart, s, strlen(s) + 1);
        } else if (strcmp(key, "prefix") == 0) {
            const char *s = json_string_value(v);
            if (!s || strlen(s) >= sizeof(m->prefix)) {
                snprintf(err, errlen, "config.prefix: expected a string under %zu bytes", sizeof(m->prefix));
                goto out;
            }
            memcpy(m->prefix, s, strlen(s) + 1);
        } else if (strcmp(key, "delay_ms") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 0 ||
                json_integer_value(v) > 60000) {
                snprintf(err, errlen, "config.delay_ms: expected an integer from 0 to 60000");
                goto out;
            }
            m->delay_ms = (unsigned)json_integer_value(v);
        } else {
            snprintf(err, errlen, "config.%s: unknown option (known: localpart, prefix, delay_ms)", key);
            goto out;
        }
    }
    rc = 0;
out:
    json_decref(cfg);
    return rc;
}

MXM_EXPORT int mxm_module_init(const mxm_host_api *host,
                               const mxm_module_api **out,
                               const char *config_json, char *err,
                               size_t errlen)
{
    mxm_module *m;

    if (!host || host->abi_major != MXM_ABI_MAJOR ||
        !MXM_HAS(host, http_respond)) {
        snprintf(err, errlen, "host table too old for this module");
        return -1;
    }
    m = calloc(1, sizeof(*m));
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    m->host = host;
    m->pipe_fd[0] = m->pipe_fd[1] = -1;
    snprintf(m->localpart, sizeof(m->localpart), "echo");
    snprintf(m->prefix, sizeof(m->prefix), "echo: ");
    if (parse_config(m, config_json, err, errlen) != 0) {
        free(m);
        return -1;
    }
    snprintf(m->user_id, sizeof(m->user_id), "@%s:%s", m->localpart,
             host->server_name(host->host));
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->cond, NULL);
    m->ns[0] = m->localpart;
    m->ns[1] = NULL;

    m->api.struct_size = sizeof(m->api);
    m->api.module = m;
    m->api.user_namespaces = m->ns;
    m->api.alias_namespaces = NULL;
    m->api.start = start;
    m->api.stop = stop;
    m->api.on_event = on_event;
    m->api.on_ephemeral = on_ephemeral;
    m->api.query_user = query_user;
    m->api.on_event_try = on_event_try;
    *out = &m->api;
    return 0;
}
