/* kyber_tool.c - line-oriented driver of sc_kyber for the node oracles
 * (tests/interop/kyber-*.js). One request per stdin line, hex in and out:
 *   K <coins:64>            -> "<pk> <sk>"   (keypair_derand)
 *   E <pk> <m:32>           -> "<ct> <ss>"   (enc_derand)
 *   D <ct> <sk>             -> "<ss>"        (dec)
 * and for ML-KEM-768 (sc_mlkem768):
 *   k <d‖z:64>              -> "<ek> <dk>"
 *   e <ek> <m:32>           -> "<ct> <ss>"   (also checks encaps1+encaps2)
 *   d <ct> <dk>             -> "<ss>"
 * Any failure prints "ERR <code>". Test helper only: it prints secrets. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sc_kyber.h"
#include "sc_mlkem768.h"

static int unhex(uint8_t *out, size_t n, const char *s, const char **end)
{
    size_t i;

    while (*s == ' ')
        s++;
    for (i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    s += 2 * n;
    if (*s != ' ' && *s != '\n' && *s != '\0')
        return -1;
    *end = s;
    return 0;
}

static void puthex(const uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        printf("%02x", p[i]);
}

int main(void)
{
    static char line[16384];
    static uint8_t pk[1568], sk[3168], ct[1568];
    static uint8_t ek[SC_MLKEM768_EK], dk[SC_MLKEM768_DK], mct[SC_MLKEM768_CT];
    static uint8_t hdr[64], ekt[SC_MLKEM768_EK_T], es[SC_MLKEM768_ES], ct12[SC_MLKEM768_CT];
    uint8_t ss1[32];
    uint8_t coins[64], ss[32];
    const char *p;
    int rc;

    while (fgets(line, sizeof(line), stdin)) {
        p = line + 1;
        rc = -1;
        if (line[0] == 'K' && !unhex(coins, 64, p, &p)) {
            if (!(rc = sc_kyber1024_keypair_derand(pk, sk, coins))) {
                puthex(pk, sizeof(pk));
                putchar(' ');
                puthex(sk, sizeof(sk));
            }
        } else if (line[0] == 'E' && !unhex(pk, sizeof(pk), p, &p) &&
                   !unhex(coins, 32, p, &p)) {
            if (!(rc = sc_kyber1024_enc_derand(ct, ss, pk, coins))) {
                puthex(ct, sizeof(ct));
                putchar(' ');
                puthex(ss, sizeof(ss));
            }
        } else if (line[0] == 'D' && !unhex(ct, sizeof(ct), p, &p) &&
                   !unhex(sk, sizeof(sk), p, &p)) {
            if (!(rc = sc_kyber1024_dec(ss, ct, sk)))
                puthex(ss, sizeof(ss));
        } else if (line[0] == 'k' && !unhex(coins, 64, p, &p)) {
            if (!(rc = sc_mlkem768_keypair_derand(ek, dk, coins))) {
                puthex(ek, sizeof(ek));
                putchar(' ');
                puthex(dk, sizeof(dk));
            }
        } else if (line[0] == 'e' && !unhex(ek, sizeof(ek), p, &p) &&
                   !unhex(coins, 32, p, &p)) {
            sc_mlkem768_split(hdr, ekt, ek);
            if (!(rc = sc_mlkem768_encaps_derand(mct, ss, ek, coins)) &&
                !(rc = sc_mlkem768_encaps1_derand(ct12, es, ss1, hdr, coins)) &&
                !(rc = sc_mlkem768_encaps2(ct12 + SC_MLKEM768_CT1, es, ekt)) &&
                !(rc = (memcmp(ct12, mct, sizeof(mct)) || memcmp(ss, ss1, 32)) ? 99 : 0)) {
                puthex(mct, sizeof(mct));
                putchar(' ');
                puthex(ss, sizeof(ss));
            }
        } else if (line[0] == 'd' && !unhex(mct, sizeof(mct), p, &p) &&
                   !unhex(dk, sizeof(dk), p, &p)) {
            if (!(rc = sc_mlkem768_decaps(ss, mct, dk)))
                puthex(ss, sizeof(ss));
        }
        if (rc)
            printf("ERR %d", rc);
        putchar('\n');
        fflush(stdout);
    }
    return 0;
}
