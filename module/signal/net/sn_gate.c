/* sn_gate.c - a counting semaphore with a FIFO queue (see sn_gate.h). */
#include "config.h"

#include <stdlib.h>

#include "sn_gate.h"
#include "ut.h"

struct sn_gate {
    unsigned max, held, peak;
    size_t queued;
    sn_gate_wait *head, *tail;
};

int sn_gate_new(sn_gate **out, unsigned max)
{
    sn_gate *g;

    if (!out || max == 0)
        return UT_ERR_INVAL;
    if (!(g = calloc(1, sizeof(*g))))
        return UT_ERR_NOMEM;
    g->max = max;
    *out = g;
    return 0;
}

void sn_gate_free(sn_gate *g)
{
    free(g);
}

void sn_gate_wait_init(sn_gate_wait *w, void (*wake)(sn_gate_wait *w), void *ud)
{
    w->next = w->prev = NULL;
    w->state = SN_GATE_IDLE;
    w->wake = wake;
    w->ud = ud;
}

static void take(sn_gate *g, sn_gate_wait *w)
{
    w->state = SN_GATE_HELD;
    if (++g->held > g->peak)
        g->peak = g->held;
}

static void unlink_wait(sn_gate *g, sn_gate_wait *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        g->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        g->tail = w->prev;
    w->next = w->prev = NULL;
    g->queued--;
}

int sn_gate_acquire(sn_gate *g, sn_gate_wait *w)
{
    if (w->state != SN_GATE_IDLE)
        return w->state == SN_GATE_HELD;
    /* never overtake the queue: first come, first served */
    if (g->held < g->max && !g->head) {
        take(g, w);
        return 1;
    }
    w->state = SN_GATE_QUEUED;
    w->next = NULL;
    w->prev = g->tail;
    if (g->tail)
        g->tail->next = w;
    else
        g->head = w;
    g->tail = w;
    g->queued++;
    return 0;
}

sn_gate_wait *sn_gate_release(sn_gate *g, sn_gate_wait *w)
{
    sn_gate_wait *n;

    if (w->state == SN_GATE_QUEUED) {
        unlink_wait(g, w);
        w->state = SN_GATE_IDLE;
        return NULL;
    }
    if (w->state != SN_GATE_HELD)
        return NULL;
    w->state = SN_GATE_IDLE;
    g->held--;
    if (!(n = g->head) || g->held >= g->max)
        return NULL;
    unlink_wait(g, n);
    take(g, n);
    return n;
}

void sn_gate_pass(sn_gate *g, sn_gate_wait *w)
{
    sn_gate_wait *n;

    if (g && (n = sn_gate_release(g, w)) != NULL && n->wake)
        n->wake(n);
}

unsigned sn_gate_held(const sn_gate *g)
{
    return g ? g->held : 0;
}

size_t sn_gate_queued(const sn_gate *g)
{
    return g ? g->queued : 0;
}

unsigned sn_gate_peak(const sn_gate *g)
{
    return g ? g->peak : 0;
}

unsigned sn_gate_max(const sn_gate *g)
{
    return g ? g->max : 0;
}
