/* test_sig_groups.c - the stored form of a group's state (sig_gstate_dump /
 * sig_gstate_load round trip, malformed records refused) and the store
 * side of sig_groups.h on a client that is not linked: groups learned from
 * a master key are listed, their state is read back once stored, members
 * are recognised, and network calls refuse with SIG_ERR_NOT_LINKED. (The
 * Group protobuf parser is checked against the mock server in
 * tests/interop/groups-state.js.) */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "sc_group.h"
#include "sig_err.h"
#include "sig_groups.h"
#include "sig_gstate.h"
#include "sig_int.h"

static const char *const A1 = "0b7a3d2c-3c44-4b71-9d1f-1c7a1b6e2f00";
static const char *const A2 = "5d0e41a0-90b5-4c1b-8ef4-2f1c9a3b4d5e";
static const char *const A3 = "e2c7a1b0-1111-4222-8333-944455556666";

static sig_group_info *sample(void)
{
    sig_group_info *g = calloc(1, sizeof(*g));

    g->revision = 7;
    g->title = strdup("Plans \"quoted\" \xe2\x98\x80");
    g->description = strdup("");
    g->timer = 3600;
    g->announcements_only = 1;
    g->attributes_access = SIG_GROUP_ACCESS_ADMIN;
    g->members = calloc(2, sizeof(*g->members));
    g->n_members = 2;
    strcpy(g->members[0].aci, A1);
    g->members[0].role = SIG_GROUP_ROLE_ADMIN;
    g->members[0].has_profile_key = 1;
    strcpy(g->members[1].aci, A2);
    g->members[1].role = SIG_GROUP_ROLE_DEFAULT;
    g->members[1].joined_at_revision = 4;
    g->pending = calloc(1, sizeof(*g->pending));
    g->n_pending = 1;
    strcpy(g->pending[0].aci, A3);
    g->pending[0].role = SIG_GROUP_ROLE_DEFAULT;
    return g;
}

START_TEST(test_stored_roundtrip)
{
    sig_group_info *g = sample(), *b = NULL;
    char *js = NULL;

    ck_assert_int_eq(sig_gstate_dump(g, &js), 0);
    ck_assert_int_eq(sig_gstate_load(js, strlen(js), &b), 0);
    ck_assert_uint_eq(b->revision, 7);
    ck_assert_str_eq(b->title, g->title);
    ck_assert_str_eq(b->description, "");
    ck_assert_uint_eq(b->timer, 3600);
    ck_assert_int_eq(b->announcements_only, 1);
    /* who may change the attributes (sig_group_modify checks it) */
    ck_assert_int_eq(b->attributes_access, SIG_GROUP_ACCESS_ADMIN);
    ck_assert_uint_eq(b->n_members, 2);
    ck_assert_str_eq(b->members[0].aci, A1);
    ck_assert_int_eq(b->members[0].role, SIG_GROUP_ROLE_ADMIN);
    ck_assert_int_eq(b->members[0].has_profile_key, 1);
    ck_assert_str_eq(b->members[1].aci, A2);
    ck_assert_uint_eq(b->members[1].joined_at_revision, 4);
    ck_assert_int_eq(b->members[1].has_profile_key, 0);
    ck_assert_uint_eq(b->n_pending, 1);
    ck_assert_str_eq(b->pending[0].aci, A3);
    free(js);
    sig_group_info_free(b);
    sig_group_info_free(g);
    sig_group_info_free(NULL);
}
END_TEST

/* The avatar's key is kept; a state stored before avatars were read has
 * none (NULL: unknown, so the client fetches the avatar at the next
 * fetch), which is not the same as "" (no avatar). */
START_TEST(test_stored_avatar)
{
    static const char old[] =
        "{\"rev\":3,\"title\":\"t\",\"desc\":\"\",\"timer\":0,\"ann\":false,\"members\":[],\"pending\":[]}";
    static const char bad[] =
        "{\"rev\":3,\"title\":\"t\",\"desc\":\"\",\"avatar\":5,\"timer\":0,\"ann\":false,\"members\":[],\"pending\":[]}";
    sig_group_info *g = sample(), *b = NULL;
    char *js = NULL;

    g->avatar = strdup("groups/abc/def");
    ck_assert_int_eq(sig_gstate_dump(g, &js), 0);
    ck_assert_int_eq(sig_gstate_load(js, strlen(js), &b), 0);
    ck_assert_str_eq(b->avatar, "groups/abc/def");
    free(js);
    sig_group_info_free(b);
    free(g->avatar);
    g->avatar = strdup("");
    ck_assert_int_eq(sig_gstate_dump(g, &js), 0);
    ck_assert_int_eq(sig_gstate_load(js, strlen(js), &b), 0);
    ck_assert_str_eq(b->avatar, "");
    free(js);
    sig_group_info_free(b);
    ck_assert_int_eq(sig_gstate_load(old, strlen(old), &b), 0);
    ck_assert_ptr_null(b->avatar);
    ck_assert_int_eq(b->attributes_access, SIG_GROUP_ACCESS_UNKNOWN); /* stored before access was */
    sig_group_info_free(b);
    ck_assert_int_eq(sig_gstate_load(bad, strlen(bad), &b), SIG_ERR_JSON);
    sig_group_info_free(g);
}
END_TEST

