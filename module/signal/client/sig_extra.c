/* sig_extra.c - what a chat does besides text: sending reactions, deletes,
 * edits, receipts and typing (SignalService.proto DataMessage.reaction/
 * .delete, EditMessage, ReceiptMessage, TypingMessage) through the one
 * send path of sig_send.c (sessions, 409/410, transcripts). Reading them
 * is sig_rel.c. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "SignalService.pb-c.h"
#include "sc_sealed.h"
#include "sig_err.h"
#include "sig_int.h"

/* ---- sending ------------------------------------------------------------- */

static int ready(sig_client *c, const char *to, char aci[SIG_UUID_STR_LEN + 1])
{
    if (!c->linked)
        return SIG_ERR_NOT_LINKED;
    if (!c->chat || sn_sock_get_state(c->chat) != SN_SOCK_CONNECTED)
        return SIG_ERR_STATE;
    return sig_resolve(c, to, aci);
}

static uint64_t stamp(uint64_t ts)
{
    return ts ? ts : (uint64_t)ut_now_ms();
}

int sig_reaction_fill(Signalservice__DataMessage__Reaction *re,
                      char author[SIG_UUID_STR_LEN + 1], uint8_t bin[16],
                      const char *emoji, int remove, const char *target_author,
                      uint64_t target_ts)
{
    if (!emoji || !*emoji || !target_author || !target_ts ||
        sig_uuid_parse(bin, target_author) != 0)
        return UT_ERR_INVAL;
    sig_uuid_format(author, bin);
    re->emoji = (char *)emoji;
    re->has_remove = 1;
    re->remove = remove != 0;
    re->targetauthoraci = author;
    re->has_targetauthoracibinary = 1;
    re->targetauthoracibinary.data = bin;
    re->targetauthoracibinary.len = 16;
    re->has_targetsenttimestamp = 1;
    re->targetsenttimestamp = target_ts;
    return 0;
}

int sig_client_send_reaction(sig_client *c, const char *to, const char *emoji,
                             int remove, const char *target_author,
                             uint64_t target_ts, uint64_t ts, void *send_ud)
{
    Signalservice__DataMessage dm = SIGNALSERVICE__DATA_MESSAGE__INIT;
    Signalservice__DataMessage__Reaction re = SIGNALSERVICE__DATA_MESSAGE__REACTION__INIT;
    char aci[SIG_UUID_STR_LEN + 1], author[SIG_UUID_STR_LEN + 1];
    uint8_t bin[16];
    int rc;

    if ((rc = sig_reaction_fill(&re, author, bin, emoji, remove, target_author, target_ts)) != 0 ||
        (rc = ready(c, to, aci)) != 0)
        return rc;
    dm.reaction = &re;
    dm.has_timestamp = 1;
    dm.timestamp = stamp(ts);
    return sig_send_dm(c, aci, &dm, send_ud);
}

int sig_client_send_delete(sig_client *c, const char *to, uint64_t target_ts,
                           uint64_t ts, void *send_ud)
{
    Signalservice__DataMessage dm = SIGNALSERVICE__DATA_MESSAGE__INIT;
    Signalservice__DataMessage__Delete del = SIGNALSERVICE__DATA_MESSAGE__DELETE__INIT;
    char aci[SIG_UUID_STR_LEN + 1];
    int rc;

    if (!target_ts)
        return UT_ERR_INVAL;
    if ((rc = ready(c, to, aci)) != 0)
        return rc;
    del.has_targetsenttimestamp = 1;
    del.targetsenttimestamp = target_ts;
    dm.delete_ = &del;
    dm.has_timestamp = 1;
    dm.timestamp = stamp(ts);
    return sig_send_dm(c, aci, &dm, send_ud);
}

/* Pack a Content into a malloc'd buffer. */
static int pack(const Signalservice__Content *ct, uint8_t **out, size_t *n)
{
    *n = signalservice__content__get_packed_size(ct);
    *out = malloc(*n ? *n : 1);
    if (!*out)
        return UT_ERR_NOMEM;
    signalservice__content__pack(ct, *out);
    return 0;
}

int sig_client_send_edit(sig_client *c, const char *to, uint64_t target_ts,
                         const char *text, uint64_t ts, void *send_ud)
{
    return sig_client_send_edit_fmt(c, to, target_ts, text, NULL, ts, send_ud);
}

