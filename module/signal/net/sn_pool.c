/* sn_pool.c - HTTP/2 sessions keyed by origin, replaced after they close. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "sn_err.h"
#include "sn_gate.h"
#include "sn_pool.h"
#include "ut.h"

typedef struct entry {
    struct entry *next;
    sn_pool *pool;
    char *host;
    uint16_t port;
    sn_h2 *h2;
    int64_t idle_since;   /* ms when first seen without streams; 0 = busy */
} entry;

struct sn_pool {
    struct event_base *base;
    sn_tls *tls;
    struct evdns_base *dns;
    uint32_t timeout_ms;
    entry *list;
    /* sessions that take no new requests (closing, or GOAWAY) while their
     * last requests finish; freed at on_close, by the sweep or the pool */
    entry *retired;
    struct event *sweep;  /* idle check, when an idle limit is set */
    uint32_t idle_ms;
    sn_gate *gate;        /* bound on connections in their handshake; NULL none */
};

int sn_pool_new(sn_pool **out, struct event_base *base, sn_tls *tls,
                struct evdns_base *dns, uint32_t connect_timeout_ms)
{
    sn_pool *p;

    if (!out || !base || !tls)
        return UT_ERR_INVAL;
    p = calloc(1, sizeof(*p));
    if (!p)
        return UT_ERR_NOMEM;
    p->base = base;
    p->tls = tls;
    p->dns = dns;
    p->timeout_ms = connect_timeout_ms;
    *out = p;
    return 0;
}

static void unlink_entry(sn_pool *p, entry *e)
{
    entry **pp;

    for (pp = &p->list; *pp; pp = &(*pp)->next)
        if (*pp == e) {
            *pp = e->next;
            return;
        }
    for (pp = &p->retired; *pp; pp = &(*pp)->next)
        if (*pp == e) {
            *pp = e->next;
            return;
        }
}

static void free_list(entry *e)
{
    while (e) {
        entry *next = e->next;
        sn_h2_free(e->h2); /* no on_close for a freed session */
        free(e->host);
        free(e);
        e = next;
    }
}

/* The session closed: forget it (freed once its callback returns). */
static void on_close(sn_h2 *h2, int err, void *ud)
{
    entry *e = ud;

    (void)err;
    unlink_entry(e->pool, e);
    sn_h2_free(h2);
    free(e->host);
    free(e);
}

void sn_pool_free(sn_pool *p)
{
    if (!p)
        return;
    if (p->sweep)
        event_free(p->sweep);
    /* detach first: a cancelled request's callback may ask the pool again */
    {
        entry *list = p->list, *retired = p->retired;

        p->list = p->retired = NULL;
        free_list(list);
        free_list(retired);
    }
    free(p);
}

int sn_pool_get(sn_pool *p, const char *host, uint16_t port, sn_h2 **out)
{
    static const sn_h2_callbacks cbs = {NULL, on_close};
    entry *e;
    int rc;

    if (!p || !host || !port || !out)
        return UT_ERR_INVAL;
    *out = NULL;
    for (entry **pp = &p->list; (e = *pp) != NULL; pp = &e->next)
        if (e->port == port && strcmp(e->host, host) == 0) {
            if (sn_h2_can_request(e->h2)) {
                *out = e->h2;
                return 0;
            }
            /* closing (its requests are being failed: a callback asking
             * again gets a new connection) or the server sent GOAWAY */
            *pp = e->next;
            e->next = p->retired;
            p->retired = e;
            break;
        }
    e = calloc(1, sizeof(*e));
    if (!e || !(e->host = strdup(host))) {
        free(e);
        return UT_ERR_NOMEM;
    }
    e->pool = p;
    e->port = port;
    rc = sn_h2_connect_gated(&e->h2, p->base, p->tls, p->dns, host, port, p->timeout_ms,
                             p->gate, &cbs, e);
    if (rc) {
        free(e->host);
        free(e);
        return rc;
    }
    e->next = p->list;
    p->list = e;
    *out = e->h2;
    return 0;
}

void sn_pool_set_gate(sn_pool *p, sn_gate *gate)
{
    if (p)
        p->gate = gate;
}

int sn_pool_request(sn_pool *p, const char *host, uint16_t port,
                    const sn_http_req *req, sn_http_cb cb, void *ud)
{
    sn_h2 *h2;
    int rc = sn_pool_get(p, host, port, &h2);

    return rc ? rc : sn_h2_request(h2, req, cb, ud);
}

static void sweep_cb(evutil_socket_t fd, short what, void *arg)
{
    sn_pool *p = arg;
    int64_t now = ut_now_ms();
    entry **pp = &p->list;

    (void)fd;
    (void)what;
    for (pp = &p->retired; *pp;) {
        entry *e = *pp;
        if (sn_h2_open_streams(e->h2) == 0) {
            *pp = e->next;
            sn_h2_free(e->h2);
            free(e->host);
            free(e);
            continue;
        }
        pp = &e->next;
    }
    pp = &p->list;
    while (*pp) {
        entry *e = *pp;
        if (sn_h2_open_streams(e->h2) > 0) {
            e->idle_since = 0;
        } else if (!e->idle_since) {
            e->idle_since = now;
        } else if (now - e->idle_since >= (int64_t)p->idle_ms) {
            *pp = e->next;
            sn_h2_free(e->h2); /* nothing open: nobody is told; no on_close */
            free(e->host);
            free(e);
            continue;
        }
        pp = &e->next;
    }
}

int sn_pool_set_idle(sn_pool *p, uint32_t idle_ms)
{
    struct timeval tv;
    uint32_t every;

    if (!p)
        return UT_ERR_INVAL;
    p->idle_ms = idle_ms;
    if (p->sweep)
        event_del(p->sweep);
    if (!idle_ms)
        return 0;
    if (!p->sweep && !(p->sweep = event_new(p->base, -1, EV_PERSIST, sweep_cb, p)))
        return UT_ERR_NOMEM;
    every = idle_ms / 2 < 50 ? 50 : idle_ms / 2;
    tv.tv_sec = every / 1000;
    tv.tv_usec = (every % 1000) * 1000;
    return event_add(p->sweep, &tv) == 0 ? 0 : UT_ERR_NOMEM;
}

unsigned sn_pool_size(const sn_pool *p)
{
    const entry *e;
    unsigned n = 0;

    for (e = p ? p->list : NULL; e; e = e->next)
        n++;
    return n;
}
