/* test_br_media.c - the pure half of br_media: msgtypes, file names, the
 * Matrix content of an attachment, reading a Matrix file event. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "br_media.h"
#include "br_net.h"
#include "ut.h"

START_TEST(msgtype_from_content_type)
{
    ck_assert_str_eq(br_media_msgtype("image/jpeg"), "m.image");
    ck_assert_str_eq(br_media_msgtype("IMAGE/PNG"), "m.image");
    ck_assert_str_eq(br_media_msgtype("video/mp4"), "m.video");
    ck_assert_str_eq(br_media_msgtype("audio/aac"), "m.audio");
    ck_assert_str_eq(br_media_msgtype("application/pdf"), "m.file");
    ck_assert_str_eq(br_media_msgtype("imagex/png"), "m.file");
    ck_assert_str_eq(br_media_msgtype("image"), "m.file");
    ck_assert_str_eq(br_media_msgtype(""), "m.file");
    ck_assert_str_eq(br_media_msgtype(NULL), "m.file");
    ck_assert_int_eq(br_media_is_file_msgtype("m.image"), 1);
    ck_assert_int_eq(br_media_is_file_msgtype("m.file"), 1);
    ck_assert_int_eq(br_media_is_file_msgtype("m.video"), 1);
    ck_assert_int_eq(br_media_is_file_msgtype("m.audio"), 1);
    ck_assert_int_eq(br_media_is_file_msgtype("m.text"), 0);
    ck_assert_int_eq(br_media_is_file_msgtype("m.location"), 0);
    ck_assert_int_eq(br_media_is_file_msgtype(NULL), 0);
}
END_TEST

START_TEST(safe_names)
{
    char out[32];

    ck_assert_int_eq(br_media_safe_name("cat.png", "image/png", out, sizeof(out)), 0);
    ck_assert_str_eq(out, "cat.png");
    br_media_safe_name("../../etc/passwd", NULL, out, sizeof(out));
    ck_assert_str_eq(out, "passwd");
    br_media_safe_name("C:\\Users\\me\\doc.txt", NULL, out, sizeof(out));
    ck_assert_str_eq(out, "doc.txt");
    br_media_safe_name("..", "image/jpeg", out, sizeof(out));
    ck_assert_str_eq(out, "image.jpg");
    br_media_safe_name(".hidden", NULL, out, sizeof(out));
    ck_assert_str_eq(out, "hidden");
    br_media_safe_name("dir/", "video/mp4", out, sizeof(out));
    ck_assert_str_eq(out, "video.mp4");
    br_media_safe_name("a\nb\x7f" "c", NULL, out, sizeof(out));
    ck_assert_str_eq(out, "a_b_c");
    br_media_safe_name(NULL, "audio/ogg; codecs=opus", out, sizeof(out));
    ck_assert_str_eq(out, "audio.ogg");
    br_media_safe_name(NULL, "application/x-unknown", out, sizeof(out));
    ck_assert_str_eq(out, "file");
    br_media_safe_name("", NULL, out, sizeof(out));
    ck_assert_str_eq(out, "file");
    /* UTF-8 is kept whole; a cut never splits a character */
    br_media_safe_name("\xc3\xa9t\xc3\xa9.png", NULL, out, sizeof(out));
    ck_assert_str_eq(out, "\xc3\xa9t\xc3\xa9.png");
    br_media_safe_name("aaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xe2\x82\xac", NULL, out, sizeof(out));
    ck_assert_str_eq(out, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaa"); /* 29 + 3 bytes do not fit in 31 */
    /* stray or truncated sequences become '_' */
    br_media_safe_name("x\xff" "y\xc3", NULL, out, sizeof(out));
    ck_assert_str_eq(out, "x_y_");
    ck_assert_int_eq(br_media_safe_name("x", NULL, out, 8), UT_ERR_INVAL);
}
END_TEST

