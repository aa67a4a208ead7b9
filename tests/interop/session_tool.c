/* session_tool.c - line-oriented driver of sc_session for the libsignal
 * interop tests (tests/interop/session.js). One C device with one session.
 * Requests (hex for bytes), one per stdin line; replies "OK ..." or
 * "ERR <code> <text>":
 *   init <reg> <uuid16> <device> [<identity private key>]
 *                                     -> OK <identity 0x05-key>
 *   remote <uuid16> <device>          -> OK   (addresses: sent and checked)
 *   bundle <spk_id> <kyber_id> <opk_id|0>
 *        -> OK <reg> <opk_id> <opk> <spk_id> <spk> <spk_sig> <ik> <kyber_id> <kyber> <kyber_sig>
 *   process <reg> <opk_id|0> <opk|-> <spk_id> <spk> <spk_sig> <ik> <kyber_id> <kyber> <kyber_sig>
 *        -> OK                        (we initiate with the peer's bundle)
 *   enc <plaintext>                   -> OK <type> <message>
 *   encn <count> <plaintext>          -> OK <type> <last message> (count encryptions)
 *   dec <type> <message>              -> OK <plaintext> <used opk id|->
 *   save                              -> OK <record bytes> (serialize, free, reload)
 *   dump                              -> OK <record>
 *   spqr                              -> OK <scka epoch> <scka state> <chain epoch>
 * Test helper only. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sc_prim.h"
#include "sc_session.h"

typedef struct dev {
    sc_ec_keypair ik;
    uint32_t reg;
    sc_signed_prekey spk;
    sc_kyber_prekey kpk;
    sc_prekey opk;
    int have_opk;
    sc_address local, remote;
    int have_remote;
    sc_session *s;
} dev;

static void puthex(const uint8_t *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        printf("%02x", p[i]);
}

static void putkey(const uint8_t pub[32])
{
    uint8_t ser[33];
    sc_ec_pub_serialize(ser, pub);
    puthex(ser, 33);
}

/* Next space-separated token as bytes; returns length or -1. */
static long tok_hex(char **cur, uint8_t **out)
{
    char *s = *cur, *e;
    size_t n, i;

    while (*s == ' ')
        s++;
    e = s;
    while (*e && *e != ' ' && *e != '\n')
        e++;
    n = (size_t)(e - s);
    if (n % 2)
        return -1;
    *out = malloc(n / 2 + 1);
    for (i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1) {
            free(*out);
            return -1;
        }
        (*out)[i] = (uint8_t)v;
    }
    *cur = e;
    return (long)(n / 2);
}

static unsigned long tok_num(char **cur)
{
    return strtoul(*cur, cur, 10);
}

/* fixed-size field: raw (n) or serialized with a type byte (n+1) */
static int field(char **cur, uint8_t *out, size_t n, int typed)
{
    uint8_t *b;
    long len = tok_hex(cur, &b);
    int rc = -1;

    if (len < 0)
        return -1;
    if (typed && (size_t)len == n + 1) {
        memcpy(out, b + 1, n);
        rc = 0;
    } else if (!typed && (size_t)len == n) {
        memcpy(out, b, n);
        rc = 0;
    }
    free(b);
    return rc;
}

static int get_spk(void *ctx, uint32_t id, sc_signed_prekey *out)
{
    dev *d = ctx;
    if (id != d->spk.id)
        return SC_ERR_UNKNOWN_PREKEY;
    *out = d->spk;
    return 0;
}

static int get_kpk(void *ctx, uint32_t id, sc_kyber_prekey *out)
{
    dev *d = ctx;
    if (id != d->kpk.id)
        return SC_ERR_UNKNOWN_PREKEY;
    *out = d->kpk;
    return 0;
}

static int get_opk(void *ctx, uint32_t id, sc_prekey *out)
{
    dev *d = ctx;
    if (!d->have_opk || id != d->opk.id)
        return SC_ERR_UNKNOWN_PREKEY;
    *out = d->opk;
    return 0;
}

