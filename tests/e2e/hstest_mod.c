/*
 * hstest_mod.c - a scriptable mxm module for mxhs's end-to-end tests
 * (tests/e2e/mxhs_modules.js). It owns the namespace "hst_.*" and exposes
 * its host calls over its HTTP route so a test can drive them:
 *   POST /_mxm/hstest/request  {"user","method","path","body"?,"ts"?}
 *   POST /_mxm/hstest/ensure   {"localpart"}
 *   POST /_mxm/hstest/upload   {"user","text","type"}
 *   POST /_mxm/hstest/download {"mxc"}
 *   GET  /_mxm/hstest/events   -> {"events":[...],"ephemeral":[...]}
 *   POST /_mxm/hstest/die      {"after": K} -> the K-th next on_event kills
 *                              the process (SIGKILL) before recording it
 * Every on_event also appends "<pid> <event_id>\n" to
 * <data_dir>/hstest-events.log with write(2), which survives a kill -9 of
 * the process, so crash tests can see what was delivered across restarts.
 * Each answer is {"rc", "status", "json"/"text", "inline"}; "inline" is 1
 * when the completion ran inside the host call (which must never happen).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include <mxm/module.h>

MXM_MODULE_DESCRIPTOR("hstest", "1.0.0");

struct mxm_module {
    const mxm_host_api *host;
    mxm_module_api api;
    const char *ns[2];
    json_t *events, *ephemeral;
    int in_call;
    int die_after; /* 0: never */
    int log_fd;
};

typedef struct pend {
    struct mxm_module *m;
    uint64_t reply_id;
    int inline_;
} pend;

static void reply(struct mxm_module *m, uint64_t id, int status, json_t *o)
{
    char *t = json_dumps(o, JSON_COMPACT);

    m->host->http_respond(m->host->host, id, status, "application/json", t ? t : "{}",
                          t ? strlen(t) : 2);
    free(t);
    json_decref(o);
}

static void on_done(void *arg, int status, const char *json, size_t len)
{
    pend *p = arg;
    json_t *j = json_loadb(json, len, 0, NULL);

    reply(p->m, p->reply_id, 200, json_pack("{s:i,s:i,s:o,s:i}", "rc", 0, "status", status,
                                            "json", j ? j : json_null(), "inline", p->m->in_call));
    free(p);
}

static void on_media(void *arg, int status, const char *ct, const void *data, size_t len)
{
    pend *p = arg;

    reply(p->m, p->reply_id, 200, json_pack("{s:i,s:i,s:s,s:s%,s:i}", "rc", 0, "status", status,
                                            "type", ct ? ct : "", "text", data ? (const char *)data : "",
                                            data ? len : 0, "inline", p->m->in_call));
    free(p);
}