START_TEST(gif_sticker_and_flags)
{
    br_media_desc g = {"video/mp4", "g.mp4", 10, 0, 0, 0, 1, 0, 0};
    br_media_desc st = {"image/webp", "\xf0\x9f\x90\xb1", 10, 512, 512, 0, 0, 1, 0};
    br_media_desc vo = {"image/jpeg", "once.jpg", 10, 0, 0, 0, 0, 0, 1};
    br_media_request rq;
    json_t *c, *in;

    c = br_media_event_content(&g, "mxc://hs/g");
    ck_assert_str_eq(json_string_value(json_object_get(c, "msgtype")), "m.video");
    ck_assert(json_is_true(json_object_get(json_object_get(c, "info"), "fi.mau.gif")));
    ck_assert(json_is_true(json_object_get(json_object_get(c, "info"), "fi.mau.loop")));
    json_decref(c);
    c = br_media_event_content(&st, "mxc://hs/s");
    ck_assert_ptr_null(json_object_get(c, "msgtype")); /* an m.sticker event */
    ck_assert_str_eq(json_string_value(json_object_get(c, "body")), "\xf0\x9f\x90\xb1");
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(c, "info"), "w")), 200);
    json_decref(c);
    /* view-once: mautrix-signal's notice is the caption, the name the filename */
    c = br_media_event_content(&vo, "mxc://hs/o");
    ck_assert_str_eq(json_string_value(json_object_get(c, "msgtype")), "m.image");
    ck_assert_str_eq(json_string_value(json_object_get(c, "body")), BR_MEDIA_VIEW_ONCE_TEXT);
    ck_assert_str_eq(json_string_value(json_object_get(c, "filename")), "once.jpg");
    json_decref(c);
    in = json_pack("{s:s,s:s,s:{s:s,s:b},s:{}}", "body", "v.ogg", "url", "mxc://hs/v", "info",
                   "mimetype", "audio/ogg", "fi.mau.gif", 1, "org.matrix.msc3245.voice");
    ck_assert_int_eq(br_media_parse_request(in, &rq), 0);
    ck_assert_uint_eq(rq.flags, BR_NET_ATT_VOICE | BR_NET_ATT_GIF);
    json_decref(in);
    in = json_pack("{s:s,s:s}", "body", "f.bin", "url", "mxc://hs/f");
    ck_assert_int_eq(br_media_parse_request(in, &rq), 0);
    ck_assert_uint_eq(rq.flags, 0);
    json_decref(in);
}
END_TEST

START_TEST(content_for_matrix)
{
    br_media_desc d = {"image/png", "cat.png", 1234, 640, 480, 0, 0, 0, 0};
    json_t *c = br_media_event_content(&d, "mxc://hs/abc"), *info;

    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(json_string_value(json_object_get(c, "msgtype")), "m.image");
    ck_assert_str_eq(json_string_value(json_object_get(c, "body")), "cat.png");
    ck_assert_str_eq(json_string_value(json_object_get(c, "url")), "mxc://hs/abc");
    info = json_object_get(c, "info");
    ck_assert_str_eq(json_string_value(json_object_get(info, "mimetype")), "image/png");
    ck_assert_int_eq(json_integer_value(json_object_get(info, "size")), 1234);
    ck_assert_int_eq(json_integer_value(json_object_get(info, "w")), 640);
    ck_assert_int_eq(json_integer_value(json_object_get(info, "h")), 480);
    ck_assert_ptr_null(json_object_get(c, "org.matrix.msc3245.voice"));
    json_decref(c);

    /* no type, no name: a file with defaults and no dimensions */
    memset(&d, 0, sizeof(d));
    d.size = 7;
    d.width = 10; /* without a height it is left out */
    c = br_media_event_content(&d, "mxc://hs/x");
    ck_assert_str_eq(json_string_value(json_object_get(c, "msgtype")), "m.file");
    ck_assert_str_eq(json_string_value(json_object_get(c, "body")), "file");
    info = json_object_get(c, "info");
    ck_assert_str_eq(json_string_value(json_object_get(info, "mimetype")), "application/octet-stream");
    ck_assert_ptr_null(json_object_get(info, "w"));
    json_decref(c);

    /* a voice note is m.audio with the MSC3245 marker, whatever its type */
    d.content_type = "application/octet-stream";
    d.voice = 1;
    c = br_media_event_content(&d, "mxc://hs/v");
    ck_assert_str_eq(json_string_value(json_object_get(c, "msgtype")), "m.audio");
    ck_assert_ptr_nonnull(json_object_get(c, "org.matrix.msc3245.voice"));
    json_decref(c);
}
END_TEST

