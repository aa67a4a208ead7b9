/* sig_send.c - sending (signal-service.md §5): Content → padded → one
 * ciphertext per recipient device → PUT /v1/messages/{serviceId}; sessions
 * from GET /v2/keys bundles; 409 (missing/extra devices) and 410 (stale
 * devices) fix the device list and retry; a SyncMessage.Sent transcript
 * goes to our own other devices after a delivery to someone else. Every
 * Content sent (but typing, resends and retry requests) is kept per device
 * in the send log (sig_sendlog.h) before the PUT, for sig_retry.c.
 *
 * Sealed or identified: a 1:1 send to a contact whose profile key we hold
 * goes sealed (sealed sender v1, envelope type UNIDENTIFIED_SENDER) on the
 * unauthenticated socket with the contact's access key, so the server
 * does not learn who sends to whom, as Signal's clients send it:
 * signalmeow pkg/signalmeow/sending.go sendContent (sealed whenever the
 * recipient's profile key is known; content hint resendable for data and
 * edit messages, implicit for typing and receipts, default otherwise),
 * Signal-Desktop ts/util/getSendOptions.preload.ts (an access key for
 * every direct conversation but our own) and ts/textsecure/
 * OutgoingMessage.ts doSendMessage. Sends to our own devices (transcripts,
 * syncs, Note to Self) always go identified: signalmeow sendContent ("Don't
 * use unauthed websocket to send a payload to my own other devices"),
 * Desktop getSendOptions ("We never send sync messages or to our own
 * account as sealed sender"). A 401/403 on the bundle fetch or the PUT
 * sends that message again identified (Desktop doSendMessage, signalmeow
 * sendContent) and remembers the refused key ("sealed_off" record), so
 * the next sends go identified until the contact's profile key, and with
 * it the access key, changes: Desktop ts/util/handleMessageSend.preload.ts
 * sets the conversation's sealedSender to DISABLED on a failover, and
 * ts/models/conversations.ts setProfileKey back to UNKNOWN on a new key.
 * (signalmeow remembers nothing: it tries sealed first every time.) A
 * group's 1:1 copies (sig_fanout) go the same way, with the group in the
 * USMC. Not
 * done: contacts with unrestricted unidentified access and no known
 * profile key (Desktop's UNRESTRICTED, a zero key): we do not read that
 * profile field. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "SignalService.pb-c.h"
#include "sc_sealed.h"
#include "sig_err.h"
#include "sig_int.h"
#include "sig_sendlog.h"

#define MAX_ATTEMPTS 4
#define MAX_DEVICES 64

struct sig_send_op {
    sig_send_op *next;
    sig_client *c;
    char to[SIG_UUID_STR_LEN + 1];
    uint8_t *content;                /* padded Content */
    size_t content_len;
    uint8_t *dm;                     /* serialized DataMessage (for the sync) */
    size_t dm_len;
    uint8_t *sync;                   /* or a whole Content for our devices */
    size_t sync_len;
    uint64_t ts;
    void *ud;
    int is_sync;                     /* transcript to ourselves: no event */
    int nolog;                       /* not kept in the send log */
    int plaintext;                   /* PlaintextContent (type 8), as is */
    int online;                      /* online=true: typing (sig_send_opts) */
    int not_urgent;
    int sealed;                      /* sealed sender v1 with access_key */
    uint8_t access_key[16];
    uint32_t hint;                   /* the USMC's content hint */
    uint8_t group_id[32];            /* the USMC's group id, if has_group */
    int has_group;
    int attempts;
    uint32_t retry_after_ms;         /* the last refusal's Retry-After */
    uint32_t fetch[MAX_DEVICES];     /* bundles still to fetch (0 = all) */
    size_t n_fetch;
    uint32_t fetching;               /* the bundle asked for */
    sig_fanout *fanout;              /* one member's copy of a group send */
};

static void op_free(sig_send_op *op)
{
    sig_send_op **pp;

    for (pp = &op->c->sends; *pp; pp = &(*pp)->next)
        if (*pp == op) {
            *pp = op->next;
            break;
        }
    if (op->content)
        ut_free_secret(op->content, op->content_len);
    if (op->dm)
        ut_free_secret(op->dm, op->dm_len);
    if (op->sync)
        ut_free_secret(op->sync, op->sync_len);
    sig_fanout_unref(op->fanout);
    free(op);
}

/* ---- a refused access key, remembered ------------------------------------------ */

#define SEALED_OFF "sealed_off"

/* 1 when the server refused exactly this access key for `to` before. */
static int sealed_refused(sig_client *c, const char *to, const uint8_t ak[16])
{
    ut_buf b;
    int off;

    ut_buf_init(&b, 32);
    off = sig_rec_get(c, SEALED_OFF, to, &b) == 0 && b.len == 16 && ut_ct_eq(b.data, ak, 16);
    ut_buf_free_secret(&b);
    return off;
}

/* The server refused op's access key: this send goes identified, and so
 * do the next ones while the key stays the same. */
static void sealed_refuse(sig_send_op *op, uint32_t status)
{
    sig_client *c = op->c;
    int rc;

    sig_logf(c, UT_LOG_INFO, "signal: access key refused (%u), sending identified",
             (unsigned)status);
    if ((rc = sig_rec_put(c, SEALED_OFF, op->to, op->access_key, 16)) != 0)
        sig_logf(c, UT_LOG_WARN, "signal: refused access key not remembered: %s",
                 sig_strerror(rc));
    op->sealed = 0;
    ut_wipe(op->access_key, sizeof(op->access_key));
}

void sig_send_cancel_all(sig_client *c, int err)
{
    (void)err;
    while (c->sends)
        op_free(c->sends);
    sig_gsk_cancel_all(c);
}

