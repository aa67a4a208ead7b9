/*
 * br_group.c - group and Note-to-Self portals, and chats known from the
 * phone's storage (see br_group.h for what groups can and cannot do).
 *
 * A group portal is created by the bot (there is no single ghost to own
 * it); ghosts join as they speak. The bot brings a ghost in (invite, then
 * the ghost joins) and records it in br_portal_member; the chat's inbox is
 * then bridged again, with the same transaction ids, so messages that
 * waited for the join are sent once and in order.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "br_avatar.h"
#include "br_expire.h"
#include "br_group.h"
#include "br_retry.h"
#include "br_store.h"

int br_group_is_chat(const char *chat_id)
{
    return chat_id && (strncmp(chat_id, "group:", 6) == 0 || strcmp(chat_id, "self") == 0);
}

/* 1 when the Signal side knows groups' members, so text can go to them. */
static int can_send_groups(br_bridge *b)
{
    return b->have_net && b->net.group_info != NULL;
}

static void ask_group_info(br_bridge *b, const char *owner, const char *chat_id)
{
    if (strncmp(chat_id, "group:", 6) == 0 && can_send_groups(b))
        (void)b->net.group_info(b->net.ctx, owner, chat_id);
}

/* 1 when the owner has a portal row for the chat (ready or being made). */
static int portal_exists(br_bridge *b, const char *owner, const char *chat_id)
{
    /* cannot tell (< 0): do not create a second one */
    return br_store_portal_exists(b->db, owner, chat_id) != 0;
}

/* ---- creating the room -------------------------------------------------- */

typedef struct gp_ctx {
    br_bridge *b;
    char *owner, *chat_id, *room, *user;
    char *avatar; /* the m.room.avatar url in its createRoom, or NULL */
    int added; /* the ghost's membership row was new */
} gp_ctx;

static void gp_free(gp_ctx *g)
{
    free(g->avatar);
    free(g->owner);
    free(g->chat_id);
    free(g->room);
    free(g->user);
    free(g);
}

static gp_ctx *gp_new(br_bridge *b, const char *owner, const char *chat_id)
{
    gp_ctx *g = calloc(1, sizeof(*g));

    if (!g)
        return NULL;
    g->b = b;
    g->owner = strdup(owner);
    g->chat_id = strdup(chat_id);
    if (!g->owner || !g->chat_id) {
        gp_free(g);
        return NULL;
    }
    return g;
}

static void on_owner_joined(void *arg, int status, json_t *body)
{
    gp_ctx *g = arg;

    (void)body;
    if (status != 200)
        ut_logf(&g->b->log, UT_LOG_WARN, "bridge: joining a group portal as its owner failed (HTTP %d)", status);
    ask_group_info(g->b, g->owner, g->chat_id); /* title and members, if known */
    br_portal_flush(g->b, g->owner, g->chat_id);
    gp_free(g);
}

/* The group's avatar as uploaded (mxc: URI); 0 when it has none known. */
static int group_avatar(br_bridge *b, const char *chat_id, char *mxc, size_t n)
{
    char path[256];

    *mxc = '\0';
    return strncmp(chat_id, "group:", 6) == 0 &&
           br_store_group_avatar_get(b->db, chat_id, path, sizeof(path), mxc, n) == 1 && *mxc;
}

static void set_avatar(br_bridge *b, const char *room, const char *mxc)
{
    json_t *c = *mxc ? json_pack("{s:s}", "url", mxc) : json_object();

    if (c)
        mx_state(b->mx, b->bot, room, "m.room.avatar", "", c, NULL, NULL);
    json_decref(c);
}

/* The room's ID was stored late (br_room_save_portal queued it): what
 * on_owner_joined did meanwhile found the portal still being made. */
static void group_ready(br_bridge *b, const char *owner, const char *chat_id)
{
    ask_group_info(b, owner, chat_id);
    br_portal_flush(b, owner, chat_id);
}

