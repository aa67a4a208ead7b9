/* test_br_net_event.c - the br_net_event value: a handler that keeps an
 * event past its return keeps a deep copy (br_net_event_dup), because the
 * dispatcher frees the original. Under --enable-sanitizers a shallow copy
 * would be a use after free here. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "br_net.h"

static br_net_event *sample(void)
{
    br_net_event *ev = calloc(1, sizeof(*ev));

    ck_assert_ptr_nonnull(ev);
    ev->kind = BR_NET_MESSAGE;
    ev->owner = strdup("@alice:example.org");
    ev->chat_id = strdup("group:00ff");
    ev->sender = strdup("aci-bob");
    ev->text = strdup("hello");
    ev->ts = 1700000000123;
    ev->durable_id = 42;
    ev->n_atts = 1;
    ev->atts = calloc(1, sizeof(*ev->atts));
    ev->atts[0].content_type = strdup("image/png");
    ev->atts[0].pointer = malloc(3);
    memcpy(ev->atts[0].pointer, "\x01\x02\x03", 3);
    ev->atts[0].pointer_len = 3;
    ev->atts[0].size = 99;
    ev->n_members = 2;
    ev->members = calloc(2, sizeof(char *));
    ev->members[0] = strdup("aci-1");
    ev->members[1] = strdup("aci-2");
    ev->data = malloc(4); /* an avatar's image */
    memcpy(ev->data, "\xff\xd8\xff\xe0", 4);
    ev->data_len = 4;
    ev->avatar = strdup("groups/a/b"); /* a group's avatar key */
    return ev;
}

START_TEST(dup_is_deep)
{
    br_net_event *ev = sample(), *c = br_net_event_dup(ev);

    ck_assert_ptr_nonnull(c);
    /* nothing shared with the original */
    ck_assert_ptr_ne(c->owner, ev->owner);
    ck_assert_ptr_ne(c->atts, ev->atts);
    ck_assert_ptr_ne(c->atts[0].pointer, ev->atts[0].pointer);
    ck_assert_ptr_ne(c->members, ev->members);
    ck_assert_ptr_ne(c->data, ev->data);
    ck_assert_ptr_ne(c->avatar, ev->avatar);
    br_net_event_free(ev); /* what the dispatcher does after the handler */
    ck_assert_int_eq(c->kind, BR_NET_MESSAGE);
    ck_assert_str_eq(c->owner, "@alice:example.org");
    ck_assert_str_eq(c->chat_id, "group:00ff");
    ck_assert_str_eq(c->sender, "aci-bob");
    ck_assert_str_eq(c->text, "hello");
    ck_assert_ptr_null(c->id);
    ck_assert(c->ts == 1700000000123);
    ck_assert(c->durable_id == 42);
    ck_assert_uint_eq(c->n_atts, 1);
    ck_assert_str_eq(c->atts[0].content_type, "image/png");
    ck_assert_ptr_null(c->atts[0].file_name);
    ck_assert_uint_eq(c->atts[0].pointer_len, 3);
    ck_assert_int_eq(memcmp(c->atts[0].pointer, "\x01\x02\x03", 3), 0);
    ck_assert(c->atts[0].size == 99);
    ck_assert_uint_eq(c->n_members, 2);
    ck_assert_str_eq(c->members[1], "aci-2");
    ck_assert_uint_eq(c->data_len, 4);
    ck_assert_int_eq(memcmp(c->data, "\xff\xd8\xff\xe0", 4), 0);
    ck_assert_str_eq(c->avatar, "groups/a/b");
    br_net_event_free(c);
}
END_TEST

START_TEST(dup_of_empty_and_free_of_null)
{
    br_net_event e = {.kind = BR_NET_CONNECTION, .code = 1};
    br_net_event *c = br_net_event_dup(&e);

    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(c->code, 1);
    ck_assert_ptr_null(c->owner);
    ck_assert_ptr_null(c->atts);
    ck_assert_ptr_null(c->members);
    ck_assert_ptr_null(c->data);
    ck_assert_ptr_null(c->avatar);
    ck_assert_uint_eq(c->data_len, 0);
    br_net_event_free(c);
    br_net_event_free(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("br_net_event");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, dup_is_deep);
    tcase_add_test(tc, dup_of_empty_and_free_of_null);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
