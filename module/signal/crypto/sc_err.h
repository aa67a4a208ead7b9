/*
 * sc_err.h - error codes of module/signal/crypto (range -1000..-1099).
 * Decrypt and verify failures are deliberately coarse (no oracle): callers
 * get SC_ERR_DECRYPT / SC_ERR_SIGNATURE, never which byte was wrong.
 * Sub-ranges keep parallel work apart; never renumber, retire as OBSOLETE.
 */
#ifndef SC_ERR_H
#define SC_ERR_H

#include "ut.h"

enum {
    /* primitives: -1000..-1019 */
    SC_ERR_CRYPTO = -1000,    /* the crypto backend failed (OpenSSL, libgcrypt) */
    SC_ERR_DECRYPT = -1001,   /* authentication or padding check failed */
    SC_ERR_SIGNATURE = -1002, /* signature does not verify */
    SC_ERR_KEY = -1003,       /* malformed key, or an all-zero agreement */
    SC_ERR_FORMAT = -1004,    /* malformed input (length, version, encoding) */
    SC_ERR_ZK_VERIFY = -1005, /* a zkgroup proof or ciphertext check failed */

    /* Kyber and the "other ciphers": -1020..-1039 */
    SC_ERR_KEM_TYPE = -1020,  /* KEM key/ciphertext type byte is not 0x08 */
    SC_ERR_DIGEST = -1021,    /* attachment digest does not match */
    SC_ERR_PADDING = -1022,   /* padding after decryption is malformed */
    SC_ERR_VERSION = -1023,   /* unknown version byte (provisioning, blobs) */
    SC_ERR_TOO_LONG = -1024,  /* input exceeds its padded bucket or cap */

    /* sessions (PQXDH, ratchet, SPQR, records): -1040..-1069 */
    SC_ERR_NO_SESSION = -1040,   /* no usable session for this message */
    SC_ERR_BAD_MAC = -1041,      /* SignalMessage MAC does not verify */
    SC_ERR_MSG_VERSION = -1042,  /* legacy (v3) or unknown message version */
    SC_ERR_DUPLICATE = -1043,    /* message key already used */
    SC_ERR_TOO_FAR = -1044,      /* counter jumps past the forward limit */
    SC_ERR_SPQR = -1045,         /* pq_ratchet part rejected */
    SC_ERR_NO_KYBER = -1046,     /* v4 PreKey message without Kyber fields */
    SC_ERR_BASE_KEY = -1047,     /* non-canonical PQXDH base key */
    SC_ERR_UNKNOWN_PREKEY = -1048, /* pre-key id not in our store */
    SC_ERR_RECORD = -1049,       /* malformed or unsupported session record */
    SC_ERR_ADDRESS = -1050,      /* message addresses are not ours/theirs */
    SC_ERR_KEY_RECORD = -1051,   /* malformed stored key record */
    SC_ERR_UNTRUSTED = -1052,    /* identity key changed for this session */
    SC_ERR_MSG_FORMAT = -1053,   /* malformed SignalMessage/PreKeySignalMessage */

    /* sealed sender, certificates, sender keys: -1070..-1099 */
    SC_ERR_CERT_FORMAT = -1070, /* malformed server or sender certificate */
    SC_ERR_CERT_UNKNOWN_SIGNER = -1071, /* signer given by a reference id we do not know */
    SC_ERR_CERT_REVOKED = -1072, /* the server certificate id is on the revoked list */
    SC_ERR_CERT_TRUST = -1073, /* no configured trust root signed the server certificate */
    SC_ERR_CERT_SIGNATURE = -1074, /* the server key did not sign the sender certificate */
    SC_ERR_CERT_EXPIRED = -1075, /* now > expires */
    SC_ERR_SEALED_VERSION = -1076, /* first byte is not a v1 or v2 version */
    SC_ERR_SEALED_FORMAT = -1077, /* bad envelope framing or field */
    SC_ERR_SEALED_STATIC_MAC = -1078, /* v1 encrypted_static MAC mismatch */
    SC_ERR_SEALED_MESSAGE_MAC = -1079, /* v1 encrypted_message MAC mismatch */
    SC_ERR_SEALED_KEY_MISMATCH = -1080, /* decrypted sender identity != certificate identity key */
    SC_ERR_SEALED_EPHEMERAL = -1081, /* r*B != E (v2) */
    SC_ERR_SEALED_DECRYPT = -1082, /* v2 ciphertext or its tag was altered */
    SC_ERR_SEALED_AUTH_TAG = -1083, /* v2 AT check */
    SC_ERR_SEALED_SELF_SEND = -1084, /* same uuid/e164 and device as ours */
    SC_ERR_USMC_FORMAT = -1085, /* bad USMC protobuf/type */
    SC_ERR_SK_FORMAT = -1086, /* bad SenderKey(Distribution)Message */
    SC_ERR_SK_VERSION = -1087, /* version byte is not 0x33 */
    SC_ERR_SK_NO_STATE = -1088, /* unknown distribution id or chain id */
    SC_ERR_SK_SIGNATURE = -1089, /* XEdDSA check of a SenderKeyMessage failed */
    SC_ERR_SK_DUPLICATE = -1090, /* old iteration without a stored key */
    SC_ERR_SK_TOO_FAR = -1091, /* iteration jump > 25000 */
    SC_ERR_SK_DECRYPT = -1092, /* CBC padding failed */
    SC_ERR_SK_RECORD = -1093, /* stored record does not load */
    SC_ERR_SK_NOT_OURS = -1094, /* encrypt needs our own chain */

    SC_ERR_LAST_ = -1099
};

/* Static text for an SC_ERR_* code; other codes go to ut_strerror. */
const char *sc_strerror(int code);

#endif
