/*
 * br_net.h - what the bridge needs from the Signal side, as one ops table
 * (bridgev2's NetworkAPI in C). module/bridge/connector/ implements it over
 * module/signal/client; the bridge core never sees a Signal type.
 *
 * Calls are made on the host loop thread and must return at once; results
 * arrive later as br_net_event values handed to br_bridge_net_event() on the
 * host loop (the implementation posts them across threads).
 */
#ifndef BR_NET_H
#define BR_NET_H

#include <stddef.h>
#include <stdint.h>

typedef enum br_net_kind {
    BR_NET_LINK_URL = 1,  /* text: the sgnl:// URL to show as QR + text */
    BR_NET_LINKED,        /* text: E.164 number, id: our ACI */
    BR_NET_LINK_FAILED,   /* code: BR_NET_ERR_*, text: reason */
    BR_NET_UNLINKED,      /* Signal refuses this device: code
                             BR_NET_ERR_UNLINKED (the phone or Signal
                             removed it) or BR_NET_ERR_OUTDATED (499) */
    BR_NET_CONNECTION,    /* code: 1 connected, 0 connecting/offline */
    BR_NET_MESSAGE,       /* a message in a chat; durable_id to confirm */
    BR_NET_CONTACT,       /* id: ACI, text: profile name (may be empty), phone */
    BR_NET_SEND_RESULT,   /* outbox_id, code 0 or BR_NET_ERR_*, ts */
    BR_NET_DECRYPT_FAILED,/* chat_id, sender: could not decrypt one message */
    BR_NET_RESOLVED,      /* outbox_id as request id, id: ACI or empty */
    BR_NET_DOWNLOADED,    /* outbox_id: the download's request id; code 0
                             or BR_NET_ERR_*, text: the reason */
    BR_NET_CHAT,          /* chat_id: a chat known from the phone (storage,
                             sync) or Note to Self: open its portal if there
                             is none; phone: the contact's number if known;
                             code BR_NET_CHAT_BLOCKED: blocked, drop its
                             messages (0: not, or no longer, blocked) */
    BR_NET_RELATION,      /* a reaction/delete/edit in a chat: chat_id, sender,
                             from_me, ts, durable_id, rel, target_author,
                             target_ts, text (emoji or new body), remove */
    BR_NET_RELATE_RESULT, /* outbox_id of a relate op, code, ts */
    BR_NET_RECEIPT,       /* chat_id, sender read our messages up to ts;
                             from_me: the user read sender's, on the phone */
    BR_NET_TYPING,        /* chat_id, sender, code 1 started / 0 stopped */
    BR_NET_IDENTITY,      /* chat_id ("dm:<aci>"), sender: that contact's
                             safety number changed (a new phone, a reinstall
                             or an attack); comes before the message that
                             revealed it */
    BR_NET_GROUP_INFO,    /* chat_id (a group), text: its title ("" when
                             none), members: the full members' ACIs but ours,
                             code: the state's revision, avatar: its
                             avatar's Signal path ("" none, NULL unknown) */
    BR_NET_AVATAR,        /* id: ACI; text: its profile avatar's Signal
                             path ("" = none); data/data_len: the image.
                             Or chat_id (a group) instead of id: the
                             group's avatar, after its GROUP_INFO */
    BR_NET_CONN_TROUBLE,  /* the linked account's connection to Signal fails
                             for a reason the user and admin must act on
                             (it is retried): code BR_NET_ERR_TLS or
                             BR_NET_ERR_DNS, text: the reason */
    BR_NET_GROUP_CHANGED, /* the end of a group_change: chat_id, rel: what
                             (BR_GCHANGE_*), code 0 or BR_NET_ERR_*, text:
                             the reason */
    BR_NET_HISTORY        /* the phone's message history at link: code
                             BR_NET_HIST_START (target_ts: chats, ts:
                             messages) before its CHAT and MESSAGE events,
                             BR_NET_HIST_DONE after them (same counts;
                             confirm durable_id once they are stored), or
                             BR_NET_HIST_FAILED / _RELINK / _SKIPPED with
                             text: the reason; BR_NET_HIST_READ after a
                             chat's messages: chat_id, sender, ts name the
                             message where the phone's read marker was */
} br_net_kind;

/* BR_NET_HISTORY codes */
enum {
    BR_NET_HIST_START = 1,
    BR_NET_HIST_DONE = 2,
    BR_NET_HIST_FAILED = 3,   /* unreadable archive: nothing imported */
    BR_NET_HIST_RELINK = 4,   /* the phone failed and asks for a new link */
    BR_NET_HIST_SKIPPED = 5,  /* the user went on without history */
    BR_NET_HIST_READ = 6      /* a chat's read marker */
};

