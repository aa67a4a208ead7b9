/*
 * sc_session.h - Signal protocol v4 sessions with one remote device:
 * PQXDH set-up from a bundle (we initiate) or from a PreKeySignalMessage
 * (they initiate), encrypt/decrypt with the double ratchet + SPQR (ML-KEM-768
 * epochs, sc_spqr.h), and a versioned record (current state + up to 40 archived states)
 * for storage.
 *
 * An sc_session is one session record: opaque, owned by the caller, not
 * thread-safe (use one thread per record at a time). No I/O; persistence
 * goes through sc_session_store (opaque bytes keyed by address). Secrets are
 * wiped on free and on every error path; nothing here logs.
 *
 * Errors: SC_ERR_* from sc_err.h (sessions: -1040..-1069) and UT_ERR_*:
 *   SC_ERR_SIGNATURE   a bundle's pre-key signature does not verify
 *   SC_ERR_KEY         malformed key or all-zero agreement
 *   SC_ERR_BASE_KEY    non-canonical PQXDH base key
 *   SC_ERR_MSG_VERSION / SC_ERR_NO_KYBER / SC_ERR_MSG_FORMAT   bad message
 *   SC_ERR_UNKNOWN_PREKEY  a PreKey message names keys we do not have
 *   SC_ERR_UNTRUSTED   PreKey message from another identity than expected
 *   SC_ERR_NO_SESSION  no state to decrypt/encrypt with
 *   SC_ERR_BAD_MAC     MAC fails (tampered message, ciphertext, or wrong keys)
 *   SC_ERR_DECRYPT     MAC fine but padding is not (cannot happen unless
 *                      the sender is broken)
 *   SC_ERR_DUPLICATE, SC_ERR_TOO_FAR, SC_ERR_SPQR, SC_ERR_ADDRESS
 *   SC_ERR_RECORD      malformed or unsupported stored record
 */
#ifndef SC_SESSION_H
#define SC_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "sc_keys.h"
#include "sc_pqxdh.h"

#define SC_ARCHIVED_STATES 40
#define SC_RECORD_MAX_LEN (8u << 20)

enum { SC_MSG_TYPE_WHISPER = 2, SC_MSG_TYPE_PREKEY = 3 };

typedef struct sc_session sc_session;

/* Who we are in this session. local/remote are optional (NULL): when both
 * are set, PreKey messages we send carry the addresses field and received
 * addresses fields are checked; a remote with our own ACI and identity key
 * is a self-session (our primary device: no forward-jump limit). */
typedef struct sc_session_params {
    const sc_ec_keypair *identity;
    uint32_t registration_id;
    const sc_address *local;
    const sc_address *remote;
} sc_session_params;

int sc_session_new(sc_session **out);
void sc_session_free(sc_session *s);  /* NULL ok */
/* 1 if there is a current state to encrypt with. */
int sc_session_has_current(const sc_session *s);
/* Remote identity public key of the current state (SC_ERR_NO_SESSION). */
int sc_session_remote_identity(const sc_session *s, uint8_t out[32]);
/* Debug accessor of the current state's SPQR (no secrets): the SCKA's
 * epoch and state (enum sc_scka_state) and the newest key-chain epoch.
 * SC_ERR_NO_SESSION without a current state. */
int sc_session_spqr_info(const sc_session *s, uint64_t *scka_epoch,
                         unsigned *scka_state, uint64_t *chain_epoch);
/* Registration id the peer announced (0 if unknown). */
uint32_t sc_session_remote_registration_id(const sc_session *s);
/* 1 if the current state's sender ratchet key is `key` (33 bytes, type
 * byte 0x05 first), 0 if not or without a current state: libsignal's
 * SessionRecord::current_ratchet_key_matches (rust/protocol/src/state/
 * session.rs), which decides whether a retry request is about this state. */