int sig_client_send_edit_fmt(sig_client *c, const char *to, uint64_t target_ts,
                             const char *text, const sig_format *f, uint64_t ts, void *send_ud)
{
    sig_quote_buf q;
    Signalservice__BodyRange *rs = NULL, **ptrs = NULL;
    Signalservice__DataMessage dm = SIGNALSERVICE__DATA_MESSAGE__INIT;
    Signalservice__EditMessage em = SIGNALSERVICE__EDIT_MESSAGE__INIT;
    Signalservice__Content ct = SIGNALSERVICE__CONTENT__INIT;
    Signalservice__Content sct = SIGNALSERVICE__CONTENT__INIT;
    Signalservice__SyncMessage sm = SIGNALSERVICE__SYNC_MESSAGE__INIT;
    Signalservice__SyncMessage__Sent sent = SIGNALSERVICE__SYNC_MESSAGE__SENT__INIT;
    char aci[SIG_UUID_STR_LEN + 1];
    uint8_t dest[16], *buf = NULL, *sbuf = NULL;
    size_t n = 0, sn = 0;
    int rc;

    if (!target_ts || !text)
        return UT_ERR_INVAL;
    if ((rc = ready(c, to, aci)) != 0)
        return rc;
    dm.body = (char *)text;
    dm.has_timestamp = 1;
    dm.timestamp = stamp(ts);
    if (c->has_profile_key) {
        dm.has_profilekey = 1;
        dm.profilekey.data = c->profile_key;
        dm.profilekey.len = 32;
    }
    /* the new text's ranges (Signal-Desktop sends bodyRanges in the edit's
     * DataMessage like in any other) */
    if ((rc = sig_fmt_to_data(&dm, f, &rs, &ptrs, &q)) != 0) {
        free(rs);
        free(ptrs);
        return rc;
    }
    dm.quote = NULL; /* an edit keeps the original's quote */
    em.has_targetsenttimestamp = 1;
    em.targetsenttimestamp = target_ts;
    em.datamessage = &dm;
    ct.editmessage = &em;
    /* our other devices learn of it as SyncMessage.Sent{editMessage} */
    (void)sig_uuid_parse(dest, aci);
    sent.destinationserviceid = aci;
    sent.has_destinationserviceidbinary = 1;
    sent.destinationserviceidbinary.data = dest;
    sent.destinationserviceidbinary.len = 16;
    sent.has_timestamp = 1;
    sent.timestamp = dm.timestamp;
    sent.editmessage = &em;
    sm.sent = &sent;
    sct.syncmessage = &sm;
    if ((rc = pack(&ct, &buf, &n)) == 0 && (rc = pack(&sct, &sbuf, &sn)) == 0)
        rc = sig_send_content(c, aci, buf, n, sbuf, sn, dm.timestamp, send_ud, 0);
    if (buf)
        ut_free_secret(buf, n);
    if (sbuf)
        ut_free_secret(sbuf, sn);
    free(rs);
    free(ptrs);
    return rc;
}

int sig_client_send_receipt(sig_client *c, const char *to, int type,
                            const uint64_t *timestamps, size_t n)
{
    Signalservice__ReceiptMessage rm = SIGNALSERVICE__RECEIPT_MESSAGE__INIT;
    Signalservice__Content ct = SIGNALSERVICE__CONTENT__INIT;
    char aci[SIG_UUID_STR_LEN + 1];
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc;

    if (!timestamps || n == 0 || n > 1000 || type < SIG_RECEIPT_DELIVERY ||
        type > SIG_RECEIPT_VIEWED)
        return UT_ERR_INVAL;
    if ((rc = ready(c, to, aci)) != 0)
        return rc;
    rm.has_type = 1;
    rm.type = (uint32_t)type;
    rm.n_timestamp = n;
    rm.timestamp = (uint64_t *)timestamps;
    ct.receiptmessage = &rm;
    if ((rc = pack(&ct, &buf, &len)) == 0)
        rc = sig_send_content(c, aci, buf, len, NULL, 0, (uint64_t)ut_now_ms(), NULL, 1);
    free(buf);
    return rc;
}

int sig_client_send_typing(sig_client *c, const char *to, int started)
{
    Signalservice__TypingMessage tm = SIGNALSERVICE__TYPING_MESSAGE__INIT;
    Signalservice__Content ct = SIGNALSERVICE__CONTENT__INIT;
    char aci[SIG_UUID_STR_LEN + 1];
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc;

    if ((rc = ready(c, to, aci)) != 0)
        return rc;
    tm.has_timestamp = 1;
    tm.timestamp = (uint64_t)ut_now_ms();
    tm.has_action = 1;
    tm.action = started ? 0 : 1; /* STARTED = 0, STOPPED = 1 */
    ct.typingmessage = &tm;
    /* online=true, urgent=false, as Desktop sends typing (ts/models/
     * conversations.ts sendTypingMessage): never stored for a device that
     * is not connected */
    if ((rc = pack(&ct, &buf, &len)) == 0) {
        /* sealed like any 1:1 send, content hint implicit (Desktop
         * sendTypingMessage: ContentHint.IMPLICIT; signalmeow
         * getContentHint) */
        sig_send_opts o = {1, 1, NULL, SC_HINT_IMPLICIT, NULL};
        rc = sig_send_content_opts(c, aci, buf, len, tm.timestamp,
                                   SIG_SEND_QUIET | SIG_SEND_NOLOG, NULL, &o);
    }
    free(buf);
    return rc;
}

int sig_client_send_read_sync(sig_client *c, const char *sender,
                              const uint64_t *timestamps, size_t n)
{
    Signalservice__SyncMessage sm = SIGNALSERVICE__SYNC_MESSAGE__INIT;
    Signalservice__Content ct = SIGNALSERVICE__CONTENT__INIT;
    Signalservice__SyncMessage__Read *reads = NULL, **ptrs = NULL;
    char aci[SIG_UUID_STR_LEN + 1];
    uint8_t bin[16], *buf = NULL;
    size_t len = 0, i;
    int rc;

    if (!timestamps || n == 0 || n > 1000)
        return UT_ERR_INVAL;
    if ((rc = ready(c, sender, aci)) != 0)
        return rc;
    (void)sig_uuid_parse(bin, aci);
    reads = calloc(n, sizeof(*reads));
    ptrs = calloc(n, sizeof(*ptrs));
    if (!reads || !ptrs) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    for (i = 0; i < n; i++) {
        signalservice__sync_message__read__init(&reads[i]);
        reads[i].senderaci = aci;
        reads[i].has_senderacibinary = 1;
        reads[i].senderacibinary.data = bin;
        reads[i].senderacibinary.len = 16;
        reads[i].has_timestamp = 1;
        reads[i].timestamp = timestamps[i];
        ptrs[i] = &reads[i];
    }
    sm.n_read = n;
    sm.read = ptrs;
    ct.syncmessage = &sm;
    if ((rc = pack(&ct, &buf, &len)) == 0)
        rc = sig_send_content_to_self(c, buf, len, (uint64_t)ut_now_ms());
out:
    free(buf);
    free(reads);
    free(ptrs);
    return rc;
}
