/*
 * st_db.c - see st_db.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "st_db.h"

extern const char *const st_migrations[];
extern const size_t st_migrations_count;

typedef struct stmt_cache {
    const char *sql; /* key: the literal's address */
    sqlite3_stmt *st;
    struct stmt_cache *next;
} stmt_cache;

struct st_db {
    sqlite3 *h;
    const ut_log *log;
    stmt_cache *stmts;
    int depth; /* transaction nesting */
    int failed; /* an inner level rolled back: the outer commit must not */
    int version;
};

const char *st_strerror(int code)
{
    switch (code) {
    case ST_ERR_OPEN: return "cannot open the database";
    case ST_ERR_PERM: return "database file is readable by others (must be mode 0600)";
    case ST_ERR_SCHEMA: return "database migration failed";
    case ST_ERR_NEWER: return "database was written by a newer version";
    case ST_ERR_SQL: return "database statement failed";
    case ST_ERR_BUSY: return "database is busy";
    case ST_ERR_NOTFOUND: return "not found";
    case ST_ERR_CONSTRAINT: return "database constraint violated";
    default: return ut_strerror(code);
    }
}

static int map_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW: return 0;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return ST_ERR_BUSY;
    case SQLITE_CONSTRAINT: return ST_ERR_CONSTRAINT;
    case SQLITE_NOMEM: return UT_ERR_NOMEM;
    default: return ST_ERR_SQL;
    }
}

const char *st_errmsg(const st_db *db)
{
    return db && db->h ? sqlite3_errmsg(db->h) : "no database";
}

sqlite3 *st_db_handle(st_db *db) { return db->h; }

void st_db_set_busy_ms(st_db *db, int ms)
{
    if (db && db->h)
        sqlite3_busy_timeout(db->h, ms);
}

int st_db_retryable(const st_db *db, int rc)
{
    if (rc == ST_ERR_BUSY || rc == UT_ERR_NOMEM)
        return 1;
    if (!db || !db->h)
        return 0;
    switch (sqlite3_extended_errcode(db->h) & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_NOMEM:
        return 1;
    default:
        return 0;
    }
}

int st_db_latest_version(void) { return (int)st_migrations_count; }
int st_db_version(const st_db *db) { return db->version; }

/* Create the file 0600 before SQLite does (it would use the umask), and
 * refuse a file that group or others can read: it holds private keys. */
static int secure_file(const char *path, char *err, size_t errlen)
{
    struct stat st;
    int fd;

    /* An existing file is only looked at, never opened: closing any
     * descriptor of a file drops every POSIX lock this process holds on it
     * (fcntl(2)), including the shared lock by which an open WAL
     * connection (the bridge's, when the Signal thread's opens second)
     * tells other processes it is in use; one of them then deletes the WAL
     * under us on its close (sqlite.org/wal.html, "persistence"). */
    if (lstat(path, &st) != 0) {
        fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
            return ST_ERR_OPEN;
        }
        if (fd >= 0)
            close(fd); /* new: no connection has it open yet */
        if (lstat(path, &st) != 0) {
            snprintf(err, errlen, "cannot stat %s: %s", path, strerror(errno));
            return ST_ERR_OPEN;
        }
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "cannot open %s: not a regular file", path);
        return ST_ERR_OPEN;
    }
    if (st.st_mode & 077) {
        snprintf(err, errlen,
                 "%s is mode %03o: it holds key material and must not be readable by others (chmod 600)",
                 path, (unsigned)(st.st_mode & 0777));
        return ST_ERR_PERM;
    }
    return 0;
}

static int exec(st_db *db, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db->h, sql, NULL, NULL, &msg);

    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return map_rc(rc);
    }
    return 0;
}

static int read_version(st_db *db, int *version)
{
    sqlite3_stmt *st = NULL;
    int ok = sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
             sqlite3_step(st) == SQLITE_ROW;

    if (ok)
        *version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return ok ? 0 : ST_ERR_SCHEMA;
}

