/*
 * mxm/module.h - the Matrix homeserver module ABI, version 1.
 *
 * This header is the whole contract between a homeserver (the "host") and a
 * module loaded into it as a shared object (e.g. signalbridge.so). It uses
 * only <stddef.h> and <stdint.h>; no libevent, no jansson, no host types.
 *
 * Loading, in order (shim/host implements this for hosts written in C):
 *   1. dlopen() the object and look up the data symbol MXM_DESCRIPTOR_SYMBOL.
 *   2. Check the descriptor before calling any module function:
 *        magic == MXM_MAGIC, abi_major == host major,
 *        abi_minor <= host minor, ptr_size == sizeof(void *).
 *   3. Call MXM_INIT_SYMBOL (mxm_module_init) with the host's function table
 *      and the module's configuration as JSON text. The module validates the
 *      configuration and returns its own function table, or fails with a
 *      readable message in `err`.
 *   4. start(); ... callbacks ...; stop(). Modules are never unloaded while the
 *      host runs; stop() is the last call and must release everything.
 *
 * Versioning. Both function tables begin with `struct_size` and only ever grow
 * at the end; a slot added in minor N is documented "since 1.N". Before using
 * a slot that is newer than 1.0, test it with MXM_HAS(). A change that cannot
 * be expressed by appending bumps MXM_ABI_MAJOR, and hosts refuse modules of a
 * different major.
 *
 * Threads. The host calls every module callback, every completion callback
 * and every timer/fd callback on ONE thread (the host loop), one at a time.
 * Callbacks must return quickly (no blocking I/O; aim for well under 10 ms).
 * A module may run threads of its own; from them it may call only
 * host->post(), the single thread-safe entry point, to hop onto the host loop.
 * Every other host function must be called on the host loop thread.
 *
 * Memory. Pointers passed in either direction are borrowed for the duration
 * of the call; copy what you keep. Nothing is freed across the boundary.
 *
 * Matrix data crosses the ABI as Client-Server API JSON (one ClientEvent per
 * on_event call, request bodies as in the CS API), so Matrix event formats
 * evolve without ABI changes, and an Application Service shim can implement
 * request() as an HTTP pass-through.
 */
#ifndef MXM_MODULE_H
#define MXM_MODULE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MXM_MAGIC 0x314D584DU /* "MXM1" read little-endian */
#define MXM_ABI_MAJOR 1       /* bumped only by incompatible changes */
#define MXM_ABI_MINOR 1       /* bumped by every appended slot */

#define MXM_DESCRIPTOR_SYMBOL "mxm_module_descriptor"
#define MXM_INIT_SYMBOL "mxm_module_init"

#if defined(__GNUC__)
#define MXM_EXPORT __attribute__((visibility("default")))
#else
#define MXM_EXPORT
#endif

/* Results of host functions. 0 is success; errors are negative. */
enum {
    MXM_OK = 0,
    MXM_ERR_NOMEM = -12,    /* out of memory */
    MXM_ERR_INVAL = -22,    /* bad argument */
    MXM_ERR_STOPPED = -100, /* host is shutting down; nothing was queued */
    MXM_ERR_UNSUPPORTED = -101, /* the host does not offer this */
    MXM_ERR_NOTFOUND = -102,    /* no such timer, watch or route */
    MXM_ERR_AGAIN = -103        /* not taken now: hand it again later (1.1) */
};

/* Log levels for host->log(). */
enum {
    MXM_LOG_ERROR = 0,
    MXM_LOG_WARN = 1,
    MXM_LOG_INFO = 2,
    MXM_LOG_DEBUG = 3,
    MXM_LOG_TRACE = 4
};

/* Event mask bits for host->fd_watch(). */
enum { MXM_FD_READ = 1, MXM_FD_WRITE = 2 };

/* Opaque handles: each side passes its own back to itself. */
typedef struct mxm_host mxm_host;
typedef struct mxm_module mxm_module;

/*
 * The descriptor: plain data, exported by the module, read by the host before
 * any module code runs. Define it with MXM_MODULE_DESCRIPTOR(name, version).
 */
typedef struct mxm_module_desc {
    uint32_t magic;      /* MXM_MAGIC */
    uint16_t abi_major;  /* MXM_ABI_MAJOR the module was built against */
    uint16_t abi_minor;  /* MXM_ABI_MINOR the module was built against */
    uint32_t ptr_size;   /* sizeof(void *) of the module's build */
    uint32_t desc_size;  /* sizeof(mxm_module_desc) of the module's build */
    const char *name;    /* short module name, e.g. "signalbridge" */
    const char *version; /* module's own version string */
} mxm_module_desc;

#define MXM_MODULE_DESCRIPTOR(name_, version_)                               \
    MXM_EXPORT const mxm_module_desc mxm_module_descriptor = {               \
        MXM_MAGIC,           MXM_ABI_MAJOR, MXM_ABI_MINOR, sizeof(void *),   \
        sizeof(mxm_module_desc), (name_), (version_)}

