/*
 * sc_spqr.c - see sc_spqr.h. KDF labels and layout from spqr v1.5.3
 * chain.rs (signal-crypto.md §3.3); note the two spaces in "Chain  Start".
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sc_msg.h"
#include "sc_prim.h"
#include "sc_spqr.h"

/* ---- key list -------------------------------------------------------------- */

int sc_keylist_reserve(sc_keylist *l, size_t extra)
{
    size_t want = l->n + extra, cap;
    sc_idxkey *v;

    if (want <= l->cap)
        return 0;
    cap = l->cap ? l->cap : 8;
    while (cap < want)
        cap *= 2;
    /* realloc could leave key bytes behind in freed memory: copy + wipe */
    v = malloc(cap * sizeof(*v));
    if (!v)
        return UT_ERR_NOMEM;
    if (l->n)
        memcpy(v, l->v, l->n * sizeof(*v));
    ut_free_secret(l->v, l->cap * sizeof(*l->v));
    l->v = v;
    l->cap = cap;
    return 0;
}

long sc_keylist_find(const sc_keylist *l, uint32_t index)
{
    size_t i;

    for (i = l->n; i-- > 0;)
        if (l->v[i].index == index)
            return (long)i;
    return -1;
}

void sc_keylist_remove(sc_keylist *l, size_t pos)
{
    memmove(&l->v[pos], &l->v[pos + 1], (l->n - pos - 1) * sizeof(*l->v));
    l->n--;
    ut_wipe(&l->v[l->n], sizeof(*l->v));
}

void sc_keylist_push(sc_keylist *l, uint32_t index, const uint8_t key[32],
                     size_t max)
{
    if (l->n >= max) {
        size_t drop = l->n - max + 1;
        memmove(l->v, l->v + drop, (l->n - drop) * sizeof(*l->v));
        l->n -= drop;
        ut_wipe(&l->v[l->n], drop * sizeof(*l->v));
    }
    l->v[l->n].index = index;
    memcpy(l->v[l->n].key, key, 32);
    l->n++;
}

void sc_keylist_free(sc_keylist *l)
{
    if (!l)
        return;
    ut_free_secret(l->v, l->cap * sizeof(*l->v));
    memset(l, 0, sizeof(*l));
}

/* ---- chain ------------------------------------------------------------------ */

static const char START[] = "Signal PQ Ratchet V1 Chain  Start";
static const char NEXT[] = "Signal PQ Ratchet V1 Chain Next";

/* ctr += 1; (next, key) = HKDF(next, BE32(ctr) ‖ NEXT) */
static int step(sc_spqr_dir *d, uint8_t key[32])
{
    uint8_t info[4 + sizeof(NEXT) - 1], o[64];
    uint32_t c = d->ctr + 1;
    int rc;

    info[0] = (uint8_t)(c >> 24);
    info[1] = (uint8_t)(c >> 16);
    info[2] = (uint8_t)(c >> 8);
    info[3] = (uint8_t)c;
    memcpy(info + 4, NEXT, sizeof(NEXT) - 1);
    rc = sc_hkdf_sha256(o, 64, NULL, 0, d->next, 32, info, sizeof(info));
    if (!rc) {
        d->ctr = c;
        memcpy(d->next, o, 32);
        memcpy(key, o + 32, 32);
    }
    ut_wipe(o, sizeof(o));
    return rc;
}

int sc_spqr_init(sc_spqr *s, int direction, const uint8_t pqr_key[32],
                 int unlimited)
{
    uint8_t g[96];
    int rc;

    memset(s, 0, sizeof(*s));
    s->direction = (uint8_t)direction;
    s->unlimited = unlimited ? 1 : 0;
    memcpy(s->auth_key, pqr_key, 32);
    rc = sc_hkdf_sha256(g, 96, NULL, 0, pqr_key, 32, START, sizeof(START) - 1);
    if (rc)
        goto out;
    memcpy(s->next_root, g, 32);
    /* A2B's send chain is G[32..64], B2A's is G[64..96]. */
    memcpy(s->send.next, direction == SC_SPQR_A2B ? g + 32 : g + 64, 32);
    memcpy(s->recv.next, direction == SC_SPQR_A2B ? g + 64 : g + 32, 32);
out:
    ut_wipe(g, sizeof(g));
    if (rc)
        sc_spqr_free(s);
    return rc;
}

void sc_spqr_free(sc_spqr *s)
{
    if (!s)
        return;
    sc_keylist_free(&s->history);
    ut_wipe(s, sizeof(*s));
}

