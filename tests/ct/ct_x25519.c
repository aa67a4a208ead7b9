/* ct_x25519.c - ctgrind-style constant-time check of sc_prim's X25519 and
 * XEdDSA signing: private keys are marked undefined, so valgrind's memcheck
 * reports every branch and memory index that depends on them. Run by
 * tests/ct/x25519-ct.sh.
 *   ct_x25519 ops   - sc_x25519_public, sc_x25519 (valid and small-order
 *                     peer), sc_x25519_pair, sc_xeddsa_sign and the scalar
 *                     arithmetic it uses: must be clean (one documented
 *                     branch on a public point: x25519-ct.supp)
 *   ct_x25519 leak  - positive control: a secret-dependent branch that
 *                     valgrind must report */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "sc_prim.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CT_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define CT_ASAN 1
#endif
#if defined(__has_include) && !defined(CT_ASAN)
#if __has_include(<valgrind/memcheck.h>)
#define CT_USABLE 1
#endif
#endif

#ifdef CT_USABLE
#include <valgrind/memcheck.h>

#define SECRET(p, n) (void)VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#define PUBLIC(p, n) (void)VALGRIND_MAKE_MEM_DEFINED((p), (n))

static int ops(void)
{
    uint8_t a[32], b[32], pa[32], pb[32], s1[32], s2[32], sig[64], zero[32] = {0};
    uint8_t msg[100];
    int rc;

    memset(a, 0x5a, sizeof(a));
    memset(b, 0xa5, sizeof(b));
    memset(msg, 7, sizeof(msg));
    SECRET(a, 32);
    SECRET(b, 32);
    rc = sc_x25519_public(pa, a);
    PUBLIC(&rc, sizeof(rc));
    if (rc)
        return 1;
    PUBLIC(pa, 32); /* public keys are published */
    rc = sc_x25519_public(pb, b);
    PUBLIC(&rc, sizeof(rc));
    if (rc)
        return 1;
    PUBLIC(pb, 32);
    rc = sc_x25519(s1, a, pb);
    PUBLIC(&rc, sizeof(rc));
    if (rc)
        return 1;
    rc = sc_x25519_pair(s2, b, pb, pa);
    PUBLIC(&rc, sizeof(rc));
    if (rc)
        return 1;
    rc = sc_x25519(s1, a, zero); /* refused: small-order peer */
    PUBLIC(&rc, sizeof(rc));
    if (rc != SC_ERR_KEY)
        return 1;
    rc = sc_xeddsa_sign(sig, a, msg, sizeof(msg));
    PUBLIC(&rc, sizeof(rc));
    if (rc)
        return 1;
    PUBLIC(sig, sizeof(sig)); /* the signature is sent */
    /* the scalar arithmetic sc_xeddsa_sign uses, called from here so that
     * x25519-ct.supp (which covers libsodium code called straight from
     * sc_xeddsa_sign) cannot hide a leak in it */
    {
        uint8_t wide[64], x[32], y[32], z[32];
        memset(wide, 0x33, sizeof(wide));
        SECRET(wide, sizeof(wide));
        crypto_core_ed25519_scalar_reduce(x, wide);
        crypto_core_ed25519_scalar_reduce(y, wide + 1);
        crypto_core_ed25519_scalar_mul(z, x, y);
        crypto_core_ed25519_scalar_add(z, z, x);
        PUBLIC(z, sizeof(z));
    }
    PUBLIC(s1, 32);
    PUBLIC(s2, 32);
    return sc_xeddsa_verify(sig, pa, msg, sizeof(msg)) == 0 ? 0 : 1;
}

static int leak(void)
{
    volatile int sink = 0;
    uint8_t secret[32];

    memset(secret, 1, sizeof(secret));
    SECRET(secret, sizeof(secret));
    if (secret[3] & 1) /* deliberately secret-dependent */
        sink = 1;
    return sink ? 0 : 0;
}

#endif /* CT_USABLE */

int main(int argc, char **argv)
{
#ifndef CT_USABLE
    (void)argc;
    (void)argv;
    puts("SKIP: built without valgrind/memcheck.h or with ASan");
    return 77;
#else
    if (argc == 2 && !strcmp(argv[1], "ops"))
        return ops();
    if (argc == 2 && !strcmp(argv[1], "leak"))
        return leak();
    if (argc == 2 && !strcmp(argv[1], "probe"))
        return 0;
    fprintf(stderr, "usage: ct_x25519 ops|leak\n");
    return 2;
#endif
}
