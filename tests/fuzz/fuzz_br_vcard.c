/* fuzz_br_vcard.c - vCard files from Matrix (any bytes): no crash, no
 * leak; a card that parses writes out and parses again to the same name
 * and counts. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "br_vcard.h"

static int same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    br_vcard v, w;
    char *t;
    size_t len;

    if (br_vcard_parse((const char *)data, size, &v) != 0)
        return 0;
    t = br_vcard_write(&v, &len);
    if (!t)
        abort();
    if (br_vcard_parse(t, len, &w) != 0)
        abort();
    if (!same(v.family, w.family) || !same(v.org, w.org) || v.n_tels != w.n_tels ||
        v.n_emails != w.n_emails)
        abort();
    br_vcard_clear(&w);
    br_vcard_clear(&v);
    free(t);
    return 0;
}