static int send_sync(sig_client *c, const sig_send_op *done);
static int pack_sent(const char *to, uint64_t ts, struct Signalservice__DataMessage *dm,
                     int sealed, uint8_t **out, size_t *out_len);

static void finish(sig_send_op *op, int err)
{
    sig_client *c = op->c;
    sig_event ev;

    if (op->fanout) { /* the group send reports once all copies are done */
        sig_fanout_done(op->fanout, op->to, err, err ? op->retry_after_ms : 0);
        op_free(op);
        return;
    }
    if (err == 0 && !op->is_sync && strcmp(op->to, c->aci) != 0) {
        int rc = send_sync(c, op);
        if (rc != 0)
            sig_logf(c, UT_LOG_WARN, "signal: sync transcript not sent: %s",
                     sig_strerror(rc));
    }
    if (op->is_sync) {
        if (err)
            sig_logf(c, UT_LOG_WARN, "signal: sync transcript failed: %s",
                     sig_strerror(err));
        op_free(op);
        return;
    }
    memset(&ev, 0, sizeof(ev));
    ev.type = SIG_EV_SEND_DONE;
    ev.err = err;
    ev.retry_after_ms = err ? op->retry_after_ms : 0;
    ev.timestamp = op->ts;
    ev.send_ud = op->ud;
    op_free(op);
    sig_emit(c, &ev);
}

/* ---- devices we have sessions with ----------------------------------------- */

typedef struct dev_list {
    const char *prefix;
    size_t plen;
    uint32_t dev[MAX_DEVICES];
    size_t n;
} dev_list;

static int collect_dev(void *arg, const char *key, const void *v, size_t len)
{
    dev_list *d = arg;

    (void)v;
    (void)len;
    if (strncmp(key, d->prefix, d->plen) == 0 && d->n < MAX_DEVICES)
        d->dev[d->n++] = (uint32_t)strtoul(key + d->plen, NULL, 10);
    return 0;
}

/* The peer's sessions only: a seek on the records' key, not a walk over
 * every session of the account. */
static int session_devices(sig_client *c, const char *to, dev_list *d)
{
    char prefix[64];

    snprintf(prefix, sizeof(prefix), "a:%s.", to);
    d->prefix = prefix;
    d->plen = strlen(prefix);
    d->n = 0;
    return st_record_each_prefix(c->db, c->cfg.account, "session", prefix, collect_dev, d);
}

/* ---- bundles ----------------------------------------------------------------- */

static int b64_exact(const char *s, uint8_t *dst, size_t n, int type_byte)
{
    uint8_t *raw = NULL;
    size_t len = 0;
    int rc;

    if (!s || sig_b64_decode(s, &raw, &len) != 0)
        return SIG_ERR_JSON;
    rc = SIG_ERR_JSON;
    if (type_byte >= 0 && len == n + 1 && raw[0] == type_byte) {
        memcpy(dst, raw + 1, n);
        rc = 0;
    } else if (type_byte < 0 && len == n) {
        memcpy(dst, raw, n);
        rc = 0;
    }
    free(raw);
    return rc;
}

static int bundle_from_json(sc_prekey_bundle *b, const uint8_t ik[32], json_t *d)
{
    json_t *spk = json_object_get(d, "signedPreKey");
    json_t *kpk = json_object_get(d, "pqPreKey");
    json_t *pk = json_object_get(d, "preKey");
    int rc;

    memset(b, 0, sizeof(*b));
    memcpy(b->identity_key, ik, 32);
    b->device_id = (uint32_t)json_integer_value(json_object_get(d, "deviceId"));
    b->registration_id =
        (uint32_t)json_integer_value(json_object_get(d, "registrationId"));
    if (!json_is_object(spk) || !json_is_object(kpk) || b->device_id == 0)
        return SIG_ERR_JSON;
    b->signed_prekey_id = (uint32_t)json_integer_value(json_object_get(spk, "keyId"));
    b->kyber_prekey_id = (uint32_t)json_integer_value(json_object_get(kpk, "keyId"));
    if ((rc = b64_exact(json_string_value(json_object_get(spk, "publicKey")),
                        b->signed_prekey, 32, SC_EC_TYPE)) != 0 ||
        (rc = b64_exact(json_string_value(json_object_get(spk, "signature")),
                        b->signed_prekey_sig, SC_SIG_LEN, -1)) != 0 ||
        (rc = b64_exact(json_string_value(json_object_get(kpk, "publicKey")),
                        b->kyber_prekey, SC_KEM_PUB_LEN, SC_KEM_TYPE_KYBER1024)) != 0 ||
        (rc = b64_exact(json_string_value(json_object_get(kpk, "signature")),
                        b->kyber_prekey_sig, SC_SIG_LEN, -1)) != 0)
        return rc;
    if (json_is_object(pk)) {
        b->has_prekey = 1;
        b->prekey_id = (uint32_t)json_integer_value(json_object_get(pk, "keyId"));
        if ((rc = b64_exact(json_string_value(json_object_get(pk, "publicKey")),
                            b->prekey, 32, SC_EC_TYPE)) != 0)
            return rc;
    }
    return 0;
}

