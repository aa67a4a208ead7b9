/* sig_gsk.c - a group message with our sender key and one sealed sender v2
 * multi-recipient request, as Signal's clients send them:
 * Signal-Desktop ts/util/sendToGroup.ts sendToGroupViaSenderKey and
 * signalmeow pkg/signalmeow/senderkey.go sendToGroupWithSenderKey.
 *
 *  1. Per group a distribution id and our chain (sig_skinfo.h; the chain is
 *     the "sender_key" record "<our aci>.<our device>:<distribution id>").
 *     A chain older than 14 days (signalmeow SenderKeyMaxAge), or one a
 *     member who has left holds (Desktop step 7, keyNeedsReset), is
 *     replaced: a new chain under the same distribution id (Desktop
 *     resetSenderKey keeps it), shared with nobody yet.
 *  2. Members that can take it: with the group's send endorsements
 *     (sig_gse.h) valid for more than 2 hours, every member we hold an
 *     endorsement for, profile key known or not (Desktop
 *     isValidSenderKeyRecipient with a GroupSendEndorsementState); without
 *     them, an ACI whose profile key we know (its access key; Desktop
 *     without endorsements, signalmeow getDevicesIDs), and the group's
 *     state is fetched again for the next send when its endorsements are
 *     missing, expiring or lack a member (Desktop
 *     maybeCreateGroupSendEndorsementState refreshes the group then; here
 *     at most once an hour per group). Fewer than two: the caller sends
 *     1:1 (Desktop step 5).
 *  3. A member whose devices (with their registration ids, from our
 *     sessions) are not all recorded as holding our chain gets a
 *     SenderKeyDistributionMessage 1:1 first, sealed with its access key
 *     (Desktop step 8; the 1:1 send fetches bundles for a member we have
 *     no session with, with the access key too). Its devices
 *     are then recorded. An unregistered member (404) is dropped; another
 *     failure sends that member the message 1:1 (signalmeow).
 *  4. The Content, padded, is encrypted once with our chain (the chain and
 *     the send log rows commit together before the request), wrapped in a
 *     USMC (SenderKey, content hint resendable, the group id) with our
 *     sender certificate, sealed once for all (sc_sealed_encrypt_multi) and
 *     sent as PUT /v1/messages/multi_recipient?ts&online=false&urgent=true
 *     &story=false, Content-Type application/vnd.signal-messenger.mrm,
 *     authorised by Group-Send-Token = base64 of the GroupSendFullToken of
 *     the recipients' combined endorsements (Desktop sendToGroupViaSenderKey
 *     step 10 groupSendEndorsementState.buildToken; Signal-Server
 *     auth/GroupSendTokenHeader.java) or, without endorsements,
 *     Unidentified-Access-Key = XOR of the recipients' access keys
 *     (Signal-Server controllers/MessageController.java
 *     sendMultiRecipientMessage: one or the other; Desktop
 *     getXorOfAccessKeys).
 *  5. 200: done for them. 409 (missing/extra devices) and 410 (stale
 *     registration ids): extra and stale sessions are dropped and the
 *     member forgotten as a holder, so step 3 sends it the key again on
 *     fresh sessions, then a new try (Desktop handle409Response /
 *     handle410Response); after 3 tries, 1:1 (signalmeow). 401 and 404
 *     (with an access key the server refuses the whole request when one
 *     recipient is unregistered; with a token it answers 200 and names
 *     them in uuids404, dropped here): everyone 1:1 (signalmeow, Desktop
 *     _shouldFailSend), where an unregistered member's 404 drops that
 *     member; a refused token also drops the stored endorsements, so the
 *     next send fetches new ones. Other answers fail the
 *     send (the caller retries it with the same timestamp).
 *  6. Members that could not take the sender key get 1:1 copies, then the
 *     transcript to our devices and one SIG_EV_SEND_DONE (sig_fanout).
 *
 * One group, one send at a time: a send that finds another of the same
 * group under way (a text, a file, a reaction, an edit, a delete, typing)
 * waits behind it and starts when it has ended, in the order they came.
 * Two at once would each see a member not yet recorded as holding our
 * chain and hand it out twice, and a 409/410 of one would drop sessions
 * and holders under the other. Signal-Desktop runs every group send and
 * typing of a conversation through that conversation's one-at-a-time
 * queue (ts/models/conversations.ts queueJob, PQueue concurrency 1, used
 * by ts/jobs/helpers/sendNormalMessage.ts and sendReaction.ts around
 * sendToGroup, and by sendTypingMessage). The queue holds the sender-key
 * part (steps 1-5); the last 1:1 copies of step 6 touch no sender-key
 * state and may overlap the next send. Different groups go in parallel.
 *
 * The request goes on the unauthenticated chat socket (sig_unauth.c), so
 * the server does not learn who sent it, as signalmeow sends it.
 * Typing goes the same way (sig_gsk_send_typing), as Desktop sends it
 * (ts/models/conversations.ts sendTypingMessage → sendContentMessageToGroup):
 * content hint implicit, online=true&urgent=false, no send log, no
 * transcript, no event. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "SignalService.pb-c.h"
#include "sc_sealed.h"
#include "sc_senderkey.h"
#include "sig_err.h"
#include "sig_groups.h"
#include "sig_gse.h"
#include "sig_int.h"
#include "sig_sendlog.h"
#include "sig_skinfo.h"

#define GSK_MAX_ATTEMPTS 3
#define GSK_MAX_AGE_MS (14LL * 24 * 3600 * 1000)
#define GSK_MAX_DEVICES 64
#define GSE_REFETCH_MS (3600LL * 1000) /* at most one state refetch an hour for endorsements */
#define MRM_TYPE "application/vnd.signal-messenger.mrm"

