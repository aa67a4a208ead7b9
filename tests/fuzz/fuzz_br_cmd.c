/* fuzz_br_cmd.c - bot commands and phone numbers typed by users. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "br_cmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1), out[32], err[160], human[64];
    br_cmd c;

    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    br_cmd_parse(&c, s);
    if (br_phone_normalize(c.arg, out, sizeof(out), err, sizeof(err)) == 0)
        br_phone_format(out, human, sizeof(human));
    br_phone_format(s, human, sizeof(human));
    free(s);
    return 0;
}