static void on_created(void *arg, int status, json_t *body)
{
    gp_ctx *g = arg;
    br_bridge *b = g->b;
    const char *room = json_string_value(json_object_get(body, "room_id"));
    int ok = status == 200 && room;
    char mgmt[256], mxc[512];

    /* a row whose write is queued goes on when stored (group_ready) */
    if (ok)
        br_room_save_portal(b, g->owner, g->chat_id, room, group_ready);
    else
        br_room_drop_portal(b, g->owner, g->chat_id);
    if (!ok) {
        ut_logf(&b->log, UT_LOG_WARN, "bridge: creating a group portal failed (HTTP %d)", status);
        if (br_mgmt_room(b, g->owner, mgmt, sizeof(mgmt)))
            br_notice(b, mgmt, "Could not create a room for a Signal %s (HTTP %d); "
                               "it will be retried with the next message.",
                      strcmp(g->chat_id, "self") ? "group" : "Note to Self", status);
        gp_free(g);
        return;
    }
    /* an avatar that arrived while the room was being made (the walk of
     * br_group_avatar saw no room yet) */
    if (group_avatar(b, g->chat_id, mxc, sizeof(mxc)) && (!g->avatar || strcmp(g->avatar, mxc)))
        set_avatar(b, room, mxc);
    /* With double puppeting the owner joins at once: what the user sent
     * from the phone is sent as the user, who must be in the room. */
    if (b->cfg.double_puppet &&
        mx_membership(b->mx, g->owner, room, "join", NULL, NULL, on_owner_joined, g) == 0)
        return;
    on_owner_joined(g, 200, NULL);
}

/* Create the room now, named `title` (the Signal title) when known. */
static int create_now(br_bridge *b, const char *owner, const char *chat_id, const char *title)
{
    int self = strcmp(chat_id, "self") == 0;
    char name[256], mxc[512];
    gp_ctx *g;
    json_t *req;
    int rc;

    /* Without a title (none, or the group server did not answer in time)
     * the id's first digits tell groups apart; a title read later renames
     * the room (br_group_info). */
    if (self)
        snprintf(name, sizeof(name), "Note to Self");
    else if (title && *title)
        snprintf(name, sizeof(name), "%s", title);
    else
        snprintf(name, sizeof(name), "Signal group %.8s", chat_id + 6);
    g = gp_new(b, owner, chat_id);
    req = json_pack("{s:s,s:s,s:s,s:[s],s:s,s:[{s:s,s:s,s:{s:[s]}}]}", "preset", "private_chat",
                    "name", name,
                    "topic", self ? "Your Signal Note to Self: messages here reach your own Signal devices."
                             : can_send_groups(b) ? "A Signal group."
                                  : "A Signal group. Its title and member list are not visible to this bridge; "
                                    "members appear as they write.",
                    "invite", owner, "visibility", "private",
                    /* the bot is a service member, left out of computed
                     * names (mautrix/go bridgev2 portal.go
                     * createMatrixRoomInLoop does the same) */
                    "initial_state", "type", "io.element.functional_members", "state_key", "",
                    "content", "service_members", b->bot);
    /* A group's name and topic may be changed from the room by the user
     * (br_group_from_matrix): they go to Signal, which decides. mautrix-
     * signal (pkg/connector chatinfo.go applyAttributesAccess) puts
     * m.room.name / m.room.topic / m.room.avatar at power 0 when every
     * member may change the group's attributes and at 50 when only admins
     * may; here they are 0 for every group and the bridge checks Signal's
     * accessControl.attributes itself at each change, so a refusal is a
     * notice that says why and a later access change on Signal needs no
     * power-level update. (Synapse and mxhs merge the override shallowly:
     * the whole events map, the preset's values but for these two.) */
    if (g && req && !self)
        json_object_set_new(req, "power_level_content_override",
                            json_pack("{s:{s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i}}", "events",
                                      "m.room.name", 0, "m.room.topic", 0, "m.room.avatar", 50,
                                      "m.room.power_levels", 100, "m.room.history_visibility", 100,
                                      "m.room.canonical_alias", 50, "m.room.tombstone", 100,
                                      "m.room.server_acl", 100, "m.room.encryption", 100));
    /* and with the group's avatar, when known, as createMatrixRoomInLoop
     * puts m.room.avatar in the initial state */
    if (g && req && group_avatar(b, chat_id, mxc, sizeof(mxc)) &&
        json_array_append_new(json_object_get(req, "initial_state"),
                              json_pack("{s:s,s:s,s:{s:s}}", "type", "m.room.avatar",
                                        "state_key", "", "content", "url", mxc)) == 0)
        g->avatar = strdup(mxc);
    rc = g && req ? mx_create_room(b->mx, b->bot, req, on_created, g) : UT_ERR_NOMEM;
    json_decref(req);
    if (rc == 0)
        return 0;
    if (g)
        on_created(g, 500, NULL); /* forgets the row, tells the user */
    return rc;
}