static int sessions_from_bundles(sig_client *c, const char *to,
                                 const uint8_t *body, size_t len)
{
    json_t *j = json_loadb((const char *)body, len, 0, NULL), *devs, *d;
    sc_prekey_bundle *b = calloc(1, sizeof(*b));
    uint8_t ik[32];
    size_t i;
    int rc = 0;

    if (!j || !b) {
        rc = j ? UT_ERR_NOMEM : SIG_ERR_JSON;
        goto out;
    }
    devs = json_object_get(j, "devices");
    if (!json_is_array(devs) ||
        (rc = b64_exact(json_string_value(json_object_get(j, "identityKey")), ik,
                        32, SC_EC_TYPE)) != 0) {
        rc = SIG_ERR_JSON;
        goto out;
    }
    if (strcmp(to, c->aci) != 0) {
        int changed = 0;
        if ((rc = sig_peer_identity(c, to, ik, &changed)) != 0)
            goto out;
        if (changed) {
            sig_event ev;
            memset(&ev, 0, sizeof(ev));
            ev.type = SIG_EV_IDENTITY_CHANGED;
            ev.peer = to;
            sig_emit(c, &ev);
        }
    }
    json_array_foreach(devs, i, d) {
        sc_session *s = NULL;
        sc_session_params p;
        sc_address local, remote;
        sc_session_store st;
        void *ctx = NULL;
        char addr[96];

        if ((rc = bundle_from_json(b, ik, d)) != 0)
            goto out;
        if (!strcmp(to, c->aci) && b->device_id == c->device_id)
            continue;
        memset(&p, 0, sizeof(p));
        memset(&local, 0, sizeof(local));
        memset(&remote, 0, sizeof(remote));
        (void)sig_uuid_parse(local.uuid, c->aci);
        local.device = c->device_id;
        (void)sig_uuid_parse(remote.uuid, to);
        remote.device = b->device_id;
        p.identity = &c->identity[SIG_ID_ACI];
        p.registration_id = c->regid[SIG_ID_ACI];
        p.local = &local;
        p.remote = &remote;
        sig_session_addr(addr, sizeof(addr), SIG_ID_ACI, to, b->device_id);
        sig_session_store(c, SIG_ID_ACI, &st, &ctx);
        /* Another send to the same device may have set up a session while
         * this bundle was on its way: keep that one, or the peer would get
         * PreKey messages of competing sessions and answer in only one. */
        if (ctx && sc_session_load(&st, addr, &s) == 0 && sc_session_has_current(s)) {
            sc_session_free(s);
            sig_stores_free(ctx);
            continue;
        }
        /* a record whose state was archived (a retry request) keeps its
         * archive, so the peer's messages still in flight decrypt */
        rc = s ? 0 : sc_session_new(&s);
        if (rc == 0)
            rc = sc_session_process_bundle(s, &p, b);
        if (rc == 0)
            rc = ctx ? sc_session_save(&st, addr, s) : UT_ERR_NOMEM;
        sig_stores_free(ctx);
        sc_session_free(s);
        if (rc != 0)
            goto out;
    }
out:
    free(b);
    json_decref(j);
    return rc;
}

/* ---- the state machine -------------------------------------------------------- */

static int step(sig_send_op *op);

static int status_err(uint32_t st)
{
    switch (st) {
    case 404: return SIG_ERR_UNREGISTERED;
    /* 413: a device's content is over 96 KiB (Signal-Server MessageSender
     * MAX_MESSAGE_SIZE); rate limits are 429 (RateLimitExceededExceptionMapper) */
    case 413: return SIG_ERR_TOO_BIG;
    case 429: return SIG_ERR_RATE_LIMIT;
    case 428: return SIG_ERR_CHALLENGE;
    case 401:
    case 403: return SIG_ERR_UNLINKED;
    default: return SIG_ERR_HTTP;
    }
}

static void keys_resp(int rc, const sn_rpc_response *r, void *ud)
{
    sig_send_op *op = ud;
    sig_client *c = op->c;

    if (sig_dead(c)) {
        op_free(op);
        return;
    }
    sig_enter(c);
    if (rc == 0 && op->sealed && (r->status == 401 || r->status == 403)) {
        /* the access key was refused: the bundle and then the message go
         * with our credentials (Desktop getKeysForServiceId.ts
         * getServerKeys: accessKeyFailed; Signal-Server KeysController
         * getDeviceKeys → OptionalAccess.verify answers 401) */
        sealed_refuse(op, r->status);
        op->fetch[op->n_fetch++] = op->fetching;
        if ((rc = step(op)) != 0)
            finish(op, rc);
        sig_leave(c);
        return;
    }
    if (rc == 0 && r->status != 200) {
        rc = status_err(r->status);
        op->retry_after_ms = sig_retry_after(r->headers);
    }
    if (rc == 0)
        rc = r->body ? sessions_from_bundles(c, op->to, r->body, r->body_len)
                     : SIG_ERR_JSON;
    if (rc == 0)
        rc = step(op);
    if (rc != 0)
        finish(op, rc);
    sig_leave(c);
}

static void drop_session(sig_client *c, const char *to, uint32_t dev)
{
    char addr[96];

    sig_session_addr(addr, sizeof(addr), SIG_ID_ACI, to, dev);
    (void)sig_rec_del(c, "session", addr);
}

