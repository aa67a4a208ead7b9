/*
 * hs.h - mxhs internals shared by the files of shim/homeserver. Not
 * installed.
 *
 * One `hs` holds the whole server: config, the SQLite database (WAL), the
 * libevent loop, the HTTP listener, sync waiters, typing state and the
 * module host. Everything runs on the loop thread; nothing here is
 * thread-safe.
 *
 * A request, from HTTP or from a module's request(), becomes an `hs_req`:
 * decoded path segments, query, body and an identity. The router
 * (hs_router.c) finds the handler; a handler fills r->status and r->resp (or
 * r->raw for media) and returns HS_DONE, or returns HS_PENDING and calls
 * hs_req_done(r) later (long-poll /sync). The transport (hs_http.c or
 * hs_modules.c) turns the result into an HTTP reply or a module completion.
 *
 * Errors: HS_ERR_* (range -1700..-1799) from functions returning int;
 * hs_strerror() gives text.
 */
#ifndef HS_H
#define HS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#include "hs_config.h"
#include "mxmhost.h"
#include "ut.h"

struct event_base;
struct event;
struct evhttp;

enum {
    HS_OK = 0,
    HS_ERR_DB = -1700,      /* SQLite failed */
    HS_ERR_NOTFOUND = -1701,
    HS_ERR_EXISTS = -1702,
    HS_ERR_FORBIDDEN = -1703,
    HS_ERR_BADARG = -1704,
    HS_ERR_CRYPTO = -1705
};
const char *hs_strerror(int code);

enum { HS_DONE = 0, HS_PENDING = 1 };

#define HS_MAX_SEGS 16
#define HS_JSON_MAX_BODY (1u << 20)
#define HS_JSON_MAX_DEPTH 32

typedef struct hs hs;
typedef struct hs_req hs_req;

struct hs_req {
    hs *s;
    const char *method; /* "GET", "PUT", "POST", "DELETE" */
    char *segs[HS_MAX_SEGS]; /* decoded path segments after the API prefix */
    int nseg;
    json_t *query;       /* object of decoded query parameters (strings) */
    const unsigned char *body;
    size_t body_len;
    json_t *json;        /* parsed body when the route wants JSON */
    const char *content_type; /* request Content-Type, may be NULL */
    const char *authorization; /* Authorization header, may be NULL */
    const char *host;    /* Host header, may be NULL */
    char remote[64];     /* peer address, "" for modules */

    /* identity (after authentication) */
    char user_id[256];
    char device_id[128];
    int authed;
    int is_admin;
    int from_module;
    int64_t ts_override; /* nonzero: origin_server_ts of sent events */
    int media_auth;      /* reached through /_matrix/client/v1/media */

    /* response */
    int status;
    json_t *resp;        /* JSON body, or NULL when raw is used */
    unsigned char *raw;  /* owned */
    size_t raw_len;
    char ctype[128];
    char disposition[320];

    /* transport */
    void (*finish)(hs_req *r); /* sends the result; then hs_req_free */
    void *transport;
    void *pending;       /* handler state while HS_PENDING (sync waiter) */
};

/* A long-poll /sync request waiting for something to happen. */
typedef struct hs_waiter {
    hs_req *r;
    struct event *timer;
    int64_t since;
    int limit;
    int full_state;
    struct hs_waiter *prev, *next;
} hs_waiter;

/* Typing state of one user in one room (in memory). */
typedef struct hs_typing {
    char *room_id;
    char *user_id;
    uint64_t expires_mono;
    struct hs_typing *next;
} hs_typing;

typedef struct hs_rate {
    char key[96];
    int64_t window_start;
    int count;
} hs_rate;

/* A user-interactive auth session: whose, and for which operation. */
typedef struct hs_uia_session {
    char id[32];
    char user_id[256];
    char op[200]; /* method and path */
    int64_t created_ms;
} hs_uia_session;

#define HS_STMT_CACHE 160

