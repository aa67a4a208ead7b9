/* test_br_sigchat.c - Signal messages and synced records to chat ids. The
 * group id vector is libsignal 0.100's GroupSecretParams
 * .deriveFromMasterKey(0x00..0x1f).getPublicParams().getGroupIdentifier(). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "br_sigchat.h"
#include "sig_groups.h"

#define ME "11111111-1111-4111-8111-111111111111"
#define PEER "22222222-2222-4222-8222-222222222222"
#define GID "34026f02ab8518196407f7cbbbb9d5b7018cdb4dc58e5ee7ba342cfe65a827aa"

static void master_key(uint8_t mk[32])
{
    for (int i = 0; i < 32; i++)
        mk[i] = (uint8_t)i;
}

START_TEST(messages_to_chats)
{
    sig_message m;
    uint8_t mk[32];
    char chat[96], small[16];

    master_key(mk);
    memset(&m, 0, sizeof(m));
    m.sender = PEER;
    ck_assert_int_eq(br_sigchat_of(&m, ME, chat, sizeof(chat)), 0);
    ck_assert_str_eq(chat, "dm:" PEER);
    /* a group message, from a contact or from our phone: the group id */
    m.group_master_key = mk;
    ck_assert_int_eq(br_sigchat_of(&m, ME, chat, sizeof(chat)), 0);
    ck_assert_str_eq(chat, "group:" GID);
    m.from_self = 1;
    m.sender = ME;
    ck_assert_int_eq(br_sigchat_of(&m, ME, chat, sizeof(chat)), 0);
    ck_assert_str_eq(chat, "group:" GID);
    ck_assert_int_eq(br_sigchat_of(&m, ME, small, sizeof(small)), UT_ERR_RANGE);
    /* transcripts: to a contact, to ourselves, to nobody */
    m.group_master_key = NULL;
    m.destination = PEER;
    ck_assert_int_eq(br_sigchat_of(&m, ME, chat, sizeof(chat)), 0);
    ck_assert_str_eq(chat, "dm:" PEER);
    m.destination = ME;
    ck_assert_int_eq(br_sigchat_of(&m, ME, chat, sizeof(chat)), 0);
    ck_assert_str_eq(chat, "self");
    m.destination = NULL;
    ck_assert_int_eq(br_sigchat_of(&m, ME, chat, sizeof(chat)), 1);
    ck_assert_int_eq(br_sigchat_mine(&m, ME), 1);
    /* a plain message from our own ACI (another device of ours, not a
     * transcript): Note to Self, from the user; unknown ACI: a DM */
    m.from_self = 0;
    m.sender = ME;
    ck_assert_int_eq(br_sigchat_of(&m, ME, chat, sizeof(chat)), 0);
    ck_assert_str_eq(chat, "self");
    ck_assert_int_eq(br_sigchat_mine(&m, ME), 1);
    ck_assert_int_eq(br_sigchat_of(&m, NULL, chat, sizeof(chat)), 0);
    ck_assert_str_eq(chat, "dm:" ME);
    m.sender = PEER;
    ck_assert_int_eq(br_sigchat_mine(&m, ME), 0);
}
END_TEST

START_TEST(group_ids_to_chats)
{
    uint8_t gid[32];
    char chat[80], small[70];

    for (int i = 0; i < 32; i++)
        gid[i] = (uint8_t)(0xa0 + i);
    ck_assert_int_eq(br_sigchat_gid(gid, chat, sizeof(chat)), 0);
    ck_assert_str_eq(chat, "group:a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf");
    ck_assert_int_eq(br_sigchat_gid(gid, small, sizeof(small)), UT_ERR_RANGE);
}
END_TEST

