/* fuzz_signal_msg.c - SignalMessage decoder and MAC check on any input;
 * a decoded message must also survive re-encoding. */
#include <stdlib.h>
#include <string.h>

#include "sc_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t key[32] = {1}, a[32] = {2}, b[32] = {3};
    sc_signal_msg m;
    sc_signal_msg_fields f;
    uint8_t *out;
    size_t n;

    if (sc_signal_msg_decode(&m, data, size))
        return 0;
    (void)sc_signal_msg_verify_mac(&m, key, a, b);
    memset(&f, 0, sizeof(f));
    f.ratchet_key = m.ratchet_key;
    f.counter = m.counter;
    f.previous_counter = m.previous_counter;
    f.ciphertext = m.ciphertext;
    f.ciphertext_len = m.ciphertext_len;
    f.pq_ratchet = m.pq_ratchet;
    f.pq_ratchet_len = m.pq_ratchet_len;
    f.addresses = m.addresses;
    if (!sc_signal_msg_encode(&out, &n, &f, key, a, b)) {
        sc_signal_msg m2;
        if (sc_signal_msg_decode(&m2, out, n) || sc_signal_msg_verify_mac(&m2, key, a, b) ||
            m2.counter != m.counter || m2.ciphertext_len != m.ciphertext_len)
            abort();
        sc_signal_msg_clear(&m2);
        free(out);
    }
    sc_signal_msg_clear(&m);
    return 0;
}
