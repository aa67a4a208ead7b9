/*
 * br_store.h - the bridge's typed store: every row of the bridge's own
 * tables (br_*) is read and written through one named function here, so
 * the bridge's business logic holds no SQL and no sqlite3_* call
 * (tools/check-sql.sh enforces it; issue #12). Schema: module/store/
 * migrations. Each function runs one statement through st_db's statement
 * cache (st_db_stmt), so nothing is prepared twice.
 *
 * Conventions, for every function:
 *  - `db` is the caller's connection (one per thread, st_db.h).
 *  - Writes return 0, or ST_ERR_* (st_db.h) with st_errmsg(db) for the
 *    SQLite message. Those that report how many rows changed say so.
 *  - Lookups return 1 (found), 0 (no such row) or ST_ERR_*.
 *  - Strings go out into caller buffers (`out`, `n`), truncated like
 *    snprintf; a NULL column comes out as "". Strings handed to a
 *    callback are borrowed for the duration of the call.
 *  - Strings in are borrowed; none is kept.
 *  - Transactions stay with the caller (st_db_begin/commit/rollback),
 *    where the grouping and ordering are decided.
 */
#ifndef BR_STORE_H
#define BR_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "st_db.h"

/* ---- logins and management rooms (br_store_login.c) ------------------- */

/* Each linked login: owner, aci, number (borrowed). Stops at a nonzero
 * return of `fn`. 0 or ST_ERR_*. */
typedef int (*br_store_login_fn)(void *ctx, const char *owner, const char *aci,
                                 const char *number);
int br_store_login_each(st_db *db, br_store_login_fn fn, void *ctx);
/* Insert or replace the login of `owner` (aci may be NULL: stored as ""). */
int br_store_login_put(st_db *db, const char *owner, const char *aci,
                       const char *number, int64_t linked_ms);
int br_store_login_delete(st_db *db, const char *owner);

/* The management (bot) room of `owner`, and the owner of a room. */
int br_store_mgmt_room_put(st_db *db, const char *owner, const char *room_id);
int br_store_mgmt_room_get(st_db *db, const char *owner, char *out, size_t n);
int br_store_mgmt_room_owner(st_db *db, const char *room_id, char *out, size_t n);

/* ---- access notices, handled Matrix events, blocked chats
 *      (br_store_access.c) ---------------------------------------------- */

int br_store_access_notice_exists(st_db *db, const char *owner);
/* Records the notice unless one is there already. */
int br_store_access_notice_put(st_db *db, const char *owner, int64_t now_ms);
/* 1 when a notice was removed, 0 when there was none, or ST_ERR_*. */
int br_store_access_notice_delete(st_db *db, const char *owner);

int br_store_seen_exists(st_db *db, const char *event_id);
/* Records a handled Matrix event (no-op when already there). *rowid gets
 * the connection's last insert rowid (may be NULL). */
int br_store_seen_put(st_db *db, const char *event_id, int64_t now_ms, int64_t *rowid);
/* Forgets events handled before `before_ms`. */
int br_store_seen_prune(st_db *db, int64_t before_ms);

int br_store_blocked_exists(st_db *db, const char *owner, const char *chat_id);
/* 1 when the row changed (added or removed), 0 when it already was so. */
int br_store_blocked_set(st_db *db, const char *owner, const char *chat_id, int blocked);

/* ---- portals (br_store_portal.c) -------------------------------------- */

/* The owner and chat of the portal in `room_id`. */
int br_store_portal_by_room(st_db *db, const char *room_id, char *owner, size_t on,
                            char *chat_id, size_t cn);

/* 1 when `owner` has a portal row for `chat_id` (ready or being made). */
int br_store_portal_exists(st_db *db, const char *owner, const char *chat_id);
/* Reserve the row of a portal being made (room_id NULL): 1 when added,
 * 0 when one is already there. */
int br_store_portal_reserve(st_db *db, const char *owner, const char *chat_id);
/* Insert the row of a portal being made; ST_ERR_CONSTRAINT when one is
 * there already. */
int br_store_portal_insert(st_db *db, const char *owner, const char *chat_id);
/* The portal's room: 1 ready (room filled in), 2 being made (no room
 * yet), 0 absent, or ST_ERR_*. */
