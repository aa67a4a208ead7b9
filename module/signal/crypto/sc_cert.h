/*
 * sc_cert.h - sealed sender certificates: the trust configuration (trust
 * roots and known server certificates) and the SenderCertificate codec and
 * validation (signal-crypto.md §4.1).
 *
 * A SenderCertificate names a sender (uuid, optional e164, device), its
 * identity key and an expiry, and is signed by a server key. The server key
 * comes in a ServerCertificate signed by a trust root; the sender certificate
 * either embeds it (field 5, what the mock and the service do) or refers to
 * a known one by id (field 8). Known ids built in: 2 (staging), 3
 * (production) and 0x7357C357 (test certificate: trust root = public key of
 * the all-zero private key, server key = the all-0xFF private key).
 *
 * Objects are immutable after construction and may be shared between
 * threads for reading; no I/O, nothing is logged. All functions return 0 or
 * a negative SC_ERR_* / UT_ERR_* code.
 */
#ifndef SC_CERT_H
#define SC_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "sc_err.h"

#define SC_CERT_MAX_ROOTS 8
#define SC_CERT_MAX_KNOWN 16
/* The revoked server certificate id (libsignal's test id for revocation). */
#define SC_CERT_REVOKED_ID 0xDEADC357u

typedef struct sc_trust sc_trust;
typedef struct sc_sender_cert sc_sender_cert;

/* A trust configuration with no roots and the built-in known server
 * certificates. UT_ERR_NOMEM. */
int sc_trust_new(sc_trust **out);
void sc_trust_free(sc_trust *t); /* NULL ok */
/* Add a trust root public key: 33 bytes (0x05 || 32) or 32 raw bytes.
 * SC_ERR_KEY on a bad key, UT_ERR_RANGE past SC_CERT_MAX_ROOTS. */
int sc_trust_add_root(sc_trust *t, const uint8_t *key, size_t len);
/* Make a serialized ServerCertificate resolvable by its id (reference
 * signers). It is still checked against the trust roots on every
 * validation. SC_ERR_CERT_FORMAT, UT_ERR_RANGE when full. */
int sc_trust_add_known(sc_trust *t, const uint8_t *server_cert, size_t len);

/* Parse a serialized SenderCertificate (copies what it needs).
 * SC_ERR_CERT_FORMAT for anything malformed (missing fields, keys that are
 * not 0x05 || 32 bytes, device outside 1..127, bad embedded signer),
 * UT_ERR_NOMEM. Parsing does not validate signatures. */
int sc_sender_cert_parse(sc_sender_cert **out, const uint8_t *buf, size_t n);
void sc_sender_cert_free(sc_sender_cert *c); /* NULL ok */

/* Validate against `t` at wall-clock `now_ms` (ms since the epoch), in
 * libsignal's order, each failure with its own code:
 *   SC_ERR_CERT_UNKNOWN_SIGNER  reference id not known to `t`
 *   SC_ERR_CERT_REVOKED         server certificate id is revoked
 *   SC_ERR_CERT_TRUST           no trust root signed the server certificate
 *                               (all roots are always tried)
 *   SC_ERR_CERT_SIGNATURE       the server key did not sign this certificate
 *   SC_ERR_CERT_EXPIRED         now_ms > expires */
int sc_sender_cert_validate(const sc_sender_cert *c, const sc_trust *t,
                            int64_t now_ms);

/* Accessors; pointers live as long as `c`. */
const char *sc_sender_cert_uuid(const sc_sender_cert *c); /* lowercase if
                                                             given as bytes */
const char *sc_sender_cert_e164(const sc_sender_cert *c); /* NULL if none */
uint32_t sc_sender_cert_device(const sc_sender_cert *c);
uint64_t sc_sender_cert_expires(const sc_sender_cert *c);
const uint8_t *sc_sender_cert_identity_key(const sc_sender_cert *c); /* 32 */
/* The server certificate id: embedded certificate's id or the reference. */
uint32_t sc_sender_cert_signer_id(const sc_sender_cert *c);
int sc_sender_cert_signer_embedded(const sc_sender_cert *c);
/* The serialized form as parsed. */
const uint8_t *sc_sender_cert_bytes(const sc_sender_cert *c, size_t *len);

#endif
