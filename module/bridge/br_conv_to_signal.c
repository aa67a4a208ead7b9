/*
 * br_conv_to_signal.c - Matrix formatted_body (org.matrix.custom.html) ->
 * Signal body + body ranges (br_conv.h). Pure.
 *
 * A small strict tokenizer instead of a library: Matrix HTML is a short
 * allow-listed subset (spec "m.room.message msgtypes", HTML), we need only
 * a stream of tags and text, and a streaming scanner that never builds a
 * tree is easy to make safe on any input (fuzz: tests/fuzz/fuzz_br_html.c).
 * libxml2's HTML parser (installed here) would build a DOM after error
 * recovery we do not control and add a dependency to the module.
 *
 * Mapping as mautrix-signal pkg/msgconv/matrixfmt (convert.go, html.go):
 * b/strong BOLD, i/em ITALIC, del/s/strike STRIKETHROUGH, code/pre
 * MONOSPACE, span/font data-mx-spoiler SPOILER; a matrix.to pill to a known
 * user becomes U+FFFC with mentionAci; other links "text (url)" unless the
 * text is the url; lists "• item" / "1. item"; blockquote "> "; headings
 * bold; br and block ends newlines; <mx-reply> (reply fallback) dropped.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "br_conv.h"
#include "ut.h"

#define TXT_MAX (1u << 20)
#define MAX_DEPTH 64
#define MAX_RANGES 1024

typedef struct elem {
    char tag[16];
    int style;          /* BR_STYLE_* or 0 */
    size_t start16;     /* where its text starts */
    size_t start_byte;
    char *href;         /* <a>: the link to append */
    int list_ordered, counter;
} elem;

typedef struct st {
    ut_buf out;
    size_t len16;
    br_range *r;
    size_t nr, cap;
    elem stack[MAX_DEPTH];
    size_t depth;
    size_t overflow;    /* open tags beyond MAX_DEPTH (ignored) */
    int skip;           /* inside mx-reply/script/style: depth count */
    int pre;            /* inside <pre> */
    int quote;          /* blockquote depth */
    int line_start;
    int pending_nl;     /* newlines owed before the next text */
    int in_pill;        /* inside a pill: its text is dropped */
    br_pill_lookup lookup;
    void *ud;
    int rc;
} st;

static void put(st *s, const char *p, size_t n)
{
    if (s->rc == 0 && n) {
        s->rc = ut_buf_append(&s->out, p, n);
        s->len16 += br_conv_utf16_len(p, n);
    }
}

static void add_range(st *s, size_t start, size_t len, int style, const char *aci)
{
    br_range *r;

    if (s->rc != 0 || len == 0 || s->nr >= MAX_RANGES)
        return;
    if (s->nr == s->cap) {
        size_t c = s->cap ? s->cap * 2 : 8;
        if (!(r = realloc(s->r, c * sizeof(*r)))) {
            s->rc = UT_ERR_NOMEM;
            return;
        }
        s->r = r;
        s->cap = c;
    }
    r = &s->r[s->nr++];
    memset(r, 0, sizeof(*r));
    r->start = (uint32_t)start;
    r->len = (uint32_t)len;
    r->style = style;
    if (aci)
        snprintf(r->aci, sizeof(r->aci), "%s", aci);
}

/* Owe a line break (block boundaries); collapsed, none at the start. */
static void block_break(st *s)
{
    if (s->out.len > 0 && !s->line_start)
        s->pending_nl = 1;
}

static void flush_pending(st *s)
{
    int i;

    if (s->pending_nl) {
        put(s, "\n", 1);
        s->pending_nl = 0;
        s->line_start = 1;
    }
    if (s->line_start) {
        for (i = 0; i < s->quote; i++)
            put(s, "> ", 2);
        s->line_start = 0;
    }
}

static void text(st *s, const char *p, size_t n)
{
    size_t i = 0, j;

    if (s->skip || s->in_pill)
        return;
    while (i < n && s->rc == 0) {
        if (p[i] == '\n') {
            if (s->pre) {
                put(s, "\n", 1);
                s->line_start = 1;
            } /* else HTML source newlines are not line breaks */
            i++;
            continue;
        }
        for (j = i; j < n && p[j] != '\n'; j++)
            ;
        flush_pending(s);
        while (i < j && s->rc == 0) { /* valid UTF-8 without NUL only */
            size_t used;
            uint32_t c = br_conv_utf8_next((const unsigned char *)p + i, j - i, &used);
            if (c == 0xFFFD && used == 1 && (unsigned char)p[i] >= 0x80)
                put(s, "\xEF\xBF\xBD", 3);
            else if (c != 0)
                put(s, p + i, used);
            i += used;
        }
    }
}

