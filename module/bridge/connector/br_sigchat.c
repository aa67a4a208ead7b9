/*
 * br_sigchat.c - Signal messages and synced records to bridge chat ids.
 *
 * Groups are named by their 32-byte identifier (hex), not the master key:
 * the identifier is public (it is what the group server and typing
 * indicators use), the master key is a secret and must not reach the
 * bridge's tables or logs.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "br_sigchat.h"
#include "sig_groups.h"
#include "ut.h"

int br_sigchat_gid(const uint8_t gid[32], char *chat, size_t n)
{
    size_t i;

    if (n < sizeof("group:") + 64)
        return UT_ERR_RANGE;
    memcpy(chat, "group:", 6);
    for (i = 0; i < 32; i++)
        snprintf(chat + 6 + 2 * i, 3, "%02x", gid[i]);
    return 0;
}

static int group_chat(const uint8_t *master_key, char *chat, size_t n)
{
    uint8_t gid[32];
    int rc;

    if (n < sizeof("group:") + 64)
        return UT_ERR_RANGE;
    if ((rc = sig_group_id(gid, master_key)) != 0)
        return rc;
    return br_sigchat_gid(gid, chat, n);
}

int br_sigchat_mine(const sig_message *m, const char *me)
{
    return m->from_self || (me && m->sender && strcmp(m->sender, me) == 0);
}

int br_sigchat_of(const sig_message *m, const char *me, char *chat, size_t n)
{
    int w;

    if (m->group_master_key)
        return group_chat(m->group_master_key, chat, n);
    if (m->from_self && !m->destination)
        return 1;
    /* A plain DataMessage from our own ACI (another device of the user's
     * that sent to its own account, not a transcript) is Note to Self, as
     * in Signal's apps: Signal-Desktop ts/textsecure/MessageReceiver.ts
     * handleDataMessage dispatches it with source = our ACI (isMe), whose
     * conversation is Note to Self; signalmeow pkg/signalmeow/receiving.go
     * incomingDataMessage gives it ChatID = the sender (our ACI), which
     * mautrix-signal pkg/connector/chatinfo.go makeCreateDMResponse makes
     * "Signal Note to Self". Not a DM with a ghost of the user. */
    if (m->from_self ? me && strcmp(m->destination, me) == 0 : br_sigchat_mine(m, me))
        w = snprintf(chat, n, "self");
    else
        w = snprintf(chat, n, "dm:%s", m->from_self ? m->destination : m->sender);
    return w < 0 || (size_t)w >= n ? UT_ERR_RANGE : 0;
}

static br_net_event *chat_event(const char *owner, const char *chat)
{
    br_net_event *ev = calloc(1, sizeof(*ev));

    if (!ev)
        return NULL;
    ev->kind = BR_NET_CHAT;
    ev->owner = strdup(owner);
    ev->chat_id = strdup(chat);
    if (!ev->owner || !ev->chat_id) {
        br_net_event_free(ev);
        return NULL;
    }
    return ev;
}

br_net_event *br_sigchat_group(const char *owner, const sig_group *g)
{
    br_net_event *ev;
    char chat[80];

    if (!g || !g->master_key || group_chat(g->master_key, chat, sizeof(chat)) != 0)
        return NULL;
    /* a blocked group is told too: the bridge must drop its messages */
    if ((ev = chat_event(owner, chat)))
        ev->code = g->blocked ? BR_NET_CHAT_BLOCKED : 0;
    return ev;
}

br_net_event *br_sigchat_contact(const char *owner, const sig_contact *ct)
{
    br_net_event *ev;
    char chat[80];

    /* Only chats the user accepted (profile shared), not every number in
     * the phone's address book. */
    if (!ct || !ct->aci || !ct->whitelisted || ct->blocked)
        return NULL;
    snprintf(chat, sizeof(chat), "dm:%s", ct->aci);
    ev = chat_event(owner, chat);
    if (ev && ct->number && !(ev->phone = strdup(ct->number))) {
        br_net_event_free(ev);
        return NULL;
    }
    return ev;
}

br_net_event *br_sigchat_self(const char *owner)
{
    return chat_event(owner, "self");
}

br_net_event *br_sigchat_group_info(const char *owner, const sig_group_info *g,
                                    const char *me)
{
    char chat[80];
    br_net_event *ev;
    size_t i;

    if (!g || br_sigchat_gid(g->group_id, chat, sizeof(chat)) != 0 ||
        !(ev = chat_event(owner, chat)))
        return NULL;
    ev->kind = BR_NET_GROUP_INFO;
    ev->code = (int)(g->revision & 0x7fffffff);
    /* Group.disappearingMessagesTimer, opened with the group's blob key
     * (sig_gstate.c): a group's timer lives on the groups server */
    ev->timer_known = 1;
    ev->chat_timer = g->timer;
    if (!(ev->text = strdup(g->title ? g->title : "")) ||
        (g->avatar && !(ev->avatar = strdup(g->avatar))) ||
        (g->n_members && !(ev->members = calloc(g->n_members, sizeof(*ev->members))))) {
        br_net_event_free(ev);
        return NULL;
    }
    for (i = 0; i < g->n_members; i++) {
        if (me && strcmp(g->members[i].aci, me) == 0)
            continue;
        if (!(ev->members[ev->n_members] = strdup(g->members[i].aci))) {
            br_net_event_free(ev);
            return NULL;
        }
        ev->n_members++;
    }
    return ev;
}

int br_sigchat_parse_gid(const char *chat_id, uint8_t gid[32])
{
    size_t i;

    if (!chat_id || strncmp(chat_id, "group:", 6) != 0 || strlen(chat_id) != 6 + 64)
        return UT_ERR_INVAL;
    for (i = 0; i < 32; i++) {
        unsigned v;
        if (sscanf(chat_id + 6 + 2 * i, "%2x", &v) != 1 ||
            !strchr("0123456789abcdef", chat_id[6 + 2 * i]) ||
            !strchr("0123456789abcdef", chat_id[7 + 2 * i]))
            return UT_ERR_INVAL;
        gid[i] = (uint8_t)v;
    }
    return 0;
}
