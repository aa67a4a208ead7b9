/* sc_sealed_tool.c - a command-line face of sc_cert/sc_sealed/sc_senderkey
 * for the Node interop tests and the benchmark (test-only; it prints keys
 * and plaintext in hex because that is its job).
 *
 * Every argument and result is hex ("-" = none). Prints "ok ..." or
 * "err <code> <text>" and exits 0; exits 2 on a usage error.
 *   v1-encrypt   OURPUB OURPRIV THEIRPUB USMC          -> ok MSG
 *   mr-encrypt   OURPUB OURPRIV USMC RCPT...           -> ok MSG
 *                RCPT = SERVICEID17:IDENTITYPUB:DEV.REG,DEV.REG (decimal;
 *                IDENTITYPUB and the list "-" for an excluded recipient)
 *   to-usmc      PUB PRIV MSG                          -> ok USMC-fields
 *   decrypt      PUB PRIV MSG ROOTS NOW UUID DEV E164  -> ok USMC-fields
 *   usmc-new     TYPE CERT CONTENT HINT GROUP          -> ok USMC
 *   cert-check   CERT ROOTS NOW [KNOWNCERT]            -> ok UUID DEV
 *   sk-create    DIST [RECORD]                         -> ok RECORD SKDM
 *   sk-process   RECORD DIST SKDM                      -> ok RECORD
 *   sk-encrypt   RECORD PT                             -> ok RECORD MSG
 *   sk-decrypt   RECORD MSG                            -> ok RECORD PT
 *   bench        PUB PRIV MSG ITERS                    -> ok NS_PER_OP
 * USMC-fields = TYPE HINT CONTENT GROUP UUID DEVICE SENDERKEY(33, wire).
 * ROOTS is a comma-separated list; NOW, DEV, TYPE, HINT, ITERS decimal;
 * UUID and E164 are plain text ("-" = none). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sc_cert.h"
#include "sc_sealed.h"
#include "sc_senderkey.h"

typedef struct blob {
    uint8_t *p;
    size_t n;
} blob;

static blob hex(const char *s)
{
    blob b = {NULL, 0};
    size_t i, n;

    if (strcmp(s, "-") == 0)
        return b;
    n = strlen(s);
    if (n % 2) {
        fprintf(stderr, "odd hex\n");
        exit(2);
    }
    b.n = n / 2;
    b.p = malloc(b.n + 1);
    for (i = 0; i < b.n; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1) {
            fprintf(stderr, "bad hex\n");
            exit(2);
        }
        b.p[i] = (uint8_t)v;
    }
    return b;
}

static void put(const uint8_t *p, size_t n)
{
    size_t i;

    putchar(' ');
    if (p == NULL) {
        putchar('-');
        return;
    }
    for (i = 0; i < n; i++)
        printf("%02x", p[i]);
    if (n == 0)
        putchar('-');
}

static int err(int rc)
{
    printf("err %d %s\n", rc, sc_strerror(rc));
    return 0;
}

static int add_roots(sc_trust *t, const char *list)
{
    char *copy = strdup(list), *tok, *save = NULL;
    int rc = 0;

    for (tok = strtok_r(copy, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save)) {
        blob b = hex(tok);
        rc = sc_trust_add_root(t, b.p, b.n);
        free(b.p);
    }
    free(copy);
    return rc;
}

static void print_usmc(const sc_usmc *u)
{
    const sc_sender_cert *c = sc_usmc_sender(u);
    const uint8_t *p;
    uint8_t w[33];
    size_t n;

    printf("ok %u %u", sc_usmc_type(u), sc_usmc_content_hint(u));
    p = sc_usmc_content(u, &n);
    put(p, n);
    p = sc_usmc_group_id(u, &n);
    put(p, n);
    w[0] = 5;
    memcpy(w + 1, sc_sender_cert_identity_key(c), 32);
    printf(" %s %u", sc_sender_cert_uuid(c), sc_sender_cert_device(c));
    put(w, 33);
    putchar('\n');
}

static int save_print(const sc_sk_record *r)
{
    uint8_t *buf;
    size_t n;
    int rc = sc_sk_record_save(r, &buf, &n);

    if (rc == 0) {
        put(buf, n);
        ut_free_secret(buf, n);
    }
    return rc;
}

static int load(sc_sk_record **r, const char *rec, const char *dist)
{
    blob b;
    int rc;

    if (strcmp(rec, "-") == 0) {
        if (dist == NULL)
            exit(2);
        b = hex(dist);
        if (b.n != 16)
            exit(2);
        rc = sc_sk_record_new(r, b.p);
    } else {
        b = hex(rec);
        rc = sc_sk_record_load(r, b.p, b.n);
    }
    free(b.p);
    return rc;
}

#define NEED(k)                                                                \
    do {                                                                       \
        if (argc != (k) + 2) {                                                 \
            fprintf(stderr, "usage: see the header comment\n");               \
            return 2;                                                          \
        }                                                                      \
    } while (0)

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "";
    int rc;

    if (strcmp(cmd, "v1-encrypt") == 0) {
        NEED(4);
        blob op = hex(argv[2]), os = hex(argv[3]), tp = hex(argv[4]), um = hex(argv[5]);
        sc_usmc *u;
        uint8_t *out;
        size_t n;
        if (op.n != 32 || os.n != 32 || tp.n != 32)
            return 2;
        if ((rc = sc_usmc_parse(&u, um.p, um.n)) == 0) {
            rc = sc_sealed_encrypt_v1(&out, &n, u, op.p, os.p, tp.p);
            sc_usmc_free(u);
        }
        free(op.p);
        free(os.p);
        free(tp.p);
        free(um.p);
        if (rc != 0)
            return err(rc);
        printf("ok");
        put(out, n);
        putchar('\n');
        free(out);
        return 0;
    }
    if (strcmp(cmd, "mr-encrypt") == 0) {
        if (argc < 6)
            return 2;
        size_t nr = (size_t)(argc - 5), i;
        blob op = hex(argv[2]), os = hex(argv[3]), um = hex(argv[4]);
        sc_mr_recipient *r = calloc(nr, sizeof(*r));
        blob *sid = calloc(nr, sizeof(*sid)), *idk = calloc(nr, sizeof(*idk));
        uint32_t(*dev)[16] = calloc(nr, sizeof(*dev));
        uint16_t(*reg)[16] = calloc(nr, sizeof(*reg));
        sc_usmc *u;
        uint8_t *out = NULL;
        size_t n = 0;
        for (i = 0; i < nr; i++) {
            char *a = strdup(argv[5 + i]), *c1 = strchr(a, ':'), *c2, *tok, *save = NULL;
            if (!c1 || !(c2 = strchr(c1 + 1, ':')))
                return 2;
            *c1 = *c2 = '\0';
            sid[i] = hex(a);
            idk[i] = hex(c1 + 1);
            if (sid[i].n != 17)
                return 2;
            r[i].service_id = sid[i].p;
            r[i].identity_pub = idk[i].p;
            r[i].devices = dev[i];
            r[i].registration_ids = reg[i];
            if (strcmp(c2 + 1, "-") != 0)
                for (tok = strtok_r(c2 + 1, ",", &save); tok && r[i].n_devices < 16;
                     tok = strtok_r(NULL, ",", &save)) {
                    dev[i][r[i].n_devices] = (uint32_t)strtoul(tok, &tok, 10);
                    reg[i][r[i].n_devices++] = (uint16_t)strtoul(tok + 1, NULL, 10);
                }
            free(a);
        }
        if ((rc = sc_usmc_parse(&u, um.p, um.n)) == 0) {
            rc = sc_sealed_encrypt_multi(&out, &n, u, op.p, os.p, r, nr);
            sc_usmc_free(u);
        }
        for (i = 0; i < nr; i++) {
            free(sid[i].p);
            free(idk[i].p);
        }
        free(sid);
        free(idk);
        free(dev);
        free(reg);
        free(r);
        free(op.p);
        free(os.p);
        free(um.p);
        if (rc != 0)
            return err(rc);
        printf("ok");
        put(out, n);
        putchar('\n');
        free(out);
        return 0;
    }
    if (strcmp(cmd, "to-usmc") == 0 || strcmp(cmd, "decrypt") == 0) {
        int full = strcmp(cmd, "decrypt") == 0;
        if (full)
            NEED(8);
        else
            NEED(3);
        blob pub = hex(argv[2]), priv = hex(argv[3]), m = hex(argv[4]);
        sc_usmc *u;
        if (pub.n != 32 || priv.n != 32)
            return 2;
        if (!full) {
            rc = sc_sealed_decrypt_to_usmc(&u, m.p, m.n, pub.p, priv.p);
        } else {
            sc_trust *t;
            sc_sealed_local me = {pub.p, priv.p, argv[7], NULL, (uint32_t)atoi(argv[8])};
            if (strcmp(argv[9], "-") != 0)
                me.e164 = argv[9];
            if ((rc = sc_trust_new(&t)) == 0 && (rc = add_roots(t, argv[5])) == 0)
                rc = sc_sealed_decrypt(&u, m.p, m.n, &me, t, strtoll(argv[6], NULL, 10));
            sc_trust_free(t);
        }
        free(pub.p);
        free(priv.p);
        free(m.p);
        if (rc != 0)
            return err(rc);
        print_usmc(u);
        sc_usmc_free(u);
        return 0;
    }
    if (strcmp(cmd, "usmc-new") == 0) {
        NEED(5);
        blob cert = hex(argv[3]), content = hex(argv[4]), group = hex(argv[6]);
        sc_usmc *u;
        const uint8_t *p;
        size_t n;
        rc = sc_usmc_new(&u, (uint32_t)atoi(argv[2]), cert.p, cert.n, content.p,
                         content.n, (uint32_t)atoi(argv[5]), group.p, group.n);
        free(cert.p);
        free(content.p);
        free(group.p);
        if (rc != 0)
            return err(rc);
        p = sc_usmc_bytes(u, &n);
        printf("ok");
        put(p, n);
        putchar('\n');
        sc_usmc_free(u);
        return 0;
    }
    if (strcmp(cmd, "cert-check") == 0) {
        if (argc != 5 && argc != 6)
            return 2;
        blob cert = hex(argv[2]);
        sc_trust *t;
        sc_sender_cert *c;
        if ((rc = sc_trust_new(&t)) != 0)
            return err(rc);
        rc = add_roots(t, argv[3]);
        if (rc == 0 && argc == 6) {
            blob k = hex(argv[5]);
            rc = sc_trust_add_known(t, k.p, k.n);
            free(k.p);
        }
        if (rc == 0 && (rc = sc_sender_cert_parse(&c, cert.p, cert.n)) == 0) {
            rc = sc_sender_cert_validate(c, t, strtoll(argv[4], NULL, 10));
            if (rc == 0)
                printf("ok %s %u\n", sc_sender_cert_uuid(c), sc_sender_cert_device(c));
            sc_sender_cert_free(c);
        }
        sc_trust_free(t);
        free(cert.p);
        return rc ? err(rc) : 0;
    }
    if (strcmp(cmd, "sk-create") == 0 || strcmp(cmd, "sk-process") == 0) {
        int create = strcmp(cmd, "sk-create") == 0;
        sc_sk_record *r;
        uint8_t *skdm = NULL;
        size_t n = 0;
        if (create && argc != 3 && argc != 4)
            return 2;
        if (!create)
            NEED(3);
        if (create)
            rc = load(&r, argc == 4 ? argv[3] : "-", argv[2]);
        else
            rc = load(&r, argv[2], argv[3]);
        if (rc != 0)
            return err(rc);
        if (create) {
            rc = sc_sk_create(r, &skdm, &n);
        } else {
            blob m = hex(argv[4]);
            rc = sc_sk_process(r, m.p, m.n);
            free(m.p);
        }
        if (rc == 0) {
            printf("ok");
            rc = save_print(r);
            if (create)
                put(skdm, n);
            putchar('\n');
        }
        ut_free_secret(skdm, n);
        sc_sk_record_free(r);
        return rc ? err(rc) : 0;
    }
    if (strcmp(cmd, "sk-encrypt") == 0 || strcmp(cmd, "sk-decrypt") == 0) {
        int encrypt = strcmp(cmd, "sk-encrypt") == 0;
        sc_sk_record *r;
        uint8_t *out;
        size_t n;
        NEED(2);
        blob in = hex(argv[3]);
        if ((rc = load(&r, argv[2], NULL)) != 0) {
            free(in.p);
            return err(rc);
        }
        rc = encrypt ? sc_sk_encrypt(r, in.p, in.n, &out, &n)
                     : sc_sk_decrypt(r, in.p, in.n, &out, &n);
        if (rc == 0) {
            printf("ok");
            rc = save_print(r);
            put(out, n);
            putchar('\n');
            ut_free_secret(out, n);
        }
        free(in.p);
        sc_sk_record_free(r);
        return rc ? err(rc) : 0;
    }
    if (strcmp(cmd, "bench") == 0) {
        NEED(4);
        blob pub = hex(argv[2]), priv = hex(argv[3]), m = hex(argv[4]);
        long iters = atol(argv[5]), i;
        struct timespec a, b;
        sc_usmc *u;
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (i = 0; i < iters; i++) {
            if ((rc = sc_sealed_decrypt_to_usmc(&u, m.p, m.n, pub.p, priv.p)) != 0)
                return err(rc);
            sc_usmc_free(u);
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        printf("ok %.0f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / (double)iters);
        free(pub.p);
        free(priv.p);
        free(m.p);
        return 0;
    }
    fprintf(stderr, "unknown command\n");
    return 2;
}
