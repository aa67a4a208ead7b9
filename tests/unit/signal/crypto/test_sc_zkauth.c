/* test_sc_zkauth.c - ServerPublicParams, the auth credential's receive and
 * present on known answers made by libsignal-client 0.100 (zkgroup):
 * ServerSecretParams.generateWithRandom(0x11 x 32); issued with randomness
 * 0x22 x 32 to aci 0xaa x 16, pni 0xbb x 16 for day 20000; received by
 * libsignal's client (CRED_HEX); presented for the group of master key
 * 0x33 x 32 with randomness 0x44 x 32. The node test
 * tests/interop/zkauth-interop.js checks the same against live libsignal
 * with random values; this one runs under valgrind. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "sc_zk.h"

static const char PARAMS_HEX[] =
    "005a5185e32a445d054ba115f4b4cf37af344467904cfc384b5b0041f94d458b"
    "77f48faf97b1b9dfc3a2cb2545198e2ce25d17345985cac0d9b46946e3ccccd6"
    "4b04e870fa8cc8719a129bd679b3f5570c9036fdbc353d0091a387c6eed9d097"
    "18e69525a79302153a0e27591684e92d44dd76021aea0f4cc1eaac426c06f6f0"
    "09a6fbd1afd28e98661bede6ba99cb63958964fa9140d1061a09fe52c580e616"
    "73680eea9d029b75e9072bafdd544f59ab1c3f5f8832249b71e2249bfdfb55f1"
    "119c4fb20dbef0c5d744eba91ee624acd400a3f5298e72f67b852392ca78bc6e"
    "4a1037b3dd7fb908bdd5ff90f35720d815938a4d1eb96c1516dcc9131560da89"
    "3c7483f4b965734db3f1469cffa30033b90bb7f6969794b84b98ba2a5cc53330"
    "3946f0bc603e3a6fb52b29f7fce87c950a004609e2b4743e4d41027c273fb4d9"
    "036485def1d0dc561b104b1139f2fcd1ef095c19df0f347d03edd59185c48ad6"
    "64a22e87e4ae9d423dbde55ed021c7afdebfc6a037f781bf7b161ec4018a56e3"
    "329e8a5a6f7ba0216dae0358d99f6316f5077838bf1687700399abb48c71b397"
    "441c2d524b706eb86af27045bff5a0c317105fe6ac0fc30fbb7ab0f09da95f7d"
    "386a2cabfc950ecfb9338194484149129bd1f55910a8a663f039bd315b968984"
    "4d3439b98b2383a56ff2fb2fffbc32b6d5ce986972aca3e4a999dd19ce771924"
    "352a2593af7d02f3b9cd217dbd89e668cf1a8e0d2bfb667cd96c20ff0c5d5a62"
    "3762d9b28fef46fb085b28e52883380d2f9adb10da49a702658a1e4e270df1c0"
    "038867061b2894a281c67f4599b19cd939f0716658baf476e5e1028fdc9145fd"
    "78fe13d446ddf2247302be29598106e35924145fa8d102d8c8e3b1f9dd8c7fd7"
    "7ef228b036e704adb53b896c0e3d6efb0d2b9dcdc739bafde94e4012d4b98d19"
    "1e";
static const char RESPONSE_HEX[] =
    "033078048e462e6bd7546e8b5065bc32188da0781a249cc458c4d56797a35f73"
    "067a12890a49fefddf5ed5451f31443aa27da9f2023440f9e43b1deb4baa9b25"
    "7b14a23f78d01677d9b4491309f188455440c7d8730a68719ce26e11e5f50ce3"
    "154001000000000000f1160ed72d1039aa05e980c7a32e2ded0736a03b911f9d"
    "18b2f0e67819a1c40175679a7a7eaa510983914e22127e3a3c14ba62d0062446"
    "2d9d29cbea8694010a30e39ba0ded7be6a1a22f8e3b639fce29d918bdfa27809"
    "2de195d0ab8f157e088ee8da01934badc3f16aa02713f6e2d4478a6d27b2257a"
    "865518d52f91afc409f052eb4b90beab0331cd6dc825f8913e5a62f9b585a27e"
    "beae28e309fc844b00dae27fbe83fe2fc0386ca2fcc66cab61e9224ca9cf2044"
    "f0a200a8a429fbeb067152b01fd1291473282edf5ac08732f4cae792a5925ccf"
    "66cc06caf83788b40e7156940cf6dc36954e3e5b2307531f8f21a636f6a307f6"
    "ae15bc8179a169e607ab52a8a1f601839ec24288ce4d4e2f8882c59e344a595f"
    "5b949cd98ea04d52056fd5dcf576ecf3627bb8c4db3725d14736cb55f0989365"
    "a871e467fb867f9d04";
static const char CRED_HEX[] =
    "033078048e462e6bd7546e8b5065bc32188da0781a249cc458c4d56797a35f73"
    "067a12890a49fefddf5ed5451f31443aa27da9f2023440f9e43b1deb4baa9b25"
    "7b14a23f78d01677d9b4491309f188455440c7d8730a68719ce26e11e5f50ce3"
    "15aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa8454babda5347436c58a0744f6707f"
    "3dda1d96350695cfb28806b5790f5e6c7522acf50b3c6b29dc986765362e795a"
    "e1c5c0f148ddaa5bc3395241d9ae540467bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    "bb44be30c007d4b8ef90023dd22879f5fecae3a9c561b4124546a0597e0ddb4f"
    "7ef6ee855b690e5cefdc12498ef8f36446294f964e64e62d2cf6286f977cab14"
    "4c0030ff6600000000";
static const char GROUP_HEX[] =
    "0033333333333333333333333333333333333333333333333333333333333333"
    "33abac6058480eafd92c97836df99e94b7d64265bf31fb3ef92a3171e20f371b"
    "ad1ecb3162ef99cda0e5d17c2b4d2b58226ebb35947803d22f4b6eb724f296bf"
    "6ea2e4180d460c7cf080d3d357360dbcd5dbfc13a23836a91e4510a8af5ebeaa"
    "002aa2e8fe39943cafd75adb6a664fdaa6825d6ebb810c87e73f21f7d95e4e4b"
    "0ed43250526f573e44e9f3fbe00b3f1d4bd3ede718f01bd8b4678e36cffb68bf"
    "5f97cf797652a2de35b96c413e84372f1327e12c7599f8c9e79b079a3ed7859f"
    "0e12b2ebc18b480ddbb609e0c228a7bc895e3f83068b007f541f787a5d369949"
    "0f508d9846299670c0e8eee0083f5a4571a0aeb453699aff08536e809bc60ddf"
    "60";
static const char PRESENTATION_HEX[] =
    "0328aa5c69e8d8db8e2257a0af0cfe29e522e4c82e593f4e7a3b6795e940a57f"
    "24e00c585086521202f05b86056793e46b3be2ed5ba0f798908bf08413352dbd"
    "68f04ecbdeafab34e130f8bea86d980bea13355dc14574d5dea89ae6ef0a9f2f"
    "7a05000000000000002c30fc941890406032b33600e2907366d3ca76c7176549"
    "f6b6f3a8309ef47e3df6f72953fb86aa95b9ef2612326b640383e8aa84bbf1de"
    "5f29c915fca2d0fc7e4caaa1c70ba0485dab749da0f0bae33d1675986b73f9c5"
    "be6bb5154f4de2ca4350df8fdd5ab07e09192320fe27513fc8317f175c82337f"
    "2a86b1e95a4365c82e34161b329492314b8dccb84c04d3ae87cbd59e7bed68cb"
    "f523c58b7e0406fc14e000000000000000f24e1869cbc93c05f20ef08ae4e8e0"
    "450deb3a7f7a49a3489f93932c9d838f007d424811c3ef752c9b23aa5f9bf042"
    "6c9c235cf611e412613911f1dd8191e50c9a6daa02642d3ffb9ee0b8299380fc"
    "0a070310d4c6b5b7e1b9cd3d69c8bc2004b4d2fd2cdfdda42d43f4118da65dbd"
    "0f84a9062a8a7d1b802c620f4f87f3e004f787e0a93efd416436e0196b4a5770"
    "d7a245bde1e66862c080e0ad547075a90e1bef8606e33d450f25acc30d07f2eb"
    "41514f35f1ea34b5643be4eb5ba6220a00a0249c23753f3b013dc8b52f33dd02"
    "a1b51702950b246c158f2f4b6f700c4602ecb0cfad2874dad98b06a22bb8ecfb"
    "cd11eccc32f7e2d835b7124361a8e6971a8651e7a1ed654b78d5416c0711b88c"
    "e4fd0124de524a201c273e9af0d52a2270e67579249b78a3bb412d1534fdaa4c"
    "95c20e4ad874770328b812a55f4cdb944a90381c4959eb8a1bd521b076f1a5d3"
    "e988a744f25596702bd91fedee5e4fdb4d0030ff6600000000";

#define DAY 20000ull * 86400

static uint8_t *unhex(const char *h, size_t *n)
{
    size_t len = strlen(h) / 2;
    uint8_t *b = malloc(len);
    ck_assert_ptr_nonnull(b);
    for (size_t i = 0; i < len; i++) {
        unsigned v;
        ck_assert_int_eq(sscanf(h + 2 * i, "%2x", &v), 1);
        b[i] = (uint8_t)v;
    }
    *n = len;
    return b;
}

static const uint8_t ACI[16] = {0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
                                0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa};
static const uint8_t PNI[16] = {0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb,
                                0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb};

static sc_zk_server *server(void)
{
    size_t n;
    uint8_t *b = unhex(PARAMS_HEX, &n);
    sc_zk_server *sp = NULL;
    ck_assert_int_eq(sc_zk_server_parse(&sp, b, n), 0);
    free(b);
    return sp;
}

START_TEST(server_params)
{
    size_t n;
    uint8_t *b = unhex(PARAMS_HEX, &n);
    sc_zk_server *sp = (sc_zk_server *)1;

    ck_assert_uint_eq(n, 673);
    ck_assert_int_eq(sc_zk_server_parse(&sp, b, n - 1), SC_ERR_FORMAT);
    ck_assert_int_eq(sc_zk_server_parse(&sp, b, 0), SC_ERR_FORMAT);
    ck_assert_ptr_eq(sp, (sc_zk_server *)1);
    b[0] = 1; /* reserved byte */
    ck_assert_int_eq(sc_zk_server_parse(&sp, b, n), SC_ERR_FORMAT);
    b[0] = 0;
    b[600] ^= 0x80; /* inside the generic credential key's I */
    ck_assert_int_eq(sc_zk_server_parse(&sp, b, n), SC_ERR_FORMAT);
    b[600] ^= 0x80;
    ck_assert_int_eq(sc_zk_server_parse(&sp, b, n), 0);
    sc_zk_server_free(sp);
    sc_zk_server_free(NULL);
    free(b);
}
END_TEST