int br_store_portal_get(st_db *db, const char *owner, const char *chat_id, char *room, size_t n);
int br_store_portal_set_room(st_db *db, const char *owner, const char *chat_id,
                             const char *room_id);
int br_store_portal_delete(st_db *db, const char *owner, const char *chat_id);
/* Remove every row still "being made" (no room): at start none is. The
 * number removed, or ST_ERR_*. */
int br_store_portal_delete_unmade(st_db *db);

/* Ghosts joined to a portal room (br_portal_member). _add: 1 when added,
 * 0 when already there. */
int br_store_member_add(st_db *db, const char *room_id, const char *user_id);
int br_store_member_exists(st_db *db, const char *room_id, const char *user_id);
int br_store_member_delete(st_db *db, const char *room_id, const char *user_id);
/* The members of `room_id`: *out is a NULL-terminated array the caller
 * frees with br_store_strv_free (so that the caller may use the store
 * while it walks it), *n its length. 0, UT_ERR_NOMEM or ST_ERR_*. */
int br_store_member_list(st_db *db, const char *room_id, char ***out, size_t *n);
void br_store_strv_free(char **v);
/* The rooms of every owner's portal of `chat_id` (made ones), the same way. */
int br_store_portal_rooms_of_chat(st_db *db, const char *chat_id, char ***out, size_t *n);
/* A group's avatar (br_group_avatar): the Signal path it came from ("" =
 * none) and its mxc: URI ("" when none); 1 when one was recorded, 0 when
 * never. _put records them (mxc NULL = ""). */
int br_store_group_avatar_get(st_db *db, const char *chat_id, char *path, size_t pn,
                              char *mxc, size_t mn);
int br_store_group_avatar_put(st_db *db, const char *chat_id, const char *path,
                              const char *mxc);

/* ---- message map (br_store_msgmap.c) ---------------------------------- */

/* The Matrix event of the newest message by `author` in the chat at or
 * before `ts` (_before) or exactly at `ts` (_at). */
int br_store_msgmap_by_author_before(st_db *db, const char *owner, const char *chat_id,
                                     const char *author, int64_t ts, char *out, size_t n);
int br_store_msgmap_by_author_at(st_db *db, const char *owner, const char *chat_id,
                                 const char *author, int64_t ts, char *out, size_t n);
/* The group chat in which `author` sent the message at `ts`. */
int br_store_msgmap_group_of(st_db *db, const char *owner, const char *author, int64_t ts,
                             char *out, size_t n);

/* The Matrix event of Signal message (author, ts) in any chat of owner. */
int br_store_msgmap_event_of(st_db *db, const char *owner, const char *author, int64_t ts,
                             char *out, size_t n);

/* ---- relations from Signal: br_relin, br_reaction (br_store_relate.c) - */

/* One reaction, delete or edit received from Signal; text may be NULL. */
typedef struct br_store_relin {
    const char *owner, *chat_id, *sender, *target_author, *text;
    int64_t ts, target_ts, received_ms;
    int from_me, kind, remove;
} br_store_relin;
/* Store a received relation keyed by (owner, sender, ts): 1 when new, 0
 * when it was there already (a replay), or ST_ERR_*. */
int br_store_relin_put(st_db *db, const br_store_relin *r);
int br_store_relin_set_state(st_db *db, const char *owner, const char *sender, int64_t ts,
                             int state);
/* Each relation still to apply (state 0), oldest first; the row is
 * borrowed for the call and `fn` must not use the store (collect, then
 * apply). Stops at a nonzero return of `fn`. 0 or ST_ERR_*. */
typedef int (*br_store_relin_fn)(void *ctx, const br_store_relin *r);
int br_store_relin_each_pending(st_db *db, br_store_relin_fn fn, void *ctx);
/* Could the target of a relation still be bridged: a stored Signal
 * message without its event yet, or (the user's own) a queued send? */
int br_store_relation_target_coming(st_db *db, const char *owner, const char *author,
                                    int64_t ts);

/* Reactions bridged to Matrix, one per (target, reactor, emoji). */
int br_store_reaction_put(st_db *db, const char *owner, const char *target_author,
                          int64_t target_ts, const char *reactor, const char *emoji,
                          const char *room_id);
