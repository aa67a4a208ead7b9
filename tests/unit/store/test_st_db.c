/* test_st_db.c - the module database: file mode, migrations, records,
 * transactions. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <sqlite3.h>

#include "st_fault.h"
#include "st_records.h"

static char dir[64], path[128], err[512];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/st-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/module.db", dir);
}

static void teardown(void)
{
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(creates_0600_and_migrates_once)
{
    st_db *db = NULL;
    struct stat st;

    umask(022);
    ck_assert_msg(st_db_open(&db, path, NULL, err, sizeof(err)) == 0, "%s", err);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq(st_db_version(db), st_db_latest_version());
    ck_assert_int_ge(st_db_latest_version(), 1);
    st_db_close(db);
    /* reopening does not migrate again (CREATE TABLE would fail) */
    ck_assert_msg(st_db_open(&db, path, NULL, err, sizeof(err)) == 0, "%s", err);
    st_db_close(db);
}
END_TEST

START_TEST(refuses_a_world_readable_file)
{
    st_db *db = (st_db *)1;
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    fclose(f);
    ck_assert_int_eq(chmod(path, 0644), 0);
    ck_assert_int_eq(st_db_open(&db, path, NULL, err, sizeof(err)), ST_ERR_PERM);
    ck_assert_ptr_null(db);
    ck_assert_ptr_nonnull(strstr(err, "chmod 600"));
}
END_TEST