/* Groups whose room waits for the group's state, so that it is created
 * with its Signal title (as mautrix/go bridgev2 createMatrixRoomInLoop
 * puts the name in createRoom's initial state) rather than renamed after. */
typedef struct br_gwait {
    char *owner, *chat_id;
    char *title;     /* the state came: the room waits for the avatar */
    struct br_gwait *next;
} br_gwait;

/* How long a new group room waits for the group's state before it is
 * created without its title (the group server may be slow or down). */
#define GROUP_INFO_WAIT_MS 15000

static br_gwait *gwait_take(br_bridge *b, const char *owner, const char *chat_id)
{
    br_gwait **pp, *w;

    for (pp = &b->gwait; (w = *pp); pp = &w->next)
        if (!owner || (!strcmp(w->owner, owner) && !strcmp(w->chat_id, chat_id))) {
            *pp = w->next;
            return w;
        }
    return NULL;
}

static void gwait_free(br_gwait *w)
{
    free(w->title);
    free(w->owner);
    free(w->chat_id);
    free(w);
}

static void on_gwait_timer(void *arg)
{
    br_bridge *b = arg;
    br_gwait *w;

    b->gwait_timer = 0;
    while ((w = gwait_take(b, NULL, NULL))) {
        ut_logf(&b->log, UT_LOG_WARN, "bridge: no group %s in time; the group's room is made without it",
                w->title ? "avatar" : "state");
        create_now(b, w->owner, w->chat_id, w->title);
        gwait_free(w);
    }
}

void br_group_stop(br_bridge *b)
{
    br_gwait *w;

    if (b->gwait_timer)
        b->host->timer_cancel(b->host->host, b->gwait_timer);
    b->gwait_timer = 0;
    /* no room was asked for yet: forget the rows, so that the next start
     * makes the rooms (a reserved row would read as "being made") */
    while ((w = gwait_take(b, NULL, NULL))) {
        br_store_portal_delete(b->db, w->owner, w->chat_id);
        gwait_free(w);
    }
}

int br_group_create_portal(br_bridge *b, const char *owner, const char *chat_id)
{
    int self = strcmp(chat_id, "self") == 0;
    br_gwait *w;
    int rc;

    if (!br_group_is_chat(chat_id) || (!self && strlen(chat_id) < 6 + 8))
        return UT_ERR_INVAL;
    if ((rc = br_store_portal_reserve(b->db, owner, chat_id)) < 0)
        return rc;
    if (rc == 0)
        return 0; /* already there or being made */
    if (self || !can_send_groups(b) || !(w = calloc(1, sizeof(*w))))
        return create_now(b, owner, chat_id, NULL);
    if (!(w->owner = strdup(owner)) || !(w->chat_id = strdup(chat_id))) {
        gwait_free(w);
        return create_now(b, owner, chat_id, NULL);
    }
    w->next = b->gwait;
    b->gwait = w;
    if (!b->gwait_timer)
        b->gwait_timer = b->host->timer_add(b->host->host, GROUP_INFO_WAIT_MS, on_gwait_timer, b);
    ask_group_info(b, owner, chat_id); /* br_group_info creates the room */
    return 0;
}

