/*
 * br_config.c - see br_config.h. Validation is strict on purpose: an admin's
 * typo must produce a message naming the key, not a silent default.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "br_config.h"

/* Production Signal (Signal-Desktop config/production.json). */
#define SIGNAL_SERVER "https://chat.signal.org"
#define SIGNAL_CDN0 "https://cdn.signal.org"
#define SIGNAL_CDN2 "https://cdn2.signal.org"
#define SIGNAL_CDN3 "https://cdn3.signal.org"
#define SIGNAL_STORAGE "https://storage.signal.org"
#define SIGNAL_TRUST_ROOT "BXu6QIKVz5MA8gstzfOgRQGqyLqOwNKHL6INkv3IHWMF"

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return UT_ERR_INVAL;
}

static int set_str(char **dst, json_t *v, const char *key, int allow_empty,
                   char *err, size_t errlen)
{
    const char *s = json_string_value(v);

    if (!s)
        return fail(err, errlen, "config.%s: expected a string", key);
    if (!allow_empty && !*s)
        return fail(err, errlen, "config.%s: must not be empty", key);
    free(*dst);
    *dst = strdup(s);
    return *dst ? 0 : UT_ERR_NOMEM;
}

static int set_long(long *dst, json_t *v, const char *key, long min, long max,
                    char *err, size_t errlen)
{
    if (!json_is_integer(v) || json_integer_value(v) < min ||
        json_integer_value(v) > max)
        return fail(err, errlen, "config.%s: expected an integer from %ld to %ld",
                    key, min, max);
    *dst = (long)json_integer_value(v);
    return 0;
}

static int valid_localpart(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789._=-/", *s))
            return 0;
    return 1;
}

static int parse_level(const char *s)
{
    if (strcmp(s, "admin") == 0)
        return BR_PERM_ADMIN;
    if (strcmp(s, "user") == 0)
        return BR_PERM_USER;
    if (strcmp(s, "none") == 0)
        return BR_PERM_NONE;
    return -1;
}

static int add_perm(br_config *c, const char *who, int level)
{
    br_perm_rule *p = realloc(c->perms, (c->nperms + 1) * sizeof(*p));

    if (!p)
        return UT_ERR_NOMEM;
    c->perms = p;
    p[c->nperms].who = strdup(who);
    p[c->nperms].level = level;
    if (!p[c->nperms].who)
        return UT_ERR_NOMEM;
    c->nperms++;
    return 0;
}

static int parse_perms(br_config *c, json_t *v, char *err, size_t errlen)
{
    const char *who;
    json_t *lv;
    int rc;

    if (!json_is_object(v))
        return fail(err, errlen,
                    "config.permissions: expected a map of \"*\", domain or @user:server to user|admin|none");
    json_object_foreach(v, who, lv) {
        const char *s = json_string_value(lv);
        int level = s ? parse_level(s) : -1;

        if (level < 0)
            return fail(err, errlen, "config.permissions.%s: expected user, admin or none", who);
        if (!*who || (who[0] == '@' && !strchr(who, ':')))
            return fail(err, errlen, "config.permissions: '%s' is not \"*\", a domain or a user ID", who);
        if ((rc = add_perm(c, who, level)) != 0)
            return rc;
    }
    return 0;
}

static int parse_bot(br_config *c, json_t *v, char *err, size_t errlen)
{
    const char *key;
    json_t *x;
    int rc = 0;

    if (!json_is_object(v))
        return fail(err, errlen, "config.bot: expected a map (localpart, displayname, avatar)");
    json_object_foreach(v, key, x) {
        if (strcmp(key, "localpart") == 0) {
            if ((rc = set_str(&c->bot_localpart, x, "bot.localpart", 0, err, errlen)))
                return rc;
            if (!valid_localpart(c->bot_localpart))
                return fail(err, errlen, "config.bot.localpart: '%s' is not a valid user ID localpart (a-z 0-9 . _ = - /)", c->bot_localpart);
        } else if (strcmp(key, "displayname") == 0) {
            rc = set_str(&c->bot_displayname, x, "bot.displayname", 1, err, errlen);
        } else if (strcmp(key, "avatar") == 0) {
            rc = set_str(&c->bot_avatar, x, "bot.avatar", 1, err, errlen);
            if (!rc && *c->bot_avatar && strncmp(c->bot_avatar, "mxc://", 6) != 0)
                return fail(err, errlen, "config.bot.avatar: expected an mxc:// URI");
        } else {
            return fail(err, errlen, "config.bot.%s: unknown option (known: localpart, displayname, avatar)", key);
        }
        if (rc)
            return rc;
    }
    return 0;
}

