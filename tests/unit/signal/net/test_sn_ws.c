/* test_sn_ws.c - module/signal/net/sn_ws.c: client framing against wslay's
 * own server-side parser, server frames built by hand (RFC 6455 §5). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <wslay/wslay.h>

#include "sn_err.h"
#include "sn_ws.h"

typedef struct sink {
    uint8_t out[1 << 18];   /* what the client wrote */
    size_t out_len;
    uint8_t msg[1 << 18];   /* last message delivered */
    size_t msg_len;
    int msgs, binary, close_code, closes;
} sink;

static int wr(void *ctx, const uint8_t *p, size_t n)
{
    sink *k = ctx;

    ck_assert_uint_le(k->out_len + n, sizeof(k->out));
    memcpy(k->out + k->out_len, p, n);
    k->out_len += n;
    return 0;
}

static void on_msg(sn_ws *ws, int binary, const uint8_t *p, size_t n, void *ud)
{
    sink *k = ud;

    (void)ws;
    ck_assert_uint_le(n, sizeof(k->msg));
    memcpy(k->msg, p, n);
    k->msg_len = n;
    k->binary = binary;
    k->msgs++;
}

static void on_close(sn_ws *ws, int code, void *ud)
{
    sink *k = ud;

    (void)ws;
    k->close_code = code;
    k->closes++;
}

static const sn_ws_callbacks cbs = {on_msg, on_close};

/* ---- a real wslay server reading what our client wrote ---------------- */

typedef struct srv {
    const uint8_t *in;
    size_t in_len;
    uint8_t msg[1 << 16];
    size_t msg_len;
    int opcode, msgs;
    uint16_t close_code;
} srv;

static ssize_t srv_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                        void *ud)
{
    srv *s = ud;
    size_t n = s->in_len < len ? s->in_len : len;

    (void)flags;
    if (!n) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    memcpy(buf, s->in, n);
    s->in += n;
    s->in_len -= n;
    return (ssize_t)n;
}

static ssize_t srv_send(wslay_event_context_ptr ctx, const uint8_t *d, size_t len, int flags,
                        void *ud)
{
    (void)ctx;
    (void)d;
    (void)flags;
    (void)ud;
    return (ssize_t)len;
}

static void srv_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *a,
                    void *ud)
{
    srv *s = ud;

    (void)ctx;
    s->opcode = a->opcode;
    s->close_code = a->status_code;
    memcpy(s->msg, a->msg, a->msg_length < sizeof(s->msg) ? a->msg_length : sizeof(s->msg));
    s->msg_len = a->msg_length;
    s->msgs++;
}

/* Parse everything in k->out with wslay's server context. Returns how many
 * messages it saw; a server rejects unmasked frames, so this checks masking. */
static int server_reads(sink *k, srv *s)
{
    wslay_event_context_ptr ctx;
    struct wslay_event_callbacks c;

    memset(&c, 0, sizeof(c));
    memset(s, 0, sizeof(*s));
    c.recv_callback = srv_recv;
    c.send_callback = srv_send;
    c.on_msg_recv_callback = srv_msg;
    ck_assert_int_eq(wslay_event_context_server_init(&ctx, &c, s), 0);
    s->in = k->out;
    s->in_len = k->out_len;
    ck_assert_int_eq(wslay_event_recv(ctx), 0);
    if (!wslay_event_get_read_enabled(ctx) && !wslay_event_get_close_received(ctx))
        s->msgs = -1; /* protocol error */
    wslay_event_context_free(ctx);
    return s->msgs;
}

static sn_ws *client(sink *k, size_t max)
{
    sn_ws *ws = NULL;

    memset(k, 0, sizeof(*k));
    ck_assert_int_eq(sn_ws_new(&ws, SN_WS_CLIENT, max, wr, k, &cbs, k), 0);
    return ws;
}