START_TEST(synced_records_to_chats)
{
    uint8_t mk[32], gid[32] = {0};
    sig_group g;
    sig_contact ct;
    br_net_event *ev;

    master_key(mk);
    memset(&g, 0, sizeof(g));
    g.master_key = mk;
    g.group_id = gid;
    ev = br_sigchat_group("@u:x", &g);
    ck_assert_ptr_nonnull(ev);
    ck_assert_int_eq(ev->kind, BR_NET_CHAT);
    ck_assert_str_eq(ev->owner, "@u:x");
    ck_assert_str_eq(ev->chat_id, "group:" GID);
    ck_assert_int_eq(ev->code, 0);
    br_net_event_free(ev);
    /* a blocked group is told as blocked: the bridge drops its messages */
    g.blocked = 1;
    ev = br_sigchat_group("@u:x", &g);
    ck_assert_ptr_nonnull(ev);
    ck_assert_str_eq(ev->chat_id, "group:" GID);
    ck_assert_int_eq(ev->code, BR_NET_CHAT_BLOCKED);
    br_net_event_free(ev);
    ck_assert_ptr_null(br_sigchat_group("@u:x", NULL));

    /* only contacts the user accepted a chat with, and not blocked ones */
    memset(&ct, 0, sizeof(ct));
    ct.aci = PEER;
    ct.number = "+15550001111";
    ck_assert_ptr_null(br_sigchat_contact("@u:x", &ct));
    ct.whitelisted = 1;
    ev = br_sigchat_contact("@u:x", &ct);
    ck_assert_ptr_nonnull(ev);
    ck_assert_str_eq(ev->chat_id, "dm:" PEER);
    ck_assert_str_eq(ev->phone, "+15550001111");
    br_net_event_free(ev);
    ct.blocked = 1;
    ck_assert_ptr_null(br_sigchat_contact("@u:x", &ct));
    ct.blocked = 0;
    ct.aci = NULL;
    ck_assert_ptr_null(br_sigchat_contact("@u:x", &ct));

    ev = br_sigchat_self("@u:x");
    ck_assert_ptr_nonnull(ev);
    ck_assert_str_eq(ev->chat_id, "self");
    br_net_event_free(ev);
}
END_TEST

START_TEST(group_state_to_events)
{
    sig_group_member mem[3];
    sig_group_info g;
    br_net_event *ev;
    uint8_t gid[32];
    char chat[80];

    memset(&g, 0, sizeof(g));
    memset(mem, 0, sizeof(mem));
    for (int i = 0; i < 32; i++)
        g.group_id[i] = (uint8_t)(0xa0 + i);
    strcpy(mem[0].aci, PEER);
    strcpy(mem[1].aci, ME);
    strcpy(mem[2].aci, "33333333-3333-4333-8333-333333333333");
    g.members = mem;
    g.n_members = 3;
    g.title = "Weekend trip";
    g.revision = 4;
    ev = br_sigchat_group_info("@u:x", &g, ME);
    ck_assert_ptr_nonnull(ev);
    ck_assert_int_eq(ev->kind, BR_NET_GROUP_INFO);
    ck_assert_str_eq(ev->chat_id, "group:a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf");
    ck_assert_str_eq(ev->text, "Weekend trip");
    ck_assert_int_eq(ev->code, 4);
    /* the user is no ghost of their own */
    ck_assert_uint_eq(ev->n_members, 2);
    ck_assert_str_eq(ev->members[0], PEER);
    ck_assert_str_eq(ev->members[1], "33333333-3333-4333-8333-333333333333");
    /* the chat id parses back to the identifier */
    ck_assert_int_eq(br_sigchat_parse_gid(ev->chat_id, gid), 0);
    ck_assert_mem_eq(gid, g.group_id, 32);
    br_net_event_free(ev);
    g.title = NULL;
    g.n_members = 0;
    ev = br_sigchat_group_info("@u:x", &g, NULL);
    ck_assert_ptr_nonnull(ev);
    ck_assert_str_eq(ev->text, "");
    ck_assert_uint_eq(ev->n_members, 0);
    br_net_event_free(ev);
    ck_assert_ptr_null(br_sigchat_group_info("@u:x", NULL, ME));
    /* malformed chat ids are refused */
    ck_assert_int_eq(br_sigchat_parse_gid("dm:" PEER, gid), UT_ERR_INVAL);
    ck_assert_int_eq(br_sigchat_parse_gid("group:abc", gid), UT_ERR_INVAL);
    snprintf(chat, sizeof(chat), "group:%s", GID);
    chat[10] = 'G';
    ck_assert_int_eq(br_sigchat_parse_gid(chat, gid), UT_ERR_INVAL);
    chat[10] = ' ';
    ck_assert_int_eq(br_sigchat_parse_gid(chat, gid), UT_ERR_INVAL);
    ck_assert_int_eq(br_sigchat_parse_gid(NULL, gid), UT_ERR_INVAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("br_sigchat");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, messages_to_chats);
    tcase_add_test(tc, synced_records_to_chats);
    tcase_add_test(tc, group_ids_to_chats);
    tcase_add_test(tc, group_state_to_events);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