/* ---- ghosts join as they speak ------------------------------------------ */

static void gp_free_any(void *arg)
{
    gp_free(arg);
}

static int member_add(br_bridge *b, void *arg)
{
    gp_ctx *g = arg;
    int rc = br_store_member_add(b->db, g->room, g->user);

    g->added = rc == 1;
    return rc < 0 ? rc : 0;
}

static void member_added(br_bridge *b, void *arg)
{
    gp_ctx *g = arg;

    if (g->added)
        br_portal_flush(b, g->owner, g->chat_id);
}

static void on_ghost_joined(void *arg, int status, json_t *body)
{
    gp_ctx *g = arg;
    br_bridge *b = g->b;
    (void)body;
    if (status != 200) {
        ut_logf(&b->log, UT_LOG_WARN, "bridge: a ghost could not join a group portal (HTTP %d); "
                                      "its messages are retried at restart", status);
        gp_free(g);
        return;
    }
    /* the first join to finish bridges what waited; later ones (two
     * messages from a new member in a row) have nothing to add. A row that
     * cannot be written now (a lock, a full disk) is written later and
     * then bridges what waited: without it the sender's messages would
     * wait for their next message or the next start. */
    (void)br_retry_write(b, "a ghost's group membership", member_add, member_added, g, gp_free_any);
}

static void on_ghost_invited(void *arg, int status, json_t *body)
{
    gp_ctx *g = arg;

    (void)body;
    /* an error here may just mean "already invited": the join decides */
    (void)status;
    if (mx_membership(g->b->mx, g->user, g->room, "join", NULL, NULL, on_ghost_joined, g) != 0)
        gp_free(g);
}

int br_group_sender_ready(br_bridge *b, const char *owner, const char *chat_id,
                          const char *room, const char *sender_aci)
{
    char lp[128], mxid[320];
    gp_ctx *g;
    int member;

    if (br_config_puppet_localpart(&b->cfg, sender_aci, lp, sizeof(lp)) != 0 ||
        mx_user_id(b->mx, lp, mxid, sizeof(mxid)) != 0)
        return 0;
    if ((member = br_store_member_exists(b->db, room, mxid)) != 0)
        return member > 0; /* < 0: cannot tell, the message waits */
    g = gp_new(b, owner, chat_id);
    if (!g || !(g->room = strdup(room)) || !(g->user = strdup(mxid)) ||
        mx_membership(b->mx, b->bot, room, "invite", mxid, NULL, on_ghost_invited, g) != 0) {
        if (g)
            gp_free(g);
    }
    return 0;
}

/* ---- chats known from the phone ----------------------------------------- */

void br_group_open(br_bridge *b, const char *owner, const char *chat_id,
                   const char *phone)
{
    br_login *l = br_login_get(b, owner, 0);

    if (!chat_id || !l || !l->number || portal_exists(b, owner, chat_id))
        return;
    if (strncmp(chat_id, "dm:", 3) == 0)
        br_portal_open_dm(b, owner, chat_id + 3, phone, NULL);
    else if (br_group_is_chat(chat_id))
        br_group_create_portal(b, owner, chat_id);
}

/* ---- Matrix -> Signal in a group ---------------------------------------- */

static const char why[] =
    "sending to Signal groups is not supported yet: the group's member list is on Signal's "
    "group server, which this bridge cannot read (it needs zero-knowledge group credentials), "
    "so it cannot encrypt for the members";

