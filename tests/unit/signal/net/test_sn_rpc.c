/* test_sn_rpc.c - module/signal/net/sn_rpc.c: ids, timeouts, deferred acks. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/event.h>

#include "sn_err.h"
#include "sn_rpc.h"
#include "sn_wsmsg.h"

typedef struct wire {
    ut_buf sent[16];
    int n;
} wire;

typedef struct result {
    int calls, rc;
    uint32_t status;
    char body[64];
    char hdr[64];
} result;

typedef struct held {
    sn_rpc_srvreq *req[8];
    uint64_t id[8];
    char path[8][64];
    int n;
} held;

static int send_fn(void *ctx, const uint8_t *p, size_t n)
{
    wire *w = ctx;

    ck_assert_int_lt(w->n, 16);
    ut_buf_init(&w->sent[w->n], 1 << 20);
    ck_assert_int_eq(ut_buf_append(&w->sent[w->n], p, n), 0);
    w->n++;
    return 0;
}

static void wire_free(wire *w)
{
    int i;

    for (i = 0; i < w->n; i++)
        ut_buf_free(&w->sent[i]);
    w->n = 0;
}

static void on_resp(int rc, const sn_rpc_response *r, void *ud)
{
    result *x = ud;

    x->calls++;
    x->rc = rc;
    if (r) {
        const char *h = sn_hdrs_get(r->headers, "x-test");
        x->status = r->status;
        if (r->body)
            memcpy(x->body, r->body, r->body_len < 63 ? r->body_len : 63);
        if (h)
            strncpy(x->hdr, h, 63);
    }
}

static void on_req(sn_rpc *rpc, sn_rpc_srvreq *req, const sn_rpc_incoming *in, void *ud)
{
    held *h = ud;

    (void)rpc;
    ck_assert_int_lt(h->n, 8);
    h->req[h->n] = req;
    h->id[h->n] = in->id;
    strncpy(h->path[h->n], in->path, 63);
    h->n++;
}

/* Feed a server response {id, status, body, header x-test:v}. */
static int feed_response(sn_rpc *rpc, uint64_t id, uint32_t status, const char *body)
{
    ut_buf b;
    sn_hdr h = {"X-Test", "v"};
    int rc;

    ut_buf_init(&b, 4096);
    ck_assert_int_eq(sn_wsmsg_encode_response(&b, id, status, "OK", &h, 1,
                                              (const uint8_t *)body, strlen(body)), 0);
    rc = sn_rpc_input(rpc, b.data, b.len);
    ut_buf_free(&b);
    return rc;
}

static int feed_request(sn_rpc *rpc, uint64_t id, const char *path)
{
    ut_buf b;
    int rc;

    ut_buf_init(&b, 4096);
    ck_assert_int_eq(sn_wsmsg_encode_request(&b, "PUT", path, id, NULL, 0,
                                             (const uint8_t *)"env", 3), 0);
    rc = sn_rpc_input(rpc, b.data, b.len);
    ut_buf_free(&b);
    return rc;
}

static sn_wsmsg decode_sent(wire *w, int i)
{
    sn_wsmsg m;

    ck_assert_int_eq(sn_wsmsg_decode(w->sent[i].data, w->sent[i].len, &m), 0);
    return m;
}

