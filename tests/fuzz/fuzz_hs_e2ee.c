/* fuzz_hs_e2ee.c - libFuzzer target for mxhs's E2EE JSON checks
 * (shim/homeserver/hs_e2ee_json.c): the input, if JSON, goes through the
 * DeviceKeys, key map, cross-signing key and backup key checks, the backup
 * order against itself, and signature verification with the public key
 * found in its own "keys". Nothing may crash or leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "hs_e2ee.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const usages[] = {"master", "self_signing", "user_signing"};
    json_t *in;
    char why[256], pub[64];
    const char *kid;
    json_t *v;
    size_t i;

    if (sodium_init() < 0)
        return 0;
    in = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (!in)
        return 0;
    hs_e2ee_check_device_keys(in, "@a:t", "D", why, sizeof(why));
    hs_e2ee_check_key_map(in, why, sizeof(why));
    for (i = 0; i < 3; i++)
        hs_e2ee_check_xsign_key(in, "@a:t", usages[i], pub, why, sizeof(why));
    hs_e2ee_check_backup_key(in, why, sizeof(why));
    hs_e2ee_backup_better(in, in);
    hs_e2ee_backup_better(in, NULL);
    json_object_foreach(json_object_get(in, "keys"), kid, v)
        if (json_is_string(v))
            hs_e2ee_verify(in, "@a:t", kid, json_string_value(v));
    json_decref(in);
    return 0;
}
