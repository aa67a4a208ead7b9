/*
 * hs_deliver.c - at-least-once delivery of room events to modules.
 *
 * on_event gets every event of rooms where one of the module's users is
 * joined or invited (including the invite itself and its users' leaves);
 * on_ephemeral gets typing and receipts there.
 *
 * Durability, as a homeserver retries an Application Service transaction
 * until the AS answers:
 *   - module_queue(module, stream) gets a row per interested module in the
 *     same write transaction that stores the event, so an event is queued
 *     for a module if and only if it is stored;
 *   - module_pos(module, stream) is the module's durable position: every
 *     queued event up to it has been handed to on_event and on_event has
 *     returned (the ABI's on_event returns void: the module cannot defer,
 *     so its return is the acknowledgement);
 *   - a delivery round reads the queue after the in-memory position, in
 *     stream order, so events stored while mxhs was down, or not yet handed
 *     over at a crash, are delivered at the next start before new ones;
 *   - positions are written in batches (one transaction per POS_FLUSH_MS,
 *     and at stop), so a crash replays at most that window: modules see
 *     duplicates and drop them by event ID (include/mxm/module.h);
 *   - a module with on_event_try (ABI 1.1) may refuse an event for now
 *     (MXM_ERR_AGAIN: its database busy, a full disk): its position stays
 *     before that event, which stays queued (also across a crash), and it
 *     is handed again after a backoff (RETRY_FIRST_MS doubling up to
 *     RETRY_MAX_MS), before any later event; other modules go on.
 * Modules are keyed by descriptor name, so a module keeps its position
 * when its file moves. Ephemeral events are not durable (typing, receipts
 * are state that the next change supersedes).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "hs.h"

enum { DELIVER_BATCH = 64, POS_FLUSH_MS = 50, RETRY_FIRST_MS = 100, RETRY_MAX_MS = 10000 };

struct hs_modpos {
    hs *s;
    host_module *m;
    int64_t delivered; /* last stream handed to on_event (returned) */
    int64_t saved;     /* last stream written to module_pos */
    struct event *retry_ev; /* the module refused an event: hand it again */
    int retry_ms;           /* current backoff, 0 when not refusing */
};

typedef struct hs_ephem {
    host_module *m;
    char *json;
    struct hs_ephem *next;
} hs_ephem;

/* Write every advanced position and prune the queue behind it, in one
 * transaction. On failure the positions stay behind (a later flush or the
 * next start retries): events may be delivered again, never lost. */
static int flush_positions(hs *s)
{
    size_t i;
    int dirty = 0;

    for (i = 0; i < s->nmpos; i++)
        dirty |= s->mpos[i].delivered > s->mpos[i].saved;
    if (!dirty)
        return 0;
    if (hs_db_begin(s))
        return HS_ERR_DB;
    for (i = 0; i < s->nmpos; i++) {
        struct hs_modpos *p = &s->mpos[i];
        const char *name = host_module_name(p->m);
        sqlite3_stmt *st;
        if (p->delivered <= p->saved)
            continue;
        st = hs_db_stmt(s, "INSERT OR REPLACE INTO module_pos(module,stream) VALUES(?,?)");
        if (!st)
            goto fail;
        hs_bind_text(st, 1, name);
        sqlite3_bind_int64(st, 2, p->delivered);
        if (hs_db_step_done(s, st))
            goto fail;
        st = hs_db_stmt(s, "DELETE FROM module_queue WHERE module=? AND stream<=?");
        if (!st)
            goto fail;
        hs_bind_text(st, 1, name);
        sqlite3_bind_int64(st, 2, p->delivered);
        if (hs_db_step_done(s, st))
            goto fail;
    }
    if (hs_db_commit(s))
        return HS_ERR_DB;
    for (i = 0; i < s->nmpos; i++)
        s->mpos[i].saved = s->mpos[i].delivered;
    return 0;
fail:
    hs_db_rollback(s);
    return HS_ERR_DB;
}

static void on_pos_timer(evutil_socket_t fd, short what, void *arg)
{
    hs *s = arg;

    (void)fd;
    (void)what;
    if (flush_positions(s)) {
        struct timeval tv = {0, POS_FLUSH_MS * 1000};
        hs_logf(s, UT_LOG_WARN, "module positions not saved; retrying");
        evtimer_add(s->pos_ev, &tv);
    }
}

typedef struct row {
    int64_t stream;
    char *json, *redacted_by;
} row;

/* Up to DELIVER_BATCH queued events of one module after its position.
 * Rows are copied out first: on_event may call back into the host. */
