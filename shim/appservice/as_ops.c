/*
 * as_ops.c - the Matrix slots of the host table as Client-Server API calls
 * made with the as_token (AS API, "Client-Server API Extensions"):
 *   request()        the same CS call with ?user_id=<user> (identity
 *                    assertion) and ?ts=<ms> (timestamp massaging, v1.3);
 *   ensure_user()    POST /_matrix/client/v3/register with
 *                    {"type":"m.login.application_service","username"},
 *                    inhibit_login; M_USER_IN_USE means it exists: success;
 *   media_upload()   POST /_matrix/media/v3/upload?user_id=&filename=;
 *   media_download() GET /_matrix/client/v1/media/download/{server}/{id}
 *                    (authenticated media, spec v1.11).
 * Sources: matrix-org/matrix-spec content/application-service-api.md;
 * mautrix/go appservice/intent.go (EnsureRegistered: M_USER_IN_USE is not an
 * error) and appservice/appservice.go (user_id and ts query parameters).
 * A namespace user that the shim has not registered in this run is
 * registered first (then remembered), as mautrix/go's intents do
 * (appservice/intent.go: EnsureRegistered before acting): the homeserver
 * refuses an AS to act as a user that does not exist (Synapse: 403 "not
 * registered"), while mxhs creates a module's users on demand.
 * Completions arrive from the loop (evhttp), never inside the call.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "as.h"

enum { K_REQUEST, K_ENSURE, K_DOWNLOAD };

typedef struct opcall {
    int kind;
    mxm_done_fn cb;
    mxm_media_fn mcb;
    void *arg;
    char user_id[320];
    /* the call waiting for the user's registration */
    as_ops_ctx *x;
    as_client *cl;
    char *method, *path, *ctype;
    unsigned char *body;
    size_t len;
} opcall;

static void op_free(opcall *o)
{
    if (!o)
        return;
    free(o->method);
    free(o->path);
    free(o->ctype);
    free(o->body);
    free(o);
}

/* a call pending when the shim stops: released, never completed */
static void op_drop(void *arg)
{
    op_free(arg);
}

char *as_path_add_query(const char *path, const char *key, const char *value)
{
    char *enc = evhttp_uriencode(value, -1, 0);
    size_t n;
    char *out;

    if (!enc)
        return NULL;
    n = strlen(path) + strlen(key) + strlen(enc) + 3;
    out = malloc(n);
    if (out)
        snprintf(out, n, "%s%c%s=%s", path, strchr(path, '?') ? '&' : '?', key, enc);
    free(enc);
    return out;
}

static void done_json(opcall *o, int status, const unsigned char *body, size_t len)
{
    json_t *j = json_loadb((const char *)body, len, 0, NULL);

    if (!j) { /* a proxy's HTML page, say: the module gets CS-style JSON */
        char t[160];
        snprintf(t, sizeof(t), "{\"errcode\":\"M_UNKNOWN\",\"error\":\"homeserver answered %d "
                               "without JSON\"}", status);
        o->cb(o->arg, status == 200 ? 502 : status, t, strlen(t));
        return;
    }
    json_decref(j);
    o->cb(o->arg, status, (const char *)body, len);
}

static void on_resp(void *arg, int status, const char *ctype, const unsigned char *body,
                    size_t len)
{
    opcall *o = arg;

    if (o->kind == K_DOWNLOAD) {
        o->mcb(o->arg, status, ctype, body, len);
    } else if (o->kind == K_ENSURE) {
        json_t *j = json_loadb((const char *)body, len, 0, NULL);
        const char *code = json_string_value(json_object_get(j, "errcode"));
        if (status == 200 || (code && !strcmp(code, "M_USER_IN_USE"))) {
            char t[400];
            if (o->x && o->x->known)
                json_object_set_new(o->x->known, o->user_id, json_true());
            snprintf(t, sizeof(t), "{\"user_id\":\"%s\"}", o->user_id);
            o->cb(o->arg, 200, t, strlen(t));
        } else {
            done_json(o, status, body, len);
        }
        json_decref(j);
    } else {
        done_json(o, status, body, len);
    }
    op_free(o);
}

