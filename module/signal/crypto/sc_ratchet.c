/*
 * sc_ratchet.c - see sc_ratchet.h. Decryption is "plan, verify, commit": all
 * new values are computed into a plan, and only copied into the state once
 * the MAC and the padding check have passed, as libsignal does.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sc_prim.h"
#include "sc_ratchet.h"

static const uint8_t SEED_MSG = 0x01, SEED_CHAIN = 0x02;

void sc_state_free(sc_state *st)
{
    size_t i;

    if (!st)
        return;
    for (i = 0; i < st->nchains; i++)
        sc_keylist_free(&st->chains[i].skipped);
    sc_spqr_free(&st->spqr);
    ut_wipe(st, sizeof(*st));
}

int sc_ratchet_create_chain(uint8_t root_out[32], uint8_t ck_out[32],
                            const uint8_t root[32], const uint8_t their[32],
                            const uint8_t our_priv[32], const uint8_t *our_pub)
{
    static const char info[] = "WhisperRatchet";
    uint8_t dh[32], o[64];
    int rc = our_pub ? sc_x25519_pair(dh, our_priv, our_pub, their)
                     : sc_x25519(dh, our_priv, their);

    if (!rc)
        rc = sc_hkdf_sha256(o, 64, root, 32, dh, 32, info, sizeof(info) - 1);
    if (!rc) {
        memcpy(root_out, o, 32);
        memcpy(ck_out, o + 32, 32);
    }
    ut_wipe(dh, sizeof(dh));
    ut_wipe(o, sizeof(o));
    return rc;
}

/* cipher key, MAC key, IV from a seed; salt = SPQR key or none */
static int message_keys(uint8_t out[80], const uint8_t seed[32],
                        const uint8_t *salt)
{
    static const char info[] = "WhisperMessageKeys";

    return sc_hkdf_sha256(out, 80, salt, salt ? 32 : 0, seed, 32, info,
                          sizeof(info) - 1);
}

void sc_addresses_encode(uint8_t out[SC_ADDRESSES_LEN], const sc_address *s,
                         const sc_address *r)
{
    out[0] = s->kind;
    memcpy(out + 1, s->uuid, 16);
    out[17] = (uint8_t)s->device;
    out[18] = r->kind;
    memcpy(out + 19, r->uuid, 16);
    out[35] = (uint8_t)r->device;
}

int sc_ratchet_encrypt(sc_state *st, const uint8_t *pt, size_t n,
                       int with_addresses, uint8_t **out, size_t *out_len)
{
    uint8_t seed[32], next_ck[32], mk[80];
    uint8_t addrs[SC_ADDRESSES_LEN], *ct = NULL;
    sc_spqr_send_plan q;
    sc_signal_msg_fields f;
    size_t ct_len = 0;
    int rc;

    *out = NULL;
    *out_len = 0;
    memset(&q, 0, sizeof(q));
    if (n > SC_MSG_MAX_LEN - 4096)
        return UT_ERR_RANGE;
    if ((rc = sc_hmac_sha256(seed, st->sender_ck, 32, &SEED_MSG, 1)) ||
        (rc = sc_hmac_sha256(next_ck, st->sender_ck, 32, &SEED_CHAIN, 1)) ||
        (rc = sc_spqr_send_prepare(&st->spqr, &q)) ||
        (rc = message_keys(mk, seed, q.key)))
        goto out;
    ct = malloc(n + 16);
    if (!ct) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    rc = sc_aes256_cbc_encrypt(ct, &ct_len, mk, mk + 64, pt, n);
    if (rc)
        goto out;
    memset(&f, 0, sizeof(f));
    f.ratchet_key = st->sender_ratchet.pub;
    f.counter = st->sender_index;
    f.previous_counter = st->previous_counter;
    f.ciphertext = ct;
    f.ciphertext_len = ct_len;
    f.pq_ratchet = q.wire;
    f.pq_ratchet_len = q.wire_len;
    if (with_addresses && st->has_addresses) {
        sc_addresses_encode(addrs, &st->local_addr, &st->remote_addr);
        f.addresses = addrs;
    }
    rc = sc_signal_msg_encode(out, out_len, &f, mk + 32, st->local_ik,
                              st->remote_ik);
    if (rc)
        goto out;
    memcpy(st->sender_ck, next_ck, 32);
    st->sender_index++;
    sc_spqr_send_commit(&st->spqr, &q);
out:
    sc_spqr_send_plan_wipe(&q);
    ut_wipe(seed, sizeof(seed));
    ut_wipe(next_ck, sizeof(next_ck));
    ut_wipe(mk, sizeof(mk));
    free(ct); /* ciphertext only */
    return rc;
}