static int migrate(st_db *db, char *err, size_t errlen)
{
    int version = 0, latest = (int)st_migrations_count, rc;
    char sql[64], emsg[256];

    /* Take the write lock first, then read the version: two connections
     * opening a fresh file at once (the bridge's and the Signal thread's)
     * must not both run the migrations. */
    if ((rc = exec(db, "BEGIN IMMEDIATE", err, errlen)) != 0)
        return rc;
    if (read_version(db, &version) != 0) {
        snprintf(err, errlen, "cannot read the schema version: %s", sqlite3_errmsg(db->h));
        exec(db, "ROLLBACK", emsg, sizeof(emsg));
        return ST_ERR_SCHEMA;
    }
    if (version > latest) {
        snprintf(err, errlen,
                 "database schema v%d is newer than this module's v%d; refusing to downgrade",
                 version, latest);
        exec(db, "ROLLBACK", emsg, sizeof(emsg));
        return ST_ERR_NEWER;
    }
    if (version == latest) {
        exec(db, "COMMIT", emsg, sizeof(emsg));
        db->version = version;
        return 0;
    }
    /* All pending steps in one transaction: a failed upgrade leaves the
     * database exactly as it was. */
    for (; version < latest; version++) {
        if (exec(db, st_migrations[version], emsg, sizeof(emsg)) != 0) {
            snprintf(err, errlen, "migration %d failed: %s", version + 1, emsg);
            exec(db, "ROLLBACK", emsg, sizeof(emsg));
            return ST_ERR_SCHEMA;
        }
    }
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", latest);
    if (exec(db, sql, err, errlen) != 0 || exec(db, "COMMIT", err, errlen) != 0) {
        exec(db, "ROLLBACK", emsg, sizeof(emsg));
        return ST_ERR_SCHEMA;
    }
    ut_logf(db->log, UT_LOG_INFO, "store: database schema now v%d", latest);
    db->version = latest;
    return 0;
}

int st_db_open(st_db **out, const char *path, const ut_log *log, char *err,
               size_t errlen)
{
    st_db *db;
    int rc, tries;

    *out = NULL;
    if ((rc = secure_file(path, err, errlen)) != 0)
        return rc;
    db = calloc(1, sizeof(*db));
    if (!db) {
        snprintf(err, errlen, "out of memory");
        return UT_ERR_NOMEM;
    }
    db->log = log;
    if (sqlite3_open_v2(path, &db->h,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s: %s", path, st_errmsg(db));
        rc = ST_ERR_OPEN;
        goto fail;
    }
    sqlite3_busy_timeout(db->h, ST_DB_BUSY_MS);
    sqlite3_extended_result_codes(db->h, 1);
    /* Two connections opening a fresh file at once (the bridge's and the
     * Signal thread's) can see SQLITE_BUSY without the busy handler being
     * consulted: switching to WAL needs an exclusive lock. Retry for a
     * while instead of failing the module's start. */
    for (tries = 0;; tries++) {
        rc = exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                      " PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON;",
                  err, errlen);
        if (rc == 0)
            rc = migrate(db, err, errlen);
        if (rc != ST_ERR_BUSY || tries >= 200)
            break;
        usleep(25000);
    }
    if (rc != 0)
        goto fail;
    *out = db;
    return 0;
fail:
    st_db_close(db);
    return rc;
}

void st_db_close(st_db *db)
{
    stmt_cache *c;

    if (!db)
        return;
    while ((c = db->stmts)) {
        db->stmts = c->next;
        sqlite3_finalize(c->st);
        free(c);
    }
    sqlite3_close(db->h);
    free(db);
}

sqlite3_stmt *st_db_stmt(st_db *db, const char *sql)
{
    stmt_cache *c;

    for (c = db->stmts; c; c = c->next)
        if (c->sql == sql) {
            sqlite3_reset(c->st);
            sqlite3_clear_bindings(c->st);
            return c->st;
        }
    c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->st,
                           NULL) != SQLITE_OK) {
        ut_logf(db->log, UT_LOG_ERROR, "store: prepare failed: %s", st_errmsg(db));
        free(c);
        return NULL;
    }
    c->sql = sql;
    c->next = db->stmts;
    db->stmts = c;
    return c->st;
}

int st_db_step_done(st_db *db, sqlite3_stmt *st)
{
    int rc;

    if (!st)
        return ST_ERR_SQL;
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW)
        return 0;
    ut_logf(db->log, UT_LOG_WARN, "store: step failed: %s", st_errmsg(db));
    return map_rc(rc);
}

int st_db_begin(st_db *db)
{
    char err[128];
    int rc;

    if (db->depth++ > 0)
        return 0;
    db->failed = 0;
    if ((rc = exec(db, "BEGIN IMMEDIATE", err, sizeof(err))) != 0) {
        db->depth = 0;
        ut_logf(db->log, UT_LOG_WARN, "store: begin failed: %s", err);
    }
    return rc;
}

int st_db_commit(st_db *db)
{
    char err[128];
    int rc;

    if (db->depth <= 0)
        return ST_ERR_SQL;
    if (--db->depth > 0)
        return 0;
    if (db->failed) {
        exec(db, "ROLLBACK", err, sizeof(err));
        return ST_ERR_SQL;
    }
    if ((rc = exec(db, "COMMIT", err, sizeof(err))) != 0) {
        ut_logf(db->log, UT_LOG_WARN, "store: commit failed: %s", err);
        exec(db, "ROLLBACK", err, sizeof(err));
    }
    return rc;
}

void st_db_rollback(st_db *db)
{
    char err[128];

    if (db->depth <= 0)
        return;
    if (--db->depth > 0) {
        db->failed = 1; /* the outermost level rolls back */
        return;
    }
    exec(db, "ROLLBACK", err, sizeof(err));
}
