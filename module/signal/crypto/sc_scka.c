/*
 * sc_scka.c - see sc_scka.h. The transitions follow spqr v1.5.3
 * src/v1/chunked/states.rs States::send / States::recv case by case.
 */
#include "config.h"

#include <string.h>

#include "sc_msg.h"
#include "sc_prim.h"
#include "sc_scka.h"
#include "ut.h"

static const char L_AUTH[] = "Signal_PQCKA_V1_MLKEM768:Authenticator Update";
static const char L_HDR[] = "Signal_PQCKA_V1_MLKEM768:ekheader";
static const char L_CT[] = "Signal_PQCKA_V1_MLKEM768:ciphertext";
static const char L_KEY[] = "Signal_PQCKA_V1_MLKEM768:SCKA Key";

static void be64(uint8_t out[8], uint64_t v)
{
    int i;

    for (i = 7; i >= 0; i--, v >>= 8)
        out[i] = (uint8_t)v;
}

int sc_scka_auth_update(sc_scka *s, uint64_t epoch, const uint8_t key[32])
{
    uint8_t ikm[64], info[sizeof(L_AUTH) - 1 + 8], o[64];
    int rc;

    memcpy(ikm, s->auth_root, 32);
    memcpy(ikm + 32, key, 32);
    memcpy(info, L_AUTH, sizeof(L_AUTH) - 1);
    be64(info + sizeof(L_AUTH) - 1, epoch);
    rc = sc_hkdf_sha256(o, 64, NULL, 0, ikm, 64, info, sizeof(info));
    if (!rc) {
        memcpy(s->auth_root, o, 32);
        memcpy(s->auth_mac, o + 32, 32);
    }
    ut_wipe(ikm, sizeof(ikm));
    ut_wipe(o, sizeof(o));
    return rc;
}

int sc_scka_mac(uint8_t out[32], const sc_scka *s, int ct, uint64_t epoch,
                const uint8_t *data, size_t n)
{
    uint8_t e[8];
    sc_iov v[3];

    be64(e, epoch);
    v[0].p = ct ? L_CT : L_HDR;
    v[0].n = ct ? sizeof(L_CT) - 1 : sizeof(L_HDR) - 1;
    v[1].p = e;
    v[1].n = 8;
    v[2].p = data;
    v[2].n = n;
    return sc_hmac_sha256_v(out, s->auth_mac, 32, v, 3);
}

int sc_scka_epoch_secret(uint8_t out[32], const uint8_t ss[32], uint64_t epoch)
{
    uint8_t info[sizeof(L_KEY) - 1 + 8];

    memcpy(info, L_KEY, sizeof(L_KEY) - 1);
    be64(info + sizeof(L_KEY) - 1, epoch);
    return sc_hkdf_sha256(out, 32, NULL, 0, ss, 32, info, sizeof(info));
}

int sc_scka_init(sc_scka *s, int a2b, const uint8_t auth_key[32])
{
    memset(s, 0, sizeof(*s));
    s->epoch = 1;
    s->state = a2b ? SC_SCKA_KEYS_UNSAMPLED : SC_SCKA_NO_HEADER_RECEIVED;
    if (!a2b)
        sc_spqr_decoder_init(&s->dec, SC_SCKA_HDRMAC);
    return sc_scka_auth_update(s, 1, auth_key);
}

void sc_scka_wipe(sc_scka *s)
{
    if (s)
        ut_wipe(s, sizeof(*s));
}

static void next_chunk(sc_scka *s, sc_scka_msg *m, uint8_t type,
                       const uint8_t *msg, size_t n)
{
    m->type = type;
    m->chunk_idx = (uint16_t)s->enc_idx; /* polynomial.rs: `self.idx as u16` */
    sc_spqr_chunk_at(m->chunk, msg, n, m->chunk_idx);
    s->enc_idx++;
}

/* send_ct: ct2 = encaps2(t̂, es), mac over ct1 ‖ ct2; now Ct2Sampled. */
static int send_ct2(sc_scka *s)
{
    uint8_t ct[SC_MLKEM768_CT];
    int rc;

    if ((rc = sc_mlkem768_encaps2(s->ct2mac, s->es, s->ek)))
        return rc;
    memcpy(ct, s->ct1, SC_MLKEM768_CT1);
    memcpy(ct + SC_MLKEM768_CT1, s->ct2mac, SC_MLKEM768_CT2);
    rc = sc_scka_mac(s->ct2mac + SC_MLKEM768_CT2, s, 1, s->epoch, ct, sizeof(ct));
    if (rc)
        return rc;
    ut_wipe(s->es, sizeof(s->es));
    s->state = SC_SCKA_CT2_SAMPLED;
    s->enc_idx = 0;
    return 0;
}

