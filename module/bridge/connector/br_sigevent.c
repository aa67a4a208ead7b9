/*
 * br_sigevent.c - what a linked account's sig_client reports, as
 * br_net_events for the bridge (Signal thread): messages and relations,
 * receipts and typing, link and connection state, contacts, groups and
 * their state, safety-number changes.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "SignalService.pb-c.h"
#include "br_sigchat.h"
#include "br_sigcontact.h"
#include "br_sigfmt.h"
#include "br_sigkind.h"
#include "br_signal_int.h"
#include "br_sigrel.h"
#include "sig_err.h"
#include "sig_groups.h"
#include "sn_err.h"

/* ---- sig_client events (Signal thread) ---------------------------------- */

static void remember_contact(br_signal *s, const char *owner, const char *number,
                             const char *aci)
{
    contact *k;

    if (!number || !aci)
        return;
    for (k = s->contacts; k; k = k->next)
        if (strcmp(k->owner, owner) == 0 && strcmp(k->number, number) == 0) {
            free(k->aci);
            k->aci = strdup(aci);
            return;
        }
    k = calloc(1, sizeof(*k));
    if (!k)
        return;
    k->owner = strdup(owner);
    k->number = strdup(number);
    k->aci = strdup(aci);
    k->next = s->contacts;
    s->contacts = k;
}

int br_sig_net_code(int err)
{
    switch (err) {
    case 0: return 0;
    case SIG_ERR_RATE_LIMIT:
    case SIG_ERR_CHALLENGE: return BR_NET_ERR_RATE_LIMIT;
    case SIG_ERR_UNREGISTERED: return BR_NET_ERR_UNREGISTERED;
    case SIG_ERR_LINK_TIMEOUT: return BR_NET_ERR_TIMEOUT;
    case SIG_ERR_LINK_CAPABILITY: return BR_NET_ERR_CAPABILITY;
    case SIG_ERR_DEVICE_LIMIT: return BR_NET_ERR_DEVICE_LIMIT;
    case SIG_ERR_LINK_CODE: return BR_NET_ERR_LINK_CODE;
    case SIG_ERR_OUTDATED: return BR_NET_ERR_OUTDATED;
    case SIG_ERR_UNLINKED: return BR_NET_ERR_UNLINKED;
    case SN_ERR_TLS_VERIFY: return BR_NET_ERR_TLS;
    case SN_ERR_DNS: return BR_NET_ERR_DNS;
    case SN_ERR_CONNECT: return BR_NET_ERR_UNREACHABLE;
    case SIG_ERR_STATE: return BR_NET_ERR_OFFLINE; /* the socket is not up */
    case SIG_ERR_HTTP:      /* 5xx among others: the age limit bounds it */
    case SIG_ERR_RETRIES:
    case SIG_ERR_CANCELLED: return BR_NET_ERR_TEMPORARY;
    case SIG_ERR_NOT_MEMBER: return BR_NET_ERR_NOT_MEMBER;
    case SIG_ERR_GROUP_ACCESS: return BR_NET_ERR_FORBIDDEN;
    case SIG_ERR_TOO_BIG: return BR_NET_ERR_TOO_BIG;
    default: return err <= -1200 && err > -1300 ? BR_NET_ERR_NETWORK : BR_NET_ERR_INTERNAL;
    }
}

/* A link preview's image as attachment `a` (BR_NET_ATT_PREVIEW), after
 * the message's own: the bridge uploads it for com.beeper.linkpreviews, as
 * mautrix-signal pkg/msgconv/urlpreview.go convertURLPreviewToBeeper
 * reuploads Preview.image. */
static int copy_preview_image(br_net_attachment *a, const Signalservice__AttachmentPointer *p)
{
    size_t len = signalservice__attachment_pointer__get_packed_size(p);

    a->content_type = br_sig_dup(p->contenttype && *p->contenttype ? p->contenttype : "image/jpeg");
    a->size = p->has_size ? p->size : 0;
    a->width = p->has_width ? p->width : 0;
    a->height = p->has_height ? p->height : 0;
    a->flags = BR_NET_ATT_PREVIEW;
    if (!a->content_type || !(a->pointer = malloc(len ? len : 1)))
        return UT_ERR_NOMEM;
    signalservice__attachment_pointer__pack(p, a->pointer);
    a->pointer_len = len;
    return 0;
}

