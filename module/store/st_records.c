/*
 * st_records.c - see st_records.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "st_records.h"

static int bind_key(sqlite3_stmt *st, int64_t account, const char *kind,
                    const char *key)
{
    if (sqlite3_bind_int64(st, 1, account) != SQLITE_OK ||
        sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC) != SQLITE_OK ||
        (key && sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC) != SQLITE_OK))
        return ST_ERR_SQL;
    return 0;
}

int st_record_put(st_db *db, int64_t account, const char *kind,
                  const char *key, const void *value, size_t len)
{
    static const char sql[] =
        "INSERT INTO record(account, kind, key, value) VALUES (?1, ?2, ?3, ?4)"
        " ON CONFLICT(account, kind, key) DO UPDATE SET value = excluded.value";
    sqlite3_stmt *st = st_db_stmt(db, sql);

    if (!st || !kind || !key || len > (size_t)INT32_MAX)
        return st ? UT_ERR_INVAL : ST_ERR_SQL;
    if (bind_key(st, account, kind, key) != 0 ||
        sqlite3_bind_blob(st, 4, len ? value : "", (int)len, SQLITE_STATIC) != SQLITE_OK)
        return ST_ERR_SQL;
    return st_db_step_done(db, st);
}

int st_record_get(st_db *db, int64_t account, const char *kind,
                  const char *key, ut_buf *out)
{
    static const char sql[] =
        "SELECT value FROM record WHERE account = ?1 AND kind = ?2 AND key = ?3";
    sqlite3_stmt *st = st_db_stmt(db, sql);
    int rc;

    if (!st)
        return ST_ERR_SQL;
    if (bind_key(st, account, kind, key) != 0)
        return ST_ERR_SQL;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const void *p = sqlite3_column_blob(st, 0);
        int n = sqlite3_column_bytes(st, 0);
        rc = ut_buf_append(out, p, (size_t)n);
    } else {
        rc = rc == SQLITE_DONE ? ST_ERR_NOTFOUND : ST_ERR_SQL;
    }
    sqlite3_reset(st); /* the column memory may hold a secret: release it */
    return rc;
}

int st_record_delete(st_db *db, int64_t account, const char *kind,
                     const char *key)
{
    static const char sql[] =
        "DELETE FROM record WHERE account = ?1 AND kind = ?2 AND key = ?3";
    sqlite3_stmt *st = st_db_stmt(db, sql);

    if (!st || bind_key(st, account, kind, key) != 0)
        return ST_ERR_SQL;
    return st_db_step_done(db, st);
}

int64_t st_record_count(st_db *db, int64_t account, const char *kind)
{
    static const char sql[] =
        "SELECT count(*) FROM record WHERE account = ?1 AND kind = ?2";
    sqlite3_stmt *st = st_db_stmt(db, sql);
    int64_t n;

    if (!st || bind_key(st, account, kind, NULL) != 0)
        return ST_ERR_SQL;
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return ST_ERR_SQL;
    }
    n = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return n;
}

/* Every record of a family, or of the keys starting with `prefix` (a
 * range on the primary key (account, kind, key): an index seek, not a
 * scan of the family). */
static int each(st_db *db, int64_t account, const char *kind, const char *prefix,
                int (*fn)(void *arg, const char *key, const void *value, size_t len),
                void *arg)
{
    /* Not cached: fn may call back into the store with other statements,
     * and a cached statement of ours must not be reset under us. */
    static const char all[] =
        "SELECT key, value FROM record WHERE account = ?1 AND kind = ?2 ORDER BY key";
    static const char range[] =
        "SELECT key, value FROM record WHERE account = ?1 AND kind = ?2"
        " AND key >= ?3 AND key < ?4 ORDER BY key";
    sqlite3_stmt *st = NULL;
    char *end = NULL;
    size_t n = prefix ? strlen(prefix) : 0;
    int rc;

    if (prefix) {
        /* the first key past the prefix: its last byte plus one */
        if (n == 0 || (unsigned char)prefix[n - 1] == 0xff || !(end = malloc(n + 1)))
            return n == 0 || (unsigned char)prefix[n - 1] == 0xff ? UT_ERR_INVAL
                                                                  : UT_ERR_NOMEM;
        memcpy(end, prefix, n + 1);
        end[n - 1] = (char)((unsigned char)end[n - 1] + 1);
    }
    if (sqlite3_prepare_v2(st_db_handle(db), prefix ? range : all, -1, &st, NULL) != SQLITE_OK ||
        bind_key(st, account, kind, prefix) != 0 ||
        (end && sqlite3_bind_text(st, 4, end, -1, SQLITE_STATIC) != SQLITE_OK)) {
        sqlite3_finalize(st);
        free(end);
        return ST_ERR_SQL;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int r = fn(arg, (const char *)sqlite3_column_text(st, 0),
                   sqlite3_column_blob(st, 1),
                   (size_t)sqlite3_column_bytes(st, 1));
        if (r) {
            sqlite3_finalize(st);
            free(end);
            return r;
        }
    }
    sqlite3_finalize(st);
    free(end);
    return rc == SQLITE_DONE ? 0 : ST_ERR_SQL;
}

