/* test_mx.c - module/matrix: event parsing and the CS-API actions as they
 * reach the host table (paths, escaping, bodies, timestamps, completions). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "mx_conn.h"
#include "mx_event.h"

/* ---- events ------------------------------------------------------------- */

static int parse(mx_event *ev, const char *json)
{
    return mx_event_parse(ev, json, strlen(json));
}

START_TEST(parses_message_reply_edit_reaction)
{
    mx_event ev;

    ck_assert_int_eq(parse(&ev, "{\"type\":\"m.room.message\",\"room_id\":\"!r:hs\","
                                "\"sender\":\"@a:hs\",\"event_id\":\"$1\",\"origin_server_ts\":42,"
                                "\"unsigned\":{\"transaction_id\":\"t1\"},"
                                "\"content\":{\"msgtype\":\"m.text\",\"body\":\"hi\","
                                "\"m.relates_to\":{\"m.in_reply_to\":{\"event_id\":\"$0\"}}}}"), 0);
    ck_assert_str_eq(ev.msgtype, "m.text");
    ck_assert_str_eq(ev.body, "hi");
    ck_assert_int_eq(ev.ts, 42);
    ck_assert_str_eq(ev.txn_id, "t1");
    ck_assert_int_eq(ev.rel, MX_REL_REPLY);
    ck_assert_str_eq(ev.reply_to, "$0");
    ck_assert_ptr_null(ev.state_key);
    mx_event_free(&ev);

    ck_assert_int_eq(parse(&ev, "{\"type\":\"m.room.message\",\"room_id\":\"!r:hs\",\"sender\":\"@a:hs\","
                                "\"content\":{\"body\":\"* x\",\"m.new_content\":{\"body\":\"x\"},"
                                "\"m.relates_to\":{\"rel_type\":\"m.replace\",\"event_id\":\"$9\"}}}"), 0);
    ck_assert_int_eq(ev.rel, MX_REL_REPLACE);
    ck_assert_str_eq(ev.rel_event_id, "$9");
    mx_event_free(&ev);

    ck_assert_int_eq(parse(&ev, "{\"type\":\"m.reaction\",\"room_id\":\"!r:hs\",\"sender\":\"@a:hs\","
                                "\"content\":{\"m.relates_to\":{\"rel_type\":\"m.annotation\","
                                "\"event_id\":\"$9\",\"key\":\"\\ud83d\\udc4d\"}}}"), 0);
    ck_assert_int_eq(ev.rel, MX_REL_ANNOTATION);
    ck_assert_str_eq(ev.rel_key, "\xf0\x9f\x91\x8d");
    mx_event_free(&ev);
}
END_TEST

START_TEST(parses_member_and_redaction)
{
    mx_event ev;

    ck_assert_int_eq(parse(&ev, "{\"type\":\"m.room.member\",\"room_id\":\"!r:hs\",\"sender\":\"@a:hs\","
                                "\"state_key\":\"@signalbot:hs\",\"content\":{\"membership\":\"invite\",\"is_direct\":true}}"), 0);
    ck_assert_str_eq(ev.membership, "invite");
    ck_assert_str_eq(ev.state_key, "@signalbot:hs");
    mx_event_free(&ev);
    /* v11 redaction: redacts only in content; redacted events lack content */
    ck_assert_int_eq(parse(&ev, "{\"type\":\"m.room.redaction\",\"room_id\":\"!r:hs\",\"sender\":\"@a:hs\","
                                "\"content\":{\"redacts\":\"$x\"}}"), 0);
    ck_assert_str_eq(ev.redacts, "$x");
    mx_event_free(&ev);
    ck_assert_int_eq(parse(&ev, "{\"type\":\"m.room.message\",\"room_id\":\"!r:hs\",\"sender\":\"@a:hs\"}"), 0);
    ck_assert(json_is_object(ev.content));
    ck_assert_ptr_null(ev.body);
    mx_event_free(&ev);
}
END_TEST

