/*
 * test_hs_db.c - Check tests for shim/homeserver/hs_db.c write
 * transactions under real SQLite failures (no test hooks in mxhs):
 *   - BEGIN IMMEDIATE refused because another connection holds the write
 *     lock: the error is returned and the nesting depth stays 0;
 *   - COMMIT refused by a deferred foreign key (SQLite then keeps the
 *     transaction open, https://sqlite.org/foreignkeys.html section 4.2):
 *     the error is returned, the transaction is rolled back, and the next
 *     write transaction begins and commits;
 *   - an inner rollback makes the outer commit fail.
 */
#include "config.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hs.h"

/* hs_db.c logs through hs_logf (hs_main.c); errors are expected here. */
void hs_logf(hs *s, int level, const char *fmt, ...)
{
    (void)s;
    (void)level;
    (void)fmt;
}

static char dir[64];
static hs *srv;

static void setup(void)
{
    char err[256];

    snprintf(dir, sizeof(dir), "/tmp/test_hs_db.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    srv = calloc(1, sizeof(*srv));
    srv->cfg.db_path = malloc(strlen(dir) + 8);
    sprintf(srv->cfg.db_path, "%s/hs.db", dir);
    ck_assert_int_eq(hs_db_open(srv, err, sizeof(err)), 0);
    sqlite3_busy_timeout(srv->db, 0); /* a held lock fails at once */
}

static void teardown(void)
{
    char p[128];

    hs_db_close(srv);
    snprintf(p, sizeof(p), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(p), 0);
    free(srv->cfg.db_path);
    free(srv);
}

static int count(const char *sql)
{
    sqlite3_stmt *st;
    int n = -1;

    ck_assert_int_eq(sqlite3_prepare_v2(srv->db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

START_TEST(test_failed_begin_keeps_depth)
{
    sqlite3 *other;

    ck_assert_int_eq(sqlite3_open(srv->cfg.db_path, &other), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    ck_assert_int_ne(hs_db_begin(srv), 0);
    ck_assert_int_eq(srv->txn_depth, 0);
    ck_assert_int_ne(hs_db_commit(srv), 0); /* nothing began: never success */
    ck_assert_int_eq(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);
    /* writes are grouped again: a rollback undoes both */
    ck_assert_int_eq(hs_db_begin(srv), 0);
    ck_assert_int_eq(srv->txn_depth, 1);
    ck_assert_int_eq(hs_db_exec(srv, "INSERT INTO meta(key,value) VALUES('a',1)"), 0);
    ck_assert_int_eq(hs_db_exec(srv, "INSERT INTO meta(key,value) VALUES('b',2)"), 0);
    hs_db_rollback(srv);
    ck_assert_int_eq(srv->txn_depth, 0);
    ck_assert_int_eq(count("SELECT COUNT(*) FROM meta WHERE key IN ('a','b')"), 0);
}
END_TEST

START_TEST(test_failed_commit_rolls_back)
{
    ck_assert_int_eq(hs_db_exec(srv, "PRAGMA foreign_keys=ON;"
                                     "CREATE TABLE p(id INTEGER PRIMARY KEY);"
                                     "CREATE TABLE c(pid INTEGER REFERENCES p(id) "
                                     "DEFERRABLE INITIALLY DEFERRED)"), 0);
    ck_assert_int_eq(hs_db_begin(srv), 0);
    ck_assert_int_eq(hs_db_exec(srv, "INSERT INTO c(pid) VALUES(7)"), 0);
    ck_assert_int_ne(hs_db_commit(srv), 0);
    ck_assert_int_eq(srv->txn_depth, 0);
    ck_assert_int_eq(sqlite3_get_autocommit(srv->db), 1); /* not left open */
    ck_assert_int_eq(count("SELECT COUNT(*) FROM c"), 0);
    /* the next write transaction really begins and commits */
    ck_assert_int_eq(hs_db_begin(srv), 0);
    ck_assert_int_eq(hs_db_exec(srv, "INSERT INTO p(id) VALUES(7)"), 0);
    ck_assert_int_eq(hs_db_exec(srv, "INSERT INTO c(pid) VALUES(7)"), 0);
    ck_assert_int_eq(hs_db_commit(srv), 0);
    ck_assert_int_eq(sqlite3_get_autocommit(srv->db), 1);
    ck_assert_int_eq(count("SELECT COUNT(*) FROM c"), 1);
}
END_TEST

START_TEST(test_inner_rollback_dooms_outer)
{
    ck_assert_int_eq(hs_db_begin(srv), 0);
    ck_assert_int_eq(hs_db_exec(srv, "INSERT INTO meta(key,value) VALUES('x',1)"), 0);
    ck_assert_int_eq(hs_db_begin(srv), 0);
    hs_db_rollback(srv);
    ck_assert_int_ne(hs_db_commit(srv), 0);
    ck_assert_int_eq(srv->txn_depth, 0);
    ck_assert_int_eq(count("SELECT COUNT(*) FROM meta WHERE key='x'"), 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("hs_db");
    TCase *tc = tcase_create("txn");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_failed_begin_keeps_depth);
    tcase_add_test(tc, test_failed_commit_rolls_back);
    tcase_add_test(tc, test_inner_rollback_dooms_outer);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