int br_store_reaction_set_event(st_db *db, const char *owner, const char *target_author,
                                int64_t target_ts, const char *reactor, const char *emoji,
                                const char *event_id);
int br_store_reaction_delete_event(st_db *db, const char *owner, const char *event_id);
/* The reactor's bridged reactions on the target: all of them when `all`,
 * else those with another emoji than `emoji`. *out is the caller's:
 * br_store_reactions_free. */
typedef struct br_store_reaction {
    char *event_id, *emoji;
} br_store_reaction;
int br_store_reaction_others(st_db *db, const char *owner, const char *target_author,
                             int64_t target_ts, const char *reactor, int all,
                             const char *emoji, br_store_reaction **out, size_t *n);
void br_store_reactions_free(br_store_reaction *v, size_t n);

/* ---- relations to Signal: br_relout (br_store_relout.c) --------------- */

/* Queue a relation from Matrix event `event_id` (the key: a replay adds
 * nothing), with the Signal timestamp it will always be sent with. 1 when
 * queued (*id its row), 0 when already there, or ST_ERR_*. text may be
 * NULL. */
int br_store_relout_put(st_db *db, const char *owner, const char *room_id, const char *chat_id,
                        const char *event_id, int kind, const char *target_author,
                        int64_t target_ts, const char *text, int remove, int64_t signal_ts,
                        int64_t *id);
/* The room and kind of a queued relation. */
int br_store_relout_get(st_db *db, int64_t id, char *room, size_t rn, int *kind);
/* state 1 sent, 2 failed (error may be NULL). */
int br_store_relout_set_state(st_db *db, int64_t id, int state, const char *error);
/* The relations still to send (of `owner`, or of everyone when NULL), in
 * queue order. *out is the caller's: br_store_relouts_free. */
typedef struct br_store_relout {
    int64_t id, target_ts, signal_ts;
    char *owner, *chat_id, *target_author, *text; /* text may be NULL */
    char *fmt; /* an edit's BR_NET_FMT ranges, or NULL */
    int kind, remove;
} br_store_relout;
/* An edit's formatting (BR_NET_FMT JSON), beside its queued row. */
int br_store_relout_set_fmt(st_db *db, int64_t id, const char *fmt);
int br_store_relout_pending(st_db *db, const char *owner, br_store_relout **out, size_t *n);
void br_store_relouts_free(br_store_relout *v, size_t n);

/* The user's own reactions from Matrix: stored with their event (which
 * replaces an older one of the same key), and found by it. */
int br_store_reaction_put_mine(st_db *db, const char *owner, const char *target_author,
                               int64_t target_ts, const char *reactor, const char *emoji,
                               const char *room_id, const char *event_id);
int br_store_reaction_find_mine(st_db *db, const char *owner, const char *event_id,
                                const char *reactor, char *target_author, size_t an,
                                int64_t *target_ts, char *emoji, size_t en);

/* The Signal message (chat, author, ts) bridged as Matrix `event_id`. */
int br_store_msgmap_find_by_event(st_db *db, const char *owner, const char *event_id,
                                  char *chat_id, size_t cn, char *author, size_t an,
                                  int64_t *ts);

/* ---- inbox (br_store_inbox.c) ----------------------------------------- */

/* Timestamps of the messages others sent in a chat after `after_ts` up to
 * the one bridged as `event_id`, newest first: at most `max` into ts[],
 * *n how many. 0 or ST_ERR_*. */
int br_store_inbox_unread_ts(st_db *db, const char *owner, const char *chat_id,
                             const char *event_id, int64_t after_ts, int64_t *ts,
                             size_t max, size_t *n);
/* The same, every row with its sender, ordered by sender then newest
 * first. *out is owned by the caller: br_store_inbox_rows_free. */
typedef struct br_store_inbox_row {
    char *sender;
    int64_t ts;
} br_store_inbox_row;
int br_store_inbox_unread_rows(st_db *db, const char *owner, const char *chat_id,
                               const char *event_id, int64_t after_ts,
                               br_store_inbox_row **out, size_t *n);
void br_store_inbox_rows_free(br_store_inbox_row *rows, size_t n);
/* A message that is only attachments maps to its first bridged one ("" when
 * none was bridged). */