START_TEST(client_frames_are_masked_and_parse_in_wslay)
{
    static sink k;
    static srv s;
    sn_ws *ws = client(&k, 0);
    static uint8_t big[70000];
    size_t i;

    ck_assert_int_eq(sn_ws_send(ws, 1, (const uint8_t *)"hello", 5), 0);
    ck_assert_uint_eq(k.out[0], 0x82);          /* FIN | binary */
    ck_assert_uint_eq(k.out[1], 0x80 | 5);      /* MASK bit | length */
    ck_assert_uint_eq(k.out_len, 2 + 4 + 5);
    ck_assert_int_ne(memcmp(k.out + 6, "hello", 5), 0); /* payload is masked */
    ck_assert_int_eq(server_reads(&k, &s), 1);
    ck_assert_int_eq(s.opcode, WSLAY_BINARY_FRAME);
    ck_assert_uint_eq(s.msg_len, 5);
    ck_assert_int_eq(memcmp(s.msg, "hello", 5), 0);

    /* 64-bit length form */
    for (i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)i;
    k.out_len = 0;
    ck_assert_int_eq(sn_ws_send(ws, 1, big, sizeof(big)), 0);
    ck_assert_uint_eq(k.out[1], 0x80 | 127);
    ck_assert_uint_eq(k.out_len, 2 + 8 + 4 + sizeof(big));
    ck_assert_int_eq(server_reads(&k, &s), 1);
    ck_assert_uint_eq(s.msg_len, sizeof(big));
    ck_assert_int_eq(memcmp(s.msg, big, sizeof(s.msg)), 0);
    sn_ws_free(ws);
}
END_TEST

START_TEST(fragmented_message_with_interleaved_ping_any_split)
{
    static sink k;
    /* binary "abc" without FIN, a ping "p", continuation "de" with FIN */
    static const uint8_t in[] = {0x02, 0x03, 'a', 'b', 'c', 0x89, 0x01, 'p',
                                 0x80, 0x02, 'd', 'e'};
    size_t split;

    for (split = 0; split <= sizeof(in); split++) {
        sn_ws *ws = client(&k, 0);
        size_t i;
        if (split == sizeof(in)) { /* byte by byte */
            for (i = 0; i < sizeof(in); i++)
                ck_assert_int_eq(sn_ws_feed(ws, in + i, 1), 0);
        } else {
            ck_assert_int_eq(sn_ws_feed(ws, in, split), 0);
            ck_assert_int_eq(sn_ws_feed(ws, in + split, sizeof(in) - split), 0);
        }
        ck_assert_int_eq(k.msgs, 1);
        ck_assert_int_eq(k.binary, 1);
        ck_assert_uint_eq(k.msg_len, 5);
        ck_assert_int_eq(memcmp(k.msg, "abcde", 5), 0);
        /* the ping was answered with a masked pong carrying "p" */
        ck_assert_uint_eq(k.out_len, 2 + 4 + 1);
        ck_assert_uint_eq(k.out[0], 0x8a);
        ck_assert_uint_eq(k.out[1], 0x81);
        ck_assert_uint_eq(k.out[6] ^ k.out[2], 'p');
        sn_ws_free(ws);
    }
}
END_TEST

/* The close frame our client wrote: its status code (unmasked). */
static int written_close_code(const sink *k)
{
    size_t i;

    for (i = 0; i + 8 <= k->out_len; i++)
        if (k->out[i] == 0x88 && (k->out[i + 1] & 0x7f) >= 2)
            return ((k->out[i + 6] ^ k->out[i + 2]) << 8) | (k->out[i + 7] ^ k->out[i + 3]);
    return -1;
}

START_TEST(message_over_cap_is_refused_with_1009)
{
    static sink k;
    sn_ws *ws = client(&k, 1000);
    static uint8_t in[4 + 2000];

    in[0] = 0x82;
    in[1] = 126;
    in[2] = 2000 >> 8;
    in[3] = 2000 & 0xff;
    ck_assert_int_eq(sn_ws_feed(ws, in, sizeof(in)), SN_ERR_TOO_BIG);
    ck_assert_int_eq(k.msgs, 0);
    ck_assert_int_eq(written_close_code(&k), 1009);
    /* later input is ignored, not crashed on */
    ck_assert_int_eq(sn_ws_feed(ws, in, 10), 0);
    sn_ws_free(ws);

    /* fragments adding up over the cap are refused too */
    ws = client(&k, 1000);
    {
        static uint8_t frag[4 + 600];
        frag[0] = 0x02;
        frag[1] = 126;
        frag[2] = 600 >> 8;
        frag[3] = 600 & 0xff;
        ck_assert_int_eq(sn_ws_feed(ws, frag, sizeof(frag)), 0);
        frag[0] = 0x80;
        ck_assert_int_eq(sn_ws_feed(ws, frag, sizeof(frag)), SN_ERR_TOO_BIG);
        ck_assert_int_eq(k.msgs, 0);
    }
    sn_ws_free(ws);
}
END_TEST

