/*
 * br_ephem.c - read receipts and typing, both ways. Nothing here is
 * stored: a lost receipt or typing notice is harmless, a late one is not
 * worth replaying.
 *
 * Signal -> Matrix: a read receipt from the chat's peer marks the user's
 * latest bridged message at or before it as read by the peer's ghost; the
 * phone's read sync marks the peer's messages read by the user (double
 * puppeting); typing makes the ghost type. Matrix -> Signal: the user's
 * m.read in a portal sends a Signal read receipt for the peer's messages
 * up to that event (those not receipted yet in this run) and a read sync
 * to the phone; the user's typing goes out as typing started/stopped.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "br_expire.h"
#include "br_group.h"
#include "br_internal.h"
#include "br_relate.h"
#include "br_store.h"

#define TYPING_TIMEOUT_MS 15000
#define MAX_RECEIPTS 50

/* What this run told Signal about one portal. */
typedef struct br_pstate {
    char *room_id;
    int typing;
    int64_t read_ts;
    /* a peer's receipt for a message whose send result is not in yet */
    char *wait_owner, *wait_chat, *wait_from;
    int64_t wait_ts;
    int wait_tries;
    struct br_pstate *next;
} br_pstate;

#define RECEIPT_RETRY_MS 500
#define RECEIPT_TRIES 20

static void wait_clear(br_pstate *p)
{
    free(p->wait_owner);
    free(p->wait_chat);
    free(p->wait_from);
    p->wait_owner = p->wait_chat = p->wait_from = NULL;
    p->wait_tries = 0;
}

static br_pstate *pstate(br_bridge *b, const char *room_id)
{
    br_pstate *p;

    for (p = b->pstate; p; p = p->next)
        if (strcmp(p->room_id, room_id) == 0)
            return p;
    if (!(p = calloc(1, sizeof(*p))) || !(p->room_id = strdup(room_id))) {
        free(p);
        return NULL;
    }
    p->next = b->pstate;
    b->pstate = p;
    return p;
}

void br_ephem_free(br_bridge *b)
{
    br_pstate *p;

    if (b->ephem_timer)
        b->host->timer_cancel(b->host->host, b->ephem_timer);
    b->ephem_timer = 0;
    while ((p = b->pstate)) {
        b->pstate = p->next;
        wait_clear(p);
        free(p->room_id);
        free(p);
    }
}

/* ---- Signal -> Matrix ------------------------------------------------------ */

/* The user read these on the phone: mark them read as the user (double
 * puppeting only), and remember it so the echo is not sent back. */
static void on_phone_read(br_bridge *b, const br_net_event *ev)
{
    char room[256], event[256] = "";
    br_pstate *p;

    if (!b->cfg.double_puppet || !ev->chat_id || !ev->sender ||
        br_portal_room(b, ev->owner, ev->chat_id, room, sizeof(room)) != 1)
        return;
    if (br_store_msgmap_by_author_before(b->db, ev->owner, ev->chat_id, ev->sender, ev->ts,
                                         event, sizeof(event)) != 1 || !*event)
        return;
    if ((p = pstate(b, room)) && ev->ts > p->read_ts)
        p->read_ts = ev->ts;
    mx_receipt(b->mx, ev->owner, room, event, NULL, NULL);
}

static int latest_mine(br_bridge *b, const char *owner, const char *chat, const char *me,
                       int64_t ts, int exact, char *event, size_t n)
{
    return (exact ? br_store_msgmap_by_author_at : br_store_msgmap_by_author_before)(
               b->db, owner, chat, me, ts, event, n) == 1;
}

static int sends_pending(br_bridge *b, const char *owner, const char *chat)
{
    return br_store_outbox_pending(b->db, owner, chat) == 1;
}

/* 1 when done (marked, or nothing to mark), 0 to try again later: the
 * receipted message may be one whose send result has not arrived yet. */
static int apply_receipt(br_bridge *b, const char *owner, const char *chat, const char *room,
                         const char *from, int64_t ts, int last_try)
{
    br_login *l = br_login_get(b, owner, 0);
    char as[320], event[256];

    if (!l || !l->aci || br_puppet_mxid(b, from, as, sizeof(as)) != 0)
        return 1;
    if (!latest_mine(b, owner, chat, l->aci, ts, 1, event, sizeof(event))) {
        if (!last_try && sends_pending(b, owner, chat))
            return 0;
        if (!latest_mine(b, owner, chat, l->aci, ts, 0, event, sizeof(event)))
            return 1;
    }
    mx_receipt(b->mx, as, room, event, NULL, NULL);
    return 1;
}