int br_store_inbox_map_to_media(st_db *db, const char *owner, const char *sender, int64_t ts);
/* The whole text of a message not bridged yet (its long-text attachment
 * replaces the cut body). 0 or ST_ERR_*. */
int br_store_inbox_set_body(st_db *db, const char *owner, const char *sender, int64_t ts,
                            const char *body);
/* Store a received Signal message (no-op when that (owner, sender, ts) is
 * there already: a redelivery). */
int br_store_inbox_put(st_db *db, const char *owner, const char *chat_id, const char *sender,
                       int64_t ts, int from_me, const char *body);
/* The message is in Matrix as `event_id`. */
/* 1 when the chat's message (sender, ts) is stored and not yet in Matrix
 * (a reply to it waits for its event), 0 when not, < 0 on error. */
int br_store_inbox_waiting(st_db *db, const char *owner, const char *chat_id,
                           const char *sender, int64_t ts);
int br_store_inbox_set_event(st_db *db, const char *owner, const char *sender, int64_t ts,
                             const char *event_id);
/* A chat of an owner; lists of them are freed with br_store_chats_free. */
typedef struct br_store_chat {
    char *owner, *chat_id;
} br_store_chat;
void br_store_chats_free(br_store_chat *v, size_t n);
/* Every chat with messages stored but not yet in Matrix. */
int br_store_inbox_unbridged_chats(st_db *db, br_store_chat **out, size_t *n);
/* A chat's messages not yet in Matrix from `from_ts` on (INT64_MIN: all),
 * oldest first, as a list the caller frees with br_store_inbox_msgs_free
 * (read whole first: the caller writes while walking it). */
typedef struct br_store_inbox_msg {
    char *sender, *body;
    int64_t ts;
    int from_me;
} br_store_inbox_msg;
int br_store_inbox_unbridged(st_db *db, const char *owner, const char *chat_id, int64_t from_ts,
                             br_store_inbox_msg **out, size_t *n);
void br_store_inbox_msgs_free(br_store_inbox_msg *v, size_t n);

/* ---- attachments: br_media_in, br_media_out (br_store_media.c) -------- */

/* One attachment received from Signal. */
typedef struct br_store_media_in {
    int64_t id;
    char owner[320], chat_id[128], sender[64];
    int64_t ts;
    int idx, from_me, state;
    uint8_t *pointer; /* the caller wipes and frees it (ut_free_secret) */
    size_t pointer_len;
    char content_type[128], file_name[256], mxc[512];
    int has_type, has_name;
    uint64_t size;
    uint32_t width, height, flags;
} br_store_media_in;
int br_store_media_in_get(st_db *db, int64_t id, br_store_media_in *r);
/* Stores attachment `idx` of a message (a replay adds nothing). The
 * pointer (AttachmentPointer bytes) may be NULL with len 0. */
int br_store_media_in_put(st_db *db, const char *owner, const char *chat_id, const char *sender,
                          int64_t ts, int idx, int from_me, const void *pointer,
                          size_t pointer_len, const char *content_type, const char *file_name,
                          uint64_t size, uint32_t width, uint32_t height, uint32_t flags);
/* Attachment `idx` of a message: 1 with *r (its pointer freed: NULL),
 * 0 when there is none, or ST_ERR_*. */
int br_store_media_in_at(st_db *db, const char *owner, const char *sender, int64_t ts, int idx,
                         br_store_media_in *r);
/* The content type and file name ("" when unknown) of the attachment
 * whose Matrix event is event_id, either way (br_media_in, or the file of
 * a br_outbox row): 1, 0 when none, or ST_ERR_*. */
int br_store_media_by_event(st_db *db, const char *owner, const char *event_id,
                            char *content_type, size_t ct_n, char *name, size_t name_n);
/* The Signal message (chat, sender, ts) of an attachment bridged from
 * Signal as event_id: 1, 0 when none, or ST_ERR_*. */
int br_store_media_in_by_event(st_db *db, const char *owner, const char *event_id, char *chat,
                               size_t chat_n, char *sender, size_t sender_n, int64_t *ts);
/* New state, and the mxc once uploaded (NULL keeps it). */
int br_store_media_in_set_state(st_db *db, int64_t id, int state, const char *mxc);
/* The file's real size, once downloaded (a contact card's photo is only
 * known then; a sender may announce a wrong one). */