int br_group_refuse_relation(br_bridge *b, const char *room, const char *chat_id,
                             const char *what)
{
    if (!chat_id || strncmp(chat_id, "group:", 6) != 0 || can_send_groups(b))
        return 0;
    br_notice(b, room, "Your %s was not sent to Signal: %s. Do it from Signal on your phone.",
              what, why);
    return 1;
}

/* ---- the group's state: title and members ------------------------------- */

typedef struct name_ctx {
    br_bridge *b;
    char *room, *name;
} name_ctx;

static void on_name_read(void *arg, int status, json_t *body)
{
    name_ctx *n = arg;
    const char *now = status == 200 ? json_string_value(json_object_get(body, "name")) : NULL;
    json_t *c;

    /* the state is read at every fetch (each start): rename only on a
     * change; either way the log says the fetch is through (tests wait
     * for it rather than for a while) */
    if ((!now || strcmp(now, n->name) != 0) && (c = json_pack("{s:s}", "name", n->name))) {
        mx_state(n->b->mx, n->b->bot, n->room, "m.room.name", "", c, NULL, NULL);
        json_decref(c);
        ut_logf(&n->b->log, UT_LOG_INFO, "bridge: group room %s renamed after its Signal title", n->room);
    } else {
        ut_logf(&n->b->log, UT_LOG_INFO, "bridge: group room %s: its Signal title is unchanged", n->room);
    }
    free(n->room);
    free(n->name);
    free(n);
}

/* Name the room `name` (the group's Signal title) unless it is already. */
static void set_name(br_bridge *b, const char *room, const char *name)
{
    name_ctx *n = calloc(1, sizeof(*n));
    char er[512], path[768];

    if (!n || !(n->room = strdup(room)) || !(n->name = strdup(name)) ||
        mx_path_escape(er, sizeof(er), room) != 0) {
        if (n) {
            free(n->room);
            free(n->name);
        }
        free(n);
        return;
    }
    n->b = b;
    snprintf(path, sizeof(path), "/_matrix/client/v3/rooms/%s/state/m.room.name/", er);
    if (mx_request(b->mx, b->bot, "GET", path, NULL, 0, on_name_read, n) != 0)
        on_name_read(n, 0, NULL);
}

/* Ghosts of people no longer in the group leave its room. */
static void drop_former_members(br_bridge *b, const char *room, const br_net_event *ev)
{
    char mxid[320], **users;
    size_t i, j, n;

    /* the whole list first: the loop writes through the store */
    if (br_store_member_list(b->db, room, &users, &n) != 0)
        return;
    for (j = 0; j < n; j++) {
        const char *user = users[j];
        int member = 0;

        for (i = 0; !member && i < ev->n_members; i++)
            member = br_puppet_mxid(b, ev->members[i], mxid, sizeof(mxid)) == 0 &&
                     strcmp(mxid, user) == 0;
        if (member)
            continue;
        ut_logf(&b->log, UT_LOG_INFO, "bridge: a member left a Signal group; their ghost leaves its room");
        mx_membership(b->mx, user, room, "leave", NULL, NULL, NULL, NULL);
        br_store_member_delete(b->db, room, user);
    }
    br_store_strv_free(users);
}

/* 1 when the group's avatar at `path` is uploaded already. */
static int avatar_known(br_bridge *b, const char *chat_id, const char *path)
{
    char old[256], mxc[512];

    return br_store_group_avatar_get(b->db, chat_id, old, sizeof(old), mxc, sizeof(mxc)) == 1 &&
           !strcmp(old, path);
}

/* The rooms that waited for this group's avatar are made now. */
static void avatar_release(br_bridge *b, const char *chat_id)
{
    br_gwait **pp, *w;

    for (pp = &b->gwait; (w = *pp);) {
        if (!w->title || strcmp(w->chat_id, chat_id)) {
            pp = &w->next;
            continue;
        }
        *pp = w->next;
        create_now(b, w->owner, w->chat_id, w->title);
        gwait_free(w);
        pp = &b->gwait; /* create_now may change the list */
    }
}

