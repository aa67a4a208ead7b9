/*
 * hs_seen.c - when and from where each device was last seen (last_seen_ts,
 * last_seen_ip of GET /devices). Authenticated requests update a table in
 * memory; changed rows are written in one transaction a few seconds later,
 * not once per request, and a device's time only moves after a minute
 * unless its address changed. Synapse does the same
 * (element-hq/synapse synapse/storage/databases/main/client_ips.py:
 * LAST_SEEN_GRANULARITY, _update_client_ips_batch every 5 s, reads merged
 * with the batch not yet written).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "hs.h"

#define SEEN_GRANULARITY_MS 60000
#define SEEN_FLUSH_S 5

typedef struct hs_seen {
    char *user, *device;
    char ip[64];
    int64_t ts;
    int dirty;
    struct hs_seen *next;
} hs_seen;

static hs_seen *find(hs *s, const char *user, const char *device)
{
    hs_seen *x;

    for (x = s->seen; x; x = x->next)
        if (!strcmp(x->user, user) && !strcmp(x->device, device))
            return x;
    return NULL;
}

void hs_seen_flush(hs *s)
{
    sqlite3_stmt *st;
    hs_seen *x;

    if (hs_db_begin(s))
        return; /* kept dirty: the next round tries again */
    for (x = s->seen; x; x = x->next) {
        if (!x->dirty)
            continue;
        st = hs_db_stmt(s, "INSERT OR REPLACE INTO device_seen(user_id,device_id,ts,ip) VALUES(?,?,?,?)");
        if (!st)
            break;
        hs_bind_text(st, 1, x->user);
        hs_bind_text(st, 2, x->device);
        sqlite3_bind_int64(st, 3, x->ts);
        hs_bind_text(st, 4, x->ip);
        if (hs_db_step_done(s, st))
            break;
    }
    if (x) {
        hs_db_rollback(s);
        return;
    }
    if (hs_db_commit(s))
        return;
    for (x = s->seen; x; x = x->next)
        x->dirty = 0;
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    hs_seen_flush(arg);
}

void hs_seen_touch(hs *s, const char *user, const char *device, const char *ip)
{
    int64_t now = ut_now_ms();
    hs_seen *x = find(s, user, device);

    if (!ip || !*ip || !device || !*device)
        return; /* module requests carry no address */
    if (x && now - x->ts < SEEN_GRANULARITY_MS && !strcmp(x->ip, ip))
        return;
    if (!x) {
        if (!(x = calloc(1, sizeof(*x))) || !(x->user = strdup(user)) ||
            !(x->device = strdup(device))) {
            if (x)
                free(x->user);
            free(x);
            return;
        }
        x->next = s->seen;
        s->seen = x;
    }
    x->ts = now;
    snprintf(x->ip, sizeof(x->ip), "%s", ip);
    x->dirty = 1;
    if (!s->seen_ev)
        s->seen_ev = evtimer_new(s->base, on_flush, s);
    if (s->seen_ev && !evtimer_pending(s->seen_ev, NULL)) {
        struct timeval tv = {SEEN_FLUSH_S, 0};
        evtimer_add(s->seen_ev, &tv);
    }
}

int hs_seen_get(hs *s, const char *user, const char *device, int64_t *ts,
                char ip[64])
{
    hs_seen *x = find(s, user, device);
    sqlite3_stmt *st;
    int found = 0;

    if (x) {
        *ts = x->ts;
        snprintf(ip, 64, "%s", x->ip);
        return 1;
    }
    st = hs_db_stmt(s, "SELECT ts, ip FROM device_seen WHERE user_id=? AND device_id=?");
    if (!st)
        return 0;
    hs_bind_text(st, 1, user);
    hs_bind_text(st, 2, device);
    if (sqlite3_step(st) == SQLITE_ROW) {
        *ts = sqlite3_column_int64(st, 0);
        snprintf(ip, 64, "%s", hs_col_text(st, 1));
        found = 1;
    }
    sqlite3_reset(st);
    return found;
}

void hs_seen_shutdown(hs *s)
{
    hs_seen_flush(s);
    while (s->seen) {
        hs_seen *x = s->seen;
        s->seen = x->next;
        free(x->user);
        free(x->device);
        free(x);
    }
    if (s->seen_ev)
        event_free(s->seen_ev);
    s->seen_ev = NULL;
}
