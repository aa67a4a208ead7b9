/*
 * br_guard.c - what the phone says about a chat that changes how the
 * bridge treats it: a group the user blocked (its messages, relations and
 * typing are dropped, as Signal's apps drop them) and a contact whose
 * safety number changed (one warning in their DM portal, before the
 * message that revealed it).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "br_group.h"

int br_guard_blocked(br_bridge *b, const char *owner, const char *chat_id)
{
    static const char sql[] = "SELECT 1 FROM br_blocked WHERE owner_mxid = ?1 AND chat_id = ?2";
    sqlite3_stmt *st;
    int r;

    if (!b->db || !owner || !chat_id || !(st = st_db_stmt(b->db, sql)))
        return 0;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, chat_id, -1, SQLITE_STATIC);
    r = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    return r;
}

void br_guard_chat(br_bridge *b, const br_net_event *ev)
{
    static const char ins[] =
        "INSERT INTO br_blocked(owner_mxid, chat_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING";
    static const char del[] = "DELETE FROM br_blocked WHERE owner_mxid = ?1 AND chat_id = ?2";
    int blocked = ev->code == BR_NET_CHAT_BLOCKED;
    sqlite3_stmt *st;

    if (!ev->chat_id)
        return;
    if ((st = st_db_stmt(b->db, blocked ? ins : del))) {
        sqlite3_bind_text(st, 1, ev->owner, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, ev->chat_id, -1, SQLITE_STATIC);
        if (st_db_step_done(b->db, st) == 0 && sqlite3_changes(st_db_handle(b->db)) > 0)
            ut_logf(&b->log, UT_LOG_INFO, "bridge: a Signal %s was %s on the phone",
                    strncmp(ev->chat_id, "group:", 6) ? "chat" : "group",
                    blocked ? "blocked" : "unblocked");
    }
    if (!blocked)
        br_group_open(b, ev->owner, ev->chat_id, ev->phone);
}

int br_guard_drop(br_bridge *b, const br_net_event *ev)
{
    if ((ev->kind != BR_NET_MESSAGE && ev->kind != BR_NET_RELATION &&
         ev->kind != BR_NET_TYPING) || !br_guard_blocked(b, ev->owner, ev->chat_id))
        return 0;
    /* nothing to keep: Signal may forget it */
    if (ev->durable_id && b->have_net && b->net.confirm)
        b->net.confirm(b->net.ctx, ev->owner, ev->durable_id);
    return 1;
}

void br_guard_identity(br_bridge *b, const br_net_event *ev)
{
    static const char sql[] =
        "SELECT coalesce(nullif(name, ''), phone) FROM br_puppet WHERE aci = ?1";
    char room[256], who[256] = "this contact";
    sqlite3_stmt *st;

    if (!ev->chat_id || !ev->sender ||
        br_portal_room(b, ev->owner, ev->chat_id, room, sizeof(room)) != 1) {
        /* no conversation to warn in yet: the first one starts with the new key */
        ut_logf(&b->log, UT_LOG_INFO, "bridge: a safety number changed for a chat without a portal");
        return;
    }
    if ((st = st_db_stmt(b->db, sql))) {
        sqlite3_bind_text(st, 1, ev->sender, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            snprintf(who, sizeof(who), "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_reset(st);
    }
    br_notice(b, room,
              "Your safety number with %s changed. This usually means they reinstalled Signal or "
              "got a new phone; if you did not expect it, compare safety numbers with them in "
              "Signal on your phone before sending anything sensitive.", who);
}
