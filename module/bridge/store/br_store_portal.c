/*
 * br_store_portal.c - br_portal: one Matrix room per (owner, Signal chat).
 */
#include "config.h"

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