typedef struct gav_ctx {
    br_bridge *b;
    char *chat_id, *path;
} gav_ctx;

static void gav_free(gav_ctx *a)
{
    free(a->chat_id);
    free(a->path);
    free(a);
}

/* Record the group's avatar and show it in every owner's room of it. */
static void avatar_apply(br_bridge *b, const char *chat_id, const char *path, const char *mxc)
{
    char **rooms = NULL;
    size_t i, n = 0;

    if (br_store_group_avatar_put(b->db, chat_id, path, mxc) == 0 &&
        br_store_portal_rooms_of_chat(b->db, chat_id, &rooms, &n) == 0) {
        for (i = 0; i < n; i++)
            set_avatar(b, rooms[i], mxc);
        br_store_strv_free(rooms);
    }
    avatar_release(b, chat_id);
}

static void on_avatar_uploaded(void *arg, const char *mxc)
{
    gav_ctx *a = arg;

    if (mxc)
        avatar_apply(a->b, a->chat_id, a->path, mxc);
    else
        avatar_release(a->b, a->chat_id); /* made without it; retried when it changes */
    gav_free(a);
}

void br_group_avatar(br_bridge *b, const char *chat_id, const char *path,
                     const uint8_t *data, size_t len)
{
    char old_path[256] = "", old_mxc[512] = "";
    gav_ctx *a;
    int known;

    if (strncmp(chat_id, "group:", 6) != 0 ||
        (known = br_store_group_avatar_get(b->db, chat_id, old_path, sizeof(old_path), old_mxc,
                                           sizeof(old_mxc))) < 0) {
        avatar_release(b, chat_id);
        return;
    }
    /* The same key is the same image: a new avatar is uploaded under a new
     * object name (the client asks for a new upload form each time,
     * Signal-Desktop ts/groups.ts uploadAvatar), so nothing is uploaded
     * again. */
    if (known && !strcmp(old_path, path)) {
        avatar_release(b, chat_id);
        return;
    }
    if (!*path) { /* removed on Signal: removed here too, if it was set */
        if (known && *old_mxc)
            avatar_apply(b, chat_id, "", "");
        else
            br_store_group_avatar_put(b->db, chat_id, "", "");
        avatar_release(b, chat_id);
        return;
    }
    if ((a = calloc(1, sizeof(*a))))
        a->b = b;
    if (!a || !(a->chat_id = strdup(chat_id)) || !(a->path = strdup(path)) ||
        br_avatar_upload(b, "a group's", data, len, on_avatar_uploaded, a) != 0) {
        if (a)
            gav_free(a);
        avatar_release(b, chat_id);
    }
}

void br_group_info(br_bridge *b, const br_net_event *ev)
{
    char room[256];
    size_t i;

    br_gwait *w;

    if (!ev->chat_id || strncmp(ev->chat_id, "group:", 6) != 0)
        return;
    br_expire_group(b, ev); /* its disappearing timer (br_expire.h) */
    /* a room waiting for this state is made now, with its title; or once
     * its avatar is here, if the group has one not uploaded yet (the
     * client fetches it after this state: br_group_avatar) */
    if ((w = gwait_take(b, ev->owner, ev->chat_id))) {
        if (ev->avatar && *ev->avatar && !w->title && !avatar_known(b, ev->chat_id, ev->avatar) &&
            (w->title = strdup(ev->text ? ev->text : ""))) {
            w->next = b->gwait;
            b->gwait = w;
            return;
        }
        create_now(b, w->owner, w->chat_id, w->title ? w->title : ev->text);
        gwait_free(w);
        return;
    }
    /* a portal still being made asks again once its room exists */
    if (br_portal_room(b, ev->owner, ev->chat_id, room, sizeof(room)) != 1)
        return;
    if (ev->text && *ev->text)
        set_name(b, room, ev->text);
    /* every member's ghost in the room, named from their profile */
    for (i = 0; i < ev->n_members; i++) {
        br_puppet_ensure(b, ev->members[i]);
        (void)br_group_sender_ready(b, ev->owner, ev->chat_id, room, ev->members[i]);
    }
    drop_former_members(b, room, ev);
}