int sc_scka_send(sc_scka *s, sc_scka_msg *m, sc_scka_secret *out)
{
    uint8_t ek[SC_MLKEM768_EK], ss[32];
    int rc = 0;

    memset(m, 0, sizeof(*m));
    memset(out, 0, sizeof(*out));
    m->epoch = s->epoch;
    switch (s->state) {
    case SC_SCKA_KEYS_UNSAMPLED: /* send_ek::KeysUnsampled::send_hdr_chunk */
        if ((rc = sc_mlkem768_keypair(ek, s->dk)))
            break;
        sc_mlkem768_split(s->hdrmac, s->ek, ek);
        if ((rc = sc_scka_mac(s->hdrmac + SC_MLKEM768_HDR, s, 0, s->epoch, s->hdrmac,
                              SC_MLKEM768_HDR)))
            break;
        s->state = SC_SCKA_KEYS_SAMPLED;
        s->enc_idx = 0;
        /* fall through */
    case SC_SCKA_KEYS_SAMPLED:
        next_chunk(s, m, SC_SCKA_MSG_HDR, s->hdrmac, SC_SCKA_HDRMAC);
        break;
    case SC_SCKA_HEADER_SENT:
        next_chunk(s, m, SC_SCKA_MSG_EK, s->ek, SC_MLKEM768_EK_T);
        break;
    case SC_SCKA_CT1_RECEIVED:
        next_chunk(s, m, SC_SCKA_MSG_EK_CT1_ACK, s->ek, SC_MLKEM768_EK_T);
        break;
    case SC_SCKA_EK_SENT_CT1_RECEIVED:
        m->type = SC_SCKA_MSG_CT1_ACK;
        break;
    case SC_SCKA_NO_HEADER_RECEIVED:
    case SC_SCKA_CT1_ACKNOWLEDGED:
        m->type = SC_SCKA_MSG_NONE;
        break;
    case SC_SCKA_HEADER_RECEIVED: /* send_ct::HeaderReceived::send_ct1_chunk */
        if ((rc = sc_mlkem768_encaps1(s->ct1, s->es, ss, s->hdrmac)) ||
            (rc = sc_scka_epoch_secret(out->key, ss, s->epoch)) ||
            (rc = sc_scka_auth_update(s, s->epoch, out->key)))
            break;
        out->has = 1;
        out->epoch = s->epoch;
        s->state = SC_SCKA_CT1_SAMPLED;
        s->enc_idx = 0;
        /* fall through */
    case SC_SCKA_CT1_SAMPLED:
    case SC_SCKA_EK_RECEIVED_CT1_SAMPLED:
        next_chunk(s, m, SC_SCKA_MSG_CT1, s->ct1, SC_MLKEM768_CT1);
        break;
    case SC_SCKA_CT2_SAMPLED:
        next_chunk(s, m, SC_SCKA_MSG_CT2, s->ct2mac, SC_SCKA_CT2MAC);
        break;
    default:
        rc = SC_ERR_SPQR;
    }
    ut_wipe(ek, sizeof(ek));
    ut_wipe(ss, sizeof(ss));
    if (rc)
        memset(out, 0, sizeof(*out));
    return rc;
}

/* send_ek: decapsulate ct1 ‖ ct2, derive and authenticate the epoch secret
 * (unchunked send_ek.rs EkSentCt1Received::recv_ct2). */
static int recv_ct2(sc_scka *s, sc_scka_secret *out)
{
    uint8_t ct[SC_MLKEM768_CT], ss[32], mac[32];
    int rc;

    memcpy(ct, s->ct1, SC_MLKEM768_CT1);
    memcpy(ct + SC_MLKEM768_CT1, s->ct2mac, SC_MLKEM768_CT2);
    if ((rc = sc_mlkem768_decaps(ss, ct, s->dk)) ||
        (rc = sc_scka_epoch_secret(out->key, ss, s->epoch)) ||
        (rc = sc_scka_auth_update(s, s->epoch, out->key)) ||
        (rc = sc_scka_mac(mac, s, 1, s->epoch, ct, sizeof(ct))))
        goto out;
    if (!ut_ct_eq(mac, s->ct2mac + SC_MLKEM768_CT2, 32)) {
        rc = SC_ERR_SPQR; /* authenticator: InvalidCtMac */
        goto out;
    }
    out->has = 1;
    out->epoch = s->epoch;
    ut_wipe(s->dk, sizeof(s->dk));
    s->epoch++;
    s->state = SC_SCKA_NO_HEADER_RECEIVED;
    sc_spqr_decoder_init(&s->dec, SC_SCKA_HDRMAC);
out:
    ut_wipe(ss, sizeof(ss));
    if (rc)
        memset(out, 0, sizeof(*out));
    return rc;
}

