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

#include "ct.h"

#ifdef CT_USABLE

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

#endif /* CT_USABLE */

CT_MAIN("ct_zkgroup", "maps", maps)
