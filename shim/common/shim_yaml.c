/*
 * shim_yaml.c - see shim_yaml.h. One copy of what hs_config.c, as_yaml.c
 * and hs_appservice.c each had.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim_yaml.h"

/* A plain scalar that reads as true/false/null (or, with
 * SHIM_YAML_NUMBERS, a number) becomes that; NULL: it stays a string. */
static json_t *plain_scalar(const char *s, unsigned flags)
{
    long long v;
    double d;
    char *end;

    if (!strcmp(s, "true"))
        return json_true();
    if (!strcmp(s, "false"))
        return json_false();
    if (!strcmp(s, "null") || !strcmp(s, "~") || !*s)
        return json_null();
    if (!(flags & SHIM_YAML_NUMBERS))
        return NULL;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (!errno && end != s && !*end)
        return json_integer(v);
    d = strtod(s, &end);
    if (end != s && !*end)
        return json_real(d);
    return NULL;
}

static json_t *to_json(yaml_document_t *doc, yaml_node_t *n, unsigned flags, int depth)
{
    json_t *j = NULL;

    if (!n || depth > 32)
        return NULL;
    if (n->type == YAML_SCALAR_NODE) {
        const char *s = (const char *)n->data.scalar.value;
        if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && (j = plain_scalar(s, flags)))
            return j;
        return json_stringn(s, n->data.scalar.length);
    }
    if (n->type == YAML_SEQUENCE_NODE) {
        yaml_node_item_t *it;
        j = json_array();
        for (it = n->data.sequence.items.start; j && it < n->data.sequence.items.top; it++) {
            json_t *v = to_json(doc, yaml_document_get_node(doc, *it), flags, depth + 1);
            if (!v || json_array_append_new(j, v)) {
                json_decref(j);
                return NULL;
            }
        }
        return j;
    }
    if (n->type == YAML_MAPPING_NODE) {
        yaml_node_pair_t *p;
        j = json_object();
        for (p = n->data.mapping.pairs.start; j && p < n->data.mapping.pairs.top; p++) {
            yaml_node_t *kn = yaml_document_get_node(doc, p->key);
            json_t *v = to_json(doc, yaml_document_get_node(doc, p->value), flags, depth + 1);
            if (!kn || kn->type != YAML_SCALAR_NODE || !v) { /* no JSON key */
                json_decref(v);
                json_decref(j);
                return NULL;
            }
            if (json_object_set_new(j, (const char *)kn->data.scalar.value, v)) {
                json_decref(j); /* set_new released v */
                return NULL;
            }
        }
    }
    return j;
}

json_t *shim_yaml_json(yaml_document_t *doc, yaml_node_t *n, unsigned flags)
{
    return to_json(doc, n, flags, 0);
}


json_t *shim_yaml_buf(const char *name, const unsigned char *buf, size_t len, unsigned flags,
                      char *err, size_t errlen)
{
    yaml_parser_t p;
    yaml_document_t doc;
    json_t *j;

    if (!yaml_parser_initialize(&p)) {
        snprintf(err, errlen, "%s: out of memory", name);
        return NULL;
    }
    yaml_parser_set_input_string(&p, buf, len);
    if (!yaml_parser_load(&p, &doc)) {
        snprintf(err, errlen, "%s:%zu: %s", name, p.problem_mark.line + 1,
                 p.problem ? p.problem : "not YAML");
        yaml_parser_delete(&p);
        return NULL;
    }
    j = shim_yaml_json(&doc, yaml_document_get_root_node(&doc), flags);
    if (!j)
        snprintf(err, errlen, "%s: empty, too deep, or a key that is not a scalar", name);
    yaml_document_delete(&doc);
    yaml_parser_delete(&p);
    return j;
}

json_t *shim_yaml_file(const char *path, unsigned flags, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0, n;
    json_t *j;

    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (len + 4096 > cap) {
            unsigned char *nb = realloc(buf, cap = cap ? cap * 2 : 8192);
            if (!nb || cap > (1u << 24)) {
                free(nb ? nb : buf);
                fclose(f);
                snprintf(err, errlen, "%s: too large", path);
                return NULL;
            }
            buf = nb;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    fclose(f);
    j = shim_yaml_buf(path, buf, len, flags, err, errlen);
    free(buf);
    return j;
}
