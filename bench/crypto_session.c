/* bench/crypto_session.c - session rows of bench/crypto: PQXDH set-up on
 * both sides, and double-ratchet encrypt+decrypt of 100 B and 64 KiB (one
 * direction, steady chain) and of 100 B with a DH turn every message. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "sc_session.h"

typedef struct sess_bench {
    sc_ec_keypair ik_a, ik_b;
    sc_signed_prekey spk;
    sc_kyber_prekey kpk;
    sc_prekey_bundle bundle;
    sc_session *a, *b;
    uint8_t *pt;
    size_t n;
} sess_bench;

static int get_spk(void *c, uint32_t id, sc_signed_prekey *o)
{
    sess_bench *s = c;
    (void)id;
    *o = s->spk;
    return 0;
}

static int get_kpk(void *c, uint32_t id, sc_kyber_prekey *o)
{
    sess_bench *s = c;
    (void)id;
    *o = s->kpk;
    return 0;
}

/* Alice -> Bob one message; type 3 on the first. */
static int send(sess_bench *s, sc_session *from, sc_session *to, int prekey)
{
    sc_session_params p = {prekey ? &s->ik_b : &s->ik_a, 2, NULL, NULL};
    sc_prekey_source src = {s, get_spk, get_kpk, NULL};
    uint8_t *ct, *pt;
    size_t n, pn;
    int type, rc;

    rc = sc_session_encrypt(from, s->pt, s->n, &ct, &n, &type);
    if (rc)
        return rc;
    if (type == SC_MSG_TYPE_PREKEY)
        rc = sc_session_decrypt_prekey(to, &p, &src, NULL, ct, n, &pt, &pn, NULL);
    else
        rc = sc_session_decrypt(to, ct, n, &pt, &pn);
    free(ct);
    if (!rc) {
        if (pn != s->n)
            rc = -1;
        ut_free_secret(pt, pn);
    }
    return rc;
}

static void teardown(void *st)
{
    sess_bench *s = st;

    if (!s)
        return;
    sc_session_free(s->a);
    sc_session_free(s->b);
    free(s->pt);
    ut_free_secret(s, sizeof(*s));
}

static sess_bench *base_setup(size_t n, int *err)
{
    sess_bench *s = calloc(1, sizeof(*s));

    if (!s || !(s->pt = malloc(n ? n : 1))) {
        free(s);
        *err = UT_ERR_NOMEM;
        return NULL;
    }
    s->n = n;
    memset(s->pt, 'x', n);
    if ((*err = sc_ec_keypair_generate(&s->ik_a)) ||
        (*err = sc_ec_keypair_generate(&s->ik_b)) ||
        (*err = sc_signed_prekey_generate(&s->spk, 1, 0, &s->ik_b)) ||
        (*err = sc_kyber_prekey_generate(&s->kpk, 2, 0, 1, &s->ik_b)))
        goto fail;
    s->bundle.registration_id = 2;
    s->bundle.device_id = 1;
    s->bundle.signed_prekey_id = 1;
    memcpy(s->bundle.signed_prekey, s->spk.kp.pub, 32);
    memcpy(s->bundle.signed_prekey_sig, s->spk.sig, 64);
    memcpy(s->bundle.identity_key, s->ik_b.pub, 32);
    s->bundle.kyber_prekey_id = 2;
    memcpy(s->bundle.kyber_prekey, s->kpk.pub, SC_KEM_PUB_LEN);
    memcpy(s->bundle.kyber_prekey_sig, s->kpk.sig, 64);
    return s;
fail:
    teardown(s);
    return NULL;
}

/* Sessions set up and answered once, so messages are plain SignalMessages. */
static void *conv_setup(size_t n, int *err)
{
    sess_bench *s = base_setup(n, err);
    sc_session_params pa;

    if (!s)
        return NULL;
    pa.identity = &s->ik_a;
    pa.registration_id = 1;
    pa.local = pa.remote = NULL;
    if ((*err = sc_session_new(&s->a)) || (*err = sc_session_new(&s->b)) ||
        (*err = sc_session_process_bundle(s->a, &pa, &s->bundle)) ||
        (*err = send(s, s->a, s->b, 1)) || (*err = send(s, s->b, s->a, 0)) ||
        (*err = send(s, s->a, s->b, 0))) {
        teardown(s);
        return NULL;
    }
    return s;
}

static void *setup_100(int *err) { return conv_setup(100, err); }
static void *setup_64k(int *err) { return conv_setup(65536, err); }
static void *setup_setup(int *err) { return base_setup(1, err); }

static int run_one_way(void *st)
{
    sess_bench *s = st;
    return send(s, s->a, s->b, 0);
}

static int run_turn(void *st)
{
    sess_bench *s = st;
    sc_session *t;
    int rc = send(s, s->a, s->b, 0);

    t = s->a; /* swap roles: the next message turns the ratchet */
    s->a = s->b;
    s->b = t;
    return rc;
}

/* Full PQXDH: Alice processes the bundle and encrypts, Bob accepts. */
static int run_setup(void *st)
{
    sess_bench *s = st;
    sc_session_params pa = {&s->ik_a, 1, NULL, NULL};
    sc_session *a = NULL, *b = NULL;
    int rc;

    if (!(rc = sc_session_new(&a)) && !(rc = sc_session_new(&b)) &&
        !(rc = sc_session_process_bundle(a, &pa, &s->bundle)))
        rc = send(s, a, b, 1);
    sc_session_free(a);
    sc_session_free(b);
    return rc;
}

const bench_op bench_session_ops[] = {
    {"session.setup", setup_setup, run_setup, teardown},
    {"ratchet.100B", setup_100, run_one_way, teardown},
    {"ratchet.64KiB", setup_64k, run_one_way, teardown},
    {"ratchet.100B.dh-turn", setup_100, run_turn, teardown},
    {NULL, NULL, NULL, NULL},
};