int br_store_media_in_set_size(st_db *db, int64_t id, uint64_t size);
/* Final state with its event or error; forgets the pointer (the key). */
int br_store_media_in_settle(st_db *db, int64_t id, int state, const char *event_id,
                             const char *error);
/* The first attachment of a message not yet bridged (state < 3). */
int br_store_media_in_next(st_db *db, const char *owner, const char *sender, int64_t ts,
                           int64_t *id);
/* 1 when an earlier message of the chat still has attachments on the way. */
int br_store_media_in_earlier(st_db *db, const char *owner, const char *chat_id, int64_t ts);

/* One file from Matrix queued for Signal, with its outbox row. */
typedef struct br_store_media_out {
    char owner[320], chat_id[128], mxc[512], content_type[128], name[256];
    char *caption; /* the caller's: free(); NULL when none */
    int state;
    uint32_t flags; /* BR_NET_ATT_* */
    int64_t signal_ts; /* chosen at queueing, sent on every try; 0 for rows
                          queued before files had one */
} br_store_media_out;
int br_store_media_out_get(st_db *db, int64_t id, br_store_media_out *r);
/* The file of outbox row `id` (see br_store_outbox_put_media); flags:
 * BR_NET_ATT_* (voice note, GIF, sticker). */
int br_store_media_out_put(st_db *db, int64_t id, const char *mxc, const char *content_type,
                           const char *name, const char *caption, uint32_t flags);
/* New state; content_type fills it in only when unknown (may be NULL). */
int br_store_media_out_set(st_db *db, int64_t id, int state, const char *content_type);
/* Outbox ids, in order, at most max: files of `owner` uploaded and waiting
 * to be sent (state 1), or every unfinished one (state < 3). */
int br_store_media_out_uploaded_ids(st_db *db, const char *owner, int64_t *ids, size_t max,
                                    size_t *n);
int br_store_media_out_unfinished_ids(st_db *db, int64_t *ids, size_t max, size_t *n);

/* ---- monthly active Signal users: br_usage (br_store_usage.c) --------- */

/* `month` is "YYYY-MM" (UTC). */
int br_store_usage_count(st_db *db, const char *month, long *n);
int br_store_usage_exists(st_db *db, const char *month, const char *aci);
int br_store_usage_add(st_db *db, const char *month, const char *aci);

/* ---- outbox (br_store_outbox.c) --------------------------------------- */

/* The Matrix room a queued message came from ("" when none). */
int br_store_outbox_room(st_db *db, int64_t id, char *out, size_t n);
/* 1 when a message of the chat still waits to be sent (state 0). */
int br_store_outbox_pending(st_db *db, const char *owner, const char *chat_id);
/* 1 when the message of Matrix `event_id` still waits to be sent and has
 * no Signal timestamp yet (a file: texts get theirs when queued). */
int br_store_outbox_event_queued(st_db *db, const char *event_id);
/* 1 when the message of Matrix `event_id` is queued or in flight with its
 * Signal timestamp already stored: its chat in chat[cn], the ts in *ts. */
int br_store_outbox_queued_ts(st_db *db, const char *owner, const char *event_id, char *chat,
                              size_t cn, int64_t *ts);
/* Queue a file's outbox row (state 3: its file goes first, br_media_out)
 * with the Signal timestamp every try of it carries: 1 when added (*id its
 * row), 0 when the event was queued already. */
int br_store_outbox_put_media(st_db *db, const char *owner, const char *room_id,
                              const char *chat_id, const char *event_id, const char *body,
                              int64_t signal_ts, int64_t created_ms, int64_t *id);
/* Marks a row failed for good (state 2) with the reason shown to users. */
int br_store_outbox_set_failed(st_db *db, int64_t id, const char *why);
/* The highest Signal timestamp stored for anything sent (outbox rows and
 * relations, br_relout), 0 when none. */
int br_store_outbox_max_ts(st_db *db, int64_t *ts);
/* Queue a text with its Signal timestamp: 1 when added (*id its row), 0
 * when the event was queued already. */
