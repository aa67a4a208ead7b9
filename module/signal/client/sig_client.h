/*
 * sig_client.h - one linked Signal account as a state machine on the
 * caller's libevent loop (many sig_clients may share one loop and one
 * st_db). No Matrix here: the bridge and signalctl sit on top.
 *
 * Lifecycle:
 *   sig_client_new()            load the account from the store if linked
 *   sig_client_link()           not linked: provisioning socket, emits
 *                               SIG_EV_LINK_URL, then SIG_EV_LINKED or
 *                               SIG_EV_LINK_FAILED (SIG_ERR_LINK_TIMEOUT
 *                               when nobody scanned in time)
 *   sig_client_start()          linked: authenticated chat socket; messages
 *                               flow as SIG_EV_MESSAGE, SIG_EV_RECEIPT, ...
 *   sig_client_free()
 *
 * Durability: an incoming message is decrypted, its Content and the updated
 * session written to the store in one transaction, then acknowledged to the
 * server, then handed to the caller as SIG_EV_MESSAGE with msg->id. The
 * caller calls sig_client_done(id) once it has made the message durable on
 * its side; until then the message is handed over again by every
 * sig_client_start (e.g. after a crash). Replays from the server of a
 * message already stored are acknowledged and dropped (dedupe by sender,
 * device, timestamp).
 *
 * Threads: the loop thread of `base` only; events are called on it, from
 * inside the loop (never from inside a sig_client_* call, except
 * sig_client_free which emits nothing). sig_client_free may be called from
 * inside the event callback.
 *
 * The process must ignore SIGPIPE (signal(SIGPIPE, SIG_IGN)): a write to a
 * TLS connection the server reset would otherwise kill it.
 *
 * Secrets (keys, password, plaintext) never reach the log. Errors: 0 or a
 * negative SIG_ERR_* (sig_err.h) or a code of a lower layer.
 */
#ifndef SIG_CLIENT_H
#define SIG_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "st_db.h"
#include "ut.h"

struct event_base;
struct evdns_base;
struct sn_gate;
struct sn_tls;

typedef struct sig_client sig_client;

typedef enum sig_event_type {
    SIG_EV_LINK_URL = 1,   /* link_url: render it as a QR code */
    SIG_EV_LINKED,         /* number, aci, device_id */
    SIG_EV_LINK_FAILED,    /* err: SIG_ERR_LINK_TIMEOUT or another error */
    SIG_EV_CONN,           /* conn: SIG_CONN_*; err says why when offline */
    SIG_EV_MESSAGE,        /* msg: complete with sig_client_done(msg->id) */
    SIG_EV_QUEUE_EMPTY,    /* the server delivered its whole backlog */
    SIG_EV_RECEIPT,        /* peer, receipt_type, timestamps */
    SIG_EV_TYPING,         /* peer, typing_started, group_id */
    SIG_EV_DECRYPT_FAILED, /* peer, peer_device, timestamp, err */
    SIG_EV_UNLINKED,       /* the server rejected us: err SIG_ERR_UNLINKED
                              (close 3000, 401/403) or SIG_ERR_OUTDATED (499) */
    SIG_EV_SEND_DONE,      /* send_ud, timestamp, err (0 = delivered) */
    SIG_EV_CONTACT,        /* contact: from a contacts sync / storage / profile */
    SIG_EV_SYNC_DONE,      /* a contacts/storage sync finished (err) */
    SIG_EV_GROUP,          /* group: a group known from storage */
    SIG_EV_DOWNLOAD_DONE,  /* send_ud, path, err: sig_client_download result */
    SIG_EV_IDENTITY_CHANGED, /* peer (ACI), peer_device, timestamp: the peer's
                               identity key differs from the one known (a new
                               phone or a reinstall, or an attack): show a
                               "safety number changed" warning. Emitted before
                               the message that revealed it (or while
                               sending to them); the new key is trusted. */
    SIG_EV_GROUP_UPDATED,  /* group_id, err; group_info on success: a group's
                              state was fetched (sig_groups.h) */
    SIG_EV_HISTORY,        /* the phone's message history after a link
                              (cfg.history_transfer): err 0 and history
                              (sig_history.h; valid during the callback):
                              make it durable, then sig_client_history_done;
                              or err SIG_ERR_HISTORY (unreadable archive,
                              nothing to retry), SIG_ERR_HISTORY_RELINK (the
                              phone asks for a new link), SIG_ERR_HISTORY_
                              SKIPPED (the phone went on without history),
                              SIG_ERR_TOO_BIG, SIG_ERR_JSON */
    SIG_EV_AVATAR          /* peer (ACI), path (its profile's avatar CDN
                              path, "" = none), data/data_len: the decrypted
                              image (NULL when none); or, with group_id set
                              and peer NULL, a group's avatar (path: its
                              Group.avatarUrl), after its GROUP_UPDATED
                              when the key changed */,
    SIG_EV_GROUP_CHANGED   /* group_id, send_ud, err: the end of a
                              sig_group_modify (sig_groups.h) */
} sig_event_type;