static int copy_message_attachments(br_net_event *ev, const sig_message *m);

/* Copy a message's attachments into the event, with what the pointer
 * tells beyond sig_attachment (dimensions, the voice-note flag), then its
 * link previews' images, then its quote's thumbnail (br_sigfmt.c numbers
 * them the same way). */
static int copy_attachments(br_net_event *ev, const sig_message *m)
{
    Signalservice__Content *ct = m->content ? signalservice__content__unpack(NULL, m->content_len,
                                                                             m->content) : NULL;
    const Signalservice__DataMessage *dm = !ct ? NULL : ct->datamessage ? ct->datamessage
                                         : ct->syncmessage && ct->syncmessage->sent
                                             ? ct->syncmessage->sent->message : NULL;
    size_t i, n_img = 0;
    int rc = 0;

    const Signalservice__AttachmentPointer *thumb =
        dm && dm->quote && dm->quote->n_attachments && dm->quote->attachments[0]
            ? dm->quote->attachments[0]->thumbnail : NULL;

    for (i = 0; dm && i < dm->n_preview; i++)
        if (dm->preview[i]->url && *dm->preview[i]->url && dm->preview[i]->image)
            n_img++;
    if (thumb)
        n_img++;
    if (!m->n_attachments && !n_img)
        goto out;
    ev->atts = calloc(m->n_attachments + n_img, sizeof(*ev->atts));
    if (!ev->atts) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    ev->n_atts = m->n_attachments;
    for (i = 0; dm && i < dm->n_preview && rc == 0; i++)
        if (dm->preview[i]->url && *dm->preview[i]->url && dm->preview[i]->image)
            rc = copy_preview_image(&ev->atts[ev->n_atts++], dm->preview[i]->image);
    /* then the quoted attachment's thumbnail (br_sigfmt.c "q"."i") */
    if (rc == 0 && thumb && (rc = copy_preview_image(&ev->atts[ev->n_atts++], thumb)) == 0)
        ev->atts[ev->n_atts - 1].flags = BR_NET_ATT_QUOTE_THUMB;
    if (rc == 0)
        rc = copy_message_attachments(ev, m);
out:
    if (ct)
        signalservice__content__free_unpacked(ct, NULL);
    return rc;
}

/* The message's own attachments, atts[0 .. m->n_attachments). */
static int copy_message_attachments(br_net_event *ev, const sig_message *m)
{
    size_t i;

    for (i = 0; i < m->n_attachments; i++) {
        const sig_attachment *sa = &m->attachments[i];
        br_net_attachment *a = &ev->atts[i];
        Signalservice__AttachmentPointer *p =
            signalservice__attachment_pointer__unpack(NULL, sa->pointer_len, sa->pointer);

        a->content_type = br_sig_dup(sa->content_type);
        a->file_name = br_sig_dup(sa->file_name);
        a->size = sa->size;
        if (p) {
            a->width = p->has_width ? p->width : 0;
            a->height = p->has_height ? p->height : 0;
            a->flags = (p->has_flags && (p->flags & 1) ? BR_NET_ATT_VOICE : 0) | /* VOICE_MESSAGE */
                       (p->has_flags && (p->flags & 8) ? BR_NET_ATT_GIF : 0);    /* GIF */
            signalservice__attachment_pointer__free_unpacked(p, NULL);
        }
        if (sa->pointer_len && (a->pointer = malloc(sa->pointer_len))) {
            memcpy(a->pointer, sa->pointer, sa->pointer_len);
            a->pointer_len = sa->pointer_len;
        }
        if ((sa->content_type && !a->content_type) || (sa->file_name && !a->file_name) ||
            (sa->pointer_len && !a->pointer))
            return UT_ERR_NOMEM;
    }
    return 0;
}

int br_sig_media_code(int err)
{
    switch (err) {
    case SIG_ERR_DIGEST: return BR_NET_ERR_DIGEST;
    case SIG_ERR_TOO_BIG: return BR_NET_ERR_TOO_BIG;
    case SIG_ERR_HTTP: return BR_NET_ERR_HTTP;
    default: return 0;
    }
}

