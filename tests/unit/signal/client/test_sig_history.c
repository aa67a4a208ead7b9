/* test_sig_history.c - the archive reader on archives built here with
 * protobuf-c and zlib: chats and their newest messages in order, the
 * limits, and every kind of bad archive giving SIG_ERR_HISTORY with a
 * reason. The key derivation and the envelope are checked against
 * libsignal in tests/interop/ciphers.js; the whole path against the mock
 * in tests/e2e/signal-history.js. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "Backup.pb-c.h"
#include "sig_err.h"
#include "sig_history.h"
#include "ut.h"

static const uint8_t ACI_A[16] = {0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0x4a, 0xaa,
                                  0x8a, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0x01};

typedef struct arc {
    ut_buf raw;
} arc;

static void put_frame(arc *a, const ProtobufCMessage *m)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *p = malloc(n + 10), v[10];
    size_t k = 0, x = n;

    do {
        v[k] = (uint8_t)(x & 0x7f);
        x >>= 7;
        if (x)
            v[k] |= 0x80;
        k++;
    } while (x);
    protobuf_c_message_pack(m, p);
    ck_assert_int_eq(ut_buf_append(&a->raw, v, k), 0);
    ck_assert_int_eq(ut_buf_append(&a->raw, p, n), 0);
    free(p);
}

static void put_info(arc *a, uint64_t version)
{
    Signal__Backup__BackupInfo bi = SIGNAL__BACKUP__BACKUP_INFO__INIT;

    bi.has_version = 1;
    bi.version = version;
    bi.has_backuptimems = 1;
    bi.backuptimems = 1700000000000ull;
    put_frame(a, &bi.base);
}

static void put_contact(arc *a, uint64_t id, const uint8_t aci[16], const char *given)
{
    Signal__Backup__Frame f = SIGNAL__BACKUP__FRAME__INIT;
    Signal__Backup__Recipient r = SIGNAL__BACKUP__RECIPIENT__INIT;
    Signal__Backup__Contact c = SIGNAL__BACKUP__CONTACT__INIT;

    c.has_aci = 1;
    c.aci.data = (uint8_t *)aci;
    c.aci.len = 16;
    c.has_e164 = 1;
    c.e164 = 15550001111ull;
    c.profilegivenname = (char *)given;
    r.has_id = 1;
    r.id = id;
    r.destination_case = SIGNAL__BACKUP__RECIPIENT__DESTINATION_CONTACT;
    r.contact = &c;
    f.item_case = SIGNAL__BACKUP__FRAME__ITEM_RECIPIENT;
    f.recipient = &r;
    put_frame(a, &f.base);
}

static void put_self(arc *a, uint64_t id)
{
    Signal__Backup__Frame f = SIGNAL__BACKUP__FRAME__INIT;
    Signal__Backup__Recipient r = SIGNAL__BACKUP__RECIPIENT__INIT;
    Signal__Backup__Self s = SIGNAL__BACKUP__SELF__INIT;

    r.has_id = 1;
    r.id = id;
    r.destination_case = SIGNAL__BACKUP__RECIPIENT__DESTINATION_SELF;
    r.self = &s;
    f.item_case = SIGNAL__BACKUP__FRAME__ITEM_RECIPIENT;
    f.recipient = &r;
    put_frame(a, &f.base);
}

static void put_group(arc *a, uint64_t id, uint8_t mk_byte, const char *title)
{
    Signal__Backup__Frame f = SIGNAL__BACKUP__FRAME__INIT;
    Signal__Backup__Recipient r = SIGNAL__BACKUP__RECIPIENT__INIT;
    Signal__Backup__Group g = SIGNAL__BACKUP__GROUP__INIT;
    Signal__Backup__Group__GroupSnapshot s = SIGNAL__BACKUP__GROUP__GROUP_SNAPSHOT__INIT;
    Signal__Backup__Group__GroupAttributeBlob t = SIGNAL__BACKUP__GROUP__GROUP_ATTRIBUTE_BLOB__INIT;
    uint8_t mk[32];

    memset(mk, mk_byte, sizeof(mk));
    t.content_case = SIGNAL__BACKUP__GROUP__GROUP_ATTRIBUTE_BLOB__CONTENT_TITLE;
    t.title = (char *)title;
    s.title = &t;
    g.has_masterkey = 1;
    g.masterkey.data = mk;
    g.masterkey.len = 32;
    g.snapshot = &s;
    r.has_id = 1;
    r.id = id;
    r.destination_case = SIGNAL__BACKUP__RECIPIENT__DESTINATION_GROUP;
    r.group = &g;
    f.item_case = SIGNAL__BACKUP__FRAME__ITEM_RECIPIENT;
    f.recipient = &r;
    put_frame(a, &f.base);
}

static void put_chat(arc *a, uint64_t id, uint64_t recipient)
{
    Signal__Backup__Frame f = SIGNAL__BACKUP__FRAME__INIT;
    Signal__Backup__Chat c = SIGNAL__BACKUP__CHAT__INIT;

    c.has_id = 1;
    c.id = id;
    c.has_recipientid = 1;
    c.recipientid = recipient;
    f.item_case = SIGNAL__BACKUP__FRAME__ITEM_CHAT;
    f.chat = &c;
    put_frame(a, &f.base);
}

static void put_text(arc *a, uint64_t chat, uint64_t author, uint64_t ts, int outgoing,
                     const char *body, uint64_t quote_ts, const char *reaction)
{
    Signal__Backup__Frame f = SIGNAL__BACKUP__FRAME__INIT;
    Signal__Backup__ChatItem it = SIGNAL__BACKUP__CHAT_ITEM__INIT;
    Signal__Backup__ChatItem__IncomingMessageDetails in =
        SIGNAL__BACKUP__CHAT_ITEM__INCOMING_MESSAGE_DETAILS__INIT;
    Signal__Backup__ChatItem__OutgoingMessageDetails out =
        SIGNAL__BACKUP__CHAT_ITEM__OUTGOING_MESSAGE_DETAILS__INIT;
    Signal__Backup__StandardMessage sm = SIGNAL__BACKUP__STANDARD_MESSAGE__INIT;
    Signal__Backup__Text t = SIGNAL__BACKUP__TEXT__INIT;
    Signal__Backup__Quote q = SIGNAL__BACKUP__QUOTE__INIT;
    Signal__Backup__Reaction r = SIGNAL__BACKUP__REACTION__INIT, *rs[1] = {&r};

    it.has_chatid = 1;
    it.chatid = chat;
    it.has_authorid = 1;
    it.authorid = author;
    it.has_datesent = 1;
    it.datesent = ts;
    if (outgoing) {
        it.directional_details_case = SIGNAL__BACKUP__CHAT_ITEM__DIRECTIONAL_DETAILS_OUTGOING;
        it.outgoing = &out;
    } else {
        it.directional_details_case = SIGNAL__BACKUP__CHAT_ITEM__DIRECTIONAL_DETAILS_INCOMING;
        it.incoming = &in;
        in.has_dateserversent = 1;
        in.dateserversent = ts + 5;
    }
    t.body = (char *)body;
    sm.text = &t;
    if (quote_ts) {
        q.has_targetsenttimestamp = 1;
        q.targetsenttimestamp = quote_ts;
        q.has_authorid = 1;
        q.authorid = author;
        sm.quote = &q;
    }
    if (reaction) {
        r.emoji = (char *)reaction;
        r.has_authorid = 1;
        r.authorid = author;
        r.has_senttimestamp = 1;
        r.senttimestamp = ts + 1;
        sm.reactions = rs;
        sm.n_reactions = 1;
    }
    it.item_case = SIGNAL__BACKUP__CHAT_ITEM__ITEM_STANDARD_MESSAGE;
    it.standardmessage = &sm;
    f.item_case = SIGNAL__BACKUP__FRAME__ITEM_CHAT_ITEM;
    f.chatitem = &it;
    put_frame(a, &f.base);
}

/* gzip the frames, then `pad` zero bytes as a sender pads. */
static uint8_t *finish(arc *a, size_t *n, size_t pad)
{
    z_stream z;
    size_t cap = a->raw.len + 256 + pad;
    uint8_t *out = calloc(1, cap);

    memset(&z, 0, sizeof(z));
    ck_assert_int_eq(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = a->raw.data;
    z.avail_in = (uInt)a->raw.len;
    z.next_out = out;
    z.avail_out = (uInt)(cap - pad);
    ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    *n = cap - pad - z.avail_out + pad;
    deflateEnd(&z);
    ut_buf_free(&a->raw);
    return out;
}

static void start(arc *a)
{
    ut_buf_init(&a->raw, 1u << 24);
    put_info(a, 1);
    put_self(a, 1);
    put_contact(a, 2, ACI_A, "Alice");
    put_group(a, 3, 0x33, "Hikers");
    put_chat(a, 10, 2);
    put_chat(a, 11, 3);
    put_chat(a, 12, 1);
}

START_TEST(test_read)
{
    sig_history_limits lim = {3, 1000};
    sig_history *h = NULL;
    char err[128];
    uint8_t *gz;
    size_t n;
    arc a;

    start(&a);
    put_text(&a, 10, 2, 999, 0, "too old", 0, NULL);
    put_text(&a, 10, 2, 2000, 0, "one", 0, NULL);
    put_text(&a, 10, 1, 2100, 1, "two (mine)", 0, NULL);
    put_text(&a, 11, 2, 2200, 0, "in the group", 0, "👍");
    put_text(&a, 10, 2, 2300, 0, "three", 2000, NULL);
    put_text(&a, 10, 2, 2400, 0, "four", 0, NULL);
    put_text(&a, 12, 1, 2500, 1, "note to self", 0, NULL);
    gz = finish(&a, &n, 37);
    ck_assert_int_eq(sig_history_read(&h, gz, n, &lim, err, sizeof(err)), 0);
    ck_assert_uint_eq(h->n_chats, 3);
    ck_assert_uint_eq(h->backup_time_ms, 1700000000000ull);
    /* contact: the 3 newest of 5, oldest first */
    ck_assert_int_eq(h->chats[0].kind, SIG_HIST_CONTACT);
    ck_assert_str_eq(h->chats[0].aci, "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaa01");
    ck_assert_str_eq(h->chats[0].number, "+15550001111");
    ck_assert_str_eq(h->chats[0].name, "Alice");
    ck_assert_uint_eq(h->chats[0].n_items, 5);
    ck_assert_uint_eq(h->chats[0].n_msgs, 3);
    ck_assert_str_eq(h->chats[0].msgs[0].body, "two (mine)");
    ck_assert_int_eq(h->chats[0].msgs[0].outgoing, 1);
    ck_assert_str_eq(h->chats[0].msgs[0].author, "");
    ck_assert_str_eq(h->chats[0].msgs[1].body, "three");
    ck_assert_uint_eq(h->chats[0].msgs[1].quote_ts, 2000);
    ck_assert_str_eq(h->chats[0].msgs[1].quote_author, "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaa01");
    ck_assert_str_eq(h->chats[0].msgs[2].body, "four");
    ck_assert_uint_eq(h->chats[0].msgs[2].ts, 2400);
    ck_assert_uint_eq(h->chats[0].msgs[2].server_ts, 2405);
    ck_assert_str_eq(h->chats[0].msgs[2].author, "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaa01");
    /* group with its title and master key, a reaction */
    ck_assert_int_eq(h->chats[1].kind, SIG_HIST_GROUP);
    ck_assert_str_eq(h->chats[1].name, "Hikers");
    ck_assert_uint_eq(h->chats[1].master_key[31], 0x33);
    ck_assert_uint_eq(h->chats[1].n_msgs, 1);
    ck_assert_uint_eq(h->chats[1].msgs[0].n_reactions, 1);
    ck_assert_str_eq(h->chats[1].msgs[0].reactions[0].emoji, "👍");
    /* Note to Self */
    ck_assert_int_eq(h->chats[2].kind, SIG_HIST_SELF);
    ck_assert_str_eq(h->chats[2].msgs[0].body, "note to self");
    ck_assert_uint_eq(h->n_msgs, 5);
    sig_history_free(h);
    free(gz);
}
END_TEST

static int read_err(const uint8_t *p, size_t n, char *err, size_t errlen)
{
    sig_history_limits lim = {50, 0};
    sig_history *h = NULL;
    int rc = sig_history_read(&h, p, n, &lim, err, errlen);

    if (rc == 0)
        sig_history_free(h);
    return rc;
}

START_TEST(test_bad)
{
    char err[128];
    uint8_t *gz, junk[64];
    size_t n, i;
    arc a;

    /* truncated anywhere in the stream */
    start(&a);
    put_text(&a, 10, 2, 2000, 0, "hello", 0, NULL);
    gz = finish(&a, &n, 0);
    ck_assert_int_eq(read_err(gz, n, err, sizeof(err)), 0);
    for (i = 0; i < n; i += 7) {
        ck_assert_int_eq(read_err(gz, i, err, sizeof(err)), SIG_ERR_HISTORY);
        ck_assert_uint_gt(strlen(err), 0);
    }
    /* non-zero padding after the stream */
    gz = realloc(gz, n + 1);
    gz[n] = 1;
    ck_assert_int_eq(read_err(gz, n + 1, err, sizeof(err)), SIG_ERR_HISTORY);
    ck_assert_str_eq(err, "data after the compressed stream");
    free(gz);

    /* not gzip at all */
    memset(junk, 0x5a, sizeof(junk));
    ck_assert_int_eq(read_err(junk, sizeof(junk), err, sizeof(err)), SIG_ERR_HISTORY);

    /* a garbage frame (a length-delimited field that runs past the end) */
    ut_buf_init(&a.raw, 1u << 20);
    put_info(&a, 1);
    ck_assert_int_eq(ut_buf_append(&a.raw, "\x03\x12\x09\x01", 4), 0);
    gz = finish(&a, &n, 0);
    ck_assert_int_eq(read_err(gz, n, err, sizeof(err)), SIG_ERR_HISTORY);
    ck_assert_str_eq(err, "frame 1 does not parse");
    free(gz);

    /* a frame cut short at the end of the stream */
    ut_buf_init(&a.raw, 1u << 20);
    put_info(&a, 1);
    ck_assert_int_eq(ut_buf_append(&a.raw, "\x20\x12", 2), 0);
    gz = finish(&a, &n, 0);
    ck_assert_int_eq(read_err(gz, n, err, sizeof(err)), SIG_ERR_HISTORY);
    ck_assert_str_eq(err, "the archive ends inside a frame");
    free(gz);

    /* an unknown version */
    ut_buf_init(&a.raw, 1u << 20);
    put_info(&a, 2);
    gz = finish(&a, &n, 0);
    ck_assert_int_eq(read_err(gz, n, err, sizeof(err)), SIG_ERR_HISTORY);
    ck_assert_str_eq(err, "unsupported backup version 2");
    free(gz);

    /* a chat naming a recipient that is not there */
    ut_buf_init(&a.raw, 1u << 20);
    put_info(&a, 1);
    put_chat(&a, 10, 99);
    gz = finish(&a, &n, 0);
    ck_assert_int_eq(read_err(gz, n, err, sizeof(err)), SIG_ERR_HISTORY);
    free(gz);

    /* a frame length over the cap */
    ut_buf_init(&a.raw, 1u << 20);
    put_info(&a, 1);
    ck_assert_int_eq(ut_buf_append(&a.raw, "\xff\xff\xff\xff\x0f", 5), 0);
    gz = finish(&a, &n, 0);
    ck_assert_int_eq(read_err(gz, n, err, sizeof(err)), SIG_ERR_HISTORY);
    free(gz);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sig_history");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int nf;

    tcase_add_test(tc, test_read);
    tcase_add_test(tc, test_bad);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