/* BR_NET_CHAT code: the user blocked this chat on the phone. */
enum { BR_NET_CHAT_BLOCKED = 1 };

/* What a relation does (BR_NET_RELATION, br_net_ops.relate). */
enum { BR_REL_REACTION = 1, BR_REL_DELETE = 2, BR_REL_EDIT = 3 };

enum {
    BR_NET_ERR_TIMEOUT = 1,   /* the QR code was not scanned in time */
    BR_NET_ERR_NETWORK = 2,
    BR_NET_ERR_RATE_LIMIT = 3,
    BR_NET_ERR_UNREGISTERED = 4,
    BR_NET_ERR_INTERNAL = 5,
    BR_NET_ERR_DIGEST = 6,    /* an attachment failed its digest/MAC check */
    BR_NET_ERR_TOO_BIG = 7,   /* an attachment over the size limit */
    BR_NET_ERR_HTTP = 8,      /* the CDN answered with an error */
    BR_NET_ERR_OFFLINE = 9,   /* not connected now; try again after
                                 CONNECTION code 1 */
    BR_NET_ERR_TEMPORARY = 10,/* the service failed for now (5xx, 409/410
                                 kept coming, cancelled): retry later */
    BR_NET_ERR_NOT_MEMBER = 11,/* we are not a member of that group */
    BR_NET_ERR_FORBIDDEN = 12, /* the group lets only its admins do that */
    /* why Signal refused a link or a linked device (LINK_FAILED, UNLINKED);
     * numbered apart so that other branches' additions cannot clash */
    BR_NET_ERR_CAPABILITY = 20,   /* link refused: a capability missing (409) */
    BR_NET_ERR_DEVICE_LIMIT = 21, /* link refused: too many devices (411) */
    BR_NET_ERR_LINK_CODE = 22,    /* link refused: code wrong or used (403) */
    BR_NET_ERR_OUTDATED = 23,     /* this client version refused (499) */
    BR_NET_ERR_UNLINKED = 24,     /* credentials refused: device unlinked */
    /* Reaching Signal (link, connection); br_netfail.h words them.
     * Numbered apart from the others so their additions do not clash. */
    BR_NET_ERR_TLS = 25,      /* the server's certificate did not verify */
    BR_NET_ERR_DNS = 26,      /* the server's host name did not resolve */
    BR_NET_ERR_UNREACHABLE = 27 /* no TCP connection to the server */
};
/* May a send that failed with this code succeed later? Permanent
 * refusals (unregistered, not a member, too big, internal) do not. */
#define BR_NET_ERR_TRANSIENT(c) ((c) == BR_NET_ERR_NETWORK || (c) == BR_NET_ERR_RATE_LIMIT || \
                                 (c) == BR_NET_ERR_OFFLINE || (c) == BR_NET_ERR_TEMPORARY || \
                                 (c) == BR_NET_ERR_TLS || (c) == BR_NET_ERR_DNS || \
                                 (c) == BR_NET_ERR_UNREACHABLE)

/* An attachment of a MESSAGE. The pointer is the network's own handle for
 * download() (it holds the file's key: keep it out of logs). */
typedef struct br_net_attachment {
    char *content_type;  /* may be NULL */
    char *file_name;     /* may be NULL */
    uint64_t size;       /* plaintext bytes, as announced */
    uint32_t width, height; /* 0 when unknown */
    uint32_t flags;      /* BR_NET_ATT_* */
    uint8_t *pointer;
    size_t pointer_len;
} br_net_attachment;

/* AttachmentPointer.Flags (Signal-Desktop protos/SignalService.proto:
 * VOICE_MESSAGE 1, GIF 8), a sticker's image (DataMessage.Sticker.data),
 * the media of a view-once message (DataMessage.isViewOnce: shown in
 * Matrix with mautrix-signal's notice as its caption, and redacted after
 * it is read, br_media.c) and a link preview's image (DataMessage.Preview.image:
 * not an event of its own, it goes into the message's com.beeper.linkpreviews,
 * BR_NET_FMT "lp"); numbered for the bridge, stored in
 * br_media_in/br_media_out.flags. */
