/*
 * sc_msg.c - see sc_msg.h. protoc-c does the protobuf; this file checks the
 * version byte, the fields v4 requires and their lengths.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sc_msg.h"
#include "sc_prim.h"
#include "sc_wire.pb-c.h"

size_t sc_varint_put(uint8_t out[10], uint64_t v)
{
    size_t n = 0;

    do {
        uint8_t b = (uint8_t)(v & 0x7f);
        v >>= 7;
        out[n++] = (uint8_t)(b | (v ? 0x80 : 0));
    } while (v);
    return n;
}

size_t sc_varint_get(uint64_t *v, const uint8_t *in, size_t n)
{
    uint64_t r = 0;
    size_t i;

    for (i = 0; i < n && i < 10; i++) {
        uint64_t b = in[i] & 0x7f;
        if (i == 9 && b > 1)
            return 0; /* more than 64 bits */
        r |= b << (7 * i);
        if (!(in[i] & 0x80)) {
            *v = r;
            return i + 1;
        }
    }
    return 0;
}

/* v4 only: libsignal treats < 3 as legacy and 3 as X3DH, both refused. */
static int check_version(const uint8_t *in, size_t n, size_t min)
{
    if (!in || n < min)
        return SC_ERR_MSG_FORMAT;
    if (in[0] >> 4 != 4)
        return SC_ERR_MSG_VERSION;
    if (n > SC_MSG_MAX_LEN)
        return SC_ERR_MSG_FORMAT;
    return 0;
}

static int mac8(uint8_t out[32], const uint8_t mac_key[32],
                const uint8_t sender_ik[32], const uint8_t receiver_ik[32],
                const uint8_t *body, size_t n)
{
    uint8_t s[SC_EC_SERIALIZED_LEN], r[SC_EC_SERIALIZED_LEN];
    sc_iov v[3];

    sc_ec_pub_serialize(s, sender_ik);
    sc_ec_pub_serialize(r, receiver_ik);
    v[0].p = s; v[0].n = sizeof(s);
    v[1].p = r; v[1].n = sizeof(r);
    v[2].p = body; v[2].n = n;
    return sc_hmac_sha256_v(out, mac_key, 32, v, 3);
}

int sc_signal_msg_encode(uint8_t **out, size_t *out_len,
                         const sc_signal_msg_fields *f,
                         const uint8_t mac_key[32],
                         const uint8_t sender_ik[SC_EC_PUB_LEN],
                         const uint8_t receiver_ik[SC_EC_PUB_LEN])
{
    Scwire__SignalMessage pb = SCWIRE__SIGNAL_MESSAGE__INIT;
    uint8_t rk[SC_EC_SERIALIZED_LEN], mac[32], *buf;
    size_t plen;
    int rc;

    *out = NULL;
    *out_len = 0;
    sc_ec_pub_serialize(rk, f->ratchet_key);
    pb.has_ratchet_key = 1;
    pb.ratchet_key.data = rk;
    pb.ratchet_key.len = sizeof(rk);
    pb.has_counter = 1;
    pb.counter = f->counter;
    pb.has_previous_counter = 1;
    pb.previous_counter = f->previous_counter;
    pb.has_ciphertext = 1;
    pb.ciphertext.data = (uint8_t *)f->ciphertext;
    pb.ciphertext.len = f->ciphertext_len;
    if (f->pq_ratchet_len) {
        pb.has_pq_ratchet = 1;
        pb.pq_ratchet.data = (uint8_t *)f->pq_ratchet;
        pb.pq_ratchet.len = f->pq_ratchet_len;
    }
    if (f->addresses) {
        pb.has_addresses = 1;
        pb.addresses.data = (uint8_t *)f->addresses;
        pb.addresses.len = SC_ADDRESSES_LEN;
    }
    plen = scwire__signal_message__get_packed_size(&pb);
    buf = malloc(1 + plen + SC_MSG_MAC_LEN);
    if (!buf)
        return UT_ERR_NOMEM;
    buf[0] = SC_MSG_VERSION_BYTE;
    scwire__signal_message__pack(&pb, buf + 1);
    rc = mac8(mac, mac_key, sender_ik, receiver_ik, buf, 1 + plen);
    if (rc) {
        free(buf);
        return rc;
    }
    memcpy(buf + 1 + plen, mac, SC_MSG_MAC_LEN);
    ut_wipe(mac, sizeof(mac));
    *out = buf;
    *out_len = 1 + plen + SC_MSG_MAC_LEN;
    return 0;
}

