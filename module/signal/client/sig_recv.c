/* sig_recv.c - incoming envelopes on the chat socket (signal-service.md
 * §3.1): decrypt (types 1, 3, 5, 6, 8; ACI and PNI), store durably with the
 * session update, acknowledge, then hand over. Replays are acknowledged
 * and dropped; failures are reported per sender and acknowledged (the
 * server would otherwise redeliver the same undecryptable bytes forever). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "SignalService.pb-c.h"
#include "sc_msg.h"
#include "sc_sealed.h"
#include "sc_senderkey.h"
#include "sig_err.h"
#include "sig_inbox.h"
#include "sig_int.h"

#define MAX_ENVELOPE (256u * 1024u)

typedef struct rx {
    sig_client *c;
    int which;                       /* our identity it was sent to */
    char sender[SIG_UUID_STR_LEN + 5];
    uint32_t dev;
    uint64_t ts, server_ts;
    int sealed;
    uint8_t *pt;                     /* padded plaintext (secret) */
    size_t pt_len;
    sc_session *sess;                /* to save on success */
    char addr[96];
    int has_used;
    sc_prekey_used used;
    sc_sk_record *sk;                /* sender-key record to save */
    int identity_changed;            /* a new session under another key */
    char sk_key[128];
    int has_rk;                      /* a failed 1:1 message's ratchet key */
    uint8_t rk[33];                  /* (0x05 ‖ key) for the retry request */
} rx;

/* The sender ratchet key of a 1:1 message we could not decrypt, for the
 * retry request, as libsignal's DecryptionErrorMessage::for_original
 * (rust/protocol/src/protocol.rs): the peer archives its session when it
 * is the current one (Desktop handleRetry.ts, signalmeow retry.go). */
static void note_ratchet_key(rx *r, const uint8_t *msg, size_t n, int prekey)
{
    if (prekey) {
        sc_prekey_msg m;
        if (sc_prekey_msg_decode(&m, msg, n) != 0)
            return;
        memcpy(r->rk + 1, m.message.ratchet_key, 32);
        sc_prekey_msg_clear(&m);
    } else {
        sc_signal_msg m;
        if (sc_signal_msg_decode(&m, msg, n) != 0)
            return;
        memcpy(r->rk + 1, m.ratchet_key, 32);
        sc_signal_msg_clear(&m);
    }
    r->rk[0] = SC_EC_TYPE;
    r->has_rk = 1;
}

static void rx_clear(rx *r)
{
    if (r->pt)
        ut_free_secret(r->pt, r->pt_len);
    r->pt = NULL;
    sc_session_free(r->sess);
    r->sess = NULL;
    sc_sk_record_free(r->sk);
    r->sk = NULL;
}

static void fill_addr(sc_address *a, int kind, const char *uuid, uint32_t dev)
{
    memset(a, 0, sizeof(*a));
    a->kind = (uint8_t)kind;
    if (sig_uuid_parse(a->uuid, uuid) != 0)
        memset(a->uuid, 0, 16);
    a->device = dev;
}

static int decrypt_whisper(rx *r, const uint8_t *msg, size_t n)
{
    sig_client *c = r->c;
    sc_session_store st;
    void *ctx = NULL;
    int rc;

    sig_session_addr(r->addr, sizeof(r->addr), r->which, r->sender, r->dev);
    sig_session_store(c, r->which, &st, &ctx);
    rc = ctx ? sc_session_load(&st, r->addr, &r->sess) : UT_ERR_NOMEM;
    sig_stores_free(ctx);
    if (rc == 0)
        rc = sc_session_decrypt(r->sess, msg, n, &r->pt, &r->pt_len);
    if (rc != 0)
        note_ratchet_key(r, msg, n, 0);
    return rc;
}

