/* br_sigkind.c - notices for what cannot be bridged (br_sigkind.h).
 *
 * What each kind is, from Signal-Desktop protos/SignalService.proto
 * (CallingMessage, DataMessage.storyContext / payment / giftBadge /
 * requiredProtocolVersion); that a message of an
 * unknown kind and a payment each get a notice, from mautrix-signal
 * pkg/msgconv/from-signal.go ("The bridge does not support this message
 * type yet.", "Payments are not yet supported"), and a call from
 * pkg/connector/handlesignal.go convertCallEvent ("Incoming call",
 * "Call ended"). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "SignalService.pb-c.h"
#include "br_sigchat.h"
#include "br_sigkind.h"
#include "sig_util.h"

/* DataMessage.ProtocolVersion CURRENT in Signal-Desktop's proto (POLLS = 8,
 * also in @signalapp/mock-server 27's compiled protos): a message that
 * requires more is of a kind newer than what we know. */
#define PROTOCOL_CURRENT 8

static char *call_notice(const Signalservice__CallMessage *cm)
{
    const Signalservice__CallMessage__Hangup *h = cm->hangup ? cm->hangup : cm->legacyhangup;

    if (cm->offer)
        return strdup(cm->offer->has_type && cm->offer->type == 1
                          ? "called you (video call). Answer it in Signal on your phone: calls"
                            " cannot be bridged."
                          : "called you (voice call). Answer it in Signal on your phone: calls"
                            " cannot be bridged.");
    if (cm->busy)
        return strdup("could not take the call (busy).");
    if (h) {
        switch (h->has_type ? h->type : 0) {
        case 1: return strdup("'s call was answered on another device.");
        case 2: return strdup("'s call was declined on another device.");
        case 3: return strdup("'s call ended: busy.");
        default: return strdup("'s call ended.");
        }
    }
    return NULL;
}

static char *data_notice(const Signalservice__DataMessage *dm)
{
    const char *what = NULL;
    char *out = NULL;

    /* a timer change (flag 2) never comes here: br_sigevent.c hands it to
     * br_expire.c first, which sets the room's state and posts the notice */
    if (dm->has_groupcallupdate)
        return strdup("started a group call. Join it in Signal on your phone: calls cannot be "
                      "bridged.");

    if (dm->storycontext) {
        /* a reply to a story: the story itself is not in the chat */
        if (dm->body && *dm->body &&
            asprintf(&out, "replied to a story (stories are not bridged): %s", dm->body) < 0)
            out = NULL;
        return dm->body && *dm->body ? out
                                     : strdup("replied to a story (stories are not bridged).");
    }
    /* polls are bridged as MSC3381 events (br_sigkind_poll) */
    if (dm->has_pinmessage)
        what = "pinned a message (pins cannot be bridged yet).";
    else if (dm->has_payment)
        what = "sent a payment, which cannot be bridged. Open Signal on your phone to see it.";
    else if (dm->has_giftbadge)
        what = "sent a gift badge, which cannot be bridged. Open Signal on your phone to see it.";
    /* view-once media are bridged and then disappear (br_sigkind_view_once),
     * contact cards are bridged as vCard files (br_sigcontact.h) */
    else if (dm->has_requiredprotocolversion && dm->requiredprotocolversion > PROTOCOL_CURRENT &&
             !(dm->body && *dm->body) && !dm->n_attachments)
        what = "sent a message of a kind this bridge cannot show yet. Open Signal on your phone"
               " to see it.";
    return what ? strdup(what) : NULL;
}

char *br_sigkind_notice(const sig_message *m, const char *me)
{
    Signalservice__Content *ct;
    const Signalservice__DataMessage *dm = NULL;
    char *out = NULL;

    if (!m->content)
        return NULL;
    ct = signalservice__content__unpack(NULL, m->content_len, m->content);
    if (!ct)
        return NULL;
    if (ct->callmessage) {
        /* our own devices' call messages carry no chat */
        if (!(me && m->sender && strcmp(m->sender, me) == 0))
            out = call_notice(ct->callmessage);
    } else {
        if (ct->datamessage)
            dm = ct->datamessage;
        else if (ct->syncmessage && ct->syncmessage->sent)
            dm = ct->syncmessage->sent->message;
        if (dm)
            out = data_notice(dm);
    }
    signalservice__content__free_unpacked(ct, NULL);
    return out;
}

