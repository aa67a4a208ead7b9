/* bench/crypto_kyber.c - Kyber1024 rows of bench/crypto. */
#include "config.h"

#include <stdlib.h>

#include "crypto.h"
#include "sc_kyber.h"
#include "sc_mlkem768.h"
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

/* ML-KEM-768 (SPQR's epochs) */
typedef struct {
    uint8_t ek[SC_MLKEM768_EK], dk[SC_MLKEM768_DK], ct[SC_MLKEM768_CT], ss[32];
} mlkem_state;

static void *mlkem_setup(int *err)
{
    mlkem_state *s = malloc(sizeof(*s));

    if (!s) {
        *err = UT_ERR_NOMEM;
        return NULL;
    }
    if ((*err = sc_mlkem768_keypair(s->ek, s->dk)) ||
        (*err = sc_mlkem768_encaps(s->ct, s->ss, s->ek))) {
        ut_free_secret(s, sizeof(*s));
        return NULL;
    }
    return s;
}

static void mlkem_teardown(void *st)
{
    ut_free_secret(st, sizeof(mlkem_state));
}

static int ml_keygen(void *st)
{
    mlkem_state *s = st;

    return sc_mlkem768_keypair(s->ek, s->dk);
}

static int ml_encaps(void *st)
{
    mlkem_state *s = st;

    return sc_mlkem768_encaps(s->ct, s->ss, s->ek);
}

static int ml_decaps(void *st)
{
    mlkem_state *s = st;

    return sc_mlkem768_decaps(s->ss, s->ct, s->dk);
}

const bench_op bench_kyber_ops[] = {
    {"mlkem768.keygen", mlkem_setup, ml_keygen, mlkem_teardown},
    {"mlkem768.encaps", mlkem_setup, ml_encaps, mlkem_teardown},
    {"mlkem768.decaps", mlkem_setup, ml_decaps, mlkem_teardown},
    {"kyber1024.keygen", kyber_setup, run_keygen, kyber_teardown},
    {"kyber1024.encaps", kyber_setup, run_encaps, kyber_teardown},
    {"kyber1024.decaps", kyber_setup, run_decaps, kyber_teardown},
    {NULL, NULL, NULL, NULL},
};
