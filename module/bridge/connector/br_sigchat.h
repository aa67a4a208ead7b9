/*
 * br_sigchat.h - which bridge chat a Signal message or synced record
 * belongs to, for br_signal.c (the Signal thread). Chat ids are the ones of
 * br_portal: "dm:<aci>", "group:<hex group id>" (64 hex digits, the group
 * identifier derived from the master key), "self" (Note to Self).
 */
#ifndef BR_SIGCHAT_H
#define BR_SIGCHAT_H

#include <stddef.h>

#include "br_net.h"
#include "sig_client.h"

/* The chat of a received message. `me` is our ACI (may be NULL). 0 and
 * chat filled in; 1 when the message belongs to no chat we bridge (a sync
 * transcript without a destination); UT_ERR_RANGE when chat is too small. */
int br_sigchat_of(const sig_message *m, const char *me, char *chat, size_t n);

/* 1 when the user wrote m: a sync transcript, or a message whose sender
 * is our own ACI `me` (from another of the user's devices). */
int br_sigchat_mine(const sig_message *m, const char *me);

/* "group:<hex>" of a 32-byte group identifier; UT_ERR_RANGE when small. */
int br_sigchat_gid(const uint8_t gid[32], char *chat, size_t n);

/* BR_NET_CHAT events (NULL when there is nothing to open or no memory):
 * a group from storage (code BR_NET_CHAT_BLOCKED when the user blocked
 * it: its portal is not opened and its messages are dropped); a contact the user has a
 * conversation with (storage says whitelisted and not blocked); Note to
 * Self. The caller emits and the bridge frees them. */
br_net_event *br_sigchat_group(const char *owner, const sig_group *g);
br_net_event *br_sigchat_contact(const char *owner, const sig_contact *ct);
br_net_event *br_sigchat_self(const char *owner);

/* A group's state as BR_NET_GROUP_INFO (members without `me`, which may be
 * NULL); NULL on no memory. */
struct sig_group_info;
br_net_event *br_sigchat_group_info(const char *owner, const struct sig_group_info *g,
                                    const char *me);
/* The 32-byte identifier of a "group:<64 hex>" chat id: 0, or UT_ERR_INVAL. */
int br_sigchat_parse_gid(const char *chat_id, uint8_t gid[32]);

#endif
