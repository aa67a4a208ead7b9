/*
 * sc_msg.h - the v4 wire codec: SignalMessage (0x44 ‖ protobuf ‖ MAC8) and
 * PreKeySignalMessage (0x44 ‖ protobuf), incl. pq_ratchet (field 5) and
 * addresses (field 6), Kyber id/ciphertext (fields 7/8), and the MAC over
 * sender IK ‖ receiver IK ‖ version ‖ protobuf.
 *
 * Parsing is strict and never crashes on bad input: SC_ERR_MSG_VERSION for
 * legacy (< 4, incl. v3 X3DH) or unknown (> 4) versions, SC_ERR_NO_KYBER for
 * a v4 PreKey message missing Kyber fields, SC_ERR_MSG_FORMAT for anything
 * else malformed, UT_ERR_NOMEM. Decoded messages point into memory owned by
 * the decoded struct: release it with the matching *_clear(). Thread-safe.
 */
#ifndef SC_MSG_H
#define SC_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "sc_err.h"
#include "sc_keys.h"

#define SC_MSG_VERSION_BYTE 0x44
#define SC_MSG_MAC_LEN 8
#define SC_ADDRESSES_LEN 36
#define SC_MSG_MAX_LEN (1u << 20) /* reject larger inputs outright */

typedef struct sc_signal_msg {
    uint8_t ratchet_key[SC_EC_PUB_LEN];
    uint32_t counter;
    uint32_t previous_counter;
    const uint8_t *ciphertext;   /* view into the decoded protobuf */
    size_t ciphertext_len;
    const uint8_t *pq_ratchet;   /* NULL/0 when absent */
    size_t pq_ratchet_len;
    const uint8_t *addresses;    /* NULL or SC_ADDRESSES_LEN bytes */
    const uint8_t *raw;          /* the input: 0x44 ‖ protobuf ‖ MAC */
    size_t raw_len;
    void *pb_;                   /* private */
} sc_signal_msg;

/* What the sender supplies; returns malloc'd bytes in *out (caller frees). */
typedef struct sc_signal_msg_fields {
    const uint8_t *ratchet_key;  /* 32 */
    uint32_t counter;
    uint32_t previous_counter;
    const uint8_t *ciphertext;
    size_t ciphertext_len;
    const uint8_t *pq_ratchet;   /* omitted when len 0 */
    size_t pq_ratchet_len;
    const uint8_t *addresses;    /* NULL or 36 bytes */
} sc_signal_msg_fields;

int sc_signal_msg_encode(uint8_t **out, size_t *out_len,
                         const sc_signal_msg_fields *f,
                         const uint8_t mac_key[32],
                         const uint8_t sender_ik[SC_EC_PUB_LEN],
                         const uint8_t receiver_ik[SC_EC_PUB_LEN]);
/* `in` must outlive `m` (m->raw points at it). */
int sc_signal_msg_decode(sc_signal_msg *m, const uint8_t *in, size_t n);
/* 0 or SC_ERR_BAD_MAC (constant-time compare). */
int sc_signal_msg_verify_mac(const sc_signal_msg *m, const uint8_t mac_key[32],
                             const uint8_t sender_ik[SC_EC_PUB_LEN],
                             const uint8_t receiver_ik[SC_EC_PUB_LEN]);
void sc_signal_msg_clear(sc_signal_msg *m);

typedef struct sc_prekey_msg {
    uint32_t registration_id;
    int has_pre_key_id;
    uint32_t pre_key_id;
    uint32_t signed_pre_key_id;
    uint32_t kyber_pre_key_id;
    const uint8_t *kyber_ct;     /* SC_KEM_CT_LEN raw bytes (after 0x08) */
    uint8_t base_key[SC_EC_PUB_LEN];
    uint8_t identity_key[SC_EC_PUB_LEN];
    sc_signal_msg message;       /* the decoded inner SignalMessage */
    void *pb_;                   /* private */
} sc_prekey_msg;

typedef struct sc_prekey_msg_fields {
    uint32_t registration_id;
    int has_pre_key_id;
    uint32_t pre_key_id;
    uint32_t signed_pre_key_id;
    uint32_t kyber_pre_key_id;
    const uint8_t *kyber_ct;     /* SC_KEM_CT_LEN raw bytes */
    const uint8_t *base_key;     /* 32 */
    const uint8_t *identity_key; /* 32 */
    const uint8_t *message;      /* encoded SignalMessage */
    size_t message_len;
} sc_prekey_msg_fields;

int sc_prekey_msg_encode(uint8_t **out, size_t *out_len,
                         const sc_prekey_msg_fields *f);
int sc_prekey_msg_decode(sc_prekey_msg *m, const uint8_t *in, size_t n);
void sc_prekey_msg_clear(sc_prekey_msg *m);

/* Protobuf-style varint helpers (used by the SPQR wire part). get: bytes
 * consumed, or 0 when truncated/overlong (> 10 bytes or > 64 bits). */
size_t sc_varint_put(uint8_t out[10], uint64_t v);
size_t sc_varint_get(uint64_t *v, const uint8_t *in, size_t n);

#endif
