/* sig_sendlog.c - the send log (sig_sendlog.h). */
#include "config.h"

#include <sqlite3.h>

#include "sig_sendlog.h"

int sig_sendlog_put(st_db *db, int64_t account, const char *recipient, uint32_t device,
                    uint64_t ts, const uint8_t *content, size_t n, int64_t now_ms)
{
    static const char sql[] =
        "INSERT OR REPLACE INTO sig_sendlog (account, recipient, device, timestamp, "
        "content, sent_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    sqlite3_stmt *st = st_db_stmt(db, sql);

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, account);
    sqlite3_bind_text(st, 2, recipient, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, device);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)ts);
    sqlite3_bind_blob(st, 5, n ? (const void *)content : "", (int)n, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, now_ms);
    return st_db_step_done(db, st);
}

int sig_sendlog_get(st_db *db, int64_t account, const char *recipient, uint32_t device,
                    uint64_t ts, int64_t now_ms, ut_buf *out)
{
    static const char sql[] =
        "SELECT content FROM sig_sendlog WHERE account = ?1 AND recipient = ?2 "
        "AND timestamp = ?4 AND sent_ms >= ?5 ORDER BY device = ?3 DESC LIMIT 1";
    sqlite3_stmt *st = st_db_stmt(db, sql);
    int rc;

    ut_buf_reset(out);
    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, account);
    sqlite3_bind_text(st, 2, recipient, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, device);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)ts);
    sqlite3_bind_int64(st, 5, now_ms - SIG_SENDLOG_KEEP_MS);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const void *p = sqlite3_column_blob(st, 0);
        int n = sqlite3_column_bytes(st, 0);
        rc = n > 0 ? ut_buf_append(out, p, (size_t)n) : 0;
    } else {
        rc = rc == SQLITE_DONE ? ST_ERR_NOTFOUND : ST_ERR_SQL;
    }
    sqlite3_reset(st);
    return rc;
}

int sig_sendlog_prune(st_db *db, int64_t account, int64_t now_ms, int *n_out)
{
    static const char sql[] = "DELETE FROM sig_sendlog WHERE account = ?1 AND sent_ms < ?2";
    sqlite3_stmt *st = st_db_stmt(db, sql);
    int rc;

    if (n_out)
        *n_out = 0;
    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, account);
    sqlite3_bind_int64(st, 2, now_ms - SIG_SENDLOG_KEEP_MS);
    rc = st_db_step_done(db, st);
    if (rc == 0 && n_out)
        *n_out = sqlite3_changes(st_db_handle(db));
    return rc;
}
