/* test_sn_tls.c - module/signal/net/sn_tls.c pieces that need no peer. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include <check.h>

#include "sn_err.h"
#include "sn_tls.h"
#include "ut.h"

START_TEST(a_write_to_a_reset_peer_returns_epipe_instead_of_killing_us)
{
    int sv[2];
    ssize_t n;

    ck_assert_int_eq(sn_tls_block_sigpipe(), 0);
    ck_assert_int_eq(sn_tls_block_sigpipe(), 0); /* idempotent */
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    close(sv[1]);
    /* write(), as OpenSSL's socket BIO does; unblocked this raises SIGPIPE */
    n = write(sv[0], "x", 1);
    ck_assert_int_eq((int)n, -1);
    ck_assert_int_eq(errno, EPIPE);
    close(sv[0]);
}
END_TEST

START_TEST(ca_file_must_load)
{
    sn_tls *t = NULL;
    char path[] = "/tmp/sn_tls_test_XXXXXX";
    int fd;

    ck_assert_int_eq(sn_tls_new(&t, "/nonexistent/ca.pem"), SN_ERR_TLS);
    ck_assert_ptr_null(t);
    fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "not a certificate\n", 18), 18);
    close(fd);
    ck_assert_int_eq(sn_tls_new(&t, path), SN_ERR_TLS);
    unlink(path);
    ck_assert_int_eq(sn_tls_new(&t, NULL), 0); /* system trust store */
    ck_assert_ptr_nonnull(t);
    sn_tls_free(t);
    sn_tls_free(NULL);
    ck_assert_int_eq(sn_tls_connect(NULL, NULL, NULL, "h", 1, SN_ALPN_H2, NULL), UT_ERR_INVAL);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sn_tls");
    TCase *tc = tcase_create("tls");

    tcase_add_test(tc, a_write_to_a_reset_peer_returns_epipe_instead_of_killing_us);
    tcase_add_test(tc, ca_file_must_load);
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
    return failed ? 1 : 0;
}
