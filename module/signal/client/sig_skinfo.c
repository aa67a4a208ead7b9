/* sig_skinfo.c - our sender keys' bookkeeping (sig_skinfo.h). */
#include "config.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sig_skinfo.h"

int sig_skinfo_get(st_db *db, int64_t account, const uint8_t group_id[32], uint8_t dist[16],
                   int64_t *created_ms)
{
    static const char sql[] = "SELECT distribution_id, created_ms FROM sig_sk_group "
                              "WHERE account = ?1 AND group_id = ?2";
    sqlite3_stmt *st = st_db_stmt(db, sql);
    int rc;

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, account);
    sqlite3_bind_blob(st, 2, group_id, 32, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 16) {
        memcpy(dist, sqlite3_column_blob(st, 0), 16);
        *created_ms = sqlite3_column_int64(st, 1);
        rc = 0;
    } else {
        rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? ST_ERR_NOTFOUND : ST_ERR_SQL;
    }
    sqlite3_reset(st);
    return rc;
}

int sig_skinfo_put(st_db *db, int64_t account, const uint8_t group_id[32],
                   const uint8_t dist[16], int64_t created_ms)
{
    static const char sql[] = "INSERT OR REPLACE INTO sig_sk_group (account, group_id, "
                              "distribution_id, created_ms) VALUES (?1, ?2, ?3, ?4)";
    sqlite3_stmt *st = st_db_stmt(db, sql);

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, account);
    sqlite3_bind_blob(st, 2, group_id, 32, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, dist, 16, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, created_ms);
    return st_db_step_done(db, st);
}

int sig_skinfo_shared(st_db *db, int64_t account, const uint8_t dist[16], sig_skdev **out,
                      size_t *n)
{
    static const char sql[] = "SELECT member, device, registration_id FROM sig_sk_shared "
                              "WHERE account = ?1 AND distribution_id = ?2";
    sqlite3_stmt *st = st_db_stmt(db, sql);
    sig_skdev *v = NULL, *nv;
    size_t len = 0, cap = 0;
    int rc;

    *out = NULL;
    *n = 0;
    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, account);
    sqlite3_bind_blob(st, 2, dist, 16, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *m = (const char *)sqlite3_column_text(st, 0);
        if (len == cap) {
            cap = cap ? 2 * cap : 16;
            if (!(nv = realloc(v, cap * sizeof(*v)))) {
                rc = SQLITE_NOMEM;
                break;
            }
            v = nv;
        }
        snprintf(v[len].member, sizeof(v[len].member), "%s", m ? m : "");
        v[len].device = (uint32_t)sqlite3_column_int64(st, 1);
        v[len].registration_id = (uint32_t)sqlite3_column_int64(st, 2);
        len++;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        free(v);
        return ST_ERR_SQL;
    }
    *out = v;
    *n = len;
    return 0;
}

int sig_skinfo_share(st_db *db, int64_t account, const uint8_t dist[16], const sig_skdev *d)
{
    static const char sql[] = "INSERT OR REPLACE INTO sig_sk_shared (account, distribution_id, "
                              "member, device, registration_id) VALUES (?1, ?2, ?3, ?4, ?5)";
    sqlite3_stmt *st = st_db_stmt(db, sql);

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, account);
    sqlite3_bind_blob(st, 2, dist, 16, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, d->member, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, d->device);
    sqlite3_bind_int64(st, 5, d->registration_id);
    return st_db_step_done(db, st);
}

int sig_skinfo_forget(st_db *db, int64_t account, const uint8_t dist[16], const char *member)
{
    static const char sql[] = "DELETE FROM sig_sk_shared WHERE account = ?1 AND "
                              "distribution_id = ?2 AND (?3 IS NULL OR member = ?3)";
    sqlite3_stmt *st = st_db_stmt(db, sql);

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, account);
    sqlite3_bind_blob(st, 2, dist, 16, SQLITE_STATIC);
    if (member)
        sqlite3_bind_text(st, 3, member, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 3);
    return st_db_step_done(db, st);
}

int sig_skinfo_forget_everywhere(st_db *db, int64_t account, const char *member)
{
    static const char sql[] = "DELETE FROM sig_sk_shared WHERE account = ?1 AND member = ?2";
    sqlite3_stmt *st = st_db_stmt(db, sql);

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, account);
    sqlite3_bind_text(st, 2, member, -1, SQLITE_STATIC);
    return st_db_step_done(db, st);
}