START_TEST(refuses_a_newer_schema)
{
    st_db *db = NULL;
    sqlite3 *h;

    ck_assert_int_eq(st_db_open(&db, path, NULL, err, sizeof(err)), 0);
    st_db_close(db);
    ck_assert_int_eq(sqlite3_open(path, &h), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(h, "PRAGMA user_version = 999", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    ck_assert_int_eq(st_db_open(&db, path, NULL, err, sizeof(err)), ST_ERR_NEWER);
    ck_assert_ptr_nonnull(strstr(err, "v999"));
}
END_TEST

static int collect(void *arg, const char *key, const void *v, size_t n)
{
    char *out = arg;
    strncat(out, key, 63 - strlen(out));
    strncat(out, "=", 63 - strlen(out));
    strncat(out, (const char *)v, n < 63 - strlen(out) ? n : 63 - strlen(out));
    strncat(out, ";", 63 - strlen(out));
    return 0;
}

START_TEST(records_put_get_replace_delete_each)
{
    st_db *db = NULL;
    int64_t a = 0, b = 0;
    ut_buf out;
    char seen[64] = "";

    ck_assert_int_eq(st_db_open(&db, path, NULL, err, sizeof(err)), 0);
    ck_assert_int_eq(st_account_ensure(db, "@alice:hs", &a), 0);
    ck_assert_int_eq(st_account_ensure(db, "@bob:hs", &b), 0);
    ck_assert_int_ne(a, b);
    {
        int64_t again = 0;
        ck_assert_int_eq(st_account_ensure(db, "@alice:hs", &again), 0);
        ck_assert_int_eq(again, a);
    }
    ck_assert_int_eq(st_record_put(db, a, "prekey", "2", "two", 3), 0);
    ck_assert_int_eq(st_record_put(db, a, "prekey", "1", "one", 3), 0);
    ck_assert_int_eq(st_record_put(db, b, "prekey", "1", "bob", 3), 0);
    ck_assert_int_eq(st_record_put(db, a, "prekey", "2", "TWO", 3), 0); /* replace */
    ck_assert_int_eq(st_record_count(db, a, "prekey"), 2);
    ut_buf_init(&out, 16);
    ck_assert_int_eq(st_record_get(db, a, "prekey", "2", &out), 0);
    ck_assert_uint_eq(out.len, 3);
    ck_assert_int_eq(memcmp(out.data, "TWO", 3), 0);
    ut_buf_reset(&out);
    ck_assert_int_eq(st_record_get(db, a, "session", "2", &out), ST_ERR_NOTFOUND);
    ck_assert_int_eq(st_record_each(db, a, "prekey", collect, seen), 0);
    ck_assert_str_eq(seen, "1=one;2=TWO;");
    /* one peer's records by key prefix, and nobody else's: "a:u1." is
     * neither "a:u10.1" nor "a:u1/" (the byte after '.') nor "a:u1-" */
    ck_assert_int_eq(st_record_put(db, a, "session", "a:u1.2", "s2", 2), 0);
    ck_assert_int_eq(st_record_put(db, a, "session", "a:u1.12", "s12", 3), 0);
    ck_assert_int_eq(st_record_put(db, a, "session", "a:u10.1", "x", 1), 0);
    ck_assert_int_eq(st_record_put(db, a, "session", "a:u1/", "x", 1), 0);
    ck_assert_int_eq(st_record_put(db, a, "session", "a:u1-", "x", 1), 0);
    ck_assert_int_eq(st_record_put(db, a, "session", "a:u1", "x", 1), 0);
    ck_assert_int_eq(st_record_put(db, b, "session", "a:u1.3", "bob", 3), 0);
    seen[0] = '\0';
    ck_assert_int_eq(st_record_each_prefix(db, a, "session", "a:u1.", collect, seen), 0);
    ck_assert_str_eq(seen, "a:u1.12=s12;a:u1.2=s2;");
    seen[0] = '\0';
    ck_assert_int_eq(st_record_each_prefix(db, a, "session", "a:u2.", collect, seen), 0);
    ck_assert_str_eq(seen, "");
    ck_assert_int_eq(st_record_each_prefix(db, a, "session", "", collect, seen), UT_ERR_INVAL);
    ck_assert_int_eq(st_record_delete(db, a, "prekey", "1"), 0);
    ck_assert_int_eq(st_record_count(db, a, "prekey"), 1);
    /* deleting an account cascades to its records only */
    ck_assert_int_eq(st_account_delete(db, a), 0);
    ck_assert_int_eq(st_record_count(db, a, "prekey"), 0);
    ck_assert_int_eq(st_record_count(db, b, "prekey"), 1);
    ck_assert_int_eq(st_account_find(db, "@alice:hs", &a), ST_ERR_NOTFOUND);
    /* a record needs an existing account */
    ck_assert_int_eq(st_record_put(db, 12345, "prekey", "1", "x", 1), ST_ERR_CONSTRAINT);
    ut_buf_free_secret(&out);
    st_db_close(db);
}
END_TEST

START_TEST(transactions_nest_and_roll_back)
{
    st_db *db = NULL;
    int64_t a = 0;

    ck_assert_int_eq(st_db_open(&db, path, NULL, err, sizeof(err)), 0);
    ck_assert_int_eq(st_account_ensure(db, "@alice:hs", &a), 0);
    ck_assert_int_eq(st_db_begin(db), 0);
    ck_assert_int_eq(st_record_put(db, a, "k", "1", "x", 1), 0);
    ck_assert_int_eq(st_db_begin(db), 0);
    ck_assert_int_eq(st_record_put(db, a, "k", "2", "y", 1), 0);
    st_db_rollback(db);                   /* inner failure ... */
    ck_assert_int_ne(st_db_commit(db), 0); /* ... dooms the outer one */
    ck_assert_int_eq(st_record_count(db, a, "k"), 0);

    ck_assert_int_eq(st_db_begin(db), 0);
    ck_assert_int_eq(st_record_put(db, a, "k", "1", "x", 1), 0);
    ck_assert_int_eq(st_db_commit(db), 0);
    st_db_close(db);
    ck_assert_int_eq(st_db_open(&db, path, NULL, err, sizeof(err)), 0);
    ck_assert_int_eq(st_record_count(db, a, "k"), 1);
    ck_assert_str_eq(st_strerror(ST_ERR_NOTFOUND), "not found");
    st_db_close(db);
}
END_TEST

/* Two connections opening a fresh file from two threads: one migrates,
 * the other waits and finds the schema current. */
static void *open_in_thread(void *arg)
{
    st_db *db = NULL;
    char e[256];
    int *rc = arg;

    *rc = st_db_open(&db, path, NULL, e, sizeof(e));
    st_db_close(db);
    return NULL;
}

START_TEST(concurrent_first_open_migrates_once)
{
    pthread_t t[8];
    int rc[8], i, round;

    /* several fresh files: the race is in the first open's WAL switch */
    for (round = 0; round < 5; round++) {
        snprintf(path, sizeof(path), "%s/race%d.db", dir, round);
        for (i = 0; i < 8; i++)
            ck_assert_int_eq(pthread_create(&t[i], NULL, open_in_thread, &rc[i]), 0);
        for (i = 0; i < 8; i++) {
            pthread_join(t[i], NULL);
            ck_assert_msg(rc[i] == 0, "round %d thread %d: %s", round, i, st_strerror(rc[i]));
        }
    }
}
END_TEST

/* The test-only fault injector (st_fault.h): the next N writes to a table
 * fail with the code asked for, as SQLite's own would; other tables and
 * later writes are untouched; the spec file counts down. */
static void write_spec(const char *spec_path, const char *text)
{
    FILE *f = fopen(spec_path, "w");

    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

START_TEST(fault_injector_fails_the_next_writes_asked_for)
{
    st_db *db = NULL;
    char spec[160], back[256] = "";
    int64_t a = 0, b = 0;
    FILE *f;

    snprintf(spec, sizeof(spec), "%s/faults", dir);
    ck_assert_int_eq(st_db_open(&db, path, NULL, err, sizeof(err)), 0);
    ck_assert_int_eq(st_account_ensure(db, "@alice:hs", &a), 0);
    /* no file yet: nothing injected */
    ck_assert_msg(st_fault_enable(db, spec, NULL, err, sizeof(err)) == 0, "%s", err);
    ck_assert_int_eq(st_record_put(db, a, "k", "1", "x", 1), 0);

    write_spec(spec, "# two full-disk failures of writes to record, then a lock\n"
                     "record * full 2\nrecord insert busy 1\n");
    ck_assert_int_ne(st_record_put(db, a, "k", "2", "y", 1), 0);
    ck_assert_int_eq(st_db_retryable(db, ST_ERR_SQL), 1);
    ck_assert_int_eq(sqlite3_extended_errcode(st_db_handle(db)) & 0xff, SQLITE_FULL);
    ck_assert_int_ne(st_record_put(db, a, "k", "2", "y", 1), 0);
    /* another table is not touched */
    ck_assert_int_eq(st_account_ensure(db, "@bob:hs", &b), 0);
    ck_assert_int_eq(st_record_put(db, a, "k", "2", "y", 1), ST_ERR_BUSY);
    ck_assert_int_eq(st_record_put(db, a, "k", "2", "y", 1), 0);
    ck_assert_int_eq(st_record_count(db, a, "k"), 2);
    f = fopen(spec, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_gt(fread(back, 1, sizeof(back) - 1, f), 0);
    fclose(f);
    ck_assert_str_eq(back, "record * full 0\nrecord insert busy 0\n");
    /* a failed write inside a transaction: the caller's rollback holds */
    write_spec(spec, "record update locked 1\n");
    ck_assert_int_eq(st_db_begin(db), 0);
    ck_assert_int_eq(st_record_put(db, a, "k", "3", "z", 1), 0); /* an insert */
    ck_assert_int_eq(st_record_put(db, a, "k", "3", "w", 1), ST_ERR_BUSY); /* upsert: update */
    st_db_rollback(db);
    ck_assert_int_eq(st_record_count(db, a, "k"), 2);
    st_db_close(db);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("st_db");
    TCase *tc = tcase_create("db");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, creates_0600_and_migrates_once);
    tcase_add_test(tc, refuses_a_world_readable_file);
    tcase_add_test(tc, refuses_a_newer_schema);
    tcase_add_test(tc, records_put_get_replace_delete_each);
    tcase_add_test(tc, transactions_nest_and_roll_back);
    tcase_add_test(tc, concurrent_first_open_migrates_once);
    tcase_add_test(tc, fault_injector_fails_the_next_writes_asked_for);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
