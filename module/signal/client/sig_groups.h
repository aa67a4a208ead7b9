/*
 * sig_groups.h - groups v2 of one sig_client (signal-service.md §9): the
 * group state read from the groups server (title, revision, members), and
 * sending to a group.
 *
 * Where groups come from: a group is known once its master key is (a
 * group message, or a GroupV2Record of a storage sync). The client then
 * fetches its state from the groups server by itself:
 *   - for every group of a storage sync (after SIG_EV_GROUP),
 *   - when a group message carries a revision newer than the stored one
 *     (or the group was never fetched),
 *   - on sig_group_fetch().
 * Each fetch ends with SIG_EV_GROUP_UPDATED: ev.group_id (32 bytes) and
 * ev.err; on success ev.group_info is the new state (a view valid during
 * the callback; sig_group_info_get gives an owned copy any time after).
 *
 * Reading the groups server needs zkgroup: the service's ServerPublicParams
 * (sig_config.server_public_params; NULL = Signal production's) and group
 * auth credentials (GET /v1/certificate/auth/group, verified and cached in
 * the store, refetched when none is valid for today). Errors of a fetch:
 * SIG_ERR_ZK_PARAMS (server params unusable or the server's credentials do
 * not verify against them: wrong service / wrong config),
 * SIG_ERR_NOT_MEMBER (403 from the groups server: we are not in the group),
 * SIG_ERR_HTTP, SIG_ERR_ENVELOPE (unparsable state), transport errors.
 * Credentials are cached per params (a config change refetches them); a
 * 401 from the groups server drops them.
 *
 * Sending: sig_client_send_group_text sends a DataMessage with
 * groupV2{masterKey, revision} to every member but us: with our sender key
 * and one sealed sender v2 multi-recipient request when two or more
 * members can take it (sig_gsk.c: members whose profile key we know), 1:1
 * to the others (sessions, 409/410 as for 1:1 sends); then one
 * SyncMessage.Sent transcript (no destination, the group's context in the
 * message) to our other devices. The member list is the last fetched
 * state; a group never fetched fails with SIG_ERR_STATE.
 *
 * Group ids are the raw 32 bytes (sig_group_id of the master key; base64 of
 * them is Signal's usual text form). Threads and errors: as sig_client.h.
 * Member ACIs and titles are user data: never logged here.
 */
#ifndef SIG_GROUPS_H
#define SIG_GROUPS_H

#include <stddef.h>
#include <stdint.h>

#include "sig_client.h"

/* AccessControl.AccessRequired (Signal-Desktop protos/Groups.proto) */
enum { SIG_GROUP_ACCESS_UNKNOWN = 0, SIG_GROUP_ACCESS_ANY = 1, SIG_GROUP_ACCESS_MEMBER = 2,
       SIG_GROUP_ACCESS_ADMIN = 3, SIG_GROUP_ACCESS_UNSATISFIABLE = 4 };

enum { SIG_GROUP_ROLE_UNKNOWN = 0, SIG_GROUP_ROLE_DEFAULT = 1, SIG_GROUP_ROLE_ADMIN = 2 };

typedef struct sig_group_member {
    char aci[37];               /* ACI text uuid */
    int role;                   /* SIG_GROUP_ROLE_* */
    uint32_t joined_at_revision;
    int has_profile_key;        /* its profile key was in the state (and
                                   handed to the profile machinery) */
} sig_group_member;

typedef struct sig_group_info {
    uint8_t group_id[32];
    uint32_t revision;
    char *title;                /* "" when none */
    char *description;          /* "" when none */
    char *avatar;               /* the avatar's CDN key (Group.avatarUrl),
                                   "" when none, NULL when unknown (a state
                                   stored before avatars were read) */
    uint32_t timer;             /* disappearing messages, seconds; 0 = off */
    int announcements_only;
    int attributes_access;      /* AccessControl.attributes: who may change
                                   title, description, timer (SIG_GROUP_
                                   ACCESS_*; 0 unknown) */
    sig_group_member *members;  /* full members */
    size_t n_members;
    sig_group_member *pending;  /* invited, not yet joined (role only) */
    size_t n_pending;
} sig_group_info;

/* The stored state of the group: 0 and *out (free with sig_group_info_free),
 * SIG_ERR_STATE when its state was never fetched, UT_ERR_NOMEM, ST_ERR_*. */
int sig_group_info_get(sig_client *c, const uint8_t group_id[32],
                       sig_group_info **out);
void sig_group_info_free(sig_group_info *g);

/* Ids of every group whose master key we know: *ids malloc'd (free()),
 * *n entries of 32 bytes; *ids NULL when *n is 0. */
int sig_group_list(sig_client *c, uint8_t **ids, size_t *n);