static void on_registered(void *arg, int status, const char *ctype, const unsigned char *body,
                          size_t len)
{
    opcall *o = arg;
    json_t *j = json_loadb((const char *)body, len, 0, NULL);
    const char *code = json_string_value(json_object_get(j, "errcode"));

    (void)ctype;
    if (status == 200 || (code && !strcmp(code, "M_USER_IN_USE"))) {
        json_decref(j);
        json_object_set_new(o->x->known, o->user_id, json_true());
        if (as_client_call(o->cl, o->method, o->path, o->ctype, o->body, o->len, on_resp, o, op_drop) == 0)
            return;
        static const char oom[] = "{\"errcode\":\"M_UNKNOWN\",\"error\":\"out of memory\"}";
        o->cb(o->arg, 500, oom, sizeof(oom) - 1);
    } else {
        json_decref(j);
        done_json(o, status, body, len);
    }
    op_free(o);
}

/* Send now, or after registering user_id when it is a namespace user not
 * yet registered in this run. Takes o (freed on failure). */
static int start_call(as_ops_ctx *x, opcall *o, as_client *cl, const char *user_id,
                      const char *method, const char *path, const char *ctype,
                      const void *body, size_t len)
{
    const char *colon = strchr(user_id, ':');
    char lp[256], reg[400];
    int rc;

    if (x->h && x->known && user_id[0] == '@' && colon &&
        (size_t)(colon - user_id - 1) < sizeof(lp) && strcmp(user_id, x->sender_id) &&
        !json_object_get(x->known, user_id)) {
        memcpy(lp, user_id + 1, (size_t)(colon - user_id - 1));
        lp[colon - user_id - 1] = '\0';
        if (host_user_owner(x->h, lp) && !strcmp(colon + 1, x->server_name)) {
            o->x = x;
            o->cl = cl;
            o->len = len;
            snprintf(o->user_id, sizeof(o->user_id), "%s", user_id);
            if (!(o->method = strdup(method)) || !(o->path = strdup(path)) ||
                (ctype && !(o->ctype = strdup(ctype))) || !(o->body = malloc(len ? len : 1))) {
                op_free(o);
                return MXM_ERR_NOMEM;
            }
            if (len)
                memcpy(o->body, body, len);
            snprintf(reg, sizeof(reg),
                     "{\"type\":\"m.login.application_service\",\"username\":\"%s\","
                     "\"inhibit_login\":true}", lp);
            rc = as_client_call(x->client, "POST", "/_matrix/client/v3/register",
                                "application/json", reg, strlen(reg), on_registered, o, op_drop);
            if (rc)
                op_free(o);
            return rc;
        }
    }
    rc = as_client_call(cl, method, path, ctype, body, len, on_resp, o, op_drop);
    if (rc)
        op_free(o);
    return rc;
}

static opcall *op_new(int kind, mxm_done_fn cb, mxm_media_fn mcb, void *arg)
{
    opcall *o = calloc(1, sizeof(*o));

    if (o) {
        o->kind = kind;
        o->cb = cb;
        o->mcb = mcb;
        o->arg = arg;
    }
    return o;
}

static int op_ensure_user(void *ctx, host_module *m, const char *lp, mxm_done_fn cb, void *arg)
{
    as_ops_ctx *x = ctx;
    opcall *o;
    json_t *b;
    char *t;
    int rc;

    (void)m;
    if (!lp || !cb || strlen(lp) > 255)
        return MXM_ERR_INVAL;
    if (!(o = op_new(K_ENSURE, cb, NULL, arg)))
        return MXM_ERR_NOMEM;
    snprintf(o->user_id, sizeof(o->user_id), "@%s:%s", lp, x->server_name);
    o->x = x;
    b = json_pack("{s:s,s:s,s:b}", "type", "m.login.application_service", "username", lp,
                  "inhibit_login", 1);
    t = b ? json_dumps(b, JSON_COMPACT) : NULL;
    json_decref(b);
    rc = t ? as_client_call(x->client, "POST", "/_matrix/client/v3/register", "application/json",
                            t, strlen(t), on_resp, o, op_drop)
           : MXM_ERR_NOMEM;
    free(t);
    if (rc)
        free(o);
    return rc;
}

/* The connection whose token may act as user_id: the module's namespace
 * and the sender through the registration's as_token; other local users
 * through the double-puppet registration's, when configured. Without one
 * the homeserver refuses them (M_EXCLUSIVE), as mxhs does for a module
 * without double_puppet. */
static as_client *client_for(as_ops_ctx *x, const char *user_id)
{
    const char *colon = strchr(user_id, ':');
    char lp[256];

    if (!x->puppet || !x->h || user_id[0] != '@' || !colon ||
        (size_t)(colon - user_id - 1) >= sizeof(lp) || !strcmp(user_id, x->sender_id))
        return x->client;
    memcpy(lp, user_id + 1, (size_t)(colon - user_id - 1));
    lp[colon - user_id - 1] = '\0';
    return host_user_owner(x->h, lp) ? x->client : x->puppet;
}

