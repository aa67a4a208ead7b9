/*
 * br_store_expire.c - br_chat_timer and br_expire: disappearing messages
 * (br_expire.c). A message's row is written before the Signal side is
 * told the message is durable, so an expiry survives a crash or restart.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "br_store_int.h"

static char *col_dup(sqlite3_stmt *st, int col, int *bad)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    char *d;

    if (!t)
        return NULL;
    if (!(d = strdup((const char *)t)))
        *bad = 1;
    return d;
}

int br_store_timer_set(st_db *db, const char *owner, const char *chat_id, uint32_t expire_s,
                       const char *changed_by, int64_t changed_ts, int pending)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "INSERT INTO br_chat_timer (owner_mxid, chat_id, expire_s, changed_by, changed_ts, state_pending)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (owner_mxid, chat_id) DO UPDATE SET"
        " expire_s = ?3, changed_by = ?4, changed_ts = ?5, state_pending = ?6"
        " WHERE changed_ts <= ?5");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, chat_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, expire_s);
    sqlite3_bind_text(st, 4, changed_by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, changed_ts);
    sqlite3_bind_int(st, 6, pending != 0);
    return st_db_step_done(db, st);
}

int br_store_timer_get(st_db *db, const char *owner, const char *chat_id, uint32_t *expire_s)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "SELECT expire_s FROM br_chat_timer WHERE owner_mxid = ?1 AND chat_id = ?2");
    int rc;

    *expire_s = 0;
    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, chat_id, -1, SQLITE_STATIC);
    if ((rc = br_store_row(st)) == 1) {
        *expire_s = (uint32_t)sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
    }
    return rc;
}

int br_store_timer_sent(st_db *db, const char *owner, const char *chat_id)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "UPDATE br_chat_timer SET state_pending = 0 WHERE owner_mxid = ?1 AND chat_id = ?2");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, chat_id, -1, SQLITE_STATIC);
    return st_db_step_done(db, st);
}

void br_store_timer_rows_free(br_store_timer_row *v, size_t n)
{
    size_t i;

    for (i = 0; v && i < n; i++) {
        free(v[i].owner);
        free(v[i].chat_id);
        free(v[i].changed_by);
    }
    free(v);
}

int br_store_timer_pending(st_db *db, br_store_timer_row **out, size_t *n)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "SELECT owner_mxid, chat_id, changed_by, expire_s, changed_ts FROM br_chat_timer"
        " WHERE state_pending = 1");
    br_store_timer_row *v = NULL;
    size_t cap = 0;
    int rc, bad = 0;

    *out = NULL;
    *n = 0;
    if (!st)
        return ST_ERR_SQL;
    while ((rc = br_store_row(st)) == 1) {
        if (br_store_grow((void **)&v, &cap, *n, sizeof(*v)) != 0) {
            rc = UT_ERR_NOMEM;
            sqlite3_reset(st);
            break;
        }
        memset(&v[*n], 0, sizeof(*v));
        v[*n].owner = col_dup(st, 0, &bad);
        v[*n].chat_id = col_dup(st, 1, &bad);
        v[*n].changed_by = col_dup(st, 2, &bad);
        v[*n].expire_s = (uint32_t)sqlite3_column_int64(st, 3);
        v[*n].changed_ts = sqlite3_column_int64(st, 4);
        (*n)++;
        if (bad || !v[*n - 1].owner || !v[*n - 1].chat_id) {
            rc = UT_ERR_NOMEM;
            sqlite3_reset(st);
            break;
        }
    }
    if (rc < 0) {
        br_store_timer_rows_free(v, *n);
        *n = 0;
        return rc;
    }
    *out = v;
    return 0;
}

int br_store_expire_put(st_db *db, const char *owner, const char *chat_id, const char *sender,
                        int64_t ts, uint32_t expire_s, int64_t expire_at)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "INSERT OR IGNORE INTO br_expire (owner_mxid, chat_id, sender, ts, expire_s, expire_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");

    if (!st)
        return ST_ERR_SQL;
    br_store_bind_msg(st, owner, chat_id, sender, ts);
    sqlite3_bind_int64(st, 5, expire_s);
    if (expire_at > 0)
        sqlite3_bind_int64(st, 6, expire_at);
    else
        sqlite3_bind_null(st, 6);
    return st_db_step_done(db, st);
}

int br_store_expire_set_event(st_db *db, const char *owner, const char *sender, int64_t ts,
                              const char *room_id, const char *event_id, const char *redact_as)
{
    /* one row per Matrix event of the message (migration 020), only for a
     * message that disappears; br_expire keeps the latest for reference */
    sqlite3_stmt *ins = st_db_stmt(db,
        "INSERT OR IGNORE INTO br_expire_event (owner_mxid, sender, ts, event_id, room_id, redact_as)"
        " SELECT owner_mxid, sender, ts, ?5, ?4, ?6 FROM br_expire"
        " WHERE owner_mxid = ?1 AND sender = ?2 AND ts = ?3");
    sqlite3_stmt *st;
    int rc;

    if (!ins)
        return ST_ERR_SQL;
    sqlite3_bind_text(ins, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 2, sender, -1, SQLITE_STATIC);
    sqlite3_bind_int64(ins, 3, ts);
    sqlite3_bind_text(ins, 4, room_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 5, event_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 6, redact_as, -1, SQLITE_STATIC);
    if ((rc = st_db_step_done(db, ins)) != 0)
        return rc;
    st = st_db_stmt(db,
        "UPDATE br_expire SET room_id = ?4, event_id = ?5, redact_as = ?6"
        " WHERE owner_mxid = ?1 AND sender = ?2 AND ts = ?3");
    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sender, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, ts);
    sqlite3_bind_text(st, 4, room_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, event_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, redact_as, -1, SQLITE_STATIC);
    return st_db_step_done(db, st);
}

