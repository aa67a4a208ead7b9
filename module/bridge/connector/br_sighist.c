/* br_sighist.c - SIG_EV_HISTORY (the phone's history at link, sig_history.h)
 * as br_net_events for the bridge (Signal thread): START with the counts,
 * then for every chat a CHAT (opens its portal: the archive's chat list is
 * the truth, 1:1 chats included) and its messages oldest first as MESSAGE
 * (original timestamp, the author as sender, ours from_me, a reply's quote
 * as BR_NET_FMT), each reaction as a RELATION after its message, then DONE
 * carrying BR_SIG_HISTORY_DURABLE to confirm. None of them has a durable
 * id of its own: the history is handed over whole again (same timestamps,
 * so the bridge's idempotency keys drop what it has) until DONE is
 * confirmed. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "SignalService.pb-c.h"
#include "br_sigchat.h"
#include "br_signal_int.h"
#include "sig_err.h"
#include "sig_history.h"

static int chat_id_of(const sig_hist_chat *hc, char *out, size_t n)
{
    uint8_t gid[32];

    switch (hc->kind) {
    case SIG_HIST_CONTACT:
        return snprintf(out, n, "dm:%s", hc->aci) < (int)n ? 0 : UT_ERR_RANGE;
    case SIG_HIST_SELF:
        return snprintf(out, n, "self") < (int)n ? 0 : UT_ERR_RANGE;
    case SIG_HIST_GROUP:
        if (sig_group_id(gid, hc->master_key) != 0)
            return UT_ERR_INVAL;
        return br_sigchat_gid(gid, out, n);
    default:
        return UT_ERR_INVAL;
    }
}

static char *quote_fmt(const sig_hist_msg *m, const char *me)
{
    json_t *o;
    char *s;

    if (!m->quote_ts)
        return NULL;
    o = json_pack("{s:{s:I,s:s,s:s}}", "q", "ts", (json_int_t)m->quote_ts, "author",
                  m->quote_author[0] ? m->quote_author : (me ? me : ""), "text",
                  m->quote_text ? m->quote_text : "");
    s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return s;
}

/* A message the bridge can show: text or an attachment still there, and
 * an author it can name. */
static int shown(const sig_hist_msg *m, const char *me)
{
    const char *sender = m->outgoing ? me : m->author;

    return sender && *sender && !m->deleted && (m->body || m->n_atts);
}

/* An archive attachment as the Signal AttachmentPointer the live path
 * downloads (the same fields: cdnKey, cdnNumber, key, digest, size;
 * SignalService.proto), so the bridge fetches, checks the digest,
 * decrypts and uploads it like any other. MessageAttachment.Flag
 * (libsignal backup.proto: VOICE_MESSAGE 1, BORDERLESS 2, GIF 3) maps to
 * the pointer's flags (VOICE_MESSAGE 1, BORDERLESS 2, GIF 8). mautrix-signal
 * does the same (pkg/msgconv/from-signal-backup.go backupToSignalAttachment);
 * unlike it we need the encrypted digest: the download checks it. */
static int att_of(const sig_hist_att *h, br_net_attachment *a)
{
    Signalservice__AttachmentPointer p = SIGNALSERVICE__ATTACHMENT_POINTER__INIT;
    size_t n;

    p.cdnkey = h->cdn_key;
    p.has_cdnnumber = 1;
    p.cdnnumber = h->cdn_number;
    p.has_key = 1;
    p.key.data = (uint8_t *)h->key;
    p.key.len = sizeof(h->key);
    p.has_digest = 1;
    p.digest.data = (uint8_t *)h->digest;
    p.digest.len = sizeof(h->digest);
    p.has_size = h->size != 0;
    p.size = h->size;
    p.contenttype = h->content_type;
    p.filename = h->file_name;
    p.has_width = h->width != 0;
    p.width = h->width;
    p.has_height = h->height != 0;
    p.height = h->height;
    p.has_flags = h->flag == 1 || h->flag == 2 || h->flag == 3;
    p.flags = h->flag == 1 ? 1 : h->flag == 2 ? 2 : h->flag == 3 ? 8 : 0;
    p.has_uploadtimestamp = h->upload_ts != 0;
    p.uploadtimestamp = h->upload_ts;
    n = signalservice__attachment_pointer__get_packed_size(&p);
    if (!(a->pointer = malloc(n)))
        return UT_ERR_NOMEM;
    a->pointer_len = signalservice__attachment_pointer__pack(&p, a->pointer);
    a->content_type = br_sig_dup(h->content_type);
    a->file_name = br_sig_dup(h->file_name);
    a->size = h->size;
    a->width = h->width;
    a->height = h->height;
    a->flags = h->flag == 1 ? BR_NET_ATT_VOICE : h->flag == 3 ? BR_NET_ATT_GIF : 0;
    if ((h->content_type && !a->content_type) || (h->file_name && !a->file_name))
        return UT_ERR_NOMEM;
    return 0;
}

