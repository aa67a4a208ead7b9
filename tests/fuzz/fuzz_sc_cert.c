/* fuzz_sc_cert.c - SenderCertificate (and embedded ServerCertificate)
 * parsing and validation; ServerCertificate parsing via the known list;
 * USMC parsing. Seeds: certificates from libsignal and the mock trust root. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../module/signal/crypto/sc_cert.h"
#include "../../module/signal/crypto/sc_sealed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the mock server's trust root (signal-crypto.md §4.1) */
static const uint8_t mock_root[32] = {
    0x9f, 0x33, 0xaa, 0x7f, 0xbf, 0x6d, 0xb6, 0x5c, 0xa6, 0x82, 0xaa, 0x9e, 0xf9, 0x07, 0x5e, 0xfa,
    0x13, 0x23, 0xe9, 0xfd, 0xa3, 0xf2, 0x2e, 0x73, 0xd9, 0x29, 0x56, 0x88, 0x36, 0x64, 0x46, 0x2c};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sc_trust *t;
    sc_sender_cert *c;
    sc_usmc *u;

    if (sc_trust_new(&t) != 0 || sc_trust_add_root(t, mock_root, 32) != 0)
        abort();
    if (sc_sender_cert_parse(&c, data, size) == 0) {
        (void)sc_sender_cert_validate(c, t, 1);
        if (strlen(sc_sender_cert_uuid(c)) == 0)
            abort();
        sc_sender_cert_free(c);
    }
    (void)sc_trust_add_known(t, data, size);
    if (sc_usmc_parse(&u, data, size) == 0)
        sc_usmc_free(u);
    sc_trust_free(t);
    return 0;
}
