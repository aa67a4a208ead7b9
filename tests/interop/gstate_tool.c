/* gstate_tool - line protocol for tests/interop/groups-state.js: parse a
 * GroupResponse made by Signal's mock server / libsignal with
 * sig_gstate_parse. Member ids and profile keys are decrypted by the
 * oracle (libsignal's ClientZkGroupCipher) and handed in as tables, so
 * this checks the protobuf reading, the blob decryption and the mapping of
 * ciphertexts to members, independently of our zkgroup.
 *   GS <master key hex> <GroupResponse hex> <uid table> <pkey table> [<expected public params hex>]
 *     table: "-" or comma-separated <ciphertext hex>=<value>, value: uuid
 *     text (ACI) or "P:"uuid (PNI) for ids, 32-byte hex for profile keys
 *   -> "<stored-form JSON>\t<profile keys hex in member order, or ->\t<skipped>"
 *      or "ERR <code>"
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sc_group.h"
#include "sc_zk.h"
#include "sig_err.h"
#include "sig_gstate.h"
#include "sig_util.h"
#include "ut.h"

static size_t unhex(uint8_t *out, const char *s, size_t cap)
{
    size_t n = strlen(s) / 2, i;

    if (!strcmp(s, "-"))
        return 0;
    if (n > cap)
        return (size_t)-1;
    for (i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1)
            return (size_t)-1;
        out[i] = (uint8_t)v;
    }
    return n;
}

/* Find `ct` in "h1=v1,h2=v2": the value, NUL-terminated in `val`. */
static int lookup(const char *table, const uint8_t *ct, size_t n, char *val, size_t cap)
{
    char *hex = malloc(2 * n + 2);
    const char *p = table;
    size_t i;
    int rc = -1;

    if (!hex)
        return -1;
    for (i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", ct[i]);
    hex[2 * n] = '=';
    hex[2 * n + 1] = '\0';
    while (p && *p) {
        if (!strncmp(p, hex, 2 * n + 1)) {
            const char *v = p + 2 * n + 1, *e = strchr(v, ',');
            size_t len = e ? (size_t)(e - v) : strlen(v);
            if (len < cap) {
                memcpy(val, v, len);
                val[len] = '\0';
                rc = 0;
            }
            break;
        }
        p = strchr(p, ',');
        if (p)
            p++;
    }
    free(hex);
    return rc;
}

typedef struct tables {
    const char *uid, *pkey;
} tables;

static int uid_fn(void *arg, uint8_t uuid[16], int *kind, const uint8_t *ct, size_t n)
{
    tables *t = arg;
    char v[64];

    if (lookup(t->uid, ct, n, v, sizeof(v)) != 0)
        return SC_ERR_ZK_VERIFY;
    *kind = strncmp(v, "P:", 2) ? SC_ZK_ACI : SC_ZK_PNI;
    return sig_uuid_parse(uuid, *kind == SC_ZK_PNI ? v + 2 : v) ? SC_ERR_FORMAT : 0;
}

static int pkey_fn(void *arg, uint8_t key[32], const uint8_t *ct, size_t n,
                   const uint8_t aci[16])
{
    tables *t = arg;
    char v[80];

    (void)aci;
    if (lookup(t->pkey, ct, n, v, sizeof(v)) != 0 || unhex(key, v, 32) != 32)
        return SC_ERR_ZK_VERIFY;
    return 0;
}

int main(void)
{
    static char line[1 << 22];

    while (fgets(line, sizeof(line), stdin)) {
        char *f[6] = {0}, *save = NULL, *js = NULL;
        uint8_t mk[32], blob_key[32], pub[SC_ZK_GROUP_PUBLIC_LEN], *resp = NULL, *pkeys = NULL;
        size_t n = 0, k, skipped = 0;
        int nf = 0, rc;
        sig_group_info *g = NULL;
        sig_gstate_dec d;
        tables t;

        line[strcspn(line, "\n")] = '\0';
        for (char *p = strtok_r(line, " ", &save); p && nf < 6; p = strtok_r(NULL, " ", &save))
            f[nf++] = p;
        if (nf < 5 || strcmp(f[0], "GS") || unhex(mk, f[1], 32) != 32) {
            printf("ERR %d\n", UT_ERR_INVAL);
            continue;
        }
        resp = malloc(strlen(f[2]) / 2 + 1);
        if (!resp || (n = unhex(resp, f[2], strlen(f[2]) / 2 + 1)) == (size_t)-1 ||
            (nf == 6 && unhex(pub, f[5], sizeof(pub)) != sizeof(pub))) {
            printf("ERR %d\n", UT_ERR_INVAL);
            free(resp);
            continue;
        }
        t.uid = f[3];
        t.pkey = f[4];
        memset(&d, 0, sizeof(d));
        d.uid = uid_fn;
        d.pkey = pkey_fn;
        d.arg = &t;
        d.blob_key = blob_key;
        rc = sc_group_derive(NULL, blob_key, mk);
        if (rc == 0)
            rc = sig_gstate_parse(resp, n, &d, nf == 6 ? pub : NULL, &g, &pkeys, &skipped);
        if (rc == 0)
            rc = sig_gstate_dump(g, &js);
        if (rc != 0) {
            printf("ERR %d\n", rc);
        } else {
            printf("%s\t", js);
            for (k = 0; k < 32 * g->n_members; k++)
                printf("%02x", pkeys[k]);
            printf("%s\t%zu\n", g->n_members ? "" : "-", skipped);
        }
        fflush(stdout);
        if (pkeys)
            ut_free_secret(pkeys, 32 * (g->n_members ? g->n_members : 1));
        free(js);
        sig_group_info_free(g);
        free(resp);
    }
    return 0;
}