/* provisioning: {shared_secret}. mautrix's bridges disable their API for a
 * secret shorter than 16 characters (mautrix/go bridgev2/matrix/
 * provisioning.go AuthMiddleware); here that is a config error, so a short
 * secret is never silently ignored. */
static int parse_provisioning(br_config *c, json_t *v, char *err, size_t errlen)
{
    const char *key;
    json_t *x;

    if (!json_is_object(v))
        return fail(err, errlen, "config.provisioning: expected a map (shared_secret)");
    json_object_foreach(v, key, x) {
        if (strcmp(key, "shared_secret") == 0) {
            const char *s = json_string_value(x);
            if (json_is_null(x))
                continue; /* unset: the API stays disabled */
            if (!s)
                return fail(err, errlen, "config.provisioning.shared_secret: expected a string");
            if (strlen(s) < 16)
                return fail(err, errlen, "config.provisioning.shared_secret: must be at least 16 characters");
            if (c->prov_secret)
                ut_free_secret(c->prov_secret, strlen(c->prov_secret));
            if (!(c->prov_secret = strdup(s)))
                return UT_ERR_NOMEM;
        } else {
            return fail(err, errlen, "config.provisioning.%s: unknown option (known: shared_secret)", key);
        }
    }
    return 0;
}

static int https_url(char **dst, json_t *x, const char *key, char *err,
                     size_t errlen)
{
    int rc = set_str(dst, x, key, 0, err, errlen);
    size_t n;

    if (rc)
        return rc;
    if (strncmp(*dst, "https://", 8) != 0)
        return fail(err, errlen, "config.%s: expected an https:// URL", key);
    n = strlen(*dst);
    while (n > 8 && (*dst)[n - 1] == '/')
        (*dst)[--n] = '\0'; /* paths are appended */
    return 0;
}

static int parse_history(br_config *c, json_t *v, char *err, size_t errlen)
{
    const char *key;
    json_t *x;
    int rc = 0;

    if (!json_is_object(v))
        return fail(err, errlen, "config.history: expected a map (enabled, max_messages, max_age_days)");
    json_object_foreach(v, key, x) {
        if (strcmp(key, "enabled") == 0) {
            if (!json_is_boolean(x))
                return fail(err, errlen, "config.history.enabled: expected true or false");
            c->history_enabled = json_is_true(x);
        } else if (strcmp(key, "max_messages") == 0) {
            rc = set_long(&c->history_max_messages, x, "history.max_messages", 1, 10000, err, errlen);
        } else if (strcmp(key, "max_age_days") == 0) {
            rc = set_long(&c->history_max_age_days, x, "history.max_age_days", 1, 3650, err, errlen);
        } else {
            rc = fail(err, errlen, "config.history.%s: unknown option (known: enabled, max_messages, max_age_days)", key);
        }
        if (rc)
            return rc;
    }
    return 0;
}

/* debug: test-only switches, off when absent (docs/store-faults.md). */
static int parse_debug(br_config *c, json_t *v, char *err, size_t errlen)
{
    const char *key;
    json_t *x;
    int rc = 0;

    if (!json_is_object(v))
        return fail(err, errlen, "config.debug: expected a map (store_faults)");
    json_object_foreach(v, key, x) {
        if (strcmp(key, "store_faults") == 0)
            rc = set_str(&c->debug_store_faults, x, "debug.store_faults", 0, err, errlen);
        else
            rc = fail(err, errlen, "config.debug.%s: unknown option (known: store_faults)", key);
        if (rc)
            return rc;
    }
    return 0;
}

