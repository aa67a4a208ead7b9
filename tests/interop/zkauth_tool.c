/* zkauth_tool.c - line-oriented driver of the group auth credential code
 * (sc_zk.h, sc_zkauth.c) for tests/interop/zkauth-interop.js. One request
 * per stdin line, hex arguments ("-" = empty, decimal where noted); the
 * answer is one line of hex, "OK", or "ERR <code>". Test helper only: it
 * prints secrets.
 *   SP params                                  -> OK (sc_zk_server_parse)
 *   RC params aci16 pni16 time(dec) response   -> credential
 *   PR params groupsecret289 credential rnd32|- -> presentation
 *   GR params groupsecret289 acis(16 each) now(dec) response
 *                                  -> le64 expiration || endorsements
 *   GC params endorsements(32 each)            -> combined endorsement
 *   GT params groupsecret289 endorsements(32 each) expiration(dec)
 *                                  -> full token of their combination
 *   (group send endorsements, sc_zkgse.c; params only parsed) */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sc_zk.h"

#define MAXARG 8

typedef struct {
    int n;
    char *str[MAXARG];
    uint8_t *b[MAXARG];
    size_t len[MAXARG];
} args;

static void args_free(args *a)
{
    for (int i = 0; i < a->n; i++)
        free(a->b[i]);
    a->n = 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Splits line at spaces; each token is also decoded as hex (odd length or
 * a non-hex digit: that token's bytes are unusable, len = SIZE_MAX). */
static void split(args *a, char *line)
{
    char *save = NULL;

    a->n = 0;
    for (char *tok = strtok_r(line, " \r\n", &save); tok && a->n < MAXARG;
         tok = strtok_r(NULL, " \r\n", &save)) {
        size_t sl = strcmp(tok, "-") ? strlen(tok) : 0, n = sl / 2;
        int i = a->n++;

        a->str[i] = tok;
        a->b[i] = malloc(n + 1);
        a->len[i] = sl % 2 ? SIZE_MAX : n;
        for (size_t k = 0; k < n; k++) {
            int h = hexval(tok[2 * k]), l = hexval(tok[2 * k + 1]);
            if (h < 0 || l < 0)
                a->len[i] = SIZE_MAX;
            a->b[i][k] = (uint8_t)(h << 4 | (l & 15));
        }
    }
}

static void hex(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
}

static int run(args *a)
{
    const char *cmd = a->str[0];
    sc_zk_server *sp = NULL;
    uint8_t *out = NULL;
    size_t n = 0;
    int rc = UT_ERR_INVAL;

    for (int i = 1; i < a->n; i++)
        if (a->len[i] == SIZE_MAX)
            return UT_ERR_INVAL;
    if (a->n < 2)
        return UT_ERR_INVAL;
    if ((rc = sc_zk_server_parse(&sp, a->b[1], a->len[1])))
        return rc;
    if (!strcmp(cmd, "SP") && a->n == 2) {
        printf("OK");
    } else if (!strcmp(cmd, "RC") && a->n == 6 && a->len[2] == 16 &&
               a->len[3] == 16) {
        char *end = NULL;
        unsigned long long t = strtoull(a->str[4], &end, 10);
        if (!end || *end)
            rc = UT_ERR_INVAL;
        else if (!(rc = sc_zk_auth_receive(&out, &n, sp, a->b[2], a->b[3], t,
                                           a->b[5], a->len[5])))
            hex(out, n);
        ut_free_secret(out, n);
        out = NULL;
    } else if (!strcmp(cmd, "PR") && a->n == 5 &&
               a->len[2] == SC_ZK_GROUP_SECRET_LEN &&
               (a->len[4] == 32 || a->len[4] == 0)) {
        sc_zk_group g;
        memcpy(g.b, a->b[2], sizeof(g.b));
        if (!(rc = sc_zk_auth_present(&out, &n, sp, &g, a->b[3], a->len[3],
                                      a->len[4] ? a->b[4] : NULL)))
            hex(out, n);
        ut_wipe(&g, sizeof(g));
    } else if (!strcmp(cmd, "GR") && a->n == 6 && a->len[2] == SC_ZK_GROUP_SECRET_LEN &&
               a->len[3] % 16 == 0) {
        sc_zk_group g;
        char *end = NULL;
        unsigned long long now = strtoull(a->str[4], &end, 10);
        size_t k = a->len[3] / 16;
        uint64_t exp = 0;
        uint8_t *e = malloc(8 + 32 * k);

        memcpy(g.b, a->b[2], sizeof(g.b));
        if (!e || !end || *end)
            rc = UT_ERR_INVAL;
        else if (!(rc = sc_zk_gse_receive(e + 8, &exp, sp, &g, a->b[3], k, now,
                                          a->b[5], a->len[5]))) {
            for (int i = 0; i < 8; i++)
                e[i] = (uint8_t)(exp >> (8 * i));
            hex(e, 8 + 32 * k);
        }
        free(e);
        ut_wipe(&g, sizeof(g));
    } else if (!strcmp(cmd, "GC") && a->n == 3 && a->len[2] % 32 == 0) {
        uint8_t e[SC_ZK_GSE_LEN];
        if (!(rc = sc_zk_gse_combine(e, a->b[2], a->len[2] / 32)))
            hex(e, sizeof(e));
    } else if (!strcmp(cmd, "GT") && a->n == 5 && a->len[2] == SC_ZK_GROUP_SECRET_LEN &&
               a->len[3] % 32 == 0) {
        sc_zk_group g;
        uint8_t e[SC_ZK_GSE_LEN], tok[SC_ZK_GSE_TOKEN_LEN];
        char *end = NULL;
        unsigned long long exp = strtoull(a->str[4], &end, 10);

        memcpy(g.b, a->b[2], sizeof(g.b));
        if (!end || *end)
            rc = UT_ERR_INVAL;
        else if (!(rc = sc_zk_gse_combine(e, a->b[3], a->len[3] / 32)) &&
                 !(rc = sc_zk_gse_full_token(tok, &g, e, exp)))
            hex(tok, sizeof(tok));
        ut_wipe(&g, sizeof(g));
    } else {
        rc = UT_ERR_INVAL;
    }
    free(out);
    sc_zk_server_free(sp);
    return rc;
}

int main(void)
{
    static char line[1 << 20];
    args a = {0};

    while (fgets(line, sizeof(line), stdin)) {
        int rc;
        split(&a, line);
        rc = a.n ? run(&a) : UT_ERR_INVAL;
        if (rc) {
            fflush(stdout);
            printf("ERR %d", rc);
        }
        putchar('\n');
        fflush(stdout);
        args_free(&a);
    }
    return 0;
}
