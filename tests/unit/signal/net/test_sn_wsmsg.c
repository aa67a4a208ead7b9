/* test_sn_wsmsg.c - module/signal/net/sn_wsmsg.c: WebSocketMessage codec. */
#include "config.h"

#include <string.h>

#include <check.h>

#include "sn_err.h"
#include "sn_wsmsg.h"

/* WebSocketMessage{type: RESPONSE(2), response{id: 5, status: 200}} encoded
 * by hand from the field numbers of signal-service.md §2.2. */
static const uint8_t resp_5_200[] = {0x08, 0x02, 0x1a, 0x05, 0x08, 0x05, 0x10, 0xc8, 0x01};

/* type REQUEST, request{verb "PUT" (1), path "/v1/address" (2), body 0a01 41
 * (3), id 0 (4), headers "A:b" (5)} - as the mock sends PUT /v1/address. */
static const uint8_t req_put_addr[] = {
    0x08, 0x01, 0x12, 0x1e,
    0x0a, 0x03, 'P', 'U', 'T',
    0x12, 0x0b, '/', 'v', '1', '/', 'a', 'd', 'd', 'r', 'e', 's', 's',
    0x1a, 0x03, 0x0a, 0x01, 'A',
    0x20, 0x00,
    0x2a, 0x03, 'A', ':', 'b'};

START_TEST(decodes_hand_encoded_bytes)
{
    sn_wsmsg m;

    ck_assert_int_eq(sn_wsmsg_decode(resp_5_200, sizeof(resp_5_200), &m), 0);
    ck_assert_int_eq(m.type, SN_WSMSG_RESPONSE);
    ck_assert_uint_eq(m.id, 5);
    ck_assert_uint_eq(m.status, 200);
    ck_assert_int_eq(m.has_body, 0);
    sn_wsmsg_clear(&m);

    ck_assert_int_eq(sn_wsmsg_decode(req_put_addr, sizeof(req_put_addr), &m), 0);
    ck_assert_int_eq(m.type, SN_WSMSG_REQUEST);
    ck_assert_str_eq(m.verb, "PUT");
    ck_assert_str_eq(m.path, "/v1/address");
    ck_assert_uint_eq(m.id, 0);
    ck_assert_uint_eq(m.body_len, 3);
    ck_assert_int_eq(memcmp(m.body, "\x0a\x01" "A", 3), 0);
    ck_assert_str_eq(sn_hdrs_get(&m.headers, "a"), "b");
    sn_wsmsg_clear(&m);
}
END_TEST

START_TEST(encodes_the_same_bytes)
{
    ut_buf b;
    sn_hdr h = {"A", "b"};
    const uint8_t body[] = {0x0a, 0x01, 'A'};

    ut_buf_init(&b, 1024);
    ck_assert_int_eq(sn_wsmsg_encode_response(&b, 5, 200, NULL, NULL, 0, NULL, 0), 0);
    ck_assert_uint_eq(b.len, sizeof(resp_5_200));
    ck_assert_int_eq(memcmp(b.data, resp_5_200, b.len), 0);
    ut_buf_reset(&b);
    /* protobuf-c writes fields in number order: id (4) before headers (5)
     * and after body (3), as in req_put_addr */
    ck_assert_int_eq(sn_wsmsg_encode_request(&b, "PUT", "/v1/address", 0, &h, 1, body, 3), 0);
    ck_assert_uint_eq(b.len, sizeof(req_put_addr));
    ck_assert_int_eq(memcmp(b.data, req_put_addr, b.len), 0);
    ut_buf_free(&b);
}
END_TEST

