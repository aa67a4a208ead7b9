/* sc_sealed_device.c - one C device doing sealed sender over real v4
 * sessions (sc_sealed + sc_session), for tests/interop/sealed-session.js.
 * Line-oriented: one request per stdin line, "OK ..." or "ERR <code> <text>".
 *   init <reg> <uuid> <device>        -> OK <identity 0x05-key>
 *   bundle <spk_id> <kyber_id>        -> OK <reg> <spk_id> <spk> <spk_sig> <ik>
 *                                        <kyber_id> <kyber> <kyber_sig>
 *   trust <root 0x05-key>             -> OK
 *   cert <sender certificate>         -> OK   (ours, for sealing)
 *   unseal <now_ms> <msg>             -> OK <uuid> <device> <usmc type> <plaintext>
 *   seal <peer 0x05-key> <plaintext>  -> OK <inner type> <sealed v1 message>
 * One session (one peer). Test helper only: prints plaintext by design. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sc_prim.h"
#include "sc_sealed.h"
#include "sc_session.h"

typedef struct dev {
    sc_ec_keypair ik;
    uint32_t reg, device;
    char uuid[64];
    sc_signed_prekey spk;
    sc_kyber_prekey kpk;
    sc_session *s;
    sc_trust *trust;
    uint8_t *cert;
    size_t cert_len;
} dev;

static void puthex(const uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        printf("%02x", p[i]);
    if (n == 0)
        printf("-");
}

static void putkey(const uint8_t pub[32])
{
    uint8_t ser[33];

    sc_ec_pub_serialize(ser, pub);
    puthex(ser, 33);
}

/* next space-separated token */
static char *tok(char **cur)
{
    char *s = *cur, *e;

    while (*s == ' ')
        s++;
    e = s;
    while (*e && *e != ' ' && *e != '\n')
        e++;
    if (*e)
        *e++ = 0;
    *cur = e;
    return s;
}

static long unhex(const char *s, uint8_t **out)
{
    size_t n = strlen(s), i;

    *out = NULL;
    if (n % 2)
        return -1;
    if (!strcmp(s, "-"))
        n = 0;
    *out = malloc(n / 2 + 1);
    for (i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1) {
            free(*out);
            *out = NULL;
            return -1;
        }
        (*out)[i] = (uint8_t)v;
    }
    return (long)(n / 2);
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
    (void)ctx;
    (void)id;
    (void)out;
    return SC_ERR_UNKNOWN_PREKEY;
}

static int unseal(dev *d, int64_t now, const uint8_t *msg, size_t n)
{
    sc_sealed_local me = {d->ik.pub, d->ik.priv, d->uuid, NULL, d->device};
    sc_session_params p = {&d->ik, d->reg, NULL, NULL};
    sc_prekey_source src = {d, get_spk, get_kpk, get_opk};
    sc_prekey_used used;
    const sc_sender_cert *c;
    const uint8_t *inner;
    uint8_t *pt = NULL;
    size_t inner_len, pt_len = 0;
    sc_usmc *u;
    int rc;

    if ((rc = sc_sealed_decrypt(&u, msg, n, &me, d->trust, now)) != 0)
        return rc;
    inner = sc_usmc_content(u, &inner_len);
    c = sc_usmc_sender(u);
    switch (sc_usmc_type(u)) {
    case SC_USMC_PREKEY:
        /* the inner PreKey message must come from the certified identity */
        rc = sc_session_decrypt_prekey(d->s, &p, &src, sc_sender_cert_identity_key(c),
                                       inner, inner_len, &pt, &pt_len, &used);
        break;
    case SC_USMC_MESSAGE:
        rc = sc_session_decrypt(d->s, inner, inner_len, &pt, &pt_len);
        break;
    default:
        rc = SC_ERR_USMC_FORMAT;
    }
    if (rc == 0) {
        printf("OK %s %u %u ", sc_sender_cert_uuid(c), sc_sender_cert_device(c), sc_usmc_type(u));
        puthex(pt, pt_len);
        ut_free_secret(pt, pt_len);
    }
    sc_usmc_free(u);
    return rc;
}

