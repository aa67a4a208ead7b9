/*
 * sn_backoff.h - reconnect delays: exponential backoff with full jitter.
 *
 * Attempt n (0-based) waits a uniformly random time in
 * [ceil * (1 - jitter), ceil] where ceil = min(max_ms, base_ms * 2^n).
 * Jitter spreads many accounts' reconnects after a server restart.
 * A value type in caller storage; no I/O; no allocation; any thread.
 */
#ifndef SN_BACKOFF_H
#define SN_BACKOFF_H

#include <stdint.h>

typedef struct sn_backoff {
    uint32_t base_ms;      /* first ceiling; 0 -> 500 */
    uint32_t max_ms;       /* cap on the ceiling; 0 -> 60000 */
    uint32_t jitter_pct;   /* 0..100 share of the ceiling that is random; >100 -> 100 */
    uint32_t attempt;      /* attempts since the last success */
} sn_backoff;

/* Set the parameters (0 picks the defaults above) and attempt = 0. */
void sn_backoff_init(sn_backoff *b, uint32_t base_ms, uint32_t max_ms,
                     uint32_t jitter_pct);
/* The ceiling for the current attempt (no randomness). */
uint32_t sn_backoff_ceiling(const sn_backoff *b);
/* Delay for the current attempt given a random 32-bit value `r` (tests pass
 * fixed values; sn_backoff_next draws one from the OS), then attempt++. */
uint32_t sn_backoff_next_r(sn_backoff *b, uint32_t r);
uint32_t sn_backoff_next(sn_backoff *b);
/* A connection succeeded: the next delay starts from base again. */
void sn_backoff_reset(sn_backoff *b);

/* A Retry-After value in its delay-seconds form (RFC 9110 §10.2.3), the
 * one Signal-Server sends (mappers/RateLimitExceededExceptionMapper) and
 * libsignal-net reads (rust/net/infra/src/lib.rs extract_retry_later,
 * which also ignores the HTTP-date form): 0 and *ms = seconds * 1000,
 * capped at cap_ms; -1 for NULL, empty, or anything but digits. */
int sn_retry_after_ms(const char *value, uint32_t cap_ms, uint32_t *ms);

#endif /* SN_BACKOFF_H */
