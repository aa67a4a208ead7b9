/* sc_err.c - text for SC_ERR_* codes. Keep rows in the sub-range blocks. */
#include "config.h"

#include <stddef.h>

#include "sc_err.h"

static const struct {
    int code;
    const char *text;
} rows[] = {
    /* primitives */
    {SC_ERR_CRYPTO, "crypto backend failure"},
    {SC_ERR_DECRYPT, "decryption failed"},
    {SC_ERR_SIGNATURE, "signature does not verify"},
    {SC_ERR_KEY, "invalid key or key agreement"},
    {SC_ERR_FORMAT, "malformed input"},
    {SC_ERR_ZK_VERIFY, "zkgroup proof or ciphertext does not verify"},

    /* Kyber and the other ciphers */
    {SC_ERR_KEM_TYPE, "KEM type is not Kyber1024 (0x08)"},
    {SC_ERR_DIGEST, "digest mismatch"},
    {SC_ERR_PADDING, "malformed padding"},
    {SC_ERR_VERSION, "unsupported version"},
    {SC_ERR_TOO_LONG, "input too long"},

    /* sessions */
    {SC_ERR_NO_SESSION, "no usable session for this message"},
    {SC_ERR_BAD_MAC, "message authentication code does not verify"},
    {SC_ERR_MSG_VERSION, "unsupported Signal message version"},
    {SC_ERR_DUPLICATE, "duplicate message (key already used)"},
    {SC_ERR_TOO_FAR, "message counter too far ahead"},
    {SC_ERR_SPQR, "post-quantum ratchet part rejected"},
    {SC_ERR_NO_KYBER, "Kyber pre key must be present for this session version"},
    {SC_ERR_BASE_KEY, "non-canonical base key"},
    {SC_ERR_UNKNOWN_PREKEY, "unknown pre-key id"},
    {SC_ERR_RECORD, "malformed or unsupported session record"},
    {SC_ERR_ADDRESS, "message addresses do not match the session"},
    {SC_ERR_KEY_RECORD, "malformed key record"},
    {SC_ERR_UNTRUSTED, "identity key does not match the session"},
    {SC_ERR_MSG_FORMAT, "malformed Signal message"},

    /* sealed sender, certificates, sender keys */
    {SC_ERR_CERT_FORMAT, "malformed certificate"},
    {SC_ERR_CERT_UNKNOWN_SIGNER, "sender certificate names an unknown server certificate"},
    {SC_ERR_CERT_REVOKED, "server certificate is revoked"},
    {SC_ERR_CERT_TRUST, "server certificate not signed by a trust root"},
    {SC_ERR_CERT_SIGNATURE, "sender certificate not signed by its server"},
    {SC_ERR_CERT_EXPIRED, "sender certificate expired"},
    {SC_ERR_SEALED_VERSION, "unknown sealed sender version"},
    {SC_ERR_SEALED_FORMAT, "malformed sealed sender message"},
    {SC_ERR_SEALED_STATIC_MAC, "sealed sender: sender key MAC failed"},
    {SC_ERR_SEALED_MESSAGE_MAC, "sealed sender: message MAC failed"},
    {SC_ERR_SEALED_KEY_MISMATCH, "sealed sender: sender key differs from certificate"},
    {SC_ERR_SEALED_EPHEMERAL, "sealed sender v2: ephemeral key check failed"},
    {SC_ERR_SEALED_DECRYPT, "sealed sender v2: AES-GCM-SIV decryption failed"},
    {SC_ERR_SEALED_AUTH_TAG, "sealed sender v2: sender authentication tag mismatch"},
    {SC_ERR_SEALED_SELF_SEND, "sealed sender message from ourselves"},
    {SC_ERR_USMC_FORMAT, "malformed unidentified sender message content"},
    {SC_ERR_SK_FORMAT, "malformed sender key message"},
    {SC_ERR_SK_VERSION, "unsupported sender key message version"},
    {SC_ERR_SK_NO_STATE, "no sender key state for this distribution or chain"},
    {SC_ERR_SK_SIGNATURE, "sender key message signature does not verify"},
    {SC_ERR_SK_DUPLICATE, "sender key message already received"},
    {SC_ERR_SK_TOO_FAR, "sender key message too far in the future"},
    {SC_ERR_SK_DECRYPT, "sender key message decryption failed"},
    {SC_ERR_SK_RECORD, "malformed or unsupported sender key record"},
    {SC_ERR_SK_NOT_OURS, "sender key state has no signing private key"},

};

const char *sc_strerror(int code)
{
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (rows[i].code == code)
            return rows[i].text;
    return ut_strerror(code);
}