int sc_spqr_send(sc_spqr *s, uint8_t wire[SC_SPQR_WIRE_MAX], size_t *wire_len,
                 uint8_t key[32])
{
    size_t n = 0;
    int rc = step(&s->send, key);

    if (rc)
        return rc;
    wire[n++] = 0x01;                            /* V1 */
    n += sc_varint_put(wire + n, s->epoch + 1);  /* SCKA epoch = chain epoch + 1 */
    n += sc_varint_put(wire + n, s->send.ctr);
    wire[n++] = 0x00;                            /* payload None */
    *wire_len = n;
    return 0;
}

void sc_spqr_plan_wipe(sc_spqr_plan *p)
{
    if (!p)
        return;
    ut_free_secret(p->skipped, p->nskipped * sizeof(*p->skipped));
    ut_wipe(p, sizeof(*p));
}

int sc_spqr_recv_prepare(sc_spqr *s, const uint8_t *wire, size_t n,
                         sc_spqr_plan *p)
{
    uint64_t epoch, index;
    size_t off = 1, k;
    uint8_t type;
    int rc;

    memset(p, 0, sizeof(*p));
    if (!wire || !n)
        return SC_ERR_SPQR; /* libsignal never sends an empty pq_ratchet */
    if (wire[0] >= 2)
        return 0;           /* unknown higher version: ignored, no salt */
    if (wire[0] != 1)
        return SC_ERR_SPQR;
    k = sc_varint_get(&epoch, wire + off, n - off);
    if (!k)
        return SC_ERR_SPQR;
    off += k;
    k = sc_varint_get(&index, wire + off, n - off);
    if (!k || index > UINT32_MAX)
        return SC_ERR_SPQR;
    off += k;
    if (off >= n)
        return SC_ERR_SPQR;
    type = wire[off++];
    if (type > 6)
        return SC_ERR_SPQR;
    if (type != 0 && type != 4) { /* a chunk follows: ignored, but must parse */
        uint64_t ci;
        k = sc_varint_get(&ci, wire + off, n - off);
        if (!k || ci > 65535 || n - off - k < 32)
            return SC_ERR_SPQR;
    }
    if (epoch != s->epoch + 1)
        return SC_ERR_SPQR;
    if (index == 0)
        return 0;           /* epoch 1, index 0: no key, plain DR keys */
    if (index < s->recv.ctr) {
        long pos = sc_keylist_find(&s->history, (uint32_t)index);
        if (pos < 0)
            return SC_ERR_DUPLICATE; /* already used, or trimmed */
        memcpy(p->key, s->history.v[pos].key, 32);
        p->has_key = 1;
        p->kind = 1;
        p->pos = (size_t)pos;
        return 0;
    }
    if (index == s->recv.ctr)
        return SC_ERR_DUPLICATE;
    if (!s->unlimited && index - s->recv.ctr > SC_SPQR_MAX_JUMP)
        return SC_ERR_TOO_FAR;
    {
        uint64_t skip = index - s->recv.ctr - 1;
        size_t keep = skip > SC_SPQR_MAX_OOO ? SC_SPQR_MAX_OOO : (size_t)skip;
        uint8_t key[32];

        rc = sc_keylist_reserve(&s->history, keep);
        if (rc)
            return rc;
        if (keep) {
            p->skipped = malloc(keep * sizeof(*p->skipped));
            if (!p->skipped)
                return UT_ERR_NOMEM;
        }
        p->dir = s->recv;
        while (p->dir.ctr + 1 < index) {
            rc = step(&p->dir, key);
            if (rc)
                goto fail;
            if (index - p->dir.ctr <= keep) { /* only the newest `keep` matter */
                p->skipped[p->nskipped].index = p->dir.ctr;
                memcpy(p->skipped[p->nskipped].key, key, 32);
                p->nskipped++;
            }
        }
        rc = step(&p->dir, p->key);
        if (rc)
            goto fail;
        ut_wipe(key, sizeof(key));
        p->has_key = 1;
        p->kind = 2;
        return 0;
fail:
        ut_wipe(key, sizeof(key));
        sc_spqr_plan_wipe(p);
        return rc;
    }
}

void sc_spqr_recv_commit(sc_spqr *s, sc_spqr_plan *p)
{
    size_t i;

    if (p->kind == 1) {
        sc_keylist_remove(&s->history, p->pos);
    } else if (p->kind == 2) {
        for (i = 0; i < p->nskipped; i++)
            sc_keylist_push(&s->history, p->skipped[i].index,
                            p->skipped[i].key, SC_SPQR_MAX_OOO);
        s->recv = p->dir;
    }
}