static int decrypt_prekey(rx *r, const uint8_t *msg, size_t n)
{
    sig_client *c = r->c;
    sc_session_store st;
    sc_prekey_source src;
    sig_pk_ctx pk = {c, r->which};
    sc_session_params p;
    sc_address local, remote;
    void *ctx = NULL;
    int rc;

    sig_session_addr(r->addr, sizeof(r->addr), r->which, r->sender, r->dev);
    sig_session_store(c, r->which, &st, &ctx);
    rc = ctx ? sc_session_load(&st, r->addr, &r->sess) : UT_ERR_NOMEM;
    sig_stores_free(ctx);
    if (rc == SC_ERR_NO_SESSION)
        rc = sc_session_new(&r->sess);
    if (rc != 0)
        return rc;
    sig_prekey_source(&pk, &src);
    fill_addr(&local, r->which, r->which == SIG_ID_PNI ? c->pni : c->aci,
              c->device_id);
    fill_addr(&remote, 0, r->sender, r->dev);
    memset(&p, 0, sizeof(p));
    p.identity = &c->identity[r->which];
    p.registration_id = c->regid[r->which];
    p.local = &local;
    p.remote = &remote;
    rc = sc_session_decrypt_prekey(r->sess, &p, &src, NULL, msg, n, &r->pt,
                                   &r->pt_len, &r->used);
    if (rc == 0)
        r->has_used = 1;
    else
        note_ratchet_key(r, msg, n, 1);
    return rc;
}

static int decrypt_senderkey(rx *r, const uint8_t *msg, size_t n)
{
    uint8_t dist[16];
    char d[SIG_UUID_STR_LEN + 1];
    ut_buf b;
    int rc;

    if ((rc = sc_sk_peek_distribution_id(msg, n, 0, dist)) != 0)
        return rc;
    sig_uuid_format(d, dist);
    snprintf(r->sk_key, sizeof(r->sk_key), "%s.%" PRIu32 ":%s", r->sender,
             r->dev, d);
    ut_buf_init(&b, 4u << 20);
    rc = sig_rec_get(r->c, "sender_key", r->sk_key, &b);
    if (rc == ST_ERR_NOTFOUND)
        rc = SC_ERR_SK_NO_STATE;
    if (rc == 0)
        rc = sc_sk_record_load(&r->sk, b.data, b.len);
    ut_buf_free_secret(&b);
    if (rc == 0)
        rc = sc_sk_decrypt(r->sk, msg, n, &r->pt, &r->pt_len);
    return rc;
}

/* Install a SenderKeyDistributionMessage (inside the transaction). */
static int process_skdm(rx *r, const uint8_t *skdm, size_t n)
{
    sc_sk_record *rec = NULL;
    uint8_t dist[16], *ser = NULL;
    size_t ser_len = 0;
    char d[SIG_UUID_STR_LEN + 1], key[128];
    ut_buf b;
    int rc;

    if ((rc = sc_sk_peek_distribution_id(skdm, n, 1, dist)) != 0)
        return rc;
    sig_uuid_format(d, dist);
    snprintf(key, sizeof(key), "%s.%" PRIu32 ":%s", r->sender, r->dev, d);
    ut_buf_init(&b, 4u << 20);
    rc = sig_rec_get(r->c, "sender_key", key, &b);
    if (rc == 0)
        rc = sc_sk_record_load(&rec, b.data, b.len);
    else if (rc == ST_ERR_NOTFOUND)
        rc = sc_sk_record_new(&rec, dist);
    ut_buf_free_secret(&b);
    if (rc == 0)
        rc = sc_sk_process(rec, skdm, n);
    if (rc == 0)
        rc = sc_sk_record_save(rec, &ser, &ser_len);
    if (rc == 0)
        rc = sig_rec_put(r->c, "sender_key", key, ser, ser_len);
    if (ser)
        ut_free_secret(ser, ser_len);
    sc_sk_record_free(rec);
    return rc;
}

