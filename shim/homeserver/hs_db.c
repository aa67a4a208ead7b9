/*
 * hs_db.c - SQLite in WAL mode: schema, a statement cache and the stream
 * counter. All rows that appear in /sync carry a stream position, so sync
 * tokens ("s<pos>") stay valid across restarts.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hs.h"
#include "hs_e2ee.h"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS users("
    " user_id TEXT PRIMARY KEY, password_hash TEXT, admin INTEGER NOT NULL DEFAULT 0,"
    " displayname TEXT, avatar_url TEXT, created_ts INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS devices("
    " user_id TEXT NOT NULL, device_id TEXT NOT NULL, display_name TEXT,"
    " PRIMARY KEY(user_id, device_id));"
    "CREATE TABLE IF NOT EXISTS tokens("
    " token_hash BLOB PRIMARY KEY, user_id TEXT NOT NULL, device_id TEXT NOT NULL,"
    " created_ts INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS rooms("
    " room_id TEXT PRIMARY KEY, version TEXT NOT NULL, creator TEXT NOT NULL,"
    " depth INTEGER NOT NULL DEFAULT 0, last_event TEXT);"
    "CREATE TABLE IF NOT EXISTS events("
    " stream INTEGER PRIMARY KEY, event_id TEXT UNIQUE NOT NULL,"
    " room_id TEXT NOT NULL, type TEXT NOT NULL, state_key TEXT,"
    " sender TEXT NOT NULL, json TEXT NOT NULL, redacted_by TEXT,"
    " txn_id TEXT, txn_device TEXT, relates_to TEXT, rel_type TEXT);"
    "CREATE INDEX IF NOT EXISTS events_room ON events(room_id, stream);"
    "CREATE INDEX IF NOT EXISTS events_rel ON events(relates_to);"
    /* A reader's membership and the room's history visibility over time
     * (hs_roomread.c vis_load, at every /sync and /messages): without it
     * each read scanned every event of the room. State events only. */
    "CREATE INDEX IF NOT EXISTS events_state ON events(room_id, type, state_key, stream)"
    " WHERE state_key IS NOT NULL;"
    "CREATE TABLE IF NOT EXISTS state("
    " room_id TEXT NOT NULL, type TEXT NOT NULL, state_key TEXT NOT NULL,"
    " event_id TEXT NOT NULL, stream INTEGER NOT NULL,"
    " PRIMARY KEY(room_id, type, state_key));"
    "CREATE TABLE IF NOT EXISTS members("
    " room_id TEXT NOT NULL, user_id TEXT NOT NULL, membership TEXT NOT NULL,"
    " stream INTEGER NOT NULL, PRIMARY KEY(room_id, user_id));"
    "CREATE INDEX IF NOT EXISTS members_user ON members(user_id);"
    /* Transaction IDs are scoped like Synapse's: per requester and request
     * path (hs_rooms.c). The old per-(user, device, txn) table is gone. */
    "DROP TABLE IF EXISTS txns;"
    "CREATE TABLE IF NOT EXISTS txn_paths("
    " user_id TEXT NOT NULL, device_id TEXT NOT NULL, path TEXT NOT NULL,"
    " event_id TEXT NOT NULL, PRIMARY KEY(user_id, device_id, path));"
    /* At-least-once delivery to modules (hs_deliver.c). */
    "CREATE TABLE IF NOT EXISTS module_queue("
    " module TEXT NOT NULL, stream INTEGER NOT NULL,"
    " PRIMARY KEY(module, stream)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS module_pos("
    " module TEXT PRIMARY KEY, stream INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS filters("
    " filter_id INTEGER PRIMARY KEY, user_id TEXT NOT NULL, json TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS account_data("
    " user_id TEXT NOT NULL, room_id TEXT NOT NULL, type TEXT NOT NULL,"
    " content TEXT NOT NULL, stream INTEGER NOT NULL,"
    " PRIMARY KEY(user_id, room_id, type));"
    "CREATE TABLE IF NOT EXISTS receipts("
    " room_id TEXT NOT NULL, user_id TEXT NOT NULL, type TEXT NOT NULL,"
    " event_id TEXT NOT NULL, ts INTEGER NOT NULL, thread_id TEXT,"
    " stream INTEGER NOT NULL, PRIMARY KEY(room_id, user_id, type));"
    "CREATE TABLE IF NOT EXISTS media("
    " media_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, content_type TEXT,"
    " filename TEXT, size INTEGER NOT NULL, created_ts INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER);"
    "CREATE TABLE IF NOT EXISTS device_seen(user_id TEXT NOT NULL, device_id TEXT NOT NULL,"
    " ts INTEGER NOT NULL, ip TEXT, PRIMARY KEY(user_id, device_id));";

const char *hs_strerror(int code)
{
    switch (code) {
    case HS_OK: return "success";
    case HS_ERR_DB: return "database error";
    case HS_ERR_NOTFOUND: return "not found";
    case HS_ERR_EXISTS: return "already exists";
    case HS_ERR_FORBIDDEN: return "forbidden";
    case HS_ERR_BADARG: return "bad argument";
    case HS_ERR_CRYPTO: return "crypto failure";
    default: return ut_strerror(code);
    }
}

int hs_db_exec(hs *s, const char *sql)
{
    char *msg = NULL;

    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        hs_logf(s, UT_LOG_ERROR, "sqlite: %s", msg ? msg : "?");
        sqlite3_free(msg);
        return HS_ERR_DB;
    }
    return 0;
}

