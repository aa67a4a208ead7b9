/* fuzz_mx_event.c - Matrix ClientEvent JSON as the host hands it over. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mx_event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mx_event ev;

    if (mx_event_parse(&ev, (const char *)data, size) == 0) {
        /* touch what the bridge reads */
        volatile size_t n = 0;
        if (ev.body)
            n += strlen(ev.body);
        if (ev.rel_event_id)
            n += strlen(ev.rel_event_id);
        (void)n;
        mx_event_free(&ev);
    }
    return 0;
}
