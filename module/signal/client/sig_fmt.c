/* sig_fmt.c - a DataMessage's body ranges (styles, mentions) and quote,
 * both ways (issue #17). Ranges carry mentionAci or style (SignalService
 * .proto BodyRange); as mautrix-signal pkg/msgconv/signalfmt/convert.go,
 * the binary mentionAciBinary is read as well as the text form. A quote
 * is sent as mautrix-signal pkg/msgconv/from-matrix.go does: id = the
 * quoted message's timestamp, authorAci, type NORMAL; we also fill
 * Quote.text (a proto field) so a receiver without the original still
 * sees what was quoted. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "SignalService.pb-c.h"
#include "sig_client.h"
#include "sig_err.h"
#include "sig_int.h"
#include "sig_util.h"

#define MAX_RANGES 1024

void sig_format_clear(sig_format *f)
{
    if (!f)
        return;
    size_t i;

    free(f->ranges);
    free(f->quote_text);
    free(f->poll_question);
    for (i = 0; f->poll_options && i < f->n_poll_options; i++)
        free(f->poll_options[i]);
    free(f->poll_options);
    free(f->vote_options);
    for (i = 0; f->previews && i < f->n_previews; i++) {
        free(f->previews[i].url);
        free(f->previews[i].title);
        free(f->previews[i].description);
        free(f->previews[i].image_path);
        free(f->previews[i].image_type);
    }
    free(f->previews);
    memset(f, 0, sizeof(*f));
}

static int aci_of(const char *s, const ProtobufCBinaryData *bin, int has_bin,
                  char out[SIG_UUID_STR_LEN + 1])
{
    uint8_t u[16];

    if (has_bin && bin->len == 16) {
        sig_uuid_format(out, bin->data);
        return 0;
    }
    if (s && sig_uuid_parse(u, s) == 0) {
        sig_uuid_format(out, u);
        return 0;
    }
    return -1;
}

static int from_data(const Signalservice__DataMessage *dm, sig_format *f)
{
    size_t i;

    if (dm->n_bodyranges) {
        size_t n = dm->n_bodyranges < MAX_RANGES ? dm->n_bodyranges : MAX_RANGES;
        if (!(f->ranges = calloc(n, sizeof(*f->ranges))))
            return UT_ERR_NOMEM;
        for (i = 0; i < n; i++) {
            const Signalservice__BodyRange *r = dm->bodyranges[i];
            sig_body_range *o = &f->ranges[f->n_ranges];
            o->start = r->has_start ? r->start : 0;
            o->length = r->has_length ? r->length : 0;
            if (aci_of(r->mentionaci, &r->mentionacibinary, r->has_mentionacibinary,
                       o->mention_aci) == 0)
                f->n_ranges++;
            else if (r->has_style && r->style > 0) {
                o->style = (int)r->style;
                f->n_ranges++;
            } /* else: neither, ignored */
        }
    }
    if (dm->quote && dm->quote->has_id && dm->quote->id &&
        aci_of(dm->quote->authoraci, &dm->quote->authoracibinary,
               dm->quote->has_authoracibinary, f->quote_author) == 0) {
        f->quote_id = dm->quote->id;
        if (dm->quote->text && !(f->quote_text = strdup(dm->quote->text)))
            return UT_ERR_NOMEM;
        if (dm->quote->n_attachments && dm->quote->attachments[0]) {
            const Signalservice__DataMessage__Quote__QuotedAttachment *a =
                dm->quote->attachments[0];
            snprintf(f->quote_att_type, sizeof(f->quote_att_type), "%s",
                     a->contenttype && *a->contenttype ? a->contenttype
                                                       : "application/octet-stream");
            snprintf(f->quote_att_name, sizeof(f->quote_att_name), "%s",
                     a->filename ? a->filename : "");
        }
    }
    return 0;
}

int sig_content_format(const uint8_t *content, size_t len, sig_format *out)
{
    Signalservice__Content *ct;
    const Signalservice__DataMessage *dm = NULL;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    if (!content && len)
        return UT_ERR_INVAL;
    ct = signalservice__content__unpack(NULL, len, content);
    if (!ct)
        return SIG_ERR_ENVELOPE;
    if (ct->datamessage)
        dm = ct->datamessage;
    else if (ct->syncmessage && ct->syncmessage->sent && ct->syncmessage->sent->message)
        dm = ct->syncmessage->sent->message;
    /* an edit carries the new text's ranges (EditMessage.dataMessage) */
    else if (ct->editmessage && ct->editmessage->datamessage)
        dm = ct->editmessage->datamessage;
    else if (ct->syncmessage && ct->syncmessage->sent && ct->syncmessage->sent->editmessage &&
             ct->syncmessage->sent->editmessage->datamessage)
        dm = ct->syncmessage->sent->editmessage->datamessage;
    if (dm)
        rc = from_data(dm, out);
    signalservice__content__free_unpacked(ct, NULL);
    if (rc != 0)
        sig_format_clear(out);
    return rc;
}

