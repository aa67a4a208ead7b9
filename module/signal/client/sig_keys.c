/* sig_keys.c - generating, storing and describing (JSON for the service)
 * our signed, last-resort Kyber and one-time pre-keys, per identity
 * (signal-service.md §2.6, §4.1). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sig_err.h"
#include "sig_int.h"

static const char *wname(int which)
{
    return which == SIG_ID_PNI ? "pni" : "aci";
}

/* Next id of a family (1..0xFFFFFF, wrapping), persisted. */
static int next_id(sig_client *c, const char *fam, int which, uint32_t n,
                   uint32_t *first)
{
    char key[48], v[16];
    ut_buf b;
    uint32_t id = 1;
    int rc;

    snprintf(key, sizeof(key), "next_%s_%s", fam, wname(which));
    ut_buf_init(&b, 64);
    rc = sig_rec_get(c, "account", key, &b);
    if (rc == 0 && b.len > 0 && b.len < sizeof(v)) {
        memcpy(v, b.data, b.len);
        v[b.len] = '\0';
        id = (uint32_t)strtoul(v, NULL, 10);
    } else if (rc != 0 && rc != ST_ERR_NOTFOUND) {
        ut_buf_free(&b);
        return rc;
    }
    ut_buf_free(&b);
    if (id == 0 || id + n > 0xFFFFFFu)
        id = 1;
    *first = id;
    snprintf(v, sizeof(v), "%" PRIu32, id + n);
    return sig_rec_put(c, "account", key, v, strlen(v));
}

static json_t *key_json(uint32_t id, const uint8_t *pub, size_t pub_len,
                        const uint8_t *sig)
{
    char *p = NULL, *s = NULL;
    json_t *o = NULL;

    if (sig_b64_encode(pub, pub_len, &p) != 0 ||
        (sig && sig_b64_encode(sig, SC_SIG_LEN, &s) != 0))
        goto out;
    o = json_pack("{s:I,s:s}", "keyId", (json_int_t)id, "publicKey", p);
    if (o && s && json_object_set_new(o, "signature", json_string(s)) != 0) {
        json_decref(o);
        o = NULL;
    }
out:
    free(p);
    free(s);
    return o;
}

static json_t *kyber_json(const sc_kyber_prekey *k)
{
    uint8_t ser[SC_KEM_SERIALIZED_LEN];

    sc_kem_serialize(ser, k->pub);
    return key_json(k->id, ser, sizeof(ser), k->sig);
}

static int store_kyber(sig_client *c, int which, const sc_kyber_prekey *k)
{
    uint8_t *r = malloc(SC_KYBER_PREKEY_RECORD_LEN);
    char key[32];
    int rc;

    if (!r)
        return UT_ERR_NOMEM;
    sc_kyber_prekey_store(r, k);
    snprintf(key, sizeof(key), "%s:%" PRIu32, wname(which), k->id);
    rc = sig_rec_put(c, "kyber_prekey", key, r, SC_KYBER_PREKEY_RECORD_LEN);
    ut_free_secret(r, SC_KYBER_PREKEY_RECORD_LEN);
    return rc;
}

int sig_keys_signed(sig_client *c, int which, json_t **spk_out,
                    json_t **kyber_out)
{
    sc_signed_prekey spk;
    sc_kyber_prekey *kpk = calloc(1, sizeof(*kpk));
    uint8_t rec[SC_SIGNED_PREKEY_RECORD_LEN], ser[SC_EC_SERIALIZED_LEN];
    char key[32];
    uint32_t sid, kid;
    uint64_t now = (uint64_t)ut_now_ms();
    int rc;

    *spk_out = *kyber_out = NULL;
    memset(&spk, 0, sizeof(spk));
    if (!kpk)
        return UT_ERR_NOMEM;
    if ((rc = next_id(c, "spk", which, 1, &sid)) != 0 ||
        (rc = next_id(c, "kpk", which, 1, &kid)) != 0 ||
        (rc = sc_signed_prekey_generate(&spk, sid, now, &c->identity[which])) != 0 ||
        (rc = sc_kyber_prekey_generate(kpk, kid, now, 1, &c->identity[which])) != 0)
        goto out;
    sc_signed_prekey_store(rec, &spk);
    snprintf(key, sizeof(key), "%s:%" PRIu32, wname(which), sid);
    if ((rc = sig_rec_put(c, "signed_prekey", key, rec, sizeof(rec))) != 0 ||
        (rc = store_kyber(c, which, kpk)) != 0)
        goto out;
    sc_ec_pub_serialize(ser, spk.kp.pub);
    *spk_out = key_json(sid, ser, sizeof(ser), spk.sig);
    *kyber_out = kyber_json(kpk);
    if (!*spk_out || !*kyber_out) {
        json_decref(*spk_out);
        json_decref(*kyber_out);
        *spk_out = *kyber_out = NULL;
        rc = UT_ERR_NOMEM;
    }
out:
    sc_signed_prekey_wipe(&spk);
    sc_kyber_prekey_wipe(kpk);
    free(kpk);
    ut_wipe(rec, sizeof(rec));
    return rc;
}

int sig_keys_onetime(sig_client *c, int which, uint32_t n, json_t **body)
{
    sc_prekey pk;
    sc_kyber_prekey *kpk = calloc(1, sizeof(*kpk));
    uint8_t rec[SC_PREKEY_RECORD_LEN], ser[SC_EC_SERIALIZED_LEN];
    json_t *pks = json_array(), *pqs = json_array();
    char key[32];
    uint32_t pid, kid, i;
    uint64_t now = (uint64_t)ut_now_ms();
    int rc;

    *body = NULL;
    memset(&pk, 0, sizeof(pk));
    if (!kpk || !pks || !pqs) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    if ((rc = st_db_begin(c->db)) != 0)
        goto out;
    if ((rc = next_id(c, "pk", which, n, &pid)) != 0 ||
        (rc = next_id(c, "kpk", which, n, &kid)) != 0)
        goto rollback;
    for (i = 0; i < n; i++) {
        if ((rc = sc_prekey_generate(&pk, pid + i)) != 0 ||
            (rc = sc_kyber_prekey_generate(kpk, kid + i, now, 0,
                                           &c->identity[which])) != 0)
            goto rollback;
        sc_prekey_store(rec, &pk);
        snprintf(key, sizeof(key), "%s:%" PRIu32, wname(which), pk.id);
        if ((rc = sig_rec_put(c, "prekey", key, rec, sizeof(rec))) != 0 ||
            (rc = store_kyber(c, which, kpk)) != 0)
            goto rollback;
        sc_ec_pub_serialize(ser, pk.kp.pub);
        if (json_array_append_new(pks, key_json(pk.id, ser, sizeof(ser), NULL)) != 0 ||
            json_array_append_new(pqs, kyber_json(kpk)) != 0) {
            rc = UT_ERR_NOMEM;
            goto rollback;
        }
    }
    if ((rc = st_db_commit(c->db)) != 0)
        goto rollback;
    *body = json_pack("{s:O,s:O}", "preKeys", pks, "pqPreKeys", pqs);
    if (!*body)
        rc = UT_ERR_NOMEM;
    goto out;
rollback:
    st_db_rollback(c->db);
out:
    json_decref(pks);
    json_decref(pqs);
    sc_prekey_wipe(&pk);
    if (kpk)
        sc_kyber_prekey_wipe(kpk);
    free(kpk);
    ut_wipe(rec, sizeof(rec));
    return rc;
}