static void params(dev *d, sc_session_params *p)
{
    memset(p, 0, sizeof(*p));
    p->identity = &d->ik;
    p->registration_id = d->reg;
    if (d->have_remote) {
        p->local = &d->local;
        p->remote = &d->remote;
    }
}

static int uuid_field(char **cur, sc_address *a)
{
    if (field(cur, a->uuid, 16, 0))
        return -1;
    a->kind = 0;
    a->device = (uint32_t)tok_num(cur);
    return 0;
}

static int handle(dev *d, char *line)
{
    char *cur = line;
    sc_session_params p;
    int rc = 0;

    if (!strncmp(line, "init ", 5)) {
        cur += 5;
        d->reg = (uint32_t)tok_num(&cur);
        if (uuid_field(&cur, &d->local))
            return UT_ERR_INVAL;
        while (*cur == ' ')
            cur++;
        if (*cur) { /* a given identity (a linked device shares its primary's) */
            if (field(&cur, d->ik.priv, 32, 0))
                return UT_ERR_INVAL;
            rc = sc_x25519_public(d->ik.pub, d->ik.priv);
        } else {
            rc = sc_ec_keypair_generate(&d->ik);
        }
        if (rc || (rc = sc_session_new(&d->s)))
            return rc;
        printf("OK ");
        putkey(d->ik.pub);
    } else if (!strncmp(line, "remote ", 7)) {
        cur += 7;
        if (uuid_field(&cur, &d->remote))
            return UT_ERR_INVAL;
        d->have_remote = 1;
        printf("OK");
    } else if (!strncmp(line, "bundle ", 7)) {
        uint8_t ser[SC_KEM_SERIALIZED_LEN];
        uint32_t spk_id, kyber_id, opk_id;
        cur += 7;
        spk_id = (uint32_t)tok_num(&cur);
        kyber_id = (uint32_t)tok_num(&cur);
        opk_id = (uint32_t)tok_num(&cur);
        if ((rc = sc_signed_prekey_generate(&d->spk, spk_id, 1700000000000ULL, &d->ik)) ||
            (rc = sc_kyber_prekey_generate(&d->kpk, kyber_id, 1700000000000ULL, 0, &d->ik)))
            return rc;
        d->have_opk = opk_id != 0;
        if (d->have_opk && (rc = sc_prekey_generate(&d->opk, opk_id)))
            return rc;
        printf("OK %u %u ", d->reg, opk_id);
        if (d->have_opk)
            putkey(d->opk.kp.pub);
        else
            printf("-");
        printf(" %u ", spk_id);
        putkey(d->spk.kp.pub);
        printf(" ");
        puthex(d->spk.sig, 64);
        printf(" ");
        putkey(d->ik.pub);
        printf(" %u ", kyber_id);
        sc_kem_serialize(ser, d->kpk.pub);
        puthex(ser, sizeof(ser));
        printf(" ");
        puthex(d->kpk.sig, 64);
    } else if (!strncmp(line, "process ", 8)) {
        sc_prekey_bundle b;
        memset(&b, 0, sizeof(b));
        cur += 8;
        b.registration_id = (uint32_t)tok_num(&cur);
        b.prekey_id = (uint32_t)tok_num(&cur);
        b.has_prekey = b.prekey_id != 0;
        while (*cur == ' ')
            cur++;
        if (b.has_prekey) {
            if (field(&cur, b.prekey, 32, 1))
                return SC_ERR_KEY;
        } else {
            cur++; /* "-" */
        }
        b.signed_prekey_id = (uint32_t)tok_num(&cur);
        if (field(&cur, b.signed_prekey, 32, 1) ||
            field(&cur, b.signed_prekey_sig, 64, 0) ||
            field(&cur, b.identity_key, 32, 1))
            return SC_ERR_KEY;
        b.kyber_prekey_id = (uint32_t)tok_num(&cur);
        if (field(&cur, b.kyber_prekey, SC_KEM_PUB_LEN, 1) ||
            field(&cur, b.kyber_prekey_sig, 64, 0))
            return SC_ERR_KEY;
        params(d, &p);
        if ((rc = sc_session_process_bundle(d->s, &p, &b)))
            return rc;
        printf("OK");
    } else if (!strncmp(line, "enc ", 4)) {
        uint8_t *pt, *out;
        size_t n;
        int type;
        long len;
        cur += 4;
        if ((len = tok_hex(&cur, &pt)) < 0)
            return UT_ERR_INVAL;
        rc = sc_session_encrypt(d->s, pt, (size_t)len, &out, &n, &type);
        free(pt);
        if (rc)
            return rc;
        printf("OK %d ", type);
        puthex(out, n);
        free(out);
    } else if (!strncmp(line, "encn ", 5)) {
        uint8_t *pt, *out = NULL;
        size_t n = 0;
        unsigned long count, i;
        int type = 0;
        long len;
        cur += 5;
        count = tok_num(&cur);
        if (!count || (len = tok_hex(&cur, &pt)) < 0)
            return UT_ERR_INVAL;
        for (i = 0; i < count && !rc; i++) {
            free(out);
            rc = sc_session_encrypt(d->s, pt, (size_t)len, &out, &n, &type);
        }
        free(pt);
        if (rc)
            return rc;
        printf("OK %d ", type);
        puthex(out, n);
        free(out);
    } else if (!strncmp(line, "dec ", 4)) {
        uint8_t *msg, *pt = NULL;
        size_t n = 0;
        int type;
        long len;
        sc_prekey_used used;
        sc_prekey_source src = {d, get_spk, get_kpk, get_opk};
        cur += 4;
        type = (int)tok_num(&cur);
        if ((len = tok_hex(&cur, &msg)) < 0)
            return UT_ERR_INVAL;
        memset(&used, 0, sizeof(used));
        params(d, &p);
        if (type == SC_MSG_TYPE_PREKEY)
            rc = sc_session_decrypt_prekey(d->s, &p, &src, NULL, msg, (size_t)len,
                                           &pt, &n, &used);
        else
            rc = sc_session_decrypt(d->s, msg, (size_t)len, &pt, &n);
        free(msg);
        if (rc)
            return rc;
        printf("OK ");
        puthex(pt, n);
        if (n == 0)
            printf("-");
        ut_free_secret(pt, n);
        if (used.has_pre_key_id) { /* a one-time pre-key is used once */
            printf(" %u", used.pre_key_id);
            d->have_opk = 0;
        } else {
            printf(" -");
        }
    } else if (!strcmp(line, "save")) {
        uint8_t *rec;
        size_t n;
        sc_session *s2;
        if ((rc = sc_session_serialize(d->s, &rec, &n)))
            return rc;
        rc = sc_session_deserialize(&s2, rec, n);
        ut_free_secret(rec, n);
        if (rc)
            return rc;
        sc_session_free(d->s);
        d->s = s2;
        printf("OK %zu", n);
    } else if (!strcmp(line, "spqr")) {
        uint64_t se, ce;
        unsigned st;
        if ((rc = sc_session_spqr_info(d->s, &se, &st, &ce)))
            return rc;
        printf("OK %llu %u %llu", (unsigned long long)se, st, (unsigned long long)ce);
    } else if (!strcmp(line, "dump")) {
        uint8_t *rec;
        size_t n;
        if ((rc = sc_session_serialize(d->s, &rec, &n)))
            return rc;
        printf("OK ");
        puthex(rec, n);
        ut_free_secret(rec, n);
    } else {
        return UT_ERR_INVAL;
    }
    return 0;
}

int main(void)
{
    dev d;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;

    memset(&d, 0, sizeof(d));
    while ((n = getline(&line, &cap, stdin)) > 0) {
        int rc;
        if (line[n - 1] == '\n')
            line[n - 1] = '\0';
        rc = handle(&d, line);
        if (rc)
            printf("ERR %d %s", rc, sc_strerror(rc));
        printf("\n");
        fflush(stdout);
    }
    free(line);
    sc_session_free(d.s);
    sc_ec_keypair_wipe(&d.ik);
    sc_signed_prekey_wipe(&d.spk);
    sc_kyber_prekey_wipe(&d.kpk);
    sc_prekey_wipe(&d.opk);
    return 0;
}
