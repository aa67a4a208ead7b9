/* sn_rpc.c - WebSocketMessage requests, responses and deferred acks. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "sn_err.h"
#include "sn_rpc.h"
#include "sn_wsmsg.h"
#include "ut.h"

#define SN_RPC_MAX_OUT (64u << 20)

typedef struct pending {
    struct pending *next;
    sn_rpc *rpc;
    uint64_t id;
    sn_rpc_response_cb cb;
    void *ud;
    struct event *timer;
} pending;

struct sn_rpc_srvreq {
    sn_rpc_srvreq *next, *prev;
    uint64_t gen;          /* connection it arrived on */
    sn_wsmsg msg;
};

struct sn_rpc {
    struct event_base *base;
    sn_rpc_request_cb on_request;
    void *ud;
    sn_rpc_send_fn send;
    void *send_ctx;
    uint64_t gen;          /* ++ per attach */
    uint64_t next_id;
    pending *pend;
    sn_rpc_srvreq *held;
    size_t n_pend, n_held;
};

int sn_rpc_new(sn_rpc **out, struct event_base *base,
               sn_rpc_request_cb on_request, void *ud)
{
    sn_rpc *r;

    if (!out || !base)
        return UT_ERR_INVAL;
    r = calloc(1, sizeof(*r));
    if (!r)
        return UT_ERR_NOMEM;
    r->base = base;
    r->on_request = on_request;
    r->ud = ud;
    r->next_id = 1;
    *out = r;
    return 0;
}

static pending *take_pending(sn_rpc *r, uint64_t id)
{
    pending **pp, *p;

    for (pp = &r->pend; (p = *pp) != NULL; pp = &p->next)
        if (p->id == id) {
            *pp = p->next;
            r->n_pend--;
            return p;
        }
    return NULL;
}

static void finish(pending *p, int rc, const sn_rpc_response *resp)
{
    if (p->timer)
        event_free(p->timer);
    if (p->cb)
        p->cb(rc, resp, p->ud);
    free(p);
}

/* Complete every pending request with rc; new ones may be added meanwhile. */
static void fail_pending(sn_rpc *r, int rc)
{
    pending *list = r->pend, *p;

    r->pend = NULL;
    r->n_pend = 0;
    while ((p = list) != NULL) {
        list = p->next;
        finish(p, rc, NULL);
    }
}

static void unlink_held(sn_rpc *r, sn_rpc_srvreq *q)
{
    if (q->prev)
        q->prev->next = q->next;
    else
        r->held = q->next;
    if (q->next)
        q->next->prev = q->prev;
    r->n_held--;
}

static void held_free(sn_rpc_srvreq *q)
{
    sn_wsmsg_clear(&q->msg);
    free(q);
}

void sn_rpc_free(sn_rpc *r)
{
    if (!r)
        return;
    r->send = NULL;
    fail_pending(r, SN_ERR_CANCELLED);
    while (r->held) {
        sn_rpc_srvreq *q = r->held;
        unlink_held(r, q);
        held_free(q);
    }
    free(r);
}

void sn_rpc_attach(sn_rpc *r, sn_rpc_send_fn send, void *ctx)
{
    r->gen++;
    r->send = send;
    r->send_ctx = ctx;
}

void sn_rpc_detach(sn_rpc *r, int err)
{
    if (!r)
        return;
    r->gen++; /* every held request is stale from now on */
    r->send = NULL;
    r->send_ctx = NULL;
    fail_pending(r, err ? err : SN_ERR_CLOSED);
}

int sn_rpc_attached(const sn_rpc *r)
{
    return r && r->send != NULL;
}

static void timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    pending *p = arg;
    pending *q;

    (void)fd;
    (void)what;
    q = take_pending(p->rpc, p->id);
    if (q)
        finish(q, SN_ERR_TIMEOUT, NULL);
}

