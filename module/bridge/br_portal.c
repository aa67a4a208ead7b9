/*
 * br_portal.c - portals (one room per Signal chat per user), puppets
 * (Signal users as ghosts), and messages both ways.
 *
 * Signal -> Matrix: the message is written to br_inbox, then confirmed to
 * the Signal side (which acks the server), then sent into the room with a
 * transaction id derived from (sender, timestamp), so a replay after a crash
 * cannot duplicate it; the event id is recorded when the homeserver answers.
 * Matrix -> Signal is br_outbox.c.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "br_conv.h"
#include "br_group.h"
#include "br_fmt.h"
#include "br_expire.h"
#include "br_internal.h"
#include "br_phone.h"
#include "br_prov.h"
#include "br_relate.h"
#include "br_store.h"
#include "br_txn.h"

#define FAIL_NOTICE_DELAY_MS 3000

/* A Signal message we could not store (not confirmed to the Signal side,
 * which keeps it): stored again on the retry timer. */
typedef struct inbox_pending {
    br_net_event *ev;
    struct inbox_pending *next;
} inbox_pending;

/* A reply waits until the message it quotes, stored in the same chat and
 * older, has its Matrix event (then it becomes m.in_reply_to, not a quoted
 * line): the phone's history at link, for one, arrives faster than the
 * homeserver answers. The rows after it in the chat wait too, to keep the
 * room in order. One entry per quoted message; when its event is known
 * (on_bridged) the chat is flushed from it on. An entry older than
 * REPLY_WAIT_MS no longer holds anything (the quoted message is stuck:
 * the reply goes with the quote as text), and a hold arms the inbox
 * timer so the chat is flushed again in any case. In memory only: at a
 * start every unbridged row is flushed oldest first anyway. */
#define REPLY_WAITS_MAX 4096
#define REPLY_WAIT_MS 10000
typedef struct reply_wait {
    char *owner, *chat_id, *author;
    int64_t ts, since_ms;
    struct reply_wait *next;
} reply_wait;

static void inbox_retry_later(br_bridge *b);

static void reply_wait_free(reply_wait *w)
{
    free(w->owner);
    free(w->chat_id);
    free(w->author);
    free(w);
}

/* Drop the chat's entries that waited too long; 1 when one is left for a
 * message older than `ts` (the quoted message itself never waits). */
static int chat_waits(br_bridge *b, const char *owner, const char *chat_id, int64_t ts)
{
    reply_wait **pp = &b->reply_waits, *w;
    int64_t now = ut_now_ms();
    int left = 0;

    while ((w = *pp)) {
        if (strcmp(w->owner, owner) != 0 || strcmp(w->chat_id, chat_id) != 0) {
            pp = &w->next;
        } else if (now - w->since_ms >= REPLY_WAIT_MS) {
            *pp = w->next;
            reply_wait_free(w);
            b->n_reply_waits--;
        } else {
            left |= w->ts < ts;
            pp = &w->next;
        }
    }
    return left;
}

/* 1 when the row (sender, ts) waits: it is a reply to a message of its
 * chat that is stored and not yet bridged, or an earlier reply waits. */
static int reply_held(br_bridge *b, const char *owner, const char *chat_id,
                      const char *sender, int64_t ts)
{
    char author[37];
    int64_t qts = 0;
    reply_wait *w;
    int held = chat_waits(b, owner, chat_id, ts);

    if (!held && br_fmt_quote_in(b, owner, sender, ts, author, &qts) == 1 && qts < ts &&
        br_store_inbox_waiting(b->db, owner, chat_id, author, qts) == 1 &&
        b->n_reply_waits < REPLY_WAITS_MAX && (w = calloc(1, sizeof(*w)))) {
        if (!(w->owner = strdup(owner)) || !(w->chat_id = strdup(chat_id)) ||
            !(w->author = strdup(author))) {
            reply_wait_free(w);
            return 0; /* it goes now, with the quote as text */
        }
        w->ts = qts;
        w->since_ms = ut_now_ms();
        w->next = b->reply_waits;
        b->reply_waits = w;
        b->n_reply_waits++;
        held = 1;
    }
    if (held)
        inbox_retry_later(b);
    return held;
}

/* A chat's read marker from the phone's history, waiting for its
 * message's event; one per chat (a newer one replaces it). */
#define READ_WAITS_MAX 4096
typedef struct read_wait {
    char *owner, *chat_id, *sender;
    int64_t ts;
    struct read_wait *next;
} read_wait;

static void read_wait_free(read_wait *w)
{
    free(w->owner);
    free(w->chat_id);
    free(w->sender);
    free(w);
}

static void read_waits_free(br_bridge *b)
{
    read_wait *w;

    while ((w = b->read_waits)) {
        b->read_waits = w->next;
        read_wait_free(w);
    }
}