struct hs {
    hs_config cfg;
    struct event_base *base;
    struct evhttp *http;
    int port; /* the bound port */
    sqlite3 *db;
    struct { const char *sql; sqlite3_stmt *st; } stmts[HS_STMT_CACHE];
    size_t nstmts;
    int64_t stream;  /* last stream position handed out */
    int64_t txn_depth;
    hs_waiter *waiters;
    struct event *notify_ev; /* deferred wake-up of sync waiters */
    json_t *typing_pos;      /* room_id -> stream of the last typing change */
    hs_typing *typing;
    struct event *typing_timer;
    hs_rate rates[64];
    hs_uia_session uia[32]; /* hs_xsign.c: open UIA sessions (memory) */
    char dummy_hash[128]; /* argon2id of a fixed string (equal login timing) */
    host *host;
    int modules_running;
    struct hs_mod_job *mjobs_head, *mjobs_tail; /* queued module work */
    struct event *mjobs_ev;
    struct hs_ephem *eq_head, *eq_tail;    /* on_ephemeral queue (memory) */
    struct hs_modpos *mpos;                /* per loaded module (hs_deliver.c) */
    size_t nmpos;
    struct event *dq_ev;                   /* deferred delivery round */
    struct event *pos_ev;                  /* batched position write */
    int txn_doomed; /* an inner transaction rolled back: the outer must too */
    struct event *sig_ev[2];
    struct hs_mxm_pending *mxm_pending; /* module-routed HTTP requests */
    struct hs_as *as;                   /* application services */
    size_t nas;
    struct event *as_ev;                /* deferred transaction pushes */
    struct hs_conn_ref *conns; /* input buffer -> bufferevent (hs_http.c) */
    size_t nconns;
    struct hs_seen *seen;   /* devices' last use, written in batches (hs_seen.c) */
    struct event *seen_ev;
    uint64_t mxm_next_id;
    ut_log log;
};

