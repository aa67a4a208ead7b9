/* test_sc_session.c - PQXDH + double ratchet + SPQR chain between two C
 * parties: long conversations with reordering and DH turns, limits,
 * tampering, record round trips and malformed records, archived states.
 * The same code against libsignal: tests/interop/session.js. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "sc_prim.h"
#include "sc_session.h"
#include "sc_spqr.h"
#include "sc_record.pb-c.h"

typedef struct party {
    sc_ec_keypair ik;
    uint32_t reg;
    sc_signed_prekey spk;
    sc_kyber_prekey kpk;
    sc_prekey opk;
    sc_address addr;
    sc_session *s;
    sc_session_params p;
} party;

static party A, B;

static int get_spk(void *ctx, uint32_t id, sc_signed_prekey *out)
{
    party *p = ctx;
    if (id != p->spk.id)
        return SC_ERR_UNKNOWN_PREKEY;
    *out = p->spk;
    return 0;
}

static int get_kpk(void *ctx, uint32_t id, sc_kyber_prekey *out)
{
    party *p = ctx;
    if (id != p->kpk.id)
        return SC_ERR_UNKNOWN_PREKEY;
    *out = p->kpk;
    return 0;
}

static int get_opk(void *ctx, uint32_t id, sc_prekey *out)
{
    party *p = ctx;
    if (id != p->opk.id)
        return SC_ERR_UNKNOWN_PREKEY;
    *out = p->opk;
    return 0;
}

static void party_init(party *p, uint32_t reg, const sc_ec_keypair *shared_ik,
                       uint8_t uuid_byte)
{
    memset(p, 0, sizeof(*p));
    if (shared_ik)
        p->ik = *shared_ik;
    else
        ck_assert_int_eq(sc_ec_keypair_generate(&p->ik), 0);
    p->reg = reg;
    ck_assert_int_eq(sc_signed_prekey_generate(&p->spk, reg + 1, 1, &p->ik), 0);
    ck_assert_int_eq(sc_kyber_prekey_generate(&p->kpk, reg + 2, 1, 0, &p->ik), 0);
    ck_assert_int_eq(sc_prekey_generate(&p->opk, reg + 3), 0);
    memset(p->addr.uuid, uuid_byte, 16);
    p->addr.device = reg % 200;
    ck_assert_int_eq(sc_session_new(&p->s), 0);
    p->p.identity = &p->ik;
    p->p.registration_id = reg;
}

static void party_free(party *p)
{
    sc_session_free(p->s);
    sc_ec_keypair_wipe(&p->ik);
    sc_signed_prekey_wipe(&p->spk);
    sc_kyber_prekey_wipe(&p->kpk);
    sc_prekey_wipe(&p->opk);
}

static void bundle_of(sc_prekey_bundle *b, const party *p, int with_opk)
{
    memset(b, 0, sizeof(*b));
    b->registration_id = p->reg;
    b->device_id = 1;
    b->has_prekey = with_opk;
    b->prekey_id = p->opk.id;
    memcpy(b->prekey, p->opk.kp.pub, 32);
    b->signed_prekey_id = p->spk.id;
    memcpy(b->signed_prekey, p->spk.kp.pub, 32);
    memcpy(b->signed_prekey_sig, p->spk.sig, 64);
    memcpy(b->identity_key, p->ik.pub, 32);
    b->kyber_prekey_id = p->kpk.id;
    memcpy(b->kyber_prekey, p->kpk.pub, SC_KEM_PUB_LEN);
    memcpy(b->kyber_prekey_sig, p->kpk.sig, 64);
}

static void setup(void)
{
    sc_prekey_bundle b;

    party_init(&A, 100, NULL, 0xaa);
    party_init(&B, 200, NULL, 0xbb);
    A.p.local = &A.addr; A.p.remote = &B.addr;
    B.p.local = &B.addr; B.p.remote = &A.addr;
    bundle_of(&b, &B, 1);
    ck_assert_int_eq(sc_session_process_bundle(A.s, &A.p, &b), 0);
}

static void teardown(void)
{
    party_free(&A);
    party_free(&B);
}

typedef struct wire {
    uint8_t *b;
    size_t n;
    int type;
    char text[64];
} wire;

static void enc(party *from, wire *w, int i)
{
    snprintf(w->text, sizeof(w->text), "message %d from %u", i, from->reg);
    ck_assert_int_eq(sc_session_encrypt(from->s, (const uint8_t *)w->text,
                                        strlen(w->text), &w->b, &w->n, &w->type), 0);
}

static int dec(party *to, const wire *w)
{
    uint8_t *pt = NULL;
    size_t n = 0;
    sc_prekey_source src = {to, get_spk, get_kpk, get_opk};
    sc_prekey_used used;
    int rc;

    if (w->type == SC_MSG_TYPE_PREKEY)
        rc = sc_session_decrypt_prekey(to->s, &to->p, &src, NULL, w->b, w->n,
                                       &pt, &n, &used);
    else
        rc = sc_session_decrypt(to->s, w->b, w->n, &pt, &n);
    if (!rc) {
        ck_assert_uint_eq(n, strlen(w->text));
        ck_assert_int_eq(memcmp(pt, w->text, n), 0);
    }
    ut_free_secret(pt, n);
    return rc;
}

static void wfree(wire *w)
{
    free(w->b);
    w->b = NULL;
}

/* Bursts in alternating directions, each delivered in a shuffled order. */
START_TEST(conversation_with_reordering_and_dh_turns)
{
    int round, i, k = 0;
    wire w[8];

    for (round = 0; round < 16; round++) {
        party *from = round % 2 ? &B : &A, *to = round % 2 ? &A : &B;
        int n = 3 + round % 5;
        for (i = 0; i < n; i++) {
            enc(from, &w[i], k++);
            if (from == &A && round == 0)
                ck_assert_int_eq(w[i].type, SC_MSG_TYPE_PREKEY);
            else
                ck_assert_int_eq(w[i].type, SC_MSG_TYPE_WHISPER);
        }
        /* deliver: last, first, then the rest backwards */
        ck_assert_int_eq(dec(to, &w[n - 1]), 0);
        ck_assert_int_eq(dec(to, &w[0]), 0);
        for (i = n - 2; i >= 1; i--)
            ck_assert_int_eq(dec(to, &w[i]), 0);
        for (i = 0; i < n; i++) {
            ck_assert_int_eq(dec(to, &w[i]), SC_ERR_DUPLICATE);
            wfree(&w[i]);
        }
    }
    ck_assert_int_ge(k, 50);
}
END_TEST

