/*
 * br_bridge.h - the bridge core: sits between the Matrix side (mx_, over the
 * host ABI) and the Signal side (br_net_ops), and owns logins, portals,
 * puppets and the bot. Every function runs on the host loop thread.
 */
#ifndef BR_BRIDGE_H
#define BR_BRIDGE_H

#include <stddef.h>

#include <mxm/module.h>

#include "br_config.h"
#include "br_net.h"

typedef struct br_bridge br_bridge;

/* Takes ownership of *cfg (it is emptied). `host` must outlive the bridge. */
int br_bridge_new(br_bridge **out, const mxm_host_api *host, br_config *cfg,
                  char *err, size_t errlen);
/* Open the database in the module's data dir, make the bot user, resume
 * queued work. `net` is copied; NULL runs without a Signal side (the bot
 * then says so). */
int br_bridge_start(br_bridge *b, const br_net_ops *net, char *err,
                    size_t errlen);
/* One Matrix event. `may_defer`: the host can hand it again later (ABI 1.1
 * on_event_try). Returns 1 when the bridge could not make durable what the
 * event needs (its database busy, a full disk; st_db_retryable) and leaves
 * it to the host's retry, 0 when the event is taken. With may_defer 0 it
 * always takes the event and retries from memory itself. */
int br_bridge_on_event(br_bridge *b, const char *json, size_t len, int may_defer);
/* m.typing / m.receipt of a room (with room_id), as on_ephemeral gets them. */
void br_bridge_on_ephemeral(br_bridge *b, const char *json, size_t len);
/* The one dispatcher of Signal-side events: takes ownership of ev and frees
 * it once its handler returned (handlers borrow it). */
void br_bridge_net_event(br_bridge *b, br_net_event *ev);
/* Stops the network side first, then frees. NULL ok. */
void br_bridge_free(br_bridge *b);

/* For the module table: the bot's localpart and the puppets' regex. */
const char *br_bridge_bot_localpart(const br_bridge *b);
int br_bridge_query_user(br_bridge *b, const char *user_id);
/* br_config_may_bridge() on the bridge's config. Any thread: the config
 * does not change after br_bridge_new (the Signal thread asks it before
 * connecting a login). */
int br_bridge_may_bridge(const br_bridge *b, const char *user_id);

#endif