void br_portal_read_marker(br_bridge *b, const char *owner, const char *chat_id,
                           const char *sender, int64_t ts)
{
    char room[256], event[256] = "";
    read_wait *w, **pp;
    size_t n = 0;

    if (!b->cfg.double_puppet || !b->db)
        return; /* the user's own markers: only when acting as the user */
    if (br_portal_room(b, owner, chat_id, room, sizeof(room)) == 1 &&
        br_store_msgmap_by_author_at(b->db, owner, chat_id, sender, ts, event, sizeof(event)) == 1 &&
        *event) {
        mx_read_markers(b->mx, owner, room, event, NULL, NULL);
        return;
    }
    for (pp = &b->read_waits; (w = *pp); n++) {
        if (strcmp(w->owner, owner) == 0 && strcmp(w->chat_id, chat_id) == 0) {
            *pp = w->next;
            read_wait_free(w);
        } else {
            pp = &w->next;
        }
    }
    if (n >= READ_WAITS_MAX || !(w = calloc(1, sizeof(*w))))
        return;
    if (!(w->owner = strdup(owner)) || !(w->chat_id = strdup(chat_id)) ||
        !(w->sender = strdup(sender))) {
        read_wait_free(w);
        return;
    }
    w->ts = ts;
    w->next = b->read_waits;
    b->read_waits = w;
}

/* The message (sender, ts) in `room` has its event: the read marker that
 * waited for it. */
static void read_release(br_bridge *b, const char *owner, const char *chat_id,
                         const char *sender, int64_t ts, const char *room, const char *event)
{
    read_wait **pp = &b->read_waits, *w;

    while ((w = *pp)) {
        if (w->ts == ts && strcmp(w->sender, sender) == 0 && strcmp(w->owner, owner) == 0 &&
            strcmp(w->chat_id, chat_id) == 0) {
            *pp = w->next;
            read_wait_free(w);
            mx_read_markers(b->mx, owner, room, event, NULL, NULL);
        } else {
            pp = &w->next;
        }
    }
}

/* The message (sender, ts) has its event: 1 when a reply waited for it
 * (the caller flushes the chat). */
static int reply_release(br_bridge *b, const char *owner, const char *chat_id,
                         const char *sender, int64_t ts)
{
    reply_wait **pp = &b->reply_waits, *w;
    int found = 0;

    while ((w = *pp)) {
        if (w->ts == ts && strcmp(w->author, sender) == 0 && strcmp(w->owner, owner) == 0 &&
            strcmp(w->chat_id, chat_id) == 0) {
            *pp = w->next;
            reply_wait_free(w);
            b->n_reply_waits--;
            found = 1;
        } else {
            pp = &w->next;
        }
    }
    return found;
}

static void bridge_inbox_row(br_bridge *b, const char *owner,
                             const char *chat_id, const char *sender,
                             int64_t ts, int from_me, const char *body);

static int dm_name(br_bridge *b, const char *aci, char *out, size_t n);
static int dm_avatar(br_bridge *b, const char *aci, char *out, size_t n);

/* ---- portals ------------------------------------------------------------ */

/* The portal's room: 1 ready (room filled in), 0 absent, -1 being made. */
static int portal_room(br_bridge *b, const char *owner, const char *chat_id,
                       char *room, size_t n)
{
    int r = br_store_portal_get(b->db, owner, chat_id, room, n);

    return r == 2 ? -1 : r == 1 ? 1 : 0;
}

typedef struct portal_ctx {
    br_bridge *b;
    char *owner, *chat_id, *creator;
    char *named; /* a DM's name in its createRoom, or NULL */
    char *avatar; /* a DM's m.room.avatar url in its createRoom, or NULL */
} portal_ctx;

static void portal_ctx_free(portal_ctx *p)
{
    free(p->owner);
    free(p->chat_id);
    free(p->creator);
    free(p->named);
    free(p->avatar);
    free(p);
}

/* m.direct lives in the user's account data: only writable as the user,
 * i.e. where the host lets this module act for local users. Updating it is
 * a read-modify-write of the whole map, so two at once lose one: per user,
 * one update is in flight, and what arrives meanwhile is queued and merged
 * into the next. */
typedef struct direct_add {
    char *peer, *room;
    struct direct_add *next;
} direct_add;

typedef struct direct_user {
    char *owner;
    int busy;                 /* a GET or PUT is in flight */
    direct_add *queued;       /* waiting for the next round */
    direct_add *sending;      /* in the PUT in flight */
    struct direct_user *next;
} direct_user;

struct br_direct {
    direct_user *users;
};

typedef struct direct_ctx {
    br_bridge *b;
    char *owner;
} direct_ctx;

static void direct_adds_free(direct_add *a)
{
    direct_add *n;

    for (; a; a = n) {
        n = a->next;
        free(a->peer);
        free(a->room);
        free(a);
    }
}

static direct_user *direct_user_get(br_bridge *b, const char *owner)
{
    direct_user *u;

    if (!b->direct && !(b->direct = calloc(1, sizeof(*b->direct))))
        return NULL;
    for (u = b->direct->users; u; u = u->next)
        if (!strcmp(u->owner, owner))
            return u;
    if (!(u = calloc(1, sizeof(*u))) || !(u->owner = strdup(owner))) {
        free(u);
        return NULL;
    }
    u->next = b->direct->users;
    b->direct->users = u;
    return u;
}

static void direct_round(br_bridge *b, direct_user *u);

