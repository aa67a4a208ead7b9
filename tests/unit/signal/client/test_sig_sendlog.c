/* test_sig_sendlog.c - the send log (migration 008): it lives in the 0600
 * database; (recipient, device, timestamp) is the key, so a re-send
 * replaces and never duplicates; a lookup prefers the asking device and
 * falls back to another device of the same recipient, never another
 * recipient or timestamp; rows expire after 24 h (clock injected) for
 * lookups at once and are pruned, for this account only. Also the
 * DecryptionErrorMessage parser (sig_dem_parse) against libsignal's rules. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "SignalService.pb-c.h"
#include "sig_sendlog.h"
#include "sig_util.h"
#include "st_records.h"

#define ALICE "11111111-1111-4111-8111-111111111111"
#define BOB "22222222-2222-4222-8222-222222222222"
#define T0 1700000000000LL
#define DAY (24LL * 3600 * 1000)

static char dir[] = "/tmp/sig_sendlog_XXXXXX";
static char path[256];

static st_db *open_db(int64_t *acct, int64_t *acct2)
{
    char err[128];
    st_db *db = NULL;

    strcpy(dir, "/tmp/sig_sendlog_XXXXXX"); /* also without fork (valgrind) */
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
    snprintf(p, sizeof(p), "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", path);
    unlink(p);
    unlink(path);
    rmdir(dir);
}

