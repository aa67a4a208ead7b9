/*
 * sc_spqr.c - see sc_spqr.h. KDF labels and layout from spqr v1.5.3
 * chain.rs (signal-crypto.md §3.3); note the two spaces in "Chain  Start".
 * The send and receive steps follow lib.rs send() / recv(): SCKA first,
 * then add_epoch with any epoch secret, then the key of the message's
 * epoch minus one.
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
static const char ADD[] = "Signal PQ Ratchet V1 Chain Add Epoch";

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

/* A link from a 96-byte generator: [32..64] is A2B's send chain. */
static void link_from(sc_spqr_link *l, uint64_t epoch, const uint8_t g[96],
                      int direction)
{
    memset(l, 0, sizeof(*l));
    l->epoch = epoch;
    l->send_live = 1;
    memcpy(l->send.next, direction == SC_SPQR_A2B ? g + 32 : g + 64, 32);
    memcpy(l->recv.next, direction == SC_SPQR_A2B ? g + 64 : g + 32, 32);
}

static void link_free(sc_spqr_link *l)
{
    sc_keylist_free(&l->history);
    ut_wipe(l, sizeof(*l));
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
    s->scka = malloc(sizeof(*s->scka));
    if (!s->scka) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    if ((rc = sc_scka_init(s->scka, direction == SC_SPQR_A2B, pqr_key)) ||
        (rc = sc_hkdf_sha256(g, 96, NULL, 0, pqr_key, 32, START, sizeof(START) - 1)))
        goto out;
    memcpy(s->next_root, g, 32);
    link_from(&s->links[0], 0, g, direction);
    s->nlinks = 1;
out:
    ut_wipe(g, sizeof(g));
    if (rc)
        sc_spqr_free(s);
    return rc;
}

void sc_spqr_free(sc_spqr *s)
{
    size_t i;

    if (!s)
        return;
    for (i = 0; i < s->nlinks; i++)
        link_free(&s->links[i]);
    ut_free_secret(s->scka, sizeof(*s->scka));
    ut_wipe(s, sizeof(*s));
}

void sc_spqr_info(const sc_spqr *s, uint64_t *scka_epoch, unsigned *scka_state,
                  uint64_t *chain_epoch)
{
    *scka_epoch = s->scka ? s->scka->epoch : 0;
    *scka_state = s->scka ? s->scka->state : 0;
    *chain_epoch = s->current_epoch;
}

/* add_epoch: the link of epoch `e` from the epoch secret (chain.rs). */
static int add_epoch(const sc_spqr *s, const sc_scka_secret *sec,
                     sc_spqr_link *l, uint8_t new_root[32])
{
    uint8_t g[96];
    int rc;

    if (sec->epoch != s->current_epoch + 1 || s->nlinks >= SC_SPQR_MAX_LINKS)
        return SC_ERR_SPQR;
    rc = sc_hkdf_sha256(g, 96, s->next_root, 32, sec->key, 32, ADD, sizeof(ADD) - 1);
    if (!rc) {
        memcpy(new_root, g, 32);
        link_from(l, sec->epoch, g, s->direction);
    }
    ut_wipe(g, sizeof(g));
    return rc;
}

/* Position of chain epoch `e` among the links, -1 for the planned new
 * link, or -2: out of range (chain.rs epoch_idx: EpochOutOfRange). */
static long find_link(const sc_spqr *s, uint64_t e, int add, const sc_spqr_link *nl)
{
    size_t i;

    if (add && nl->epoch == e)
        return -1;
    for (i = 0; i < s->nlinks; i++)
        if (s->links[i].epoch == e)
            return (long)i;
    return -2;
}

/* ---- send ------------------------------------------------------------------- */

void sc_spqr_send_plan_wipe(sc_spqr_send_plan *p)
{
    if (!p)
        return;
    ut_free_secret(p->scka, sizeof(*p->scka));
    ut_wipe(p, sizeof(*p));
}

int sc_spqr_send_prepare(sc_spqr *s, sc_spqr_send_plan *p)
{
    sc_scka_secret sec;
    sc_scka_msg m;
    long at;
    int rc;

    memset(p, 0, sizeof(*p));
    p->scka = malloc(sizeof(*p->scka));
    if (!p->scka)
        return UT_ERR_NOMEM;
    memcpy(p->scka, s->scka, sizeof(*p->scka));
    if ((rc = sc_scka_send(p->scka, &m, &sec)))
        goto out;
    if (sec.has) {
        if ((rc = add_epoch(s, &sec, &p->new_link, p->new_root)))
            goto out;
        p->add = 1;
    }
    /* chain.send_key(msg.epoch - 1) */
    p->epoch = m.epoch - 1;
    at = find_link(s, p->epoch, p->add, &p->new_link);
    if (p->epoch < s->send_epoch || at == -2) {
        rc = SC_ERR_SPQR;
        goto out;
    }
    p->dir = at == -1 ? p->new_link.send : s->links[at].send;
    if (at >= 0 && !s->links[at].send_live) {
        rc = SC_ERR_SPQR;
        goto out;
    }
    if ((rc = step(&p->dir, p->key)))
        goto out;
    p->wire_len = sc_scka_msg_encode(p->wire, &m, p->dir.ctr);
out:
    ut_wipe(&sec, sizeof(sec));
    if (rc)
        sc_spqr_send_plan_wipe(p);
    return rc;
}

