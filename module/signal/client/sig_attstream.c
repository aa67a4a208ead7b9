/* sig_attstream.c - the attachment cipher as streams (see the header).
 * OpenSSL's EVP contexts keep the CBC, HMAC and SHA-256 state between
 * pieces; sc_attachment (module/signal/crypto) only has whole-buffer
 * calls. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "sc_attachment.h"
#include "sig_attstream.h"
#include "sig_err.h"
#include "ut.h"

/* HMAC-SHA256 + SHA-256 + AES-256-CBC contexts shared by both directions. */
typedef struct ctxs {
    EVP_CIPHER_CTX *aes;
    EVP_MAC_CTX *mac;
    EVP_MD_CTX *sha;
} ctxs;

static void ctxs_free(ctxs *x)
{
    EVP_CIPHER_CTX_free(x->aes);
    EVP_MAC_CTX_free(x->mac);
    EVP_MD_CTX_free(x->sha);
}

static int ctxs_init(ctxs *x, const uint8_t mac_key[32])
{
    OSSL_PARAM params[2];
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    int ok;

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    x->aes = EVP_CIPHER_CTX_new();
    x->mac = mac ? EVP_MAC_CTX_new(mac) : NULL;
    x->sha = EVP_MD_CTX_new();
    EVP_MAC_free(mac); /* the context keeps its own reference */
    if (!x->aes || !x->mac || !x->sha)
        return UT_ERR_NOMEM;
    ok = EVP_MAC_init(x->mac, mac_key, 32, params) == 1 &&
         EVP_DigestInit_ex(x->sha, EVP_sha256(), NULL) == 1;
    return ok ? 0 : SC_ERR_CRYPTO;
}

/* ---- encryption ------------------------------------------------------------ */

enum { E_IV, E_BODY, E_MAC, E_DONE };

struct sig_att_enc {
    ctxs x;
    int fd;
    int phase;
    uint64_t size, plen, fed;
    uint8_t key[64];
    uint8_t iv[16];
    uint8_t digest[32];
    uint8_t in[SIG_ATT_CHUNK];
    uint8_t out[SIG_ATT_CHUNK + 32];
    size_t out_off, out_len;
};

int sig_att_enc_new(sig_att_enc **out, int fd, uint64_t size, const uint8_t key[64],
                    const uint8_t *iv, int pad)
{
    sig_att_enc *e;
    int rc;

    *out = NULL;
    if (fd < 0 || !key || size > SC_ATTACHMENT_MAX)
        return UT_ERR_INVAL;
    e = calloc(1, sizeof(*e));
    if (!e)
        return UT_ERR_NOMEM;
    e->fd = fd;
    e->size = size;
    e->plen = pad ? sc_attachment_padded_size((size_t)size) : size;
    memcpy(e->key, key, 64);
    if (iv)
        memcpy(e->iv, iv, 16);
    else if ((rc = ut_random(e->iv, 16)) != 0)
        goto fail;
    if ((rc = ctxs_init(&e->x, key + 32)) != 0)
        goto fail;
    if (EVP_EncryptInit_ex(e->x.aes, EVP_aes_256_cbc(), NULL, key, e->iv) != 1) {
        rc = SC_ERR_CRYPTO;
        goto fail;
    }
    *out = e;
    return 0;
fail:
    sig_att_enc_free(e);
    return rc;
}

uint64_t sig_att_enc_blob_len(const sig_att_enc *e)
{
    return 16 + (e->plen / 16 + 1) * 16 + 32;
}

/* Fill in[0..n) with the next plaintext: the file, then zero padding. */
static int next_plain(sig_att_enc *e, size_t n)
{
    size_t got = 0;

    while (got < n && e->fed + got < e->size) {
        size_t want = n - got;
        ssize_t r;
        if (e->fed + got + want > e->size)
            want = (size_t)(e->size - e->fed - got);
        r = read(e->fd, e->in + got, want);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return UT_ERR_IO; /* error, or the file shrank */
        got += (size_t)r;
    }
    if (got < n)
        memset(e->in + got, 0, n - got);
    return 0;
}

