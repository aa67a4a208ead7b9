/*
 * br_vcard.c - Signal contact cards as vCards and back (br_vcard.h).
 *
 * Format: RFC 6350 (vCard 4.0) section 3 (lines, folding, parameters,
 * escapes), RFC 2426 (3.0) and the vCard 2.1 spec's bare type parameters
 * and QUOTED-PRINTABLE values, which Android's contact export still writes.
 * Debian has no well-kept C vCard library: libvc 012 (rolo) and libvformat
 * 1.13 are unmaintained SourceForge projects, libbelcard is C++ (linphone),
 * libical 3.0 has no vCard; hence this small strict parser, fuzzed by
 * tests/fuzz/fuzz_br_vcard.c.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "br_vcard.h"
#include "ut.h"

#define MAX_LINES 65536 /* physical lines: a folded PHOTO takes thousands */
#define MAX_VALUE 4096  /* one value the card keeps */
#define MAX_PARAMS 16

/* ---- shared ---------------------------------------------------------------- */

static void item_free(br_vcard_item *it)
{
    free(it->value);
    free(it->label);
}

static void addr_free(br_vcard_addr *a)
{
    free(a->label);
    free(a->street);
    free(a->pobox);
    free(a->neighborhood);
    free(a->city);
    free(a->region);
    free(a->postcode);
    free(a->country);
}

void br_vcard_clear(br_vcard *v)
{
    size_t i;

    if (!v)
        return;
    free(v->given);
    free(v->family);
    free(v->prefix);
    free(v->suffix);
    free(v->middle);
    free(v->nickname);
    free(v->org);
    for (i = 0; i < v->n_tels; i++)
        item_free(&v->tels[i]);
    for (i = 0; i < v->n_emails; i++)
        item_free(&v->emails[i]);
    for (i = 0; i < v->n_addrs; i++)
        addr_free(&v->addrs[i]);
    free(v->tels);
    free(v->emails);
    free(v->addrs);
    memset(v, 0, sizeof(*v));
}

static int set(const char *s)
{
    return s && *s;
}

void br_vcard_display_name(const br_vcard *v, char *out, size_t n)
{
    /* mautrix-signal from-signal.go convertContactToMatrix */
    if (set(v->nickname))
        snprintf(out, n, "%s", v->nickname);
    else if (set(v->given) || set(v->family))
        snprintf(out, n, "%s%s%s", set(v->given) ? v->given : "",
                 set(v->given) && set(v->family) ? " " : "", set(v->family) ? v->family : "");
    else
        snprintf(out, n, "contact");
}

/* ---- writing ----------------------------------------------------------------- */

/* A text value with RFC 6350 3.4 escapes (\\ \, \; \n). */
static int put_text(ut_buf *b, const char *s)
{
    int rc = 0;

    for (; s && *s && rc == 0; s++) {
        switch (*s) {
        case '\\': rc = ut_buf_append_str(b, "\\\\"); break;
        case ',': rc = ut_buf_append_str(b, "\\,"); break;
        case ';': rc = ut_buf_append_str(b, "\\;"); break;
        case '\n': rc = ut_buf_append_str(b, "\\n"); break;
        case '\r': break;
        default: rc = ut_buf_append(b, s, 1);
        }
    }
    return rc;
}

/* A parameter value: quoted when it holds : ; or , (RFC 6350 3.3);
 * DQUOTE and controls cannot be said there and are dropped. */
static int put_param(ut_buf *b, const char *name, const char *v)
{
    int q = strpbrk(v, ":;,") != NULL, rc;
    const char *p;

    rc = ut_buf_printf(b, ";%s=%s", name, q ? "\"" : "");
    for (p = v; *p && rc == 0; p++)
        if (*p != '"' && (unsigned char)*p >= 0x20 && *p != 0x7f)
            rc = ut_buf_append(b, p, 1);
    if (rc == 0 && q)
        rc = ut_buf_append_str(b, "\"");
    return rc;
}

/* End a content line, folding it at 75 octets (RFC 6350 3.2) without
 * splitting a UTF-8 sequence. The line is line[0..len). */
