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

};

const char *sc_strerror(int code)
{
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (rows[i].code == code)
            return rows[i].text;
    return ut_strerror(code);
}