enum { BR_NET_ATT_VOICE = 1, BR_NET_ATT_GIF = 2, BR_NET_ATT_STICKER = 4,
       BR_NET_ATT_VIEW_ONCE = 8, BR_NET_ATT_PREVIEW = 16,
       BR_NET_ATT_QUOTE_THUMB = 32 /* the thumbnail of a quoted attachment
                                      (Quote.attachments[0].thumbnail), shown
                                      with the quote when the quoted message
                                      is not in Matrix; BR_NET_FMT "q"."i" */ };
/* How long view-once media stay in Matrix after they are read (seconds):
 * mautrix-signal pkg/msgconv/from-signal.go ViewOnceDisappearTimer. */
#define BR_NET_VIEW_ONCE_S 300u

/* One event; strings are owned by the event and freed by br_net_event_free.
 * Whoever receives one through br_net_sink.event owns it: the bridge's one
 * dispatcher (br_bridge_net_event) frees it after its handler returns, and
 * the handlers only borrow it. */
typedef struct br_net_event {
    br_net_kind kind;
    char *owner;      /* the Matrix user whose account it concerns */
    int code;
    char *id;         /* an ACI */
    char *text;       /* URL, number, name, message body */
    char *phone;
    char *chat_id;    /* "dm:<aci>", "group:<hex id>" or "self" */
    char *sender;     /* ACI of the sender */
    int from_me;      /* sent by the user from another device */
    int64_t ts;       /* Signal timestamp (ms) */
    uint64_t durable_id; /* confirm with ops->confirm once stored */
    uint64_t outbox_id;
    br_net_attachment *atts; /* MESSAGE: n_atts attachments, owned */
    size_t n_atts;
    int rel;             /* RELATION: BR_REL_* */
    char *target_author; /* ACI of the message acted on */
    int64_t target_ts;   /* its Signal timestamp */
    int remove;          /* a reaction taken back */
    char **members;      /* GROUP_INFO: n_members ACIs, owned */
    size_t n_members;
    char *fmt;           /* MESSAGE: its body ranges and quote as
                            BR_NET_FMT JSON, or NULL when none */
    uint8_t *data;       /* AVATAR: the image, owned */
    size_t data_len;
    char *avatar;        /* GROUP_INFO: the avatar's path (see above) */
    uint32_t expire_s;   /* MESSAGE: the chat's disappearing timer the
                            message carries (DataMessage.expireTimer, s;
                            0 = none) */
    int timer_update;    /* MESSAGE: it only sets the chat's timer to
                            expire_s (EXPIRATION_TIMER_UPDATE; no text) */
    int timer_known;     /* MESSAGE: a DataMessage whose expireTimer is
                            the sender's idea of the chat's timer */
    uint32_t chat_timer; /* MESSAGE: that expireTimer (s), before a
                            view-once cap; GROUP_INFO: the group's timer */
    uint32_t timer_version; /* MESSAGE: DataMessage.expireTimerVersion
                               (0 = none) */
} br_net_event;

/* BR_NET_FMT: a Signal text's body ranges (UTF-16 offsets; style
 * br_conv.h BR_STYLE_*, or a mention's ACI) and quote, as JSON:
 *   {"r": [[start, length, style, "aci" or ""], ...],
 *    "q": {"ts": quoted timestamp, "author": "ACI", "text": "...",
 *          "a": the quoted attachment's content type, "n": its file name,
 *          "i": the index of its thumbnail among the MESSAGE's atts},
 *    "lp": [[url, title, description, index of the preview's image among
 *           the MESSAGE's atts or -1], ...] (received link previews), or
 *          [{"u": url, "t": title, "d": description, "f": the image's
 *            local file, "ct": its type, "w", "h"}, ...] (to send),
 *    "x": the chat's disappearing timer in seconds (DataMessage.expireTimer),
 *    "tu": 1 when the message only sets that timer (no body),
 *    "xv": that timer's version (DataMessage.expireTimerVersion)}
 * all members optional. */

/* A reaction/delete/edit to send (br_net_ops.relate); strings borrowed. */
typedef struct br_net_relation {
    int kind;                  /* BR_REL_* */
    const char *target_author; /* ACI; reactions only */
    int64_t target_ts;         /* the original message's timestamp */
    const char *text;          /* emoji, or the new body of an edit */
    int remove;
    int64_t ts;                /* the Signal timestamp to use (stable) */
    const char *fmt;           /* an edit's body ranges (BR_NET_FMT), or NULL */
} br_net_relation;

/* Free an event and everything it owns (NULL is fine); attachment pointers
 * are wiped first. br_net_event.c. */
void br_net_event_free(br_net_event *ev);
/* A deep copy, for a handler that keeps an event past its return (the
 * dispatcher frees the original); NULL when out of memory. */
