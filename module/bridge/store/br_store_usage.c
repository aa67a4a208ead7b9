/*
 * br_store_usage.c - br_usage: the Signal accounts that sent through the
 * bridge, per month (the max_signal_users limit, br_usage.c).
 */
#include "config.h"

#include "br_store_int.h"

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

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, month, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, aci, -1, SQLITE_STATIC);
    return br_store_exists(st);
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