static int hexval(int c)
{
    return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

static size_t utf8_put(char *o, unsigned long c)
{
    if (c == 0 || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        c = 0xFFFD;
    if (c < 0x80) { o[0] = (char)c; return 1; }
    if (c < 0x800) { o[0] = (char)(0xC0 | (c >> 6)); o[1] = (char)(0x80 | (c & 0x3F)); return 2; }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | (c >> 12)); o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (char)(0x80 | (c & 0x3F)); return 3;
    }
    o[0] = (char)(0xF0 | (c >> 18)); o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F)); o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* Decode entities of p[0..n) into a malloc'd string. */
static char *decode(const char *p, size_t n)
{
    static const struct { const char *name; const char *val; } ents[] = {
        { "amp", "&" }, { "lt", "<" }, { "gt", ">" }, { "quot", "\"" },
        { "apos", "'" }, { "nbsp", "\xC2\xA0" },
    };
    char *o = malloc(n + 1);
    size_t i = 0, k = 0, e;

    if (!o)
        return NULL;
    while (i < n) {
        if (p[i] == '&') {
            size_t j = i + 1;
            while (j < n && j - i < 12 && p[j] != ';' && p[j] != '&' && p[j] != '<')
                j++;
            if (j < n && p[j] == ';') {
                const char *nm = p + i + 1;
                size_t nl = j - i - 1;
                if (nl >= 2 && nm[0] == '#') {
                    unsigned long c = 0;
                    size_t q = 1;
                    int hex = nm[1] == 'x' || nm[1] == 'X', ok = 1;
                    if (hex)
                        q = 2;
                    if (q >= nl)
                        ok = 0;
                    for (; q < nl && ok; q++) {
                        int d = hex ? hexval((unsigned char)nm[q])
                                    : isdigit((unsigned char)nm[q]) ? nm[q] - '0' : -1;
                        if (d < 0 || c > 0x10FFFF)
                            ok = 0;
                        else
                            c = c * (hex ? 16 : 10) + (unsigned long)d;
                    }
                    if (ok) { /* a numeric reference is never longer than its text */
                        k += utf8_put(o + k, c);
                        i = j + 1;
                        continue;
                    }
                } else {
                    for (e = 0; e < sizeof(ents) / sizeof(ents[0]); e++)
                        if (strlen(ents[e].name) == nl && memcmp(ents[e].name, nm, nl) == 0) {
                            memcpy(o + k, ents[e].val, strlen(ents[e].val));
                            k += strlen(ents[e].val);
                            i = j + 1;
                            break;
                        }
                    if (e < sizeof(ents) / sizeof(ents[0]))
                        continue;
                }
            }
        }
        o[k++] = p[i++];
    }
    o[k] = '\0';
    return o;
}

/* The value of attribute `name` in a tag's attribute text, decoded and
 * malloc'd; *present 1 when the attribute is there (even valueless). */
static char *attr(const char *a, size_t n, const char *name, int *present)
{
    size_t i = 0, nl = strlen(name);

    *present = 0;
    while (i < n) {
        size_t ks, kl, vs = 0, vl = 0;
        while (i < n && (isspace((unsigned char)a[i]) || a[i] == '/'))
            i++;
        ks = i;
        while (i < n && !isspace((unsigned char)a[i]) && a[i] != '=' && a[i] != '/')
            i++;
        kl = i - ks;
        while (i < n && isspace((unsigned char)a[i]))
            i++;
        if (i < n && a[i] == '=') {
            i++;
            while (i < n && isspace((unsigned char)a[i]))
                i++;
            if (i < n && (a[i] == '"' || a[i] == '\'')) {
                char q = a[i++];
                vs = i;
                while (i < n && a[i] != q)
                    i++;
                vl = i - vs;
                if (i < n)
                    i++;
            } else {
                vs = i;
                while (i < n && !isspace((unsigned char)a[i]))
                    i++;
                vl = i - vs;
            }
        }
        if (kl == 0) {
            if (i < n)
                i++;
            continue;
        }
        if (kl == nl && strncasecmp(a + ks, name, nl) == 0) {
            *present = 1;
            return decode(a + vs, vl);
        }
    }
    return NULL;
}