static int decrypt_sealed(rx *r, const uint8_t *msg, size_t n)
{
    sig_client *c = r->c;
    sc_sealed_local me;
    sc_usmc *u = NULL;
    const sc_sender_cert *cert;
    const uint8_t *inner;
    size_t inner_len;
    int rc;

    memset(&me, 0, sizeof(me));
    me.identity_pub = c->identity[r->which].pub;
    me.identity_priv = c->identity[r->which].priv;
    me.uuid = c->aci;
    me.e164 = c->number;
    me.device = c->device_id;
    rc = sc_sealed_decrypt(&u, msg, n, &me, c->trust, ut_now_ms());
    if (rc != 0)
        return rc;
    cert = sc_usmc_sender(u);
    snprintf(r->sender, sizeof(r->sender), "%s", sc_sender_cert_uuid(cert));
    r->dev = sc_sender_cert_device(cert);
    r->sealed = 1;
    rc = sig_inbox_seen(c, r->sender, r->dev, r->ts);
    if (rc == 1) {
        rc = SIG_ERR_STATE; /* replay: caller acks and drops */
        goto out;
    }
    inner = sc_usmc_content(u, &inner_len);
    switch (sc_usmc_type(u)) {
    case SC_USMC_PREKEY:
        rc = decrypt_prekey(r, inner, inner_len);
        break;
    case SC_USMC_MESSAGE:
        rc = decrypt_whisper(r, inner, inner_len);
        break;
    case SC_USMC_SENDERKEY:
        rc = decrypt_senderkey(r, inner, inner_len);
        break;
    case SC_USMC_PLAINTEXT:
        rc = SIG_ERR_ENVELOPE;
        if (inner_len > 1 && inner[0] == 0xC0 && (r->pt = malloc(inner_len - 1))) {
            memcpy(r->pt, inner + 1, inner_len - 1);
            r->pt_len = inner_len - 1;
            rc = 0;
        }
        break;
    default:
        rc = SIG_ERR_ENVELOPE;
    }
out:
    sc_usmc_free(u);
    return rc;
}

/* Group commit: the envelopes of one burst share a transaction; their acks
 * wait for its COMMIT and the messages reach the caller only after it, so
 * nothing is acknowledged or handed over before it is durable, while the
 * per-message cost of a commit is paid once per burst. The batch ends when
 * the loop turns (batch_ev), when it is full, before we encrypt anything
 * (sig_send.c: a session must not regress if the batch were lost), and at
 * stop. Flushing never calls the caller: batch_ev emits. */
#define BATCH_MAX 256

void sig_recv_batch_run(sig_client *c);

typedef struct held {
    sn_rpc_srvreq *req;   /* NULL once answered */
    int64_t id;           /* inbox row to emit, 0 = none */
    sig_inbox_row row;    /* owned copies when id != 0 */
} held;

static void held_clear(held *h)
{
    if (h->id) {
        free((char *)h->row.sender);
        ut_free_secret((uint8_t *)h->row.content, h->row.content_len);
    }
    memset(h, 0, sizeof(*h));
}

static int batch_open(sig_client *c)
{
    int rc;

    if (c->batch_open)
        return 0;
    if (!c->held && !(c->held = calloc(BATCH_MAX, sizeof(held))))
        return UT_ERR_NOMEM;
    if (c->n_held > 0) { /* stored messages not handed over yet: first */
        sig_recv_batch_run(c);
        if (sig_dead(c))
            return SIG_ERR_CANCELLED;
    }
    if ((rc = st_db_begin(c->db)) != 0)
        return rc;
    c->batch_open = 1;
    event_active(c->batch_ev, 0, 0); /* the batch always ends this turn */
    return 0;
}

void sig_recv_flush(sig_client *c)
{
    held *h = c->held;
    size_t i, n = c->n_held;
    int rc;

    if (!c->batch_open)
        return;
    c->batch_open = 0;
    rc = st_db_commit(c->db);
    if (rc != 0) {
        sig_logf(c, UT_LOG_ERROR, "signal: cannot store %zu messages: %s (not acknowledged: "
                 "the server sends them again)", n, sig_strerror(rc));
        sig_recv_store_failed(c);
    } else {
        c->redeliver_ms = 0;
    }
    for (i = 0; i < n; i++) {
        if (rc == 0 && h[i].req)
            (void)sn_sock_respond(c->chat, h[i].req, 200);
        else if (h[i].req)
            sn_sock_release(c->chat, h[i].req);
        h[i].req = NULL;
        if (rc != 0)
            held_clear(&h[i]);
    }
    if (rc != 0)
        c->n_held = 0;
    if (c->n_held > 0 && c->batch_ev)
        event_active(c->batch_ev, 0, 0);
}

