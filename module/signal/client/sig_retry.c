/* sig_retry.c - answering a peer's retry request (DecryptionErrorMessage):
 * the peer could not decrypt a message of ours and asks for it again.
 * As Signal-Desktop's onRetryRequest (ts/util/handleRetry.ts) and
 * signalmeow's handleRetryRequest (pkg/signalmeow/retry.go):
 *   - a request for another of our devices is not ours to answer (the
 *     PlaintextContent goes to all of them; signalmeow ignores it);
 *   - at most 5 answers per timestamp (Desktop's RETRY_LIMIT);
 *   - if it names a ratchet key and that is our current session's sender
 *     ratchet key with that device, the session state is archived
 *     (Desktop archiveSessionOnMatch; libsignal current_ratchet_key_matches);
 *   - the send log's Content for (requester, timestamp) is sent again with
 *     the original timestamp to the requester (a new session where the old
 *     one was archived), sealed when we know the requester's access key; a
 *     group message with our current distribution message for the group
 *     attached and the group in the USMC (Desktop
 *     maybeAddSenderKeyDistributionMessage); a sender-key message answered
 *     without our key makes the requester get it before our next one;
 *   - with nothing to resend, a NullMessage goes out on the new session,
 *     but only if a session was archived (both clients return otherwise).
 * Neither the Content nor the contact's ACI is logged. */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "SignalService.pb-c.h"
#include "sc_sealed.h"
#include "sc_senderkey.h"
#include "sig_err.h"
#include "sig_int.h"
#include "sig_sendlog.h"
#include "sig_skinfo.h"

void sig_sendlog_maybe_prune(sig_client *c)
{
    int64_t now = ut_now_ms();
    int n = 0, rc;

    if (c->sendlog_pruned_ms && now - c->sendlog_pruned_ms < 3600000)
        return;
    c->sendlog_pruned_ms = now;
    rc = sig_sendlog_prune(c->db, c->cfg.account, now, &n);
    if (rc != 0)
        sig_logf(c, UT_LOG_WARN, "signal: pruning the send log: %s", sig_strerror(rc));
}

/* At most RETRY_LIMIT answers per timestamp, as Desktop's onRetryRequest
 * (ts/util/handleRetry.ts: retryRecord, RETRY_LIMIT = 5): a peer that
 * keeps failing cannot keep us resending. Counted in memory, like Desktop. */
#define RETRY_LIMIT 5

static unsigned retry_count(sig_client *c, uint64_t ts)
{
    size_t i, n = sizeof(c->retried) / sizeof(c->retried[0]);

    for (i = 0; i < n; i++)
        if (c->retried[i].n && c->retried[i].ts == ts)
            return ++c->retried[i].n;
    i = c->retried_next++ % n;
    c->retried[i].ts = ts;
    c->retried[i].n = 1;
    return 1;
}

/* Archive the session with sender.dev when the request's ratchet key is
 * its current one: 1 archived, 0 not, or an error. */
static int archive_on_match(sig_client *c, const char *sender, uint32_t dev,
                            const sig_dem *d)
{
    sc_session_store st;
    sc_session *s = NULL;
    void *ctx = NULL;
    char addr[96];
    int rc;

    if (!d->has_ratchet_key) /* a sender-key message: no session to blame */
        return 0;
    sig_session_addr(addr, sizeof(addr), SIG_ID_ACI, sender, dev);
    sig_session_store(c, SIG_ID_ACI, &st, &ctx);
    if (!ctx)
        return UT_ERR_NOMEM;
    rc = sc_session_load(&st, addr, &s);
    if (rc == SC_ERR_NO_SESSION || rc == ST_ERR_NOTFOUND) {
        rc = 0;
    } else if (rc == 0 && sc_session_current_ratchet_key_matches(s, d->ratchet_key)) {
        rc = sc_session_archive_current(s);
        if (rc == 0)
            rc = sc_session_save(&st, addr, s);
        if (rc == 0)
            rc = 1;
    }
    sc_session_free(s);
    sig_stores_free(ctx);
    return rc;
}