/* What a successful decryption changes. */
typedef struct plan {
    long chain;                /* index into st->chains, or -1: new chain */
    /* new chain (DH ratchet step) */
    uint8_t root[32];
    sc_ec_keypair sender;
    uint8_t sender_ck[32];
    /* the receiving chain after this message */
    uint8_t ck[32];
    uint32_t index;
    long skipped_pos;          /* >= 0: seed came from the skipped list */
    sc_idxkey *seeds;          /* seeds to remember, newest MAX_MESSAGE_KEYS */
    size_t nseeds;
    uint8_t seed[32];
} plan;

static void plan_wipe(plan *p)
{
    ut_free_secret(p->seeds, p->nseeds * sizeof(*p->seeds));
    ut_wipe(p, sizeof(*p));
}

static int plan_dr(const sc_state *st, const sc_signal_msg *m, plan *p)
{
    const uint8_t *ck;
    uint32_t index, c = m->counter;
    const sc_keylist *skipped = NULL;
    uint8_t tmp_root[32], cur[32];
    size_t i;
    int rc = 0;

    memset(p, 0, sizeof(*p));
    p->chain = -1;
    p->skipped_pos = -1;
    for (i = st->nchains; i-- > 0;)
        if (!memcmp(st->chains[i].ratchet_key, m->ratchet_key, 32)) {
            p->chain = (long)i;
            break;
        }
    if (p->chain < 0) {
        /* DH ratchet step: receiving chain from our current ratchet key,
         * then a fresh sending ratchet key. */
        if ((rc = sc_ratchet_create_chain(tmp_root, p->ck, st->root,
                                          m->ratchet_key,
                                          st->sender_ratchet.priv,
                                          st->sender_ratchet.pub)) ||
            (rc = sc_ec_keypair_generate(&p->sender)) ||
            (rc = sc_ratchet_create_chain(p->root, p->sender_ck, tmp_root,
                                          m->ratchet_key, p->sender.priv,
                                          p->sender.pub)))
            goto out;
        ck = p->ck;
        index = 0;
    } else {
        ck = st->chains[p->chain].ck;
        index = st->chains[p->chain].index;
        skipped = &st->chains[p->chain].skipped;
    }
    if (c < index) {
        long pos = sc_keylist_find(skipped, c);
        if (pos < 0) {
            rc = SC_ERR_DUPLICATE;
            goto out;
        }
        memcpy(p->seed, skipped->v[pos].key, 32);
        p->skipped_pos = pos;
        memcpy(p->ck, ck, 32);
        p->index = index;
        rc = 0;
        goto out;
    }
    if (c - index > SC_MAX_FORWARD_JUMPS && !st->self_session) {
        rc = SC_ERR_TOO_FAR;
        goto out;
    }
    {
        uint32_t skip = c - index;
        size_t keep = skip > SC_MAX_MESSAGE_KEYS ? SC_MAX_MESSAGE_KEYS : skip;

        if (keep && !(p->seeds = malloc(keep * sizeof(*p->seeds)))) {
            rc = UT_ERR_NOMEM;
            goto out;
        }
        memcpy(cur, ck, 32);
        for (; index < c; index++) {
            if (c - index <= keep) {
                rc = sc_hmac_sha256(p->seeds[p->nseeds].key, cur, 32, &SEED_MSG, 1);
                if (rc)
                    goto out;
                p->seeds[p->nseeds++].index = index;
            }
            if ((rc = sc_hmac_sha256(cur, cur, 32, &SEED_CHAIN, 1)))
                goto out;
        }
        if ((rc = sc_hmac_sha256(p->seed, cur, 32, &SEED_MSG, 1)) ||
            (rc = sc_hmac_sha256(p->ck, cur, 32, &SEED_CHAIN, 1)))
            goto out;
        p->index = c + 1;
    }
out:
    ut_wipe(tmp_root, sizeof(tmp_root));
    ut_wipe(cur, sizeof(cur));
    return rc;
}