/* batch_ev: commit, then hand the stored messages over in order. */
void sig_recv_batch_run(sig_client *c)
{
    size_t i;

    sig_recv_flush(c);
    for (i = 0; i < c->n_held; i++) {
        if (c->held[i].id && !sig_dead(c))
            sig_emit_message(c, &c->held[i].row, c->held[i].id);
        held_clear(&c->held[i]);
    }
    c->n_held = 0;
    /* Nothing held: give the array back. Kept, its BATCH_MAX slots were
     * ~18 KiB per idle linked account (heaptrack, bench/accounts_bench.js);
     * batch_open makes it again for the next burst. Not while a batch
     * was reopened from an emit above: ack_row fills it then. */
    if (!c->batch_open) {
        free(c->held);
        c->held = NULL;
    }
}

void sig_recv_store_failed(sig_client *c)
{
    struct timeval tv;

    if (!c->redeliver_ev || evtimer_pending(c->redeliver_ev, NULL))
        return;
    c->redeliver_ms = c->redeliver_ms ? c->redeliver_ms * 2 : 1000;
    if (c->redeliver_ms > 60000)
        c->redeliver_ms = 60000;
    tv.tv_sec = c->redeliver_ms / 1000;
    tv.tv_usec = (c->redeliver_ms % 1000) * 1000;
    evtimer_add(c->redeliver_ev, &tv);
}

void sig_recv_redeliver_run(sig_client *c)
{
    if (!c->chat || sn_sock_get_state(c->chat) != SN_SOCK_CONNECTED)
        return; /* a new connection is coming anyway */
    sig_logf(c, UT_LOG_WARN, "signal: reconnecting so that the server sends the messages "
             "that could not be stored again");
    sig_recv_flush(c); /* what is stored is acknowledged first */
    sn_sock_stop(c->chat);
    (void)sn_sock_start(c->chat);
}

void sig_recv_batch_free(sig_client *c)
{
    size_t i;

    sig_recv_flush(c);
    for (i = 0; c->held && i < c->n_held; i++)
        held_clear(&c->held[i]);
    free(c->held);
    c->held = NULL;
    c->n_held = 0;
}

/* Acknowledge now, or with the open batch's commit; `row` (may be NULL)
 * is a stored message to emit after it. */
static void ack_row(sig_client *c, sn_rpc_srvreq *req, const sig_inbox_row *row,
                    int64_t id)
{
    held *h;

    if (!c->batch_open) { /* committed already (a send flushed it) */
        (void)sn_sock_respond(c->chat, req, 200);
        req = NULL;
        if (!row)
            return;
        if (c->n_held == 0) {
            sig_emit_message(c, row, id);
            return;
        }
        /* earlier messages wait for batch_ev: keep the order */
    }
    h = &c->held[c->n_held];
    h->req = req;
    if (row) {
        h->row = *row;
        h->row.sender = strdup(row->sender);
        h->row.content = malloc(row->content_len ? row->content_len : 1);
        if (!h->row.sender || !h->row.content) {
            /* cannot keep it for later: it is stored, redelivery emits it */
            free((char *)h->row.sender);
            free((uint8_t *)h->row.content);
            memset(&h->row, 0, sizeof(h->row));
        } else {
            memcpy((uint8_t *)h->row.content, row->content, row->content_len);
            h->id = id;
        }
    }
    c->n_held++;
    if (c->n_held == BATCH_MAX)
        sig_recv_batch_run(c); /* inside the socket callback: may emit */
    else
        event_active(c->batch_ev, 0, 0);
}

static void ack(sig_client *c, sn_rpc_srvreq *req)
{
    ack_row(c, req, NULL, 0);
}