START_TEST(tampering_is_rejected_and_changes_nothing)
{
    wire w, r;
    size_t i;

    enc(&A, &w, 0);
    ck_assert_int_eq(dec(&B, &w), 0);
    wfree(&w);
    enc(&B, &r, 1);
    r.b[r.n - 1] ^= 0x01; /* MAC */
    ck_assert_int_eq(dec(&A, &r), SC_ERR_BAD_MAC);
    r.b[r.n - 1] ^= 0x01;
    r.b[r.n - 12] ^= 0x40; /* inside the ciphertext */
    ck_assert_int_eq(dec(&A, &r), SC_ERR_BAD_MAC);
    r.b[r.n - 12] ^= 0x40;
    /* every truncation fails cleanly */
    for (i = 0; i < r.n; i++)
        ck_assert_int_ne(sc_session_decrypt(A.s, r.b, i, &(uint8_t *){NULL}, &(size_t){0}), 0);
    ck_assert_int_eq(dec(&A, &r), 0); /* the genuine one still works */
    wfree(&r);
}
END_TEST

START_TEST(bad_bundle_signatures)
{
    sc_prekey_bundle b;
    sc_session *s;

    ck_assert_int_eq(sc_session_new(&s), 0);
    bundle_of(&b, &B, 0);
    b.signed_prekey_sig[10] ^= 1;
    ck_assert_int_eq(sc_session_process_bundle(s, &A.p, &b), SC_ERR_SIGNATURE);
    bundle_of(&b, &B, 0);
    b.kyber_prekey_sig[10] ^= 1;
    ck_assert_int_eq(sc_session_process_bundle(s, &A.p, &b), SC_ERR_SIGNATURE);
    bundle_of(&b, &B, 0);
    b.kyber_prekey[0] ^= 1; /* signature no longer covers the key */
    ck_assert_int_eq(sc_session_process_bundle(s, &A.p, &b), SC_ERR_SIGNATURE);
    ck_assert(!sc_session_has_current(s));
    bundle_of(&b, &B, 0); /* without one-time pre-key (no DH4) */
    ck_assert_int_eq(sc_session_process_bundle(s, &A.p, &b), 0);
    sc_session_free(s);
}
END_TEST

