/*
 * br_store_outbox.c - br_outbox: Matrix messages queued for Signal, in
 * order per chat, each with its Signal timestamp (issue #12).
 */
#include "config.h"

#include "br_store_int.h"

int br_store_outbox_room(st_db *db, int64_t id, char *out, size_t n)
{
    sqlite3_stmt *st = st_db_stmt(db, "SELECT room_id FROM br_outbox WHERE id = ?1");
    int rc;

    if (out && n)
        *out = 0;
    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, id);
    if ((rc = br_store_row(st)) == 1) {
        br_store_text(st, 0, out, n);
        sqlite3_reset(st);
    }
    return rc;
}

int br_store_outbox_set_failed(st_db *db, int64_t id, const char *why)
{
    sqlite3_stmt *st = st_db_stmt(db, "UPDATE br_outbox SET state = 2, error = ?2 WHERE id = ?1");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, why, -1, SQLITE_STATIC);
    return st_db_step_done(db, st);
}

int br_store_outbox_pending(st_db *db, const char *owner, const char *chat_id)
{
    sqlite3_stmt *st = st_db_stmt(db, "SELECT 1 FROM br_outbox WHERE owner_mxid = ?1"
                                      " AND chat_id = ?2 AND state = 0 LIMIT 1");
    int rc;

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, chat_id, -1, SQLITE_STATIC);
    if ((rc = br_store_row(st)) == 1)
        sqlite3_reset(st);
    return rc;
}

int br_store_outbox_event_queued(st_db *db, const char *event_id)
{
    sqlite3_stmt *st = st_db_stmt(db, "SELECT 1 FROM br_outbox WHERE event_id = ?1 AND state = 0 AND signal_ts IS NULL");
    int rc;

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, event_id, -1, SQLITE_STATIC);
    if ((rc = br_store_row(st)) == 1)
        sqlite3_reset(st);
    return rc;
}

int br_store_outbox_queued_ts(st_db *db, const char *owner, const char *event_id, char *chat,
                              size_t cn, int64_t *ts)
{
    sqlite3_stmt *st = st_db_stmt(db, "SELECT chat_id, signal_ts FROM br_outbox WHERE owner_mxid = ?1"
                                      " AND event_id = ?2 AND state IN (0, 3) AND signal_ts IS NOT NULL");
    int rc;

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, event_id, -1, SQLITE_STATIC);
    if ((rc = br_store_row(st)) == 1) {
        br_store_text(st, 0, chat, cn);
        *ts = sqlite3_column_int64(st, 1);
        sqlite3_reset(st);
    }
    return rc;
}

int br_store_outbox_put_media(st_db *db, const char *owner, const char *room_id,
                              const char *chat_id, const char *event_id, const char *body,
                              int64_t signal_ts, int64_t created_ms, int64_t *id)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "INSERT INTO br_outbox(owner_mxid, room_id, chat_id, event_id, body, state, signal_ts,"
        " created_ms) VALUES (?1, ?2, ?3, ?4, ?5, 3, ?6, ?7) ON CONFLICT(event_id) DO NOTHING");
    int rc;

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, room_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, chat_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, event_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, body, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, signal_ts);
    sqlite3_bind_int64(st, 7, created_ms);
    if ((rc = br_store_changes(db, st)) <= 0)
        return rc;
    *id = sqlite3_last_insert_rowid(st_db_handle(db));
    return 1;
}

int br_store_usage_count(st_db *db, const char *month, long *n)
{
    sqlite3_stmt *st = st_db_stmt(db, "SELECT count(*) FROM br_usage WHERE month = ?1");
    int rc;

    *n = 0;
    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, month, -1, SQLITE_STATIC);
    if ((rc = br_store_row(st)) == 1) {
        *n = (long)sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
    }
    return rc < 0 ? rc : 0;
}

int br_store_usage_exists(st_db *db, const char *month, const char *aci)
{
    sqlite3_stmt *st = st_db_stmt(db, "SELECT 1 FROM br_usage WHERE month = ?1 AND aci = ?2");
    int rc;

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, month, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, aci, -1, SQLITE_STATIC);
    if ((rc = br_store_row(st)) == 1)
        sqlite3_reset(st);
    return rc;
}

int br_store_usage_add(st_db *db, const char *month, const char *aci)
{
    sqlite3_stmt *st = st_db_stmt(db, "INSERT INTO br_usage(month, aci) VALUES (?1, ?2)");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, month, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, aci, -1, SQLITE_STATIC);
    return st_db_step_done(db, st);
}