static json_t *parse(const char *s)
{
    json_t *j = json_loads(s, 0, NULL);

    ck_assert_ptr_nonnull(j);
    return j;
}

START_TEST(request_from_matrix)
{
    br_media_request r;
    json_t *c;

    c = parse("{\"msgtype\":\"m.file\",\"body\":\"report.pdf\",\"url\":\"mxc://hs/a\","
              "\"info\":{\"mimetype\":\"application/pdf\",\"size\":99}}");
    ck_assert_int_eq(br_media_parse_request(c, &r), 0);
    ck_assert_str_eq(r.mxc, "mxc://hs/a");
    ck_assert_str_eq(r.content_type, "application/pdf");
    ck_assert_str_eq(r.name, "report.pdf");
    ck_assert_ptr_null(r.caption);
    ck_assert_uint_eq(r.size, 99);
    json_decref(c);

    /* filename + a different body: the body is the caption */
    c = parse("{\"body\":\"our garden\",\"filename\":\"pic.png\",\"url\":\"mxc://hs/b\"}");
    ck_assert_int_eq(br_media_parse_request(c, &r), 0);
    ck_assert_str_eq(r.name, "pic.png");
    ck_assert_str_eq(r.caption, "our garden");
    ck_assert_ptr_null(r.content_type);
    ck_assert_uint_eq(r.size, 0);
    json_decref(c);

    /* filename equal to body: no caption; a path in the name is dropped */
    c = parse("{\"body\":\"../x.png\",\"filename\":\"../x.png\",\"url\":\"mxc://hs/c\","
              "\"info\":{\"mimetype\":\"\",\"size\":-5}}");
    ck_assert_int_eq(br_media_parse_request(c, &r), 0);
    ck_assert_str_eq(r.name, "x.png");
    ck_assert_ptr_null(r.caption);
    ck_assert_ptr_null(r.content_type);
    ck_assert_uint_eq(r.size, 0);
    json_decref(c);

    /* no usable url: encrypted (file.url), http, empty, wrong type */
    c = parse("{\"body\":\"s.png\",\"file\":{\"url\":\"mxc://hs/d\"}}");
    ck_assert_int_eq(br_media_parse_request(c, &r), UT_ERR_INVAL);
    json_decref(c);
    c = parse("{\"body\":\"s.png\",\"url\":\"https://evil/x\"}");
    ck_assert_int_eq(br_media_parse_request(c, &r), UT_ERR_INVAL);
    json_decref(c);
    c = parse("{\"body\":\"s.png\",\"url\":\"mxc://\"}");
    ck_assert_int_eq(br_media_parse_request(c, &r), UT_ERR_INVAL);
    json_decref(c);
    c = parse("{\"url\":5}");
    ck_assert_int_eq(br_media_parse_request(c, &r), UT_ERR_INVAL);
    json_decref(c);
    ck_assert_int_eq(br_media_parse_request(NULL, &r), UT_ERR_INVAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("br_media");
    TCase *tc = tcase_create("conv");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, msgtype_from_content_type);
    tcase_add_test(tc, safe_names);
    tcase_add_test(tc, content_for_matrix);
    tcase_add_test(tc, gif_sticker_and_flags);
    tcase_add_test(tc, request_from_matrix);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