static void on_direct_written(void *arg, int status, json_t *body)
{
    direct_ctx *d = arg;
    direct_user *u = d->b->stopping ? NULL : direct_user_get(d->b, d->owner);

    (void)body;
    if (u) {
        if (status != 200) {
            ut_logf(&d->b->log, UT_LOG_WARN, "bridge: updating m.direct failed (HTTP %d)", status);
        }
        direct_adds_free(u->sending);
        u->sending = NULL;
        u->busy = 0;
        if (u->queued)
            direct_round(d->b, u);
    }
    free(d->owner);
    free(d);
}

static void on_direct_read(void *arg, int status, json_t *body)
{
    direct_ctx *d = arg;
    direct_user *u = d->b->stopping ? NULL : direct_user_get(d->b, d->owner);
    json_t *content = status == 200 && json_is_object(body) ? json_deep_copy(body) : json_object();
    json_t *list;
    direct_add *a;
    size_t i;
    int rc = UT_ERR_NOMEM;

    if (u && content) {
        /* everything queued so far goes into this one write */
        for (a = u->sending; a; a = a->next) {
            list = json_object_get(content, a->peer);
            if (!json_is_array(list)) {
                list = json_array();
                json_object_set_new(content, a->peer, list);
            }
            for (i = 0; i < json_array_size(list); i++)
                if (!strcmp(json_string_value(json_array_get(list, i)) ? json_string_value(json_array_get(list, i)) : "", a->room))
                    break;
            if (i == json_array_size(list))
                json_array_append_new(list, json_string(a->room));
        }
        rc = d->b->stopping ? UT_ERR_INVAL : mx_account_data_put(d->b->mx, d->owner, NULL, "m.direct", content, on_direct_written, d);
    }
    json_decref(content);
    if (rc != 0) {
        if (u) {
            direct_adds_free(u->sending);
            u->sending = NULL;
            u->busy = 0;
        }
        free(d->owner);
        free(d);
    }
}

static void direct_round(br_bridge *b, direct_user *u)
{
    direct_ctx *d = calloc(1, sizeof(*d));

    if (!d || !(d->owner = strdup(u->owner))) {
        free(d);
        return;
    }
    d->b = b;
    u->busy = 1;
    u->sending = u->queued;
    u->queued = NULL;
    if (mx_account_data_get(b->mx, u->owner, "m.direct", on_direct_read, d) != 0) {
        direct_adds_free(u->sending);
        u->sending = NULL;
        u->busy = 0;
        free(d->owner);
        free(d);
    }
}

static void mark_direct(br_bridge *b, const char *owner, const char *peer,
                        const char *room)
{
    direct_user *u;
    direct_add *a, **tail;

    if (!b->cfg.double_puppet || !(u = direct_user_get(b, owner)))
        return;
    if (!(a = calloc(1, sizeof(*a))) || !(a->peer = strdup(peer)) || !(a->room = strdup(room))) {
        direct_adds_free(a);
        return;
    }
    for (tail = &u->queued; *tail; tail = &(*tail)->next)
        ;
    *tail = a;
    if (!u->busy)
        direct_round(b, u);
}

void br_portal_stop(br_bridge *b)
{
    direct_user *u;

    inbox_pending *p;

    if (b->inbox_timer)
        b->host->timer_cancel(b->host->host, b->inbox_timer);
    b->inbox_timer = 0;
    while ((p = b->inbox_pending)) {
        b->inbox_pending = p->next;
        br_net_event_free(p->ev);
        free(p);
    }
    while (b->reply_waits) {
        reply_wait *w = b->reply_waits;
        b->reply_waits = w->next;
        reply_wait_free(w);
    }
    b->n_reply_waits = 0;
    read_waits_free(b);
    while (b->direct && (u = b->direct->users)) {
        b->direct->users = u->next;
        direct_adds_free(u->queued);
        direct_adds_free(u->sending);
        free(u->owner);
        free(u);
    }
    free(b->direct);
    b->direct = NULL;
}

/* Bridge a chat's stored messages not yet in Matrix, from `from_ts` on. */
static void flush_from(br_bridge *b, const char *owner, const char *chat_id, int64_t from_ts)
{
    br_store_inbox_msg *v;
    size_t n, i;

    if (br_store_inbox_unbridged(b->db, owner, chat_id, from_ts, &v, &n) != 0)
        return;
    for (i = 0; i < n; i++)
        bridge_inbox_row(b, owner, chat_id, v[i].sender, v[i].ts, v[i].from_me, v[i].body);
    br_store_inbox_msgs_free(v, n);
}

static void flush_inbox(br_bridge *b, const char *owner, const char *chat_id)
{
    flush_from(b, owner, chat_id, INT64_MIN);
}

/* Every chat with messages stored but not in Matrix yet (the same txn ids:
 * a row still in flight is not doubled). */
static void flush_all(br_bridge *b)
{
    br_store_chat *v;
    size_t n, i;

    if (br_store_inbox_unbridged_chats(b->db, &v, &n) != 0)
        return;
    for (i = 0; i < n; i++)
        flush_inbox(b, v[i].owner, v[i].chat_id);
    br_store_chats_free(v, n);
}