int hs_db_open(hs *s, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    static const char *const max_q[] = {
        "SELECT COALESCE(MAX(stream),0) FROM events",
        "SELECT COALESCE(MAX(stream),0) FROM account_data",
        "SELECT COALESCE(MAX(stream),0) FROM receipts",
        "SELECT COALESCE(MAX(stream),0) FROM members",
        "SELECT COALESCE(MAX(value),0) FROM meta WHERE key='stream'"};
    size_t i;

    /* The database holds password hashes and every message: 0600 whatever
     * the umask. SQLite gives its -wal and -shm files the database file's
     * mode (sqlite3 os_unix.c findCreateFileMode), so creating it (or
     * tightening an older one) here covers them too. */
    {
        int fd = open(s->cfg.db_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0 || fchmod(fd, 0600) != 0) {
            snprintf(err, errlen, "database %s: cannot create it with mode 0600", s->cfg.db_path);
            if (fd >= 0)
                close(fd);
            return HS_ERR_DB;
        }
        close(fd);
    }
    if (sqlite3_open_v2(s->cfg.db_path, &s->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                            SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        snprintf(err, errlen, "database %s: %s", s->cfg.db_path,
                 s->db ? sqlite3_errmsg(s->db) : "cannot open");
        return HS_ERR_DB;
    }
    sqlite3_busy_timeout(s->db, 5000);
    if (hs_db_exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                      "PRAGMA foreign_keys=OFF;") ||
        hs_db_exec(s, schema) || hs_e2ee_db_init(s)) {
        snprintf(err, errlen, "database %s: %s", s->cfg.db_path,
                 sqlite3_errmsg(s->db));
        return HS_ERR_DB;
    }
    for (i = 0; i < sizeof(max_q) / sizeof(max_q[0]); i++) {
        if (sqlite3_prepare_v2(s->db, max_q[i], -1, &st, NULL) != SQLITE_OK)
            return HS_ERR_DB;
        if (sqlite3_step(st) == SQLITE_ROW &&
            sqlite3_column_int64(st, 0) > s->stream)
            s->stream = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    return 0;
}

void hs_db_close(hs *s)
{
    size_t i;

    for (i = 0; i < s->nstmts; i++)
        sqlite3_finalize(s->stmts[i].st);
    s->nstmts = 0;
    if (s->db) {
        /* Remember the counter: typing positions are not in any table. */
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(s->db,
                               "INSERT OR REPLACE INTO meta(key,value) VALUES('stream',?)",
                               -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_int64(st, 1, s->stream);
            sqlite3_step(st);
        }
        sqlite3_finalize(st);
        sqlite3_close(s->db);
    }
    s->db = NULL;
}

sqlite3_stmt *hs_db_stmt(hs *s, const char *sql)
{
    size_t i;
    sqlite3_stmt *st;

    for (i = 0; i < s->nstmts; i++)
        if (s->stmts[i].sql == sql) {
            sqlite3_reset(s->stmts[i].st);
            sqlite3_clear_bindings(s->stmts[i].st);
            return s->stmts[i].st;
        }
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        hs_logf(s, UT_LOG_ERROR, "sqlite prepare: %s: %s",
                sqlite3_errmsg(s->db), sql);
        return NULL;
    }
    if (s->nstmts < HS_STMT_CACHE) {
        s->stmts[s->nstmts].sql = sql;
        s->stmts[s->nstmts].st = st;
        s->nstmts++;
    } else {
        /* Cache full: should not happen with literal SQL; leak-free anyway
         * because the oldest is replaced. */
        sqlite3_finalize(s->stmts[0].st);
        s->stmts[0].sql = sql;
        s->stmts[0].st = st;
    }
    return st;
}

/*
 * Write transactions nest: only the outermost BEGIN/COMMIT reach SQLite.
 * The depth counts only transactions that really began, so a failed BEGIN
 * leaves it unchanged. A failed COMMIT (SQLite may leave the transaction
 * open, e.g. on SQLITE_BUSY) is rolled back, so no later write runs inside
 * a transaction that never commits, and the error goes to the caller (and
 * the client gets 500, not 200). An inner rollback dooms the outer
 * transaction: its commit rolls back and fails.
 */
int hs_db_begin(hs *s)
{
    if (s->txn_depth > 0) {
        s->txn_depth++;
        return 0;
    }
    if (hs_db_exec(s, "BEGIN IMMEDIATE"))
        return HS_ERR_DB;
    s->txn_depth = 1;
    s->txn_doomed = 0;
    return 0;
}

static void rollback_now(hs *s)
{
    if (!sqlite3_get_autocommit(s->db))
        hs_db_exec(s, "ROLLBACK");
    s->txn_depth = 0;
    s->txn_doomed = 0;
}

int hs_db_commit(hs *s)
{
    if (s->txn_depth <= 0)
        return HS_ERR_DB; /* no transaction: a caller bug, never a success */
    if (--s->txn_depth > 0)
        return 0;
    if (s->txn_doomed || hs_db_exec(s, "COMMIT")) {
        rollback_now(s);
        return HS_ERR_DB;
    }
    return 0;
}

void hs_db_rollback(hs *s)
{
    if (s->txn_depth <= 0)
        return;
    if (--s->txn_depth > 0) {
        s->txn_doomed = 1;
        return;
    }
    rollback_now(s);
}

void hs_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

int hs_db_step_done(hs *s, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);

    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        hs_logf(s, UT_LOG_ERROR, "sqlite step: %s", sqlite3_errmsg(s->db));
        sqlite3_reset(st);
        return HS_ERR_DB;
    }
    sqlite3_reset(st);
    return 0;
}

const char *hs_col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);

    return t ? (const char *)t : "";
}

int64_t hs_stream_next(hs *s)
{
    return ++s->stream;
}