enum { SIG_CONN_OFFLINE = 0, SIG_CONN_CONNECTING = 1, SIG_CONN_ONLINE = 2 };
enum { SIG_RECEIPT_DELIVERY = 0, SIG_RECEIPT_READ = 1, SIG_RECEIPT_VIEWED = 2 };

/* An attachment of a received message (views valid during the callback). */
typedef struct sig_attachment {
    const char *content_type;  /* may be NULL */
    const char *file_name;     /* may be NULL */
    uint32_t size;             /* plaintext bytes */
    const uint8_t *pointer;    /* serialized AttachmentPointer: copy it and
                                  pass it to sig_client_download */
    size_t pointer_len;
} sig_attachment;

/* A received message (views valid during the callback only). */
typedef struct sig_message {
    int64_t id;               /* durable-ack handle for sig_client_done */
    const char *sender;       /* sender's ACI (text uuid) */
    uint32_t sender_device;
    uint64_t timestamp;       /* the sender's timestamp (dedupe key) */
    uint64_t server_timestamp;
    int to_pni;               /* addressed to our PNI */
    int sealed;               /* arrived as sealed sender */
    const uint8_t *content;   /* the serialized Content (unpadded) */
    size_t content_len;
    /* Convenience views into the Content: */
    const char *body;         /* DataMessage.body (or the synced one) */
    int from_self;            /* a SyncMessage.Sent from our own device */
    const char *destination;  /* from_self: who it was sent to (ACI) */
    const uint8_t *group_master_key; /* 32 bytes, or NULL */
    uint64_t data_timestamp;  /* DataMessage.timestamp if present */
    const sig_attachment *attachments;
    size_t n_attachments;
} sig_message;

typedef struct sig_contact {
    const char *aci;          /* may be NULL when only a number is known */
    const char *number;       /* E.164 or NULL */
    const char *name;         /* display name or NULL */
    int has_profile_key;
    /* From a storage-service ContactRecord only (0 otherwise): the user
     * shares their profile with this contact, i.e. accepted a conversation
     * (Signal's "whitelisted"), and whether they blocked them. */
    int whitelisted;
    int blocked;
} sig_contact;

typedef struct sig_group {
    const uint8_t *master_key;  /* 32 bytes (secret: do not log) */
    const uint8_t *group_id;    /* 32 bytes, derived from the master key */
    int blocked;
    int whitelisted;
} sig_group;

