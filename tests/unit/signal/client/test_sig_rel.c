/* test_sig_rel.c - reading reactions, deletes and edits out of a Content:
 * plain, inside a sync transcript, binary and text author ids, and the
 * malformed cases that must be refused rather than bridged. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "SignalService.pb-c.h"
#include "sig_client.h"
#include "sig_err.h"
#include "sig_util.h"

static const char AUTHOR[] = "9d0652a3-dcc3-4d11-975f-74d61598733f";
static const char PEER[] = "0b63e5d7-7a62-4b4b-a0a9-1e1cc5c1bb06";

static uint8_t *pack(const Signalservice__Content *ct, size_t *n)
{
    uint8_t *b;

    *n = signalservice__content__get_packed_size(ct);
    b = malloc(*n ? *n : 1);
    ck_assert_ptr_nonnull(b);
    signalservice__content__pack(ct, b);
    return b;
}

static int read_rel(const Signalservice__Content *ct, sig_relation *r)
{
    size_t n;
    uint8_t *b = pack(ct, &n);
    int rc = sig_content_relation(b, n, r);

    free(b);
    return rc;
}

START_TEST(reaction_text_and_binary_author)
{
    Signalservice__Content ct = SIGNALSERVICE__CONTENT__INIT;
    Signalservice__DataMessage dm = SIGNALSERVICE__DATA_MESSAGE__INIT;
    Signalservice__DataMessage__Reaction re = SIGNALSERVICE__DATA_MESSAGE__REACTION__INIT;
    uint8_t bin[16];
    sig_relation r;

    re.emoji = "\xf0\x9f\x91\x8d";
    re.targetauthoraci = (char *)"9D0652A3-DCC3-4D11-975F-74D61598733F"; /* any case */
    re.has_targetsenttimestamp = 1;
    re.targetsenttimestamp = 1700000000123ull;
    dm.reaction = &re;
    dm.has_timestamp = 1;
    dm.timestamp = 1700000000999ull;
    ct.datamessage = &dm;
    ck_assert_int_eq(read_rel(&ct, &r), 0);
    ck_assert_int_eq(r.kind, SIG_REL_REACTION);
    ck_assert_str_eq(r.target_author, AUTHOR);
    ck_assert_uint_eq(r.target_ts, 1700000000123ull);
    ck_assert_uint_eq(r.ts, 1700000000999ull);
    ck_assert_str_eq(r.text, "\xf0\x9f\x91\x8d");
    ck_assert_int_eq(r.remove, 0);
    ck_assert_int_eq(r.from_self, 0);
    sig_relation_clear(&r);

    /* the binary form wins over a bad text form */
    ck_assert_int_eq(sig_uuid_parse(bin, AUTHOR), 0);
    re.targetauthoraci = (char *)"not-a-uuid";
    re.has_targetauthoracibinary = 1;
    re.targetauthoracibinary.data = bin;
    re.targetauthoracibinary.len = 16;
    re.has_remove = 1;
    re.remove = 1;
    ck_assert_int_eq(read_rel(&ct, &r), 0);
    ck_assert_str_eq(r.target_author, AUTHOR);
    ck_assert_int_eq(r.remove, 1);
    sig_relation_clear(&r);

    /* no usable author, no emoji, no target: refused */
    re.has_targetauthoracibinary = 0;
    ck_assert_int_eq(read_rel(&ct, &r), SIG_ERR_ENVELOPE);
    ck_assert_ptr_null(r.text);
    sig_relation_clear(&r);
    re.targetauthoraci = (char *)AUTHOR;
    re.emoji = (char *)"";
    ck_assert_int_eq(read_rel(&ct, &r), SIG_ERR_ENVELOPE);
    sig_relation_clear(&r);
    re.emoji = (char *)"x";
    re.has_targetsenttimestamp = 0;
    ck_assert_int_eq(read_rel(&ct, &r), SIG_ERR_ENVELOPE);
    sig_relation_clear(&r);
}
END_TEST

START_TEST(delete_and_edit)
{
    Signalservice__Content ct = SIGNALSERVICE__CONTENT__INIT;
    Signalservice__DataMessage dm = SIGNALSERVICE__DATA_MESSAGE__INIT, inner = SIGNALSERVICE__DATA_MESSAGE__INIT;
    Signalservice__DataMessage__Delete del = SIGNALSERVICE__DATA_MESSAGE__DELETE__INIT;
    Signalservice__EditMessage em = SIGNALSERVICE__EDIT_MESSAGE__INIT;
    sig_relation r;

    del.has_targetsenttimestamp = 1;
    del.targetsenttimestamp = 42;
    dm.delete_ = &del;
    ct.datamessage = &dm;
    ck_assert_int_eq(read_rel(&ct, &r), 0);
    ck_assert_int_eq(r.kind, SIG_REL_DELETE);
    ck_assert_uint_eq(r.target_ts, 42);
    ck_assert_str_eq(r.target_author, "");
    sig_relation_clear(&r);
    del.targetsenttimestamp = 0;
    ck_assert_int_eq(read_rel(&ct, &r), SIG_ERR_ENVELOPE);
    sig_relation_clear(&r);

    ct.datamessage = NULL;
    inner.body = (char *)"new text";
    inner.has_timestamp = 1;
    inner.timestamp = 77;
    em.has_targetsenttimestamp = 1;
    em.targetsenttimestamp = 55;
    em.datamessage = &inner;
    ct.editmessage = &em;
    ck_assert_int_eq(read_rel(&ct, &r), 0);
    ck_assert_int_eq(r.kind, SIG_REL_EDIT);
    ck_assert_uint_eq(r.target_ts, 55);
    ck_assert_uint_eq(r.ts, 77);
    ck_assert_str_eq(r.text, "new text");
    sig_relation_clear(&r);
    em.datamessage = NULL;
    ck_assert_int_eq(read_rel(&ct, &r), SIG_ERR_ENVELOPE);
    sig_relation_clear(&r);
}
END_TEST

