/*
 * br_store_media.c - attachments: br_media_in (Signal -> Matrix, one row
 * per attachment, with the pointer that holds its key until bridged) and
 * br_media_out (Matrix -> Signal files, each with its br_outbox row).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "br_store_int.h"
#include "ut.h"

int br_store_media_in_get(st_db *db, int64_t id, br_store_media_in *r)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "SELECT owner_mxid, chat_id, sender, ts, idx, from_me, pointer, content_type,"
        " file_name, size, width, height, flags, state, mxc FROM br_media_in WHERE id = ?1");
    int rc;

    memset(r, 0, sizeof(*r));
    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, id);
    if ((rc = br_store_row(st)) == 1) {
        const void *p = sqlite3_column_blob(st, 6);
        int plen = sqlite3_column_bytes(st, 6);

        r->id = id;
        br_store_text(st, 0, r->owner, sizeof(r->owner));
        br_store_text(st, 1, r->chat_id, sizeof(r->chat_id));
        br_store_text(st, 2, r->sender, sizeof(r->sender));
        r->ts = sqlite3_column_int64(st, 3);
        r->idx = sqlite3_column_int(st, 4);
        r->from_me = sqlite3_column_int(st, 5);
        if (p && plen > 0 && (r->pointer = malloc((size_t)plen))) {
            memcpy(r->pointer, p, (size_t)plen);
            r->pointer_len = (size_t)plen;
        }
        r->has_type = sqlite3_column_type(st, 7) != SQLITE_NULL;
        br_store_text(st, 7, r->content_type, sizeof(r->content_type));
        r->has_name = sqlite3_column_type(st, 8) != SQLITE_NULL;
        br_store_text(st, 8, r->file_name, sizeof(r->file_name));
        r->size = (uint64_t)sqlite3_column_int64(st, 9);
        r->width = (uint32_t)sqlite3_column_int64(st, 10);
        r->height = (uint32_t)sqlite3_column_int64(st, 11);
        r->flags = (uint32_t)sqlite3_column_int64(st, 12);
        r->state = sqlite3_column_int(st, 13);
        br_store_text(st, 14, r->mxc, sizeof(r->mxc));
        sqlite3_reset(st);
    }
    return rc;
}

int br_store_media_in_put(st_db *db, const char *owner, const char *chat_id, const char *sender,
                          int64_t ts, int idx, int from_me, const void *pointer,
                          size_t pointer_len, const char *content_type, const char *file_name,
                          uint64_t size, uint32_t width, uint32_t height, uint32_t flags)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "INSERT INTO br_media_in(owner_mxid, chat_id, sender, ts, idx, from_me, pointer,"
        " content_type, file_name, size, width, height, flags)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) ON CONFLICT DO NOTHING");

    if (!st)
        return ST_ERR_SQL;
    br_store_bind_msg(st, owner, chat_id, sender, ts);
    sqlite3_bind_int(st, 5, idx);
    sqlite3_bind_int(st, 6, from_me);
    sqlite3_bind_blob(st, 7, pointer ? pointer : "", (int)pointer_len, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, content_type, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, file_name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, (sqlite3_int64)size);
    sqlite3_bind_int64(st, 11, width);
    sqlite3_bind_int64(st, 12, height);
    sqlite3_bind_int64(st, 13, flags);
    return st_db_step_done(db, st);
}

int br_store_media_in_set_state(st_db *db, int64_t id, int state, const char *mxc)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "UPDATE br_media_in SET state = ?2, mxc = coalesce(?3, mxc) WHERE id = ?1");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, state);
    sqlite3_bind_text(st, 3, mxc, -1, SQLITE_STATIC);
    return st_db_step_done(db, st);
}

int br_store_media_in_set_size(st_db *db, int64_t id, uint64_t size)
{
    sqlite3_stmt *st = st_db_stmt(db, "UPDATE br_media_in SET size = ?2 WHERE id = ?1");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)size);
    return st_db_step_done(db, st);
}

int br_store_media_in_settle(st_db *db, int64_t id, int state, const char *event_id,
                             const char *error)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "UPDATE br_media_in SET state = ?2, event_id = ?3, error = ?4, pointer = x''"
        " WHERE id = ?1");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, state);
    sqlite3_bind_text(st, 3, event_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, error, -1, SQLITE_STATIC);
    return st_db_step_done(db, st);
}

int br_store_media_in_next(st_db *db, const char *owner, const char *sender, int64_t ts,
                           int64_t *id)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "SELECT id FROM br_media_in WHERE owner_mxid = ?1 AND sender = ?2 AND ts = ?3"
        " AND state < 3 ORDER BY idx LIMIT 1");
    int rc;

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sender, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, ts);
    if ((rc = br_store_row(st)) == 1) {
        *id = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
    }
    return rc;
}

int br_store_media_in_earlier(st_db *db, const char *owner, const char *chat_id, int64_t ts)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "SELECT 1 FROM br_media_in WHERE owner_mxid = ?1 AND chat_id = ?2 AND ts < ?3"
        " AND state < 3 LIMIT 1");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, chat_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, ts);
    return br_store_exists(st);
}

int br_store_media_out_get(st_db *db, int64_t id, br_store_media_out *r)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "SELECT o.owner_mxid, o.chat_id, m.mxc, m.content_type, m.file_name, m.caption, m.state,"
        " m.flags, coalesce(o.signal_ts, 0) FROM br_media_out m JOIN br_outbox o ON o.id = m.outbox_id WHERE m.outbox_id = ?1");
    int rc;

    memset(r, 0, sizeof(*r));
    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, id);
    if ((rc = br_store_row(st)) == 1) {
        br_store_text(st, 0, r->owner, sizeof(r->owner));
        br_store_text(st, 1, r->chat_id, sizeof(r->chat_id));
        br_store_text(st, 2, r->mxc, sizeof(r->mxc));
        br_store_text(st, 3, r->content_type, sizeof(r->content_type));
        br_store_text(st, 4, r->name, sizeof(r->name));
        if (sqlite3_column_type(st, 5) != SQLITE_NULL)
            r->caption = strdup(br_store_str(st, 5));
        r->state = sqlite3_column_int(st, 6);
        r->flags = (uint32_t)sqlite3_column_int64(st, 7);
        r->signal_ts = sqlite3_column_int64(st, 8);
        sqlite3_reset(st);
    }
    return rc;
}

int br_store_media_out_put(st_db *db, int64_t id, const char *mxc, const char *content_type,
                           const char *name, const char *caption, uint32_t flags)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "INSERT INTO br_media_out(outbox_id, mxc, content_type, file_name, caption, flags)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, mxc, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, content_type, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, caption, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, flags);
    return st_db_step_done(db, st);
}

int br_store_media_out_set(st_db *db, int64_t id, int state, const char *content_type)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "UPDATE br_media_out SET state = ?2, content_type = coalesce(content_type, ?3)"
        " WHERE outbox_id = ?1");

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, state);
    sqlite3_bind_text(st, 3, content_type, -1, SQLITE_STATIC);
    return st_db_step_done(db, st);
}

/* The first column of every row, as ids, at most max. */
static int ids_of(sqlite3_stmt *st, int64_t *ids, size_t max, size_t *n)
{
    int rc = 0;

    while (*n < max && (rc = br_store_row(st)) == 1)
        ids[(*n)++] = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc < 0 ? rc : 0;
}

