/* bench/crypto_sealed.c - sealed sender and sender-key rows of bench/crypto.
 * The messages are made here: v1 by sc_sealed_encrypt_v1, v2 from the
 * published algorithm (signal-crypto.md §4.3), with a ~100-byte content and
 * a real certificate chain, so the work matches libsignal's rows in
 * bench/crypto-node-sealed.js (decrypt to the USMC, no trust check). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "module/signal/crypto/sc_sealed.pb-c.h"
#include "sc_prim.h"
#include "sc_sealed.h"
#include "sc_senderkey.h"
#include "ut.h"

typedef struct {
    uint8_t pub[32], priv[32];
    uint8_t *msg;
    size_t n;
    sc_sk_record *rx, *tx;
} sealed_state;

static void wire(uint8_t out[33], const uint8_t k[32])
{
    out[0] = 5;
    memcpy(out + 1, k, 32);
}

/* a sender certificate with an embedded server certificate */
static int make_cert(uint8_t *out, size_t *len, const uint8_t sender_pub[32])
{
    ScSs__ServerCertificateData sd = SC_SS__SERVER_CERTIFICATE_DATA__INIT;
    ScSs__ServerCertificate sc = SC_SS__SERVER_CERTIFICATE__INIT;
    ScSs__SenderCertificateData cd = SC_SS__SENDER_CERTIFICATE_DATA__INIT;
    ScSs__SenderCertificate c = SC_SS__SENDER_CERTIFICATE__INIT;
    uint8_t root[32], rootp[32], srv[32], srvp[32], kw[33], sw[33];
    uint8_t sdata[64], ssig[64], sbytes[160], cdata[400], csig[64];
    static const char uuid[] = "9d0652a3-dcc3-4d11-975f-74d61598733f";
    int rc;

    if ((rc = sc_x25519_keypair(root, rootp)) || (rc = sc_x25519_keypair(srv, srvp)))
        return rc;
    wire(sw, srv);
    sd.has_id = sd.has_key = 1;
    sd.id = 1;
    sd.key.data = sw;
    sd.key.len = 33;
    sc.certificate.len = sc_ss__server_certificate_data__pack(&sd, sdata);
    sc.certificate.data = sdata;
    if ((rc = sc_xeddsa_sign(ssig, rootp, sdata, sc.certificate.len)))
        return rc;
    sc.has_certificate = sc.has_signature = 1;
    sc.signature.data = ssig;
    sc.signature.len = 64;
    wire(kw, sender_pub);
    cd.has_uuid_string = 1;
    cd.uuid_string.data = (uint8_t *)uuid;
    cd.uuid_string.len = strlen(uuid);
    cd.has_sender_device = cd.has_expires = cd.has_identity_key = cd.has_certificate = 1;
    cd.sender_device = 1;
    cd.expires = 1ull << 52;
    cd.identity_key.data = kw;
    cd.identity_key.len = 33;
    cd.certificate.data = sbytes;
    cd.certificate.len = sc_ss__server_certificate__pack(&sc, sbytes);
    c.certificate.len = sc_ss__sender_certificate_data__pack(&cd, cdata);
    c.certificate.data = cdata;
    if ((rc = sc_xeddsa_sign(csig, srvp, cdata, c.certificate.len)))
        return rc;
    c.has_certificate = c.has_signature = 1;
    c.signature.data = csig;
    c.signature.len = 64;
    *len = sc_ss__sender_certificate__pack(&c, out);
    ut_wipe(rootp, 32);
    ut_wipe(srvp, 32);
    return 0;
}

static void sealed_teardown(void *p)
{
    sealed_state *s = p;

    if (s == NULL)
        return;
    free(s->msg);
    sc_sk_record_free(s->rx);
    sc_sk_record_free(s->tx);
    ut_free_secret(s, sizeof(*s));
}

/* state with a v1 (v2 == 0) or v2 message sealed to s->pub */
static void *setup_common(int *err, int v2)
{
    sealed_state *s = calloc(1, sizeof(*s));
    uint8_t spub[32], spriv[32], cert[768], content[100];
    size_t cert_len;
    sc_usmc *u = NULL;

    if (!s) {
        *err = UT_ERR_NOMEM;
        return NULL;
    }
    memset(content, 0x61, sizeof(content));
    if ((*err = sc_x25519_keypair(s->pub, s->priv)) || (*err = sc_x25519_keypair(spub, spriv)) ||
        (*err = make_cert(cert, &cert_len, spub)) ||
        (*err = sc_usmc_new(&u, SC_USMC_MESSAGE, cert, cert_len, content, sizeof(content), 0, NULL, 0)))
        goto fail;
    if (!v2) {
        *err = sc_sealed_encrypt_v1(&s->msg, &s->n, u, spub, spriv, s->pub);
    } else {
        uint8_t m[32], r[32], e[32], k[32], agree[32], ikm[163], x[32], nonce[12] = {0};
        const uint8_t *p;
        size_t n, i;
        p = sc_usmc_bytes(u, &n);
        s->msg = malloc(81 + n + 16);
        if (!s->msg) {
            *err = UT_ERR_NOMEM;
            goto fail;
        }
        if ((*err = ut_random(m, 32)) ||
            (*err = sc_hkdf_sha256(r, 32, NULL, 0, m, 32, "Sealed Sender v2: r (2023-08)", 29)) ||
            (*err = sc_x25519_public(e, r)) ||
            (*err = sc_hkdf_sha256(k, 32, NULL, 0, m, 32, "Sealed Sender v2: K", 19)) ||
            (*err = sc_x25519(agree, r, s->pub)))
            goto fail;
        memcpy(ikm, agree, 32);
        wire(ikm + 32, e);
        wire(ikm + 65, s->pub);
        if ((*err = sc_hkdf_sha256(x, 32, NULL, 0, ikm, 98, "Sealed Sender v2: DH", 20)))
            goto fail;
        s->msg[0] = 0x22;
        for (i = 0; i < 32; i++)
            s->msg[1 + i] = m[i] ^ x[i];
        if ((*err = sc_x25519(agree, spriv, s->pub)))
            goto fail;
        memcpy(ikm, agree, 32);
        wire(ikm + 32, e);
        memcpy(ikm + 65, s->msg + 1, 32);
        wire(ikm + 97, spub);
        wire(ikm + 130, s->pub);
        if ((*err = sc_hkdf_sha256(s->msg + 33, 16, NULL, 0, ikm, 163, "Sealed Sender v2: DH-sender", 27)))
            goto fail;
        memcpy(s->msg + 49, e, 32);
        if ((*err = sc_aes256_gcm_siv_encrypt(s->msg + 81, k, nonce, NULL, 0, p, n)))
            goto fail;
        s->n = 81 + n + 16;
    }
    if (*err)
        goto fail;
    sc_usmc_free(u);
    ut_wipe(spriv, 32);
    return s;
fail:
    sc_usmc_free(u);
    ut_wipe(spriv, 32);
    sealed_teardown(s);
    return NULL;
}

