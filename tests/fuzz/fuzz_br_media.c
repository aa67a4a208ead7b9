/* fuzz_br_media.c - file events from Matrix (content JSON) and the names
 * and types that come with attachments from Signal. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "br_media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *content = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    char *s = malloc(size + 1), name[64];
    br_media_request rq;

    if (content) {
        if (br_media_parse_request(content, &rq) == 0) {
            br_media_desc d = {rq.content_type, rq.name, rq.size, 1, 1, 0};
            json_t *c = br_media_event_content(&d, rq.mxc);
            json_decref(c);
        }
        json_decref(content);
    }
    if (s) {
        /* the raw bytes as a Signal file name and as a MIME type */
        memcpy(s, data, size);
        s[size] = '\0';
        br_media_safe_name(s, s, name, sizeof(name));
        br_media_msgtype(s);
        free(s);
    }
    return 0;
}
