/* fuzz_session_record.c - the session-record loader. A record it accepts
 * must serialize and load again, and be usable for encryption. */
#include <stdlib.h>

#include "sc_session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sc_session *s, *s2;
    uint8_t *rec, *out;
    size_t n, on;
    int type;

    if (sc_session_deserialize(&s, data, size))
        return 0;
    if (sc_session_serialize(s, &rec, &n) || sc_session_deserialize(&s2, rec, n))
        abort(); /* what we accepted must round-trip */
    free(rec);
    if (sc_session_has_current(s2) &&
        !sc_session_encrypt(s2, (const uint8_t *)"x", 1, &out, &on, &type))
        free(out);
    sc_session_free(s2);
    sc_session_free(s);
    return 0;
}