int br_group_refuse_send(br_bridge *b, int64_t outbox_id, const char *chat_id)
{
    char room[256] = "";

    if (!chat_id || strncmp(chat_id, "group:", 6) != 0 || can_send_groups(b))
        return 0;
    br_store_outbox_room(b->db, outbox_id, room, sizeof(room));
    br_store_outbox_set_failed(b->db, outbox_id, why);
    if (*room)
        br_notice(b, room, "Not sent to Signal: %s. Send it from Signal on your phone.", why);
    return 1;
}

/* ---- Matrix -> Signal: title, description, timer ----------------------- */

static const char *change_word(int what)
{
    return what == BR_GCHANGE_TITLE ? "name" : what == BR_GCHANGE_DESCRIPTION ? "topic"
                                                                             : "disappearing-message timer";
}

static void change_refused(br_bridge *b, const char *room, int what, int code, const char *reason)
{
    if (code == BR_NET_ERR_FORBIDDEN)
        br_notice(b, room, "The group's %s was not changed on Signal: in this group only its admins "
                           "may change the group's name, topic and timer, and you are not an admin.",
                  change_word(what));
    else
        br_notice(b, room, "The group's %s was not changed on Signal: %s.", change_word(what),
                  reason ? reason : "the change failed");
}

/* A name the user gave the room that Signal did not take would leave the
 * room and the group apart: the group's state is read again, which names
 * the room back after its Signal title (br_group_info). */
static void restore_name(br_bridge *b, const char *owner, const char *chat_id, int what)
{
    if (what == BR_GCHANGE_TITLE)
        ask_group_info(b, owner, chat_id);
}

void br_group_change(br_bridge *b, const char *room, const char *owner, const char *chat_id,
                     int what, const char *text, uint32_t timer)
{
    int rc;

    if (!b->have_net || !b->net.group_change) {
        change_refused(b, room, what, 0, "this bridge cannot change Signal groups");
        return;
    }
    if ((rc = b->net.group_change(b->net.ctx, owner, chat_id, what, text, timer)) != 0) {
        change_refused(b, room, what, 0, "the bridge could not start the change");
        restore_name(b, owner, chat_id, what);
    }
}

void br_group_from_matrix(br_bridge *b, const mx_event *ev, const char *owner, const char *chat_id)
{
    int what = strcmp(ev->type, "m.room.name") == 0 ? BR_GCHANGE_TITLE : BR_GCHANGE_DESCRIPTION;
    const char *v = json_string_value(
        json_object_get(ev->content, what == BR_GCHANGE_TITLE ? "name" : "topic"));

    if (!ev->state_key || *ev->state_key || strncmp(chat_id, "group:", 6) != 0)
        return;
    if (!v)
        v = "";
    /* Signal's apps refuse an empty group name (Signal-Desktop
     * ts/components/conversation/conversation-details/EditConversationAttributesModal.tsx
     * disables saving without a title) */
    if (what == BR_GCHANGE_TITLE && !*v) {
        br_notice(b, ev->room_id, "A Signal group needs a name: the group keeps its name on Signal.");
        return;
    }
    br_group_change(b, ev->room_id, owner, chat_id, what, v, 0);
}

void br_group_changed(br_bridge *b, const br_net_event *ev)
{
    char room[256];

    if (ev->code == 0 || !ev->chat_id ||
        br_portal_room(b, ev->owner, ev->chat_id, room, sizeof(room)) != 1)
        return;
    change_refused(b, room, ev->rel, ev->code, ev->text);
    restore_name(b, ev->owner, ev->chat_id, ev->rel);
}
