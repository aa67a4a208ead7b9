/*
 * test_hs_vis.c - Check tests for shim/homeserver/hs_vis.c: the history
 * visibility rules (spec "history visibility, server behaviour"; Synapse
 * synapse/visibility.py) over a reader's membership changes and a room's
 * history_visibility changes, by stream position.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>

#include "hs_vis.h"

/* A reader with the membership changes `m` and the room's visibility
 * changes `h` ({stream, value}, ascending, terminated by stream 0). */
static hs_vis make(const hs_vis_step *m, const hs_vis_step *h)
{
    hs_vis v = {0};

    while (m && m[v.nmem].stream)
        v.nmem++;
    while (h && h[v.nhv].stream)
        v.nhv++;
    v.mem = (hs_vis_step *)m;
    v.hv = (hs_vis_step *)h;
    hs_vis_finish(&v);
    return v;
}

START_TEST(test_values)
{
    ck_assert_int_eq(hs_vis_value("world_readable"), HS_HV_WORLD_READABLE);
    ck_assert_int_eq(hs_vis_value("joined"), HS_HV_JOINED);
    ck_assert_int_eq(hs_vis_value("bogus"), HS_HV_SHARED);
    ck_assert_int_eq(hs_vis_value(NULL), HS_HV_SHARED);
    ck_assert_int_eq(hs_vis_membership("ban"), HS_MB_BAN);
    ck_assert_int_eq(hs_vis_membership(NULL), HS_MB_LEAVE);
}
END_TEST

/* Room: visibility set at 2; reader invited at 5, joined at 8. */
START_TEST(test_each_visibility)
{
    hs_vis_step mem[] = {{5, HS_MB_INVITE}, {8, HS_MB_JOIN}, {0, 0}};
    int vis;

    for (vis = HS_HV_WORLD_READABLE; vis <= HS_HV_JOINED; vis++) {
        hs_vis_step hv[] = {{2, vis}, {0, 0}};
        hs_vis v = make(mem, hv);
        ck_assert_int_eq(v.upto, INT64_MAX);
        ck_assert_int_eq(hs_vis_event(&v, 3), vis <= HS_HV_SHARED);  /* before the invite */
        ck_assert_int_eq(hs_vis_event(&v, 6), vis <= HS_HV_INVITED); /* while invited */
        ck_assert_int_eq(hs_vis_event(&v, 9), 1);                    /* after the join */
        ck_assert_int_eq(hs_vis_event(&v, 8), 1);                    /* the join itself */
    }
}
END_TEST

START_TEST(test_visibility_event_is_judged_by_the_laxer_value)
{
    hs_vis_step mem[] = {{9, HS_MB_JOIN}, {0, 0}};
    hs_vis_step hv[] = {{2, HS_HV_SHARED}, {4, HS_HV_JOINED}, {0, 0}};
    hs_vis v = make(mem, hv);

    ck_assert_int_eq(hs_vis_event(&v, 4), 1); /* the change to joined: shared before */
    ck_assert_int_eq(hs_vis_event(&v, 5), 0);
    ck_assert_int_eq(hs_vis_event(&v, 3), 1);
}
END_TEST

START_TEST(test_no_access_without_ever_joining)
{
    hs_vis_step banned[] = {{5, HS_MB_INVITE}, {6, HS_MB_BAN}, {0, 0}};
    hs_vis_step kicked[] = {{5, HS_MB_INVITE}, {6, HS_MB_LEAVE}, {0, 0}};
    hs_vis_step invited[] = {{5, HS_MB_INVITE}, {0, 0}};
    hs_vis_step shared[] = {{2, HS_HV_SHARED}, {0, 0}};
    hs_vis b = make(banned, shared), k = make(kicked, shared), i = make(invited, shared);
    hs_vis n = make(NULL, shared);

    ck_assert_int_eq(b.upto, -1);
    ck_assert_int_eq(k.upto, -1);
    ck_assert_int_eq(i.upto, -1);
    ck_assert_int_eq(n.upto, -1);
    ck_assert_int_eq(hs_vis_event(&b, 3), 0);
    ck_assert_int_eq(hs_vis_event(&k, 6), 0);
}
END_TEST

START_TEST(test_leave_and_rejoin)
{
    hs_vis_step left[] = {{5, HS_MB_JOIN}, {9, HS_MB_LEAVE}, {0, 0}};
    hs_vis_step back[] = {{5, HS_MB_JOIN}, {9, HS_MB_LEAVE}, {12, HS_MB_INVITE},
                          {13, HS_MB_JOIN}, {0, 0}};
    hs_vis_step shared[] = {{2, HS_HV_SHARED}, {0, 0}};
    hs_vis_step joined[] = {{2, HS_HV_JOINED}, {0, 0}};
    hs_vis l = make(left, shared), r = make(back, joined), rs = make(back, shared);

    ck_assert_int_eq(l.upto, 9);
    ck_assert_int_eq(hs_vis_event(&l, 3), 1);  /* shared: joined after it */
    ck_assert_int_eq(hs_vis_event(&l, 7), 1);
    ck_assert_int_eq(hs_vis_event(&l, 9), 1);  /* their own leave */
    ck_assert_int_eq(hs_vis_event(&l, 10), 0); /* after the leave */
    ck_assert_int_eq(hs_vis_event(&r, 7), 1);
    ck_assert_int_eq(hs_vis_event(&r, 10), 0); /* the gap, joined visibility */
    ck_assert_int_eq(hs_vis_event(&r, 14), 1);
    ck_assert_int_eq(hs_vis_event(&rs, 10), 1); /* the gap, shared: joined again after */
}
END_TEST

START_TEST(test_world_readable_peeking)
{
    hs_vis_step hv[] = {{2, HS_HV_SHARED}, {4, HS_HV_WORLD_READABLE}, {0, 0}};
    hs_vis v = make(NULL, hv);

    ck_assert_int_eq(v.peeking, 1);
    ck_assert_int_eq(hs_vis_event(&v, 3), 0); /* shared, and a peeker never joined */
    ck_assert_int_eq(hs_vis_event(&v, 4), 1);
    ck_assert_int_eq(hs_vis_event(&v, 5), 1);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("hs_vis");
    TCase *t = tcase_create("rules");

    tcase_add_test(t, test_values);
    tcase_add_test(t, test_each_visibility);
    tcase_add_test(t, test_visibility_event_is_judged_by_the_laxer_value);
    tcase_add_test(t, test_no_access_without_ever_joining);
    tcase_add_test(t, test_leave_and_rejoin);
    tcase_add_test(t, test_world_readable_peeking);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
