/*
 * sc_session.c - see sc_session.h. State selection follows libsignal's
 * session_cipher.rs: the current state first, then the archived ones; a
 * PreKey message whose base key we already know reuses that state.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sc_session_int.h"

int sc_session_new(sc_session **out)
{
    *out = calloc(1, sizeof(**out));
    return *out ? 0 : UT_ERR_NOMEM;
}

void sc_session_free(sc_session *s)
{
    size_t i;

    if (!s)
        return;
    if (s->has_current)
        sc_state_free(&s->current);
    for (i = 0; i < s->nprevious; i++) {
        sc_state_free(s->previous[i]);
        free(s->previous[i]);
    }
    ut_free_secret(s, sizeof(*s));
}

int sc_session_has_current(const sc_session *s)
{
    return s && s->has_current;
}

int sc_session_remote_identity(const sc_session *s, uint8_t out[32])
{
    if (!s || !s->has_current)
        return SC_ERR_NO_SESSION;
    memcpy(out, s->current.remote_ik, 32);
    return 0;
}

int sc_session_spqr_info(const sc_session *s, uint64_t *scka_epoch,
                         unsigned *scka_state, uint64_t *chain_epoch)
{
    if (!s || !s->has_current)
        return SC_ERR_NO_SESSION;
    sc_spqr_info(&s->current.spqr, scka_epoch, scka_state, chain_epoch);
    return 0;
}

uint32_t sc_session_remote_registration_id(const sc_session *s)
{
    return s && s->has_current ? s->current.remote_reg : 0;
}

int sc_session_current_ratchet_key_matches(const sc_session *s, const uint8_t key[33])
{
    if (!s || !s->has_current || key[0] != SC_EC_TYPE)
        return 0;
    return ut_ct_eq(s->current.sender_ratchet.pub, key + 1, 32);
}

int sc_session_archive_current(sc_session *s)
{
    int rc;

    if (!s || !s->has_current)
        return 0;
    /* as libsignal: an archived state never resends its PreKey header */
    s->current.has_pending = 0;
    rc = sc_session_archive_push(s, &s->current);
    if (rc == 0)
        s->has_current = 0;
    return rc;
}

int sc_session_archive_push(sc_session *s, sc_state *st)
{
    sc_state *slot = malloc(sizeof(*slot));

    if (!slot)
        return UT_ERR_NOMEM;
    *slot = *st;
    memset(st, 0, sizeof(*st));
    if (s->nprevious == SC_ARCHIVED_STATES) {
        sc_state_free(s->previous[SC_ARCHIVED_STATES - 1]);
        free(s->previous[SC_ARCHIVED_STATES - 1]);
        s->nprevious--;
    }
    memmove(&s->previous[1], &s->previous[0], s->nprevious * sizeof(s->previous[0]));
    s->previous[0] = slot;
    s->nprevious++;
    return 0;
}

/* Make `st` current (moved in); the old current goes to the archive. */
static int install(sc_session *s, sc_state *st)
{
    int rc;

    if (s->has_current) {
        rc = sc_session_archive_push(s, &s->current);
        if (rc)
            return rc;
        s->has_current = 0;
    }
    s->current = *st;
    memset(st, 0, sizeof(*st));
    s->has_current = 1;
    return 0;
}

/* Archived state i becomes current. */
static int promote(sc_session *s, size_t i)
{
    sc_state *old = s->previous[i];
    int rc;

    memmove(&s->previous[i], &s->previous[i + 1],
            (s->nprevious - i - 1) * sizeof(s->previous[0]));
    s->nprevious--;
    rc = install(s, old);
    if (rc) { /* put it back where it was */
        memmove(&s->previous[i + 1], &s->previous[i],
                (s->nprevious - i) * sizeof(s->previous[0]));
        s->previous[i] = old;
        s->nprevious++;
        return rc;
    }
    free(old);
    return 0;
}

static void set_params(sc_state *st, const sc_session_params *p)
{
    if (p->local && p->remote) {
        st->has_addresses = 1;
        st->local_addr = *p->local;
        st->remote_addr = *p->remote;
    }
}

/* Same identity key, and (when known) the same account: our own primary. */
static int is_self(const sc_session_params *p, const uint8_t remote_ik[32])
{
    if (memcmp(p->identity->pub, remote_ik, 32))
        return 0;
    if (p->local && p->remote)
        return p->local->kind == p->remote->kind &&
               !memcmp(p->local->uuid, p->remote->uuid, 16);
    return 1;
}