enum { M_SK = 0, M_FALLBACK = 1, M_DROPPED = 2 };

typedef struct gsk_member {
    char aci[SIG_UUID_STR_LEN + 1];
    int how;
    int has_ak;                      /* access_key is known */
    uint8_t access_key[16];
    int has_e;                       /* e: its send endorsement */
    uint8_t e[32];
} gsk_member;

struct sig_gsk_op {
    struct sig_gsk_op *next;
    sig_client *c;
    uint8_t group_id[32];
    uint8_t dist[16];
    char sk_key[128];                /* our chain's record key */
    uint8_t *content;                /* unpadded Content */
    size_t content_len;
    uint8_t *sync;
    size_t sync_len;
    uint64_t ts;
    void *ud;
    gsk_member *m;
    size_t n, n_alloc;
    int attempts;
    int delivered;                   /* a multi-recipient PUT was accepted */
    int quiet;                       /* typing: no event, no transcript, not
                                      * logged, online, not urgent */
    uint32_t hint;                   /* the USMC's content hint */
    sig_gse *gse;                    /* valid endorsements: send by token */
    int waiting;                     /* behind another send of the group */
    struct event *go;                /* starts it once that one has ended */
};

typedef struct gsk_dev {
    uint32_t dev;
    uint32_t regid;
    uint8_t ik[32];
} gsk_dev;

static void gsk_next(sig_client *c, const uint8_t *group_id);

static void gsk_drop(struct sig_gsk_op *op, int wake)
{
    struct sig_gsk_op **pp;

    if (!op)
        return;
    for (pp = &op->c->gsks; *pp; pp = &(*pp)->next)
        if (*pp == op) {
            *pp = op->next;
            break;
        }
    if (wake && !op->waiting) /* the group's next send may start */
        gsk_next(op->c, op->group_id);
    if (op->go)
        event_free(op->go);
    if (op->content)
        ut_free_secret(op->content, op->content_len);
    if (op->sync)
        ut_free_secret(op->sync, op->sync_len);
    if (op->m)
        ut_free_secret(op->m, op->n_alloc * sizeof(*op->m));
    sig_gse_free(op->gse);
    free(op);
}

static void gsk_free(struct sig_gsk_op *op)
{
    gsk_drop(op, 1);
}

void sig_gsk_cancel_all(sig_client *c)
{
    while (c->gsks)
        gsk_drop(c->gsks, 0); /* nothing starts: the client is closing */
}

static void fail(struct sig_gsk_op *op, int err, uint32_t retry_after_ms)
{
    sig_client *c = op->c;
    sig_event ev;

    if (op->quiet) { /* fire and forget, as 1:1 typing */
        if (err)
            sig_logf(c, UT_LOG_INFO, "signal: group typing not sent: %s", sig_strerror(err));
        gsk_free(op);
        return;
    }
    memset(&ev, 0, sizeof(ev));
    ev.type = SIG_EV_SEND_DONE;
    ev.err = err;
    ev.retry_after_ms = retry_after_ms;
    ev.timestamp = op->ts;
    ev.send_ud = op->ud;
    gsk_free(op);
    sig_emit(c, &ev);
}

/* ---- sessions ---------------------------------------------------------------- */

typedef struct dev_scan {
    size_t plen;
    gsk_dev *out;
    size_t n;
} dev_scan;

/* One session record of the member: kept when it has a current state. */
static int scan_dev(void *arg, const char *key, const void *v, size_t len)
{
    dev_scan *d = arg;
    sc_session *s = NULL;

    if (d->n < GSK_MAX_DEVICES && sc_session_deserialize(&s, v, len) == 0 &&
        sc_session_has_current(s) && sc_session_remote_identity(s, d->out[d->n].ik) == 0) {
        d->out[d->n].dev = (uint32_t)strtoul(key + d->plen, NULL, 10);
        d->out[d->n].regid = sc_session_remote_registration_id(s);
        d->n++;
    }
    sc_session_free(s);
    return 0;
}

/* The devices of `aci` we hold a current session with: device id,
 * registration id, identity key. Archived sessions do not count. Read in
 * one seek on the member's records ("a:<aci>.<device>"), not a walk over
 * every session of the account. */
