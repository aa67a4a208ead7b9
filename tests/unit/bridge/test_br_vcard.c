/* test_br_vcard.c - Signal contact cards as vCards and back (br_vcard.h):
 * the card mautrix-signal writes, the cards phones export (vCard 2.1 with
 * QUOTED-PRINTABLE, 3.0, 4.0 with tel: URIs), and what is refused. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "br_vcard.h"
#include "ut.h"

static int parse(const char *s, br_vcard *v)
{
    return br_vcard_parse(s, strlen(s), v);
}

START_TEST(write_as_mautrix)
{
    br_vcard_item tels[2] = { { "+15550001111", BR_VC_MOBILE, NULL },
                              { "+15550002222", BR_VC_CUSTOM, "Boat; deck" } };
    br_vcard_item mails[1] = { { "ann@example.org", BR_VC_WORK, NULL } };
    br_vcard_addr adr[1] = { { BR_VC_ADR_HOME, NULL, "1 Main St", "PO 9", NULL, "Springfield",
                               "IL", "62701", "USA" } };
    br_vcard v = { 0 };
    char *t;
    size_t len;

    v.given = "Ann";
    v.family = "Lee";
    v.middle = "Q";
    v.org = "Acme, Inc.";
    v.tels = tels;
    v.n_tels = 2;
    v.emails = mails;
    v.n_emails = 1;
    v.addrs = adr;
    v.n_addrs = 1;
    t = br_vcard_write(&v, &len);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(strlen(t), len);
    ck_assert_str_eq(t, "BEGIN:VCARD\r\nVERSION:4.0\r\n"
                        "ADR;TYPE=home:PO 9;;1 Main St;Springfield;IL;62701;USA\r\n"
                        "EMAIL;TYPE=work:ann@example.org\r\n"
                        "FN:Ann Lee\r\n"
                        "N:Lee;Ann;Q;;\r\n"
                        "ORG:Acme\\, Inc.\r\n"
                        "TEL;TYPE=mobile:+15550001111\r\n"
                        "TEL;LABEL=\"Boat; deck\";TYPE=custom:+15550002222\r\n"
                        "END:VCARD\r\n");
    free(t);
}
END_TEST

START_TEST(round_trip)
{
    br_vcard_item tels[1] = { { "+15550001111", BR_VC_HOME, NULL } };
    br_vcard v = { 0 }, r;
    char *t;
    size_t len;
    uint8_t photo[100];

    memset(photo, 0xAB, sizeof(photo));
    v.given = "Zoë";
    v.family = "Ng";
    v.nickname = "Z";
    v.prefix = "Dr.";
    v.tels = tels;
    v.n_tels = 1;
    v.photo = photo;
    v.photo_len = sizeof(photo);
    v.photo_type = "image/jpeg";
    t = br_vcard_write(&v, &len);
    ck_assert_ptr_nonnull(t);
    ck_assert_ptr_nonnull(strstr(t, "\r\n ")); /* the PHOTO line is folded */
    ck_assert_int_eq(br_vcard_parse(t, len, &r), 0);
    ck_assert_str_eq(r.given, "Zoë");
    ck_assert_str_eq(r.family, "Ng");
    ck_assert_str_eq(r.nickname, "Z");
    ck_assert_str_eq(r.prefix, "Dr.");
    ck_assert_uint_eq(r.n_tels, 1);
    ck_assert_str_eq(r.tels[0].value, "+15550001111");
    ck_assert_int_eq(r.tels[0].type, BR_VC_HOME);
    br_vcard_clear(&r);
    free(t);

    /* the biggest photo a card gets (150 KiB) still reads back, and a
     * long property the card does not keep (NOTE) is no reason to refuse */
    {
        uint8_t *big = calloc(150u << 10, 1);
        char *note = malloc(6000), *withnote;
        size_t tl;
        ck_assert_ptr_nonnull(big);
        v.photo = big;
        v.photo_len = 150u << 10;
        t = br_vcard_write(&v, &len);
        ck_assert_ptr_nonnull(t);
        ck_assert_int_eq(br_vcard_parse(t, len, &r), 0);
        br_vcard_clear(&r);
        memset(note, 'n', 5999);
        note[5999] = '\0';
        tl = len + 6100;
        withnote = malloc(tl);
        snprintf(withnote, tl, "%.*sNOTE:%s\r\nEND:VCARD\r\n", (int)(len - 11), t, note);
        ck_assert_int_eq(br_vcard_parse(withnote, strlen(withnote), &r), 0);
        ck_assert_str_eq(r.given, "Zoë");
        br_vcard_clear(&r);
        free(withnote);
        free(note);
        free(big);
        free(t);
    }
}
END_TEST

