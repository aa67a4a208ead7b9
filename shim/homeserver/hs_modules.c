/*
 * hs_modules.c - hosting mxm modules through libmxmhost: the homeserver's
 * host_matrix_ops.
 *
 * A module's request() becomes a job on a queue that a deferred libevent
 * event drains, so execution and completion are always asynchronous and on
 * the loop. The job runs through the same router as HTTP, with the identity
 * set to the requested user (after checking it is in the module's
 * namespace, or a local user when the module's config entry has
 * double_puppet: true) and `ts` overriding origin_server_ts. Once the
 * modules are stopped, queued work is dropped without calling back.
 *
 * Event delivery (on_event, on_ephemeral) is in hs_deliver.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/queue.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "hs.h"
#include "hs_http.h"

enum { J_REQUEST, J_ENSURE, J_UPLOAD, J_DOWNLOAD, J_DONE, J_MEDIA_DONE };

typedef struct hs_mod_job {
    int kind;
    host_module *m;
    char *user_id, *method, *path, *ctype, *filename;
    unsigned char *body;
    size_t body_len;
    int64_t ts;
    mxm_done_fn cb;
    mxm_media_fn mcb;
    void *arg;
    int status;
    struct hs_mod_job *next;
} hs_mod_job;

static void job_free(hs_mod_job *j)
{
    if (!j)
        return;
    free(j->user_id);
    free(j->method);
    free(j->path);
    free(j->ctype);
    free(j->filename);
    free(j->body);
    free(j);
}

static void run_jobs(evutil_socket_t fd, short what, void *arg);

static void push(hs *s, hs_mod_job *j)
{
    j->next = NULL;
    if (s->mjobs_tail)
        s->mjobs_tail->next = j;
    else
        s->mjobs_head = j;
    s->mjobs_tail = j;
    if (s->mjobs_ev)
        event_active(s->mjobs_ev, EV_TIMEOUT, 0);
}

/* Turn j into a completion carrying `json` (copied into body). */
static void complete(hs *s, hs_mod_job *j, int status, const char *json)
{
    free(j->body);
    j->body = (unsigned char *)strdup(json ? json : "{}");
    j->body_len = j->body ? strlen((char *)j->body) : 0;
    j->status = status;
    j->kind = j->kind == J_DOWNLOAD ? J_MEDIA_DONE : J_DONE;
    push(s, j);
}

static void complete_err(hs *s, hs_mod_job *j, int status, const char *code,
                         const char *msg)
{
    json_t *o = json_pack("{s:s,s:s}", "errcode", code, "error", msg);
    char *t = json_dumps(o, JSON_COMPACT);

    complete(s, j, status, t);
    free(t);
    json_decref(o);
}

static int may_act(hs *s, host_module *m, const char *user_id)
{
    char lp[256];
    size_t i;

    if (hs_localpart(s, user_id, lp, sizeof(lp)))
        return 0;
    if (host_user_owner(s->host, lp) == m) {
        if (!hs_user_exists(s, user_id) && hs_user_create(s, lp, NULL, 0, NULL, 0))
            return 0;
        return 1;
    }
    for (i = 0; i < host_module_count(s->host) && i < s->cfg.nmodules; i++)
        if (host_module_at(s->host, i) == m)
            return s->cfg.modules[i].double_puppet && hs_user_exists(s, user_id) &&
                   !hs_namespace_owned(s, lp);
    return 0;
}

static void module_finish(hs_req *r)
{
    hs_mod_job *j = r->transport;
    char *txt = r->resp ? json_dumps(r->resp, JSON_COMPACT) : NULL;

    complete(r->s, j, r->status ? r->status : 200, txt);
    free(txt);
    hs_req_free(r);
}

static void exec_request(hs *s, hs_mod_job *j)
{
    hs_req *r;
    char *q;
    json_t *query = json_object();

    if (!may_act(s, j->m, j->user_id)) {
        json_decref(query);
        complete_err(s, j, 403, "M_EXCLUSIVE", "the module may not act as this user");
        return;
    }
    r = calloc(1, sizeof(*r));
    if (!r) {
        json_decref(query);
        complete_err(s, j, 500, "M_UNKNOWN", "out of memory");
        return;
    }
    q = strchr(j->path, '?');
    if (q) {
        struct evkeyvalq kv;
        struct evkeyval *e;
        *q++ = '\0';
        TAILQ_INIT(&kv);
        if (evhttp_parse_query_str(q, &kv) == 0)
            TAILQ_FOREACH(e, &kv, next)
                json_object_set_new(query, e->key, json_string(e->value));
        evhttp_clear_headers(&kv);
    }
    r->s = s;
    r->method = j->method;
    r->query = query;
    r->body = j->body;
    r->body_len = j->body_len;
    r->from_module = 1;
    r->authed = 1;
    r->ts_override = j->ts;
    snprintf(r->user_id, sizeof(r->user_id), "%s", j->user_id);
    r->finish = module_finish;
    r->transport = j;
    if (hs_req_set_path(r, j->path)) {
        hs_err(r, 400, "M_UNRECOGNIZED", "bad path");
        r->finish(r);
        return;
    }
    hs_route(r);
}