static void on_http(void *arg, uint64_t id, const char *method, const char *path,
                    const char *query, const char *body, size_t body_len)
{
    struct mxm_module *m = arg;
    json_t *b = body_len ? json_loadb(body, body_len, 0, NULL) : json_object();
    const char *op = path + strlen("/_mxm/hstest/");
    pend *p;
    int rc;

    (void)query;
    if (!strcmp(method, "GET") && !strcmp(op, "events")) {
        json_decref(b);
        reply(m, id, 200, json_pack("{s:O,s:O}", "events", m->events, "ephemeral", m->ephemeral));
        return;
    }
    if (!b || strcmp(method, "POST")) {
        json_decref(b);
        reply(m, id, 400, json_pack("{s:s}", "error", "bad request"));
        return;
    }
    if (!strcmp(op, "die")) {
        m->die_after = (int)json_integer_value(json_object_get(b, "after"));
        json_decref(b);
        reply(m, id, 200, json_pack("{s:i}", "rc", 0));
        return;
    }
    p = calloc(1, sizeof(*p));
    p->m = m;
    p->reply_id = id;
    m->in_call = 1;
    if (!strcmp(op, "request")) {
        json_t *jb = json_object_get(b, "body");
        char *bt = jb ? json_dumps(jb, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        rc = m->host->request(m->host->host, json_string_value(json_object_get(b, "user")),
                              json_string_value(json_object_get(b, "method")),
                              json_string_value(json_object_get(b, "path")), bt, bt ? strlen(bt) : 0,
                              json_integer_value(json_object_get(b, "ts")), on_done, p);
        free(bt);
    } else if (!strcmp(op, "ensure")) {
        rc = m->host->ensure_user(m->host->host, json_string_value(json_object_get(b, "localpart")),
                                  on_done, p);
    } else if (!strcmp(op, "upload")) {
        const char *t = json_string_value(json_object_get(b, "text"));
        rc = m->host->media_upload(m->host->host, json_string_value(json_object_get(b, "user")),
                                   json_string_value(json_object_get(b, "type")), "t.txt", t,
                                   t ? strlen(t) : 0, on_done, p);
    } else if (!strcmp(op, "download")) {
        rc = m->host->media_download(m->host->host, json_string_value(json_object_get(b, "mxc")),
                                     on_media, p);
    } else {
        rc = MXM_ERR_NOTFOUND;
    }
    m->in_call = 0;
    if (rc != MXM_OK) {
        free(p);
        reply(m, id, 200, json_pack("{s:i}", "rc", rc));
    }
    json_decref(b);
}

static void on_event(struct mxm_module *m, const char *json, size_t len)
{
    json_t *j = json_loadb(json, len, 0, NULL);
    const char *id = json_string_value(json_object_get(j, "event_id"));

    if (m->die_after > 0 && --m->die_after == 0)
        raise(SIGKILL); /* a crash while this event and later ones are queued */
    if (id && m->log_fd >= 0) {
        char line[320];
        int n = snprintf(line, sizeof(line), "%ld %s\n", (long)getpid(), id);
        if (n > 0 && (size_t)n < sizeof(line) && write(m->log_fd, line, (size_t)n) != n)
            m->host->log(m->host->host, MXM_LOG_ERROR, "hstest: event log write failed");
    }
    if (j)
        json_array_append_new(m->events, j);
}

static void on_ephemeral(struct mxm_module *m, const char *json, size_t len)
{
    json_t *j = json_loadb(json, len, 0, NULL);

    if (j)
        json_array_append_new(m->ephemeral, j);
}

static int query_user(struct mxm_module *m, const char *user_id)
{
    (void)m;
    return strncmp(user_id, "@hst_", 5) == 0;
}

static int start(struct mxm_module *m, char *err, size_t errlen)
{
    char path[512];

    snprintf(path, sizeof(path), "%s/hstest-events.log", m->host->data_dir(m->host->host));
    m->log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (m->host->http_route(m->host->host, "/_mxm/hstest/", on_http, m) != MXM_OK) {
        snprintf(err, errlen, "http_route failed");
        return -1;
    }
    return 0;
}

static void stop(struct mxm_module *m)
{
    if (m->log_fd >= 0)
        close(m->log_fd);
    json_decref(m->events);
    json_decref(m->ephemeral);
    free(m);
}

MXM_EXPORT int mxm_module_init(const mxm_host_api *host, const mxm_module_api **out,
                               const char *config_json, char *err, size_t errlen)
{
    struct mxm_module *m = calloc(1, sizeof(*m));

    (void)config_json;
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    m->host = host;
    m->log_fd = -1;
    m->events = json_array();
    m->ephemeral = json_array();
    m->ns[0] = "hst_.*";
    m->api.struct_size = sizeof(m->api);
    m->api.module = m;
    m->api.user_namespaces = m->ns;
    m->api.start = start;
    m->api.stop = stop;
    m->api.on_event = on_event;
    m->api.on_ephemeral = on_ephemeral;
    m->api.query_user = query_user;
    *out = &m->api;
    return 0;
}