void br_portal_flush(br_bridge *b, const char *owner, const char *chat_id)
{
    flush_inbox(b, owner, chat_id);
}

/* The portal exists and its members are in: bridge what waited for it. */
static void on_portal_ready(void *arg, int status, json_t *body)
{
    portal_ctx *p = arg;

    (void)body;
    if (status != 200)
        ut_logf(&p->b->log, UT_LOG_WARN, "bridge: joining a new portal as its owner failed (HTTP %d)", status);
    flush_inbox(p->b, p->owner, p->chat_id);
    portal_ctx_free(p);
}

static void on_portal_created(void *arg, int status, json_t *body)
{
    portal_ctx *p = arg;
    br_bridge *b = p->b;
    const char *room = json_string_value(json_object_get(body, "room_id"));

    /* a row whose write is queued flushes the inbox when stored */
    if (status == 200 && room)
        br_room_save_portal(b, p->owner, p->chat_id, room, br_portal_flush);
    else
        br_room_drop_portal(b, p->owner, p->chat_id);
    br_prov_portal_ready(b, p->owner, p->chat_id, status == 200 ? room : NULL);
    if (status != 200 || !room) {
        char mgmt[256];
        ut_logf(&b->log, UT_LOG_WARN, "bridge: creating a portal failed (HTTP %d)", status);
        if (br_mgmt_room(b, p->owner, mgmt, sizeof(mgmt)))
            br_notice(b, mgmt, "Could not create a room for a Signal chat (HTTP %d); "
                               "it will be retried with the next message.", status);
        portal_ctx_free(p);
        return;
    }
    /* The bot sits in every portal, so its notices (send failures, the
     * monthly limit, decryption failures) reach the user there. */
    mx_membership(b->mx, b->bot, room, "join", NULL, NULL, NULL, NULL);
    mark_direct(b, p->owner, p->creator, room);
    {
        /* the contact's name arrived while the room was being made */
        char now[256];
        json_t *c;
        if (!strncmp(p->chat_id, "dm:", 3) && dm_name(b, p->chat_id + 3, now, sizeof(now)) &&
            (!p->named || strcmp(p->named, now)) && (c = json_pack("{s:s}", "name", now))) {
            mx_state(b->mx, p->creator, room, "m.room.name", "", c, NULL, NULL);
            json_decref(c);
        }
        /* and their avatar */
        if (!strncmp(p->chat_id, "dm:", 3) && dm_avatar(b, p->chat_id + 3, now, sizeof(now)) &&
            (!p->avatar || strcmp(p->avatar, now)) && (c = json_pack("{s:s}", "url", now))) {
            mx_state(b->mx, p->creator, room, "m.room.avatar", "", c, NULL, NULL);
            json_decref(c);
        }
    }
    /* With double puppeting the owner joins at once: messages the user sent
     * from the phone are sent as the user, who must be in the room. */
    if (b->cfg.double_puppet &&
        mx_membership(b->mx, p->owner, room, "join", NULL, NULL, on_portal_ready, p) == 0)
        return;
    on_portal_ready(p, 200, NULL);
}

/* A DM portal's avatar: the mxc: URI of its contact's ghost's avatar; 0
 * if none. */
static int dm_avatar(br_bridge *b, const char *aci, char *out, size_t n)
{
    char path[256];

    *out = '\0';
    return br_store_puppet_avatar_get(b->db, aci, path, sizeof(path), out, n) == 1 && *out;
}

/* A DM portal's name: the contact's name, else their number, else their
 * ghost's display name (a contact whose profile and number are unknown);
 * 0 if none. A DM without a name is shown by clients after its members
 * ("X and 2 others"); mautrix/go bridgev2's private_chat_portal_meta names
 * the DM after its ghost whatever that ghost is called (portal.go
 * UpdateInfoFromGhost: ghost.Name). */
static int dm_name(br_bridge *b, const char *aci, char *out, size_t n)
{
    char phone[64] = "", name[256] = "", shown[512] = "";

    if (br_store_puppet_get(b->db, aci, phone, sizeof(phone), name, sizeof(name), shown,
                            sizeof(shown)) != 1)
        return 0;
    if (*name)
        snprintf(out, n, "%s", name);
    else if (*phone)
        br_phone_format(phone, out, n);
    else if (*shown)
        snprintf(out, n, "%s", shown);
    return *name || *phone || *shown;
}

/* The contact's name changed: their DM portals follow (mautrix/go bridgev2
 * ghost.go updateDMPortals). */
void br_portal_rename_dm(br_bridge *b, const char *aci)
{
    char chat[64], name[256], mxid[320], **rooms = NULL;
    size_t i, n = 0;
    json_t *c;

    snprintf(chat, sizeof(chat), "dm:%s", aci);
    if (!dm_name(b, aci, name, sizeof(name)) || br_puppet_mxid(b, aci, mxid, sizeof(mxid)) != 0 ||
        br_store_portal_rooms_of_chat(b->db, chat, &rooms, &n) != 0)
        return;
    /* as the ghost: it created the room, so it may name it (the bot has
     * the default power level there) */
    for (i = 0; i < n && (c = json_pack("{s:s}", "name", name)); i++) {
        mx_state(b->mx, mxid, rooms[i], "m.room.name", "", c, NULL, NULL);
        json_decref(c);
    }
    br_store_strv_free(rooms);
}

