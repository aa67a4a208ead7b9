/*
 * hs_e2ee_json.c - pure checks of the E2EE JSON that clients upload: the
 * DeviceKeys and CrossSigningKey shapes, one-time key maps, backup key data,
 * and ed25519 signature verification over canonical JSON. No database, so
 * the unit tests and the fuzz target drive them directly.
 *
 * Shapes: matrix-org/matrix-spec data/api/client-server/definitions/
 * device_keys.yaml, cross_signing_key.yaml, one_time_keys.yaml,
 * key_backup_session_data.yaml; signing: the spec's "Signing JSON"
 * appendix (canonical JSON without `signatures` and `unsigned`).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "hs_e2ee.h"

#define WHY(...) (snprintf(why, whylen, __VA_ARGS__), -1)

static int is_str_map(const json_t *o)
{
    const char *k;
    json_t *v;

    if (!json_is_object(o))
        return 0;
    json_object_foreach((json_t *)o, k, v)
        if (!json_is_string(v))
            return 0;
    return 1;
}

/* signatures: {user: {key_id: string}} */
static int sigs_ok(const json_t *s)
{
    const char *k;
    json_t *v;

    if (!s)
        return 1;
    if (!json_is_object(s))
        return 0;
    json_object_foreach((json_t *)s, k, v)
        if (!is_str_map(v))
            return 0;
    return 1;
}

int hs_e2ee_check_device_keys(const json_t *dk, const char *user,
                              const char *device, char *why, size_t whylen)
{
    const char *u, *d;
    json_t *algs, *a;
    size_t i;

    if (!json_is_object(dk))
        return WHY("device_keys must be an object");
    u = json_string_value(json_object_get(dk, "user_id"));
    d = json_string_value(json_object_get(dk, "device_id"));
    /* Synapse rejects keys for another user or device (e2e_keys.py,
     * upload_keys_for_user: "User ID mismatch" / "Device ID mismatch"). */
    if (!u || strcmp(u, user))
        return WHY("device_keys.user_id does not match the access token");
    if (!d || strcmp(d, device))
        return WHY("device_keys.device_id does not match the access token");
    algs = json_object_get(dk, "algorithms");
    if (!json_is_array(algs))
        return WHY("device_keys.algorithms must be an array");
    json_array_foreach(algs, i, a)
        if (!json_is_string(a))
            return WHY("device_keys.algorithms must hold strings");
    if (!is_str_map(json_object_get(dk, "keys")) ||
        !json_object_size(json_object_get(dk, "keys")))
        return WHY("device_keys.keys must map key IDs to strings");
    if (!sigs_ok(json_object_get(dk, "signatures")))
        return WHY("device_keys.signatures must map users to {key ID: signature}");
    return 0;
}

int hs_e2ee_check_key_map(const json_t *keys, char *why, size_t whylen)
{
    const char *k;
    json_t *v;

    if (!json_is_object(keys))
        return WHY("keys must be an object");
    json_object_foreach((json_t *)keys, k, v) {
        const char *colon = strchr(k, ':');
        if (!colon || colon == k || !colon[1] || strlen(k) > 255)
            return WHY("key ID %.64s is not <algorithm>:<key_id>", k);
        if (!json_is_string(v) && !json_is_object(v))
            return WHY("key %.64s must be a string or an object", k);
        if (json_is_object(v) && !sigs_ok(json_object_get(v, "signatures")))
            return WHY("key %.64s has malformed signatures", k);
    }
    return 0;
}

