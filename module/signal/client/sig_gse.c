/* sig_gse.c - group send endorsements of a group (sig_gse.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sig_err.h"
#include "sig_groups.h"
#include "sig_gse.h"
#include "sig_int.h"

#define HDR 16
#define ENTRY 48
#define MIN_LEFT_S (2u * 3600u) /* Desktop groupSendEndorsements.ts TWO_HOURS */

static int put(sig_client *c, const uint8_t gid[32], uint64_t exp, const uint8_t *acis,
               const uint8_t *e, size_t n)
{
    uint8_t *b = malloc(HDR + ENTRY * n);
    char *key = NULL;
    size_t i;
    int rc;

    if (!b)
        return UT_ERR_NOMEM;
    ut_le64_put(b, exp);
    ut_le64_put(b + 8, (uint64_t)ut_now_ms());
    for (i = 0; i < n; i++) {
        memcpy(b + HDR + ENTRY * i, acis + 16 * i, 16);
        memcpy(b + HDR + ENTRY * i + 16, e + 32 * i, 32);
    }
    if ((rc = sig_b64_encode(gid, 32, &key)) == 0)
        rc = sig_rec_put(c, "group_gse", key, b, HDR + ENTRY * n);
    free(key);
    ut_free_secret(b, HDR + ENTRY * n);
    return rc;
}

void sig_gse_store(sig_client *c, const sc_zk_server *sp, const sc_zk_group *zg,
                   const sig_group_info *g, const uint8_t *resp, size_t len)
{
    uint8_t *acis = NULL, *e = NULL;
    uint64_t exp = 0;
    size_t i, n = g->n_members;
    int rc = 0;

    if (len) {
        if (!(acis = calloc(n ? n : 1, 16)) || !(e = calloc(n ? n : 1, 32)))
            rc = UT_ERR_NOMEM;
        for (i = 0; rc == 0 && i < n; i++)
            rc = sig_uuid_parse(acis + 16 * i, g->members[i].aci);
        /* every full member, us included (Desktop: groupMembersV2) */
        if (rc == 0)
            rc = sc_zk_gse_receive(e, &exp, sp, zg, acis, n, (uint64_t)(ut_now_ms() / 1000),
                                   resp, len);
        if (rc != 0) {
            sig_logf(c, UT_LOG_WARN, "signal: the group's send endorsements are not valid (%s): "
                     "sending with access keys", sig_strerror(rc));
            exp = 0;
            n = 0;
        }
    } else {
        n = 0;
    }
    if ((rc = put(c, g->group_id, exp, acis, e, n)) != 0)
        sig_logf(c, UT_LOG_WARN, "signal: group send endorsements not stored: %s", sig_strerror(rc));
    free(acis);
    if (e)
        ut_free_secret(e, 32 * (g->n_members ? g->n_members : 1));
}

int sig_gse_load(sig_client *c, const uint8_t gid[32], sig_gse **out)
{
    sig_gse *s = NULL;
    char *key = NULL;
    ut_buf b;
    size_t i;
    int rc;

    *out = NULL;
    ut_buf_init(&b, 16u << 20);
    if ((rc = sig_b64_encode(gid, 32, &key)) == 0)
        rc = sig_rec_get(c, "group_gse", key, &b);
    free(key);
    if (rc == 0 && (b.len < HDR || (b.len - HDR) % ENTRY))
        rc = SIG_ERR_JSON;
    if (rc == 0 && !(s = calloc(1, sizeof(*s))))
        rc = UT_ERR_NOMEM;
    if (rc == 0) {
        s->expiration = ut_le64_get(b.data);
        s->stored_ms = (int64_t)ut_le64_get(b.data + 8);
        s->n = (b.len - HDR) / ENTRY;
        if (!(s->acis = malloc(16 * s->n + 1)) || !(s->e = malloc(32 * s->n + 1)))
            rc = UT_ERR_NOMEM;
        for (i = 0; rc == 0 && i < s->n; i++) {
            memcpy(s->acis + 16 * i, b.data + HDR + ENTRY * i, 16);
            memcpy(s->e + 32 * i, b.data + HDR + ENTRY * i + 16, 32);
        }
    }
    ut_buf_free_secret(&b);
    if (rc != 0) {
        sig_gse_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void sig_gse_free(sig_gse *s)
{
    if (!s)
        return;
    free(s->acis);
    if (s->e)
        ut_free_secret(s->e, 32 * s->n + 1);
    free(s);
}

void sig_gse_drop(sig_client *c, const uint8_t gid[32])
{
    char *key = NULL;

    if (sig_b64_encode(gid, 32, &key) == 0)
        (void)sig_rec_del(c, "group_gse", key);
    free(key);
}

int sig_gse_usable(const sig_gse *s, uint64_t now_s)
{
    return s && s->expiration > now_s && s->expiration - now_s > MIN_LEFT_S && s->n > 0;
}

const uint8_t *sig_gse_find(const sig_gse *s, const char *aci)
{
    uint8_t u[16];
    size_t i;

    if (!s || sig_uuid_parse(u, aci) != 0)
        return NULL;
    for (i = 0; i < s->n; i++)
        if (memcmp(s->acis + 16 * i, u, 16) == 0)
            return s->e + 32 * i;
    return NULL;
}

int sig_gse_token(sig_client *c, const uint8_t gid[32], const sig_gse *s,
                  const uint8_t *endorsements, size_t k, char **b64)
{
    uint8_t mk[32], e[SC_ZK_GSE_LEN], tok[SC_ZK_GSE_TOKEN_LEN];
    sc_zk_group zg;
    int rc;

    if ((rc = sig_group_master_key(c, gid, mk)) == 0 &&
        (rc = sc_zk_group_derive(&zg, mk)) == 0 &&
        (rc = sc_zk_gse_combine(e, endorsements, k)) == 0 &&
        (rc = sc_zk_gse_full_token(tok, &zg, e, s->expiration)) == 0)
        rc = sig_b64_encode(tok, sizeof(tok), b64);
    ut_wipe(mk, sizeof(mk));
    ut_wipe(&zg, sizeof(zg));
    ut_wipe(tok, sizeof(tok));
    return rc;
}
