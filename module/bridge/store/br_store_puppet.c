/*
 * br_store_puppet.c - br_puppet: the Matrix ghost of each Signal contact.
 */
#include "config.h"

#include "br_store_int.h"

int br_store_puppet_display(st_db *db, const char *aci, char *out, size_t n)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "SELECT coalesce(nullif(name, ''), phone) FROM br_puppet WHERE aci = ?1");
    int rc;

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, aci, -1, SQLITE_STATIC);
    if ((rc = br_store_row(st)) == 1) {
        /* a puppet with neither name nor phone keeps the caller's default */
        if (sqlite3_column_text(st, 0))
            br_store_text(st, 0, out, n);
        else
            rc = 0;
        sqlite3_reset(st);
    }
    return rc;
}

int br_store_puppet_get(st_db *db, const char *aci, char *phone, size_t pn, char *name,
                        size_t nn, char *shown, size_t sn)
{
    sqlite3_stmt *st = st_db_stmt(db, "SELECT phone, name, shown_name FROM br_puppet WHERE aci = ?1");
    int rc;

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, aci, -1, SQLITE_STATIC);
    if ((rc = br_store_row(st)) == 1) {
        br_store_text(st, 0, phone, pn);
        br_store_text(st, 1, name, nn);
        br_store_text(st, 2, shown, sn);
        sqlite3_reset(st);
    }
    return rc;
}

int br_store_puppet_put(st_db *db, const char *aci, const char *phone, const char *name,
                        const char *shown_name)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "INSERT INTO br_puppet(aci, phone, name, shown_name) VALUES (?1, ?2, ?3, ?4)"
        " ON CONFLICT(aci) DO UPDATE SET phone = coalesce(excluded.phone, phone),"
        " name = coalesce(excluded.name, name), shown_name = excluded.shown_name");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, aci, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, phone, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, shown_name, -1, SQLITE_STATIC);
    return st_db_step_done(db, st);
}

int br_store_puppet_mention_name(st_db *db, const char *aci, char *out, size_t n)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "SELECT coalesce(shown_name, name, phone) FROM br_puppet WHERE aci = ?1");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, aci, -1, SQLITE_STATIC);
    return br_store_get_text(st, out, n);
}

int br_store_puppet_avatar_get(st_db *db, const char *aci, char *path, size_t pn,
                               char *mxc, size_t mn)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "SELECT avatar_path, avatar_mxc FROM br_puppet WHERE aci = ?1 AND avatar_path IS NOT NULL");
    int rc;

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, aci, -1, SQLITE_STATIC);
    if ((rc = br_store_row(st)) == 1) {
        br_store_text(st, 0, path, pn);
        br_store_text(st, 1, mxc, mn);
        sqlite3_reset(st);
    }
    return rc;
}

int br_store_puppet_avatar_put(st_db *db, const char *aci, const char *path, const char *mxc)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "INSERT INTO br_puppet(aci, avatar_path, avatar_mxc) VALUES (?1, ?2, ?3)"
        " ON CONFLICT(aci) DO UPDATE SET avatar_path = excluded.avatar_path,"
        " avatar_mxc = excluded.avatar_mxc");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, aci, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, mxc, -1, SQLITE_STATIC);
    return st_db_step_done(db, st);
}
