/*
 * as_config.c - appservice.yaml: one file for the homeserver side, the
 * listener, the registration and the module, whose block has the same keys
 * as an entry of mxhs's `modules:` (module, config).
 *
 *   homeserver: {url: http://127.0.0.1:8008, server_name: example.org}
 *   appservice:
 *     id: signalbridge
 *     listen: {address: 127.0.0.1, port: 29328}
 *     url: http://127.0.0.1:29328       (default: from listen)
 *     sender_localpart: signalbridge_bot (default: <id>_bot)
 *     registration: ./registration.yaml
 *     double_puppet_registration: ./doublepuppet.yaml (for double_puppet)
 *   database: ./data/appservice.db
 *   data_dir: ./data
 *   log_level: info
 *   module: {module: signalbridge, double_puppet: false, config: {...}}
 *
 * Unknown keys are errors, so typos are caught.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as.h"
#include "ut.h"

static int bad(char *err, size_t n, const char *name, const char *key, const char *why)
{
    snprintf(err, n, "%s: %s: %s", name, key, why);
    return -1;
}

static int str(json_t *o, const char *key, char **out, const char *name,
               const char *path, char *err, size_t n)
{
    json_t *v = json_object_get(o, key);

    if (!v)
        return 0;
    if (!json_is_string(v))
        return bad(err, n, name, path, "expected a string");
    free(*out);
    *out = strdup(json_string_value(v));
    return *out ? 0 : bad(err, n, name, path, "out of memory");
}

static int only(json_t *o, const char *const *known, const char *name,
                const char *where, char *err, size_t n)
{
    const char *k;
    json_t *v;
    size_t i;

    json_object_foreach(o, k, v) {
        for (i = 0; known[i] && strcmp(known[i], k); i++)
            ;
        if (!known[i]) {
            snprintf(err, n, "%s: %s%s%s: unknown key", name, where, *where ? "." : "", k);
            return -1;
        }
    }
    return 0;
}

int as_config_from_json(as_config *c, const char *name, json_t *root,
                        char *err, size_t n)
{
    static const char *const top[] = {"homeserver", "appservice", "database", "data_dir",
                                      "log_level", "module", NULL};
    static const char *const hsk[] = {"url", "server_name", "ca_file", NULL};
    static const char *const ask[] = {"id", "listen", "url", "sender_localpart",
                                      "registration", "double_puppet_registration", NULL};
    static const char *const lk[] = {"address", "port", NULL};
    static const char *const mk[] = {"module", "config", "double_puppet", NULL};
    json_t *hs, *as, *ls, *md, *v;
    char buf[512];

    memset(c, 0, sizeof(*c));
    c->log_level = UT_LOG_INFO;
    if (!json_is_object(root))
        return bad(err, n, name, "(top)", "expected a mapping");
    if (only(root, top, name, "", err, n))
        return -1;
    hs = json_object_get(root, "homeserver");
    as = json_object_get(root, "appservice");
    md = json_object_get(root, "module");
    if (!json_is_object(hs))
        return bad(err, n, name, "homeserver", "expected a mapping with url and server_name");
    if (!json_is_object(as))
        return bad(err, n, name, "appservice", "expected a mapping");
    if (!json_is_object(md))
        return bad(err, n, name, "module", "expected a mapping with module and config");
    if (only(hs, hsk, name, "homeserver", err, n) || only(as, ask, name, "appservice", err, n) ||
        only(md, mk, name, "module", err, n))
        return -1;
    if (str(hs, "url", &c->hs_url, name, "homeserver.url", err, n) ||
        str(hs, "server_name", &c->server_name, name, "homeserver.server_name", err, n) ||
        str(hs, "ca_file", &c->hs_ca_file, name, "homeserver.ca_file", err, n) ||
        str(as, "id", &c->id, name, "appservice.id", err, n) ||
        str(as, "url", &c->public_url, name, "appservice.url", err, n) ||
        str(as, "sender_localpart", &c->sender_localpart, name, "appservice.sender_localpart", err, n) ||
        str(as, "registration", &c->registration, name, "appservice.registration", err, n) ||
        str(root, "database", &c->db_path, name, "database", err, n) ||
        str(root, "data_dir", &c->data_dir, name, "data_dir", err, n) ||
        str(md, "module", &c->module, name, "module.module", err, n) ||
        str(as, "double_puppet_registration", &c->dp_registration, name,
            "appservice.double_puppet_registration", err, n))
        goto fail;
    v = json_object_get(md, "double_puppet");
    if (v && !json_is_boolean(v)) {
        bad(err, n, name, "module.double_puppet", "expected true or false");
        goto fail;
    }
    c->double_puppet = json_is_true(v);
    if (c->double_puppet && !c->dp_registration) {
        /* real users' events need a token the homeserver accepts for them:
         * a second registration whose non-exclusive namespace covers them
         * (mautrix/docs bridges/general/double-puppeting.md) */
        bad(err, n, name, "module.double_puppet",
            "needs appservice.double_puppet_registration (see shim/appservice/README.md)");
        goto fail;
    }
    if (!c->hs_url || (strncmp(c->hs_url, "http://", 7) && strncmp(c->hs_url, "https://", 8))) {
        /* usually a local listener in plain http (Synapse's default is
         * http on 8008); https (as_client.c) for one behind TLS */
        bad(err, n, name, "homeserver.url", "expected an http:// or https:// URL");
        goto fail;
    }
    if (!c->server_name || !*c->server_name) {
        bad(err, n, name, "homeserver.server_name", "missing");
        goto fail;
    }
    if (!c->id || !*c->id) {
        bad(err, n, name, "appservice.id", "missing");
        goto fail;
    }
    if (!c->module) {
        bad(err, n, name, "module.module", "missing");
        goto fail;
    }
    ls = json_object_get(as, "listen");
    c->listen_addr = strdup("127.0.0.1");
    c->port = 29328;
    if (ls) {
        if (!json_is_object(ls) || only(ls, lk, name, "appservice.listen", err, n)) {
            if (!json_is_object(ls))
                bad(err, n, name, "appservice.listen", "expected a mapping");
            goto fail;
        }
        if (str(ls, "address", &c->listen_addr, name, "appservice.listen.address", err, n))
            goto fail;
        v = json_object_get(ls, "port");
        if (v && (!json_is_integer(v) || json_integer_value(v) < 0 ||
                  json_integer_value(v) > 65535)) {
            bad(err, n, name, "appservice.listen.port", "expected an integer from 0 to 65535");
            goto fail;
        }
        if (v)
            c->port = (int)json_integer_value(v);
    }
    v = json_object_get(root, "log_level");
    if (v) {
        static const char *const lv[] = {"error", "warn", "info", "debug", "trace"};
        int i;
        for (i = 0; i < 5 && !(json_is_string(v) && !strcmp(json_string_value(v), lv[i])); i++)
            ;
        if (i == 5) {
            bad(err, n, name, "log_level", "expected error, warn, info, debug or trace");
            goto fail;
        }
        c->log_level = i;
    }
    v = json_object_get(md, "config");
    if (v && !json_is_object(v)) {
        bad(err, n, name, "module.config", "expected a mapping");
        goto fail;
    }
    c->module_config = v ? json_dumps(v, JSON_COMPACT) : strdup("{}");
    if (!c->sender_localpart) {
        snprintf(buf, sizeof(buf), "%s_bot", c->id);
        c->sender_localpart = strdup(buf);
    }
    if (!c->registration) {
        snprintf(buf, sizeof(buf), "%s-registration.yaml", c->id);
        c->registration = strdup(buf);
    }
    if (!c->data_dir)
        c->data_dir = strdup("./data");
    if (!c->db_path) {
        snprintf(buf, sizeof(buf), "%s/appservice.db", c->data_dir ? c->data_dir : ".");
        c->db_path = strdup(buf);
    }
    if (!c->public_url) {
        snprintf(buf, sizeof(buf), "http://%s:%d", c->listen_addr ? c->listen_addr : "", c->port);
        c->public_url = strdup(buf);
    }
    if (!c->listen_addr || !c->module_config || !c->sender_localpart || !c->registration ||
        !c->data_dir || !c->db_path || !c->public_url) {
        bad(err, n, name, "(top)", "out of memory");
        goto fail;
    }
    return 0;
fail:
    as_config_free(c);
    return -1;
}

int as_config_load(as_config *c, const char *path, char *err, size_t n)
{
    json_t *root = as_yaml_file(path, err, n);
    int rc;

    if (!root) {
        memset(c, 0, sizeof(*c));
        return -1;
    }
    rc = as_config_from_json(c, path, root, err, n);
    json_decref(root);
    return rc;
}

void as_config_free(as_config *c)
{
    if (!c)
        return;
    free(c->hs_url);
    free(c->hs_ca_file);
    free(c->server_name);
    free(c->id);
    free(c->listen_addr);
    free(c->public_url);
    free(c->sender_localpart);
    free(c->registration);
    free(c->db_path);
    free(c->data_dir);
    free(c->module);
    free(c->module_config);
    free(c->dp_registration);
    memset(c, 0, sizeof(*c));
}