static size_t fetch(hs *s, struct hs_modpos *p, row *rows)
{
    sqlite3_stmt *st = hs_db_stmt(s, "SELECT q.stream, e.json, e.redacted_by FROM module_queue q "
                                     "JOIN events e ON e.stream=q.stream "
                                     "WHERE q.module=? AND q.stream>? ORDER BY q.stream LIMIT ?");
    size_t n = 0;

    if (!st)
        return 0;
    hs_bind_text(st, 1, host_module_name(p->m));
    sqlite3_bind_int64(st, 2, p->delivered);
    sqlite3_bind_int(st, 3, DELIVER_BATCH);
    while (n < DELIVER_BATCH && sqlite3_step(st) == SQLITE_ROW) {
        rows[n].stream = sqlite3_column_int64(st, 0);
        rows[n].json = strdup(hs_col_text(st, 1));
        rows[n].redacted_by = sqlite3_column_type(st, 2) == SQLITE_NULL ? NULL : strdup(hs_col_text(st, 2));
        if (!rows[n].json) {
            free(rows[n].redacted_by);
            break;
        }
        n++;
    }
    sqlite3_reset(st);
    return n;
}

/* The backoff after a refusal is over: deliver again. */
static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    struct hs_modpos *p = arg;

    (void)fd;
    (void)what;
    event_active(p->s->dq_ev, EV_TIMEOUT, 0);
}

/* The module refused the event at `stream`: keep it, try again later. */
static void refused(hs *s, struct hs_modpos *p, int64_t stream)
{
    struct timeval tv;

    if (!p->retry_ms)
        hs_logf(s, UT_LOG_WARN, "module %s cannot take the event at stream %lld now; handing it again later",
                host_module_name(p->m), (long long)stream);
    p->retry_ms = p->retry_ms ? p->retry_ms * 2 : RETRY_FIRST_MS;
    if (p->retry_ms > RETRY_MAX_MS)
        p->retry_ms = RETRY_MAX_MS;
    tv.tv_sec = p->retry_ms / 1000;
    tv.tv_usec = (p->retry_ms % 1000) * 1000;
    if (p->retry_ev)
        evtimer_add(p->retry_ev, &tv);
}

static void run_deliveries(evutil_socket_t fd, short what, void *arg)
{
    hs *s = arg;
    row rows[DELIVER_BATCH];
    size_t i, k, n;
    int more = 0, advanced = 0, failed;
    hs_ephem *list, *d;

    (void)fd;
    (void)what;
    for (i = 0; i < s->nmpos && s->modules_running; i++) {
        struct hs_modpos *p = &s->mpos[i];
        if (p->retry_ev && evtimer_pending(p->retry_ev, NULL))
            continue; /* refused an event: waits for its backoff */
        n = fetch(s, p, rows);
        more |= n == DELIVER_BATCH;
        for (k = 0, failed = 0; k < n; k++) {
            json_t *ev = NULL;
            char *txt = NULL;
            if (s->modules_running && !failed) {
                ev = hs_client_event(s, rows[k].json, rows[k].redacted_by, NULL, NULL, NULL,
                                     NULL, NULL, rows[k].stream);
                txt = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
                if (txt && host_module_on_event(p->m, txt, strlen(txt)) == MXM_ERR_AGAIN) {
                    refused(s, p, rows[k].stream);
                    failed = 1; /* nothing after it before it */
                } else if (txt) {
                    if (p->retry_ms)
                        hs_logf(s, UT_LOG_INFO, "module %s took the event at stream %lld",
                                host_module_name(p->m), (long long)rows[k].stream);
                    p->retry_ms = 0;
                    p->delivered = rows[k].stream;
                    advanced = 1;
                } else { /* out of memory: never skip; the next round retries */
                    hs_logf(s, UT_LOG_ERROR, "event at stream %lld not delivered to %s yet",
                            (long long)rows[k].stream, host_module_name(p->m));
                    failed = 1;
                }
            }
            free(txt);
            json_decref(ev);
            free(rows[k].json);
            free(rows[k].redacted_by);
        }
    }
    if (advanced && s->pos_ev && !evtimer_pending(s->pos_ev, NULL)) {
        struct timeval tv = {0, POS_FLUSH_MS * 1000};
        evtimer_add(s->pos_ev, &tv);
    }
    if (more) { /* a backlog: let HTTP run between rounds; ephemerals wait */
        event_active(s->dq_ev, EV_TIMEOUT, 0);
        return;
    }
    list = s->eq_head;
    s->eq_head = s->eq_tail = NULL;
    while ((d = list)) {
        list = d->next;
        if (s->modules_running)
            host_module_on_ephemeral(d->m, d->json, strlen(d->json));
        free(d->json);
        free(d);
    }
}

/* The modules with a user joined or invited in the room (plus `extra`'s
 * owner). Writes up to `max` distinct modules; returns the count. */
