/* test_sn_grpc.c - module/signal/net/sn_grpc.c: length-prefixed framing. */
#include "config.h"

#include <string.h>

#include <check.h>

#include "sn_err.h"
#include "sn_grpc.h"

START_TEST(frame_and_unframe_round_trip)
{
    ut_buf b;
    const uint8_t *m;
    size_t n;
    /* GetUploadFormRequest{uploadLength = 100} */
    static const uint8_t req[] = {0x08, 0x64};

    ut_buf_init(&b, 64);
    ck_assert_int_eq(sn_grpc_frame(&b, req, 2), 0);
    ck_assert_uint_eq(b.len, 7);
    ck_assert_int_eq(memcmp(b.data, "\x00\x00\x00\x00\x02\x08\x64", 7), 0);
    ck_assert_int_eq(sn_grpc_unframe(b.data, b.len, &m, &n), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_ptr_eq(m, b.data + 5);
    ut_buf_free(&b);
    ck_assert_int_eq(sn_grpc_unframe(NULL, 0, &m, &n), 0); /* trailers-only */
    ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(bad_framing_is_rejected)
{
    const uint8_t *m;
    size_t n;

    ck_assert_int_eq(sn_grpc_unframe((const uint8_t *)"\0\0\0", 3, &m, &n), SN_ERR_GRPC_FRAME);
    /* compressed flag */
    ck_assert_int_eq(sn_grpc_unframe((const uint8_t *)"\1\0\0\0\1x", 6, &m, &n), SN_ERR_GRPC_FRAME);
    /* length says 2, one byte present */
    ck_assert_int_eq(sn_grpc_unframe((const uint8_t *)"\0\0\0\0\2x", 6, &m, &n), SN_ERR_GRPC_FRAME);
    /* trailing bytes (a second message) */
    ck_assert_int_eq(sn_grpc_unframe((const uint8_t *)"\0\0\0\0\1xy", 7, &m, &n), SN_ERR_GRPC_FRAME);
    /* huge length */
    ck_assert_int_eq(sn_grpc_unframe((const uint8_t *)"\0\xff\xff\xff\xffx", 6, &m, &n),
                     SN_ERR_GRPC_FRAME);
}
END_TEST

START_TEST(frame_respects_cap)
{
    ut_buf b;
    uint8_t msg[10] = {0};

    ut_buf_init(&b, 12);
    ck_assert_int_eq(sn_grpc_frame(&b, msg, 10), UT_ERR_RANGE);
    ut_buf_free(&b);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sn_grpc");
    TCase *tc = tcase_create("framing");

    tcase_add_test(tc, frame_and_unframe_round_trip);
    tcase_add_test(tc, bad_framing_is_rejected);
    tcase_add_test(tc, frame_respects_cap);
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
