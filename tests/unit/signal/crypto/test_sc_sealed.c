/* test_sc_sealed.c - certificates and sealed sender v1/v2 in C. The
 * libsignal side is checked by tests/interop/sealed-interop.js; here the
 * failure paths are driven one by one with certificates built by hand. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "module/signal/crypto/sc_sealed.pb-c.h"
#include "sc_cert.h"
#include "sc_prim.h"
#include "sc_sealed.h"

#define UUID_A "9d0652a3-dcc3-4d11-975f-74d61598733f"
#define UUID_B "5f2b8d5e-0c5c-4a8f-8d57-0c0e5d3ad1a1"

typedef struct kp {
    uint8_t pub[32], priv[32];
} kp;

static kp fresh(void)
{
    kp k;
    ck_assert_int_eq(sc_x25519_keypair(k.pub, k.priv), 0);
    return k;
}

static void wire(uint8_t out[33], const uint8_t k[32])
{
    out[0] = 5;
    memcpy(out + 1, k, 32);
}

/* serialized ServerCertificate {id, key} signed by root */
static size_t make_server(uint8_t *out, uint32_t id, const uint8_t key[32],
                          const uint8_t root_priv[32])
{
    ScSs__ServerCertificateData d = SC_SS__SERVER_CERTIFICATE_DATA__INIT;
    ScSs__ServerCertificate s = SC_SS__SERVER_CERTIFICATE__INIT;
    uint8_t kw[33], data[64], sig[64];

    wire(kw, key);
    d.has_id = 1;
    d.id = id;
    d.has_key = 1;
    d.key.data = kw;
    d.key.len = 33;
    s.certificate.len = sc_ss__server_certificate_data__pack(&d, data);
    s.certificate.data = data;
    ck_assert_int_eq(sc_xeddsa_sign(sig, root_priv, data, s.certificate.len), 0);
    s.has_certificate = s.has_signature = 1;
    s.signature.data = sig;
    s.signature.len = 64;
    return sc_ss__server_certificate__pack(&s, out);
}

typedef struct cert_opts {
    const char *uuid;
    const uint8_t *uuid_bytes; /* 16, instead of uuid */
    const char *e164;
    uint32_t device;
    uint64_t expires;
    const uint8_t *identity;   /* 32 */
    const uint8_t *server;     /* embedded, or NULL */
    size_t server_len;
    uint32_t ref_id;           /* when server == NULL */
    const uint8_t *signer_priv;
} cert_opts;

static size_t make_sender(uint8_t *out, const cert_opts *o)
{
    ScSs__SenderCertificateData d = SC_SS__SENDER_CERTIFICATE_DATA__INIT;
    ScSs__SenderCertificate s = SC_SS__SENDER_CERTIFICATE__INIT;
    uint8_t kw[33], data[512], sig[64];

    wire(kw, o->identity);
    if (o->uuid_bytes) {
        d.has_uuid_bytes = 1;
        d.uuid_bytes.data = (uint8_t *)o->uuid_bytes;
        d.uuid_bytes.len = 16;
    } else {
        d.has_uuid_string = 1;
        d.uuid_string.data = (uint8_t *)o->uuid;
        d.uuid_string.len = strlen(o->uuid);
    }
    if (o->e164) {
        d.has_sender_e164 = 1;
        d.sender_e164.data = (uint8_t *)o->e164;
        d.sender_e164.len = strlen(o->e164);
    }
    d.has_sender_device = 1;
    d.sender_device = o->device;
    d.has_expires = 1;
    d.expires = o->expires;
    d.has_identity_key = 1;
    d.identity_key.data = kw;
    d.identity_key.len = 33;
    if (o->server) {
        d.has_certificate = 1;
        d.certificate.data = (uint8_t *)o->server;
        d.certificate.len = o->server_len;
    } else {
        d.has_id = 1;
        d.id = o->ref_id;
    }
    ck_assert_uint_le(sc_ss__sender_certificate_data__get_packed_size(&d), sizeof(data));
    s.certificate.len = sc_ss__sender_certificate_data__pack(&d, data);
    s.certificate.data = data;
    ck_assert_int_eq(sc_xeddsa_sign(sig, o->signer_priv, data, s.certificate.len), 0);
    s.has_certificate = s.has_signature = 1;
    s.signature.data = sig;
    s.signature.len = 64;
    return sc_ss__sender_certificate__pack(&s, out);
}

