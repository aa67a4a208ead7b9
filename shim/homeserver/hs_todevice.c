/*
 * hs_todevice.c - PUT sendToDevice/{eventType}/{txnId} and the delivery of
 * to-device messages through /sync.
 *
 * Spec: matrix-org/matrix-spec data/api/client-server/to_device.yaml
 * (messages: {user: {device or "*": content}}, the transaction ID makes a
 * retry idempotent) and the "Send-to-Device messaging" module: messages
 * come once through /sync `to_device` and the server deletes them once the
 * client acknowledges them by syncing with the next_batch of the response
 * that carried them.
 *
 * At-least-once: a message is marked with the next_batch of the first
 * response that carried it (sent_at) and deleted only when a later /sync
 * presents a since >= sent_at; a lost response means an older since, so the
 * message comes again.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs_e2ee.h"

#define TODEVICE_PER_SYNC 100 /* Synapse's per-sync limit (sync.py) */

static int queue_one(hs *s, const char *user, const char *dev, const char *txt, int64_t pos)
{
    sqlite3_stmt *st = hs_db_stmt(s, "INSERT INTO e2e_todevice(user_id, device_id, stream, json) VALUES(?,?,?,?)");

    if (!st)
        return HS_ERR_DB;
    hs_bind_text(st, 1, user);
    hs_bind_text(st, 2, dev);
    sqlite3_bind_int64(st, 3, pos);
    hs_bind_text(st, 4, txt);
    return hs_db_step_done(s, st);
}

static int queue_user(hs_req *r, const char *type, const char *user, json_t *devs, int64_t pos)
{
    hs *s = r->s;
    const char *dev;
    json_t *content;

    json_object_foreach(devs, dev, content) {
        json_t *ev = json_pack("{s:s,s:s,s:O}", "sender", r->user_id, "type", type,
                               "content", content);
        char *txt = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
        int rc = 0;
        json_decref(ev);
        if (!txt)
            return HS_ERR_DB;
        if (!strcmp(dev, "*")) {
            sqlite3_stmt *st = hs_db_stmt(s, "SELECT device_id FROM devices WHERE user_id=? /*td*/");
            json_t *ids = json_array(), *id;
            size_t i;
            if (!st) {
                free(txt);
                json_decref(ids);
                return HS_ERR_DB;
            }
            hs_bind_text(st, 1, user);
            while (sqlite3_step(st) == SQLITE_ROW)
                json_array_append_new(ids, json_string(hs_col_text(st, 0)));
            sqlite3_reset(st);
            json_array_foreach(ids, i, id)
                if (!rc)
                    rc = queue_one(s, user, json_string_value(id), txt, pos);
            json_decref(ids);
        } else {
            sqlite3_stmt *st = hs_db_stmt(s, "SELECT 1 FROM devices WHERE user_id=? AND device_id=? /*td*/");
            int known = 0;
            if (st) {
                hs_bind_text(st, 1, user);
                hs_bind_text(st, 2, dev);
                known = sqlite3_step(st) == SQLITE_ROW;
                sqlite3_reset(st);
            }
            if (known) /* unknown devices are dropped, as Synapse does */
                rc = queue_one(s, user, dev, txt, pos);
        }
        free(txt);
        if (rc)
            return rc;
    }
    return 0;
}

int hs_h_send_to_device(hs_req *r)
{
    hs *s = r->s;
    const char *type = r->segs[1], *txn = r->segs[2];
    json_t *msgs = json_object_get(r->json, "messages"), *devs, *c;
    const char *user, *dev;
    sqlite3_stmt *st;
    char key[600];
    int64_t pos;

    if (!json_is_object(msgs))
        return hs_err(r, 400, "M_BAD_JSON", "messages must be an object");
    json_object_foreach(msgs, user, devs) {
        if (!json_is_object(devs))
            return hs_err(r, 400, "M_BAD_JSON", "messages.%.64s must be an object", user);
        json_object_foreach(devs, dev, c)
            if (!json_is_object(c))
                return hs_err(r, 400, "M_BAD_JSON", "message content must be an object");
    }
    /* the transaction is scoped to the device and the path (type + txn) */
    snprintf(key, sizeof(key), "%s/%s", type, txn);
    if (hs_db_begin(s))
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    st = hs_db_stmt(s, "INSERT OR IGNORE INTO e2e_todevice_txn(user_id, device_id, txn) VALUES(?,?,?)");
    if (!st) {
        hs_db_rollback(s);
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    }
    hs_bind_text(st, 1, r->user_id);
    hs_bind_text(st, 2, r->device_id);
    hs_bind_text(st, 3, key);
    if (hs_db_step_done(s, st)) {
        hs_db_rollback(s);
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    }
    if (sqlite3_changes(s->db) == 0) { /* a retry: already queued */
        hs_db_rollback(s);
        return hs_ok(r, NULL);
    }
    pos = hs_stream_next(s);
    json_object_foreach(msgs, user, devs) {
        if (!hs_user_is_local(s, user))
            continue; /* no federation */
        if (queue_user(r, type, user, devs, pos)) {
            hs_db_rollback(s);
            return hs_err(r, 500, "M_UNKNOWN", "database error");
        }
    }
    if (hs_db_commit(s))
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    hs_sync_notify(s);
    return hs_ok(r, NULL);
}

json_t *hs_todevice_take(hs *s, const char *user, const char *device,
                         int64_t since, int64_t now)
{
    json_t *out = json_array();
    sqlite3_stmt *st;
    int64_t *ids = NULL;
    size_t n = 0, i;

    if (since >= 0) { /* acknowledged: carried by a response at or before since */
        st = hs_db_stmt(s, "DELETE FROM e2e_todevice WHERE user_id=? AND device_id=? "
                           "AND sent_at IS NOT NULL AND sent_at<=?");
        if (st) {
            hs_bind_text(st, 1, user);
            hs_bind_text(st, 2, device);
            sqlite3_bind_int64(st, 3, since);
            hs_db_step_done(s, st);
        }
    }
    st = hs_db_stmt(s, "SELECT id, json FROM e2e_todevice WHERE user_id=? AND device_id=? "
                       "AND stream<=? ORDER BY id LIMIT ?");
    if (!st)
        return out;
    hs_bind_text(st, 1, user);
    hs_bind_text(st, 2, device);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_int(st, 4, TODEVICE_PER_SYNC);
    ids = calloc(TODEVICE_PER_SYNC, sizeof(*ids));
    while (ids && sqlite3_step(st) == SQLITE_ROW) {
        json_t *ev = json_loads(hs_col_text(st, 1), 0, NULL);
        ids[n++] = sqlite3_column_int64(st, 0);
        if (ev)
            json_array_append_new(out, ev);
    }
    sqlite3_reset(st);
    /* remember the first response that carried each message */
    for (i = 0; i < n; i++) {
        st = hs_db_stmt(s, "UPDATE e2e_todevice SET sent_at=? WHERE id=? AND sent_at IS NULL");
        if (!st)
            break;
        sqlite3_bind_int64(st, 1, now);
        sqlite3_bind_int64(st, 2, ids[i]);
        hs_db_step_done(s, st);
    }
    free(ids);
    return out;
}
