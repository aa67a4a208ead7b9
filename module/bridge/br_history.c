/* br_history.c - the phone's message history at link, as the user sees it
 * in the bot room: "Importing N chats…" before the chats and messages
 * (which arrive as ordinary CHAT and MESSAGE events and take the inbox
 * path, with its idempotency: br_inbox's unique (owner, sender, ts) and
 * the per-portal transaction ids of br_txn, so a restart or a relink that
 * hands the same history over again duplicates nothing), then "Done: N
 * chats, M messages". The DONE event is confirmed only here, after every
 * message before it was stored: until then the Signal side keeps the key
 * and fetches the archive again at its next start. */
#include "config.h"

#include <string.h>

#include "br_internal.h"

void br_history_net_event(br_bridge *b, const br_net_event *ev)
{
    char room[256];
    int have_room = br_mgmt_room(b, ev->owner, room, sizeof(room));
    long chats = (long)ev->target_ts, msgs = (long)ev->ts;

    switch (ev->code) {
    case BR_NET_HIST_START:
        ut_logf(&b->log, UT_LOG_INFO, "bridge: importing the phone's history: %ld chats, %ld messages",
                chats, msgs);
        if (have_room)
            br_notice(b, room, "Importing %ld chat%s from your phone's message history…", chats,
                      chats == 1 ? "" : "s");
        break;
    case BR_NET_HIST_DONE:
        if (have_room)
            br_notice(b, room, "Done: %ld chat%s, %ld message%s.", chats, chats == 1 ? "" : "s",
                      msgs, msgs == 1 ? "" : "s");
        if (b->net.confirm && ev->durable_id)
            b->net.confirm(b->net.ctx, ev->owner, ev->durable_id);
        break;
    case BR_NET_HIST_READ:
        if (ev->chat_id && ev->sender)
            br_portal_read_marker(b, ev->owner, ev->chat_id, ev->sender, ev->ts);
        break;
    case BR_NET_HIST_RELINK:
        if (have_room)
            br_notice(b, room, "Your phone could not send your message history and asks to link again. "
                      "Send `login` to link this bridge again if you want it.");
        break;
    case BR_NET_HIST_SKIPPED:
        if (have_room)
            br_notice(b, room, "Your phone went on without sending your message history: new messages "
                      "will still arrive.");
        break;
    default:
        ut_logf(&b->log, UT_LOG_WARN, "bridge: the phone's history could not be imported: %s",
                ev->text ? ev->text : "?");
        if (have_room)
            br_notice(b, room, "Your message history from the phone could not be imported (%s). "
                      "New messages will still arrive.", ev->text ? ev->text : "unknown error");
        break;
    }
}