static void put_resp(int rc, const sn_rpc_response *r, void *ud)
{
    sig_send_op *op = ud;
    sig_client *c = op->c;
    json_t *j = NULL, *a, *v;
    size_t i;

    if (sig_dead(c)) {
        op_free(op);
        return;
    }
    sig_enter(c);
    if (rc != 0) {
        finish(op, rc);
        goto out;
    }
    if (r->status == 200) {
        finish(op, 0);
        goto out;
    }
    if (op->sealed && (r->status == 401 || r->status == 403)) {
        /* a wrong or withdrawn access key (Signal-Server MessageController
         * sendSealedSenderMessage → OptionalAccess.verify: 401, also for an
         * account that does not exist): again with our credentials, as
         * Desktop's OutgoingMessage.doSendMessage fails over and signalmeow's
         * sendContent retries; 409/410/404 then as for any identified send */
        sealed_refuse(op, r->status);
        if ((rc = step(op)) != 0)
            finish(op, rc);
        goto out;
    }
    if ((r->status != 409 && r->status != 410) || ++op->attempts >= MAX_ATTEMPTS) {
        op->retry_after_ms = sig_retry_after(r->headers);
        finish(op, r->status == 409 || r->status == 410 ? SIG_ERR_RETRIES
                                                        : status_err(r->status));
        goto out;
    }
    j = r->body ? json_loadb((const char *)r->body, r->body_len, 0, NULL) : NULL;
    if (!j) {
        finish(op, SIG_ERR_JSON);
        goto out;
    }
    sig_logf(c, UT_LOG_INFO, "signal: send got %u, fixing the device list",
             (unsigned)r->status);
    op->n_fetch = 0;
    if (r->status == 409) {
        a = json_object_get(j, "extraDevices");
        json_array_foreach(a, i, v) drop_session(c, op->to, (uint32_t)json_integer_value(v));
        a = json_object_get(j, "missingDevices");
        json_array_foreach(a, i, v) if (op->n_fetch < MAX_DEVICES)
            op->fetch[op->n_fetch++] = (uint32_t)json_integer_value(v);
    } else {
        a = json_object_get(j, "staleDevices");
        json_array_foreach(a, i, v) {
            uint32_t d = (uint32_t)json_integer_value(v);
            drop_session(c, op->to, d);
            if (op->n_fetch < MAX_DEVICES)
                op->fetch[op->n_fetch++] = d;
        }
    }
    json_decref(j);
    if ((rc = step(op)) != 0)
        finish(op, rc);
out:
    sig_leave(c);
}

/* Sealed sender v1 of one device's ciphertext (`type`: SC_MSG_TYPE_*, or
 * 8 for a PlaintextContent),
 * as Desktop's OutgoingMessage.doSendMessage seals it: a USMC with our
 * certificate, the op's content hint and group id, to the session's
 * identity key. *out malloc'd. */
static int seal_one(sig_send_op *op, const sc_session *sess, const uint8_t *cert,
                    size_t cert_len, const uint8_t *ct, size_t ct_len, int type,
                    uint8_t **out, size_t *out_len)
{
    sig_client *c = op->c;
    sc_usmc *u = NULL;
    uint8_t ik[32];
    int rc;

    if ((rc = sc_session_remote_identity(sess, ik)) != 0)
        return rc;
    rc = sc_usmc_new(&u, type == 8 ? SC_USMC_PLAINTEXT
                         : type == SC_MSG_TYPE_PREKEY ? SC_USMC_PREKEY : SC_USMC_MESSAGE,
                     cert, cert_len, ct, ct_len, op->hint, op->has_group ? op->group_id : NULL,
                     op->has_group ? 32 : 0);
    if (rc == 0)
        rc = sc_sealed_encrypt_v1(out, out_len, u, c->identity[SIG_ID_ACI].pub,
                                  c->identity[SIG_ID_ACI].priv, ik);
    sc_usmc_free(u);
    return rc;
}