START_TEST(sync_transcripts_and_plain_messages)
{
    Signalservice__Content ct = SIGNALSERVICE__CONTENT__INIT;
    Signalservice__SyncMessage sm = SIGNALSERVICE__SYNC_MESSAGE__INIT;
    Signalservice__SyncMessage__Sent sent = SIGNALSERVICE__SYNC_MESSAGE__SENT__INIT;
    Signalservice__DataMessage dm = SIGNALSERVICE__DATA_MESSAGE__INIT;
    Signalservice__DataMessage__Reaction re = SIGNALSERVICE__DATA_MESSAGE__REACTION__INIT;
    uint8_t dest[16];
    sig_relation r;

    /* an ordinary text is no relation */
    dm.body = (char *)"hello";
    ct.datamessage = &dm;
    ck_assert_int_eq(read_rel(&ct, &r), 0);
    ck_assert_int_eq(r.kind, SIG_REL_NONE);
    sig_relation_clear(&r);

    re.emoji = (char *)"x";
    re.targetauthoraci = (char *)AUTHOR;
    re.has_targetsenttimestamp = 1;
    re.targetsenttimestamp = 9;
    dm.body = NULL;
    dm.reaction = &re;
    ck_assert_int_eq(sig_uuid_parse(dest, PEER), 0);
    sent.has_destinationserviceidbinary = 1;
    sent.destinationserviceidbinary.data = dest;
    sent.destinationserviceidbinary.len = 16;
    sent.message = &dm;
    sm.sent = &sent;
    ct.datamessage = NULL;
    ct.syncmessage = &sm;
    ck_assert_int_eq(read_rel(&ct, &r), 0);
    ck_assert_int_eq(r.kind, SIG_REL_REACTION);
    ck_assert_int_eq(r.from_self, 1);
    ck_assert_str_eq(r.destination, PEER);
    sig_relation_clear(&r);

    /* text destination */
    sent.has_destinationserviceidbinary = 0;
    sent.destinationserviceid = (char *)PEER;
    ck_assert_int_eq(read_rel(&ct, &r), 0);
    ck_assert_str_eq(r.destination, PEER);
    sig_relation_clear(&r);
}
END_TEST

START_TEST(garbage_is_refused)
{
    static const uint8_t junk[] = {0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01};
    sig_relation r;

    ck_assert_int_eq(sig_content_relation(junk, sizeof(junk), &r), SIG_ERR_ENVELOPE);
    sig_relation_clear(&r);
    ck_assert_int_eq(sig_content_relation(NULL, 3, &r), UT_ERR_INVAL);
    sig_relation_clear(&r);
    /* empty content parses as nothing at all */
    ck_assert_int_eq(sig_content_relation(junk, 0, &r), 0);
    ck_assert_int_eq(r.kind, SIG_REL_NONE);
    sig_relation_clear(&r);
    sig_relation_clear(NULL);
}
END_TEST

START_TEST(read_syncs)
{
    Signalservice__Content ct = SIGNALSERVICE__CONTENT__INIT;
    Signalservice__SyncMessage sm = SIGNALSERVICE__SYNC_MESSAGE__INIT;
    Signalservice__SyncMessage__Read r[3], *rp[3];
    Signalservice__DataMessage dm = SIGNALSERVICE__DATA_MESSAGE__INIT;
    sig_read_entry *e = NULL;
    uint8_t bin[16], *b;
    size_t n, len;
    int i;

    ck_assert_int_eq(sig_uuid_parse(bin, AUTHOR), 0);
    for (i = 0; i < 3; i++) {
        signalservice__sync_message__read__init(&r[i]);
        r[i].has_timestamp = 1;
        r[i].timestamp = 100 + (uint64_t)i;
        rp[i] = &r[i];
    }
    r[0].has_senderacibinary = 1;  /* binary author */
    r[0].senderacibinary.data = bin;
    r[0].senderacibinary.len = 16;
    r[1].senderaci = (char *)PEER; /* text author */
    r[2].senderaci = (char *)"bad"; /* skipped */
    sm.n_read = 3;
    sm.read = rp;
    ct.syncmessage = &sm;
    b = pack(&ct, &len);
    ck_assert_int_eq(sig_content_reads(b, len, &e, &n), 1);
    free(b);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(e[0].sender, AUTHOR);
    ck_assert_uint_eq(e[0].ts, 100);
    ck_assert_str_eq(e[1].sender, PEER);
    ck_assert_uint_eq(e[1].ts, 101);
    free(e);
    /* anything else is no read sync */
    dm.body = (char *)"hi";
    ct.syncmessage = NULL;
    ct.datamessage = &dm;
    b = pack(&ct, &len);
    ck_assert_int_eq(sig_content_reads(b, len, &e, &n), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(e);
    free(b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sig_rel");
    TCase *tc = tcase_create("rel");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, reaction_text_and_binary_author);
    tcase_add_test(tc, delete_and_edit);
    tcase_add_test(tc, sync_transcripts_and_plain_messages);
    tcase_add_test(tc, garbage_is_refused);
    tcase_add_test(tc, read_syncs);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
