/* test_br_conv.c - Signal body ranges <-> Matrix HTML (br_conv.h): styles,
 * nesting and overlap, UTF-16 offsets (emoji, CJK), mentions, escaping,
 * malicious HTML, reply fallbacks. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "br_conv.h"
#include "ut.h"

#define ACI_A "aaaaaaaa-1111-4111-8111-111111111111"
#define ACI_ME "eeeeeeee-2222-4222-8222-222222222222"

static br_range R(uint32_t s, uint32_t l, int style)
{
    br_range r;
    memset(&r, 0, sizeof(r));
    r.start = s;
    r.len = l;
    r.style = style;
    return r;
}

static br_range M(uint32_t s, const char *aci)
{
    br_range r = R(s, 1, 0);
    strcpy(r.aci, aci);
    return r;
}

static int lookup(void *ud, const char *aci, char **mxid, char **name)
{
    (void)ud;
    if (!strcmp(aci, ACI_A)) {
        *mxid = strdup("@signal_" ACI_A ":hs");
        *name = strdup("Alice <A>");
        return 0;
    }
    if (!strcmp(aci, ACI_ME)) {
        *mxid = strdup("@me:hs");
        *name = strdup("Me");
        return 0;
    }
    return -1;
}

static int pill(void *ud, const char *mxid, char aci[37])
{
    (void)ud;
    if (!strcmp(mxid, "@signal_" ACI_A ":hs")) {
        strcpy(aci, ACI_A);
        return 0;
    }
    return -1;
}

/* from-signal HTML of text with ranges */
static char *fs(const char *text, const br_range *r, size_t n, char **body)
{
    br_from_signal o;
    char *h;
    ck_assert_int_eq(br_conv_from_signal(text, r, n, lookup, NULL, &o), 0);
    h = o.html ? strdup(o.html) : NULL;
    if (body)
        *body = strdup(o.body);
    br_from_signal_free(&o);
    return h;
}

#define FS_EQ(text, expect, ...) do {                                   \
        br_range rr_[] = { __VA_ARGS__ };                               \
        char *h_ = fs(text, rr_, sizeof(rr_) / sizeof(rr_[0]), NULL);  \
        ck_assert_ptr_nonnull(h_);                                      \
        ck_assert_str_eq(h_, expect);                                   \
        free(h_);                                                       \
    } while (0)

START_TEST(styles_each)
{
    FS_EQ("hello world", "<strong>hello</strong> world", R(0, 5, BR_STYLE_BOLD));
    FS_EQ("hello world", "hello <em>world</em>", R(6, 5, BR_STYLE_ITALIC));
    FS_EQ("abc", "<del>abc</del>", R(0, 3, BR_STYLE_STRIKE));
    FS_EQ("abc", "a<code>b</code>c", R(1, 1, BR_STYLE_MONO));
    FS_EQ("abc", "<span data-mx-spoiler>abc</span>", R(0, 3, BR_STYLE_SPOILER));
    FS_EQ("x\ny z", "<pre><code>x\ny</code></pre> z", R(0, 3, BR_STYLE_MONO));
    FS_EQ("a\nb", "a<br><strong>b</strong>", R(2, 1, BR_STYLE_BOLD));
}
END_TEST

START_TEST(plain_has_no_html)
{
    char *body = NULL, *h = fs("just <text>", NULL, 0, &body);
    ck_assert_ptr_null(h);
    ck_assert_str_eq(body, "just <text>");
    free(body);
    /* unknown style and empty range: ignored */
    {
        br_range r[] = { R(0, 3, 9), R(1, 0, BR_STYLE_BOLD) };
        ck_assert_ptr_null(fs("abc", r, 2, NULL));
    }
}
END_TEST

