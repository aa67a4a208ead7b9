/*
 * br_store_outbox.c - br_outbox: Matrix messages queued for Signal, in
 * order per chat, each with its Signal timestamp (issue #12).
 */
#include "config.h"

#include "br_store_int.h"

int br_store_outbox_room(st_db *db, int64_t id, char *out, size_t n)
{
    sqlite3_stmt *st = st_db_stmt(db, "SELECT room_id FROM br_outbox WHERE id = ?1");

    if (out && n)
        *out = 0;
    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, id);
    return br_store_get_text(st, out, n);
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

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, chat_id, -1, SQLITE_STATIC);
    return br_store_exists(st);
}

int br_store_outbox_event_queued(st_db *db, const char *event_id)
{
    sqlite3_stmt *st = st_db_stmt(db, "SELECT 1 FROM br_outbox WHERE event_id = ?1 AND state = 0 AND signal_ts IS NULL");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, event_id, -1, SQLITE_STATIC);
    return br_store_exists(st);
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

/* Insert a queued row with `sql`, whose ?1..?7 are owner, room, chat,
 * event, body, Signal timestamp, creation time: 1 (*id its row), 0 when
 * the event was queued already, or ST_ERR_*. */
static int put_row(st_db *db, const char *sql, const char *owner, const char *room_id,
                   const char *chat_id, const char *event_id, const char *body,
                   int64_t signal_ts, int64_t created_ms, int64_t *id)
{
    sqlite3_stmt *st = st_db_stmt(db, sql);
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

int br_store_outbox_put_media(st_db *db, const char *owner, const char *room_id,
                              const char *chat_id, const char *event_id, const char *body,
                              int64_t signal_ts, int64_t created_ms, int64_t *id)
{
    return put_row(db,
        "INSERT INTO br_outbox(owner_mxid, room_id, chat_id, event_id, body, state, signal_ts,"
        " created_ms) VALUES (?1, ?2, ?3, ?4, ?5, 3, ?6, ?7) ON CONFLICT(event_id) DO NOTHING",
        owner, room_id, chat_id, event_id, body, signal_ts, created_ms, id);
}

int br_store_outbox_max_ts(st_db *db, int64_t *ts)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "SELECT max(coalesce((SELECT max(signal_ts) FROM br_outbox), 0),"
        " coalesce((SELECT max(signal_ts) FROM br_relout), 0))");
    int rc;

    *ts = 0;
    if (!st)
        return ST_ERR_SQL;
    if ((rc = br_store_row(st)) == 1) {
        *ts = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
    }
    return rc < 0 ? rc : 0;
}

int br_store_outbox_put(st_db *db, const char *owner, const char *room_id, const char *chat_id,
                        const char *event_id, const char *body, int64_t signal_ts,
                        int64_t created_ms, int64_t *id)
{
    return put_row(db,
        "INSERT INTO br_outbox(owner_mxid, room_id, chat_id, event_id, body, signal_ts, created_ms)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(event_id) DO NOTHING",
        owner, room_id, chat_id, event_id, body, signal_ts, created_ms, id);
}

int br_store_outbox_next(st_db *db, const char *owner, const char *chat_id,
                         br_store_outbox_row *r)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "SELECT o.id, o.body, o.state, m.outbox_id IS NOT NULL, o.signal_ts, o.created_ms,"
        " o.next_try_ms, o.attempts, o.room_id FROM br_outbox o"
        " LEFT JOIN br_media_out m ON m.outbox_id = o.id"
        " WHERE o.owner_mxid = ?1 AND o.chat_id = ?2"
        " AND (o.state = 0 OR (m.outbox_id IS NOT NULL AND m.state < 3)) ORDER BY o.id LIMIT 1");
    int rc;

    memset(r, 0, sizeof(*r));
    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, chat_id, -1, SQLITE_STATIC);
    if ((rc = br_store_row(st)) != 1)
        return rc;
    r->id = sqlite3_column_int64(st, 0);
    r->state = sqlite3_column_int(st, 2);
    r->file = sqlite3_column_int(st, 3);
    r->signal_ts = sqlite3_column_int64(st, 4);
    r->created_ms = sqlite3_column_int64(st, 5);
    r->next_try_ms = sqlite3_column_int64(st, 6);
    r->attempts = sqlite3_column_int(st, 7);
    br_store_text(st, 8, r->room, sizeof(r->room));
    if (!r->file && !(r->body = br_store_dup(st, 1)))
        rc = UT_ERR_NOMEM;
    sqlite3_reset(st);
    return rc;
}