START_TEST(prekey_without_opk_and_unknown_ids)
{
    sc_prekey_bundle b;
    wire w;

    bundle_of(&b, &B, 0);
    ck_assert_int_eq(sc_session_process_bundle(A.s, &A.p, &b), 0);
    enc(&A, &w, 0);
    B.spk.id += 10;
    ck_assert_int_eq(dec(&B, &w), SC_ERR_UNKNOWN_PREKEY);
    B.spk.id -= 10;
    ck_assert_int_eq(dec(&B, &w), 0);
    wfree(&w);
}
END_TEST

START_TEST(prekey_retransmission_reuses_state)
{
    wire w1, w2;
    uint8_t *pt;
    size_t n;
    sc_prekey_used used;
    sc_prekey_source src = {&B, get_spk, get_kpk, get_opk};

    enc(&A, &w1, 0);
    enc(&A, &w2, 1);
    ck_assert_int_eq(sc_session_decrypt_prekey(B.s, &B.p, &src, NULL, w1.b, w1.n, &pt, &n, &used), 0);
    ck_assert(used.new_session && used.has_pre_key_id && used.pre_key_id == B.opk.id);
    ck_assert_uint_eq(used.kyber_pre_key_id, B.kpk.id);
    ut_free_secret(pt, n);
    B.opk.id = 999; /* one-time key deleted: the second message must not need it */
    ck_assert_int_eq(sc_session_decrypt_prekey(B.s, &B.p, &src, NULL, w2.b, w2.n, &pt, &n, &used), 0);
    ck_assert(!used.new_session);
    ut_free_secret(pt, n);
    /* an untrusted sender identity is refused */
    {
        uint8_t other[32] = {9};
        ck_assert_int_eq(sc_session_decrypt_prekey(B.s, &B.p, &src, other, w2.b, w2.n, &pt, &n, &used),
                         SC_ERR_UNTRUSTED);
    }
    wfree(&w1);
    wfree(&w2);
}
END_TEST

START_TEST(non_canonical_base_key)
{
    static const uint8_t order8[32] = {
        0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3,
        0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32,
        0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00};
    wire w;
    sc_prekey_msg m;
    sc_prekey_msg_fields f = {0};
    uint8_t *buf;
    size_t len;

    enc(&A, &w, 0);
    ck_assert_int_eq(sc_prekey_msg_decode(&m, w.b, w.n), 0);
    f.registration_id = m.registration_id;
    f.has_pre_key_id = m.has_pre_key_id;
    f.pre_key_id = m.pre_key_id;
    f.signed_pre_key_id = m.signed_pre_key_id;
    f.kyber_pre_key_id = m.kyber_pre_key_id;
    f.kyber_ct = m.kyber_ct;
    f.base_key = order8;
    f.identity_key = m.identity_key;
    f.message = m.message.raw;
    f.message_len = m.message.raw_len;
    ck_assert_int_eq(sc_prekey_msg_encode(&buf, &len, &f), 0);
    sc_prekey_msg_clear(&m);
    free(w.b);
    w.b = buf;
    w.n = len;
    ck_assert_int_eq(dec(&B, &w), SC_ERR_BASE_KEY);
    wfree(&w);
}
END_TEST