int br_store_media_out_uploaded_ids(st_db *db, const char *owner, int64_t *ids, size_t max,
                                    size_t *n)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "SELECT m.outbox_id FROM br_media_out m JOIN br_outbox o ON o.id = m.outbox_id"
        " WHERE o.owner_mxid = ?1 AND m.state = 1 ORDER BY m.outbox_id");

    *n = 0;
    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    return ids_of(st, ids, max, n);
}

int br_store_media_out_unfinished_ids(st_db *db, int64_t *ids, size_t max, size_t *n)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "SELECT outbox_id FROM br_media_out WHERE state < 3 ORDER BY outbox_id");

    *n = 0;
    if (!st)
        return ST_ERR_SQL;
    return ids_of(st, ids, max, n);
}

int br_store_media_in_at(st_db *db, const char *owner, const char *sender, int64_t ts, int idx,
                         br_store_media_in *r)
{
    sqlite3_stmt *st = st_db_stmt(db, "SELECT id FROM br_media_in WHERE owner_mxid = ?1"
                                      " AND sender = ?2 AND ts = ?3 AND idx = ?4");
    int64_t id;
    int rc;

    memset(r, 0, sizeof(*r));
    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sender, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, ts);
    sqlite3_bind_int(st, 4, idx);
    if ((rc = br_store_row(st)) != 1)
        return rc;
    id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if ((rc = br_store_media_in_get(db, id, r)) == 1 && r->pointer) {
        ut_free_secret(r->pointer, r->pointer_len); /* holds the file's key */
        r->pointer = NULL;
        r->pointer_len = 0;
    }
    return rc;
}

int br_store_media_by_event(st_db *db, const char *owner, const char *event_id,
                            char *content_type, size_t ct_n, char *name, size_t name_n)
{
    sqlite3_stmt *st = st_db_stmt(db,
        "SELECT content_type, file_name FROM br_media_in WHERE owner_mxid = ?1 AND event_id = ?2"
        " UNION ALL SELECT m.content_type, m.file_name FROM br_media_out m JOIN br_outbox o"
        " ON o.id = m.outbox_id WHERE o.owner_mxid = ?1 AND o.event_id = ?2 LIMIT 1");
    int rc;

    content_type[0] = name[0] = '\0';
    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, event_id, -1, SQLITE_STATIC);
    if ((rc = br_store_row(st)) == 1) {
        br_store_text(st, 0, content_type, ct_n);
        br_store_text(st, 1, name, name_n);
        sqlite3_reset(st);
    }
    return rc;
}

int br_store_media_in_by_event(st_db *db, const char *owner, const char *event_id, char *chat,
                               size_t chat_n, char *sender, size_t sender_n, int64_t *ts)
{
    return br_store_msg_by_event(db, "SELECT chat_id, sender, ts FROM br_media_in"
                                     " WHERE owner_mxid = ?1 AND event_id = ?2 LIMIT 1",
                                 owner, event_id, chat, chat_n, sender, sender_n, ts);
}
