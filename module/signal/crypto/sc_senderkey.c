/* sc_senderkey.c - sender keys (libsignal group_cipher.rs format). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "module/signal/crypto/sc_sealed.pb-c.h"
#include "sc_prim.h"
#include "sc_sealed_int.h"
#include "sc_senderkey.h"

#define SIG_LEN 64
#define RECORD_VERSION 1

typedef struct sk_skipped {
    uint32_t iteration;
    uint8_t seed[32];
} sk_skipped;

typedef struct sk_state {
    uint32_t version;
    uint32_t chain_id;
    uint32_t iteration; /* of chain_key */
    uint8_t chain_key[32];
    uint8_t sig_pub[32];
    uint8_t sig_priv[32];
    int has_priv;
    sk_skipped *skipped; /* oldest first */
    size_t nskipped, capskipped;
} sk_state;

struct sc_sk_record {
    uint8_t dist[16];
    sk_state states[SC_SK_MAX_STATES]; /* newest first */
    size_t nstates;
};

static void state_clear(sk_state *s)
{
    ut_free_secret(s->skipped, s->capskipped * sizeof(sk_skipped));
    ut_wipe(s, sizeof(*s));
}

int sc_sk_record_new(sc_sk_record **out, const uint8_t dist[16])
{
    *out = calloc(1, sizeof(**out));
    if (*out == NULL)
        return UT_ERR_NOMEM;
    memcpy((*out)->dist, dist, 16);
    return 0;
}

void sc_sk_record_free(sc_sk_record *r)
{
    size_t i;

    if (r == NULL)
        return;
    for (i = 0; i < r->nstates; i++)
        state_clear(&r->states[i]);
    free(r);
}

const uint8_t *sc_sk_record_distribution_id(const sc_sk_record *r)
{
    return r->dist;
}

size_t sc_sk_record_count(const sc_sk_record *r) { return r->nstates; }

/* ---- chain arithmetic ---------------------------------------------------- */

static int chain_derive(uint8_t out[32], const uint8_t chain[32], uint8_t label)
{
    return sc_hmac_sha256(out, chain, 32, &label, 1);
}

/* iv (16) || cipher key (32) from a message-key seed */
static int message_keys(uint8_t keys[48], const uint8_t seed[32])
{
    return sc_hkdf_sha256(keys, 48, NULL, 0, seed, 32, "WhisperGroup", 12);
}

/* Append a skipped seed, dropping the oldest past the cap. */
static int skipped_push(sk_state *s, uint32_t iteration, const uint8_t seed[32])
{
    if (s->nskipped == SC_SK_MAX_SKIPPED) {
        memmove(s->skipped, s->skipped + 1, (s->nskipped - 1) * sizeof(sk_skipped));
        s->nskipped--;
    }
    if (s->nskipped == s->capskipped) {
        size_t cap = s->capskipped ? s->capskipped * 2 : 16;
        sk_skipped *n;
        if (cap > SC_SK_MAX_SKIPPED)
            cap = SC_SK_MAX_SKIPPED;
        n = calloc(cap, sizeof(*n));
        if (n == NULL)
            return UT_ERR_NOMEM;
        if (s->nskipped)
            memcpy(n, s->skipped, s->nskipped * sizeof(*n));
        ut_free_secret(s->skipped, s->capskipped * sizeof(sk_skipped));
        s->skipped = n;
        s->capskipped = cap;
    }
    s->skipped[s->nskipped].iteration = iteration;
    memcpy(s->skipped[s->nskipped].seed, seed, 32);
    s->nskipped++;
    return 0;
}

static void skipped_remove(sk_state *s, size_t i)
{
    ut_wipe(s->skipped[i].seed, 32);
    memmove(s->skipped + i, s->skipped + i + 1, (s->nskipped - i - 1) * sizeof(sk_skipped));
    s->nskipped--;
}

/* ---- wire formats ---------------------------------------------------------- */

