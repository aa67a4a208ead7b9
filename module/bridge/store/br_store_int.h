/*
 * br_store_int.h - helpers shared by the br_store_*.c files only: binding,
 * stepping a lookup, copying a text column. Not for the rest of bridge/.
 */
#ifndef BR_STORE_INT_H
#define BR_STORE_INT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "br_store.h"

/* SQLite result code -> ST_ERR_*. */
static inline int br_store_err(int rc)
{
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        return ST_ERR_BUSY;
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
        return ST_ERR_CONSTRAINT;
    return ST_ERR_SQL;
}

/* Step a query once: 1 for a row (the statement is left on it, reset it
 * after reading), 0 for none, or ST_ERR_* (both reset). */
static inline int br_store_row(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);

    if (rc == SQLITE_ROW)
        return 1;
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : br_store_err(rc);
}

/* Step a bound existence query: 1 (a row), 0 or ST_ERR_*; reset. */
static inline int br_store_exists(sqlite3_stmt *st)
{
    int rc = br_store_row(st);

    if (rc == 1)
        sqlite3_reset(st);
    return rc;
}

/* Bind a Signal message's key (owner, chat, sender, timestamp) to ?1..?4,
 * the first columns of br_inbox and br_media_in. */
static inline void br_store_bind_msg(sqlite3_stmt *st, const char *owner, const char *chat_id,
                                     const char *sender, int64_t ts)
{
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, chat_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, sender, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, ts);
}

/* Copy text column `col` to out[n] ("" for NULL). */
static inline void br_store_text(sqlite3_stmt *st, int col, char *out, size_t n)
{
    const unsigned char *t = sqlite3_column_text(st, col);

    if (out && n)
        snprintf(out, n, "%s", t ? (const char *)t : "");
}

/* Step a bound lookup of one text: on a row, copy column 0 to out[n]
 * ("" for NULL). 1, 0 or ST_ERR_*; reset. */
static inline int br_store_get_text(sqlite3_stmt *st, char *out, size_t n)
{
    int rc = br_store_row(st);

    if (rc == 1) {
        br_store_text(st, 0, out, n);
        sqlite3_reset(st);
    }
    return rc;
}

/* Look up the Signal message a Matrix event stands for: `sql` selects
 * (chat, sender, ts) where ?1 is the owner and ?2 the event ID. 1 with
 * the key copied out, 0 or ST_ERR_*; reset. */
static inline int br_store_msg_by_event(st_db *db, const char *sql, const char *owner,
                                        const char *event_id, char *chat, size_t chat_n,
                                        char *sender, size_t sender_n, int64_t *ts)
{
    sqlite3_stmt *st = st_db_stmt(db, sql);
    int rc;

    *ts = 0;
    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, event_id, -1, SQLITE_STATIC);
    if ((rc = br_store_row(st)) == 1) {
        br_store_text(st, 0, chat, chat_n);
        br_store_text(st, 1, sender, sender_n);
        *ts = sqlite3_column_int64(st, 2);
        sqlite3_reset(st);
    }
    return rc;
}

/* Borrowed text column, "" for NULL. */
static inline const char *br_store_str(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);

    return t ? (const char *)t : "";
}

/* Run a write and return the number of rows it changed, or ST_ERR_*. */
static inline int br_store_changes(st_db *db, sqlite3_stmt *st)
{
    int rc = st_db_step_done(db, st);

    return rc != 0 ? rc : sqlite3_changes(st_db_handle(db));
}

/* Make room for one more element in a list being read: *v grows (doubling
 * from 16) when len reached *cap. 0 or UT_ERR_NOMEM (*v kept). */
static inline int br_store_grow(void **v, size_t *cap, size_t len, size_t size)
{
    void *nv;
    size_t ncap;

    if (len < *cap)
        return 0;
    ncap = *cap ? 2 * *cap : 16;
    if (!(nv = realloc(*v, ncap * size)))
        return UT_ERR_NOMEM;
    *v = nv;
    *cap = ncap;
    return 0;
}

/* A copy of text column `col` ("" for NULL), or NULL when out of memory. */
static inline char *br_store_dup(sqlite3_stmt *st, int col)
{
    return strdup(br_store_str(st, col));
}

/* Read the (owner, chat_id) rows of a bound query into a list
 * (br_store_inbox.c). 0 or ST_ERR_* / UT_ERR_NOMEM (statement reset). */
int br_store_chats_read(sqlite3_stmt *st, br_store_chat **out, size_t *n);

#endif
