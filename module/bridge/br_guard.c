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

#include "br_group.h"
#include "br_store.h"

int br_guard_blocked(br_bridge *b, const char *owner, const char *chat_id)
{
    if (!b->db || !owner || !chat_id)
        return 0;
    return br_store_blocked_exists(b->db, owner, chat_id) == 1;
}

void br_guard_chat(br_bridge *b, const br_net_event *ev)
{
    int blocked = ev->code == BR_NET_CHAT_BLOCKED;

    if (!ev->chat_id)
        return;
    if (br_store_blocked_set(b->db, ev->owner, ev->chat_id, blocked) == 1)
        ut_logf(&b->log, UT_LOG_INFO, "bridge: a Signal %s was %s on the phone",
                strncmp(ev->chat_id, "group:", 6) ? "chat" : "group",
                blocked ? "blocked" : "unblocked");
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
    char room[256], who[256] = "this contact";

    if (!ev->chat_id || !ev->sender ||
        br_portal_room(b, ev->owner, ev->chat_id, room, sizeof(room)) != 1) {
        /* no conversation to warn in yet: the first one starts with the new key */
        ut_logf(&b->log, UT_LOG_INFO, "bridge: a safety number changed for a chat without a portal");
        return;
    }
    br_store_puppet_display(b->db, ev->sender, who, sizeof(who)); /* else "this contact" */
    br_notice(b, room,
              "Your safety number with %s changed. This usually means they reinstalled Signal or "
              "got a new phone; if you did not expect it, compare safety numbers with them in "
              "Signal on your phone before sending anything sensitive.", who);
}