int br_store_outbox_put(st_db *db, const char *owner, const char *room_id, const char *chat_id,
                        const char *event_id, const char *body, int64_t signal_ts,
                        int64_t created_ms, int64_t *id);
/* A row as the outbox walks it. */
typedef struct br_store_outbox_row {
    int64_t id, signal_ts, created_ms, next_try_ms;
    int state, file, attempts;
    char room[256];
    char *body; /* the caller's: free(); NULL for a file */
} br_store_outbox_row;
/* The first row of a chat still to send (a text queued, or a file not
 * finished). */
int br_store_outbox_next(st_db *db, const char *owner, const char *chat_id,
                         br_store_outbox_row *r);
/* Row `id` (no body), with its owner and chat. */
int br_store_outbox_get(st_db *db, int64_t id, br_store_outbox_row *r, char *owner, size_t on,
                        char *chat_id, size_t cn);
int br_store_outbox_set_ts(st_db *db, int64_t id, int64_t signal_ts);
/* A transient failure: the row stays queued until `next_try_ms`. */
int br_store_outbox_set_retry(st_db *db, int64_t id, int attempts, int64_t next_try_ms,
                              const char *error);
/* The final answer: state 1 (sent) or 2 (failed); a missing Signal
 * timestamp is filled in with `signal_ts`. */
int br_store_outbox_settle(st_db *db, int64_t id, int state, int64_t signal_ts,
                           const char *error);
/* The account is connected: every queued row of `owner` may go now. */
int br_store_outbox_wake(st_db *db, const char *owner);
/* Rows from before created_ms existed: their age counts from `now_ms`. */
int br_store_outbox_date_undated(st_db *db, int64_t now_ms);
/* Every chat with a text queued or a file not finished, of one owner
 * (NULL: of all). */
int br_store_outbox_queued_chats(st_db *db, const char *owner, br_store_chat **out, size_t *n);

/* ---- puppets (br_store_puppet.c) -------------------------------------- */

/* A puppet's stored phone, profile name and the display name last set
 * ("" for NULL). */
int br_store_puppet_get(st_db *db, const char *aci, char *phone, size_t pn, char *name,
                        size_t nn, char *shown, size_t sn);
/* Insert or update; a NULL phone or name keeps the stored one. */
int br_store_puppet_put(st_db *db, const char *aci, const char *phone, const char *name,
                        const char *shown_name);
/* The name to show for `aci`: its profile name, else its phone number. */
int br_store_puppet_display(st_db *db, const char *aci, char *out, size_t n);
/* The name a mention of `aci` shows: the ghost's display name, else its
 * profile name, else its phone number. */
int br_store_puppet_mention_name(st_db *db, const char *aci, char *out, size_t n);
/* The Signal avatar path a ghost's avatar came from ("" = none) and its
 * mxc: URI ("" when none); 1 when one was recorded, 0 when never. */
int br_store_puppet_avatar_get(st_db *db, const char *aci, char *path, size_t pn,
                               char *mxc, size_t mn);
/* Record them (mxc NULL or "" = no avatar). */
int br_store_puppet_avatar_put(st_db *db, const char *aci, const char *path, const char *mxc);

/* ---- formatting, mentions, quotes: br_infmt, br_outfmt (br_store_fmt.c)
 *      Strings out are malloc'd, the caller frees them; NULL for a NULL
 *      column. */

/* The ranges and quote (JSON, br_fmt.c) of a received Signal message
 * (no-op when already stored). */
int br_store_infmt_put(st_db *db, const char *owner, const char *sender, int64_t ts,
                       const char *fmt);
int br_store_infmt_get(st_db *db, const char *owner, const char *sender, int64_t ts, char **fmt);
/* The text and ranges to send for outbox row `outbox_id` (no-op when
 * already stored). */
int br_store_outfmt_put(st_db *db, int64_t outbox_id, const char *text, const char *fmt);
int br_store_outfmt_get(st_db *db, int64_t outbox_id, char **text, char **fmt);
/* The body of Signal message (author, ts) of `owner`, received or sent. */
int br_store_message_body(st_db *db, const char *owner, const char *author, int64_t ts,
                          char **body);


/* ---- disappearing messages: br_chat_timer, br_expire (br_store_expire.c)
 *      Timers in seconds, times in ms. */

