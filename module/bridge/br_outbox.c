/*
 * br_outbox.c - Matrix -> Signal: the monthly limit of active Signal users,
 * and the outbox. A message event is written to br_outbox (unique by event
 * id), then handed to the Signal side; the result updates the row. Within
 * a chat, whatever follows a file waits until Signal answered for that
 * file (br_media_out.c), so Signal sees the order the user wrote.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "br_group.h"
#include "br_fmt.h"
#include "br_internal.h"

/* ---- monthly active Signal users ---------------------------------------- */

static void month_key(char *out, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m", &tm);
}

long br_usage_count(br_bridge *b)
{
    static const char sql[] = "SELECT count(*) FROM br_usage WHERE month = ?1";
    sqlite3_stmt *st = st_db_stmt(b->db, sql);
    char month[16];
    long n = 0;

    month_key(month, sizeof(month));
    if (!st)
        return 0;
    sqlite3_bind_text(st, 1, month, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = (long)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return n;
}

/* May this account send this month? Counts it when it is new. */
static int usage_admit(br_bridge *b, const char *aci)
{
    static const char has[] = "SELECT 1 FROM br_usage WHERE month = ?1 AND aci = ?2";
    static const char add[] = "INSERT INTO br_usage(month, aci) VALUES (?1, ?2)";
    sqlite3_stmt *st = st_db_stmt(b->db, has);
    char month[16];
    int known;

    month_key(month, sizeof(month));
    if (!st)
        return 0;
    sqlite3_bind_text(st, 1, month, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, aci, -1, SQLITE_STATIC);
    known = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    if (known)
        return 1;
    if (br_usage_count(b) >= b->cfg.max_signal_users) {
        ut_logf(&b->log, UT_LOG_WARN,
                "bridge: monthly limit reached (%ld Signal users active in %s); raise max_signal_users to let more users bridge",
                b->cfg.max_signal_users, month);
        return 0;
    }
    st = st_db_stmt(b->db, add);
    if (!st)
        return 0;
    sqlite3_bind_text(st, 1, month, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, aci, -1, SQLITE_STATIC);
    return st_db_step_done(b->db, st) == 0;
}

/* ---- Matrix -> Signal --------------------------------------------------- */

static void send_outbox(br_bridge *b, int64_t id, const char *owner,
                        const char *chat_id, const char *body)
{
    if (br_media_out_waiting(b, owner, chat_id, id)) {
        ut_logf(&b->log, UT_LOG_DEBUG, "bridge: message %lld waits behind a file", (long long)id);
        return; /* br_portal_release sends it */
    }
    if (br_group_refuse_send(b, id, chat_id))
        return;
    if (!b->have_net || br_fmt_send(b, owner, chat_id, body, id) != 0)
        ut_logf(&b->log, UT_LOG_WARN, "bridge: Signal side not available; message %lld stays queued", (long long)id);
}

void br_portal_release(br_bridge *b, const char *owner, const char *chat_id,
                       int64_t after)
{
    static const char sql[] =
        "SELECT o.id, o.body, m.outbox_id IS NOT NULL FROM br_outbox o"
        " LEFT JOIN br_media_out m ON m.outbox_id = o.id"
        " WHERE o.owner_mxid = ?1 AND o.chat_id = ?2 AND o.id > ?3"
        " AND (o.state = 0 OR (m.outbox_id IS NOT NULL AND m.state < 3)) ORDER BY o.id LIMIT 64";
    struct { int64_t id; char *body; int file; } q[64];
    sqlite3_stmt *st = NULL;
    size_t n = 0, i;
    char own[320], chat[128];

    /* copies: the caller's strings may live in rows we are about to change */
    snprintf(own, sizeof(own), "%s", owner);
    snprintf(chat, sizeof(chat), "%s", chat_id);
    if (sqlite3_prepare_v2(st_db_handle(b->db), sql, -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(st, 1, own, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, chat, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, after);
    while (n < 64 && sqlite3_step(st) == SQLITE_ROW) {
        q[n].id = sqlite3_column_int64(st, 0);
        q[n].file = sqlite3_column_int(st, 2);
        q[n].body = q[n].file ? NULL : strdup((const char *)sqlite3_column_text(st, 1));
        if (q[n].file || q[n].body)
            n++;
    }
    sqlite3_finalize(st);
    /* in order, up to and including the next file: what follows it waits
     * for that file's answer */
    for (i = 0; i < n; i++) {
        if (q[i].file) {
            br_media_out_kick(b, q[i].id);
            break;
        }
        send_outbox(b, q[i].id, own, chat, q[i].body);
    }
    for (i = 0; i < n; i++)
        free(q[i].body);
}

void br_portal_on_message(br_bridge *b, const mx_event *ev, const char *owner,
                          const char *chat_id)
{
    static const char ins[] =
        "INSERT INTO br_outbox(owner_mxid, room_id, chat_id, event_id, body)"
        " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(event_id) DO NOTHING";
    br_login *l = br_login_get(b, owner, 0);
    sqlite3_stmt *st;

    if (strcmp(ev->sender, owner) != 0) {
        /* only the user who linked the account acts through it */
        br_notice(b, ev->room_id, "Only %s can send to Signal from this room; your message was not bridged.", owner);
        return;
    }
    if (!ev->event_id || !ev->body || !ev->msgtype ||
        (strcmp(ev->msgtype, "m.text") && strcmp(ev->msgtype, "m.notice") &&
         strcmp(ev->msgtype, "m.emote") && !br_media_is_file_msgtype(ev->msgtype)))
        return;
    if (!l || !l->number || !l->aci) {
        br_notice(b, ev->room_id, "Not sent: this bridge is not linked to your Signal account. "
                                  "Send `link` to the bridge bot.");
        return;
    }
    if (!usage_admit(b, l->aci)) {
        br_notice(b, ev->room_id,
                  "Not sent: this bridge has reached its limit of %ld Signal users this month. "
                  "The administrator can raise max_signal_users.", b->cfg.max_signal_users);
        return;
    }
    if (br_media_is_file_msgtype(ev->msgtype)) {
        if (br_group_refuse_relation(b, ev->room_id, chat_id, "file"))
            return;
        l->last_activity_ms = ut_now_ms();
        br_media_from_matrix(b, ev, owner, chat_id);
        return;
    }
    st = st_db_stmt(b->db, ins);
    if (!st)
        return;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, ev->room_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, chat_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, ev->event_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, ev->body, -1, SQLITE_STATIC);
    if (st_db_step_done(b->db, st) != 0 || sqlite3_changes(st_db_handle(b->db)) == 0)
        return; /* a replay of an event we already queued */
    l->last_activity_ms = ut_now_ms();
    {   /* formatting, mentions, reply: stored beside the row (br_fmt.h) */
        int64_t id = sqlite3_last_insert_rowid(st_db_handle(b->db));
        br_fmt_store_out(b, id, owner, chat_id, ev);
        send_outbox(b, id, owner, chat_id, ev->body);
    }
}

void br_outbox_result(br_bridge *b, const br_net_event *ev)
{
    static const char get[] = "SELECT room_id FROM br_outbox WHERE id = ?1";
    static const char upd[] =
        "UPDATE br_outbox SET state = ?2, signal_ts = ?3, error = ?4 WHERE id = ?1";
    sqlite3_stmt *st = st_db_stmt(b->db, get);
    char room[256] = "";

    if (!st)
        return;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)ev->outbox_id);
    if (sqlite3_step(st) == SQLITE_ROW)
        snprintf(room, sizeof(room), "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    st = st_db_stmt(b->db, upd);
    if (st) {
        sqlite3_bind_int64(st, 1, (sqlite3_int64)ev->outbox_id);
        sqlite3_bind_int(st, 2, ev->code == 0 ? 1 : 2);
        sqlite3_bind_int64(st, 3, ev->ts);
        sqlite3_bind_text(st, 4, ev->text, -1, SQLITE_STATIC);
        st_db_step_done(b->db, st);
    }
    if (ev->code != 0 && *room) {
        const char *why = ev->code == BR_NET_ERR_RATE_LIMIT ? "Signal is rate-limiting this account; wait a while and send again"
                        : ev->code == BR_NET_ERR_UNREGISTERED ? "this person is no longer registered on Signal"
                        : ev->code == BR_NET_ERR_NETWORK ? "the Signal server could not be reached"
                        : ev->text ? ev->text : "an internal error";
        br_notice(b, room, "Your message was not delivered to Signal: %s.", why);
    }
}

void br_outbox_resume(br_bridge *b)
{
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(st_db_handle(b->db),
                           "SELECT id, owner_mxid, chat_id, body FROM br_outbox WHERE state = 0 ORDER BY id",
                           -1, &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW)
            send_outbox(b, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
                        (const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 3));
        sqlite3_finalize(st);
    }
}