static int parse_signal(br_config *c, json_t *v, char *err, size_t errlen)
{
    const char *key;
    json_t *x;
    int rc = 0;

    if (!json_is_object(v))
        return fail(err, errlen, "config.signal: expected a map");
    json_object_foreach(v, key, x) {
        if (strcmp(key, "server") == 0)
            rc = https_url(&c->signal_server, x, "signal.server", err, errlen);
        else if (strcmp(key, "cdn0") == 0)
            rc = https_url(&c->signal_cdn0, x, "signal.cdn0", err, errlen);
        else if (strcmp(key, "cdn2") == 0)
            rc = https_url(&c->signal_cdn2, x, "signal.cdn2", err, errlen);
        else if (strcmp(key, "cdn3") == 0)
            rc = https_url(&c->signal_cdn3, x, "signal.cdn3", err, errlen);
        else if (strcmp(key, "storage") == 0)
            rc = https_url(&c->signal_storage, x, "signal.storage", err, errlen);
        else if (strcmp(key, "ca_file") == 0)
            rc = set_str(&c->signal_ca_file, x, "signal.ca_file", 0, err, errlen);
        else if (strcmp(key, "trust_root") == 0)
            rc = set_str(&c->signal_trust_root, x, "signal.trust_root", 0, err, errlen);
        else if (strcmp(key, "server_public_params") == 0)
            rc = set_str(&c->signal_zk_params, x, "signal.server_public_params", 0, err, errlen);
        else if (strcmp(key, "profile_refresh") == 0)
            rc = set_long(&c->signal_profile_refresh_s, x, "signal.profile_refresh", 0, 30L * 24 * 3600,
                          err, errlen);
        else if (strcmp(key, "sender_keys") == 0) {
            if (!json_is_boolean(x))
                return fail(err, errlen, "config.signal.sender_keys: expected true or false");
            c->signal_no_sender_keys = !json_is_true(x);
        }
        else if (strcmp(key, "device_name") == 0) {
            rc = set_str(&c->device_name, x, "signal.device_name", 0, err, errlen);
            if (!rc && strlen(c->device_name) > 50)
                return fail(err, errlen, "config.signal.device_name: at most 50 characters");
        } else if (strcmp(key, "connect_concurrency") == 0)
            rc = set_long(&c->signal_connect_concurrency, x, "signal.connect_concurrency", 0, 1024,
                          err, errlen);
        else
            return fail(err, errlen,
                        "config.signal.%s: unknown option (known: server, cdn0, cdn2, cdn3, storage, ca_file, trust_root, server_public_params, device_name, connect_concurrency, profile_refresh, sender_keys)",
                        key);
        if (rc)
            return rc;
    }
    return 0;
}

static int parse_username_template(br_config *c, json_t *v, char *err,
                                   size_t errlen)
{
    const char *s = json_string_value(v), *at;
    char *pre = NULL;
    size_t i;

    if (!s || !(at = strstr(s, "{aci}")) || strstr(at + 5, "{aci}"))
        return fail(err, errlen, "config.username_template: expected a string containing {aci} once, e.g. \"signal_{aci}\"");
    if (at == s)
        return fail(err, errlen, "config.username_template: needs a prefix before {aci} so puppets have their own namespace");
    for (i = 0; s[i]; i++)
        if (&s[i] < at || &s[i] >= at + 5)
            if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789_=-", s[i]))
                return fail(err, errlen, "config.username_template: '%c' is not allowed (a-z 0-9 _ = -)", s[i]);
    pre = strndup(s, (size_t)(at - s));
    if (!pre)
        return UT_ERR_NOMEM;
    free(c->username_prefix);
    free(c->username_suffix);
    c->username_prefix = pre;
    c->username_suffix = strdup(at + 5);
    return c->username_suffix ? 0 : UT_ERR_NOMEM;
}

static int defaults(br_config *c, const char *server_name)
{
    c->enabled = 1;
    c->max_signal_users = 100;
    c->link_timeout_s = 60;
    c->signal_connect_concurrency = 16; /* SN_GATE_DEFAULT */
    c->outbox_max_age_s = 24 * 3600;
    /* signalmeow's DefaultProfileRefreshAfter (profile.go) */
    c->signal_profile_refresh_s = 3600;
    c->double_puppet = 1;
    c->history_enabled = 1;
    c->history_max_messages = 50;  /* issue #14 */
    c->history_max_age_days = 30;
    if (!(c->bot_localpart = strdup("signalbot")) ||
        !(c->bot_displayname = strdup("Signal bridge")) ||
        !(c->bot_avatar = strdup("")) ||
        !(c->username_prefix = strdup("signal_")) ||
        !(c->username_suffix = strdup("")) ||
        !(c->displayname_template = strdup("{name} (Signal)")) ||
        !(c->database = strdup("signalbridge.db")) ||
        !(c->signal_server = strdup(SIGNAL_SERVER)) ||
        !(c->signal_cdn0 = strdup(SIGNAL_CDN0)) ||
        !(c->signal_cdn2 = strdup(SIGNAL_CDN2)) ||
        !(c->signal_cdn3 = strdup(SIGNAL_CDN3)) ||
        !(c->signal_storage = strdup(SIGNAL_STORAGE)) ||
        !(c->signal_trust_root = strdup(SIGNAL_TRUST_ROOT)) ||
        !(c->device_name = strdup("signalbridge")))
        return UT_ERR_NOMEM;
    (void)server_name;
    return 0;
}