void br_sig_on_event(sig_client *c, const sig_event *e, void *ud)
{
    account *a = ud;
    br_signal *s = a->s;
    br_net_event *ev = NULL;
    char chat[96];

    (void)c;
    switch (e->type) {
    case SIG_EV_LINK_URL:
        if ((ev = br_sig_ev_new(BR_NET_LINK_URL, a->owner)))
            ev->text = br_sig_dup(e->link_url);
        break;
    case SIG_EV_LINKED:
        a->linking = 0;
        if ((ev = br_sig_ev_new(BR_NET_LINKED, a->owner))) {
            ev->text = br_sig_dup(e->number);
            ev->id = br_sig_dup(e->aci);
        }
        br_sig_emit(s, ev);
        ev = br_sigchat_self(a->owner);
        br_sig_emit(s, ev);
        ev = NULL;
        if (sig_client_start(a->c) == 0) {
            sig_client_request_sync(a->c);
            /* the chat socket is up already while linking */
            a->storage_read = sig_client_storage_sync(a->c) == 0;
        }
        break;
    case SIG_EV_LINK_FAILED:
        a->linking = 0;
        if (e->err == SIG_ERR_CANCELLED)
            break;
        if ((ev = br_sig_ev_new(BR_NET_LINK_FAILED, a->owner))) {
            ev->code = br_sig_net_code(e->err);
            ev->text = br_sig_dup(sig_strerror(e->err));
        }
        break;
    case SIG_EV_CONN:
        if ((ev = br_sig_ev_new(BR_NET_CONNECTION, a->owner)))
            ev->code = e->conn == SIG_CONN_ONLINE;
        /* an untrusted certificate or a name that does not resolve will not
         * heal by retrying: tell the user and the admin (br_netfail.h) */
        if (e->err == SN_ERR_TLS_VERIFY || e->err == SN_ERR_DNS) {
            br_net_event *t = br_sig_ev_new(BR_NET_CONN_TROUBLE, a->owner);
            if (t) {
                t->code = br_sig_net_code(e->err);
                t->text = br_sig_dup(sig_strerror(e->err));
            }
            br_sig_emit(s, t);
        }
        /* groups and accepted chats live in the storage service: read it
         * once per start (SIG_EV_GROUP / SIG_EV_CONTACT follow) */
        if (e->conn == SIG_CONN_ONLINE && !a->storage_read &&
            sig_client_storage_sync(a->c) == 0)
            a->storage_read = 1;
        break;
    case SIG_EV_MESSAGE: {
        const sig_message *m = e->msg;
        const char *me = sig_client_aci(a->c);
        uint32_t expire_s = 0, timer_version = 0;
        int timer_update, timer_known = 0;
        char *notice = NULL;

        if (br_sigrel_event(a->owner, me, m, &ev)) {
            if (!ev) /* a relation this bridge cannot place: release it */
                sig_client_done(a->c, m->id);
            break;
        }
        if (me && m->sender && strcmp(m->sender, me) == 0) {
            br_net_event **reads;
            int i, n = br_sigrel_reads(a->owner, m, &reads);
            if (n >= 0) { /* read markers are not worth keeping: done at once */
                for (i = 0; i < n; i++)
                    br_sig_emit(s, reads[i]);
                free(reads);
                sig_client_done(a->c, m->id);
                break;
            }
        }
        /* a disappearing-timer change: the room's state and a notice
         * (br_expire.c); a message with a timer disappears in Matrix too */
        if ((timer_update = br_sigfmt_expire(m, &expire_s, &timer_version, &timer_known)) &&
            br_sigchat_of(m, me, chat, sizeof(chat)) == 0 &&
            (ev = br_sig_ev_new(BR_NET_MESSAGE, a->owner))) {
            ev->chat_id = strdup(chat);
            ev->sender = br_sig_dup(br_sigchat_mine(m, me) && me ? me : m->sender);
            ev->from_me = br_sigchat_mine(m, me);
            ev->ts = (int64_t)(m->data_timestamp ? m->data_timestamp : m->timestamp);
            ev->durable_id = (uint64_t)m->id;
            ev->expire_s = expire_s;
            ev->timer_update = 1;
            ev->timer_version = timer_version;
            break;
        }
        /* calls, story replies, payments, ...: a notice, never dropped */
        if ((notice = br_sigkind_notice(m, me)) &&
            br_sigchat_of(m, me, chat, sizeof(chat)) == 0 &&
            (ev = br_sig_ev_new(BR_NET_MESSAGE, a->owner))) {
            ev->chat_id = strdup(chat);
            ev->sender = br_sig_dup(br_sigchat_mine(m, me) && me ? me : m->sender);
            ev->text = notice;
            ev->fmt = strdup(BR_SIGKIND_FMT);
            ev->from_me = br_sigchat_mine(m, me);
            ev->ts = (int64_t)(m->data_timestamp ? m->data_timestamp : m->timestamp);
            ev->durable_id = (uint64_t)m->id;
            break;
        }
        free(notice);
        /* polls as MSC3381 events (br_poll.c) */
        if (br_sigchat_of(m, me, chat, sizeof(chat)) == 0 &&
            (ev = br_sigkind_poll(a->owner, m, chat, me)))
            break;
        if ((!m->body || !*m->body) && !m->n_attachments && br_sigchat_of(m, me, chat, sizeof(chat)) == 0 &&
            (ev = br_sigkind_sticker(a->owner, m, chat, me))) /* a sticker: m.sticker */
            break;
        if (((!m->body || !*m->body) && !m->n_attachments && !br_sigcontact_count(m)) ||
            br_sigchat_of(m, me, chat, sizeof(chat)) != 0) {
            /* Nothing this bridge renders yet (receipts, reactions,
             * attachments-only, transcripts without a chat): release it so
             * it does not pile up. */
            sig_client_done(a->c, m->id);
            break;
        }
        if ((ev = br_sig_ev_new(BR_NET_MESSAGE, a->owner))) {
            ev->chat_id = strdup(chat);
            ev->sender = br_sig_dup(br_sigchat_mine(m, me) && me ? me : m->sender);
            ev->text = br_sig_dup(m->body);
            ev->fmt = br_sigfmt_json(m); /* ranges, quote (issue #17) */
            ev->from_me = br_sigchat_mine(m, me);
            ev->ts = (int64_t)(m->data_timestamp ? m->data_timestamp : m->timestamp);
            ev->durable_id = (uint64_t)m->id;
            ev->expire_s = expire_s;
            /* the sender's idea of the chat's timer (br_expire.c) */
            ev->timer_known = timer_known;
            ev->chat_timer = expire_s;
            ev->timer_version = timer_version;
            /* contact cards follow the files as vCard files (br_sigcontact.h) */
            if (copy_attachments(ev, m) != 0 || br_sigcontact_attach(m, ev) != 0) {
                /* not confirmed: handed over again at the next start */
                br_net_event_free(ev);
                ev = NULL;
            } else if (ev->n_atts && br_sigkind_view_once(m)) {
                /* shown, then gone 5 minutes after reading (br_sigkind.h) */
                size_t i;
                for (i = 0; i < ev->n_atts; i++)
                    ev->atts[i].flags |= BR_NET_ATT_VIEW_ONCE;
                if (!ev->expire_s || ev->expire_s > BR_NET_VIEW_ONCE_S)
                    ev->expire_s = BR_NET_VIEW_ONCE_S;
            }
        }
        break;
    }
    case SIG_EV_DECRYPT_FAILED:
        if ((ev = br_sig_ev_new(BR_NET_DECRYPT_FAILED, a->owner)) && e->peer) {
            snprintf(chat, sizeof(chat), "dm:%s", e->peer);
            ev->chat_id = strdup(chat);
            ev->sender = br_sig_dup(e->peer);
        }
        break;
    case SIG_EV_UNLINKED:
        a->refused = 1;
        if ((ev = br_sig_ev_new(BR_NET_UNLINKED, a->owner)))
            ev->code = br_sig_net_code(e->err);
        break;
    case SIG_EV_RECEIPT:
    case SIG_EV_TYPING:
        ev = br_sigrel_ephemeral(a->owner, e->type == SIG_EV_TYPING, e->peer,
                                 e->receipt_type == SIG_RECEIPT_READ, e->timestamps,
                                 e->n_timestamps, e->typing_started, e->group_id);
        break;
    case SIG_EV_IDENTITY_CHANGED: /* posted before the message it came with */
        if (e->peer && (ev = br_sig_ev_new(BR_NET_IDENTITY, a->owner))) {
            snprintf(chat, sizeof(chat), "dm:%s", e->peer);
            ev->chat_id = strdup(chat);
            ev->sender = br_sig_dup(e->peer);
        }
        break;
    case SIG_EV_SEND_DONE:
        if ((ev = br_sig_ev_new((uintptr_t)e->send_ud & REL_UD ? BR_NET_RELATE_RESULT
                                                        : BR_NET_SEND_RESULT, a->owner))) {
            ev->outbox_id = (uint64_t)((uintptr_t)e->send_ud & ~REL_UD);
            ev->code = br_sig_net_code(e->err);
            ev->ts = (int64_t)e->timestamp;
            if (e->err)
                ev->text = br_sig_dup(sig_strerror(e->err));
        }
        break;
    case SIG_EV_DOWNLOAD_DONE:
        if (br_sigcontact_avatar_done(s, a, e))
            break; /* a contact card's avatar: the card is reported */
        if ((ev = br_sig_ev_new(BR_NET_DOWNLOADED, a->owner))) {
            ev->outbox_id = (uint64_t)(uintptr_t)e->send_ud;
            ev->code = e->err ? (br_sig_media_code(e->err) ? br_sig_media_code(e->err) : br_sig_net_code(e->err)) : 0;
            if (e->err)
                ev->text = br_sig_dup(sig_strerror(e->err));
        }
        break;
    case SIG_EV_CONTACT:
        if (!e->contact || !e->contact->aci)
            break;
        remember_contact(s, a->owner, e->contact->number, e->contact->aci);
        if ((ev = br_sig_ev_new(BR_NET_CONTACT, a->owner))) {
            ev->id = br_sig_dup(e->contact->aci);
            ev->text = br_sig_dup(e->contact->name);
            ev->phone = br_sig_dup(e->contact->number);
        }
        br_sig_emit(s, ev);
        ev = br_sigchat_contact(a->owner, e->contact);
        break;
    case SIG_EV_AVATAR: /* a contact's (id) or a group's (chat_id) */
        if ((e->peer || e->group_id) && (ev = br_sig_ev_new(BR_NET_AVATAR, a->owner))) {
            char gchat[80];

            if (e->peer)
                ev->id = br_sig_dup(e->peer);
            else if (br_sigchat_gid(e->group_id, gchat, sizeof(gchat)) == 0)
                ev->chat_id = br_sig_dup(gchat);
            ev->text = br_sig_dup(e->path ? e->path : "");
            if (e->data && e->data_len && (ev->data = malloc(e->data_len))) {
                memcpy(ev->data, e->data, e->data_len);
                ev->data_len = e->data_len;
            }
            if ((!ev->id && !ev->chat_id) || !ev->text || (e->data_len && !ev->data)) {
                br_net_event_free(ev); /* out of memory: the next profile fetch retries */
                ev = NULL;
            }
        }
        break;
    case SIG_EV_GROUP:
        ev = br_sigchat_group(a->owner, e->group);
        break;
    case SIG_EV_HISTORY:
        br_sighist_event(a, e); /* emits its own events */
        break;
    case SIG_EV_GROUP_CHANGED: /* a change of ours (op_group_change) ended */
        if ((ev = br_sig_ev_new(BR_NET_GROUP_CHANGED, a->owner))) {
            char gchat[80];
            if (br_sigchat_gid(e->group_id, gchat, sizeof(gchat)) == 0)
                ev->chat_id = br_sig_dup(gchat);
            ev->rel = (int)(uintptr_t)e->send_ud; /* BR_GCHANGE_* */
            ev->code = br_sig_net_code(e->err);
            if (e->err)
                ev->text = br_sig_dup(sig_strerror(e->err));
        }
        break;
    case SIG_EV_GROUP_UPDATED: /* title and members from the groups server */
        if (e->err == 0)
            ev = br_sigchat_group_info(a->owner, e->group_info, sig_client_aci(a->c));
        else
            ut_logf(&s->log, UT_LOG_WARN, "bridge: a Signal group's title and members could not be read: %s",
                    sig_strerror(e->err));
        break;
    default:
        break;
    }
    br_sig_emit(s, ev);
}