int sc_scka_recv(sc_scka *s, const sc_scka_msg *m, sc_scka_secret *out)
{
    uint8_t buf[SC_MLKEM768_EK_T], mac[32];
    int ack;

    memset(out, 0, sizeof(*out));
    if (s->state == SC_SCKA_CT2_SAMPLED) {
        if (m->epoch > s->epoch + 1)
            return SC_ERR_SPQR;   /* EpochOutOfRange */
        if (m->epoch == s->epoch + 1) {
            /* the peer decapsulated: our turn to send a key (recv_next_epoch) */
            s->epoch++;
            s->state = SC_SCKA_KEYS_UNSAMPLED;
            memset(&s->dec, 0, sizeof(s->dec));
        }
        return 0;
    }
    if (m->epoch > s->epoch)
        return SC_ERR_SPQR;       /* EpochOutOfRange */
    if (m->epoch < s->epoch)
        return 0;                 /* an older epoch's payload: ignored */
    switch (s->state) {
    case SC_SCKA_KEYS_SAMPLED:
        if (m->type == SC_SCKA_MSG_CT1) {
            sc_spqr_decoder_init(&s->dec, SC_MLKEM768_CT1);
            sc_spqr_decoder_add(&s->dec, m->chunk_idx, m->chunk);
            s->state = SC_SCKA_HEADER_SENT;
            s->enc_idx = 0;       /* a new encoder, for t̂ */
        }
        break;
    case SC_SCKA_HEADER_SENT:
        if (m->type == SC_SCKA_MSG_CT1) {
            sc_spqr_decoder_add(&s->dec, m->chunk_idx, m->chunk);
            if (sc_spqr_decoder_done(&s->dec, s->ct1))
                s->state = SC_SCKA_CT1_RECEIVED; /* t̂'s encoder goes on */
        }
        break;
    case SC_SCKA_CT1_RECEIVED:
        if (m->type == SC_SCKA_MSG_CT2) {
            sc_spqr_decoder_init(&s->dec, SC_SCKA_CT2MAC);
            sc_spqr_decoder_add(&s->dec, m->chunk_idx, m->chunk);
            s->state = SC_SCKA_EK_SENT_CT1_RECEIVED;
        }
        break;
    case SC_SCKA_EK_SENT_CT1_RECEIVED:
        if (m->type == SC_SCKA_MSG_CT2) {
            sc_spqr_decoder_add(&s->dec, m->chunk_idx, m->chunk);
            if (sc_spqr_decoder_done(&s->dec, s->ct2mac))
                return recv_ct2(s, out);
        }
        break;
    case SC_SCKA_NO_HEADER_RECEIVED:
        if (m->type == SC_SCKA_MSG_HDR) {
            sc_spqr_decoder_add(&s->dec, m->chunk_idx, m->chunk);
            if (sc_spqr_decoder_done(&s->dec, s->hdrmac)) {
                if (sc_scka_mac(mac, s, 0, s->epoch, s->hdrmac, SC_MLKEM768_HDR))
                    return SC_ERR_CRYPTO;
                if (!ut_ct_eq(mac, s->hdrmac + SC_MLKEM768_HDR, 32))
                    return SC_ERR_SPQR; /* InvalidHdrMac */
                s->state = SC_SCKA_HEADER_RECEIVED;
                sc_spqr_decoder_init(&s->dec, SC_MLKEM768_EK_T);
            }
        }
        break;
    case SC_SCKA_CT1_SAMPLED:
    case SC_SCKA_CT1_ACKNOWLEDGED:
        if (m->type != SC_SCKA_MSG_EK && m->type != SC_SCKA_MSG_EK_CT1_ACK)
            break;
        ack = m->type == SC_SCKA_MSG_EK_CT1_ACK || s->state == SC_SCKA_CT1_ACKNOWLEDGED;
        sc_spqr_decoder_add(&s->dec, m->chunk_idx, m->chunk);
        if (sc_spqr_decoder_done(&s->dec, buf)) {
            if (!sc_mlkem768_hdr_matches(s->hdrmac, buf))
                return SC_ERR_SPQR; /* ErroneousDataReceived */
            memcpy(s->ek, buf, sizeof(buf));
            if (ack)
                return send_ct2(s);
            s->state = SC_SCKA_EK_RECEIVED_CT1_SAMPLED; /* ct1's encoder goes on */
        } else if (ack) {
            s->state = SC_SCKA_CT1_ACKNOWLEDGED;
        }
        break;
    case SC_SCKA_EK_RECEIVED_CT1_SAMPLED:
        if (m->type == SC_SCKA_MSG_CT1_ACK || m->type == SC_SCKA_MSG_EK_CT1_ACK)
            return send_ct2(s);
        break;
    case SC_SCKA_KEYS_UNSAMPLED:
    case SC_SCKA_HEADER_RECEIVED:
        break;
    default:
        return SC_ERR_SPQR;
    }
    return 0;
}

