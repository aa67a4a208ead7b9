/*
 * br_store_access.c - small keyed sets of the bridge: the users already
 * told that their access is gone (br_access_notice), the Matrix events
 * already handled (br_mx_seen, at-least-once delivery) and the chats
 * blocked on the phone (br_blocked).
 */
#include "config.h"

#include "br_store_int.h"

/* 1 when `sql` (with text parameters ?1 and, if b, ?2) yields a row. */
static int exists(st_db *db, const char *sql, const char *a, const char *b)
{
    sqlite3_stmt *st = st_db_stmt(db, sql);

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
    if (b)
        sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
    return br_store_exists(st);
}

int br_store_access_notice_exists(st_db *db, const char *owner)
{
    return exists(db, "SELECT 1 FROM br_access_notice WHERE owner_mxid = ?1", owner, NULL);
}

int br_store_access_notice_put(st_db *db, const char *owner, int64_t now_ms)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "INSERT OR IGNORE INTO br_access_notice(owner_mxid, noticed_ms) VALUES (?1, ?2)");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now_ms);
    return st_db_step_done(db, st);
}

int br_store_access_notice_delete(st_db *db, const char *owner)
{
    sqlite3_stmt *st = st_db_stmt(db, "DELETE FROM br_access_notice WHERE owner_mxid = ?1");
    int rc;

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    rc = br_store_changes(db, st);
    return rc > 0 ? 1 : rc;
}

int br_store_seen_exists(st_db *db, const char *event_id)
{
    return exists(db, "SELECT 1 FROM br_mx_seen WHERE event_id = ?1", event_id, NULL);
}

int br_store_seen_put(st_db *db, const char *event_id, int64_t now_ms, int64_t *rowid)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "INSERT INTO br_mx_seen(event_id, seen_ms) VALUES (?1, ?2) ON CONFLICT DO NOTHING");
    int rc;

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, event_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now_ms);
    if ((rc = st_db_step_done(db, st)) == 0 && rowid)
        *rowid = sqlite3_last_insert_rowid(st_db_handle(db));
    return rc;
}

int br_store_seen_prune(st_db *db, int64_t before_ms)
{
    sqlite3_stmt *st = st_db_stmt(db, "DELETE FROM br_mx_seen WHERE seen_ms < ?1");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, before_ms);
    return st_db_step_done(db, st);
}

int br_store_blocked_exists(st_db *db, const char *owner, const char *chat_id)
{
    return exists(db, "SELECT 1 FROM br_blocked WHERE owner_mxid = ?1 AND chat_id = ?2",
                  owner, chat_id);
}

int br_store_blocked_set(st_db *db, const char *owner, const char *chat_id, int blocked)
{
    static const char ins[] =
        "INSERT INTO br_blocked(owner_mxid, chat_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING";
    static const char del[] = "DELETE FROM br_blocked WHERE owner_mxid = ?1 AND chat_id = ?2";
    sqlite3_stmt *st = st_db_stmt(db, blocked ? ins : del);
    int rc;

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, chat_id, -1, SQLITE_STATIC);
    rc = br_store_changes(db, st);
    return rc > 0 ? 1 : rc;
}