START_TEST(nested_and_overlapping)
{
    FS_EQ("bold italic", "<strong>bold <em>italic</em></strong>", R(0, 11, BR_STYLE_BOLD),
          R(5, 6, BR_STYLE_ITALIC));
    /* overlap: bold 0-4, italic 2-6 */
    FS_EQ("abcdef", "<strong>ab<em>cd</em></strong><em>ef</em>", R(0, 4, BR_STYLE_BOLD),
          R(2, 4, BR_STYLE_ITALIC));
    FS_EQ("abcdef", "<strong>ab<em>cd</em></strong><em>ef</em>",
          R(2, 4, BR_STYLE_ITALIC), R(0, 4, BR_STYLE_BOLD));
    /* same range twice */
    FS_EQ("ab", "<strong>ab</strong>", R(0, 2, BR_STYLE_BOLD), R(0, 2, BR_STYLE_BOLD));
    /* ranges past the end are clipped */
    FS_EQ("ab", "a<em>b</em>", R(1, 100, BR_STYLE_ITALIC));
    {
        br_range r[] = { R(5, 2, BR_STYLE_ITALIC) };
        ck_assert_ptr_null(fs("ab", r, 1, NULL)); /* nothing in the text */
    }
}
END_TEST

START_TEST(utf16_offsets)
{
    /* 😀 is 2 UTF-16 units, 4 UTF-8 bytes */
    FS_EQ("\xF0\x9F\x98\x80 hi", "\xF0\x9F\x98\x80 <strong>hi</strong>", R(3, 2, BR_STYLE_BOLD));
    FS_EQ("\xF0\x9F\x98\x80 hi", "<em>\xF0\x9F\x98\x80</em> hi", R(0, 2, BR_STYLE_ITALIC));
    /* CJK: 1 unit, 3 bytes. 你好世界: bold 好世 */
    FS_EQ("\xE4\xBD\xA0\xE5\xA5\xBD\xE4\xB8\x96\xE7\x95\x8C",
          "\xE4\xBD\xA0<strong>\xE5\xA5\xBD\xE4\xB8\x96</strong>\xE7\x95\x8C",
          R(1, 2, BR_STYLE_BOLD));
    ck_assert_uint_eq(br_conv_utf16_len("\xF0\x9F\x98\x80" "a\xE4\xBD\xA0", 8), 4);
}
END_TEST

START_TEST(escaping)
{
    FS_EQ("<b>&\"'", "<strong>&lt;b&gt;&amp;&quot;&#39;</strong>", R(0, 6, BR_STYLE_BOLD));
}
END_TEST

START_TEST(mentions)
{
    br_from_signal o;
    br_range r[] = { M(3, ACI_A), R(0, 2, BR_STYLE_BOLD) };
    ck_assert_int_eq(br_conv_from_signal("hi \xEF\xBF\xBC!", r, 2, lookup, NULL, &o), 0);
    ck_assert_str_eq(o.body, "hi Alice <A>!");
    ck_assert_str_eq(o.html, "<strong>hi</strong> <a href=\"https://matrix.to/#/@signal_" ACI_A
                             ":hs\">Alice &lt;A&gt;</a>!");
    ck_assert_uint_eq(o.n_mentions, 1);
    ck_assert_str_eq(o.mentions[0], "@signal_" ACI_A ":hs");
    ck_assert_ptr_null(strstr(o.html, "\xEF\xBF\xBC"));
    br_from_signal_free(&o);
    /* the linked user: a pill to the Matrix user; twice: one m.mentions */
    {
        br_range r2[] = { M(0, ACI_ME), M(2, ACI_ME) };
        ck_assert_int_eq(br_conv_from_signal("\xEF\xBF\xBC \xEF\xBF\xBC", r2, 2, lookup, NULL, &o), 0);
        ck_assert_str_eq(o.html, "<a href=\"https://matrix.to/#/@me:hs\">Me</a> "
                                 "<a href=\"https://matrix.to/#/@me:hs\">Me</a>");
        ck_assert_uint_eq(o.n_mentions, 1);
        br_from_signal_free(&o);
    }
    /* unknown ACI: a name, never the placeholder; a stray U+FFFC vanishes */
    {
        br_range r3[] = { M(0, "12345678-0000-4000-8000-000000000000") };
        ck_assert_int_eq(br_conv_from_signal("\xEF\xBF\xBC x \xEF\xBF\xBC", r3, 1, lookup, NULL, &o), 0);
        ck_assert_str_eq(o.body, "@12345678 x ");
        ck_assert_uint_eq(o.n_mentions, 0);
        br_from_signal_free(&o);
    }
    /* after an emoji: offsets in UTF-16 */
    {
        br_range r4[] = { M(3, ACI_A) };
        ck_assert_int_eq(br_conv_from_signal("\xF0\x9F\x98\x80 \xEF\xBF\xBC", r4, 1, lookup, NULL, &o), 0);
        ck_assert_str_eq(o.body, "\xF0\x9F\x98\x80 Alice <A>");
        br_from_signal_free(&o);
    }
}
END_TEST