typedef struct sig_event {
    sig_event_type type;
    int err;
    const char *link_url;
    const char *number;       /* LINKED: our number (E.164) */
    const char *aci;          /* LINKED: our ACI */
    uint32_t device_id;
    int conn;
    const sig_message *msg;
    const char *peer;         /* RECEIPT/TYPING/DECRYPT_FAILED: ACI */
    uint32_t peer_device;
    int receipt_type;
    const uint64_t *timestamps;
    size_t n_timestamps;
    int typing_started;
    uint64_t timestamp;
    void *send_ud;
    const sig_contact *contact;
    const sig_group *group;
    const char *path;         /* DOWNLOAD_DONE: the file written */
    const uint8_t *group_id;  /* GROUP_UPDATED: 32 bytes; TYPING: the group's
                                 identifier (TypingMessage.groupId), NULL in
                                 a 1:1 chat */
    const struct sig_group_info *group_info; /* GROUP_UPDATED (err 0) */
    const struct sig_history *history;       /* HISTORY (err 0) */
    /* SEND_DONE, SYNC_DONE: when the service refused with a Retry-After
     * (SIG_ERR_RATE_LIMIT on 429/413, SIG_ERR_CHALLENGE on 428), how long
     * it asks us to wait, in ms (capped at SIG_RETRY_AFTER_MAX_MS); 0 =
     * none given (then choose a backoff of your own). The caller schedules
     * the retry: the client does not resend by itself. Signal-Server sends
     * it in seconds (mappers/RateLimitExceededExceptionMapper,
     * RateLimitChallengeExceptionMapper, RetryLaterExceptionMapper), as
     * libsignal-net reads it (rust/net/infra/src/lib.rs
     * extract_retry_later). Only the delay-seconds form is understood. */
    uint32_t retry_after_ms;
    const uint8_t *data;      /* AVATAR: the image, data_len bytes */
    size_t data_len;
} sig_event;

#define SIG_RETRY_AFTER_MAX_MS (24u * 3600u * 1000u)

typedef void (*sig_event_cb)(sig_client *c, const sig_event *ev, void *ud);

typedef struct sig_config {
    const char *host;             /* service host (name or IP); copied */
    uint16_t port;                /* 443 in production */
    const char *ca_file;          /* PEM roots (the sandbox, a private
                                     server); NULL = Signal's own roots,
                                     built in and pinned (sn_roots.h) for
                                     every host; the system store is never
                                     used. Only when tls is NULL. */
    struct sn_tls *tls;           /* shared TLS config; borrowed; NULL =
                                     the client makes its own */
    struct evdns_base *dns;       /* borrowed; may be NULL */
    struct sn_gate *gate;         /* borrowed; shared by the clients of one
                                     loop: at most its bound of connection
                                     attempts (chat and provisioning
                                     websockets, HTTPS pool connections)
                                     in their handshakes at once, so that
                                     many accounts reconnecting together
                                     queue (sn_gate.h); NULL = no bound */
    int transport;                /* SN_WS_AUTO/H2/H1 */
    const char *device_name;      /* NULL = "signalbridge" */
    uint32_t link_timeout_ms;     /* 0 = 60000 */
    uint32_t prekey_batch;        /* one-time keys per upload; 0 = 100 */
    uint32_t keepalive_ms;        /* 0 = 30000 */
    const char *trust_root;       /* sealed-sender trust root, base64 33 B;
                                     NULL = Signal's production root */
    int64_t account;              /* st account id (st_account_ensure) */
    uint64_t max_attachment;      /* bytes, both ways; 0 = 100 MiB */
    const ut_log *log;            /* borrowed; may be NULL */
    /* CDN and storage service endpoints, "https://host[:port][/prefix]"
     * (sig_endpoint_parse; copied), reached with the same TLS config.
     * Production: https://cdn.signal.org, https://cdn2.signal.org,
     * https://cdn3.signal.org, https://storage.signal.org. NULL = the chat
     * host and port in the mock server's layout: cdn0/cdn2 at "/", cdn3
     * under "/cdn3", storage under "/storageService". A malformed URL
     * makes sig_client_new fail with UT_ERR_INVAL. */
    const char *cdn0_url, *cdn2_url, *cdn3_url, *storage_url;
    /* Completed inbox rows are kept this long for recognising server
     * replays, then deleted (at start and at most hourly); 0 = 45 days
     * (the server keeps undelivered messages 30 days). */
    uint32_t inbox_keep_days;
    /* The service's zkgroup ServerPublicParams, base64 (groups v2,
     * sig_groups.h); copied. NULL = Signal production's (Signal-Desktop
     * config/production.json). Checked when first needed: a malformed
     * value makes group fetches fail with SIG_ERR_ZK_PARAMS. */
    const char *server_public_params;
    /* HTTPS connections (CDN, storage, groups; one per host, shared by
     * every transfer of this client) are closed after this long without a
     * request; 0 = 30000. */
    uint32_t pool_idle_ms;
    /* Accept the phone's message-history transfer when linking ("link and
     * sync"): the link URL declares backup5, the ProvisionMessage's
     * ephemeral backup key is kept (in the store until the archive has
     * been read, then wiped) and the archive is fetched after the link
     * (sig_backup.h). 0 = a link without history, as before. */
    int history_transfer;
    uint32_t history_max_messages; /* kept per chat, the newest; 0 = 50 */
    uint32_t history_max_age_s;    /* older messages skipped; 0 = 30 days */
    uint64_t history_max_archive;  /* bytes downloaded at most; 0 = 512 MiB */
    /* Every contact's profile (name, avatar) whose key we hold is fetched
     * again when it is older than this, so that a changed name or picture
     * is seen without a new profile key; 0 = never. signalmeow keeps a
     * profile an hour (profile.go DefaultProfileRefreshAfter) and fetches
     * it again when older, as mautrix-signal asks for a sender's info
     * (bridgev2 AggressiveUpdateInfo). Here a timer on the client's loop
     * walks the contacts, at most 4 fetches at once. */
    uint32_t profile_refresh_s;
    /* Send group messages 1:1 to every member, never with our sender key
     * and a multi-recipient request (sig_gsk.c): for measuring the
     * difference (make bench). 0 = sender keys, as Signal's clients. */
    int no_sender_keys;
    /* Tests only: declare no capabilities at all (`{}`), as releases before
     * 2026-12 did, to show production's 409 biting (sig_caps.c). */
    int test_empty_capabilities;
} sig_config;

