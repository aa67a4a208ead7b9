/* zkgroup_tool.c - line-oriented driver of sc_zk (group params, uid and
 * profile key ciphertexts) for tests/interop/zkgroup-interop.js. One request
 * per stdin line: a command and hex arguments; the answer is one line of
 * hex fields (decimal where noted) or "ERR <code>". Test helper only: it
 * prints secrets. Groups are always derived from the master key given.
 *   GD master               -> secret_params public_params
 *   UE master kind(dec) uuid -> uuid_ciphertext
 *   UD master ct            -> kind(dec) uuid
 *   PE master pk aci        -> profile_key_ciphertext
 *   PD master ct aci        -> pk */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sc_zk.h"
#include "ut.h"

#define MAXARG 6

static uint8_t arg[MAXARG][512];
static size_t alen[MAXARG];
static char *astr[MAXARG];
static int nargs;

static int parse(char *line)
{
    char *tok, *save = NULL;

    nargs = 0;
    for (tok = strtok_r(line, " \n", &save); tok && nargs < MAXARG;
         tok = strtok_r(NULL, " \n", &save)) {
        size_t n = strlen(tok) / 2;
        if (n > sizeof(arg[0]))
            return -1;
        astr[nargs] = tok;
        alen[nargs] = n;
        for (size_t i = 0; i < n; i++) {
            unsigned v = 0;
            if (sscanf(tok + 2 * i, "%2x", &v) != 1)
                v = 0;
            arg[nargs][i] = (uint8_t)v;
        }
        nargs++;
    }
    return 0;
}

static void hex(const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%02x", ((const uint8_t *)p)[i]);
}

#define NEED(k, ...)                                                     \
    do {                                                                 \
        static const size_t want_[] = {__VA_ARGS__};                     \
        if (nargs != (k) + 1)                                            \
            return UT_ERR_INVAL;                                         \
        for (int i_ = 0; i_ < (k); i_++)                                 \
            if (want_[i_] && alen[i_ + 1] != want_[i_])                  \
                return UT_ERR_INVAL;                                     \
    } while (0)

static int run(const char *cmd)
{
    uint8_t out[SC_ZK_GROUP_PUBLIC_LEN], u[32];
    sc_zk_group g;
    int rc, kind;

    if (nargs < 2 || alen[1] != 32)
        return UT_ERR_INVAL;
    if ((rc = sc_zk_group_derive(&g, arg[1])))
        return rc;
    if (!strcmp(cmd, "GD")) {
        NEED(1, 32);
        sc_zk_group_public(out, &g);
        hex(g.b, sizeof(g.b));
        putchar(' ');
        hex(out, SC_ZK_GROUP_PUBLIC_LEN);
    } else if (!strcmp(cmd, "UE")) {
        NEED(3, 32, 0, 16);
        if (!(rc = sc_zk_uid_encrypt(out, &g, arg[3], atoi(astr[2]))))
            hex(out, SC_ZK_UID_CT_LEN);
    } else if (!strcmp(cmd, "UD")) {
        NEED(2, 32, 0);
        if (!(rc = sc_zk_uid_decrypt(u, &kind, &g, arg[2], alen[2]))) {
            printf("%d ", kind);
            hex(u, 16);
        }
    } else if (!strcmp(cmd, "PE")) {
        NEED(3, 32, 32, 16);
        if (!(rc = sc_zk_profile_key_encrypt(out, &g, arg[2], arg[3])))
            hex(out, SC_ZK_PROFILE_KEY_CT_LEN);
    } else if (!strcmp(cmd, "PD")) {
        NEED(3, 32, 0, 16);
        if (!(rc = sc_zk_profile_key_decrypt(u, &g, arg[2], alen[2], arg[3])))
            hex(u, 32);
    } else {
        rc = UT_ERR_INVAL;
    }
    ut_wipe(&g, sizeof(g));
    return rc;
}

int main(void)
{
    static char line[1 << 16];
    int rc;

    while (fgets(line, sizeof(line), stdin)) {
        if (parse(line) || nargs < 1)
            rc = UT_ERR_INVAL;
        else
            rc = run(astr[0]);
        if (rc) {
            fflush(stdout);
            printf("ERR %d", rc);
        }
        putchar('\n');
        fflush(stdout);
    }
    return 0;
}
