/*
 * br_retry.c - see br_retry.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "br_retry.h"

typedef struct br_retry {
    char *what;
    br_retry_fn write;
    br_retry_then_fn then;
    void *ctx;
    void (*free_ctx)(void *);
    struct br_retry *next;
} br_retry;

static void retry_free(br_retry *r)
{
    if (r->free_ctx)
        r->free_ctx(r->ctx);
    free(r->what);
    free(r);
}

static void on_timer(void *arg);

static void arm(br_bridge *b)
{
    int64_t delay;

    if (b->stopping || b->retry_timer || !b->retries)
        return;
    delay = br_outbox_backoff_ms(++b->retry_attempts + 1);
    b->retry_timer = b->host->timer_add(b->host->host, (uint64_t)delay, on_timer, b);
}

/* One try; 0 done, 1 keep it, < 0 dropped (logged). */
static int try_once(br_bridge *b, const char *what, br_retry_fn write, void *ctx)
{
    int rc = write(b, ctx);

    if (rc == 0)
        return 0;
    if (st_db_retryable(b->db, rc)) {
        ut_logf(&b->log, UT_LOG_WARN, "bridge: cannot store %s: %s; will retry", what,
                st_errmsg(b->db));
        return 1;
    }
    ut_logf(&b->log, UT_LOG_ERROR, "bridge: cannot store %s: %s; given up", what, st_errmsg(b->db));
    return rc;
}

static void on_timer(void *arg)
{
    br_bridge *b = arg;
    br_retry *r, **p = &b->retries;

    b->retry_timer = 0;
    /* in order, up to the first that still fails: a later write may
     * depend on an earlier one (a login stored, then removed) */
    while ((r = *p)) {
        int rc = try_once(b, r->what, r->write, r->ctx);
        if (rc == 1)
            break;
        *p = r->next;
        if (rc == 0) {
            ut_logf(&b->log, UT_LOG_INFO, "bridge: stored %s after a retry", r->what);
            if (r->then)
                r->then(b, r->ctx);
        }
        retry_free(r);
    }
    if (!b->retries)
        b->retry_attempts = 0;
    arm(b);
}

int br_retry_write(br_bridge *b, const char *what, br_retry_fn write, br_retry_then_fn then,
                   void *ctx, void (*free_ctx)(void *))
{
    br_retry *r = NULL, **p;
    /* behind writes already queued, in order (see on_timer) */
    int rc = b->retries ? 1 : try_once(b, what, write, ctx);

    if (rc == 1 && !b->stopping && (r = calloc(1, sizeof(*r))) && (r->what = strdup(what))) {
        r->write = write;
        r->then = then;
        r->ctx = ctx;
        r->free_ctx = free_ctx;
        for (p = &b->retries; *p; p = &(*p)->next)
            ;
        *p = r;
        arm(b);
        return 1;
    }
    if (rc == 1) {
        ut_logf(&b->log, UT_LOG_ERROR, "bridge: %s not stored: %s", what,
                b->stopping ? "stopping" : "out of memory");
        rc = b->stopping ? ST_ERR_BUSY : UT_ERR_NOMEM;
    }
    free(r);
    if (rc == 0 && then)
        then(b, ctx);
    if (free_ctx)
        free_ctx(ctx);
    return rc;
}

size_t br_retry_pending(const br_bridge *b)
{
    const br_retry *r;
    size_t n = 0;

    for (r = b->retries; r; r = r->next)
        n++;
    return n;
}

void br_retry_stop(br_bridge *b)
{
    br_retry *r;

    if (b->retry_timer)
        b->host->timer_cancel(b->host->host, b->retry_timer);
    b->retry_timer = 0;
    while ((r = b->retries)) {
        b->retries = r->next;
        ut_logf(&b->log, UT_LOG_WARN, "bridge: %s was not stored before the stop", r->what);
        retry_free(r);
    }
}