/* The contact's avatar changed (mxc "" = removed): their DM portals
 * follow, as mautrix/go bridgev2's private_chat_portal_meta makes a DM's
 * avatar the ghost's (portal.go UpdateInfoFromGhost). Sent as the ghost,
 * which created the room. */
void br_portal_avatar_dm(br_bridge *b, const char *aci, const char *mxc)
{
    char chat[64], mxid[320], **rooms = NULL;
    size_t i, n = 0;
    json_t *c;

    snprintf(chat, sizeof(chat), "dm:%s", aci);
    if (br_puppet_mxid(b, aci, mxid, sizeof(mxid)) != 0 ||
        br_store_portal_rooms_of_chat(b->db, chat, &rooms, &n) != 0)
        return;
    for (i = 0; i < n && (c = *mxc ? json_pack("{s:s}", "url", mxc) : json_object()); i++) {
        mx_state(b->mx, mxid, rooms[i], "m.room.avatar", "", c, NULL, NULL);
        json_decref(c);
    }
    br_store_strv_free(rooms);
}

/* Create the room for a DM chat: the puppet creates it and invites the
 * owner, marked as a direct chat. */
static int create_dm_portal(br_bridge *b, const char *owner, const char *aci)
{
    portal_ctx *p = calloc(1, sizeof(*p));
    char chat[64], mxid[320], name[256];
    json_t *req;
    int rc = UT_ERR_NOMEM;

    snprintf(chat, sizeof(chat), "dm:%s", aci);
    if (!p || br_puppet_mxid(b, aci, mxid, sizeof(mxid)) != 0)
        goto fail;
    p->b = b;
    p->owner = strdup(owner);
    p->chat_id = strdup(chat);
    p->creator = strdup(mxid);
    if (!p->owner || !p->chat_id || !p->creator)
        goto fail;
    if ((rc = br_store_portal_insert(b->db, owner, chat)) != 0)
        goto fail;
    req = json_pack("{s:s,s:b,s:[s,s],s:s,s:[{s:s,s:s,s:{s:[s]}}]}", "preset", "private_chat",
                    "is_direct", 1, "invite", owner, b->bot, "visibility", "private",
                    "initial_state", "type", "io.element.functional_members", "state_key", "",
                    "content", "service_members", b->bot);
    /* Named after the contact from the start, as mautrix-signal's DM
     * portals are with private_chat_portal_meta (mautrix/go bridgev2
     * portal.go UpdateInfoFromGhost, createMatrixRoomInLoop: m.room.name in
     * initial_state); the bot stays a member, as there (the room is created
     * with the bot in it), for its notices, and is listed as a service
     * member (io.element.functional_members, as createMatrixRoomInLoop
     * does) so that clients leave it out of the room's computed name. */
    if (req && dm_name(b, aci, name, sizeof(name))) {
        json_object_set_new(req, "name", json_string(name));
        p->named = strdup(name);
    }
    /* and with the contact's avatar, when known (createMatrixRoomInLoop
     * puts m.room.avatar in initial_state too) */
    if (req && dm_avatar(b, aci, name, sizeof(name)) &&
        json_array_append_new(json_object_get(req, "initial_state"),
                              json_pack("{s:s,s:s,s:{s:s}}", "type", "m.room.avatar",
                                        "state_key", "", "content", "url", name)) == 0)
        p->avatar = strdup(name);
    rc = req ? mx_create_room(b->mx, mxid, req, on_portal_created, p) : UT_ERR_NOMEM;
    json_decref(req);
    if (rc == 0)
        return 0;
    br_room_drop_portal(b, owner, chat);
fail:
    if (p)
        portal_ctx_free(p);
    return rc;
}

typedef struct pm_ctx {
    br_bridge *b;
    char *tell, *room, *who;
} pm_ctx;

/* The answer to `pm` for a chat that exists: the puppet's invite succeeds
 * only when the user had left it. */
static void on_pm_invited(void *arg, int status, json_t *body)
{
    pm_ctx *m = arg;

    (void)body;
    if (status == 200)
        br_notice(m->b, m->tell, "I invited you again to your chat with %s: https://matrix.to/#/%s",
                  m->who, m->room);
    else
        br_notice(m->b, m->tell, "You already have a chat with %s: https://matrix.to/#/%s", m->who,
                  m->room);
    free(m->tell);
    free(m->room);
    free(m->who);
    free(m);
}