br_net_event *br_sigkind_sticker(const char *owner, const sig_message *m, const char *chat,
                                 const char *me)
{
    Signalservice__Content *ct;
    const Signalservice__DataMessage *dm = NULL;
    const Signalservice__AttachmentPointer *ap;
    br_net_event *ev = NULL;
    br_net_attachment *a;
    size_t len;

    if (!m->content || !(ct = signalservice__content__unpack(NULL, m->content_len, m->content)))
        return NULL;
    dm = ct->datamessage ? ct->datamessage
       : ct->syncmessage && ct->syncmessage->sent ? ct->syncmessage->sent->message : NULL;
    if (!dm || !dm->sticker || !(ap = dm->sticker->data) ||
        !(ev = calloc(1, sizeof(*ev))) || !(ev->atts = calloc(1, sizeof(*ev->atts))))
        goto fail;
    ev->kind = BR_NET_MESSAGE;
    ev->n_atts = 1;
    a = &ev->atts[0];
    a->content_type = strdup(ap->contenttype && *ap->contenttype ? ap->contenttype : "image/webp");
    a->file_name = dm->sticker->emoji && *dm->sticker->emoji ? strdup(dm->sticker->emoji) : NULL;
    a->size = ap->has_size ? ap->size : 0;
    a->width = ap->has_width ? ap->width : 0;
    a->height = ap->has_height ? ap->height : 0;
    a->flags = BR_NET_ATT_STICKER;
    len = signalservice__attachment_pointer__get_packed_size(ap);
    if ((a->pointer = malloc(len ? len : 1))) {
        signalservice__attachment_pointer__pack(ap, a->pointer);
        a->pointer_len = len;
    }
    ev->owner = strdup(owner);
    ev->chat_id = strdup(chat);
    ev->sender = strdup(br_sigchat_mine(m, me) && me ? me : m->sender ? m->sender : "");
    ev->from_me = br_sigchat_mine(m, me);
    ev->ts = (int64_t)(m->data_timestamp ? m->data_timestamp : m->timestamp);
    ev->durable_id = (uint64_t)m->id;
    if (!a->content_type || !a->pointer || !ev->owner || !ev->chat_id || !ev->sender)
        goto fail;
    signalservice__content__free_unpacked(ct, NULL);
    return ev;
fail:
    br_net_event_free(ev);
    if (ct)
        signalservice__content__free_unpacked(ct, NULL);
    return NULL;
}

/* The poll's JSON (BR_NET_FMT "poll") and its text for clients without
 * polls, after mautrix-signal pkg/msgconv/from-signal.go
 * convertPollCreateToMatrix / convertPollVoteToMatrix /
 * convertPollTerminateToMatrix: options are numbered by their index, which
 * is what a vote names (DataMessage.PollVote.optionIndexes). */
