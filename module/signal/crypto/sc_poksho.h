/*
 * sc_poksho.h - libsignal's poksho (rust/poksho/src/statement.rs, proof.rs
 * at v0.100.0): Schnorr proofs of knowledge of scalars satisfying a system
 * of linear equations over Ristretto255 points,
 *
 *     P = s1*Q1 + s2*Q2 + ...      (one line per sc_poksho_add)
 *
 * made non-interactive with ShoHmacSha256 (sc_sho.h), byte for byte as
 * libsignal: same statement description, same synthetic nonce
 * (randomness || witness || message), same challenge, same encoding
 * (challenge || responses, 32-byte little-endian canonical scalars).
 *
 * Scalars and points are named by strings, as in Rust; indices are given in
 * order of first appearance, and the point "G" is the Ristretto base point
 * (never passed as an argument). Point arguments are 32-byte compressed
 * Ristretto encodings (identity = all zero); scalars are 32-byte canonical
 * little-endian. Name and size limits below are far above what zkgroup
 * uses; going past them is UT_ERR_INVAL.
 *
 * A statement is an opaque heap object: not secret, immutable after the
 * last add, and then safe to share between threads. No I/O.
 * Errors: UT_ERR_INVAL (bad statement or arguments: a name missing, an
 * extra argument, a limit exceeded, randomness not 32 bytes), SC_ERR_FORMAT
 * (a point argument is not a valid encoding), SC_ERR_ZK_VERIFY (the proof
 * does not verify or is malformed: wrong length, non-canonical scalar; and
 * from prove, a witness that does not satisfy the statement),
 * SC_ERR_CRYPTO (HMAC failed), UT_ERR_NOMEM.
 */
#ifndef SC_POKSHO_H
#define SC_POKSHO_H

#include <stddef.h>
#include <stdint.h>

#include "sc_err.h"

#define SC_POKSHO_MAX_NAME 64      /* name length, NUL included */
#define SC_POKSHO_MAX_POINTS 64    /* distinct points, "G" included */
#define SC_POKSHO_MAX_SCALARS 64   /* distinct scalars */
#define SC_POKSHO_MAX_EQUATIONS 32
#define SC_POKSHO_MAX_TERMS 16     /* terms on one right-hand side */

typedef struct sc_poksho sc_poksho;

/* A named 32-byte value (scalar or compressed point); the caller owns both
 * pointers for the duration of the call. */
typedef struct sc_poksho_arg {
    const char *name;
    const uint8_t *v;
} sc_poksho_arg;

/* An empty statement; caller frees with sc_poksho_free. */
int sc_poksho_new(sc_poksho **out) __attribute__((warn_unused_result));
void sc_poksho_free(sc_poksho *st);

/* Appends the equation lhs = sum over i < n of terms[2i] * terms[2i+1]
 * (scalar name, point name). n >= 1. Names are copied. On error the
 * statement is unchanged. */
int sc_poksho_add(sc_poksho *st, const char *lhs, const char *const *terms,
                  size_t n) __attribute__((warn_unused_result));

/* Number of bytes of a proof for st: 32 * (1 + number of scalars). */
size_t sc_poksho_proof_len(const sc_poksho *st);

/* Statement::prove. scalars: exactly the statement's scalars (secret; not
 * kept); points: exactly its points other than "G"; msg may be NULL when
 * msg_len is 0. On success *proof is malloc'd (free()) and holds
 * sc_poksho_proof_len(st) bytes. The proof is verified before it is
 * returned, as libsignal does. Internal nonces are wiped on every path. */
int sc_poksho_prove(uint8_t **proof, size_t *proof_len, const sc_poksho *st,
                    const sc_poksho_arg *scalars, size_t n_scalars,
                    const sc_poksho_arg *points, size_t n_points,
                    const uint8_t *msg, size_t msg_len,
                    const uint8_t randomness[32])
    __attribute__((warn_unused_result));

/* Statement::verify_proof: 0 if proof (n bytes) proves st for these
 * points and message, SC_ERR_ZK_VERIFY if not. */
int sc_poksho_verify(const sc_poksho *st, const uint8_t *proof, size_t n,
                     const sc_poksho_arg *points, size_t n_points,
                     const uint8_t *msg, size_t msg_len)
    __attribute__((warn_unused_result));

#endif