void sc_spqr_send_commit(sc_spqr *s, sc_spqr_send_plan *p)
{
    size_t at, i;
    sc_scka *t;

    if (p->add) {
        s->links[s->nlinks++] = p->new_link;
        memset(&p->new_link, 0, sizeof(p->new_link));
        memcpy(s->next_root, p->new_root, 32);
        s->current_epoch = s->links[s->nlinks - 1].epoch;
    }
    for (at = 0; at < s->nlinks && s->links[at].epoch != p->epoch; at++)
        ;
    if (s->send_epoch != p->epoch) {
        /* keep one epoch before the send epoch; older send chains go */
        s->send_epoch = p->epoch;
        while (at > 1) {
            link_free(&s->links[0]);
            memmove(&s->links[0], &s->links[1], (s->nlinks - 1) * sizeof(s->links[0]));
            memset(&s->links[s->nlinks - 1], 0, sizeof(s->links[0]));
            s->nlinks--;
            at--;
        }
        for (i = 0; i < at; i++) {
            s->links[i].send_live = 0;
            ut_wipe(&s->links[i].send, sizeof(s->links[i].send));
        }
    }
    s->links[at].send = p->dir;
    t = s->scka;
    s->scka = p->scka;
    p->scka = t;
}

/* ---- receive ------------------------------------------------------------------ */

void sc_spqr_plan_wipe(sc_spqr_plan *p)
{
    if (!p)
        return;
    ut_free_secret(p->skipped, p->nskipped * sizeof(*p->skipped));
    ut_free_secret(p->scka, sizeof(*p->scka));
    sc_keylist_free(&p->new_link.history);
    ut_wipe(p, sizeof(*p));
}

/* The key of `index` in link l's receive chain (chain.rs
 * ChainEpochDirection::key), planned into p. */
static int plan_key(const sc_spqr *s, sc_spqr_link *l, uint32_t index, sc_spqr_plan *p)
{
    uint8_t key[32];
    int rc;

    if (index < l->recv.ctr) {
        long pos = sc_keylist_find(&l->history, index);
        if (pos < 0)
            return SC_ERR_DUPLICATE; /* already used, or trimmed */
        memcpy(p->key, l->history.v[pos].key, 32);
        p->has_key = 1;
        p->kind = 1;
        p->pos = (size_t)pos;
        return 0;
    }
    if (index == l->recv.ctr)
        return SC_ERR_DUPLICATE;
    if (!s->unlimited && index - l->recv.ctr > SC_SPQR_MAX_JUMP)
        return SC_ERR_TOO_FAR;
    {
        uint64_t skip = (uint64_t)index - l->recv.ctr - 1;
        size_t keep = skip > SC_SPQR_MAX_OOO ? SC_SPQR_MAX_OOO : (size_t)skip;

        rc = sc_keylist_reserve(&l->history, keep);
        if (rc)
            return rc;
        if (keep) {
            p->skipped = malloc(keep * sizeof(*p->skipped));
            if (!p->skipped)
                return UT_ERR_NOMEM;
        }
        p->dir = l->recv;
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
        return rc;
    }
}

int sc_spqr_recv_prepare(sc_spqr *s, const uint8_t *wire, size_t n,
                         sc_spqr_plan *p)
{
    sc_scka_secret sec;
    sc_scka_msg m;
    uint32_t index;
    uint64_t ke;
    long at;
    int rc;

    memset(p, 0, sizeof(*p));
    memset(&sec, 0, sizeof(sec));
    if (!wire || !n)
        return SC_ERR_SPQR; /* libsignal never sends an empty pq_ratchet */
    if (wire[0] >= 2)
        return 0;           /* unknown higher version: ignored, no salt */
    if ((rc = sc_scka_msg_decode(&m, &index, wire, n)))
        return rc;
    p->scka = malloc(sizeof(*p->scka));
    if (!p->scka)
        return UT_ERR_NOMEM;
    memcpy(p->scka, s->scka, sizeof(*p->scka));
    if ((rc = sc_scka_recv(p->scka, &m, &sec)))
        goto out;
    if (sec.has) {
        if ((rc = add_epoch(s, &sec, &p->new_link, p->new_root)))
            goto out;
        p->add = 1;
    }
    ke = m.epoch - 1;
    if (ke == 0 && index == 0)
        goto out;           /* lib.rs: no key, plain DR keys */
    at = find_link(s, ke, p->add, &p->new_link);
    if (at == -2) {
        rc = SC_ERR_SPQR;   /* EpochOutOfRange */
        goto out;
    }
    p->link = at;
    rc = plan_key(s, at == -1 ? &p->new_link : &s->links[at], index, p);
out:
    ut_wipe(&sec, sizeof(sec));
    if (rc)
        sc_spqr_plan_wipe(p);
    return rc;
}

void sc_spqr_recv_commit(sc_spqr *s, sc_spqr_plan *p)
{
    sc_spqr_link *l;
    sc_scka *t;
    size_t i;

    if (!p->scka)
        return;             /* nothing was planned (unknown version) */
    if (p->add) {
        s->links[s->nlinks++] = p->new_link;
        memset(&p->new_link, 0, sizeof(p->new_link));
        memcpy(s->next_root, p->new_root, 32);
        s->current_epoch = s->links[s->nlinks - 1].epoch;
    }
    t = s->scka;
    s->scka = p->scka;
    p->scka = t;
    if (!p->kind)
        return;
    l = p->link == -1 ? &s->links[s->nlinks - 1] : &s->links[p->link];
    if (p->kind == 1) {
        sc_keylist_remove(&l->history, p->pos);
    } else {
        for (i = 0; i < p->nskipped; i++)
            sc_keylist_push(&l->history, p->skipped[i].index,
                            p->skipped[i].key, SC_SPQR_MAX_OOO);
        l->recv = p->dir;
    }
}
