/* sc_sealed.c - sealed sender v1/v2 and the USMC codec (signal-crypto.md §4). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "module/signal/crypto/sc_sealed.pb-c.h"
#include "sc_prim.h"
#include "sc_sealed.h"
#include "sc_sealed_int.h"

#define V1_MAC_LEN 10
#define V2_KEY_LEN 32
#define V2_TAG_LEN 16
#define V2_PREFIX (1 + V2_KEY_LEN + V2_TAG_LEN + 32)

struct sc_usmc {
    uint32_t type;
    uint32_t hint;
    sc_sender_cert *cert;
    uint8_t *content;
    size_t content_len;
    uint8_t *group;
    size_t group_len;
    uint8_t *serialized;
    size_t serialized_len;
};

static int known_type(uint32_t t)
{
    return t == SC_USMC_PREKEY || t == SC_USMC_MESSAGE ||
           t == SC_USMC_SENDERKEY || t == SC_USMC_PLAINTEXT;
}

void sc_usmc_free(sc_usmc *u)
{
    if (u == NULL)
        return;
    sc_sender_cert_free(u->cert);
    ut_free_secret(u->content, u->content_len);
    free(u->group);
    ut_free_secret(u->serialized, u->serialized_len);
    free(u);
}

/* Fill u's owned copies from a parsed protobuf (everything but serialized). */
static int usmc_fill(sc_usmc *u, const ScSs__UsmcMessage *m)
{
    int rc;

    if (!m->has_type || !known_type(m->type) || !m->has_sender_certificate ||
        !m->has_content)
        return SC_ERR_USMC_FORMAT;
    rc = sc_sender_cert_parse(&u->cert, m->sender_certificate.data,
                              m->sender_certificate.len);
    if (rc != 0)
        return rc;
    u->type = m->type;
    u->hint = m->has_content_hint ? m->content_hint : SC_HINT_DEFAULT;
    u->content = malloc(m->content.len ? m->content.len : 1);
    if (u->content == NULL)
        return UT_ERR_NOMEM;
    if (m->content.len) /* an empty field has no data pointer */
        memcpy(u->content, m->content.data, m->content.len);
    u->content_len = m->content.len;
    if (m->has_group_id) {
        u->group = malloc(m->group_id.len ? m->group_id.len : 1);
        if (u->group == NULL)
            return UT_ERR_NOMEM;
        if (m->group_id.len)
            memcpy(u->group, m->group_id.data, m->group_id.len);
        u->group_len = m->group_id.len;
    }
    return 0;
}

int sc_usmc_parse(sc_usmc **out, const uint8_t *buf, size_t n)
{
    ScSs__UsmcMessage *m = NULL;
    sc_usmc *u = NULL;
    int rc;

    *out = NULL;
    if (n > SC_SEALED_MAX)
        return UT_ERR_RANGE;
    m = sc_ss__usmc_message__unpack(NULL, n, buf);
    if (m == NULL)
        return SC_ERR_USMC_FORMAT;
    u = calloc(1, sizeof(*u));
    rc = u == NULL ? UT_ERR_NOMEM : usmc_fill(u, m);
    if (rc != 0)
        goto out;
    u->serialized = malloc(n ? n : 1);
    if (u->serialized == NULL) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    memcpy(u->serialized, buf, n);
    u->serialized_len = n;
out:
    /* the unpacked copy holds the content too */
    if (m->has_content)
        ut_wipe(m->content.data, m->content.len);
    sc_ss__usmc_message__free_unpacked(m, NULL);
    if (rc == 0)
        *out = u;
    else
        sc_usmc_free(u);
    return rc;
}

