/*
 * sc_record.c - session records <-> sc_record.proto (format 1). The loader
 * checks every length and count before building states, so a malformed or
 * hostile record gives SC_ERR_RECORD and never a half-built session.
 * Unpacking uses a wiping allocator: key bytes in protobuf-c's temporary
 * buffers are erased when they are freed.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sc_record.pb-c.h"
#include "sc_session_int.h"

#define FORMAT 1

/* ---- wiping allocator -------------------------------------------------- */

typedef union { size_t n; max_align_t a; } hdr;

static void *walloc(void *ud, size_t n)
{
    hdr *h = malloc(sizeof(hdr) + n);

    (void)ud;
    if (!h)
        return NULL;
    h->n = n;
    return h + 1;
}

static void wfree(void *ud, void *p)
{
    hdr *h;

    (void)ud;
    if (!p)
        return;
    h = (hdr *)p - 1;
    ut_free_secret(h, sizeof(hdr) + h->n);
}


/* ---- pack ------------------------------------------------------------------ */

/* Everything the protobuf structs of one state point to. */
typedef struct packst {
    Screc__State st;
    Screc__RecvChain ch[SC_MAX_RECEIVER_CHAINS], *chp[SC_MAX_RECEIVER_CHAINS];
    Screc__IdxKey *keys;           /* all IdxKeys of this state */
    Screc__IdxKey **keyp;
    Screc__Pending pend;
    Screc__Address la, ra;
    Screc__Spqr spqr;
    Screc__SpqrEpoch ep[SC_SPQR_MAX_LINKS], *epp[SC_SPQR_MAX_LINKS];
    Screc__SpqrDir sd[SC_SPQR_MAX_LINKS], rd[SC_SPQR_MAX_LINKS];
    uint8_t scka[SC_SCKA_SER_MAX];
    uint8_t sender_pub[32];
} packst;

#define BYTES(field, ptr, sz) \
    do { (field).data = (uint8_t *)(ptr); (field).len = (sz); } while (0)

static void pack_addr(Screc__Address *a, const sc_address *src)
{
    screc__address__init(a);
    a->has_kind = a->has_device = a->has_uuid = 1;
    a->kind = src->kind;
    a->device = src->device;
    BYTES(a->uuid, src->uuid, 16);
}

