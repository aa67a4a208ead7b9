/*
 * mx_conn.c - see mx_conn.h. Paths are built here, once, with every id
 * percent-encoded, so no caller hand-writes a CS API path.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mx_conn.h"
#include "mx_event.h"

#define MX_PATH_MAX 2048

struct mx_conn {
    const mxm_host_api *host;
    const ut_log *log;
};

/* One in-flight request: what the completion needs, without the conn. */
typedef struct pending {
    mx_done_fn cb;
    void *arg;
    const ut_log *log;
    char what[64];
} pending;

int mx_conn_new(mx_conn **out, const mxm_host_api *host, const ut_log *log)
{
    mx_conn *c;

    *out = NULL;
    if (!host || !MXM_HAS(host, request))
        return UT_ERR_INVAL;
    c = calloc(1, sizeof(*c));
    if (!c)
        return UT_ERR_NOMEM;
    c->host = host;
    c->log = log;
    *out = c;
    return 0;
}

void mx_conn_free(mx_conn *c) { free(c); }

const char *mx_server_name(const mx_conn *c)
{
    return c->host->server_name(c->host->host);
}

int mx_user_id(const mx_conn *c, const char *localpart, char *out, size_t n)
{
    int k = snprintf(out, n, "@%s:%s", localpart, mx_server_name(c));
    return k < 0 || (size_t)k >= n ? UT_ERR_RANGE : 0;
}

static void on_done(void *arg, int status, const char *json, size_t len)
{
    pending *p = arg;
    json_t *body = len ? json_loadb(json, len, 0, NULL) : NULL;

    if (p->cb)
        p->cb(p->arg, status, body);
    else if (status != 200)
        ut_logf(p->log, UT_LOG_WARN, "matrix: %s failed: HTTP %d %.200s",
                p->what, status, json ? json : "");
    json_decref(body);
    free(p);
}

static pending *pending_new(mx_conn *c, const char *what, mx_done_fn cb,
                            void *arg)
{
    pending *p = calloc(1, sizeof(*p));

    if (!p)
        return NULL;
    p->cb = cb;
    p->arg = arg;
    p->log = c->log;
    snprintf(p->what, sizeof(p->what), "%s", what);
    return p;
}

int mx_request(mx_conn *c, const char *as_user, const char *method,
               const char *path, json_t *body, int64_t ts_ms, mx_done_fn cb,
               void *arg)
{
    char *text = NULL;
    pending *p;
    int rc;

    if (body && !(text = json_dumps(body, JSON_COMPACT)))
        return UT_ERR_NOMEM;
    p = pending_new(c, method, cb, arg);
    if (!p) {
        free(text);
        return UT_ERR_NOMEM;
    }
    snprintf(p->what, sizeof(p->what), "%s %.50s", method, path);
    rc = c->host->request(c->host->host, as_user, method, path, text,
                          text ? strlen(text) : 0, ts_ms, on_done, p);
    free(text);
    if (rc != MXM_OK) {
        ut_logf(c->log, UT_LOG_WARN, "matrix: host refused %s (%d)", p->what, rc);
        free(p);
        return MX_ERR_HOST;
    }
    return 0;
}