int br_config_parse(br_config *c, const char *json, const char *server_name,
                    char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = NULL, *v;
    const char *key;
    int rc, have_perms = 0;

    memset(c, 0, sizeof(*c));
    if ((rc = defaults(c, server_name)) != 0)
        goto out;
    root = json_loads(json ? json : "{}", JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(root)) {
        rc = fail(err, errlen, "config: expected a map of options (%s)",
                  root ? "got another JSON type" : je.text);
        goto out;
    }
    json_object_foreach(root, key, v) {
        if (strcmp(key, "enabled") == 0) {
            if (!json_is_boolean(v)) {
                rc = fail(err, errlen, "config.enabled: expected true or false");
                goto out;
            }
            c->enabled = json_is_true(v);
        } else if (strcmp(key, "double_puppet") == 0) {
            if (!json_is_boolean(v)) {
                rc = fail(err, errlen, "config.double_puppet: expected true or false");
                goto out;
            }
            c->double_puppet = json_is_true(v);
        } else if (strcmp(key, "permissions") == 0) {
            have_perms = 1;
            rc = parse_perms(c, v, err, errlen);
        } else if (strcmp(key, "bot") == 0) {
            rc = parse_bot(c, v, err, errlen);
        } else if (strcmp(key, "username_template") == 0) {
            rc = parse_username_template(c, v, err, errlen);
        } else if (strcmp(key, "displayname_template") == 0) {
            rc = set_str(&c->displayname_template, v, "displayname_template", 0, err, errlen);
            if (!rc && !strstr(c->displayname_template, "{name}") &&
                !strstr(c->displayname_template, "{phone}"))
                rc = fail(err, errlen, "config.displayname_template: must contain {name} or {phone}");
        } else if (strcmp(key, "max_signal_users") == 0) {
            rc = set_long(&c->max_signal_users, v, "max_signal_users", 1, 100000000, err, errlen);
        } else if (strcmp(key, "link_timeout") == 0) {
            /* Signal-Server closes a provisioning socket after 90 s
             * (ProvisioningConnectListener, WhisperServerService); the
             * client then opens a new one with a new QR code (sig_link.c
             * prov_state), so linking may stay open longer, up to 10
             * minutes */
            rc = set_long(&c->link_timeout_s, v, "link_timeout", 10, 600, err, errlen);
        } else if (strcmp(key, "outbox_max_age") == 0) {
            rc = set_long(&c->outbox_max_age_s, v, "outbox_max_age", 1, 30L * 24 * 3600, err, errlen);
        } else if (strcmp(key, "database") == 0) {
            rc = set_str(&c->database, v, "database", 0, err, errlen);
        } else if (strcmp(key, "signal") == 0) {
            rc = parse_signal(c, v, err, errlen);
        } else if (strcmp(key, "history") == 0) {
            rc = parse_history(c, v, err, errlen);
        } else if (strcmp(key, "provisioning") == 0) {
            rc = parse_provisioning(c, v, err, errlen);
        } else if (strcmp(key, "debug") == 0) {
            rc = parse_debug(c, v, err, errlen);
        } else {
            rc = fail(err, errlen,
                      "config.%s: unknown option (known: enabled, permissions, bot, username_template, "
                      "displayname_template, max_signal_users, link_timeout, outbox_max_age, double_puppet, database, signal, "
                      "history, provisioning, debug)",
                      key);
        }
        if (rc)
            goto out;
    }
    /* Out of the box: everyone on this homeserver may use the bridge. */
    if (!have_perms && server_name && (rc = add_perm(c, server_name, BR_PERM_USER)) != 0)
        goto out;
    c->low_limit_warning = c->max_signal_users < 5;
    rc = 0;
out:
    json_decref(root);
    if (rc) {
        if (rc == UT_ERR_NOMEM)
            snprintf(err, errlen, "out of memory");
        br_config_free(c);
    }
    return rc;
}

void br_config_free(br_config *c)
{
    size_t i;

    for (i = 0; i < c->nperms; i++)
        free(c->perms[i].who);
    free(c->perms);
    free(c->bot_localpart);
    free(c->bot_displayname);
    free(c->bot_avatar);
    free(c->username_prefix);
    free(c->username_suffix);
    free(c->displayname_template);
    free(c->database);
    free(c->debug_store_faults);
    free(c->signal_server);
    free(c->signal_cdn0);
    free(c->signal_cdn2);
    free(c->signal_cdn3);
    free(c->signal_storage);
    free(c->signal_ca_file);
    free(c->signal_trust_root);
    free(c->signal_zk_params);
    free(c->device_name);
    if (c->prov_secret)
        ut_free_secret(c->prov_secret, strlen(c->prov_secret));
    memset(c, 0, sizeof(*c));
}