static int pack_state(packst *p, const sc_state *s)
{
    size_t nkeys = 0, i, j, k = 0;

    for (i = 0; i < s->spqr.nlinks; i++)
        nkeys += s->spqr.links[i].history.n;
    for (i = 0; i < s->nchains; i++)
        nkeys += s->chains[i].skipped.n;
    p->keys = calloc(nkeys ? nkeys : 1, sizeof(*p->keys));
    p->keyp = calloc(nkeys ? nkeys : 1, sizeof(*p->keyp));
    if (!p->keys || !p->keyp)
        return UT_ERR_NOMEM;
    for (i = 0; i < nkeys; i++) {
        screc__idx_key__init(&p->keys[i]);
        p->keyp[i] = &p->keys[i];
    }
    screc__state__init(&p->st);
    p->st.has_session_version = 1;
    p->st.session_version = s->version;
    p->st.has_local_identity = p->st.has_remote_identity = 1;
    BYTES(p->st.local_identity, s->local_ik, 32);
    BYTES(p->st.remote_identity, s->remote_ik, 32);
    p->st.has_local_registration_id = p->st.has_remote_registration_id = 1;
    p->st.local_registration_id = s->local_reg;
    p->st.remote_registration_id = s->remote_reg;
    p->st.has_root_key = 1;
    BYTES(p->st.root_key, s->root, 32);
    p->st.has_sender_ratchet_public = p->st.has_sender_ratchet_private = 1;
    BYTES(p->st.sender_ratchet_public, s->sender_ratchet.pub, 32);
    BYTES(p->st.sender_ratchet_private, s->sender_ratchet.priv, 32);
    p->st.has_sender_chain_key = 1;
    BYTES(p->st.sender_chain_key, s->sender_ck, 32);
    p->st.has_sender_index = p->st.has_previous_counter = 1;
    p->st.sender_index = s->sender_index;
    p->st.previous_counter = s->previous_counter;
    for (i = 0; i < s->nchains; i++) {
        const sc_recv_chain *c = &s->chains[i];
        Screc__RecvChain *o = &p->ch[i];
        screc__recv_chain__init(o);
        o->has_ratchet_key = o->has_chain_key = o->has_index = 1;
        BYTES(o->ratchet_key, c->ratchet_key, 32);
        BYTES(o->chain_key, c->ck, 32);
        o->index = c->index;
        o->n_skipped = c->skipped.n;
        o->skipped = p->keyp + k;
        for (j = 0; j < c->skipped.n; j++, k++) {
            p->keys[k].has_index = p->keys[k].has_key = 1;
            p->keys[k].index = c->skipped.v[j].index;
            BYTES(p->keys[k].key, c->skipped.v[j].key, 32);
        }
        p->chp[i] = o;
    }
    p->st.n_receiver_chains = s->nchains;
    p->st.receiver_chains = p->chp;
    if (s->has_pending) {
        screc__pending__init(&p->pend);
        p->pend.has_pre_key_id = s->pending.has_pre_key_id;
        p->pend.pre_key_id = s->pending.pre_key_id;
        p->pend.has_signed_pre_key_id = p->pend.has_kyber_pre_key_id = 1;
        p->pend.signed_pre_key_id = s->pending.signed_pre_key_id;
        p->pend.kyber_pre_key_id = s->pending.kyber_pre_key_id;
        p->pend.has_kyber_ciphertext = p->pend.has_base_key = 1;
        BYTES(p->pend.kyber_ciphertext, s->pending.kyber_ct, SC_KEM_CT_LEN);
        BYTES(p->pend.base_key, s->pending.base_key, 32);
        p->st.pending = &p->pend;
    }
    p->st.has_alice_base_key = 1;
    BYTES(p->st.alice_base_key, s->alice_base_key, 32);
    p->st.has_self_session = 1;
    p->st.self_session = s->self_session;
    if (s->has_addresses) {
        pack_addr(&p->la, &s->local_addr);
        pack_addr(&p->ra, &s->remote_addr);
        p->st.local_address = &p->la;
        p->st.remote_address = &p->ra;
    }
    screc__spqr__init(&p->spqr);
    p->spqr.has_version = p->spqr.has_direction = p->spqr.has_mode = 1;
    p->spqr.version = 1;
    p->spqr.direction = s->spqr.direction;
    p->spqr.mode = 1;
    p->spqr.has_auth_key = p->spqr.has_next_root = p->spqr.has_unlimited = 1;
    BYTES(p->spqr.auth_key, s->spqr.auth_key, 32);
    BYTES(p->spqr.next_root, s->spqr.next_root, 32);
    p->spqr.unlimited = s->spqr.unlimited;
    p->spqr.has_send_epoch = p->spqr.has_current_epoch = 1;
    p->spqr.send_epoch = s->spqr.send_epoch;
    p->spqr.current_epoch = s->spqr.current_epoch;
    for (i = 0; i < s->spqr.nlinks; i++) {
        const sc_spqr_link *l = &s->spqr.links[i];
        Screc__SpqrEpoch *e = &p->ep[i];
        screc__spqr_epoch__init(e);
        screc__spqr_dir__init(&p->sd[i]);
        screc__spqr_dir__init(&p->rd[i]);
        e->has_epoch = 1;
        e->epoch = l->epoch;
        p->sd[i].has_ctr = 1;
        p->sd[i].ctr = l->send.ctr;
        if (l->send_live) {
            p->sd[i].has_next = 1;
            BYTES(p->sd[i].next, l->send.next, 32);
        }
        p->rd[i].has_ctr = p->rd[i].has_next = 1;
        p->rd[i].ctr = l->recv.ctr;
        BYTES(p->rd[i].next, l->recv.next, 32);
        e->send = &p->sd[i];
        e->recv = &p->rd[i];
        e->n_recv_history = l->history.n;
        e->recv_history = p->keyp + k;
        for (j = 0; j < l->history.n; j++, k++) {
            p->keys[k].has_index = p->keys[k].has_key = 1;
            p->keys[k].index = l->history.v[j].index;
            BYTES(p->keys[k].key, l->history.v[j].key, 32);
        }
        p->epp[i] = e;
    }
    p->spqr.n_epochs = s->spqr.nlinks;
    p->spqr.epochs = p->epp;
    if (s->spqr.scka) {
        size_t n = sc_scka_serialize(p->scka, s->spqr.scka);
        p->spqr.has_scka_state = 1;
        BYTES(p->spqr.scka_state, p->scka, n);
    }
    p->st.spqr = &p->spqr;
    return 0;
}