static int put_messages(sig_send_op *op)
{
    sig_client *c = op->c;
    dev_list d;
    json_t *msgs = json_array(), *body = NULL;
    char path[160], *s = NULL, *uak = NULL;
    sn_hdr h[2] = {{"content-type", "application/json"}, {"unidentified-access-key", NULL}};
    uint8_t *cert = NULL;
    size_t i, plain_n = 0, cert_len = 0;
    int rc, in_tx = 0;

    /* the received burst's sessions are committed before we advance ours */
    sig_recv_flush(c);
    if (!msgs)
        return UT_ERR_NOMEM;
    if ((rc = session_devices(c, op->to, &d)) < 0)
        goto out;
    /* a device whose session state was archived (after a retry request)
     * needs a new session from its bundle first */
    for (i = 0; i < d.n && op->n_fetch < MAX_DEVICES; i++) {
        sc_session_store st;
        void *ctx = NULL;
        sc_session *sess = NULL;
        char addr[96];

        if (!strcmp(op->to, c->aci) && d.dev[i] == c->device_id)
            continue;
        sig_session_addr(addr, sizeof(addr), SIG_ID_ACI, op->to, d.dev[i]);
        sig_session_store(c, SIG_ID_ACI, &st, &ctx);
        if (ctx && sc_session_load(&st, addr, &sess) == 0 && !sc_session_has_current(sess))
            op->fetch[op->n_fetch++] = d.dev[i];
        sc_session_free(sess);
        sig_stores_free(ctx);
    }
    if (op->n_fetch > 0) {
        json_decref(msgs);
        if (++op->attempts >= MAX_ATTEMPTS)
            return SIG_ERR_RETRIES;
        return step(op);
    }
    if (op->sealed && sig_client_sender_certificate(c, &cert, &cert_len, NULL) != 0) {
        /* no certificate yet: unsealed this time, ask for one */
        sig_cert_refresh(c);
        op->sealed = 0;
    }
    if (op->sealed && (rc = sig_b64_encode(op->access_key, 16, &uak)) != 0)
        goto out;
    /* the send log rows and the session updates commit together, before
     * the request goes out: a crash cannot leave a sent message unlogged */
    if (!op->plaintext && !op->nolog) {
        if (sig_unpad_len(op->content, op->content_len, &plain_n) != 0)
            plain_n = op->content_len;
        if ((rc = st_db_begin(c->db)) != 0)
            goto out;
        in_tx = 1;
        sig_sendlog_maybe_prune(c);
    }
    rc = 0;
    for (i = 0; i < d.n; i++) {
        sc_session_store st;
        void *ctx = NULL;
        sc_session *sess = NULL;
        char addr[96], *b64 = NULL;
        uint8_t *ct = NULL;
        size_t ct_len = 0;
        int type = 0;

        if (!strcmp(op->to, c->aci) && d.dev[i] == c->device_id)
            continue;
        sig_session_addr(addr, sizeof(addr), SIG_ID_ACI, op->to, d.dev[i]);
        sig_session_store(c, SIG_ID_ACI, &st, &ctx);
        rc = ctx ? sc_session_load(&st, addr, &sess) : UT_ERR_NOMEM;
        if (rc == 0 && op->plaintext && op->sealed) {
            /* a PlaintextContent in a USMC of type plaintext */
            rc = seal_one(op, sess, cert, cert_len, op->content, op->content_len, 8, &ct,
                          &ct_len);
            type = 6;
        } else if (rc == 0 && op->plaintext) {
            type = 8;
            ct = malloc(op->content_len);
            if (ct) {
                memcpy(ct, op->content, op->content_len);
                ct_len = op->content_len;
            } else {
                rc = UT_ERR_NOMEM;
            }
        } else if (rc == 0) {
            rc = sc_session_encrypt(sess, op->content, op->content_len, &ct,
                                    &ct_len, &type);
            if (rc == 0 && op->sealed) {
                uint8_t *sealed = NULL;
                size_t sealed_len = 0;
                rc = seal_one(op, sess, cert, cert_len, ct, ct_len, type, &sealed,
                              &sealed_len);
                free(ct);
                ct = sealed;
                ct_len = sealed_len;
                type = 6; /* Envelope.Type UNIDENTIFIED_SENDER */
            }
            if (rc == 0)
                rc = sc_session_save(&st, addr, sess);
            if (rc == 0 && in_tx)
                rc = sig_sendlog_put(c->db, c->cfg.account, op->to, d.dev[i], op->ts,
                                     op->content, plain_n, ut_now_ms());
        }
        if (rc == 0)
            rc = sig_b64_encode(ct, ct_len, &b64);
        if (rc == 0 &&
            json_array_append_new(
                msgs, json_pack("{s:i,s:I,s:I,s:s}", "type",
                                type == 8 || type == 6 ? type
                                : type == SC_MSG_TYPE_PREKEY ? 3 : 1,
                                "destinationDeviceId", (json_int_t)d.dev[i],
                                "destinationRegistrationId",
                                (json_int_t)sc_session_remote_registration_id(sess),
                                "content", b64)) != 0)
            rc = UT_ERR_NOMEM;
        free(b64);
        free(ct);
        sc_session_free(sess);
        sig_stores_free(ctx);
        if (rc != 0)
            goto out;
    }
    if (in_tx) {
        in_tx = 0;
        if ((rc = st_db_commit(c->db)) != 0)
            goto out;
    }
    body = json_pack("{s:O,s:I,s:b,s:b}", "messages", msgs, "timestamp",
                     (json_int_t)op->ts, "online", op->online, "urgent", !op->not_urgent);
    s = body ? json_dumps(body, JSON_COMPACT) : NULL;
    if (!s) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    if (op->sealed) {
        /* on the unauthenticated socket, the access key as authorization
         * (Desktop WebAPI sendMessagesUnauth; Signal-Server
         * MessageController.sendMessage with Unidentified-Access-Key) */
        snprintf(path, sizeof(path), "/v1/messages/%s?story=false", op->to);
        h[1].value = uak;
        rc = sig_unauth_request(c, "PUT", path, h, 2, (const uint8_t *)s, strlen(s),
                                put_resp, op);
    } else {
        snprintf(path, sizeof(path), "/v1/messages/%s", op->to);
        rc = sn_sock_request(c->chat, "PUT", path, h, 1, (const uint8_t *)s,
                             strlen(s), 30000, put_resp, op);
    }
out:
    if (in_tx)
        st_db_rollback(c->db);
    free(cert);
    free(uak);
    free(s);
    json_decref(body);
    json_decref(msgs);
    return rc;
}

/* Fetch the next missing bundle, or send when none is left. */
static int step(sig_send_op *op)
{
    sig_client *c = op->c;
    char path[128];
    int rc;

    if (op->n_fetch > 0) {
        uint32_t dev = op->fetch[--op->n_fetch];
        op->fetching = dev;
        if (dev == 0)
            snprintf(path, sizeof(path), "/v2/keys/%s/*", op->to);
        else
            snprintf(path, sizeof(path), "/v2/keys/%s/%" PRIu32, op->to, dev);
        if (op->sealed) {
            /* a sealed send fetches bundles with the access key too
             * (Desktop getKeysForServiceId.ts getServerKeys) */
            char *uak = NULL;
            if ((rc = sig_b64_encode(op->access_key, 16, &uak)) == 0) {
                sn_hdr h = {"unidentified-access-key", uak};
                rc = sig_unauth_request(c, "GET", path, &h, 1, NULL, 0, keys_resp, op);
            }
            free(uak);
        } else {
            rc = sn_sock_request(c->chat, "GET", path, NULL, 0, NULL, 0, 30000,
                                 keys_resp, op);
        }
    } else {
        rc = put_messages(op);
    }
    return rc;
}

/* `sync`: a Content for our own devices once `to` got it (else a
 * transcript is made from `dm`, if any). */