/* Create; loads the account if the store has one. UT_ERR_INVAL, UT_ERR_NOMEM,
 * SN_ERR_TLS (ca_file), ST_ERR_*. */
int sig_client_new(sig_client **out, struct event_base *base, st_db *db,
                   const sig_config *cfg, sig_event_cb cb, void *ud);
/* NULL ok; nothing emitted. Connections finish closing on the loop: run
 * it a little longer (e.g. 200 ms) before event_base_free, or their
 * memory is never released. */
void sig_client_free(sig_client *c);

/* 1 when account data is present. */
int sig_client_is_linked(const sig_client *c);
/* Our ACI / number, or NULL when not linked. Valid until freed or relinked. */
const char *sig_client_aci(const sig_client *c);
const char *sig_client_number(const sig_client *c);
uint32_t sig_client_device_id(const sig_client *c);

/* The caller made SIG_EV_HISTORY's content durable: the ephemeral backup
 * key is wiped (memory and store), nothing is asked again. Until then
 * every start asks the server for the archive again (a crash in between
 * loses nothing). SIG_ERR_NOT_LINKED. */
int sig_client_history_done(sig_client *c);

/* Start linking (SIG_ERR_STATE when linked or already linking). */
int sig_client_link(sig_client *c);
/* Connect the chat socket (SIG_ERR_NOT_LINKED). Re-emits SIG_EV_MESSAGE
 * for stored messages the caller has not completed. */
int sig_client_start(sig_client *c);
/* Close sockets; linking in progress ends with SIG_EV_LINK_FAILED
 * (SIG_ERR_CANCELLED) at the next loop turn. */
void sig_client_stop(sig_client *c);

/* Log out: close the sockets, cancel transfers and delete everything the
 * store holds for this account (keys, sessions, contacts, inbox), so that
 * sig_client_link can link anew. When connected, the service is first
 * asked to remove this device (DELETE /v1/devices/<id>, as a linked device
 * may for itself), so the phone stops listing it; that is best effort, its
 * answer only logged (Signal's mock server answers 404). Nothing is
 * emitted. */
int sig_client_logout(sig_client *c);

/* The caller made message `id` durable: drop its stored plaintext. */
int sig_client_done(sig_client *c, int64_t id);