static size_t interested(hs *s, const char *room, const char *extra,
                         host_module **out, size_t max)
{
    sqlite3_stmt *st = hs_db_stmt(s, "SELECT user_id FROM members WHERE room_id=? AND membership IN ('join','invite')");
    size_t n = 0, i;
    char lp[256];

    if (!st)
        return 0;
    hs_bind_text(st, 1, room);
    for (;;) {
        const char *u;
        host_module *m;
        int more = sqlite3_step(st) == SQLITE_ROW;
        u = more ? hs_col_text(st, 0) : extra;
        if (!u)
            break;
        m = hs_localpart(s, u, lp, sizeof(lp)) == 0 ? host_user_owner(s->host, lp) : NULL;
        for (i = 0; m && i < n; i++)
            if (out[i] == m)
                m = NULL;
        if (m && n < max)
            out[n++] = m;
        if (!more)
            break;
    }
    sqlite3_reset(st);
    return n;
}

int hs_modules_event(hs *s, const char *room_id, int64_t stream,
                     const char *member_target)
{
    host_module *mods[32];
    size_t n, i;

    if (hs_as_event(s, room_id, stream, member_target))
        return HS_ERR_DB;
    if (!s->host || !s->modules_running || !s->nmpos)
        return 0;
    n = interested(s, room_id, member_target, mods, 32);
    for (i = 0; i < n; i++) {
        sqlite3_stmt *st = hs_db_stmt(s, "INSERT OR IGNORE INTO module_queue(module,stream) VALUES(?,?)");
        if (!st)
            return HS_ERR_DB;
        hs_bind_text(st, 1, host_module_name(mods[i]));
        sqlite3_bind_int64(st, 2, stream);
        if (hs_db_step_done(s, st))
            return HS_ERR_DB;
    }
    if (n)
        event_active(s->dq_ev, EV_TIMEOUT, 0);
    return 0;
}

void hs_modules_ephemeral(hs *s, const char *room_id, json_t *ev)
{
    host_module *mods[32];
    size_t n, i;
    char *txt;

    hs_as_ephemeral(s, room_id, ev);
    if (!s->host || !s->modules_running || !s->nmpos)
        return;
    n = interested(s, room_id, NULL, mods, 32);
    txt = n ? json_dumps(ev, JSON_COMPACT) : NULL;
    for (i = 0; txt && i < n; i++) {
        hs_ephem *d = calloc(1, sizeof(*d));
        if (!d || !(d->json = strdup(txt))) {
            free(d);
            break;
        }
        d->m = mods[i];
        if (s->eq_tail)
            s->eq_tail->next = d;
        else
            s->eq_head = d;
        s->eq_tail = d;
        event_active(s->dq_ev, EV_TIMEOUT, 0);
    }
    free(txt);
}

int hs_deliver_open(hs *s, char *err, size_t errlen)
{
    size_t i, n = host_module_count(s->host);

    s->dq_ev = event_new(s->base, -1, 0, run_deliveries, s);
    s->pos_ev = evtimer_new(s->base, on_pos_timer, s);
    s->mpos = calloc(n ? n : 1, sizeof(*s->mpos));
    if (!s->dq_ev || !s->pos_ev || !s->mpos) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (i = 0; i < n; i++) {
        host_module *m = host_module_at(s->host, i);
        sqlite3_stmt *st = hs_db_stmt(s, "SELECT stream FROM module_pos WHERE module=?");
        int64_t pos = 0;
        if (!st) {
            snprintf(err, errlen, "database error");
            return -1;
        }
        hs_bind_text(st, 1, host_module_name(m));
        if (sqlite3_step(st) == SQLITE_ROW)
            pos = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        s->mpos[s->nmpos].s = s;
        s->mpos[s->nmpos].m = m;
        s->mpos[s->nmpos].delivered = s->mpos[s->nmpos].saved = pos;
        s->mpos[s->nmpos].retry_ev = evtimer_new(s->base, on_retry, &s->mpos[s->nmpos]);
        if (!s->mpos[s->nmpos].retry_ev) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        s->nmpos++;
    }
    event_active(s->dq_ev, EV_TIMEOUT, 0); /* replay what is queued */
    return 0;
}

void hs_deliver_close(hs *s)
{
    hs_ephem *d;
    size_t i;

    if (s->mpos && flush_positions(s))
        hs_logf(s, UT_LOG_WARN, "module positions not saved; the next start replays more");
    while ((d = s->eq_head)) {
        s->eq_head = d->next;
        free(d->json);
        free(d);
    }
    s->eq_tail = NULL;
    for (i = 0; i < s->nmpos; i++)
        if (s->mpos[i].retry_ev)
            event_free(s->mpos[i].retry_ev);
    free(s->mpos);
    s->mpos = NULL;
    s->nmpos = 0;
    if (s->dq_ev)
        event_free(s->dq_ev);
    if (s->pos_ev)
        event_free(s->pos_ev);
    s->dq_ev = s->pos_ev = NULL;
}