/* Persist everything of a successful decrypt in one transaction. */
static int commit(rx *r, const uint8_t *content, size_t n, int durable,
                  const Signalservice__Content *ct, int64_t *id)
{
    sig_client *c = r->c;
    sc_session_store st;
    void *ctx = NULL;
    char key[32];
    int rc;

    if ((rc = st_db_begin(c->db)) != 0)
        return rc;
    if (r->sess) {
        sig_session_store(c, r->which, &st, &ctx);
        rc = ctx ? sc_session_save(&st, r->addr, r->sess) : UT_ERR_NOMEM;
        sig_stores_free(ctx);
        if (rc != 0)
            goto fail;
    }
    if (r->has_used && strcmp(r->sender, c->aci) != 0 &&
        (rc = sig_peer_identity(c, r->sender, r->used.identity_key,
                                &r->identity_changed)) != 0)
        goto fail;
    if (r->has_used && r->used.has_pre_key_id) {
        snprintf(key, sizeof(key), "%s:%" PRIu32,
                 r->which == SIG_ID_PNI ? "pni" : "aci", r->used.pre_key_id);
        if ((rc = sig_rec_del(c, "prekey", key)) != 0)
            goto fail;
    }
    if (r->has_used && r->used.new_session) {
        /* a one-time Kyber key is used up; the last-resort one stays */
        sig_pk_ctx pk = {c, r->which};
        sc_prekey_source src;
        sc_kyber_prekey *k = calloc(1, sizeof(*k));

        sig_prekey_source(&pk, &src);
        if (k && src.kyber_prekey(&pk, r->used.kyber_pre_key_id, k) == 0 &&
            !k->last_resort) {
            snprintf(key, sizeof(key), "%s:%" PRIu32,
                     r->which == SIG_ID_PNI ? "pni" : "aci", r->used.kyber_pre_key_id);
            if ((rc = sig_rec_del(c, "kyber_prekey", key)) != 0) {
                sc_kyber_prekey_wipe(k);
                free(k);
                goto fail;
            }
        }
        if (k)
            sc_kyber_prekey_wipe(k);
        free(k);
    }
    if (r->sk) {
        uint8_t *ser = NULL;
        size_t len = 0;
        rc = sc_sk_record_save(r->sk, &ser, &len);
        if (rc == 0)
            rc = sig_rec_put(c, "sender_key", r->sk_key, ser, len);
        if (ser)
            ut_free_secret(ser, len);
        if (rc != 0)
            goto fail;
    }
    if (ct && ct->has_senderkeydistributionmessage) {
        rc = process_skdm(r, ct->senderkeydistributionmessage.data,
                          ct->senderkeydistributionmessage.len);
        if (rc != 0)
            sig_logf(c, UT_LOG_WARN, "signal: bad sender key distribution: %s",
                     sig_strerror(rc));
    }
    *id = 0;
    if (durable) {
        sig_inbox_row row = {r->sender, r->dev, r->ts, r->server_ts,
                             (r->which == SIG_ID_PNI ? SIG_INBOX_TO_PNI : 0) |
                                 (r->sealed ? SIG_INBOX_SEALED : 0),
                             content, n};
        if ((rc = sig_inbox_put(c, &row, id)) != 0)
            goto fail;
    }
    return st_db_commit(c->db);
fail:
    st_db_rollback(c->db);
    return rc;
}

static void emit_peer(sig_client *c, sig_event_type t, const rx *r, int err)
{
    sig_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.type = t;
    ev.err = err;
    ev.peer = r->sender[0] ? r->sender : NULL;
    ev.peer_device = r->dev;
    ev.timestamp = r->ts;
    sig_emit(c, &ev);
}