START_TEST(bad_utf8_and_args)
{
    br_from_signal o;
    br_range r[] = { R(0, 3, BR_STYLE_BOLD) };
    ck_assert_int_eq(br_conv_from_signal("\xFF\xC3(", r, 1, NULL, NULL, &o), 0);
    ck_assert_ptr_nonnull(o.html);
    br_from_signal_free(&o);
    ck_assert_int_ne(br_conv_from_signal(NULL, NULL, 0, NULL, NULL, &o), 0);
    {
        char *e = br_conv_html_escape("a<b>&\nc");
        ck_assert_str_eq(e, "a&lt;b&gt;&amp;<br>c");
        free(e);
        e = br_conv_html_escape("");
        ck_assert_str_eq(e, "");
        free(e);
    }
}
END_TEST

/* ---- Matrix -> Signal ---- */

static br_to_signal ts(const char *html)
{
    br_to_signal o;
    ck_assert_int_eq(br_conv_html_to_signal(html, strlen(html), pill, NULL, &o), 0);
    return o;
}

static void has_range(const br_to_signal *o, uint32_t s, uint32_t l, int style)
{
    size_t i;
    for (i = 0; i < o->n_ranges; i++)
        if (o->ranges[i].start == s && o->ranges[i].len == l && o->ranges[i].style == style &&
            !o->ranges[i].aci[0])
            return;
    ck_abort_msg("no range %u+%u style %d in \"%s\"", s, l, style, o->text);
}

START_TEST(html_styles)
{
    br_to_signal o = ts("<b>bold</b> <i>it</i> <del>x</del> <code>c</code> "
                        "<span data-mx-spoiler=\"r\">sp</span> <strong><em>both</em></strong>");
    ck_assert_str_eq(o.text, "bold it x c sp both");
    has_range(&o, 0, 4, BR_STYLE_BOLD);
    has_range(&o, 5, 2, BR_STYLE_ITALIC);
    has_range(&o, 8, 1, BR_STYLE_STRIKE);
    has_range(&o, 10, 1, BR_STYLE_MONO);
    has_range(&o, 12, 2, BR_STYLE_SPOILER);
    has_range(&o, 15, 4, BR_STYLE_BOLD);
    has_range(&o, 15, 4, BR_STYLE_ITALIC);
    ck_assert_uint_eq(o.n_ranges, 7);
    br_to_signal_free(&o);
}
END_TEST

START_TEST(html_utf16)
{
    br_to_signal o = ts("\xF0\x9F\x98\x80 <b>\xE4\xBD\xA0\xE5\xA5\xBD</b> &#x1F600;<i>x</i>");
    ck_assert_str_eq(o.text, "\xF0\x9F\x98\x80 \xE4\xBD\xA0\xE5\xA5\xBD \xF0\x9F\x98\x80x");
    has_range(&o, 3, 2, BR_STYLE_BOLD);
    has_range(&o, 8, 1, BR_STYLE_ITALIC);
    br_to_signal_free(&o);
}
END_TEST

