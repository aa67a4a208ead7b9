/*
 * test_hs_event.c - Check tests for shim/homeserver/hs_event.c: canonical
 * JSON, content hash and reference-hash event IDs (known answers computed
 * with Python's json/hashlib, an independent implementation), the
 * redaction algorithm (v10 and v11) and the authorization rules for
 * membership and power levels.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "hs.h"

static json_t *msg_event(void)
{
    return json_pack("{s:s,s:s,s:s,s:{s:s,s:s},s:I,s:i,s:[s],s:[s,s],s:{s:i}}",
                     "room_id", "!r:test", "sender", "@a:test", "type", "m.room.message",
                     "content", "msgtype", "m.text", "body", "h\xc3\xa9 \xe2\x9c\x93",
                     "origin_server_ts", (json_int_t)1700000000000LL, "depth", 5,
                     "prev_events", "$p", "auth_events", "$c", "$m", "unsigned", "age", 1);
}

START_TEST(test_canonical_json)
{
    json_t *j = json_loads("{\"b\":\"2\",\"a\":{\"d\":[1,2],\"c\":null}}", 0, NULL);
    char *t = hs_canonical_json(j);

    ck_assert_str_eq(t, "{\"a\":{\"c\":null,\"d\":[1,2]},\"b\":\"2\"}");
    free(t);
    json_decref(j);
}
END_TEST

START_TEST(test_content_hash_and_event_id)
{
    json_t *ev = msg_event();
    char id[64];

    ck_assert_int_eq(hs_event_hash(ev), 0);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(ev, "hashes"), "sha256")),
                     "eRPHo2iQ7bcRZWu2LdM+WDAx+uxDL9cplwRkdCwLOBU");
    ck_assert_int_eq(hs_event_id(ev, "10", id), 0);
    ck_assert_str_eq(id, "$k6IBPOchs7VD3Ehkbz_KsZVxr9AD7bJxd3Hr5BSMo4U");
    json_decref(ev);
}
END_TEST

START_TEST(test_event_id_properties)
{
    json_t *ev = msg_event(), *red, *other;
    char a[64], b[64], c[64];

    ck_assert_int_eq(hs_event_hash(ev), 0);
    ck_assert_int_eq(hs_event_id(ev, "10", a), 0);
    /* unsigned does not count; redacting keeps the ID (the hash stays) */
    json_object_set_new(ev, "unsigned", json_pack("{s:s}", "transaction_id", "t"));
    ck_assert_int_eq(hs_event_id(ev, "10", b), 0);
    ck_assert_str_eq(a, b);
    red = hs_event_redact(ev, "10");
    ck_assert_int_eq(hs_event_id(red, "10", b), 0);
    ck_assert_str_eq(a, b);
    /* other content -> other content hash -> other ID */
    other = msg_event();
    json_object_set_new(json_object_get(other, "content"), "body", json_string("x"));
    ck_assert_int_eq(hs_event_hash(other), 0);
    ck_assert_int_eq(hs_event_id(other, "10", c), 0);
    ck_assert_str_ne(a, c);
    ck_assert_int_eq((int)strlen(a), 44);
    ck_assert_int_eq(a[0], '$');
    json_decref(ev);
    json_decref(red);
    json_decref(other);
}
END_TEST

START_TEST(test_redact_member_and_message)
{
    json_t *m = json_pack("{s:s,s:s,s:s,s:s,s:{s:s,s:s,s:b},s:s,s:s}", "type", "m.room.member",
                          "sender", "@a:t", "room_id", "!r:t", "state_key", "@a:t", "content",
                          "membership", "join", "displayname", "A", "is_direct", 1,
                          "origin", "t", "extra", "x");
    json_t *r10 = hs_event_redact(m, "10"), *r11 = hs_event_redact(m, "11");

    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r10, "content"), "membership")), "join");
    ck_assert_int_eq((int)json_object_size(json_object_get(r10, "content")), 1);
    ck_assert_ptr_null(json_object_get(r10, "extra"));
    ck_assert_ptr_nonnull(json_object_get(r10, "origin"));   /* kept in v10 */
    ck_assert_ptr_null(json_object_get(r11, "origin"));      /* dropped in v11 */
    ck_assert_str_eq(json_string_value(json_object_get(r11, "state_key")), "@a:t");
    json_decref(r10);
    json_decref(r11);
    json_decref(m);

    m = msg_event();
    r10 = hs_event_redact(m, "10");
    ck_assert_int_eq((int)json_object_size(json_object_get(r10, "content")), 0);
    ck_assert_ptr_null(json_object_get(r10, "unsigned"));
    json_decref(r10);
    json_decref(m);
}
END_TEST