static void roundtrip(party *p)
{
    uint8_t *rec;
    size_t n;
    sc_session *s2;

    ck_assert_int_eq(sc_session_serialize(p->s, &rec, &n), 0);
    ck_assert_int_eq(sc_session_deserialize(&s2, rec, n), 0);
    ut_free_secret(rec, n);
    sc_session_free(p->s);
    p->s = s2;
}

START_TEST(records_survive_round_trips_mid_conversation)
{
    wire w[4];
    int i, k = 0, round;

    for (round = 0; round < 6; round++) {
        party *from = round % 2 ? &B : &A, *to = round % 2 ? &A : &B;
        for (i = 0; i < 4; i++)
            enc(from, &w[i], k++);
        ck_assert_int_eq(dec(to, &w[2]), 0);
        roundtrip(&A);
        roundtrip(&B);
        ck_assert_int_eq(dec(to, &w[0]), 0);
        ck_assert_int_eq(dec(to, &w[3]), 0);
        roundtrip(to);
        ck_assert_int_eq(dec(to, &w[1]), 0); /* a skipped key from the record */
        ck_assert_int_eq(dec(to, &w[1]), SC_ERR_DUPLICATE);
        for (i = 0; i < 4; i++)
            wfree(&w[i]);
    }
}
END_TEST

/* A record as written before full SPQR (mode 0: the epoch-0 chain, no
 * SCKA state): rewrite p's record that way, then load it. */
static void as_mode0(party *p)
{
    uint8_t *rec, *out;
    size_t n, m;
    Screc__Record *r;
    Screc__Spqr *q;
    sc_session *s2;

    ck_assert_int_eq(sc_session_serialize(p->s, &rec, &n), 0);
    r = screc__record__unpack(NULL, n, rec);
    ck_assert_ptr_nonnull(r);
    q = r->current->spqr;
    ck_assert_uint_eq(q->mode, 1);
    ck_assert_uint_eq(q->n_epochs, 1);
    q->mode = 0;
    q->has_scka_state = q->has_send_epoch = q->has_current_epoch = 0;
    m = screc__record__get_packed_size(r);
    out = malloc(m);
    screc__record__pack(r, out);
    screc__record__free_unpacked(r, NULL);
    ck_assert_int_eq(sc_session_deserialize(&s2, out, m), 0);
    ut_free_secret(out, m);
    ut_free_secret(rec, n);
    sc_session_free(p->s);
    p->s = s2;
}

/* Sessions stored by the epoch-0-only code load and go on: their keys
 * still match, and the SCKA starts from its first state on both sides. */
START_TEST(chain_only_records_upgrade)
{
    wire w[4];
    uint64_t e, c;
    unsigned st;
    int i, k = 0, round;

    /* the initiator's first message carries header chunk 0 only; B keeps
     * it in its decoder, A sees only B's empty payloads: nothing moved */
    enc(&A, &w[0], k++);
    ck_assert_int_eq(dec(&B, &w[0]), 0);
    wfree(&w[0]);
    enc(&B, &w[0], k++);
    ck_assert_int_eq(dec(&A, &w[0]), 0);
    wfree(&w[0]);
    as_mode0(&A);
    as_mode0(&B);
    for (round = 0; round < 60; round++) {
        party *from = round % 2 ? &B : &A, *to = round % 2 ? &A : &B;
        for (i = 0; i < 3; i++)
            enc(from, &w[i], k++);
        ck_assert_int_eq(dec(to, &w[2]), 0);
        ck_assert_int_eq(dec(to, &w[0]), 0);
        ck_assert_int_eq(dec(to, &w[1]), 0);
        for (i = 0; i < 3; i++)
            wfree(&w[i]);
    }
    ck_assert_int_eq(sc_session_spqr_info(A.s, &e, &st, &c), 0);
    ck_assert_uint_ge(e, 3);
    ck_assert_uint_ge(c, 2);
    ck_assert_int_eq(sc_session_spqr_info(B.s, &e, &st, &c), 0);
    ck_assert_uint_ge(e, 3);
}
END_TEST

