/* br_sigrel.c - a received reaction/delete/edit as a BR_NET_RELATION. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "br_sigchat.h"
#include "br_sigfmt.h"
#include "br_sigrel.h"

int br_sigrel_event(const char *owner, const char *me, const sig_message *m,
                    br_net_event **out)
{
    sig_relation r;
    br_net_event *ev;
    const char *peer, *sender;
    char chat[96];
    int rc;

    *out = NULL;
    if (!m->content)
        return 0;
    rc = sig_content_relation(m->content, m->content_len, &r);
    if (rc == 0 && r.kind == SIG_REL_NONE) {
        sig_relation_clear(&r);
        return 0;
    }
    /* malformed relations end here; in a group (the DataMessage carries
     * its context) the chat is the group, whoever wrote */
    peer = r.from_self ? (r.destination[0] ? r.destination : m->destination) : m->sender;
    sender = r.from_self ? me : m->sender;
    if (rc == 0 && m->group_master_key && br_sigchat_of(m, me, chat, sizeof(chat)) != 0)
        rc = UT_ERR_INVAL;
    else if (rc == 0 && !m->group_master_key && peer && me && strcmp(peer, me) == 0)
        snprintf(chat, sizeof(chat), "self"); /* Note to Self (br_sigchat_of) */
    else if (rc == 0 && !m->group_master_key && peer)
        snprintf(chat, sizeof(chat), "dm:%s", peer);
    if (rc != 0 || (!m->group_master_key && (!peer || !*peer)) || !sender || !owner) {
        sig_relation_clear(&r);
        return 1;
    }
    ev = calloc(1, sizeof(*ev));
    if (ev) {
        ev->kind = BR_NET_RELATION;
        ev->owner = strdup(owner);
        ev->chat_id = strdup(chat);
        ev->sender = strdup(sender);
        ev->from_me = r.from_self || (me && strcmp(sender, me) == 0);
        ev->ts = (int64_t)(r.ts ? r.ts : m->timestamp);
        ev->durable_id = (uint64_t)m->id;
        ev->rel = r.kind == SIG_REL_REACTION ? BR_REL_REACTION
                : r.kind == SIG_REL_DELETE ? BR_REL_DELETE : BR_REL_EDIT;
        /* only authors delete or edit: the target is the sender's own */
        ev->target_author = strdup(r.kind == SIG_REL_REACTION ? r.target_author : sender);
        ev->target_ts = (int64_t)r.target_ts;
        ev->remove = r.remove;
        ev->text = r.text; /* taken over */
        r.text = NULL;
        if (ev->rel == BR_REL_EDIT) /* the new text's formatting (issue #17) */
            ev->fmt = br_sigfmt_json(m);
        if (!ev->owner || !ev->chat_id || !ev->sender || !ev->target_author) {
            br_net_event_free(ev);
            ev = NULL;
        }
    }
    sig_relation_clear(&r);
    *out = ev;
    return 1;
}

br_net_event *br_sigrel_ephemeral(const char *owner, int typing, const char *peer,
                                  int read, const uint64_t *ts, size_t n, int started,
                                  const uint8_t *group_id)
{
    br_net_event *ev;
    char chat[96];
    uint64_t max = 0;
    size_t i;

    if (!owner || !peer || !*peer || (!typing && (!read || !ts || n == 0)))
        return NULL;
    for (i = 0; !typing && i < n; i++)
        if (ts[i] > max)
            max = ts[i];
    if (!(ev = calloc(1, sizeof(*ev))))
        return NULL;
    if (typing && group_id)
        (void)br_sigchat_gid(group_id, chat, sizeof(chat));
    else
        snprintf(chat, sizeof(chat), "dm:%s", peer);
    ev->kind = typing ? BR_NET_TYPING : BR_NET_RECEIPT;
    ev->owner = strdup(owner);
    ev->chat_id = strdup(chat);
    ev->sender = strdup(peer);
    ev->code = typing ? started != 0 : 0;
    ev->ts = (int64_t)max;
    if (!ev->owner || !ev->chat_id || !ev->sender) {
        br_net_event_free(ev);
        return NULL;
    }
    return ev;
}

int br_sigrel_reads(const char *owner, const sig_message *m, br_net_event ***out)
{
    sig_read_entry *r = NULL;
    size_t n = 0, i, j;
    int k = 0;

    *out = NULL;
    if (!m->content || !owner || sig_content_reads(m->content, m->content_len, &r, &n) != 1)
        return -1;
    if (n > 0 && !(*out = calloc(n, sizeof(**out)))) {
        free(r);
        return 0;
    }
    for (i = 0; i < n; i++) {
        br_net_event *ev = NULL;
        for (j = 0; j < (size_t)k; j++)
            if (strcmp((*out)[j]->sender, r[i].sender) == 0)
                ev = (*out)[j];
        if (ev) {
            if ((int64_t)r[i].ts > ev->ts)
                ev->ts = (int64_t)r[i].ts;
            continue;
        }
        ev = br_sigrel_ephemeral(owner, 0, r[i].sender, 1, &r[i].ts, 1, 0, NULL);
        if (!ev)
            continue;
        ev->from_me = 1;
        (*out)[k++] = ev;
    }
    free(r);
    return k;
}