int br_portal_open_dm(br_bridge *b, const char *owner, const char *aci,
                      const char *phone, const char *tell)
{
    char chat[64], room[256], who[256];
    int r, rc;

    br_puppet_update(b, aci, phone, NULL);
    snprintf(chat, sizeof(chat), "dm:%s", aci);
    if (!dm_name(b, aci, who, sizeof(who)))
        snprintf(who, sizeof(who), "%s", phone ? phone : "them");
    r = portal_room(b, owner, chat, room, sizeof(room));
    if (r == 1) {
        /* exists: invite again, in case the user left */
        char mxid[320];
        pm_ctx *m = tell ? calloc(1, sizeof(*m)) : NULL;
        if (m && (!(m->tell = strdup(tell)) || !(m->room = strdup(room)) || !(m->who = strdup(who)))) {
            free(m->tell);
            free(m->room);
            free(m);
            m = NULL;
        }
        if (m)
            m->b = b;
        if (br_puppet_mxid(b, aci, mxid, sizeof(mxid)) != 0 ||
            mx_membership(b->mx, mxid, room, "invite", owner, NULL, m ? on_pm_invited : NULL, m) != 0) {
            if (m)
                on_pm_invited(m, 0, NULL);
        }
        return 0;
    }
    rc = r == -1 ? 0 : create_dm_portal(b, owner, aci);
    if (rc == 0 && tell)
        br_notice(b, tell, "Opening your chat with %s: you will be invited to it.", who);
    return rc;
}

/* ---- Signal -> Matrix: retries while running ---------------------------- */

#define INBOX_PENDING_MAX 1000

static void on_signal_message(br_bridge *b, const br_net_event *ev);

static void on_inbox_timer(void *arg)
{
    br_bridge *b = arg;
    inbox_pending *list = b->inbox_pending, *p;

    b->inbox_timer = 0;
    b->inbox_pending = NULL;
    while ((p = list)) {
        list = p->next;
        on_signal_message(b, p->ev); /* copies it again if it fails again */
        br_net_event_free(p->ev);
        free(p);
    }
    flush_all(b);
}

/* Something Signal -> Matrix failed: try again after a backoff that grows
 * with each failure in a row (reset by a success). */
static void inbox_retry_later(br_bridge *b)
{
    int64_t delay;

    if (b->stopping || b->inbox_timer)
        return;
    delay = br_outbox_backoff_ms(++b->inbox_attempts + 1);
    b->inbox_timer = b->host->timer_add(b->host->host, (uint64_t)delay, on_inbox_timer, b);
}

/* ---- Signal -> Matrix --------------------------------------------------- */

typedef struct sent_ctx {
    br_bridge *b;
    char *owner, *chat_id, *sender;
    int64_t ts;
    int from_me;
    char *room, *body; /* for the fallback when acting as the user fails */
    char *as;          /* who posted it (who redacts it when it expires) */
} sent_ctx;

static void sent_ctx_free(sent_ctx *s)
{
    free(s->owner);
    free(s->chat_id);
    free(s->sender);
    free(s->room);
    free(s->body);
    free(s->as);
    free(s);
}

/* What the user wrote on the phone, posted by the bot (no double
 * puppeting, or the host refused it): visibly the user's, from Signal. */
static json_t *from_signal_notice(const char *body)
{
    char *text = NULL;
    json_t *c = NULL;

    if (asprintf(&text, "(you, from Signal) %s", body) > 0)
        c = json_pack("{s:s,s:s,s:s}", "msgtype", "m.notice", "body", text,
                      BR_ORIGIN_KEY, "signal");
    free(text);
    return c;
}

static void on_bridged(void *arg, int status, json_t *body)
{
    sent_ctx *s = arg;
    br_bridge *b = s->b;
    const char *eid = json_string_value(json_object_get(body, "event_id"));

    if (status == 200 && eid) {
        b->inbox_attempts = 0;
        /* The row's event is written last. A write that fails (a lock, a
         * full disk) leaves the row unbridged, and the inbox retry sends it
         * again with the same txn id, which the homeserver answers with
         * the same event, and makes the writes again; without the retry,
         * nothing would until a restart, and a reaction, edit or delete
         * from Signal aimed at it would wait for it in vain. */
        if (br_expire_bridged(b, s->owner, s->sender, s->ts, s->room, eid, s->as) != 0 || /* br_expire.h */
            br_store_inbox_set_event(b->db, s->owner, s->sender, s->ts, eid) != 0) {
            ut_logf(&b->log, UT_LOG_WARN, "bridge: the event of a bridged Signal message could not be stored: %s; will retry",
                    st_errmsg(b->db));
            inbox_retry_later(b);
        }
        read_release(b, s->owner, s->chat_id, s->sender, s->ts, s->room, eid);
        if (reply_release(b, s->owner, s->chat_id, s->sender, s->ts))
            flush_from(b, s->owner, s->chat_id, s->ts); /* the replies that waited */
    } else if (s->from_me && status == 403) {
        /* The host does not let us act as the user: say it as the bot. */
        json_t *c = from_signal_notice(s->body);
        char txn[200];
        if (c && br_txn(txn, sizeof(txn), "sigme", s->owner, s->chat_id, s->sender, s->ts) == 0) {
            s->from_me = 0; /* the fallback runs once */
            free(s->as);
            s->as = strdup(b->bot);
            if (mx_send(b->mx, b->bot, s->room, "m.room.message", txn, c, s->ts, on_bridged, s) == 0)
                s = NULL;
        }
        json_decref(c);
    } else {
        ut_logf(&b->log, UT_LOG_WARN, "bridge: a Signal message was not bridged (HTTP %d); will retry", status);
        inbox_retry_later(b);
    }
    if (s)
        sent_ctx_free(s);
}

