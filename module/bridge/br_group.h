/*
 * br_group.h - portals that are not a one-to-one chat: Signal groups
 * ("group:<hex id>") and Note to Self ("self"), plus chats known from the
 * phone's storage. Host loop thread only; hooks for br_portal.c.
 *
 * What a group portal can and cannot do: a group's title and member list
 * live on Signal's group server, readable only with zkgroup credential
 * presentations, which this bridge does not implement. So a group portal
 * is named from its id, a sender's ghost joins when it first speaks, and
 * sending to the group from Matrix is refused with a notice (it would need
 * the member list to encrypt for every member).
 */
#ifndef BR_GROUP_H
#define BR_GROUP_H

#include <stdint.h>

#include "br_internal.h"

/* 1 for "group:..." and "self". */
int br_group_is_chat(const char *chat_id);

/* Create the room of a group or Note-to-Self portal: the bot creates it
 * and invites the owner (who joins at once with double puppeting); what
 * waits in br_inbox for the chat is bridged once the room is ready. 0 or
 * an error (a failure is also told to the user in the bot room). */
int br_group_create_portal(br_bridge *b, const char *owner, const char *chat_id);

/* Before a group message is sent as `sender_aci`'s ghost: 1 when the ghost
 * is in the room; 0 when it is being brought in (the bot invites, the
 * ghost joins), after which the chat's inbox is bridged again. */
int br_group_sender_ready(br_bridge *b, const char *owner, const char *chat_id,
                          const char *room, const char *sender_aci);

/* BR_NET_CHAT: a chat known from the phone; opens its portal (with an
 * invitation) if it has none. An existing portal is left alone. */
void br_group_open(br_bridge *b, const char *owner, const char *chat_id,
                   const char *phone);

/* Before an outbox row goes to Signal: 1 when this chat cannot send (a
 * group while the Signal side has no group state, br_net_ops.group_info):
 * the row is marked failed and the room gets a notice; 0 to send. */
int br_group_refuse_send(br_bridge *b, int64_t outbox_id, const char *chat_id);
/* The same for the user's file, reaction, redaction or edit (`what`) in
 * a group's room: 1 with a notice in `room` (nothing is queued), 0 to
 * send (other chats, or the Signal side has group state). */
int br_group_refuse_relation(br_bridge *b, const char *room, const char *chat_id,
                             const char *what);

/* BR_NET_GROUP_INFO: name the group's portal after its Signal title and
 * bring in every member's ghost (once; named from their profile). Nothing
 * for a portal not ready yet: it asks br_net_ops.group_info when it is. */
void br_group_info(br_bridge *b, const br_net_event *ev);
/* BR_NET_AVATAR of a group (path "" = removed): uploaded once per path
 * (br_group_avatar rows) and set as m.room.avatar of every owner's portal
 * of the group; rooms waiting for it (br_group_info) are made with it. */
void br_group_avatar(br_bridge *b, const char *chat_id, const char *path,
                     const uint8_t *data, size_t len);
/* Matrix -> Signal group changes (issue #14 leftovers: every kind both
 * ways): the owner's m.room.name / m.room.topic in a group portal
 * changes the group's title / description on Signal; `!signal
 * disappearing` there its timer (br_expire.c calls br_group_change).
 * The bridge's own renames come from the bot and never reach here (an
 * echo, br_bridge.c on_event). Failures are notices in the room; the new
 * state comes back as GROUP_INFO. */
struct mx_event;
void br_group_from_matrix(br_bridge *b, const struct mx_event *ev, const char *owner,
                          const char *chat_id);
/* Ask for the change (BR_GCHANGE_*); a refusal at once is a notice in `room`. */
void br_group_change(br_bridge *b, const char *room, const char *owner, const char *chat_id,
                     int what, const char *text, uint32_t timer);
/* BR_NET_GROUP_CHANGED: a notice in the portal when it failed. */
void br_group_changed(br_bridge *b, const br_net_event *ev);

/* At stop: the rooms waiting for their group's state are forgotten, with
 * their reserved rows (made at the next start instead). */
void br_group_stop(br_bridge *b);

/* br_guard.c: blocked chats and safety-number warnings (br_net.h).
 * br_guard_chat: a BR_NET_CHAT: remember or forget a block, and open the
 * portal of a chat that is not blocked. br_guard_drop: 1 when `ev` (a
 * message, relation or typing) belongs to a blocked chat: it is confirmed
 * to the Signal side and must be dropped. br_guard_identity: a
 * BR_NET_IDENTITY: one notice in the contact's DM portal (none without a
 * portal). br_guard_blocked: 1 when the user blocked the chat. */
void br_guard_chat(br_bridge *b, const br_net_event *ev);
int br_guard_drop(br_bridge *b, const br_net_event *ev);
void br_guard_identity(br_bridge *b, const br_net_event *ev);
int br_guard_blocked(br_bridge *b, const char *owner, const char *chat_id);

/* br_portal.c: bridge what br_inbox holds for a chat (not yet bridged). */
void br_portal_flush(br_bridge *b, const char *owner, const char *chat_id);

#endif