static int put_line(ut_buf *out, const uint8_t *line, size_t len)
{
    size_t i = 0, w = 75;
    int rc = 0;

    while (rc == 0 && len - i > w) {
        size_t cut = i + w;
        while (cut > i + 1 && (line[cut] & 0xC0) == 0x80)
            cut--;
        rc = ut_buf_append(out, line + i, cut - i);
        if (rc == 0)
            rc = ut_buf_append_str(out, "\r\n ");
        i = cut;
        w = 74; /* the leading space counts */
    }
    if (rc == 0)
        rc = ut_buf_append(out, line + i, len - i);
    if (rc == 0)
        rc = ut_buf_append_str(out, "\r\n");
    return rc;
}

/* The property in l is complete: out gets it as a folded line. */
static int line_done(ut_buf *out, ut_buf *l, int rc)
{
    if (rc == 0)
        rc = ut_buf_nul(l);
    if (rc == 0)
        rc = put_line(out, l->data, l->len);
    ut_buf_reset(l);
    return rc;
}

static const char *item_type(int t)
{
    switch (t) {
    case BR_VC_MOBILE: return "mobile";
    case BR_VC_WORK: return "work";
    case BR_VC_CUSTOM: return "custom";
    default: return "home"; /* the proto's first value: what Go's getter gives */
    }
}