/*
 * MXM_HAS(table, slot): nonzero when `table` is new enough to contain `slot`
 * and the slot is filled. Works on both function tables; plain C11.
 */
#define MXM_HAS(t, f)                                                        \
    ((t) != NULL &&                                                          \
     (size_t)((const char *)&(t)->f - (const char *)(t)) + sizeof((t)->f) <= \
         (size_t)(t)->struct_size &&                                         \
     (t)->f != NULL)

/* ---- callback types ------------------------------------------------------ */

/* A task handed to post(). Runs exactly once on the host loop. `cancelled`
 * is nonzero when the host is shutting down and runs it only so that `arg`
 * can be released: do no other work then. */
typedef void (*mxm_task_fn)(void *arg, int cancelled);

/* A timer or fd callback; runs on the host loop. `events` is MXM_FD_* bits. */
typedef void (*mxm_timer_fn)(void *arg);
typedef void (*mxm_fd_fn)(void *arg, int fd, int events);

/*
 * Completion of a Matrix request: `status` is an HTTP status (200 on success;
 * the CS API's error status otherwise, with `json` an {"errcode","error"}
 * body). `json` is NUL-terminated, `len` excludes the NUL; borrowed.
 */
typedef void (*mxm_done_fn)(void *arg, int status, const char *json, size_t len);

/* Completion of a media download: `content_type` and `data` are borrowed;
 * on failure `status` is not 200 and `data` holds an error JSON body. */
typedef void (*mxm_media_fn)(void *arg, int status, const char *content_type,
                             const void *data, size_t len);

/*
 * An HTTP request for a route the module registered. Answer it, now or later
 * (on the host loop), with exactly one host->http_respond(reply_id, ...).
 * `path` is decoded and starts with the registered prefix; `query` is the raw
 * query string without '?', or "". `body` may contain NULs.
 */
typedef void (*mxm_http_fn)(void *arg, uint64_t reply_id, const char *method,
                            const char *path, const char *query,
                            const char *body, size_t body_len);

/* ---- the host's table ---------------------------------------------------- */

typedef struct mxm_host_api {
    uint32_t struct_size; /* sizeof(mxm_host_api) of the host's build */
    uint16_t abi_major;   /* the host's MXM_ABI_MAJOR */
    uint16_t abi_minor;   /* the host's MXM_ABI_MINOR */
    mxm_host *host;       /* first argument of every call below */

    /* Write one log line through the host's logger. Never pass secrets. */
    void (*log)(mxm_host *h, int level, const char *msg);

    /*
     * THE ONLY THREAD-SAFE CALL. Queue `fn(arg, 0)` to run on the host loop.
     * Tasks posted from one thread run in the order they were posted. Returns
     * MXM_OK, or MXM_ERR_STOPPED once the host has finished stopping the
     * module (the task was not queued; the caller still owns `arg`). Tasks
     * still queued when stop() returns run once with cancelled = 1.
     */
    int (*post)(mxm_host *h, mxm_task_fn fn, void *arg);

    /* One-shot timer after `delay_ms` on the monotonic clock. Returns a
     * nonzero id, or 0 on failure. */
    uint64_t (*timer_add)(mxm_host *h, uint64_t delay_ms, mxm_timer_fn fn,
                          void *arg);
    /* Cancel a pending timer. MXM_ERR_NOTFOUND if it fired or never was. */
    int (*timer_cancel)(mxm_host *h, uint64_t timer_id);

    /* Watch `fd` (level-triggered, persistent) for MXM_FD_* `events`.
     * Returns a nonzero id, or 0 on failure. The module keeps owning fd. */
    uint64_t (*fd_watch)(mxm_host *h, int fd, int events, mxm_fd_fn fn,
                         void *arg);
    int (*fd_unwatch)(mxm_host *h, uint64_t watch_id);

    /* The homeserver's server name (e.g. "example.org") and a directory the
     * module may keep its files in (created by the host, mode 0700).
     * Valid for the host's lifetime. */
    const char *(*server_name)(mxm_host *h);
    const char *(*data_dir)(mxm_host *h);

    /*
     * Make sure the local user `localpart` exists. It must lie in one of the
     * module's user namespaces. Completion: 200 {"user_id": "..."}.
     */
    int (*ensure_user)(mxm_host *h, const char *localpart, mxm_done_fn cb,
                       void *arg);

    /*
     * One Client-Server API request, performed as `user_id` (a user of the
     * module's namespaces, or a local user when the host's configuration lets
     * this module act for local users). `method` is "GET", "PUT", "POST" or
     * "DELETE"; `path` is a CS API path with query, e.g.
     * "/_matrix/client/v3/rooms/!r:hs/send/m.room.message/txn1".
     * `body` is JSON text of `body_len` bytes (NULL for none). `ts_ms`, when
     * nonzero, sets origin_server_ts of events sent by this request (as the
     * AS API's ?ts=). Completion is always asynchronous, on the host loop.
     * Returns MXM_OK when the request was accepted for processing.
     */
    int (*request)(mxm_host *h, const char *user_id, const char *method,
                   const char *path, const char *body, size_t body_len,
                   int64_t ts_ms, mxm_done_fn cb, void *arg);

    /* Store media uploaded as `user_id`. Completion: 200 {"content_uri":"mxc://..."}. */
    int (*media_upload)(mxm_host *h, const char *user_id,
                        const char *content_type, const char *filename,
                        const void *data, size_t len, mxm_done_fn cb,
                        void *arg);
    /* Fetch media by mxc:// URI. */
    int (*media_download)(mxm_host *h, const char *mxc_uri, mxm_media_fn cb,
                          void *arg);

    /* Serve HTTP requests whose path starts with `prefix`, which must begin
     * with "/_mxm/<module name>/". MXM_ERR_INVAL for another prefix. */
    int (*http_route)(mxm_host *h, const char *prefix, mxm_http_fn fn,
                      void *arg);
    /* Answer a request given to an mxm_http_fn. Call exactly once. */
    int (*http_respond)(mxm_host *h, uint64_t reply_id, int status,
                        const char *content_type, const void *body,
                        size_t len);
    /* ABI 1.0 ends here. New slots are appended below this line only. */
} mxm_host_api;

