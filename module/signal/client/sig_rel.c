/* sig_rel.c - reading what a received Content does to an earlier message:
 * a reaction or delete (DataMessage), an EditMessage, or either inside a
 * SyncMessage.Sent from our own phone. Pure: no client, no I/O (also
 * built into the fuzz target fuzz_sig_relation). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "SignalService.pb-c.h"
#include "sig_client.h"
#include "sig_err.h"
#include "sig_util.h"

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


int sig_content_reads(const uint8_t *content, size_t len, sig_read_entry **out,
                      size_t *n)
{
    Signalservice__Content *ct;
    size_t i, k = 0;
    int rc = 1;

    *out = NULL;
    *n = 0;
    if (!content && len)
        return UT_ERR_INVAL;
    ct = signalservice__content__unpack(NULL, len, content);
    if (!ct)
        return SIG_ERR_ENVELOPE;
    if (!ct->syncmessage || ct->syncmessage->n_read == 0) {
        rc = 0;
        goto out;
    }
    *out = calloc(ct->syncmessage->n_read, sizeof(**out));
    if (!*out) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    for (i = 0; i < ct->syncmessage->n_read; i++) {
        const Signalservice__SyncMessage__Read *r = ct->syncmessage->read[i];
        uint8_t u[16];

        if (!r->has_timestamp || !r->timestamp)
            continue;
        if (r->has_senderacibinary && r->senderacibinary.len == 16)
            sig_uuid_format((*out)[k].sender, r->senderacibinary.data);
        else if (r->senderaci && sig_uuid_parse(u, r->senderaci) == 0)
            sig_uuid_format((*out)[k].sender, u);
        else
            continue;
        (*out)[k++].ts = r->timestamp;
    }
    *n = k;
out:
    signalservice__content__free_unpacked(ct, NULL);
    return rc;
}