static void deliver(rx *r, sn_rpc_srvreq *req)
{
    sig_client *c = r->c;
    Signalservice__Content *ct = NULL;
    size_t n = 0;
    int64_t id = 0;
    int rc, durable;
    sig_event ev;

    if (sig_unpad_len(r->pt, r->pt_len, &n) != 0)
        n = r->pt_len; /* plaintext content (type 8) may come unpadded */
    ct = signalservice__content__unpack(NULL, n, r->pt);
    if (!ct) {
        ack(c, req);
        emit_peer(c, SIG_EV_DECRYPT_FAILED, r, SIG_ERR_ENVELOPE);
        return;
    }
    /* sync requests' answers (contacts, keys, ...) are ours, not the caller's */
    /* a call's offer, busy and hangup are kept too: the bridge shows them
     * as notices ("Alice called you", issue #17 item 7) */
    durable = ct->datamessage || ct->editmessage ||
              (ct->syncmessage && (ct->syncmessage->sent || ct->syncmessage->n_read > 0)) ||
              (ct->callmessage && (ct->callmessage->offer || ct->callmessage->hangup ||
                                   ct->callmessage->legacyhangup || ct->callmessage->busy));
    rc = commit(r, r->pt, n, durable, ct, &id);
    if (rc != 0) {
        /* not stored: no ack, the server redelivers on the next connection */
        sig_logf(c, UT_LOG_ERROR, "signal: cannot store message: %s", sig_strerror(rc));
        sn_sock_release(c->chat, req);
        sig_recv_store_failed(c);
        signalservice__content__free_unpacked(ct, NULL);
        return;
    }
    if (!durable)
        ack(c, req);
    if (r->identity_changed) /* before the message it came with */
        emit_peer(c, SIG_EV_IDENTITY_CHANGED, r, 0);
    if (ct->syncmessage && !durable && !strcmp(r->sender, c->aci))
        (void)sig_sync_handle(c, ct->syncmessage);
    if (ct->datamessage && ct->datamessage->has_profilekey && strcmp(r->sender, c->aci))
        (void)sig_profile_key_seen(c, r->sender, ct->datamessage->profilekey.data,
                                   ct->datamessage->profilekey.len);
    if (durable) {
        sig_inbox_row row = {r->sender, r->dev, r->ts, r->server_ts,
                             (r->which == SIG_ID_PNI ? SIG_INBOX_TO_PNI : 0) |
                                 (r->sealed ? SIG_INBOX_SEALED : 0),
                             r->pt, n};
        ack_row(c, req, &row, id);
    } else if (ct->receiptmessage) {
        memset(&ev, 0, sizeof(ev));
        ev.type = SIG_EV_RECEIPT;
        ev.peer = r->sender;
        ev.peer_device = r->dev;
        ev.timestamp = r->ts;
        ev.receipt_type = (int)ct->receiptmessage->type;
        ev.timestamps = ct->receiptmessage->timestamp;
        ev.n_timestamps = ct->receiptmessage->n_timestamp;
        sig_emit(c, &ev);
    } else if (ct->has_decryptionerrormessage) {
        /* a peer could not decrypt a message of ours (sig_retry.c) */
        sig_retry_handle(c, r->which, r->sender, r->dev, ct->decryptionerrormessage.data,
                         ct->decryptionerrormessage.len);
    } else if (ct->typingmessage) {
        memset(&ev, 0, sizeof(ev));
        ev.type = SIG_EV_TYPING;
        ev.peer = r->sender;
        ev.peer_device = r->dev;
        ev.typing_started = ct->typingmessage->action == 0;
        ev.timestamp = ct->typingmessage->timestamp;
        if (ct->typingmessage->has_groupid && ct->typingmessage->groupid.len == 32)
            ev.group_id = ct->typingmessage->groupid.data;
        sig_emit(c, &ev);
    }
    signalservice__content__free_unpacked(ct, NULL);
}