START_TEST(malformed_records_are_refused)
{
    uint8_t *rec, junk[300];
    size_t n, i;
    sc_session *s2;
    wire w;

    enc(&A, &w, 0);
    wfree(&w);
    ck_assert_int_eq(sc_session_serialize(A.s, &rec, &n), 0);
    ck_assert_uint_eq(rec[0], 0x08); /* field 1 (format) comes first */
    rec[1] = 2;
    ck_assert_int_eq(sc_session_deserialize(&s2, rec, n), SC_ERR_RECORD);
    rec[1] = 1;
    ck_assert_int_eq(sc_session_deserialize(&s2, rec, 0), SC_ERR_RECORD);
    ck_assert_int_eq(sc_session_deserialize(&s2, NULL, 0), SC_ERR_RECORD);
    for (i = 1; i < n; i += 7) { /* truncation: refused, or a valid prefix */
        int rc = sc_session_deserialize(&s2, rec, i);
        ck_assert(rc == SC_ERR_RECORD || rc == 0);
        if (!rc)
            sc_session_free(s2);
    }
    for (i = 0; i < 50; i++) {
        ck_assert_int_eq(ut_random(junk, sizeof(junk)), 0);
        ck_assert_int_eq(sc_session_deserialize(&s2, junk, sizeof(junk)), SC_ERR_RECORD);
    }
    ut_free_secret(rec, n);
}
END_TEST

START_TEST(archived_state_still_decrypts)
{
    sc_prekey_bundle b;
    wire w0, old, fresh;

    enc(&A, &w0, 0);
    ck_assert_int_eq(dec(&B, &w0), 0);
    enc(&B, &old, 1); /* B still on the first session */
    bundle_of(&b, &B, 0);
    ck_assert_int_eq(sc_session_process_bundle(A.s, &A.p, &b), 0); /* A starts over */
    roundtrip(&A);
    ck_assert_int_eq(dec(&A, &old), 0); /* found in the archive, promoted */
    enc(&A, &fresh, 2);
    ck_assert_int_eq(fresh.type, SC_MSG_TYPE_WHISPER); /* on the promoted state */
    ck_assert_int_eq(dec(&B, &fresh), 0);
    wfree(&w0);
    wfree(&old);
    wfree(&fresh);
}
END_TEST

/* counters 0..n-1 from A; returns them (caller frees) */
static wire *burst(party *from, int n)
{
    wire *w = calloc((size_t)n, sizeof(*w));
    int i;

    for (i = 0; i < n; i++)
        enc(from, &w[i], i);
    return w;
}

START_TEST(forward_jump_limit)
{
    int n = SC_MAX_FORWARD_JUMPS + 3, i;
    wire *w = burst(&A, n);

    ck_assert_int_eq(dec(&B, &w[0]), 0);
    ck_assert_int_eq(dec(&B, &w[n - 1]), SC_ERR_TOO_FAR);
    ck_assert_int_eq(dec(&B, &w[n - 3]), 0); /* exactly at the limit */
    ck_assert_int_eq(dec(&B, &w[n - 4]), 0); /* skipped key kept */
    ck_assert_int_eq(dec(&B, &w[1]), SC_ERR_DUPLICATE); /* beyond 2000 kept keys */
    for (i = 0; i < n; i++)
        wfree(&w[i]);
    free(w);
}
END_TEST

START_TEST(self_session_has_no_jump_limit)
{
    party P, L; /* primary and linked device: one account, one identity */
    sc_prekey_bundle b;
    int n = SC_MAX_FORWARD_JUMPS + 3, i; /* the jump that fails for others */
    wire *w;

    party_init(&P, 300, NULL, 0xcc);
    party_init(&L, 400, &P.ik, 0xcc);
    P.p.local = &P.addr; P.p.remote = &L.addr;
    L.p.local = &L.addr; L.p.remote = &P.addr;
    bundle_of(&b, &L, 1);
    ck_assert_int_eq(sc_session_process_bundle(P.s, &P.p, &b), 0);
    w = burst(&P, n);
    ck_assert_int_eq(dec(&L, &w[0]), 0);
    ck_assert_int_eq(dec(&L, &w[n - 1]), 0);
    for (i = 0; i < n; i++)
        wfree(&w[i]);
    free(w);
    party_free(&P);
    party_free(&L);
}
END_TEST