static int refill(sig_att_enc *e)
{
    int outl = 0, fin = 0;

    e->out_off = e->out_len = 0;
    switch (e->phase) {
    case E_IV:
        memcpy(e->out, e->iv, 16);
        e->out_len = 16;
        e->phase = E_BODY;
        break;
    case E_BODY: {
        size_t n = e->plen - e->fed > SIG_ATT_CHUNK ? SIG_ATT_CHUNK
                                                     : (size_t)(e->plen - e->fed);
        int rc = next_plain(e, n);
        if (rc != 0)
            return rc;
        if (EVP_EncryptUpdate(e->x.aes, e->out, &outl, e->in, (int)n) != 1)
            return SC_ERR_CRYPTO;
        e->fed += n;
        if (e->fed == e->plen) {
            if (EVP_EncryptFinal_ex(e->x.aes, e->out + outl, &fin) != 1)
                return SC_ERR_CRYPTO;
            e->phase = E_MAC;
        }
        e->out_len = (size_t)outl + (size_t)fin;
        break;
    }
    case E_MAC: {
        size_t ml = 0;
        if (EVP_MAC_final(e->x.mac, e->out, &ml, 32) != 1 || ml != 32)
            return SC_ERR_CRYPTO;
        e->out_len = 32;
        e->phase = E_DONE;
        break;
    }
    default:
        return 0;
    }
    /* the MAC covers iv ‖ ciphertext; the digest covers everything */
    if (e->phase != E_DONE && EVP_MAC_update(e->x.mac, e->out, e->out_len) != 1)
        return SC_ERR_CRYPTO;
    if (EVP_DigestUpdate(e->x.sha, e->out, e->out_len) != 1)
        return SC_ERR_CRYPTO;
    if (e->phase == E_DONE && EVP_DigestFinal_ex(e->x.sha, e->digest, NULL) != 1)
        return SC_ERR_CRYPTO;
    return 0;
}

long sig_att_enc_read(sig_att_enc *e, uint8_t *buf, size_t len, int *eof)
{
    size_t done = 0;
    int rc;

    *eof = 0;
    while (done < len) {
        size_t n;
        if (e->out_off == e->out_len) {
            if (e->phase == E_DONE)
                break;
            if ((rc = refill(e)) != 0)
                return rc;
            continue;
        }
        n = e->out_len - e->out_off;
        if (n > len - done)
            n = len - done;
        memcpy(buf + done, e->out + e->out_off, n);
        e->out_off += n;
        done += n;
    }
    if (e->phase == E_DONE && e->out_off == e->out_len)
        *eof = 1;
    return (long)done;
}

int sig_att_enc_digest(const sig_att_enc *e, uint8_t digest[32])
{
    if (e->phase != E_DONE)
        return UT_ERR_INVAL;
    memcpy(digest, e->digest, 32);
    return 0;
}

void sig_att_enc_free(sig_att_enc *e)
{
    if (!e)
        return;
    ctxs_free(&e->x);
    ut_wipe(e, sizeof(*e));
    free(e);
}

/* ---- decryption ------------------------------------------------------------ */

struct sig_att_dec {
    ctxs x;
    int fd;
    int err;                  /* sticky: the first failure */
    uint64_t size, written, pt_total, ct_len;
    uint8_t key[64];
    uint8_t want[32];
    int has_want;
    uint8_t iv[16];
    size_t iv_len;
    uint8_t hold[32];         /* the last 32 bytes seen: the MAC at the end */
    size_t hold_len;
    uint8_t out[SIG_ATT_CHUNK + 16];
};

int sig_att_dec_new(sig_att_dec **out, int fd, uint64_t size, const uint8_t key[64],
                    const uint8_t *digest)
{
    sig_att_dec *d;
    int rc;

    *out = NULL;
    if (fd < 0 || !key)
        return UT_ERR_INVAL;
    d = calloc(1, sizeof(*d));
    if (!d)
        return UT_ERR_NOMEM;
    d->fd = fd;
    d->size = size;
    memcpy(d->key, key, 64);
    if (digest) {
        memcpy(d->want, digest, 32);
        d->has_want = 1;
    }
    if ((rc = ctxs_init(&d->x, key + 32)) != 0) {
        sig_att_dec_free(d);
        return rc;
    }
    *out = d;
    return 0;
}