START_TEST(requests_get_distinct_ids_and_matching_responses)
{
    struct event_base *base = event_base_new();
    sn_rpc *rpc;
    wire w = {0};
    result a = {0}, b = {0};
    uint64_t ida, idb;
    sn_wsmsg m;
    sn_hdr h = {"accept", "application/json"};

    ck_assert_int_eq(sn_rpc_new(&rpc, base, NULL, NULL), 0);
    ck_assert_int_eq(sn_rpc_request(rpc, "GET", "/v1/keepalive", NULL, 0, NULL, 0, 0, on_resp,
                                    &a, &ida), SN_ERR_STATE);
    sn_rpc_attach(rpc, send_fn, &w);
    ck_assert_int_eq(sn_rpc_request(rpc, "GET", "/v1/keepalive", &h, 1, NULL, 0, 0, on_resp,
                                    &a, &ida), 0);
    ck_assert_int_eq(sn_rpc_request(rpc, "PUT", "/v2/keys", NULL, 0, (const uint8_t *)"{}", 2, 0,
                                    on_resp, &b, &idb), 0);
    ck_assert_uint_ne(ida, idb);
    ck_assert_int_eq(w.n, 2);
    m = decode_sent(&w, 0);
    ck_assert_int_eq(m.type, SN_WSMSG_REQUEST);
    ck_assert_str_eq(m.verb, "GET");
    ck_assert_str_eq(m.path, "/v1/keepalive");
    ck_assert_uint_eq(m.id, ida);
    ck_assert_str_eq(sn_hdrs_get(&m.headers, "accept"), "application/json");
    sn_wsmsg_clear(&m);
    ck_assert_uint_eq(sn_rpc_pending(rpc), 2);
    /* answers out of order go to the right callers */
    ck_assert_int_eq(feed_response(rpc, idb, 409, "conflict"), 0);
    ck_assert_int_eq(b.calls, 1);
    ck_assert_int_eq(a.calls, 0);
    ck_assert_uint_eq(b.status, 409);
    ck_assert_str_eq(b.body, "conflict");
    ck_assert_str_eq(b.hdr, "v");
    ck_assert_int_eq(feed_response(rpc, ida, 200, "{\"ok\":true}"), 0);
    ck_assert_int_eq(a.calls, 1);
    ck_assert_int_eq(a.rc, 0);
    ck_assert_str_eq(a.body, "{\"ok\":true}");
    /* a duplicate or unknown id is ignored */
    ck_assert_int_eq(feed_response(rpc, ida, 200, "again"), 0);
    ck_assert_int_eq(a.calls, 1);
    ck_assert_uint_eq(sn_rpc_pending(rpc), 0);
    sn_rpc_free(rpc);
    wire_free(&w);
    event_base_free(base);
}
END_TEST

START_TEST(requests_time_out_once)
{
    struct event_base *base = event_base_new();
    sn_rpc *rpc;
    wire w = {0};
    result a = {0}, b = {0};
    uint64_t ida;

    ck_assert_int_eq(sn_rpc_new(&rpc, base, NULL, NULL), 0);
    sn_rpc_attach(rpc, send_fn, &w);
    ck_assert_int_eq(sn_rpc_request(rpc, "GET", "/a", NULL, 0, NULL, 0, 30, on_resp, &a, &ida), 0);
    ck_assert_int_eq(sn_rpc_request(rpc, "GET", "/b", NULL, 0, NULL, 0, 5000, on_resp, &b, NULL),
                     0);
    while (a.calls == 0)
        event_base_loop(base, EVLOOP_ONCE);
    ck_assert_int_eq(a.rc, SN_ERR_TIMEOUT);
    ck_assert_int_eq(b.calls, 0);
    ck_assert_int_eq(feed_response(rpc, ida, 200, "late"), 0);
    ck_assert_int_eq(a.calls, 1);
    /* dropping the connection completes the other one with the given error */
    sn_rpc_detach(rpc, SN_ERR_KEEPALIVE);
    ck_assert_int_eq(b.calls, 1);
    ck_assert_int_eq(b.rc, SN_ERR_KEEPALIVE);
    ck_assert_uint_eq(sn_rpc_pending(rpc), 0);
    sn_rpc_free(rpc);
    ck_assert_int_eq(a.calls, 1);
    ck_assert_int_eq(b.calls, 1);
    wire_free(&w);
    event_base_free(base);
}
END_TEST

