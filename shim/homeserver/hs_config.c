/*
 * hs_config.c - YAML config loading (libyaml document API, so every node
 * keeps its line number for error messages).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <yaml.h>

#include "hs_config.h"
#include "shim_yaml.h"
#include "ut.h"

typedef struct cx {
    yaml_document_t *doc;
    const char *file;
    char *err;
    size_t errlen;
} cx;

static int fail(cx *c, yaml_node_t *n, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(cx *c, yaml_node_t *n, const char *key, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "%s:%lu: %s: %s", c->file,
             n ? (unsigned long)n->start_mark.line + 1 : 0UL, key, msg);
    return -1;
}

static const char *scalar(yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
                                            : NULL;
}

static int get_str(cx *c, yaml_node_t *n, const char *key, char **out)
{
    const char *s = scalar(n);

    if (!s || !*s)
        return fail(c, n, key, "expected a non-empty string");
    free(*out);
    *out = strdup(s);
    return *out ? 0 : fail(c, n, key, "out of memory");
}

static int get_int(cx *c, yaml_node_t *n, const char *key, long lo, long hi,
                   long *out)
{
    const char *s = scalar(n);
    char *end;
    long v;

    if (!s)
        return fail(c, n, key, "expected an integer from %ld to %ld", lo, hi);
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return fail(c, n, key, "expected an integer from %ld to %ld", lo, hi);
    *out = v;
    return 0;
}

static int get_bool(cx *c, yaml_node_t *n, const char *key, int *out)
{
    const char *s = scalar(n);

    if (s && (!strcasecmp(s, "true") || !strcasecmp(s, "yes") ||
              !strcasecmp(s, "on"))) {
        *out = 1;
        return 0;
    }
    if (s && (!strcasecmp(s, "false") || !strcasecmp(s, "no") ||
              !strcasecmp(s, "off"))) {
        *out = 0;
        return 0;
    }
    return fail(c, n, key, "expected true or false");
}

#define FOREACH_PAIR(c, map, kname, kn, vn, p_)                              \
    for (yaml_node_pair_t *p_ = (map)->data.mapping.pairs.start;             \
         p_ < (map)->data.mapping.pairs.top &&                               \
         ((kn) = yaml_document_get_node((c)->doc, p_->key),                  \
         (vn) = yaml_document_get_node((c)->doc, p_->value),                 \
         (kname) = scalar(kn) ? scalar(kn) : "", 1);                         \
         p_++)

static int need_map(cx *c, yaml_node_t *n, const char *key)
{
    if (!n || n->type != YAML_MAPPING_NODE)
        return fail(c, n, key, "expected a mapping");
    return 0;
}

static int parse_module(cx *c, hs_module_conf *m, yaml_node_t *n)
{
    yaml_node_t *kn, *vn;
    const char *k;

    if (need_map(c, n, "modules[]"))
        return -1;
    FOREACH_PAIR(c, n, k, kn, vn, p1) {
        if (!strcmp(k, "module") || !strcmp(k, "path")) {
            if (get_str(c, vn, "modules[].module", &m->module))
                return -1;
        } else if (!strcmp(k, "double_puppet")) {
            if (get_bool(c, vn, "modules[].double_puppet", &m->double_puppet))
                return -1;
        } else if (!strcmp(k, "config")) {
            json_t *j;
            if (vn->type != YAML_MAPPING_NODE &&
                !(scalar(vn) && !*scalar(vn)))
                return fail(c, vn, "modules[].config", "expected a mapping");
            j = vn->type == YAML_MAPPING_NODE ? shim_yaml_json(c->doc, vn, SHIM_YAML_NUMBERS) : json_object();
            if (!j)
                return fail(c, vn, "modules[].config", "cannot convert to JSON (too deep?)");
            free(m->config_json);
            m->config_json = json_dumps(j, JSON_COMPACT);
            json_decref(j);
        } else {
            return fail(c, kn, k, "unknown key in modules[] (known: module, config, double_puppet)");
        }
    }
    if (!m->module)
        return fail(c, n, "modules[].module", "missing");
    if (!m->config_json)
        m->config_json = strdup("{}");
    return m->config_json ? 0 : -1;
}

static int parse_root(cx *c, hs_config *o, yaml_node_t *root)
{
    yaml_node_t *kn, *vn, *kn2, *vn2;
    const char *k, *k2;
    long v;

    if (need_map(c, root, "(top level)"))
        return -1;
    FOREACH_PAIR(c, root, k, kn, vn, p1) {
        yaml_node_pair_t *q;
        for (q = root->data.mapping.pairs.start; q < p1; q++) {
            const char *k0 = scalar(yaml_document_get_node(c->doc, q->key));
            if (k0 && !strcmp(k0, k))
                return fail(c, kn, k, "given twice");
        }
        if (!strcmp(k, "server_name")) {
            if (get_str(c, vn, k, &o->server_name))
                return -1;
            if (strpbrk(o->server_name, "/@!$#: "))
                return fail(c, vn, k, "not a valid server name");
        } else if (!strcmp(k, "listen")) {
            if (need_map(c, vn, k))
                return -1;
            FOREACH_PAIR(c, vn, k2, kn2, vn2, p2) {
                if (!strcmp(k2, "address") || !strcmp(k2, "bind_address")) {
                    if (get_str(c, vn2, "listen.address", &o->listen_addr))
                        return -1;
                } else if (!strcmp(k2, "port")) {
                    if (get_int(c, vn2, "listen.port", 0, 65535, &v))
                        return -1;
                    o->port = (int)v;
                } else {
                    return fail(c, kn2, "listen", "unknown key '%s' (known: address, port)", k2);
                }
            }
        } else if (!strcmp(k, "database")) {
            if (scalar(vn)) {
                if (get_str(c, vn, k, &o->db_path))
                    return -1;
            } else {
                if (need_map(c, vn, k))
                    return -1;
                FOREACH_PAIR(c, vn, k2, kn2, vn2, p2) {
                    if (!strcmp(k2, "path")) {
                        if (get_str(c, vn2, "database.path", &o->db_path))
                            return -1;
                    } else {
                        return fail(c, kn2, "database", "unknown key '%s' (known: path)", k2);
                    }
                }
            }
        } else if (!strcmp(k, "media_path")) {
            if (get_str(c, vn, k, &o->media_path))
                return -1;
        } else if (!strcmp(k, "data_dir")) {
            if (get_str(c, vn, k, &o->data_dir))
                return -1;
        } else if (!strcmp(k, "registration")) {
            if (need_map(c, vn, k))
                return -1;
            FOREACH_PAIR(c, vn, k2, kn2, vn2, p2) {
                if (!strcmp(k2, "enabled")) {
                    if (get_bool(c, vn2, "registration.enabled", &o->registration_enabled))
                        return -1;
                } else if (!strcmp(k2, "shared_secret")) {
                    if (get_str(c, vn2, "registration.shared_secret", &o->registration_secret))
                        return -1;
                } else {
                    return fail(c, kn2, "registration", "unknown key '%s' (known: enabled, shared_secret)", k2);
                }
            }
        } else if (!strcmp(k, "unauthenticated_media")) {
            if (get_bool(c, vn, k, &o->unauth_media))
                return -1;
        } else if (!strcmp(k, "max_upload_size")) {
            if (get_int(c, vn, k, 1, 1L << 30, &v))
                return -1;
            o->max_upload = (size_t)v;
        } else if (!strcmp(k, "login_rate_limit")) {
            if (need_map(c, vn, k))
                return -1;
            FOREACH_PAIR(c, vn, k2, kn2, vn2, p2) {
                if (!strcmp(k2, "per_minute")) {
                    if (get_int(c, vn2, "login_rate_limit.per_minute", 1, 100000, &v))
                        return -1;
                    o->login_per_minute = (int)v;
                } else {
                    return fail(c, kn2, "login_rate_limit", "unknown key '%s' (known: per_minute)", k2);
                }
            }
        } else if (!strcmp(k, "log_level")) {
            static const char *const lv[] = {"error", "warn", "info", "debug", "trace"};
            const char *s = scalar(vn);
            int i, found = -1;
            for (i = 0; s && i < 5; i++)
                if (!strcasecmp(s, lv[i]))
                    found = i;
            if (found < 0)
                return fail(c, vn, k, "expected one of error, warn, info, debug, trace");
            o->log_level = found;
        } else if (!strcmp(k, "modules")) {
            yaml_node_item_t *it;
            size_t n;
            if (scalar(vn) && !*scalar(vn))
                continue; /* "modules:" with nothing */
            if (vn->type != YAML_SEQUENCE_NODE)
                return fail(c, vn, k, "expected a list of {module, config}");
            n = (size_t)(vn->data.sequence.items.top - vn->data.sequence.items.start);
            o->modules = calloc(n ? n : 1, sizeof(*o->modules));
            if (!o->modules)
                return fail(c, vn, k, "out of memory");
            for (it = vn->data.sequence.items.start;
                 it < vn->data.sequence.items.top; it++) {
                if (parse_module(c, &o->modules[o->nmodules++],
                                 yaml_document_get_node(c->doc, *it)))
                    return -1;
            }
        } else if (!strcmp(k, "app_service_config_files")) {
            /* Synapse's key: a list of registration file paths */
            yaml_node_item_t *it;
            size_t n;
            if (scalar(vn) && !*scalar(vn))
                continue;
            if (vn->type != YAML_SEQUENCE_NODE)
                return fail(c, vn, k, "expected a list of file paths");
            n = (size_t)(vn->data.sequence.items.top - vn->data.sequence.items.start);
            o->as_files = calloc(n ? n : 1, sizeof(*o->as_files));
            if (!o->as_files)
                return fail(c, vn, k, "out of memory");
            for (it = vn->data.sequence.items.start; it < vn->data.sequence.items.top; it++) {
                yaml_node_t *f = yaml_document_get_node(c->doc, *it);
                if (!scalar(f) || !*scalar(f))
                    return fail(c, f, k, "expected a file path");
                if (!(o->as_files[o->nas_files++] = strdup(scalar(f))))
                    return fail(c, f, k, "out of memory");
            }
        } else {
            return fail(c, kn, k, "unknown key (known: server_name, listen, database, media_path, data_dir, registration, unauthenticated_media, max_upload_size, login_rate_limit, log_level, modules, app_service_config_files)");
        }
    }
    if (!o->server_name)
        return fail(c, root, "server_name", "missing (required)");
    return 0;
}