static void on_receipt_timer(void *arg)
{
    br_bridge *b = arg;
    br_pstate *p;
    int again = 0;

    b->ephem_timer = 0;
    if (b->stopping || !b->db)
        return;
    for (p = b->pstate; p; p = p->next) {
        if (!p->wait_from)
            continue;
        if (apply_receipt(b, p->wait_owner, p->wait_chat, p->room_id, p->wait_from, p->wait_ts,
                          ++p->wait_tries >= RECEIPT_TRIES))
            wait_clear(p);
        else
            again = 1;
    }
    if (again)
        b->ephem_timer = b->host->timer_add(b->host->host, RECEIPT_RETRY_MS, on_receipt_timer, b);
}

/* A member's receipt for the user's message in a group: Signal sends
 * receipts one to one, so the group is the one the message was in. 1 when
 * it was a group's (handled), 0 to treat it as the DM's. */
static int group_receipt(br_bridge *b, const br_net_event *ev)
{
    br_login *l = br_login_get(b, ev->owner, 0);
    char chat[256] = "", room[256];

    if (!l || !l->aci ||
        br_store_msgmap_group_of(b->db, ev->owner, l->aci, ev->ts, chat, sizeof(chat)) != 1 ||
        !*chat)
        return 0;
    /* a member who never wrote is brought in; that receipt itself is lost */
    if (br_portal_room(b, ev->owner, chat, room, sizeof(room)) == 1 &&
        br_group_sender_ready(b, ev->owner, chat, room, ev->sender))
        apply_receipt(b, ev->owner, chat, room, ev->sender, ev->ts, 1);
    return 1;
}

static void on_receipt(br_bridge *b, const br_net_event *ev)
{
    char room[256];
    br_pstate *p;

    if (!ev->chat_id || !ev->sender || group_receipt(b, ev))
        return;
    if (!ev->chat_id || !ev->sender || br_portal_room(b, ev->owner, ev->chat_id, room, sizeof(room)) != 1 ||
        apply_receipt(b, ev->owner, ev->chat_id, room, ev->sender, ev->ts, 0) || !(p = pstate(b, room)))
        return;
    if (p->wait_from && p->wait_ts >= ev->ts)
        return;
    wait_clear(p);
    p->wait_owner = strdup(ev->owner);
    p->wait_chat = strdup(ev->chat_id);
    p->wait_from = strdup(ev->sender);
    p->wait_ts = ev->ts;
    if (!p->wait_owner || !p->wait_chat || !p->wait_from) {
        wait_clear(p);
        return;
    }
    if (!b->ephem_timer)
        b->ephem_timer = b->host->timer_add(b->host->host, RECEIPT_RETRY_MS, on_receipt_timer, b);
}

static void on_typing(br_bridge *b, const br_net_event *ev)
{
    char room[256], as[320];

    if (!ev->chat_id || !ev->sender || br_portal_room(b, ev->owner, ev->chat_id, room, sizeof(room)) != 1 ||
        br_puppet_mxid(b, ev->sender, as, sizeof(as)) != 0)
        return;
    /* in a group, a member who never wrote joins first (this notice is lost) */
    if (strncmp(ev->chat_id, "group:", 6) == 0 &&
        !br_group_sender_ready(b, ev->owner, ev->chat_id, room, ev->sender))
        return;
    mx_typing(b->mx, as, room, ev->code != 0, TYPING_TIMEOUT_MS, NULL, NULL);
}

void br_ephem_net_event(br_bridge *b, const br_net_event *ev)
{
    if (b->db && ev->kind == BR_NET_RECEIPT && ev->from_me)
        br_expire_read_phone(b, ev); /* their countdown starts (br_expire.h) */
    if (b->db && ev->kind == BR_NET_RECEIPT && ev->from_me)
        on_phone_read(b, ev);
    else if (b->db && ev->kind == BR_NET_RECEIPT)
        on_receipt(b, ev);
    else if (b->db && ev->kind == BR_NET_TYPING)
        on_typing(b, ev);
}