/* A world: trust root, server key + cert, sender identity, recipient. */
typedef struct world {
    kp root, server, sender, rcpt;
    uint8_t scert[256];
    size_t scert_len;
    uint8_t cert[768];
    size_t cert_len;
    sc_trust *trust;
} world;

static void world_init(world *w, uint64_t expires)
{
    cert_opts o = {0};

    w->root = fresh();
    w->server = fresh();
    w->sender = fresh();
    w->rcpt = fresh();
    w->scert_len = make_server(w->scert, 1, w->server.pub, w->root.priv);
    o.uuid = UUID_A;
    o.device = 2;
    o.expires = expires;
    o.identity = w->sender.pub;
    o.server = w->scert;
    o.server_len = w->scert_len;
    o.signer_priv = w->server.priv;
    w->cert_len = make_sender(w->cert, &o);
    ck_assert_int_eq(sc_trust_new(&w->trust), 0);
    ck_assert_int_eq(sc_trust_add_root(w->trust, w->root.pub, 32), 0);
}

static int validate(const uint8_t *cert, size_t n, const sc_trust *t, int64_t now)
{
    sc_sender_cert *c;
    int rc = sc_sender_cert_parse(&c, cert, n);

    if (rc != 0)
        return rc;
    rc = sc_sender_cert_validate(c, t, now);
    sc_sender_cert_free(c);
    return rc;
}

START_TEST(cert_embedded_chain)
{
    world w;
    sc_sender_cert *c;
    size_t n;

    world_init(&w, 5000);
    ck_assert_int_eq(sc_sender_cert_parse(&c, w.cert, w.cert_len), 0);
    ck_assert_str_eq(sc_sender_cert_uuid(c), UUID_A);
    ck_assert_ptr_null(sc_sender_cert_e164(c));
    ck_assert_uint_eq(sc_sender_cert_device(c), 2);
    ck_assert_uint_eq(sc_sender_cert_expires(c), 5000);
    ck_assert_uint_eq(sc_sender_cert_signer_id(c), 1);
    ck_assert_int_eq(sc_sender_cert_signer_embedded(c), 1);
    ck_assert_mem_eq(sc_sender_cert_identity_key(c), w.sender.pub, 32);
    ck_assert_ptr_eq(sc_sender_cert_bytes(c, &n), sc_sender_cert_bytes(c, &n));
    ck_assert_uint_eq(n, w.cert_len);
    ck_assert_int_eq(sc_sender_cert_validate(c, w.trust, 5000), 0);
    ck_assert_int_eq(sc_sender_cert_validate(c, w.trust, 5001), SC_ERR_CERT_EXPIRED);
    sc_sender_cert_free(c);
    sc_trust_free(w.trust);
}
END_TEST

START_TEST(cert_trust_roots)
{
    world w;
    sc_trust *t;
    kp other = fresh();

    world_init(&w, 5000);
    /* only a foreign root: not trusted */
    ck_assert_int_eq(sc_trust_new(&t), 0);
    ck_assert_int_eq(sc_trust_add_root(t, other.pub, 32), 0);
    ck_assert_int_eq(validate(w.cert, w.cert_len, t, 1), SC_ERR_CERT_TRUST);
    /* no root at all */
    sc_trust_free(t);
    ck_assert_int_eq(sc_trust_new(&t), 0);
    ck_assert_int_eq(validate(w.cert, w.cert_len, t, 1), SC_ERR_CERT_TRUST);
    /* the right one second, in wire form */
    uint8_t rw[33];
    wire(rw, w.root.pub);
    ck_assert_int_eq(sc_trust_add_root(t, other.pub, 32), 0);
    ck_assert_int_eq(sc_trust_add_root(t, rw, 33), 0);
    ck_assert_int_eq(validate(w.cert, w.cert_len, t, 1), 0);
    rw[0] = 6;
    ck_assert_int_eq(sc_trust_add_root(t, rw, 33), SC_ERR_KEY);
    sc_trust_free(t);
    sc_trust_free(w.trust);
}
END_TEST

