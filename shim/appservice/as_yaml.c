/*
 * as_yaml.c - a YAML document as JSON, for appservice.yaml and
 * registration files. Plain scalars that look like numbers, booleans or
 * null become those (the same rule as mxhs's config); quoted scalars stay
 * strings. Anchors and aliases resolve through libyaml's document API.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "as.h"

static json_t *to_json(yaml_document_t *doc, yaml_node_t *n, int depth)
{
    json_t *j = NULL;

    if (!n || depth > 32)
        return NULL;
    if (n->type == YAML_SCALAR_NODE) {
        const char *s = (const char *)n->data.scalar.value;
        char *end;
        if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
            long long v;
            double d;
            if (!strcmp(s, "true"))
                return json_true();
            if (!strcmp(s, "false"))
                return json_false();
            if (!strcmp(s, "null") || !strcmp(s, "~") || !*s)
                return json_null();
            errno = 0;
            v = strtoll(s, &end, 10);
            if (!errno && end != s && !*end)
                return json_integer(v);
            d = strtod(s, &end);
            if (end != s && !*end)
                return json_real(d);
        }
        return json_stringn(s, n->data.scalar.length);
    }
    if (n->type == YAML_SEQUENCE_NODE) {
        yaml_node_item_t *it;
        j = json_array();
        for (it = n->data.sequence.items.start; j && it < n->data.sequence.items.top; it++) {
            json_t *v = to_json(doc, yaml_document_get_node(doc, *it), depth + 1);
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
            json_t *v = to_json(doc, yaml_document_get_node(doc, p->value), depth + 1);
            if (!kn || kn->type != YAML_SCALAR_NODE || !v ||
                json_object_set_new(j, (const char *)kn->data.scalar.value, v)) {
                if (!kn || kn->type != YAML_SCALAR_NODE)
                    json_decref(v);
                json_decref(j);
                return NULL;
            }
        }
    }
    return j;
}

json_t *as_yaml_buf(const char *name, const unsigned char *buf, size_t len,
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
    j = to_json(&doc, yaml_document_get_root_node(&doc), 0);
    if (!j)
        snprintf(err, errlen, "%s: empty, too deep, or a key that is not a scalar", name);
    yaml_document_delete(&doc);
    yaml_parser_delete(&p);
    return j;
}

json_t *as_yaml_file(const char *path, char *err, size_t errlen)
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
    j = as_yaml_buf(path, buf, len, err, errlen);
    free(buf);
    return j;
}