int sc_usmc_new(sc_usmc **out, uint32_t type, const uint8_t *sender_cert,
                size_t cert_len, const uint8_t *content, size_t content_len,
                uint32_t content_hint, const uint8_t *group_id,
                size_t group_len)
{
    ScSs__UsmcMessage m =
        SC_SS__USMC_MESSAGE__INIT;
    sc_usmc *u = NULL;
    size_t len;
    int rc;

    *out = NULL;
    if (!known_type(type))
        return SC_ERR_USMC_FORMAT;
    if (cert_len + content_len + group_len > SC_SEALED_MAX)
        return UT_ERR_RANGE;
    m.has_type = 1;
    m.type = type;
    m.has_sender_certificate = 1;
    m.sender_certificate.data = (uint8_t *)sender_cert;
    m.sender_certificate.len = cert_len;
    m.has_content = 1;
    m.content.data = (uint8_t *)content;
    m.content.len = content_len;
    m.has_content_hint = content_hint != SC_HINT_DEFAULT;
    m.content_hint = content_hint;
    m.has_group_id = group_id != NULL && group_len > 0;
    m.group_id.data = (uint8_t *)group_id;
    m.group_id.len = group_len;
    u = calloc(1, sizeof(*u));
    rc = u == NULL ? UT_ERR_NOMEM : usmc_fill(u, &m);
    if (rc != 0)
        goto out;
    len = sc_ss__usmc_message__get_packed_size(&m);
    u->serialized = malloc(len ? len : 1);
    if (u->serialized == NULL) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    u->serialized_len =
        sc_ss__usmc_message__pack(&m, u->serialized);
out:
    if (rc == 0)
        *out = u;
    else
        sc_usmc_free(u);
    return rc;
}

uint32_t sc_usmc_type(const sc_usmc *u) { return u->type; }
uint32_t sc_usmc_content_hint(const sc_usmc *u) { return u->hint; }
const uint8_t *sc_usmc_content(const sc_usmc *u, size_t *len)
{
    *len = u->content_len;
    return u->content;
}
const uint8_t *sc_usmc_group_id(const sc_usmc *u, size_t *len)
{
    *len = u->group_len;
    return u->group;
}
const sc_sender_cert *sc_usmc_sender(const sc_usmc *u) { return u->cert; }
const uint8_t *sc_usmc_bytes(const sc_usmc *u, size_t *len)
{
    *len = u->serialized_len;
    return u->serialized;
}

/* ---- v1 ---------------------------------------------------------------- */

static const char ud_prefix[] = "UnidentifiedDelivery";

/* chain || cipher || mac = HKDF(salt = "UnidentifiedDelivery" || recipient
 * || ephemeral, ikm = agreement, info = ""). */
static int v1_ephemeral_keys(uint8_t keys[96], const uint8_t recipient[32],
                             const uint8_t eph[32], const uint8_t agreement[32])
{
    uint8_t salt[sizeof(ud_prefix) - 1 + 66];
    size_t p = sizeof(ud_prefix) - 1;

    memcpy(salt, ud_prefix, p);
    sc_key_to_wire(salt + p, recipient);
    sc_key_to_wire(salt + p + 33, eph);
    return sc_hkdf_sha256(keys, 96, salt, sizeof(salt), agreement, 32, "", 0);
}

/* _ || cipher || mac = HKDF(salt = chain || encrypted_static, ikm =
 * agreement of the identities, info = ""). */
static int v1_static_keys(uint8_t keys[96], const uint8_t chain[32],
                          const uint8_t *enc_static, size_t es_len,
                          const uint8_t agreement[32])
{
    uint8_t salt[32 + 64];
    int rc;

    if (es_len > 64)
        return SC_ERR_SEALED_FORMAT;
    memcpy(salt, chain, 32);
    memcpy(salt + 32, enc_static, es_len);
    rc = sc_hkdf_sha256(keys, 96, salt, 32 + es_len, agreement, 32, "", 0);
    ut_wipe(salt, sizeof(salt));
    return rc;
}

static const uint8_t zero_iv[16];

/* ct || HMAC(mac_key, ct)[0..10]: check the tag, then CTR-decrypt into out
 * (out holds n - 10). */
static int ctr_hmac_open(uint8_t *out, const uint8_t *in, size_t n,
                         const uint8_t cipher_key[32], const uint8_t mac_key[32],
                         int bad_mac)
{
    uint8_t mac[32];
    int rc;

    if (n < V1_MAC_LEN)
        return SC_ERR_SEALED_FORMAT;
    rc = sc_hmac_sha256(mac, mac_key, 32, in, n - V1_MAC_LEN);
    if (rc != 0)
        return rc;
    if (!ut_ct_eq(mac, in + n - V1_MAC_LEN, V1_MAC_LEN))
        return bad_mac;
    return sc_aes256_ctr(out, cipher_key, zero_iv, in, n - V1_MAC_LEN);
}

