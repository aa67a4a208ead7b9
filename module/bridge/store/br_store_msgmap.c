/*
 * br_store_msgmap.c - br_msgmap: which Matrix event each Signal message
 * (owner, chat, author, timestamp) became, and back.
 */
#include "config.h"

#include "br_store_int.h"

/* One event id keyed by owner, chat, author and ts. */
static int by_author(st_db *db, const char *sql, const char *owner, const char *chat_id,
                     const char *author, int64_t ts, char *out, size_t n)
{
    sqlite3_stmt *st = st_db_stmt(db, sql);

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, chat_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, author, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, ts);
    return br_store_get_text(st, out, n);
}

int br_store_msgmap_by_author_before(st_db *db, const char *owner, const char *chat_id,
                                     const char *author, int64_t ts, char *out, size_t n)
{
    return by_author(db, "SELECT event_id FROM br_msgmap WHERE owner_mxid = ?1 AND chat_id = ?2"
                         " AND author = ?3 AND ts <= ?4 ORDER BY ts DESC LIMIT 1",
                     owner, chat_id, author, ts, out, n);
}

int br_store_msgmap_by_author_at(st_db *db, const char *owner, const char *chat_id,
                                 const char *author, int64_t ts, char *out, size_t n)
{
    return by_author(db, "SELECT event_id FROM br_msgmap WHERE owner_mxid = ?1 AND chat_id = ?2"
                         " AND author = ?3 AND ts = ?4 LIMIT 1",
                     owner, chat_id, author, ts, out, n);
}

/* One text keyed by owner, author and ts (in any chat). */
static int by_message(st_db *db, const char *sql, const char *owner, const char *author,
                      int64_t ts, char *out, size_t n)
{
    sqlite3_stmt *st = st_db_stmt(db, sql);

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, author, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, ts);
    return br_store_get_text(st, out, n);
}

int br_store_msgmap_group_of(st_db *db, const char *owner, const char *author, int64_t ts,
                             char *out, size_t n)
{
    return by_message(db, "SELECT chat_id FROM br_msgmap WHERE owner_mxid = ?1"
                          " AND author = ?2 AND ts = ?3 AND chat_id LIKE 'group:%' LIMIT 1",
                      owner, author, ts, out, n);
}

int br_store_msgmap_event_of(st_db *db, const char *owner, const char *author, int64_t ts,
                             char *out, size_t n)
{
    return by_message(db, "SELECT event_id FROM br_msgmap WHERE owner_mxid = ?1"
                          " AND author = ?2 AND ts = ?3 LIMIT 1",
                      owner, author, ts, out, n);
}

int br_store_msgmap_find_by_event(st_db *db, const char *owner, const char *event_id,
                                  char *chat_id, size_t cn, char *author, size_t an,
                                  int64_t *ts)
{
    return br_store_msg_by_event(db, "SELECT chat_id, author, ts FROM br_msgmap WHERE owner_mxid = ?1"
                                     " AND event_id = ?2 LIMIT 1",
                                 owner, event_id, chat_id, cn, author, an, ts);
}