static char *dup_or(char *v, const char *def)
{
    return v ? v : strdup(def);
}

/* Parse from an initialised parser; shared by the file and buffer forms. */
static int parse(hs_config *o, yaml_parser_t *parser, const char *name,
                 char *err, size_t errlen)
{
    yaml_document_t doc;
    cx c = {&doc, name, err, errlen};
    int rc = -1, have_doc = 0;

    if (!yaml_parser_load(parser, &doc)) {
        snprintf(err, errlen, "%s:%lu: YAML syntax error: %s", name,
                 (unsigned long)parser->problem_mark.line + 1,
                 parser->problem ? parser->problem : "unknown");
        goto out;
    }
    have_doc = 1;
    if (!yaml_document_get_root_node(&doc)) {
        snprintf(err, errlen, "%s:1: server_name: missing (the file is empty)", name);
        goto out;
    }
    if (parse_root(&c, o, yaml_document_get_root_node(&doc)))
        goto out;
    o->listen_addr = dup_or(o->listen_addr, "127.0.0.1");
    o->db_path = dup_or(o->db_path, "./data/homeserver.db");
    o->media_path = dup_or(o->media_path, "./data/media");
    o->data_dir = dup_or(o->data_dir, "./data");
    if (!o->listen_addr || !o->db_path || !o->media_path || !o->data_dir) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    rc = 0;
out:
    if (have_doc)
        yaml_document_delete(&doc);
    if (rc)
        hs_config_free(o);
    return rc;
}