/* ---- wire form ------------------------------------------------------------ */

size_t sc_scka_msg_encode(uint8_t out[64], const sc_scka_msg *m, uint32_t index)
{
    size_t n = 0;

    out[n++] = 0x01;
    n += sc_varint_put(out + n, m->epoch);
    n += sc_varint_put(out + n, index);
    out[n++] = m->type;
    if (m->type != SC_SCKA_MSG_NONE && m->type != SC_SCKA_MSG_CT1_ACK) {
        n += sc_varint_put(out + n, m->chunk_idx);
        memcpy(out + n, m->chunk, SC_SPQR_CHUNK);
        n += SC_SPQR_CHUNK;
    }
    return n;
}

int sc_scka_msg_decode(sc_scka_msg *m, uint32_t *index, const uint8_t *in, size_t n)
{
    uint64_t v;
    size_t off = 1, k;

    memset(m, 0, sizeof(*m));
    if (!in || n < 1 || in[0] != 0x01)
        return SC_ERR_SPQR;
    if (!(k = sc_varint_get(&m->epoch, in + off, n - off)) || !m->epoch)
        return SC_ERR_SPQR;
    off += k;
    if (!(k = sc_varint_get(&v, in + off, n - off)) || v > UINT32_MAX)
        return SC_ERR_SPQR;
    off += k;
    *index = (uint32_t)v;
    if (off >= n || in[off] > SC_SCKA_MSG_CT2)
        return SC_ERR_SPQR;
    m->type = in[off++];
    if (m->type != SC_SCKA_MSG_NONE && m->type != SC_SCKA_MSG_CT1_ACK) {
        if (!(k = sc_varint_get(&v, in + off, n - off)) || v > 65535 ||
            n - off - k < SC_SPQR_CHUNK)
            return SC_ERR_SPQR;
        off += k;
        m->chunk_idx = (uint16_t)v;
        memcpy(m->chunk, in + off, SC_SPQR_CHUNK);
    }
    return 0;
}

/* ---- storage form ------------------------------------------------------------ */

static uint8_t *put(uint8_t *o, const void *p, size_t n)
{
    memcpy(o, p, n);
    return o + n;
}

static uint8_t *put_be(uint8_t *o, uint64_t v, unsigned n)
{
    unsigned i;

    for (i = n; i-- > 0; v >>= 8)
        o[i] = (uint8_t)v;
    return o + n;
}

static uint64_t get_be(const uint8_t **in, unsigned n)
{
    uint64_t v = 0;
    unsigned i;

    for (i = 0; i < n; i++)
        v = v << 8 | (*in)[i];
    *in += n;
    return v;
}

static void get(void *p, const uint8_t **in, size_t n)
{
    memcpy(p, *in, n);
    *in += n;
}

/* The buffers each state still reads (see the transitions above). */
enum { F_HDR = 1, F_EK = 2, F_DK = 4, F_CT1 = 8, F_CT2 = 16, F_ES = 32 };

static unsigned fields(uint32_t state)
{
    static const unsigned f[] = {
        [SC_SCKA_KEYS_UNSAMPLED] = 0,
        [SC_SCKA_KEYS_SAMPLED] = F_HDR | F_EK | F_DK,
        [SC_SCKA_HEADER_SENT] = F_HDR | F_EK | F_DK,
        [SC_SCKA_CT1_RECEIVED] = F_EK | F_DK | F_CT1,
        [SC_SCKA_EK_SENT_CT1_RECEIVED] = F_DK | F_CT1,
        [SC_SCKA_NO_HEADER_RECEIVED] = 0,
        [SC_SCKA_HEADER_RECEIVED] = F_HDR,
        [SC_SCKA_CT1_SAMPLED] = F_HDR | F_CT1 | F_ES,
        [SC_SCKA_EK_RECEIVED_CT1_SAMPLED] = F_EK | F_CT1 | F_ES,
        [SC_SCKA_CT1_ACKNOWLEDGED] = F_HDR | F_CT1 | F_ES,
        [SC_SCKA_CT2_SAMPLED] = F_CT2,
    };

    return state <= SC_SCKA_CT2_SAMPLED ? f[state] : 0;
}

