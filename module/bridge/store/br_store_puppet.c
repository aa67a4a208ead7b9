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