/* A RELATION of `rel` on the message (sender, target_ts) in `chat`. */
static br_net_event *relation(account *a, int rel, const char *chat, const char *who, int from_me,
                              uint64_t ts, const char *target_author, uint64_t target_ts,
                              const char *text)
{
    br_net_event *ev;

    if (!who || !ts || !text || !(ev = br_sig_ev_new(BR_NET_RELATION, a->owner)))
        return NULL;
    ev->rel = rel;
    ev->chat_id = strdup(chat);
    ev->sender = strdup(who);
    ev->from_me = from_me;
    ev->ts = (int64_t)ts;
    ev->target_author = strdup(target_author);
    ev->target_ts = (int64_t)target_ts;
    ev->text = strdup(text);
    if (!ev->chat_id || !ev->sender || !ev->target_author || !ev->text) {
        br_net_event_free(ev);
        ev = NULL;
    }
    return ev;
}

/* An edited message goes over as Signal had it: the original (revs[0],
 * whose dateSent names the message: replies, reactions and the edits
 * target it) as the MESSAGE, then every later version, the current text
 * last, as an EDIT relation with that version's dateSent (libsignal
 * backup.proto ChatItem.revisions "ordered from oldest to newest"; the
 * test case incoming-message-with-edits.jsonproto has the latest
 * version's dateSent on the top-level item). */
static void emit_msgs(account *a, const sig_hist_chat *hc, const char *chat, const char *me)
{
    br_signal *s = a->s;
    size_t i, k;

    for (i = 0; i < hc->n_msgs; i++) {
        const sig_hist_msg *m = &hc->msgs[i];
        const char *sender = m->outgoing ? me : m->author;
        int edits = m->n_revs && m->revs[0].body;
        uint64_t ts = edits ? m->revs[0].ts : m->ts; /* the message's name */
        br_net_event *ev;

        if (!shown(m, me))
            continue; /* nothing to show, or an author we cannot name */
        if ((ev = br_sig_ev_new(BR_NET_MESSAGE, a->owner))) {
            ev->chat_id = strdup(chat);
            ev->sender = strdup(sender);
            const char *text = edits ? m->revs[0].body : m->body;
            int bad = 0;
            ev->text = text ? strdup(text) : NULL;
            ev->fmt = quote_fmt(m, me);
            ev->from_me = m->outgoing;
            ev->ts = (int64_t)ts;
            if (m->n_atts && !(ev->atts = calloc(m->n_atts, sizeof(*ev->atts))))
                bad = 1;
            for (k = 0; !bad && k < m->n_atts; k++, ev->n_atts++)
                bad = att_of(&m->atts[k], &ev->atts[k]) != 0;
            if (bad || !ev->chat_id || !ev->sender || (text && !ev->text)) {
                br_net_event_free(ev);
                ev = NULL;
            }
        }
        br_sig_emit(s, ev);
        for (k = 1; edits && k <= m->n_revs; k++) {
            const char *text = k < m->n_revs ? m->revs[k].body : m->body;
            uint64_t ets = k < m->n_revs ? m->revs[k].ts : m->ts;
            if (text)
                br_sig_emit(s, relation(a, BR_REL_EDIT, chat, sender, m->outgoing, ets, sender, ts,
                                        text));
        }
        for (k = 0; k < m->n_reactions; k++) {
            const sig_hist_reaction *r = &m->reactions[k];
            br_sig_emit(s, relation(a, BR_REL_REACTION, chat, r->author[0] ? r->author : me,
                                    !r->author[0], r->ts, sender, ts, r->emoji));
        }
    }
}