/* a one-slot in-memory store behind the sc_session_store vtable */
typedef struct memstore {
    char addr[64];
    uint8_t *rec;
    size_t n;
} memstore;

static int ms_load(void *ctx, const char *a, uint8_t **rec, size_t *n)
{
    memstore *m = ctx;
    if (!m->rec || strcmp(a, m->addr))
        return SC_ERR_NO_SESSION;
    *rec = malloc(m->n);
    memcpy(*rec, m->rec, m->n);
    *n = m->n;
    return 0;
}

static int ms_store(void *ctx, const char *a, const uint8_t *rec, size_t n)
{
    memstore *m = ctx;
    ut_free_secret(m->rec, m->n);
    snprintf(m->addr, sizeof(m->addr), "%s", a);
    m->rec = malloc(n);
    memcpy(m->rec, rec, n);
    m->n = n;
    return 0;
}

START_TEST(store_vtable)
{
    memstore m = {{0}, NULL, 0};
    sc_session_store st = {&m, ms_load, ms_store, NULL};
    sc_session *s = NULL;
    wire w;

    ck_assert_int_eq(sc_session_load(&st, "peer.1", &s), SC_ERR_NO_SESSION);
    ck_assert_int_eq(sc_session_save(&st, "peer.1", A.s), 0);
    ck_assert_int_eq(sc_session_load(&st, "peer.2", &s), SC_ERR_NO_SESSION);
    ck_assert_int_eq(sc_session_load(&st, "peer.1", &s), 0);
    sc_session_free(A.s);
    A.s = s;
    enc(&A, &w, 0); /* the loaded record still has the pending PreKey data */
    ck_assert_int_eq(w.type, SC_MSG_TYPE_PREKEY);
    ck_assert_int_eq(dec(&B, &w), 0);
    wfree(&w);
    m.rec[0] ^= 0xff; /* corrupt stored bytes: a clear error */
    ck_assert_int_eq(sc_session_load(&st, "peer.1", &s), SC_ERR_RECORD);
    ut_free_secret(m.rec, m.n);
}
END_TEST

static int spqr_send(sc_spqr *s, uint8_t *out, size_t *n, uint8_t key[32])
{
    sc_spqr_send_plan q;
    int rc = sc_spqr_send_prepare(s, &q);

    if (!rc) {
        memcpy(out, q.wire, q.wire_len);
        *n = q.wire_len;
        memcpy(key, q.key, 32);
        sc_spqr_send_commit(s, &q);
    }
    sc_spqr_send_plan_wipe(&q);
    return rc;
}

