/*
 * br_store_inbox.c - br_inbox: Signal messages received, kept until they
 * are in Matrix, and what the user has read of them.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "br_store_int.h"

/* Others' messages after ?4 up to the one bridged as ?3. */
#define UNREAD_WHERE \
    " FROM br_inbox WHERE owner_mxid = ?1 AND chat_id = ?2 AND from_me = 0" \
    " AND ts > ?4 AND ts <= (SELECT ts FROM br_msgmap WHERE owner_mxid = ?1 AND event_id = ?3)"

static void bind_unread(sqlite3_stmt *st, const char *owner, const char *chat_id,
                        const char *event_id, int64_t after_ts)
{
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, chat_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, event_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, after_ts);
}

int br_store_inbox_unread_ts(st_db *db, const char *owner, const char *chat_id,
                             const char *event_id, int64_t after_ts, int64_t *ts,
                             size_t max, size_t *n)
{
    sqlite3_stmt *st = st_db_stmt(db, "SELECT ts" UNREAD_WHERE " ORDER BY ts DESC");
    int rc = 0;

    *n = 0;
    if (!st)
        return ST_ERR_SQL;
    bind_unread(st, owner, chat_id, event_id, after_ts);
    while (*n < max && (rc = br_store_row(st)) == 1)
        ts[(*n)++] = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc < 0 ? rc : 0;
}

void br_store_inbox_rows_free(br_store_inbox_row *rows, size_t n)
{
    size_t i;

    for (i = 0; rows && i < n; i++)
        free(rows[i].sender);
    free(rows);
}

int br_store_inbox_unread_rows(st_db *db, const char *owner, const char *chat_id,
                               const char *event_id, int64_t after_ts,
                               br_store_inbox_row **out, size_t *n)
{
    sqlite3_stmt *st = st_db_stmt(db, "SELECT sender, ts" UNREAD_WHERE " ORDER BY sender, ts DESC");
    br_store_inbox_row *v = NULL, *nv;
    size_t len = 0, cap = 0;
    int rc;

    *out = NULL;
    *n = 0;
    if (!st)
        return ST_ERR_SQL;
    bind_unread(st, owner, chat_id, event_id, after_ts);
    while ((rc = br_store_row(st)) == 1) {
        const unsigned char *s = sqlite3_column_text(st, 0);

        if (!s)
            continue;
        if (len == cap) {
            cap = cap ? 2 * cap : 16;
            if (!(nv = realloc(v, cap * sizeof(*v)))) {
                rc = UT_ERR_NOMEM;
                break;
            }
            v = nv;
        }
        if (!(v[len].sender = strdup((const char *)s))) {
            rc = UT_ERR_NOMEM;
            break;
        }
        v[len++].ts = sqlite3_column_int64(st, 1);
    }
    if (rc < 0) {
        sqlite3_reset(st);
        br_store_inbox_rows_free(v, len);
        return rc;
    }
    *out = v;
    *n = len;
    return 0;
}

int br_store_inbox_map_to_media(st_db *db, const char *owner, const char *sender, int64_t ts)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "UPDATE br_inbox SET event_id = coalesce((SELECT event_id FROM br_media_in"
        " WHERE owner_mxid = ?1 AND sender = ?2 AND ts = ?3 AND event_id IS NOT NULL"
        " ORDER BY idx LIMIT 1), '') WHERE owner_mxid = ?1 AND sender = ?2 AND ts = ?3");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sender, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, ts);
    return st_db_step_done(db, st);
}

int br_store_inbox_put(st_db *db, const char *owner, const char *chat_id, const char *sender,
                       int64_t ts, int from_me, const char *body)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "INSERT INTO br_inbox(owner_mxid, chat_id, sender, ts, from_me, body)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING");

    if (!st)
        return ST_ERR_SQL;
    br_store_bind_msg(st, owner, chat_id, sender, ts);
    sqlite3_bind_int(st, 5, from_me);
    sqlite3_bind_text(st, 6, body ? body : "", -1, SQLITE_STATIC);
    return st_db_step_done(db, st);
}

