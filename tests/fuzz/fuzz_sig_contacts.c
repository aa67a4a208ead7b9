/* fuzz_sig_contacts - the contacts sync stream (varint ‖ ContactDetails ‖
 * avatar) and the attachment cipher's framing checks. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../module/signal/client/sig_sync.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sig_contact_rec r;
    size_t off = 0;
    uint8_t key[64], *pt = NULL;
    size_t n = 0;
    int rc, guard = 0;

    while ((rc = sig_contacts_next(data, size, &off, &r)) == 1 && guard++ < 100000)
        (void)strlen(r.aci);
    memset(key, 1, sizeof(key));
    if (sig_attachment_decrypt(&pt, &n, data, size, key, NULL, size) == 0)
        free(pt);
    return 0;
}