/* Send a text message to `to` (ACI uuid text, or E.164 of a known contact).
 * To our own ACI it is a Note to Self: as Signal's apps do, only a sync
 * transcript (SyncMessage.Sent, destination = us) goes to our other
 * devices. Asynchronous: SIG_EV_SEND_DONE with `send_ud` follows, err 0 on delivery,
 * SIG_ERR_UNREGISTERED (404), SIG_ERR_RATE_LIMIT (413/429),
 * SIG_ERR_CHALLENGE (428), SIG_ERR_RETRIES, transport errors. A sync
 * transcript goes to our other devices. *timestamp_out (may be NULL) gets
 * the message timestamp. SIG_ERR_STATE when not online, SIG_ERR_ADDRESS. */
int sig_client_send_text(sig_client *c, const char *to, const char *text,
                         void *send_ud, uint64_t *timestamp_out);
/* The same with the message's timestamp `ts` (0 = now): a caller that
 * stores it before the first attempt and passes it again on a resend gets
 * the resend deduplicated by the receivers, which key a message by (sender,
 * device, timestamp) (Signal-Desktop: handleDataMessage's duplicate check,
 * getMessageBySender({source, sourceDevice, sent_at})). */
int sig_client_send_text_at(sig_client *c, const char *to, const char *text,
                            uint64_t ts, void *send_ud, uint64_t *timestamp_out);

/* Send the file at `path` as an attachment (encrypted, uploaded to the
 * CDN: gRPC upload form, then one tus POST), with an optional caption as
 * the body. SIG_EV_SEND_DONE follows as for text. SIG_ERR_TOO_BIG over
 * max_attachment, UT_ERR_IO when the file cannot be read. The file is
 * encrypted as it is sent (never held whole in memory): it must stay
 * unchanged until SIG_EV_SEND_DONE (a shorter file fails with UT_ERR_IO). */
int sig_client_send_file(sig_client *c, const char *to, const char *path,
                         const char *content_type, const char *caption,
                         void *send_ud, uint64_t *timestamp_out);
/* The same with the message's timestamp `ts` (0 = now), as
 * sig_client_send_text_at: a resend with the timestamp stored before the
 * first attempt is the same message to the receivers, who drop the copy
 * (Signal-Desktop ts/messages/handleDataMessage.ts). */
int sig_client_send_file_at(sig_client *c, const char *to, const char *path,
                            const char *content_type, const char *caption, uint64_t ts,
                            void *send_ud, uint64_t *timestamp_out);

/* What a file is (sig_client_send_file_flags): a voice note and a GIF set
 * AttachmentPointer.flags VOICE_MESSAGE (1) and GIF (8) (Signal-Desktop
 * protos/SignalService.proto); a sticker goes as DataMessage.sticker with
 * the image, its caption as the emoji, all-zero pack id (16 bytes) and key
 * (32) and the BORDERLESS flag, as mautrix-signal from-matrix.go sends a
 * Matrix sticker (Signal-iOS checks only the lengths). */
enum { SIG_SEND_VOICE = 1, SIG_SEND_GIF = 2, SIG_SEND_STICKER = 4 };
/* sig_client_send_file_at (to) or sig_client_send_group_file_at (group_id,
 * 32 bytes) with SIG_SEND_* flags; ts: the stored timestamp (0 = now). */
int sig_client_send_file_flags(sig_client *c, const char *to, const uint8_t *group_id,
                               const char *path, const char *content_type,
                               const char *caption, uint32_t flags, uint64_t ts, void *send_ud,
                               uint64_t *timestamp_out);

struct sig_format; /* below */
/* sig_client_send_file_flags with the chat's disappearing timer (and its
 * version) of `f` on the DataMessage, as texts carry it; f may be NULL. */
int sig_client_send_file_fmt(sig_client *c, const char *to, const uint8_t *group_id,
                             const char *path, const char *content_type, const char *caption,
                             uint32_t flags, const struct sig_format *f, uint64_t ts,
                             void *send_ud, uint64_t *timestamp_out);

/* Send a contact card: `contact` is a serialized DataMessage.Contact
 * (SignalService.proto), with an optional caption as the body, to `to`
 * or (group_id, 32 bytes) a group; ts as sig_client_send_text_at (0 =
 * now). SIG_EV_SEND_DONE follows; UT_ERR_INVAL when contact does not
 * parse. (sig_contact.c) */
