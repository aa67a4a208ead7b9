/*
 * st_db.h - the module's one SQLite database.
 *
 * Opening creates the file with mode 0600 (it holds identity keys, sessions
 * and profile keys) and refuses to use an existing file that others can read;
 * turns on WAL and foreign keys; and brings the schema up to date by running
 * the numbered migrations in module/store/migrations/ (NNN-what.sql) inside
 * one transaction, recording the version in PRAGMA user_version. A database
 * written by a newer version of the module is refused, never downgraded.
 *
 * Threads: an st_db belongs to one thread (the module's Signal thread); open
 * a second st_db on the same file for another thread (SQLite serializes
 * writers; WAL lets readers run alongside).
 *
 * Errors: 0, or ST_ERR_* (range -1400..-1499) with st_errmsg(db) for the
 * SQLite message of the last failure.
 */
#ifndef ST_DB_H
#define ST_DB_H

#include <stddef.h>
#include <stdint.h>

#include "ut.h"

typedef struct st_db st_db;
struct sqlite3_stmt;

enum {
    ST_ERR_OPEN = -1400,     /* cannot open or create the database file */
    ST_ERR_PERM = -1401,     /* the file is readable by group or others */
    ST_ERR_SCHEMA = -1402,   /* migration failed */
    ST_ERR_NEWER = -1403,    /* written by a newer module version */
    ST_ERR_SQL = -1404,      /* a statement failed; see st_errmsg */
    ST_ERR_BUSY = -1405,     /* locked by another connection for too long */
    ST_ERR_NOTFOUND = -1406, /* no such row */
    ST_ERR_CONSTRAINT = -1407
};

const char *st_strerror(int code);

/* Open (creating with mode 0600) and migrate. `log` is borrowed and may be
 * NULL. On failure *out is NULL and err holds a one-line reason. */
int st_db_open(st_db **out, const char *path, const ut_log *log, char *err,
               size_t errlen);
/* Finalize cached statements and close. NULL ok. */
void st_db_close(st_db *db);

/* Schema version now in effect, and the newest this build knows. */
int st_db_version(const st_db *db);
int st_db_latest_version(void);

/* Transactions (BEGIN IMMEDIATE, so writers queue up front, not mid-way).
 * They nest: only the outermost commit or rollback touches SQLite. */
int st_db_begin(st_db *db);
int st_db_commit(st_db *db);
void st_db_rollback(st_db *db);

/* A cached prepared statement for `sql` (a string literal: the pointer is
 * the cache key), reset and with bindings cleared. Borrowed: valid until
 * st_db_close; do not finalize. NULL on error (see st_errmsg). */
struct sqlite3_stmt *st_db_stmt(st_db *db, const char *sql);
/* Run a statement with no result rows to completion: 0 or ST_ERR_*. */
int st_db_step_done(st_db *db, struct sqlite3_stmt *st);

/* The SQLite handle, for queries of the store's own files (bridge tables).
 * Borrowed; never close it. */
struct sqlite3 *st_db_handle(st_db *db);

/* Last SQLite error message of this connection. */
const char *st_errmsg(const st_db *db);

/* How long a write waits for a lock held elsewhere, by default (ms). */
#define ST_DB_BUSY_MS 5000

/* How long a statement waits for another connection's write lock before
 * it fails with ST_ERR_BUSY (5000 ms after st_db_open). A connection used
 * on the homeserver's loop sets a short wait and retries from a timer, so
 * that a lock held elsewhere never freezes the loop (include/mxm/module.h:
 * callbacks return quickly). */
void st_db_set_busy_ms(st_db *db, int ms);

/* 1 when the last failure of this connection (or `rc`) is one that a later
 * try may not meet: the database busy or locked, the disk full, an I/O
 * error, out of memory. 0 for the others (a constraint, a bad statement). */
int st_db_retryable(const st_db *db, int rc);

#endif
