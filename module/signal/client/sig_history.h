/*
 * sig_history.h - reading a message-backup archive ("link and sync": the
 * history the phone transfers to a newly linked device) into a small typed
 * model the bridge turns into rooms: one entry per chat with its most
 * recent messages, oldest first.
 *
 * Input: the decrypted archive (sc_backup_decrypt), i.e. a gzip stream
 * followed by zero padding. Inside: varint-length-delimited protobufs, the
 * first a BackupInfo, then Frames (libsignal rust/message-backup/src/
 * frame.rs and backup.rs; mautrix-signal pkg/signalmeow/backup.go
 * processTransferArchive reads the same, and checks the padding is zeros).
 * Field numbers: module/signal/proto/Backup.proto.
 *
 * Limits: at most `max_messages` per chat (the newest), none older than
 * `min_ts` (ms); a frame above SIG_HISTORY_MAX_FRAME, more than
 * SIG_HISTORY_MAX_CHATS chats, a BackupInfo version other than 1, a
 * truncated or corrupt gzip stream, a frame that does not parse, or data
 * after the stream that is not zeros: SIG_ERR_HISTORY with a reason in
 * `err`. Never crashes on any input (tests/fuzz/fuzz_sig_history.c).
 */
#ifndef SIG_HISTORY_H
#define SIG_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "sig_util.h"

#define SIG_HISTORY_MAX_FRAME (4u * 1024u * 1024u)
#define SIG_HISTORY_MAX_CHATS 100000u

enum { SIG_HIST_CONTACT = 1, SIG_HIST_GROUP = 2, SIG_HIST_SELF = 3 };

typedef struct sig_hist_reaction {
    char *emoji;
    char author[SIG_UUID_STR_LEN + 1]; /* ACI; "" = ourselves */
    uint64_t ts;                       /* sentTimestamp */
} sig_hist_reaction;

/* An earlier version of an edited message (ChatItem.revisions, libsignal
 * backup.proto: "ordered from oldest to newest"; the top-level item is the
 * latest version, with the latest edit's dateSent). */
typedef struct sig_hist_rev {
    uint64_t ts;                        /* that version's dateSent */
    char *body;                         /* its text, or NULL */
} sig_hist_rev;

/* An attachment still on the transit CDN (FilePointer.LocatorInfo with
 * transitCdnKey and transitCdnNumber, a 64-byte key and the encrypted
 * digest): what a Signal AttachmentPointer carries to download it. */
typedef struct sig_hist_att {
    char *content_type, *file_name;     /* may be NULL */
    char *cdn_key;
    uint32_t cdn_number, size, width, height;
    int flag;                           /* MessageAttachment.Flag */
    uint8_t key[64];                    /* secret */
    uint8_t digest[32];
    uint64_t upload_ts;
} sig_hist_att;

typedef struct sig_hist_msg {
    uint64_t ts;                        /* dateSent: the sender's timestamp
                                           (of the latest edit when edited) */
    uint64_t server_ts;                 /* incoming: dateServerSent, else 0 */
    int outgoing;                       /* sent by us (any of our devices) */
    char author[SIG_UUID_STR_LEN + 1];  /* ACI; "" when outgoing */
    char *body;                         /* the current text (after edits);
                                           NULL when it has none */
    int read;                           /* incoming: the phone has it
                                           as read */
    int deleted;                        /* remotely deleted ("this message
                                           was deleted") */
    int edited;                         /* has earlier revisions */
    sig_hist_rev *revs;                 /* the earlier versions, oldest
                                           first: revs[0] is the original,
                                           whose ts names the message (what
                                           replies, reactions and edits
                                           target on Signal) */
    size_t n_revs;
    uint64_t quote_ts;                  /* a reply: the quoted message's
                                           dateSent, 0 when none */
    char quote_author[SIG_UUID_STR_LEN + 1];
    char *quote_text;                   /* the quoted text as the phone kept
                                           it, or NULL */
    sig_hist_att *atts;                 /* downloadable attachments */
    size_t n_atts;
    size_t n_atts_lost;                 /* attachments no longer there */
    sig_hist_reaction *reactions;
    size_t n_reactions;
} sig_hist_msg;

typedef struct sig_hist_chat {
    int kind;                           /* SIG_HIST_* */
    uint64_t chat_id;                   /* the archive's Chat.id */
    char aci[SIG_UUID_STR_LEN + 1];     /* CONTACT */
    char number[24];                    /* CONTACT: E.164 or "" */
    char *name;                         /* CONTACT: nickname, system or
                                           profile name; GROUP: title; may
                                           be NULL */
    uint8_t master_key[32];             /* GROUP (secret) */
    int blocked, hidden, archived;
    int marked_unread;                  /* Chat.markedUnread */
    uint64_t expire_timer_ms;
    size_t n_items;                     /* messages in the archive for it */
    sig_hist_msg *msgs;                 /* the newest within the limits,
                                           oldest first */
    size_t n_msgs;
} sig_hist_chat;

typedef struct sig_history {
    uint64_t backup_time_ms;
    sig_hist_chat *chats;               /* archive order */
    size_t n_chats;
    size_t n_msgs;                      /* sum of n_msgs */
    size_t n_frames;
} sig_history;

typedef struct sig_history_limits {
    uint32_t max_messages;              /* per chat; 0 = none kept */
    uint64_t min_ts;                    /* ms; older messages are skipped */
} sig_history_limits;

/* Read `n` bytes of decrypted archive. *out on success (sig_history_free).
 * SIG_ERR_HISTORY with a reason, UT_ERR_NOMEM. */
int sig_history_read(sig_history **out, const uint8_t *data, size_t n,
                     const sig_history_limits *lim, char *err, size_t errlen);

/* Wipes the group master keys. NULL ok. */
void sig_history_free(sig_history *h);

#endif
