/* test_sig_store.c - the account persists (and reloads) through st_records
 * in a 0600 database; the inbox stores, redelivers until done, and
 * de-duplicates by (sender, device, timestamp) even after done; completed
 * rows older than the retention are pruned (never pending ones, never
 * another account's), explicitly and at most hourly from sig_client_done. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "SignalService.pb-c.h"
#include "sig_err.h"
#include "sig_inbox.h"
#include "sig_int.h"

typedef struct seen {
    int n;
    int64_t id;
    char body[64];
    char sender[64];
} seen;

static void on_event(sig_client *c, const sig_event *ev, void *ud)
{
    seen *s = ud;

    (void)c;
    if (ev->type != SIG_EV_MESSAGE)
        return;
    s->n++;
    s->id = ev->msg->id;
    snprintf(s->body, sizeof(s->body), "%s", ev->msg->body ? ev->msg->body : "");
    snprintf(s->sender, sizeof(s->sender), "%s", ev->msg->sender);
}

static char dir[] = "/tmp/sig_store_XXXXXX";
static char path[256];

static void setup(st_db **db, int64_t *acct)
{
    char err[128];

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/t.db", dir);
    ck_assert_int_eq(st_db_open(db, path, NULL, err, sizeof(err)), 0);
    ck_assert_int_eq(st_account_ensure(*db, "@u:test", acct), 0);
}

static void teardown(st_db *db)
{
    char p[300];

    st_db_close(db);
    snprintf(p, sizeof(p), "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", path);
    unlink(p);
    unlink(path);
    rmdir(dir);
    strcpy(dir, "/tmp/sig_store_XXXXXX");
}

static sig_config config(int64_t acct)
{
    sig_config cfg;

    memset(&cfg, 0, sizeof(cfg));
    cfg.host = "127.0.0.1";
    cfg.port = 9;
    cfg.account = acct;
    return cfg;
}

START_TEST(test_account_roundtrip)
{
    struct event_base *base = event_base_new();
    st_db *db;
    int64_t acct;
    sig_client *c;
    sig_config cfg;
    sc_ec_keypair id;
    struct stat sb;
    seen s = {0};

    setup(&db, &acct);
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 077, 0);
    cfg = config(acct);
    ck_assert_int_eq(sig_client_new(&c, base, db, &cfg, on_event, &s), 0);
    ck_assert_int_eq(sig_client_is_linked(c), 0);
    ck_assert_ptr_null(sig_client_aci(c));
    ck_assert_int_eq(sig_client_start(c), SIG_ERR_NOT_LINKED);
    /* what a link leaves behind */
    ck_assert_int_eq(sc_ec_keypair_generate(&id), 0);
    c->identity[0] = id;
    strcpy(c->aci, "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9");
    strcpy(c->number, "+14155550123");
    strcpy(c->password, "pw-secret");
    c->device_id = 3;
    c->regid[0] = 1234;
    ck_assert_int_eq(sig_acct_save(c), 0);
    sig_client_free(c);

    ck_assert_int_eq(sig_client_new(&c, base, db, &cfg, on_event, &s), 0);
    ck_assert_int_eq(sig_client_is_linked(c), 1);
    ck_assert_str_eq(sig_client_aci(c), "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9");
    ck_assert_str_eq(sig_client_number(c), "+14155550123");
    ck_assert_uint_eq(sig_client_device_id(c), 3);
    ck_assert_mem_eq(c->identity[0].priv, id.priv, 32);
    ck_assert_int_eq(c->has_pni, 0);
    ck_assert_int_eq(sig_client_link(c), SIG_ERR_STATE);
    sig_client_free(c);
    teardown(db);
    event_base_free(base);
}
END_TEST

