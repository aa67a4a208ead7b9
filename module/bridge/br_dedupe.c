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

#include <sqlite3.h>

#include "br_dedupe.h"
#include "br_internal.h"

enum { KEEP_MS = 7 * 24 * 3600 * 1000, PRUNE_EVERY = 512 };

int br_dedupe_seen(br_bridge *b, const char *event_id)
{
    static const char q[] = "SELECT 1 FROM br_mx_seen WHERE event_id = ?1";
    sqlite3_stmt *st = st_db_stmt(b->db, q);
    int seen;

    if (!st)
        return 0; /* cannot tell: handle it; the keyed rows still guard sends */
    sqlite3_bind_text(st, 1, event_id, -1, SQLITE_STATIC);
    seen = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    return seen;
}

void br_dedupe_done(br_bridge *b, const char *event_id)
{
    static const char ins[] =
        "INSERT INTO br_mx_seen(event_id, seen_ms) VALUES (?1, ?2) ON CONFLICT DO NOTHING";
    sqlite3_stmt *st = st_db_stmt(b->db, ins);

    if (!st)
        return;
    sqlite3_bind_text(st, 1, event_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, ut_now_ms());
    if (st_db_step_done(b->db, st) != 0) {
        ut_logf(&b->log, UT_LOG_WARN, "bridge: cannot record a handled event; a replay may repeat a reply");
        return;
    }
    if (sqlite3_last_insert_rowid(st_db_handle(b->db)) % PRUNE_EVERY == 0)
        br_dedupe_prune(b);
}

void br_dedupe_prune(br_bridge *b)
{
    static const char del[] = "DELETE FROM br_mx_seen WHERE seen_ms < ?1";
    sqlite3_stmt *st = st_db_stmt(b->db, del);

    if (!st)
        return;
    sqlite3_bind_int64(st, 1, ut_now_ms() - (int64_t)KEEP_MS);
    st_db_step_done(b->db, st);
}