int sc_session_serialize(const sc_session *s, uint8_t **out, size_t *out_len)
{
    Screc__Record rec = SCREC__RECORD__INIT;
    size_t n = 1 + (s ? s->nprevious : 0), i, len;
    packst *ps;
    Screc__State **prev = NULL;
    uint8_t *buf = NULL;
    int rc = 0;

    *out = NULL;
    *out_len = 0;
    if (!s)
        return UT_ERR_INVAL;
    ps = calloc(n, sizeof(*ps));
    prev = calloc(n, sizeof(*prev));
    if (!ps || !prev) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    rec.has_format = 1;
    rec.format = FORMAT;
    if (s->has_current) {
        if ((rc = pack_state(&ps[0], &s->current)))
            goto out;
        rec.current = &ps[0].st;
    }
    for (i = 0; i < s->nprevious; i++) {
        if ((rc = pack_state(&ps[i + 1], s->previous[i])))
            goto out;
        prev[i] = &ps[i + 1].st;
    }
    rec.n_previous = s->nprevious;
    rec.previous = prev;
    len = screc__record__get_packed_size(&rec);
    buf = malloc(len ? len : 1);
    if (!buf) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    screc__record__pack(&rec, buf);
    *out = buf;
    *out_len = len;
out:
    if (ps)
        for (i = 0; i < n; i++) {
            free(ps[i].keys); /* only pointers into the state */
            free(ps[i].keyp);
        }
    ut_free_secret(ps, n * sizeof(*ps));
    free(prev);
    return rc;
}

/* ---- load -------------------------------------------------------------------- */

#define HAS32(m, f) ((m)->has_##f && (m)->f.len == 32)

static int load_keys(sc_keylist *l, Screc__IdxKey **v, size_t n, size_t max)
{
    size_t i;

    if (n > max)
        return SC_ERR_RECORD;
    if (n && sc_keylist_reserve(l, n))
        return UT_ERR_NOMEM;
    for (i = 0; i < n; i++) {
        if (!v[i]->has_index || !HAS32(v[i], key))
            return SC_ERR_RECORD;
        sc_keylist_push(l, v[i]->index, v[i]->key.data, max);
    }
    return 0;
}

static int load_addr(sc_address *a, const Screc__Address *m)
{
    if (!m->has_kind || m->kind > 1 || !m->has_uuid || m->uuid.len != 16 ||
        !m->has_device || m->device > 255)
        return SC_ERR_RECORD;
    a->kind = (uint8_t)m->kind;
    memcpy(a->uuid, m->uuid.data, 16);
    a->device = m->device;
    return 0;
}

/* SPQR of a record: mode 1 as written; mode 0 (written before full SPQR:
 * the epoch-0 chain of a session whose SCKA never moved) becomes full SPQR
 * at the SCKA's first state, which is where such a session is. */
