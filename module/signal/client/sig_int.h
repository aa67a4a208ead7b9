/*
 * sig_int.h - internals shared by the sig_*.c files of one sig_client.
 * Not installed, not for the bridge.
 */
#ifndef SIG_INT_H
#define SIG_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "SignalService.pb-c.h"
#include "sc_cert.h"
#include "sc_keys.h"
#include "sc_session.h"
#include "sig_client.h"
#include "sig_prov.h"
#include "sig_util.h"
#include "sn_pool.h"
#include "sn_sock.h"
#include "st_records.h"

struct event;

enum { SIG_ID_ACI = 0, SIG_ID_PNI = 1 };
enum { SIG_EP_CDN0 = 0, SIG_EP_CDN2, SIG_EP_CDN3, SIG_EP_STORAGE, SIG_EP_COUNT };

typedef struct sig_send_op sig_send_op;
typedef struct sig_download sig_download;
typedef struct sig_storage_op sig_storage_op;
typedef struct sig_xfer sig_xfer;
typedef struct sig_groups sig_groups;
typedef struct sig_fanout sig_fanout;

struct sig_client {
    struct event_base *base;
    st_db *db;
    sig_config cfg;
    char *host;
    sig_endpoint ep[SIG_EP_COUNT]; /* CDN 0, 2, 3, storage */
    char *device_name;
    sn_tls *tls;
    int own_tls;
    sn_pool *pool;                /* HTTPS (CDN, storage, groups); lazily */
    sig_event_cb cb;
    void *ud;
    sc_trust *trust;
    struct event *defer;          /* zero-timeout: flush pending work */
    int depth;                    /* >0 while inside a loop callback */
    int freeing;                  /* sig_client_free asked from a callback */
    int tearing;                  /* inside the real free: callbacks no-op */

    /* the account (loaded from / saved to st_records) */
    int linked;
    char aci[SIG_UUID_STR_LEN + 1];
    char pni[SIG_UUID_STR_LEN + 1];
    char number[32];
    uint32_t device_id;
    char password[64];
    uint32_t regid[2];            /* ACI, PNI */
    sc_ec_keypair identity[2];    /* ACI, PNI */
    int has_pni;
    uint8_t profile_key[32];
    int has_profile_key;
    uint8_t master_key[32];
    int has_master_key;
    /* ProvisionMessage.ephemeralBackupKey: until the history archive has
     * been read (sig_backup.c), then wiped here and in the store */
    uint8_t ephemeral_backup_key[32];
    int has_ephemeral_backup_key;
    struct event *backup_timer;   /* sig_backup.c: the pause between asks */
    int backup_busy;              /* asking or downloading */
    int backup_delivered;         /* SIG_EV_HISTORY went out (err 0) */
    uint64_t backup_asked_ms;

    /* linking */
    int linking;
    sn_sock *prov;
    int prov_had_address;         /* the current prov socket gave its URL */
    unsigned prov_rotations;      /* prov sockets opened after the first */
    sn_sock *unauth;
    struct event *link_timer;
    uint8_t eph_pub[32];
    uint8_t eph_priv[32];
    sig_provision *pd;            /* decrypted provisioning data */
    json_t *link_body;
    int link_err;                 /* pending LINK_FAILED error */
    int keys_pending;             /* /v2/keys uploads outstanding */
    int link_done_pending;        /* emit LINKED once keys are up */

