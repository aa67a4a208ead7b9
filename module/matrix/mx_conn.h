/*
 * mx_conn.h - the Matrix side of the module over the mxm ABI: typed,
 * asynchronous Client-Server actions performed as a given user (the bot, a
 * puppet, or - where the host allows - a real local user).
 *
 * Every call is made on the host loop thread and returns at once: 0 when the
 * host accepted the request, MX_ERR_HOST otherwise (cb is then NOT called).
 * The completion runs later on the host loop with the HTTP status and the
 * parsed JSON body (borrowed for the call; NULL when not JSON). cb may be
 * NULL: failures are then logged and dropped. Completions never touch the
 * mx_conn, so it may be freed while requests are in flight (the module's
 * stop() runs before the host stops delivering them).
 *
 * JSON arguments are borrowed; strings are copied as needed.
 */
#ifndef MX_CONN_H
#define MX_CONN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <mxm/module.h>

#include "ut.h"

typedef struct mx_conn mx_conn;

typedef void (*mx_done_fn)(void *arg, int status, json_t *body);

/* `host` and `log` are borrowed and must outlive the connection. */
int mx_conn_new(mx_conn **out, const mxm_host_api *host, const ut_log *log);
void mx_conn_free(mx_conn *c);

const char *mx_server_name(const mx_conn *c);
/* "@<localpart>:<server>" into out; UT_ERR_RANGE if it does not fit. */
int mx_user_id(const mx_conn *c, const char *localpart, char *out, size_t n);

/* Make sure a user of the module's namespace exists. */
int mx_ensure_user(mx_conn *c, const char *localpart, mx_done_fn cb, void *arg);

/* Any CS API call; `path` already escaped. body may be NULL. */
int mx_request(mx_conn *c, const char *as_user, const char *method,
               const char *path, json_t *body, int64_t ts_ms, mx_done_fn cb,
               void *arg);

/* PUT /rooms/{room}/send/{type}/{txn}: the same txn never sends twice. */
int mx_send(mx_conn *c, const char *as_user, const char *room_id,
            const char *type, const char *txn_id, json_t *content,
            int64_t ts_ms, mx_done_fn cb, void *arg);
/* PUT /rooms/{room}/state/{type}/{state_key} */
int mx_state(mx_conn *c, const char *as_user, const char *room_id,
             const char *type, const char *state_key, json_t *content,
             mx_done_fn cb, void *arg);
/* POST /createRoom with a createRoom body; the reply carries room_id. */
int mx_create_room(mx_conn *c, const char *as_user, json_t *body,
                   mx_done_fn cb, void *arg);
/* action: "invite", "kick", "ban" (need target), "join", "leave". */
int mx_membership(mx_conn *c, const char *as_user, const char *room_id,
                  const char *action, const char *target, const char *reason,
                  mx_done_fn cb, void *arg);
int mx_redact(mx_conn *c, const char *as_user, const char *room_id,
              const char *event_id, const char *txn_id, const char *reason,
              mx_done_fn cb, void *arg);
int mx_set_displayname(mx_conn *c, const char *as_user, const char *name,
                       mx_done_fn cb, void *arg);
int mx_set_avatar(mx_conn *c, const char *as_user, const char *mxc,
                  mx_done_fn cb, void *arg);
int mx_typing(mx_conn *c, const char *as_user, const char *room_id,
              int typing, int timeout_ms, mx_done_fn cb, void *arg);
int mx_receipt(mx_conn *c, const char *as_user, const char *room_id,
               const char *event_id, mx_done_fn cb, void *arg);
/* The user's read marker and read receipt on one event (the client-server
 * API's POST /rooms/{roomId}/read_markers: m.fully_read and m.read). */
int mx_read_markers(mx_conn *c, const char *as_user, const char *room_id,
                    const char *event_id, mx_done_fn cb, void *arg);
/* Account data of as_user; room_id NULL for global (e.g. m.direct). */
int mx_account_data_put(mx_conn *c, const char *as_user, const char *room_id,
                        const char *type, json_t *content, mx_done_fn cb,
                        void *arg);
int mx_account_data_get(mx_conn *c, const char *as_user, const char *type,
                        mx_done_fn cb, void *arg);
/* Upload: the reply carries content_uri. */
int mx_upload(mx_conn *c, const char *as_user, const char *content_type,
              const char *filename, const void *data, size_t len,
              mx_done_fn cb, void *arg);
int mx_download(mx_conn *c, const char *mxc_uri, mxm_media_fn cb, void *arg);

#endif
