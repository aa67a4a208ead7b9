/*
 * br_internal.h - the bridge core's state, shared by br_bridge.c (events,
 * database), br_bot.c (the bot room and commands) and br_portal.c (portals,
 * puppets, messages). Host loop thread only.
 */
#ifndef BR_INTERNAL_H
#define BR_INTERNAL_H

#include <jansson.h>

#include "br_bridge.h"
#include "br_config.h"
#include "br_media.h"
#include "br_net.h"
#include "mx_conn.h"
#include "mx_event.h"
#include "st_db.h"

typedef struct br_login {
    char *owner;
    char *number;    /* E.164, NULL until linked */
    char *aci;
    int linking;
    int connected;
    int trouble;     /* BR_NET_ERR_* told for this outage (br_netfail.h) */
    int64_t last_activity_ms;
    /* the QR code's image and link notice on show (br_bot.c), redacted
     * when the link ends or a new code replaces it; qr_gen counts the
     * codes so that a send answered late finds its code gone */
    char *qr_room, *qr_ev[2];
    unsigned qr_gen;
    struct br_login *next;
} br_login;

typedef struct br_failcount { /* decryption failures waiting for a notice */
    char *owner, *chat_id;
    int count;
    struct br_failcount *next;
} br_failcount;

/* How long a write on the homeserver's loop waits for the lock (ms). */
#define BR_DB_BUSY_MS 100

struct br_bridge {
    const mxm_host_api *host;
    br_config cfg;
    ut_log log;
    mx_conn *mx;
    st_db *db;
    br_net_ops net;
    int have_net;
    char bot[320];        /* @signalbot:server */
    br_login *logins;
    br_failcount *fails;
    uint64_t fail_timer;
    uint64_t next_request;
    int stopping;
    struct br_media_state *media; /* br_media.c */
    uint64_t relate_timer;  /* br_relate.c: retry of relations waiting */
    struct br_pstate *pstate; /* br_ephem.c: typing/receipts sent per portal */
    uint64_t ephem_timer;     /* br_ephem.c: receipts waiting for a send result */
    struct br_obx *obx;       /* br_outbox.c: chats in flight, retries */
    struct br_direct *direct; /* br_portal.c: m.direct updates, one at a time */
    uint64_t inbox_timer;     /* br_portal.c: Signal -> Matrix retries */
    int inbox_attempts;
    struct inbox_pending *inbox_pending; /* messages not stored yet */
    struct reply_wait *reply_waits; /* br_portal.c: replies held for their
                                       quoted message's event */
    size_t n_reply_waits;
    struct read_wait *read_waits; /* br_portal.c: read markers waiting for
                                     their message's event */
    struct br_gwait *gwait;   /* br_group.c: group rooms waiting for a title */
    uint64_t gwait_timer;
    uint64_t relout_timer;    /* br_relout.c: the age limit of queued relations */
    int may_defer;            /* the Matrix event being handled can come again */
    int deferred;             /* ... and is left to the host's retry */
    struct br_prov *prov;     /* br_prov.c: the provisioning API's waits */
    uint64_t expire_timer;    /* br_expire.c: the sweep of disappearing messages */
    int expire_busy;          /* redactions in flight */
    int expire_retry;         /* one failed: sweep again later */
    struct br_retry *retries; /* br_retry.c: writes of callbacks, retried */
    uint64_t retry_timer;
    int retry_attempts;
};

/* br_usage.c: Signal accounts active this month; may this account send
 * this month (it is counted when new)? 1 yes, 0 no, < 0 the store failed
 * (ST_ERR_*: a store error is not "the limit is reached"). */
long br_usage_count(br_bridge *b);
int br_usage_admit(br_bridge *b, const char *aci);
/* br_puppet.c: a Signal user's ghost: its MXID; make sure it exists and
 * shows the best name known (a NULL or empty phone or name keeps the
 * stored one); the same with nothing new. */
int br_puppet_mxid(br_bridge *b, const char *aci, char *out, size_t n);
void br_puppet_update(br_bridge *b, const char *aci, const char *phone, const char *name);
void br_puppet_ensure(br_bridge *b, const char *aci);
/* A Signal profile's avatar (path "" = none; data the image): uploaded
 * once per path, set on the ghost and its DM portals. */
void br_puppet_avatar(br_bridge *b, const char *aci, const char *path,
                      const uint8_t *data, size_t len);
/* br_login.c: the login of `owner` (made when `create`), NULL when none;
 * load them all from the store (start); free them all (stop). */
br_login *br_login_get(br_bridge *b, const char *owner, int create);
void br_login_load(br_bridge *b);
void br_login_free_all(br_bridge *b);
/* br_dedupe.c: a store write that the Matrix event being handled needs
 * failed with `rc`. 1: the host hands the event again later (ABI 1.1
 * on_event_try; the failure is one a later try may not meet), so the
 * handler returns without effect or notice; 0: the handler copes itself
 * (retry from memory, or a notice). */
