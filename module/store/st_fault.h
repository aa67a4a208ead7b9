/*
 * st_fault.h - test-only: make writes to chosen tables fail on demand.
 *
 * Off unless a caller turns it on for one connection (the bridge does so
 * only when its config names a file under `debug: {store_faults: ...}`;
 * docs/store-faults.md). Then every INSERT, UPDATE and DELETE on a table
 * of the connection's main database first runs a TEMP trigger that asks
 * the spec file whether this write must fail; if so the statement fails
 * as SQLite itself would fail it (SQLITE_BUSY, SQLITE_LOCKED, SQLITE_FULL
 * or SQLITE_IOERR, with SQLite's message for that code), so the caller's
 * error handling is what runs, whatever path it stepped the statement by.
 *
 * The spec file, one rule a line ('#' starts a comment):
 *     <table|*> <insert|update|delete|*> <busy|locked|full|ioerr> <count>
 * e.g. "br_portal update full 1": the next UPDATE of br_portal fails with
 * SQLITE_FULL. The first rule that matches and has a count above 0 is
 * used and its count lowered in the file (under flock, so connections of
 * several threads share it); a rule at 0 no longer matches. Each injected
 * failure is logged at WARN ("store: injected fault ..."), which tests
 * wait for. A missing or unreadable file injects nothing.
 */
#ifndef ST_FAULT_H
#define ST_FAULT_H

#include <stddef.h>

#include "st_db.h"
#include "ut.h"

/* Turn the injector on for `db`, reading `path` at each write. `log` is
 * borrowed (may be NULL) and must outlive db. 0, or ST_ERR_* with a
 * reason in err. */
int st_fault_enable(st_db *db, const char *path, const ut_log *log, char *err, size_t errlen);

#endif