static const char *addr_type(int t)
{
    switch (t) {
    case BR_VC_ADR_WORK: return "work";
    case BR_VC_ADR_CUSTOM: return "custom";
    default: return "home";
    }
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int put_b64(ut_buf *b, const uint8_t *d, size_t n)
{
    size_t i;
    int rc = 0;

    for (i = 0; i + 2 < n && rc == 0; i += 3) {
        char q[4] = { B64[d[i] >> 2], B64[((d[i] & 3) << 4) | (d[i + 1] >> 4)],
                      B64[((d[i + 1] & 15) << 2) | (d[i + 2] >> 6)], B64[d[i + 2] & 63] };
        rc = ut_buf_append(b, q, 4);
    }
    if (rc == 0 && n - i == 1) {
        char q[4] = { B64[d[i] >> 2], B64[(d[i] & 3) << 4], '=', '=' };
        rc = ut_buf_append(b, q, 4);
    } else if (rc == 0 && n - i == 2) {
        char q[4] = { B64[d[i] >> 2], B64[((d[i] & 3) << 4) | (d[i + 1] >> 4)],
                      B64[(d[i + 1] & 15) << 2], '=' };
        rc = ut_buf_append(b, q, 4);
    }
    return rc;
}

char *br_vcard_write(const br_vcard *v, size_t *len)
{
    ut_buf out, l;
    size_t i;
    int rc = 0;
    char name[256];
    char *res = NULL;

    ut_buf_init(&out, BR_VCARD_MAX_BYTES * 2);
    ut_buf_init(&l, BR_VCARD_MAX_BYTES * 2);
    rc = ut_buf_append_str(&out, "BEGIN:VCARD\r\nVERSION:4.0\r\n");
    /* the fields in the order go-vcard's encoder sorts them (mautrix) */
    for (i = 0; i < v->n_addrs && rc == 0; i++) {
        const br_vcard_addr *a = &v->addrs[i];
        rc = ut_buf_append_str(&l, "ADR");
        if (rc == 0 && set(a->label))
            rc = put_param(&l, "LABEL", a->label);
        if (rc == 0)
            rc = put_param(&l, "TYPE", addr_type(a->type));
        if (rc == 0)
            rc = ut_buf_append_str(&l, ":");
        /* pobox;extended;street;city;region;postcode;country */
        if (rc == 0) rc = put_text(&l, a->pobox);
        if (rc == 0) rc = ut_buf_append_str(&l, ";;");
        if (rc == 0) rc = put_text(&l, a->street);
        if (rc == 0) rc = ut_buf_append_str(&l, ";");
        if (rc == 0) rc = put_text(&l, a->city);
        if (rc == 0) rc = ut_buf_append_str(&l, ";");
        if (rc == 0) rc = put_text(&l, a->region);
        if (rc == 0) rc = ut_buf_append_str(&l, ";");
        if (rc == 0) rc = put_text(&l, a->postcode);
        if (rc == 0) rc = ut_buf_append_str(&l, ";");
        if (rc == 0) rc = put_text(&l, a->country);
        rc = line_done(&out, &l, rc);
    }
    for (i = 0; i < v->n_emails && rc == 0; i++) {
        rc = ut_buf_append_str(&l, "EMAIL");
        if (rc == 0 && set(v->emails[i].label))
            rc = put_param(&l, "LABEL", v->emails[i].label);
        if (rc == 0)
            rc = put_param(&l, "TYPE", item_type(v->emails[i].type));
        if (rc == 0)
            rc = ut_buf_append_str(&l, ":");
        if (rc == 0)
            rc = put_text(&l, v->emails[i].value);
        rc = line_done(&out, &l, rc);
    }
    br_vcard_display_name(v, name, sizeof(name));
    if (rc == 0) {
        rc = ut_buf_append_str(&l, "FN:");
        if (rc == 0)
            rc = put_text(&l, name);
        rc = line_done(&out, &l, rc);
    }
    if (rc == 0 && (set(v->family) || set(v->given))) {
        /* family;given;additional;prefix;suffix */
        rc = ut_buf_append_str(&l, "N:");
        if (rc == 0) rc = put_text(&l, v->family);
        if (rc == 0) rc = ut_buf_append_str(&l, ";");
        if (rc == 0) rc = put_text(&l, v->given);
        if (rc == 0) rc = ut_buf_append_str(&l, ";");
        if (rc == 0) rc = put_text(&l, v->middle);
        if (rc == 0) rc = ut_buf_append_str(&l, ";");
        if (rc == 0) rc = put_text(&l, v->prefix);
        if (rc == 0) rc = ut_buf_append_str(&l, ";");
        if (rc == 0) rc = put_text(&l, v->suffix);
        rc = line_done(&out, &l, rc);
    }
    if (rc == 0 && set(v->nickname)) {
        rc = ut_buf_append_str(&l, "NICKNAME:");
        if (rc == 0)
            rc = put_text(&l, v->nickname);
        rc = line_done(&out, &l, rc);
    }
    if (rc == 0 && set(v->org)) {
        rc = ut_buf_append_str(&l, "ORG:");
        if (rc == 0)
            rc = put_text(&l, v->org);
        rc = line_done(&out, &l, rc);
    }
    if (rc == 0 && v->photo && v->photo_len) {
        rc = ut_buf_printf(&l, "PHOTO:data:%s;base64,",
                           v->photo_type && *v->photo_type && !strpbrk(v->photo_type, ";,\r\n")
                               ? v->photo_type : "application/octet-stream");
        if (rc == 0)
            rc = put_b64(&l, v->photo, v->photo_len);
        rc = line_done(&out, &l, rc);
    }
    for (i = 0; i < v->n_tels && rc == 0; i++) {
        rc = ut_buf_append_str(&l, "TEL");
        if (rc == 0 && set(v->tels[i].label))
            rc = put_param(&l, "LABEL", v->tels[i].label);
        if (rc == 0)
            rc = put_param(&l, "TYPE", item_type(v->tels[i].type));
        if (rc == 0)
            rc = ut_buf_append_str(&l, ":");
        if (rc == 0)
            rc = put_text(&l, v->tels[i].value);
        rc = line_done(&out, &l, rc);
    }
    if (rc == 0)
        rc = ut_buf_append_str(&out, "END:VCARD\r\n");
    if (rc == 0)
        rc = ut_buf_nul(&out);
    if (rc == 0)
        res = (char *)ut_buf_take(&out, len);
    ut_buf_free(&out);
    ut_buf_free(&l);
    return res;
}

/* ---- reading ------------------------------------------------------------------- */

typedef struct param {
    const char *name, *value; /* views; value NULL for a bare 2.1 type */
    size_t nlen, vlen;
} param;

typedef struct prop {
    const char *name;
    size_t nlen;
    param p[MAX_PARAMS];
    size_t np;
    char *value; /* decoded (QUOTED-PRINTABLE), malloc'd */
    size_t vlen;
} prop;

static int ieq(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

static int utf8_ok(const char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t k = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
                 : (c & 0xF8) == 0xF0 ? 4 : 0;
        uint32_t cp;
        size_t j;

        if (!k || k > n - i || (c < 0x20 && c != '\t' && c != '\n'))
            return 0;
        cp = k == 1 ? c : (uint32_t)(c & (0x7F >> k));
        for (j = 1; j < k; j++) {
            if (((unsigned char)s[i + j] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | ((unsigned char)s[i + j] & 0x3F);
        }
        if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0x7F)
            return 0;
        i += k;
    }
    return 1;
}

static int hexv(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10
         : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Does a parameter say this (ENCODING=QUOTED-PRINTABLE, or a bare 2.1
 * QUOTED-PRINTABLE)? */
static int has_param(const prop *pr, const char *name, const char *value)
{
    size_t i;

    for (i = 0; i < pr->np; i++) {
        const param *p = &pr->p[i];
        if (p->value ? ieq(p->name, p->nlen, name) && ieq(p->value, p->vlen, value)
                     : ieq(p->name, p->nlen, value))
            return 1;
    }
    return 0;
}

/* Split "[group.]NAME;params:value" (one unfolded line). */
static int parse_line(const char *s, size_t n, prop *pr)
{
    const char *p = s, *e = s + n, *colon, *dot = NULL;
    int q = 0;

    memset(pr, 0, sizeof(*pr));
    /* the first ':' outside a quoted parameter value ends the name part */
    for (colon = s; colon < e && (q || *colon != ':'); colon++)
        if (*colon == '"')
            q = !q;
    if (colon >= e)
        return UT_ERR_INVAL;
    for (; p < colon && (isalnum((unsigned char)*p) || *p == '-' || *p == '.'); p++)
        if (*p == '.')
            dot = p;
    if (dot) { /* a group prefix ("item1.TEL") */
        s = dot + 1;
    }
    pr->name = s;
    pr->nlen = (size_t)(p - s);
    if (pr->nlen == 0 || (p < colon && *p != ';'))
        return UT_ERR_INVAL;
    while (p < colon) { /* ;name=value[,value] or ;bare */
        param *pa;
        const char *st = ++p;
        if (pr->np == MAX_PARAMS)
            return UT_ERR_INVAL;
        pa = &pr->p[pr->np++];
        while (p < colon && *p != '=' && *p != ';')
            p++;
        pa->name = st;
        pa->nlen = (size_t)(p - st);
        if (!pa->nlen)
            return UT_ERR_INVAL;
        if (p < colon && *p == '=') {
            st = ++p;
            if (p < colon && *p == '"') {
                st = ++p;
                while (p < colon && *p != '"')
                    p++;
                if (p >= colon)
                    return UT_ERR_INVAL;
                pa->value = st;
                pa->vlen = (size_t)(p - st);
                p++;
                if (p < colon && *p != ';')
                    return UT_ERR_INVAL;
            } else {
                while (p < colon && *p != ';')
                    p++;
                pa->value = st;
                pa->vlen = (size_t)(p - st);
            }
        }
    }
    /* the value, QUOTED-PRINTABLE decoded (vCard 2.1) */
    {
        const char *v = colon + 1;
        size_t vl = (size_t)(e - v), i, o = 0;
        int qp = has_param(pr, "ENCODING", "QUOTED-PRINTABLE");

        if (vl > BR_VCARD_MAX_BYTES)
            return UT_ERR_INVAL;
        if (!(pr->value = malloc(vl + 1)))
            return UT_ERR_NOMEM;
        for (i = 0; i < vl; i++) {
            if (qp && v[i] == '=') {
                int h, l2;
                if (i + 2 < vl && (h = hexv(v[i + 1])) >= 0 && (l2 = hexv(v[i + 2])) >= 0) {
                    pr->value[o++] = (char)(h * 16 + l2);
                    i += 2;
                    continue;
                }
                if (i + 1 == vl)
                    continue; /* a soft line break left at the very end */
                free(pr->value);
                pr->value = NULL;
                return UT_ERR_INVAL;
            }
            pr->value[o++] = v[i];
        }
        pr->value[o] = '\0';
        pr->vlen = o;
    }
    return 0;
}

/* Component k (0-based) of a structured value, split on unescaped ';',
 * with escapes undone; NULL when empty. *rc set on NOMEM/INVAL. */
static char *component(const char *v, size_t n, int k, int first_of_list, int *rc)
{
    size_t i = 0, o = 0;
    int at = 0;
    char *out;

    if (!(out = malloc(n + 1))) {
        *rc = UT_ERR_NOMEM;
        return NULL;
    }
    for (i = 0; i < n; i++) {
        char c = v[i];
        if (c == '\\' && i + 1 < n) {
            char d = v[++i];
            if (at == k)
                out[o++] = d == 'n' || d == 'N' ? '\n' : d;
            continue;
        }
        if (c == ';') {
            if (at == k)
                break;
            at++;
            continue;
        }
        if (c == ',' && first_of_list && at == k)
            break; /* "Dr.,Prof.": the first (VCardUtil takes get(0)) */
        if (at == k)
            out[o++] = c;
    }
    out[o] = '\0';
    /* trim: values are names and numbers */
    while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '\t'))
        out[--o] = '\0';
    {
        size_t lead = 0;
        while (out[lead] == ' ' || out[lead] == '\t')
            lead++;
        if (lead)
            memmove(out, out + lead, o - lead + 1);
        o -= lead;
    }
    if (o == 0) {
        free(out);
        return NULL;
    }
    if (!utf8_ok(out, o)) {
        free(out);
        *rc = UT_ERR_INVAL;
        return NULL;
    }
    return out;
}

/* The types a property lists (TYPE=a,b; 2.1 bare types), for a phone,
 * email or address, mapped as Signal-Android's VCardUtil does; LABEL, when
 * given, is the label. */
static int item_kind(const prop *pr, int is_addr, char **label, int *rc)
{
    size_t i;
    const char *first = NULL;
    size_t flen = 0;

    *label = NULL;
    for (i = 0; i < pr->np; i++) {
        const param *p = &pr->p[i];
        const char *v, *e;
        if (p->value && ieq(p->name, p->nlen, "LABEL") && p->vlen && !*label) {
            if (!(*label = strndup(p->value, p->vlen)))
                *rc = UT_ERR_NOMEM;
            else if (!utf8_ok(*label, p->vlen)) {
                free(*label);
                *label = NULL;
                *rc = UT_ERR_INVAL;
            }
            continue;
        }
        if (p->value && !ieq(p->name, p->nlen, "TYPE"))
            continue;
        v = p->value ? p->value : p->name;
        e = v + (p->value ? p->vlen : p->nlen);
        while (v < e) { /* each listed type */
            const char *t = v;
            size_t tl;
            while (v < e && *v != ',')
                v++;
            tl = (size_t)(v - t);
            if (v < e)
                v++;
            if (!p->value && (ieq(t, tl, "QUOTED-PRINTABLE") || ieq(t, tl, "BASE64")))
                continue;
            if (ieq(t, tl, "home"))
                return is_addr ? BR_VC_ADR_HOME : BR_VC_HOME;
            if (ieq(t, tl, "work"))
                return is_addr ? BR_VC_ADR_WORK : BR_VC_WORK;
            if (!is_addr && (ieq(t, tl, "cell") || ieq(t, tl, "mobile")))
                return BR_VC_MOBILE;
            if (!first && !ieq(t, tl, "pref") && !ieq(t, tl, "voice") &&
                !ieq(t, tl, "internet") && !ieq(t, tl, "custom")) {
                first = t;
                flen = tl;
            }
        }
    }
    if (first && !*label && *rc == 0) {
        if (flen > 2 && strncasecmp(first, "x-", 2) == 0) {
            first += 2;
            flen -= 2;
        }
        if (!(*label = strndup(first, flen)))
            *rc = UT_ERR_NOMEM;
        else if (!utf8_ok(*label, flen)) {
            free(*label);
            *label = NULL;
        }
    }
    return is_addr ? BR_VC_ADR_CUSTOM : BR_VC_CUSTOM;
}

static int add_item(br_vcard_item **arr, size_t *n, const prop *pr, int is_tel)
{
    br_vcard_item it;
    int rc = 0;
    const char *v = pr->value;
    size_t vl = pr->vlen;
    void *grown;

    if (*n >= BR_VCARD_MAX_ITEMS)
        return UT_ERR_INVAL;
    memset(&it, 0, sizeof(it));
    if (is_tel && vl > 4 && strncasecmp(v, "tel:", 4) == 0) { /* 4.0 VALUE=uri */
        v += 4;
        vl -= 4;
    }
    it.value = component(v, vl, 0, 0, &rc);
    if (rc == 0 && !it.value)
        return 0; /* an empty one is skipped */
    if (rc == 0)
        it.type = item_kind(pr, 0, &it.label, &rc);
    if (rc == 0 && !(grown = realloc(*arr, (*n + 1) * sizeof(**arr))))
        rc = UT_ERR_NOMEM;
    if (rc != 0) {
        item_free(&it);
        return rc;
    }
    *arr = grown;
    (*arr)[(*n)++] = it;
    return 0;
}

static int add_addr(br_vcard *out, const prop *pr)
{
    br_vcard_addr a;
    int rc = 0;
    void *grown;

    if (out->n_addrs >= BR_VCARD_MAX_ITEMS)
        return UT_ERR_INVAL;
    memset(&a, 0, sizeof(a));
    /* pobox;extended;street;locality;region;postal code;country */
    a.pobox = component(pr->value, pr->vlen, 0, 0, &rc);
    a.street = component(pr->value, pr->vlen, 2, 0, &rc);
    a.city = component(pr->value, pr->vlen, 3, 0, &rc);
    a.region = component(pr->value, pr->vlen, 4, 0, &rc);
    a.postcode = component(pr->value, pr->vlen, 5, 0, &rc);
    a.country = component(pr->value, pr->vlen, 6, 0, &rc);
    if (rc == 0 && !a.pobox && !a.street && !a.city && !a.region && !a.postcode && !a.country) {
        addr_free(&a);
        return 0;
    }
    if (rc == 0)
        a.type = item_kind(pr, 1, &a.label, &rc);
    if (rc == 0 && !(grown = realloc(out->addrs, (out->n_addrs + 1) * sizeof(*out->addrs))))
        rc = UT_ERR_NOMEM;
    if (rc != 0) {
        addr_free(&a);
        return rc;
    }
    out->addrs = grown;
    out->addrs[out->n_addrs++] = a;
    return 0;
}

/* Replace *dst by component k of the value, unless it is set already
 * (the first of a repeated property wins). */
static int take(char **dst, const prop *pr, int k, int first_of_list)
{
    int rc = 0;
    char *v;

    if (*dst)
        return 0;
    v = component(pr->value, pr->vlen, k, first_of_list, &rc);
    *dst = v;
    return rc;
}

static int on_prop(br_vcard *out, const prop *pr, char **fn, int *version)
{
    int rc = 0;

    static const char *const read[] = { "VERSION", "N", "FN", "NICKNAME", "ORG", "TEL", "EMAIL",
                                        "ADR" };
    size_t r;

    for (r = 0; r < sizeof(read) / sizeof(read[0]) && !ieq(pr->name, pr->nlen, read[r]); r++)
        ;
    if (r == sizeof(read) / sizeof(read[0]))
        return 0; /* PHOTO, NOTE, URL, BDAY, X-...: not part of a Signal card */
    if (pr->vlen > MAX_VALUE)
        return UT_ERR_INVAL;
    /* only UTF-8 (the 4.0 rule; 2.1/3.0 cards from phones say so) */
    {
        size_t i;
        for (i = 0; i < pr->np; i++)
            if (pr->p[i].value && ieq(pr->p[i].name, pr->p[i].nlen, "CHARSET") &&
                !ieq(pr->p[i].value, pr->p[i].vlen, "UTF-8") &&
                !ieq(pr->p[i].value, pr->p[i].vlen, "US-ASCII"))
                return UT_ERR_INVAL;
    }
    if (ieq(pr->name, pr->nlen, "VERSION")) {
        if (*version)
            return UT_ERR_INVAL;
        *version = ieq(pr->value, pr->vlen, "4.0") ? 4 : ieq(pr->value, pr->vlen, "3.0") ? 3
                 : ieq(pr->value, pr->vlen, "2.1") ? 2 : -1;
        return *version > 0 ? 0 : UT_ERR_INVAL;
    }
    if (ieq(pr->name, pr->nlen, "N")) {
        /* family;given;additional;prefixes;suffixes */
        if (out->family || out->given || out->middle || out->prefix || out->suffix)
            return 0;
        rc = take(&out->family, pr, 0, 0);
        if (rc == 0) rc = take(&out->given, pr, 1, 0);
        if (rc == 0) rc = take(&out->middle, pr, 2, 0);
        if (rc == 0) rc = take(&out->prefix, pr, 3, 1);
        if (rc == 0) rc = take(&out->suffix, pr, 4, 1);
        return rc;
    }
    if (ieq(pr->name, pr->nlen, "FN"))
        return take(fn, pr, 0, 0) == UT_ERR_NOMEM ? UT_ERR_NOMEM : 0;
    if (ieq(pr->name, pr->nlen, "NICKNAME"))
        return take(&out->nickname, pr, 0, 1);
    if (ieq(pr->name, pr->nlen, "ORG"))
        return take(&out->org, pr, 0, 0);
    if (ieq(pr->name, pr->nlen, "TEL"))
        return add_item(&out->tels, &out->n_tels, pr, 1);
    if (ieq(pr->name, pr->nlen, "EMAIL"))
        return add_item(&out->emails, &out->n_emails, pr, 0);
    if (ieq(pr->name, pr->nlen, "ADR"))
        return add_addr(out, pr);
    return 0; /* PHOTO, NOTE, URL, BDAY, X-...: not part of a Signal card */
}

/* Does the name part of a line (before its first ':') say
 * QUOTED-PRINTABLE? Only then does a trailing '=' join the next line. */
static int qp_params(const char *line, size_t ll)
{
    const char *colon = memchr(line, ':', ll);
    size_t n = colon ? (size_t)(colon - line) : 0, i, k = strlen("QUOTED-PRINTABLE");

    /* ";QUOTED-PRINTABLE" (2.1 bare) or "ENCODING=QUOTED-PRINTABLE",
     * ending the parameter: not inside another one's value (LABEL=...) */
    for (i = 1; i + k <= n; i++)
        if (strncasecmp(line + i, "QUOTED-PRINTABLE", k) == 0 &&
            (i + k == n || line[i + k] == ';') &&
            (line[i - 1] == ';' || (i >= 10 && strncasecmp(line + i - 10, ";ENCODING=", 10) == 0)))
            return 1;
    return 0;
}

int br_vcard_parse(const char *text, size_t len, br_vcard *out)
{
    char *line = NULL, *fn = NULL;
    size_t i = 0, nlines = 0, ll = 0;
    int state = 0, version = 0, rc = 0; /* 0 before BEGIN, 1 inside, 2 after END */

    memset(out, 0, sizeof(*out));
    if (!text || len == 0 || len > BR_VCARD_MAX_BYTES || memchr(text, '\0', len))
        return UT_ERR_INVAL;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) /* a UTF-8 BOM */
        i = 3;
    if (!(line = malloc(len + 1)))
        return UT_ERR_NOMEM;
    while (i < len && rc == 0) {
        /* one logical line: physical lines joined where the next starts
         * with a space or tab (folding), or where a QUOTED-PRINTABLE
         * value ends with '=' (2.1 soft line break) */
        ll = 0;
        for (;;) {
            size_t st = i;
            while (i < len && text[i] != '\r' && text[i] != '\n')
                i++;
            memcpy(line + ll, text + st, i - st);
            ll += i - st;
            if (i < len && text[i] == '\r')
                i++;
            if (i < len && text[i] == '\n')
                i++;
            if (++nlines > MAX_LINES) {
                rc = UT_ERR_INVAL;
                break;
            }
            if (i < len && (text[i] == ' ' || text[i] == '\t')) {
                i++; /* RFC 6350 3.2: the CRLF and one white space go */
                continue;
            }
            line[ll] = '\0';
            if (ll > 0 && line[ll - 1] == '=' && i < len && qp_params(line, ll)) {
                ll--; /* the soft break's '=' goes */
                continue;
            }
            break;
        }
        if (rc != 0)
            break;
        line[ll] = '\0';
        if (ll == 0)
            continue;
        if (state == 0) {
            if (!ieq(line, ll, "BEGIN:VCARD"))
                rc = UT_ERR_INVAL;
            state = 1;
            continue;
        }
        if (state == 2) {
            rc = UT_ERR_INVAL; /* a second card, or trailing data */
            break;
        }
        if (ieq(line, ll, "END:VCARD")) {
            state = 2;
            continue;
        }
        if (ll >= 6 && strncasecmp(line, "BEGIN:", 6) == 0) {
            rc = UT_ERR_INVAL; /* nested (AGENT) cards are not read */
            break;
        }
        {
            prop pr;
            rc = parse_line(line, ll, &pr);
            if (rc == 0)
                rc = on_prop(out, &pr, &fn, &version);
            free(pr.value);
        }
    }
    free(line);
    if (rc == 0 && (state != 2 || version <= 0))
        rc = UT_ERR_INVAL;
    /* a name, as VCardUtil.getContactFromVcard demands: FN, else N's given
     * name, else the organization; FN alone goes in the given name */
    if (rc == 0 && !out->given && !out->family) {
        if (fn) {
            out->given = fn;
            fn = NULL;
        } else if (!out->org) {
            rc = UT_ERR_INVAL;
        }
    }
    free(fn);
    if (rc != 0)
        br_vcard_clear(out);
    return rc;
}