    /* the chat socket */
    sn_sock *chat;
    int conn;
    int unlinked_pending;
    int redeliver_pending;        /* re-emit stored, not-done messages */
    /* after logout: a socket of its own that asks the server to remove
     * the device (DELETE /v1/devices/<id>); freed at defer once answered */
    sn_sock *farewell;
    int farewell_done;
    uint32_t farewell_device;
    int queue_empty_pending;
    sig_send_op *sends;           /* in-flight sends */
    struct sig_gsk_op *gsks;      /* in-flight sender-key group sends */
    /* the unauthenticated chat socket for sealed requests (sig_unauth.c) */
    sn_sock *unauth_sock;
    struct uq *unauth_q;          /* requests waiting for it to connect */
    int unauth_busy;              /* requests in flight on it */
    struct event *unauth_idle;    /* closes it when idle */
    sig_download *downloads;      /* in-flight CDN downloads */
    sig_storage_op *storage;      /* a storage-service read in flight */
    sig_xfer *xfers;              /* attachment uploads/downloads */
    int64_t inbox_pruned_ms;      /* last sig_inbox_maybe_prune, 0 = never */
    int64_t sendlog_pruned_ms;    /* last sig_sendlog_maybe_prune, 0 = never */
    /* retry requests answered per timestamp (sig_retry.c), a small ring */
    struct { uint64_t ts; unsigned n; } retried[32];
    unsigned retried_next;
    sig_groups *groups;           /* groups v2 state (sig_groups.c), lazily */
    struct sig_gchange *gchanges; /* group changes in flight (sig_gchange.c) */
    struct event *profile_timer;  /* sig_fetch.c: the next profile refresh */
    int profile_refreshing;       /* refresh fetches in flight */
    char *zk_params;              /* cfg.server_public_params copy or NULL */

    /* group commit of received envelopes (sig_recv.c) */
    struct event *batch_ev;       /* zero-timeout: commit, ack, emit */
    struct event *redeliver_ev;   /* after a failed store: reconnect so the
                                     server sends the unacked messages again */
    int redeliver_ms;             /* its backoff; 0 after a good store */
    int batch_open;               /* a transaction holds the burst */
    struct held *held;            /* acks and messages waiting for it */
    size_t n_held;
};

/* Every entry from the loop (socket, timer, response callbacks) runs
 * between sig_enter and sig_leave; sig_leave returns 1 when the client was
 * freed (then touch nothing). A callback must first check sig_dead(). */
void sig_enter(sig_client *c);
int sig_leave(sig_client *c);
int sig_dead(const sig_client *c);