/* Fill dm's bodyRanges and quote from `f` (storage in *rs / *q / *ptrs,
 * which the caller frees). sig_int.h. */
int sig_fmt_to_data(Signalservice__DataMessage *dm, const sig_format *f,
                   Signalservice__BodyRange **rs, Signalservice__BodyRange ***ptrs,
                   sig_quote_buf *qb)
{
    size_t i;

    *rs = NULL;
    *ptrs = NULL;
    if (!f)
        return 0;
    if (f->expire_timer || f->timer_update) {
        dm->has_expiretimer = 1;
        dm->expiretimer = f->expire_timer;
    }
    if (f->expire_version) { /* DataMessage.expireTimerVersion */
        dm->has_expiretimerversion = 1;
        dm->expiretimerversion = f->expire_version;
    }
    if (f->timer_update) { /* DataMessage.Flags EXPIRATION_TIMER_UPDATE = 2 */
        dm->has_flags = 1;
        dm->flags |= SIGNALSERVICE__DATA_MESSAGE__FLAGS__EXPIRATION_TIMER_UPDATE;
        dm->body = NULL;
        return 0;
    }
    if (f->n_previews) {
        /* DataMessage.preview: url, title, description, date (as
         * mautrix-signal convertURLPreviewToSignal fills them); the image
         * is set by the sender that uploaded it (sig_attach.c) */
        size_t n = f->n_previews < SIG_MAX_PREVIEWS ? f->n_previews : SIG_MAX_PREVIEWS;
        for (i = 0; i < n; i++) {
            Signalservice__Preview *p = &qb->pv[i];
            signalservice__preview__init(p);
            p->url = f->previews[i].url;
            p->title = f->previews[i].title && *f->previews[i].title ? f->previews[i].title : NULL;
            p->description = f->previews[i].description && *f->previews[i].description
                                 ? f->previews[i].description : NULL;
            p->has_date = 1;
            p->date = dm->timestamp;
            qb->pvs[i] = p;
        }
        dm->preview = qb->pvs;
        dm->n_preview = n;
    }
    if (f->n_ranges) {
        if (f->n_ranges > MAX_RANGES)
            return UT_ERR_INVAL;
        *rs = calloc(f->n_ranges, sizeof(**rs));
        *ptrs = calloc(f->n_ranges, sizeof(**ptrs));
        if (!*rs || !*ptrs)
            return UT_ERR_NOMEM;
        for (i = 0; i < f->n_ranges; i++) {
            Signalservice__BodyRange *r = &(*rs)[i];
            signalservice__body_range__init(r);
            r->has_start = r->has_length = 1;
            r->start = f->ranges[i].start;
            r->length = f->ranges[i].length;
            if (f->ranges[i].mention_aci[0])
                r->mentionaci = (char *)f->ranges[i].mention_aci;
            else {
                r->has_style = 1;
                r->style = (uint32_t)f->ranges[i].style;
            }
            (*ptrs)[i] = r;
        }
        dm->n_bodyranges = f->n_ranges;
        dm->bodyranges = *ptrs;
    }
    if (f->quote_id && f->quote_author[0]) {
        Signalservice__DataMessage__Quote *q = &qb->q;
        signalservice__data_message__quote__init(q);
        if (f->quote_att_type[0]) {
            /* the quoted message's attachment, as Signal-Desktop sends it
             * (ts/util/makeQuote.preload.ts getQuoteAttachment: contentType,
             * fileName; the thumbnail is optional and not sent here) */
            signalservice__data_message__quote__quoted_attachment__init(&qb->att);
            qb->att.contenttype = (char *)f->quote_att_type;
            qb->att.filename = f->quote_att_name[0] ? (char *)f->quote_att_name : NULL;
            qb->atts[0] = &qb->att;
            q->attachments = qb->atts;
            q->n_attachments = 1;
        }
        q->has_id = 1;
        q->id = f->quote_id;
        q->authoraci = (char *)f->quote_author;
        q->text = f->quote_text;
        q->has_type = 1;
        q->type = 0; /* NORMAL */
        dm->quote = q;
    }
    return 0;
}

