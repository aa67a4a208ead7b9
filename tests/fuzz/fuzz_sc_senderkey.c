/* fuzz_sc_senderkey.c - SenderKeyMessage, SenderKeyDistributionMessage and
 * the sender-key record loader. The first byte picks the parser; messages
 * go to a record holding a fixed chain (seeds are signed with its key). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../module/signal/crypto/sc_prim.h"
#include "../../module/signal/crypto/sc_senderkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t dist[16] = {0xd1, 0xd1, 0xd1, 0xd1, 0x70, 0x00, 0x11, 0xeb,
                                 0xb3, 0x2a, 0x33, 0xb8, 0xa8, 0xa4, 0x87, 0xa6};

/* 0x33 || SKDM{dist, chain_id 77, iteration 0, chain_key 0x42.., signing key} */
static size_t fixed_skdm(uint8_t *out)
{
    uint8_t priv[32], pub[32];
    size_t n = 0, i;

    for (i = 0; i < 32; i++)
        priv[i] = (uint8_t)(0x40 + i);
    if (sc_x25519_public(pub, priv) != 0)
        abort();
    out[n++] = 0x33;
    out[n++] = 0x0a; out[n++] = 16; memcpy(out + n, dist, 16); n += 16;
    out[n++] = 0x10; out[n++] = 77;
    out[n++] = 0x18; out[n++] = 0;
    out[n++] = 0x22; out[n++] = 32; memset(out + n, 0x42, 32); n += 32;
    out[n++] = 0x2a; out[n++] = 33; out[n++] = 5; memcpy(out + n, pub, 32); n += 32;
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t skdm[128], d[16], *out;
    size_t n, outn;
    sc_sk_record *r;

    if (size < 1)
        return 0;
    if (sc_sk_record_new(&r, dist) != 0)
        abort();
    n = fixed_skdm(skdm);
    if (sc_sk_process(r, skdm, n) != 0)
        abort();
    switch (data[0] % 3) {
    case 0:
        (void)sc_sk_peek_distribution_id(data + 1, size - 1, 0, d);
        if (sc_sk_decrypt(r, data + 1, size - 1, &out, &outn) == 0)
            ut_free_secret(out, outn);
        break;
    case 1:
        (void)sc_sk_peek_distribution_id(data + 1, size - 1, 1, d);
        (void)sc_sk_process(r, data + 1, size - 1);
        if (sc_sk_record_save(r, &out, &outn) == 0)
            ut_free_secret(out, outn);
        break;
    default:
        sc_sk_record_free(r);
        r = NULL;
        if (sc_sk_record_load(&r, data + 1, size - 1) == 0) {
            /* a loaded record saves and reloads */
            sc_sk_record *r2;
            if (sc_sk_record_save(r, &out, &outn) != 0 || sc_sk_record_load(&r2, out, outn) != 0)
                abort();
            ut_free_secret(out, outn);
            sc_sk_record_free(r2);
        }
        break;
    }
    sc_sk_record_free(r);
    return 0;
}
