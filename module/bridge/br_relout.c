/*
 * br_relout.c - Matrix -> Signal relations: the user's m.reaction,
 * redactions (of their reactions: remove; of their messages: delete for
 * everyone) and m.replace edits on bridged events, queued in br_relout
 * with the Signal timestamp they will carry, then sent. See br_relate.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "br_group.h"
#include "br_internal.h"
#include "br_relate.h"


static const char *col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

/* A message of the user's still in the outbox already has its Signal
 * timestamp (stored before the first send, br_outbox.c), so a reaction,
 * edit or deletion can target it now; the outbox sends it first, and
 * Signal clients also hold a relation that arrives before its target. */
static int queued_target(br_bridge *b, const char *owner, const char *event_id,
                         char *chat, size_t cn, char *author, size_t an, int64_t *ts)
{
    static const char sql[] = "SELECT chat_id, signal_ts FROM br_outbox WHERE owner_mxid = ?1"
                              " AND event_id = ?2 AND state IN (0, 3) AND signal_ts IS NOT NULL";
    sqlite3_stmt *st = st_db_stmt(b->db, sql);
    br_login *l = br_login_get(b, owner, 0);
    int found = 0;

    if (!st || !l || !l->aci)
        return 0;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, event_id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(chat, cn, "%s", col(st, 0));
        snprintf(author, an, "%s", l->aci);
        *ts = sqlite3_column_int64(st, 1);
        found = 1;
    }
    sqlite3_reset(st);
    return found;
}

/* Matrix event id -> Signal (chat, author, ts). */
static int target_of(br_bridge *b, const char *owner, const char *event_id,
                     char *chat, size_t cn, char *author, size_t an, int64_t *ts)
{
    static const char sql[] = "SELECT chat_id, author, ts FROM br_msgmap WHERE owner_mxid = ?1"
                              " AND event_id = ?2 LIMIT 1";
    sqlite3_stmt *st = st_db_stmt(b->db, sql);
    int found = 0;

    if (!st || !event_id)
        return 0;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, event_id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(chat, cn, "%s", col(st, 0));
        snprintf(author, an, "%s", col(st, 1));
        *ts = sqlite3_column_int64(st, 2);
        found = 1;
    }
    sqlite3_reset(st);
    if (!found)
        found = queued_target(b, owner, event_id, chat, cn, author, an, ts);
    return found;
}

static void send_relout(br_bridge *b, int64_t id, const char *owner, const char *chat_id,
                        const br_net_relation *rel)
{
    if (!b->have_net || !b->net.relate ||
        b->net.relate(b->net.ctx, owner, chat_id, rel, (uint64_t)id) != 0)
        ut_logf(&b->log, UT_LOG_WARN, "bridge: Signal side not available; %s %lld stays queued",
                br_relate_kind_name(rel->kind), (long long)id);
}

static void queue_relout(br_bridge *b, const mx_event *ev, const char *owner,
                         const char *chat_id, br_net_relation *rel)
{
    static const char ins[] =
        "INSERT INTO br_relout(owner_mxid, room_id, chat_id, event_id, kind, target_author,"
        " target_ts, text, remove, signal_ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        " ON CONFLICT(event_id) DO NOTHING";
    sqlite3_stmt *st = st_db_stmt(b->db, ins);
    br_login *l = br_login_get(b, owner, 0);

    if (!st)
        return;
    rel->ts = br_signal_ts_next(b); /* never one already used */
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, ev->room_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, chat_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, ev->event_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, rel->kind);
    sqlite3_bind_text(st, 6, rel->target_author, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, rel->target_ts);
    sqlite3_bind_text(st, 8, rel->text, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 9, rel->remove);
    sqlite3_bind_int64(st, 10, rel->ts);
    if (st_db_step_done(b->db, st) != 0 || sqlite3_changes(st_db_handle(b->db)) == 0)
        return; /* a replay of an event already queued */
    if (l)
        l->last_activity_ms = ut_now_ms();
    send_relout(b, sqlite3_last_insert_rowid(st_db_handle(b->db)), owner, chat_id, rel);
}

