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
