/* sig_gsend.c - sending to a group (sig_groups.h): a DataMessage with
 * groupV2{masterKey, revision} to every member but us. With two or more
 * members that can take it, our sender key and one sealed sender v2
 * multi-recipient request (sig_gsk.c); to the others, and to everyone
 * otherwise, one 1:1 copy per member through the ordinary send path
 * (sessions, 409/410), counted by a sig_fanout; when all copies are done,
 * one SyncMessage.Sent transcript to our other devices and one
 * SIG_EV_SEND_DONE. A member the server calls unregistered (404) is
 * dropped from the send, as Signal-Desktop's and signalmeow's group sends
 * drop unregistered members (ts/util/sendToGroup.ts
 * markIdentifierUnregistered; pkg/signalmeow/senderkey.go uuids404): the
 * send fails for that only when nobody got the message. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "SignalService.pb-c.h"
#include "sc_sealed.h"
#include "sig_err.h"
#include "sig_groups.h"
#include "sig_int.h"

struct sig_fanout {
    sig_client *c;
    int refs;
    size_t pending;
    int err;
    int delivered;
    uint32_t retry_after_ms;         /* the longest a member's refusal asked */
    uint64_t ts;
    void *ud;
    uint8_t *sync;
    size_t sync_len;
    int unregistered;                /* a member's copy got 404 */
    /* hooks (sig_fanout_new_hooked): per copy, and instead of the
     * transcript and SIG_EV_SEND_DONE once all are done */
    void (*on_member)(void *arg, const char *to, int err);
    void (*on_all)(void *arg);
    void *hook_arg;
};

sig_fanout *sig_fanout_new(sig_client *c, uint64_t ts, void *ud, uint8_t *sync,
                           size_t sync_len, size_t pending, int delivered)
{
    sig_fanout *f = calloc(1, sizeof(*f));

    if (!f)
        return NULL;
    f->c = c;
    f->refs = 1;
    f->ts = ts;
    f->ud = ud;
    f->sync = sync;
    f->sync_len = sync_len;
    f->pending = pending;
    f->delivered = delivered;
    return f;
}

sig_fanout *sig_fanout_new_hooked(sig_client *c, size_t pending,
                                  void (*on_member)(void *, const char *, int),
                                  void (*on_all)(void *), void *arg)
{
    sig_fanout *f = sig_fanout_new(c, 0, NULL, NULL, 0, pending, 0);

    if (f) {
        f->on_member = on_member;
        f->on_all = on_all;
        f->hook_arg = arg;
    }
    return f;
}

void sig_fanout_started(sig_fanout *f, int ok)
{
    if (!ok)
        f->pending--;
}

size_t sig_fanout_pending(const sig_fanout *f)
{
    return f->pending;
}

/* ---- sending ------------------------------------------------------------------ */

void sig_fanout_ref(sig_fanout *f)
{
    f->refs++;
}

void sig_fanout_unref(sig_fanout *f)
{
    if (!f || --f->refs > 0)
        return;
    if (f->sync)
        ut_free_secret(f->sync, f->sync_len);
    free(f);
}

void sig_fanout_done(sig_fanout *f, const char *to, int err, uint32_t retry_after_ms)
{
    sig_client *c = f->c;
    sig_event ev;
    int rc;

    if (f->on_member)
        f->on_member(f->hook_arg, to, err);
    if (err == SIG_ERR_UNREGISTERED && !f->on_member) {
        f->unregistered = 1;
        err = 0;
    } else if (err && !f->err) {
        f->err = err;
    }
    if (!err)
        f->delivered = 1;
    if (retry_after_ms > f->retry_after_ms)
        f->retry_after_ms = retry_after_ms;
    if (--f->pending > 0)
        return;
    if (f->on_all) {
        f->on_all(f->hook_arg);
        return;
    }
    if (!f->delivered && !f->err && f->unregistered)
        f->err = SIG_ERR_UNREGISTERED;
    if (f->delivered && f->sync) {
        rc = sig_send_content_to_self(c, f->sync, f->sync_len, f->ts);
        if (rc != 0)
            sig_logf(c, UT_LOG_WARN, "signal: group sync transcript not sent: %s",
                     sig_strerror(rc));
    }
    memset(&ev, 0, sizeof(ev));
    ev.type = SIG_EV_SEND_DONE;
    ev.err = f->err;
    ev.retry_after_ms = f->err ? f->retry_after_ms : 0;
    ev.timestamp = f->ts;
    ev.send_ud = f->ud;
    sig_emit(c, &ev);
}

