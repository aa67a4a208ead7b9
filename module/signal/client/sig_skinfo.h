/*
 * sig_skinfo.h - what the client keeps about its own sender keys (tables
 * sig_sk_group and sig_sk_shared, migration 019): per group our
 * distribution id and when our chain was made, and which member devices
 * (with their registration ids then) hold our current chain. Signal-Desktop
 * keeps the same as senderKeyInfo (ts/util/sendToGroup.ts), signalmeow as
 * SenderKeyInfo (pkg/signalmeow/senderkey.go). Nothing here is secret (the
 * chain is a "sender_key" record). Works on a bare st_db, inside the
 * caller's transaction. Errors: ST_ERR_* (ST_ERR_NOTFOUND: no row).
 */
#ifndef SIG_SKINFO_H
#define SIG_SKINFO_H

#include <stddef.h>
#include <stdint.h>

#include "st_db.h"

int sig_skinfo_get(st_db *db, int64_t account, const uint8_t group_id[32], uint8_t dist[16],
                   int64_t *created_ms);
int sig_skinfo_put(st_db *db, int64_t account, const uint8_t group_id[32],
                   const uint8_t dist[16], int64_t created_ms);

typedef struct sig_skdev {
    char member[37];
    uint32_t device;
    uint32_t registration_id;
} sig_skdev;

/* Every device holding our chain `dist`: *out malloc'd (free()), *n rows
 * (*out NULL when none). */
int sig_skinfo_shared(st_db *db, int64_t account, const uint8_t dist[16], sig_skdev **out,
                      size_t *n);
int sig_skinfo_share(st_db *db, int64_t account, const uint8_t dist[16], const sig_skdev *d);
/* Forget `member`'s devices (NULL: everyone's, after a new chain). */
int sig_skinfo_forget(st_db *db, int64_t account, const uint8_t dist[16], const char *member);
/* Forget `member`'s devices for every chain of ours (a retry request for a
 * sender-key message: it gets our key again before our next message). */
int sig_skinfo_forget_everywhere(st_db *db, int64_t account, const char *member);

#endif
