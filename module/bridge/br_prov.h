/*
 * br_prov.h - the provisioning HTTP API: what an integration manager calls
 * to link a Signal account, see its state, unlink it and start chats, in
 * the shape of mautrix's /_matrix/provision/v3 (mautrix/go
 * bridgev2/matrix/provisioning.go and provisioninglogin.go).
 *
 * Served under BR_PROV_PREFIX through the host's http_route, so the same
 * code answers inside mxhs and behind mxm-appservice (which also serves it
 * at /_matrix/provision/, where mautrix bridges have it). Authenticated by
 * config.provisioning.shared_secret (Authorization: Bearer, compared in
 * constant time); disabled while unset. The acting user is the `user_id`
 * query parameter and must be allowed by `permissions` (br_access_ok), as
 * for the bot. Host loop thread only. docs/provisioning.md has the API.
 */
#ifndef BR_PROV_H
#define BR_PROV_H

#include "br_bridge.h"
#include "br_net.h"

#define BR_PROV_PREFIX "/_mxm/signalbridge/_matrix/provision/"

/* Register the route (at start). A host without it: logged, no API. */
void br_prov_start(br_bridge *b);
/* Cancel timers and free the state; unanswered requests are left to the
 * host, which closes them (stop). */
void br_prov_stop(br_bridge *b);
/* A Signal-side event for the API (link URL, linked, link failed,
 * resolved). Returns 1 when it was the API's own (a RESOLVED it asked
 * for): nobody else must act on it. Called after the bot saw the others. */
int br_prov_net_event(br_bridge *b, const br_net_event *ev);
/* A DM portal's room was created for owner (room NULL: creation failed). */
void br_prov_portal_ready(br_bridge *b, const char *owner, const char *chat_id,
                          const char *room);

#endif
