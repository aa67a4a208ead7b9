/*
 * br_conv_from_signal.c - Signal body + body ranges -> Matrix body,
 * formatted_body and m.mentions (br_conv.h). Pure.
 *
 * As mautrix-signal pkg/signalfmt (convert.go, tree.go): offsets are UTF-16
 * code units, ranges may nest and overlap, a mention replaces its U+FFFC
 * placeholder by a pill; BOLD <strong>, ITALIC <em>, STRIKETHROUGH <del>,
 * MONOSPACE <code> (<pre><code> when it spans lines), SPOILER
 * <span data-mx-spoiler> (the Matrix spec's spoiler). Overlapping ranges
 * are emitted as properly nested tags by closing and reopening.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "br_conv.h"
#include "ut.h"

#define CONV_MAX (1u << 20)  /* output cap: bodies are far smaller */

typedef struct cp {
    uint32_t off16;   /* UTF-16 offset of this code point */
    uint32_t byte;    /* byte offset in the text */
    uint8_t nbytes;
    uint8_t w16;      /* 1 or 2 UTF-16 units */
    uint8_t mask;     /* 1 << style */
    int mention;      /* index into ranges + 1, 0 none */
} cp;

/* Decode one UTF-8 sequence; invalid bytes count as one U+FFFD. */
uint32_t br_conv_utf8_next(const unsigned char *s, size_t n, size_t *used)
{
    uint32_t c = s[0];
    size_t k, i;

    if (c < 0x80) {
        *used = 1;
        return c;
    }
    k = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (k == 0 || k > n) {
        *used = 1;
        return 0xFFFD;
    }
    c &= 0x7F >> k;
    for (i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *used = 1;
            return 0xFFFD;
        }
        c = (c << 6) | (s[i] & 0x3F);
    }
    *used = k;
    if ((k == 2 && c < 0x80) || (k == 3 && c < 0x800) || (k == 4 && c < 0x10000) ||
        c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
        *used = 1;
        return 0xFFFD;
    }
    return c;
}

size_t br_conv_utf16_len(const char *s, size_t n)
{
    size_t i = 0, u = 0, k;

    while (i < n) {
        uint32_t c = br_conv_utf8_next((const unsigned char *)s + i, n - i, &k);
        u += c >= 0x10000 ? 2 : 1;
        i += k;
    }
    return u;
}

static int esc(ut_buf *b, const char *s, size_t n, int in_pre)
{
    size_t i;
    int rc = 0;

    for (i = 0; i < n && rc == 0; i++) {
        switch (s[i]) {
        case '&': rc = ut_buf_append_str(b, "&amp;"); break;
        case '<': rc = ut_buf_append_str(b, "&lt;"); break;
        case '>': rc = ut_buf_append_str(b, "&gt;"); break;
        case '"': rc = ut_buf_append_str(b, "&quot;"); break;
        case '\'': rc = ut_buf_append_str(b, "&#39;"); break;
        case '\n': rc = ut_buf_append_str(b, in_pre ? "\n" : "<br>"); break;
        default: rc = ut_buf_append(b, s + i, 1);
        }
    }
    return rc;
}

static const char *open_tag(int style, int pre)
{
    switch (style) {
    case BR_STYLE_BOLD: return "<strong>";
    case BR_STYLE_ITALIC: return "<em>";
    case BR_STYLE_STRIKE: return "<del>";
    case BR_STYLE_SPOILER: return "<span data-mx-spoiler>";
    case BR_STYLE_MONO: return pre ? "<pre><code>" : "<code>";
    }
    return "";
}

static const char *close_tag(int style, int pre)
{
    switch (style) {
    case BR_STYLE_BOLD: return "</strong>";
    case BR_STYLE_ITALIC: return "</em>";
    case BR_STYLE_STRIKE: return "</del>";
    case BR_STYLE_SPOILER: return "</span>";
    case BR_STYLE_MONO: return pre ? "</code></pre>" : "</code>";
    }
    return "";
}

static int add_mention(br_from_signal *o, const char *mxid)
{
    size_t i;
    char **m;

    for (i = 0; i < o->n_mentions; i++)
        if (strcmp(o->mentions[i], mxid) == 0)
            return 0;
    if (!(m = realloc(o->mentions, (o->n_mentions + 1) * sizeof(*m))))
        return UT_ERR_NOMEM;
    o->mentions = m;
    if (!(m[o->n_mentions] = strdup(mxid)))
        return UT_ERR_NOMEM;
    o->n_mentions++;
    return 0;
}

void br_from_signal_free(br_from_signal *o)
{
    size_t i;

    if (!o)
        return;
    free(o->body);
    free(o->html);
    for (i = 0; i < o->n_mentions; i++)
        free(o->mentions[i]);
    free(o->mentions);
    memset(o, 0, sizeof(*o));
}