int sc_session_process_bundle(sc_session *s, const sc_session_params *p,
                              const sc_prekey_bundle *b)
{
    sc_state st;
    int rc;

    if (!s || !p || !p->identity || !b)
        return UT_ERR_INVAL;
    rc = sc_pqxdh_initiate(&st, p->identity, p->registration_id, b,
                           is_self(p, b->identity_key));
    if (rc)
        return rc;
    set_params(&st, p);
    rc = install(s, &st);
    if (rc)
        sc_state_free(&st);
    return rc;
}

int sc_session_encrypt(sc_session *s, const uint8_t *pt, size_t n,
                       uint8_t **out, size_t *out_len, int *type)
{
    sc_state *st;
    sc_prekey_msg_fields f;
    uint8_t *inner = NULL;
    size_t inner_len = 0;
    int rc;

    *out = NULL;
    *out_len = 0;
    if (!s || !s->has_current)
        return SC_ERR_NO_SESSION;
    if (!pt && n)
        return UT_ERR_INVAL;
    st = &s->current;
    rc = sc_ratchet_encrypt(st, pt ? pt : (const uint8_t *)"", n,
                            st->has_pending, &inner, &inner_len);
    if (rc)
        return rc;
    if (!st->has_pending) {
        *out = inner;
        *out_len = inner_len;
        *type = SC_MSG_TYPE_WHISPER;
        return 0;
    }
    memset(&f, 0, sizeof(f));
    f.registration_id = st->local_reg;
    f.has_pre_key_id = st->pending.has_pre_key_id;
    f.pre_key_id = st->pending.pre_key_id;
    f.signed_pre_key_id = st->pending.signed_pre_key_id;
    f.kyber_pre_key_id = st->pending.kyber_pre_key_id;
    f.kyber_ct = st->pending.kyber_ct;
    f.base_key = st->pending.base_key;
    f.identity_key = st->local_ik;
    f.message = inner;
    f.message_len = inner_len;
    rc = sc_prekey_msg_encode(out, out_len, &f);
    free(inner);
    if (!rc)
        *type = SC_MSG_TYPE_PREKEY;
    return rc;
}

/* Try the current state, then the archived ones; a duplicate stops the
 * search (it belongs to this state), other errors keep the first one. */
static int decrypt_any(sc_session *s, const sc_signal_msg *m, uint8_t **pt,
                       size_t *pt_len)
{
    int rc, first = SC_ERR_NO_SESSION;
    size_t i;

    if (s->has_current) {
        rc = sc_ratchet_decrypt(&s->current, m, pt, pt_len);
        if (!rc) {
            s->current.has_pending = 0; /* the peer has our PreKey message */
            return 0;
        }
        if (rc == SC_ERR_DUPLICATE || rc == UT_ERR_NOMEM)
            return rc;
        first = rc;
    }
    for (i = 0; i < s->nprevious; i++) {
        rc = sc_ratchet_decrypt(s->previous[i], m, pt, pt_len);
        if (!rc) {
            s->previous[i]->has_pending = 0;
            rc = promote(s, i);
            if (rc) {
                ut_free_secret(*pt, *pt_len);
                *pt = NULL;
                *pt_len = 0;
            }
            return rc;
        }
        if (rc == SC_ERR_DUPLICATE || rc == UT_ERR_NOMEM)
            return rc;
        if (first == SC_ERR_NO_SESSION)
            first = rc;
    }
    return first;
}

int sc_session_decrypt(sc_session *s, const uint8_t *msg, size_t n,
                       uint8_t **pt, size_t *pt_len)
{
    sc_signal_msg m;
    int rc;

    *pt = NULL;
    *pt_len = 0;
    if (!s)
        return UT_ERR_INVAL;
    rc = sc_signal_msg_decode(&m, msg, n);
    if (rc)
        return rc;
    rc = decrypt_any(s, &m, pt, pt_len);
    sc_signal_msg_clear(&m);
    return rc;
}

static long find_base_key(const sc_session *s, const sc_prekey_msg *m)
{
    size_t i;

    if (s->has_current && !memcmp(s->current.alice_base_key, m->base_key, 32) &&
        !memcmp(s->current.remote_ik, m->identity_key, 32))
        return -1;
    for (i = 0; i < s->nprevious; i++)
        if (!memcmp(s->previous[i]->alice_base_key, m->base_key, 32) &&
            !memcmp(s->previous[i]->remote_ik, m->identity_key, 32))
            return (long)i;
    return -2;
}