static int load_spqr(sc_spqr *sp, const Screc__Spqr *q)
{
    int mode = q->has_mode ? (int)q->mode : 0;
    size_t i;
    int rc;

    if (q->n_epochs < 1 || q->n_epochs > SC_SPQR_MAX_LINKS ||
        (mode == 0 && q->n_epochs != 1) ||
        (mode == 1 && (!q->has_scka_state || !q->has_send_epoch || !q->has_current_epoch)))
        return SC_ERR_RECORD;
    for (i = 0; i < q->n_epochs; i++) {
        const Screc__SpqrEpoch *e = q->epochs[i];
        uint64_t num = e->has_epoch ? e->epoch : 0;
        if (!e->send || !e->recv || !e->send->has_ctr || !e->recv->has_ctr ||
            !HAS32(e->recv, next) || (e->send->has_next && e->send->next.len != 32) ||
            (mode == 0 && (num || !e->send->has_next)) ||
            (i && num != (q->epochs[i - 1]->has_epoch ? q->epochs[i - 1]->epoch : 0) + 1))
            return SC_ERR_RECORD;
    }
    if ((rc = sc_spqr_init(sp, (int)q->direction, q->auth_key.data,
                           q->has_unlimited && q->unlimited)))
        return rc;
    memcpy(sp->next_root, q->next_root.data, 32);
    for (i = 0; i < q->n_epochs; i++) {
        const Screc__SpqrEpoch *e = q->epochs[i];
        sc_spqr_link *l = &sp->links[i];
        if (i)
            memset(l, 0, sizeof(*l));
        else
            sc_keylist_free(&l->history);
        sp->nlinks = i + 1;
        l->epoch = e->has_epoch ? e->epoch : 0;
        l->send.ctr = e->send->ctr;
        l->send_live = e->send->has_next;
        if (l->send_live)
            memcpy(l->send.next, e->send->next.data, 32);
        else
            memset(l->send.next, 0, 32);
        l->recv.ctr = e->recv->ctr;
        memcpy(l->recv.next, e->recv->next.data, 32);
        if ((rc = load_keys(&l->history, e->recv_history, e->n_recv_history,
                            SC_SPQR_MAX_OOO)))
            return rc;
    }
    if (mode == 1) {
        sp->send_epoch = q->send_epoch;
        sp->current_epoch = q->current_epoch;
        if (sp->current_epoch != sp->links[sp->nlinks - 1].epoch ||
            sp->send_epoch < sp->links[0].epoch || sp->send_epoch > sp->current_epoch)
            return SC_ERR_RECORD;
        if ((rc = sc_scka_deserialize(sp->scka, q->scka_state.data, q->scka_state.len)))
            return rc;
    }
    return 0;
}

