/* fuzz_hs_config.c - libFuzzer target for mxhs's YAML config parser
 * (shim/homeserver/hs_config.c): any bytes must parse or fail cleanly. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hs_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hs_config c;
    char err[512];

    if (hs_config_parse(&c, "fuzz.yaml", data, size, err, sizeof(err)) == 0)
        hs_config_free(&c);
    else if (!memchr(err, '\0', sizeof(err)))
        __builtin_trap(); /* the message must be a C string */
    return 0;
}
