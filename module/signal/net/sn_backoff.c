/* sn_backoff.c - exponential backoff with jitter. */
#include "config.h"

#include "sn_backoff.h"
#include "ut.h"

void sn_backoff_init(sn_backoff *b, uint32_t base_ms, uint32_t max_ms,
                     uint32_t jitter_pct)
{
    b->base_ms = base_ms ? base_ms : 500;
    b->max_ms = max_ms ? max_ms : 60000;
    if (b->max_ms < b->base_ms)
        b->max_ms = b->base_ms;
    b->jitter_pct = jitter_pct > 100 ? 100 : jitter_pct;
    b->attempt = 0;
}

uint32_t sn_backoff_ceiling(const sn_backoff *b)
{
    uint64_t c = b->base_ms;
    uint32_t i;

    /* stop doubling once at the cap, so no shift can overflow */
    for (i = 0; i < b->attempt && c < b->max_ms; i++)
        c *= 2;
    return c > b->max_ms ? b->max_ms : (uint32_t)c;
}

uint32_t sn_backoff_next_r(sn_backoff *b, uint32_t r)
{
    uint32_t ceil = sn_backoff_ceiling(b);
    uint32_t span = (uint32_t)((uint64_t)ceil * b->jitter_pct / 100);

    if (b->attempt < UINT32_MAX)
        b->attempt++;
    if (span == 0)
        return ceil;
    return ceil - span + (uint32_t)((uint64_t)r % ((uint64_t)span + 1));
}

uint32_t sn_backoff_next(sn_backoff *b)
{
    uint32_t r = 0;

    if (ut_random(&r, sizeof(r)) != 0)
        r = (uint32_t)ut_now_mono_ms(); /* still spreads; never fails */
    return sn_backoff_next_r(b, r);
}

void sn_backoff_reset(sn_backoff *b)
{
    b->attempt = 0;
}

int sn_retry_after_ms(const char *value, uint32_t cap_ms, uint32_t *ms)
{
    uint64_t secs = 0;
    const char *p;

    if (!value)
        return -1;
    while (*value == ' ' || *value == '\t')
        value++;
    for (p = value; *p >= '0' && *p <= '9'; p++)
        if (secs < UINT32_MAX) /* saturate: the cap applies anyway */
            secs = secs * 10 + (uint64_t)(*p - '0');
    if (p == value)
        return -1;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p)
        return -1;
    *ms = secs * 1000 > cap_ms ? cap_ms : (uint32_t)(secs * 1000);
    return 0;
}