static void exec_job(hs *s, hs_mod_job *j)
{
    char mxc[300], uid[300];

    switch (j->kind) {
    case J_REQUEST:
        exec_request(s, j);
        return;
    case J_ENSURE:
        if (host_user_owner(s->host, j->user_id) != j->m) {
            complete_err(s, j, 403, "M_EXCLUSIVE", "localpart outside the module's namespace");
            return;
        }
        snprintf(uid, sizeof(uid), "@%s:%s", j->user_id, s->cfg.server_name);
        if (!hs_user_exists(s, uid) && hs_user_create(s, j->user_id, NULL, 0, NULL, 0)) {
            complete_err(s, j, 400, "M_INVALID_USERNAME", "cannot create this user");
            return;
        }
        {
            json_t *o = json_pack("{s:s}", "user_id", uid);
            char *t = json_dumps(o, JSON_COMPACT);
            complete(s, j, 200, t);
            free(t);
            json_decref(o);
        }
        return;
    case J_UPLOAD:
        if (!may_act(s, j->m, j->user_id)) {
            complete_err(s, j, 403, "M_EXCLUSIVE", "the module may not act as this user");
            return;
        }
        if (hs_media_store(s, j->user_id, j->ctype, j->filename, j->body, j->body_len, mxc, sizeof(mxc))) {
            complete_err(s, j, 500, "M_UNKNOWN", "cannot store media");
            return;
        }
        {
            json_t *o = json_pack("{s:s}", "content_uri", mxc);
            char *t = json_dumps(o, JSON_COMPACT);
            complete(s, j, 200, t);
            free(t);
            json_decref(o);
        }
        return;
    case J_DOWNLOAD: {
        char server[256] = "", id[128] = "", ct[128], fn[256];
        unsigned char *data = NULL;
        size_t len = 0;
        const char *p = j->path + 6, *slash = strchr(p, '/');
        if (strncmp(j->path, "mxc://", 6) || !slash || (size_t)(slash - p) >= sizeof(server) ||
            strlen(slash + 1) >= sizeof(id)) {
            complete_err(s, j, 400, "M_INVALID_PARAM", "not an mxc:// URI");
            return;
        }
        memcpy(server, p, (size_t)(slash - p));
        snprintf(id, sizeof(id), "%s", slash + 1);
        if (hs_media_load(s, server, id, &data, &len, ct, sizeof(ct), fn, sizeof(fn))) {
            complete_err(s, j, 404, "M_NOT_FOUND", "media not found");
            return;
        }
        free(j->body);
        j->body = data;
        j->body_len = len;
        free(j->ctype);
        j->ctype = strdup(ct);
        j->status = 200;
        j->kind = J_MEDIA_DONE;
        push(s, j);
        return;
    }
    case J_DONE:
        j->cb(j->arg, j->status, j->body ? (const char *)j->body : "{}", j->body_len);
        break;
    case J_MEDIA_DONE:
        j->mcb(j->arg, j->status, j->ctype ? j->ctype : "application/json", j->body, j->body_len);
        break;
    }
    job_free(j);
}

static void run_jobs(evutil_socket_t fd, short what, void *arg)
{
    hs *s = arg;
    hs_mod_job *list = s->mjobs_head, *j;

    (void)fd;
    (void)what;
    s->mjobs_head = s->mjobs_tail = NULL; /* new work goes to the next round */
    while ((j = list)) {
        list = j->next;
        if (!s->modules_running) {
            job_free(j);
            continue;
        }
        exec_job(s, j);
    }
}

static hs_mod_job *job_new(hs *s, int kind, host_module *m, void *arg)
{
    hs_mod_job *j = calloc(1, sizeof(*j));

    (void)s;
    if (j) {
        j->kind = kind;
        j->m = m;
        j->arg = arg;
    }
    return j;
}

static int op_ensure_user(void *ctx, host_module *m, const char *localpart,
                          mxm_done_fn cb, void *arg)
{
    hs *s = ctx;
    hs_mod_job *j;

    if (!localpart || !cb)
        return MXM_ERR_INVAL;
    if (!(j = job_new(s, J_ENSURE, m, arg)) || !(j->user_id = strdup(localpart))) {
        job_free(j);
        return MXM_ERR_NOMEM;
    }
    j->cb = cb;
    push(s, j);
    return MXM_OK;
}

