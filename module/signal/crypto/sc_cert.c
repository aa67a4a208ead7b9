/* sc_cert.c - sender/server certificates and their validation. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module/signal/crypto/sc_sealed.pb-c.h"
#include "sc_cert.h"
#include "sc_prim.h"
#include "sc_sealed_int.h"

typedef struct sc_server_cert {
    uint32_t id;
    uint8_t key[32];
    uint8_t *data; /* the signed Certificate bytes */
    size_t data_len;
    uint8_t sig[64];
    size_t sig_len; /* as received; only 64 can verify */
} sc_server_cert;

struct sc_trust {
    uint8_t roots[SC_CERT_MAX_ROOTS][32];
    size_t nroots;
    sc_server_cert known[SC_CERT_MAX_KNOWN];
    size_t nknown;
};

struct sc_sender_cert {
    char *uuid;
    char *e164;
    uint32_t device;
    uint64_t expires;
    uint8_t identity[32];
    int embedded;
    uint32_t signer_id;
    sc_server_cert server; /* valid when embedded */
    uint8_t *data;         /* the signed Certificate bytes */
    size_t data_len;
    uint8_t sig[64];
    size_t sig_len;
    uint8_t *serialized;
    size_t serialized_len;
};

/* libsignal's KNOWN_SERVER_CERTIFICATES (sealed_sender.rs), serialized
 * ServerCertificates: id 2 (staging), 3 (production), 0x7357C357 (test). */
static const char *const known_hex[] = {
    "0a25080212210539450d63ebd0752c0fd4038b9d07a916f5e174b756d409b5ca79f4c9"
    "7400631e124064c5a38b1e927497d3d4786b101a623ab34a7da3954fae126b04dba9d7"
    "a3604ed88cdc8550950f0d4a9134ceb7e19b94139151d2c3d6e1c81e9d1128aafca806",
    "0a250803122105bc9d1d290be964810dfa7e94856480a3f7060d004c9762c24c575a15"
    "22353a5a1240c11ec3c401eb0107ab38f8600e8720a63169e0e2eb8a3fae24f63099f8"
    "5ea319c3c1c46d3454706ae2a679d1fee690a488adda98a2290b66c906bb60295ed781",
    "0a2908d786df9a07122105847c0d2c375234f365e660955187a3735a0f7613d1609d3a"
    "6a4d8c53aeaa5a221240e0b9ebacdfc3aa2827f7924b697784d1c25e44ca05dd433e1a"
    "38dc6382eb2730d419ca9a250b1be9d5a9463e61efd6781777a91b83c97b844d014206"
    "e2829785",
};

int sc_key_from_wire(uint8_t out[32], const uint8_t *p, size_t n)
{
    if (p == NULL || n != 33 || p[0] != 0x05)
        return SC_ERR_KEY;
    memcpy(out, p + 1, 32);
    return 0;
}

void sc_key_to_wire(uint8_t out[33], const uint8_t key[32])
{
    out[0] = 0x05;
    memcpy(out + 1, key, 32);
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
    uint8_t *r = malloc(n ? n : 1);

    if (r != NULL && n)
        memcpy(r, p, n);
    return r;
}

/* A short printable field (uuid, e164) as a C string; no NULs. */
static char *dup_text(const ProtobufCBinaryData *b, size_t max)
{
    char *r;

    if (b->len == 0 || b->len > max || memchr(b->data, 0, b->len) != NULL)
        return NULL;
    r = malloc(b->len + 1);
    if (r != NULL) {
        memcpy(r, b->data, b->len);
        r[b->len] = 0;
    }
    return r;
}

static void server_cert_clear(sc_server_cert *s)
{
    free(s->data);
    memset(s, 0, sizeof(*s));
}