int sig_client_send_contact(sig_client *c, const char *to, const uint8_t *group_id,
                            const uint8_t *contact, size_t len, const char *caption,
                            uint64_t ts, void *send_ud, uint64_t *timestamp_out);

/* Download and decrypt an attachment (a pointer from sig_attachment) into
 * `path` (created 0600, replaced). SIG_EV_DOWNLOAD_DONE with send_ud and
 * err (SIG_ERR_DIGEST on a digest/MAC mismatch, SIG_ERR_TOO_BIG,
 * SIG_ERR_HTTP) follows. The plaintext is written to "<path>.part" as it
 * arrives and renamed to `path` only after digest, MAC and padding
 * verified; on any failure the .part file is removed. */
int sig_client_download(sig_client *c, const uint8_t *pointer, size_t len,
                        const char *path, void *ud);

/* Ask the primary for contacts, blocked, configuration and keys
 * (SyncMessage.Request); the answers arrive as SIG_EV_CONTACT events. */
int sig_client_request_sync(sig_client *c);

/* Read the storage service (contacts with profile keys and names, groups'
 * master keys): SIG_EV_CONTACT / SIG_EV_GROUP events, then SIG_EV_SYNC_DONE.
 * Needs the master key (from linking or a keys sync): SIG_ERR_STATE
 * otherwise. Also started by the phone's fetchLatest(storage manifest). */
int sig_client_storage_sync(sig_client *c);

/* Forget our sessions with every device of `aci` (Signal's "reset secure
 * session"; also lets tests provoke a decryption failure). The next
 * message to them starts a new session; messages from them in the old
 * session fail and trigger a retry request. */
int sig_client_forget_sessions(sig_client *c, const char *aci);

/* Our cached sealed-sender certificate (refreshed on connect when missing
 * or within a day of expiry): 0 and *out (malloc'd, caller frees) with
 * *expires (ms); SIG_ERR_STATE when none is cached yet. */
int sig_client_sender_certificate(sig_client *c, uint8_t **out, size_t *len,
                                  uint64_t *expires);

/* The 32-byte group identifier of a groups-v2 master key (what Signal
 * calls the group id; derived like libsignal's GroupSecretParams). 0 or a
 * crypto error. */
int sig_group_id(uint8_t out[32], const uint8_t master_key[32]);
/* ---- relations, receipts, typing (sig_extra.c) ----------------------
 * Sends go the way of sig_client_send_text: to `to` (ACI, or E.164 of a
 * known contact), SIG_EV_SEND_DONE with send_ud afterwards, a sync
 * transcript to our other devices, 409/410 handled. `ts` is the Signal
 * timestamp of the new message (0 = now): a caller that stores it before
 * sending and passes the same value on a resend gets it deduplicated by
 * the receivers. Errors as for text, plus UT_ERR_INVAL for bad arguments. */

/* React with `emoji` (remove: take the reaction back) to the message
 * `target_ts` written by `target_author` (ACI). */
int sig_client_send_reaction(sig_client *c, const char *to, const char *emoji,
                             int remove, const char *target_author,
                             uint64_t target_ts, uint64_t ts, void *send_ud);
/* Delete for everyone our own message `target_ts`. */
int sig_client_send_delete(sig_client *c, const char *to, uint64_t target_ts,
                           uint64_t ts, void *send_ud);
/* Replace the text of our message `target_ts` (always the timestamp of the
 * original, also for later edits) by `text` (EditMessage). */
int sig_client_send_edit(sig_client *c, const char *to, uint64_t target_ts,
                         const char *text, uint64_t ts, void *send_ud);
/* Receipts (SIG_RECEIPT_*) for messages of `to`, and typing started/
 * stopped: fire and forget, no SIG_EV_SEND_DONE, no transcript. */
int sig_client_send_receipt(sig_client *c, const char *to, int type,
                            const uint64_t *timestamps, size_t n);
int sig_client_send_typing(sig_client *c, const char *to, int started);
/* Tell our other devices (the phone) that we read these messages of
 * `sender` (SyncMessage.Read), so they stop showing them as unread. */
int sig_client_send_read_sync(sig_client *c, const char *sender,
                              const uint64_t *timestamps, size_t n);