/* Map code points to styles and mentions. */
static void mark(cp *cps, size_t ncp, const br_range *r, size_t n, int *any)
{
    size_t i, k;

    for (k = 0; k < n; k++) {
        uint64_t s = r[k].start, e = s + r[k].len;
        int is_mention = r[k].aci[0] != '\0';
        if (r[k].len == 0 || (!is_mention && (r[k].style < 1 || r[k].style > 5)))
            continue; /* unknown styles are ignored, like Signal-Desktop */
        for (i = 0; i < ncp; i++) {
            if (cps[i].off16 + cps[i].w16 <= s || cps[i].off16 >= e)
                continue;
            *any = 1;
            if (is_mention) {
                if (!cps[i].mention)
                    cps[i].mention = (int)k + 1;
            } else {
                cps[i].mask |= (uint8_t)(1u << r[k].style);
            }
        }
    }
}

int br_conv_from_signal(const char *text, const br_range *ranges, size_t n,
                        br_mention_lookup lookup, void *ud, br_from_signal *out)
{
    size_t len, ncp = 0, i, k, depth = 0;
    cp *cps = NULL;
    ut_buf body, html;
    int stack[6], pre[6], any = 0, rc = 0;
    uint32_t off16 = 0;
    static const int order[] = { BR_STYLE_BOLD, BR_STYLE_ITALIC, BR_STYLE_STRIKE,
                                 BR_STYLE_SPOILER, BR_STYLE_MONO };

    memset(out, 0, sizeof(*out));
    if (!text || (n && !ranges))
        return UT_ERR_INVAL;
    len = strlen(text);
    if (len >= CONV_MAX)
        return UT_ERR_RANGE;
    ut_buf_init(&body, CONV_MAX);
    ut_buf_init(&html, CONV_MAX * 4);
    if (!(cps = calloc(len + 1, sizeof(*cps))))
        return UT_ERR_NOMEM;
    for (i = 0; i < len; ncp++) {
        size_t used;
        uint32_t c = br_conv_utf8_next((const unsigned char *)text + i, len - i, &used);
        cps[ncp].off16 = off16;
        cps[ncp].byte = (uint32_t)i;
        cps[ncp].nbytes = (uint8_t)used;
        cps[ncp].w16 = c >= 0x10000 ? 2 : 1;
        off16 += cps[ncp].w16;
        i += used;
    }
    mark(cps, ncp, ranges, n, &any);

    for (i = 0; i < ncp && rc == 0;) {
        uint8_t want = cps[i].mask;
        size_t j;
        int mention = cps[i].mention;

        /* close from the first open style that is no longer wanted */
        for (j = 0; j < depth && (want & (1u << stack[j])); j++)
            ;
        while (depth > j && rc == 0) {
            depth--;
            rc = ut_buf_append_str(&html, close_tag(stack[depth], pre[depth]));
        }
        for (k = 0; k < sizeof(order) / sizeof(order[0]) && rc == 0; k++) {
            int st = order[k], open = 0;
            for (j = 0; j < depth; j++)
                open |= stack[j] == st;
            if (!(want & (1u << st)) || open)
                continue;
            pre[depth] = 0;
            if (st == BR_STYLE_MONO) /* a block when the run spans lines */
                for (j = i; j < ncp && (cps[j].mask & (1u << st)); j++)
                    if (text[cps[j].byte] == '\n')
                        pre[depth] = 1;
            stack[depth] = st;
            rc = ut_buf_append_str(&html, open_tag(st, pre[depth]));
            depth++;
        }
        if (rc != 0)
            break;
        if (mention) {
            const br_range *m = &ranges[mention - 1];
            char *mxid = NULL, *name = NULL, fallback[16];
            const char *shown;
            if (!lookup || lookup(ud, m->aci, &mxid, &name) != 0 || !mxid) {
                free(mxid);
                free(name);
                mxid = name = NULL;
            }
            snprintf(fallback, sizeof(fallback), "@%.8s", m->aci);
            shown = name && *name ? name : fallback;
            if (mxid) {
                rc = ut_buf_append_str(&html, "<a href=\"https://matrix.to/#/");
                if (rc == 0)
                    rc = esc(&html, mxid, strlen(mxid), 1);
                if (rc == 0)
                    rc = ut_buf_append_str(&html, "\">");
                if (rc == 0)
                    rc = esc(&html, shown, strlen(shown), 0);
                if (rc == 0)
                    rc = ut_buf_append_str(&html, "</a>");
                if (rc == 0)
                    rc = add_mention(out, mxid);
            } else {
                rc = esc(&html, shown, strlen(shown), 0);
            }
            if (rc == 0)
                rc = ut_buf_append_str(&body, shown);
            free(mxid);
            free(name);
            /* the whole placeholder span is the pill */
            for (i++; i < ncp && cps[i].mention == mention; i++)
                ;
            continue;
        }
        {
            int in_pre = 0;
            for (j = 0; j < depth; j++)
                in_pre |= pre[j];
            /* a stray U+FFFC (EF BF BC) without its mention never shows */
            if (!(cps[i].nbytes == 3 && memcmp(text + cps[i].byte, "\xEF\xBF\xBC", 3) == 0)) {
                rc = esc(&html, text + cps[i].byte, cps[i].nbytes, in_pre);
                if (rc == 0)
                    rc = ut_buf_append(&body, text + cps[i].byte, cps[i].nbytes);
            }
        }
        i++;
    }
    while (depth > 0 && rc == 0) {
        depth--;
        rc = ut_buf_append_str(&html, close_tag(stack[depth], pre[depth]));
    }
    free(cps);
    if (rc == 0)
        rc = ut_buf_nul(&body);
    if (rc == 0 && any)
        rc = ut_buf_nul(&html);
    if (rc == 0) {
        size_t l;
        if (body.len == 0 && !body.data) /* empty text: "" */
            out->body = strdup("");
        else
            out->body = (char *)ut_buf_take(&body, &l);
        if (any)
            out->html = (char *)ut_buf_take(&html, &l);
        if (!out->body || (any && !out->html))
            rc = UT_ERR_NOMEM;
    }
    ut_buf_free(&body);
    ut_buf_free(&html);
    if (rc != 0)
        br_from_signal_free(out);
    return rc;
}