static void defaults(hs_config *o)
{
    memset(o, 0, sizeof(*o));
    o->port = 8008;
    o->unauth_media = 1;
    o->max_upload = 50u << 20;
    o->login_per_minute = 30;
    o->log_level = UT_LOG_INFO;
}

int hs_config_load(hs_config *o, const char *path, char *err, size_t errlen)
{
    yaml_parser_t parser;
    FILE *f;
    int rc;

    defaults(o);
    f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    rc = parse(o, &parser, path, err, errlen);
    yaml_parser_delete(&parser);
    fclose(f);
    return rc;
}

int hs_config_parse(hs_config *o, const char *name, const unsigned char *buf,
                    size_t len, char *err, size_t errlen)
{
    yaml_parser_t parser;
    int rc;

    defaults(o);
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, buf, len);
    rc = parse(o, &parser, name, err, errlen);
    yaml_parser_delete(&parser);
    return rc;
}

void hs_config_free(hs_config *c)
{
    size_t i;

    if (!c)
        return;
    for (i = 0; i < c->nas_files; i++)
        free(c->as_files[i]);
    free(c->as_files);
    for (i = 0; i < c->nmodules; i++) {
        free(c->modules[i].module);
        free(c->modules[i].config_json);
    }
    free(c->modules);
    free(c->server_name);
    free(c->listen_addr);
    free(c->db_path);
    free(c->media_path);
    free(c->data_dir);
    if (c->registration_secret)
        ut_free_secret(c->registration_secret, strlen(c->registration_secret));
    memset(c, 0, sizeof(*c));
}