START_TEST(round_trip_with_big_id_headers_and_empty_body)
{
    ut_buf b;
    sn_wsmsg m;
    sn_hdr hs[2] = {{"Content-Type", "application/json"}, {"x-signal-timestamp", "42"}};

    ut_buf_init(&b, 1 << 16);
    ck_assert_int_eq(sn_wsmsg_encode_response(&b, UINT64_MAX, 409, "Conflict", hs, 2,
                                              (const uint8_t *)"", 0), 0);
    ck_assert_int_eq(sn_wsmsg_decode(b.data, b.len, &m), 0);
    ck_assert_uint_eq(m.id, UINT64_MAX);
    ck_assert_uint_eq(m.status, 409);
    ck_assert_str_eq(m.message, "Conflict");
    ck_assert_int_eq(m.has_body, 1); /* present but empty differs from absent */
    ck_assert_uint_eq(m.body_len, 0);
    ck_assert_str_eq(sn_hdrs_get(&m.headers, "content-type"), "application/json");
    ck_assert_str_eq(sn_hdrs_get(&m.headers, "X-Signal-Timestamp"), "42");
    sn_wsmsg_clear(&m);
    ut_buf_free(&b);
}
END_TEST

START_TEST(rejects_invalid_messages)
{
    sn_wsmsg m;
    static const uint8_t garbage[] = {0xff, 0xff, 0xff};
    static const uint8_t type0[] = {0x08, 0x00};
    static const uint8_t req_without_request[] = {0x08, 0x01};
    static const uint8_t req_without_id[] = {0x08, 0x01, 0x12, 0x0a, 0x0a, 0x03, 'G', 'E', 'T',
                                             0x12, 0x03, '/', 'v', '1'};
    static const uint8_t resp_without_status[] = {0x08, 0x02, 0x1a, 0x02, 0x08, 0x05};
    static const uint8_t bad_header[] = {0x08, 0x02, 0x1a, 0x0b, 0x08, 0x05, 0x10, 0xc8, 0x01,
                                         0x2a, 0x04, 'n', 'o', 'p', 'e'};
    static const uint8_t truncated[] = {0x08, 0x02, 0x1a, 0x09, 0x08};

    ck_assert_int_eq(sn_wsmsg_decode(garbage, sizeof(garbage), &m), SN_ERR_DECODE);
    ck_assert_int_eq(sn_wsmsg_decode(type0, sizeof(type0), &m), SN_ERR_DECODE);
    ck_assert_int_eq(sn_wsmsg_decode(req_without_request, 2, &m), SN_ERR_DECODE);
    ck_assert_int_eq(sn_wsmsg_decode(req_without_id, sizeof(req_without_id), &m), SN_ERR_DECODE);
    ck_assert_int_eq(sn_wsmsg_decode(resp_without_status, sizeof(resp_without_status), &m),
                     SN_ERR_DECODE);
    ck_assert_int_eq(sn_wsmsg_decode(bad_header, sizeof(bad_header), &m), SN_ERR_DECODE);
    ck_assert_int_eq(sn_wsmsg_decode(truncated, sizeof(truncated), &m), SN_ERR_DECODE);
    ck_assert_int_eq(sn_wsmsg_decode(NULL, 0, &m), SN_ERR_DECODE); /* type missing */
    sn_wsmsg_clear(&m);
}
END_TEST

START_TEST(encoding_respects_the_buffer_cap)
{
    ut_buf b;
    uint8_t body[100] = {0};

    ut_buf_init(&b, 50);
    ck_assert_int_eq(sn_wsmsg_encode_request(&b, "PUT", "/x", 1, NULL, 0, body, 100),
                     UT_ERR_RANGE);
    ck_assert_int_eq(sn_wsmsg_encode_request(&b, NULL, "/x", 1, NULL, 0, NULL, 0), UT_ERR_INVAL);
    ut_buf_free(&b);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sn_wsmsg");
    TCase *tc = tcase_create("codec");

    tcase_add_test(tc, decodes_hand_encoded_bytes);
    tcase_add_test(tc, encodes_the_same_bytes);
    tcase_add_test(tc, round_trip_with_big_id_headers_and_empty_body);
    tcase_add_test(tc, rejects_invalid_messages);
    tcase_add_test(tc, encoding_respects_the_buffer_cap);
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