br_net_event *br_net_event_dup(const br_net_event *ev);

/* Where a network implementation delivers its events: the bridge core,
 * wired up by plugin.c, so the connector needs no bridge header but this
 * one. event() runs on the host loop and takes ownership of ev (the core's
 * dispatcher frees it, br_bridge.c); may_bridge() may be called from any
 * thread (the config never changes after start). */
typedef struct br_net_sink {
    void *ctx;
    void (*event)(void *ctx, br_net_event *ev);
    int (*may_bridge)(void *ctx, const char *owner);
} br_net_sink;

typedef struct br_net_ops {
    void *ctx;
    /* Start linking a new device for `owner`; events: LINK_URL, then LINKED
     * or LINK_FAILED. */
    int (*link)(void *ctx, const char *owner, long timeout_s);
    int (*cancel_link)(void *ctx, const char *owner);
    /* Unlink and forget the account. */
    int (*logout)(void *ctx, const char *owner);
    /* Send text to a chat with Signal timestamp `ts` (stored by the caller
     * before the first attempt, the same on every resend, so receivers
     * drop a duplicate); SEND_RESULT later carries outbox_id. */
    int (*send_text)(void *ctx, const char *owner, const char *chat_id,
                     const char *text, int64_t ts, uint64_t outbox_id);
    /* send_text with body ranges and a quote (fmt: BR_NET_FMT JSON). NULL
     * when not supported (then send_text, unformatted). */
    int (*send_fmt)(void *ctx, const char *owner, const char *chat_id,
                    const char *text, const char *fmt, int64_t ts, uint64_t outbox_id);
    /* Look up a phone number; RESOLVED later carries request_id. */
    int (*resolve)(void *ctx, const char *owner, const char *e164,
                   uint64_t request_id);
    /* The bridge stored a MESSAGE durably: the network may ack it now. */
    void (*confirm)(void *ctx, const char *owner, uint64_t durable_id);
    /* Stop all accounts and threads; the last call. */
    void (*shutdown)(void *ctx);
    /* Fetch and verify an attachment (a pointer from br_net_attachment,
     * copied) into the file `path` (written only when it verified);
     * DOWNLOADED later carries request_id. NULL when not supported. */
    int (*download)(void *ctx, const char *owner, const uint8_t *pointer,
                    size_t len, const char *path, uint64_t request_id);
    /* Send the file at `path` (its base name is the file name shown) with
     * an optional caption, as the message with Signal timestamp `ts` (0:
     * now; the bridge stores it before the first try and passes it on
     * every retry, so receivers drop a resend); flags BR_NET_ATT_*: a
     * voice note, a GIF, or a sticker (then caption is its emoji or NULL);
     * fmt: BR_NET_FMT JSON whose "x"/"xv" (the chat's timer) go on the
     * message, or NULL; SEND_RESULT later carries outbox_id. */
    int (*send_file)(void *ctx, const char *owner, const char *chat_id,
                     const char *path, const char *content_type,
                     const char *caption, uint32_t flags, const char *fmt, int64_t ts,
                     uint64_t outbox_id);
    /* Send a reaction/delete/edit to a chat; RELATE_RESULT later carries
     * relout_id. NULL when the Signal side cannot. */
    int (*relate)(void *ctx, const char *owner, const char *chat_id,
                  const br_net_relation *r, uint64_t relout_id);
    /* The user read these messages of the chat's peer (Signal timestamps);
     * fire and forget. */
    int (*read)(void *ctx, const char *owner, const char *chat_id,
                const int64_t *ts, size_t n);
    /* The user started (1) or stopped (0) typing in a chat. */
    int (*typing)(void *ctx, const char *owner, const char *chat_id, int started);
    /* A group's known state (title, members) as GROUP_INFO, if the Signal
     * side has one; NULL when it cannot. send_text to a group chat works
     * only when this is set. */
    int (*group_info)(void *ctx, const char *owner, const char *chat_id);
    /* Change a group's title, description (text) or disappearing timer
     * (timer, seconds) on Signal (BR_GCHANGE_*); GROUP_CHANGED follows,
     * and GROUP_INFO with the new state on success. NULL when the Signal
     * side cannot. */
    int (*group_change)(void *ctx, const char *owner, const char *chat_id, int what,
                        const char *text, uint32_t timer);
} br_net_ops;

/* What br_net_ops.group_change changes. */
enum { BR_GCHANGE_TITLE = 1, BR_GCHANGE_DESCRIPTION = 2, BR_GCHANGE_TIMER = 3 };

#endif