START_TEST(test_stored_bad)
{
    static const char *const bad[] = {
        "", "[]", "{}", "not json",
        "{\"rev\":-1,\"title\":\"\",\"desc\":\"\",\"timer\":0,\"ann\":false,\"members\":[],\"pending\":[]}",
        "{\"rev\":4294967296,\"title\":\"\",\"desc\":\"\",\"timer\":0,\"ann\":false,\"members\":[],\"pending\":[]}",
        "{\"rev\":1,\"title\":\"\",\"desc\":\"\",\"timer\":0,\"ann\":false,\"members\":[[\"nope\",1,0,false]],\"pending\":[]}",
        "{\"rev\":1,\"title\":\"\",\"desc\":\"\",\"timer\":0,\"ann\":false,\"members\":[[1,1,0,false]],\"pending\":[]}",
        "{\"rev\":1,\"title\":\"\",\"desc\":\"\",\"timer\":0,\"ann\":false,\"members\":{},\"pending\":[]}",
        "{\"rev\":1,\"title\":5,\"desc\":\"\",\"timer\":0,\"ann\":false,\"members\":[],\"pending\":[]}",
    };
    sig_group_info *g = NULL;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(sig_gstate_load(bad[i], strlen(bad[i]), &g) == SIG_ERR_JSON, "accepted %s",
                      bad[i]);
        ck_assert_ptr_null(g);
    }
}
END_TEST

static char dir[] = "/tmp/sig_groups_XXXXXX";
static char path[256];

static void rm_db(void)
{
    char p[300];

    snprintf(p, sizeof(p), "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", path);
    unlink(p);
    unlink(path);
    rmdir(dir);
}

START_TEST(test_client_store)
{
    struct event_base *base = event_base_new();
    uint8_t mk[32], gid[32], other[32], *ids = NULL;
    sig_group_info *g = sample(), *b = NULL;
    size_t n = 99;
    st_db *db;
    int64_t acct;
    sig_client *c;
    sig_config cfg;
    char err[128], *key = NULL, *js = NULL;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/t.db", dir);
    ck_assert_int_eq(st_db_open(&db, path, NULL, err, sizeof(err)), 0);
    ck_assert_int_eq(st_account_ensure(db, "@u:test", &acct), 0);
    memset(&cfg, 0, sizeof(cfg));
    cfg.host = "127.0.0.1";
    cfg.port = 4433;
    cfg.account = acct;
    cfg.server_public_params = "AAAA";
    ck_assert_int_eq(sig_client_new(&c, base, db, &cfg, NULL, NULL), 0);

    ck_assert_int_eq(sig_group_list(c, &ids, &n), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(ids);

    memset(mk, 0x5a, sizeof(mk));
    ck_assert_int_eq(sc_group_derive(gid, NULL, mk), 0);
    memset(other, 1, sizeof(other));
    sig_groups_seen(c, mk, 3); /* remembered; not linked: no fetch */
    ck_assert_int_eq(sig_group_list(c, &ids, &n), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_mem_eq(ids, gid, 32);
    free(ids);

    ck_assert_int_eq(sig_group_info_get(c, gid, &b), SIG_ERR_STATE);
    ck_assert_ptr_null(b);
    ck_assert_int_eq(sig_group_is_member(c, gid, A1), 0);

    /* a stored state reads back under its id */
    ck_assert_int_eq(sig_gstate_dump(g, &js), 0);
    ck_assert_int_eq(sig_b64_encode(gid, 32, &key), 0);
    ck_assert_int_eq(sig_rec_put(c, "group_state", key, js, strlen(js)), 0);
    ck_assert_int_eq(sig_group_info_get(c, gid, &b), 0);
    ck_assert_mem_eq(b->group_id, gid, 32);
    ck_assert_str_eq(b->title, g->title);
    ck_assert_uint_eq(b->n_members, 2);
    ck_assert_int_eq(sig_group_is_member(c, gid, A2), 1);
    ck_assert_int_eq(sig_group_is_member(c, gid, A3), 0); /* only invited */
    ck_assert_int_eq(sig_group_is_member(c, other, A1), 0);
    sig_group_info_free(b);
    b = NULL;
    ck_assert_int_eq(sig_group_info_get(c, other, &b), SIG_ERR_STATE);
    ck_assert_ptr_null(b);

    ck_assert_int_eq(sig_group_fetch(c, gid), SIG_ERR_NOT_LINKED);
    ck_assert_int_eq(sig_client_send_group_text(c, gid, "hi", 0, NULL, NULL), SIG_ERR_NOT_LINKED);
    ck_assert_int_eq(sig_client_send_group_text(c, gid, NULL, 0, NULL, NULL), UT_ERR_INVAL);
    ck_assert_int_eq(sig_client_send_group_typing(c, gid, 1), SIG_ERR_NOT_LINKED);
    ck_assert_int_eq(sig_client_send_group_reaction(c, gid, "x", 0, "nope", 1, 0, NULL),
                     UT_ERR_INVAL);
    ck_assert_int_eq(sig_client_send_group_delete(c, gid, 0, 0, NULL), UT_ERR_INVAL);
    ck_assert_int_eq(sig_client_send_group_edit(c, gid, 5, "t", 0, NULL), SIG_ERR_NOT_LINKED);
    ck_assert_int_eq(sig_client_send_group_file(c, gid, "/nonexistent", NULL, NULL, NULL, NULL),
                     SIG_ERR_NOT_LINKED);
    ck_assert_str_ne(sig_strerror(SIG_ERR_ZK_PARAMS), sig_strerror(SIG_ERR_NOT_MEMBER));
    ck_assert_str_eq(sig_event_name(SIG_EV_GROUP_UPDATED), "group_updated");

    free(key);
    free(js);
    sig_group_info_free(b);
    sig_group_info_free(g);
    sig_client_free(c);
    st_db_close(db);
    rm_db();
    event_base_free(base);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sig_groups");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int nf;

    tcase_add_test(tc, test_stored_roundtrip);
    tcase_add_test(tc, test_stored_avatar);
    tcase_add_test(tc, test_stored_bad);
    tcase_add_test(tc, test_client_store);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? 0 : 1;
}