int st_record_each(st_db *db, int64_t account, const char *kind,
                   int (*fn)(void *arg, const char *key, const void *value,
                             size_t len),
                   void *arg)
{
    return each(db, account, kind, NULL, fn, arg);
}

int st_record_each_prefix(st_db *db, int64_t account, const char *kind, const char *prefix,
                          int (*fn)(void *arg, const char *key, const void *value,
                                    size_t len),
                          void *arg)
{
    if (!prefix)
        return UT_ERR_INVAL;
    return each(db, account, kind, prefix, fn, arg);
}

int st_record_delete_account(st_db *db, int64_t account)
{
    static const char sql[] = "DELETE FROM record WHERE account = ?1";
    sqlite3_stmt *st = st_db_stmt(db, sql);

    if (!st || sqlite3_bind_int64(st, 1, account) != SQLITE_OK)
        return ST_ERR_SQL;
    return st_db_step_done(db, st);
}

int st_account_ensure(st_db *db, const char *owner_mxid, int64_t *id)
{
    static const char ins[] =
        "INSERT INTO account(owner_mxid, created_ms) VALUES (?1, ?2)"
        " ON CONFLICT(owner_mxid) DO NOTHING";
    sqlite3_stmt *st = st_db_stmt(db, ins);
    int rc;

    if (!st || sqlite3_bind_text(st, 1, owner_mxid, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int64(st, 2, ut_now_ms()) != SQLITE_OK)
        return ST_ERR_SQL;
    if ((rc = st_db_step_done(db, st)) != 0)
        return rc;
    return st_account_find(db, owner_mxid, id) == 0 ? 0 : ST_ERR_SQL;
}

int st_account_find(st_db *db, const char *owner_mxid, int64_t *id)
{
    static const char sql[] = "SELECT id FROM account WHERE owner_mxid = ?1";
    sqlite3_stmt *st = st_db_stmt(db, sql);
    int rc;

    if (!st || sqlite3_bind_text(st, 1, owner_mxid, -1, SQLITE_STATIC) != SQLITE_OK)
        return ST_ERR_SQL;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? ST_ERR_NOTFOUND : ST_ERR_SQL;
}

int st_account_owners(st_db *db, char ***owners, size_t *n)
{
    static const char sql[] = "SELECT owner_mxid FROM account ORDER BY id";
    sqlite3_stmt *st = st_db_stmt(db, sql);
    char **v = NULL, **nv;
    size_t len = 0, cap = 0;
    int rc;

    *owners = NULL;
    *n = 0;
    if (!st)
        return ST_ERR_SQL;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *o = sqlite3_column_text(st, 0);

        if (!o)
            continue;
        if (len == cap) {
            cap = cap ? 2 * cap : 8;
            if (!(nv = realloc(v, cap * sizeof(*v))))
                break;
            v = nv;
        }
        if (!(v[len] = strdup((const char *)o)))
            break;
        len++;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        st_account_owners_free(v, len);
        return rc == SQLITE_ROW ? UT_ERR_NOMEM : ST_ERR_SQL;
    }
    *owners = v;
    *n = len;
    return 0;
}

void st_account_owners_free(char **owners, size_t n)
{
    size_t i;

    for (i = 0; owners && i < n; i++)
        free(owners[i]);
    free(owners);
}

int st_account_delete(st_db *db, int64_t id)
{
    static const char sql[] = "DELETE FROM account WHERE id = ?1";
    sqlite3_stmt *st = st_db_stmt(db, sql);

    if (!st || sqlite3_bind_int64(st, 1, id) != SQLITE_OK)
        return ST_ERR_SQL;
    return st_db_step_done(db, st);
}
