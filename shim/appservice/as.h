/*
 * as.h - mxm-appservice internals: an mxm module hosted by libmxmhost and
 * connected to any homeserver through the Application Service API.
 * Not installed.
 *
 * Files: as_config.c (appservice.yaml; YAML through shim/common/shim_yaml.c),
 * as_reg.c (the registration file), as_txn.c (processed transaction IDs,
 * SQLite), as_client.c (calls to the homeserver, retried with backoff),
 * as_ops.c (host_matrix_ops as CS API calls), as_server.c (the HS -> AS
 * endpoints), as_main.c (the command line).
 *
 * Everything runs on one libevent loop; nothing here is thread-safe.
 * Errors: -1 with a one-line reason in err.
 */
#ifndef AS_H
#define AS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "mxmhost.h"
#include "shim_yaml.h"

struct event_base;

/* ---- YAML (shim/common/shim_yaml.c, shared with mxhs) ------------------- */
/* The whole YAML document at `path` as JSON (plain scalars that look like
 * numbers, booleans or null become those). NULL with a reason in err. */
static inline json_t *as_yaml_file(const char *path, char *err, size_t errlen)
{
    return shim_yaml_file(path, SHIM_YAML_NUMBERS, err, errlen);
}
static inline json_t *as_yaml_buf(const char *name, const unsigned char *buf, size_t len,
                                  char *err, size_t errlen)
{
    return shim_yaml_buf(name, buf, len, SHIM_YAML_NUMBERS, err, errlen);
}

/* ---- as_config.c -------------------------------------------------------- */
typedef struct as_config {
    char *hs_url;            /* homeserver.url, e.g. http://127.0.0.1:8008 */
    char *server_name;       /* homeserver.server_name */
    char *id;                /* appservice.id */
    char *listen_addr;       /* appservice.listen.address */
    int port;                /* appservice.listen.port */
    char *public_url;        /* appservice.url (how the HS reaches us) */
    char *sender_localpart;  /* appservice.sender_localpart */
    char *registration;      /* appservice.registration (file path) */
    char *db_path;           /* database */
    char *data_dir;          /* data_dir */
    char *module;            /* module.module */
    char *module_config;     /* module.config as JSON text */
    int double_puppet;       /* module.double_puppet: may act as local users */
    char *dp_registration;   /* appservice.double_puppet_registration */
    int log_level;           /* UT_LOG_* */
} as_config;

int as_config_load(as_config *c, const char *path, char *err, size_t errlen);
int as_config_from_json(as_config *c, const char *name, json_t *root,
                        char *err, size_t errlen);
void as_config_free(as_config *c);

/* ---- as_reg.c ----------------------------------------------------------- */
typedef struct as_reg {
    char *id, *url, *as_token, *hs_token, *sender_localpart;
} as_reg;

/* "@" + localpart regex + ":" + escaped server name, for the registration
 * (the module's namespaces are localpart regexes, the AS API's are full
 * user IDs). -1 when it does not fit. */
int as_reg_regex(char *out, size_t n, char sigil, const char *lp_regex,
                 const char *server_name);
/* The registration YAML text (caller frees); tokens are given, so tests can
 * pass fixed ones. NULL-terminated namespace lists may be NULL. */
char *as_reg_render(const as_config *c, const char *const *user_ns,
                    const char *const *alias_ns, const char *as_token,
                    const char *hs_token);
/* Write `text` to `path` with mode 0600 (tmp file + rename). */
int as_reg_write(const char *path, const char *text, char *err, size_t errlen);
/* Read id, url, tokens and sender_localpart from a registration file. */
int as_reg_load(as_reg *r, const char *path, char *err, size_t errlen);
void as_reg_free(as_reg *r); /* wipes the tokens */
/* A fresh random token: 64 URL-safe characters (384 bits). */
int as_token_new(char out[65]);

/* ---- as_txn.c: processed transaction IDs -------------------------------- */
typedef struct as_txn as_txn;
int as_txn_open(as_txn **out, const char *path, char *err, size_t errlen);
void as_txn_close(as_txn *t);
/* 1 when txn_id was processed, 0 when not, -1 on a database error. */
int as_txn_seen(as_txn *t, const char *txn_id);
/* Record txn_id as processed, durably (the reply 200 comes after). */
int as_txn_done(as_txn *t, const char *txn_id);

/* ---- as_client.c: calls to the homeserver ------------------------------- */
typedef struct as_client as_client;
/* Completion: status 0 never happens (connection failures are retried);
 * body is NUL-terminated (len excludes it); borrowed. */
typedef void (*as_resp_fn)(void *arg, int status, const char *content_type,
                           const unsigned char *body, size_t len);
int as_client_new(as_client **out, struct event_base *base, const char *url,
                  const char *as_token, char *err, size_t errlen);
/* Free; pending calls are dropped without completion. */
void as_client_free(as_client *c);
/* One call, `path` with its query. Retried with backoff while the
 * homeserver cannot be reached or answers 429/502/503/504. */
int as_client_call(as_client *c, const char *method, const char *path,
                   const char *content_type, const void *body, size_t len,
                   as_resp_fn cb, void *arg);
/* The log sink for retries (may stay unset). */
void as_client_set_log(as_client *c, host_log_fn fn, void *ctx);

/* ---- as_ops.c ----------------------------------------------------------- */
/* host_matrix_ops whose calls go to `c` (ctx must outlive the host). */
typedef struct as_ops_ctx {
    as_client *client;
    as_client *puppet;       /* as_token of the double-puppet registration */
    host *h;                 /* to tell namespace users from real ones */
    const char *sender_id;
    json_t *known;           /* namespace users registered in this run */
    const char *server_name;
    int (*respond)(void *ctx, uint64_t reply_id, int status,
                   const char *content_type, const void *body, size_t len);
    void *respond_ctx;
} as_ops_ctx;
host_matrix_ops as_ops_make(as_ops_ctx *ctx);
/* Append `key=value` (value percent-encoded) to a path with or without a
 * query. Caller frees. */
char *as_path_add_query(const char *path, const char *key, const char *value);

/* ---- as_server.c: the HS -> AS endpoints -------------------------------- */
typedef struct as_server as_server;
int as_server_start(as_server **out, struct event_base *base,
                    const as_config *c, const as_reg *reg, as_txn *txn,
                    host *h, char *err, size_t errlen);
void as_server_free(as_server *s);
int as_server_port(const as_server *s);
/* host_matrix_ops.http_respond for module routes served on our listener */
int as_server_respond(void *ctx, uint64_t reply_id, int status,
                      const char *content_type, const void *body, size_t len);

#endif
