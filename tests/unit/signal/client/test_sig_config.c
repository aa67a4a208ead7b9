/* test_sig_config.c - CDN and storage endpoints: sig_endpoint_parse (scheme,
 * brackets, ports, prefixes, rejects), and sig_client_new's defaults (the
 * chat host in the mock server's layout), configured endpoints, the CDN
 * number -> endpoint mapping and a malformed URL refused. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "sig_err.h"
#include "sig_int.h"

START_TEST(test_parse_ok)
{
    sig_endpoint ep;

    ck_assert_int_eq(sig_endpoint_parse(&ep, "https://cdn3.signal.org"), 0);
    ck_assert_str_eq(ep.host, "cdn3.signal.org");
    ck_assert_uint_eq(ep.port, 443);
    ck_assert_str_eq(ep.prefix, "");
    ck_assert_int_eq(sig_endpoint_parse(&ep, "https://127.0.0.1:8443/cdn3/"), 0);
    ck_assert_str_eq(ep.host, "127.0.0.1");
    ck_assert_uint_eq(ep.port, 8443);
    ck_assert_str_eq(ep.prefix, "/cdn3");
    ck_assert_int_eq(sig_endpoint_parse(&ep, "localhost:1234"), 0);
    ck_assert_str_eq(ep.host, "localhost");
    ck_assert_uint_eq(ep.port, 1234);
    ck_assert_str_eq(ep.prefix, "");
    ck_assert_int_eq(sig_endpoint_parse(&ep, "https://[::1]:65535/a/b"), 0);
    ck_assert_str_eq(ep.host, "::1");
    ck_assert_uint_eq(ep.port, 65535);
    ck_assert_str_eq(ep.prefix, "/a/b");
    ck_assert_int_eq(sig_endpoint_parse(&ep, "storage.signal.org/"), 0);
    ck_assert_str_eq(ep.host, "storage.signal.org");
    ck_assert_str_eq(ep.prefix, "");
}
END_TEST

START_TEST(test_parse_bad)
{
    static const char *const bad[] = {
        "", "http://cdn.signal.org", "ftp://x", "https://", "https://:443",
        "https://host:0", "https://host:65536", "https://host:x", "https://host:443x",
        "https://[::1", "https://ho st", "https://host/a?b=c", "https://host/a#f",
        "https://host/%2e", "https://user@host", "https://[]:1",
    };
    sig_endpoint ep;
    char longhost[400];
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(sig_endpoint_parse(&ep, bad[i]) == UT_ERR_INVAL, "accepted '%s'", bad[i]);
    ck_assert_int_eq(sig_endpoint_parse(&ep, NULL), UT_ERR_INVAL);
    memset(longhost, 'a', sizeof(longhost) - 1);
    longhost[sizeof(longhost) - 1] = '\0';
    ck_assert_int_eq(sig_endpoint_parse(&ep, longhost), UT_ERR_INVAL);
}
END_TEST

static char dir[] = "/tmp/sig_config_XXXXXX";
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

START_TEST(test_client_endpoints)
{
    struct event_base *base = event_base_new();
    st_db *db;
    int64_t acct;
    sig_client *c;
    sig_config cfg;
    char err[128], p[64];

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/t.db", dir);
    ck_assert_int_eq(st_db_open(&db, path, NULL, err, sizeof(err)), 0);
    ck_assert_int_eq(st_account_ensure(db, "@u:test", &acct), 0);
    memset(&cfg, 0, sizeof(cfg));
    cfg.host = "127.0.0.1";
    cfg.port = 4433;
    cfg.account = acct;

    /* unset: the chat host and port, in the mock's layout */
    ck_assert_int_eq(sig_client_new(&c, base, db, &cfg, NULL, NULL), 0);
    ck_assert_str_eq(sig_cdn(c, 0)->host, "127.0.0.1");
    ck_assert_uint_eq(sig_cdn(c, 0)->port, 4433);
    ck_assert_str_eq(sig_cdn(c, 0)->prefix, "");
    ck_assert_str_eq(sig_cdn(c, 2)->prefix, "");
    ck_assert_str_eq(sig_cdn(c, 3)->prefix, "/cdn3");
    ck_assert_str_eq(c->ep[SIG_EP_STORAGE].host, "127.0.0.1");
    ck_assert_str_eq(c->ep[SIG_EP_STORAGE].prefix, "/storageService");
    ck_assert_int_eq(sig_ep_path(p, sizeof(p), sig_cdn(c, 3), "/attachments/k"), 0);
    ck_assert_str_eq(p, "/cdn3/attachments/k");
    ck_assert_int_eq(sig_ep_path(p, 8, sig_cdn(c, 3), "/attachments/k"), UT_ERR_RANGE);
    sig_client_free(c);

    /* configured: each number its own endpoint; unknown numbers -> CDN 0 */
    cfg.cdn0_url = "https://cdn.signal.org";
    cfg.cdn2_url = "https://localhost:5002";
    cfg.cdn3_url = "https://[::1]:5003/x/";
    cfg.storage_url = "https://storage.signal.org";
    ck_assert_int_eq(sig_client_new(&c, base, db, &cfg, NULL, NULL), 0);
    ck_assert_str_eq(sig_cdn(c, 0)->host, "cdn.signal.org");
    ck_assert_uint_eq(sig_cdn(c, 0)->port, 443);
    ck_assert_str_eq(sig_cdn(c, 7)->host, "cdn.signal.org");
    ck_assert_str_eq(sig_cdn(c, 2)->host, "localhost");
    ck_assert_uint_eq(sig_cdn(c, 2)->port, 5002);
    ck_assert_str_eq(sig_cdn(c, 3)->host, "::1");
    ck_assert_uint_eq(sig_cdn(c, 3)->port, 5003);
    ck_assert_int_eq(sig_ep_path(p, sizeof(p), sig_cdn(c, 3), "/attachments/k"), 0);
    ck_assert_str_eq(p, "/x/attachments/k");
    ck_assert_str_eq(c->ep[SIG_EP_STORAGE].host, "storage.signal.org");
    ck_assert_str_eq(c->ep[SIG_EP_STORAGE].prefix, "");
    /* the client keeps no pointer to the caller's strings */
    ck_assert_ptr_null(c->cfg.cdn3_url);
    sig_client_free(c);

    /* a malformed URL is refused, nothing created */
    cfg.cdn2_url = "http://cdn2.signal.org";
    c = (sig_client *)1;
    ck_assert_int_eq(sig_client_new(&c, base, db, &cfg, NULL, NULL), UT_ERR_INVAL);
    ck_assert_ptr_null(c);
    st_db_close(db);
    rm_db();
    event_base_free(base);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sig_config");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int nf;

    tcase_add_test(tc, test_parse_ok);
    tcase_add_test(tc, test_parse_bad);
    tcase_add_test(tc, test_client_endpoints);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? 0 : 1;
}