START_TEST(phone_exports)
{
    br_vcard v;
    char name[64];

    /* Android's 2.1 export: bare types, QUOTED-PRINTABLE with a soft break */
    ck_assert_int_eq(parse("BEGIN:VCARD\r\nVERSION:2.1\r\n"
                           "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=\r\n"
                           "=C3=BCrgen;;;\r\n"
                           "FN:J\xc3\xbcrgen M\xc3\xbcller\r\n"
                           "TEL;CELL;PREF:+49 151 000\r\n"
                           "TEL;X-Boat:+49 30 000\r\n"
                           "EMAIL;HOME:j@example.de\r\n"
                           "END:VCARD\r\n", &v), 0);
    ck_assert_str_eq(v.family, "M\xc3\xbcller");
    ck_assert_str_eq(v.given, "J\xc3\xbcrgen");
    ck_assert_uint_eq(v.n_tels, 2);
    ck_assert_int_eq(v.tels[0].type, BR_VC_MOBILE);
    ck_assert_int_eq(v.tels[1].type, BR_VC_CUSTOM);
    ck_assert_str_eq(v.tels[1].label, "Boat");
    ck_assert_int_eq(v.emails[0].type, BR_VC_HOME);
    br_vcard_display_name(&v, name, sizeof(name));
    ck_assert_str_eq(name, "J\xc3\xbcrgen M\xc3\xbcller");
    br_vcard_clear(&v);

    /* 3.0 from iOS: groups, TYPE lists, folded lines, LF only */
    ck_assert_int_eq(parse("BEGIN:VCARD\nVERSION:3.0\nPRODID:-//Apple Inc.//iPhone OS//EN\n"
                           "N:Appleseed;Johnny;;;\nFN:Johnny Appleseed\nORG:Apple;\n"
                           "item1.TEL;type=VOICE;type=WORK;type=pref:+1 (408) 555-0\n 100\n"
                           "item2.ADR;type=HOME:;;1 Infinite Loop;Cupertino;CA;95014;United Sta\n"
                           "\ttes\nPHOTO;ENCODING=b;TYPE=JPEG:AAAA\nEND:VCARD\n", &v), 0);
    ck_assert_str_eq(v.org, "Apple");
    ck_assert_str_eq(v.tels[0].value, "+1 (408) 555-0100");
    ck_assert_int_eq(v.tels[0].type, BR_VC_WORK);
    ck_assert_uint_eq(v.n_addrs, 1);
    ck_assert_int_eq(v.addrs[0].type, BR_VC_ADR_HOME);
    ck_assert_str_eq(v.addrs[0].street, "1 Infinite Loop");
    ck_assert_str_eq(v.addrs[0].country, "United States");
    br_vcard_clear(&v);

    /* 4.0: tel: URIs; FN alone is the given name; an organization alone */
    ck_assert_int_eq(parse("BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Solo\r\n"
                           "TEL;VALUE=uri;TYPE=\"cell,voice\":tel:+1-555-0199\r\nEND:VCARD\r\n",
                           &v), 0);
    ck_assert_str_eq(v.given, "Solo");
    ck_assert_str_eq(v.tels[0].value, "+1-555-0199");
    ck_assert_int_eq(v.tels[0].type, BR_VC_MOBILE);
    br_vcard_clear(&v);
    ck_assert_int_eq(parse("BEGIN:VCARD\r\nVERSION:4.0\r\nORG:Acme\r\nEND:VCARD\r\n", &v), 0);
    ck_assert_str_eq(v.org, "Acme");
    br_vcard_clear(&v);
}
END_TEST

START_TEST(refused)
{
    br_vcard v;
    static const char *bad[] = {
        "",
        "hello",
        "BEGIN:VCARD\r\nFN:x\r\nEND:VCARD\r\n",                          /* no VERSION */
        "BEGIN:VCARD\r\nVERSION:5.0\r\nFN:x\r\nEND:VCARD\r\n",
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:x\r\n",                        /* no END */
        "BEGIN:VCARD\r\nVERSION:4.0\r\nTEL:1\r\nEND:VCARD\r\n",          /* no name */
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:a\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:b\r\nEND:VCARD\r\n",           /* two cards */
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:a\r\nno colon\r\nEND:VCARD\r\n",
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN;X=\"open:a\r\nEND:VCARD\r\n",
        "BEGIN:VCARD\r\nVERSION:2.1\r\nFN;CHARSET=ISO-8859-1:a\r\nEND:VCARD\r\n",
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:\xff\xfe\r\nEND:VCARD\r\n",
        "BEGIN:VCARD\r\nVERSION:2.1\r\nFN;ENCODING=QUOTED-PRINTABLE:=ZZ\r\nEND:VCARD\r\n",
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:a\r\nAGENT:\r\nBEGIN:VCARD\r\nEND:VCARD\r\n",
    };
    size_t i;
    char many[8192];
    int o;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(parse(bad[i], &v) == UT_ERR_INVAL, "case %zu", i);
    o = snprintf(many, sizeof(many), "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:a\r\n");
    for (i = 0; i <= BR_VCARD_MAX_ITEMS; i++)
        o += snprintf(many + o, sizeof(many) - (size_t)o, "TEL:%zu\r\n", i);
    snprintf(many + o, sizeof(many) - (size_t)o, "END:VCARD\r\n");
    ck_assert_int_eq(parse(many, &v), UT_ERR_INVAL);
    ck_assert_int_eq(br_vcard_parse(NULL, 0, &v), UT_ERR_INVAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("br_vcard");
    TCase *t = tcase_create("vcard");
    SRunner *sr;
    int failed;

    tcase_add_test(t, write_as_mautrix);
    tcase_add_test(t, round_trip);
    tcase_add_test(t, phone_exports);
    tcase_add_test(t, refused);
    suite_add_tcase(s, t);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