static int member_devices(sig_client *c, const char *aci, gsk_dev *out, size_t *n)
{
    char prefix[64];
    dev_scan d;
    int rc;

    snprintf(prefix, sizeof(prefix), "a:%s.", aci);
    d.plen = strlen(prefix);
    d.out = out;
    d.n = 0;
    rc = st_record_each_prefix(c->db, c->cfg.account, "session", prefix, scan_dev, &d);
    *n = d.n;
    return rc;
}

static void drop_session(sig_client *c, const char *aci, uint32_t dev)
{
    char addr[96];

    sig_session_addr(addr, sizeof(addr), SIG_ID_ACI, aci, dev);
    (void)sig_rec_del(c, "session", addr);
}

static gsk_member *member(struct sig_gsk_op *op, const char *aci)
{
    size_t i;

    for (i = 0; i < op->n; i++)
        if (strcmp(op->m[i].aci, aci) == 0)
            return &op->m[i];
    return NULL;
}

/* ---- 6: 1:1 copies for the rest, transcript, event ------------------------------ */

static void fallback_and_finish(struct sig_gsk_op *op)
{
    sig_client *c = op->c;
    sig_fanout *f;
    size_t i, k = 0;
    int rc;

    for (i = 0; i < op->n; i++)
        k += op->m[i].how == M_FALLBACK;
    if (op->quiet) {
        /* typing to the rest 1:1, as quietly (Desktop sendToGroupViaSenderKey
         * step 12 sends them with the same options) */
        sig_send_opts o = {1, 1, NULL, SC_HINT_IMPLICIT, op->group_id};
        for (i = 0; i < op->n; i++)
            if (op->m[i].how == M_FALLBACK &&
                (rc = sig_send_content_opts(c, op->m[i].aci, op->content, op->content_len,
                                            op->ts, SIG_SEND_QUIET | SIG_SEND_NOLOG, NULL,
                                            &o)) != 0)
                sig_logf(c, UT_LOG_INFO, "signal: group typing not sent to a member: %s",
                         sig_strerror(rc));
        gsk_free(op);
        return;
    }
    if (k == 0 && op->delivered) {
        if (op->sync && (rc = sig_send_content_to_self(c, op->sync, op->sync_len, op->ts)) != 0)
            sig_logf(c, UT_LOG_WARN, "signal: group sync transcript not sent: %s",
                     sig_strerror(rc));
        fail(op, 0, 0);
        return;
    }
    if (k == 0) { /* everyone was dropped as unregistered */
        fail(op, SIG_ERR_UNREGISTERED, 0);
        return;
    }
    if (!(f = sig_fanout_new(c, op->ts, op->ud, op->sync, op->sync_len, k, op->delivered))) {
        fail(op, UT_ERR_NOMEM, 0);
        return;
    }
    op->sync = NULL; /* the fanout's now */
    for (i = 0; i < op->n; i++)
        if (op->m[i].how == M_FALLBACK)
            sig_fanout_started(f, sig_send_content_fanout(c, op->m[i].aci, op->content,
                                                          op->content_len, op->ts, f,
                                                          op->group_id) == 0);
    if (sig_fanout_pending(f) == 0) {
        /* none could start: report as the fanout would */
        sig_fanout_unref(f);
        fail(op, op->delivered ? 0 : SIG_ERR_STATE, 0);
        return;
    }
    sig_fanout_unref(f);
    gsk_free(op);
}

static void all_fallback(struct sig_gsk_op *op)
{
    size_t i;

    for (i = 0; i < op->n; i++)
        if (op->m[i].how == M_SK)
            op->m[i].how = M_FALLBACK;
}

/* ---- 4/5: the multi-recipient request ----------------------------------------- */

static int skdm_phase(struct sig_gsk_op *op);

static int status_err(uint32_t st)
{
    switch (st) {
    case 413: return SIG_ERR_TOO_BIG;
    case 429: return SIG_ERR_RATE_LIMIT;
    case 428: return SIG_ERR_CHALLENGE;
    default: return SIG_ERR_HTTP;
    }
}

/* 409: [{uuid, devices: {missingDevices, extraDevices}}]; 410: [{uuid,
 * devices: {staleDevices}}] (entities/AccountMismatchedDevices.java,
 * AccountStaleDevices.java). */
static int fix_devices(struct sig_gsk_op *op, const sn_rpc_response *r)
{
    sig_client *c = op->c;
    json_t *j = r->body ? json_loadb((const char *)r->body, r->body_len, 0, NULL) : NULL;
    json_t *e, *a, *v;
    size_t i, k;
    int rc = 0;

    if (!json_is_array(j)) {
        json_decref(j);
        return SIG_ERR_JSON;
    }
    json_array_foreach(j, i, e) {
        const char *uuid = json_string_value(json_object_get(e, "uuid"));
        json_t *devs = json_object_get(e, "devices");
        gsk_member *m = uuid ? member(op, uuid) : NULL;

        if (!m)
            continue;
        a = json_object_get(devs, "extraDevices");
        json_array_foreach(a, k, v) drop_session(c, m->aci, (uint32_t)json_integer_value(v));
        a = json_object_get(devs, "staleDevices");
        json_array_foreach(a, k, v) drop_session(c, m->aci, (uint32_t)json_integer_value(v));
        /* missing devices: the distribution message's 1:1 send meets the
         * same 409 and fetches their bundles */
        if ((rc = sig_skinfo_forget(c->db, c->cfg.account, op->dist, m->aci)) != 0)
            break;
    }
    json_decref(j);
    return rc;
}