/* Content{SyncMessage.Sent{timestamp, message, unidentifiedStatus per
 * recipient}} for our other devices: a group transcript has no
 * destination, the group is in the message. */
static int pack_group_sent(Signalservice__DataMessage *dm, Signalservice__EditMessage *em,
                           const sig_group_info *g, const char *self, uint8_t **out,
                           size_t *out_len)
{
    Signalservice__Content ct = SIGNALSERVICE__CONTENT__INIT;
    Signalservice__SyncMessage sm = SIGNALSERVICE__SYNC_MESSAGE__INIT;
    Signalservice__SyncMessage__Sent sent = SIGNALSERVICE__SYNC_MESSAGE__SENT__INIT;
    Signalservice__SyncMessage__Sent__UnidentifiedDeliveryStatus *st = NULL, **stp = NULL;
    uint8_t *bins = NULL;
    size_t i, n = 0;
    int rc = 0;

    st = calloc(g->n_members + 1, sizeof(*st));
    stp = calloc(g->n_members + 1, sizeof(*stp));
    bins = calloc(g->n_members + 1, 16);
    if (!st || !stp || !bins) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    for (i = 0; i < g->n_members; i++) {
        if (!strcmp(g->members[i].aci, self) || sig_uuid_parse(bins + 16 * n, g->members[i].aci))
            continue;
        signalservice__sync_message__sent__unidentified_delivery_status__init(&st[n]);
        st[n].destinationserviceid = (char *)g->members[i].aci;
        st[n].has_destinationserviceidbinary = 1;
        st[n].destinationserviceidbinary.data = bins + 16 * n;
        st[n].destinationserviceidbinary.len = 16;
        st[n].has_unidentified = 1;
        st[n].unidentified = 0;
        stp[n] = &st[n];
        n++;
    }
    sent.has_timestamp = 1;
    sent.timestamp = dm->timestamp;
    if (em)
        sent.editmessage = em;
    else
        sent.message = dm;
    sent.n_unidentifiedstatus = n;
    sent.unidentifiedstatus = stp;
    sm.sent = &sent;
    ct.syncmessage = &sm;
    *out_len = signalservice__content__get_packed_size(&ct);
    if (!(*out = malloc(*out_len ? *out_len : 1))) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    signalservice__content__pack(&ct, *out);
out:
    free(st);
    free(stp);
    free(bins);
    return rc;
}

int sig_group_sync_sealed(uint8_t **sync, size_t *len, const char *const *acis, size_t n)
{
    Signalservice__Content *ct;
    Signalservice__SyncMessage__Sent *sent;
    uint8_t *out;
    size_t i, j, m;

    if (!*sync)
        return 0;
    ct = signalservice__content__unpack(NULL, *len, *sync);
    sent = ct && ct->syncmessage ? ct->syncmessage->sent : NULL;
    if (!sent) {
        signalservice__content__free_unpacked(ct, NULL);
        return SIG_ERR_ENVELOPE;
    }
    for (i = 0; i < sent->n_unidentifiedstatus; i++)
        for (j = 0; j < n; j++)
            if (sent->unidentifiedstatus[i]->destinationserviceid &&
                strcmp(sent->unidentifiedstatus[i]->destinationserviceid, acis[j]) == 0) {
                sent->unidentifiedstatus[i]->has_unidentified = 1;
                sent->unidentifiedstatus[i]->unidentified = 1;
            }
    m = signalservice__content__get_packed_size(ct);
    if (!(out = malloc(m ? m : 1))) {
        signalservice__content__free_unpacked(ct, NULL);
        return UT_ERR_NOMEM;
    }
    signalservice__content__pack(ct, out);
    signalservice__content__free_unpacked(ct, NULL);
    ut_free_secret(*sync, *len);
    *sync = out;
    *len = m;
    return 0;
}

/* 0 when we are a full member in the stored state, else
 * SIG_ERR_NOT_MEMBER: Signal clients drop group messages from
 * non-members, so sending would only look as if it worked. */
static int check_member(const sig_client *c, const sig_group_info *g)
{
    size_t i;

    for (i = 0; i < g->n_members; i++)
        if (!strcmp(g->members[i].aci, c->aci))
            return 0;
    return SIG_ERR_NOT_MEMBER;
}

/* Fan `dm` (timestamp set by the caller; edit_target nonzero: as an edit
 * of that message) out to the group's members, then the transcript. */