/* ---- the module's table -------------------------------------------------- */

typedef struct mxm_module_api {
    uint32_t struct_size; /* sizeof(mxm_module_api) of the module's build */
    mxm_module *module;   /* first argument of every call below */

    /*
     * User namespaces the module owns exclusively: NULL-terminated list of
     * POSIX extended regular expressions, each matched against a whole
     * localpart (implicitly anchored at both ends), e.g. "signal_.*".
     * Nobody else may register or log in there. May be NULL.
     */
    const char *const *user_namespaces;
    /* Room alias localparts the module owns, same form. May be NULL. */
    const char *const *alias_namespaces;

    /* Begin work: start threads, open connections. Nonzero = failure with a
     * message in err. Called once, on the host loop. */
    int (*start)(mxm_module *m, char *err, size_t errlen);

    /* Stop all threads (join them), release everything. Last call. */
    void (*stop)(mxm_module *m);

    /* One ClientEvent (JSON, NUL-terminated) from a room where one of the
     * module's users is joined or invited, including invites of its users.
     *
     * Delivery is at least once, in stream order, like an Application
     * Service transaction that the homeserver retries until it is answered:
     * the return of on_event is the acknowledgement (the module cannot
     * defer it), so a module must make durable, before returning, whatever
     * it needs to act on the event later. A host may redeliver events after
     * a crash or restart (mxhs replays everything after the module's last
     * saved position, which it saves in batches), so the same event can
     * arrive more than once, also across restarts: modules must drop
     * duplicates by event_id. Events are never delivered out of order
     * within one host run. (Documented in 1.0; no slot changed. Since 1.1
     * a module may refuse an event for now: on_event_try below.) */
    void (*on_event)(mxm_module *m, const char *event_json, size_t len);

    /* One ephemeral event (m.typing, m.receipt) with a top-level room_id. */
    void (*on_ephemeral)(mxm_module *m, const char *event_json, size_t len);

    /* Does this user of the module's namespace exist (and is it now created,
     * if it must be)? 1 yes, 0 no. As the AS API's /users/{userId}. */
    int (*query_user)(mxm_module *m, const char *user_id);
    /* ABI 1.0 ends here. New slots are appended below this line only. */

    /*
     * Since 1.1. As on_event, but the module may refuse the event for now:
     * it returns MXM_OK when it has taken the event (the acknowledgement),
     * or MXM_ERR_AGAIN when it could not make durable what the event needs
     * (its database busy, a full disk). The host then counts the event as
     * not delivered, keeps it, and hands the same event again later, with
     * a backoff, before any later event of its stream (as a homeserver
     * retries an Application Service transaction answered with an error).
     * A host that sees this slot (MXM_HAS) calls it instead of on_event;
     * a module that fills it fills on_event too, for hosts that do not.
     */
    int (*on_event_try)(mxm_module *m, const char *event_json, size_t len);
} mxm_module_api;

/*
 * The module's one entry point. `host` stays valid until after stop().
 * `config_json` is the module's `config:` block as JSON text ("{}" if none).
 * On success store the module's table (valid until after stop()) in *out and
 * return 0. On failure write a one-line reason into err (errlen bytes, NUL
 * terminated) and return nonzero; nothing else will be called.
 */
typedef int (*mxm_module_init_fn)(const mxm_host_api *host,
                                  const mxm_module_api **out,
                                  const char *config_json, char *err,
                                  size_t errlen);

#ifdef MXM_BUILDING_MODULE
MXM_EXPORT int mxm_module_init(const mxm_host_api *host,
                               const mxm_module_api **out,
                               const char *config_json, char *err,
                               size_t errlen);
#endif

#ifdef __cplusplus
}
#endif

#endif /* MXM_MODULE_H */
