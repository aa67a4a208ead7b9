/*
 * br_media_out.c - Matrix -> Signal files (contract in br_media.h): the
 * event is queued (br_outbox state 3 + br_media_out), the mxc fetched
 * through the host into <data_dir>/media/out-<id>/<file name>, handed to
 * the Signal side, and the temp copy removed once Signal answered.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "br_media_int.h"

/* ---- Matrix -> Signal --------------------------------------------------- */

typedef struct out_row {
    char owner[320], chat_id[128], mxc[512], content_type[128], name[256];
    char *caption;
    int state;
} out_row;

static int out_load(br_bridge *b, int64_t id, out_row *r)
{
    static const char sql[] =
        "SELECT o.owner_mxid, o.chat_id, m.mxc, m.content_type, m.file_name, m.caption, m.state"
        " FROM br_media_out m JOIN br_outbox o ON o.id = m.outbox_id WHERE m.outbox_id = ?1";
    sqlite3_stmt *st = st_db_stmt(b->db, sql);
    int found = 0;

    memset(r, 0, sizeof(*r));
    if (!st)
        return 0;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        br_media_col_text(st, 0, r->owner, sizeof(r->owner));
        br_media_col_text(st, 1, r->chat_id, sizeof(r->chat_id));
        br_media_col_text(st, 2, r->mxc, sizeof(r->mxc));
        br_media_col_text(st, 3, r->content_type, sizeof(r->content_type));
        br_media_col_text(st, 4, r->name, sizeof(r->name));
        if (sqlite3_column_type(st, 5) != SQLITE_NULL)
            r->caption = strdup((const char *)sqlite3_column_text(st, 5));
        r->state = sqlite3_column_int(st, 6);
        found = 1;
    }
    sqlite3_reset(st);
    return found;
}

static void out_set(br_bridge *b, int64_t id, int state, const char *content_type)
{
    static const char sql[] =
        "UPDATE br_media_out SET state = ?2, content_type = coalesce(content_type, ?3)"
        " WHERE outbox_id = ?1";
    sqlite3_stmt *st = st_db_stmt(b->db, sql);

    if (!st)
        return;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, state);
    sqlite3_bind_text(st, 3, content_type, -1, SQLITE_STATIC);
    st_db_step_done(b->db, st);
}