START_TEST(rejects_bad_events)
{
    static const char *bad[] = {
        "", "[]", "null", "{", "{\"type\":\"x\"}",
        "{\"type\":\"x\",\"room_id\":\"!r:hs\",\"sender\":\"alice\"}",
        "{\"type\":\"x\",\"room_id\":\"r:hs\",\"sender\":\"@a:hs\"}",
        "{\"type\":1,\"room_id\":\"!r:hs\",\"sender\":\"@a:hs\"}",
        "{\"type\":\"x\",\"type\":\"y\",\"room_id\":\"!r:hs\",\"sender\":\"@a:hs\"}",
        "{\"type\":\"x\",\"room_id\":\"!r:hs\",\"sender\":\"@:hs\"}",
    };
    size_t i;
    mx_event ev;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(parse(&ev, bad[i]) == MX_ERR_EVENT, "accepted: %s", bad[i]);
        ck_assert_ptr_null(ev.root);
    }
    /* wrong-typed optional fields are simply absent */
    ck_assert_int_eq(parse(&ev, "{\"type\":\"m.room.message\",\"room_id\":\"!r:hs\",\"sender\":\"@a:hs\","
                                "\"origin_server_ts\":\"x\",\"content\":{\"body\":5,\"m.relates_to\":[]}}"), 0);
    ck_assert_ptr_null(ev.body);
    ck_assert_int_eq(ev.ts, 0);
    ck_assert_int_eq(ev.rel, MX_REL_NONE);
    mx_event_free(&ev);
}
END_TEST

START_TEST(mxids_and_escaping)
{
    const char *l, *s;
    size_t ll, sl;
    char out[16];

    ck_assert_int_eq(mx_mxid_split("@signal_ab:example.org", &l, &ll, &s, &sl), 0);
    ck_assert_uint_eq(ll, 9);
    ck_assert_int_eq(strncmp(l, "signal_ab", ll), 0);
    ck_assert_str_eq(s, "example.org");
    ck_assert_int_eq(mx_mxid_split("alice:hs", NULL, NULL, NULL, NULL), MX_ERR_MXID);
    ck_assert_int_eq(mx_mxid_split("@alice", NULL, NULL, NULL, NULL), MX_ERR_MXID);
    ck_assert_int_eq(mx_mxid_split("@alice:", NULL, NULL, NULL, NULL), MX_ERR_MXID);
    ck_assert_int_eq(mx_path_escape(out, sizeof(out), "!a:b/$c"), 0);
    ck_assert_str_eq(out, "%21a%3Ab%2F%24c");
    ck_assert_int_eq(mx_path_escape(out, 6, "!!!"), UT_ERR_RANGE);
}
END_TEST

/* ---- actions through a recording host table ----------------------------- */

typedef struct call {
    char user[64], method[8], path[256], body[256];
    int64_t ts;
    mxm_done_fn cb;
    void *arg;
    int done;
} call;

static call calls[8];
static int ncalls;
static mxm_done_fn pending_cb;
static void *pending_arg;

static int h_request(mxm_host *h, const char *user, const char *method,
                     const char *path, const char *body, size_t len,
                     int64_t ts, mxm_done_fn cb, void *arg)
{
    call *c = &calls[ncalls++];
    (void)h;
    snprintf(c->user, sizeof(c->user), "%s", user);
    snprintf(c->method, sizeof(c->method), "%s", method);
    snprintf(c->path, sizeof(c->path), "%s", path);
    snprintf(c->body, sizeof(c->body), "%.*s", (int)len, body ? body : "");
    c->ts = ts;
    c->cb = pending_cb = cb;
    c->arg = pending_arg = arg;
    c->done = strstr(path, "refuse") != NULL; /* refused: never completes */
    return c->done ? MXM_ERR_INVAL : MXM_OK;
}
static const char *h_server(mxm_host *h) { (void)h; return "hs.example"; }

static mxm_host_api H = {
    .struct_size = sizeof(mxm_host_api), .abi_major = MXM_ABI_MAJOR,
    .server_name = h_server, .request = h_request,
};

static int got_status;
static char got_room[64];
static void done(void *arg, int status, json_t *body)
{
    (void)arg;
    got_status = status;
    snprintf(got_room, sizeof(got_room), "%s",
             json_string_value(json_object_get(body, "room_id")) ? json_string_value(json_object_get(body, "room_id")) : "");
}