/* The transcript names the members reached sealed. */
static void mark_sealed(struct sig_gsk_op *op)
{
    const char **acis = calloc(op->n ? op->n : 1, sizeof(*acis));
    size_t i, k = 0;

    if (!acis)
        return;
    for (i = 0; i < op->n; i++)
        if (op->m[i].how == M_SK)
            acis[k++] = op->m[i].aci;
    if (sig_group_sync_sealed(&op->sync, &op->sync_len, acis, k) != 0)
        sig_logf(op->c, UT_LOG_WARN, "signal: group transcript left as it was");
    free(acis);
}

static void mr_resp(int rc, const sn_rpc_response *r, void *ud)
{
    struct sig_gsk_op *op = ud;
    sig_client *c = op->c;
    json_t *j, *a, *v;
    size_t i;

    if (sig_dead(c)) {
        gsk_free(op);
        return;
    }
    sig_enter(c);
    if (rc != 0) {
        fail(op, rc, 0);
        goto out;
    }
    switch (r->status) {
    case 200:
        op->delivered = 1;
        /* only with a group send token does the server name unregistered
         * recipients here (SendMultiRecipientMessageResponse.uuids404) */
        j = r->body ? json_loadb((const char *)r->body, r->body_len, 0, NULL) : NULL;
        a = json_object_get(j, "uuids404");
        json_array_foreach(a, i, v) {
            gsk_member *m = json_string_value(v) ? member(op, json_string_value(v)) : NULL;
            if (m)
                m->how = M_DROPPED;
        }
        json_decref(j);
        if (op->sync)
            mark_sealed(op);
        fallback_and_finish(op);
        break;
    case 409:
    case 410:
        sig_logf(c, UT_LOG_INFO, "signal: group send got %u, fixing the device lists",
                 (unsigned)r->status);
        if (++op->attempts >= GSK_MAX_ATTEMPTS) {
            all_fallback(op);
            fallback_and_finish(op);
        } else if ((rc = fix_devices(op, r)) != 0 || (rc = skdm_phase(op)) != 0) {
            fail(op, rc, 0);
        }
        break;
    case 401:
    case 404:
        sig_logf(c, UT_LOG_INFO, "signal: group send got %u, sending 1:1 instead",
                 (unsigned)r->status);
        if (r->status == 401 && op->gse)
            sig_gse_drop(c, op->group_id);
        all_fallback(op);
        fallback_and_finish(op);
        break;
    default:
        fail(op, status_err(r->status), sig_retry_after(r->headers));
        break;
    }
out:
    sig_leave(c);
}