static int group_send_dm_ch(sig_client *c, const uint8_t group_id[32],
                            Signalservice__DataMessage *dm, uint64_t edit_target,
                            const uint8_t *change, size_t change_len, void *send_ud)
{
    Signalservice__GroupContextV2 gc = SIGNALSERVICE__GROUP_CONTEXT_V2__INIT;
    Signalservice__EditMessage em = SIGNALSERVICE__EDIT_MESSAGE__INIT;
    Signalservice__Content ct = SIGNALSERVICE__CONTENT__INIT;
    sig_group_info *g = NULL;
    sig_fanout *f = NULL;
    uint8_t mk[32], *content = NULL, *sync = NULL;
    size_t n = 0, sn = 0, i, started = 0;
    int rc, first_err = 0;

    if (!c->linked)
        return SIG_ERR_NOT_LINKED;
    if (!c->chat || sn_sock_get_state(c->chat) != SN_SOCK_CONNECTED)
        return SIG_ERR_STATE;
    if ((rc = sig_group_master_key(c, group_id, mk)) != 0 ||
        (rc = sig_group_info_get(c, group_id, &g)) != 0 || (rc = check_member(c, g)) != 0)
        goto out;
    gc.has_masterkey = 1;
    gc.masterkey.data = mk;
    gc.masterkey.len = 32;
    gc.has_revision = 1;
    gc.revision = g->revision;
    if (change) { /* a change we made: members apply it without a fetch */
        gc.has_groupchange = 1;
        gc.groupchange.data = (uint8_t *)change;
        gc.groupchange.len = change_len;
    }
    dm->groupv2 = &gc;
    if (c->has_profile_key) {
        dm->has_profilekey = 1;
        dm->profilekey.data = c->profile_key;
        dm->profilekey.len = 32;
    }
    if (edit_target) {
        em.has_targetsenttimestamp = 1;
        em.targetsenttimestamp = edit_target;
        em.datamessage = dm;
        ct.editmessage = &em;
    } else {
        ct.datamessage = dm;
    }
    n = signalservice__content__get_packed_size(&ct);
    if (!(content = malloc(n ? n : 1)) || !(f = calloc(1, sizeof(*f)))) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    f->refs = 1;
    signalservice__content__pack(&ct, content);
    if ((rc = pack_group_sent(dm, edit_target ? &em : NULL, g, c->aci, &sync, &sn)) != 0)
        goto out;
    for (i = 0; i < g->n_members; i++)
        started += strcmp(g->members[i].aci, c->aci) != 0;
    if (started == 0) {
        /* alone in the group: only our other devices get it */
        rc = sig_send_content(c, c->aci, sync, sn, NULL, 0, dm->timestamp, send_ud, 0);
        goto out;
    }
    /* with our sender key, when enough members can take it */
    if ((rc = sig_gsk_send(c, g, content, n, &sync, sn, dm->timestamp, send_ud)) != 0) {
        rc = rc > 0 ? 0 : rc;
        goto out;
    }
    f->c = c;
    f->ts = dm->timestamp;
    f->ud = send_ud;
    f->sync = sync;
    f->sync_len = sn;
    sync = NULL;
    f->pending = started;
    started = 0;
    for (i = 0; i < g->n_members; i++) {
        if (!strcmp(g->members[i].aci, c->aci))
            continue;
        rc = sig_send_content_fanout(c, g->members[i].aci, content, n, dm->timestamp, f,
                                     g->group_id);
        if (rc == 0) {
            started++;
        } else {
            if (!first_err)
                first_err = rc;
            f->err = f->err ? f->err : rc;
            f->pending--;
        }
    }
    /* copies complete on the loop, never inside this call: pending > 0 */
    rc = started ? 0 : first_err;
out:
    dm->groupv2 = NULL;
    sig_fanout_unref(f);
    if (content)
        ut_free_secret(content, n);
    if (sync)
        ut_free_secret(sync, sn);
    ut_wipe(mk, sizeof(mk));
    sig_group_info_free(g);
    return rc;
}

static int group_send_dm(sig_client *c, const uint8_t group_id[32],
                         Signalservice__DataMessage *dm, uint64_t edit_target, void *send_ud)
{
    return group_send_dm_ch(c, group_id, dm, edit_target, NULL, 0, send_ud);
}

/* Signal-Desktop ts/groups.ts modifyGroupV2 -> sendGroupUpdate: after the
 * server took a change, a message with no body and the group context
 * {masterKey, revision, groupChange} goes to every member (the
 * GroupChange as the server signed it, so their clients apply it). */
int sig_group_send_change(sig_client *c, const uint8_t group_id[32], const uint8_t *change,
                          size_t len, void *send_ud)
{
    Signalservice__DataMessage dm = SIGNALSERVICE__DATA_MESSAGE__INIT;

    dm.has_timestamp = 1;
    dm.timestamp = (uint64_t)ut_now_ms();
    return group_send_dm_ch(c, group_id, &dm, 0, change, len, send_ud);
}

