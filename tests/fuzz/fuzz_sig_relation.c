/* fuzz_sig_relation - reading reactions, deletes and edits out of a
 * received Content (sig_content_relation). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../module/signal/client/sig_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sig_relation r;

    if (sig_content_relation(data, size, &r) == 0 && r.text)
        (void)strlen(r.text);
    (void)strlen(r.target_author);
    (void)strlen(r.destination);
    sig_relation_clear(&r);
    return 0;
}