static int ctr_hmac_seal(uint8_t *out, const uint8_t *in, size_t n,
                         const uint8_t cipher_key[32], const uint8_t mac_key[32])
{
    uint8_t mac[32];
    int rc = sc_aes256_ctr(out, cipher_key, zero_iv, in, n);

    if (rc == 0)
        rc = sc_hmac_sha256(mac, mac_key, 32, out, n);
    if (rc == 0)
        memcpy(out + n, mac, V1_MAC_LEN);
    return rc;
}

static int v1_decrypt(sc_usmc **out, const uint8_t *body, size_t n,
                      const uint8_t our_pub[32], const uint8_t our_priv[32])
{
    ScSs__UnidentifiedSenderMessage *pb = NULL;
    uint8_t eph[32], agree[32], ekeys[96], skeys[96], sender_wire[33], sender[32];
    uint8_t *plain = NULL;
    size_t plain_len = 0;
    int rc = SC_ERR_SEALED_FORMAT;

    pb = sc_ss__unidentified_sender_message__unpack(NULL, n, body);
    if (pb == NULL || !pb->has_ephemeral_public || !pb->has_encrypted_static ||
        !pb->has_encrypted_message)
        goto out;
    if (sc_key_from_wire(eph, pb->ephemeral_public.data, pb->ephemeral_public.len) != 0)
        goto out;
    /* the static part is the sender's 33-byte key plus the tag */
    if (pb->encrypted_static.len != 33 + V1_MAC_LEN ||
        pb->encrypted_message.len < V1_MAC_LEN)
        goto out;
    if ((rc = sc_x25519_pair(agree, our_priv, our_pub, eph)) != 0 ||
        (rc = v1_ephemeral_keys(ekeys, our_pub, eph, agree)) != 0)
        goto out;
    rc = ctr_hmac_open(sender_wire, pb->encrypted_static.data,
                       pb->encrypted_static.len, ekeys + 32, ekeys + 64,
                       SC_ERR_SEALED_STATIC_MAC);
    if (rc != 0)
        goto out;
    if (sc_key_from_wire(sender, sender_wire, 33) != 0) {
        rc = SC_ERR_SEALED_FORMAT;
        goto out;
    }
    if ((rc = sc_x25519_pair(agree, our_priv, our_pub, sender)) != 0 ||
        (rc = v1_static_keys(skeys, ekeys, pb->encrypted_static.data,
                             pb->encrypted_static.len, agree)) != 0)
        goto out;
    plain_len = pb->encrypted_message.len - V1_MAC_LEN;
    plain = malloc(plain_len ? plain_len : 1);
    if (plain == NULL) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    rc = ctr_hmac_open(plain, pb->encrypted_message.data,
                       pb->encrypted_message.len, skeys + 32, skeys + 64,
                       SC_ERR_SEALED_MESSAGE_MAC);
    if (rc != 0)
        goto out;
    if ((rc = sc_usmc_parse(out, plain, plain_len)) != 0)
        goto out;
    if (!ut_ct_eq(sender, sc_sender_cert_identity_key((*out)->cert), 32)) {
        sc_usmc_free(*out);
        *out = NULL;
        rc = SC_ERR_SEALED_KEY_MISMATCH;
    }
out:
    ut_wipe(agree, sizeof(agree));
    ut_wipe(ekeys, sizeof(ekeys));
    ut_wipe(skeys, sizeof(skeys));
    ut_free_secret(plain, plain_len);
    if (pb != NULL)
        sc_ss__unidentified_sender_message__free_unpacked(pb, NULL);
    return rc;
}