START_TEST(html_blocks)
{
    br_to_signal o = ts("<p>one</p>\n<p>two<br>three</p><ul><li>a</li><li>b</li></ul>"
                        "<ol start=\"3\"><li>c</li></ol><blockquote>q1<br>q2</blockquote>end");
    ck_assert_str_eq(o.text, "one\ntwo\nthree\n\xE2\x80\xA2 a\n\xE2\x80\xA2 b\n3. c\n> q1\n> q2\nend");
    br_to_signal_free(&o);
    o = ts("<pre><code class=\"language-c\">int x;\nint y;\n</code></pre>after");
    ck_assert_str_eq(o.text, "int x;\nint y;\nafter");
    has_range(&o, 0, 14, BR_STYLE_MONO);
    br_to_signal_free(&o);
}
END_TEST

START_TEST(html_links_and_pills)
{
    br_to_signal o = ts("<a href=\"https://x.org/\">site</a> <a href=\"https://y.org\">https://y.org</a>");
    ck_assert_str_eq(o.text, "site (https://x.org/) https://y.org");
    br_to_signal_free(&o);
    o = ts("<a href=\"https://matrix.to/#/%40signal_" ACI_A "%3Ahs\">Alice</a>: <b>ping</b>");
    ck_assert_str_eq(o.text, "\xEF\xBF\xBC: ping");
    ck_assert_uint_eq(o.n_ranges, 2);
    ck_assert_uint_eq(o.ranges[0].start, 0);
    ck_assert_uint_eq(o.ranges[0].len, 1);
    ck_assert_str_eq(o.ranges[0].aci, ACI_A);
    has_range(&o, 3, 4, BR_STYLE_BOLD);
    br_to_signal_free(&o);
    /* a pill to someone not on Signal stays a link */
    o = ts("<a href=\"https://matrix.to/#/@bob:hs\">Bob</a> hi");
    ck_assert_str_eq(o.text, "Bob (https://matrix.to/#/@bob:hs) hi");
    ck_assert_uint_eq(o.n_ranges, 0);
    br_to_signal_free(&o);
}
END_TEST

START_TEST(html_reply_fallback_and_entities)
{
    br_to_signal o = ts("<mx-reply><blockquote><a href=\"https://matrix.to/#/!r:hs/$e\">In reply to</a>"
                        " <a href=\"https://matrix.to/#/@a:hs\">@a:hs</a><br>old</blockquote></mx-reply>new &amp; &lt;b&gt; &bogus; &#0;");
    ck_assert_str_eq(o.text, "new & <b> &bogus; \xEF\xBF\xBD");
    ck_assert_uint_eq(o.n_ranges, 0);
    br_to_signal_free(&o);
}
END_TEST

START_TEST(html_malicious)
{
    static const char *bad[] = {
        "<", "<b", "<b>unclosed", "</b></i>stray", "<<<>>>", "<b x='>'>y</b>", "<!-- never closed",
        "<a href=\"https://matrix.to/#/@", "<a href=https://matrix.to/#/@signal_" ACI_A ":hs>x",
        "&#xFFFFFFFFFFFFFFFF;", "&#99999999999;", "<script>alert(1)</script>ok", "<img src=x onerror=y>",
        "<li><li><li>", "<ol start=-5><li>x", "<b/>self", "<mx-reply>never closed",
        "<a href=\"\">empty</a>", "<a>nohref</a>",
    };
    size_t i;
    char deep[64 * 3 * 40 + 16];
    br_to_signal o;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(br_conv_html_to_signal(bad[i], strlen(bad[i]), pill, NULL, &o), 0);
        ck_assert_ptr_nonnull(o.text);
        br_to_signal_free(&o);
    }
    o = ts("<script>alert(1)</script>ok");
    ck_assert_str_eq(o.text, "ok");
    br_to_signal_free(&o);
    /* nesting past the depth cap is flattened, not a crash */
    deep[0] = '\0';
    for (i = 0; i < 40 * 3; i++)
        strcat(deep, "<b>");
    strcat(deep, "x");
    o = ts(deep);
    ck_assert_str_eq(o.text, "x");
    br_to_signal_free(&o);
}
END_TEST

