/*
 * sig_inbox.h - the client's durable inbox (internal). See sig_client.h
 * "Durability". Loop thread only.
 */
#ifndef SIG_INBOX_H
#define SIG_INBOX_H

#include <stddef.h>
#include <stdint.h>

#include "sig_client.h"

enum { SIG_INBOX_TO_PNI = 1, SIG_INBOX_SEALED = 2 };

typedef struct sig_inbox_row {
    const char *sender;
    uint32_t device;
    uint64_t timestamp;
    uint64_t server_ts;
    int flags;
    const uint8_t *content;
    size_t content_len;
} sig_inbox_row;

/* 1 if (sender, device, timestamp) was stored before, 0 if not, or ST_ERR_*. */
int sig_inbox_seen(sig_client *c, const char *sender, uint32_t dev, uint64_t ts);
/* Insert (inside the caller's transaction). */
int sig_inbox_put(sig_client *c, const sig_inbox_row *r, int64_t *id);
/* Delete rows the caller completed (done) that were received before
 * cutoff_ms (ut_now_ms scale): they only remain so that server replays
 * are recognised, and the server drops an undelivered message after 30
 * days. Rows not done are never deleted. *n_out (may be NULL) gets the
 * count. ST_ERR_*. */
int sig_inbox_prune(sig_client *c, int64_t cutoff_ms, int *n_out);
/* Prune with the configured retention when the last prune is over an hour
 * old (or never ran). Errors are logged, not returned. */
void sig_inbox_maybe_prune(sig_client *c);
/* Build and emit SIG_EV_MESSAGE for a stored row. */
void sig_emit_message(sig_client *c, const sig_inbox_row *r, int64_t id);

#endif
