/* test_br_outbox.c - which Signal send failures the outbox retries and
 * which fail a row for good, and the retry backoff. */
#include "config.h"

#include <check.h>
#include <stdlib.h>

#include "br_internal.h"
#include "br_net.h"
#include "br_signal_int.h"
#include "sig_err.h"
#include "sn_err.h"

START_TEST(transient_failures_are_retried)
{
    /* socket down, 413/429 rate limit, 428 challenge, 5xx, 409/410 loops,
     * a connection lost mid-send: the row stays queued */
    static const int transient[] = {SIG_ERR_STATE, SIG_ERR_RATE_LIMIT, SIG_ERR_CHALLENGE,
                                    SIG_ERR_HTTP, SIG_ERR_RETRIES, SIG_ERR_CANCELLED, SN_ERR_CLOSED};
    /* unregistered (404), not a member, too big: never sent, a notice */
    static const int permanent[] = {SIG_ERR_UNREGISTERED, SIG_ERR_NOT_MEMBER, SIG_ERR_TOO_BIG,
                                    SIG_ERR_ADDRESS, SIG_ERR_NOT_LINKED};
    size_t i;

    for (i = 0; i < sizeof(transient) / sizeof(transient[0]); i++)
        ck_assert_msg(BR_NET_ERR_TRANSIENT(br_sig_net_code(transient[i])), "%d should be retried", transient[i]);
    for (i = 0; i < sizeof(permanent) / sizeof(permanent[0]); i++)
        ck_assert_msg(!BR_NET_ERR_TRANSIENT(br_sig_net_code(permanent[i])), "%d should fail the row", permanent[i]);
    ck_assert_int_eq(br_sig_net_code(SIG_ERR_NOT_MEMBER), BR_NET_ERR_NOT_MEMBER);
    ck_assert_int_eq(br_sig_net_code(SIG_ERR_TOO_BIG), BR_NET_ERR_TOO_BIG);
    ck_assert_int_eq(br_sig_net_code(0), 0);
}
END_TEST

START_TEST(backoff_grows_to_fifteen_minutes)
{
    int i;

    /* Signal-Desktop's ts/util/exponentialBackoff.ts: 100 ms * 1.9^n, at
     * most 15 minutes */
    ck_assert_int_eq(br_outbox_backoff_ms(1), 100);
    ck_assert_int_eq(br_outbox_backoff_ms(2), 190);
    for (i = 2; i < 40; i++)
        ck_assert_int_ge(br_outbox_backoff_ms(i + 1), br_outbox_backoff_ms(i));
    ck_assert_int_eq(br_outbox_backoff_ms(40), 15 * 60 * 1000);
    ck_assert_int_eq(br_outbox_backoff_ms(1000000), 15 * 60 * 1000);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("br_outbox");
    TCase *tc = tcase_create("outbox");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, transient_failures_are_retried);
    tcase_add_test(tc, backoff_grows_to_fifteen_minutes);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
