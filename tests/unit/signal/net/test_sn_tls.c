/* test_sn_tls.c - module/signal/net/sn_tls.c pieces that need no peer. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include <check.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "sn_err.h"
#include "sn_roots.h"
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
    ck_assert_int_eq(sn_tls_new(&t, NULL), 0); /* Signal's built-in roots */
    ck_assert_ptr_nonnull(t);
    sn_tls_free(t);
    sn_tls_free(NULL);
    ck_assert_int_eq(sn_tls_connect(NULL, NULL, NULL, "h", 1, SN_ALPN_H2, NULL), UT_ERR_INVAL);
}
END_TEST

/* The built-in roots are the certificates libsignal pins
 * (rust/net/res/signal.cer, signal-ed25519.cer), by SHA-256 fingerprint. */
START_TEST(built_in_roots_are_signals)
{
    static const char *want[SN_SIGNAL_ROOTS] = {
        "DDB0F92BB95C8D6FD202EA6E8CC5CCD182B544F8CD696F47D580659DDC9DF65A",
        "2642F1F90B389FED2558D7324CA26D70E750B06F87C595C5DE955E2560821657",
    };
    const char *pem = sn_signal_roots_pem();
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *x;
    int n = 0;

    ck_assert_ptr_nonnull(bio);
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0, i;
        char hex[2 * EVP_MAX_MD_SIZE + 1];
        char cn[64];

        ck_assert_int_lt(n, SN_SIGNAL_ROOTS);
        ck_assert_int_eq(X509_digest(x, EVP_sha256(), md, &len), 1);
        for (i = 0; i < len; i++)
            snprintf(hex + 2 * i, 3, "%02X", md[i]);
        ck_assert_str_eq(hex, want[n]);
        ck_assert_int_gt(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
                                                   cn, sizeof(cn)), 0);
        ck_assert_str_eq(cn, "Signal Messenger");
        ck_assert_int_eq(X509_check_ca(x), 1);
        X509_free(x);
        n++;
    }
    BIO_free(bio);
    ck_assert_int_eq(n, SN_SIGNAL_ROOTS);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sn_tls");
    TCase *tc = tcase_create("tls");

    tcase_add_test(tc, a_write_to_a_reset_peer_returns_epipe_instead_of_killing_us);
    tcase_add_test(tc, ca_file_must_load);
    tcase_add_test(tc, built_in_roots_are_signals);
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