START_TEST(test_redact_create_pl_redaction)
{
    json_t *c = json_pack("{s:s,s:{s:s,s:s,s:b}}", "type", "m.room.create", "content",
                          "creator", "@a:t", "room_version", "10", "m.federate", 1);
    json_t *pl = json_pack("{s:s,s:{s:i,s:i,s:{},s:i,s:i}}", "type", "m.room.power_levels",
                           "content", "ban", 50, "invite", 0, "users", "historical", 100,
                           "kick", 50);
    json_t *rd = json_pack("{s:s,s:s,s:{s:s,s:s}}", "type", "m.room.redaction", "redacts", "$x",
                           "content", "redacts", "$x", "reason", "r");
    json_t *r;

    r = hs_event_redact(c, "10");
    ck_assert_int_eq((int)json_object_size(json_object_get(r, "content")), 1); /* creator only */
    json_decref(r);
    r = hs_event_redact(c, "11");
    ck_assert_int_eq((int)json_object_size(json_object_get(r, "content")), 3); /* all kept */
    json_decref(r);
    r = hs_event_redact(pl, "10");
    ck_assert_ptr_null(json_object_get(json_object_get(r, "content"), "invite"));
    ck_assert_ptr_null(json_object_get(json_object_get(r, "content"), "historical"));
    ck_assert_ptr_nonnull(json_object_get(json_object_get(r, "content"), "kick"));
    json_decref(r);
    r = hs_event_redact(pl, "11");
    ck_assert_ptr_nonnull(json_object_get(json_object_get(r, "content"), "invite"));
    json_decref(r);
    r = hs_event_redact(rd, "11");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r, "content"), "redacts")), "$x");
    ck_assert_ptr_null(json_object_get(json_object_get(r, "content"), "reason"));
    ck_assert_ptr_null(json_object_get(r, "redacts")); /* not a top-level key in v11 */
    json_decref(r);
    r = hs_event_redact(rd, "10");
    ck_assert_int_eq((int)json_object_size(json_object_get(r, "content")), 0);
    json_decref(r);
    json_decref(c);
    json_decref(pl);
    json_decref(rd);
}
END_TEST

/* ---- authorization rules -------------------------------------------------- */

static void put(json_t *state, json_t *ev)
{
    char k[512];
    const char *sk = json_string_value(json_object_get(ev, "state_key"));

    snprintf(k, sizeof(k), "%s\x1f%s", json_string_value(json_object_get(ev, "type")), sk ? sk : "");
    json_object_set_new(state, k, ev);
}

static json_t *member(const char *sender, const char *target, const char *mem)
{
    return json_pack("{s:s,s:s,s:s,s:{s:s}}", "type", "m.room.member", "sender", sender,
                     "state_key", target, "content", "membership", mem);
}

/* A room made by @a: create, @a joined, PL (@a 100, @m 50), join rule. */
static json_t *room(const char *join_rule)
{
    json_t *st = json_object();

    put(st, json_pack("{s:s,s:s,s:s,s:{s:s,s:s}}", "type", "m.room.create", "sender", "@a:t",
                      "state_key", "", "content", "creator", "@a:t", "room_version", "10"));
    put(st, member("@a:t", "@a:t", "join"));
    put(st, json_pack("{s:s,s:s,s:s,s:{s:{s:i,s:i},s:i,s:i,s:i,s:i,s:i,s:{s:i}}}", "type",
                      "m.room.power_levels", "sender", "@a:t", "state_key", "", "content",
                      "users", "@a:t", 100, "@m:t", 50, "users_default", 0, "events_default", 0,
                      "state_default", 50, "kick", 50, "ban", 50, "events", "m.room.name", 50));
    put(st, json_pack("{s:s,s:s,s:s,s:{s:s}}", "type", "m.room.join_rules", "sender", "@a:t",
                      "state_key", "", "content", "join_rule", join_rule));
    return st;
}

static int allowed(json_t *state, json_t *ev)
{
    char why[256];
    int rc = hs_event_auth(state, ev, why, sizeof(why));

    json_decref(ev);
    return rc == 0;
}

START_TEST(test_auth_create_and_first_join)
{
    json_t *st = json_object();

    ck_assert(allowed(st, json_pack("{s:s,s:s,s:s,s:{s:s}}", "type", "m.room.create", "sender",
                                    "@a:t", "state_key", "", "content", "creator", "@a:t")));
    put(st, json_pack("{s:s,s:s,s:s,s:{s:s}}", "type", "m.room.create", "sender", "@a:t",
                      "state_key", "", "content", "creator", "@a:t"));
    ck_assert(allowed(st, member("@a:t", "@a:t", "join")));
    ck_assert(!allowed(st, member("@b:t", "@b:t", "join"))); /* no join rule yet: invite */
    ck_assert(!allowed(st, json_pack("{s:s,s:s,s:s,s:{}}", "type", "m.room.create", "sender",
                                     "@a:t", "state_key", "", "content")));
    json_decref(st);
}
END_TEST

