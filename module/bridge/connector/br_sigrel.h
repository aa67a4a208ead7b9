/*
 * br_sigrel.h - the Signal side's reading of reactions, deletes and edits:
 * a received sig_message -> a BR_NET_RELATION event. Signal thread (pure).
 */
#ifndef BR_SIGREL_H
#define BR_SIGREL_H

#include "br_net.h"
#include "sig_client.h"

/* 1 when `m` is a relation (then *out is the event to post, or NULL when
 * it cannot be bridged and should just be completed), 0 when it is an
 * ordinary message. `owner` is the Matrix user, `me` our ACI (may be NULL). */
int br_sigrel_event(const char *owner, const char *me, const sig_message *m,
                    br_net_event **out);

/* A read receipt (read: 1; delivery receipts give NULL) or a typing
 * notice from `peer` as a BR_NET_RECEIPT / BR_NET_TYPING event, or NULL.
 * Typing in a group names its 32-byte `group_id` (else NULL): the chat is
 * then the group. A receipt's chat is the peer's DM; the bridge finds the
 * group a receipted message belongs to. */
br_net_event *br_sigrel_ephemeral(const char *owner, int typing, const char *peer,
                                  int read, const uint64_t *ts, size_t n, int started,
                                  const uint8_t *group_id);

/* Our phone's read sync (SyncMessage.Read): -1 when `m` is none, else the
 * number of BR_NET_RECEIPT events (from_me, one per author read, with the
 * newest timestamp) in *out (malloc'd array; the caller posts each event
 * and frees the array). */
int br_sigrel_reads(const char *owner, const sig_message *m, br_net_event ***out);

#endif
