/*
 * br_store_portal.c - br_portal: one Matrix room per (owner, Signal chat).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "br_store_int.h"

int br_store_portal_by_room(st_db *db, const char *room_id, char *owner, size_t on,
                            char *chat_id, size_t cn)
{
    sqlite3_stmt *st = st_db_stmt(db, "SELECT owner_mxid, chat_id FROM br_portal WHERE room_id = ?1");
    int rc;

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, room_id, -1, SQLITE_STATIC);
    if ((rc = br_store_row(st)) == 1) {
        br_store_text(st, 0, owner, on);
        br_store_text(st, 1, chat_id, cn);
        sqlite3_reset(st);
    }
    return rc;
}

/* A write with text parameters ?1, ?2 (and ?3 when c): rows changed or
 * ST_ERR_*. */
static int write3(st_db *db, const char *sql, const char *a, const char *b, const char *c)
{
    sqlite3_stmt *st = st_db_stmt(db, sql);

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
    if (c)
        sqlite3_bind_text(st, 3, c, -1, SQLITE_STATIC);
    return br_store_changes(db, st);
}

static int exists2(st_db *db, const char *sql, const char *a, const char *b)
{
    sqlite3_stmt *st = st_db_stmt(db, sql);

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
    return br_store_exists(st);
}

int br_store_portal_exists(st_db *db, const char *owner, const char *chat_id)
{
    return exists2(db, "SELECT 1 FROM br_portal WHERE owner_mxid = ?1 AND chat_id = ?2", owner, chat_id);
}

int br_store_portal_reserve(st_db *db, const char *owner, const char *chat_id)
{
    int rc = write3(db, "INSERT INTO br_portal(owner_mxid, chat_id, room_id) VALUES (?1, ?2, NULL)"
                        " ON CONFLICT DO NOTHING", owner, chat_id, NULL);

    return rc > 0 ? 1 : rc;
}

int br_store_portal_set_room(st_db *db, const char *owner, const char *chat_id,
                             const char *room_id)
{
    int rc = write3(db, "UPDATE br_portal SET room_id = ?3 WHERE owner_mxid = ?1 AND chat_id = ?2",
                    owner, chat_id, room_id);

    return rc > 0 ? 0 : rc;
}

int br_store_portal_delete_unmade(st_db *db)
{
    sqlite3_stmt *st = st_db_stmt(db, "DELETE FROM br_portal WHERE room_id IS NULL");

    return st ? br_store_changes(db, st) : ST_ERR_SQL;
}

int br_store_portal_delete(st_db *db, const char *owner, const char *chat_id)
{
    int rc = write3(db, "DELETE FROM br_portal WHERE owner_mxid = ?1 AND chat_id = ?2",
                    owner, chat_id, NULL);

    return rc > 0 ? 0 : rc;
}

int br_store_member_add(st_db *db, const char *room_id, const char *user_id)
{
    int rc = write3(db, "INSERT INTO br_portal_member(room_id, user_id) VALUES (?1, ?2)"
                        " ON CONFLICT DO NOTHING", room_id, user_id, NULL);

    return rc > 0 ? 1 : rc;
}

int br_store_member_exists(st_db *db, const char *room_id, const char *user_id)
{
    return exists2(db, "SELECT 1 FROM br_portal_member WHERE room_id = ?1 AND user_id = ?2",
                   room_id, user_id);
}

int br_store_member_delete(st_db *db, const char *room_id, const char *user_id)
{
    int rc = write3(db, "DELETE FROM br_portal_member WHERE room_id = ?1 AND user_id = ?2",
                    room_id, user_id, NULL);

    return rc > 0 ? 0 : rc;
}

void br_store_strv_free(char **v)
{
    size_t i;

    for (i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

/* The first column of `sql`'s rows, with ?1 = arg, as a strv. */
static int text_list(st_db *db, const char *sql, const char *room_id, char ***out, size_t *n)
{
    sqlite3_stmt *st = st_db_stmt(db, sql);
    char **v = NULL, **nv;
    size_t len = 0;
    int rc;

    *out = NULL;
    *n = 0;
    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, room_id, -1, SQLITE_STATIC);
    while ((rc = br_store_row(st)) == 1) {
        const unsigned char *u = sqlite3_column_text(st, 0);

        if (!u)
            continue;
        if (!(nv = realloc(v, (len + 2) * sizeof(*v))) || !(nv[len] = strdup((const char *)u))) {
            if (nv)
                v = nv;
            if (v)
                v[len] = NULL;
            br_store_strv_free(v);
            sqlite3_reset(st);
            return UT_ERR_NOMEM;
        }
        v = nv;
        v[++len] = NULL;
    }
    if (rc < 0) {
        br_store_strv_free(v);
        return rc;
    }
    *out = v;
    *n = len;
    return 0;
}

int br_store_member_list(st_db *db, const char *room_id, char ***out, size_t *n)
{
    return text_list(db, "SELECT user_id FROM br_portal_member WHERE room_id = ?1", room_id, out, n);
}

int br_store_portal_rooms_of_chat(st_db *db, const char *chat_id, char ***out, size_t *n)
{
    return text_list(db, "SELECT room_id FROM br_portal WHERE chat_id = ?1 AND room_id IS NOT NULL",
                     chat_id, out, n);
}

int br_store_portal_insert(st_db *db, const char *owner, const char *chat_id)
{
    int rc = write3(db, "INSERT INTO br_portal(owner_mxid, chat_id, room_id) VALUES (?1, ?2, NULL)",
                    owner, chat_id, NULL);

    return rc > 0 ? 0 : rc;
}

int br_store_portal_get(st_db *db, const char *owner, const char *chat_id, char *room, size_t n)
{
    sqlite3_stmt *st = st_db_stmt(db, "SELECT room_id FROM br_portal WHERE owner_mxid = ?1 AND chat_id = ?2");
    int rc;

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, chat_id, -1, SQLITE_STATIC);
    if ((rc = br_store_row(st)) == 1) {
        if (sqlite3_column_type(st, 0) == SQLITE_NULL)
            rc = 2;
        else
            br_store_text(st, 0, room, n);
        sqlite3_reset(st);
    }
    return rc;
}

int br_store_group_avatar_get(st_db *db, const char *chat_id, char *path, size_t pn,
                              char *mxc, size_t mn)
{
    sqlite3_stmt *st = st_db_stmt(db, "SELECT path, mxc FROM br_group_avatar WHERE chat_id = ?1");
    int rc;

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, chat_id, -1, SQLITE_STATIC);
    if ((rc = br_store_row(st)) == 1) {
        br_store_text(st, 0, path, pn);
        br_store_text(st, 1, mxc, mn);
        sqlite3_reset(st);
    }
    return rc;
}

int br_store_group_avatar_put(st_db *db, const char *chat_id, const char *path, const char *mxc)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "INSERT INTO br_group_avatar(chat_id, path, mxc) VALUES (?1, ?2, ?3)"
        " ON CONFLICT(chat_id) DO UPDATE SET path = excluded.path, mxc = excluded.mxc");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, chat_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, mxc ? mxc : "", -1, SQLITE_STATIC);
    return st_db_step_done(db, st);
}
