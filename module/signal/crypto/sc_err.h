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

    SC_ERR_LAST_ = -1099
};

/* Static text for an SC_ERR_* code; other codes go to ut_strerror. */
const char *sc_strerror(int code);

#endif