static int server_cert_parse(sc_server_cert *s, const uint8_t *buf, size_t n)
{
    ScSs__ServerCertificate *pb = NULL;
    ScSs__ServerCertificateData *in = NULL;
    int rc = SC_ERR_CERT_FORMAT;

    memset(s, 0, sizeof(*s));
    pb = sc_ss__server_certificate__unpack(NULL, n, buf);
    if (pb == NULL || !pb->has_certificate || !pb->has_signature)
        goto out;
    in = sc_ss__server_certificate_data__unpack(
        NULL, pb->certificate.len, pb->certificate.data);
    if (in == NULL || !in->has_id || !in->has_key ||
        sc_key_from_wire(s->key, in->key.data, in->key.len) != 0)
        goto out;
    s->id = in->id;
    s->sig_len = pb->signature.len;
    if (s->sig_len > 0) /* an empty field has no data pointer */
        memcpy(s->sig, pb->signature.data, s->sig_len < 64 ? s->sig_len : 64);
    s->data = dup_bytes(pb->certificate.data, pb->certificate.len);
    if (s->data == NULL) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    s->data_len = pb->certificate.len;
    rc = 0;
out:
    if (in != NULL)
        sc_ss__server_certificate_data__free_unpacked(in, NULL);
    if (pb != NULL)
        sc_ss__server_certificate__free_unpacked(pb, NULL);
    return rc;
}

static size_t unhex(uint8_t *out, size_t cap, const char *hex)
{
    size_t n = strlen(hex) / 2, i;

    if (n > cap)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned v = 0;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return 0;
        out[i] = (uint8_t)v;
    }
    return n;
}

int sc_trust_new(sc_trust **out)
{
    sc_trust *t = calloc(1, sizeof(*t));
    uint8_t buf[256];
    size_t i, n;
    int rc;

    *out = NULL;
    if (t == NULL)
        return UT_ERR_NOMEM;
    for (i = 0; i < sizeof(known_hex) / sizeof(known_hex[0]); i++) {
        n = unhex(buf, sizeof(buf), known_hex[i]);
        rc = sc_trust_add_known(t, buf, n);
        if (rc != 0) {
            sc_trust_free(t);
            return rc;
        }
    }
    *out = t;
    return 0;
}

void sc_trust_free(sc_trust *t)
{
    size_t i;

    if (t == NULL)
        return;
    for (i = 0; i < t->nknown; i++)
        server_cert_clear(&t->known[i]);
    free(t);
}

int sc_trust_add_root(sc_trust *t, const uint8_t *key, size_t len)
{
    if (t->nroots >= SC_CERT_MAX_ROOTS)
        return UT_ERR_RANGE;
    if (len == 32 && key != NULL)
        memcpy(t->roots[t->nroots], key, 32);
    else if (sc_key_from_wire(t->roots[t->nroots], key, len) != 0)
        return SC_ERR_KEY;
    t->nroots++;
    return 0;
}

int sc_trust_add_known(sc_trust *t, const uint8_t *server_cert, size_t len)
{
    if (t->nknown >= SC_CERT_MAX_KNOWN)
        return UT_ERR_RANGE;
    int rc = server_cert_parse(&t->known[t->nknown], server_cert, len);
    if (rc == 0)
        t->nknown++;
    return rc;
}

static void fmt_uuid(char out[37], const uint8_t b[16])
{
    static const char hx[] = "0123456789abcdef";
    size_t i, o = 0;

    for (i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hx[b[i] >> 4];
        out[o++] = hx[b[i] & 15];
    }
    out[o] = 0;
}