int br_store_outbox_get(st_db *db, int64_t id, br_store_outbox_row *r, char *owner, size_t on,
                        char *chat_id, size_t cn)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "SELECT room_id, owner_mxid, chat_id, state, created_ms, attempts, signal_ts"
        " FROM br_outbox WHERE id = ?1");
    int rc;

    memset(r, 0, sizeof(*r));
    r->id = id;
    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, id);
    if ((rc = br_store_row(st)) != 1)
        return rc;
    br_store_text(st, 0, r->room, sizeof(r->room));
    br_store_text(st, 1, owner, on);
    br_store_text(st, 2, chat_id, cn);
    r->state = sqlite3_column_int(st, 3);
    r->created_ms = sqlite3_column_int64(st, 4);
    r->attempts = sqlite3_column_int(st, 5);
    r->signal_ts = sqlite3_column_int64(st, 6);
    sqlite3_reset(st);
    return 1;
}

int br_store_outbox_set_ts(st_db *db, int64_t id, int64_t signal_ts)
{
    sqlite3_stmt *st = st_db_stmt(db, "UPDATE br_outbox SET signal_ts = ?2 WHERE id = ?1");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, signal_ts);
    return st_db_step_done(db, st);
}

int br_store_outbox_set_retry(st_db *db, int64_t id, int attempts, int64_t next_try_ms,
                              const char *error)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "UPDATE br_outbox SET attempts = ?2, next_try_ms = ?3, error = ?4 WHERE id = ?1");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, attempts);
    sqlite3_bind_int64(st, 3, next_try_ms);
    sqlite3_bind_text(st, 4, error, -1, SQLITE_STATIC);
    return st_db_step_done(db, st);
}

int br_store_outbox_settle(st_db *db, int64_t id, int state, int64_t signal_ts,
                           const char *error)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "UPDATE br_outbox SET state = ?2, signal_ts = coalesce(signal_ts, ?3), error = ?4"
        " WHERE id = ?1");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, state);
    sqlite3_bind_int64(st, 3, signal_ts);
    sqlite3_bind_text(st, 4, error, -1, SQLITE_STATIC);
    return st_db_step_done(db, st);
}

int br_store_outbox_wake(st_db *db, const char *owner)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "UPDATE br_outbox SET next_try_ms = 0 WHERE owner_mxid = ?1 AND state = 0");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    return st_db_step_done(db, st);
}

int br_store_outbox_date_undated(st_db *db, int64_t now_ms)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "UPDATE br_outbox SET created_ms = ?1 WHERE created_ms = 0 AND state IN (0, 3)");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, now_ms);
    return st_db_step_done(db, st);
}

int br_store_outbox_queued_chats(st_db *db, const char *owner, br_store_chat **out, size_t *n)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "SELECT DISTINCT o.owner_mxid, o.chat_id FROM br_outbox o"
        " LEFT JOIN br_media_out m ON m.outbox_id = o.id"
        " WHERE (o.state = 0 OR (m.outbox_id IS NOT NULL AND m.state < 3))"
        " AND (?1 IS NULL OR o.owner_mxid = ?1)");

    *out = NULL;
    *n = 0;
    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    return br_store_chats_read(st, out, n);
}
