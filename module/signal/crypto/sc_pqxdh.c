/*
 * sc_pqxdh.c - see sc_pqxdh.h. Secret input order and labels from
 * libsignal pqxdh.rs (signal-crypto.md §1.3).
 */
#include "config.h"

#include <string.h>

#include "sc_kyber.h"
#include "sc_pqxdh.h"
#include "sc_prim.h"

static const char INFO[] = "WhisperText_X25519_SHA-256_CRYSTALS-KYBER-1024";

/* secret = 0xFF×32 ‖ DH1 ‖ DH2 ‖ DH3 [‖ DH4] ‖ SS  →  96 bytes */
typedef struct secret_in {
    uint8_t b[32 * 6];
    size_t n;
} secret_in;

static int derive(uint8_t out[96], const secret_in *s)
{
    return sc_hkdf_sha256(out, 96, NULL, 0, s->b, s->n, INFO, sizeof(INFO) - 1);
}

/* `kp` is ours: passing its public half spares a scalar multiplication. */
static int dh(secret_in *s, const sc_ec_keypair *kp, const uint8_t pub[32])
{
    int rc = sc_x25519_pair(s->b + s->n, kp->priv, kp->pub, pub);

    if (!rc)
        s->n += 32;
    return rc;
}

static void common_init(sc_state *st, const uint8_t local_ik[32],
                        const uint8_t remote_ik[32], uint32_t local_reg,
                        uint32_t remote_reg, int self_session)
{
    memset(st, 0, sizeof(*st));
    st->version = SC_SESSION_VERSION;
    memcpy(st->local_ik, local_ik, 32);
    memcpy(st->remote_ik, remote_ik, 32);
    st->local_reg = local_reg;
    st->remote_reg = remote_reg;
    st->self_session = self_session && !memcmp(local_ik, remote_ik, 32);
}

int sc_pqxdh_initiate(sc_state *st, const sc_ec_keypair *ik, uint32_t our_reg,
                      const sc_prekey_bundle *b, int self_session)
{
    secret_in s;
    sc_ec_keypair ek, a1;
    uint8_t out[96], ct[SC_KEM_CT_LEN];
    int rc;

    memset(&s, 0, sizeof(s));
    memset(&ek, 0, sizeof(ek));
    memset(&a1, 0, sizeof(a1));
    common_init(st, ik->pub, b->identity_key, our_reg, b->registration_id,
                self_session);
    if ((rc = sc_signed_prekey_verify(b->identity_key, b->signed_prekey,
                                      b->signed_prekey_sig)) ||
        (rc = sc_kyber_prekey_verify(b->identity_key, b->kyber_prekey,
                                     b->kyber_prekey_sig)))
        goto out;
    if ((rc = sc_ec_keypair_generate(&ek)))
        goto out;
    memset(s.b, 0xff, 32);
    s.n = 32;
    if ((rc = dh(&s, ik, b->signed_prekey)) ||
        (rc = dh(&s, &ek, b->identity_key)) ||
        (rc = dh(&s, &ek, b->signed_prekey)) ||
        (b->has_prekey && (rc = dh(&s, &ek, b->prekey))))
        goto out;
    rc = sc_kyber1024_enc(ct, s.b + s.n, b->kyber_prekey);
    if (rc)
        goto out;
    s.n += 32;
    if ((rc = derive(out, &s)))
        goto out;
    /* Alice: their ratchet key is the signed pre-key; receiving chain
     * {SPK_B, chain key}; sending chain from a fresh ratchet key A1. */
    if ((rc = sc_ec_keypair_generate(&a1)) ||
        (rc = sc_ratchet_create_chain(st->root, st->sender_ck, out,
                                      b->signed_prekey, a1.priv, a1.pub)))
        goto out;
    st->sender_ratchet = a1;
    st->nchains = 1;
    memcpy(st->chains[0].ratchet_key, b->signed_prekey, 32);
    memcpy(st->chains[0].ck, out + 32, 32);
    if ((rc = sc_spqr_init(&st->spqr, SC_SPQR_A2B, out + 64, st->self_session)))
        goto out;
    st->has_pending = 1;
    st->pending.has_pre_key_id = b->has_prekey;
    st->pending.pre_key_id = b->has_prekey ? b->prekey_id : 0;
    st->pending.signed_pre_key_id = b->signed_prekey_id;
    st->pending.kyber_pre_key_id = b->kyber_prekey_id;
    memcpy(st->pending.kyber_ct, ct, SC_KEM_CT_LEN);
    memcpy(st->pending.base_key, ek.pub, 32);
    memcpy(st->alice_base_key, ek.pub, 32);
out:
    if (rc)
        sc_state_free(st);
    ut_wipe(&s, sizeof(s));
    ut_wipe(out, sizeof(out));
    sc_ec_keypair_wipe(&ek);
    sc_ec_keypair_wipe(&a1);
    return rc;
}

int sc_pqxdh_respond(sc_state *st, const sc_responder_keys *k,
                     const sc_prekey_msg *m, int self_session)
{
    secret_in s;
    uint8_t out[96];
    int rc;

    memset(&s, 0, sizeof(s));
    common_init(st, k->identity->pub, m->identity_key, k->registration_id,
                m->registration_id, self_session);
    if (sc_ec_pub_check_canonical(m->base_key)) {
        rc = SC_ERR_BASE_KEY;
        goto out;
    }
    if (m->has_pre_key_id != (k->opk != NULL)) {
        rc = SC_ERR_UNKNOWN_PREKEY;
        goto out;
    }
    memset(s.b, 0xff, 32);
    s.n = 32;
    if ((rc = dh(&s, &k->spk->kp, m->identity_key)) ||
        (rc = dh(&s, k->identity, m->base_key)) ||
        (rc = dh(&s, &k->spk->kp, m->base_key)) ||
        (k->opk && (rc = dh(&s, &k->opk->kp, m->base_key))))
        goto out;
    rc = sc_kyber1024_dec(s.b + s.n, m->kyber_ct, k->kpk->priv);
    if (rc)
        goto out;
    s.n += 32;
    if ((rc = derive(out, &s)))
        goto out;
    /* Bob: sending chain {SPK_B, chain key}, no receiving chain yet. */
    memcpy(st->root, out, 32);
    st->sender_ratchet = k->spk->kp;
    memcpy(st->sender_ck, out + 32, 32);
    if ((rc = sc_spqr_init(&st->spqr, SC_SPQR_B2A, out + 64, st->self_session)))
        goto out;
    memcpy(st->alice_base_key, m->base_key, 32);
out:
    if (rc)
        sc_state_free(st);
    ut_wipe(&s, sizeof(s));
    ut_wipe(out, sizeof(out));
    return rc;
}