START_TEST(test_inbox)
{
    struct event_base *base = event_base_new();
    Signalservice__Content ct = SIGNALSERVICE__CONTENT__INIT;
    Signalservice__DataMessage dm = SIGNALSERVICE__DATA_MESSAGE__INIT;
    uint8_t buf[256];
    size_t n;
    st_db *db;
    int64_t acct, id = 0;
    sig_client *c;
    sig_config cfg;
    sig_inbox_row row;
    seen s = {0};

    setup(&db, &acct);
    cfg = config(acct);
    ck_assert_int_eq(sig_client_new(&c, base, db, &cfg, on_event, &s), 0);
    dm.body = "hello";
    ct.datamessage = &dm;
    n = signalservice__content__pack(&ct, buf);
    memset(&row, 0, sizeof(row));
    row.sender = "11111111-2222-4333-8444-555555555555";
    row.device = 1;
    row.timestamp = 1700000000123ULL;
    row.content = buf;
    row.content_len = n;
    ck_assert_int_eq(sig_inbox_seen(c, row.sender, 1, row.timestamp), 0);
    ck_assert_int_eq(sig_inbox_put(c, &row, &id), 0);
    ck_assert_int_gt(id, 0);
    ck_assert_int_eq(sig_inbox_seen(c, row.sender, 1, row.timestamp), 1);
    ck_assert_int_eq(sig_inbox_seen(c, row.sender, 2, row.timestamp), 0);
    /* a second insert of the same key is refused */
    ck_assert_int_ne(sig_inbox_put(c, &row, &id), 0);

    /* not done: handed over again (e.g. after a restart) */
    ck_assert_int_eq(sig_recv_redeliver(c), 0);
    ck_assert_int_eq(s.n, 1);
    ck_assert_str_eq(s.body, "hello");
    ck_assert_str_eq(s.sender, row.sender);
    ck_assert_int_eq(sig_recv_redeliver(c), 0);
    ck_assert_int_eq(s.n, 2);
    /* done: no more redelivery, but still de-duplicated */
    ck_assert_int_eq(sig_client_done(c, s.id), 0);
    ck_assert_int_eq(sig_recv_redeliver(c), 0);
    ck_assert_int_eq(s.n, 2);
    ck_assert_int_eq(sig_inbox_seen(c, row.sender, 1, row.timestamp), 1);
    sig_client_free(c);
    teardown(db);
    event_base_free(base);
}
END_TEST

static int64_t put(sig_client *c, const char *sender, uint64_t ts)
{
    static const uint8_t content[] = {0x0a, 0x00};
    sig_inbox_row row;
    int64_t id = 0;

    memset(&row, 0, sizeof(row));
    row.sender = sender;
    row.device = 1;
    row.timestamp = ts;
    row.content = content;
    row.content_len = sizeof(content);
    ck_assert_int_eq(sig_inbox_put(c, &row, &id), 0);
    return id;
}

/* make the row with id `id` look received `days` days ago */
static void age(st_db *db, int64_t id, int days)
{
    char sql[160];

    snprintf(sql, sizeof(sql),
             "UPDATE sig_inbox SET received_ms = received_ms - %d * 86400000 WHERE id = %lld",
             days, (long long)id);
    ck_assert_int_eq(sqlite3_exec(st_db_handle(db), sql, NULL, NULL, NULL), SQLITE_OK);
}

START_TEST(test_inbox_prune)
{
    struct event_base *base = event_base_new();
    const char *snd = "11111111-2222-4333-8444-555555555555";
    st_db *db;
    int64_t acct, acct2, a, b, r, d, e, f;
    sig_client *c, *c2;
    sig_config cfg;
    seen s = {0};
    int n = -1;

    setup(&db, &acct);
    ck_assert_int_eq(st_account_ensure(db, "@other:test", &acct2), 0);
    cfg = config(acct);
    cfg.inbox_keep_days = 10;
    ck_assert_int_eq(sig_client_new(&c, base, db, &cfg, on_event, &s), 0);
    cfg = config(acct2);
    ck_assert_int_eq(sig_client_new(&c2, base, db, &cfg, NULL, NULL), 0);
    a = put(c, snd, 1); /* old, done: pruned */
    b = put(c, snd, 2); /* old, not done: kept (still to hand over) */
    r = put(c, snd, 3); /* recent, done: kept */
    d = put(c2, snd, 1); /* old, done, another account: kept */
    ck_assert_int_eq(sig_client_done(c, a), 0);
    ck_assert_int_eq(sig_client_done(c, r), 0);
    ck_assert_int_eq(sig_client_done(c2, d), 0);
    age(db, a, 50);
    age(db, b, 50);
    age(db, d, 50);
    ck_assert_int_eq(sig_inbox_prune(c, ut_now_ms() - 45LL * 86400000, &n), 0);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(sig_inbox_seen(c, snd, 1, 1), 0);
    ck_assert_int_eq(sig_inbox_seen(c, snd, 1, 2), 1);
    ck_assert_int_eq(sig_inbox_seen(c, snd, 1, 3), 1);
    ck_assert_int_eq(sig_inbox_seen(c2, snd, 1, 1), 1);
    ck_assert_int_eq(sig_recv_redeliver(c), 0);
    ck_assert_int_eq(s.n, 1); /* b is still handed over */
    ck_assert_int_eq(s.id, b);

    /* automatic: with inbox_keep_days 10, at most hourly */
    e = put(c, snd, 4);
    f = put(c, snd, 5);
    ck_assert_int_eq(sig_client_done(c, e), 0);
    ck_assert_int_eq(sig_client_done(c, f), 0);
    age(db, e, 11);
    age(db, f, 9);
    ck_assert_int_eq(sig_client_done(c, f), 0); /* pruned within the hour: waits */
    ck_assert_int_eq(sig_inbox_seen(c, snd, 1, 4), 1);
    c->inbox_pruned_ms = ut_now_ms() - 3600001; /* an hour later */
    ck_assert_int_eq(sig_client_done(c, f), 0);
    ck_assert_int_eq(sig_inbox_seen(c, snd, 1, 4), 0); /* 11 days: gone */
    ck_assert_int_eq(sig_inbox_seen(c, snd, 1, 5), 1); /* 9 days: kept */
    ck_assert_int_eq(sig_inbox_seen(c, snd, 1, 2), 1); /* not done: kept */
    sig_client_free(c2);
    sig_client_free(c);
    teardown(db);
    event_base_free(base);
}
END_TEST

