/* fuzz_sig_envelope - Envelope and Content decoding as sig_recv/sig_inbox
 * do it: protobuf, service ids, padding, the sync transcript's fields. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "SignalService.pb-c.h"
#include "../../module/signal/client/sig_util.h"

static void content(const uint8_t *p, size_t n)
{
    Signalservice__Content *ct;
    char s[SIG_UUID_STR_LEN + 5];
    size_t len = n;

    if (sig_unpad_len(p, n, &len) != 0)
        len = n;
    ct = signalservice__content__unpack(NULL, len, p);
    if (!ct)
        return;
    if (ct->syncmessage && ct->syncmessage->sent &&
        ct->syncmessage->sent->has_destinationserviceidbinary)
        (void)sig_service_id_format(s, ct->syncmessage->sent->destinationserviceidbinary.data,
                                    ct->syncmessage->sent->destinationserviceidbinary.len);
    if (ct->datamessage && ct->datamessage->body)
        (void)strlen(ct->datamessage->body);
    signalservice__content__free_unpacked(ct, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Signalservice__Envelope *e = signalservice__envelope__unpack(NULL, size, data);
    char s[SIG_UUID_STR_LEN + 5];

    if (e) {
        if (e->has_sourceserviceidbinary)
            (void)sig_service_id_format(s, e->sourceserviceidbinary.data,
                                        e->sourceserviceidbinary.len);
        if (e->has_content)
            content(e->content.data, e->content.len);
        signalservice__envelope__free_unpacked(e, NULL);
    }
    content(data, size);
    return 0;
}