int sc_sealed_encrypt_v1(uint8_t **out, size_t *out_len, const sc_usmc *usmc,
                         const uint8_t our_pub[32], const uint8_t our_priv[32],
                         const uint8_t their_pub[32])
{
    ScSs__UnidentifiedSenderMessage pb = SC_SS__UNIDENTIFIED_SENDER_MESSAGE__INIT;
    uint8_t eph_pub[32], eph_priv[32], agree[32], ekeys[96], skeys[96];
    uint8_t eph_wire[33], our_wire[33], enc_static[33 + V1_MAC_LEN];
    uint8_t *enc_msg = NULL, *buf = NULL;
    size_t len;
    int rc;

    *out = NULL;
    *out_len = 0;
    if ((rc = sc_x25519_keypair(eph_pub, eph_priv)) != 0 ||
        (rc = sc_x25519_pair(agree, eph_priv, eph_pub, their_pub)) != 0 ||
        (rc = v1_ephemeral_keys(ekeys, their_pub, eph_pub, agree)) != 0)
        goto out;
    sc_key_to_wire(our_wire, our_pub);
    if ((rc = ctr_hmac_seal(enc_static, our_wire, 33, ekeys + 32, ekeys + 64)) != 0 ||
        (rc = sc_x25519_pair(agree, our_priv, our_pub, their_pub)) != 0 ||
        (rc = v1_static_keys(skeys, ekeys, enc_static, sizeof(enc_static), agree)) != 0)
        goto out;
    enc_msg = malloc(usmc->serialized_len + V1_MAC_LEN);
    if (enc_msg == NULL) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    rc = ctr_hmac_seal(enc_msg, usmc->serialized, usmc->serialized_len,
                       skeys + 32, skeys + 64);
    if (rc != 0)
        goto out;
    sc_key_to_wire(eph_wire, eph_pub);
    pb.has_ephemeral_public = 1;
    pb.ephemeral_public.data = eph_wire;
    pb.ephemeral_public.len = 33;
    pb.has_encrypted_static = 1;
    pb.encrypted_static.data = enc_static;
    pb.encrypted_static.len = sizeof(enc_static);
    pb.has_encrypted_message = 1;
    pb.encrypted_message.data = enc_msg;
    pb.encrypted_message.len = usmc->serialized_len + V1_MAC_LEN;
    len = sc_ss__unidentified_sender_message__get_packed_size(&pb);
    buf = malloc(1 + len);
    if (buf == NULL) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    buf[0] = 0x11;
    *out_len = 1 + sc_ss__unidentified_sender_message__pack(&pb, buf + 1);
    *out = buf;
out:
    ut_wipe(eph_priv, sizeof(eph_priv));
    ut_wipe(agree, sizeof(agree));
    ut_wipe(ekeys, sizeof(ekeys));
    ut_wipe(skeys, sizeof(skeys));
    free(enc_msg);
    return rc;
}

/* ---- v2 ---------------------------------------------------------------- */

