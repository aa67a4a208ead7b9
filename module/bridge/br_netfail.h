/*
 * br_netfail.h - what to tell the user and the admin when the bridge cannot
 * reach Signal or cannot trust it: an untrusted certificate, a host name
 * that does not resolve, a host that does not answer. Each gets a notice
 * that says what happened and what to check (never a bare code) and one
 * log line for the admin naming the host and the setting involved.
 *
 * Threads: br_netfail_words is pure (any thread); br_netfail_tell runs on
 * the host loop thread.
 */
#ifndef BR_NETFAIL_H
#define BR_NETFAIL_H

#include <stddef.h>

#include "br_config.h"

/* code: BR_NET_ERR_TLS, BR_NET_ERR_DNS or BR_NET_ERR_UNREACHABLE; reason:
 * the error's text (may be NULL); linking: 1 while linking (the notice says
 * to send `link` again), 0 for a linked account's connection (it is
 * retried). Writes NUL-terminated `user` and `admin` texts (truncated to
 * their caps). 0, or -1 when `code` is not one of these (nothing written;
 * the caller words it itself). */
int br_netfail_words(const br_config *cfg, int code, const char *reason, int linking,
                     char *user, size_t ucap, char *admin, size_t acap);

/* br_netfail_words for `owner`, then log the admin line (UT_LOG_ERROR) and
 * post the user's notice in `room` (NULL: log only). Host loop thread.
 * 0, or -1 when `code` is none of those (nothing done). */
struct br_bridge;
int br_netfail_tell(struct br_bridge *b, const char *room, const char *owner, int code,
                    const char *reason, int linking);

#endif /* BR_NETFAIL_H */