int br_store_inbox_waiting(st_db *db, const char *owner, const char *chat_id,
                           const char *sender, int64_t ts)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "SELECT 1 FROM br_inbox WHERE owner_mxid = ?1 AND chat_id = ?2 AND sender = ?3"
        " AND ts = ?4 AND event_id IS NULL");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, chat_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, sender, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, ts);
    return br_store_exists(st);
}

int br_store_inbox_set_event(st_db *db, const char *owner, const char *sender, int64_t ts,
                             const char *event_id)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "UPDATE br_inbox SET event_id = ?4 WHERE owner_mxid = ?1 AND sender = ?2 AND ts = ?3");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sender, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, ts);
    sqlite3_bind_text(st, 4, event_id, -1, SQLITE_STATIC);
    return st_db_step_done(db, st);
}

void br_store_chats_free(br_store_chat *v, size_t n)
{
    size_t i;

    for (i = 0; v && i < n; i++) {
        free(v[i].owner);
        free(v[i].chat_id);
    }
    free(v);
}

/* Read (owner, chat_id) rows of a prepared query into a list. */
int br_store_chats_read(sqlite3_stmt *st, br_store_chat **out, size_t *n)
{
    br_store_chat *v = NULL;
    size_t len = 0, cap = 0;
    int rc;

    *out = NULL;
    *n = 0;
    while ((rc = br_store_row(st)) == 1) {
        if ((rc = br_store_grow((void **)&v, &cap, len, sizeof(*v))) != 0)
            break;
        v[len].owner = br_store_dup(st, 0);
        v[len].chat_id = br_store_dup(st, 1);
        if (!v[len++].owner || !v[len - 1].chat_id) {
            rc = UT_ERR_NOMEM;
            break;
        }
    }
    if (rc < 0) {
        sqlite3_reset(st);
        br_store_chats_free(v, len);
        return rc;
    }
    *out = v;
    *n = len;
    return 0;
}

int br_store_inbox_unbridged_chats(st_db *db, br_store_chat **out, size_t *n)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "SELECT DISTINCT owner_mxid, chat_id FROM br_inbox WHERE event_id IS NULL");

    *out = NULL;
    *n = 0;
    return st ? br_store_chats_read(st, out, n) : ST_ERR_SQL;
}

void br_store_inbox_msgs_free(br_store_inbox_msg *v, size_t n)
{
    size_t i;

    for (i = 0; v && i < n; i++) {
        free(v[i].sender);
        free(v[i].body);
    }
    free(v);
}

int br_store_inbox_unbridged(st_db *db, const char *owner, const char *chat_id, int64_t from_ts,
                             br_store_inbox_msg **out, size_t *n)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "SELECT sender, ts, from_me, body FROM br_inbox WHERE owner_mxid = ?1"
        " AND chat_id = ?2 AND ts >= ?3 AND event_id IS NULL ORDER BY ts");
    br_store_inbox_msg *v = NULL;
    size_t len = 0, cap = 0;
    int rc;

    *out = NULL;
    *n = 0;
    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, chat_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, from_ts);
    while ((rc = br_store_row(st)) == 1) {
        if ((rc = br_store_grow((void **)&v, &cap, len, sizeof(*v))) != 0)
            break;
        v[len].sender = br_store_dup(st, 0);
        v[len].ts = sqlite3_column_int64(st, 1);
        v[len].from_me = sqlite3_column_int(st, 2);
        v[len].body = br_store_dup(st, 3);
        if (!v[len++].sender || !v[len - 1].body) {
            rc = UT_ERR_NOMEM;
            break;
        }
    }
    if (rc < 0) {
        sqlite3_reset(st);
        br_store_inbox_msgs_free(v, len);
        return rc;
    }
    *out = v;
    *n = len;
    return 0;
}

int br_store_inbox_set_body(st_db *db, const char *owner, const char *sender, int64_t ts,
                            const char *body)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "UPDATE br_inbox SET body = ?4 WHERE owner_mxid = ?1 AND sender = ?2 AND ts = ?3"
        " AND event_id IS NULL");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sender, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, ts);
    sqlite3_bind_text(st, 4, body, -1, SQLITE_STATIC);
    return st_db_step_done(db, st);
}
