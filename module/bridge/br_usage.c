/*
 * br_usage.c - the monthly limit of active Signal users (max_signal_users):
 * an account counts once per calendar month (UTC) from its first message
 * sent through the bridge. Moved out of br_outbox.c, whose name did not say
 * it.
 */
#include "config.h"

#include <time.h>

#include "br_internal.h"
#include "br_store.h"

static void month_key(char *out, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m", &tm);
}

long br_usage_count(br_bridge *b)
{
    char month[16];
    long n = 0;

    month_key(month, sizeof(month));
    if (br_store_usage_count(b->db, month, &n) != 0)
        return 0;
    return n;
}

int br_usage_admit(br_bridge *b, const char *aci)
{
    char month[16];
    int known, rc;

    month_key(month, sizeof(month));
    if ((known = br_store_usage_exists(b->db, month, aci)) < 0)
        return known;
    if (known)
        return 1;
    if (br_usage_count(b) >= b->cfg.max_signal_users) {
        ut_logf(&b->log, UT_LOG_WARN,
                "bridge: monthly limit reached (%ld Signal users active in %s); raise max_signal_users to let more users bridge",
                b->cfg.max_signal_users, month);
        return 0;
    }
    return (rc = br_store_usage_add(b->db, month, aci)) == 0 ? 1 : rc;
}