int br_defer(br_bridge *b, int rc);
/* br_room.c: a notice from the bot in a room (NULL room: nothing). */
void br_notice(br_bridge *b, const char *room_id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A notice with its own HTML (NULL: plain text only). */
void br_notice_html(br_bridge *b, const char *room_id, const char *text,
                    const char *html);
/* A notice whose send result goes to cb (br_notice's HTML). */
void br_notice_cb(br_bridge *b, const char *room_id, mx_done_fn cb, void *arg,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The user's room with the bot: 1 found, 0 not. */
int br_mgmt_room(br_bridge *b, const char *owner, char *room, size_t n);
/* A portal's owner and chat: 1 found, 0 not. */
int br_room_owner(br_bridge *b, const char *room_id, char *owner, size_t on,
                  char *chat_id, size_t cn);
/* Store the room a new portal got, or remove the row of a portal whose
 * room could not be made; these writes are
 * retried on the loop while they fail for a reason that can pass
 * (br_retry.h). 0 stored now, 1 queued: `ready` (may be NULL) runs once a
 * queued room is stored, so that what waited for the portal goes then;
 * < 0 failed for good. A write still queued at a stop leaves a row
 * "being made", which the next start removes (br_portal_resume). */
typedef void (*br_room_ready_fn)(br_bridge *b, const char *owner, const char *chat_id);
int br_room_save_portal(br_bridge *b, const char *owner, const char *chat_id,
                        const char *room_id, br_room_ready_fn ready);
int br_room_drop_portal(br_bridge *b, const char *owner, const char *chat_id);

/* br_history.c: BR_NET_HISTORY: the notices in the bot room, and the
 * confirm of DONE once the history before it is stored. */
void br_history_net_event(br_bridge *b, const br_net_event *ev);

/* br_access.c: br_config_may_bridge() applied (see there). */
int br_access_ok(const br_bridge *b, const char *user_id);
/* At start, after the logins are loaded: the one log line of `enabled:
 * false`, and the one notice to each user who lost (or regained) access. */
void br_access_start(br_bridge *b);
/* 1 when a Signal-side event of ev->owner may be handled now; the caller
 * drops the others unconfirmed. */
int br_access_net_event(br_bridge *b, const br_net_event *ev);
/* Logout: forget that the user was told (1 if there was such a row). */
int br_access_forget(br_bridge *b, const char *owner);

/* br_bot.c */
void br_bot_on_invite(br_bridge *b, const mx_event *ev);
void br_bot_on_message(br_bridge *b, const mx_event *ev, const char *owner);
/* Unlink l's Signal account (or stop its linking) and forget it; says
 * nothing (the `logout` command and the provisioning API word it). */
void br_bot_logout(br_bridge *b, br_login *l);
/* The handlers of Signal-side events: they borrow ev, the dispatcher
 * (br_bridge_net_event) frees it. */
void br_bot_net_event(br_bridge *b, const br_net_event *ev);

/* br_outbox.c: a Matrix message in a portal, to Signal (text here, files
 * on to br_media_out.c). */
void br_outbox_on_message(br_bridge *b, const mx_event *ev, const char *owner,
                          const char *chat_id);
/* Queue a message that only changes the chat's disappearing timer (fmt:
 * BR_NET_FMT JSON with "tu" and "x") for the user's command event `ev`:
 * 1 queued, 0 already queued (a replay), ST_ERR_* not stored. */
int br_outbox_timer(br_bridge *b, const mx_event *ev, const char *owner, const char *chat_id,
                    const char *fmt);

/* br_portal.c */
void br_portal_net_event(br_bridge *b, const br_net_event *ev);
/* Open the DM portal with aci (made if absent, owner invited again if
 * present). tell: a room for the answer (the bot room of `pm`), or NULL. */
int br_portal_open_dm(br_bridge *b, const char *owner, const char *aci,
                      const char *phone, const char *tell);
/* Rename the DM portals of aci after its contact's current name (the ghost
 * sends it: the bot lacks the power level in DMs). */
void br_portal_rename_dm(br_bridge *b, const char *aci);
void br_portal_avatar_dm(br_bridge *b, const char *aci, const char *mxc);
void br_portal_resume(br_bridge *b);
/* Cancel the portal side's timers and free its state (at stop). */
void br_portal_stop(br_bridge *b);
/* br_outbox.c: a SEND_RESULT (does not free ev); at start, arm the age
 * limit of what is queued; the account is connected: send what waited;
 * free the outbox's state. */
void br_outbox_result(br_bridge *b, const br_net_event *ev);
void br_outbox_resume(br_bridge *b);
void br_outbox_online(br_bridge *b, const char *owner);
void br_outbox_stop(br_bridge *b);
/* The Signal timestamp for a new outgoing text or relation: stored before
 * the first send, strictly increasing. */
int64_t br_signal_ts_next(br_bridge *b);
/* The delay before retry number `attempts` (1-based), in ms. */
int64_t br_outbox_backoff_ms(int attempts);
/* Outbox row id (in flight, waiting for something it needs, such as a
 * link preview's image) can go now: send the chat's queue again. */
void br_outbox_repump(br_bridge *b, int64_t id, const char *owner, const char *chat_id);
/* 1 when outbox row `id` may go to Signal now: nothing of owner's chat
 * is in flight and it is the chat's first row without a final answer.
 * One send per chat at a time, in the order written, texts and files
 * alike (Signal-Desktop ts/jobs/conversationJobQueue.ts: one queue per
 * conversation). */
int br_outbox_turn(br_bridge *b, const char *owner, const char *chat_id, int64_t id);
/* The file at outbox row `after` of owner's chat got its final answer:
 * send what is queued behind it, in order. */
void br_outbox_release(br_bridge *b, const char *owner, const char *chat_id,
                       int64_t after);
/* For br_media.c: the portal's room (1 ready, 0 absent, -1 being made);
 * bridge (again) the chat's unbridged inbox rows
 * from Signal timestamp `ts` on, in order. */
int br_portal_room(br_bridge *b, const char *owner, const char *chat_id,
                   char *room, size_t n);
/* The user's read marker (m.fully_read and m.read, double puppeting only)
 * on the chat's message (sender, ts): now when it is in Matrix, else as
 * soon as it is (in memory: a lost marker is harmless). */
void br_portal_read_marker(br_bridge *b, const char *owner, const char *chat_id,
                           const char *sender, int64_t ts);
void br_portal_flush_from(br_bridge *b, const char *owner, const char *chat_id,
                          int64_t ts);

#endif