/* A logged group message goes again with our current distribution
 * message for the group, as Desktop's maybeAddSenderKeyDistributionMessage
 * (ts/util/handleRetry.ts) attaches it when the group has a sender key of
 * ours (throwIfNotInDatabase: no chain, none attached): the member can
 * read our next sender-key messages without another hand-out. *gid gets
 * the group's id when the Content is a group message (*is_group). *out is
 * the Content to send (malloc'd, with the SKDM) or NULL for `content` as
 * it is. */
static int with_skdm(sig_client *c, const uint8_t *content, size_t n, uint8_t gid[32],
                     int *is_group, uint8_t **out, size_t *out_len)
{
    Signalservice__Content *ct = signalservice__content__unpack(NULL, n, content);
    Signalservice__DataMessage *dm;
    sc_sk_record *rec = NULL;
    uint8_t dist[16], *skdm = NULL;
    size_t skdm_len = 0;
    int64_t created = 0;
    char key[128], d[SIG_UUID_STR_LEN + 1];
    ut_buf b;
    int rc;

    *is_group = 0;
    *out = NULL;
    if (!ct)
        return SIG_ERR_ENVELOPE;
    dm = ct->datamessage ? ct->datamessage
                         : ct->editmessage ? ct->editmessage->datamessage : NULL;
    if (!dm || !dm->groupv2 || !dm->groupv2->has_masterkey || dm->groupv2->masterkey.len != 32 ||
        sig_group_id(gid, dm->groupv2->masterkey.data) != 0) {
        signalservice__content__free_unpacked(ct, NULL);
        return 0;
    }
    *is_group = 1;
    rc = sig_skinfo_get(c->db, c->cfg.account, gid, dist, &created);
    if (rc == 0) {
        sig_uuid_format(d, dist);
        snprintf(key, sizeof(key), "%s.%" PRIu32 ":%s", c->aci, c->device_id, d);
        ut_buf_init(&b, 4u << 20);
        rc = sig_rec_get(c, "sender_key", key, &b);
        if (rc == 0)
            rc = sc_sk_record_load(&rec, b.data, b.len);
        ut_buf_free_secret(&b);
    }
    if (rc == 0)
        rc = sc_sk_create(rec, &skdm, &skdm_len);
    if (rc == 0) {
        ct->has_senderkeydistributionmessage = 1;
        ct->senderkeydistributionmessage.data = skdm;
        ct->senderkeydistributionmessage.len = skdm_len;
        *out_len = signalservice__content__get_packed_size(ct);
        if ((*out = malloc(*out_len)))
            signalservice__content__pack(ct, *out);
        else
            rc = UT_ERR_NOMEM;
        /* the unpacked message must not free our buffer */
        ct->has_senderkeydistributionmessage = 0;
        ct->senderkeydistributionmessage.data = NULL;
        ct->senderkeydistributionmessage.len = 0;
    } else if (rc == ST_ERR_NOTFOUND) {
        rc = 0; /* no chain of ours for the group: as it is */
    }
    if (skdm)
        ut_free_secret(skdm, skdm_len);
    sc_sk_record_free(rec);
    signalservice__content__free_unpacked(ct, NULL);
    return rc;
}

/* Send the logged Content again to `sender`: a group message with our
 * distribution message attached, the group in the USMC, sealed with the
 * member's access key when we know it, as Desktop's onRetryRequest sends it
 * (sendMessageProtoAndWait with the logged contentHint and groupId, and
 * getSendOptions' access key). *skdm: it carried our key. */
