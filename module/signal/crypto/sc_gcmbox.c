/* sc_gcmbox.c - see sc_gcmbox.h. */
#include "config.h"

#include <string.h>

#include "sc_gcmbox.h"
#include "sc_prim.h"

int sc_gcmbox_seal(uint8_t *out, const uint8_t key[32], const uint8_t *iv,
                   const uint8_t *pt, size_t n)
{
    int rc;

    if (iv)
        memcpy(out, iv, 12);
    else if ((rc = ut_random(out, 12)))
        return rc;
    return sc_aes256_gcm_encrypt(out + 12, key, out, 12, NULL, 0, pt, n);
}

int sc_gcmbox_open(uint8_t *out, size_t *out_len, const uint8_t key[32],
                   const uint8_t *box, size_t n)
{
    int rc;

    *out_len = 0;
    if (n < SC_GCMBOX_OVERHEAD)
        return SC_ERR_FORMAT;
    rc = sc_aes256_gcm_decrypt(out, key, box, 12, NULL, 0, box + 12, n - 12);
    if (rc) {
        ut_wipe(out, n - SC_GCMBOX_OVERHEAD);
        return rc;
    }
    *out_len = n - SC_GCMBOX_OVERHEAD;
    return 0;
}