int sc_sender_cert_parse(sc_sender_cert **out, const uint8_t *buf, size_t n)
{
    ScSs__SenderCertificate *pb = NULL;
    ScSs__SenderCertificateData *in = NULL;
    sc_sender_cert *c;
    int rc = SC_ERR_CERT_FORMAT;

    *out = NULL;
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return UT_ERR_NOMEM;
    pb = sc_ss__sender_certificate__unpack(NULL, n, buf);
    if (pb == NULL || !pb->has_certificate || !pb->has_signature)
        goto out;
    in = sc_ss__sender_certificate_data__unpack(
        NULL, pb->certificate.len, pb->certificate.data);
    if (in == NULL || !in->has_sender_device || !in->has_expires ||
        !in->has_identity_key)
        goto out;
    /* libsignal's DeviceId is 1..127 */
    if (in->sender_device < 1 || in->sender_device > 127)
        goto out;
    if (sc_key_from_wire(c->identity, in->identity_key.data,
                         in->identity_key.len) != 0)
        goto out;
    c->device = in->sender_device;
    c->expires = in->expires;
    if (in->has_uuid_string == in->has_uuid_bytes ||
        in->has_certificate == in->has_id)
        goto out; /* each is a oneof in libsignal: exactly one member */
    if (in->has_uuid_string) {
        c->uuid = dup_text(&in->uuid_string, 64);
    } else {
        if (in->uuid_bytes.len != 16)
            goto out;
        c->uuid = malloc(37);
        if (c->uuid != NULL)
            fmt_uuid(c->uuid, in->uuid_bytes.data);
    }
    if (c->uuid == NULL)
        goto out;
    if (in->has_sender_e164 && (c->e164 = dup_text(&in->sender_e164, 32)) == NULL)
        goto out;
    if (in->has_certificate) {
        rc = server_cert_parse(&c->server, in->certificate.data, in->certificate.len);
        if (rc != 0)
            goto out;
        rc = SC_ERR_CERT_FORMAT;
        c->embedded = 1;
        c->signer_id = c->server.id;
    } else {
        c->signer_id = in->id;
    }
    c->sig_len = pb->signature.len;
    if (c->sig_len > 0)
        memcpy(c->sig, pb->signature.data, c->sig_len < 64 ? c->sig_len : 64);
    c->data = dup_bytes(pb->certificate.data, pb->certificate.len);
    c->data_len = pb->certificate.len;
    c->serialized = dup_bytes(buf, n);
    c->serialized_len = n;
    if (c->data == NULL || c->serialized == NULL) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    rc = 0;
out:
    if (in != NULL)
        sc_ss__sender_certificate_data__free_unpacked(in, NULL);
    if (pb != NULL)
        sc_ss__sender_certificate__free_unpacked(pb, NULL);
    if (rc == 0)
        *out = c;
    else
        sc_sender_cert_free(c);
    return rc;
}

void sc_sender_cert_free(sc_sender_cert *c)
{
    if (c == NULL)
        return;
    free(c->uuid);
    free(c->e164);
    server_cert_clear(&c->server);
    free(c->data);
    free(c->serialized);
    free(c);
}

static int verify(const uint8_t key[32], const uint8_t *data, size_t n,
                  const uint8_t *sig, size_t sig_len)
{
    if (sig_len != 64)
        return 0;
    return sc_xeddsa_verify(sig, key, data, n) == 0;
}

int sc_sender_cert_validate(const sc_sender_cert *c, const sc_trust *t,
                            int64_t now_ms)
{
    const sc_server_cert *s = NULL;
    size_t i;
    int any = 0;

    if (c->embedded) {
        s = &c->server;
    } else {
        for (i = 0; i < t->nknown; i++)
            if (t->known[i].id == c->signer_id)
                s = &t->known[i];
        if (s == NULL)
            return SC_ERR_CERT_UNKNOWN_SIGNER;
    }
    if (s->id == SC_CERT_REVOKED_ID)
        return SC_ERR_CERT_REVOKED;
    /* every root is tried, so timing does not tell which one signed */
    for (i = 0; i < t->nroots; i++)
        any |= verify(t->roots[i], s->data, s->data_len, s->sig, s->sig_len);
    if (!any)
        return SC_ERR_CERT_TRUST;
    if (!verify(s->key, c->data, c->data_len, c->sig, c->sig_len))
        return SC_ERR_CERT_SIGNATURE;
    if (now_ms < 0 || (uint64_t)now_ms > c->expires)
        return SC_ERR_CERT_EXPIRED;
    return 0;
}

const char *sc_sender_cert_uuid(const sc_sender_cert *c) { return c->uuid; }
const char *sc_sender_cert_e164(const sc_sender_cert *c) { return c->e164; }
uint32_t sc_sender_cert_device(const sc_sender_cert *c) { return c->device; }
uint64_t sc_sender_cert_expires(const sc_sender_cert *c) { return c->expires; }
const uint8_t *sc_sender_cert_identity_key(const sc_sender_cert *c)
{
    return c->identity;
}
uint32_t sc_sender_cert_signer_id(const sc_sender_cert *c) { return c->signer_id; }
int sc_sender_cert_signer_embedded(const sc_sender_cert *c) { return c->embedded; }
const uint8_t *sc_sender_cert_bytes(const sc_sender_cert *c, size_t *len)
{
    *len = c->serialized_len;
    return c->serialized;
}