int sc_session_current_ratchet_key_matches(const sc_session *s, const uint8_t key[33]);
/* Move the current state into the archive (libsignal's
 * SessionRecord::archive_current_state): the next message to this device
 * needs a new session from a bundle, while messages still in flight under
 * the old state keep decrypting. No-op without a current state. */
int sc_session_archive_current(sc_session *s);

/* We initiate: verify and use `b`; the current state (if any) is archived.
 * Until the peer answers, encrypt produces PreKey messages. */
int sc_session_process_bundle(sc_session *s, const sc_session_params *p,
                              const sc_prekey_bundle *b);

/* *out is malloc'd (caller frees); *type is SC_MSG_TYPE_WHISPER or _PREKEY. */
int sc_session_encrypt(sc_session *s, const uint8_t *pt, size_t n,
                       uint8_t **out, size_t *out_len, int *type);

/* Decrypt a SignalMessage (type 2): current state first, then archived
 * ones (a state that works becomes current). *pt is malloc'd; free it with
 * ut_free_secret(*pt, *pt_len). Nothing changes on error. */
int sc_session_decrypt(sc_session *s, const uint8_t *msg, size_t n,
                       uint8_t **pt, size_t *pt_len);

/* Our pre-keys, looked up by id while decrypting a PreKey message. Each
 * getter fills *out and returns 0, or SC_ERR_UNKNOWN_PREKEY; the session
 * wipes what it was given. */
typedef struct sc_prekey_source {
    void *ctx;
    int (*signed_prekey)(void *ctx, uint32_t id, sc_signed_prekey *out);
    int (*kyber_prekey)(void *ctx, uint32_t id, sc_kyber_prekey *out);
    int (*prekey)(void *ctx, uint32_t id, sc_prekey *out);
} sc_prekey_source;

/* What a PreKey message used, so the caller can delete the one-time EC
 * pre-key and mark/delete the Kyber pre-key (unless last resort). */
typedef struct sc_prekey_used {
    int new_session;          /* 0: matched an existing state by base key */
    int has_pre_key_id;
    uint32_t pre_key_id;
    uint32_t signed_pre_key_id;
    uint32_t kyber_pre_key_id;
    uint8_t base_key[32];
    uint8_t identity_key[32]; /* the sender's identity key */
} sc_prekey_used;

/* Decrypt a PreKeySignalMessage (type 3). expected_remote_identity: NULL to
 * trust on first use, else the key the sender must have (SC_ERR_UNTRUSTED).
 * A new state becomes current, the old one is archived. */
int sc_session_decrypt_prekey(sc_session *s, const sc_session_params *p,
                              const sc_prekey_source *keys,
                              const uint8_t *expected_remote_identity,
                              const uint8_t *msg, size_t n, uint8_t **pt,
                              size_t *pt_len, sc_prekey_used *used);

/* ---- records -------------------------------------------------------------
 * Our own versioned protobuf (sc_record.proto, format 1). Unknown fields
 * are ignored so later versions can add SPQR epochs; a record from a newer
 * format is refused with SC_ERR_RECORD. The bytes are secret: wipe them. */
int sc_session_serialize(const sc_session *s, uint8_t **out, size_t *out_len);
int sc_session_deserialize(sc_session **out, const uint8_t *in, size_t n);

/* ---- storage ---------------------------------------------------------------
 * Opaque records keyed by address (e.g. "<aci>.<device>"); the SQLite
 * store implements this later. load: 0 and a malloc'd record, or
 * SC_ERR_NO_SESSION when absent. */
typedef struct sc_session_store {
    void *ctx;
    int (*load)(void *ctx, const char *address, uint8_t **rec, size_t *len);
    int (*store)(void *ctx, const char *address, const uint8_t *rec, size_t len);
    int (*remove)(void *ctx, const char *address);
} sc_session_store;

/* Load and parse (SC_ERR_NO_SESSION when absent). */
int sc_session_load(const sc_session_store *st, const char *address,
                    sc_session **out);
int sc_session_save(const sc_session_store *st, const char *address,
                    const sc_session *s);

#endif
