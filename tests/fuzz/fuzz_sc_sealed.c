/* fuzz_sc_sealed.c - sealed sender envelopes (v1 0x11, v2 0x22/0x23) and
 * the USMC and certificate inside, through the full decrypt with a trust
 * root. Seeds are sealed to the fixed key below (libsignal- and C-made). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../module/signal/crypto/sc_prim.h"
#include "../../module/signal/crypto/sc_sealed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the mock server's trust root (signal-crypto.md §4.1) */
static const uint8_t mock_root[32] = {
    0x9f, 0x33, 0xaa, 0x7f, 0xbf, 0x6d, 0xb6, 0x5c, 0xa6, 0x82, 0xaa, 0x9e, 0xf9, 0x07, 0x5e, 0xfa,
    0x13, 0x23, 0xe9, 0xfd, 0xa3, 0xf2, 0x2e, 0x73, 0xd9, 0x29, 0x56, 0x88, 0x36, 0x64, 0x46, 0x2c};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t priv[32], pub[32];
    sc_sealed_local me;
    sc_trust *t;
    sc_usmc *u;
    size_t i;

    for (i = 0; i < 32; i++)
        priv[i] = (uint8_t)(i + 1);
    if (sc_x25519_public(pub, priv) != 0)
        abort();
    if (sc_trust_new(&t) != 0 || sc_trust_add_root(t, mock_root, 32) != 0)
        abort();
    me.identity_pub = pub;
    me.identity_priv = priv;
    me.uuid = "5f2b8d5e-0c5c-4a8f-8d57-0c0e5d3ad1a1";
    me.e164 = "+15550001111";
    me.device = 2;
    if (sc_sealed_decrypt_to_usmc(&u, data, size, pub, priv) == 0) {
        size_t n;
        const uint8_t *p = sc_usmc_bytes(u, &n);
        sc_usmc *v;
        /* what parsed must re-parse */
        if (sc_usmc_parse(&v, p, n) != 0)
            abort();
        sc_usmc_free(v);
        sc_usmc_free(u);
    }
    if (sc_sealed_decrypt(&u, data, size, &me, t, 1) == 0)
        sc_usmc_free(u);
    sc_trust_free(t);
    return 0;
}
