/*
 * sc_ratchet.h - one v4 session state: the double ratchet (root key, one
 * sender chain, up to 5 receiver chains with skipped keys kept as seeds),
 * SPQR (sc_spqr.h), and the pending PreKey data of an initiator.
 * Internal to the session layer (sc_pqxdh, sc_session, sc_record); users
 * see sc_session.h.
 *
 * Limits (signal-crypto.md §2.4): MAX_FORWARD_JUMPS 25000 (none for a
 * self-session), MAX_MESSAGE_KEYS 2000 per chain, MAX_RECEIVER_CHAINS 5.
 * Decryption changes the state only after MAC and decryption succeed.
 */
#ifndef SC_RATCHET_H
#define SC_RATCHET_H

#include <stddef.h>
#include <stdint.h>

#include "sc_keys.h"
#include "sc_msg.h"
#include "sc_spqr.h"

#define SC_MAX_FORWARD_JUMPS 25000
#define SC_MAX_MESSAGE_KEYS 2000
#define SC_MAX_RECEIVER_CHAINS 5
#define SC_SESSION_VERSION 4

typedef struct sc_recv_chain {
    uint8_t ratchet_key[32];   /* their ratchet public key */
    uint8_t ck[32];
    uint32_t index;            /* counter of the next key the chain yields */
    sc_keylist skipped;        /* seeds (HMAC(CK,1)) of skipped counters */
} sc_recv_chain;

typedef struct sc_pending_prekey {
    int has_pre_key_id;
    uint32_t pre_key_id;
    uint32_t signed_pre_key_id;
    uint32_t kyber_pre_key_id;
    uint8_t kyber_ct[SC_KEM_CT_LEN];
    uint8_t base_key[32];
} sc_pending_prekey;

/* A ServiceId address for the addresses field: kind 0 ACI, 1 PNI. */
typedef struct sc_address {
    uint8_t kind;
    uint8_t uuid[16];
    uint32_t device;
} sc_address;

typedef struct sc_state {
    uint32_t version;          /* 4 */
    uint8_t local_ik[32], remote_ik[32];
    uint32_t local_reg, remote_reg;
    uint8_t root[32];
    sc_ec_keypair sender_ratchet;
    uint8_t sender_ck[32];
    uint32_t sender_index;
    uint32_t previous_counter;
    sc_recv_chain chains[SC_MAX_RECEIVER_CHAINS]; /* oldest first */
    size_t nchains;
    int has_pending;
    sc_pending_prekey pending;
    uint8_t alice_base_key[32]; /* identifies the PQXDH run */
    uint8_t self_session;      /* same identity and account: no jump limit */
    int has_addresses;
    sc_address local_addr, remote_addr;
    sc_spqr spqr;
} sc_state;

void sc_state_free(sc_state *st);              /* wipes; st reusable */

/* (root', ck) = HKDF(salt=root, DH(our, their), "WhisperRatchet", 64).
 * `our_pub` (may be NULL) must be our_priv's public key: given, the DH
 * skips recomputing it. */
int sc_ratchet_create_chain(uint8_t root_out[32], uint8_t ck_out[32],
                            const uint8_t root[32], const uint8_t their[32],
                            const uint8_t our_priv[32], const uint8_t *our_pub);

/* Encrypt into a SignalMessage (addresses included when `with_addresses`).
 * Advances the sender chain and SPQR send chain. *out is malloc'd. */
int sc_ratchet_encrypt(sc_state *st, const uint8_t *pt, size_t n,
                       int with_addresses, uint8_t **out, size_t *out_len);

/* Decrypt a decoded SignalMessage with this state; on success the state
 * is advanced and *pt (malloc'd, caller frees with ut_free_secret or free)
 * holds the plaintext. Errors: SC_ERR_BAD_MAC, SC_ERR_DECRYPT, SC_ERR_DUPLICATE,
 * SC_ERR_TOO_FAR, SC_ERR_SPQR, SC_ERR_ADDRESS, SC_ERR_KEY, UT_ERR_NOMEM;
 * the state is unchanged on every error. */
int sc_ratchet_decrypt(sc_state *st, const sc_signal_msg *m, uint8_t **pt,
                       size_t *pt_len);

/* 36-byte addresses field: sender ‖ recipient, each kind‖uuid‖device. */
void sc_addresses_encode(uint8_t out[SC_ADDRESSES_LEN], const sc_address *sender,
                         const sc_address *recipient);

#endif