START_TEST(receive_known_answer)
{
    sc_zk_server *sp = server();
    size_t rn, cn, n = 0;
    uint8_t *resp = unhex(RESPONSE_HEX, &rn), *want = unhex(CRED_HEX, &cn);
    uint8_t *cred = NULL;

    ck_assert_int_eq(sc_zk_auth_receive(&cred, &n, sp, ACI, PNI, DAY, resp, rn), 0);
    ck_assert_uint_eq(n, cn);
    ck_assert_mem_eq(cred, want, n);
    ut_free_secret(cred, n);
    cred = NULL;

    /* other ids, another day, a day not aligned */
    ck_assert_int_eq(sc_zk_auth_receive(&cred, &n, sp, PNI, ACI, DAY, resp, rn),
                     SC_ERR_ZK_VERIFY);
    ck_assert_int_eq(sc_zk_auth_receive(&cred, &n, sp, ACI, ACI, DAY, resp, rn),
                     SC_ERR_ZK_VERIFY);
    ck_assert_int_eq(sc_zk_auth_receive(&cred, &n, sp, ACI, PNI, DAY + 86400,
                                        resp, rn), SC_ERR_ZK_VERIFY);
    ck_assert_int_eq(sc_zk_auth_receive(&cred, &n, sp, ACI, PNI, DAY + 3600,
                                        resp, rn), SC_ERR_ZK_VERIFY);
    /* truncated, extended, wrong version, wrong proof length field */
    ck_assert_int_eq(sc_zk_auth_receive(&cred, &n, sp, ACI, PNI, DAY, resp, rn - 1),
                     SC_ERR_FORMAT);
    ck_assert_int_eq(sc_zk_auth_receive(&cred, &n, sp, ACI, PNI, DAY, resp, 104),
                     SC_ERR_FORMAT);
    resp[0] = 2;
    ck_assert_int_eq(sc_zk_auth_receive(&cred, &n, sp, ACI, PNI, DAY, resp, rn),
                     SC_ERR_FORMAT);
    resp[0] = 3;
    /* every byte of the proof and of t matters */
    for (size_t i = 1; i < rn; i += (i < 33 || i >= 105) ? 7 : 1) {
        int rc;
        if (i >= 97 && i < 105)
            continue; /* the length field: FORMAT, checked below */
        resp[i] ^= 0x01;
        rc = sc_zk_auth_receive(&cred, &n, sp, ACI, PNI, DAY, resp, rn);
        ck_assert_msg(rc == SC_ERR_ZK_VERIFY || rc == SC_ERR_FORMAT,
                      "byte %zu: rc %d", i, rc);
        resp[i] ^= 0x01;
    }
    resp[97] ^= 0x20;
    ck_assert_int_eq(sc_zk_auth_receive(&cred, &n, sp, ACI, PNI, DAY, resp, rn),
                     SC_ERR_FORMAT);
    resp[97] ^= 0x20;
    ck_assert_ptr_null(cred);
    ck_assert_int_eq(sc_zk_auth_receive(&cred, &n, sp, ACI, PNI, DAY, resp, rn), 0);
    ut_free_secret(cred, n);
    free(resp);
    free(want);
    sc_zk_server_free(sp);
}
END_TEST