static size_t fields_len(unsigned f)
{
    return (f & F_HDR ? SC_SCKA_HDRMAC : 0) + (f & F_EK ? SC_MLKEM768_EK_T : 0) +
           (f & F_DK ? SC_MLKEM768_DK : 0) + (f & F_CT1 ? SC_MLKEM768_CT1 : 0) +
           (f & F_CT2 ? SC_SCKA_CT2MAC : 0) + (f & F_ES ? SC_MLKEM768_ES : 0);
}

#define SER_HEAD (1 + 4 + 8 + 64 + 4 + 2 + 2)

size_t sc_scka_serialize(uint8_t out[SC_SCKA_SER_MAX], const sc_scka *s)
{
    unsigned f = fields(s->state), i;
    uint8_t *o = out;

    *o++ = 1;
    o = put_be(o, s->state, 4);
    o = put_be(o, s->epoch, 8);
    o = put(o, s->auth_root, 32);
    o = put(o, s->auth_mac, 32);
    o = put_be(o, s->enc_idx, 4);
    o = put_be(o, s->dec.k, 2);
    o = put_be(o, s->dec.count, 2);
    for (i = 0; i < s->dec.count; i++) {
        o = put_be(o, s->dec.idx[i], 2);
        o = put(o, s->dec.data[i], SC_SPQR_CHUNK);
    }
    if (f & F_HDR)
        o = put(o, s->hdrmac, sizeof(s->hdrmac));
    if (f & F_EK)
        o = put(o, s->ek, sizeof(s->ek));
    if (f & F_DK)
        o = put(o, s->dk, sizeof(s->dk));
    if (f & F_CT1)
        o = put(o, s->ct1, sizeof(s->ct1));
    if (f & F_CT2)
        o = put(o, s->ct2mac, sizeof(s->ct2mac));
    if (f & F_ES)
        o = put(o, s->es, sizeof(s->es));
    return (size_t)(o - out);
}

int sc_scka_deserialize(sc_scka *s, const uint8_t *in, size_t n)
{
    const uint8_t *p = in + 1;
    unsigned f, i;

    memset(s, 0, sizeof(*s));
    if (!in || n < SER_HEAD || in[0] != 1)
        return SC_ERR_RECORD;
    s->state = (uint32_t)get_be(&p, 4);
    s->epoch = get_be(&p, 8);
    get(s->auth_root, &p, 32);
    get(s->auth_mac, &p, 32);
    s->enc_idx = (uint32_t)get_be(&p, 4);
    s->dec.k = (uint16_t)get_be(&p, 2);
    s->dec.count = (uint16_t)get_be(&p, 2);
    f = fields(s->state);
    if (s->state > SC_SCKA_CT2_SAMPLED || !s->epoch ||
        s->dec.k > SC_SPQR_CODE_MAXK || s->dec.count > 2 * s->dec.k ||
        n != SER_HEAD + (size_t)s->dec.count * 34 + fields_len(f))
        goto bad;
    for (i = 0; i < s->dec.count; i++) {
        s->dec.idx[i] = (uint16_t)get_be(&p, 2);
        get(s->dec.data[i], &p, SC_SPQR_CHUNK);
        if (i && s->dec.idx[i] <= s->dec.idx[i - 1])
            goto bad; /* the decoder keeps them sorted and distinct */
    }
    if (f & F_HDR)
        get(s->hdrmac, &p, sizeof(s->hdrmac));
    if (f & F_EK)
        get(s->ek, &p, sizeof(s->ek));
    if (f & F_DK)
        get(s->dk, &p, sizeof(s->dk));
    if (f & F_CT1)
        get(s->ct1, &p, sizeof(s->ct1));
    if (f & F_CT2)
        get(s->ct2mac, &p, sizeof(s->ct2mac));
    if (f & F_ES)
        get(s->es, &p, sizeof(s->es));
    return 0;
bad:
    sc_scka_wipe(s);
    return SC_ERR_RECORD;
}
