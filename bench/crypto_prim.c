/* bench/crypto_prim.c - the EC primitives that the libsignal estimates of
 * bench/crypto-node-kyber.js subtract, timed in C for context. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "sc_prim.h"

typedef struct {
    uint8_t priv[32], pub[32], peer[32], out[32], sig[64];
    uint8_t msg[1569];
} prim_state;

static void *prim_setup(int *err)
{
    prim_state *s = calloc(1, sizeof(*s));

    if (!s) {
        *err = UT_ERR_NOMEM;
        return NULL;
    }
    memset(s->msg, 8, sizeof(s->msg));
    if ((*err = sc_x25519_keypair(s->pub, s->priv)) ||
        (*err = sc_x25519_keypair(s->peer, s->out)) ||
        (*err = sc_xeddsa_sign(s->sig, s->priv, s->msg, sizeof(s->msg)))) {
        ut_free_secret(s, sizeof(*s));
        return NULL;
    }
    return s;
}

static void prim_teardown(void *st)
{
    ut_free_secret(st, sizeof(prim_state));
}

static int run_agree(void *st)
{
    prim_state *s = st;

    return sc_x25519(s->out, s->priv, s->peer);
}

static int run_generate(void *st)
{
    prim_state *s = st;

    return sc_x25519_keypair(s->peer, s->out);
}

static int run_verify(void *st)
{
    prim_state *s = st;

    return sc_xeddsa_verify(s->sig, s->pub, s->msg, sizeof(s->msg));
}

const bench_op bench_prim_ops[] = {
    {"x25519.agree", prim_setup, run_agree, prim_teardown},
    {"x25519.generate", prim_setup, run_generate, prim_teardown},
    {"xeddsa.verify", prim_setup, run_verify, prim_teardown},
    {NULL, NULL, NULL, NULL},
};