static int style_of(const char *t)
{
    if (!strcmp(t, "b") || !strcmp(t, "strong"))
        return BR_STYLE_BOLD;
    if (!strcmp(t, "i") || !strcmp(t, "em"))
        return BR_STYLE_ITALIC;
    if (!strcmp(t, "del") || !strcmp(t, "s") || !strcmp(t, "strike"))
        return BR_STYLE_STRIKE;
    if (!strcmp(t, "code") || !strcmp(t, "pre"))
        return BR_STYLE_MONO;
    if (t[0] == 'h' && t[1] >= '1' && t[1] <= '6' && !t[2])
        return BR_STYLE_BOLD;
    return 0;
}

static int is_block(const char *t)
{
    static const char *const b[] = { "p", "div", "pre", "blockquote", "ul", "ol", "li",
                                     "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table",
                                     "tr", NULL };
    int i;
    for (i = 0; b[i]; i++)
        if (!strcmp(t, b[i]))
            return 1;
    return 0;
}

static int is_void(const char *t)
{
    return !strcmp(t, "br") || !strcmp(t, "hr") || !strcmp(t, "img") ||
           !strcmp(t, "input") || !strcmp(t, "meta") || !strcmp(t, "link");
}

/* The MXID of a matrix.to user link ("https://matrix.to/#/@u:s", maybe
 * percent-encoded, maybe with a ?via query), malloc'd; else NULL. */
static char *pill_mxid(const char *href)
{
    static const char pfx[] = "https://matrix.to/#/";
    const char *p;
    char *o;
    size_t k = 0;

    if (!href || strncmp(href, pfx, sizeof(pfx) - 1) != 0)
        return NULL;
    p = href + sizeof(pfx) - 1;
    if (!(o = malloc(strlen(p) + 1)))
        return NULL;
    for (; *p && *p != '?' && *p != '/'; p++) {
        if (*p == '%' && hexval((unsigned char)p[1]) >= 0 && hexval((unsigned char)p[2]) >= 0) {
            o[k++] = (char)(hexval((unsigned char)p[1]) * 16 + hexval((unsigned char)p[2]));
            p += 2;
        } else {
            o[k++] = *p;
        }
    }
    o[k] = '\0';
    if (o[0] != '@' || !strchr(o, ':')) {
        free(o);
        return NULL;
    }
    return o;
}

static void open_elem(st *s, const char *tag, const char *attrs, size_t alen)
{
    elem *e;
    int present = 0;

    if (s->skip) {
        if (!strcmp(tag, "mx-reply") || !strcmp(tag, "script") || !strcmp(tag, "style"))
            s->skip++;
        return;
    }
    if (!strcmp(tag, "mx-reply") || !strcmp(tag, "script") || !strcmp(tag, "style")) {
        s->skip = 1;
        return;
    }
    if (!strcmp(tag, "br")) {
        if (!s->in_pill) {
            put(s, "\n", 1);
            s->line_start = 1;
            s->pending_nl = 0;
        }
        return;
    }
    if (is_void(tag))
        return;
    if (s->depth >= MAX_DEPTH) {
        s->overflow++;
        return;
    }
    if (is_block(tag))
        block_break(s);
    e = &s->stack[s->depth++];
    memset(e, 0, sizeof(*e));
    snprintf(e->tag, sizeof(e->tag), "%s", tag);
    e->style = style_of(tag);
    if ((!strcmp(tag, "span") || !strcmp(tag, "font"))) {
        char *v = attr(attrs, alen, "data-mx-spoiler", &present);
        free(v);
        if (present)
            e->style = BR_STYLE_SPOILER;
    }
    if (!strcmp(tag, "pre"))
        s->pre++;
    if (!strcmp(tag, "blockquote"))
        s->quote++;
    if (!strcmp(tag, "ol") || !strcmp(tag, "ul")) {
        char *v = attr(attrs, alen, "start", &present);
        e->list_ordered = tag[0] == 'o';
        e->counter = v && atoi(v) > 0 && atoi(v) < 1000000 ? atoi(v) : 1;
        free(v);
    }
    if (!strcmp(tag, "li") && !s->in_pill) {
        size_t d, lists = 0;
        elem *list = NULL;
        char num[24];
        for (d = 0; d + 1 < s->depth; d++)
            if (!strcmp(s->stack[d].tag, "ul") || !strcmp(s->stack[d].tag, "ol")) {
                list = &s->stack[d];
                lists++;
            }
        flush_pending(s);
        for (d = 1; d < lists; d++)
            put(s, "  ", 2);
        if (list && list->list_ordered) {
            snprintf(num, sizeof(num), "%d. ", list->counter++);
            put(s, num, strlen(num));
        } else {
            put(s, "\xE2\x80\xA2 ", 4);
        }
    }
    if (!strcmp(tag, "a") && !s->in_pill) {
        char *href = attr(attrs, alen, "href", &present), *mxid = pill_mxid(href);
        char aci[37];
        if (mxid && s->lookup && s->lookup(s->ud, mxid, aci) == 0) {
            aci[36] = '\0';
            flush_pending(s);
            add_range(s, s->len16, 1, 0, aci);
            put(s, "\xEF\xBF\xBC", 3);
            s->in_pill = (int)s->depth; /* its text is the placeholder */
            free(href);
        } else {
            e->href = href;
        }
        free(mxid);
    }
    e->start16 = s->len16;
    e->start_byte = s->out.len;
}