START_TEST(server_requests_are_acked_later_exactly_once)
{
    struct event_base *base = event_base_new();
    sn_rpc *rpc;
    wire w = {0};
    held h = {0};
    sn_wsmsg m;

    ck_assert_int_eq(sn_rpc_new(&rpc, base, on_req, &h), 0);
    sn_rpc_attach(rpc, send_fn, &w);
    ck_assert_int_eq(feed_request(rpc, 0, "/api/v1/message"), 0);
    ck_assert_int_eq(feed_request(rpc, 1, "/api/v1/queue/empty"), 0);
    ck_assert_int_eq(h.n, 2);
    ck_assert_str_eq(h.path[0], "/api/v1/message");
    ck_assert_uint_eq(h.id[1], 1);
    /* nothing is acknowledged until the caller says so */
    ck_assert_int_eq(w.n, 0);
    ck_assert_uint_eq(sn_rpc_unanswered(rpc), 2);
    ck_assert_int_eq(sn_rpc_respond(rpc, h.req[1], 200), 0);
    ck_assert_int_eq(sn_rpc_respond(rpc, h.req[0], 500), 0);
    ck_assert_int_eq(w.n, 2);
    m = decode_sent(&w, 0);
    ck_assert_int_eq(m.type, SN_WSMSG_RESPONSE);
    ck_assert_uint_eq(m.id, 1);
    ck_assert_uint_eq(m.status, 200);
    sn_wsmsg_clear(&m);
    m = decode_sent(&w, 1);
    ck_assert_uint_eq(m.id, 0);
    ck_assert_uint_eq(m.status, 500);
    sn_wsmsg_clear(&m);
    ck_assert_uint_eq(sn_rpc_unanswered(rpc), 0);
    sn_rpc_free(rpc);
    wire_free(&w);
    event_base_free(base);
}
END_TEST

START_TEST(answers_for_a_dead_connection_are_not_sent)
{
    struct event_base *base = event_base_new();
    sn_rpc *rpc;
    wire w = {0}, w2 = {0};
    held h = {0};

    ck_assert_int_eq(sn_rpc_new(&rpc, base, on_req, &h), 0);
    sn_rpc_attach(rpc, send_fn, &w);
    ck_assert_int_eq(feed_request(rpc, 0, "/api/v1/message"), 0);
    ck_assert_int_eq(feed_request(rpc, 1, "/api/v1/message"), 0);
    sn_rpc_detach(rpc, 0);
    /* the data became durable after the socket dropped: do not ack id 0 on
     * the next connection, where id 0 is a different message */
    sn_rpc_attach(rpc, send_fn, &w2);
    ck_assert_int_eq(sn_rpc_respond(rpc, h.req[0], 200), SN_ERR_STALE);
    ck_assert_int_eq(w.n + w2.n, 0);
    /* released without an answer; a request held at free is freed too */
    ck_assert_int_eq(feed_request(rpc, 0, "/api/v1/message"), 0);
    sn_rpc_release(rpc, h.req[1]);
    ck_assert_uint_eq(sn_rpc_unanswered(rpc), 1);
    sn_rpc_free(rpc); /* valgrind: no leak of the held request */
    wire_free(&w);
    wire_free(&w2);
    event_base_free(base);
}
END_TEST

START_TEST(malformed_input_is_an_error_not_a_crash)
{
    struct event_base *base = event_base_new();
    sn_rpc *rpc;
    wire w = {0};
    held h = {0};
    result a = {0};

    ck_assert_int_eq(sn_rpc_new(&rpc, base, on_req, &h), 0);
    sn_rpc_attach(rpc, send_fn, &w);
    ck_assert_int_eq(sn_rpc_request(rpc, "GET", "/a", NULL, 0, NULL, 0, 0, on_resp, &a, NULL), 0);
    ck_assert_int_eq(sn_rpc_input(rpc, (const uint8_t *)"\x08\x07", 2), SN_ERR_DECODE);
    ck_assert_int_eq(sn_rpc_input(rpc, (const uint8_t *)"\xff", 1), SN_ERR_DECODE);
    ck_assert_int_eq(h.n, 0);
    ck_assert_uint_eq(sn_rpc_pending(rpc), 1);
    sn_rpc_free(rpc);
    ck_assert_int_eq(a.calls, 1);
    ck_assert_int_eq(a.rc, SN_ERR_CANCELLED);
    wire_free(&w);
    event_base_free(base);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sn_rpc");
    TCase *tc = tcase_create("rpc");

    tcase_add_test(tc, requests_get_distinct_ids_and_matching_responses);
    tcase_add_test(tc, requests_time_out_once);
    tcase_add_test(tc, server_requests_are_acked_later_exactly_once);
    tcase_add_test(tc, answers_for_a_dead_connection_are_not_sent);
    tcase_add_test(tc, malformed_input_is_an_error_not_a_crash);
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