static int v2_decrypt(sc_usmc **out, const uint8_t *msg, size_t n,
                      const uint8_t our_pub[32], const uint8_t our_priv[32])
{
    const uint8_t *c = msg + 1, *at = msg + 1 + V2_KEY_LEN;
    const uint8_t *e = msg + 1 + V2_KEY_LEN + V2_TAG_LEN, *ct = msg + V2_PREFIX;
    uint8_t agree[32], ikm[32 + 33 + V2_KEY_LEN + 33 + 33], m[32], r[32], rpub[32];
    uint8_t k[32], tag[V2_TAG_LEN], zero_nonce[12] = {0};
    uint8_t *plain = NULL;
    size_t ct_len, plain_len = 0;
    const uint8_t *sender;
    int rc, i;

    if (n < V2_PREFIX + 16)
        return SC_ERR_SEALED_FORMAT;
    ct_len = n - V2_PREFIX;
    /* M = C xor HKDF(DH(ours, E) || E || ours, "Sealed Sender v2: DH") */
    if ((rc = sc_x25519_pair(agree, our_priv, our_pub, e)) != 0)
        goto out;
    memcpy(ikm, agree, 32);
    sc_key_to_wire(ikm + 32, e);
    sc_key_to_wire(ikm + 65, our_pub);
    rc = sc_hkdf_sha256(m, 32, NULL, 0, ikm, 98, "Sealed Sender v2: DH", 20);
    if (rc != 0)
        goto out;
    for (i = 0; i < 32; i++)
        m[i] ^= c[i];
    /* E must be derived from M, which binds the ephemeral key to the
     * message key */
    static const char r_info[] = "Sealed Sender v2: r (2023-08)";
    if ((rc = sc_hkdf_sha256(r, 32, NULL, 0, m, 32, r_info, sizeof(r_info) - 1)) != 0 ||
        (rc = sc_x25519_public(rpub, r)) != 0)
        goto out;
    if (!ut_ct_eq(rpub, e, 32)) {
        rc = SC_ERR_SEALED_EPHEMERAL;
        goto out;
    }
    if ((rc = sc_hkdf_sha256(k, 32, NULL, 0, m, 32, "Sealed Sender v2: K", 19)) != 0)
        goto out;
    plain_len = ct_len - 16;
    plain = malloc(plain_len ? plain_len : 1);
    if (plain == NULL) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    if (sc_aes256_gcm_siv_decrypt(plain, k, zero_nonce, NULL, 0, ct, ct_len) != 0) {
        rc = SC_ERR_SEALED_DECRYPT;
        goto out;
    }
    if ((rc = sc_usmc_parse(out, plain, plain_len)) != 0)
        goto out;
    /* AT = HKDF(DH(ours, sender) || E || C || sender || ours) proves the
     * certificate's identity key made this message */
    sender = sc_sender_cert_identity_key((*out)->cert);
    if ((rc = sc_x25519_pair(agree, our_priv, our_pub, sender)) == 0) {
        memcpy(ikm, agree, 32);
        sc_key_to_wire(ikm + 32, e);
        memcpy(ikm + 65, c, V2_KEY_LEN);
        sc_key_to_wire(ikm + 97, sender);
        sc_key_to_wire(ikm + 130, our_pub);
        rc = sc_hkdf_sha256(tag, V2_TAG_LEN, NULL, 0, ikm, sizeof(ikm),
                            "Sealed Sender v2: DH-sender", 27);
    }
    if (rc == 0 && !ut_ct_eq(tag, at, V2_TAG_LEN))
        rc = SC_ERR_SEALED_AUTH_TAG;
    if (rc != 0) {
        sc_usmc_free(*out);
        *out = NULL;
    }
out:
    ut_wipe(agree, sizeof(agree));
    ut_wipe(ikm, sizeof(ikm));
    ut_wipe(m, sizeof(m));
    ut_wipe(r, sizeof(r));
    ut_wipe(k, sizeof(k));
    ut_free_secret(plain, plain_len);
    return rc;
}

int sc_sealed_decrypt_to_usmc(sc_usmc **out, const uint8_t *msg, size_t n,
                              const uint8_t our_pub[32],
                              const uint8_t our_priv[32])
{
    *out = NULL;
    if (msg == NULL || n == 0)
        return SC_ERR_SEALED_FORMAT;
    if (n > SC_SEALED_MAX)
        return UT_ERR_RANGE;
    switch (msg[0] >> 4) {
    case 0: /* libsignal also takes major version 0 as v1 */
    case 1:
        return v1_decrypt(out, msg + 1, n - 1, our_pub, our_priv);
    case 2:
        if (msg[0] != 0x22 && msg[0] != 0x23)
            return SC_ERR_SEALED_VERSION;
        return v2_decrypt(out, msg, n, our_pub, our_priv);
    default:
        return SC_ERR_SEALED_VERSION;
    }
}

int sc_sealed_decrypt(sc_usmc **out, const uint8_t *msg, size_t n,
                      const sc_sealed_local *me, const sc_trust *trust,
                      int64_t now_ms)
{
    const sc_sender_cert *c;
    const char *e164;
    int rc, same;

    rc = sc_sealed_decrypt_to_usmc(out, msg, n, me->identity_pub, me->identity_priv);
    if (rc != 0)
        return rc;
    c = (*out)->cert;
    rc = sc_sender_cert_validate(c, trust, now_ms);
    if (rc == 0) {
        e164 = sc_sender_cert_e164(c);
        same = (me->uuid != NULL && strcmp(me->uuid, sc_sender_cert_uuid(c)) == 0) ||
               (me->e164 != NULL && e164 != NULL && strcmp(me->e164, e164) == 0);
        if (same && sc_sender_cert_device(c) == me->device)
            rc = SC_ERR_SEALED_SELF_SEND;
    }
    if (rc != 0) {
        sc_usmc_free(*out);
        *out = NULL;
    }
    return rc;
}