static void close_elem(st *s, const char *tag)
{
    size_t d;
    elem *e;

    if (s->skip) {
        if (!strcmp(tag, "mx-reply") || !strcmp(tag, "script") || !strcmp(tag, "style"))
            s->skip--;
        return;
    }
    if (s->overflow) {
        s->overflow--;
        return;
    }
    /* close up to the innermost matching element; a stray end tag is ignored */
    for (d = s->depth; d > 0 && strcmp(s->stack[d - 1].tag, tag) != 0; d--)
        ;
    if (d == 0)
        return;
    while (s->depth >= d) {
        e = &s->stack[s->depth - 1];
        if (s->in_pill == (int)s->depth)
            s->in_pill = 0;
        if (e->style && !s->in_pill)
            add_range(s, e->start16, s->len16 - e->start16, e->style, NULL);
        if (e->href && !s->in_pill) {
            size_t tl = s->out.len - e->start_byte;
            const char *t = tl ? (const char *)s->out.data + e->start_byte : "";
            const char *h = e->href;
            if (!strncmp(h, "mailto:", 7) && tl == strlen(h + 7) && !memcmp(t, h + 7, tl))
                ;
            else if (tl == 0) {
                put(s, h, strlen(h));
            } else if (!(tl == strlen(h) && memcmp(t, h, tl) == 0)) {
                put(s, " (", 2);
                put(s, h, strlen(h));
                put(s, ")", 1);
            }
        }
        free(e->href);
        e->href = NULL;
        if (!strcmp(e->tag, "pre") && s->pre)
            s->pre--;
        if (!strcmp(e->tag, "blockquote") && s->quote)
            s->quote--;
        if (is_block(e->tag))
            block_break(s);
        s->depth--;
    }
}

void br_to_signal_free(br_to_signal *o)
{
    if (!o)
        return;
    free(o->text);
    free(o->ranges);
    memset(o, 0, sizeof(*o));
}

static void finish(st *s, br_to_signal *out)
{
    size_t l;

    s->skip = 0; /* an unclosed <mx-reply> or overflow ends here too */
    s->overflow = 0;
    while (s->depth > 0) { /* unclosed tags end with the text */
        char tag[16];
        memcpy(tag, s->stack[s->depth - 1].tag, sizeof(tag));
        close_elem(s, tag);
    }
    if (s->rc == 0)
        s->rc = ut_buf_nul(&s->out);
    if (s->rc == 0) {
        out->text = (char *)ut_buf_take(&s->out, &l);
        if (!out->text)
            s->rc = UT_ERR_NOMEM;
    }
    out->ranges = s->r;
    out->n_ranges = s->nr;
    s->r = NULL;
}