static int start_op_fan(sig_client *c, const char *to, const uint8_t *content,
                        size_t n, const uint8_t *dm, size_t dm_len,
                        const uint8_t *sync, size_t sync_len, uint64_t ts,
                        void *ud, int is_sync, sig_fanout *fan, const sig_send_opts *o)
{
    sig_send_op *op = calloc(1, sizeof(*op));
    dev_list d;
    int rc;

    if (!op)
        return UT_ERR_NOMEM;
    /* messages, edits, reactions, receipts: resendable (Desktop
     * SendMessage.preload.ts sendMessage callers and #sendReceiptMessage) */
    op->hint = SC_HINT_RESENDABLE;
    if (o) {
        op->online = o->online != 0;
        op->not_urgent = o->not_urgent != 0;
        op->hint = o->content_hint;
        /* never to ourselves: our own devices take our messages unsealed */
        if (o->access_key && strcmp(to, c->aci) != 0) {
            op->sealed = 1;
            memcpy(op->access_key, o->access_key, 16);
        }
        if (o->group_id) {
            op->has_group = 1;
            memcpy(op->group_id, o->group_id, 32);
        }
    }
    /* a 1:1 send to a contact whose profile key we hold: sealed, unless
     * the server refused this very key before (see the top of the file) */
    if (!op->sealed && strcmp(to, c->aci) != 0 &&
        sig_access_key(c, to, op->access_key) == 0) {
        if (sealed_refused(c, to, op->access_key))
            ut_wipe(op->access_key, sizeof(op->access_key));
        else
            op->sealed = 1;
    }
    if (fan) { /* op_free drops it on every path below */
        sig_fanout_ref(fan);
        op->fanout = fan;
    }
    if (sync && !(op->sync = malloc(sync_len ? sync_len : 1))) {
        sig_fanout_unref(op->fanout);
        free(op);
        return UT_ERR_NOMEM;
    }
    if (sync) {
        memcpy(op->sync, sync, sync_len);
        op->sync_len = sync_len;
    }
    op->c = c;
    snprintf(op->to, sizeof(op->to), "%s", to);
    op->ts = ts;
    op->ud = ud;
    op->is_sync = (is_sync & SIG_SEND_QUIET) != 0;
    op->nolog = (is_sync & SIG_SEND_NOLOG) != 0;
    if ((rc = sig_pad_content(content, n, &op->content, &op->content_len)) != 0 ||
        (dm && !(op->dm = malloc(dm_len)))) {
        free(op->content);
        free(op->sync);
        sig_fanout_unref(op->fanout);
        free(op);
        return rc ? rc : UT_ERR_NOMEM;
    }
    if (dm) {
        memcpy(op->dm, dm, dm_len);
        op->dm_len = dm_len;
    }
    op->next = c->sends;
    c->sends = op;
    if ((rc = session_devices(c, to, &d)) < 0) {
        op_free(op);
        return rc;
    }
    if (d.n == 0 || (d.n == 1 && !strcmp(to, c->aci) && d.dev[0] == c->device_id)) {
        /* no sessions: all devices of a contact; only the phone for us
         * (fetching "*" for ourselves would pop our own pre-keys) */
        op->fetch[0] = strcmp(to, c->aci) ? 0 : 1;
        op->n_fetch = 1;
    }
    if ((rc = step(op)) != 0)
        op_free(op);
    return rc;
}

static int start_op_sync(sig_client *c, const char *to, const uint8_t *content,
                         size_t n, const uint8_t *dm, size_t dm_len,
                         const uint8_t *sync, size_t sync_len, uint64_t ts,
                         void *ud, int is_sync)
{
    return start_op_fan(c, to, content, n, dm, dm_len, sync, sync_len, ts, ud, is_sync,
                        NULL, NULL);
}

static int start_op(sig_client *c, const char *to, const uint8_t *content,
                    size_t n, const uint8_t *dm, size_t dm_len, uint64_t ts,
                    void *ud, int is_sync)
{
    return start_op_sync(c, to, content, n, dm, dm_len, NULL, 0, ts, ud, is_sync);
}

/* A retry request (DecryptionErrorMessage) about the message of `dev` we
 * could not decrypt, as a PlaintextContent: 0xC0 ‖ Content ‖ 0x80, sealed
 * when we hold the sender's access key. It goes
 * to all of the sender's devices: Signal's server takes a message only for
 * the complete device list (Signal-Server push/MessageSender.java,
 * getMismatchedDevices), and Desktop's sendRetryRequest
 * (ts/textsecure/SendMessage.ts, recipients: [aci]) and signalmeow's
 * sendRetryRequest (pkg/signalmeow/retry.go, sendContent to the service id)
 * address the whole account too; the DEM's device id says whose it is. */