/* Encrypt once with our chain, seal once for all, PUT. */
static int mr_phase(struct sig_gsk_op *op)
{
    sig_client *c = op->c;
    gsk_dev *devs = NULL;
    sc_mr_recipient *rc_list = NULL;
    uint8_t *sids = NULL, *iks = NULL, xak[16] = {0}, *es = NULL;
    uint32_t *dev_ids = NULL;
    uint16_t *regs = NULL;
    uint8_t *cert = NULL, *padded = NULL, *skm = NULL, *body = NULL, *ser = NULL;
    size_t cert_len = 0, padded_len = 0, skm_len = 0, body_len = 0, ser_len = 0;
    size_t i, j, nr = 0, nd, total = 0, plain_n = 0;
    sc_sk_record *rec = NULL;
    sc_usmc *usmc = NULL;
    ut_buf b;
    char path[160], *b64 = NULL;
    int rc = 0, in_tx = 0;

    if (sig_client_sender_certificate(c, &cert, &cert_len, NULL) != 0) {
        /* no certificate yet: 1:1 this time, ask for one */
        sig_cert_refresh(c);
        all_fallback(op);
        fallback_and_finish(op);
        return 0;
    }
    if (!(devs = calloc(op->n * GSK_MAX_DEVICES, sizeof(*devs))) ||
        !(rc_list = calloc(op->n, sizeof(*rc_list))) || !(sids = calloc(op->n, 17)) ||
        !(iks = calloc(op->n, 32)) || !(dev_ids = calloc(op->n * GSK_MAX_DEVICES, 4)) ||
        !(regs = calloc(op->n * GSK_MAX_DEVICES, 2)) || !(es = calloc(op->n, 32))) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    for (i = 0; i < op->n; i++) {
        gsk_dev *d = devs + i * GSK_MAX_DEVICES;
        if (op->m[i].how != M_SK)
            continue;
        if ((rc = member_devices(c, op->m[i].aci, d, &nd)) != 0)
            goto out;
        for (j = 0; j < nd; j++)
            if (d[j].regid > 0x3fff) /* SSv2 has 14 bits (Desktop: InvalidRegistrationId) */
                nd = 0;
        if (nd == 0 || sig_uuid_parse(sids + 17 * nr + 1, op->m[i].aci) != 0) {
            op->m[i].how = M_FALLBACK;
            continue;
        }
        sids[17 * nr] = 0; /* ACI */
        memcpy(iks + 32 * nr, d[0].ik, 32);
        for (j = 0; j < nd; j++) {
            dev_ids[nr * GSK_MAX_DEVICES + j] = d[j].dev;
            regs[nr * GSK_MAX_DEVICES + j] = (uint16_t)d[j].regid;
        }
        rc_list[nr].service_id = sids + 17 * nr;
        rc_list[nr].identity_pub = iks + 32 * nr;
        rc_list[nr].devices = dev_ids + nr * GSK_MAX_DEVICES;
        rc_list[nr].registration_ids = regs + nr * GSK_MAX_DEVICES;
        rc_list[nr].n_devices = nd;
        if (op->gse)
            memcpy(es + 32 * nr, op->m[i].e, 32);
        else
            for (j = 0; j < 16; j++)
                xak[j] ^= op->m[i].access_key[j];
        total += nd;
        nr++;
    }
    if (nr == 0) {
        fallback_and_finish(op);
        goto out;
    }
    /* the received burst's state is committed before ours advances */
    sig_recv_flush(c);
    if ((rc = sig_pad_content(op->content, op->content_len, &padded, &padded_len)) != 0)
        goto out;
    if (sig_unpad_len(padded, padded_len, &plain_n) != 0)
        plain_n = op->content_len;
    /* the chain step and the send log rows commit before the request goes
     * out: a crash cannot reuse an iteration or leave a send unlogged */
    if ((rc = st_db_begin(c->db)) != 0)
        goto out;
    in_tx = 1;
    sig_sendlog_maybe_prune(c);
    ut_buf_init(&b, 4u << 20);
    rc = sig_rec_get(c, "sender_key", op->sk_key, &b);
    if (rc == 0)
        rc = sc_sk_record_load(&rec, b.data, b.len);
    ut_buf_free_secret(&b);
    if (rc == 0)
        rc = sc_sk_encrypt(rec, padded, padded_len, &skm, &skm_len);
    if (rc == 0)
        rc = sc_sk_record_save(rec, &ser, &ser_len);
    if (rc == 0)
        rc = sig_rec_put(c, "sender_key", op->sk_key, ser, ser_len);
    for (i = 0; rc == 0 && !op->quiet && i < nr; i++) { /* typing is not logged */
        char aci[SIG_UUID_STR_LEN + 1];
        sig_uuid_format(aci, rc_list[i].service_id + 1);
        for (j = 0; rc == 0 && j < rc_list[i].n_devices; j++)
            rc = sig_sendlog_put(c->db, c->cfg.account, aci, rc_list[i].devices[j], op->ts,
                                 op->content, plain_n, ut_now_ms());
    }
    if (rc != 0)
        goto out;
    in_tx = 0;
    if ((rc = st_db_commit(c->db)) != 0)
        goto out;
    if ((rc = sc_usmc_new(&usmc, SC_USMC_SENDERKEY, cert, cert_len, skm, skm_len,
                          op->hint, op->group_id, 32)) != 0 ||
        (rc = sc_sealed_encrypt_multi(&body, &body_len, usmc, c->identity[SIG_ID_ACI].pub,
                                      c->identity[SIG_ID_ACI].priv, rc_list, nr)) != 0)
        goto out;
    /* the token of exactly these recipients (the server verifies it for
     * the request's recipient list), or the XOR of their access keys */
    if (op->gse)
        rc = sig_gse_token(c, op->group_id, op->gse, es, nr, &b64);
    else
        rc = sig_b64_encode(xak, 16, &b64);
    if (rc != 0)
        goto out;
    {
        sn_hdr h[2] = {{"content-type", MRM_TYPE},
                       {op->gse ? "group-send-token" : "unidentified-access-key", b64}};
        /* typing: online=true, urgent=false (Desktop ts/models/
         * conversations.ts sendTypingMessage) */
        snprintf(path, sizeof(path),
                 "/v1/messages/multi_recipient?ts=%" PRIu64 "&online=%s&urgent=%s&story=false",
                 op->ts, op->quiet ? "true" : "false", op->quiet ? "false" : "true");
        sig_logf(c, UT_LOG_DEBUG, "signal: group send with sender key to %zu members, %zu devices",
                 nr, total);
        rc = sig_unauth_request(c, "PUT", path, h, 2, body, body_len, mr_resp, op);
    }
out:
    if (in_tx)
        st_db_rollback(c->db);
    sc_usmc_free(usmc);
    sc_sk_record_free(rec);
    if (ser)
        ut_free_secret(ser, ser_len);
    if (skm)
        ut_free_secret(skm, skm_len);
    if (padded)
        ut_free_secret(padded, padded_len);
    free(body);
    if (b64)
        ut_free_secret(b64, strlen(b64));
    free(es);
    free(cert);
    free(devs);
    free(rc_list);
    free(sids);
    free(iks);
    free(dev_ids);
    free(regs);
    return rc;
}