static int op_request(void *ctx, host_module *m, const char *user_id, const char *method,
                      const char *path, const char *body, size_t len, int64_t ts,
                      mxm_done_fn cb, void *arg)
{
    as_ops_ctx *x = ctx;
    opcall *o;
    char *p, *p2 = NULL, tsbuf[32];
    int rc;

    (void)m;
    if (!user_id || !method || !path || !cb || path[0] != '/')
        return MXM_ERR_INVAL;
    if (strcmp(method, "GET") && strcmp(method, "PUT") && strcmp(method, "POST") &&
        strcmp(method, "DELETE"))
        return MXM_ERR_INVAL;
    p = as_path_add_query(path, "user_id", user_id);
    if (p && ts) {
        snprintf(tsbuf, sizeof(tsbuf), "%lld", (long long)ts);
        p2 = as_path_add_query(p, "ts", tsbuf);
        free(p);
        p = p2;
    }
    if (!p || !(o = op_new(K_REQUEST, cb, NULL, arg))) {
        free(p);
        return MXM_ERR_NOMEM;
    }
    rc = start_call(x, o, client_for(x, user_id), user_id, method, p,
                    body ? "application/json" : NULL, body, body ? len : 0);
    free(p);
    return rc;
}

static int op_media_upload(void *ctx, host_module *m, const char *user_id, const char *ctype,
                           const char *filename, const void *data, size_t len, mxm_done_fn cb,
                           void *arg)
{
    as_ops_ctx *x = ctx;
    opcall *o;
    char *p, *p2;
    int rc;

    (void)m;
    if (!user_id || !cb || (len && !data))
        return MXM_ERR_INVAL;
    p = as_path_add_query("/_matrix/media/v3/upload", "user_id", user_id);
    if (p && filename) {
        p2 = as_path_add_query(p, "filename", filename);
        free(p);
        p = p2;
    }
    if (!p || !(o = op_new(K_REQUEST, cb, NULL, arg))) {
        free(p);
        return MXM_ERR_NOMEM;
    }
    rc = start_call(x, o, client_for(x, user_id), user_id, "POST", p,
                    ctype ? ctype : "application/octet-stream", data, len);
    free(p);
    return rc;
}

static int op_media_download(void *ctx, host_module *m, const char *mxc, mxm_media_fn cb,
                             void *arg)
{
    as_ops_ctx *x = ctx;
    const char *p, *slash;
    char *srv, *id, path[1024];
    opcall *o;
    int rc;

    (void)m;
    if (!mxc || !cb || strncmp(mxc, "mxc://", 6) || !(slash = strchr(p = mxc + 6, '/')) ||
        slash == p || !slash[1] || strchr(slash + 1, '/'))
        return MXM_ERR_INVAL;
    srv = evhttp_uriencode(p, slash - p, 0);
    id = evhttp_uriencode(slash + 1, -1, 0);
    if (!srv || !id || snprintf(path, sizeof(path), "/_matrix/client/v1/media/download/%s/%s",
                                srv, id) >= (int)sizeof(path)) {
        free(srv);
        free(id);
        return MXM_ERR_INVAL;
    }
    free(srv);
    free(id);
    if (!(o = op_new(K_DOWNLOAD, NULL, cb, arg)))
        return MXM_ERR_NOMEM;
    rc = as_client_call(x->client, "GET", path, NULL, NULL, 0, on_resp, o, op_drop);
    if (rc)
        free(o);
    return rc;
}

static int op_http_respond(void *ctx, uint64_t reply_id, int status, const char *ctype,
                           const void *body, size_t len)
{
    as_ops_ctx *x = ctx;

    return x->respond ? x->respond(x->respond_ctx, reply_id, status, ctype, body, len)
                      : MXM_ERR_UNSUPPORTED;
}

static const char *op_http_header(void *ctx, uint64_t reply_id, const char *name)
{
    as_ops_ctx *x = ctx;

    return x->header ? x->header(x->respond_ctx, reply_id, name) : NULL;
}

host_matrix_ops as_ops_make(as_ops_ctx *ctx)
{
    host_matrix_ops ops = {ctx, op_ensure_user, op_request, op_media_upload, op_media_download,
                           op_http_respond, op_http_header};
    return ops;
}
