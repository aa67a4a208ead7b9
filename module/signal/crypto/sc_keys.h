/*
 * sc_keys.h - Signal key material for protocol v4: identity key pairs,
 * one-time EC pre-keys, signed pre-keys, Kyber1024 pre-keys (one-time and
 * last resort), Signal's public serializations (0x05 ‖ 32 for EC keys,
 * 0x08 ‖ 1568 for Kyber1024 keys) and a versioned storage format of our own.
 *
 * Plain value structs (no hidden allocation): the caller owns them and must
 * call the matching *_wipe() when done, because they hold private keys.
 * Thread-safe, no I/O. Errors: SC_ERR_* (sc_err.h) or UT_ERR_*.
 */
#ifndef SC_KEYS_H
#define SC_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "sc_err.h"

#define SC_KEYS_WUR __attribute__((warn_unused_result))

#define SC_EC_TYPE 0x05
#define SC_KEM_TYPE_KYBER1024 0x08
#define SC_EC_PUB_LEN 32
#define SC_EC_SERIALIZED_LEN 33 /* 0x05 ‖ u */
#define SC_SIG_LEN 64
#define SC_KEM_PUB_LEN 1568
#define SC_KEM_PRIV_LEN 3168
#define SC_KEM_CT_LEN 1568
#define SC_KEM_SERIALIZED_LEN 1569 /* 0x08 ‖ key or ciphertext */

/* An X25519 key pair (identity, pre-key, ratchet or base key). priv is the
 * 32-byte scalar, clamped on use. */
typedef struct sc_ec_keypair {
    uint8_t pub[SC_EC_PUB_LEN];
    uint8_t priv[32];
} sc_ec_keypair;

typedef struct sc_prekey {        /* one-time EC pre-key */
    uint32_t id;
    sc_ec_keypair kp;
} sc_prekey;

typedef struct sc_signed_prekey {
    uint32_t id;
    uint64_t timestamp_ms;
    sc_ec_keypair kp;
    uint8_t sig[SC_SIG_LEN];      /* XEdDSA by the identity key over 0x05‖pub */
} sc_signed_prekey;

typedef struct sc_kyber_prekey {  /* one-time or last-resort Kyber1024 key */
    uint32_t id;
    uint64_t timestamp_ms;
    uint8_t last_resort;          /* 1: not consumed by use */
    uint8_t pub[SC_KEM_PUB_LEN];
    uint8_t priv[SC_KEM_PRIV_LEN];
    uint8_t sig[SC_SIG_LEN];      /* XEdDSA over the 1569-byte 0x08‖pub */
} sc_kyber_prekey;

/* ---- EC keys ------------------------------------------------------------ */

int sc_ec_keypair_generate(sc_ec_keypair *kp) SC_KEYS_WUR;
void sc_ec_keypair_wipe(sc_ec_keypair *kp);
/* out = 0x05 ‖ pub */
void sc_ec_pub_serialize(uint8_t out[SC_EC_SERIALIZED_LEN],
                         const uint8_t pub[SC_EC_PUB_LEN]);
/* Exactly 33 bytes starting 0x05 (like libsignal-protocol-c); otherwise
 * SC_ERR_KEY. */
int sc_ec_pub_deserialize(uint8_t pub[SC_EC_PUB_LEN], const uint8_t *in,
                          size_t n) SC_KEYS_WUR;
/* libsignal's canonical check for PQXDH base keys: u < 2^255-19 and the
 * point is on the curve and torsion-free. 0 or SC_ERR_KEY. Variable time
 * (public input only). */
int sc_ec_pub_check_canonical(const uint8_t pub[SC_EC_PUB_LEN]) SC_KEYS_WUR;

/* ---- pre-keys ----------------------------------------------------------- */

int sc_prekey_generate(sc_prekey *pk, uint32_t id) SC_KEYS_WUR;
void sc_prekey_wipe(sc_prekey *pk);