/* ---- formatting, mentions, quotes (sig_fmt.c) ---------------------
 * A DataMessage's bodyRanges (UTF-16 code units of the body; a mention
 * has mention_aci, a style range style: BOLD 1, ITALIC 2, SPOILER 3,
 * STRIKETHROUGH 4, MONOSPACE 5) and its quote (quote_id: the quoted
 * message's timestamp; 0 when none). */
typedef struct sig_body_range {
    uint32_t start, length;
    int style;
    char mention_aci[37];   /* "" unless a mention */
} sig_body_range;

typedef struct sig_format {
    sig_body_range *ranges; /* malloc'd */
    size_t n_ranges;
    uint64_t quote_id;
    char quote_author[37];  /* ACI text */
    char *quote_text;       /* malloc'd or NULL */
    /* The quoted message's (first) attachment, Quote.attachments[0]:
     * content type ("" when none) and file name ("" when unknown). */
    char quote_att_type[128];
    char quote_att_name[256];
    /* Sending only: the chat's disappearing-message timer (seconds, 0 =
     * off) that every message carries as DataMessage.expireTimer, and
     * timer_update: the message only sets it (flag EXPIRATION_TIMER_UPDATE,
     * no body), as Signal-Desktop and signalmeow send a timer change
     * (mautrix-signal pkg/connector/handlematrix.go
     * HandleMatrixDisappearingTimer, pkg/msgconv/from-matrix.go). */
    uint32_t expire_timer;
    int timer_update;
    /* Sending only: DataMessage.expireTimerVersion (field 23), the chat's
     * timer version sent with the change and with every message (0 = not
     * sent), as Signal-Desktop ts/textsecure/SendMessage.ts does. */
    uint32_t expire_version;
    /* Sending only: a poll (DataMessage.pollCreate, no body) when
     * poll_question is set, or a vote (pollVote) on the poll vote_author
     * sent at vote_ts; vote_count grows with each vote of ours on it
     * (Signal-Desktop protos/SignalService.proto PollCreate / PollVote;
     * mautrix-signal pkg/connector/handlematrix.go HandleMatrixPollStart /
     * HandleMatrixPollVote). */
    char *poll_question;      /* malloc'd */
    char **poll_options;      /* malloc'd, each malloc'd */
    size_t n_poll_options;
    int poll_multiple;
    char vote_author[37];     /* ACI text */
    uint64_t vote_ts;
    uint32_t *vote_options;   /* malloc'd option indexes */
    size_t n_vote_options;
    uint32_t vote_count;
    /* Sending only: link previews (DataMessage.preview), at most
     * SIG_MAX_PREVIEWS; the first with image_path gets that file uploaded
     * as its Preview.image (sig_client_send_preview_text). */
    struct sig_preview *previews; /* malloc'd, each member malloc'd */
    size_t n_previews;
} sig_format;

#define SIG_MAX_PREVIEWS 4
typedef struct sig_preview {
    char *url, *title, *description;
    char *image_path;         /* a local file, or NULL */
    char *image_type;         /* its content type */
    uint32_t width, height;   /* 0 when unknown */
} sig_preview;

/* Read the ranges and quote of a received Content (its DataMessage, or
 * the one of a SyncMessage.Sent). 0 (maybe empty), SIG_ERR_ENVELOPE. */
int sig_content_format(const uint8_t *content, size_t len, sig_format *out);
void sig_format_clear(sig_format *f);
/* sig_client_send_text_at (to) or sig_client_send_group_text (group_id,
 * 32 bytes, `to` ignored) with body ranges and a quote; f may be NULL;
 * ts: the message's Signal timestamp (0 = now). */
int sig_client_send_text_fmt(sig_client *c, const char *to, const uint8_t *group_id,
                             const char *text, const sig_format *f, uint64_t ts,
                             void *send_ud, uint64_t *timestamp_out);
/* sig_client_send_edit with the new text's body ranges (f may be NULL; its
 * quote is not sent: an edit keeps the original's). */
int sig_client_send_edit_fmt(sig_client *c, const char *to, uint64_t target_ts,
                             const char *text, const sig_format *f, uint64_t ts, void *send_ud);

