/* br_sigkind.c - notices for what cannot be bridged (br_sigkind.h).
 *
 * What each kind is, from Signal-Desktop protos/SignalService.proto
 * (CallingMessage, DataMessage.storyContext / payment / giftBadge /
 * contact / isViewOnce / requiredProtocolVersion); that a message of an
 * unknown kind and a payment each get a notice, from mautrix-signal
 * pkg/msgconv/from-signal.go ("The bridge does not support this message
 * type yet.", "Payments are not yet supported"), and a call from
 * pkg/connector/handlesignal.go convertCallEvent ("Incoming call",
 * "Call ended"). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "SignalService.pb-c.h"
#include "br_sigchat.h"
#include "br_sigkind.h"

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
    if (dm->has_pollcreate)
        what = "sent a poll, which cannot be bridged yet. Open Signal on your phone to vote.";
    else if (dm->has_pollvote)
        what = "voted in a poll (polls cannot be bridged yet).";
    else if (dm->has_pollterminate)
        what = "ended a poll (polls cannot be bridged yet).";
    else if (dm->has_pinmessage)
        what = "pinned a message (pins cannot be bridged yet).";
    else if (dm->has_payment)
        what = "sent a payment, which cannot be bridged. Open Signal on your phone to see it.";
    else if (dm->has_giftbadge)
        what = "sent a gift badge, which cannot be bridged. Open Signal on your phone to see it.";
    else if (dm->has_isviewonce && dm->isviewonce)
        /* not bridged: a copy in Matrix would stay, which view-once forbids */
        what = "sent a view-once photo or video. Open it in Signal on your phone: view-once"
               " media are not kept by the bridge.";
    else if (dm->n_contact > 0 && !(dm->body && *dm->body) && !dm->n_attachments)
        what = "shared a contact card, which cannot be bridged yet. Open Signal on your phone"
               " to see it.";
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