static int rows(st_db *db)
{
    sqlite3_stmt *st;
    int n = -1;

    ck_assert_int_eq(sqlite3_prepare_v2(st_db_handle(db), "SELECT count(*) FROM sig_sendlog",
                                        -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void expect(st_db *db, int64_t acct, const char *to, uint32_t dev, uint64_t ts,
                   int64_t now, const char *want)
{
    ut_buf b;
    int rc;

    ut_buf_init(&b, 1 << 16);
    rc = sig_sendlog_get(db, acct, to, dev, ts, now, &b);
    if (!want) {
        ck_assert_int_eq(rc, ST_ERR_NOTFOUND);
    } else {
        ck_assert_int_eq(rc, 0);
        ck_assert_uint_eq(b.len, strlen(want));
        ck_assert_mem_eq(b.data, want, b.len);
    }
    ut_buf_free(&b);
}

static int put(st_db *db, int64_t acct, const char *to, uint32_t dev, uint64_t ts,
               const char *c, int64_t now)
{
    return sig_sendlog_put(db, acct, to, dev, ts, (const uint8_t *)c, strlen(c), now);
}

START_TEST(test_put_get)
{
    int64_t a, a2;
    st_db *db = open_db(&a, &a2);
    struct stat sb;

    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 077, 0); /* secret: 0600 */
    ck_assert_int_eq(put(db, a, ALICE, 1, 1000, "one", T0), 0);
    ck_assert_int_eq(put(db, a, ALICE, 2, 1000, "one-2", T0), 0);
    expect(db, a, ALICE, 1, 1000, T0, "one");
    expect(db, a, ALICE, 2, 1000, T0, "one-2");
    /* a device we did not log falls back to the recipient's other device */
    expect(db, a, ALICE, 3, 1000, T0, "one");
    expect(db, a, ALICE, 1, 1001, T0, NULL);  /* another timestamp */
    expect(db, a, BOB, 1, 1000, T0, NULL);    /* another recipient */
    expect(db, a2, ALICE, 1, 1000, T0, NULL); /* another account */
    /* replays are harmless: the key replaces, never duplicates */
    ck_assert_int_eq(rows(db), 2);
    ck_assert_int_eq(put(db, a, ALICE, 1, 1000, "one again", T0 + 5), 0);
    ck_assert_int_eq(rows(db), 2);
    expect(db, a, ALICE, 1, 1000, T0, "one again");
    close_db(db);
}
END_TEST

START_TEST(test_prune_24h)
{
    int64_t a, a2;
    st_db *db = open_db(&a, &a2);
    int n = -1;

    ck_assert_int_eq(put(db, a, ALICE, 1, 1, "old", T0), 0);
    ck_assert_int_eq(put(db, a, ALICE, 1, 2, "new", T0 + DAY / 2), 0);
    ck_assert_int_eq(put(db, a2, ALICE, 1, 1, "other account", T0), 0);
    /* just under 24 h: still there */
    expect(db, a, ALICE, 1, 1, T0 + DAY - 1, "old");
    ck_assert_int_eq(sig_sendlog_prune(db, a, T0 + DAY - 1, &n), 0);
    ck_assert_int_eq(n, 0);
    /* past 24 h: a lookup no longer finds it even before pruning */
    expect(db, a, ALICE, 1, 1, T0 + DAY + 1, NULL);
    expect(db, a, ALICE, 1, 2, T0 + DAY + 1, "new");
    ck_assert_int_eq(sig_sendlog_prune(db, a, T0 + DAY + 1, &n), 0);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(rows(db), 2); /* "new" and the other account's row */
    expect(db, a, ALICE, 1, 2, T0 + DAY + 1, "new");
    expect(db, a2, ALICE, 1, 1, T0, "other account");
    close_db(db);
}
END_TEST

static size_t pack_dem(uint8_t *out, int has_ts, int has_dev, const uint8_t *rk, size_t rk_len)
{
    Signalservice__DecryptionErrorMessage m = SIGNALSERVICE__DECRYPTION_ERROR_MESSAGE__INIT;

    m.has_timestamp = has_ts;
    m.timestamp = 1234567;
    m.has_deviceid = has_dev;
    m.deviceid = 3;
    if (rk) {
        m.has_ratchetkey = 1;
        m.ratchetkey.data = (uint8_t *)rk;
        m.ratchetkey.len = rk_len;
    }
    return signalservice__decryption_error_message__pack(&m, out);
}

START_TEST(test_dem_parse)
{
    uint8_t buf[128], rk[34];
    sig_dem d;
    size_t n;

    memset(rk, 0x42, sizeof(rk));
    rk[0] = 0x05;
    n = pack_dem(buf, 1, 1, rk, 33);
    ck_assert_int_eq(sig_dem_parse(&d, buf, n), 0);
    ck_assert_uint_eq(d.timestamp, 1234567);
    ck_assert_uint_eq(d.device_id, 3);
    ck_assert_int_eq(d.has_ratchet_key, 1);
    ck_assert_mem_eq(d.ratchet_key, rk, 33);
    /* sender-key failures carry no ratchet key */
    n = pack_dem(buf, 1, 1, NULL, 0);
    ck_assert_int_eq(sig_dem_parse(&d, buf, n), 0);
    ck_assert_int_eq(d.has_ratchet_key, 0);
    /* libsignal: device id defaults to 0, the timestamp is required */
    n = pack_dem(buf, 1, 0, NULL, 0);
    ck_assert_int_eq(sig_dem_parse(&d, buf, n), 0);
    ck_assert_uint_eq(d.device_id, 0);
    n = pack_dem(buf, 0, 1, rk, 33);
    ck_assert_int_eq(sig_dem_parse(&d, buf, n), UT_ERR_INVAL);
    /* a ratchet key must be a type-5 public key */
    n = pack_dem(buf, 1, 1, rk, 32);
    ck_assert_int_eq(sig_dem_parse(&d, buf, n), UT_ERR_INVAL);
    n = pack_dem(buf, 1, 1, rk, 34);
    ck_assert_int_eq(sig_dem_parse(&d, buf, n), UT_ERR_INVAL);
    rk[0] = 0x06;
    n = pack_dem(buf, 1, 1, rk, 33);
    ck_assert_int_eq(sig_dem_parse(&d, buf, n), UT_ERR_INVAL);
    ck_assert_int_eq(sig_dem_parse(&d, (const uint8_t *)"\xff\xff\xff", 3), UT_ERR_INVAL);
    ck_assert_int_eq(sig_dem_parse(&d, NULL, 0), UT_ERR_INVAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sig_sendlog");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int nf;

    tcase_add_test(tc, test_put_get);
    tcase_add_test(tc, test_prune_24h);
    tcase_add_test(tc, test_dem_parse);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? 0 : 1;
}
