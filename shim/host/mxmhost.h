/*
 * mxmhost.h - libmxmhost: load mxm modules into a C homeserver and host them.
 *
 * The embedding homeserver owns a libevent loop and the Matrix side (rooms,
 * users, media). libmxmhost owns everything about modules: finding the shared
 * object, checking its ABI descriptor before any of its code runs, calling
 * mxm_module_init with the module's configuration, and implementing the
 * generic part of the host table (logging, the thread-safe post queue,
 * timers, fd watches, HTTP routes, the user-namespace registry). Matrix
 * requests a module makes are forwarded to the homeserver's host_matrix_ops.
 *
 * Threads: every function here must be called on the loop thread of the
 * event_base given to host_new(), except where a comment says otherwise.
 *
 * Errors: functions returning int give 0 on success and a negative MXM_ERR_*
 * (see mxm/module.h) or -1 on failure, with a one-line reason in `err`.
 */
#ifndef MXMHOST_H
#define MXMHOST_H

#include <stddef.h>
#include <stdint.h>

#include <mxm/module.h>

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;

typedef struct host host;               /* all modules of one homeserver */
typedef struct mxm_host host_module;    /* one loaded module; it is the
                                           mxm_host handle the module sees */

/* Where log lines go. `module` is the module's name, or NULL for the host. */
typedef void (*host_log_fn)(void *ctx, int level, const char *module,
                            const char *msg);

/*
 * The homeserver's side of the Matrix slots of mxm_host_api. Each receives
 * the calling module, so the homeserver can enforce that a module acts only
 * as users of its namespaces. Every completion must be delivered later on the
 * loop thread (never from inside the call). Slots may be NULL: the module then
 * gets MXM_ERR_UNSUPPORTED.
 */
typedef struct host_matrix_ops {
    void *ctx;
    int (*ensure_user)(void *ctx, host_module *m, const char *localpart,
                       mxm_done_fn cb, void *arg);
    int (*request)(void *ctx, host_module *m, const char *user_id,
                   const char *method, const char *path, const char *body,
                   size_t body_len, int64_t ts_ms, mxm_done_fn cb, void *arg);
    int (*media_upload)(void *ctx, host_module *m, const char *user_id,
                        const char *content_type, const char *filename,
                        const void *data, size_t len, mxm_done_fn cb,
                        void *arg);
    int (*media_download)(void *ctx, host_module *m, const char *mxc_uri,
                          mxm_media_fn cb, void *arg);
    int (*http_respond)(void *ctx, uint64_t reply_id, int status,
                        const char *content_type, const void *body,
                        size_t len);
} host_matrix_ops;

/*
 * Create a host on `base` (borrowed; must outlive the host). `server_name`
 * and `data_dir` are copied; each module gets `<data_dir>/<module name>`,
 * created with mode 0700 when it loads. `ops` is copied. `log` may be NULL
 * (lines go to stderr). Caller frees with host_free.
 */
int host_new(host **out, struct event_base *base, const char *server_name,
             const char *data_dir, const host_matrix_ops *ops,
             host_log_fn log, void *log_ctx, char *err, size_t errlen);

/* Stop every started module (host_stop) and release everything. NULL ok. */
void host_free(host *h);

/*
 * Load a module and initialise it with `config_json` (NULL means "{}").
 * `name_or_path` containing a '/' is a file path; otherwise `<name>.so` is
 * searched in the directories of $MXM_MODULE_PATH (colon-separated), then in
 * the installed module directory. Refused, with a reason naming the file,
 * when: the file is missing or not loadable; it has no mxm descriptor; the
 * magic is wrong; its pointer size differs; its ABI major differs from ours;
 * its ABI minor is newer than ours; it has no mxm_module_init; a module of
 * the same name is loaded; init fails (its own message is included); its
 * table is too small or lacks start/stop; a namespace regex does not compile.
 * On success *out (may be NULL) is borrowed from the host.
 */
int host_load(host *h, const char *name_or_path, const char *config_json,
              host_module **out, char *err, size_t errlen);

/* Start every loaded module in load order. On a failure the modules already
 * started are stopped again and the reason is returned. */
int host_start(host *h, char *err, size_t errlen);

/* Stop every loaded module (started or not) in reverse order: stop(), then
 * queued posts run with cancelled = 1, then its timers, fd watches and routes
 * are removed. A stopped module cannot be started again. Idempotent. */
void host_stop(host *h);

size_t host_module_count(const host *h);
host_module *host_module_at(const host *h, size_t i);
const char *host_module_name(const host_module *m);
const char *host_module_version(const host_module *m);
const char *host_module_path(const host_module *m);
/* The module's table, e.g. to test slots with MXM_HAS(). */
const mxm_module_api *host_module_api(const host_module *m);

/*
 * The module whose exclusive user namespace contains `localpart` (without
 * '@' and server name), or NULL when no module claims it. Homeservers use it
 * to refuse registration and login there (M_EXCLUSIVE) and to route events.
 */
host_module *host_user_owner(const host *h, const char *localpart);
/* Same for room alias localparts. */
host_module *host_alias_owner(const host *h, const char *alias_localpart);

/* Deliver to one started module (no-ops when it is not running).
 * host_module_on_event returns MXM_OK when the event counts as delivered,
 * MXM_ERR_AGAIN when the module refused it for now (its on_event_try, ABI
 * 1.1): the caller keeps it and hands it again later, before later events. */
int host_module_on_event(host_module *m, const char *json, size_t len);
void host_module_on_ephemeral(host_module *m, const char *json, size_t len);
int host_module_query_user(host_module *m, const char *user_id);

/*
 * Route an HTTP request to the module that registered the longest matching
 * prefix of `path`. Returns 1 when a module took it (it will answer through
 * ops->http_respond with this reply_id), 0 when no route matches.
 */
int host_dispatch_http(host *h, uint64_t reply_id, const char *method,
                       const char *path, const char *query, const char *body,
                       size_t body_len);

#ifdef __cplusplus
}
#endif

#endif /* MXMHOST_H */