/* ---- 3: the distribution message to members without our chain ------------------- */

static int holds(const sig_skdev *sh, size_t nsh, const char *aci, const gsk_dev *d, size_t nd)
{
    size_t i, j, have = 0;

    for (i = 0; i < nsh; i++)
        if (strcmp(sh[i].member, aci) == 0)
            have++;
    if (nd == 0 || have != nd)
        return 0;
    for (j = 0; j < nd; j++) {
        int found = 0;
        for (i = 0; i < nsh && !found; i++)
            found = strcmp(sh[i].member, aci) == 0 && sh[i].device == d[j].dev &&
                    sh[i].registration_id == d[j].regid;
        if (!found)
            return 0;
    }
    return 1;
}

static void skdm_member(void *arg, const char *to, int err)
{
    struct sig_gsk_op *op = arg;
    sig_client *c = op->c;
    gsk_member *m = member(op, to);
    gsk_dev d[GSK_MAX_DEVICES];
    size_t nd = 0, i;
    int rc = 0;

    if (!m)
        return;
    if (err == SIG_ERR_UNREGISTERED) {
        m->how = M_DROPPED;
        return;
    }
    if (err != 0) {
        m->how = M_FALLBACK;
        return;
    }
    /* the 1:1 send fixed the device list: these devices hold our chain */
    if ((rc = member_devices(c, to, d, &nd)) == 0 &&
        (rc = sig_skinfo_forget(c->db, c->cfg.account, op->dist, to)) == 0)
        for (i = 0; rc == 0 && i < nd; i++) {
            sig_skdev s;
            snprintf(s.member, sizeof(s.member), "%s", to);
            s.device = d[i].dev;
            s.registration_id = d[i].regid;
            rc = sig_skinfo_share(c->db, c->cfg.account, op->dist, &s);
        }
    if (rc != 0)
        m->how = M_FALLBACK; /* not recorded: it would get the key again */
}

static void skdm_all(void *arg)
{
    struct sig_gsk_op *op = arg;
    int rc = mr_phase(op);

    if (rc != 0)
        fail(op, rc, 0);
}

static int skdm_phase(struct sig_gsk_op *op)
{
    Signalservice__Content ct = SIGNALSERVICE__CONTENT__INIT;
    sig_client *c = op->c;
    sig_skdev *sh = NULL;
    gsk_dev d[GSK_MAX_DEVICES];
    sc_sk_record *rec = NULL;
    uint8_t *skdm = NULL, *ser = NULL, *buf = NULL;
    size_t nsh = 0, nd, i, need = 0, skdm_len = 0, ser_len = 0, len = 0;
    char *want = NULL;
    sig_fanout *f = NULL;
    ut_buf b;
    int rc;

    if ((rc = sig_skinfo_shared(c->db, c->cfg.account, op->dist, &sh, &nsh)) != 0)
        return rc;
    if (!(want = calloc(op->n ? op->n : 1, 1))) {
        free(sh);
        return UT_ERR_NOMEM;
    }
    for (i = 0; i < op->n; i++) {
        if (op->m[i].how != M_SK)
            continue;
        if ((rc = member_devices(c, op->m[i].aci, d, &nd)) != 0)
            goto out;
        if (!holds(sh, nsh, op->m[i].aci, d, nd)) {
            want[i] = 1;
            need++;
        }
    }
    if (need == 0) {
        rc = mr_phase(op);
        goto out;
    }
    /* our distribution message (a new chain when there is none) */
    ut_buf_init(&b, 4u << 20);
    rc = sig_rec_get(c, "sender_key", op->sk_key, &b);
    if (rc == 0)
        rc = sc_sk_record_load(&rec, b.data, b.len);
    else if (rc == ST_ERR_NOTFOUND)
        rc = sc_sk_record_new(&rec, op->dist);
    ut_buf_free_secret(&b);
    if (rc == 0)
        rc = sc_sk_create(rec, &skdm, &skdm_len);
    if (rc == 0)
        rc = sc_sk_record_save(rec, &ser, &ser_len);
    if (rc == 0)
        rc = sig_rec_put(c, "sender_key", op->sk_key, ser, ser_len);
    if (rc != 0)
        goto out;
    ct.has_senderkeydistributionmessage = 1;
    ct.senderkeydistributionmessage.data = skdm;
    ct.senderkeydistributionmessage.len = skdm_len;
    len = signalservice__content__get_packed_size(&ct);
    if (!(buf = malloc(len)) ||
        !(f = sig_fanout_new_hooked(c, need, skdm_member, skdm_all, op))) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    signalservice__content__pack(&ct, buf);
    sig_logf(c, UT_LOG_DEBUG, "signal: sending our sender key to %zu group members", need);
    for (i = 0; i < op->n; i++)
        if (want[i]) {
            /* sealed with the member's access key, the group's id in the
             * USMC, online=false: Desktop sendToGroupViaSenderKey step 8
             * (sendSenderKeyDistributionMessage → sendGroupProto →
             * OutgoingMessage.doSendMessage, sealed when the send options
             * carry an access key) */
            sig_send_opts o = {0, 0, op->m[i].has_ak ? op->m[i].access_key : NULL, op->hint,
                               op->group_id};
            int r = sig_send_content_opts(c, op->m[i].aci, buf, len, (uint64_t)ut_now_ms(), 0,
                                          f, &o);
            if (r != 0)
                op->m[i].how = M_FALLBACK;
            sig_fanout_started(f, r == 0);
        }
    /* copies complete on the loop, never inside the call */
    if (sig_fanout_pending(f) == 0)
        rc = mr_phase(op);
out:
    sig_fanout_unref(f);
    sc_sk_record_free(rec);
    if (ser)
        ut_free_secret(ser, ser_len);
    if (skdm)
        ut_free_secret(skdm, skdm_len);
    if (buf)
        ut_free_secret(buf, len);
    free(want);
    free(sh);
    return rc;
}