int sc_sk_peek_distribution_id(const uint8_t *msg, size_t n, int is_skdm,
                               uint8_t out[16])
{
    int rc = SC_ERR_SK_FORMAT;

    if (msg == NULL || n < 1 + (is_skdm ? 64 : SIG_LEN) || n > SC_SK_MAX_MESSAGE)
        return SC_ERR_SK_FORMAT;
    if ((msg[0] >> 4) != SC_SK_VERSION)
        return SC_ERR_SK_VERSION;
    if (is_skdm) {
        ScSs__SenderKeyDistributionMessage *d =
            sc_ss__sender_key_distribution_message__unpack(NULL, n - 1, msg + 1);
        if (d != NULL && d->has_distribution_uuid && d->distribution_uuid.len == 16) {
            memcpy(out, d->distribution_uuid.data, 16);
            rc = 0;
        }
        if (d != NULL) {
            if (d->has_chain_key)
                ut_wipe(d->chain_key.data, d->chain_key.len);
            sc_ss__sender_key_distribution_message__free_unpacked(d, NULL);
        }
    } else {
        ScSs__SenderKeyMessage *m =
            sc_ss__sender_key_message__unpack(NULL, n - 1 - SIG_LEN, msg + 1);
        if (m != NULL && m->has_distribution_uuid && m->distribution_uuid.len == 16) {
            memcpy(out, m->distribution_uuid.data, 16);
            rc = 0;
        }
        if (m != NULL)
            sc_ss__sender_key_message__free_unpacked(m, NULL);
    }
    return rc;
}

/* Put `st` (taken over) at the front, libsignal's add_sender_key_state. */
static void add_state(sc_sk_record *r, sk_state *st)
{
    sk_state keep;
    int have = 0;
    size_t i, j;

    for (i = 0, j = 0; i < r->nstates; i++) {
        sk_state *s = &r->states[i];
        if (s->chain_id == st->chain_id && !have &&
            memcmp(s->sig_pub, st->sig_pub, 32) == 0) {
            keep = *s; /* an existing chain keeps its progress */
            have = 1;
        } else if (s->chain_id == st->chain_id) {
            state_clear(s);
        } else {
            if (j != i)
                r->states[j] = *s;
            j++;
        }
    }
    r->nstates = j;
    if (have) {
        state_clear(st);
        *st = keep;
    }
    while (r->nstates >= SC_SK_MAX_STATES)
        state_clear(&r->states[--r->nstates]);
    memmove(r->states + 1, r->states, r->nstates * sizeof(sk_state));
    r->states[0] = *st;
    r->nstates++;
    memset(st, 0, sizeof(*st));
}

int sc_sk_process(sc_sk_record *r, const uint8_t *skdm, size_t n)
{
    ScSs__SenderKeyDistributionMessage *d = NULL;
    sk_state st;
    int rc = SC_ERR_SK_FORMAT;

    memset(&st, 0, sizeof(st));
    if (skdm == NULL || n < 1 + 32 + 32 || n > SC_SK_MAX_MESSAGE)
        return SC_ERR_SK_FORMAT;
    if ((skdm[0] >> 4) != SC_SK_VERSION)
        return SC_ERR_SK_VERSION;
    d = sc_ss__sender_key_distribution_message__unpack(NULL, n - 1, skdm + 1);
    if (d == NULL || !d->has_distribution_uuid || d->distribution_uuid.len != 16 ||
        !d->has_chain_id || !d->has_iteration || !d->has_chain_key ||
        d->chain_key.len != 32 || !d->has_signing_key ||
        sc_key_from_wire(st.sig_pub, d->signing_key.data, d->signing_key.len) != 0)
        goto out;
    if (memcmp(d->distribution_uuid.data, r->dist, 16) != 0) {
        rc = SC_ERR_SK_NO_STATE;
        goto out;
    }
    st.version = skdm[0] >> 4;
    st.chain_id = d->chain_id;
    st.iteration = d->iteration;
    memcpy(st.chain_key, d->chain_key.data, 32);
    add_state(r, &st);
    rc = 0;
out:
    if (d != NULL) {
        if (d->has_chain_key)
            ut_wipe(d->chain_key.data, d->chain_key.len);
        sc_ss__sender_key_distribution_message__free_unpacked(d, NULL);
    }
    ut_wipe(&st, sizeof(st));
    return rc;
}

