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