/* sig_client_send_text_fmt for text whose first preview with an image
 * has it uploaded first (like a file) and sent as Preview.image, as
 * mautrix-signal pkg/msgconv/urlpreview.go convertURLPreviewToSignal
 * uploads it; SIG_EV_SEND_DONE as for a file. */
int sig_client_send_preview_text(sig_client *c, const char *to, const uint8_t *group_id,
                                 const char *text, const sig_format *f, uint64_t ts,
                                 void *send_ud, uint64_t *timestamp_out);

/* Long text, as Signal-Desktop sends it (ts/util/longAttachment.std.ts:
 * a body over MAX_MESSAGE_BODY_BYTE_LENGTH = 2 KiB of UTF-8 goes whole
 * into an attachment of type LONG_MESSAGE, ts/types/MIME.ts
 * "text/x-signal-plain", at most MAX_BODY_ATTACHMENT_BYTE_LENGTH = 64 KiB,
 * and the body is cut to 2 KiB; the ranges stay those of the whole text). */
#define SIG_LONG_TEXT_TYPE "text/x-signal-plain"
#define SIG_LONG_TEXT_BODY 2048u
#define SIG_LONG_TEXT_MAX (64u * 1024u)
/* Bytes of text kept in a body of at most max bytes, not cutting a UTF-8
 * sequence (strlen when it fits). */
size_t sig_long_text_cut(const char *text, size_t max);
/* Send text over SIG_LONG_TEXT_BODY bytes: the cut body with f's ranges
 * and quote (f may be NULL), and the whole text as a SIG_LONG_TEXT_TYPE
 * attachment uploaded first; to `to` or the group (group_id, 32 bytes).
 * ts: the stored timestamp (0 = now). SIG_EV_SEND_DONE as for a file;
 * SIG_ERR_TOO_BIG over SIG_LONG_TEXT_MAX. */
int sig_client_send_long_text(sig_client *c, const char *to, const uint8_t *group_id,
                              const char *text, const sig_format *f, uint64_t ts,
                              void *send_ud, uint64_t *timestamp_out);

/* What a received message does to an earlier one. */
typedef enum sig_rel_kind {
    SIG_REL_NONE = 0,       /* an ordinary message */
    SIG_REL_REACTION = 1,   /* text: the emoji; remove */
    SIG_REL_DELETE = 2,     /* delete for everyone; author: the sender */
    SIG_REL_EDIT = 3        /* text: the new body; author: the sender */
} sig_rel_kind;

typedef struct sig_relation {
    sig_rel_kind kind;
    char target_author[37];  /* ACI text; reactions only, else "" */
    uint64_t target_ts;
    uint64_t ts;            /* the timestamp of the message carrying it */
    char *text;             /* malloc'd or NULL */
    int remove;
    int from_self;          /* a sync transcript of our own device */
    char destination[37];    /* from_self: the chat (ACI text) */
} sig_relation;

/* Read a serialized Content (sig_message.content): DataMessage reaction or
 * delete, EditMessage, or a SyncMessage.Sent carrying one of them. 0 with
 * out->kind (SIG_REL_NONE for anything else), SIG_ERR_ENVELOPE when the
 * bytes do not parse or a relation lacks its target. Pure; clear `out`
 * with sig_relation_clear in every case. */
int sig_content_relation(const uint8_t *content, size_t len, sig_relation *out);
void sig_relation_clear(sig_relation *r);

/* One message our phone says we read (SyncMessage.Read). */
typedef struct sig_read_entry {
    char sender[37];        /* its author's ACI text */
    uint64_t ts;            /* its timestamp */
} sig_read_entry;

/* The reads of a SyncMessage.Read in a serialized Content: 1 with *out
 * (malloc'd, may be NULL when *n is 0; entries without a valid author are
 * skipped), 0 when the Content is no read sync, SIG_ERR_ENVELOPE when it
 * does not parse. Pure. */
int sig_content_reads(const uint8_t *content, size_t len, sig_read_entry **out,
                      size_t *n);

/* Text for an event type (logs, signalctl). */
const char *sig_event_name(sig_event_type t);

#endif
