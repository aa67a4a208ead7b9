/*
 * br_access.c - who is bridged. br_config_may_bridge() decides (the bridge
 * is enabled and the user has at least `user`); this file applies that one
 * answer at start and for the Signal side's events, and br_bridge.c asks it
 * at every Matrix entry point. A user without access is not bridged either
 * way: their Signal login is not connected (br_signal.c asks the same
 * question before starting it), their rows are kept, they are told once in
 * their bot room, and they can still `logout` (br_bot.c).
 *
 * mxhs reads the module config only at start (there is no reload), so a
 * change of `permissions` or `enabled` takes effect at the next start.
 */
#include "config.h"

#include <string.h>

#include "br_internal.h"
#include "br_store.h"

int br_access_ok(const br_bridge *b, const char *user_id)
{
    return br_config_may_bridge(&b->cfg, user_id);
}

int br_bridge_may_bridge(const br_bridge *b, const char *user_id)
{
    return br_access_ok(b, user_id);
}

/* 1 when `owner` was already told that access is gone. */
static int told(br_bridge *b, const char *owner)
{
    int found = br_store_access_notice_exists(b->db, owner);

    return found != 0; /* no second notice when the database cannot say */
}

/* Stored before the notice is sent: at most one notice per loss. */
static int remember_told(br_bridge *b, const char *owner)
{
    return br_store_access_notice_put(b->db, owner, ut_now_ms());
}

int br_access_forget(br_bridge *b, const char *owner)
{
    return br_store_access_notice_delete(b->db, owner) == 1;
}

static void lost(br_bridge *b, const char *owner)
{
    char room[256];

    if (b->cfg.enabled) /* `enabled: false` has its own single line */
        ut_logf(&b->log, UT_LOG_INFO,
                "bridge: %s has no access in `permissions`: their Signal login is not connected, "
                "their data is kept", owner);
    if (told(b, owner) || remember_told(b, owner) != 0 || !br_mgmt_room(b, owner, room, sizeof(room)))
        return;
    if (b->cfg.enabled)
        br_notice(b, room, "You no longer have access to this Signal bridge, so your Signal chats are not "
                           "bridged any more. Your Signal account stays linked and nothing is deleted: if "
                           "the administrator gives you access again, bridging resumes. Send `logout` to "
                           "unlink it.");
    else
        br_notice(b, room, "The administrator turned this Signal bridge off, so your Signal chats are not "
                           "bridged for now. Your Signal account stays linked and nothing is deleted. Send "
                           "`logout` to unlink it.");
}

void br_access_start(br_bridge *b)
{
    br_login *l;
    char room[256];

    if (!b->cfg.enabled)
        ut_logf(&b->log, UT_LOG_WARN,
                "bridge: `enabled: false` in the config: nothing is bridged for anyone and no Signal "
                "login is connected (their data is kept; users can only `logout`)");
    for (l = b->logins; l; l = l->next) {
        if (!l->number)
            continue;
        if (!br_access_ok(b, l->owner))
            lost(b, l->owner);
        else if (br_access_forget(b, l->owner) && br_mgmt_room(b, l->owner, room, sizeof(room)))
            br_notice(b, room, "You have access to this Signal bridge again: your Signal chats are bridged.");
    }
}

int br_access_net_event(br_bridge *b, const br_net_event *ev)
{
    switch (ev->kind) {
    case BR_NET_LINK_URL:    /* the account's own life: the bot room */
    case BR_NET_LINKED:
    case BR_NET_LINK_FAILED:
    case BR_NET_UNLINKED:
    case BR_NET_CONNECTION:
    case BR_NET_SEND_RESULT: /* answers to work started with access */
    case BR_NET_RELATE_RESULT:
    case BR_NET_DOWNLOADED:
        return 1;
    default:
        /* Not confirmed, so the Signal side keeps it (br_net.h confirm). */
        return br_access_ok(b, ev->owner);
    }
}