START_TEST(cert_bad_server_signature_and_revoked)
{
    world w;
    cert_opts o = {0};
    kp impostor = fresh();
    uint8_t cert[768], scert[256];
    size_t n, sn;

    world_init(&w, 5000);
    o.uuid = UUID_A;
    o.device = 2;
    o.expires = 5000;
    o.identity = w.sender.pub;
    o.server = w.scert;
    o.server_len = w.scert_len;
    o.signer_priv = impostor.priv; /* not the server key */
    n = make_sender(cert, &o);
    ck_assert_int_eq(validate(cert, n, w.trust, 1), SC_ERR_CERT_SIGNATURE);
    /* a correctly signed server certificate with the revoked id */
    sn = make_server(scert, SC_CERT_REVOKED_ID, w.server.pub, w.root.priv);
    o.server = scert;
    o.server_len = sn;
    o.signer_priv = w.server.priv;
    n = make_sender(cert, &o);
    ck_assert_int_eq(validate(cert, n, w.trust, 1), SC_ERR_CERT_REVOKED);
    /* the same with an ordinary id passes, so only the id made it fail */
    sn = make_server(scert, 7, w.server.pub, w.root.priv);
    o.server_len = sn;
    n = make_sender(cert, &o);
    ck_assert_int_eq(validate(cert, n, w.trust, 1), 0);
    /* a flipped bit in the signed server certificate data */
    scert[12] ^= 1; /* inside the server key */
    n = make_sender(cert, &o);
    ck_assert_int_eq(validate(cert, n, w.trust, 1), SC_ERR_CERT_TRUST);
    sc_trust_free(w.trust);
}
END_TEST

static size_t unb64(uint8_t *out, const char *s)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint32_t acc = 0;
    int bits = 0;
    size_t n = 0;

    for (; *s && *s != '='; s++) {
        acc = acc << 6 | (uint32_t)(strchr(tbl, *s) - tbl);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    return n;
}

START_TEST(cert_reference_signers)
{
    uint8_t zero[32] = {0}, ff[32], root[32], prod[33], cert[768], mock[33];
    kp id = fresh(), fresh_root = fresh(), srv = fresh();
    sc_trust *t;
    cert_opts o = {0};
    size_t n;
    sc_sender_cert *c;

    /* libsignal's test certificate 0x7357C357: root = pub(0^32), server
     * key = 0xFF^32, both documented in sealed_sender.rs */
    memset(ff, 0xff, 32);
    ck_assert_int_eq(sc_x25519_public(root, zero), 0);
    uint8_t doc[33];
    ck_assert_uint_eq(unb64(doc, "BS/lfaNHzWJDFSjarF+7KQcw//aEr8TPwu2QmV9Yyzt0"), 33);
    ck_assert_mem_eq(doc + 1, root, 32);
    o.uuid = UUID_B;
    o.e164 = "+15550001111";
    o.device = 1;
    o.expires = UINT64_MAX >> 1;
    o.identity = id.pub;
    o.ref_id = 0x7357C357;
    o.signer_priv = ff;
    n = make_sender(cert, &o);
    ck_assert_int_eq(sc_trust_new(&t), 0);
    ck_assert_int_eq(sc_trust_add_root(t, root, 32), 0);
    ck_assert_int_eq(sc_sender_cert_parse(&c, cert, n), 0);
    ck_assert_int_eq(sc_sender_cert_signer_embedded(c), 0);
    ck_assert_str_eq(sc_sender_cert_e164(c), "+15550001111");
    ck_assert_int_eq(sc_sender_cert_validate(c, t, 1), 0);
    sc_sender_cert_free(c);
    sc_trust_free(t);

    /* production id 3: its certificate is signed by the production root, so
     * with that root the chain reaches the server signature check... */
    ck_assert_uint_eq(unb64(prod, "BUkY0I+9+oPgDCn4+Ac6Iu813yvqkDr/ga8DzLxFxuk6"), 33);
    ck_assert_uint_eq(unb64(mock, "BZ8zqn+/bbZcpoKqnvkHXvoTI+n9o/Iuc9kpVog2ZEYs"), 33);
    o.ref_id = 3;
    o.signer_priv = id.priv;
    n = make_sender(cert, &o);
    ck_assert_int_eq(sc_trust_new(&t), 0);
    ck_assert_int_eq(sc_trust_add_root(t, prod, 33), 0);
    ck_assert_int_eq(validate(cert, n, t, 1), SC_ERR_CERT_SIGNATURE);
    sc_trust_free(t);
    /* ...while the mock's root did not sign it */
    ck_assert_int_eq(sc_trust_new(&t), 0);
    ck_assert_int_eq(sc_trust_add_root(t, mock, 33), 0);
    ck_assert_int_eq(validate(cert, n, t, 1), SC_ERR_CERT_TRUST);
    /* unknown reference id */
    o.ref_id = 99;
    n = make_sender(cert, &o);
    ck_assert_int_eq(validate(cert, n, t, 1), SC_ERR_CERT_UNKNOWN_SIGNER);
    sc_trust_free(t);
    /* a configured known certificate resolves */
    uint8_t sc[256];
    size_t sn = make_server(sc, 99, srv.pub, fresh_root.priv);
    ck_assert_int_eq(sc_trust_new(&t), 0);
    ck_assert_int_eq(sc_trust_add_known(t, sc, sn), 0);
    ck_assert_int_eq(sc_trust_add_root(t, fresh_root.pub, 32), 0);
    o.signer_priv = srv.priv;
    n = make_sender(cert, &o);
    ck_assert_int_eq(validate(cert, n, t, 1), 0);
    ck_assert_int_eq(sc_trust_add_known(t, sc, sn - 1), SC_ERR_CERT_FORMAT);
    sc_trust_free(t);
}
END_TEST

