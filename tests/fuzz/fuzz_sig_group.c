/* fuzz_sig_group - the groups server's GroupResponse{Group} parser
 * (sig_gstate_parse) and the stored form reader (sig_gstate_load).
 * Byte 0 picks the reader; zkgroup is replaced by a decryptor that
 * accepts any ciphertext of 16+ bytes, so member parsing is reached. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../module/signal/client/sig_gstate.h"

static int uid(void *arg, uint8_t uuid[16], int *kind, const uint8_t *ct, size_t n)
{
    (void)arg;
    if (n < 16)
        return -1005;
    memcpy(uuid, ct, 16);
    *kind = ct[0] & 1;
    return 0;
}

static int pkey(void *arg, uint8_t key[32], const uint8_t *ct, size_t n, const uint8_t aci[16])
{
    (void)arg;
    (void)aci;
    memset(key, 0, 32);
    memcpy(key, ct, n < 32 ? n : 32);
    return n >= 32 ? 0 : -1005;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t blob_key[32] = {1, 2, 3};
    sig_gstate_dec d = {uid, pkey, NULL, blob_key};
    sig_group_info *g = NULL;
    uint8_t *keys = NULL;
    size_t skipped = 0;
    char *js = NULL;

    if (size < 1)
        return 0;
    if (data[0] & 1) {
        if (sig_gstate_parse(data + 1, size - 1, &d, NULL, &g, &keys, &skipped) == 0) {
            /* what is parsed must store and load back */
            if (sig_gstate_dump(g, &js) == 0) {
                sig_group_info *back = NULL;
                if (sig_gstate_load(js, strlen(js), &back) != 0 || back->n_members != g->n_members)
                    __builtin_trap();
                sig_group_info_free(back);
            }
            free(js);
            free(keys);
        }
    } else if (sig_gstate_load((const char *)data + 1, size - 1, &g) == 0) {
        (void)strlen(g->title);
    }
    sig_group_info_free(g);
    return 0;
}