START_TEST(spqr_chain_rules)
{
    sc_spqr a, b;
    sc_spqr_plan p;
    uint8_t key[32], wire1[SC_SPQR_WIRE_MAX], wire2[SC_SPQR_WIRE_MAX], k1[32];
    size_t n1, n2;
    uint8_t pqr[32] = {7};

    ck_assert_int_eq(sc_spqr_init(&a, SC_SPQR_A2B, pqr, 0), 0);
    ck_assert_int_eq(sc_spqr_init(&b, SC_SPQR_B2A, pqr, 0), 0);
    ck_assert_int_eq(spqr_send(&a, wire1, &n1, k1), 0);
    /* A2B starts the SCKA: its first message carries header chunk 0 */
    ck_assert_uint_eq(n1, 37);
    ck_assert(wire1[0] == 1 && wire1[1] == 1 && wire1[2] == 1 && wire1[3] == 1 && wire1[4] == 0);
    ck_assert_int_eq(spqr_send(&a, wire2, &n2, key), 0);
    /* index 2 first, then 1 from the history */
    ck_assert_int_eq(sc_spqr_recv_prepare(&b, wire2, n2, &p), 0);
    ck_assert(p.has_key && !memcmp(p.key, key, 32));
    sc_spqr_recv_commit(&b, &p);
    sc_spqr_plan_wipe(&p);
    ck_assert_int_eq(sc_spqr_recv_prepare(&b, wire2, n2, &p), SC_ERR_DUPLICATE);
    ck_assert_int_eq(sc_spqr_recv_prepare(&b, wire1, n1, &p), 0);
    ck_assert(p.has_key && !memcmp(p.key, k1, 32));
    /* not committed: asking again gives the same key */
    sc_spqr_plan_wipe(&p);
    ck_assert_int_eq(sc_spqr_recv_prepare(&b, wire1, n1, &p), 0);
    sc_spqr_recv_commit(&b, &p);
    sc_spqr_plan_wipe(&p);
    ck_assert_int_eq(sc_spqr_recv_prepare(&b, wire1, n1, &p), SC_ERR_DUPLICATE);
    /* B2A sends on the other half: A receives it */
    ck_assert_int_eq(spqr_send(&b, wire1, &n1, k1), 0);
    ck_assert_uint_eq(n1, 4); /* B2A with no header yet: 01 01 01 00 */
    ck_assert_int_eq(sc_spqr_recv_prepare(&a, wire1, n1, &p), 0);
    ck_assert(p.has_key && !memcmp(p.key, k1, 32));
    sc_spqr_plan_wipe(&p);
    /* §3.4 receive rules */
    ck_assert_int_eq(sc_spqr_recv_prepare(&b, NULL, 0, &p), SC_ERR_SPQR);
    ck_assert_int_eq(sc_spqr_recv_prepare(&b, (const uint8_t *)"\x02", 1, &p), 0);
    ck_assert(!p.has_key);
    ck_assert_int_eq(sc_spqr_recv_prepare(&b, (const uint8_t *)"\x01\x01\x00\x00", 4, &p), 0);
    ck_assert(!p.has_key);
    sc_spqr_plan_wipe(&p);
    ck_assert_int_eq(sc_spqr_recv_prepare(&b, (const uint8_t *)"\x01\x02\x05\x00", 4, &p), SC_ERR_SPQR);
    ck_assert_int_eq(sc_spqr_recv_prepare(&b, (const uint8_t *)"\x01\x01\x05", 3, &p), SC_ERR_SPQR);
    ck_assert_int_eq(sc_spqr_recv_prepare(&b, (const uint8_t *)"\x01\x01\x05\x01\x00", 5, &p), SC_ERR_SPQR);
    ck_assert_int_eq(sc_spqr_recv_prepare(&b, (const uint8_t *)"\x00", 1, &p), SC_ERR_SPQR);
    {   /* a Hdr chunk (as libsignal A2B sends): into the SCKA's decoder,
         * and the message key of index 3 */
        uint8_t hdr[37] = {1, 1, 3, 1, 0};
        ck_assert_int_eq(sc_spqr_recv_prepare(&b, hdr, sizeof(hdr), &p), 0);
        ck_assert(p.has_key);
        sc_spqr_plan_wipe(&p);
    }
    sc_spqr_free(&a);
    sc_spqr_free(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sc_session");
    TCase *tc = tcase_create("session");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, conversation_with_reordering_and_dh_turns);
    tcase_add_test(tc, tampering_is_rejected_and_changes_nothing);
    tcase_add_test(tc, bad_bundle_signatures);
    tcase_add_test(tc, prekey_without_opk_and_unknown_ids);
    tcase_add_test(tc, prekey_retransmission_reuses_state);
    tcase_add_test(tc, non_canonical_base_key);
    tcase_add_test(tc, records_survive_round_trips_mid_conversation);
    tcase_add_test(tc, chain_only_records_upgrade);
    tcase_add_test(tc, malformed_records_are_refused);
    tcase_add_test(tc, archived_state_still_decrypts);
    tcase_add_test(tc, forward_jump_limit);
    tcase_add_test(tc, self_session_has_no_jump_limit);
    tcase_add_test(tc, spqr_chain_rules);
    tcase_add_test(tc, store_vtable);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