START_TEST(present_known_answer)
{
    sc_zk_server *sp = server();
    size_t cn, gn, pn, n = 0, n2 = 0;
    uint8_t *cred = unhex(CRED_HEX, &cn), *gb = unhex(GROUP_HEX, &gn);
    uint8_t *want = unhex(PRESENTATION_HEX, &pn), *pres = NULL, *pres2 = NULL;
    uint8_t rnd[32];
    sc_zk_group g;

    ck_assert_uint_eq(gn, sizeof(g.b));
    memcpy(g.b, gb, gn);
    memset(rnd, 0x44, sizeof(rnd));
    ck_assert_int_eq(sc_zk_auth_present(&pres, &n, sp, &g, cred, cn, rnd), 0);
    ck_assert_uint_eq(n, pn);
    ck_assert_mem_eq(pres, want, n);
    /* fresh randomness: same length, other bytes, same ciphertexts */
    ck_assert_int_eq(sc_zk_auth_present(&pres2, &n2, sp, &g, cred, cn, NULL), 0);
    ck_assert_uint_eq(n2, n);
    ck_assert_int_ne(memcmp(pres, pres2, n), 0);
    ck_assert_mem_eq(pres + 497, pres2 + 497, 136);
    free(pres2);
    pres2 = NULL;
    /* malformed credentials */
    ck_assert_int_eq(sc_zk_auth_present(&pres2, &n2, sp, &g, cred, cn - 1, rnd),
                     SC_ERR_FORMAT);
    cred[0] = 2;
    ck_assert_int_eq(sc_zk_auth_present(&pres2, &n2, sp, &g, cred, cn, rnd),
                     SC_ERR_FORMAT);
    cred[0] = 3;
    cred[64] |= 0x80; /* U no longer canonical */
    ck_assert_int_eq(sc_zk_auth_present(&pres2, &n2, sp, &g, cred, cn, rnd),
                     SC_ERR_FORMAT);
    cred[64] &= 0x7f;
    /* a damaged group: non-canonical a1, a key pair that is not its A */
    g.b[97 + 31] |= 0xf0;
    ck_assert_int_eq(sc_zk_auth_present(&pres2, &n2, sp, &g, cred, cn, rnd),
                     SC_ERR_FORMAT);
    memcpy(g.b, gb, gn);
    g.b[161] ^= 0x01; /* sc_zk_uid_A */
    {
        int rc = sc_zk_auth_present(&pres2, &n2, sp, &g, cred, cn, rnd);
        ck_assert_msg(rc == SC_ERR_FORMAT || rc == SC_ERR_ZK_VERIFY, "rc %d", rc);
    }
    g.b[161] ^= 0x01;
    g.b[130] ^= 0x01; /* a2 */
    ck_assert_int_eq(sc_zk_auth_present(&pres2, &n2, sp, &g, cred, cn, rnd),
                     SC_ERR_ZK_VERIFY);
    ck_assert_ptr_null(pres2);
    /* intact again: the same bytes as before */
    g.b[130] ^= 0x01;
    ck_assert_int_eq(sc_zk_auth_present(&pres2, &n2, sp, &g, cred, cn, rnd), 0);
    ck_assert_mem_eq(pres2, want, n2);
    free(pres2);
    free(pres);
    free(cred);
    free(gb);
    free(want);
    ut_wipe(&g, sizeof(g));
    sc_zk_server_free(sp);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sc_zkauth");
    TCase *tc = tcase_create("zkauth");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, server_params);
    tcase_add_test(tc, receive_known_answer);
    tcase_add_test(tc, present_known_answer);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
