/*
 * as_reg.c - the Application Service registration file.
 *
 * Fields as in the AS API's registration schema (matrix-org/matrix-spec
 * data/api/application-service/definitions/registration.yaml: id, url,
 * as_token, hs_token, sender_localpart, namespaces.{users,aliases,rooms} of
 * {regex, exclusive}, rate_limited, receive_ephemeral) and as mautrix/go
 * writes them (appservice/registration.go: 64-character random tokens,
 * the legacy "de.sorunome.msc2409.push_ephemeral" key that Synapse reads
 * for MSC2409, file mode 0600). The module's namespaces are localpart
 * regexes; the registration's match whole IDs, so each becomes
 * ^@(re):server$ with the server name's dots escaped. The sender
 * (the AS's own user) is claimed exclusively as well.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "as.h"
#include "ut.h"

int as_reg_regex(char *out, size_t n, char sigil, const char *re, const char *server)
{
    size_t o = 0;
    const char *p;
    int w = snprintf(out, n, "^%c(%s):", sigil, re);

    if (w < 0 || (size_t)w >= n)
        return -1;
    o = (size_t)w;
    for (p = server; *p; p++) {
        if (strchr(".[]()*+?{}|^$\\", *p)) {
            if (o + 1 >= n)
                return -1;
            out[o++] = '\\';
        }
        if (o + 1 >= n)
            return -1;
        out[o++] = *p;
    }
    if (o + 2 > n)
        return -1;
    out[o++] = '$';
    out[o] = '\0';
    return 0;
}

/* YAML single-quoted scalar: only ' needs doubling. */
static int put_sq(ut_buf *b, const char *s)
{
    int rc = ut_buf_printf(b, "'");
    for (; *s && !rc; s++)
        rc = *s == '\'' ? ut_buf_printf(b, "''") : ut_buf_printf(b, "%c", *s);
    return rc ? rc : ut_buf_printf(b, "'");
}

static int put_ns(ut_buf *b, const char *key, char sigil, const char *const *ns,
                  const char *extra_lp, const char *server)
{
    char re[1024];
    int rc = ut_buf_printf(b, "  %s:", key), any = 0;
    size_t i;

    if (extra_lp) {
        /* the sender, literally: localparts are [a-z0-9._=/+-], so only
         * the dot needs escaping */
        char lit[512];
        size_t o = 0;
        const char *p;
        for (p = extra_lp; *p && o + 3 < sizeof(lit); p++) {
            if (*p == '.' || *p == '+')
                lit[o++] = '\\';
            lit[o++] = *p;
        }
        lit[o] = '\0';
        if (as_reg_regex(re, sizeof(re), sigil, lit, server))
            return -1;
        rc |= ut_buf_printf(b, "\n    - exclusive: true\n      regex: ");
        rc |= put_sq(b, re);
        any = 1;
    }
    for (i = 0; ns && ns[i]; i++) {
        if (as_reg_regex(re, sizeof(re), sigil, ns[i], server))
            return -1;
        rc |= ut_buf_printf(b, "\n    - exclusive: true\n      regex: ");
        rc |= put_sq(b, re);
        any = 1;
    }
    rc |= ut_buf_printf(b, any ? "\n" : " []\n");
    return rc;
}

char *as_reg_render(const as_config *c, const char *const *user_ns,
                    const char *const *alias_ns, const char *as_token,
                    const char *hs_token)
{
    ut_buf b;
    int rc = 0;
    uint8_t *out;
    size_t len;

    ut_buf_init(&b, 1u << 20);
    rc |= ut_buf_printf(&b, "# Application Service registration for %s, written by\n"
                            "# mxm-appservice generate-registration. Install it on the homeserver\n"
                            "# (Synapse: app_service_config_files). Keep it secret: it holds tokens.\n",
                        c->id);
    rc |= ut_buf_printf(&b, "id: ");
    rc |= put_sq(&b, c->id);
    rc |= ut_buf_printf(&b, "\nurl: ");
    rc |= put_sq(&b, c->public_url);
    rc |= ut_buf_printf(&b, "\nas_token: ");
    rc |= put_sq(&b, as_token);
    rc |= ut_buf_printf(&b, "\nhs_token: ");
    rc |= put_sq(&b, hs_token);
    rc |= ut_buf_printf(&b, "\nsender_localpart: ");
    rc |= put_sq(&b, c->sender_localpart);
    rc |= ut_buf_printf(&b, "\nrate_limited: false\n"
                            "receive_ephemeral: true\n"
                            "de.sorunome.msc2409.push_ephemeral: true\n"
                            "namespaces:\n");
    if (rc || put_ns(&b, "users", '@', user_ns, c->sender_localpart, c->server_name) ||
        put_ns(&b, "aliases", '#', alias_ns, NULL, c->server_name) ||
        ut_buf_printf(&b, "  rooms: []\n")) {
        ut_buf_free_secret(&b);
        return NULL;
    }
    if (ut_buf_nul(&b)) {
        ut_buf_free_secret(&b);
        return NULL;
    }
    out = ut_buf_take(&b, &len);
    return (char *)out;
}

int as_reg_write(const char *path, const char *text, char *err, size_t errlen)
{
    char tmp[4096];
    size_t len = strlen(text), off = 0;
    int fd;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
        snprintf(err, errlen, "%s: path too long", path);
        return -1;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
            close(fd);
            unlink(tmp);
            return -1;
        }
        off += (size_t)w;
    }
    if (fsync(fd) || close(fd) || rename(tmp, path)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static char *get(json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? strdup(v) : NULL;
}

int as_reg_load(as_reg *r, const char *path, char *err, size_t errlen)
{
    json_t *j = as_yaml_file(path, err, errlen);

    memset(r, 0, sizeof(*r));
    if (!j)
        return -1;
    r->id = get(j, "id");
    r->url = get(j, "url");
    r->as_token = get(j, "as_token");
    r->hs_token = get(j, "hs_token");
    r->sender_localpart = get(j, "sender_localpart");
    json_decref(j);
    if (!r->id || !r->as_token || !r->hs_token || !r->sender_localpart || !*r->hs_token ||
        !*r->as_token) {
        snprintf(err, errlen, "%s: id, as_token, hs_token and sender_localpart are required "
                              "(run generate-registration)", path);
        as_reg_free(r);
        return -1;
    }
    return 0;
}

static void free_secret(char *s)
{
    if (s) {
        ut_wipe(s, strlen(s));
        free(s);
    }
}

void as_reg_free(as_reg *r)
{
    if (!r)
        return;
    free(r->id);
    free(r->url);
    free_secret(r->as_token);
    free_secret(r->hs_token);
    free(r->sender_localpart);
    memset(r, 0, sizeof(*r));
}

int as_token_new(char out[65])
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char b[64];
    size_t i;

    if (ut_random(b, sizeof(b)))
        return -1;
    for (i = 0; i < 64; i++)
        out[i] = al[b[i] & 63]; /* 64 symbols: no modulo bias */
    out[64] = '\0';
    ut_wipe(b, sizeof(b));
    return 0;
}
