/*
 * sig_gse.h - a group's send endorsements (internal to signal/client):
 * received with every group state (GroupResponse.groupSendEndorsementsResponse,
 * Groups.proto), verified for the state's full members (sc_zk_gse_receive,
 * as Signal-Desktop ts/util/groupSendEndorsements.ts
 * decodeGroupSendEndorsementsResponse does with receiveWithServiceIds), kept
 * per group in the record "group_gse" with their expiration, and turned
 * into a Group-Send-Token for the recipients of a multi-recipient send
 * (sig_gsk.c).
 *
 * Stored form: le64 expiration (seconds, 0 = the last state had none or
 * they did not verify), le64 when stored (ms), then per member its 16-byte
 * ACI and its 32-byte endorsement. Not secret in the sense of keys, but a
 * bearer credential: only in the module DB, never logged.
 */
#ifndef SIG_GSE_H
#define SIG_GSE_H

#include <stddef.h>
#include <stdint.h>

#include "sc_zk.h"
#include "sig_client.h"

struct sig_group_info;

typedef struct sig_gse {
    uint64_t expiration;  /* seconds; 0 = none */
    int64_t stored_ms;
    size_t n;
    uint8_t *acis;        /* n * 16 */
    uint8_t *e;           /* n * 32 */
} sig_gse;

/* Verifies `resp` (len 0: the state had none) for g's full members under
 * the group's params and stores the result (also "none", so a send knows
 * the state was read). Errors are logged and stored as "none". */
void sig_gse_store(sig_client *c, const sc_zk_server *sp, const sc_zk_group *zg,
                   const struct sig_group_info *g, const uint8_t *resp, size_t len);

/* The stored endorsements of the group: 0 and *out (sig_gse_free),
 * ST_ERR_NOTFOUND when never stored, SIG_ERR_JSON when unreadable. */
int sig_gse_load(sig_client *c, const uint8_t gid[32], sig_gse **out);
void sig_gse_free(sig_gse *s);
/* Forget them (a token was refused): the next send refetches. */
void sig_gse_drop(sig_client *c, const uint8_t gid[32]);

/* Usable for a token now: more than 2 hours left (Desktop
 * validateGroupSendEndorsementsExpiration: "expires soon" at 2 hours). */
int sig_gse_usable(const sig_gse *s, uint64_t now_s);
/* The endorsement of `aci` (text), or NULL. */
const uint8_t *sig_gse_find(const sig_gse *s, const char *aci);

/* The serialized GroupSendFullToken for the k endorsements (32 bytes each)
 * of group gid, base64 in *b64 (malloc'd; a bearer credential: wipe). */
int sig_gse_token(sig_client *c, const uint8_t gid[32], const sig_gse *s,
                  const uint8_t *endorsements, size_t k, char **b64);

#endif