char *br_conv_html_escape(const char *s)
{
    ut_buf b;
    size_t l;
    char *out = NULL;

    if (!s)
        return NULL;
    ut_buf_init(&b, CONV_MAX * 6);
    if (ut_buf_append(&b, "", 0) == 0 && esc(&b, s, strlen(s), 0) == 0 && ut_buf_nul(&b) == 0)
        out = (char *)ut_buf_take(&b, &l);
    ut_buf_free(&b);
    return out;
}

/* ---- locations ------------------------------------------------------------ */

/* The map link Signal's apps put in a location message's body: Signal-
 * Android components/location/SignalPlace.java getDescription ("https://
 * maps.google.com/maps" + appendQueryParameter("q", "LAT,LON"), so the
 * comma is "%2C"), Signal-iOS LocationPicker.swift Location.urlString
 * ("...maps?q=LAT%2CLON"). */
#define SIGNAL_MAP_URL "https://maps.google.com/maps?q="

/* One coordinate as Java's Double.toString or Swift's description prints
 * it: -?D+(.D+)?([eE]-?D+)?. Its length, 0 when it is not one. */
static size_t coord_len(const char *s, const char *end)
{
    const char *p = s;

    if (p < end && *p == '-')
        p++;
    if (p >= end || *p < '0' || *p > '9')
        return 0;
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    if (p < end && *p == '.') {
        if (++p >= end || *p < '0' || *p > '9')
            return 0;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        if (++p < end && *p == '-')
            p++;
        if (p >= end || *p < '0' || *p > '9')
            return 0;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    return (size_t)(p - s);
}

/* A coordinate for a geo URI (RFC 5870: no exponent): as sent when it is
 * plain decimal, else printed again; -1 when out of [-max, max]. */
static int coord_put(const char *s, size_t n, double max, char *out, size_t on)
{
    char tmp[64], *e;
    double v;
    int w;

    if (n >= sizeof(tmp))
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    v = strtod(tmp, &e);
    if (*e || !(v >= -max && v <= max))
        return -1;
    if (!memchr(tmp, 'e', n) && !memchr(tmp, 'E', n))
        w = snprintf(out, on, "%s", tmp);
    else {
        size_t l;
        w = snprintf(out, on, "%.9f", v);
        /* 1.0E-4 -> 0.000100000 -> 0.0001 */
        for (l = w > 0 && (size_t)w < on ? (size_t)w : 0; l > 1 && out[l - 1] == '0'; l--)
            out[l - 1] = '\0';
        if (l > 1 && out[l - 1] == '.')
            out[l - 1] = '\0';
    }
    return w < 0 || (size_t)w >= on ? -1 : 0;
}

int br_conv_signal_location(const char *body, char *geo, size_t n)
{
    const char *line = body, *end, *p, *lat, *lon;
    size_t ul = strlen(SIGNAL_MAP_URL), la, lo;
    char a[64], b[64];
    int w;

    if (!body || !geo || n == 0)
        return 0;
    for (; line && *line; line = *end ? end + 1 : NULL) {
        end = strchr(line, '\n');
        if (!end)
            end = line + strlen(line);
        if ((size_t)(end - line) <= ul || strncmp(line, SIGNAL_MAP_URL, ul) != 0)
            continue;
        /* the link is the last line, or Android's "\n\n" + caption follows
         * (OutgoingMessage.kt buildMessage) */
        if (*end && strncmp(end, "\n\n", 2) != 0)
            continue;
        lat = line + ul;
        if (!(la = coord_len(lat, end)))
            continue;
        p = lat + la;
        if (end - p > 3 && p[0] == '%' && p[1] == '2' && (p[2] == 'C' || p[2] == 'c'))
            p += 3;
        else if (p < end && *p == ',')
            p++;
        else
            continue;
        lon = p;
        if (!(lo = coord_len(lon, end)) || lon + lo != end)
            continue;
        if (coord_put(lat, la, 90, a, sizeof(a)) != 0 || coord_put(lon, lo, 180, b, sizeof(b)) != 0)
            continue;
        w = snprintf(geo, n, "geo:%s,%s", a, b);
        return w > 0 && (size_t)w < n;
    }
    return 0;
}
