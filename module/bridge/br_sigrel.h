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

#endif