/* Plaintext out: only the first `size` bytes reach the file. */
static int put_plain(sig_att_dec *d, const uint8_t *p, size_t n)
{
    size_t keep = 0, off = 0;

    if (d->written < d->size)
        keep = d->size - d->written < n ? (size_t)(d->size - d->written) : n;
    d->pt_total += n;
    while (off < keep) {
        ssize_t w = write(d->fd, p + off, keep - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return UT_ERR_IO;
        off += (size_t)w;
    }
    d->written += keep;
    return 0;
}

/* Bytes known not to be the trailing MAC: iv, then ciphertext. */
static int take(sig_att_dec *d, const uint8_t *p, size_t n)
{
    int rc;

    if (n && EVP_MAC_update(d->x.mac, p, n) != 1)
        return SC_ERR_CRYPTO;
    if (d->iv_len < 16) {
        size_t k = 16 - d->iv_len < n ? 16 - d->iv_len : n;
        memcpy(d->iv + d->iv_len, p, k);
        d->iv_len += k;
        p += k;
        n -= k;
        if (d->iv_len == 16 &&
            EVP_DecryptInit_ex(d->x.aes, EVP_aes_256_cbc(), NULL, d->key, d->iv) != 1)
            return SC_ERR_CRYPTO;
    }
    while (n > 0) {
        size_t piece = n > SIG_ATT_CHUNK ? SIG_ATT_CHUNK : n;
        int outl = 0;
        if (EVP_DecryptUpdate(d->x.aes, d->out, &outl, p, (int)piece) != 1)
            return SC_ERR_CRYPTO;
        d->ct_len += piece;
        if ((rc = put_plain(d, d->out, (size_t)outl)) != 0)
            return rc;
        p += piece;
        n -= piece;
    }
    return 0;
}

int sig_att_dec_update(sig_att_dec *d, const uint8_t *p, size_t n)
{
    int rc = 0;

    if (d->err)
        return d->err;
    if (EVP_DigestUpdate(d->x.sha, p, n) != 1) {
        rc = SC_ERR_CRYPTO;
        goto out;
    }
    if (n >= 32) {
        /* everything held and all but the last 32 new bytes are body */
        if ((rc = take(d, d->hold, d->hold_len)) != 0 || (rc = take(d, p, n - 32)) != 0)
            goto out;
        memcpy(d->hold, p + n - 32, 32);
        d->hold_len = 32;
    } else {
        size_t over = d->hold_len + n > 32 ? d->hold_len + n - 32 : 0;
        if (over && (rc = take(d, d->hold, over)) != 0)
            goto out;
        memmove(d->hold, d->hold + over, d->hold_len - over);
        d->hold_len -= over;
        memcpy(d->hold + d->hold_len, p, n);
        d->hold_len += n;
    }
out:
    d->err = rc;
    return rc;
}

int sig_att_dec_final(sig_att_dec *d)
{
    uint8_t dg[32], mac[32];
    size_t ml = 0;
    int outl = 0, rc;

    if (d->err)
        return d->err;
    if (EVP_DigestFinal_ex(d->x.sha, dg, NULL) != 1)
        return d->err = SC_ERR_CRYPTO;
    if (d->has_want && !ut_ct_eq(dg, d->want, 32))
        return d->err = SIG_ERR_DIGEST;
    if (d->iv_len < 16 || d->hold_len < 32 || d->ct_len == 0 || d->ct_len % 16 != 0)
        return d->err = SIG_ERR_ENVELOPE;
    if (EVP_MAC_final(d->x.mac, mac, &ml, sizeof(mac)) != 1 || ml != 32)
        return d->err = SC_ERR_CRYPTO;
    if (!ut_ct_eq(mac, d->hold, 32))
        return d->err = SIG_ERR_DIGEST;
    if (EVP_DecryptFinal_ex(d->x.aes, d->out, &outl) != 1)
        return d->err = SIG_ERR_DIGEST; /* bad padding under a good MAC */
    if ((rc = put_plain(d, d->out, (size_t)outl)) != 0)
        return d->err = rc;
    if (d->pt_total < d->size)
        return d->err = SIG_ERR_ENVELOPE;
    d->err = UT_ERR_INVAL; /* finished: further calls are misuse */
    return 0;
}

void sig_att_dec_free(sig_att_dec *d)
{
    if (!d)
        return;
    ctxs_free(&d->x);
    ut_wipe(d, sizeof(*d));
    free(d);
}
