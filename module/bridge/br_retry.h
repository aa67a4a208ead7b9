/*
 * br_retry.h - store writes that must happen although nobody would try
 * them again: those of callbacks from the host (a room created, a send
 * answered) and of timers. Such a write that meets a lock or a full disk
 * (st_db_retryable) is kept in memory and tried again on the homeserver's
 * loop, with a backoff that grows while it keeps failing (issue #12: "a
 * store write in a callback nobody retries"). Writes are made in the order
 * they were asked for: while one is queued, later ones queue behind it,
 * and a retry stops at the first that still fails. A write that fails for another reason (a
 * constraint, a bad statement) is logged and dropped: trying again would
 * not help. Kept in memory only: each user says what a restart does with
 * a write still queued (br_retry_stop frees them).
 */
#ifndef BR_RETRY_H
#define BR_RETRY_H

#include "br_internal.h"

/* The write: 0 when done, else ST_ERR_* (the connection's error kept). */
typedef int (*br_retry_fn)(br_bridge *b, void *ctx);
/* What follows the write once it succeeded, at once or after retries. */
typedef void (*br_retry_then_fn)(br_bridge *b, void *ctx);

/* Run `write` now; when it fails for a reason a later try may not meet,
 * queue it. `ctx` is handed over in every case and freed with `free_ctx`
 * (may be NULL) when the write is done or dropped; `then` may be NULL.
 * `what` names the write in the log ("the room of a new portal").
 * 0 done now, 1 queued, or the ST_ERR_* of a failure for good. */
int br_retry_write(br_bridge *b, const char *what, br_retry_fn write, br_retry_then_fn then,
                   void *ctx, void (*free_ctx)(void *));
/* Writes still queued (for tests and the log). */
size_t br_retry_pending(const br_bridge *b);
/* Stop the timer and forget what is queued (at stop). */
void br_retry_stop(br_bridge *b);

#endif