static void handle_envelope(sig_client *c, sn_rpc_srvreq *req,
                            const uint8_t *body, size_t len)
{
    Signalservice__Envelope *e = NULL;
    rx r;
    int rc;

    memset(&r, 0, sizeof(r));
    r.c = c;
    if ((rc = batch_open(c)) != 0) {
        if (!sig_dead(c))
            sig_logf(c, UT_LOG_ERROR, "signal: cannot store messages now: %s",
                     sig_strerror(rc));
        sn_sock_release(c->chat, req);
        /* not acknowledged: the server sends it again, but only on a new
         * connection (as after any failed store) */
        if (!sig_dead(c))
            sig_recv_store_failed(c);
        return;
    }
    if (len > MAX_ENVELOPE ||
        !(e = signalservice__envelope__unpack(NULL, len, body))) {
        sig_logf(c, UT_LOG_WARN, "signal: dropping a malformed envelope");
        ack(c, req);
        return;
    }
    r.ts = e->clienttimestamp;
    r.server_ts = e->servertimestamp;
    r.which = e->has_destinationserviceidbinary &&
                      e->destinationserviceidbinary.len == 17 &&
                      e->destinationserviceidbinary.data[0] == 0x01
                  ? SIG_ID_PNI
                  : SIG_ID_ACI;
    if (r.which == SIG_ID_PNI && !c->has_pni)
        r.which = SIG_ID_ACI;
    if (e->has_sourceserviceidbinary)
        (void)sig_service_id_format(r.sender, e->sourceserviceidbinary.data,
                                    e->sourceserviceidbinary.len);
    else if (e->sourceserviceid)
        snprintf(r.sender, sizeof(r.sender), "%s", e->sourceserviceid);
    r.dev = e->sourcedeviceid;
    if (e->type == 5) { /* server delivery receipt: no content */
        sig_event ev;
        ack(c, req);
        memset(&ev, 0, sizeof(ev));
        ev.type = SIG_EV_RECEIPT;
        ev.peer = r.sender;
        ev.peer_device = r.dev;
        ev.timestamp = r.ts;
        ev.receipt_type = SIG_RECEIPT_DELIVERY;
        ev.timestamps = &r.ts;
        ev.n_timestamps = 1;
        sig_emit(c, &ev);
        goto out;
    }
    if (!e->has_content) {
        ack(c, req);
        goto out;
    }
    if (e->type != 6) {
        if (!r.sender[0]) {
            rc = SIG_ERR_ENVELOPE;
            goto failed;
        }
        rc = sig_inbox_seen(c, r.sender, r.dev, r.ts);
        if (rc == 1)
            goto replay;
    }
    switch (e->type) {
    case 1:
        rc = decrypt_whisper(&r, e->content.data, e->content.len);
        break;
    case 3:
        rc = decrypt_prekey(&r, e->content.data, e->content.len);
        break;
    case 6:
        rc = decrypt_sealed(&r, e->content.data, e->content.len);
        if (rc == SIG_ERR_STATE)
            goto replay;
        break;
    case 8:
        rc = SIG_ERR_ENVELOPE;
        if (e->content.len > 1 && e->content.data[0] == 0xC0 &&
            (r.pt = malloc(e->content.len - 1))) {
            memcpy(r.pt, e->content.data + 1, e->content.len - 1);
            r.pt_len = e->content.len - 1;
            rc = 0;
        }
        break;
    default:
        rc = SIG_ERR_ENVELOPE;
    }
    if (rc != 0)
        goto failed;
    deliver(&r, req);
    goto out;
replay:
    ack(c, req);
    goto out;
failed:
    sig_logf(c, UT_LOG_WARN, "signal: cannot decrypt envelope type %u: %s",
             (unsigned)e->type, sig_strerror(rc));
    ack(c, req);
    /* ask the sender to resend (Signal's retry request) when the session
     * is at fault; a duplicate or a malformed envelope is not worth it */
    if (r.sender[0] && r.dev && strncmp(r.sender, "PNI:", 4) != 0 &&
        rc != SC_ERR_DUPLICATE && rc != SC_ERR_SK_DUPLICATE && rc != SIG_ERR_ENVELOPE) {
        int rr = sig_send_retry_request(c, r.sender, r.dev, r.ts, r.has_rk ? r.rk : NULL);
        if (rr != 0)
            sig_logf(c, UT_LOG_WARN, "signal: retry request not sent: %s", sig_strerror(rr));
    }
    emit_peer(c, SIG_EV_DECRYPT_FAILED, &r, rc);
out:
    rx_clear(&r);
    signalservice__envelope__free_unpacked(e, NULL);
}

void sig_recv_request(sig_client *c, sn_rpc_srvreq *req, const sn_rpc_incoming *in)
{
    if (!strcmp(in->verb, "PUT") && !strcmp(in->path, "/api/v1/message")) {
        handle_envelope(c, req, in->body, in->body ? in->body_len : 0);
    } else if (!strcmp(in->verb, "PUT") && !strcmp(in->path, "/api/v1/queue/empty")) {
        sig_event ev;
        sig_recv_batch_run(c); /* the backlog reaches the caller first */
        if (sig_dead(c)) {
            sn_sock_release(c->chat, req);
            return;
        }
        (void)sn_sock_respond(c->chat, req, 200);
        memset(&ev, 0, sizeof(ev));
        ev.type = SIG_EV_QUEUE_EMPTY;
        sig_emit(c, &ev);
    } else {
        (void)sn_sock_respond(c->chat, req, 404);
    }
}