static void user_reaction(br_bridge *b, const mx_event *ev, const char *owner,
                          const char *pchat, br_login *l)
{
    static const char ins[] =
        "INSERT INTO br_reaction(owner_mxid, target_author, target_ts, reactor, emoji, room_id, event_id)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO UPDATE SET event_id = excluded.event_id";
    char chat[256], author[64];
    br_net_relation rel;
    sqlite3_stmt *st;

    if (ev->rel != MX_REL_ANNOTATION || !ev->rel_key || !*ev->rel_key || !ev->event_id ||
        !target_of(b, owner, ev->rel_event_id, chat, sizeof(chat), author, sizeof(author),
                   &rel.target_ts))
        return;
    st = st_db_stmt(b->db, ins);
    if (!st)
        return;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, author, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, rel.target_ts);
    sqlite3_bind_text(st, 4, l->aci, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, ev->rel_key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, ev->room_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, ev->event_id, -1, SQLITE_STATIC);
    if (st_db_step_done(b->db, st) != 0)
        return;
    rel.kind = BR_REL_REACTION;
    rel.target_author = author;
    rel.text = ev->rel_key;
    rel.remove = 0;
    (void)pchat;
    queue_relout(b, ev, owner, chat, &rel);
}

static void user_redaction(br_bridge *b, const mx_event *ev, const char *owner,
                           const char *pchat, br_login *l)
{
    static const char get[] =
        "SELECT target_author, target_ts, emoji FROM br_reaction WHERE owner_mxid = ?1"
        " AND event_id = ?2 AND reactor = ?3";
    static const char del[] = "DELETE FROM br_reaction WHERE owner_mxid = ?1 AND event_id = ?2";
    char chat[256], author[64] = "", emoji[128] = "";
    br_net_relation rel;
    sqlite3_stmt *st;
    int found = 0;

    if (!ev->redacts || !ev->event_id)
        return;
    memset(&rel, 0, sizeof(rel));
    st = st_db_stmt(b->db, get);
    if (!st)
        return;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, ev->redacts, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, l->aci, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(author, sizeof(author), "%s", col(st, 0));
        rel.target_ts = sqlite3_column_int64(st, 1);
        snprintf(emoji, sizeof(emoji), "%s", col(st, 2));
        found = 1;
    }
    sqlite3_reset(st);
    if (found) {
        /* the user took a reaction back */
        if ((st = st_db_stmt(b->db, del))) {
            sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, ev->redacts, -1, SQLITE_STATIC);
            st_db_step_done(b->db, st);
        }
        rel.kind = BR_REL_REACTION;
        rel.target_author = author;
        rel.text = emoji;
        rel.remove = 1;
        queue_relout(b, ev, owner, pchat, &rel);
        return;
    }
    /* a message of the user's own: delete it for everyone on Signal */
    if (!target_of(b, owner, ev->redacts, chat, sizeof(chat), author, sizeof(author),
                   &rel.target_ts) || strcmp(author, l->aci) != 0)
        return;
    rel.kind = BR_REL_DELETE;
    rel.target_author = author;
    queue_relout(b, ev, owner, chat, &rel);
}

static void user_edit(br_bridge *b, const mx_event *ev, const char *owner,
                      const char *pchat, br_login *l)
{
    char chat[256], author[64];
    br_net_relation rel;
    const char *body = br_relate_edit_body(ev->content);

    memset(&rel, 0, sizeof(rel));
    if (!body || !ev->event_id ||
        !target_of(b, owner, ev->rel_event_id, chat, sizeof(chat), author, sizeof(author),
                   &rel.target_ts) || strcmp(author, l->aci) != 0)
        return;
    (void)pchat;
    rel.kind = BR_REL_EDIT;
    rel.target_author = author;
    rel.text = body;
    queue_relout(b, ev, owner, chat, &rel);
}

/* A message of the user's still waiting to go out to Signal? */
static int still_queued(br_bridge *b, const char *event_id)
{
    sqlite3_stmt *st = st_db_stmt(b->db, "SELECT 1 FROM br_outbox WHERE event_id = ?1 AND state = 0 AND signal_ts IS NULL");
    int r;

    if (!st || !event_id)
        return 0;
    sqlite3_bind_text(st, 1, event_id, -1, SQLITE_STATIC);
    r = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    return r;
}

