/*
 * sc_scka.h - SPQR V1's sparse continuous key agreement: the chunked state
 * machine that runs one ML-KEM-768 exchange per epoch, piggybacked one
 * 32-byte chunk at a time on every message (spqr v1.5.3
 * src/v1/chunked/states.rs, send_ek.rs, send_ct.rs, the unchunked
 * v1/unchunked/send_ek.rs and send_ct.rs, src/authenticator.rs).
 *
 * The two sides alternate roles each epoch. The "send_ek" side samples a
 * key pair and sends hdr ‖ mac (3 chunks, repeated with redundancy until
 * the first ct1 chunk arrives), then t̂ (36 chunks); the "send_ct" side
 * checks the header's MAC, encapsulates (ct1, 30 chunks, as soon as the
 * header is complete: it emits the epoch secret then), and once it has t̂
 * and an acknowledgement sends ct2 ‖ mac (5 chunks). The send_ek side
 * decapsulates, checks the MAC and emits the same epoch secret; both then
 * swap roles at epoch + 1. A2B (the PQXDH initiator) starts as send_ek.
 *
 * Epoch secret e = HKDF(ss, "Signal_PQCKA_V1_MLKEM768:SCKA Key" ‖ BE64(e));
 * the authenticator (root, mac key) starts with update(1, pqr_key) and is
 * updated with every epoch secret; mac_hdr / mac_ct are full HMAC-SHA256
 * over a label ‖ BE64(epoch) ‖ data.
 *
 * The state is a flat struct (no pointers): a caller that needs
 * "all or nothing" copies it, works on the copy and keeps it on success.
 * Secrets in it are wiped by sc_scka_wipe.
 */
#ifndef SC_SCKA_H
#define SC_SCKA_H

#include <stddef.h>
#include <stdint.h>

#include "sc_mlkem768.h"
#include "sc_spqr_code.h"

enum sc_scka_state {
    /* send_ek */
    SC_SCKA_KEYS_UNSAMPLED = 0,
    SC_SCKA_KEYS_SAMPLED = 1,
    SC_SCKA_HEADER_SENT = 2,
    SC_SCKA_CT1_RECEIVED = 3,
    SC_SCKA_EK_SENT_CT1_RECEIVED = 4,
    /* send_ct */
    SC_SCKA_NO_HEADER_RECEIVED = 5,
    SC_SCKA_HEADER_RECEIVED = 6,
    SC_SCKA_CT1_SAMPLED = 7,
    SC_SCKA_EK_RECEIVED_CT1_SAMPLED = 8,
    SC_SCKA_CT1_ACKNOWLEDGED = 9,
    SC_SCKA_CT2_SAMPLED = 10,
};

/* Payload types on the wire (states/serialize.rs MessageType). */
enum {
    SC_SCKA_MSG_NONE = 0,
    SC_SCKA_MSG_HDR = 1,
    SC_SCKA_MSG_EK = 2,
    SC_SCKA_MSG_EK_CT1_ACK = 3,
    SC_SCKA_MSG_CT1_ACK = 4,
    SC_SCKA_MSG_CT1 = 5,
    SC_SCKA_MSG_CT2 = 6,
};

typedef struct sc_scka_msg {
    uint64_t epoch;
    uint8_t type;
    uint16_t chunk_idx;        /* types with a chunk */
    uint8_t chunk[SC_SPQR_CHUNK];
} sc_scka_msg;

#define SC_SCKA_HDRMAC (SC_MLKEM768_HDR + 32)
#define SC_SCKA_CT2MAC (SC_MLKEM768_CT2 + 32)

typedef struct sc_scka {
    uint32_t state;            /* enum sc_scka_state */
    uint64_t epoch;
    uint8_t auth_root[32], auth_mac[32];
    uint32_t enc_idx;          /* next chunk index of what we send */
    sc_spqr_decoder dec;       /* what we receive */
    uint8_t hdrmac[SC_SCKA_HDRMAC];   /* ours (send_ek) or theirs (send_ct) */
    uint8_t ek[SC_MLKEM768_EK_T];     /* t̂: ours or theirs */
    uint8_t dk[SC_MLKEM768_DK];
    uint8_t ct1[SC_MLKEM768_CT1];
    uint8_t ct2mac[SC_SCKA_CT2MAC];
    uint8_t es[SC_MLKEM768_ES];       /* encaps1 state (send_ct) */
} sc_scka;

/* An epoch secret a step produced (to be added to the key chain). */
typedef struct sc_scka_secret {
    int has;
    uint64_t epoch;
    uint8_t key[32];
} sc_scka_secret;

int sc_scka_init(sc_scka *s, int a2b, const uint8_t auth_key[32]);
void sc_scka_wipe(sc_scka *s);
/* The payload of our next message; may sample keys or encapsulate. */
int sc_scka_send(sc_scka *s, sc_scka_msg *m, sc_scka_secret *out);
/* A received payload. Errors: SC_ERR_SPQR (epoch too new, a MAC or the
 * header/key match failed). */
int sc_scka_recv(sc_scka *s, const sc_scka_msg *m, sc_scka_secret *out);

/* Wire form: 01 ‖ varint(epoch) ‖ varint(index) ‖ type [‖ varint(chunk
 * index) ‖ chunk] (states/serialize.rs); returns the length (<= 64). */
size_t sc_scka_msg_encode(uint8_t out[64], const sc_scka_msg *m, uint32_t index);
/* Parse; trailing bytes are allowed (as libsignal allows them). 0 or
 * SC_ERR_SPQR. Version byte must be 1, epoch >= 1. */
int sc_scka_msg_decode(sc_scka_msg *m, uint32_t *index, const uint8_t *in, size_t n);

/* Our storage form of the state (sc_record's scka_state): version 1,
 * big-endian integers, the chunks the decoder holds and only the buffers
 * the state still uses. Serialize returns the length (<= SC_SCKA_SER_MAX);
 * deserialize checks the shape: 0 or SC_ERR_RECORD. */
#define SC_SCKA_SER_MAX (1 + 4 + 8 + 64 + 4 + 4 + 2 * SC_SPQR_CODE_MAXK * 34 + \
                         SC_SCKA_HDRMAC + SC_MLKEM768_EK_T + SC_MLKEM768_DK + \
                         SC_MLKEM768_CT1 + SC_SCKA_CT2MAC + SC_MLKEM768_ES)
size_t sc_scka_serialize(uint8_t out[SC_SCKA_SER_MAX], const sc_scka *s);
int sc_scka_deserialize(sc_scka *s, const uint8_t *in, size_t n);

/* Authenticator and KDF pieces, exposed for the unit test. */
int sc_scka_auth_update(sc_scka *s, uint64_t epoch, const uint8_t key[32]);
int sc_scka_mac(uint8_t out[32], const sc_scka *s, int ct, uint64_t epoch,
                const uint8_t *data, size_t n);
int sc_scka_epoch_secret(uint8_t out[32], const uint8_t ss[32], uint64_t epoch);

#endif
