/*
 * sig_sendlog.h - the client's send log (table sig_sendlog, migration 008):
 * what Content each recipient device was sent at which timestamp, so that a
 * retry request can be answered with the same message (Signal-Desktop's
 * MessageSendLog, ts/sql/Server.ts insertSentProto/getSentProtoByRecipient;
 * signalmeow's sendCache, pkg/signalmeow/retry.go). The Content is secret:
 * callers never log it. Works on a bare st_db (and inside the caller's
 * transaction), with the clock passed in, so that it can be tested alone.
 * Errors: ST_ERR_* (ST_ERR_NOTFOUND: nothing logged).
 */
#ifndef SIG_SENDLOG_H
#define SIG_SENDLOG_H

#include <stddef.h>
#include <stdint.h>

#include "st_db.h"
#include "ut.h"

/* Rows live 24 h, as Signal-Desktop's hourly cleanup kept them
 * (ts/background.ts: deleteSentProtosOlderThan(oneDayAgo)). */
#define SIG_SENDLOG_KEEP_MS (24LL * 3600 * 1000)

/* Record that (recipient, device) was sent `content` (unpadded Content)
 * with timestamp `ts`; a second put of the same key replaces the row. */
int sig_sendlog_put(st_db *db, int64_t account, const char *recipient, uint32_t device,
                    uint64_t ts, const uint8_t *content, size_t n, int64_t now_ms);
/* The Content sent to `recipient` with timestamp `ts` and logged after
 * now_ms - SIG_SENDLOG_KEEP_MS: the row of `device` if there is one, else
 * that of another device of the same recipient (Desktop looks up by
 * recipient and timestamp only). Into `out` (cleared first). */
int sig_sendlog_get(st_db *db, int64_t account, const char *recipient, uint32_t device,
                    uint64_t ts, int64_t now_ms, ut_buf *out);
/* Delete rows logged before now_ms - SIG_SENDLOG_KEEP_MS; *n_out (may be
 * NULL) gets the count. */
int sig_sendlog_prune(st_db *db, int64_t account, int64_t now_ms, int *n_out);

#endif