START_TEST(test_peer_identity)
{
    struct event_base *base = event_base_new();
    uint8_t k1[32], k2[32];
    st_db *db;
    int64_t acct;
    sig_client *c;
    sig_config cfg;
    int changed = -1;

    memset(k1, 1, sizeof(k1));
    memset(k2, 2, sizeof(k2));
    setup(&db, &acct);
    cfg = config(acct);
    ck_assert_int_eq(sig_client_new(&c, base, db, &cfg, NULL, NULL), 0);
    /* first use: stored, no change */
    ck_assert_int_eq(sig_peer_identity(c, "peer-a", k1, &changed), 0);
    ck_assert_int_eq(changed, 0);
    ck_assert_int_eq(sig_peer_identity(c, "peer-a", k1, &changed), 0);
    ck_assert_int_eq(changed, 0);
    /* another peer is independent */
    ck_assert_int_eq(sig_peer_identity(c, "peer-b", k2, &changed), 0);
    ck_assert_int_eq(changed, 0);
    /* a different key: reported once, then trusted */
    ck_assert_int_eq(sig_peer_identity(c, "peer-a", k2, &changed), 0);
    ck_assert_int_eq(changed, 1);
    ck_assert_int_eq(sig_peer_identity(c, "peer-a", k2, &changed), 0);
    ck_assert_int_eq(changed, 0);
    sig_client_free(c);
    teardown(db);
    event_base_free(base);
}
END_TEST

START_TEST(test_session_store)
{
    struct event_base *base = event_base_new();
    st_db *db;
    int64_t acct;
    sig_client *c;
    sig_config cfg;
    sc_session_store st;
    void *ctx = NULL;
    uint8_t *rec = NULL;
    size_t len = 0;
    char addr[96];

    setup(&db, &acct);
    cfg = config(acct);
    ck_assert_int_eq(sig_client_new(&c, base, db, &cfg, NULL, NULL), 0);
    sig_session_addr(addr, sizeof(addr), SIG_ID_PNI, "x", 7);
    ck_assert_str_eq(addr, "p:x.7");
    sig_session_store(c, SIG_ID_ACI, &st, &ctx);
    ck_assert_int_eq(st.load(st.ctx, "a:x.1", &rec, &len), SC_ERR_NO_SESSION);
    ck_assert_int_eq(st.store(st.ctx, "a:x.1", (const uint8_t *)"abc", 3), 0);
    ck_assert_int_eq(st.load(st.ctx, "a:x.1", &rec, &len), 0);
    ck_assert_uint_eq(len, 3);
    ck_assert_mem_eq(rec, "abc", 3);
    free(rec);
    ck_assert_int_eq(st.remove(st.ctx, "a:x.1"), 0);
    ck_assert_int_eq(st.load(st.ctx, "a:x.1", &rec, &len), SC_ERR_NO_SESSION);
    sig_stores_free(ctx);
    sig_client_free(c);
    teardown(db);
    event_base_free(base);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sig_store");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int nf;

    tcase_add_test(tc, test_account_roundtrip);
    tcase_add_test(tc, test_inbox);
    tcase_add_test(tc, test_inbox_prune);
    tcase_add_test(tc, test_peer_identity);
    tcase_add_test(tc, test_session_store);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? 0 : 1;
}