int sig_send_retry_request(sig_client *c, const char *to, uint32_t dev,
                           uint64_t ts, const uint8_t *ratchet_key)
{
    Signalservice__DecryptionErrorMessage dem =
        SIGNALSERVICE__DECRYPTION_ERROR_MESSAGE__INIT;
    Signalservice__Content ct = SIGNALSERVICE__CONTENT__INIT;
    uint8_t dbuf[96];
    sig_send_op *op;
    dev_list d;
    size_t n, i;
    int rc, have = 0;

    if (!c->chat || sn_sock_get_state(c->chat) != SN_SOCK_CONNECTED)
        return SIG_ERR_STATE;
    dem.has_timestamp = 1;
    dem.timestamp = ts;
    dem.has_deviceid = 1;
    dem.deviceid = c->device_id;
    if (ratchet_key) {
        dem.has_ratchetkey = 1;
        dem.ratchetkey.data = (uint8_t *)ratchet_key;
        dem.ratchetkey.len = 33;
    }
    ct.has_decryptionerrormessage = 1;
    ct.decryptionerrormessage.data = dbuf;
    ct.decryptionerrormessage.len = signalservice__decryption_error_message__pack(&dem, dbuf);
    n = signalservice__content__get_packed_size(&ct);
    op = calloc(1, sizeof(*op));
    if (!op || !(op->content = malloc(n + 2))) {
        free(op);
        return UT_ERR_NOMEM;
    }
    op->content[0] = 0xC0;
    signalservice__content__pack(&ct, op->content + 1);
    op->content[n + 1] = 0x80;
    op->content_len = n + 2;
    op->c = c;
    snprintf(op->to, sizeof(op->to), "%s", to);
    op->ts = (uint64_t)ut_now_ms();
    op->is_sync = 1; /* no SIG_EV_SEND_DONE, no transcript */
    op->plaintext = 1;
    /* sealed like any 1:1 send, content hint default (signalmeow retry.go
     * sendRetryRequest: sendContent with useUnidentifiedSender) */
    op->hint = SC_HINT_DEFAULT;
    if (strcmp(to, c->aci) != 0 && sig_access_key(c, to, op->access_key) == 0 &&
        !sealed_refused(c, to, op->access_key))
        op->sealed = 1;
    else
        ut_wipe(op->access_key, sizeof(op->access_key));
    op->next = c->sends;
    c->sends = op;
    if ((rc = session_devices(c, to, &d)) < 0) {
        op_free(op);
        return rc;
    }
    for (i = 0; i < d.n; i++)
        have |= d.dev[i] == dev;
    if (!have) { /* its registration id comes with the bundle */
        op->fetch[0] = dev;
        op->n_fetch = 1;
    }
    if ((rc = step(op)) != 0)
        op_free(op);
    return rc;
}

int sig_client_forget_sessions(sig_client *c, const char *aci)
{
    char addr[96];
    uint8_t u[16];
    dev_list d;
    size_t i;
    int rc;

    if (sig_uuid_parse(u, aci) != 0)
        return SIG_ERR_ADDRESS;
    if ((rc = session_devices(c, aci, &d)) < 0)
        return rc;
    for (i = 0; i < d.n; i++) {
        sig_session_addr(addr, sizeof(addr), SIG_ID_ACI, aci, d.dev[i]);
        if ((rc = sig_rec_del(c, "session", addr)) != 0)
            return rc;
    }
    return 0;
}

int sig_resolve(sig_client *c, const char *to, char out[SIG_UUID_STR_LEN + 1])
{
    uint8_t u[16];
    ut_buf b;
    int rc;

    if (sig_uuid_parse(u, to) == 0) {
        sig_uuid_format(out, u);
        return 0;
    }
    if (to[0] != '+')
        return SIG_ERR_ADDRESS;
    ut_buf_init(&b, 64);
    rc = sig_rec_get(c, "contact_number", to, &b);
    if (rc == 0 && b.len == SIG_UUID_STR_LEN) {
        memcpy(out, b.data, SIG_UUID_STR_LEN);
        out[SIG_UUID_STR_LEN] = '\0';
    } else {
        rc = SIG_ERR_ADDRESS;
    }
    ut_buf_free(&b);
    return rc;
}

int sig_send_dm(sig_client *c, const char *to, Signalservice__DataMessage *dm,
                void *send_ud)
{
    Signalservice__Content ct = SIGNALSERVICE__CONTENT__INIT;
    uint8_t *buf = NULL, *dbuf = NULL;
    size_t n = 0, dn = 0;
    int rc;

    if (c->has_profile_key) {
        dm->has_profilekey = 1;
        dm->profilekey.data = c->profile_key;
        dm->profilekey.len = 32;
    }
    if (strcmp(to, c->aci) == 0) {
        /* Note to Self: Signal's apps send only the transcript, to our own
         * other devices; SIG_EV_SEND_DONE reports its delivery. */
        rc = pack_sent(to, dm->timestamp, dm, -1, &buf, &n);
        if (rc == 0)
            rc = start_op(c, to, buf, n, NULL, 0, dm->timestamp, send_ud, 0);
        goto out;
    }
    ct.datamessage = dm;
    n = signalservice__content__get_packed_size(&ct);
    dn = signalservice__data_message__get_packed_size(dm);
    buf = malloc(n);
    dbuf = malloc(dn ? dn : 1);
    if (!buf || !dbuf) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    signalservice__content__pack(&ct, buf);
    signalservice__data_message__pack(dm, dbuf);
    rc = start_op(c, to, buf, n, dbuf, dn, dm->timestamp, send_ud, 0);
out:
    if (buf)
        ut_free_secret(buf, n);
    if (dbuf)
        ut_free_secret(dbuf, dn);
    return rc;
}

int sig_send_text(sig_client *c, const char *to, const char *text,
                  uint64_t ts, void *send_ud, uint64_t *ts_out)
{
    Signalservice__DataMessage dm = SIGNALSERVICE__DATA_MESSAGE__INIT;
    char aci[SIG_UUID_STR_LEN + 1];
    int rc;

    if ((rc = sig_resolve(c, to, aci)) != 0)
        return rc;
    dm.body = (char *)text;
    dm.has_timestamp = 1;
    dm.timestamp = ts ? ts : (uint64_t)ut_now_ms();
    rc = sig_send_dm(c, aci, &dm, send_ud);
    if (rc == 0 && ts_out)
        *ts_out = dm.timestamp;
    return rc;
}

/* Content{SyncMessage.Sent{destination, timestamp, message}}; *out malloc'd.
 * sealed >= 0: the recipient's unidentifiedStatus, whether it went sealed
 * (Desktop SendMessage.preload.ts sendSyncMessage, signalmeow sending.go
 * syncMessageFromSoloDataMessage); < 0: none (Note to Self). */