/* ---- Matrix -> Signal ------------------------------------------------------ */

/* In a group, Signal sends read receipts one to one, to each author:
 * one receipt (and read sync) per member whose messages were read. */
static void group_read(br_bridge *b, const char *owner, const char *chat, br_pstate *p,
                       const char *event_id)
{
    int64_t ts[MAX_RECEIPTS], newest = 0;
    char who[64] = "", dm[80];
    br_store_inbox_row *rows;
    size_t n = 0, nrows, i = 0;
    int more;

    /* the whole list first: the receipts go out while it is walked */
    if (!b->have_net || !b->net.read ||
        br_store_inbox_unread_rows(b->db, owner, chat, event_id, p->read_ts, &rows, &nrows) != 0)
        return;
    do {
        const char *sender = NULL;
        more = i < nrows;
        if (more)
            sender = rows[i++].sender;
        if (n && (!more || strcmp(sender, who) != 0)) { /* one author done */
            snprintf(dm, sizeof(dm), "dm:%s", who);
            (void)b->net.read(b->net.ctx, owner, dm, ts, n);
            n = 0;
        }
        if (!more || !sender)
            continue;
        if (n == 0)
            snprintf(who, sizeof(who), "%s", sender);
        if (n < MAX_RECEIPTS)
            ts[n++] = rows[i - 1].ts;
        if (rows[i - 1].ts > newest)
            newest = rows[i - 1].ts;
    } while (more);
    br_store_inbox_rows_free(rows, nrows);
    if (newest > p->read_ts)
        p->read_ts = newest;
}

static void user_read(br_bridge *b, const char *owner, const char *chat, br_pstate *p,
                      const char *event_id)
{
    int64_t ts[MAX_RECEIPTS];
    size_t n = 0;

    br_expire_read_matrix(b, owner, chat, event_id); /* countdowns start (br_expire.h) */
    if (strncmp(chat, "group:", 6) == 0) {
        group_read(b, owner, chat, p, event_id);
        return;
    }
    /* newest first; on an error, what was read before it */
    (void)br_store_inbox_unread_ts(b->db, owner, chat, event_id, p->read_ts, ts, MAX_RECEIPTS, &n);
    if (n == 0 || !b->have_net || !b->net.read)
        return;
    if (b->net.read(b->net.ctx, owner, chat, ts, n) == 0)
        p->read_ts = ts[0]; /* newest first */
}

static void on_receipt_edu(br_bridge *b, json_t *content, const char *owner,
                           const char *chat, br_pstate *p)
{
    const char *event_id;
    json_t *v;

    json_object_foreach(content, event_id, v) {
        json_t *who = json_object_get(json_object_get(v, "m.read"), owner);
        if (json_is_object(who))
            user_read(b, owner, chat, p, event_id);
    }
}

void br_ephem_on_matrix(br_bridge *b, const char *json, size_t len)
{
    json_t *root, *content;
    const char *type, *room;
    char owner[320], chat[256];
    br_pstate *p;

    if (b->stopping || !b->db || len > MX_EVENT_MAX_BYTES ||
        !(root = json_loadb(json, len, 0, NULL)))
        return;
    type = json_string_value(json_object_get(root, "type"));
    room = json_string_value(json_object_get(root, "room_id"));
    content = json_object_get(root, "content");
    if (!type || !room || !json_is_object(content) ||
        !br_room_owner(b, room, owner, sizeof(owner), chat, sizeof(chat)) ||
        !br_access_ok(b, owner) || /* typing, receipts: not for users without access */
        !br_login_get(b, owner, 0) || !(p = pstate(b, room)))
        goto out;
    if (strcmp(type, "m.typing") == 0) {
        json_t *ids = json_object_get(content, "user_ids"), *u;
        size_t i;
        int typing = 0;

        json_array_foreach(ids, i, u)
            typing |= json_is_string(u) && strcmp(json_string_value(u), owner) == 0;
        if (typing != p->typing && b->have_net && b->net.typing &&
            b->net.typing(b->net.ctx, owner, chat, typing) == 0)
            p->typing = typing;
    } else if (strcmp(type, "m.receipt") == 0) {
        on_receipt_edu(b, content, owner, chat, p);
    }
out:
    json_decref(root);
}
