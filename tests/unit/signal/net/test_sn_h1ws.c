/* test_sn_h1ws.c - module/signal/net/sn_h1ws.c: HTTP/1.1 upgrade handshake. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <check.h>

#include "sn_err.h"
#include "sn_h1ws.h"

START_TEST(accept_matches_rfc6455_example)
{
    char out[32];

    /* RFC 6455 §1.3 */
    ck_assert_int_eq(sn_h1ws_accept("dGhlIHNhbXBsZSBub25jZQ==", out), 0);
    ck_assert_str_eq(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}
END_TEST

START_TEST(request_has_the_required_fields)
{
    ut_buf b;
    char key[32];
    sn_hdr auth = {"authorization", "Basic abc"};
    char *s;

    ut_buf_init(&b, 4096);
    ck_assert_int_eq(sn_h1ws_request(&b, "chat.example:443", "/v1/websocket/", &auth, 1, key), 0);
    ck_assert_int_eq(ut_buf_nul(&b), 0);
    s = (char *)b.data;
    ck_assert_uint_eq(strlen(key), 24);
    ck_assert_ptr_nonnull(strstr(s, "GET /v1/websocket/ HTTP/1.1\r\n"));
    ck_assert_ptr_nonnull(strstr(s, "\r\nHost: chat.example:443\r\n"));
    ck_assert_ptr_nonnull(strstr(s, "\r\nUpgrade: websocket\r\n"));
    ck_assert_ptr_nonnull(strstr(s, "\r\nConnection: Upgrade\r\n"));
    ck_assert_ptr_nonnull(strstr(s, "\r\nSec-WebSocket-Version: 13\r\n"));
    ck_assert_ptr_nonnull(strstr(s, key));
    ck_assert_ptr_nonnull(strstr(s, "\r\nauthorization: Basic abc\r\n"));
    /* the client names itself, as production clients do (sn_agent.h) */
    ck_assert_ptr_nonnull(strstr(s, "\r\nUser-Agent: signalbridge/"));
    ck_assert_ptr_nonnull(strstr(s, "\r\nX-Signal-Agent: signalbridge\r\n"));
    ck_assert_int_eq(memcmp(s + b.len - 4, "\r\n\r\n", 4), 0);
    ut_buf_reset(&b);
    {
        /* a caller's own User-Agent replaces ours, never doubles it */
        sn_hdr ua = {"user-agent", "other/1"};

        ck_assert_int_eq(sn_h1ws_request(&b, "h", "/p", &ua, 1, key), 0);
        ck_assert_int_eq(ut_buf_nul(&b), 0);
        ck_assert_ptr_nonnull(strstr((char *)b.data, "\r\nuser-agent: other/1\r\n"));
        ck_assert_ptr_null(strstr((char *)b.data, "signalbridge/"));
        ut_buf_reset(&b);
    }
    auth.value = "x\r\nInjected: 1";
    ck_assert_int_eq(sn_h1ws_request(&b, "h", "/p", &auth, 1, key), SN_ERR_HEADER);
    ck_assert_int_eq(sn_h1ws_request(&b, "h", "/p\r\n", NULL, 0, key), SN_ERR_HEADER);
    ut_buf_free(&b);
}
END_TEST

static int parse(const char *resp, const char *key, int *status)
{
    return sn_h1ws_parse_response((const uint8_t *)resp, strlen(resp), key, status, NULL);
}

START_TEST(response_is_checked)
{
    const char *key = "dGhlIHNhbXBsZSBub25jZQ==";
    char ok[512];
    int st = 0, n;

    snprintf(ok, sizeof(ok),
             "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
             "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
             "\x82\x01x");
    n = parse(ok, key, &st);
    ck_assert_int_eq(st, 101);
    ck_assert_int_eq(n, (int)strlen(ok) - 3); /* frame bytes after the head */
    /* any prefix is "need more" */
    ck_assert_int_eq(sn_h1ws_parse_response((const uint8_t *)ok, 40, key, &st, NULL), 0);
    /* wrong accept value */
    ck_assert_int_eq(parse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Accept: AAAA\r\n\r\n", key, &st),
                     SN_ERR_UPGRADE);
    /* missing Upgrade header */
    ck_assert_int_eq(parse("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", key, &st),
                     SN_ERR_UPGRADE);
    /* token lists and case are accepted */
    ck_assert_int_gt(parse("HTTP/1.1 101 OK\r\nupgrade: WebSocket\r\n"
                           "connection: keep-alive, upgrade\r\n"
                           "sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", key, &st), 0);
    /* what the unmodified mock answers: 401 */
    ck_assert_int_eq(parse("HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\n"
                           "content-length: 38\r\n\r\n", key, &st), SN_ERR_HTTP_STATUS);
    ck_assert_int_eq(st, 401);
    ck_assert_int_eq(parse("SSH-2.0-OpenSSH\r\n\r\n", key, &st), SN_ERR_UPGRADE);
    ck_assert_int_eq(parse("HTTP/1.1 1x1 X\r\n\r\n", key, &st), SN_ERR_UPGRADE);
    ck_assert_int_eq(parse("HTTP/1.1 101 X\r\nbad header line\r\n\r\n", key, &st), SN_ERR_UPGRADE);
}
END_TEST

START_TEST(oversized_head_is_refused)
{
    static char big[SN_H1WS_MAX_HEAD + 100];
    int st;

    memset(big, 'a', sizeof(big));
    memcpy(big, "HTTP/1.1 101 X\r\n", 16);
    ck_assert_int_eq(sn_h1ws_parse_response((const uint8_t *)big, sizeof(big), "k", &st, NULL),
                     SN_ERR_TOO_BIG);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sn_h1ws");
    TCase *tc = tcase_create("handshake");

    tcase_add_test(tc, accept_matches_rfc6455_example);
    tcase_add_test(tc, request_has_the_required_fields);
    tcase_add_test(tc, response_is_checked);
    tcase_add_test(tc, oversized_head_is_refused);
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
