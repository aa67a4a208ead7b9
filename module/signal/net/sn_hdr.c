/* sn_hdr.c - owned header lists and "name:value" parsing. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sn_err.h"
#include "sn_hdr.h"
#include "ut.h"

void sn_hdrs_init(sn_hdrs *h, size_t max_bytes)
{
    memset(h, 0, sizeof(*h));
    h->max_bytes = max_bytes ? max_bytes : 64 * 1024;
}

static int bad_bytes(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (s[i] == '\0' || s[i] == '\r' || s[i] == '\n')
            return 1;
    return 0;
}

int sn_hdrs_add(sn_hdrs *h, const char *name, size_t name_len,
                const char *value, size_t value_len)
{
    char *n = NULL, *v = NULL;
    size_t i;

    if (!h || !name || (!value && value_len))
        return UT_ERR_INVAL;
    if (name_len == 0 || bad_bytes(name, name_len) || bad_bytes(value, value_len))
        return SN_ERR_HEADER;
    if (name_len + value_len > h->max_bytes - h->bytes || h->bytes > h->max_bytes)
        return SN_ERR_TOO_BIG;
    if (h->n == h->cap) {
        size_t nc = h->cap ? h->cap * 2 : 8;
        sn_hdr *nv = realloc(h->v, nc * sizeof(*nv));
        if (!nv)
            return UT_ERR_NOMEM;
        h->v = nv;
        h->cap = nc;
    }
    n = malloc(name_len + 1);
    v = malloc(value_len + 1);
    if (!n || !v) {
        free(n);
        free(v);
        return UT_ERR_NOMEM;
    }
    for (i = 0; i < name_len; i++) {
        char c = name[i];
        n[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    n[name_len] = '\0';
    if (value_len)
        memcpy(v, value, value_len);
    v[value_len] = '\0';
    h->v[h->n].name = n;
    h->v[h->n].value = v;
    h->n++;
    h->bytes += name_len + value_len;
    return 0;
}

const char *sn_hdrs_get(const sn_hdrs *h, const char *name)
{
    size_t i;

    if (!h || !name)
        return NULL;
    for (i = 0; i < h->n; i++)
        if (strcasecmp(h->v[i].name, name) == 0)
            return h->v[i].value;
    return NULL;
}

void sn_hdrs_free(sn_hdrs *h)
{
    size_t i;

    if (!h)
        return;
    for (i = 0; i < h->n; i++) {
        free((char *)h->v[i].name);
        free((char *)h->v[i].value);
    }
    free(h->v);
    h->v = NULL;
    h->n = h->cap = h->bytes = 0;
}

static int blank(char c)
{
    return c == ' ' || c == '\t';
}

int sn_hdr_parse_line(sn_hdrs *h, const char *line, size_t len)
{
    const char *colon, *ns, *ne, *vs, *ve;

    if (!h || (!line && len))
        return UT_ERR_INVAL;
    colon = len ? memchr(line, ':', len) : NULL;
    if (!colon)
        return SN_ERR_HEADER;
    ns = line;
    ne = colon;
    while (ns < ne && blank(*ns))
        ns++;
    while (ne > ns && blank(ne[-1]))
        ne--;
    vs = colon + 1;
    ve = line + len;
    while (vs < ve && blank(*vs))
        vs++;
    while (ve > vs && blank(ve[-1]))
        ve--;
    if (ne == ns)
        return SN_ERR_HEADER;
    return sn_hdrs_add(h, ns, (size_t)(ne - ns), vs, (size_t)(ve - vs));
}
