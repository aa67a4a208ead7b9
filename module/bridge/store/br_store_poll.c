/*
 * br_store_poll.c - br_poll and br_poll_vote (migration 016): the answer
 * ids of polls started in Matrix, and the count of the user's votes
 * (br_poll.c).
 */
#include "config.h"

#include "br_store_int.h"

int br_store_poll_put(st_db *db, const char *owner, const char *event_id, const char *answers)
{
    sqlite3_stmt *st = st_db_stmt(db, "INSERT INTO br_poll(owner_mxid, event_id, answers)"
                                      " VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, event_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, answers, -1, SQLITE_STATIC);
    return st_db_step_done(db, st);
}

int br_store_poll_answers(st_db *db, const char *owner, const char *event_id, char **answers)
{
    sqlite3_stmt *st = st_db_stmt(db, "SELECT answers FROM br_poll WHERE owner_mxid = ?1"
                                      " AND event_id = ?2");
    const unsigned char *t;
    int rc;

    *answers = NULL;
    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, event_id, -1, SQLITE_STATIC);
    if ((rc = br_store_row(st)) == 1) {
        t = sqlite3_column_text(st, 0);
        if (t && !(*answers = strdup((const char *)t)))
            rc = UT_ERR_NOMEM;
        sqlite3_reset(st);
    }
    return rc;
}

int br_store_poll_vote_next(st_db *db, const char *owner, const char *poll_event_id,
                            uint32_t *count)
{
    sqlite3_stmt *st = st_db_stmt(db, "INSERT INTO br_poll_vote(owner_mxid, poll_event_id, count)"
                                      " VALUES (?1, ?2, 1) ON CONFLICT DO UPDATE SET"
                                      " count = count + 1 RETURNING count");
    int rc;

    *count = 0;
    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, poll_event_id, -1, SQLITE_STATIC);
    if ((rc = br_store_row(st)) == 1) {
        *count = (uint32_t)sqlite3_column_int64(st, 0);
        sqlite3_step(st); /* RETURNING: finish the statement before reset */
        sqlite3_reset(st);
        return 0;
    }
    return rc == 0 ? ST_ERR_SQL : rc;
}

int br_store_poll_seen(st_db *db, const char *owner, const char *poll_event_id,
                       const char *voter, uint32_t count, int64_t vote_ts)
{
    sqlite3_stmt *st = st_db_stmt(db, "SELECT count, vote_ts FROM br_poll_seen WHERE"
                                      " owner_mxid = ?1 AND poll_event_id = ?2 AND voter = ?3");
    int rc;

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, poll_event_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, voter, -1, SQLITE_STATIC);
    if ((rc = br_store_row(st)) == 1) {
        int64_t last = sqlite3_column_int64(st, 0), last_ts = sqlite3_column_int64(st, 1);
        sqlite3_reset(st);
        if ((int64_t)count == last && vote_ts == last_ts)
            return 1; /* the same vote again */
        if ((int64_t)count <= last)
            return 0;
    } else if (rc < 0) {
        return rc;
    }
    st = st_db_stmt(db, "INSERT INTO br_poll_seen(owner_mxid, poll_event_id, voter, count, vote_ts)"
                        " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO UPDATE SET"
                        " count = excluded.count, vote_ts = excluded.vote_ts");
    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, poll_event_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, voter, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (int64_t)count);
    sqlite3_bind_int64(st, 5, vote_ts);
    rc = st_db_step_done(db, st);
    return rc == 0 ? 1 : rc;
}