START_TEST(plain_and_fallback)
{
    br_to_signal o;
    char *s;
    /* no formatted_body: asterisks are text */
    ck_assert_int_eq(br_conv_to_signal("**not bold**", NULL, 0, pill, NULL, &o), 0);
    ck_assert_str_eq(o.text, "**not bold**");
    ck_assert_uint_eq(o.n_ranges, 0);
    br_to_signal_free(&o);
    ck_assert_int_eq(br_conv_to_signal("> <@a:hs> old\n> more\n\nnew", NULL, 1, pill, NULL, &o), 0);
    ck_assert_str_eq(o.text, "new");
    br_to_signal_free(&o);
    s = br_conv_strip_reply_fallback("> quoted but not a reply?");
    ck_assert_str_eq(s, "");
    free(s);
    s = br_conv_strip_reply_fallback("no fallback");
    ck_assert_str_eq(s, "no fallback");
    free(s);
    /* not a reply: a leading "> " is the user's text */
    ck_assert_int_eq(br_conv_to_signal("> quote", NULL, 0, pill, NULL, &o), 0);
    ck_assert_str_eq(o.text, "> quote");
    br_to_signal_free(&o);
}
END_TEST

START_TEST(round_trip)
{
    br_range r[] = { R(0, 4, BR_STYLE_BOLD), R(2, 4, BR_STYLE_ITALIC), R(7, 2, BR_STYLE_STRIKE) };
    br_from_signal f;
    br_to_signal t;
    ck_assert_int_eq(br_conv_from_signal("\xF0\x9F\x98\x80xyz w ab", r, 3, lookup, NULL, &f), 0);
    ck_assert_int_eq(br_conv_html_to_signal(f.html, strlen(f.html), pill, NULL, &t), 0);
    ck_assert_str_eq(t.text, "\xF0\x9F\x98\x80xyz w ab");
    /* the same style on every UTF-16 unit, however the ranges are cut */
    {
        unsigned u, k;
        for (u = 0; u < 10; u++) {
            unsigned want = 0, got = 0;
            for (k = 0; k < 3; k++)
                if (u >= r[k].start && u < r[k].start + r[k].len)
                    want |= 1u << r[k].style;
            for (k = 0; k < t.n_ranges; k++)
                if (u >= t.ranges[k].start && u < t.ranges[k].start + t.ranges[k].len)
                    got |= 1u << t.ranges[k].style;
            ck_assert_uint_eq(got, want);
        }
    }
    br_to_signal_free(&t);
    br_from_signal_free(&f);
}
END_TEST

START_TEST(geo_links)
{
    char out[128];

    ck_assert_int_eq(br_conv_geo_url("geo:51.5008,-0.1247", out, sizeof(out)), 0);
    ck_assert_str_eq(out, "https://www.google.com/maps/place/51.5008,-0.1247");
    ck_assert_int_eq(br_conv_geo_url("geo:-33.9,18.4,12;u=35", out, sizeof(out)), 0);
    ck_assert_str_eq(out, "https://www.google.com/maps/place/-33.9,18.4");
    ck_assert_int_eq(br_conv_geo_url("geo:1,2;crs=wgs84", out, sizeof(out)), 0);
    ck_assert_int_eq(br_conv_geo_url("geo:abc,2", out, sizeof(out)), UT_ERR_INVAL);
    ck_assert_int_eq(br_conv_geo_url("geo:1", out, sizeof(out)), UT_ERR_INVAL);
    ck_assert_int_eq(br_conv_geo_url("geo:1,2x", out, sizeof(out)), UT_ERR_INVAL);
    ck_assert_int_eq(br_conv_geo_url("http://x", out, sizeof(out)), UT_ERR_INVAL);
    ck_assert_int_eq(br_conv_geo_url(NULL, out, sizeof(out)), UT_ERR_INVAL);
    ck_assert_int_eq(br_conv_geo_url("geo:1,2", out, 10), UT_ERR_RANGE);
}
END_TEST

/* Locations as Signal-Android (SignalPlace.getDescription, Java's
 * Double.toString) and Signal-iOS (Location.messageText) write them. */