int sc_signal_msg_decode(sc_signal_msg *m, const uint8_t *in, size_t n)
{
    Scwire__SignalMessage *pb;
    int rc;

    memset(m, 0, sizeof(*m));
    rc = check_version(in, n, 1 + SC_MSG_MAC_LEN);
    if (rc)
        return rc;
    pb = scwire__signal_message__unpack(NULL, n - 1 - SC_MSG_MAC_LEN, in + 1);
    if (!pb)
        return SC_ERR_MSG_FORMAT;
    m->pb_ = pb;
    if (!pb->has_ratchet_key || !pb->has_counter || !pb->has_ciphertext ||
        sc_ec_pub_deserialize(m->ratchet_key, pb->ratchet_key.data,
                              pb->ratchet_key.len) ||
        (pb->has_addresses && pb->addresses.len != SC_ADDRESSES_LEN)) {
        sc_signal_msg_clear(m);
        return SC_ERR_MSG_FORMAT;
    }
    m->counter = pb->counter;
    m->previous_counter = pb->has_previous_counter ? pb->previous_counter : 0;
    m->ciphertext = pb->ciphertext.data;
    m->ciphertext_len = pb->ciphertext.len;
    if (pb->has_pq_ratchet && pb->pq_ratchet.len) {
        m->pq_ratchet = pb->pq_ratchet.data;
        m->pq_ratchet_len = pb->pq_ratchet.len;
    }
    if (pb->has_addresses)
        m->addresses = pb->addresses.data;
    m->raw = in;
    m->raw_len = n;
    return 0;
}

int sc_signal_msg_verify_mac(const sc_signal_msg *m, const uint8_t mac_key[32],
                             const uint8_t sender_ik[SC_EC_PUB_LEN],
                             const uint8_t receiver_ik[SC_EC_PUB_LEN])
{
    uint8_t mac[32];
    int rc;

    if (!m->raw || m->raw_len < 1 + SC_MSG_MAC_LEN)
        return SC_ERR_MSG_FORMAT;
    rc = mac8(mac, mac_key, sender_ik, receiver_ik, m->raw,
              m->raw_len - SC_MSG_MAC_LEN);
    if (!rc && !ut_ct_eq(mac, m->raw + m->raw_len - SC_MSG_MAC_LEN, SC_MSG_MAC_LEN))
        rc = SC_ERR_BAD_MAC;
    ut_wipe(mac, sizeof(mac));
    return rc;
}

void sc_signal_msg_clear(sc_signal_msg *m)
{
    if (!m)
        return;
    if (m->pb_)
        scwire__signal_message__free_unpacked(m->pb_, NULL);
    memset(m, 0, sizeof(*m));
}