static void out_cleanup(br_bridge *b, int64_t id, const char *name)
{
    char dir[4200], path[4500];

    br_media_out_dir(b, id, dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    unlink(path);
    rmdir(dir);
}

/* Report a failure before Signal got the file through the portal's usual
 * send-failure path (which names the reason in the room). */
static void out_fail(br_bridge *b, int64_t id, const char *owner, const char *reason)
{
    br_net_event *ev = calloc(1, sizeof(*ev));

    ut_logf(&b->log, UT_LOG_WARN, "bridge: file %" PRId64 " not sent to Signal: %s", id, reason);
    if (!ev || !(ev->owner = strdup(owner)) || !(ev->text = strdup(reason))) {
        br_net_event_free(ev);
        br_media_busy_clear(b, DIR_OUT, id);
        return;
    }
    ev->kind = BR_NET_SEND_RESULT;
    ev->outbox_id = (uint64_t)id;
    ev->code = BR_NET_ERR_INTERNAL;
    br_media_sent(b, ev);
    br_portal_net_event(b, ev); /* borrows ev */
    br_net_event_free(ev);
}

static void out_step(br_bridge *b, int64_t id);

static void on_out_fetched(void *arg, int status, const char *content_type,
                           const void *data, size_t len)
{
    job *j = arg;
    br_bridge *b = j->b;
    char dir[4200], path[4500], why[160];
    out_row r;

    if (!b->media || !out_load(b, j->id, &r)) {
        free(j);
        return;
    }
    if (status != 200) {
        snprintf(why, sizeof(why), "the file could not be fetched from the homeserver (HTTP %d)", status);
        out_fail(b, j->id, r.owner, why);
    } else if (len > BR_MEDIA_MAX) {
        out_fail(b, j->id, r.owner, "the file is larger than this bridge's limit");
    } else {
        br_media_out_dir(b, j->id, dir, sizeof(dir));
        snprintf(path, sizeof(path), "%s/%s", dir, r.name);
        if ((mkdir(dir, 0700) != 0 && errno != EEXIST) || br_media_write_all(path, data, len) != 0) {
            out_fail(b, j->id, r.owner, "the bridge could not store the file");
        } else {
            out_set(b, j->id, OUT_DOWNLOADED,
                    content_type && *content_type ? content_type : NULL);
            br_media_busy_clear(b, DIR_OUT, j->id);
            out_step(b, j->id);
        }
    }
    free(r.caption);
    free(j);
}

static void out_step(br_bridge *b, int64_t id)
{
    char dir[4200], path[4500];
    struct stat sb;
    out_row r;
    job *j;
    int rc;

    if (!b->media || br_media_busy_test(b, DIR_OUT, id) || !out_load(b, id, &r))
        return;
    if (r.state >= OUT_FINISHED || !br_media_busy_set(b, DIR_OUT, id))
        goto out;
    br_media_out_dir(b, id, dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/%s", dir, r.name);
    if (r.state != OUT_STORED && stat(path, &sb) != 0)
        r.state = OUT_STORED; /* the temp file is gone: fetch it again */
    if (r.state == OUT_STORED) {
        if (!(j = br_media_job(b, id)) || mx_download(b->mx, r.mxc, on_out_fetched, j) != 0) {
            free(j);
            out_fail(b, id, r.owner, "the homeserver's media repository is not available");
        }
        goto out;
    }
    if (br_media_out_waiting(b, r.owner, r.chat_id, id)) {
        br_media_busy_clear(b, DIR_OUT, id); /* its turn comes at release */
        goto out;
    }
    if (!b->have_net || !b->net.send_file) {
        out_fail(b, id, r.owner, "the Signal side of the bridge is not running");
        goto out;
    }
    rc = b->net.send_file(b->net.ctx, r.owner, r.chat_id, path,
                          *r.content_type ? r.content_type : "application/octet-stream",
                          r.caption, (uint64_t)id);
    if (rc != 0)
        out_fail(b, id, r.owner, "the Signal side could not take the file");
    else
        out_set(b, id, OUT_HANDED, NULL); /* busy until SEND_RESULT */
out:
    free(r.caption);
}

int br_media_sent(br_bridge *b, const br_net_event *ev)
{
    out_row r;
    int64_t id = (int64_t)ev->outbox_id;

    if (!b->media || !out_load(b, id, &r))
        return 0; /* a text message */
    br_media_busy_clear(b, DIR_OUT, id);
    if (ev->code == BR_NET_ERR_OFFLINE && r.state == OUT_HANDED) {
        /* not sent: the file stays and goes out on reconnection */
        out_set(b, id, OUT_DOWNLOADED, NULL);
        free(r.caption);
        return 1;
    }
    out_set(b, id, OUT_FINISHED, NULL);
    out_cleanup(b, id, r.name);
    if (r.state != OUT_FINISHED) /* once: later texts may be in flight */
        br_outbox_release(b, r.owner, r.chat_id, id);
    free(r.caption);
    return 0;
}

int br_media_out_waiting(br_bridge *b, const char *owner, const char *chat_id,
                         int64_t id)
{
    static const char sql[] =
        "SELECT 1 FROM br_media_out m JOIN br_outbox o ON o.id = m.outbox_id"
        " WHERE o.owner_mxid = ?1 AND o.chat_id = ?2 AND m.outbox_id < ?3 AND m.state < ?4"
        " LIMIT 1";
    sqlite3_stmt *st = st_db_stmt(b->db, sql);
    int found;

    if (!b->media || !st)
        return 0;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, chat_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, id);
    sqlite3_bind_int(st, 4, OUT_FINISHED);
    found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    return found;
}

void br_media_out_kick(br_bridge *b, int64_t id)
{
    out_step(b, id);
}

void br_media_online(br_bridge *b, const char *owner)
{
    static const char sql[] =
        "SELECT m.outbox_id FROM br_media_out m JOIN br_outbox o ON o.id = m.outbox_id"
        " WHERE o.owner_mxid = ?1 AND m.state = 1 ORDER BY m.outbox_id";
    sqlite3_stmt *st = NULL;
    int64_t ids[256];
    size_t n = 0, i;

    if (!b->media || sqlite3_prepare_v2(st_db_handle(b->db), sql, -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    while (n < sizeof(ids) / sizeof(ids[0]) && sqlite3_step(st) == SQLITE_ROW)
        ids[n++] = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    for (i = 0; i < n; i++)
        out_step(b, ids[i]);
}

void br_media_from_matrix(br_bridge *b, const mx_event *ev, const char *owner,
                          const char *chat_id)
{
    static const char ins[] =
        "INSERT INTO br_outbox(owner_mxid, room_id, chat_id, event_id, body, state)"
        " VALUES (?1, ?2, ?3, ?4, ?5, 3) ON CONFLICT(event_id) DO NOTHING";
    static const char ins_media[] =
        "INSERT INTO br_media_out(outbox_id, mxc, content_type, file_name, caption)"
        " VALUES (?1, ?2, ?3, ?4, ?5)";
    br_media_request rq;
    sqlite3_stmt *st;
    int64_t id;

    if (br_media_parse_request(ev->content, &rq) != 0) {
        br_notice(b, ev->room_id, "Not sent to Signal: this file has no plain mxc:// URL "
                                  "(files in encrypted rooms cannot be bridged yet).");
        return;
    }
    if (rq.size > BR_MEDIA_MAX) {
        br_notice(b, ev->room_id, "Not sent to Signal: %s is larger than this bridge's limit of %u MiB.",
                  rq.name, BR_MEDIA_MAX >> 20);
        return;
    }
    if (!b->media || st_db_begin(b->db) != 0)
        return;
    if (!(st = st_db_stmt(b->db, ins)))
        goto fail;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, ev->room_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, chat_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, ev->event_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, rq.caption ? rq.caption : "", -1, SQLITE_STATIC);
    if (st_db_step_done(b->db, st) != 0)
        goto fail;
    if (sqlite3_changes(st_db_handle(b->db)) == 0) {
        st_db_rollback(b->db); /* a replay of an event already queued */
        return;
    }
    id = sqlite3_last_insert_rowid(st_db_handle(b->db));
    if (!(st = st_db_stmt(b->db, ins_media)))
        goto fail;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, rq.mxc, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, rq.content_type, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, rq.name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, rq.caption, -1, SQLITE_STATIC);
    if (st_db_step_done(b->db, st) != 0 || st_db_commit(b->db) != 0)
        goto fail;
    out_step(b, id);
    return;
fail:
    ut_logf(&b->log, UT_LOG_ERROR, "bridge: cannot queue a file for Signal: %s", st_errmsg(b->db));
    st_db_rollback(b->db);
    br_notice(b, ev->room_id, "Not sent to Signal: the bridge could not store the file's details.");
}

void br_media_out_resume(br_bridge *b)
{
    sqlite3_stmt *st = NULL;

    /* Matrix -> Signal files not finished before the last stop. */
    if (sqlite3_prepare_v2(st_db_handle(b->db),
                           "SELECT outbox_id FROM br_media_out WHERE state < 3 ORDER BY outbox_id",
                           -1, &st, NULL) == SQLITE_OK) {
        int64_t ids[256];
        size_t n = 0, i;

        /* collect first: out_step reuses cached statements */
        while (n < sizeof(ids) / sizeof(ids[0]) && sqlite3_step(st) == SQLITE_ROW)
            ids[n++] = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        for (i = 0; i < n; i++)
            out_step(b, ids[i]);
    }
}