static void bridge_inbox_row(br_bridge *b, const char *owner,
                             const char *chat_id, const char *sender,
                             int64_t ts, int from_me, const char *body)
{
    char room[256], as[320], txn[200];
    const char *type = "m.room.message";
    sent_ctx *s;
    json_t *c;
    int r = portal_room(b, owner, chat_id, room, sizeof(room));

    if (r == 0 && strncmp(chat_id, "dm:", 3) == 0) {
        create_dm_portal(b, owner, chat_id + 3); /* flushes the inbox when ready */
        return;
    }
    if (r == 0 && br_group_is_chat(chat_id)) {
        br_group_create_portal(b, owner, chat_id); /* flushes when ready */
        return;
    }
    if (r != 1)
        return;
    if (!from_me && strncmp(chat_id, "group:", 6) == 0 &&
        !br_group_sender_ready(b, owner, chat_id, room, sender))
        return; /* the ghost joins first, then the inbox is flushed */
    /* attachments first, then the caption (br_media.c) */
    if (br_media_hold(b, owner, chat_id, sender, ts, body))
        return;
    if (reply_held(b, owner, chat_id, sender, ts))
        return; /* the quoted message first: on_bridged flushes this */
    if (from_me)
        snprintf(as, sizeof(as), "%s", b->cfg.double_puppet ? owner : b->bot);
    else if (br_puppet_mxid(b, sender, as, sizeof(as)) != 0)
        return;
    s = calloc(1, sizeof(*s));
    c = from_me && !b->cfg.double_puppet ? from_signal_notice(body)
                                         : json_pack("{s:s,s:s}", "msgtype", "m.text", "body", body);
    if (!s || !c || !(s->owner = strdup(owner)) || !(s->sender = strdup(sender)) ||
        !(s->chat_id = strdup(chat_id)) ||
        !(s->room = strdup(room)) || !(s->body = strdup(body)) || !(s->as = strdup(as))) {
        if (s)
            sent_ctx_free(s);
        json_decref(c);
        return;
    }
    s->b = b;
    s->ts = ts;
    s->from_me = from_me && b->cfg.double_puppet;
    if (!from_me || b->cfg.double_puppet) /* formatting, mentions, reply, polls */
        type = br_fmt_apply_in(b, owner, chat_id, sender, ts, c);
    if (!type) {
        /* nothing to show (an outdated poll vote): settled without an event,
         * as a message made only of attachments that failed */
        (void)br_store_inbox_set_event(b->db, owner, sender, ts, "");
        sent_ctx_free(s);
        json_decref(c);
        return;
    }
    if (br_fmt_fit(c)) /* one Matrix event holds at most 64 KiB */
        ut_logf(&b->log, UT_LOG_INFO, "bridge: a Signal message was shortened to fit in one Matrix event");
    if (strcmp(type, "m.room.message") == 0 &&
        json_string_value(json_object_get(c, "msgtype")) &&
        strcmp(json_string_value(json_object_get(c, "msgtype")), "m.text") == 0) {
        /* a location from Signal's phones: m.location (br_conv.h); its map
         * snapshot came before it as an image */
        char geo[160];
        if (br_conv_signal_location(body, geo, sizeof(geo)) == 1) {
            json_object_set_new(c, "msgtype", json_string("m.location"));
            json_object_set_new(c, "geo_uri", json_string(geo));
        }
    }
    if (from_me) /* its echo must not go back to Signal (br_relate.h) */
        json_object_set_new(c, BR_ORIGIN_KEY, json_string("signal"));
    /* The same Signal message in the same portal always gets the same txn
     * id: no duplicates, and no collision with another owner's portal. */
    if (br_txn(txn, sizeof(txn), "sig", owner, chat_id, sender, ts) != 0 ||
        mx_send(b->mx, as, room, type, txn, c, ts, on_bridged, s) != 0)
        sent_ctx_free(s);
    json_decref(c);
}

static void on_signal_message(br_bridge *b, const br_net_event *ev)
{
    br_login *l = br_login_get(b, ev->owner, 0);
    int rc, timer_change = 0;

    if (!ev->chat_id || !ev->sender || (!ev->text && !ev->n_atts && !ev->timer_update))
        return;
    /* disappearing messages: a timer change, or a message's expiry row,
     * durable before the confirm as the message itself (br_expire.h) */
    rc = br_expire_on_signal(b, ev, &timer_change);
    if (rc == 0 && timer_change) {
        if (b->net.confirm && ev->durable_id)
            b->net.confirm(b->net.ctx, ev->owner, ev->durable_id);
        return;
    }
    if (rc == 0)
        rc = br_store_inbox_put(b->db, ev->owner, ev->chat_id, ev->sender, ev->ts, ev->from_me,
                                ev->text);
    if (rc == 0)
        rc = br_media_store(b, ev); /* the attachments, before confirm too */
    if (rc == 0)
        rc = br_fmt_store_in(b, ev); /* ranges and quote, before confirm too */
    if (rc != 0) {
        /* not durable: do not confirm (the Signal side keeps it and emits it
         * again at its next start); meanwhile try again on a timer */
        inbox_pending *p;
        size_t n = 0;
        ut_logf(&b->log, UT_LOG_ERROR, "bridge: cannot store a Signal message: %s; will retry",
                st_errmsg(b->db));
        for (p = b->inbox_pending; p; p = p->next)
            n++;
        /* a copy: the dispatcher frees ev when this returns */
        if (n < INBOX_PENDING_MAX && (p = calloc(1, sizeof(*p)))) {
            if (!(p->ev = br_net_event_dup(ev))) {
                free(p);
            } else {
                p->next = b->inbox_pending;
                b->inbox_pending = p;
            }
        }
        inbox_retry_later(b);
        return;
    }
    if (b->net.confirm && ev->durable_id)
        b->net.confirm(b->net.ctx, ev->owner, ev->durable_id);
    if (l)
        l->last_activity_ms = ut_now_ms();
    if (!ev->from_me)
        br_puppet_update(b, ev->sender, ev->phone, NULL);
    bridge_inbox_row(b, ev->owner, ev->chat_id, ev->sender, ev->ts, ev->from_me,
                     ev->text ? ev->text : "");
}

