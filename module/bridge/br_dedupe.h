/*
 * br_dedupe.h - drop Matrix events the bridge has already handled. The
 * host delivers on_event at least once (include/mxm/module.h), so after a
 * crash the same event can arrive again.
 */
#ifndef BR_DEDUPE_H
#define BR_DEDUPE_H

struct br_bridge;

/* 1 when `event_id` was handled before (drop it), else 0. */
int br_dedupe_seen(struct br_bridge *b, const char *event_id);
/* Record `event_id` as handled; now and then prune old records. */
void br_dedupe_done(struct br_bridge *b, const char *event_id);
/* Delete records older than the retention (7 days). */
void br_dedupe_prune(struct br_bridge *b);

#endif