/* ---- 1/2: start ------------------------------------------------------------- */

/* Our chain for the group: its distribution id, made new when too old or
 * held by someone who left (op->m: the members but us, as the send was
 * asked). */
static int prepare_chain(struct sig_gsk_op *op)
{
    sig_client *c = op->c;
    sig_skdev *sh = NULL;
    size_t nsh = 0, i;
    int64_t created = 0, now = ut_now_ms();
    char d[SIG_UUID_STR_LEN + 1];
    int rc, reset = 0;

    rc = sig_skinfo_get(c->db, c->cfg.account, op->group_id, op->dist, &created);
    if (rc == ST_ERR_NOTFOUND) {
        /* a version 4 UUID */
        if (ut_random(op->dist, 16) != 0)
            return UT_ERR_IO;
        op->dist[6] = (uint8_t)((op->dist[6] & 0x0f) | 0x40);
        op->dist[8] = (uint8_t)((op->dist[8] & 0x3f) | 0x80);
        created = now;
        if ((rc = sig_skinfo_put(c->db, c->cfg.account, op->group_id, op->dist, now)) != 0)
            return rc;
    } else if (rc != 0) {
        return rc;
    }
    sig_uuid_format(d, op->dist);
    snprintf(op->sk_key, sizeof(op->sk_key), "%s.%" PRIu32 ":%s", c->aci, c->device_id, d);
    if (now - created > GSK_MAX_AGE_MS)
        reset = 1;
    if (!reset && (rc = sig_skinfo_shared(c->db, c->cfg.account, op->dist, &sh, &nsh)) != 0)
        return rc;
    for (i = 0; i < nsh && !reset; i++)
        reset = !member(op, sh[i].member);
    free(sh);
    if (!reset)
        return 0;
    sig_logf(c, UT_LOG_INFO, "signal: a new sender key for a group (%s)",
             now - created > GSK_MAX_AGE_MS ? "the old one is too old" : "a member left");
    if ((rc = st_db_begin(c->db)) != 0)
        return rc;
    rc = sig_rec_del(c, "sender_key", op->sk_key);
    if (rc == ST_ERR_NOTFOUND)
        rc = 0;
    if (rc == 0)
        rc = sig_skinfo_forget(c->db, c->cfg.account, op->dist, NULL);
    if (rc == 0)
        rc = sig_skinfo_put(c->db, c->cfg.account, op->group_id, op->dist, now);
    if (rc == 0)
        return st_db_commit(c->db);
    st_db_rollback(c->db);
    return rc;
}

/* Steps 1 and 3 (then 4 and 5 follow on the loop). */
static int gsk_begin(struct sig_gsk_op *op)
{
    int rc;

    if ((rc = prepare_chain(op)) != 0 || (rc = skdm_phase(op)) != 0)
        return rc;
    return 0;
}

static void on_go(evutil_socket_t fd, short what, void *arg)
{
    struct sig_gsk_op *op = arg;
    sig_client *c = op->c;
    int rc;

    (void)fd;
    (void)what;
    if (sig_dead(c))
        return; /* closing: sig_gsk_cancel_all frees it */
    sig_enter(c);
    if ((rc = gsk_begin(op)) != 0)
        fail(op, rc, 0);
    sig_leave(c);
}

/* The oldest send waiting for `group_id` starts, from the loop: not inside
 * the ending send's own callback, so its SIG_EV_SEND_DONE goes first. */