/* ---- decryption failures: one notice per chat, with a count ------------- */

static void on_fail_timer(void *arg)
{
    br_bridge *b = arg;
    br_failcount *f;

    b->fail_timer = 0;
    while ((f = b->fails)) {
        char room[256];
        b->fails = f->next;
        if (portal_room(b, f->owner, f->chat_id, room, sizeof(room)) == 1 ||
            br_mgmt_room(b, f->owner, room, sizeof(room)))
            br_notice(b, room,
                      "%d Signal message%s in this chat could not be decrypted. Ask the sender to send it again; "
                      "if this keeps happening, send `relink` to the bridge bot.",
                      f->count, f->count == 1 ? "" : "s");
        free(f->owner);
        free(f->chat_id);
        free(f);
    }
}

static void on_decrypt_failed(br_bridge *b, const br_net_event *ev)
{
    br_failcount *f;
    const char *chat = ev->chat_id ? ev->chat_id : "unknown";

    for (f = b->fails; f; f = f->next)
        if (strcmp(f->owner, ev->owner) == 0 && strcmp(f->chat_id, chat) == 0)
            break;
    if (!f) {
        f = calloc(1, sizeof(*f));
        if (!f || !(f->owner = strdup(ev->owner)) || !(f->chat_id = strdup(chat))) {
            if (f) {
                free(f->owner);
                free(f);
            }
            return;
        }
        f->next = b->fails;
        b->fails = f;
    }
    f->count++;
    if (!b->fail_timer)
        b->fail_timer = b->host->timer_add(b->host->host, FAIL_NOTICE_DELAY_MS,
                                           on_fail_timer, b);
}

/* ---- dispatch and resume ------------------------------------------------ */

void br_portal_net_event(br_bridge *b, const br_net_event *ev)
{
    switch (ev->kind) {
    case BR_NET_MESSAGE:
        on_signal_message(b, ev); /* keeps a copy to retry if not stored */
        break;
    case BR_NET_CONTACT:
        if (ev->id)
            br_puppet_update(b, ev->id, ev->phone, ev->text);
        break;
    case BR_NET_AVATAR:
        if (ev->id && ev->text)
            br_puppet_avatar(b, ev->id, ev->text, ev->data, ev->data_len);
        else if (ev->chat_id && ev->text)
            br_group_avatar(b, ev->chat_id, ev->text, ev->data, ev->data_len);
        break;
    case BR_NET_SEND_RESULT:
        br_outbox_result(b, ev);
        break;
    case BR_NET_DECRYPT_FAILED:
        on_decrypt_failed(b, ev);
        break;
    case BR_NET_CHAT:
        br_guard_chat(b, ev); /* opens it unless blocked */
        break;
    case BR_NET_GROUP_INFO:
        br_group_info(b, ev);
        break;
    case BR_NET_GROUP_CHANGED:
        br_group_changed(b, ev);
        break;
    default:
        break;
    }
}

void br_portal_resume(br_bridge *b)
{
    int n;

    /* A row "being made" now is left from before a stop or crash (its
     * room's answer, or its queued write, br_retry.h, was lost with the
     * process): it would keep its chat out of Matrix for good. Removed,
     * the chat gets a portal again with its next message (or the flush
     * below); a room made before the stop stays behind, unused. */
    if ((n = br_store_portal_delete_unmade(b->db)) > 0)
        ut_logf(&b->log, UT_LOG_WARN, "bridge: %d portal%s left being made at the last stop; made again when needed",
                n, n == 1 ? "" : "s");
    flush_all(b); /* Signal -> Matrix rows stored but not yet bridged */
    br_outbox_resume(b); /* Matrix -> Signal rows queued but not sent */
}

/* ---- for br_media.c ----------------------------------------------------- */

int br_portal_room(br_bridge *b, const char *owner, const char *chat_id,
                   char *room, size_t n)
{
    return portal_room(b, owner, chat_id, room, n);
}

void br_portal_flush_from(br_bridge *b, const char *owner, const char *chat_id,
                          int64_t ts)
{
    flush_from(b, owner, chat_id, ts);
}
