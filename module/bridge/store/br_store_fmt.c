/*
 * br_store_fmt.c - br_infmt and br_outfmt: the formatting ranges, mentions
 * and quote of bridged text (br_fmt.c), and the quoted message's body.
 */
#include "config.h"

#include "br_store_int.h"

/* Copy text column `col` to *out: NULL for NULL, UT_ERR_NOMEM. */
static int dup_col(sqlite3_stmt *st, int col, char **out)
{
    const unsigned char *t = sqlite3_column_text(st, col);

    *out = NULL;
    if (t && !(*out = strdup((const char *)t)))
        return UT_ERR_NOMEM;
    return 0;
}

/* Step a bound lookup and copy up to two text columns out. */
static int get_two(sqlite3_stmt *st, char **a, char **b)
{
    int rc = br_store_row(st);

    if (rc == 1) {
        if (dup_col(st, 0, a) != 0 || (b && dup_col(st, 1, b) != 0)) {
            free(*a);
            *a = NULL;
            rc = UT_ERR_NOMEM;
        }
        sqlite3_reset(st);
    }
    return rc;
}

int br_store_infmt_put(st_db *db, const char *owner, const char *sender, int64_t ts,
                       const char *fmt)
{
    sqlite3_stmt *st = st_db_stmt(db, "INSERT INTO br_infmt(owner_mxid, sender, ts, fmt)"
                                      " VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sender, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, ts);
    sqlite3_bind_text(st, 4, fmt, -1, SQLITE_STATIC);
    return st_db_step_done(db, st);
}

int br_store_infmt_get(st_db *db, const char *owner, const char *sender, int64_t ts, char **fmt)
{
    sqlite3_stmt *st = st_db_stmt(db, "SELECT fmt FROM br_infmt WHERE owner_mxid = ?1"
                                      " AND sender = ?2 AND ts = ?3");

    *fmt = NULL;
    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sender, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, ts);
    return get_two(st, fmt, NULL);
}

int br_store_outfmt_put(st_db *db, int64_t outbox_id, const char *text, const char *fmt)
{
    sqlite3_stmt *st = st_db_stmt(db, "INSERT INTO br_outfmt(outbox_id, text, fmt)"
                                      " VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, outbox_id);
    sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, fmt, -1, SQLITE_STATIC);
    return st_db_step_done(db, st);
}

int br_store_outfmt_get(st_db *db, int64_t outbox_id, char **text, char **fmt)
{
    sqlite3_stmt *st = st_db_stmt(db, "SELECT text, fmt FROM br_outfmt WHERE outbox_id = ?1");

    *text = *fmt = NULL;
    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, outbox_id);
    return get_two(st, text, fmt);
}

int br_store_message_body(st_db *db, const char *owner, const char *author, int64_t ts,
                          char **body)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "SELECT body FROM br_inbox WHERE owner_mxid = ?1 AND sender = ?2 AND ts = ?3"
        " UNION ALL SELECT body FROM br_outbox WHERE owner_mxid = ?1 AND author = ?2"
        " AND signal_ts = ?3 LIMIT 1");

    *body = NULL;
    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, author, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, ts);
    return get_two(st, body, NULL);
}