/* Set a chat's timer (0 = off); pending = 1: its state event and notice
 * are still to be sent to the room. version: its expireTimerVersion (0 =
 * none); the stored version becomes the higher of the two. */
int br_store_timer_set(st_db *db, const char *owner, const char *chat_id, uint32_t expire_s,
                       const char *changed_by, int64_t changed_ts, int pending, uint32_t version);
/* The chat's timer: 1 and *expire_s and *version (may be NULL), 0 when
 * none was ever set, ST_ERR_*. */
int br_store_timer_get(st_db *db, const char *owner, const char *chat_id, uint32_t *expire_s,
                       uint32_t *version);
/* The state event and notice of the chat's timer were sent. */
int br_store_timer_sent(st_db *db, const char *owner, const char *chat_id);
/* Chats whose timer's state event is still to be sent (for a restart). */
typedef struct br_store_timer_row {
    char *owner, *chat_id, *changed_by;
    uint32_t expire_s;
    int64_t changed_ts;
} br_store_timer_row;
int br_store_timer_pending(st_db *db, br_store_timer_row **out, size_t *n);
void br_store_timer_rows_free(br_store_timer_row *v, size_t n);

/* A bridged message that disappears expire_s after its countdown starts;
 * expire_at: when, or 0 while not started (no-op when already stored). */
int br_store_expire_put(st_db *db, const char *owner, const char *chat_id, const char *sender,
                        int64_t ts, uint32_t expire_s, int64_t expire_at);
/* One of its Matrix events, once bridged (a message with attachments is
 * several: each is redacted): who redacts it (the author's Matrix user).
 * A no-op when the message does not disappear. */
int br_store_expire_set_event(st_db *db, const char *owner, const char *sender, int64_t ts,
                              const char *room_id, const char *event_id, const char *redact_as);
/* Start the countdown at now_ms of the chat's messages up to `up_to_ts`
 * (sender NULL: any author but `not_sender`; else only theirs) not started
 * yet. The number of rows started, or ST_ERR_*. */
int br_store_expire_start(st_db *db, const char *owner, const char *chat_id, const char *sender,
                          const char *not_sender, int64_t up_to_ts, int64_t now_ms);
/* The Signal timestamp of the bridged message `event_id` in one of the
 * user's rooms: 1 and *ts, 0 when unknown. */
int br_store_expire_ts_of(st_db *db, const char *owner, const char *event_id, int64_t *ts);
/* The Matrix events of messages due by now_ms, up to max; the earliest
 * expire_at of those not due (0 when none) in *next_at. */
typedef struct br_store_expire_row {
    char *owner, *sender, *room_id, *event_id, *redact_as;
    int64_t ts;
} br_store_expire_row;
int br_store_expire_due(st_db *db, int64_t now_ms, size_t max, br_store_expire_row **out,
                        size_t *n, int64_t *next_at);
void br_store_expire_rows_free(br_store_expire_row *v, size_t n);
/* The event was redacted (or never can be): its row goes, and the
 * message's too when it has no other event and is wholly bridged. */
int br_store_expire_done(st_db *db, const char *owner, const char *sender, int64_t ts,
                         const char *event_id);

/* ---- polls started in Matrix, the user's votes (br_store_poll.c) ------- */

/* A poll the user started in Matrix: answers is a JSON array of its
 * answer ids in Signal's option order. Idempotent. */
int br_store_poll_put(st_db *db, const char *owner, const char *event_id, const char *answers);
/* *answers malloc'd: 1, 0 (not one of ours) or ST_ERR_*. */
int br_store_poll_answers(st_db *db, const char *owner, const char *event_id, char **answers);
/* The count of the user's next vote on that poll (1, 2, ...), stored. */
int br_store_poll_vote_next(st_db *db, const char *owner, const char *poll_event_id,
                            uint32_t *count);
/* A Signal voter's vote (its voteCount, and the vote message's timestamp)
 * on a poll: 1 when it is newer than the last one seen (stored as the
 * last), or the same vote again; 0 when its count is not above the last
 * one's (an older vote: drop it); or ST_ERR_*. */
int br_store_poll_seen(st_db *db, const char *owner, const char *poll_event_id,
                       const char *voter, uint32_t count, int64_t vote_ts);

#endif