START_TEST(cert_malformed)
{
    world w;
    cert_opts o = {0};
    uint8_t cert[768], ub[16];
    size_t n, i;
    sc_sender_cert *c;

    world_init(&w, 5000);
    for (i = 0; i < w.cert_len; i++)
        if (sc_sender_cert_parse(&c, w.cert, i) == 0)
            ck_abort_msg("truncated certificate (%zu) parsed", i);
    ck_assert_int_eq(sc_sender_cert_parse(&c, (const uint8_t *)"", 0), SC_ERR_CERT_FORMAT);
    o.uuid = UUID_A;
    o.device = 0; /* DeviceId is 1..127 */
    o.expires = 1;
    o.identity = w.sender.pub;
    o.server = w.scert;
    o.server_len = w.scert_len;
    o.signer_priv = w.server.priv;
    n = make_sender(cert, &o);
    ck_assert_int_eq(sc_sender_cert_parse(&c, cert, n), SC_ERR_CERT_FORMAT);
    o.device = 128;
    n = make_sender(cert, &o);
    ck_assert_int_eq(sc_sender_cert_parse(&c, cert, n), SC_ERR_CERT_FORMAT);
    /* uuid as 16 bytes comes out as lowercase text */
    for (i = 0; i < 16; i++)
        ub[i] = (uint8_t)(0xa0 + i);
    o.device = 127;
    o.uuid_bytes = ub;
    n = make_sender(cert, &o);
    ck_assert_int_eq(sc_sender_cert_parse(&c, cert, n), 0);
    ck_assert_str_eq(sc_sender_cert_uuid(c), "a0a1a2a3-a4a5-a6a7-a8a9-aaabacadaeaf");
    sc_sender_cert_free(c);
    sc_trust_free(w.trust);
}
END_TEST

/* ---- sealed sender ------------------------------------------------------- */

static sc_usmc *usmc_for(const world *w, uint32_t type, const char *content)
{
    sc_usmc *u;
    static const uint8_t gid[4] = {1, 2, 3, 4};

    ck_assert_int_eq(sc_usmc_new(&u, type, w->cert, w->cert_len,
                                 (const uint8_t *)content, strlen(content),
                                 SC_HINT_RESENDABLE, gid, 4), 0);
    return u;
}

START_TEST(usmc_codec)
{
    world w;
    sc_usmc *u, *v;
    const uint8_t *p;
    size_t n, m;

    world_init(&w, 5000);
    u = usmc_for(&w, SC_USMC_SENDERKEY, "inner");
    p = sc_usmc_bytes(u, &n);
    ck_assert_int_eq(sc_usmc_parse(&v, p, n), 0);
    ck_assert_uint_eq(sc_usmc_type(v), SC_USMC_SENDERKEY);
    ck_assert_uint_eq(sc_usmc_content_hint(v), SC_HINT_RESENDABLE);
    ck_assert_mem_eq(sc_usmc_content(v, &m), "inner", 5);
    ck_assert_uint_eq(m, 5);
    ck_assert_mem_eq(sc_usmc_group_id(v, &m), "\1\2\3\4", 4);
    ck_assert_str_eq(sc_sender_cert_uuid(sc_usmc_sender(v)), UUID_A);
    sc_usmc_free(v);
    ck_assert_int_eq(sc_usmc_new(&v, 3, w.cert, w.cert_len, (const uint8_t *)"x", 1, 0, NULL, 0),
                     SC_ERR_USMC_FORMAT);
    ck_assert_int_eq(sc_usmc_parse(&v, p, n / 2), SC_ERR_USMC_FORMAT);
    sc_usmc_free(u);
    sc_trust_free(w.trust);
}
END_TEST

