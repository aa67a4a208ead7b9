/*
 * sc_senderkey.h - sender keys (group messages) in libsignal's current
 * format (group_cipher.rs, sender_keys.rs, wire.proto):
 *
 *   SenderKeyDistributionMessage = 0x33 || protobuf{distribution_uuid(1),
 *       chain_id(2), iteration(3), chain_key(4) 32B, signing_key(5) 33B}
 *   SenderKeyMessage = 0x33 || protobuf{distribution_uuid(1), chain_id(2),
 *       iteration(3), ciphertext(4)} || XEdDSA signature(64) over all before
 *   message seed = HMAC(chain_key, 0x01), next chain key = HMAC(chain_key,
 *       0x02); iv || key = HKDF(seed, info "WhisperGroup", 48); AES-256-CBC.
 *
 * One sc_sk_record holds the chains of ONE sender for ONE distribution id
 * (the caller keys its store by (sender address, distribution id)); up to
 * SC_SK_MAX_STATES chains, newest first, as libsignal keeps them. Old
 * iterations are kept as seeds, at most SC_SK_MAX_SKIPPED per chain, and a
 * message may jump at most SC_SK_MAX_JUMP iterations ahead.
 *
 * A record is not thread-safe; use one from one thread at a time. Failed
 * calls leave the record unchanged. No I/O, nothing logged. Returns 0 or a
 * negative SC_ERR_* / UT_ERR_* code.
 */
#ifndef SC_SENDERKEY_H
#define SC_SENDERKEY_H

#include <stddef.h>
#include <stdint.h>

#include "sc_err.h"

#define SC_SK_VERSION 3            /* message version (high nibble) */
#define SC_SK_MAX_STATES 5
#define SC_SK_MAX_SKIPPED 2000
#define SC_SK_MAX_JUMP 25000
#define SC_SK_MAX_MESSAGE (256u * 1024u)

typedef struct sc_sk_record sc_sk_record;

/* An empty record for distribution id `dist` (16 raw UUID bytes). */
int sc_sk_record_new(sc_sk_record **out, const uint8_t dist[16]);
void sc_sk_record_free(sc_sk_record *r); /* wipes; NULL ok */
const uint8_t *sc_sk_record_distribution_id(const sc_sk_record *r);
/* Number of chains held. */
size_t sc_sk_record_count(const sc_sk_record *r);

/* Our own versioned storage format (version 1, see sc_sealed.proto).
 * save: *out is malloc'd and holds chain keys: free it with
 * ut_free_secret(*out, *len). load: SC_ERR_SK_RECORD for anything malformed
 * or a version we do not know. */
int sc_sk_record_save(const sc_sk_record *r, uint8_t **out, size_t *len);
int sc_sk_record_load(sc_sk_record **out, const uint8_t *buf, size_t len);

/* The distribution id of a serialized SenderKeyMessage (is_skdm = 0) or
 * SenderKeyDistributionMessage (is_skdm = 1), to find the record.
 * SC_ERR_SK_FORMAT, SC_ERR_SK_VERSION. */
int sc_sk_peek_distribution_id(const uint8_t *msg, size_t n, int is_skdm,
                               uint8_t out[16]);

/* Install the chain from a received SenderKeyDistributionMessage (as
 * libsignal: a known chain id with the same signing key keeps its state, a
 * known chain id with another key is replaced, the oldest chain falls out
 * past SC_SK_MAX_STATES). SC_ERR_SK_FORMAT, SC_ERR_SK_VERSION,
 * SC_ERR_SK_NO_STATE (distribution id differs from the record's),
 * UT_ERR_NOMEM. */
int sc_sk_process(sc_sk_record *r, const uint8_t *skdm, size_t n);

/* Our distribution message for the record's newest chain, creating our own
 * chain (random 31-bit chain id, random chain key, new signing key) when the
 * record is empty. *out is malloc'd (holds the chain key: free with
 * ut_free_secret). */
int sc_sk_create(sc_sk_record *r, uint8_t **out, size_t *len);

/* Encrypt with the newest chain, which must be ours (SC_ERR_SK_NOT_OURS;
 * SC_ERR_SK_NO_STATE when empty). *out is malloc'd. */
int sc_sk_encrypt(sc_sk_record *r, const uint8_t *pt, size_t n,
                  uint8_t **out, size_t *out_len);

/* Decrypt a SenderKeyMessage. *pt is malloc'd (free with ut_free_secret).
 * Errors: SC_ERR_SK_FORMAT, SC_ERR_SK_VERSION, SC_ERR_SK_NO_STATE (unknown
 * distribution or chain id), SC_ERR_SK_SIGNATURE, SC_ERR_SK_DUPLICATE,
 * SC_ERR_SK_TOO_FAR, SC_ERR_SK_DECRYPT (padding), UT_ERR_NOMEM. */
int sc_sk_decrypt(sc_sk_record *r, const uint8_t *msg, size_t n, uint8_t **pt,
                  size_t *pt_len);

#endif