int sig_group_send_dm(sig_client *c, const uint8_t group_id[32],
                      Signalservice__DataMessage *dm, void *send_ud)
{
    return group_send_dm(c, group_id, dm, 0, send_ud);
}

static uint64_t stamp(uint64_t ts)
{
    return ts ? ts : (uint64_t)ut_now_ms();
}

int sig_client_send_group_text(sig_client *c, const uint8_t group_id[32], const char *text,
                               uint64_t ts, void *send_ud, uint64_t *timestamp_out)
{
    Signalservice__DataMessage dm = SIGNALSERVICE__DATA_MESSAGE__INIT;
    int rc;

    if (!group_id || !text)
        return UT_ERR_INVAL;
    dm.body = (char *)text;
    dm.has_timestamp = 1;
    dm.timestamp = stamp(ts);
    rc = group_send_dm(c, group_id, &dm, 0, send_ud);
    if (rc == 0 && timestamp_out)
        *timestamp_out = dm.timestamp;
    return rc;
}

int sig_client_send_group_reaction(sig_client *c, const uint8_t group_id[32],
                                   const char *emoji, int remove, const char *target_author,
                                   uint64_t target_ts, uint64_t ts, void *send_ud)
{
    Signalservice__DataMessage dm = SIGNALSERVICE__DATA_MESSAGE__INIT;
    Signalservice__DataMessage__Reaction re = SIGNALSERVICE__DATA_MESSAGE__REACTION__INIT;
    char author[SIG_UUID_STR_LEN + 1];
    uint8_t bin[16];
    int rc;

    if (!group_id ||
        (rc = sig_reaction_fill(&re, author, bin, emoji, remove, target_author, target_ts)) != 0)
        return group_id ? rc : UT_ERR_INVAL;
    dm.reaction = &re;
    dm.has_timestamp = 1;
    dm.timestamp = stamp(ts);
    return group_send_dm(c, group_id, &dm, 0, send_ud);
}

int sig_client_send_group_delete(sig_client *c, const uint8_t group_id[32], uint64_t target_ts,
                                 uint64_t ts, void *send_ud)
{
    Signalservice__DataMessage dm = SIGNALSERVICE__DATA_MESSAGE__INIT;
    Signalservice__DataMessage__Delete del = SIGNALSERVICE__DATA_MESSAGE__DELETE__INIT;

    if (!group_id || !target_ts)
        return UT_ERR_INVAL;
    del.has_targetsenttimestamp = 1;
    del.targetsenttimestamp = target_ts;
    dm.delete_ = &del;
    dm.has_timestamp = 1;
    dm.timestamp = stamp(ts);
    return group_send_dm(c, group_id, &dm, 0, send_ud);
}

int sig_client_send_group_edit(sig_client *c, const uint8_t group_id[32], uint64_t target_ts,
                               const char *text, uint64_t ts, void *send_ud)
{
    return sig_client_send_group_edit_fmt(c, group_id, target_ts, text, NULL, ts, send_ud);
}

int sig_client_send_group_edit_fmt(sig_client *c, const uint8_t group_id[32],
                                   uint64_t target_ts, const char *text, const sig_format *f,
                                   uint64_t ts, void *send_ud)
{
    Signalservice__DataMessage dm = SIGNALSERVICE__DATA_MESSAGE__INIT;
    sig_quote_buf q;
    Signalservice__BodyRange *rs = NULL, **ptrs = NULL;
    int rc;

    if (!group_id || !target_ts || !text)
        return UT_ERR_INVAL;
    dm.body = (char *)text;
    dm.has_timestamp = 1;
    dm.timestamp = stamp(ts);
    rc = sig_fmt_to_data(&dm, f, &rs, &ptrs, &q);
    dm.quote = NULL; /* an edit keeps the original's quote */
    if (rc == 0)
        rc = group_send_dm(c, group_id, &dm, target_ts, send_ud);
    free(rs);
    free(ptrs);
    return rc;
}

int sig_client_send_group_file(sig_client *c, const uint8_t group_id[32], const char *path,
                               const char *content_type, const char *caption,
                               void *send_ud, uint64_t *timestamp_out)
{
    return sig_client_send_group_file_at(c, group_id, path, content_type, caption, 0, send_ud,
                                         timestamp_out);
}