/* Fresh key pair signed by `identity`. */
int sc_signed_prekey_generate(sc_signed_prekey *spk, uint32_t id,
                              uint64_t timestamp_ms,
                              const sc_ec_keypair *identity) SC_KEYS_WUR;
void sc_signed_prekey_wipe(sc_signed_prekey *spk);
/* XEdDSA over 0x05‖spk_pub by identity_pub: 0 or SC_ERR_SIGNATURE. */
int sc_signed_prekey_verify(const uint8_t identity_pub[SC_EC_PUB_LEN],
                            const uint8_t spk_pub[SC_EC_PUB_LEN],
                            const uint8_t sig[SC_SIG_LEN]) SC_KEYS_WUR;

/* Fresh Kyber1024 (round 3) key pair signed by `identity`. */
int sc_kyber_prekey_generate(sc_kyber_prekey *kpk, uint32_t id,
                             uint64_t timestamp_ms, int last_resort,
                             const sc_ec_keypair *identity) SC_KEYS_WUR;
void sc_kyber_prekey_wipe(sc_kyber_prekey *kpk);
/* XEdDSA over 0x08‖kem_pub (1569 bytes): 0 or SC_ERR_SIGNATURE. */
int sc_kyber_prekey_verify(const uint8_t identity_pub[SC_EC_PUB_LEN],
                           const uint8_t kem_pub[SC_KEM_PUB_LEN],
                           const uint8_t sig[SC_SIG_LEN]) SC_KEYS_WUR;
/* out = 0x08 ‖ pub (also used for ciphertexts) */
void sc_kem_serialize(uint8_t out[SC_KEM_SERIALIZED_LEN],
                      const uint8_t raw[SC_KEM_PUB_LEN]);
/* Exactly 1569 bytes starting 0x08; otherwise SC_ERR_KEY. */
int sc_kem_deserialize(uint8_t raw[SC_KEM_PUB_LEN], const uint8_t *in,
                       size_t n) SC_KEYS_WUR;

/* ---- storage serialization ------------------------------------------------
 * Our own format: version byte (1), kind byte, then fixed-size fields (ids
 * and timestamps big-endian). Outputs are secret (they hold private keys):
 * wipe them after storing. Loaders check version, kind and exact length
 * (SC_ERR_KEY_RECORD) and that the public key matches the private key for
 * EC keys. */
#define SC_IDENTITY_RECORD_LEN (2 + 32 + 32)
#define SC_PREKEY_RECORD_LEN (2 + 4 + 32 + 32)
#define SC_SIGNED_PREKEY_RECORD_LEN (2 + 4 + 8 + 32 + 32 + 64)
#define SC_KYBER_PREKEY_RECORD_LEN (2 + 4 + 8 + 1 + 1568 + 3168 + 64)

void sc_identity_keypair_store(uint8_t out[SC_IDENTITY_RECORD_LEN],
                               const sc_ec_keypair *ik);
int sc_identity_keypair_load(sc_ec_keypair *ik, const uint8_t *in,
                             size_t n) SC_KEYS_WUR;
void sc_prekey_store(uint8_t out[SC_PREKEY_RECORD_LEN], const sc_prekey *pk);
int sc_prekey_load(sc_prekey *pk, const uint8_t *in, size_t n) SC_KEYS_WUR;
void sc_signed_prekey_store(uint8_t out[SC_SIGNED_PREKEY_RECORD_LEN],
                            const sc_signed_prekey *spk);
int sc_signed_prekey_load(sc_signed_prekey *spk, const uint8_t *in,
                          size_t n) SC_KEYS_WUR;
void sc_kyber_prekey_store(uint8_t out[SC_KYBER_PREKEY_RECORD_LEN],
                           const sc_kyber_prekey *kpk);
int sc_kyber_prekey_load(sc_kyber_prekey *kpk, const uint8_t *in,
                         size_t n) SC_KEYS_WUR;

#endif