/* events */
void sig_emit(sig_client *c, const sig_event *ev);
void sig_kick(sig_client *c);     /* schedule the deferred flush */
void sig_logf(sig_client *c, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* sig_store.c: the account and the crypto stores on st_records */
int sig_acct_load(sig_client *c);
int sig_acct_save(sig_client *c);
int sig_rec_get(sig_client *c, const char *kind, const char *key, ut_buf *out);
int sig_rec_put(sig_client *c, const char *kind, const char *key,
                const void *v, size_t n);
int sig_rec_del(sig_client *c, const char *kind, const char *key);
/* Remember `peer`'s identity public key (32 bytes; record "peer_identity");
 * *changed = 1 when another one was stored before (trust on first use,
 * then report changes). Works inside the caller's transaction. ST_ERR_*. */
int sig_peer_identity(sig_client *c, const char *peer, const uint8_t ik[32], int *changed);
void sig_session_store(sig_client *c, int which, sc_session_store *st,
                       void **ctx_out);
typedef struct sig_pk_ctx {
    sig_client *c;
    int which;
} sig_pk_ctx;
void sig_prekey_source(sig_pk_ctx *ctx, sc_prekey_source *src);
void sig_stores_free(void *ctx);
/* "a:<aci>.<dev>" / "p:<aci>.<dev>" */
void sig_session_addr(char *out, size_t cap, int which, const char *peer,
                      uint32_t dev);
/* Keys: signed + last-resort Kyber as JSON objects for /v1/devices/link
 * (stored); one-time batch as a /v2/keys body (stored). */
int sig_keys_signed(sig_client *c, int which, json_t **spk, json_t **kyber_lr);
int sig_keys_onetime(sig_client *c, int which, uint32_t n, json_t **body);

/* sig_caps.c: the capabilities we declare (why: see there). */
json_t *sig_caps_json(const sig_client *c); /* new object; NULL on OOM */
void sig_caps_declare(sig_client *c);       /* PUT /v1/devices/capabilities */

/* sig_link.c */
int sig_link_start(sig_client *c);
void sig_link_stop(sig_client *c);
void sig_link_chat_connected(sig_client *c);

/* sig_recv.c */
void sig_recv_request(sig_client *c, sn_rpc_srvreq *req, const sn_rpc_incoming *in);
int sig_recv_redeliver(sig_client *c);
/* Commit the open batch of received envelopes and send their acks (never
 * calls the caller). Before encrypting, stopping, logging out. */
void sig_recv_flush(sig_client *c);
/* A message could not be stored (busy or full database): it was not
 * acknowledged, and Signal's server sends unacknowledged messages again
 * only on a new connection, so reconnect after a backoff (1 s doubling to
 * 60 s) until a store succeeds. Loop thread. */
void sig_recv_store_failed(sig_client *c);
void sig_recv_redeliver_run(sig_client *c);
/* batch_ev: flush, then emit the batch's messages. */
void sig_recv_batch_run(sig_client *c);
/* Flush and free the batch (teardown). */
void sig_recv_batch_free(sig_client *c);

/* sig_send.c */
int sig_send_text(sig_client *c, const char *to, const char *text,
                  uint64_t ts, void *send_ud, uint64_t *ts_out);
struct Signalservice__DataMessage;
/* Send a DataMessage (timestamp set by the caller) to `to` (ACI text). */
/* sig_extra.c: a Reaction to target_author's (ACI text) message target_ts,
 * pointing into the caller's author/bin buffers (which must outlive it);
 * UT_ERR_INVAL on a missing emoji, author or timestamp. */
struct Signalservice__DataMessage__Reaction;
int sig_reaction_fill(struct Signalservice__DataMessage__Reaction *re,
                      char author[SIG_UUID_STR_LEN + 1], uint8_t bin[16],
                      const char *emoji, int remove, const char *target_author,
                      uint64_t target_ts);
int sig_send_dm(sig_client *c, const char *to, struct Signalservice__DataMessage *dm,
                void *send_ud);
/* ratchet_key: 33 bytes of the failed 1:1 message, NULL for others. */
int sig_send_retry_request(sig_client *c, const char *to, uint32_t dev,
                           uint64_t ts, const uint8_t *ratchet_key);
/* A NullMessage with random padding to `to`, on a new session where one
 * was archived: answers a retry request with nothing to resend. */
int sig_send_null_message(sig_client *c, const char *to);
/* The `quiet` flags of sig_send_content: QUIET sends no SIG_EV_SEND_DONE
 * and no transcript; NOLOG keeps it out of the send log (typing, as
 * Desktop's shouldSaveProto in ts/util/handleMessageSend.ts). */
enum { SIG_SEND_QUIET = 1, SIG_SEND_NOLOG = 2 };
int sig_resolve(sig_client *c, const char *to, char out[SIG_UUID_STR_LEN + 1]);
int sig_send_content_to_self(sig_client *c, const uint8_t *content, size_t n,
                             uint64_t ts);
void sig_send_cancel_all(sig_client *c, int err);
/* Send a serialized Content (unpadded) with timestamp `ts` to `to` (ACI
 * text); `sync` (may be NULL) goes to our other devices after delivery.
 * quiet: no SIG_EV_SEND_DONE and no transcript (typing, receipts). */
int sig_send_content(sig_client *c, const char *to, const uint8_t *content,
                     size_t n, const uint8_t *sync, size_t sync_n, uint64_t ts,
                     void *send_ud, int quiet);

/* sig_retry.c: a peer's retry request (DecryptionErrorMessage bytes) from
 * sender's device `dev`, received on our identity `which`: archive the
 * session if it names it, resend the logged message or a null message.
 * Errors are logged, not returned. */
void sig_retry_handle(sig_client *c, int which, const char *sender, uint32_t dev,
                      const uint8_t *dem, size_t n);
/* Prune the send log at most hourly (errors logged). */
void sig_sendlog_maybe_prune(sig_client *c);

/* sig_fetch.c */
struct Signalservice__SyncMessage;
int sig_sync_handle(sig_client *c, const struct Signalservice__SyncMessage *sm);
int sig_profile_key_seen(sig_client *c, const char *aci, const uint8_t *key,
                         size_t len);
/* Download a group's avatar (`key`: Group.avatarUrl, its CDN 0 object)
 * and emit SIG_EV_AVATAR with group_id once it is decrypted with the
 * group's blob key; key "" emits its removal at once. */
int sig_group_avatar_fetch(sig_client *c, const uint8_t group_id[32], const char *key,
                           const uint8_t blob_key[32]);
void sig_fetch_cancel_all(sig_client *c);
/* Start (once connected; idempotent) and stop the profile refresh timer
 * (cfg.profile_refresh_s). */
void sig_profiles_refresh_start(sig_client *c);
void sig_profiles_refresh_stop(sig_client *c);

/* A refused response's Retry-After in ms (sig_event.retry_after_ms), 0
 * when absent or not in seconds. `h` may be NULL. */
uint32_t sig_retry_after(const sn_hdrs *h);

/* sig_client.c: every HTTPS request of the client (CDN downloads and
 * uploads, storage, group state) goes through the client's sn_pool: one
 * HTTP/2 connection per host:port, multiplexed (the server's
 * SETTINGS_MAX_CONCURRENT_STREAMS bounds the streams; nghttp2 queues the
 * rest), closed after cfg.pool_idle_ms (0 = SIG_POOL_IDLE_MS) without a
 * request, and at logout and free. The callback runs exactly once; with SN_ERR_CANCELLED (client
 * dead) from sig_pool_close. Same errors as sn_pool_request. */
#define SIG_POOL_IDLE_MS 30000
int sig_https(sig_client *c, const char *host, uint16_t port, const sn_http_req *req,
              sn_http_cb cb, void *ud);
/* Close every connection: pending requests complete with SN_ERR_CANCELLED
 * (callers set tearing first so that those callbacks only free). */
void sig_pool_close(sig_client *c);
/* Merge into the stored contact of `aci` and emit SIG_EV_CONTACT. */
int sig_contact_update(sig_client *c, const char *aci, const char *number,
                       const char *name, int has_profile_key);
/* The same, with the storage record's whitelisted/blocked flags for the
 * event (not stored: storage is read again at every start). */
int sig_contact_update_flags(sig_client *c, const char *aci, const char *number,
                             const char *name, int has_profile_key,
                             int whitelisted, int blocked);

/* sig_attach.c */
void sig_attach_cancel_all(sig_client *c);

/* sig_cert.c */
void sig_cert_refresh(sig_client *c);

/* sig_storage.c */
void sig_storage_cancel_all(sig_client *c);

/* sig_groups.c */
/* A group message or storage record named this master key: remember the
 * group and fetch its state when `revision` is newer than the stored one
 * (-1: when a fetch is not already known to be current, i.e. always). */
void sig_groups_seen(sig_client *c, const uint8_t master_key[32], int64_t revision);
/* The stored master key of a group: 0, SIG_ERR_STATE when unknown, ST_ERR_*. */
int sig_group_master_key(sig_client *c, const uint8_t gid[32], uint8_t mk[32]);
/* On (re)connection: fetch the groups known by master key only (e.g. from
 * messages redelivered before the socket was up). */
void sig_groups_online(sig_client *c);
void sig_groups_cancel_all(sig_client *c);
/* The group auth header ("Basic ..." of the public params and a
 * presentation of today's credential) for the group `zg`/`pub`: *auth
 * malloc'd; ST_ERR_NOTFOUND when no credential for today is cached
 * (a sig_group_fetch requests them). */
struct sc_zk_group;
int sig_group_auth(sig_client *c, const struct sc_zk_group *zg, const uint8_t *pub, char **auth);
/* Store a group's state as the current one. */
struct sig_group_info;
int sig_group_state_put(sig_client *c, const struct sig_group_info *g);

/* sig_gchange.c */
/* A fetch of the group ended (err): changes waiting for it go on. */
void sig_gchange_fetched(sig_client *c, const uint8_t gid[32], int err);
void sig_gchange_cancel_all(sig_client *c);
/* sig_gsend.c: the group update message of a change we made: a
 * DataMessage{groupV2{masterKey, revision, groupChange}} to every member
 * (the stored state's revision, already the new one). */
int sig_group_send_change(sig_client *c, const uint8_t group_id[32], const uint8_t *change,
                          size_t len, void *send_ud);
void sig_groups_free(sig_client *c);
/* sig_gsend.c: send a DataMessage (timestamp set) to a group's members. */
int sig_group_send_dm(sig_client *c, const uint8_t group_id[32],
                      struct Signalservice__DataMessage *dm, void *send_ud);
/* sig_attach.c: upload `path` and send it to `to` (ACI/E.164) or, when
 * `group_id` is given, to that group; the disappearing timer of `f` (may
 * be NULL) goes on the DataMessage. */
int sig_send_file_to(sig_client *c, const char *to, const uint8_t *group_id,
                     const char *path, const char *content_type, const char *caption,
                     uint32_t flags, const sig_format *f, uint64_t ts, void *send_ud,
                     uint64_t *timestamp_out);
/* The quote sig_fmt_to_data fills: the caller's storage, with room for
 * the one quoted attachment Signal-Desktop sends (ts/util/
 * makeQuote.preload.ts getQuoteAttachment takes the first). */
typedef struct sig_quote_buf {
    Signalservice__DataMessage__Quote q;
    Signalservice__DataMessage__Quote__QuotedAttachment att;
    Signalservice__DataMessage__Quote__QuotedAttachment *atts[1];
    Signalservice__Preview pv[SIG_MAX_PREVIEWS]; /* the message's link previews */
    Signalservice__Preview *pvs[SIG_MAX_PREVIEWS];
} sig_quote_buf;
/* sig_fmt.c: fill dm's bodyRanges and quote from f (may be NULL); the
 * storage in *rs, *ptrs (caller frees both) and *q (caller's). */
int sig_fmt_to_data(Signalservice__DataMessage *dm, const sig_format *f,
                    Signalservice__BodyRange **rs, Signalservice__BodyRange ***ptrs,
                    sig_quote_buf *q);
/* A deep copy of src (NULL: empty); sig_format_clear it. 0 or NOMEM. */
int sig_format_copy(sig_format *dst, const sig_format *src);
/* One member's copy of a group send finished (sig_send.c calls it). */
void sig_fanout_done(sig_fanout *f, const char *to, int err, uint32_t retry_after_ms);
/* A fanout expecting `pending` copies; `sync` (owned from now on, may be
 * NULL) goes to our devices once all are done, if one was delivered or
 * `delivered` says the message already reached someone; then
 * SIG_EV_SEND_DONE for `ud`. One reference for the caller. */
sig_fanout *sig_fanout_new(sig_client *c, uint64_t ts, void *ud, uint8_t *sync,
                           size_t sync_len, size_t pending, int delivered);
/* The same with hooks instead: on_member per copy, on_all once all are
 * done (no transcript, no event). */
sig_fanout *sig_fanout_new_hooked(sig_client *c, size_t pending,
                                  void (*on_member)(void *, const char *, int),
                                  void (*on_all)(void *), void *arg);
/* A copy that could not be started (ok = 0) is no longer awaited. */
void sig_fanout_started(sig_fanout *f, int ok);
size_t sig_fanout_pending(const sig_fanout *f);
/* sig_gsk.c: send `content` (unpadded Content, timestamp ts) to the group
 * with our sender key and one sealed sender v2 multi-recipient request;
 * members that cannot take it get 1:1 copies; `sync` goes to our devices
 * at the end. 1: under way (takes sync), 0: not for this group (fewer
 * than two members can take it: send 1:1), < 0: error. */
struct sig_group_info;
int sig_gsk_send(sig_client *c, const struct sig_group_info *g, const uint8_t *content,
                 size_t n, uint8_t **sync, size_t sync_len, uint64_t ts, void *send_ud);
/* The same for a typing Content (Desktop ts/models/conversations.ts
 * sendTypingMessage → sendContentMessageToGroup): content hint implicit,
 * online=true, urgent=false, not in the send log, no transcript and no
 * event; the members that cannot take it get it 1:1 alike. 1, 0 or < 0
 * as above. */
int sig_gsk_send_typing(sig_client *c, const struct sig_group_info *g, const uint8_t *content,
                        size_t n, uint64_t ts);
void sig_gsk_cancel_all(sig_client *c);
/* sig_gsend.c: in a group transcript (Content{SyncMessage.Sent}), mark the
 * members `acis` as reached by sealed sender (unidentifiedStatus), as
 * Desktop reports its sender-key recipients (unidentifiedDeliveries). */
int sig_group_sync_sealed(uint8_t **sync, size_t *len, const char *const *acis, size_t n);
/* sig_unauth.c: a request on the unauthenticated chat socket (opened on
 * first use, closed when idle; queued while it connects). The callback
 * runs exactly once, with SN_ERR_CANCELLED at teardown. */
int sig_unauth_request(sig_client *c, const char *verb, const char *path, const sn_hdr *h,
                       size_t nh, const uint8_t *body, size_t len, sn_rpc_response_cb cb,
                       void *ud);
void sig_unauth_close(sig_client *c);
void sig_fanout_ref(sig_fanout *f);
void sig_fanout_unref(sig_fanout *f); /* NULL ok */
/* sig_send.c: send a Content to one member of a group send (group_id in
 * the USMC when it goes sealed); the op holds a reference on f and reports
 * to sig_fanout_done instead of emitting. */
int sig_send_content_fanout(sig_client *c, const char *to, const uint8_t *content,
                            size_t n, uint64_t ts, sig_fanout *f, const uint8_t group_id[32]);
/* How a 1:1 send goes, beyond the defaults (online=false, urgent=true,
 * content hint resendable; sealed with the contact's access key when we
 * hold its profile key and the server did not refuse that key, else with
 * our credentials; to ourselves always with our credentials). */
typedef struct sig_send_opts {
    int online;                /* online=true: only to connected devices (typing) */
    int not_urgent;            /* urgent=false (typing) */
    const uint8_t *access_key; /* 16 bytes, or NULL (the contact's, if
                                * known): sealed sender v1 on the
                                * unauthenticated socket, bundles too; a
                                * refused key (401/403) falls back to
                                * unsealed (Desktop OutgoingMessage.ts) */
    uint32_t content_hint;     /* the sealed USMC's (SC_HINT_*) */
    const uint8_t *group_id;   /* 32 bytes or NULL: the sealed USMC's group */
} sig_send_opts;
/* sig_send_content (quiet flags as there) or, with `f`, a group member's
 * copy (sig_send_content_fanout), sent as `o` says (NULL: defaults). */
int sig_send_content_opts(sig_client *c, const char *to, const uint8_t *content, size_t n,
                          uint64_t ts, int quiet, sig_fanout *f, const sig_send_opts *o);
/* sig_store.c: the 16-byte access key of `aci` from its profile key:
 * 0, ST_ERR_NOTFOUND when we have none. */
int sig_access_key(sig_client *c, const char *aci, uint8_t out[16]);

/* sig_backup.c: the history transfer ("link and sync"). resume: start
 * waiting for the archive when a key is kept and nothing is under way
 * (after the link and on every chat connection); stop: at free. */
void sig_backup_resume(sig_client *c);
void sig_backup_stop(sig_client *c);
void sig_backup_forget_key(sig_client *c);

/* sig_client.c */
int sig_chat_open(sig_client *c);
int sig_basic_auth(sig_client *c, const char *user, char *out, size_t cap);
/* The endpoint serving CDN `cdn_number` (0 and unknown numbers: CDN 0). */
const sig_endpoint *sig_cdn(const sig_client *c, uint32_t cdn_number);
/* prefix ‖ path into out; UT_ERR_RANGE when it does not fit. */
int sig_ep_path(char *out, size_t cap, const sig_endpoint *ep, const char *path);

#endif
