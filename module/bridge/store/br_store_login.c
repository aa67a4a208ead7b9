/*
 * br_store_login.c - br_login (one linked Signal account per Matrix user)
 * and br_mgmt_room (each user's room with the bridge bot).
 */
#include "config.h"

#include "br_store_int.h"

int br_store_login_each(st_db *db, br_store_login_fn fn, void *ctx)
{
    sqlite3_stmt *st = st_db_stmt(db, "SELECT owner_mxid, aci, number FROM br_login");
    int rc;

    if (!st)
        return ST_ERR_SQL;
    while ((rc = br_store_row(st)) == 1) {
        if (fn(ctx, br_store_str(st, 0), br_store_str(st, 1), br_store_str(st, 2)) != 0) {
            sqlite3_reset(st);
            return 0;
        }
    }
    return rc;
}

int br_store_login_put(st_db *db, const char *owner, const char *aci,
                       const char *number, int64_t linked_ms)
{
    static const char sql[] =
        "INSERT INTO br_login(owner_mxid, aci, number, linked_ms) VALUES (?1, ?2, ?3, ?4)"
        " ON CONFLICT(owner_mxid) DO UPDATE SET aci = excluded.aci,"
        " number = excluded.number, linked_ms = excluded.linked_ms";
    sqlite3_stmt *st = st_db_stmt(db, sql);

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, aci ? aci : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, number, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, linked_ms);
    return st_db_step_done(db, st);
}

int br_store_login_delete(st_db *db, const char *owner)
{
    sqlite3_stmt *st = st_db_stmt(db, "DELETE FROM br_login WHERE owner_mxid = ?1");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    return st_db_step_done(db, st);
}

int br_store_mgmt_room_put(st_db *db, const char *owner, const char *room_id)
{
    static const char sql[] =
        "INSERT INTO br_mgmt_room(owner_mxid, room_id) VALUES (?1, ?2)"
        " ON CONFLICT(owner_mxid) DO UPDATE SET room_id = excluded.room_id";
    sqlite3_stmt *st = st_db_stmt(db, sql);

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, room_id, -1, SQLITE_STATIC);
    return st_db_step_done(db, st);
}

/* One text column of one row keyed by one text parameter. */
static int lookup1(st_db *db, const char *sql, const char *key, char *out, size_t n)
{
    sqlite3_stmt *st = st_db_stmt(db, sql);

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    return br_store_get_text(st, out, n);
}

int br_store_mgmt_room_get(st_db *db, const char *owner, char *out, size_t n)
{
    return lookup1(db, "SELECT room_id FROM br_mgmt_room WHERE owner_mxid = ?1", owner, out, n);
}

int br_store_mgmt_room_owner(st_db *db, const char *room_id, char *out, size_t n)
{
    return lookup1(db, "SELECT owner_mxid FROM br_mgmt_room WHERE room_id = ?1", room_id, out, n);
}