int sc_sk_create(sc_sk_record *r, uint8_t **out, size_t *len)
{
    ScSs__SenderKeyDistributionMessage d = SC_SS__SENDER_KEY_DISTRIBUTION_MESSAGE__INIT;
    uint8_t wire[33], *buf;
    sk_state st, *s;
    size_t plen;
    int rc;

    *out = NULL;
    *len = 0;
    if (r->nstates == 0) {
        memset(&st, 0, sizeof(st));
        st.version = SC_SK_VERSION;
        if ((rc = ut_random(&st.chain_id, sizeof(st.chain_id))) != 0 ||
            (rc = ut_random(st.chain_key, 32)) != 0 ||
            (rc = sc_x25519_keypair(st.sig_pub, st.sig_priv)) != 0) {
            ut_wipe(&st, sizeof(st));
            return rc;
        }
        st.chain_id >>= 1; /* 31-bit ids, as Java clients use */
        st.has_priv = 1;
        add_state(r, &st);
    }
    s = &r->states[0];
    sc_key_to_wire(wire, s->sig_pub);
    d.has_distribution_uuid = 1;
    d.distribution_uuid.data = r->dist;
    d.distribution_uuid.len = 16;
    d.has_chain_id = 1;
    d.chain_id = s->chain_id;
    d.has_iteration = 1;
    d.iteration = s->iteration;
    d.has_chain_key = 1;
    d.chain_key.data = s->chain_key;
    d.chain_key.len = 32;
    d.has_signing_key = 1;
    d.signing_key.data = wire;
    d.signing_key.len = 33;
    plen = sc_ss__sender_key_distribution_message__get_packed_size(&d);
    buf = malloc(1 + plen);
    if (buf == NULL)
        return UT_ERR_NOMEM;
    buf[0] = (SC_SK_VERSION << 4) | SC_SK_VERSION;
    *len = 1 + sc_ss__sender_key_distribution_message__pack(&d, buf + 1);
    *out = buf;
    return 0;
}

int sc_sk_encrypt(sc_sk_record *r, const uint8_t *pt, size_t n, uint8_t **out,
                  size_t *out_len)
{
    ScSs__SenderKeyMessage m = SC_SS__SENDER_KEY_MESSAGE__INIT;
    uint8_t seed[32], keys[48], next[32];
    uint8_t *ct = NULL, *buf = NULL;
    size_t ct_len = 0, plen;
    sk_state *s;
    int rc;

    *out = NULL;
    *out_len = 0;
    if (r->nstates == 0)
        return SC_ERR_SK_NO_STATE;
    s = &r->states[0];
    if (!s->has_priv)
        return SC_ERR_SK_NOT_OURS;
    if (n > SC_SK_MAX_MESSAGE - 256)
        return UT_ERR_RANGE;
    if (s->iteration == UINT32_MAX)
        return SC_ERR_SK_FORMAT;
    ct = malloc(n + 16);
    if (ct == NULL)
        return UT_ERR_NOMEM;
    if ((rc = chain_derive(seed, s->chain_key, 0x01)) != 0 ||
        (rc = message_keys(keys, seed)) != 0 ||
        (rc = sc_aes256_cbc_encrypt(ct, &ct_len, keys + 16, keys, pt, n)) != 0 ||
        (rc = chain_derive(next, s->chain_key, 0x02)) != 0)
        goto out;
    m.has_distribution_uuid = 1;
    m.distribution_uuid.data = r->dist;
    m.distribution_uuid.len = 16;
    m.has_chain_id = 1;
    m.chain_id = s->chain_id;
    m.has_iteration = 1;
    m.iteration = s->iteration;
    m.has_ciphertext = 1;
    m.ciphertext.data = ct;
    m.ciphertext.len = ct_len;
    plen = sc_ss__sender_key_message__get_packed_size(&m);
    buf = malloc(1 + plen + SIG_LEN);
    if (buf == NULL) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    buf[0] = (SC_SK_VERSION << 4) | SC_SK_VERSION;
    plen = sc_ss__sender_key_message__pack(&m, buf + 1);
    rc = sc_xeddsa_sign(buf + 1 + plen, s->sig_priv, buf, 1 + plen);
    if (rc != 0)
        goto out;
    memcpy(s->chain_key, next, 32);
    s->iteration++;
    *out = buf;
    *out_len = 1 + plen + SIG_LEN;
    buf = NULL;
out:
    free(buf);
    free(ct);
    ut_wipe(seed, sizeof(seed));
    ut_wipe(keys, sizeof(keys));
    ut_wipe(next, sizeof(next));
    return rc;
}