START_TEST(test_auth_join_rules)
{
    json_t *inv = room("invite"), *pub = room("public");

    ck_assert(!allowed(inv, member("@b:t", "@b:t", "join")));
    ck_assert(allowed(pub, member("@b:t", "@b:t", "join")));
    ck_assert(!allowed(pub, member("@a:t", "@b:t", "join"))); /* joining for someone else */
    put(inv, member("@a:t", "@b:t", "invite"));
    ck_assert(allowed(inv, member("@b:t", "@b:t", "join")));
    put(pub, member("@a:t", "@b:t", "ban"));
    ck_assert(!allowed(pub, member("@b:t", "@b:t", "join")));
    json_decref(inv);
    json_decref(pub);
}
END_TEST

START_TEST(test_auth_invite_kick_ban)
{
    json_t *st = room("invite");

    ck_assert(allowed(st, member("@a:t", "@b:t", "invite")));
    ck_assert(!allowed(st, member("@x:t", "@b:t", "invite"))); /* inviter not in room */
    put(st, member("@m:t", "@m:t", "join"));
    put(st, member("@u:t", "@u:t", "join"));
    ck_assert(!allowed(st, member("@u:t", "@m:t", "leave")));  /* PL 0 cannot kick */
    ck_assert(!allowed(st, member("@m:t", "@a:t", "leave")));  /* 50 cannot kick 100 */
    ck_assert(allowed(st, member("@m:t", "@u:t", "leave")));   /* 50 kicks 0 */
    ck_assert(allowed(st, member("@u:t", "@u:t", "leave")));   /* leaving is fine */
    ck_assert(!allowed(st, member("@u:t", "@m:t", "ban")));
    ck_assert(allowed(st, member("@a:t", "@m:t", "ban")));
    put(st, member("@a:t", "@u:t", "ban"));
    ck_assert(!allowed(st, member("@a:t", "@u:t", "invite")));  /* banned: no invite */
    ck_assert(!allowed(st, member("@u2:t", "@u:t", "leave"))); /* outsider cannot unban */
    ck_assert(allowed(st, member("@a:t", "@u:t", "leave")));    /* unban by 100 */
    json_decref(st);
}
END_TEST

START_TEST(test_auth_events_and_power)
{
    json_t *st = room("invite");
    json_t *msg = json_pack("{s:s,s:s,s:{s:s}}", "type", "m.room.message", "sender", "@u:t",
                            "content", "body", "x");

    ck_assert(!allowed(st, json_deep_copy(msg)));  /* not joined */
    put(st, member("@u:t", "@u:t", "join"));
    put(st, member("@m:t", "@m:t", "join"));
    ck_assert(allowed(st, json_deep_copy(msg)));
    ck_assert(!allowed(st, json_pack("{s:s,s:s,s:s,s:{s:s}}", "type", "m.room.name", "sender",
                                     "@u:t", "state_key", "", "content", "name", "n")));
    ck_assert(allowed(st, json_pack("{s:s,s:s,s:s,s:{s:s}}", "type", "m.room.name", "sender",
                                    "@m:t", "state_key", "", "content", "name", "n")));
    ck_assert(!allowed(st, json_pack("{s:s,s:s,s:s,s:{}}", "type", "x.custom", "sender",
                                     "@a:t", "state_key", "@u:t", "content")));
    /* @m (50) tries to raise itself to 100 */
    ck_assert(!allowed(st, json_pack("{s:s,s:s,s:s,s:{s:{s:i,s:i}}}", "type", "m.room.power_levels",
                                     "sender", "@m:t", "state_key", "", "content", "users",
                                     "@a:t", 100, "@m:t", 100)));
    /* @a (100) promotes @u to 50 and keeps itself */
    ck_assert(allowed(st, json_pack("{s:s,s:s,s:s,s:{s:{s:i,s:i,s:i},s:i,s:i,s:i,s:i,s:i,s:{s:i}}}",
                                    "type", "m.room.power_levels", "sender", "@a:t", "state_key", "",
                                    "content", "users", "@a:t", 100, "@m:t", 50, "@u:t", 50,
                                    "users_default", 0, "events_default", 0, "state_default", 50,
                                    "kick", 50, "ban", 50, "events", "m.room.name", 50)));
    ck_assert_int_eq((int)hs_pl_user(st, "@a:t"), 100);
    ck_assert_int_eq((int)hs_pl_user(st, "@nobody:t"), 0);
    ck_assert_int_eq((int)hs_pl_event(st, "m.room.name", 1), 50);
    ck_assert_int_eq((int)hs_pl_event(st, "m.room.topic", 1), 50);
    ck_assert_int_eq((int)hs_pl_event(st, "m.room.message", 0), 0);
    json_decref(msg);
    json_decref(st);
}
END_TEST