/* ---- hs_main.c / logging -------------------------------------------------- */
void hs_logf(hs *s, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- hs_db.c ------------------------------------------------------------- */
/* Open (create) the database, set WAL, create the schema. */
int hs_db_open(hs *s, char *err, size_t errlen);
void hs_db_close(hs *s);
/* A cached prepared statement for `sql` (a string literal: cached by
 * pointer), reset with its bindings cleared. NULL on failure (logged). */
sqlite3_stmt *hs_db_stmt(hs *s, const char *sql);
int hs_db_exec(hs *s, const char *sql);
int hs_db_begin(hs *s);
int hs_db_commit(hs *s);
void hs_db_rollback(hs *s);
/* Bind helpers: NULL text binds NULL. */
void hs_bind_text(sqlite3_stmt *st, int i, const char *v);
/* Step a statement that returns no rows: 0 or HS_ERR_DB. */
int hs_db_step_done(hs *s, sqlite3_stmt *st);
/* Column text or "" */
const char *hs_col_text(sqlite3_stmt *st, int i);
/* Next stream position (monotonic, persisted through the rows it tags). */
int64_t hs_stream_next(hs *s);

/* ---- hs_req.c: request helpers ------------------------------------------- */
int hs_err(hs_req *r, int status, const char *errcode, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int hs_ok(hs_req *r, json_t *resp); /* takes ownership; NULL = {} */
const char *hs_query(hs_req *r, const char *key); /* NULL if absent */
void hs_req_done(hs_req *r);        /* finish a HS_PENDING request */
void hs_req_free(hs_req *r);
/* Dispatch through the router; calls r->finish unless HS_PENDING. */
void hs_route(hs_req *r);
/* Parse a body as JSON object (empty body = {}); sets error and returns -1. */
int hs_req_parse_json(hs_req *r);
/* Depth check before parsing: 0 ok, -1 too deep. */
int hs_json_depth_ok(const unsigned char *p, size_t n, int max);
/* Split and percent-decode a path (after the prefix) into r->segs. */
int hs_req_set_path(hs_req *r, const char *path);

/* ---- hs_auth.c ----------------------------------------------------------- */
int hs_user_create(hs *s, const char *localpart, const char *password,
                   int admin, char *uid_out, size_t uid_len);
int hs_user_exists(hs *s, const char *user_id);
int hs_user_is_local(hs *s, const char *user_id);
/* "@x:server" -> "x" into buf; -1 when not a local user ID */
int hs_localpart(hs *s, const char *user_id, char *buf, size_t n);
int hs_auth_request(hs_req *r); /* authenticate from header or query */
/* Rate limits in a one-minute window per key (hs_auth.c): the ms to wait
 * when `key` was hit `limit` times already, else 0; and one hit. */
int64_t hs_rate_wait(hs *s, const char *key, int limit);
void hs_rate_hit(hs *s, const char *key);
int hs_h_login_get(hs_req *r);
int hs_h_login(hs_req *r);
int hs_h_register(hs_req *r);
int hs_h_register_available(hs_req *r);
int hs_h_whoami(hs_req *r);
int hs_h_logout(hs_req *r);
int hs_h_logout_all(hs_req *r);
int hs_valid_localpart(const char *lp);
int hs_h_devices(hs_req *r);    /* GET devices, devices/{id} */
int hs_h_device_put(hs_req *r); /* PUT devices/{id}: exactly {} */

/* ---- hs_seen.c: last_seen_ts / last_seen_ip of devices ------------------- */
void hs_seen_touch(hs *s, const char *user, const char *device, const char *ip);
/* 1 and the values when the device was seen, else 0. */
int hs_seen_get(hs *s, const char *user, const char *device, int64_t *ts,
                char ip[64]);
void hs_seen_flush(hs *s);
void hs_seen_shutdown(hs *s); /* flush, free */

/* ---- hs_event.c: event graph (pure where possible) ----------------------- */
/* Event ID from the reference hash of `pdu` (redacted, no signatures or
 * unsigned): "$" + unpadded URL-safe base64 of SHA-256. */
int hs_event_id(const json_t *pdu, const char *room_version, char out[64]);
/* Content hash: sets pdu.hashes.sha256. */
int hs_event_hash(json_t *pdu);
/* The redaction algorithm: a new object (caller decrefs) or NULL. */
json_t *hs_event_redact(const json_t *pdu, const char *room_version);
/* Canonical JSON text (sorted keys, compact); caller frees. */
char *hs_canonical_json(const json_t *j);
/* Authorization rules: `state` maps "type\x1fstate_key" -> event (PDU).
 * 0 allowed, HS_ERR_FORBIDDEN with a reason in why. */
int hs_event_auth(const json_t *state, const json_t *ev, char *why,
                  size_t whylen);
/* The same with the event an m.room.redaction redacts (NULL: unknown): the
 * sender needs the redact level, or must have sent `original` in the same
 * room. hs_event_auth treats every redacted event as unknown. */
int hs_event_auth_with(const json_t *state, const json_t *ev,
                       const json_t *original, char *why, size_t whylen);
/* Power level of `user` in `state`, and required level for an event. */
int64_t hs_pl_user(const json_t *state, const char *user);
int64_t hs_pl_event(const json_t *state, const char *type, int is_state);

/* ---- hs_rooms.c ---------------------------------------------------------- */
/* Build, authorise, persist and announce an event as `sender`. content is
 * borrowed. On success copies the event ID into out (64 bytes). On failure
 * sets r's error (when r != NULL) and returns a negative code. */
int hs_room_send(hs *s, hs_req *r, const char *room_id, const char *sender,
                 const char *type, const char *state_key, json_t *content,
                 const char *redacts, const char *txn_id, char out[64]);
/* Was this request's transaction (user, device, path) done? Copies its
 * event ID. */
int hs_txn_seen(hs_req *r, char out[64]);
/* Current state as an object "type\x1fkey" -> PDU; caller decrefs. */
json_t *hs_room_state(hs *s, const char *room_id);
/* Membership of user in room: "join", "invite", "leave", "ban" or NULL. */
const char *hs_membership(hs *s, const char *room_id, const char *user_id,
                          char buf[16]);
/* Serve a stored event as a ClientEvent for `viewer_device` (NULL ok). */
json_t *hs_client_event(hs *s, const char *pdu_json, const char *redacted_by,
                        const char *txn_id, const char *txn_device,
                        const char *txn_user, const char *viewer,
                        const char *viewer_device, int64_t stream);
/* Events of a room with stream in (lo, hi] (see hs_roomread.c). */
json_t *hs_room_events(hs *s, const char *room, int64_t lo, int64_t hi,
                       int limit, int desc, const char *viewer,
                       const char *viewer_device, int64_t *first,
                       int64_t *last, int *more);
json_t *hs_room_state_events(hs *s, const char *room, const char *viewer,
                             const char *viewer_device);
int64_t hs_token_parse(const char *t);
json_t *hs_event_by_id(hs *s, const char *event_id, const char *viewer,
                       const char *viewer_device, char room_out[256]);
int hs_h_create_room(hs_req *r);
int hs_h_join(hs_req *r);
int hs_h_membership(hs_req *r); /* invite/leave/kick/ban/unban/forget */
int hs_h_send(hs_req *r);
int hs_h_state_put(hs_req *r);
int hs_h_state_get(hs_req *r);
int hs_h_state_all(hs_req *r);
int hs_h_redact(hs_req *r);
int hs_h_joined_rooms(hs_req *r);
int hs_h_joined_members(hs_req *r);
int hs_h_members(hs_req *r);
int hs_h_event(hs_req *r);
int hs_h_messages(hs_req *r);
int hs_h_relations(hs_req *r);
int hs_h_context(hs_req *r);

/* ---- hs_sync.c ----------------------------------------------------------- */
int hs_h_sync(hs_req *r);
int hs_h_filter_post(hs_req *r);
int hs_h_filter_get(hs_req *r);
/* Something happened at the current stream position: wake waiters. */
void hs_sync_notify(hs *s);
void hs_sync_shutdown(hs *s);

/* ---- hs_misc.c ----------------------------------------------------------- */
int hs_h_versions(hs_req *r);
int hs_h_well_known(hs_req *r);
int hs_h_capabilities(hs_req *r);
int hs_h_pushrules(hs_req *r);
int hs_h_pushrules_put(hs_req *r);
int hs_h_profile_get(hs_req *r);
int hs_h_profile_put(hs_req *r);
int hs_h_account_data_put(hs_req *r);
int hs_h_account_data_get(hs_req *r);
int hs_h_typing(hs_req *r);
int hs_h_receipt(hs_req *r);
int hs_h_read_markers(hs_req *r);
int hs_h_presence(hs_req *r);
int hs_h_empty_ok(hs_req *r);
int hs_h_not_found(hs_req *r);
int hs_h_turn_server(hs_req *r);
int hs_account_data_set(hs *s, const char *user, const char *room,
                        const char *type, json_t *content);
/* typing list of a room as a JSON array of user IDs (new ref) */
json_t *hs_typing_users(hs *s, const char *room_id);
void hs_typing_shutdown(hs *s);
/* Room typing stream position (last change), 0 if none */
int64_t hs_typing_stream(hs *s, const char *room_id);

/* ---- hs_media.c ---------------------------------------------------------- */
int hs_h_media_upload(hs_req *r);
int hs_h_media_download(hs_req *r);
int hs_h_media_config(hs_req *r);
int hs_media_store(hs *s, const char *user_id, const char *ctype,
                   const char *filename, const void *data, size_t len,
                   char *mxc_out, size_t mxc_len);
/* Load media bytes: *data malloc'd (caller frees). */
int hs_media_load(hs *s, const char *server, const char *media_id,
                  unsigned char **data, size_t *len, char *ctype, size_t ctlen,
                  char *fname, size_t fnlen);

/* ---- hs_modules.c -------------------------------------------------------- */
int hs_modules_load(hs *s, char *err, size_t errlen);
void hs_modules_stop(hs *s);

/* ---- hs_deliver.c: at-least-once event delivery to modules --------------- */
/* After host_load, before host_start: read each module's stream position
 * and schedule the replay of events queued after it. */
int hs_deliver_open(hs *s, char *err, size_t errlen);
/* Write the positions reached, drop the ephemeral queue, free. */
void hs_deliver_close(hs *s);
/* The event at `stream` is being persisted: queue it for every interested
 * module, in the caller's write transaction (so it is queued if and only if
 * it is stored). 0 or HS_ERR_DB. */
int hs_modules_event(hs *s, const char *room_id, int64_t stream,
                     const char *member_target);
/* Typing/receipts: queued in memory only (ephemeral by nature). */
void hs_modules_ephemeral(hs *s, const char *room_id, json_t *ev);
/* localpart owned by a module namespace? */
int hs_namespace_owned(hs *s, const char *localpart);

/* ---- hs_appservice.c: application services (app_service_config_files) --- */
int hs_as_load(hs *s, char *err, size_t errlen); /* after the DB and loop */
void hs_as_stop(hs *s);
/* An as_token? 1: not one; 0: r is authenticated as the AS's user
 * (user_id= masquerading, ts=); -1: refused, error set on r. */
int hs_as_auth(hs_req *r, const char *tok);
/* POST /register with type m.login.application_service. */
int hs_as_register(hs_req *r);
/* localpart in an AS's exclusive user namespace (or its sender)? */
int hs_as_owns_localpart(hs *s, const char *localpart);
/* Queue the event at `stream` for interested ASes (in the write txn). */
int hs_as_event(hs *s, const char *room_id, int64_t stream, const char *member_target);
void hs_as_ephemeral(hs *s, const char *room_id, json_t *ev);

#endif