int sc_sk_decrypt(sc_sk_record *r, const uint8_t *msg, size_t n, uint8_t **pt,
                  size_t *pt_len)
{
    ScSs__SenderKeyMessage *m = NULL;
    uint8_t chain[32], seed[32], keys[48];
    uint8_t *plain = NULL;
    size_t plain_len = 0, i, skipped_at = (size_t)-1;
    sk_state *s = NULL;
    uint32_t it, cur;
    int rc = SC_ERR_SK_FORMAT;

    *pt = NULL;
    *pt_len = 0;
    if (msg == NULL || n < 1 + SIG_LEN || n > SC_SK_MAX_MESSAGE)
        return SC_ERR_SK_FORMAT;
    if ((msg[0] >> 4) != SC_SK_VERSION)
        return SC_ERR_SK_VERSION;
    m = sc_ss__sender_key_message__unpack(NULL, n - 1 - SIG_LEN, msg + 1);
    if (m == NULL || !m->has_distribution_uuid || m->distribution_uuid.len != 16 ||
        !m->has_chain_id || !m->has_iteration || !m->has_ciphertext)
        goto out;
    if (memcmp(m->distribution_uuid.data, r->dist, 16) != 0) {
        rc = SC_ERR_SK_NO_STATE;
        goto out;
    }
    for (i = 0; i < r->nstates && s == NULL; i++)
        if (r->states[i].chain_id == m->chain_id)
            s = &r->states[i];
    if (s == NULL) {
        rc = SC_ERR_SK_NO_STATE;
        goto out;
    }
    if (s->version != (uint32_t)(msg[0] >> 4)) {
        rc = SC_ERR_SK_VERSION;
        goto out;
    }
    if (sc_xeddsa_verify(msg + n - SIG_LEN, s->sig_pub, msg, n - SIG_LEN) != 0) {
        rc = SC_ERR_SK_SIGNATURE;
        goto out;
    }
    it = m->iteration;
    cur = s->iteration;
    if (it == UINT32_MAX)
        goto out; /* the chain could not advance past it */
    if (it < cur) {
        for (i = 0; i < s->nskipped; i++)
            if (s->skipped[i].iteration == it)
                skipped_at = i;
        if (skipped_at == (size_t)-1) {
            rc = SC_ERR_SK_DUPLICATE;
            goto out;
        }
        memcpy(seed, s->skipped[skipped_at].seed, 32);
    } else {
        if (it - cur > SC_SK_MAX_JUMP) {
            rc = SC_ERR_SK_TOO_FAR;
            goto out;
        }
        /* walk without touching the state; commit only after decryption */
        memcpy(chain, s->chain_key, 32);
        for (i = cur; i < it; i++)
            if ((rc = chain_derive(chain, chain, 0x02)) != 0)
                goto out;
        if ((rc = chain_derive(seed, chain, 0x01)) != 0)
            goto out;
    }
    if ((rc = message_keys(keys, seed)) != 0)
        goto out;
    plain = malloc(m->ciphertext.len + 16);
    if (plain == NULL) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    if (sc_aes256_cbc_decrypt(plain, &plain_len, keys + 16, keys,
                              m->ciphertext.data, m->ciphertext.len) != 0) {
        rc = SC_ERR_SK_DECRYPT;
        goto out;
    }
    /* commit */
    if (it < cur) {
        skipped_remove(s, skipped_at);
    } else {
        memcpy(chain, s->chain_key, 32);
        for (i = cur; i < it; i++) {
            if ((rc = chain_derive(seed, chain, 0x01)) != 0 ||
                (rc = chain_derive(chain, chain, 0x02)) != 0)
                goto out;
            /* only the newest SC_SK_MAX_SKIPPED can survive the cap */
            if (it - i <= SC_SK_MAX_SKIPPED &&
                (rc = skipped_push(s, (uint32_t)i, seed)) != 0)
                goto out;
        }
        if ((rc = chain_derive(s->chain_key, chain, 0x02)) != 0)
            goto out;
        s->iteration = it + 1;
    }
    *pt = plain;
    *pt_len = plain_len;
    plain = NULL;
    rc = 0;
out:
    if (plain != NULL)
        ut_free_secret(plain, m->ciphertext.len + 16);
    if (m != NULL)
        sc_ss__sender_key_message__free_unpacked(m, NULL);
    ut_wipe(chain, sizeof(chain));
    ut_wipe(seed, sizeof(seed));
    ut_wipe(keys, sizeof(keys));
    return rc;
}