/* The phone's read marker in a chat: after the last shown message before
 * the first incoming one the phone has unread (IncomingMessageDetails.read,
 * libsignal backup.proto; outgoing messages are read). None when the user
 * marked the chat unread (Chat.markedUnread) or read none of it. */
static void emit_read(account *a, const sig_hist_chat *hc, const char *chat, const char *me)
{
    const sig_hist_msg *mark = NULL;
    br_net_event *ev;
    size_t i;

    if (hc->marked_unread)
        return;
    for (i = 0; i < hc->n_msgs; i++) {
        const sig_hist_msg *m = &hc->msgs[i];
        if (!m->outgoing && !m->read)
            break;
        if (shown(m, me))
            mark = m;
    }
    if (!mark || !(ev = br_sig_ev_new(BR_NET_HISTORY, a->owner)))
        return;
    ev->code = BR_NET_HIST_READ;
    ev->chat_id = strdup(chat);
    ev->sender = strdup(mark->outgoing ? me : mark->author);
    /* an edited message is named by its original (emit_msgs) */
    ev->ts = (int64_t)(mark->n_revs && mark->revs[0].body ? mark->revs[0].ts : mark->ts);
    if (!ev->chat_id || !ev->sender) {
        br_net_event_free(ev);
        ev = NULL;
    }
    br_sig_emit(a->s, ev);
}

void br_sighist_event(account *a, const sig_event *e)
{
    br_signal *s = a->s;
    const sig_history *h = e->history;
    const char *me = sig_client_aci(a->c);
    br_net_event *ev;
    size_t i, j, n_chats = 0, n_msgs = 0;
    char chat[96];

    if (e->err || !h) {
        if ((ev = br_sig_ev_new(BR_NET_HISTORY, a->owner))) {
            ev->code = e->err == SIG_ERR_HISTORY_RELINK    ? BR_NET_HIST_RELINK
                       : e->err == SIG_ERR_HISTORY_SKIPPED ? BR_NET_HIST_SKIPPED
                                                           : BR_NET_HIST_FAILED;
            ev->text = br_sig_dup(sig_strerror(e->err));
        }
        br_sig_emit(s, ev);
        return;
    }
    for (i = 0; i < h->n_chats; i++)
        if (!h->chats[i].blocked) {
            n_chats++;
            for (j = 0; j < h->chats[i].n_msgs; j++)
                n_msgs += shown(&h->chats[i].msgs[j], me);
        }
    if ((ev = br_sig_ev_new(BR_NET_HISTORY, a->owner))) {
        ev->code = BR_NET_HIST_START;
        ev->target_ts = (int64_t)n_chats;
        ev->ts = (int64_t)n_msgs;
    }
    br_sig_emit(s, ev);
    for (i = 0; i < h->n_chats; i++) {
        const sig_hist_chat *hc = &h->chats[i];
        if (chat_id_of(hc, chat, sizeof(chat)) != 0)
            continue;
        if ((ev = br_sig_ev_new(BR_NET_CHAT, a->owner))) {
            ev->chat_id = strdup(chat);
            ev->phone = hc->number[0] ? strdup(hc->number) : NULL;
            ev->code = hc->blocked ? BR_NET_CHAT_BLOCKED : 0;
            if (!ev->chat_id) {
                br_net_event_free(ev);
                ev = NULL;
            }
        }
        br_sig_emit(s, ev);
        if (hc->kind == SIG_HIST_CONTACT && hc->name &&
            (ev = br_sig_ev_new(BR_NET_CONTACT, a->owner))) {
            ev->id = strdup(hc->aci);
            ev->text = strdup(hc->name);
            ev->phone = hc->number[0] ? strdup(hc->number) : NULL;
            br_sig_emit(s, ev);
        }
        if (!hc->blocked) {
            emit_msgs(a, hc, chat, me);
            emit_read(a, hc, chat, me);
        }
    }
    if ((ev = br_sig_ev_new(BR_NET_HISTORY, a->owner))) {
        ev->code = BR_NET_HIST_DONE;
        ev->target_ts = (int64_t)n_chats;
        ev->ts = (int64_t)n_msgs;
        ev->durable_id = BR_SIG_HISTORY_DURABLE;
    }
    br_sig_emit(s, ev);
}
