/*
 * br_dedupe.c - the record of handled Matrix events (br_mx_seen, migration
 * 009), checked before br_bridge_on_event dispatches and written after.
 *
 * Why written after the handler and not in one transaction with its effect:
 *   - Effects that must never happen twice, a Signal send, go through rows
 *     keyed by the Matrix event ID and inserted with ON CONFLICT DO NOTHING
 *     before the send (br_outbox.event_id, also for files via
 *     br_media_out, and br_relout.event_id). A replay that gets past this
 *     check only meets those keys and sends nothing, so for them the check
 *     is idempotent whichever side of this record a crash falls on.
 *   - The other effects (bot commands such as `link`, notices, joins) are
 *     Matrix requests and Signal-side actions that are not rows and cannot
 *     share a transaction with this record. Recording before the handler
 *     would lose them if it failed half way; recording after, still inside
 *     on_event and so before the host counts the event as delivered, leaves
 *     only a crash inside the handler itself, where a replay may repeat a
 *     bot reply. A repeated notice is the worst case, never a lost or
 *     doubled message.
 *   - Wrapping the handler in a transaction with this record would be
 *     worse: a Signal send started inside it could go out for an outbox row
 *     that a failed COMMIT then removes, and the replay would send again.
 * Pruning: a host replays only the events after its last saved position
 * (mxhs saves it within 50 ms while running), so a record older than a few
 * minutes is never needed; 7 days leaves a wide margin.
 */
#include "config.h"

#include "br_dedupe.h"
#include "br_internal.h"
#include "br_store.h"

enum { KEEP_MS = 7 * 24 * 3600 * 1000, PRUNE_EVERY = 512 };

int br_dedupe_seen(br_bridge *b, const char *event_id)
{
    /* cannot tell (< 0): handle it; the keyed rows still guard sends */
    return br_store_seen_exists(b->db, event_id) == 1;
}

void br_dedupe_done(br_bridge *b, const char *event_id)
{
    int64_t rowid = 0;
    int rc = br_store_seen_put(b->db, event_id, ut_now_ms(), &rowid);

    if (rc != 0) {
        ut_logf(&b->log, UT_LOG_WARN, "bridge: cannot record a handled event; a replay may repeat a reply");
        return;
    }
    if (rowid % PRUNE_EVERY == 0)
        br_dedupe_prune(b);
}

void br_dedupe_prune(br_bridge *b)
{
    br_store_seen_prune(b->db, ut_now_ms() - (int64_t)KEEP_MS);
}

/* A handler could not store what the event needs: leave the event to the
 * host's retry (ABI 1.1 on_event_try) when it allows one and the failure
 * may pass. Lives here as the other half of at-least-once delivery. */
int br_defer(br_bridge *b, int rc)
{
    if (!b->may_defer || !st_db_retryable(b->db, rc))
        return 0;
    b->deferred = 1;
    return 1;
}