int sn_rpc_request(sn_rpc *r, const char *verb, const char *path,
                   const sn_hdr *headers, size_t n_headers, const uint8_t *body,
                   size_t body_len, uint32_t timeout_ms, sn_rpc_response_cb cb,
                   void *ud, uint64_t *id_out)
{
    pending *p = NULL;
    struct timeval tv;
    ut_buf b;
    int rc;

    if (!r || !verb || !path || !cb)
        return UT_ERR_INVAL;
    if (!r->send)
        return SN_ERR_STATE;
    ut_buf_init(&b, SN_RPC_MAX_OUT);
    p = calloc(1, sizeof(*p));
    if (!p)
        return UT_ERR_NOMEM;
    p->rpc = r;
    p->id = r->next_id++;
    p->cb = cb;
    p->ud = ud;
    p->timer = evtimer_new(r->base, timeout_cb, p);
    if (!p->timer) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    rc = sn_wsmsg_encode_request(&b, verb, path, p->id, headers, n_headers, body,
                                 body_len);
    if (rc)
        goto out;
    rc = r->send(r->send_ctx, b.data, b.len);
    if (rc)
        goto out;
    if (!timeout_ms)
        timeout_ms = 30000;
    tv.tv_sec = timeout_ms / 1000;
    tv.tv_usec = (timeout_ms % 1000) * 1000;
    evtimer_add(p->timer, &tv);
    p->next = r->pend;
    r->pend = p;
    r->n_pend++;
    if (id_out)
        *id_out = p->id;
    p = NULL;
out:
    ut_buf_free(&b);
    if (p) {
        if (p->timer)
            event_free(p->timer);
        free(p);
    }
    return rc;
}

int sn_rpc_input(sn_rpc *r, const uint8_t *buf, size_t len)
{
    sn_rpc_srvreq *q;
    int rc;

    if (!r || (!buf && len))
        return UT_ERR_INVAL;
    q = calloc(1, sizeof(*q));
    if (!q)
        return UT_ERR_NOMEM;
    rc = sn_wsmsg_decode(buf, len, &q->msg);
    if (rc) {
        free(q);
        return rc;
    }
    if (q->msg.type == SN_WSMSG_RESPONSE) {
        pending *p = take_pending(r, q->msg.id);
        if (p) {
            sn_rpc_response resp;
            resp.status = q->msg.status;
            resp.message = q->msg.message;
            resp.headers = &q->msg.headers;
            resp.body = q->msg.body;
            resp.body_len = q->msg.body_len;
            finish(p, 0, &resp);
        }
        held_free(q);
        return 0;
    }
    q->gen = r->gen;
    q->next = r->held;
    if (r->held)
        r->held->prev = q;
    r->held = q;
    r->n_held++;
    if (r->on_request) {
        sn_rpc_incoming in;
        in.verb = q->msg.verb;
        in.path = q->msg.path;
        in.id = q->msg.id;
        in.headers = &q->msg.headers;
        in.body = q->msg.body;
        in.body_len = q->msg.body_len;
        r->on_request(r, q, &in, r->ud);
    } else {
        sn_rpc_release(r, q);
    }
    return 0;
}

int sn_rpc_respond(sn_rpc *r, sn_rpc_srvreq *q, uint32_t status)
{
    ut_buf b;
    int rc;

    if (!r || !q)
        return UT_ERR_INVAL;
    unlink_held(r, q);
    if (q->gen != r->gen || !r->send) {
        held_free(q);
        return SN_ERR_STALE;
    }
    ut_buf_init(&b, 4096);
    rc = sn_wsmsg_encode_response(&b, q->msg.id, status,
                                  status == 200 ? "OK" : NULL, NULL, 0, NULL, 0);
    held_free(q);
    if (rc == 0)
        rc = r->send(r->send_ctx, b.data, b.len);
    ut_buf_free(&b);
    return rc;
}

void sn_rpc_release(sn_rpc *r, sn_rpc_srvreq *q)
{
    if (!r || !q)
        return;
    unlink_held(r, q);
    held_free(q);
}

size_t sn_rpc_pending(const sn_rpc *r)
{
    return r ? r->n_pend : 0;
}

size_t sn_rpc_unanswered(const sn_rpc *r)
{
    return r ? r->n_held : 0;
}
