/*
 * as_txn.c - the transaction IDs already processed, in a small SQLite
 * database of the shim's own (WAL, synchronous=FULL, mode 0600).
 *
 * The homeserver retries a transaction with the same txnId until it gets
 * 200 (AS API, "Pushing events"), also across restarts of either side, so
 * a repeat must be a no-op. A txnId is recorded after the module has the
 * events (on_event returned) and before the 200 goes out: a crash before
 * the record makes the homeserver retry and the module sees the events
 * again (it drops them by event_id, include/mxm/module.h); a crash after
 * it changes nothing. mautrix/go (appservice/http.go) marks a txnId after
 * answering and only in memory; we keep it durable.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "as.h"
#include "ut.h"

struct as_txn {
    sqlite3 *db;
};

int as_txn_open(as_txn **out, const char *path, char *err, size_t errlen)
{
    as_txn *t = calloc(1, sizeof(*t));
    char *msg = NULL;

    *out = NULL;
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (sqlite3_open_v2(path, &t->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, t->db ? sqlite3_errmsg(t->db) : "cannot open");
        as_txn_close(t);
        return -1;
    }
    (void)chmod(path, 0600);
    sqlite3_busy_timeout(t->db, 5000);
    if (sqlite3_exec(t->db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                     "CREATE TABLE IF NOT EXISTS as_txns(txn_id TEXT PRIMARY KEY,"
                     " done_ts INTEGER NOT NULL)",
                     NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, msg ? msg : "schema");
        sqlite3_free(msg);
        as_txn_close(t);
        return -1;
    }
    *out = t;
    return 0;
}

void as_txn_close(as_txn *t)
{
    if (!t)
        return;
    sqlite3_close(t->db);
    free(t);
}

int as_txn_seen(as_txn *t, const char *id)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(t->db, "SELECT 1 FROM as_txns WHERE txn_id=?", -1, &st, NULL))
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int as_txn_done(as_txn *t, const char *id)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(t->db, "INSERT OR IGNORE INTO as_txns(txn_id,done_ts) VALUES(?,?)",
                           -1, &st, NULL))
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, ut_now_ms());
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}
