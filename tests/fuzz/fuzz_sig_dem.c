/* fuzz_sig_dem - a peer's retry request as sig_recv/sig_retry read it: the
 * PlaintextContent (0xC0 ‖ Content ‖ 0x80), the Content, then the
 * DecryptionErrorMessage parser (sig_dem_parse); the input is also tried as
 * a bare DecryptionErrorMessage. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "SignalService.pb-c.h"
#include "../../module/signal/client/sig_util.h"

static void dem(const uint8_t *p, size_t n)
{
    sig_dem d;

    if (sig_dem_parse(&d, p, n) == 0 && d.has_ratchet_key && d.ratchet_key[0] != 0x05)
        __builtin_trap(); /* the parser promised a type-5 key */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Signalservice__Content *ct;
    size_t len;

    dem(data, size);
    if (size < 2 || data[0] != 0xC0)
        return 0;
    if (sig_unpad_len(data + 1, size - 1, &len) != 0)
        len = size - 1;
    ct = signalservice__content__unpack(NULL, len, data + 1);
    if (!ct)
        return 0;
    if (ct->has_decryptionerrormessage)
        dem(ct->decryptionerrormessage.data, ct->decryptionerrormessage.len);
    signalservice__content__free_unpacked(ct, NULL);
    return 0;
}