static int seal(dev *d, const uint8_t peer[32], const uint8_t *pt, size_t n)
{
    uint8_t *inner = NULL, *out = NULL;
    size_t inner_len = 0, out_len;
    sc_usmc *u = NULL;
    int type, rc;

    if ((rc = sc_session_encrypt(d->s, pt, n, &inner, &inner_len, &type)) != 0)
        return rc;
    rc = sc_usmc_new(&u, type == SC_MSG_TYPE_PREKEY ? SC_USMC_PREKEY : SC_USMC_MESSAGE,
                     d->cert, d->cert_len, inner, inner_len, SC_HINT_DEFAULT, NULL, 0);
    if (rc == 0)
        rc = sc_sealed_encrypt_v1(&out, &out_len, u, d->ik.pub, d->ik.priv, peer);
    if (rc == 0) {
        printf("OK %d ", type);
        puthex(out, out_len);
    }
    free(inner);
    free(out);
    sc_usmc_free(u);
    return rc;
}

static int handle(dev *d, char *line)
{
    char *cur = line, *cmd = tok(&cur);
    uint8_t *a = NULL, *b = NULL;
    long an, bn;
    int rc = 0;

    if (!strcmp(cmd, "init")) {
        d->reg = (uint32_t)strtoul(tok(&cur), NULL, 10);
        snprintf(d->uuid, sizeof(d->uuid), "%s", tok(&cur));
        d->device = (uint32_t)strtoul(tok(&cur), NULL, 10);
        if ((rc = sc_ec_keypair_generate(&d->ik)) || (rc = sc_session_new(&d->s)) ||
            (rc = sc_trust_new(&d->trust)))
            return rc;
        printf("OK ");
        putkey(d->ik.pub);
    } else if (!strcmp(cmd, "bundle")) {
        uint8_t ser[SC_KEM_SERIALIZED_LEN];
        uint32_t spk_id = (uint32_t)strtoul(tok(&cur), NULL, 10);
        uint32_t kyber_id = (uint32_t)strtoul(tok(&cur), NULL, 10);
        if ((rc = sc_signed_prekey_generate(&d->spk, spk_id, 1700000000000ULL, &d->ik)) ||
            (rc = sc_kyber_prekey_generate(&d->kpk, kyber_id, 1700000000000ULL, 1, &d->ik)))
            return rc;
        printf("OK %u %u ", d->reg, spk_id);
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
    } else if (!strcmp(cmd, "trust")) {
        if ((an = unhex(tok(&cur), &a)) < 0)
            return UT_ERR_INVAL;
        if ((rc = sc_trust_add_root(d->trust, a, (size_t)an)) == 0)
            printf("OK");
    } else if (!strcmp(cmd, "cert")) {
        if ((an = unhex(tok(&cur), &a)) < 0)
            return UT_ERR_INVAL;
        free(d->cert);
        d->cert = a;
        d->cert_len = (size_t)an;
        a = NULL;
        printf("OK");
    } else if (!strcmp(cmd, "unseal")) {
        int64_t now = strtoll(tok(&cur), NULL, 10);
        if ((an = unhex(tok(&cur), &a)) < 0)
            return UT_ERR_INVAL;
        rc = unseal(d, now, a, (size_t)an);
    } else if (!strcmp(cmd, "seal")) {
        if ((an = unhex(tok(&cur), &a)) != 33 || (bn = unhex(tok(&cur), &b)) < 0) {
            rc = UT_ERR_INVAL;
        } else {
            rc = seal(d, a + 1, b, (size_t)bn);
        }
    } else {
        rc = UT_ERR_INVAL;
    }
    free(a);
    free(b);
    return rc;
}

int main(void)
{
    static char line[1 << 20];
    dev d;
    int rc;

    memset(&d, 0, sizeof(d));
    while (fgets(line, sizeof(line), stdin)) {
        line[strcspn(line, "\n")] = 0;
        if ((rc = handle(&d, line)) != 0)
            printf("ERR %d %s", rc, sc_strerror(rc));
        printf("\n");
        fflush(stdout);
    }
    sc_session_free(d.s);
    sc_trust_free(d.trust);
    free(d.cert);
    ut_wipe(&d, sizeof(d));
    return 0;
}
