/* sn_pool.c - HTTP/2 sessions keyed by origin, replaced after they close. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sn_err.h"
#include "sn_pool.h"
#include "ut.h"

typedef struct entry {
    struct entry *next;
    sn_pool *pool;
    char *host;
    uint16_t port;
    sn_h2 *h2;
} entry;

struct sn_pool {
    struct event_base *base;
    sn_tls *tls;
    struct evdns_base *dns;
    uint32_t timeout_ms;
    entry *list;
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
    while (p->list) {
        entry *e = p->list;
        p->list = e->next;
        sn_h2_free(e->h2); /* no on_close for a freed session */
        free(e->host);
        free(e);
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
    for (e = p->list; e; e = e->next)
        if (e->port == port && strcmp(e->host, host) == 0) {
            *out = e->h2;
            return 0;
        }
    e = calloc(1, sizeof(*e));
    if (!e || !(e->host = strdup(host))) {
        free(e);
        return UT_ERR_NOMEM;
    }
    e->pool = p;
    e->port = port;
    rc = sn_h2_connect(&e->h2, p->base, p->tls, p->dns, host, port, p->timeout_ms, &cbs, e);
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

int sn_pool_request(sn_pool *p, const char *host, uint16_t port,
                    const sn_http_req *req, sn_http_cb cb, void *ud)
{
    sn_h2 *h2;
    int rc = sn_pool_get(p, host, port, &h2);

    return rc ? rc : sn_h2_request(h2, req, cb, ud);
}

unsigned sn_pool_size(const sn_pool *p)
{
    const entry *e;
    unsigned n = 0;

    for (e = p ? p->list : NULL; e; e = e->next)
        n++;
    return n;
}
