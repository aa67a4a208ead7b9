/*
 * br_store_relate.c - relations received from Signal (br_relin: stored
 * before they are confirmed, applied once) and the reactions bridged to
 * Matrix (br_reaction: which event to redact when one is taken back).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "br_store_int.h"

int br_store_relin_put(st_db *db, const br_store_relin *r)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "INSERT INTO br_relin(owner_mxid, chat_id, sender, ts, from_me, kind, target_author,"
        " target_ts, text, remove, received_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
        " ON CONFLICT DO NOTHING");
    int rc;

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, r->owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->chat_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->sender, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, r->ts);
    sqlite3_bind_int(st, 5, r->from_me);
    sqlite3_bind_int(st, 6, r->kind);
    sqlite3_bind_text(st, 7, r->target_author, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, r->target_ts);
    sqlite3_bind_text(st, 9, r->text, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 10, r->remove);
    sqlite3_bind_int64(st, 11, r->received_ms);
    rc = br_store_changes(db, st);
    return rc > 0 ? 1 : rc;
}

int br_store_relin_set_state(st_db *db, const char *owner, const char *sender, int64_t ts,
                             int state)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "UPDATE br_relin SET state = ?4 WHERE owner_mxid = ?1 AND sender = ?2 AND ts = ?3");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sender, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, ts);
    sqlite3_bind_int(st, 4, state);
    return st_db_step_done(db, st);
}

int br_store_relin_each_pending(st_db *db, br_store_relin_fn fn, void *ctx)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "SELECT owner_mxid, chat_id, sender, ts, from_me, kind, target_author,"
        " target_ts, text, remove, received_ms FROM br_relin WHERE state = 0 ORDER BY ts");
    br_store_relin r;
    int rc;

    if (!st)
        return ST_ERR_SQL;
    while ((rc = br_store_row(st)) == 1) {
        r.owner = br_store_str(st, 0);
        r.chat_id = br_store_str(st, 1);
        r.sender = br_store_str(st, 2);
        r.ts = sqlite3_column_int64(st, 3);
        r.from_me = sqlite3_column_int(st, 4);
        r.kind = sqlite3_column_int(st, 5);
        r.target_author = br_store_str(st, 6);
        r.target_ts = sqlite3_column_int64(st, 7);
        r.text = sqlite3_column_type(st, 8) == SQLITE_NULL ? NULL : br_store_str(st, 8);
        r.remove = sqlite3_column_int(st, 9);
        r.received_ms = sqlite3_column_int64(st, 10);
        if (fn(ctx, &r) != 0) {
            sqlite3_reset(st);
            return 0;
        }
    }
    return rc;
}

int br_store_relation_target_coming(st_db *db, const char *owner, const char *author,
                                    int64_t ts)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "SELECT 1 FROM br_inbox WHERE owner_mxid = ?1 AND sender = ?2 AND ts = ?3 AND event_id IS NULL"
        " UNION ALL SELECT 1 FROM br_outbox WHERE owner_mxid = ?1 AND state = 0"
        " AND ?2 = (SELECT aci FROM br_login WHERE owner_mxid = ?1) LIMIT 1");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, author, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, ts);
    return br_store_exists(st);
}

/* ?1..?5: owner, target author, target ts, reactor, emoji; ?6 as given. */
static int reaction_write(st_db *db, const char *sql, const char *owner, const char *target_author,
                          int64_t target_ts, const char *reactor, const char *emoji,
                          const char *sixth)
{
    sqlite3_stmt *st = st_db_stmt(db, sql);

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, target_author, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, target_ts);
    sqlite3_bind_text(st, 4, reactor, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, emoji, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, sixth, -1, SQLITE_STATIC);
    return st_db_step_done(db, st);
}

int br_store_reaction_put(st_db *db, const char *owner, const char *target_author,
                          int64_t target_ts, const char *reactor, const char *emoji,
                          const char *room_id)
{
    return reaction_write(db,
        "INSERT INTO br_reaction(owner_mxid, target_author, target_ts, reactor, emoji, room_id)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
        owner, target_author, target_ts, reactor, emoji, room_id);
}