int sig_client_send_text_fmt(sig_client *c, const char *to, const uint8_t *group_id,
                             const char *text, const sig_format *f, uint64_t ts,
                             void *send_ud, uint64_t *timestamp_out)
{
    Signalservice__DataMessage dm = SIGNALSERVICE__DATA_MESSAGE__INIT;
    sig_quote_buf q;
    Signalservice__DataMessage__PollCreate pc;
    Signalservice__DataMessage__PollVote pv;
    Signalservice__BodyRange *rs = NULL, **ptrs = NULL;
    char aci[SIG_UUID_STR_LEN + 1];
    uint8_t vote_aci[16];
    int rc;

    if (!text || (!to && !group_id))
        return UT_ERR_INVAL;
    if (!c->linked) /* as sig_client_send_text_at */
        return SIG_ERR_NOT_LINKED;
    if (!c->chat || sn_sock_get_state(c->chat) != SN_SOCK_CONNECTED)
        return SIG_ERR_STATE;
    if (!group_id && (rc = sig_resolve(c, to, aci)) != 0)
        return rc;
    dm.body = (char *)text;
    dm.has_timestamp = 1;
    dm.timestamp = ts ? ts : (uint64_t)ut_now_ms(); /* the caller's stored ts */
    rc = sig_fmt_to_data(&dm, f, &rs, &ptrs, &q);
    if (rc == 0 && f && f->poll_question) {
        /* a poll has no body; it needs protocol version POLLS (8) */
        signalservice__data_message__poll_create__init(&pc);
        pc.question = f->poll_question;
        pc.has_allowmultiple = 1;
        pc.allowmultiple = f->poll_multiple != 0;
        pc.options = f->poll_options;
        pc.n_options = f->n_poll_options;
        dm.pollcreate = &pc;
        dm.body = NULL;
        dm.has_requiredprotocolversion = 1;
        dm.requiredprotocolversion = 8;
    } else if (rc == 0 && f && f->vote_ts) {
        signalservice__data_message__poll_vote__init(&pv);
        if (sig_uuid_parse(vote_aci, f->vote_author) != 0)
            rc = UT_ERR_INVAL;
        pv.has_targetauthoracibinary = 1;
        pv.targetauthoracibinary.data = vote_aci;
        pv.targetauthoracibinary.len = 16;
        pv.has_targetsenttimestamp = 1;
        pv.targetsenttimestamp = f->vote_ts;
        pv.optionindexes = f->vote_options;
        pv.n_optionindexes = f->n_vote_options;
        pv.has_votecount = 1;
        pv.votecount = f->vote_count;
        dm.pollvote = &pv;
        dm.body = NULL;
    }
    if (rc == 0)
        rc = group_id ? sig_group_send_dm(c, group_id, &dm, send_ud)
                      : sig_send_dm(c, aci, &dm, send_ud);
    if (rc == 0 && timestamp_out)
        *timestamp_out = dm.timestamp;
    free(rs);
    free(ptrs);
    return rc;
}

int sig_format_copy(sig_format *dst, const sig_format *src)
{
    memset(dst, 0, sizeof(*dst));
    if (!src)
        return 0;
    size_t i;

    *dst = *src;
    dst->ranges = NULL;
    dst->quote_text = NULL;
    dst->poll_question = NULL;
    dst->poll_options = NULL;
    dst->vote_options = NULL;
    dst->previews = NULL;
    dst->n_previews = 0;
    if (src->poll_question && !(dst->poll_question = strdup(src->poll_question)))
        goto nomem;
    if (src->n_poll_options) {
        if (!(dst->poll_options = calloc(src->n_poll_options, sizeof(char *))))
            goto nomem;
        for (i = 0; i < src->n_poll_options; i++)
            if (!(dst->poll_options[i] = strdup(src->poll_options[i])))
                goto nomem;
    }
    if (src->n_vote_options) {
        if (!(dst->vote_options = malloc(src->n_vote_options * sizeof(uint32_t))))
            goto nomem;
        memcpy(dst->vote_options, src->vote_options, src->n_vote_options * sizeof(uint32_t));
    }
    if (src->n_ranges &&
        !(dst->ranges = malloc(src->n_ranges * sizeof(*src->ranges))))
        goto nomem;
    if (src->n_ranges)
        memcpy(dst->ranges, src->ranges, src->n_ranges * sizeof(*src->ranges));
    if (src->quote_text && !(dst->quote_text = strdup(src->quote_text)))
        goto nomem;
    if (src->n_previews) {
        if (!(dst->previews = calloc(src->n_previews, sizeof(*dst->previews))))
            goto nomem;
        for (i = 0; i < src->n_previews; i++) {
            const sig_preview *a = &src->previews[i];
            sig_preview *d = &dst->previews[dst->n_previews++];
            d->width = a->width;
            d->height = a->height;
            if ((a->url && !(d->url = strdup(a->url))) ||
                (a->title && !(d->title = strdup(a->title))) ||
                (a->description && !(d->description = strdup(a->description))) ||
                (a->image_path && !(d->image_path = strdup(a->image_path))) ||
                (a->image_type && !(d->image_type = strdup(a->image_type))))
                goto nomem;
        }
    }
    return 0;
nomem:
    sig_format_clear(dst);
    return UT_ERR_NOMEM;
}