/* ---- storage --------------------------------------------------------------- */

int sc_sk_record_save(const sc_sk_record *r, uint8_t **out, size_t *len)
{
    ScSs__SenderKeyRecord rec = SC_SS__SENDER_KEY_RECORD__INIT;
    ScSs__SenderKeyRecord__State st[SC_SK_MAX_STATES], *stp[SC_SK_MAX_STATES];
    ScSs__SenderKeyRecord__SkippedKey *sk = NULL, **skp = NULL;
    size_t i, j, total = 0, k = 0, plen;
    uint8_t *buf = NULL;
    int rc = 0;

    *out = NULL;
    *len = 0;
    for (i = 0; i < r->nstates; i++)
        total += r->states[i].nskipped;
    if (total) {
        sk = calloc(total, sizeof(*sk));
        skp = calloc(total, sizeof(*skp));
        if (sk == NULL || skp == NULL) {
            rc = UT_ERR_NOMEM;
            goto out;
        }
    }
    rec.has_version = 1;
    rec.version = RECORD_VERSION;
    rec.has_distribution_uuid = 1;
    rec.distribution_uuid.data = (uint8_t *)r->dist;
    rec.distribution_uuid.len = 16;
    for (i = 0; i < r->nstates; i++) {
        const sk_state *s = &r->states[i];
        ScSs__SenderKeyRecord__State init = SC_SS__SENDER_KEY_RECORD__STATE__INIT;
        st[i] = init;
        stp[i] = &st[i];
        st[i].has_message_version = 1;
        st[i].message_version = s->version;
        st[i].has_chain_id = 1;
        st[i].chain_id = s->chain_id;
        st[i].has_iteration = 1;
        st[i].iteration = s->iteration;
        st[i].has_chain_key = 1;
        st[i].chain_key.data = (uint8_t *)s->chain_key;
        st[i].chain_key.len = 32;
        st[i].has_signing_public = 1;
        st[i].signing_public.data = (uint8_t *)s->sig_pub;
        st[i].signing_public.len = 32;
        st[i].has_signing_private = s->has_priv;
        st[i].signing_private.data = (uint8_t *)s->sig_priv;
        st[i].signing_private.len = s->has_priv ? 32 : 0;
        st[i].n_skipped = s->nskipped;
        st[i].skipped = skp + k;
        for (j = 0; j < s->nskipped; j++, k++) {
            ScSs__SenderKeyRecord__SkippedKey ki = SC_SS__SENDER_KEY_RECORD__SKIPPED_KEY__INIT;
            sk[k] = ki;
            sk[k].has_iteration = 1;
            sk[k].iteration = s->skipped[j].iteration;
            sk[k].has_seed = 1;
            sk[k].seed.data = (uint8_t *)s->skipped[j].seed;
            sk[k].seed.len = 32;
            skp[k] = &sk[k];
        }
    }
    rec.n_states = r->nstates;
    rec.states = stp;
    plen = sc_ss__sender_key_record__get_packed_size(&rec);
    buf = malloc(plen ? plen : 1);
    if (buf == NULL) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    *len = sc_ss__sender_key_record__pack(&rec, buf);
    *out = buf;
out:
    free(sk);
    free(skp);
    return rc;
}