START_TEST(v1_round_trip_and_checks)
{
    world w;
    sc_usmc *u, *got;
    uint8_t *msg;
    size_t n, m;
    sc_sealed_local me;

    world_init(&w, 5000);
    u = usmc_for(&w, SC_USMC_MESSAGE, "hello sealed");
    ck_assert_int_eq(sc_sealed_encrypt_v1(&msg, &n, u, w.sender.pub, w.sender.priv, w.rcpt.pub), 0);
    ck_assert_uint_eq(msg[0], 0x11);
    ck_assert_int_eq(sc_sealed_decrypt_to_usmc(&got, msg, n, w.rcpt.pub, w.rcpt.priv), 0);
    ck_assert_mem_eq(sc_usmc_content(got, &m), "hello sealed", 12);
    sc_usmc_free(got);

    me.identity_pub = w.rcpt.pub;
    me.identity_priv = w.rcpt.priv;
    me.uuid = UUID_B;
    me.e164 = NULL;
    me.device = 2;
    ck_assert_int_eq(sc_sealed_decrypt(&got, msg, n, &me, w.trust, 4999), 0);
    sc_usmc_free(got);
    ck_assert_int_eq(sc_sealed_decrypt(&got, msg, n, &me, w.trust, 5001), SC_ERR_CERT_EXPIRED);
    ck_assert_ptr_null(got);
    me.uuid = UUID_A; /* same account and device: a self-send */
    ck_assert_int_eq(sc_sealed_decrypt(&got, msg, n, &me, w.trust, 1), SC_ERR_SEALED_SELF_SEND);
    me.device = 3; /* another device of ours is fine */
    ck_assert_int_eq(sc_sealed_decrypt(&got, msg, n, &me, w.trust, 1), 0);
    sc_usmc_free(got);

    /* someone else's key */
    ck_assert_int_eq(sc_sealed_decrypt_to_usmc(&got, msg, n, w.sender.pub, w.sender.priv),
                     SC_ERR_SEALED_STATIC_MAC);
    /* last byte is the message MAC; the static part sits before it in the
     * protobuf (fields 1, 2, 3 in order): byte 1+2+33+2+40 is inside the
     * static MAC */
    msg[n - 1] ^= 1;
    ck_assert_int_eq(sc_sealed_decrypt_to_usmc(&got, msg, n, w.rcpt.pub, w.rcpt.priv),
                     SC_ERR_SEALED_MESSAGE_MAC);
    msg[n - 1] ^= 1;
    msg[1 + 2 + 33 + 2 + 40] ^= 1;
    ck_assert_int_eq(sc_sealed_decrypt_to_usmc(&got, msg, n, w.rcpt.pub, w.rcpt.priv),
                     SC_ERR_SEALED_STATIC_MAC);
    msg[1 + 2 + 33 + 2 + 40] ^= 1;
    msg[0] = 0x31;
    ck_assert_int_eq(sc_sealed_decrypt_to_usmc(&got, msg, n, w.rcpt.pub, w.rcpt.priv),
                     SC_ERR_SEALED_VERSION);
    msg[0] = 0x11;
    ck_assert_int_eq(sc_sealed_decrypt_to_usmc(&got, msg, 0, w.rcpt.pub, w.rcpt.priv),
                     SC_ERR_SEALED_FORMAT);
    ck_assert_int_eq(sc_sealed_decrypt_to_usmc(&got, msg, 30, w.rcpt.pub, w.rcpt.priv),
                     SC_ERR_SEALED_FORMAT);
    free(msg);

    /* sealed by a key that is not the certificate's */
    kp other = fresh();
    ck_assert_int_eq(sc_sealed_encrypt_v1(&msg, &n, u, other.pub, other.priv, w.rcpt.pub), 0);
    ck_assert_int_eq(sc_sealed_decrypt_to_usmc(&got, msg, n, w.rcpt.pub, w.rcpt.priv),
                     SC_ERR_SEALED_KEY_MISMATCH);
    free(msg);
    sc_usmc_free(u);
    sc_trust_free(w.trust);
}
END_TEST