static json_t *poll_json(const Signalservice__DataMessage *dm, const char *sender, char **text)
{
    json_t *p = NULL, *o;
    size_t i, len;
    char aci[SIG_UUID_STR_LEN + 5];
    char *t;
    FILE *f;

    *text = NULL;
    if (dm->pollcreate) {
        const Signalservice__DataMessage__PollCreate *pc = dm->pollcreate;
        if (!pc->question || !pc->n_options)
            return NULL;
        o = json_array();
        for (i = 0; o && i < pc->n_options; i++)
            json_array_append_new(o, json_string(pc->options[i] ? pc->options[i] : ""));
        p = json_pack("{s:s,s:s,s:o,s:b}", "k", "start", "q", pc->question, "o", o, "m",
                      pc->has_allowmultiple && pc->allowmultiple);
        if (p && (f = open_memstream(&t, &len))) {
            fprintf(f, "%s\n", pc->question);
            for (i = 0; i < pc->n_options; i++)
                fprintf(f, "\n%zu. %s", i + 1, pc->options[i] ? pc->options[i] : "");
            if (fclose(f) == 0)
                *text = t;
            else
                free(t);
        }
    } else if (dm->pollvote) {
        const Signalservice__DataMessage__PollVote *pv = dm->pollvote;
        if (!pv->has_targetsenttimestamp || !pv->has_targetauthoracibinary ||
            pv->targetauthoracibinary.len != 16 ||
            sig_service_id_format(aci, pv->targetauthoracibinary.data, 16) != 0)
            return NULL;
        o = json_array();
        for (i = 0; o && i < pv->n_optionindexes; i++)
            json_array_append_new(o, json_integer(pv->optionindexes[i]));
        p = json_pack("{s:s,s:s,s:I,s:o,s:I}", "k", "vote", "author", aci, "ts",
                      (json_int_t)pv->targetsenttimestamp, "o", o, "n",
                      (json_int_t)(pv->has_votecount ? pv->votecount : 0));
        *text = strdup(pv->n_optionindexes ? "voted in a poll" : "took back a poll vote");
    } else if (dm->pollterminate && dm->pollterminate->has_targetsenttimestamp) {
        /* a poll is ended by its author: the target is the sender's own
         * message (mautrix-signal convertPollTerminateToMatrix) */
        p = json_pack("{s:s,s:s,s:I}", "k", "end", "author", sender, "ts",
                      (json_int_t)dm->pollterminate->targetsenttimestamp);
        *text = strdup("ended a poll");
    }
    if (p && !*text) {
        json_decref(p);
        p = NULL;
    }
    return p;
}

br_net_event *br_sigkind_poll(const char *owner, const sig_message *m, const char *chat,
                              const char *me)
{
    Signalservice__Content *ct;
    const Signalservice__DataMessage *dm;
    br_net_event *ev = NULL;
    const char *sender = br_sigchat_mine(m, me) && me ? me : m->sender;
    json_t *p = NULL, *wrap = NULL;
    char *text = NULL;

    if (!m->content || !sender ||
        !(ct = signalservice__content__unpack(NULL, m->content_len, m->content)))
        return NULL;
    dm = ct->datamessage ? ct->datamessage
       : ct->syncmessage && ct->syncmessage->sent ? ct->syncmessage->sent->message : NULL;
    if (!dm || !(dm->pollcreate || dm->pollvote || dm->pollterminate) ||
        !(ev = calloc(1, sizeof(*ev))))
        goto out;
    if (!(p = poll_json(dm, sender, &text))) {
        /* a poll without question or options, or a vote or end without its
         * poll: told, never released silently (issue #17 item 7) */
        text = strdup(dm->pollcreate ? "sent a poll this bridge cannot show: it has no question"
                                       " or no options. Open Signal on your phone to see it."
                                     : "sent a poll vote this bridge cannot read: it does not"
                                       " name its poll.");
        p = json_true();
    }
    ev->kind = BR_NET_MESSAGE;
    ev->owner = strdup(owner);
    ev->chat_id = strdup(chat);
    ev->sender = strdup(sender);
    ev->from_me = br_sigchat_mine(m, me);
    ev->ts = (int64_t)(m->data_timestamp ? m->data_timestamp : m->timestamp);
    ev->durable_id = (uint64_t)m->id;
    ev->text = text;
    text = NULL;
    if (json_is_true(p))
        ev->fmt = strdup(BR_SIGKIND_FMT); /* a notice after the sender's name */
    else if ((wrap = json_pack("{s:O}", "poll", p)))
        ev->fmt = json_dumps(wrap, JSON_COMPACT);
    json_decref(wrap);
    if (!ev->owner || !ev->chat_id || !ev->sender || !ev->fmt) {
        br_net_event_free(ev);
        ev = NULL;
    }
out:
    free(text);
    json_decref(p);
    signalservice__content__free_unpacked(ct, NULL);
    return ev;
}

int br_sigkind_view_once(const sig_message *m)
{
    Signalservice__Content *ct;
    const Signalservice__DataMessage *dm;
    int v = 0;

    if (!m->content || !(ct = signalservice__content__unpack(NULL, m->content_len, m->content)))
        return 0;
    dm = ct->datamessage ? ct->datamessage
       : ct->syncmessage && ct->syncmessage->sent ? ct->syncmessage->sent->message : NULL;
    v = dm && dm->has_isviewonce && dm->isviewonce;
    signalservice__content__free_unpacked(ct, NULL);
    return v;
}