static void wipe_unpacked(ScSs__SenderKeyRecord *rec)
{
    size_t i, j;

    for (i = 0; i < rec->n_states; i++) {
        ScSs__SenderKeyRecord__State *s = rec->states[i];
        ut_wipe(s->chain_key.data, s->chain_key.len);
        ut_wipe(s->signing_private.data, s->signing_private.len);
        for (j = 0; j < s->n_skipped; j++)
            ut_wipe(s->skipped[j]->seed.data, s->skipped[j]->seed.len);
    }
}

int sc_sk_record_load(sc_sk_record **out, const uint8_t *buf, size_t len)
{
    ScSs__SenderKeyRecord *rec;
    sc_sk_record *r = NULL;
    size_t i, j;
    int rc = SC_ERR_SK_RECORD;

    *out = NULL;
    rec = sc_ss__sender_key_record__unpack(NULL, len, buf);
    if (rec == NULL)
        return SC_ERR_SK_RECORD;
    if (!rec->has_version || rec->version != RECORD_VERSION ||
        !rec->has_distribution_uuid || rec->distribution_uuid.len != 16 ||
        rec->n_states > SC_SK_MAX_STATES)
        goto out;
    if ((rc = sc_sk_record_new(&r, rec->distribution_uuid.data)) != 0)
        goto out;
    rc = SC_ERR_SK_RECORD;
    for (i = 0; i < rec->n_states; i++) {
        const ScSs__SenderKeyRecord__State *p = rec->states[i];
        sk_state *s = &r->states[i];
        if (!p->has_message_version || p->message_version != SC_SK_VERSION ||
            !p->has_chain_id || !p->has_iteration || p->chain_key.len != 32 ||
            p->signing_public.len != 32 ||
            (p->signing_private.len != 0 && p->signing_private.len != 32) ||
            p->n_skipped > SC_SK_MAX_SKIPPED)
            goto out;
        r->nstates = i + 1; /* so that free clears it */
        s->version = p->message_version;
        s->chain_id = p->chain_id;
        s->iteration = p->iteration;
        memcpy(s->chain_key, p->chain_key.data, 32);
        memcpy(s->sig_pub, p->signing_public.data, 32);
        if (p->signing_private.len == 32) {
            memcpy(s->sig_priv, p->signing_private.data, 32);
            s->has_priv = 1;
        }
        for (j = 0; j < p->n_skipped; j++) {
            if (!p->skipped[j]->has_iteration || p->skipped[j]->seed.len != 32 ||
                p->skipped[j]->iteration >= s->iteration)
                goto out;
            if (skipped_push(s, p->skipped[j]->iteration, p->skipped[j]->seed.data) != 0) {
                rc = UT_ERR_NOMEM;
                goto out;
            }
        }
    }
    rc = 0;
out:
    wipe_unpacked(rec);
    sc_ss__sender_key_record__free_unpacked(rec, NULL);
    if (rc == 0)
        *out = r;
    else
        sc_sk_record_free(r);
    return rc;
}
