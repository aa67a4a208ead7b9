/*
 * sc_sealed.h - sealed sender (signal-crypto.md §4): the
 * UnidentifiedSenderMessageContent (USMC) codec, v1 decrypt and encrypt
 * (0x11), v2 decrypt of the single-recipient form (0x22/0x23), and v2
 * multi-recipient encrypt (0x23, sc_sealed_multi.c).
 *
 * Decryption returns the USMC; the caller then decrypts its content (a
 * PreKey/Whisper/SenderKey message or PlaintextContent) with the session or
 * sender-key layer. Keys are raw 32-byte X25519 values (sc_prim.h
 * convention); on the wire they carry Signal's 0x05 prefix.
 *
 * Thread-safe, no I/O, nothing logged. Every function returns 0 or a
 * negative SC_ERR_* / UT_ERR_* code; on failure *out is NULL. Secrets
 * (agreements, derived keys, decrypted plaintext buffers) are wiped on every
 * path.
 */
#ifndef SC_SEALED_H
#define SC_SEALED_H

#include <stddef.h>
#include <stdint.h>

#include "sc_cert.h"
#include "sc_err.h"

/* USMC message types (the protobuf values; note PREKEY is 1 here although
 * libsignal's CiphertextMessageType.PreKey is 3). */
enum {
    SC_USMC_PREKEY = 1,
    SC_USMC_MESSAGE = 2,
    SC_USMC_SENDERKEY = 7,
    SC_USMC_PLAINTEXT = 8
};
/* Content hints; other values are kept as given. */
enum { SC_HINT_DEFAULT = 0, SC_HINT_RESENDABLE = 1, SC_HINT_IMPLICIT = 2 };

/* Size caps for what we accept (a USMC holds one message; attachments are
 * not inline). */
#define SC_SEALED_MAX (256u * 1024u)

typedef struct sc_usmc sc_usmc;

/* Build a USMC. `sender_cert` is a serialized SenderCertificate (parsed,
 * not validated). group_id may be NULL/0 (then omitted, as libsignal does
 * for an empty one). SC_ERR_USMC_FORMAT for an unknown type,
 * SC_ERR_CERT_FORMAT, UT_ERR_RANGE past SC_SEALED_MAX, UT_ERR_NOMEM. */
int sc_usmc_new(sc_usmc **out, uint32_t type, const uint8_t *sender_cert,
                size_t cert_len, const uint8_t *content, size_t content_len,
                uint32_t content_hint, const uint8_t *group_id,
                size_t group_len);
/* Parse a serialized USMC. SC_ERR_USMC_FORMAT (missing type/cert/content or
 * unknown type), SC_ERR_CERT_FORMAT, UT_ERR_NOMEM. */
int sc_usmc_parse(sc_usmc **out, const uint8_t *buf, size_t n);
void sc_usmc_free(sc_usmc *u); /* wipes; NULL ok */

uint32_t sc_usmc_type(const sc_usmc *u);
uint32_t sc_usmc_content_hint(const sc_usmc *u);
const uint8_t *sc_usmc_content(const sc_usmc *u, size_t *len);
const uint8_t *sc_usmc_group_id(const sc_usmc *u, size_t *len); /* NULL if none */
const sc_sender_cert *sc_usmc_sender(const sc_usmc *u);
const uint8_t *sc_usmc_bytes(const sc_usmc *u, size_t *len); /* serialized */

/* Who we are, for decryption and the self-send check. */
typedef struct sc_sealed_local {
    const uint8_t *identity_pub;  /* 32 */
    const uint8_t *identity_priv; /* 32 */
    const char *uuid;             /* our ACI, lowercase */
    const char *e164;             /* or NULL */
    uint32_t device;
} sc_sealed_local;

/* Decrypt v1 or v2 to the USMC without validating its certificate (what
 * libsignal's sealed_sender_decrypt_to_usmc does). Errors:
 *   SC_ERR_SEALED_VERSION      first byte neither v1 (0x0_/0x1_) nor 0x22/0x23
 *   SC_ERR_SEALED_FORMAT       framing, field or sender-key encoding
 *   SC_ERR_KEY                 all-zero agreement (small-order key)
 *   v1: SC_ERR_SEALED_STATIC_MAC, SC_ERR_SEALED_MESSAGE_MAC,
 *       SC_ERR_SEALED_KEY_MISMATCH (static key != certificate key)
 *   v2: SC_ERR_SEALED_EPHEMERAL (r*B != E), SC_ERR_SEALED_DECRYPT
 *       (GCM-SIV), SC_ERR_SEALED_AUTH_TAG
 *   SC_ERR_USMC_FORMAT, SC_ERR_CERT_FORMAT, UT_ERR_RANGE, UT_ERR_NOMEM. */
int sc_sealed_decrypt_to_usmc(sc_usmc **out, const uint8_t *msg, size_t n,
                              const uint8_t our_pub[32],
                              const uint8_t our_priv[32]);

/* As above, then validate the sender certificate against `trust` at now_ms
 * (SC_ERR_CERT_* from sc_sender_cert_validate) and reject messages from our
 * own uuid-or-e164 and device (SC_ERR_SEALED_SELF_SEND). */
int sc_sealed_decrypt(sc_usmc **out, const uint8_t *msg, size_t n,
                      const sc_sealed_local *me, const sc_trust *trust,
                      int64_t now_ms);

/* Sealed sender v1 encrypt of `usmc` from our identity to `their_pub`.
 * *out (malloc'd, caller frees) = 0x11 || UnidentifiedSenderMessage.
 * SC_ERR_KEY, SC_ERR_CRYPTO, UT_ERR_NOMEM. */
int sc_sealed_encrypt_v1(uint8_t **out, size_t *out_len, const sc_usmc *usmc,
                         const uint8_t our_pub[32],
                         const uint8_t our_priv[32],
                         const uint8_t their_pub[32]);

/* ---- v2 multi-recipient (sc_sealed_multi.c) ------------------------------
 * One recipient account of a multi-recipient message. service_id is its
 * fixed-width binary service id (kind byte 0 = ACI, 1 = PNI, then the 16
 * UUID bytes); identity_pub its identity key; devices[i] (1..127) with the
 * registration id (< 0x4000) of the session with that device. n_devices 0
 * lists the account as excluded (libsignal's excluded_recipients). */
#define SC_MR_SERVICE_ID_LEN 17
#define SC_MR_MAX_RECIPIENTS 5000 /* Signal-Server MultiRecipientMessageProvider */
typedef struct sc_mr_recipient {
    const uint8_t *service_id;
    const uint8_t *identity_pub;
    const uint32_t *devices;
    const uint16_t *registration_ids;
    size_t n_devices;
} sc_mr_recipient;

/* Sealed sender v2 SentMessage (version 0x23) of `usmc` from our identity
 * to `n` recipients: *out (malloc'd) is the body of PUT
 * /v1/messages/multi_recipient. UT_ERR_INVAL for no recipients, a device
 * id or registration id out of range; SC_ERR_KEY, SC_ERR_CRYPTO,
 * UT_ERR_IO (randomness), UT_ERR_NOMEM. */
int sc_sealed_encrypt_multi(uint8_t **out, size_t *out_len, const sc_usmc *usmc,
                            const uint8_t our_pub[32], const uint8_t our_priv[32],
                            const sc_mr_recipient *recipients, size_t n);

#endif