static int resend(sig_client *c, const char *sender, const uint8_t *content, size_t n,
                  uint64_t ts, int *skdm)
{
    sig_send_opts o = {0, 0, NULL, SC_HINT_RESENDABLE, NULL};
    uint8_t gid[32], ak[16], *with = NULL;
    size_t with_len = 0;
    int rc, is_group = 0;

    *skdm = 0;
    if ((rc = with_skdm(c, content, n, gid, &is_group, &with, &with_len)) != 0)
        sig_logf(c, UT_LOG_WARN, "signal: retry request: our sender key not attached: %s",
                 sig_strerror(rc));
    if (is_group)
        o.group_id = gid;
    if (sig_access_key(c, sender, ak) == 0)
        o.access_key = ak;
    *skdm = with != NULL;
    /* quiet: reported when first sent; not logged again, as Desktop's
     * 'resendFromLog' (ts/util/handleMessageSend.ts) */
    rc = sig_send_content_opts(c, sender, with ? with : content, with ? with_len : n, ts,
                               SIG_SEND_QUIET | SIG_SEND_NOLOG, NULL, &o);
    if (with)
        ut_free_secret(with, with_len);
    ut_wipe(ak, sizeof(ak));
    return rc;
}

void sig_retry_handle(sig_client *c, int which, const char *sender, uint32_t dev,
                      const uint8_t *dem, size_t n)
{
    sig_dem d;
    ut_buf b;
    int rc, archived, skdm = 0;

    if ((rc = sig_dem_parse(&d, dem, n)) != 0) {
        sig_logf(c, UT_LOG_WARN, "signal: malformed retry request from device %" PRIu32,
                 dev);
        return;
    }
    if (which != SIG_ID_ACI || !strncmp(sender, "PNI:", 4) || !dev)
        return; /* sessions and sends are ACI to ACI */
    if (d.device_id != c->device_id) {
        sig_logf(c, UT_LOG_DEBUG, "signal: retry request for our device %" PRIu32 ", not us",
                 d.device_id);
        return;
    }
    if (retry_count(c, d.timestamp) > RETRY_LIMIT) {
        sig_logf(c, UT_LOG_INFO, "signal: retry request for %" PRIu64 " over the limit of %d",
                 d.timestamp, RETRY_LIMIT);
        return;
    }
    archived = archive_on_match(c, sender, dev, &d);
    if (archived < 0) {
        sig_logf(c, UT_LOG_WARN, "signal: retry request from device %" PRIu32 ": %s", dev,
                 sig_strerror(archived));
        archived = 0;
    }
    ut_buf_init(&b, 1u << 20);
    rc = sig_sendlog_get(c->db, c->cfg.account, sender, dev, d.timestamp, ut_now_ms(), &b);
    if (rc == 0) {
        sig_logf(c, UT_LOG_INFO, "signal: a contact's device %" PRIu32 " asked again for %"
                 PRIu64 "%s; resending", dev, d.timestamp,
                 archived ? " (session archived)" : "");
        rc = resend(c, sender, b.data, b.len, d.timestamp, &skdm);
    } else if (rc == ST_ERR_NOTFOUND && archived) {
        sig_logf(c, UT_LOG_INFO, "signal: a contact's device %" PRIu32 " asked again for %"
                 PRIu64 ", not in the send log; a null message on a new session", dev,
                 d.timestamp);
        rc = sig_send_null_message(c, sender);
    } else if (rc == ST_ERR_NOTFOUND) {
        sig_logf(c, UT_LOG_INFO, "signal: a contact's device %" PRIu32 " asked again for %"
                 PRIu64 ", not in the send log; nothing to do", dev, d.timestamp);
        rc = 0;
    }
    if (rc != 0)
        sig_logf(c, UT_LOG_WARN, "signal: answering a retry request from device %" PRIu32
                 ": %s", dev, sig_strerror(rc));
    /* a sender-key message (no ratchet key) they could not read, and our
     * key did not go with an answer: they get it again before our next
     * group message */
    if (!d.has_ratchet_key && !(rc == 0 && skdm) &&
        (rc = sig_skinfo_forget_everywhere(c->db, c->cfg.account, sender)) != 0)
        sig_logf(c, UT_LOG_WARN, "signal: retry request: %s", sig_strerror(rc));
    ut_buf_free_secret(&b);
}