static void *setup_v1(int *err) { return setup_common(err, 0); }
static void *setup_v2(int *err) { return setup_common(err, 1); }

static int run_decrypt(void *p)
{
    sealed_state *s = p;
    sc_usmc *u;
    int rc = sc_sealed_decrypt_to_usmc(&u, s->msg, s->n, s->pub, s->priv);

    sc_usmc_free(u);
    return rc;
}

/* sender keys: encrypt + decrypt of 100 B (one signature, one verify) */
static void *setup_sk(int *err)
{
    sealed_state *s = calloc(1, sizeof(*s));
    static const uint8_t dist[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    uint8_t *skdm = NULL;
    size_t n = 0;

    if (!s) {
        *err = UT_ERR_NOMEM;
        return NULL;
    }
    if ((*err = sc_sk_record_new(&s->tx, dist)) || (*err = sc_sk_record_new(&s->rx, dist)) ||
        (*err = sc_sk_create(s->tx, &skdm, &n)) || (*err = sc_sk_process(s->rx, skdm, n))) {
        ut_free_secret(skdm, n);
        sealed_teardown(s);
        return NULL;
    }
    ut_free_secret(skdm, n);
    return s;
}

static int run_sk(void *p)
{
    sealed_state *s = p;
    uint8_t pt[100], *ct, *out;
    size_t n, m;
    int rc;

    memset(pt, 0x62, sizeof(pt));
    if ((rc = sc_sk_encrypt(s->tx, pt, sizeof(pt), &ct, &n)))
        return rc;
    rc = sc_sk_decrypt(s->rx, ct, n, &out, &m);
    free(ct);
    if (rc == 0)
        ut_free_secret(out, m);
    return rc;
}

/* multi-recipient: one ~100-byte USMC sealed for 50 recipients (one
 * device each), what a message to a 50-member group costs to seal */
#define MULTI_N 50
typedef struct {
    uint8_t spub[32], spriv[32];
    uint8_t sid[MULTI_N][17], ik[MULTI_N][32];
    uint32_t dev[MULTI_N];
    uint16_t reg[MULTI_N];
    sc_mr_recipient r[MULTI_N];
    sc_usmc *u;
} multi_state;

static void multi_teardown(void *p)
{
    multi_state *s = p;

    if (s == NULL)
        return;
    sc_usmc_free(s->u);
    ut_free_secret(s, sizeof(*s));
}

static void *setup_multi(int *err)
{
    multi_state *s = calloc(1, sizeof(*s));
    uint8_t cert[768], content[100], priv[32];
    size_t cert_len, i;

    if (!s) {
        *err = UT_ERR_NOMEM;
        return NULL;
    }
    memset(content, 0x61, sizeof(content));
    if ((*err = sc_x25519_keypair(s->spub, s->spriv)) || (*err = make_cert(cert, &cert_len, s->spub)) ||
        (*err = sc_usmc_new(&s->u, SC_USMC_SENDERKEY, cert, cert_len, content, sizeof(content), 1,
                            NULL, 0))) {
        multi_teardown(s);
        return NULL;
    }
    for (i = 0; i < MULTI_N; i++) {
        if ((*err = sc_x25519_keypair(s->ik[i], priv)) || (*err = ut_random(s->sid[i] + 1, 16))) {
            multi_teardown(s);
            return NULL;
        }
        s->sid[i][0] = 0;
        s->dev[i] = 1;
        s->reg[i] = (uint16_t)(1 + i);
        s->r[i] = (sc_mr_recipient){s->sid[i], s->ik[i], &s->dev[i], &s->reg[i], 1};
    }
    ut_wipe(priv, sizeof(priv));
    return s;
}

static int run_multi(void *p)
{
    multi_state *s = p;
    uint8_t *out;
    size_t n;
    int rc = sc_sealed_encrypt_multi(&out, &n, s->u, s->spub, s->spriv, s->r, MULTI_N);

    free(out);
    return rc;
}

const bench_op bench_sealed_ops[] = {
    {"sealed.v2.multi50.encrypt", setup_multi, run_multi, multi_teardown},
    {"sealed.v1.decrypt", setup_v1, run_decrypt, sealed_teardown},
    {"sealed.v2.decrypt", setup_v2, run_decrypt, sealed_teardown},
    {"senderkey.100B", setup_sk, run_sk, sealed_teardown},
    {NULL, NULL, NULL, NULL},
};