static int load_state(sc_state *s, const Screc__State *m)
{
    const Screc__Spqr *q = m->spqr;
    size_t i;
    int rc = SC_ERR_RECORD;

    memset(s, 0, sizeof(*s));
    if (!m->has_session_version || m->session_version != SC_SESSION_VERSION ||
        !HAS32(m, local_identity) || !HAS32(m, remote_identity) ||
        !HAS32(m, root_key) || !HAS32(m, sender_ratchet_public) ||
        !HAS32(m, sender_ratchet_private) || !HAS32(m, sender_chain_key) ||
        !HAS32(m, alice_base_key) || !m->has_sender_index ||
        m->n_receiver_chains > SC_MAX_RECEIVER_CHAINS || !q)
        goto out;
    if (!q->has_version || q->version != 1 || !q->has_direction ||
        q->direction > 1 || (q->has_mode && q->mode > 1) ||
        !HAS32(q, auth_key) || !HAS32(q, next_root))
        goto out;
    s->version = m->session_version;
    memcpy(s->local_ik, m->local_identity.data, 32);
    memcpy(s->remote_ik, m->remote_identity.data, 32);
    s->local_reg = m->local_registration_id;
    s->remote_reg = m->remote_registration_id;
    memcpy(s->root, m->root_key.data, 32);
    memcpy(s->sender_ratchet.pub, m->sender_ratchet_public.data, 32);
    memcpy(s->sender_ratchet.priv, m->sender_ratchet_private.data, 32);
    memcpy(s->sender_ck, m->sender_chain_key.data, 32);
    s->sender_index = m->sender_index;
    s->previous_counter = m->previous_counter;
    for (i = 0; i < m->n_receiver_chains; i++) {
        const Screc__RecvChain *c = m->receiver_chains[i];
        if (!HAS32(c, ratchet_key) || !HAS32(c, chain_key) || !c->has_index)
            goto out;
        s->nchains++;
        memcpy(s->chains[i].ratchet_key, c->ratchet_key.data, 32);
        memcpy(s->chains[i].ck, c->chain_key.data, 32);
        s->chains[i].index = c->index;
        if ((rc = load_keys(&s->chains[i].skipped, c->skipped, c->n_skipped,
                            SC_MAX_MESSAGE_KEYS)))
            goto out;
        rc = SC_ERR_RECORD;
    }
    if (m->pending) {
        const Screc__Pending *p = m->pending;
        if (!p->has_signed_pre_key_id || !p->has_kyber_pre_key_id ||
            !p->has_kyber_ciphertext || p->kyber_ciphertext.len != SC_KEM_CT_LEN ||
            !HAS32(p, base_key))
            goto out;
        s->has_pending = 1;
        s->pending.has_pre_key_id = p->has_pre_key_id;
        s->pending.pre_key_id = p->pre_key_id;
        s->pending.signed_pre_key_id = p->signed_pre_key_id;
        s->pending.kyber_pre_key_id = p->kyber_pre_key_id;
        memcpy(s->pending.kyber_ct, p->kyber_ciphertext.data, SC_KEM_CT_LEN);
        memcpy(s->pending.base_key, p->base_key.data, 32);
    }
    memcpy(s->alice_base_key, m->alice_base_key.data, 32);
    s->self_session = m->has_self_session && m->self_session;
    if (!m->local_address != !m->remote_address)
        goto out;
    if (m->local_address) {
        if (load_addr(&s->local_addr, m->local_address) ||
            load_addr(&s->remote_addr, m->remote_address))
            goto out;
        s->has_addresses = 1;
    }
    rc = load_spqr(&s->spqr, q);
out:
    if (rc)
        sc_state_free(s);
    return rc;
}

int sc_session_deserialize(sc_session **out, const uint8_t *in, size_t n)
{
    ProtobufCAllocator wiping = {walloc, wfree, NULL}; /* per call: no globals */
    Screc__Record *rec = NULL;
    sc_session *s = NULL;
    sc_state st;
    size_t i;
    int rc;

    *out = NULL;
    if (!in || n > SC_RECORD_MAX_LEN)
        return SC_ERR_RECORD;
    rec = screc__record__unpack(&wiping, n, in);
    if (!rec)
        return SC_ERR_RECORD;
    rc = SC_ERR_RECORD;
    if (!rec->has_format || rec->format != FORMAT ||
        rec->n_previous > SC_ARCHIVED_STATES)
        goto out;
    if ((rc = sc_session_new(&s)))
        goto out;
    if (rec->current) {
        if ((rc = load_state(&s->current, rec->current)))
            goto out;
        s->has_current = 1;
    }
    for (i = 0; i < rec->n_previous; i++) {
        s->previous[i] = malloc(sizeof(sc_state));
        if (!s->previous[i]) {
            rc = UT_ERR_NOMEM;
            goto out;
        }
        if ((rc = load_state(&st, rec->previous[i]))) {
            free(s->previous[i]);
            s->previous[i] = NULL;
            goto out;
        }
        *s->previous[i] = st;
        s->nprevious++;
    }
    *out = s;
    s = NULL;
    rc = 0;
out:
    sc_session_free(s);
    screc__record__free_unpacked(rec, &wiping);
    return rc;
}
