/*
 * br_sigfmt.h - a Signal message's body ranges and quote <-> BR_NET_FMT
 * JSON (br_net.h), on the Signal side of br_net (issue #17).
 */
#ifndef BR_SIGFMT_H
#define BR_SIGFMT_H

#include "br_net.h"
#include "sig_client.h"

/* The BR_NET_FMT JSON of a received message's Content (malloc'd), or NULL
 * when it has no ranges and no quote (or cannot be read). */
char *br_sigfmt_json(const sig_message *m);
/* Parse BR_NET_FMT JSON into *f (sig_format_clear it). 0 or UT_ERR_INVAL. */
int br_sigfmt_parse(const char *json, sig_format *f);
/* The disappearing timer a received message carries (its DataMessage, or
 * the one of a SyncMessage.Sent): *expire_s (0 = none or off); 1 when the
 * message is a timer change (flag EXPIRATION_TIMER_UPDATE), else 0;
 * *version its expireTimerVersion (0 = none); *known 1 when it has a
 * DataMessage at all (whose expireTimer is then the sender's timer). */
int br_sigfmt_expire(const sig_message *m, uint32_t *expire_s, uint32_t *version, int *known);

#endif