int br_store_expire_start(st_db *db, const char *owner, const char *chat_id, const char *sender,
                          const char *not_sender, int64_t up_to_ts, int64_t now_ms)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "UPDATE br_expire SET expire_at = ?6 + expire_s * 1000"
        " WHERE owner_mxid = ?1 AND chat_id = ?2 AND expire_at IS NULL AND ts <= ?5"
        " AND (?3 IS NULL OR sender = ?3) AND (?4 IS NULL OR sender <> ?4)");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, chat_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, sender, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, not_sender, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, up_to_ts);
    sqlite3_bind_int64(st, 6, now_ms);
    return br_store_changes(db, st);
}

int br_store_expire_ts_of(st_db *db, const char *owner, const char *event_id, int64_t *ts)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "SELECT ts FROM br_msgmap WHERE owner_mxid = ?1 AND event_id = ?2"
        " UNION ALL SELECT ts FROM br_expire_event WHERE owner_mxid = ?1 AND event_id = ?2 LIMIT 1");
    int rc;

    *ts = 0;
    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, event_id, -1, SQLITE_STATIC);
    if ((rc = br_store_row(st)) == 1) {
        *ts = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
    }
    return rc;
}

void br_store_expire_rows_free(br_store_expire_row *v, size_t n)
{
    size_t i;

    for (i = 0; v && i < n; i++) {
        free(v[i].owner);
        free(v[i].sender);
        free(v[i].room_id);
        free(v[i].event_id);
        free(v[i].redact_as);
    }
    free(v);
}

int br_store_expire_due(st_db *db, int64_t now_ms, size_t max, br_store_expire_row **out,
                        size_t *n, int64_t *next_at)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "SELECT e.owner_mxid, e.sender, e.ts, v.room_id, v.event_id, v.redact_as"
        " FROM br_expire e JOIN br_expire_event v USING (owner_mxid, sender, ts)"
        " WHERE e.expire_at IS NOT NULL AND e.expire_at <= ?1"
        " ORDER BY e.expire_at LIMIT ?2");
    sqlite3_stmt *nx;
    br_store_expire_row *v = NULL;
    size_t cap = 0;
    int rc, bad = 0;

    *out = NULL;
    *n = 0;
    *next_at = 0;
    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
    while ((rc = br_store_row(st)) == 1) {
        if (br_store_grow((void **)&v, &cap, *n, sizeof(*v)) != 0) {
            rc = UT_ERR_NOMEM;
            sqlite3_reset(st);
            break;
        }
        memset(&v[*n], 0, sizeof(*v));
        v[*n].owner = col_dup(st, 0, &bad);
        v[*n].sender = col_dup(st, 1, &bad);
        v[*n].ts = sqlite3_column_int64(st, 2);
        v[*n].room_id = col_dup(st, 3, &bad);
        v[*n].event_id = col_dup(st, 4, &bad);
        v[*n].redact_as = col_dup(st, 5, &bad);
        (*n)++;
        if (bad || !v[*n - 1].room_id || !v[*n - 1].event_id) {
            rc = UT_ERR_NOMEM;
            sqlite3_reset(st);
            break;
        }
    }
    if (rc < 0) {
        br_store_expire_rows_free(v, *n);
        *n = 0;
        return rc;
    }
    *out = v;
    /* a row not bridged yet is left out: setting its event pokes the
     * sweep (br_expire_bridged), and counting it would spin on it */
    nx = st_db_stmt(db, "SELECT MIN(expire_at) FROM br_expire WHERE expire_at > ?1");
    if (nx) {
        sqlite3_bind_int64(nx, 1, now_ms);
        if (br_store_row(nx) == 1) {
            *next_at = sqlite3_column_int64(nx, 0);
            sqlite3_reset(nx);
        }
    }
    return 0;
}

int br_store_expire_done(st_db *db, const char *owner, const char *sender, int64_t ts,
                         const char *event_id)
{
    sqlite3_stmt *ev = st_db_stmt(db,
        "DELETE FROM br_expire_event WHERE owner_mxid = ?1 AND sender = ?2 AND ts = ?3"
        " AND event_id = ?4");
    sqlite3_stmt *st;
    int rc;

    if (!ev)
        return ST_ERR_SQL;
    sqlite3_bind_text(ev, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(ev, 2, sender, -1, SQLITE_STATIC);
    sqlite3_bind_int64(ev, 3, ts);
    sqlite3_bind_text(ev, 4, event_id, -1, SQLITE_STATIC);
    if ((rc = st_db_step_done(db, ev)) != 0)
        return rc;
    /* the message's row once it has no event left and none is to come: a
     * Signal message still being bridged (its br_inbox row without its
     * event: the caption after the files) keeps it, so that the events
     * still to come are redacted as soon as they are posted */
    st = st_db_stmt(db,
        "DELETE FROM br_expire WHERE owner_mxid = ?1 AND sender = ?2 AND ts = ?3"
        " AND NOT EXISTS (SELECT 1 FROM br_expire_event v WHERE v.owner_mxid = ?1"
        " AND v.sender = ?2 AND v.ts = ?3)"
        " AND NOT EXISTS (SELECT 1 FROM br_inbox i WHERE i.owner_mxid = ?1 AND i.sender = ?2"
        " AND i.ts = ?3 AND i.event_id IS NULL)");
    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sender, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, ts);
    return st_db_step_done(db, st);
}