START_TEST(self_send_by_e164)
{
    world w;
    cert_opts o = {0};
    sc_usmc *u, *got;
    uint8_t cert[768], *msg;
    size_t n, cn;
    sc_sealed_local me;

    world_init(&w, 5000);
    o.uuid = UUID_A;
    o.e164 = "+15550003333";
    o.device = 4;
    o.expires = 5000;
    o.identity = w.sender.pub;
    o.server = w.scert;
    o.server_len = w.scert_len;
    o.signer_priv = w.server.priv;
    cn = make_sender(cert, &o);
    ck_assert_int_eq(sc_usmc_new(&u, SC_USMC_MESSAGE, cert, cn, (const uint8_t *)"x", 1, 0, NULL, 0), 0);
    ck_assert_int_eq(sc_sealed_encrypt_v1(&msg, &n, u, w.sender.pub, w.sender.priv, w.rcpt.pub), 0);
    me.identity_pub = w.rcpt.pub;
    me.identity_priv = w.rcpt.priv;
    me.uuid = UUID_B;          /* another uuid, but our number and device */
    me.e164 = "+15550003333";
    me.device = 4;
    ck_assert_int_eq(sc_sealed_decrypt(&got, msg, n, &me, w.trust, 1), SC_ERR_SEALED_SELF_SEND);
    me.e164 = "+15550004444";
    ck_assert_int_eq(sc_sealed_decrypt(&got, msg, n, &me, w.trust, 1), 0);
    ck_assert_str_eq(sc_sender_cert_e164(sc_usmc_sender(got)), "+15550003333");
    sc_usmc_free(got);
    me.e164 = NULL;
    ck_assert_int_eq(sc_sealed_decrypt(&got, msg, n, &me, w.trust, 1), 0);
    sc_usmc_free(got);
    free(msg);
    sc_usmc_free(u);
    sc_trust_free(w.trust);
}
END_TEST

/* A v2 single-recipient message built here from the published algorithm
 * (signal-crypto.md §4.3); libsignal-made ones are in the interop test. */
static size_t v2_make(uint8_t *out, const world *w, const sc_usmc *u)
{
    uint8_t m[32], r[32], e[32], k[32], agree[32], ikm[163], x[32], nonce[12] = {0};
    const uint8_t *p;
    size_t n, i;

    ck_assert_int_eq(ut_random(m, 32), 0);
    ck_assert_int_eq(sc_hkdf_sha256(r, 32, NULL, 0, m, 32, "Sealed Sender v2: r (2023-08)", 29), 0);
    ck_assert_int_eq(sc_x25519_public(e, r), 0);
    ck_assert_int_eq(sc_hkdf_sha256(k, 32, NULL, 0, m, 32, "Sealed Sender v2: K", 19), 0);
    ck_assert_int_eq(sc_x25519(agree, r, w->rcpt.pub), 0);
    memcpy(ikm, agree, 32);
    wire(ikm + 32, e);
    wire(ikm + 65, w->rcpt.pub);
    ck_assert_int_eq(sc_hkdf_sha256(x, 32, NULL, 0, ikm, 98, "Sealed Sender v2: DH", 20), 0);
    out[0] = 0x22;
    for (i = 0; i < 32; i++)
        out[1 + i] = m[i] ^ x[i];
    ck_assert_int_eq(sc_x25519(agree, w->sender.priv, w->rcpt.pub), 0);
    memcpy(ikm, agree, 32);
    wire(ikm + 32, e);
    memcpy(ikm + 65, out + 1, 32);
    wire(ikm + 97, w->sender.pub);
    wire(ikm + 130, w->rcpt.pub);
    ck_assert_int_eq(sc_hkdf_sha256(out + 33, 16, NULL, 0, ikm, 163, "Sealed Sender v2: DH-sender", 27), 0);
    memcpy(out + 49, e, 32);
    p = sc_usmc_bytes(u, &n);
    ck_assert_int_eq(sc_aes256_gcm_siv_encrypt(out + 81, k, nonce, NULL, 0, p, n), 0);
    return 81 + n + 16;
}