int hs_e2ee_check_xsign_key(const json_t *k, const char *user,
                            const char *usage, char pub[64], char *why,
                            size_t whylen)
{
    const char *u, *kid;
    json_t *use, *keys, *v;
    size_t i;
    int has = 0;

    if (!json_is_object(k))
        return WHY("%s key must be an object", usage);
    u = json_string_value(json_object_get(k, "user_id"));
    if (!u || strcmp(u, user))
        return WHY("%s key user_id does not match the access token", usage);
    use = json_object_get(k, "usage");
    if (!json_is_array(use))
        return WHY("%s key usage must be an array", usage);
    json_array_foreach(use, i, v)
        if (json_is_string(v) && !strcmp(json_string_value(v), usage))
            has = 1;
    if (!has)
        return WHY("%s key usage must contain \"%s\"", usage, usage);
    keys = json_object_get(k, "keys");
    /* exactly one key (cross_signing_key.yaml: "Must only contain one
     * entry"), an ed25519 one */
    if (!is_str_map(keys) || json_object_size(keys) != 1)
        return WHY("%s key must hold exactly one key", usage);
    json_object_foreach(keys, kid, v) {
        const char *p = json_string_value(v);
        unsigned char raw[64];
        size_t n = 0;
        if (strncmp(kid, "ed25519:", 8) || strcmp(kid + 8, p))
            return WHY("%s key ID must be ed25519:<public key>", usage);
        if (strlen(p) >= 64 ||
            sodium_base642bin(raw, sizeof(raw), p, strlen(p), NULL, &n, NULL,
                              sodium_base64_VARIANT_ORIGINAL_NO_PADDING) ||
            n != crypto_sign_PUBLICKEYBYTES)
            return WHY("%s key is not an unpadded base64 ed25519 key", usage);
        snprintf(pub, 64, "%s", p);
    }
    if (!sigs_ok(json_object_get(k, "signatures")))
        return WHY("%s key has malformed signatures", usage);
    return 0;
}

int hs_e2ee_verify(const json_t *obj, const char *signer, const char *key_id,
                   const char *pub)
{
    const char *sig = json_string_value(json_object_get(
        json_object_get(json_object_get(obj, "signatures"), signer), key_id));
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sg[crypto_sign_BYTES + 4];
    size_t npk = 0, nsg = 0;
    json_t *c;
    char *txt;
    int rc;

    if (!sig || !pub ||
        sodium_base642bin(pk, sizeof(pk), pub, strlen(pub), NULL, &npk, NULL,
                          sodium_base64_VARIANT_ORIGINAL_NO_PADDING) ||
        npk != sizeof(pk) ||
        sodium_base642bin(sg, sizeof(sg), sig, strlen(sig), NULL, &nsg, NULL,
                          sodium_base64_VARIANT_ORIGINAL_NO_PADDING) ||
        nsg != crypto_sign_BYTES)
        return -1;
    if (!(c = json_deep_copy(obj)))
        return -1;
    json_object_del(c, "signatures");
    json_object_del(c, "unsigned");
    txt = hs_canonical_json(c);
    json_decref(c);
    if (!txt)
        return -1;
    rc = crypto_sign_verify_detached(sg, (const unsigned char *)txt, strlen(txt), pk);
    free(txt);
    return rc ? -1 : 0;
}

int hs_e2ee_check_backup_key(const json_t *k, char *why, size_t whylen)
{
    if (!json_is_object(k))
        return WHY("key backup data must be an object");
    if (!json_is_integer(json_object_get(k, "first_message_index")) ||
        json_integer_value(json_object_get(k, "first_message_index")) < 0)
        return WHY("first_message_index must be a non-negative integer");
    if (!json_is_integer(json_object_get(k, "forwarded_count")) ||
        json_integer_value(json_object_get(k, "forwarded_count")) < 0)
        return WHY("forwarded_count must be a non-negative integer");
    if (!json_is_boolean(json_object_get(k, "is_verified")))
        return WHY("is_verified must be a boolean");
    if (!json_is_object(json_object_get(k, "session_data")))
        return WHY("session_data must be an object");
    return 0;
}

/* key_backup.yaml (PUT room_keys/keys): keep the existing key unless the
 * new one is verified and the old one not, or else has a lower
 * first_message_index, or else a lower forwarded_count. */
int hs_e2ee_backup_better(const json_t *cand, const json_t *cur)
{
    int cv = json_is_true(json_object_get(cand, "is_verified"));
    int ov = json_is_true(json_object_get(cur, "is_verified"));
    json_int_t ci = json_integer_value(json_object_get(cand, "first_message_index"));
    json_int_t oi = json_integer_value(json_object_get(cur, "first_message_index"));

    if (!cur)
        return 1;
    if (cv != ov)
        return cv > ov;
    if (ci != oi)
        return ci < oi;
    return json_integer_value(json_object_get(cand, "forwarded_count")) <
           json_integer_value(json_object_get(cur, "forwarded_count"));
}