int sc_session_decrypt_prekey(sc_session *s, const sc_session_params *p,
                              const sc_prekey_source *keys,
                              const uint8_t *expected_remote_identity,
                              const uint8_t *msg, size_t n, uint8_t **pt,
                              size_t *pt_len, sc_prekey_used *used)
{
    sc_prekey_msg m;
    sc_signed_prekey spk;
    sc_kyber_prekey *kpk = NULL;
    sc_prekey opk;
    sc_responder_keys rk;
    sc_state st;
    long at;
    int rc;

    *pt = NULL;
    *pt_len = 0;
    memset(&spk, 0, sizeof(spk));
    memset(&opk, 0, sizeof(opk));
    memset(&st, 0, sizeof(st));
    if (used)
        memset(used, 0, sizeof(*used));
    if (!s || !p || !p->identity || !keys)
        return UT_ERR_INVAL;
    rc = sc_prekey_msg_decode(&m, msg, n);
    if (rc)
        return rc;
    if (expected_remote_identity &&
        memcmp(expected_remote_identity, m.identity_key, 32)) {
        rc = SC_ERR_UNTRUSTED;
        goto out;
    }
    at = find_base_key(s, &m);
    if (at != -2) { /* a retransmission of a PreKey message we processed */
        sc_state *known = at == -1 ? &s->current : s->previous[at];
        rc = sc_ratchet_decrypt(known, &m.message, pt, pt_len);
        if (!rc && at >= 0)
            rc = promote(s, (size_t)at);
        goto done;
    }
    kpk = malloc(sizeof(*kpk));
    if (!kpk) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    if (keys->signed_prekey(keys->ctx, m.signed_pre_key_id, &spk) ||
        keys->kyber_prekey(keys->ctx, m.kyber_pre_key_id, kpk) ||
        (m.has_pre_key_id &&
         (!keys->prekey || keys->prekey(keys->ctx, m.pre_key_id, &opk)))) {
        rc = SC_ERR_UNKNOWN_PREKEY;
        goto out;
    }
    rk.identity = p->identity;
    rk.registration_id = p->registration_id;
    rk.spk = &spk;
    rk.kpk = kpk;
    rk.opk = m.has_pre_key_id ? &opk : NULL;
    rc = sc_pqxdh_respond(&st, &rk, &m, is_self(p, m.identity_key));
    if (rc)
        goto out;
    set_params(&st, p);
    rc = sc_ratchet_decrypt(&st, &m.message, pt, pt_len);
    if (rc)
        goto out;
    rc = install(s, &st);
    if (used)
        used->new_session = 1;
done:
    if (rc) {
        ut_free_secret(*pt, *pt_len);
        *pt = NULL;
        *pt_len = 0;
    } else if (used) {
        used->has_pre_key_id = m.has_pre_key_id;
        used->pre_key_id = m.pre_key_id;
        used->signed_pre_key_id = m.signed_pre_key_id;
        used->kyber_pre_key_id = m.kyber_pre_key_id;
        memcpy(used->base_key, m.base_key, 32);
        memcpy(used->identity_key, m.identity_key, 32);
    }
out:
    sc_state_free(&st);
    sc_signed_prekey_wipe(&spk);
    sc_prekey_wipe(&opk);
    if (kpk)
        sc_kyber_prekey_wipe(kpk);
    free(kpk);
    sc_prekey_msg_clear(&m);
    return rc;
}

int sc_session_load(const sc_session_store *st, const char *address,
                    sc_session **out)
{
    uint8_t *rec = NULL;
    size_t len = 0;
    int rc;

    *out = NULL;
    if (!st || !st->load || !address)
        return UT_ERR_INVAL;
    rc = st->load(st->ctx, address, &rec, &len);
    if (rc)
        return rc;
    rc = sc_session_deserialize(out, rec, len);
    ut_free_secret(rec, len);
    return rc;
}

int sc_session_save(const sc_session_store *st, const char *address,
                    const sc_session *s)
{
    uint8_t *rec = NULL;
    size_t len = 0;
    int rc;

    if (!st || !st->store || !address || !s)
        return UT_ERR_INVAL;
    rc = sc_session_serialize(s, &rec, &len);
    if (rc)
        return rc;
    rc = st->store(st->ctx, address, rec, len);
    ut_free_secret(rec, len);
    return rc;
}
