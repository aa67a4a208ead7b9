/*
 * br_relate.h - reactions, deletes/redactions and edits, both ways (the
 * bridge core's part; host loop thread only).
 *
 * Signal -> Matrix: a BR_NET_RELATION is written to br_relin, confirmed
 * to the Signal side, then applied to the mapped event (br_msgmap) as the
 * acting puppet (or the user / the bot for the user's own devices) with a
 * transaction id derived from the Signal message, so a replay doubles
 * nothing. A target not bridged yet is retried for a while.
 * Matrix -> Signal: the user's m.reaction, redaction or m.replace on a
 * bridged event is written to br_relout with the Signal timestamp it will
 * carry, then handed to br_net_ops.relate; RELATE_RESULT updates the row.
 * Events we send as the user carry BR_ORIGIN_KEY and are not sent back.
 */
#ifndef BR_RELATE_H
#define BR_RELATE_H

#include "br_net.h"
#include "mx_event.h"

#define BR_ORIGIN_KEY "org.signalbridge.origin"

struct br_bridge;

/* 1 when the event was a relation for this module (handled or ignored on
 * purpose), 0 when the caller should treat it as usual. */
int br_relout_on_event(struct br_bridge *b, const mx_event *ev); /* br_relout.c */
/* BR_NET_RELATION and BR_NET_RELATE_RESULT; borrows ev (the dispatcher
 * frees it). */
void br_relate_net_event(struct br_bridge *b, const br_net_event *ev);
/* At start: send what was queued, apply what was stored but not applied. */
void br_relate_start(struct br_bridge *b);
/* Apply stored Signal -> Matrix relations that are not done yet. */
void br_relate_resume(struct br_bridge *b);
/* Cancel the retry timer (before the bridge is freed). */
void br_relate_stop(struct br_bridge *b);

/* Shared by br_relate.c (Signal -> Matrix) and br_relout.c (Matrix ->
 * Signal): the result of a relate op, the queue at start, a kind's name. */
void br_relout_result(struct br_bridge *b, const br_net_event *ev);
void br_relout_resume(struct br_bridge *b);
/* Cancels the age-limit timer of queued relations. */
void br_relout_stop(struct br_bridge *b);
/* The account is connected: send its relations that waited. */
void br_relout_online(struct br_bridge *b, const char *owner);
const char *br_relate_kind_name(int kind);
/* The reason on redactions the bridge makes; also how their echoes are
 * recognized (homeservers may keep nothing else of a redaction's content). */
#define BR_REDACT_REASON "Removed on Signal"

/* br_ephem.c: read receipts and typing (not stored). The host's m.typing /
 * m.receipt of a room (with room_id) arrive at br_ephem_on_matrix (from
 * br_bridge_on_ephemeral); BR_NET_RECEIPT and BR_NET_TYPING at
 * br_ephem_net_event, which borrows ev; br_ephem_free frees the per-portal
 * state. */
void br_ephem_on_matrix(struct br_bridge *b, const char *json, size_t len);
void br_ephem_net_event(struct br_bridge *b, const br_net_event *ev);
void br_ephem_free(struct br_bridge *b);

/* Pure helpers (unit-tested). The body of an edit: m.new_content.body,
 * else the fallback body without its "* " prefix; NULL if none. */
const char *br_relate_edit_body(json_t *content);
/* Transaction ids: br_txn.h. */

#endif