int sig_client_send_group_file_at(sig_client *c, const uint8_t group_id[32], const char *path,
                                  const char *content_type, const char *caption, uint64_t ts,
                                  void *send_ud, uint64_t *timestamp_out)
{
    return sig_client_send_file_flags(c, NULL, group_id, path, content_type, caption, 0, ts,
                                      send_ud, timestamp_out);
}

int sig_client_send_file_flags(sig_client *c, const char *to, const uint8_t *group_id,
                               const char *path, const char *content_type,
                               const char *caption, uint32_t flags, uint64_t ts, void *send_ud,
                               uint64_t *timestamp_out)
{
    return sig_client_send_file_fmt(c, to, group_id, path, content_type, caption, flags, NULL, ts,
                                    send_ud, timestamp_out);
}

int sig_client_send_file_fmt(sig_client *c, const char *to, const uint8_t *group_id,
                             const char *path, const char *content_type, const char *caption,
                             uint32_t flags, const sig_format *f, uint64_t ts, void *send_ud,
                             uint64_t *timestamp_out)
{
    uint8_t mk[32];
    sig_group_info *g = NULL;
    int rc;

    if (!path || (!group_id && !to))
        return UT_ERR_INVAL;
    if (!group_id)
        return sig_send_file_to(c, to, NULL, path, content_type, caption, flags, f, ts, send_ud,
                                timestamp_out);
    if (!c->linked)
        return SIG_ERR_NOT_LINKED;
    /* refuse before uploading what could not be sent */
    if ((rc = sig_group_master_key(c, group_id, mk)) != 0 ||
        (rc = sig_group_info_get(c, group_id, &g)) != 0 || (rc = check_member(c, g)) != 0) {
        ut_wipe(mk, sizeof(mk));
        sig_group_info_free(g);
        return rc;
    }
    ut_wipe(mk, sizeof(mk));
    sig_group_info_free(g);
    return sig_send_file_to(c, NULL, group_id, path, content_type, caption, flags, f, ts, send_ud,
                            timestamp_out);
}

int sig_client_send_group_typing(sig_client *c, const uint8_t group_id[32], int started)
{
    Signalservice__TypingMessage tm = SIGNALSERVICE__TYPING_MESSAGE__INIT;
    Signalservice__Content ct = SIGNALSERVICE__CONTENT__INIT;
    sig_group_info *g = NULL;
    uint8_t *buf = NULL;
    size_t len = 0, i;
    int rc;

    if (!group_id)
        return UT_ERR_INVAL;
    if (!c->linked)
        return SIG_ERR_NOT_LINKED;
    if (!c->chat || sn_sock_get_state(c->chat) != SN_SOCK_CONNECTED)
        return SIG_ERR_STATE;
    if ((rc = sig_group_info_get(c, group_id, &g)) != 0 || (rc = check_member(c, g)) != 0) {
        sig_group_info_free(g);
        return rc;
    }
    tm.has_timestamp = 1;
    tm.timestamp = (uint64_t)ut_now_ms();
    tm.has_action = 1;
    tm.action = started ? 0 : 1; /* STARTED = 0, STOPPED = 1 */
    tm.has_groupid = 1;
    tm.groupid.data = (uint8_t *)group_id;
    tm.groupid.len = 32;
    ct.typingmessage = &tm;
    len = signalservice__content__get_packed_size(&ct);
    if (!(buf = malloc(len ? len : 1))) {
        sig_group_info_free(g);
        return UT_ERR_NOMEM;
    }
    signalservice__content__pack(&ct, buf);
    /* with our sender key when enough members can take it, as Desktop
     * sends typing to a group (ts/models/conversations.ts
     * sendTypingMessage: sendContentMessageToGroup, online) */
    if ((rc = sig_gsk_send_typing(c, g, buf, len, tm.timestamp)) != 0) {
        rc = rc > 0 ? 0 : rc;
        goto out;
    }
    /* fire and forget, like 1:1 typing: the first error is reported */
    for (i = 0; i < g->n_members; i++) {
        /* online, not urgent, implicit; sealed when we hold the member's
         * access key, with the group in the USMC (Desktop sendTypingMessage
         * → sendContentMessageToGroup → sendGroupProto with the groupId) */
        sig_send_opts o = {1, 1, NULL, SC_HINT_IMPLICIT, g->group_id};
        int r;
        if (!strcmp(g->members[i].aci, c->aci))
            continue;
        r = sig_send_content_opts(c, g->members[i].aci, buf, len, tm.timestamp,
                                  SIG_SEND_QUIET | SIG_SEND_NOLOG, NULL, &o);
        if (r != 0 && rc == 0)
            rc = r;
    }
out:
    free(buf);
    sig_group_info_free(g);
    return rc;
}