int sc_prekey_msg_encode(uint8_t **out, size_t *out_len,
                         const sc_prekey_msg_fields *f)
{
    Scwire__PreKeySignalMessage pb = SCWIRE__PRE_KEY_SIGNAL_MESSAGE__INIT;
    uint8_t bk[SC_EC_SERIALIZED_LEN], ik[SC_EC_SERIALIZED_LEN];
    uint8_t *ct, *buf;
    size_t plen;

    *out = NULL;
    *out_len = 0;
    ct = malloc(SC_KEM_SERIALIZED_LEN);
    if (!ct)
        return UT_ERR_NOMEM;
    sc_kem_serialize(ct, f->kyber_ct);
    sc_ec_pub_serialize(bk, f->base_key);
    sc_ec_pub_serialize(ik, f->identity_key);
    pb.has_registration_id = 1;
    pb.registration_id = f->registration_id;
    if (f->has_pre_key_id) {
        pb.has_pre_key_id = 1;
        pb.pre_key_id = f->pre_key_id;
    }
    pb.has_signed_pre_key_id = 1;
    pb.signed_pre_key_id = f->signed_pre_key_id;
    pb.has_kyber_pre_key_id = 1;
    pb.kyber_pre_key_id = f->kyber_pre_key_id;
    pb.has_kyber_ciphertext = 1;
    pb.kyber_ciphertext.data = ct;
    pb.kyber_ciphertext.len = SC_KEM_SERIALIZED_LEN;
    pb.has_base_key = 1;
    pb.base_key.data = bk;
    pb.base_key.len = sizeof(bk);
    pb.has_identity_key = 1;
    pb.identity_key.data = ik;
    pb.identity_key.len = sizeof(ik);
    pb.has_message = 1;
    pb.message.data = (uint8_t *)f->message;
    pb.message.len = f->message_len;
    plen = scwire__pre_key_signal_message__get_packed_size(&pb);
    buf = malloc(1 + plen);
    if (!buf) {
        free(ct);
        return UT_ERR_NOMEM;
    }
    buf[0] = SC_MSG_VERSION_BYTE;
    scwire__pre_key_signal_message__pack(&pb, buf + 1);
    free(ct);
    *out = buf;
    *out_len = 1 + plen;
    return 0;
}

int sc_prekey_msg_decode(sc_prekey_msg *m, const uint8_t *in, size_t n)
{
    Scwire__PreKeySignalMessage *pb;
    int rc;

    memset(m, 0, sizeof(*m));
    rc = check_version(in, n, 2);
    if (rc)
        return rc;
    pb = scwire__pre_key_signal_message__unpack(NULL, n - 1, in + 1);
    if (!pb)
        return SC_ERR_MSG_FORMAT;
    m->pb_ = pb;
    rc = SC_ERR_MSG_FORMAT;
    if (!pb->has_signed_pre_key_id || !pb->has_base_key ||
        !pb->has_identity_key || !pb->has_message)
        goto out;
    /* libsignal: both Kyber fields or neither; v4 requires them. */
    if (!pb->has_kyber_pre_key_id || !pb->has_kyber_ciphertext) {
        rc = SC_ERR_NO_KYBER;
        goto out;
    }
    if (pb->kyber_ciphertext.len != SC_KEM_SERIALIZED_LEN ||
        pb->kyber_ciphertext.data[0] != SC_KEM_TYPE_KYBER1024)
        goto out;
    if (sc_ec_pub_deserialize(m->base_key, pb->base_key.data, pb->base_key.len) ||
        sc_ec_pub_deserialize(m->identity_key, pb->identity_key.data,
                              pb->identity_key.len))
        goto out;
    m->registration_id = pb->has_registration_id ? pb->registration_id : 0;
    m->has_pre_key_id = pb->has_pre_key_id;
    m->pre_key_id = pb->pre_key_id;
    m->signed_pre_key_id = pb->signed_pre_key_id;
    m->kyber_pre_key_id = pb->kyber_pre_key_id;
    m->kyber_ct = pb->kyber_ciphertext.data + 1;
    rc = sc_signal_msg_decode(&m->message, pb->message.data, pb->message.len);
out:
    if (rc)
        sc_prekey_msg_clear(m);
    return rc;
}

void sc_prekey_msg_clear(sc_prekey_msg *m)
{
    if (!m)
        return;
    sc_signal_msg_clear(&m->message);
    if (m->pb_)
        scwire__pre_key_signal_message__free_unpacked(m->pb_, NULL);
    memset(m, 0, sizeof(*m));
}
