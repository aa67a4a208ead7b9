/* fuzz_br_html.c - Matrix formatted_body (any bytes) -> Signal text and
 * ranges: no crash, ranges inside the text. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "br_conv.h"

static int pill(void *ud, const char *mxid, char aci[37])
{
    (void)ud;
    if (strlen(mxid) < 4)
        return -1;
    memset(aci, 'a', 36);
    aci[36] = '\0';
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    br_to_signal o;
    size_t i, n16;

    if (br_conv_html_to_signal((const char *)data, size, pill, NULL, &o) != 0)
        return 0;
    n16 = br_conv_utf16_len(o.text, strlen(o.text));
    for (i = 0; i < o.n_ranges; i++)
        if ((size_t)o.ranges[i].start + o.ranges[i].len > n16)
            abort();
    br_to_signal_free(&o);
    return 0;
}