START_TEST(actions_build_escaped_paths_and_parse_replies)
{
    mx_conn *c;
    char uid[64];
    json_t *content = json_pack("{s:s,s:s}", "msgtype", "m.text", "body", "hey");

    ncalls = 0;
    ck_assert_int_eq(mx_conn_new(&c, &H, NULL), 0);
    ck_assert_int_eq(mx_user_id(c, "signalbot", uid, sizeof(uid)), 0);
    ck_assert_str_eq(uid, "@signalbot:hs.example");
    ck_assert_int_eq(mx_user_id(c, "signalbot", uid, 8), UT_ERR_RANGE);

    ck_assert_int_eq(mx_send(c, "@signal_x:hs.example", "!room:hs.example", "m.room.message",
                             "sig-1.2", content, 1700000000123LL, NULL, NULL), 0);
    ck_assert_str_eq(calls[0].method, "PUT");
    ck_assert_str_eq(calls[0].path, "/_matrix/client/v3/rooms/%21room%3Ahs.example/send/m.room.message/sig-1.2");
    ck_assert_str_eq(calls[0].body, "{\"msgtype\":\"m.text\",\"body\":\"hey\"}");
    ck_assert_int_eq(calls[0].ts, 1700000000123LL);
    ck_assert_str_eq(calls[0].user, "@signal_x:hs.example");
    pending_cb(pending_arg, 200, "{\"event_id\":\"$e\"}", 16); /* no cb: no crash */
    calls[0].done = 1;

    ck_assert_int_eq(mx_membership(c, "@signalbot:hs.example", "!r:hs", "invite", "@u:hs", NULL, done, NULL), 0);
    ck_assert_str_eq(calls[1].path, "/_matrix/client/v3/rooms/%21r%3Ahs/invite");
    ck_assert_str_eq(calls[1].body, "{\"user_id\":\"@u:hs\"}");
    ck_assert_int_eq(mx_membership(c, "@b:hs", "!r:hs", "invite", NULL, NULL, done, NULL), UT_ERR_INVAL);
    ck_assert_int_eq(mx_membership(c, "@b:hs", "!r:hs", "explode", "@u:hs", NULL, done, NULL), UT_ERR_INVAL);

    ck_assert_int_eq(mx_create_room(c, "@signalbot:hs.example", content, done, NULL), 0);
    pending_cb(pending_arg, 200, "{\"room_id\":\"!new:hs\"}", 21);
    calls[2].done = 1;
    ck_assert_int_eq(got_status, 200);
    ck_assert_str_eq(got_room, "!new:hs");

    ck_assert_int_eq(mx_account_data_put(c, "@u:hs", NULL, "m.direct", content, NULL, NULL), 0);
    ck_assert_str_eq(calls[3].path, "/_matrix/client/v3/user/%40u%3Ahs/account_data/m.direct");
    ck_assert_int_eq(mx_state(c, "@b:hs", "!r:hs", "m.room.name", NULL, content, NULL, NULL), 0);
    ck_assert_str_eq(calls[4].path, "/_matrix/client/v3/rooms/%21r%3Ahs/state/m.room.name/");
    ck_assert_int_eq(mx_typing(c, "@p:hs", "!r:hs", 1, 5000, NULL, NULL), 0);
    ck_assert_str_eq(calls[5].body, "{\"typing\":true,\"timeout\":5000}");

    /* a refusal by the host is reported at once and cb never runs */
    got_status = 0;
    ck_assert_int_eq(mx_request(c, "@b:hs", "GET", "/refuse", NULL, 0, done, NULL), MX_ERR_HOST);
    ck_assert_int_eq(got_status, 0);
    json_decref(content);
    mx_conn_free(c);
    /* completions arriving after the conn is gone are fine */
    for (int i = 0; i < ncalls; i++)
        if (!calls[i].done)
        {
            static const char e[] = "{\"errcode\":\"M_UNKNOWN\",\"error\":\"x\"}";
            calls[i].cb(calls[i].arg, 500, e, sizeof(e) - 1);
        }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mx");
    TCase *tc = tcase_create("mx");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, parses_message_reply_edit_reaction);
    tcase_add_test(tc, parses_member_and_redaction);
    tcase_add_test(tc, rejects_bad_events);
    tcase_add_test(tc, mxids_and_escaping);
    tcase_add_test(tc, actions_build_escaped_paths_and_parse_replies);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
