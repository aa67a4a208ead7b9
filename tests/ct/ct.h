/* ct.h - what every ctgrind-style constant-time check shares: whether
 * valgrind's client requests can be used here (not under ASan, and only
 * with <valgrind/memcheck.h>), SECRET/PUBLIC to mark bytes, the positive
 * control `leak` and the main() that picks the check by name.
 *
 * A check program defines one function `int CHECK(void)` and ends with
 * CT_MAIN("prog", "check", CHECK). Run as `prog check`, `prog leak` (must be
 * reported by valgrind) or `prog probe` (the harness's "can I run" test);
 * exit 77 (automake's SKIP) when it was built without valgrind support. */
#ifndef SB_TESTS_CT_H
#define SB_TESTS_CT_H

#include <stdio.h>
#include <string.h>

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

/* Positive control: a secret-dependent branch valgrind must report, so a
 * harness that reports nothing at all cannot pass. */
static inline int ct_leak(void)
{
    volatile int sink = 0;
    unsigned char secret[32];

    memset(secret, 1, sizeof(secret));
    SECRET(secret, sizeof(secret));
    if (secret[3] & 1) /* deliberately secret-dependent */
        sink = 1;
    return sink ? 0 : 0;
}

#define CT_MAIN(prog, name, fn)                                           \
    int main(int argc, char **argv)                                       \
    {                                                                     \
        if (argc == 2 && !strcmp(argv[1], name))                          \
            return fn();                                                  \
        if (argc == 2 && !strcmp(argv[1], "leak"))                        \
            return ct_leak();                                             \
        if (argc == 2 && !strcmp(argv[1], "probe"))                       \
            return 0;                                                     \
        fprintf(stderr, "usage: " prog " " name "|leak\n");               \
        return 2;                                                         \
    }
#else
#define CT_MAIN(prog, name, fn)                                           \
    int main(void)                                                        \
    {                                                                     \
        puts("SKIP: built without valgrind/memcheck.h or with ASan");     \
        return 77;                                                        \
    }
#endif

#endif