/* 1 when `aci` (text) is a full member in the stored state, else 0. */
int sig_group_is_member(sig_client *c, const uint8_t group_id[32], const char *aci);

/* Fetch the state now (asynchronous: SIG_EV_GROUP_UPDATED follows).
 * SIG_ERR_STATE when not online or the master key is unknown,
 * SIG_ERR_ZK_PARAMS at once when the configured params do not parse,
 * SIG_ERR_NOT_LINKED; a fetch of the same group already under way is not
 * started twice (0). */
int sig_group_fetch(sig_client *c, const uint8_t group_id[32]);

/* Change the group on the groups server (sig_gchange.c), as Signal's
 * apps do (Signal-Desktop ts/groups.ts modifyGroupV2): GroupChange.Actions
 * of the stored revision + 1 with the new value as an encrypted
 * GroupAttributeBlob, PATCH /v2/groups with the group auth; on 409 (a
 * newer revision exists) the state is fetched again and the change
 * rebuilt, at most SIG_GCHANGE_TRIES times in all; the server's signed
 * change is applied to the stored state (SIG_EV_GROUP_UPDATED follows)
 * and sent to the members as a group update. SIG_EV_GROUP_CHANGED with
 * send_ud and err follows in every case once the server answered:
 * SIG_ERR_GROUP_ACCESS (the group lets only admins change attributes and
 * we are none; checked before asking, and a 403), SIG_ERR_GROUP_CONFLICT,
 * SIG_ERR_NOT_MEMBER, SIG_ERR_HTTP. At once: SIG_ERR_STATE (offline, or
 * state never fetched), UT_ERR_INVAL. */
enum { SIG_GCHANGE_TITLE = 1, SIG_GCHANGE_DESCRIPTION = 2, SIG_GCHANGE_TIMER = 3 };
#define SIG_GCHANGE_TRIES 3
int sig_group_modify(sig_client *c, const uint8_t group_id[32], int what, const char *text,
                     uint32_t timer, void *send_ud);

/* Send `text` to the group (see above). SIG_EV_SEND_DONE with send_ud
 * follows once every member's copy was delivered or failed: err 0 when
 * all were delivered, else the first error. *timestamp_out (may be NULL)
 * gets the message timestamp; ts 0 = now (pass the stored value on a
 * resend so receivers deduplicate it). SIG_ERR_STATE (not online / state
 * never fetched), SIG_ERR_NOT_MEMBER (the stored state does not list us:
 * removed, or left from the phone; also for the sends below),
 * UT_ERR_INVAL. */
int sig_client_send_group_text(sig_client *c, const uint8_t group_id[32],
                               const char *text, uint64_t ts, void *send_ud,
                               uint64_t *timestamp_out);

/* The same fan-out for the other kinds of message (arguments, checks and
 * SIG_EV_SEND_DONE as for their 1:1 forms in sig_client.h): a reaction to
 * the message `target_ts` of `target_author` (ACI) in the group, deleting
 * our message `target_ts` for everyone, an edit of our message
 * `target_ts` (the original's timestamp), and a file (uploaded once,
 * the same pointer to every member). Added after the first API; the text
 * call above is unchanged. */
int sig_client_send_group_reaction(sig_client *c, const uint8_t group_id[32],
                                   const char *emoji, int remove, const char *target_author,
                                   uint64_t target_ts, uint64_t ts, void *send_ud);
int sig_client_send_group_delete(sig_client *c, const uint8_t group_id[32], uint64_t target_ts,
                                 uint64_t ts, void *send_ud);
int sig_client_send_group_edit(sig_client *c, const uint8_t group_id[32], uint64_t target_ts,
                               const char *text, uint64_t ts, void *send_ud);
/* The same with the new text's body ranges (f may be NULL). */
int sig_client_send_group_edit_fmt(sig_client *c, const uint8_t group_id[32],
                                   uint64_t target_ts, const char *text, const sig_format *f,
                                   uint64_t ts, void *send_ud);
int sig_client_send_group_file(sig_client *c, const uint8_t group_id[32], const char *path,
                               const char *content_type, const char *caption,
                               void *send_ud, uint64_t *timestamp_out);
/* The same with the stored timestamp `ts` of a resend (0 = now). */
int sig_client_send_group_file_at(sig_client *c, const uint8_t group_id[32], const char *path,
                                  const char *content_type, const char *caption, uint64_t ts,
                                  void *send_ud, uint64_t *timestamp_out);
/* Typing started/stopped in the group (TypingMessage.groupId) to every
 * member: fire and forget, no SIG_EV_SEND_DONE; the first error of
 * starting the copies is returned. */
int sig_client_send_group_typing(sig_client *c, const uint8_t group_id[32], int started);

#endif
