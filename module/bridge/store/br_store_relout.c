/*
 * br_store_relout.c - br_relout: reactions, deletes and edits from Matrix
 * queued for Signal, keyed by their Matrix event, each with the Signal
 * timestamp it is sent with on every try.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "br_store_int.h"

int br_store_relout_put(st_db *db, const char *owner, const char *room_id, const char *chat_id,
                        const char *event_id, int kind, const char *target_author,
                        int64_t target_ts, const char *text, int remove, int64_t signal_ts,
                        int64_t *id)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "INSERT INTO br_relout(owner_mxid, room_id, chat_id, event_id, kind, target_author,"
        " target_ts, text, remove, signal_ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        " ON CONFLICT(event_id) DO NOTHING");
    int rc;

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, room_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, chat_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, event_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, kind);
    sqlite3_bind_text(st, 6, target_author, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, target_ts);
    sqlite3_bind_text(st, 8, text, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 9, remove);
    sqlite3_bind_int64(st, 10, signal_ts);
    if ((rc = br_store_changes(db, st)) <= 0)
        return rc;
    if (id)
        *id = sqlite3_last_insert_rowid(st_db_handle(db));
    return 1;
}

int br_store_relout_get(st_db *db, int64_t id, char *room, size_t rn, int *kind)
{
    sqlite3_stmt *st = st_db_stmt(db, "SELECT room_id, kind FROM br_relout WHERE id = ?1");
    int rc;

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, id);
    if ((rc = br_store_row(st)) == 1) {
        br_store_text(st, 0, room, rn);
        *kind = sqlite3_column_int(st, 1);
        sqlite3_reset(st);
    }
    return rc;
}

int br_store_relout_set_state(st_db *db, int64_t id, int state, const char *error)
{
    sqlite3_stmt *st = st_db_stmt(db, "UPDATE br_relout SET state = ?2, error = ?3 WHERE id = ?1");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, state);
    sqlite3_bind_text(st, 3, error, -1, SQLITE_STATIC);
    return st_db_step_done(db, st);
}

void br_store_relouts_free(br_store_relout *v, size_t n)
{
    size_t i;

    for (i = 0; v && i < n; i++) {
        free(v[i].owner);
        free(v[i].chat_id);
        free(v[i].target_author);
        free(v[i].text);
        free(v[i].fmt);
    }
    free(v);
}

int br_store_relout_pending(st_db *db, const char *owner, br_store_relout **out, size_t *n)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "SELECT id, owner_mxid, chat_id, kind, target_author, target_ts, text, remove,"
        " signal_ts, fmt FROM br_relout WHERE state = 0 AND (?1 IS NULL OR owner_mxid = ?1)"
        " ORDER BY id");
    br_store_relout *v = NULL, *nv, *r;
    size_t len = 0, cap = 0;
    int rc;

    *out = NULL;
    *n = 0;
    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    while ((rc = br_store_row(st)) == 1) {
        if (len == cap) {
            cap = cap ? 2 * cap : 8;
            if (!(nv = realloc(v, cap * sizeof(*v)))) {
                rc = UT_ERR_NOMEM;
                break;
            }
            v = nv;
        }
        r = &v[len++];
        memset(r, 0, sizeof(*r));
        r->id = sqlite3_column_int64(st, 0);
        r->kind = sqlite3_column_int(st, 3);
        r->target_ts = sqlite3_column_int64(st, 5);
        r->remove = sqlite3_column_int(st, 7);
        r->signal_ts = sqlite3_column_int64(st, 8);
        if (!(r->owner = strdup(br_store_str(st, 1))) || !(r->chat_id = strdup(br_store_str(st, 2))) ||
            !(r->target_author = strdup(br_store_str(st, 4))) ||
            (sqlite3_column_type(st, 6) != SQLITE_NULL && !(r->text = strdup(br_store_str(st, 6)))) ||
            (sqlite3_column_type(st, 9) != SQLITE_NULL && !(r->fmt = strdup(br_store_str(st, 9))))) {
            rc = UT_ERR_NOMEM;
            break;
        }
    }
    if (rc < 0) {
        sqlite3_reset(st);
        br_store_relouts_free(v, len);
        return rc;
    }
    *out = v;
    *n = len;
    return 0;
}

int br_store_relout_set_fmt(st_db *db, int64_t id, const char *fmt)
{
    sqlite3_stmt *st = st_db_stmt(db, "UPDATE br_relout SET fmt = ?2 WHERE id = ?1");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, fmt, -1, SQLITE_STATIC);
    return st_db_step_done(db, st);
}
