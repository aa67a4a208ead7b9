/* fuzz_sc_boxes.c - the decryptors of blobs that come from servers and
 * peers, on any bytes: attachment blobs (digest made to match so the MAC
 * and length checks run), group attribute blobs, profile name boxes,
 * profile text boxes, storage GCM boxes, content unpadding; and
 * encrypt/decrypt round trips.
 * The first byte picks the parser. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "../../module/signal/crypto/sc_attachment.h"
#include "../../module/signal/crypto/sc_gcmbox.h"
#include "../../module/signal/crypto/sc_group.h"
#include "../../module/signal/crypto/sc_padding.h"
#include "../../module/signal/crypto/sc_prim.h"
#include "../../module/signal/crypto/sc_profile.h"

static const uint8_t KEY[64] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
                                15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
                                26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t digest[32], *out = NULL, *blob = NULL, buf[400];
    char given[300], family[300];
    size_t n = 0, len = 0;

    if (size < 1)
        return 0;
    switch (data[0] % 8) {
    case 0: /* attachment blob with a matching digest */
        if (sc_sha256(digest, data + 1, size - 1))
            abort();
        if (sc_attachment_decrypt(&out, &n, KEY, digest, size / 2, data + 1,
                                  size - 1) == 0)
            free(out);
        break;
    case 1: /* attachment round trip, padded */
        if (sc_attachment_encrypt(&blob, &len, digest, KEY, NULL, data + 1,
                                  size - 1, 1) ||
            sc_attachment_decrypt(&out, &n, KEY, digest, size - 1, blob, len) ||
            n != size - 1 || (n && memcmp(out, data + 1, n)))
            abort();
        free(blob);
        free(out);
        break;
    case 2: /* group attribute blob */
        if (sc_group_blob_decrypt(&out, &n, KEY, data + 1, size - 1) == 0)
            free(out);
        break;
    case 3: /* group blob round trip */
        if (sc_group_blob_encrypt(&blob, &len, KEY, NULL, data + 1, size - 1,
                                  (uint32_t)(size % 97)) ||
            sc_group_blob_decrypt(&out, &n, KEY, blob, len) || n != size - 1 ||
            (n && memcmp(out, data + 1, n)))
            abort();
        free(blob);
        free(out);
        break;
    case 4: /* profile name and text boxes */
        (void)sc_profile_name_decrypt(given, sizeof(given), family,
                                      sizeof(family), KEY, data + 1, size - 1);
        (void)sc_profile_text_decrypt(given, sizeof(given), KEY, data + 1,
                                      size - 1);
        break;
    case 5: /* profile name round trip: the input split at its first NUL */
        if (size - 1 < sizeof(given)) {
            uint8_t box[SC_PROFILE_NAME_BOX_MAX];
            char g[300], f[300];
            const uint8_t *nul = memchr(data + 1, 0, size - 1);
            size_t gl = nul ? (size_t)(nul - data - 1) : size - 1;
            size_t fl = nul ? size - 2 - gl : 0;

            memcpy(g, data + 1, gl);
            g[gl] = '\0';
            memcpy(f, nul ? nul + 1 : data, fl);
            f[fl] = '\0';
            if (sc_profile_name_encrypt(box, &len, KEY, NULL, g, f) == 0) {
                if (sc_profile_name_decrypt(given, sizeof(given), family,
                                            sizeof(family), KEY, box, len) ||
                    strcmp(given, g) || strcmp(family, f))
                    abort();
            }
        }
        break;
    case 6: /* storage / profile GCM box */
        if (size - 1 <= sizeof(buf) + SC_GCMBOX_OVERHEAD)
            (void)sc_gcmbox_open(buf, &n, KEY, data + 1, size - 1);
        break;
    case 7: /* content padding */
        (void)sc_content_unpad(&n, data + 1, size - 1);
        if (size - 1 < 200) {
            uint8_t p[400];
            if (sc_content_pad(p, data + 1, size - 1) ||
                sc_content_unpad(&n, p, sc_content_padded_len(size - 1)) ||
                n != size - 1)
                abort();
        }
        break;
    }
    return 0;
}
