/* sig_extra.c - what a chat does besides text: reactions, deletes, edits,
 * receipts, typing (signal-service.md §5; SignalService.proto DataMessage
 * .reaction/.delete, EditMessage, ReceiptMessage, TypingMessage), both
 * reading them from a received Content and sending them through the one
 * send path of sig_send.c (sessions, 409/410, transcripts). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "SignalService.pb-c.h"
#include "sig_err.h"
#include "sig_int.h"

/* ---- reading ------------------------------------------------------------- */

void sig_relation_clear(sig_relation *r)
{
    if (!r)
        return;
    free(r->text);
    memset(r, 0, sizeof(*r));
}

static int dup_text(sig_relation *out, const char *s)
{
    if (!s)
        return 0;
    out->text = strdup(s);
    return out->text ? 0 : UT_ERR_NOMEM;
}

/* A reaction's target author: the binary form when it is a valid ACI,
 * else the text form (both are sent by current clients). */
static int reaction_author(const Signalservice__DataMessage__Reaction *re,
                           char out[SIG_UUID_STR_LEN + 1])
{
    uint8_t u[16];

    if (re->has_targetauthoracibinary && re->targetauthoracibinary.len == 16) {
        sig_uuid_format(out, re->targetauthoracibinary.data);
        return 0;
    }
    if (re->targetauthoraci && sig_uuid_parse(u, re->targetauthoraci) == 0) {
        sig_uuid_format(out, u);
        return 0;
    }
    return SIG_ERR_ENVELOPE;
}

static int from_data(const Signalservice__DataMessage *dm, sig_relation *out)
{
    if (dm->has_timestamp)
        out->ts = dm->timestamp;
    if (dm->reaction) {
        const Signalservice__DataMessage__Reaction *re = dm->reaction;
        out->kind = SIG_REL_REACTION;
        if (!re->has_targetsenttimestamp || !re->targetsenttimestamp ||
            !re->emoji || !*re->emoji || reaction_author(re, out->target_author) != 0)
            return SIG_ERR_ENVELOPE;
        out->target_ts = re->targetsenttimestamp;
        out->remove = re->has_remove && re->remove;
        return dup_text(out, re->emoji);
    }
    if (dm->delete_) {
        out->kind = SIG_REL_DELETE;
        if (!dm->delete_->has_targetsenttimestamp || !dm->delete_->targetsenttimestamp)
            return SIG_ERR_ENVELOPE;
        out->target_ts = dm->delete_->targetsenttimestamp;
    }
    return 0;
}

static int from_edit(const Signalservice__EditMessage *em, sig_relation *out)
{
    out->kind = SIG_REL_EDIT;
    if (!em->has_targetsenttimestamp || !em->targetsenttimestamp || !em->datamessage)
        return SIG_ERR_ENVELOPE;
    out->target_ts = em->targetsenttimestamp;
    if (em->datamessage->has_timestamp)
        out->ts = em->datamessage->timestamp;
    return dup_text(out, em->datamessage->body ? em->datamessage->body : "");
}

int sig_content_relation(const uint8_t *content, size_t len, sig_relation *out)
{
    Signalservice__Content *ct;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    if (!content && len)
        return UT_ERR_INVAL;
    ct = signalservice__content__unpack(NULL, len, content);
    if (!ct)
        return SIG_ERR_ENVELOPE;
    if (ct->datamessage) {
        rc = from_data(ct->datamessage, out);
    } else if (ct->editmessage) {
        rc = from_edit(ct->editmessage, out);
    } else if (ct->syncmessage && ct->syncmessage->sent) {
        const Signalservice__SyncMessage__Sent *s = ct->syncmessage->sent;
        char dest[SIG_UUID_STR_LEN + 5] = "";
        uint8_t u[16];

        if (s->message)
            rc = from_data(s->message, out);
        else if (s->editmessage)
            rc = from_edit(s->editmessage, out);
        if (rc == 0 && out->kind != SIG_REL_NONE) {
            out->from_self = 1;
            if (s->has_destinationserviceidbinary && s->destinationserviceidbinary.len == 16)
                (void)sig_service_id_format(dest, s->destinationserviceidbinary.data, 16);
            else if (s->destinationserviceid && sig_uuid_parse(u, s->destinationserviceid) == 0)
                sig_uuid_format(dest, u);
            snprintf(out->destination, sizeof(out->destination), "%s", dest);
        }
    }
    signalservice__content__free_unpacked(ct, NULL);
    if (rc != 0) {
        free(out->text);
        out->text = NULL;
    }
    return rc;
}

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

int sig_client_send_reaction(sig_client *c, const char *to, const char *emoji,
                             int remove, const char *target_author,
                             uint64_t target_ts, uint64_t ts, void *send_ud)
{
    Signalservice__DataMessage dm = SIGNALSERVICE__DATA_MESSAGE__INIT;
    Signalservice__DataMessage__Reaction re = SIGNALSERVICE__DATA_MESSAGE__REACTION__INIT;
    char aci[SIG_UUID_STR_LEN + 1], author[SIG_UUID_STR_LEN + 1];
    uint8_t bin[16];
    int rc;

    if (!emoji || !*emoji || !target_author || !target_ts ||
        sig_uuid_parse(bin, target_author) != 0)
        return UT_ERR_INVAL;
    if ((rc = ready(c, to, aci)) != 0)
        return rc;
    sig_uuid_format(author, bin);
    re.emoji = (char *)emoji;
    re.has_remove = 1;
    re.remove = remove != 0;
    re.targetauthoraci = author;
    re.has_targetauthoracibinary = 1;
    re.targetauthoracibinary.data = bin;
    re.targetauthoracibinary.len = 16;
    re.has_targetsenttimestamp = 1;
    re.targetsenttimestamp = target_ts;
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
    if ((rc = pack(&ct, &buf, &len)) == 0)
        rc = sig_send_content(c, aci, buf, len, NULL, 0, tm.timestamp, NULL, 1);
    free(buf);
    return rc;
}
