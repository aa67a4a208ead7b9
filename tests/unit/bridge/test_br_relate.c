/* test_br_relate.c - the pure parts of relations: which body an edit
 * carries, and the deterministic transaction ids that keep replays from
 * doubling events, unique per portal (owner + chat). */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "br_relate.h"
#include "br_txn.h"
#include "ut.h"

START_TEST(edit_body_prefers_new_content)
{
    json_t *c = json_pack("{s:s,s:{s:s,s:s}}", "body", "* fallback", "m.new_content",
                          "msgtype", "m.text", "body", "the new text");

    ck_assert_str_eq(br_relate_edit_body(c), "the new text");
    json_object_del(c, "m.new_content");
    ck_assert_str_eq(br_relate_edit_body(c), "fallback");
    json_object_set_new(c, "body", json_string("no star"));
    ck_assert_str_eq(br_relate_edit_body(c), "no star");
    json_object_set_new(c, "body", json_integer(3));
    ck_assert_ptr_null(br_relate_edit_body(c));
    json_object_set_new(c, "m.new_content", json_string("not an object"));
    ck_assert_ptr_null(br_relate_edit_body(c));
    ck_assert_ptr_null(br_relate_edit_body(NULL));
    json_decref(c);
}
END_TEST

START_TEST(txn_ids_are_stable_and_bounded)
{
    static const char *aci = "9d0652a3-dcc3-4d11-975f-74d61598733f";
    char a[160], b[160], tiny[8];

    ck_assert_int_eq(br_txn(a, sizeof(a), "sigr", "@alice:hs", "group:ab", aci, 1700000000123LL), 0);
    ck_assert_int_eq(br_txn(b, sizeof(b), "sigr", "@alice:hs", "group:ab", aci, 1700000000123LL), 0);
    ck_assert_str_eq(a, b);
    /* prefix, a 24-digit portal hash, sender, timestamp */
    ck_assert_int_eq(strncmp(a, "sigr-", 5), 0);
    ck_assert_uint_eq(strspn(a + 5, "0123456789abcdef"), 24);
    ck_assert_str_eq(a + 5 + 24, "-9d0652a3-dcc3-4d11-975f-74d61598733f-1700000000123");
    /* another kind or another message: another id */
    ck_assert_int_eq(br_txn(b, sizeof(b), "sigd", "@alice:hs", "group:ab", aci, 1700000000123LL), 0);
    ck_assert_str_ne(a, b);
    ck_assert_int_eq(br_txn(b, sizeof(b), "sigr", "@alice:hs", "group:ab", aci, 1700000000124LL), 0);
    ck_assert_str_ne(a, b);
    /* the same Signal message in another owner's portal (ghosts are shared
     * by owners, and homeservers key txn ids by user): another id */
    ck_assert_int_eq(br_txn(b, sizeof(b), "sigr", "@bob:hs", "group:ab", aci, 1700000000123LL), 0);
    ck_assert_str_ne(a, b);
    ck_assert_int_eq(br_txn(b, sizeof(b), "sigr", "@alice:hs", "group:ac", aci, 1700000000123LL), 0);
    ck_assert_str_ne(a, b);
    ck_assert_int_eq(br_txn(tiny, sizeof(tiny), "sigr", "@a:hs", "self", "long-sender", 1), UT_ERR_RANGE);
    ck_assert_int_eq(br_txn(a, sizeof(a), "sigr", NULL, "self", aci, 1), UT_ERR_INVAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("br_relate");
    TCase *tc = tcase_create("relate");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, edit_body_prefers_new_content);
    tcase_add_test(tc, txn_ids_are_stable_and_bounded);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