/* Build "/_matrix/client/v3/" + fmt with %s arguments escaped. Only %s. */
static int build_path(char *out, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int build_path(char *out, size_t n, const char *fmt, ...)
{
    va_list ap;
    size_t o;
    int k = snprintf(out, n, "/_matrix/client/v3/");

    o = (size_t)k;
    va_start(ap, fmt);
    for (; *fmt; fmt++) {
        if (fmt[0] == '%' && fmt[1] == 's') {
            const char *s = va_arg(ap, const char *);
            if (!s || mx_path_escape(out + o, n - o, s) != 0) {
                va_end(ap);
                return UT_ERR_RANGE;
            }
            o += strlen(out + o);
            fmt++;
        } else {
            if (o + 1 >= n) {
                va_end(ap);
                return UT_ERR_RANGE;
            }
            out[o++] = *fmt;
            out[o] = '\0';
        }
    }
    va_end(ap);
    return 0;
}

int mx_ensure_user(mx_conn *c, const char *localpart, mx_done_fn cb, void *arg)
{
    pending *p = pending_new(c, "ensure_user", cb, arg);

    if (!p)
        return UT_ERR_NOMEM;
    if (c->host->ensure_user(c->host->host, localpart, on_done, p) != MXM_OK) {
        free(p);
        return MX_ERR_HOST;
    }
    return 0;
}

int mx_send(mx_conn *c, const char *as_user, const char *room_id,
            const char *type, const char *txn_id, json_t *content,
            int64_t ts_ms, mx_done_fn cb, void *arg)
{
    char path[MX_PATH_MAX];

    if (build_path(path, sizeof(path), "rooms/%s/send/%s/%s", room_id, type,
                   txn_id) != 0)
        return UT_ERR_RANGE;
    return mx_request(c, as_user, "PUT", path, content, ts_ms, cb, arg);
}

int mx_state(mx_conn *c, const char *as_user, const char *room_id,
             const char *type, const char *state_key, json_t *content,
             mx_done_fn cb, void *arg)
{
    char path[MX_PATH_MAX];

    if (build_path(path, sizeof(path), "rooms/%s/state/%s/%s", room_id, type,
                   state_key ? state_key : "") != 0)
        return UT_ERR_RANGE;
    return mx_request(c, as_user, "PUT", path, content, 0, cb, arg);
}

int mx_create_room(mx_conn *c, const char *as_user, json_t *body,
                   mx_done_fn cb, void *arg)
{
    return mx_request(c, as_user, "POST", "/_matrix/client/v3/createRoom",
                      body, 0, cb, arg);
}

int mx_membership(mx_conn *c, const char *as_user, const char *room_id,
                  const char *action, const char *target, const char *reason,
                  mx_done_fn cb, void *arg)
{
    char path[MX_PATH_MAX];
    json_t *body;
    int rc, needs_target = strcmp(action, "join") != 0 && strcmp(action, "leave") != 0;

    if (needs_target && !target)
        return UT_ERR_INVAL;
    if (strcmp(action, "join") && strcmp(action, "leave") &&
        strcmp(action, "invite") && strcmp(action, "kick") &&
        strcmp(action, "ban"))
        return UT_ERR_INVAL;
    if (build_path(path, sizeof(path), "rooms/%s/%s", room_id, action) != 0)
        return UT_ERR_RANGE;
    body = json_object();
    if (!body)
        return UT_ERR_NOMEM;
    if (needs_target)
        json_object_set_new(body, "user_id", json_string(target));
    if (reason)
        json_object_set_new(body, "reason", json_string(reason));
    rc = mx_request(c, as_user, "POST", path, body, 0, cb, arg);
    json_decref(body);
    return rc;
}

int mx_redact(mx_conn *c, const char *as_user, const char *room_id,
              const char *event_id, const char *txn_id, const char *reason,
              mx_done_fn cb, void *arg)
{
    char path[MX_PATH_MAX];
    json_t *body = json_object();
    int rc;

    if (!body)
        return UT_ERR_NOMEM;
    if (reason)
        json_object_set_new(body, "reason", json_string(reason));
    rc = build_path(path, sizeof(path), "rooms/%s/redact/%s/%s", room_id,
                    event_id, txn_id);
    if (rc == 0)
        rc = mx_request(c, as_user, "PUT", path, body, 0, cb, arg);
    json_decref(body);
    return rc;
}

static int profile_put(mx_conn *c, const char *as_user, const char *field,
                       const char *value, mx_done_fn cb, void *arg)
{
    char path[MX_PATH_MAX];
    json_t *body = json_pack("{s:s}", field, value ? value : "");
    int rc;

    if (!body)
        return UT_ERR_NOMEM;
    rc = build_path(path, sizeof(path), "profile/%s/%s", as_user, field);
    if (rc == 0)
        rc = mx_request(c, as_user, "PUT", path, body, 0, cb, arg);
    json_decref(body);
    return rc;
}

int mx_set_displayname(mx_conn *c, const char *as_user, const char *name,
                       mx_done_fn cb, void *arg)
{
    return profile_put(c, as_user, "displayname", name, cb, arg);
}

int mx_set_avatar(mx_conn *c, const char *as_user, const char *mxc,
                  mx_done_fn cb, void *arg)
{
    return profile_put(c, as_user, "avatar_url", mxc, cb, arg);
}

int mx_typing(mx_conn *c, const char *as_user, const char *room_id,
              int typing, int timeout_ms, mx_done_fn cb, void *arg)
{
    char path[MX_PATH_MAX];
    json_t *body = typing ? json_pack("{s:b,s:i}", "typing", 1, "timeout", timeout_ms)
                          : json_pack("{s:b}", "typing", 0);
    int rc;

    if (!body)
        return UT_ERR_NOMEM;
    rc = build_path(path, sizeof(path), "rooms/%s/typing/%s", room_id, as_user);
    if (rc == 0)
        rc = mx_request(c, as_user, "PUT", path, body, 0, cb, arg);
    json_decref(body);
    return rc;
}

int mx_receipt(mx_conn *c, const char *as_user, const char *room_id,
               const char *event_id, mx_done_fn cb, void *arg)
{
    char path[MX_PATH_MAX];
    json_t *body = json_object();
    int rc;

    if (!body)
        return UT_ERR_NOMEM;
    rc = build_path(path, sizeof(path), "rooms/%s/receipt/m.read/%s", room_id,
                    event_id);
    if (rc == 0)
        rc = mx_request(c, as_user, "POST", path, body, 0, cb, arg);
    json_decref(body);
    return rc;
}

int mx_read_markers(mx_conn *c, const char *as_user, const char *room_id,
                    const char *event_id, mx_done_fn cb, void *arg)
{
    char path[MX_PATH_MAX];
    json_t *body = json_pack("{s:s,s:s}", "m.fully_read", event_id, "m.read", event_id);
    int rc;

    if (!body)
        return UT_ERR_NOMEM;
    rc = build_path(path, sizeof(path), "rooms/%s/read_markers", room_id);
    if (rc == 0)
        rc = mx_request(c, as_user, "POST", path, body, 0, cb, arg);
    json_decref(body);
    return rc;
}

int mx_account_data_put(mx_conn *c, const char *as_user, const char *room_id,
                        const char *type, json_t *content, mx_done_fn cb,
                        void *arg)
{
    char path[MX_PATH_MAX];
    int rc = room_id ? build_path(path, sizeof(path),
                                  "user/%s/rooms/%s/account_data/%s", as_user,
                                  room_id, type)
                     : build_path(path, sizeof(path), "user/%s/account_data/%s",
                                  as_user, type);

    if (rc != 0)
        return rc;
    return mx_request(c, as_user, "PUT", path, content, 0, cb, arg);
}

int mx_account_data_get(mx_conn *c, const char *as_user, const char *type,
                        mx_done_fn cb, void *arg)
{
    char path[MX_PATH_MAX];

    if (build_path(path, sizeof(path), "user/%s/account_data/%s", as_user,
                   type) != 0)
        return UT_ERR_RANGE;
    return mx_request(c, as_user, "GET", path, NULL, 0, cb, arg);
}

int mx_upload(mx_conn *c, const char *as_user, const char *content_type,
              const char *filename, const void *data, size_t len,
              mx_done_fn cb, void *arg)
{
    pending *p = pending_new(c, "upload", cb, arg);

    if (!p)
        return UT_ERR_NOMEM;
    if (c->host->media_upload(c->host->host, as_user, content_type, filename,
                              data, len, on_done, p) != MXM_OK) {
        free(p);
        return MX_ERR_HOST;
    }
    return 0;
}

int mx_download(mx_conn *c, const char *mxc_uri, mxm_media_fn cb, void *arg)
{
    return c->host->media_download(c->host->host, mxc_uri, cb, arg) == MXM_OK
               ? 0
               : MX_ERR_HOST;
}