/* Apply a verified plan. Memory for new entries is reserved first, so
 * either everything changes or nothing does. */
static int commit_dr(sc_state *st, plan *p)
{
    sc_recv_chain *ch;
    size_t i;
    int rc;

    if (p->chain < 0) {
        sc_keylist fresh = {0};
        if (p->nseeds && (rc = sc_keylist_reserve(&fresh, p->nseeds)))
            return rc;
        if (st->nchains == SC_MAX_RECEIVER_CHAINS) { /* drop the oldest */
            sc_keylist_free(&st->chains[0].skipped);
            memmove(&st->chains[0], &st->chains[1],
                    (SC_MAX_RECEIVER_CHAINS - 1) * sizeof(st->chains[0]));
            st->nchains--;
            ut_wipe(&st->chains[st->nchains], sizeof(st->chains[0]));
        }
        ch = &st->chains[st->nchains++];
        memset(ch, 0, sizeof(*ch));
        ch->skipped = fresh;
        /* we just received their ratchet key with a new chain */
        memcpy(st->root, p->root, 32);
        st->previous_counter = st->sender_index ? st->sender_index - 1 : 0;
        st->sender_ratchet = p->sender;
        memcpy(st->sender_ck, p->sender_ck, 32);
        st->sender_index = 0;
    } else {
        ch = &st->chains[p->chain];
        if (p->nseeds && (rc = sc_keylist_reserve(&ch->skipped, p->nseeds)))
            return rc;
    }
    if (p->skipped_pos >= 0) {
        sc_keylist_remove(&ch->skipped, (size_t)p->skipped_pos);
        return 0;
    }
    for (i = 0; i < p->nseeds; i++)
        sc_keylist_push(&ch->skipped, p->seeds[i].index, p->seeds[i].key,
                        SC_MAX_MESSAGE_KEYS);
    memcpy(ch->ck, p->ck, 32);
    ch->index = p->index;
    return 0;
}

int sc_ratchet_decrypt(sc_state *st, const sc_signal_msg *m, uint8_t **pt,
                       size_t *pt_len)
{
    plan p;
    sc_spqr_plan q;
    uint8_t mk[80], *buf = NULL;
    size_t len = 0;
    int rc;

    *pt = NULL;
    *pt_len = 0;
    memset(&q, 0, sizeof(q));
    rc = plan_dr(st, m, &p);
    if (rc)
        goto out;
    /* Same order as libsignal: SPQR errors come before the MAC check. */
    if ((rc = sc_spqr_recv_prepare(&st->spqr, m->pq_ratchet, m->pq_ratchet_len, &q)) ||
        (rc = message_keys(mk, p.seed, q.has_key ? q.key : NULL)) ||
        (rc = sc_signal_msg_verify_mac(m, mk + 32, st->remote_ik, st->local_ik)))
        goto out;
    if (m->addresses && st->has_addresses) {
        uint8_t want[SC_ADDRESSES_LEN];
        sc_addresses_encode(want, &st->remote_addr, &st->local_addr);
        if (memcmp(want, m->addresses, SC_ADDRESSES_LEN)) {
            rc = SC_ERR_ADDRESS;
            goto out;
        }
    }
    buf = malloc(m->ciphertext_len + 16);
    if (!buf) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    rc = sc_aes256_cbc_decrypt(buf, &len, mk, mk + 64, m->ciphertext,
                               m->ciphertext_len);
    if (rc)
        goto out;
    if (p.chain < 0) {
        rc = commit_dr(st, &p);
        if (!rc)
            memcpy(st->chains[st->nchains - 1].ratchet_key, m->ratchet_key, 32);
    } else {
        rc = commit_dr(st, &p);
    }
    if (rc)
        goto out;
    sc_spqr_recv_commit(&st->spqr, &q);
    *pt = buf;
    *pt_len = len;
    buf = NULL;
out:
    ut_free_secret(buf, m->ciphertext_len + 16);
    ut_wipe(mk, sizeof(mk));
    sc_spqr_plan_wipe(&q);
    plan_wipe(&p);
    return rc;
}