int br_conv_html_to_signal(const char *html, size_t len, br_pill_lookup lookup,
                           void *ud, br_to_signal *out)
{
    st s;
    size_t i = 0;

    memset(out, 0, sizeof(*out));
    if (!html)
        return UT_ERR_INVAL;
    memset(&s, 0, sizeof(s));
    ut_buf_init(&s.out, TXT_MAX);
    s.lookup = lookup;
    s.ud = ud;
    s.line_start = 1;
    while (i < len && s.rc == 0) {
        if (html[i] == '<' && i + 1 < len &&
            (isalpha((unsigned char)html[i + 1]) || html[i + 1] == '/' || html[i + 1] == '!')) {
            size_t j = i + 1, ts, tl, as;
            int closing = 0;
            char tag[16];
            if (html[j] == '!') { /* comment or doctype: skip */
                if (len - j >= 3 && !strncmp(html + j, "!--", 3)) {
                    const char *end = NULL;
                    size_t q;
                    for (q = j + 3; q + 2 < len + 0 && !end; q++)
                        if (!strncmp(html + q, "-->", 3))
                            end = html + q;
                    i = end ? (size_t)(end - html) + 3 : len;
                } else {
                    while (j < len && html[j] != '>')
                        j++;
                    i = j < len ? j + 1 : len;
                }
                continue;
            }
            if (html[j] == '/') {
                closing = 1;
                j++;
            }
            ts = j;
            while (j < len && (isalnum((unsigned char)html[j]) || html[j] == '-'))
                j++;
            tl = j - ts;
            as = j;
            /* to the tag's end, honouring quoted attribute values */
            while (j < len && html[j] != '>') {
                if (html[j] == '"' || html[j] == '\'') {
                    char q = html[j++];
                    while (j < len && html[j] != q)
                        j++;
                }
                if (j < len)
                    j++;
            }
            if (tl == 0 || j >= len) { /* not a tag after all: text */
                if (tl == 0) {
                    text(&s, "<", 1);
                    i++;
                    continue;
                }
                i = len; /* an unterminated tag ends the input */
                break;
            }
            if (tl < sizeof(tag)) {
                size_t q;
                for (q = 0; q < tl; q++)
                    tag[q] = (char)tolower((unsigned char)html[ts + q]);
                tag[tl] = '\0';
                if (closing)
                    close_elem(&s, tag);
                else {
                    open_elem(&s, tag, html + as, j - as);
                    if (j > as && html[j - 1] == '/' && !is_void(tag))
                        close_elem(&s, tag); /* <x/> */
                }
            }
            i = j + 1;
            continue;
        }
        {
            size_t j = i + 1;
            char *d;
            while (j < len && html[j] != '<')
                j++;
            if (!(d = decode(html + i, j - i))) {
                s.rc = UT_ERR_NOMEM;
                break;
            }
            text(&s, d, strlen(d));
            free(d);
            i = j;
        }
    }
    finish(&s, out);
    {
        int rc = s.rc;
        size_t d;
        for (d = 0; d < s.depth; d++)
            free(s.stack[d].href);
        free(s.r);
        ut_buf_free(&s.out);
        if (rc != 0)
            br_to_signal_free(out);
        return rc;
    }
}

char *br_conv_strip_reply_fallback(const char *body)
{
    const char *p = body;

    if (!body)
        return NULL;
    if (strncmp(p, "> ", 2) != 0 && strcmp(p, ">") != 0)
        return strdup(body);
    /* mautrix-go event.StripReplyFallback: drop leading "> " lines and the
     * blank line that ends the fallback */
    while (*p == '>') {
        const char *nl = strchr(p, '\n');
        if (!nl)
            return strdup("");
        p = nl + 1;
    }
    if (*p == '\n')
        p++;
    return strdup(p);
}

int br_conv_to_signal(const char *body, const char *html, int is_reply,
                      br_pill_lookup lookup, void *ud, br_to_signal *out)
{
    memset(out, 0, sizeof(*out));
    if (html)
        return br_conv_html_to_signal(html, strlen(html), lookup, ud, out);
    if (!body)
        return UT_ERR_INVAL;
    out->text = is_reply ? br_conv_strip_reply_fallback(body) : strdup(body);
    return out->text ? 0 : UT_ERR_NOMEM;
}

/* One decimal number of a geo URI: [-]digits[.digits], at most 32 bytes. */
static size_t geo_number(const char *p)
{
    size_t i = 0, digits = 0;

    if (p[i] == '-')
        i++;
    while (isdigit((unsigned char)p[i])) {
        i++;
        digits++;
    }
    if (p[i] == '.') {
        i++;
        while (isdigit((unsigned char)p[i]))
            i++;
    }
    return digits && i <= 32 ? i : 0;
}

int br_conv_geo_url(const char *geo_uri, char *out, size_t n)
{
    const char *lat, *lon;
    size_t la, lo;
    int w;

    if (!geo_uri || strncmp(geo_uri, "geo:", 4) != 0)
        return UT_ERR_INVAL;
    lat = geo_uri + 4;
    if (!(la = geo_number(lat)) || lat[la] != ',')
        return UT_ERR_INVAL;
    lon = lat + la + 1;
    if (!(lo = geo_number(lon)) || (lon[lo] && lon[lo] != ',' && lon[lo] != ';'))
        return UT_ERR_INVAL;
    w = snprintf(out, n, "https://www.google.com/maps/place/%.*s,%.*s", (int)la, lat, (int)lo, lon);
    return w < 0 || (size_t)w >= n ? UT_ERR_RANGE : 0;
}
