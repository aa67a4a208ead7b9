/*
 * sc_pqxdh.h - PQXDH as libsignal 0.100 runs it (signal-crypto.md §1.3):
 * X25519 ×3 (+1 with a one-time pre-key) and Kyber1024, HKDF into root key,
 * chain key and the SPQR key, then the ratchet set up for Alice (initiator)
 * or Bob (responder). Internal to the session layer.
 */
#ifndef SC_PQXDH_H
#define SC_PQXDH_H

#include <stdint.h>

#include "sc_keys.h"
#include "sc_msg.h"
#include "sc_ratchet.h"

/* A peer's pre-key bundle (public keys only, without type bytes). */
typedef struct sc_prekey_bundle {
    uint32_t registration_id;
    uint32_t device_id;
    int has_prekey;
    uint32_t prekey_id;
    uint8_t prekey[32];
    uint32_t signed_prekey_id;
    uint8_t signed_prekey[32];
    uint8_t signed_prekey_sig[SC_SIG_LEN];
    uint8_t identity_key[32];
    uint32_t kyber_prekey_id;
    uint8_t kyber_prekey[SC_KEM_PUB_LEN];
    uint8_t kyber_prekey_sig[SC_SIG_LEN];
} sc_prekey_bundle;

/* Our keys named by a PreKey message (opk NULL when it names none). */
typedef struct sc_responder_keys {
    const sc_ec_keypair *identity;
    uint32_t registration_id;
    const sc_signed_prekey *spk;
    const sc_prekey *opk;
    const sc_kyber_prekey *kpk;
} sc_responder_keys;

/* Alice: verifies both pre-key signatures (SC_ERR_SIGNATURE), runs PQXDH
 * and fills `st` (fresh, caller frees with sc_state_free) with the pending
 * PreKey data. SC_ERR_KEY on an all-zero agreement. */
int sc_pqxdh_initiate(sc_state *st, const sc_ec_keypair *our_identity,
                      uint32_t our_registration_id,
                      const sc_prekey_bundle *b, int self_session);

/* Bob: canonical base key (SC_ERR_BASE_KEY), agreements, decapsulation,
 * and `st` set up as the receiver. The caller still has to decrypt the
 * inner message before keeping `st`. */
int sc_pqxdh_respond(sc_state *st, const sc_responder_keys *k,
                     const sc_prekey_msg *m, int self_session);

#endif