static int pack_sent(const char *to, uint64_t ts, Signalservice__DataMessage *dm,
                     int sealed, uint8_t **out, size_t *out_len)
{
    Signalservice__Content ct = SIGNALSERVICE__CONTENT__INIT;
    Signalservice__SyncMessage sm = SIGNALSERVICE__SYNC_MESSAGE__INIT;
    Signalservice__SyncMessage__Sent sent = SIGNALSERVICE__SYNC_MESSAGE__SENT__INIT;
    Signalservice__SyncMessage__Sent__UnidentifiedDeliveryStatus st =
        SIGNALSERVICE__SYNC_MESSAGE__SENT__UNIDENTIFIED_DELIVERY_STATUS__INIT;
    Signalservice__SyncMessage__Sent__UnidentifiedDeliveryStatus *stp = &st;
    uint8_t dest[16];

    if (sig_uuid_parse(dest, to) != 0)
        return SIG_ERR_ADDRESS;
    sent.destinationserviceid = (char *)to;
    sent.has_destinationserviceidbinary = 1;
    sent.destinationserviceidbinary.data = dest;
    sent.destinationserviceidbinary.len = 16;
    sent.has_timestamp = 1;
    sent.timestamp = ts;
    sent.message = dm;
    if (sealed >= 0) {
        st.destinationserviceid = (char *)to;
        st.has_unidentified = 1;
        st.unidentified = sealed != 0;
        sent.n_unidentifiedstatus = 1;
        sent.unidentifiedstatus = &stp;
    }
    sm.sent = &sent;
    ct.syncmessage = &sm;
    *out_len = signalservice__content__get_packed_size(&ct);
    *out = malloc(*out_len);
    if (!*out)
        return UT_ERR_NOMEM;
    signalservice__content__pack(&ct, *out);
    return 0;
}

/* The transcript of a delivered message, to our own other devices. */
static int send_sync(sig_client *c, const sig_send_op *done)
{
    Signalservice__DataMessage *dm;
    uint8_t *buf = NULL;
    size_t n = 0;
    int rc;

    if (done->sync)
        return start_op(c, c->aci, done->sync, done->sync_len, NULL, 0, done->ts,
                        NULL, 1);
    if (!done->dm)
        return 0;
    dm = signalservice__data_message__unpack(NULL, done->dm_len, done->dm);
    if (!dm)
        return SIG_ERR_ENVELOPE;
    rc = pack_sent(done->to, done->ts, dm, done->sealed, &buf, &n);
    signalservice__data_message__free_unpacked(dm, NULL);
    if (rc == 0)
        rc = start_op(c, c->aci, buf, n, NULL, 0, done->ts, NULL, 1);
    if (buf)
        ut_free_secret(buf, n);
    return rc;
}

int sig_send_content_to_self(sig_client *c, const uint8_t *content, size_t n,
                             uint64_t ts)
{
    return start_op(c, c->aci, content, n, NULL, 0, ts, NULL, 1);
}

int sig_send_content(sig_client *c, const char *to, const uint8_t *content,
                     size_t n, const uint8_t *sync, size_t sync_n, uint64_t ts,
                     void *send_ud, int quiet)
{
    return start_op_sync(c, to, content, n, NULL, 0, sync, sync_n, ts, send_ud, quiet);
}

int sig_send_content_fanout(sig_client *c, const char *to, const uint8_t *content,
                            size_t n, uint64_t ts, sig_fanout *f, const uint8_t group_id[32])
{
    /* sealed when we hold the member's access key, the group in the USMC,
     * resendable: Desktop sendToGroup → sendGroupProto with getSendOptions'
     * access keys and the groupId, when sender keys are not used */
    sig_send_opts o = {0, 0, NULL, SC_HINT_RESENDABLE, group_id};

    return start_op_fan(c, to, content, n, NULL, 0, NULL, 0, ts, NULL, 0, f, &o);
}

int sig_send_content_opts(sig_client *c, const char *to, const uint8_t *content, size_t n,
                          uint64_t ts, int quiet, sig_fanout *f, const sig_send_opts *o)
{
    return start_op_fan(c, to, content, n, NULL, 0, NULL, 0, ts, NULL, quiet, f, o);
}

int sig_send_null_message(sig_client *c, const char *to)
{
    Signalservice__Content ct = SIGNALSERVICE__CONTENT__INIT;
    Signalservice__NullMessage nm = SIGNALSERVICE__NULL_MESSAGE__INIT;
    uint8_t pad[512], r[2], *buf;
    size_t n;
    int rc;

    /* random padding of 1..512 bytes: Desktop's getNullMessage /
     * getRandomPadding (ts/textsecure/SendMessage.ts); signalmeow's
     * retry.go pads 1..511 */
    if (ut_random(r, sizeof(r)) != 0 || ut_random(pad, sizeof(pad)) != 0)
        return UT_ERR_IO;
    nm.has_padding = 1;
    nm.padding.data = pad;
    nm.padding.len = (size_t)(((r[0] << 8) | r[1]) & 0x1ff) + 1;
    ct.nullmessage = &nm;
    n = signalservice__content__get_packed_size(&ct);
    if (!(buf = malloc(n)))
        return UT_ERR_NOMEM;
    signalservice__content__pack(&ct, buf);
    {
        /* content hint default (signalmeow sending.go getContentHint) */
        sig_send_opts o = {0, 0, NULL, SC_HINT_DEFAULT, NULL};
        rc = start_op_fan(c, to, buf, n, NULL, 0, NULL, 0, (uint64_t)ut_now_ms(), NULL,
                          SIG_SEND_QUIET, NULL, &o);
    }
    free(buf);
    return rc;
}