START_TEST(v2_decrypt_and_checks)
{
    world w;
    sc_usmc *u, *got;
    uint8_t msg[2048];
    size_t n, m;

    world_init(&w, 5000);
    u = usmc_for(&w, SC_USMC_PLAINTEXT, "v2 content");
    n = v2_make(msg, &w, u);
    ck_assert_int_eq(sc_sealed_decrypt_to_usmc(&got, msg, n, w.rcpt.pub, w.rcpt.priv), 0);
    ck_assert_mem_eq(sc_usmc_content(got, &m), "v2 content", 10);
    sc_usmc_free(got);
    msg[0] = 0x23;
    ck_assert_int_eq(sc_sealed_decrypt_to_usmc(&got, msg, n, w.rcpt.pub, w.rcpt.priv), 0);
    sc_usmc_free(got);
    msg[0] = 0x21;
    ck_assert_int_eq(sc_sealed_decrypt_to_usmc(&got, msg, n, w.rcpt.pub, w.rcpt.priv),
                     SC_ERR_SEALED_VERSION);
    msg[0] = 0x22;
    msg[5] ^= 1; /* C: M changes, so E no longer matches */
    ck_assert_int_eq(sc_sealed_decrypt_to_usmc(&got, msg, n, w.rcpt.pub, w.rcpt.priv),
                     SC_ERR_SEALED_EPHEMERAL);
    msg[5] ^= 1;
    msg[40] ^= 1; /* AT */
    ck_assert_int_eq(sc_sealed_decrypt_to_usmc(&got, msg, n, w.rcpt.pub, w.rcpt.priv),
                     SC_ERR_SEALED_AUTH_TAG);
    msg[40] ^= 1;
    msg[100] ^= 1; /* ciphertext */
    ck_assert_int_eq(sc_sealed_decrypt_to_usmc(&got, msg, n, w.rcpt.pub, w.rcpt.priv),
                     SC_ERR_SEALED_DECRYPT);
    msg[100] ^= 1;
    msg[n - 1] ^= 1; /* GCM-SIV tag */
    ck_assert_int_eq(sc_sealed_decrypt_to_usmc(&got, msg, n, w.rcpt.pub, w.rcpt.priv),
                     SC_ERR_SEALED_DECRYPT);
    msg[n - 1] ^= 1;
    ck_assert_int_eq(sc_sealed_decrypt_to_usmc(&got, msg, 96, w.rcpt.pub, w.rcpt.priv),
                     SC_ERR_SEALED_FORMAT);
    /* small-order ephemeral key: agreement is all zero */
    memset(msg + 49, 0, 32);
    ck_assert_int_eq(sc_sealed_decrypt_to_usmc(&got, msg, n, w.rcpt.pub, w.rcpt.priv), SC_ERR_KEY);
    sc_usmc_free(u);
    sc_trust_free(w.trust);
}
END_TEST

/* Multi-recipient (0x23): each recipient's ReceivedMessage, cut out of the
 * SentMessage as the server does (0x22 || C_i || AT_i || E || ct), opens
 * with our v2 decrypt; the layout is libsignal's (interop test:
 * tests/interop/sealed-interop.js). */
