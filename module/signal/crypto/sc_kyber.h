/*
 * sc_kyber.h - CRYSTALS-Kyber1024, round 3 (the KEM in libsignal's PQXDH,
 * key type 0x08) - NOT FIPS 203 ML-KEM-1024, whose encapsulation does not
 * hash the message and whose shared secret is not SHAKE256(K || H(ct)).
 *
 * Byte layouts are the round-3 reference ones: pk = t (1536) || rho (32);
 * sk = s (1536) || pk (1568) || SHA3-256(pk) (32) || z (32). Signal puts a
 * 0x08 type byte in front of pk, sk and ct: sc_kyber1024_*_serialize /
 * _deserialize handle that.
 *
 * Constant time with respect to secret keys, coins, messages and shared
 * secrets (checked with valgrind in tests/ct). Thread-safe, no allocation
 * except inside OpenSSL's SHA-3, no I/O. Results: 0, SC_ERR_CRYPTO (the
 * SHA-3 backend failed), UT_ERR_IO (no OS randomness; non-derand only).
 * Decapsulation of a forged or corrupted ciphertext is NOT an error: it
 * returns 0 and a pseudo-random secret (implicit rejection), so the caller
 * learns of it only when the MAC that uses the secret fails.
 * On error every output buffer is zeroed.
 */
#ifndef SC_KYBER_H
#define SC_KYBER_H

#include <stddef.h>
#include <stdint.h>

#include "sc_err.h"

#define SC_KYBER1024_PUBLICKEYBYTES 1568
#define SC_KYBER1024_SECRETKEYBYTES 3168
#define SC_KYBER1024_CIPHERTEXTBYTES 1568
#define SC_KYBER1024_SSBYTES 32
/* libsignal's KEM type byte for Kyber1024 and the serialized sizes. */
#define SC_KYBER1024_TYPE 0x08
#define SC_KYBER1024_SERIALIZED_PK (1 + SC_KYBER1024_PUBLICKEYBYTES)
#define SC_KYBER1024_SERIALIZED_SK (1 + SC_KYBER1024_SECRETKEYBYTES)
#define SC_KYBER1024_SERIALIZED_CT (1 + SC_KYBER1024_CIPHERTEXTBYTES)

#define SC_KYBER_WUR __attribute__((warn_unused_result))

/* Fresh key pair from the OS CSPRNG. */
int sc_kyber1024_keypair(uint8_t pk[1568], uint8_t sk[3168]) SC_KYBER_WUR;
/* Deterministic: coins[0..32] = d (seed of the matrix and noise),
 * coins[32..64] = z (implicit-rejection secret); same order as the
 * reference's randombytes calls, so known-answer tests line up. */
int sc_kyber1024_keypair_derand(uint8_t pk[1568], uint8_t sk[3168],
                                const uint8_t coins[64]) SC_KYBER_WUR;
/* Encapsulate to pk: ct and the 32-byte shared secret ss. */
int sc_kyber1024_enc(uint8_t ct[1568], uint8_t ss[32],
                     const uint8_t pk[1568]) SC_KYBER_WUR;
/* Deterministic: coins = the message m before round 3's SHA3-256(m). */
int sc_kyber1024_enc_derand(uint8_t ct[1568], uint8_t ss[32],
                            const uint8_t pk[1568],
                            const uint8_t coins[32]) SC_KYBER_WUR;
/* Decapsulate (see implicit rejection above). */
int sc_kyber1024_dec(uint8_t ss[32], const uint8_t ct[1568],
                     const uint8_t sk[3168]) SC_KYBER_WUR;

/* Signal's serialized forms: out[0] = 0x08, then the raw bytes. */
void sc_kyber1024_serialize(uint8_t *out, const uint8_t *raw, size_t raw_len);
/* Check type byte and length (n must be 1 + raw_len) and return a pointer
 * to the raw bytes inside `in` in *raw: 0, SC_ERR_KEM_TYPE (type byte is
 * not 0x08, e.g. 0x0A ML-KEM-1024) or SC_ERR_FORMAT (length). */
int sc_kyber1024_deserialize(const uint8_t **raw, const uint8_t *in,
                             size_t n, size_t raw_len) SC_KYBER_WUR;

/* PQXDH conveniences on Signal's forms: encapsulate to a serialized public
 * key (0x08 || 1568, n = 1569) giving a serialized ciphertext (1569), and
 * decapsulate a serialized ciphertext with a raw secret key. Errors as
 * sc_kyber1024_deserialize, plus those of enc/dec; outputs zeroed on error. */
int sc_kyber1024_enc_serialized(uint8_t ct[1569], uint8_t ss[32],
                                const uint8_t *pk, size_t pk_len) SC_KYBER_WUR;
int sc_kyber1024_dec_serialized(uint8_t ss[32], const uint8_t *ct,
                                size_t ct_len, const uint8_t sk[3168])
    SC_KYBER_WUR;

#endif