static void gsk_next(sig_client *c, const uint8_t *group_id)
{
    static const struct timeval now = {0, 0};
    struct sig_gsk_op *op;

    for (op = c->gsks; op; op = op->next)
        if (op->waiting && memcmp(op->group_id, group_id, 32) == 0)
            break;
    if (!op)
        return;
    op->waiting = 0; /* under way now: later sends queue behind it */
    if (!(op->go = evtimer_new(c->base, on_go, op)) || evtimer_add(op->go, &now) != 0) {
        sig_logf(c, UT_LOG_ERROR, "signal: a waiting group send could not be started");
        fail(op, UT_ERR_NOMEM, 0); /* the outbox retries it */
    }
}

static int gsk_start(sig_client *c, const sig_group_info *g, const uint8_t *content, size_t n,
                     uint8_t **sync, size_t sync_len, uint64_t ts, void *send_ud, int quiet)
{
    struct sig_gsk_op *op, **pp;
    sig_gse *gse = NULL;
    size_t i, able = 0;
    int rc, refetch = 0, busy = 0;

    if (c->cfg.no_sender_keys)
        return 0;
    if (!(op = calloc(1, sizeof(*op))) || !(op->m = calloc(g->n_members + 1, sizeof(*op->m))) ||
        !(op->content = malloc(n ? n : 1))) {
        if (op)
            free(op->m);
        free(op);
        return UT_ERR_NOMEM;
    }
    op->n_alloc = g->n_members + 1;
    op->c = c;
    op->ts = ts;
    op->ud = send_ud;
    op->quiet = quiet;
    /* typing is implicit, a message resendable (Desktop: ContentHint
     * IMPLICIT in sendTypingMessage, RESENDABLE for messages) */
    op->hint = quiet ? SC_HINT_IMPLICIT : SC_HINT_RESENDABLE;
    op->content_len = n;
    memcpy(op->content, content, n);
    memcpy(op->group_id, g->group_id, 32);
    /* endorsements: used when valid for more than 2 hours (Desktop
     * validateGroupSendEndorsementsExpiration) */
    rc = sig_gse_load(c, g->group_id, &gse);
    if (rc == 0 && sig_gse_usable(gse, (uint64_t)(ut_now_ms() / 1000))) {
        op->gse = gse;
        gse = NULL;
    } else {
        refetch = rc == ST_ERR_NOTFOUND || (rc == 0 && ut_now_ms() - gse->stored_ms > GSE_REFETCH_MS);
    }
    sig_gse_free(gse);
    for (i = 0; i < g->n_members; i++) {
        gsk_member *m = &op->m[op->n];
        const uint8_t *e;
        if (strcmp(g->members[i].aci, c->aci) == 0)
            continue;
        snprintf(m->aci, sizeof(m->aci), "%s", g->members[i].aci);
        m->has_ak = sig_access_key(c, m->aci, m->access_key) == 0;
        if (op->gse) {
            /* a member without one (the state changed since) goes 1:1 */
            if ((e = sig_gse_find(op->gse, m->aci)) != NULL) {
                memcpy(m->e, e, 32);
                m->has_e = 1;
            } else if (ut_now_ms() - op->gse->stored_ms > GSE_REFETCH_MS) {
                refetch = 1;
            }
            m->how = m->has_e ? M_SK : M_FALLBACK;
        } else {
            m->how = m->has_ak ? M_SK : M_FALLBACK;
        }
        able += m->how == M_SK;
        op->n++;
    }
    if (refetch && (rc = sig_group_fetch(c, g->group_id)) != 0)
        sig_logf(c, UT_LOG_INFO, "signal: group state not refetched for endorsements: %s",
                 sig_strerror(rc));
    if (able < 2) { /* Desktop: "Not enough recipients for Sender Key message" */
        op->waiting = 1; /* never started: starts nothing either */
        gsk_free(op);
        return 0;
    }
    for (pp = &c->gsks; *pp; pp = &(*pp)->next) /* kept in arrival order */
        busy |= memcmp((*pp)->group_id, op->group_id, 32) == 0;
    *pp = op;
    /* the transcript goes at the op's end */
    if (sync) {
        op->sync = *sync;
        op->sync_len = sync_len;
        *sync = NULL;
    }
    if (busy) { /* another send of this group is under way: after it */
        op->waiting = 1;
        sig_logf(c, UT_LOG_INFO, "signal: a group send waits for the one before it");
        return 1;
    }
    if ((rc = gsk_begin(op)) != 0) {
        gsk_free(op);
        return rc;
    }
    return 1;
}

int sig_gsk_send(sig_client *c, const sig_group_info *g, const uint8_t *content, size_t n,
                 uint8_t **sync, size_t sync_len, uint64_t ts, void *send_ud)
{
    return gsk_start(c, g, content, n, sync, sync_len, ts, send_ud, 0);
}

int sig_gsk_send_typing(sig_client *c, const sig_group_info *g, const uint8_t *content,
                        size_t n, uint64_t ts)
{
    return gsk_start(c, g, content, n, NULL, 0, ts, NULL, 1);
}