/* Redactions (v3+ rooms): the redact level, or the original's own sender
 * in the same room (matrix-spec rooms/fragments/v3-handling-redactions.md,
 * Synapse event_auth.check_redaction). */
static int redaction_allowed(json_t *state, const char *sender, const json_t *original,
                             int v11)
{
    char why[256];
    json_t *ev = json_pack("{s:s,s:s,s:s,s:{}}", "type", "m.room.redaction", "sender", sender,
                           "room_id", "!r:t", "content");
    int rc;

    if (v11) /* v11: redacts only in content */
        json_object_set_new(json_object_get(ev, "content"), "redacts", json_string("$orig"));
    else
        json_object_set_new(ev, "redacts", json_string("$orig"));
    rc = hs_event_auth_with(state, ev, original, why, sizeof(why));
    json_decref(ev);
    return rc == 0;
}

START_TEST(test_auth_redaction)
{
    json_t *st = room("invite");
    json_t *by_u = json_pack("{s:s,s:s,s:s,s:{}}", "type", "m.room.message", "sender", "@u:t",
                             "room_id", "!r:t", "content");
    json_t *by_u_elsewhere = json_pack("{s:s,s:s,s:s,s:{}}", "type", "m.room.message", "sender",
                                       "@u:t", "room_id", "!other:t", "content");
    json_t *create = json_pack("{s:s,s:s,s:s,s:s,s:{}}", "type", "m.room.create", "sender", "@a:t",
                               "room_id", "!r:t", "state_key", "", "content");
    char why[256];
    json_t *bare;

    put(st, member("@u:t", "@u:t", "join"));
    put(st, member("@v:t", "@v:t", "join"));
    put(st, member("@m:t", "@m:t", "join"));
    ck_assert(redaction_allowed(st, "@u:t", by_u, 0));            /* own event */
    ck_assert(redaction_allowed(st, "@u:t", by_u, 1));            /* v11 form */
    ck_assert(!redaction_allowed(st, "@v:t", by_u, 0));           /* someone else's, PL 0 */
    ck_assert(!redaction_allowed(st, "@v:t", by_u, 1));
    ck_assert(redaction_allowed(st, "@m:t", by_u, 0));            /* redact level 50 */
    ck_assert(!redaction_allowed(st, "@v:t", NULL, 0));           /* unknown target */
    ck_assert(redaction_allowed(st, "@m:t", NULL, 1));            /* moderators may */
    ck_assert(!redaction_allowed(st, "@u:t", by_u_elsewhere, 0)); /* other room: unknown */
    ck_assert(!redaction_allowed(st, "@a:t", create, 0));         /* never the create event */
    /* without a target ID, and through plain hs_event_auth (original unknown) */
    bare = json_pack("{s:s,s:s,s:s,s:{}}", "type", "m.room.redaction", "sender", "@m:t",
                     "room_id", "!r:t", "content");
    ck_assert_int_ne(hs_event_auth(st, bare, why, sizeof(why)), 0);
    json_object_set_new(bare, "redacts", json_string("$x"));
    ck_assert_int_eq(hs_event_auth(st, bare, why, sizeof(why)), 0);
    json_object_set_new(bare, "sender", json_string("@v:t"));
    ck_assert_int_ne(hs_event_auth(st, bare, why, sizeof(why)), 0);
    json_decref(bare);
    json_decref(by_u);
    json_decref(by_u_elsewhere);
    json_decref(create);
    json_decref(st);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("hs_event");
    TCase *h = tcase_create("hashing");
    TCase *r = tcase_create("redaction");
    TCase *a = tcase_create("auth");

    tcase_add_test(h, test_canonical_json);
    tcase_add_test(h, test_content_hash_and_event_id);
    tcase_add_test(h, test_event_id_properties);
    tcase_add_test(r, test_redact_member_and_message);
    tcase_add_test(r, test_redact_create_pl_redaction);
    tcase_add_test(a, test_auth_create_and_first_join);
    tcase_add_test(a, test_auth_join_rules);
    tcase_add_test(a, test_auth_invite_kick_ban);
    tcase_add_test(a, test_auth_events_and_power);
    tcase_add_test(a, test_auth_redaction);
    suite_add_tcase(s, h);
    suite_add_tcase(s, r);
    suite_add_tcase(s, a);
    return s;
}

int main(void)
{
    SRunner *sr;
    int failed;

    if (sodium_init() < 0)
        return 1;
    sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