int br_config_permission(const br_config *c, const char *user_id)
{
    const char *domain = user_id ? strchr(user_id, ':') : NULL;
    int by_domain = -1, by_star = -1;
    size_t i;

    if (!domain || user_id[0] != '@')
        return BR_PERM_NONE;
    domain++;
    for (i = 0; i < c->nperms; i++) {
        const br_perm_rule *r = &c->perms[i];
        if (strcmp(r->who, user_id) == 0)
            return r->level; /* the most specific rule */
        if (strcmp(r->who, domain) == 0)
            by_domain = r->level;
        else if (strcmp(r->who, "*") == 0)
            by_star = r->level;
    }
    if (by_domain >= 0)
        return by_domain;
    return by_star >= 0 ? by_star : BR_PERM_NONE;
}

int br_config_may_bridge(const br_config *c, const char *user_id)
{
    return c->enabled && br_config_permission(c, user_id) >= BR_PERM_USER;
}

int br_config_puppet_localpart(const br_config *c, const char *aci, char *out,
                               size_t n)
{
    int k = snprintf(out, n, "%s%s%s", c->username_prefix, aci,
                     c->username_suffix);
    size_t i;

    if (k < 0 || (size_t)k >= n)
        return UT_ERR_RANGE;
    for (i = 0; out[i]; i++) /* localparts are lower case */
        out[i] = (char)tolower((unsigned char)out[i]);
    return 0;
}

const char *br_config_puppet_aci(const br_config *c, const char *localpart,
                                 char *aci, size_t n)
{
    size_t lp = strlen(c->username_prefix), ls = strlen(c->username_suffix);
    size_t len = strlen(localpart), mid;

    if (len <= lp + ls || strncmp(localpart, c->username_prefix, lp) != 0 ||
        strcmp(localpart + len - ls, c->username_suffix) != 0)
        return NULL;
    mid = len - lp - ls;
    if (mid != 36 || mid >= n) /* a UUID */
        return NULL;
    memcpy(aci, localpart + lp, mid);
    aci[mid] = '\0';
    for (size_t i = 0; i < mid; i++)
        if (!strchr("0123456789abcdef-", aci[i]))
            return NULL;
    return aci;
}

/* Escape ERE metacharacters of a literal (templates allow only [a-z0-9_=-],
 * none of which are special, but keep this honest if that ever changes). */
static void ere_literal(ut_buf *b, const char *s)
{
    for (; *s; s++) {
        if (strchr(".[]{}()\\*+?^$|", *s))
            ut_buf_append(b, "\\", 1);
        ut_buf_append(b, s, 1);
    }
}

char *br_config_puppet_regex(const br_config *c)
{
    ut_buf b;

    ut_buf_init(&b, 512);
    ere_literal(&b, c->username_prefix);
    ut_buf_append_str(&b, "[0-9a-f-]{36}");
    ere_literal(&b, c->username_suffix);
    if (ut_buf_nul(&b) != 0)
        return NULL;
    return (char *)ut_buf_take(&b, NULL);
}

char *br_config_displayname(const br_config *c, const char *name,
                            const char *phone, const char *aci)
{
    const char *t = c->displayname_template;
    char unknown[32];
    ut_buf b;

    if (!name || !*name) {
        /* Until the profile is known, the phone number is the name; with
         * neither, the start of the ACI (public: it is in the puppet's
         * Matrix ID) keeps several such contacts apart in a room list. */
        if (phone && *phone) {
            name = phone;
        } else if (aci && strlen(aci) >= 4) {
            snprintf(unknown, sizeof(unknown), "Signal user %.4s", aci);
            name = unknown;
        } else {
            name = "Signal user";
        }
        if (strstr(t, "{name}") && strstr(t, "{phone}"))
            t = "{name} (Signal)";
    }
    ut_buf_init(&b, 1024);
    while (*t) {
        if (strncmp(t, "{name}", 6) == 0) {
            ut_buf_append_str(&b, name);
            t += 6;
        } else if (strncmp(t, "{phone}", 7) == 0) {
            ut_buf_append_str(&b, phone && *phone ? phone : "");
            t += 7;
        } else {
            ut_buf_append(&b, t++, 1);
        }
    }
    if (ut_buf_nul(&b) != 0)
        return NULL;
    return (char *)ut_buf_take(&b, NULL);
}

void br_config_age_words(const br_config *cfg, char *out, size_t n)
{
    long s = cfg->outbox_max_age_s;
    long v = s % 3600 == 0 ? s / 3600 : s % 60 == 0 ? s / 60 : s;
    const char *unit = s % 3600 == 0 ? "hour" : s % 60 == 0 ? "minute" : "second";

    snprintf(out, n, "%ld %s%s", v, unit, v == 1 ? "" : "s");
}