START_TEST(v2_multi_recipient)
{
    world w;
    kp r2 = fresh();
    sc_usmc *u, *got;
    uint8_t sid1[17] = {0}, sid2[17] = {0}, sid3[17] = {0};
    uint32_t dev1[1] = {1}, dev2[3] = {1, 2, 7};
    uint16_t reg1[1] = {1234}, reg2[3] = {0x3fff, 5, 77};
    sc_mr_recipient rc[3];
    uint8_t *msg, one[2048];
    size_t n, m, off, shared;
    const uint8_t *p;

    world_init(&w, 5000);
    memset(sid1 + 1, 0x11, 16);
    memset(sid2 + 1, 0x22, 16);
    memset(sid3 + 1, 0x33, 16);
    rc[0] = (sc_mr_recipient){sid3, NULL, NULL, NULL, 0}; /* excluded: written last */
    rc[1] = (sc_mr_recipient){sid1, w.rcpt.pub, dev1, reg1, 1};
    rc[2] = (sc_mr_recipient){sid2, r2.pub, dev2, reg2, 3};
    u = usmc_for(&w, SC_USMC_SENDERKEY, "one for all");
    ck_assert_int_eq(sc_sealed_encrypt_multi(&msg, &n, u, w.sender.pub, w.sender.priv, rc, 3), 0);
    ck_assert_uint_eq(msg[0], 0x23);
    ck_assert_uint_eq(msg[1], 3);
    off = 2;
    ck_assert_mem_eq(msg + off, sid1, 17);
    ck_assert_uint_eq(msg[off + 17], 1);
    ck_assert_uint_eq((msg[off + 18] << 8) | msg[off + 19], 1234); /* no "more" bit */
    off += 17 + 3 + 48;
    ck_assert_mem_eq(msg + off, sid2, 17);
    ck_assert_uint_eq(msg[off + 17], 1);
    ck_assert_uint_eq((msg[off + 18] << 8) | msg[off + 19], 0x8000 | 0x3fff);
    ck_assert_uint_eq(msg[off + 20], 2);
    ck_assert_uint_eq((msg[off + 21] << 8) | msg[off + 22], 0x8000 | 5);
    ck_assert_uint_eq(msg[off + 23], 7);
    ck_assert_uint_eq((msg[off + 24] << 8) | msg[off + 25], 77);
    off += 17 + 9 + 48;
    ck_assert_mem_eq(msg + off, sid3, 17);
    ck_assert_uint_eq(msg[off + 17], 0);
    off += 18;
    shared = n - off; /* E || ciphertext || tag */
    (void)sc_usmc_bytes(u, &m);
    ck_assert_uint_eq(shared, 32 + m + 16);
    /* recipient 1 */
    one[0] = 0x22;
    memcpy(one + 1, msg + 2 + 20, 48);
    memcpy(one + 49, msg + off, shared);
    ck_assert_int_eq(sc_sealed_decrypt_to_usmc(&got, one, 49 + shared, w.rcpt.pub, w.rcpt.priv), 0);
    p = sc_usmc_content(got, &m);
    ck_assert_uint_eq(m, 11);
    ck_assert_mem_eq(p, "one for all", 11);
    ck_assert_uint_eq(sc_usmc_type(got), SC_USMC_SENDERKEY);
    sc_usmc_free(got);
    /* recipient 2's part, and recipient 1's part is not theirs */
    memcpy(one + 1, msg + 2 + 68 + 26, 48);
    ck_assert_int_eq(sc_sealed_decrypt_to_usmc(&got, one, 49 + shared, r2.pub, r2.priv), 0);
    sc_usmc_free(got);
    ck_assert_int_eq(sc_sealed_decrypt_to_usmc(&got, one, 49 + shared, w.rcpt.pub, w.rcpt.priv),
                     SC_ERR_SEALED_EPHEMERAL);
    free(msg);
    /* bad arguments */
    ck_assert_int_eq(sc_sealed_encrypt_multi(&msg, &n, u, w.sender.pub, w.sender.priv, rc, 0),
                     UT_ERR_INVAL);
    dev1[0] = 128;
    ck_assert_int_eq(sc_sealed_encrypt_multi(&msg, &n, u, w.sender.pub, w.sender.priv, rc, 3),
                     UT_ERR_INVAL);
    dev1[0] = 1;
    reg1[0] = 0x4000;
    ck_assert_int_eq(sc_sealed_encrypt_multi(&msg, &n, u, w.sender.pub, w.sender.priv, rc, 3),
                     UT_ERR_INVAL);
    ck_assert_ptr_null(msg);
    sc_usmc_free(u);
    sc_trust_free(w.trust);
}
END_TEST

START_TEST(error_texts_distinct)
{
    int a, b;

    for (a = -1070; a >= -1094; a--) {
        ck_assert_str_ne(sc_strerror(a), "unknown error");
        for (b = a - 1; b >= -1094; b--)
            ck_assert_str_ne(sc_strerror(a), sc_strerror(b));
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sc_sealed");
    TCase *tc = tcase_create("all");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, cert_embedded_chain);
    tcase_add_test(tc, cert_trust_roots);
    tcase_add_test(tc, cert_bad_server_signature_and_revoked);
    tcase_add_test(tc, cert_reference_signers);
    tcase_add_test(tc, cert_malformed);
    tcase_add_test(tc, usmc_codec);
    tcase_add_test(tc, v1_round_trip_and_checks);
    tcase_add_test(tc, self_send_by_e164);
    tcase_add_test(tc, v2_decrypt_and_checks);
    tcase_add_test(tc, v2_multi_recipient);
    tcase_add_test(tc, error_texts_distinct);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
