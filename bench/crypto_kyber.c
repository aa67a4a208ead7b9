/* bench/crypto_kyber.c - Kyber1024 rows of bench/crypto. */
#include "config.h"

#include <stdlib.h>

#include "crypto.h"
#include "sc_kyber.h"
#include "ut.h"

typedef struct {
    uint8_t pk[SC_KYBER1024_PUBLICKEYBYTES];
    uint8_t sk[SC_KYBER1024_SECRETKEYBYTES];
    uint8_t ct[SC_KYBER1024_CIPHERTEXTBYTES];
    uint8_t ss[SC_KYBER1024_SSBYTES];
} kyber_state;

static void *kyber_setup(int *err)
{
    kyber_state *s = malloc(sizeof(*s));

    if (!s) {
        *err = UT_ERR_NOMEM;
        return NULL;
    }
    if ((*err = sc_kyber1024_keypair(s->pk, s->sk)) ||
        (*err = sc_kyber1024_enc(s->ct, s->ss, s->pk))) {
        ut_free_secret(s, sizeof(*s));
        return NULL;
    }
    return s;
}

static void kyber_teardown(void *st)
{
    ut_free_secret(st, sizeof(kyber_state));
}

static int run_keygen(void *st)
{
    kyber_state *s = st;

    return sc_kyber1024_keypair(s->pk, s->sk);
}

static int run_encaps(void *st)
{
    kyber_state *s = st;

    return sc_kyber1024_enc(s->ct, s->ss, s->pk);
}

static int run_decaps(void *st)
{
    kyber_state *s = st;

    return sc_kyber1024_dec(s->ss, s->ct, s->sk);
}

const bench_op bench_kyber_ops[] = {
    {"kyber1024.keygen", kyber_setup, run_keygen, kyber_teardown},
    {"kyber1024.encaps", kyber_setup, run_encaps, kyber_teardown},
    {"kyber1024.decaps", kyber_setup, run_decaps, kyber_teardown},
    {NULL, NULL, NULL, NULL},
};
