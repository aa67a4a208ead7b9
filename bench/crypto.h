/*
 * bench/crypto.h - the C side of `make bench` for signal/crypto. Each part
 * contributes a table of operations in its own bench/crypto_<part>.c. The
 * session and sealed-sender tables are already declared (weak) below and
 * picked up when defined: add the file with
 *   bench_crypto_SOURCES += bench/crypto_session.c
 * in bench/local.mk and define bench_session_ops[] in it. A row's name
 * ("kyber1024.keygen", "pqxdh.initiate", "ratchet.100B", "sealed.v2.decrypt",
 * ...) is matched with the Node baselines of the same name, which go in
 * bench/crypto-node-<part>.js (loaded automatically).
 */
#ifndef BENCH_CRYPTO_H
#define BENCH_CRYPTO_H

typedef struct bench_op {
    const char *name;
    /* Prepare state for run (keys, messages); NULL when not needed. Returns
     * NULL and sets *err on failure. Not timed. */
    void *(*setup)(int *err);
    /* One operation, timed. 0 on success. */
    int (*run)(void *state);
    /* Free state; NULL when setup is NULL. */
    void (*teardown)(void *state);
} bench_op;

/* Tables end with an entry whose name is NULL. */
extern const bench_op bench_kyber_ops[];
extern const bench_op bench_prim_ops[];
/* Optional until their parts land: NULL when not linked in. */
extern const bench_op bench_session_ops[] __attribute__((weak));
extern const bench_op bench_sealed_ops[] __attribute__((weak));

#endif