static int op_request(void *ctx, host_module *m, const char *user_id,
                      const char *method, const char *path, const char *body,
                      size_t body_len, int64_t ts_ms, mxm_done_fn cb, void *arg)
{
    hs *s = ctx;
    hs_mod_job *j;

    if (!user_id || !method || !path || !cb)
        return MXM_ERR_INVAL;
    if (strcmp(method, "GET") && strcmp(method, "PUT") && strcmp(method, "POST") &&
        strcmp(method, "DELETE"))
        return MXM_ERR_INVAL;
    j = job_new(s, J_REQUEST, m, arg);
    if (!j || !(j->user_id = strdup(user_id)) || !(j->method = strdup(method)) ||
        !(j->path = strdup(path)) || (body_len && !(j->body = malloc(body_len)))) {
        job_free(j);
        return MXM_ERR_NOMEM;
    }
    if (body_len)
        memcpy(j->body, body, body_len);
    j->body_len = body ? body_len : 0;
    j->ts = ts_ms;
    j->cb = cb;
    push(s, j);
    return MXM_OK;
}

static int op_media_upload(void *ctx, host_module *m, const char *user_id,
                           const char *content_type, const char *filename,
                           const void *data, size_t len, mxm_done_fn cb, void *arg)
{
    hs *s = ctx;
    hs_mod_job *j;

    if (!user_id || !cb || (len && !data))
        return MXM_ERR_INVAL;
    j = job_new(s, J_UPLOAD, m, arg);
    if (!j || !(j->user_id = strdup(user_id)) ||
        (content_type && !(j->ctype = strdup(content_type))) ||
        (filename && !(j->filename = strdup(filename))) ||
        !(j->body = malloc(len ? len : 1))) {
        job_free(j);
        return MXM_ERR_NOMEM;
    }
    if (len)
        memcpy(j->body, data, len);
    j->body_len = len;
    j->cb = cb;
    push(s, j);
    return MXM_OK;
}

static int op_media_download(void *ctx, host_module *m, const char *mxc,
                             mxm_media_fn cb, void *arg)
{
    hs *s = ctx;
    hs_mod_job *j;

    if (!mxc || !cb)
        return MXM_ERR_INVAL;
    j = job_new(s, J_DOWNLOAD, m, arg);
    if (!j || !(j->path = strdup(mxc))) {
        job_free(j);
        return MXM_ERR_NOMEM;
    }
    j->mcb = cb;
    push(s, j);
    return MXM_OK;
}

static int op_http_respond(void *ctx, uint64_t reply_id, int status,
                           const char *content_type, const void *body, size_t len)
{
    return hs_http_respond(ctx, reply_id, status, content_type, body, len);
}

static const char *op_http_header(void *ctx, uint64_t reply_id, const char *name)
{
    return hs_http_header(ctx, reply_id, name);
}

static void host_log(void *ctx, int level, const char *module, const char *msg)
{
    hs_logf(ctx, level, "[%s] %s", module ? module : "host", msg);
}

int hs_namespace_owned(hs *s, const char *localpart)
{
    return (s->host && host_user_owner(s->host, localpart) != NULL) ||
           hs_as_owns_localpart(s, localpart);
}

int hs_modules_load(hs *s, char *err, size_t errlen)
{
    host_matrix_ops ops = {s, op_ensure_user, op_request, op_media_upload,
                           op_media_download, op_http_respond, op_http_header};
    char e[512];
    size_t i;

    s->mjobs_ev = event_new(s->base, -1, 0, run_jobs, s);
    if (!s->mjobs_ev) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (host_new(&s->host, s->base, s->cfg.server_name, s->cfg.data_dir, &ops,
                 host_log, s, e, sizeof(e))) {
        snprintf(err, errlen, "module host: %s", e);
        return -1;
    }
    for (i = 0; i < s->cfg.nmodules; i++) {
        if (host_load(s->host, s->cfg.modules[i].module, s->cfg.modules[i].config_json,
                      NULL, e, sizeof(e))) {
            snprintf(err, errlen, "modules[%zu] (%s): %s", i, s->cfg.modules[i].module, e);
            return -1;
        }
    }
    /* Positions and the replay of undelivered events come before start():
     * every event stored from now on has a higher stream position. */
    if (hs_deliver_open(s, e, sizeof(e))) {
        snprintf(err, errlen, "module delivery: %s", e);
        return -1;
    }
    s->modules_running = 1;
    if (host_start(s->host, e, sizeof(e))) {
        s->modules_running = 0;
        snprintf(err, errlen, "starting modules: %s", e);
        return -1;
    }
    for (i = 0; i < host_module_count(s->host); i++)
        hs_logf(s, UT_LOG_INFO, "module %s %s loaded from %s",
                host_module_name(host_module_at(s->host, i)),
                host_module_version(host_module_at(s->host, i)),
                host_module_path(host_module_at(s->host, i)));
    return 0;
}

void hs_modules_stop(hs *s)
{
    hs_mod_job *j;

    s->modules_running = 0;
    if (s->host)
        host_stop(s->host);
    /* queued work is dropped: no completion after stop(). Undelivered
     * events stay in module_queue and are replayed at the next start. */
    while ((j = s->mjobs_head)) {
        s->mjobs_head = j->next;
        job_free(j);
    }
    s->mjobs_tail = NULL;
    hs_deliver_close(s);
    if (s->host)
        host_free(s->host);
    s->host = NULL;
    if (s->mjobs_ev)
        event_free(s->mjobs_ev);
    s->mjobs_ev = NULL;
}