START_TEST(protocol_errors_are_reported)
{
    static sink k;
    sn_ws *ws;
    /* a masked frame from the server */
    static const uint8_t masked[] = {0x82, 0x81, 1, 2, 3, 4, 'x'};
    /* reserved bit set (no extension negotiated) */
    static const uint8_t rsv[] = {0xc2, 0x01, 'x'};
    /* continuation without a start */
    static const uint8_t cont[] = {0x80, 0x01, 'x'};
    /* unknown opcode 3 */
    static const uint8_t op3[] = {0x83, 0x00};

    ws = client(&k, 0);
    ck_assert_int_eq(sn_ws_feed(ws, masked, sizeof(masked)), SN_ERR_WS_PROTO);
    ck_assert_int_eq(written_close_code(&k), 1002);
    sn_ws_free(ws);
    ws = client(&k, 0);
    ck_assert_int_eq(sn_ws_feed(ws, rsv, sizeof(rsv)), SN_ERR_WS_PROTO);
    sn_ws_free(ws);
    ws = client(&k, 0);
    ck_assert_int_eq(sn_ws_feed(ws, cont, sizeof(cont)), SN_ERR_WS_PROTO);
    sn_ws_free(ws);
    ws = client(&k, 0);
    ck_assert_int_eq(sn_ws_feed(ws, op3, sizeof(op3)), SN_ERR_WS_PROTO);
    ck_assert_int_eq(k.msgs, 0);
    sn_ws_free(ws);
}
END_TEST

START_TEST(close_codes_3000_and_4409_reach_the_callback)
{
    static sink k;
    static const uint16_t codes[] = {3000, 4409, 1000};
    size_t i;

    for (i = 0; i < 3; i++) {
        sn_ws *ws = client(&k, 0);
        uint8_t in[4] = {0x88, 0x02, (uint8_t)(codes[i] >> 8), (uint8_t)codes[i]};
        ck_assert_int_eq(sn_ws_feed(ws, in, 4), 0);
        ck_assert_int_eq(k.closes, 1);
        ck_assert_int_eq(k.close_code, codes[i]);
        ck_assert_int_eq(sn_ws_close_received(ws), 1);
        /* our reply echoes the code, and nothing can be sent afterwards */
        ck_assert_int_eq(written_close_code(&k), codes[i]);
        ck_assert_int_eq(sn_ws_close_sent(ws), 1);
        ck_assert_int_eq(sn_ws_send(ws, 1, (const uint8_t *)"x", 1), SN_ERR_STATE);
        sn_ws_free(ws);
    }
    {
        /* a close without a code reports 1005 */
        sn_ws *ws = client(&k, 0);
        static const uint8_t in[] = {0x88, 0x00};
        ck_assert_int_eq(sn_ws_feed(ws, in, 2), 0);
        ck_assert_int_eq(k.close_code, 1005);
        sn_ws_free(ws);
    }
}
END_TEST

START_TEST(our_close_and_text_messages)
{
    static sink k;
    srv s;
    sn_ws *ws = client(&k, 0);
    static const uint8_t bad_utf8[] = {0x81, 0x02, 0xc3, 0x28};

    ck_assert_int_eq(sn_ws_close(ws, 1000), 0);
    ck_assert_int_eq(server_reads(&k, &s), 1);
    ck_assert_int_eq(s.opcode, WSLAY_CONNECTION_CLOSE);
    ck_assert_uint_eq(s.close_code, 1000);
    ck_assert_int_eq(sn_ws_close(ws, 1000), SN_ERR_STATE);
    sn_ws_free(ws);

    ws = client(&k, 0);
    ck_assert_int_eq(sn_ws_feed(ws, (const uint8_t *)"\x81\x02hi", 4), 0);
    ck_assert_int_eq(k.msgs, 1);
    ck_assert_int_eq(k.binary, 0);
    ck_assert_int_eq(sn_ws_feed(ws, bad_utf8, sizeof(bad_utf8)), SN_ERR_WS_PROTO);
    ck_assert_int_eq(k.msgs, 1);
    sn_ws_free(ws);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sn_ws");
    TCase *tc = tcase_create("framing");

    tcase_add_test(tc, client_frames_are_masked_and_parse_in_wslay);
    tcase_add_test(tc, fragmented_message_with_interleaved_ping_any_split);
    tcase_add_test(tc, message_over_cap_is_refused_with_1009);
    tcase_add_test(tc, protocol_errors_are_reported);
    tcase_add_test(tc, close_codes_3000_and_4409_reach_the_callback);
    tcase_add_test(tc, our_close_and_text_messages);
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