int br_store_reaction_set_event(st_db *db, const char *owner, const char *target_author,
                                int64_t target_ts, const char *reactor, const char *emoji,
                                const char *event_id)
{
    return reaction_write(db,
        "UPDATE br_reaction SET event_id = ?6 WHERE owner_mxid = ?1"
        " AND target_author = ?2 AND target_ts = ?3 AND reactor = ?4 AND emoji = ?5",
        owner, target_author, target_ts, reactor, emoji, event_id);
}

int br_store_reaction_delete_event(st_db *db, const char *owner, const char *event_id)
{
    sqlite3_stmt *st = st_db_stmt(db, "DELETE FROM br_reaction WHERE owner_mxid = ?1 AND event_id = ?2");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, event_id, -1, SQLITE_STATIC);
    return st_db_step_done(db, st);
}

void br_store_reactions_free(br_store_reaction *v, size_t n)
{
    size_t i;

    for (i = 0; v && i < n; i++) {
        free(v[i].event_id);
        free(v[i].emoji);
    }
    free(v);
}

int br_store_reaction_others(st_db *db, const char *owner, const char *target_author,
                             int64_t target_ts, const char *reactor, int all,
                             const char *emoji, br_store_reaction **out, size_t *n)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "SELECT event_id, emoji FROM br_reaction WHERE owner_mxid = ?1 AND target_author = ?2"
        " AND target_ts = ?3 AND reactor = ?4 AND event_id IS NOT NULL AND (?5 OR emoji <> ?6)");
    br_store_reaction *v = NULL, *nv;
    size_t len = 0, cap = 0;
    int rc;

    *out = NULL;
    *n = 0;
    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, target_author, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, target_ts);
    sqlite3_bind_text(st, 4, reactor, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, all);
    sqlite3_bind_text(st, 6, emoji, -1, SQLITE_STATIC);
    while ((rc = br_store_row(st)) == 1) {
        if (len == cap) {
            cap = cap ? 2 * cap : 4;
            if (!(nv = realloc(v, cap * sizeof(*v)))) {
                rc = UT_ERR_NOMEM;
                break;
            }
            v = nv;
        }
        v[len].event_id = strdup(br_store_str(st, 0));
        v[len].emoji = strdup(br_store_str(st, 1));
        len++;
        if (!v[len - 1].event_id || !v[len - 1].emoji) {
            rc = UT_ERR_NOMEM;
            break;
        }
    }
    if (rc < 0) {
        sqlite3_reset(st);
        br_store_reactions_free(v, len);
        return rc;
    }
    *out = v;
    *n = len;
    return 0;
}

int br_store_reaction_put_mine(st_db *db, const char *owner, const char *target_author,
                               int64_t target_ts, const char *reactor, const char *emoji,
                               const char *room_id, const char *event_id)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "INSERT INTO br_reaction(owner_mxid, target_author, target_ts, reactor, emoji, room_id, event_id)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO UPDATE SET event_id = excluded.event_id");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, target_author, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, target_ts);
    sqlite3_bind_text(st, 4, reactor, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, emoji, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, room_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, event_id, -1, SQLITE_STATIC);
    return st_db_step_done(db, st);
}

int br_store_reaction_find_mine(st_db *db, const char *owner, const char *event_id,
                                const char *reactor, char *target_author, size_t an,
                                int64_t *target_ts, char *emoji, size_t en)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "SELECT target_author, target_ts, emoji FROM br_reaction WHERE owner_mxid = ?1"
        " AND event_id = ?2 AND reactor = ?3");
    int rc;

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, event_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, reactor, -1, SQLITE_STATIC);
    if ((rc = br_store_row(st)) == 1) {
        br_store_text(st, 0, target_author, an);
        *target_ts = sqlite3_column_int64(st, 1);
        br_store_text(st, 2, emoji, en);
        sqlite3_reset(st);
    }
    return rc;
}
