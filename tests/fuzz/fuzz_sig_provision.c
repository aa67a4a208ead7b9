/* fuzz_sig_provision - ProvisionMessage parsing (keys, ids, strings) and
 * the ProvisionEnvelope framing before its MAC check. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../module/signal/client/sig_prov.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sig_provision p;
    uint8_t priv[32];

    (void)sig_prov_parse_message(&p, data, size);
    sig_provision_wipe(&p);
    memset(priv, 7, sizeof(priv));
    (void)sig_prov_decrypt(&p, data, size, priv);
    sig_provision_wipe(&p);
    return 0;
}
