/* ct_zkgroup.c - ctgrind-style constant-time check of sc_lizard's forward
 * maps, the ones that take secrets (the profile key becomes M4 through
 * sc_lizard_map, a member's uuid becomes M2 through sc_lizard_encode):
 * inputs are marked undefined, so valgrind's memcheck reports every branch
 * and memory index that depends on them. Run by tests/ct/zkgroup-ct.sh.
 *   ct_zkgroup maps  - sc_lizard_map and sc_lizard_encode: must be clean
 *   ct_zkgroup leak  - positive control: a secret-dependent branch that
 *                      valgrind must report */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "sc_lizard.h"

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

static int maps(void)
{
    uint8_t r[32], data[16], p[32];
    unsigned acc = 0;

    /* several inputs so both Elligator branches (square or not) run */
    for (int i = 0; i < 8; i++) {
        memset(r, 0x11 * i + 3, sizeof(r));
        r[0] = (uint8_t)(i * 37);
        SECRET(r, sizeof(r));
        sc_lizard_map(p, r);
        PUBLIC(p, sizeof(p)); /* the point is then encrypted / published */
        acc += p[0];
        memset(data, 0x5a + i, sizeof(data));
        SECRET(data, sizeof(data));
        sc_lizard_encode(p, data);
        PUBLIC(p, sizeof(p));
        acc += p[1];
    }
    return acc == 0xffffffffu; /* keep the results live; always 0 */
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
    if (argc == 2 && !strcmp(argv[1], "maps"))
        return maps();
    if (argc == 2 && !strcmp(argv[1], "leak"))
        return leak();
    if (argc == 2 && !strcmp(argv[1], "probe"))
        return 0;
    fprintf(stderr, "usage: ct_zkgroup maps|leak\n");
    return 2;
#endif
}
