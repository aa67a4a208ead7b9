/* test_sig_skinfo.c - our sender keys' bookkeeping (migration 019): one
 * distribution id per group and account, replaced by a put; the devices
 * holding a chain, per distribution id, with their registration ids;
 * forgetting one member, everyone, or one member everywhere; nothing
 * crosses accounts. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sig_skinfo.h"
#include "st_records.h"

#define ALICE "11111111-1111-4111-8111-111111111111"
#define BOB "22222222-2222-4222-8222-222222222222"

static char dir[] = "/tmp/sig_skinfo_XXXXXX";
static char path[256];

static st_db *open_db(int64_t *acct, int64_t *acct2)
{
    char err[128];
    st_db *db = NULL;

    strcpy(dir, "/tmp/sig_skinfo_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/t.db", dir);
    ck_assert_int_eq(st_db_open(&db, path, NULL, err, sizeof(err)), 0);
    ck_assert_int_eq(st_account_ensure(db, "@u:test", acct), 0);
    ck_assert_int_eq(st_account_ensure(db, "@v:test", acct2), 0);
    return db;
}

static void close_db(st_db *db)
{
    char p[300];

    st_db_close(db);
    unlink(path);
    snprintf(p, sizeof(p), "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", path);
    unlink(p);
    rmdir(dir);
}

static size_t count(st_db *db, int64_t acct, const uint8_t dist[16], const char *member)
{
    sig_skdev *v = NULL;
    size_t n = 0, i, k = 0;

    ck_assert_int_eq(sig_skinfo_shared(db, acct, dist, &v, &n), 0);
    for (i = 0; i < n; i++)
        k += member == NULL || strcmp(v[i].member, member) == 0;
    free(v);
    return k;
}

START_TEST(groups_and_holders)
{
    int64_t a, b, created = 0;
    st_db *db = open_db(&a, &b);
    uint8_t g1[32], g2[32], d1[16], d2[16], got[16];
    sig_skdev s;
    sig_skdev *v = NULL;
    size_t n = 0;

    memset(g1, 1, sizeof(g1));
    memset(g2, 2, sizeof(g2));
    memset(d1, 0x11, sizeof(d1));
    memset(d2, 0x22, sizeof(d2));
    ck_assert_int_eq(sig_skinfo_get(db, a, g1, got, &created), ST_ERR_NOTFOUND);
    ck_assert_int_eq(sig_skinfo_put(db, a, g1, d1, 1000), 0);
    ck_assert_int_eq(sig_skinfo_put(db, a, g2, d2, 2000), 0);
    ck_assert_int_eq(sig_skinfo_get(db, a, g1, got, &created), 0);
    ck_assert_mem_eq(got, d1, 16);
    ck_assert_int_eq(created, 1000);
    ck_assert_int_eq(sig_skinfo_put(db, a, g1, d1, 3000), 0); /* a new chain: replaced */
    ck_assert_int_eq(sig_skinfo_get(db, a, g1, got, &created), 0);
    ck_assert_int_eq(created, 3000);
    ck_assert_int_eq(sig_skinfo_get(db, b, g1, got, &created), ST_ERR_NOTFOUND);

    snprintf(s.member, sizeof(s.member), "%s", ALICE);
    s.device = 1;
    s.registration_id = 100;
    ck_assert_int_eq(sig_skinfo_share(db, a, d1, &s), 0);
    s.device = 2;
    ck_assert_int_eq(sig_skinfo_share(db, a, d1, &s), 0);
    s.registration_id = 101; /* same device again: replaced, not doubled */
    ck_assert_int_eq(sig_skinfo_share(db, a, d1, &s), 0);
    ck_assert_int_eq(sig_skinfo_share(db, a, d2, &s), 0);
    snprintf(s.member, sizeof(s.member), "%s", BOB);
    s.device = 1;
    ck_assert_int_eq(sig_skinfo_share(db, a, d1, &s), 0);
    ck_assert_int_eq(sig_skinfo_share(db, b, d1, &s), 0);
    ck_assert_int_eq(sig_skinfo_shared(db, a, d1, &v, &n), 0);
    ck_assert_uint_eq(n, 3);
    free(v);
    ck_assert_uint_eq(count(db, a, d1, ALICE), 2);
    /* forget one member of one chain */
    ck_assert_int_eq(sig_skinfo_forget(db, a, d1, ALICE), 0);
    ck_assert_uint_eq(count(db, a, d1, ALICE), 0);
    ck_assert_uint_eq(count(db, a, d1, BOB), 1);
    ck_assert_uint_eq(count(db, a, d2, ALICE), 1);
    /* a member everywhere (a retry request), this account only */
    ck_assert_int_eq(sig_skinfo_forget_everywhere(db, a, BOB), 0);
    ck_assert_uint_eq(count(db, a, d1, BOB), 0);
    ck_assert_uint_eq(count(db, b, d1, BOB), 1);
    /* everyone of a chain (a new chain) */
    ck_assert_int_eq(sig_skinfo_forget(db, a, d2, NULL), 0);
    ck_assert_uint_eq(count(db, a, d2, NULL), 0);
    ck_assert_uint_eq(count(db, b, d1, NULL), 1);
    close_db(db);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sig_skinfo");
    TCase *tc = tcase_create("all");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, groups_and_holders);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
