/* sc_padding.c - see sc_padding.h. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "sc_padding.h"

size_t sc_content_padded_len(size_t n)
{
    if (n > SIZE_MAX - 160 - 2)
        return 0;
    return (n + 2 + 159) / 160 * 160 - 1;
}

int sc_content_pad(uint8_t *out, const uint8_t *in, size_t n)
{
    size_t len = sc_content_padded_len(n);

    if (!len)
        return UT_ERR_INVAL;
    if (n && out != in)
        memmove(out, in, n);
    out[n] = 0x80;
    memset(out + n + 1, 0, len - n - 1);
    return 0;
}

int sc_content_unpad(size_t *n, const uint8_t *buf, size_t len)
{
    size_t i = len;

    *n = 0;
    while (i > 0 && buf[i - 1] == 0x00)
        i--;
    if (i == 0 || buf[i - 1] != 0x80)
        return SC_ERR_PADDING;
    *n = i - 1;
    return 0;
}