int br_relate_on_event(br_bridge *b, const mx_event *ev)
{
    char owner[320], chat[256];
    int is_msg = strcmp(ev->type, "m.room.message") == 0;
    br_login *l;

    if (!b->db || !br_room_owner(b, ev->room_id, owner, sizeof(owner), chat, sizeof(chat)))
        return 0;
    /* What we did as the user for their Signal devices (messages too):
     * sending it back would double it on Signal. */
    if (json_object_get(ev->content, BR_ORIGIN_KEY) ||
        (strcmp(ev->type, "m.room.redaction") == 0 &&
         json_string_value(json_object_get(ev->content, "reason")) &&
         strcmp(json_string_value(json_object_get(ev->content, "reason")), BR_REDACT_REASON) == 0))
        return 1;
    if (!(strcmp(ev->type, "m.reaction") == 0 || strcmp(ev->type, "m.room.redaction") == 0 ||
          (is_msg && ev->rel == MX_REL_REPLACE)))
        return 0;
    if (strcmp(ev->sender, owner) != 0)
        return is_msg ? 0 : 1; /* the portal's message path says who may send */
    l = br_login_get(b, owner, 0);
    if (!l || !l->aci)
        return is_msg ? 0 : 1;
    if (br_group_refuse_relation(b, ev->room_id, chat,
                                 is_msg ? "edit" : strcmp(ev->type, "m.reaction") == 0 ? "reaction"
                                                                                      : "deletion"))
        return 1;
    if (still_queued(b, is_msg || strcmp(ev->type, "m.reaction") == 0 ? ev->rel_event_id
                                                                     : ev->redacts)) {
        /* a file whose Signal timestamp is not known yet: nothing to target */
        br_notice(b, ev->room_id, "Your %s was not sent to Signal: the message it refers to has not "
                                  "reached Signal yet. Try again in a moment.",
                  is_msg ? "edit" : strcmp(ev->type, "m.reaction") == 0 ? "reaction" : "deletion");
        return 1;
    }
    if (strcmp(ev->type, "m.reaction") == 0)
        user_reaction(b, ev, owner, chat, l);
    else if (!is_msg)
        user_redaction(b, ev, owner, chat, l);
    else
        user_edit(b, ev, owner, chat, l);
    return 1;
}

void br_relout_result(br_bridge *b, br_net_event *ev)
{
    static const char get[] = "SELECT room_id, kind FROM br_relout WHERE id = ?1";
    static const char upd[] = "UPDATE br_relout SET state = ?2, error = ?3 WHERE id = ?1";
    sqlite3_stmt *st = st_db_stmt(b->db, get);
    char room[256] = "";
    int kind = 0;

    if (!st)
        return;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)ev->outbox_id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(room, sizeof(room), "%s", col(st, 0));
        kind = sqlite3_column_int(st, 1);
    }
    sqlite3_reset(st);
    if (ev->code != 0 && BR_NET_ERR_TRANSIENT(ev->code)) {
        /* not sent, but it may be: stays queued for the next connection
         * (br_relout_online), with its stored timestamp */
        ut_logf(&b->log, UT_LOG_INFO, "bridge: %s %llu not sent yet (%s); waits for the connection",
                br_relate_kind_name(kind), (unsigned long long)ev->outbox_id, ev->text ? ev->text : "offline");
        return;
    }
    if ((st = st_db_stmt(b->db, upd))) {
        sqlite3_bind_int64(st, 1, (sqlite3_int64)ev->outbox_id);
        sqlite3_bind_int(st, 2, ev->code == 0 ? 1 : 2);
        sqlite3_bind_text(st, 3, ev->text, -1, SQLITE_STATIC);
        st_db_step_done(b->db, st);
    }
    if (ev->code != 0 && *room)
        br_notice(b, room, "Your %s was not delivered to Signal: %s.", br_relate_kind_name(kind),
                  ev->code == BR_NET_ERR_RATE_LIMIT ? "Signal is rate-limiting this account"
                  : ev->code == BR_NET_ERR_UNREGISTERED ? "this person is no longer registered on Signal"
                  : ev->code == BR_NET_ERR_NETWORK ? "the Signal server could not be reached"
                  : ev->text ? ev->text : "an internal error");
}

/* Queued Matrix -> Signal relations (of one owner, or all when NULL) go
 * out at start and again whenever the account connects. */
static void resend(br_bridge *b, const char *owner)
{
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(st_db_handle(b->db),
                           "SELECT id, owner_mxid, chat_id, kind, target_author, target_ts, text, remove,"
                           " signal_ts FROM br_relout WHERE state = 0 AND (?1 IS NULL OR owner_mxid = ?1)"
                           " ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW) {
        br_net_relation rel;
        rel.kind = sqlite3_column_int(st, 3);
        rel.target_author = col(st, 4);
        rel.target_ts = sqlite3_column_int64(st, 5);
        rel.text = sqlite3_column_type(st, 6) == SQLITE_NULL ? NULL : col(st, 6);
        rel.remove = sqlite3_column_int(st, 7);
        rel.ts = sqlite3_column_int64(st, 8);
        send_relout(b, sqlite3_column_int64(st, 0), col(st, 1), col(st, 2), &rel);
    }
    sqlite3_finalize(st);
}

void br_relout_resume(br_bridge *b)
{
    resend(b, NULL);
}

void br_relout_online(br_bridge *b, const char *owner)
{
    resend(b, owner);
}