START_TEST(signal_locations)
{
    char geo[64];

    ck_assert_int_eq(br_conv_signal_location("https://maps.google.com/maps?q=52.52%2C13.405",
                                             geo, sizeof(geo)), 1);
    ck_assert_str_eq(geo, "geo:52.52,13.405");
    ck_assert_int_eq(br_conv_signal_location("Brandenburger Tor\nPariser Platz, Berlin\n"
                                             "https://maps.google.com/maps?q=52.5163%2C13.3777",
                                             geo, sizeof(geo)), 1);
    ck_assert_str_eq(geo, "geo:52.5163,13.3777");
    /* Android: the user's caption after a blank line */
    ck_assert_int_eq(br_conv_signal_location("https://maps.google.com/maps?q=-33.9%2C18.4\n\n"
                                             "meet here", geo, sizeof(geo)), 1);
    ck_assert_str_eq(geo, "geo:-33.9,18.4");
    /* iOS: address, blank line, link; Java's exponent form */
    ck_assert_int_eq(br_conv_signal_location("1 Infinite Loop\nCupertino\n\n"
                                             "https://maps.google.com/maps?q=1.0E-4%2C-1.5e-05",
                                             geo, sizeof(geo)), 1);
    ck_assert_str_eq(geo, "geo:0.0001,-0.000015");
    ck_assert_int_eq(br_conv_signal_location("https://maps.google.com/maps?q=1,2", geo,
                                             sizeof(geo)), 1);
    ck_assert_str_eq(geo, "geo:1,2");
    /* not a location */
    ck_assert_int_eq(br_conv_signal_location("see https://maps.google.com/maps?q=1%2C2", geo,
                                             sizeof(geo)), 0);
    ck_assert_int_eq(br_conv_signal_location("https://maps.google.com/maps?q=1%2C2\nmore", geo,
                                             sizeof(geo)), 0);
    ck_assert_int_eq(br_conv_signal_location("https://maps.google.com/maps?q=91%2C2", geo,
                                             sizeof(geo)), 0);
    ck_assert_int_eq(br_conv_signal_location("https://maps.google.com/maps?q=1%2C181", geo,
                                             sizeof(geo)), 0);
    ck_assert_int_eq(br_conv_signal_location("https://maps.google.com/maps?q=Berlin", geo,
                                             sizeof(geo)), 0);
    ck_assert_int_eq(br_conv_signal_location("https://maps.google.com/maps?q=1.%2C2", geo,
                                             sizeof(geo)), 0);
    ck_assert_int_eq(br_conv_signal_location("https://maps.google.com/maps?q=1%2C2&z=3", geo,
                                             sizeof(geo)), 0);
    ck_assert_int_eq(br_conv_signal_location("https://www.google.com/maps/place/1,2", geo,
                                             sizeof(geo)), 0);
    ck_assert_int_eq(br_conv_signal_location("", geo, sizeof(geo)), 0);
    ck_assert_int_eq(br_conv_signal_location(NULL, geo, sizeof(geo)), 0);
    ck_assert_int_eq(br_conv_signal_location("https://maps.google.com/maps?q=1%2C2", geo, 5), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("br_conv");
    TCase *a = tcase_create("from_signal"), *b = tcase_create("to_signal");
    SRunner *sr;
    int failed;

    tcase_add_test(a, styles_each);
    tcase_add_test(a, plain_has_no_html);
    tcase_add_test(a, nested_and_overlapping);
    tcase_add_test(a, utf16_offsets);
    tcase_add_test(a, escaping);
    tcase_add_test(a, mentions);
    tcase_add_test(a, bad_utf8_and_args);
    tcase_add_test(a, signal_locations);
    tcase_add_test(b, html_styles);
    tcase_add_test(b, html_utf16);
    tcase_add_test(b, html_blocks);
    tcase_add_test(b, html_links_and_pills);
    tcase_add_test(b, html_reply_fallback_and_entities);
    tcase_add_test(b, html_malicious);
    tcase_add_test(b, plain_and_fallback);
    tcase_add_test(b, round_trip);
    tcase_add_test(b, geo_links);
    suite_add_tcase(s, a);
    suite_add_tcase(s, b);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
