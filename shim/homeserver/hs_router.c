/*
 * hs_router.c - request helpers and the route table shared by HTTP clients
 * and module requests, so modules see exactly Client-Server API behaviour.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "hs.h"
#include "hs_e2ee.h"

enum {
    R_AUTH = 1,     /* access token required */
    R_JSON = 2,     /* body parsed as a JSON object */
    R_OPTAUTH = 4,  /* authenticate if a token is present */
    R_NOMODULE = 8  /* not for module requests */
};

/* API classes of the path prefix */
enum { C_CLIENT = 1, C_MEDIA = 2, C_MEDIA_AUTH = 4, C_TOP = 8 };

typedef struct route {
    const char *method;
    const char *pattern; /* segments; "*" matches one */
    int classes;
    int flags;
    int (*fn)(hs_req *r);
} route;

static const route routes[] = {
    {"GET", "versions", C_TOP, R_OPTAUTH, hs_h_versions},
    {"GET", "client", C_TOP, 0, hs_h_well_known},
    {"GET", "login", C_CLIENT, 0, hs_h_login_get},
    {"POST", "login", C_CLIENT, R_JSON | R_NOMODULE, hs_h_login},
    {"POST", "register", C_CLIENT, R_JSON | R_NOMODULE, hs_h_register},
    {"GET", "register/available", C_CLIENT, 0, hs_h_register_available},
    {"GET", "account/whoami", C_CLIENT, R_AUTH, hs_h_whoami},
    {"POST", "logout", C_CLIENT, R_AUTH | R_NOMODULE, hs_h_logout},
    {"POST", "logout/all", C_CLIENT, R_AUTH | R_NOMODULE, hs_h_logout_all},
    {"GET", "capabilities", C_CLIENT, R_AUTH, hs_h_capabilities},
    {"GET", "devices", C_CLIENT, R_AUTH, hs_h_devices},
    {"GET", "devices/*", C_CLIENT, R_AUTH, hs_h_devices},
    {"PUT", "devices/*", C_CLIENT, R_AUTH | R_JSON, hs_h_device_put},
    {"GET", "pushrules", C_CLIENT, R_AUTH, hs_h_pushrules},
    {"GET", "pushrules/", C_CLIENT, R_AUTH, hs_h_pushrules},
    {"GET", "pushrules/*", C_CLIENT, R_AUTH, hs_h_pushrules},
    {"PUT", "pushrules/*/*/*", C_CLIENT, R_AUTH | R_JSON, hs_h_pushrules_put},
    {"PUT", "pushrules/*/*/*/*", C_CLIENT, R_AUTH | R_JSON, hs_h_pushrules_put},
    {"DELETE", "pushrules/*/*/*", C_CLIENT, R_AUTH, hs_h_pushrules_put},
    {"POST", "user/*/filter", C_CLIENT, R_AUTH | R_JSON, hs_h_filter_post},
    {"GET", "user/*/filter/*", C_CLIENT, R_AUTH, hs_h_filter_get},
    {"GET", "sync", C_CLIENT, R_AUTH, hs_h_sync},
    {"POST", "createRoom", C_CLIENT, R_AUTH | R_JSON, hs_h_create_room},
    {"POST", "join/*", C_CLIENT, R_AUTH | R_JSON, hs_h_join},
    {"POST", "rooms/*/join", C_CLIENT, R_AUTH | R_JSON, hs_h_join},
    {"POST", "rooms/*/invite", C_CLIENT, R_AUTH | R_JSON, hs_h_membership},
    {"POST", "rooms/*/leave", C_CLIENT, R_AUTH | R_JSON, hs_h_membership},
    {"POST", "rooms/*/kick", C_CLIENT, R_AUTH | R_JSON, hs_h_membership},
    {"POST", "rooms/*/ban", C_CLIENT, R_AUTH | R_JSON, hs_h_membership},
    {"POST", "rooms/*/unban", C_CLIENT, R_AUTH | R_JSON, hs_h_membership},
    {"POST", "rooms/*/forget", C_CLIENT, R_AUTH | R_JSON, hs_h_membership},
    {"PUT", "rooms/*/send/*/*", C_CLIENT, R_AUTH | R_JSON, hs_h_send},
    {"PUT", "rooms/*/state/*/*", C_CLIENT, R_AUTH | R_JSON, hs_h_state_put},
    {"PUT", "rooms/*/state/*", C_CLIENT, R_AUTH | R_JSON, hs_h_state_put},
    {"GET", "rooms/*/state/*/*", C_CLIENT, R_AUTH, hs_h_state_get},
    {"GET", "rooms/*/state/*", C_CLIENT, R_AUTH, hs_h_state_get},
    {"GET", "rooms/*/state", C_CLIENT, R_AUTH, hs_h_state_all},
    {"PUT", "rooms/*/redact/*/*", C_CLIENT, R_AUTH | R_JSON, hs_h_redact},
    {"GET", "joined_rooms", C_CLIENT, R_AUTH, hs_h_joined_rooms},
    {"GET", "rooms/*/joined_members", C_CLIENT, R_AUTH, hs_h_joined_members},
    {"GET", "rooms/*/members", C_CLIENT, R_AUTH, hs_h_members},
    {"GET", "rooms/*/event/*", C_CLIENT, R_AUTH, hs_h_event},
    {"GET", "rooms/*/context/*", C_CLIENT, R_AUTH, hs_h_context},
    {"GET", "rooms/*/messages", C_CLIENT, R_AUTH, hs_h_messages},
    {"GET", "rooms/*/relations/*", C_CLIENT, R_AUTH, hs_h_relations},
    {"GET", "rooms/*/relations/*/*", C_CLIENT, R_AUTH, hs_h_relations},
    {"GET", "rooms/*/relations/*/*/*", C_CLIENT, R_AUTH, hs_h_relations},
    {"PUT", "rooms/*/typing/*", C_CLIENT, R_AUTH | R_JSON, hs_h_typing},
    {"POST", "rooms/*/receipt/*/*", C_CLIENT, R_AUTH | R_JSON, hs_h_receipt},
    {"POST", "rooms/*/read_markers", C_CLIENT, R_AUTH | R_JSON, hs_h_read_markers},
    {"GET", "profile/*", C_CLIENT, R_OPTAUTH, hs_h_profile_get},
    {"GET", "profile/*/*", C_CLIENT, R_OPTAUTH, hs_h_profile_get},
    {"PUT", "profile/*/*", C_CLIENT, R_AUTH | R_JSON, hs_h_profile_put},
    {"PUT", "user/*/account_data/*", C_CLIENT, R_AUTH | R_JSON, hs_h_account_data_put},
    {"GET", "user/*/account_data/*", C_CLIENT, R_AUTH, hs_h_account_data_get},
    {"PUT", "user/*/rooms/*/account_data/*", C_CLIENT, R_AUTH | R_JSON, hs_h_account_data_put},
    {"GET", "user/*/rooms/*/account_data/*", C_CLIENT, R_AUTH, hs_h_account_data_get},
    {"PUT", "presence/*/status", C_CLIENT, R_AUTH | R_JSON, hs_h_presence},
    {"GET", "presence/*/status", C_CLIENT, R_AUTH, hs_h_presence},
    /* end-to-end encryption (hs_e2ee.h) */
    {"POST", "keys/upload", C_CLIENT, R_AUTH | R_JSON, hs_h_keys_upload},
    {"POST", "keys/query", C_CLIENT, R_AUTH | R_JSON, hs_h_keys_query},
    {"POST", "keys/claim", C_CLIENT, R_AUTH | R_JSON, hs_h_keys_claim},
    {"GET", "keys/changes", C_CLIENT, R_AUTH, hs_h_keys_changes},
    {"POST", "keys/device_signing/upload", C_CLIENT, R_AUTH | R_JSON, hs_h_device_signing_upload},
    {"POST", "keys/signatures/upload", C_CLIENT, R_AUTH | R_JSON, hs_h_signatures_upload},
    {"PUT", "sendToDevice/*/*", C_CLIENT, R_AUTH | R_JSON, hs_h_send_to_device},
    {"DELETE", "devices/*", C_CLIENT, R_AUTH | R_JSON, hs_h_device_delete},
    {"POST", "delete_devices", C_CLIENT, R_AUTH | R_JSON, hs_h_delete_devices},
    {"GET", "room_keys/version", C_CLIENT, R_AUTH, hs_h_room_keys_version},
    {"POST", "room_keys/version", C_CLIENT, R_AUTH | R_JSON, hs_h_room_keys_version},
    {"GET", "room_keys/version/*", C_CLIENT, R_AUTH, hs_h_room_keys_version},
    {"PUT", "room_keys/version/*", C_CLIENT, R_AUTH | R_JSON, hs_h_room_keys_version},
    {"DELETE", "room_keys/version/*", C_CLIENT, R_AUTH, hs_h_room_keys_version},
    {"GET", "room_keys/keys", C_CLIENT, R_AUTH, hs_h_room_keys},
    {"PUT", "room_keys/keys", C_CLIENT, R_AUTH | R_JSON, hs_h_room_keys},
    {"DELETE", "room_keys/keys", C_CLIENT, R_AUTH, hs_h_room_keys},
    {"GET", "room_keys/keys/*", C_CLIENT, R_AUTH, hs_h_room_keys},
    {"PUT", "room_keys/keys/*", C_CLIENT, R_AUTH | R_JSON, hs_h_room_keys},
    {"DELETE", "room_keys/keys/*", C_CLIENT, R_AUTH, hs_h_room_keys},
    {"GET", "room_keys/keys/*/*", C_CLIENT, R_AUTH, hs_h_room_keys},
    {"PUT", "room_keys/keys/*/*", C_CLIENT, R_AUTH | R_JSON, hs_h_room_keys},
    {"DELETE", "room_keys/keys/*/*", C_CLIENT, R_AUTH, hs_h_room_keys},
    {"GET", "voip/turnServer", C_CLIENT, R_AUTH, hs_h_turn_server},
    /* media: authenticated v1 under /_matrix/client/v1/media, legacy under
     * /_matrix/media/{r0,v1,v3} */
    {"POST", "upload", C_MEDIA, R_AUTH, hs_h_media_upload},
    {"GET", "config", C_MEDIA | C_MEDIA_AUTH, R_AUTH, hs_h_media_config},
    {"GET", "download/*/*", C_MEDIA | C_MEDIA_AUTH, R_OPTAUTH, hs_h_media_download},
    {"GET", "download/*/*/*", C_MEDIA | C_MEDIA_AUTH, R_OPTAUTH, hs_h_media_download},
    {"GET", "thumbnail/*/*", C_MEDIA | C_MEDIA_AUTH, R_OPTAUTH, hs_h_media_download},
};

int hs_err(hs_req *r, int status, const char *errcode, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_decref(r->resp);
    r->status = status;
    r->resp = json_pack("{s:s,s:s}", "errcode", errcode, "error", msg);
    return HS_DONE;
}

int hs_ok(hs_req *r, json_t *resp)
{
    json_decref(r->resp);
    r->status = 200;
    r->resp = resp ? resp : json_object();
    return HS_DONE;
}

const char *hs_query(hs_req *r, const char *key)
{
    return r->query ? json_string_value(json_object_get(r->query, key)) : NULL;
}

void hs_req_free(hs_req *r)
{
    int i;

    if (!r)
        return;
    for (i = 0; i < r->nseg; i++)
        free(r->segs[i]);
    json_decref(r->query);
    json_decref(r->json);
    json_decref(r->resp);
    free(r->raw);
    free(r);
}

void hs_req_done(hs_req *r)
{
    r->finish(r);
}

int hs_json_depth_ok(const unsigned char *p, size_t n, int max)
{
    int depth = 0, in_str = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '{' || c == '[') {
            if (++depth > max)
                return -1;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return 0;
}

int hs_req_parse_json(hs_req *r)
{
    json_error_t je;
    size_t i;
    int blank = 1;

    for (i = 0; i < r->body_len; i++)
        if (!strchr(" \t\r\n", r->body[i]))
            blank = 0;
    if (blank) { /* nio's receipt sends no body at all */
        r->json = json_object();
        return 0;
    }
    if (r->body_len > HS_JSON_MAX_BODY) {
        hs_err(r, 413, "M_TOO_LARGE", "request body over %u bytes", HS_JSON_MAX_BODY);
        return -1;
    }
    if (hs_json_depth_ok(r->body, r->body_len, HS_JSON_MAX_DEPTH)) {
        hs_err(r, 400, "M_BAD_JSON", "JSON nested deeper than %d", HS_JSON_MAX_DEPTH);
        return -1;
    }
    r->json = json_loadb((const char *)r->body, r->body_len,
                         JSON_REJECT_DUPLICATES, &je);
    if (!r->json) {
        hs_err(r, 400, "M_NOT_JSON", "body is not valid JSON: %s", je.text);
        return -1;
    }
    if (!json_is_object(r->json)) {
        hs_err(r, 400, "M_BAD_JSON", "body must be a JSON object");
        return -1;
    }
    return 0;
}

int hs_req_set_path(hs_req *r, const char *path)
{
    const char *p = path;

    while (*p == '/')
        p++;
    while (r->nseg < HS_MAX_SEGS) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char *raw = strndup(p, n);
        size_t outlen = 0;
        if (!raw)
            return -1;
        r->segs[r->nseg] = evhttp_uridecode(raw, 0, &outlen);
        free(raw);
        if (!r->segs[r->nseg])
            return -1;
        if (strlen(r->segs[r->nseg]) != outlen) { /* embedded NUL */
            free(r->segs[r->nseg]);
            return -1;
        }
        r->nseg++;
        if (!e)
            return 0;
        p = e + 1;
    }
    return -1;
}

/* Does the pattern match r->segs[off..]? */
static int match(const char *pat, hs_req *r, int off)
{
    int i = off;
    const char *p = pat;

    for (;;) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (i >= r->nseg)
            return 0;
        if (!(n == 1 && *p == '*') &&
            (strlen(r->segs[i]) != n || strncmp(r->segs[i], p, n)))
            return 0;
        i++;
        if (!e)
            break;
        p = e + 1;
    }
    return i == r->nseg;
}

/* Classify the prefix; returns the class and sets *off to the first segment
 * after it, or 0 for an unknown prefix. */
static int classify(hs_req *r, int *off)
{
    if (r->nseg >= 3 && !strcmp(r->segs[0], "_matrix") &&
        !strcmp(r->segs[1], "client") && !strcmp(r->segs[2], "versions")) {
        *off = 2;
        return C_TOP;
    }
    if (r->nseg >= 3 && !strcmp(r->segs[0], ".well-known") &&
        !strcmp(r->segs[1], "matrix")) {
        *off = 2;
        return C_TOP;
    }
    if (r->nseg >= 4 && !strcmp(r->segs[0], "_matrix") &&
        !strcmp(r->segs[1], "client") && !strcmp(r->segs[2], "v1") &&
        !strcmp(r->segs[3], "media")) {
        *off = 4;
        return C_MEDIA_AUTH;
    }
    if (r->nseg >= 3 && !strcmp(r->segs[0], "_matrix") &&
        !strcmp(r->segs[1], "client") &&
        (!strcmp(r->segs[2], "r0") || !strcmp(r->segs[2], "v3") ||
         !strcmp(r->segs[2], "v1") || !strcmp(r->segs[2], "unstable"))) {
        *off = 3;
        return C_CLIENT;
    }
    if (r->nseg >= 3 && !strcmp(r->segs[0], "_matrix") &&
        !strcmp(r->segs[1], "media") &&
        (!strcmp(r->segs[2], "r0") || !strcmp(r->segs[2], "v3") ||
         !strcmp(r->segs[2], "v1"))) {
        *off = 3;
        return C_MEDIA;
    }
    return 0;
}

static int dispatch(hs_req *r)
{
    int off = 0, cls = classify(r, &off), path_ok = 0;
    size_t i;

    if (!cls)
        return hs_err(r, 404, "M_UNRECOGNIZED", "Unrecognized request");
    /* Trailing slash ("pushrules/", "state/m.room.name/") leaves an empty
     * last segment; patterns list both forms where it matters. */
    for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        const route *rt = &routes[i];
        char pat[64];
        int m;
        if (!(rt->classes & cls))
            continue;
        snprintf(pat, sizeof(pat), "%s", rt->pattern);
        if (pat[strlen(pat) - 1] == '/') { /* literal empty last segment */
            m = r->nseg - off == 2 && !strncmp(r->segs[off], pat, strlen(pat) - 1) &&
                strlen(r->segs[off]) == strlen(pat) - 1 && !*r->segs[off + 1];
        } else {
            m = match(rt->pattern, r, off);
        }
        if (!m)
            continue;
        path_ok = 1;
        if (strcmp(rt->method, r->method))
            continue;
        /* make segment 0 the first one after the prefix */
        if (off) {
            int k;
            for (k = 0; k < off; k++)
                free(r->segs[k]);
            memmove(r->segs, r->segs + off, sizeof(char *) * (size_t)(r->nseg - off));
            r->nseg -= off;
        }
        r->media_auth = cls == C_MEDIA_AUTH;
        if (r->from_module && (rt->flags & R_NOMODULE))
            return hs_err(r, 403, "M_FORBIDDEN", "not available to modules");
        if ((rt->flags & (R_AUTH | R_OPTAUTH)) && !r->authed) {
            int a = hs_auth_request(r);
            if (a < 0 && (rt->flags & R_AUTH))
                return HS_DONE; /* error set */
            if (a < 0) { /* optional auth failed: still an error if a token was given */
                if (r->status == 401 && r->resp &&
                    !strcmp(json_string_value(json_object_get(r->resp, "errcode")), "M_UNKNOWN_TOKEN"))
                    return HS_DONE;
                json_decref(r->resp);
                r->resp = NULL;
                r->status = 0;
            }
        }
        if ((rt->flags & R_JSON) && hs_req_parse_json(r))
            return HS_DONE;
        return rt->fn(r);
    }
    if (path_ok)
        return hs_err(r, 405, "M_UNRECOGNIZED", "Method %s not allowed here", r->method);
    return hs_err(r, 404, "M_UNRECOGNIZED", "Unrecognized request");
}

void hs_route(hs_req *r)
{
    if (dispatch(r) == HS_PENDING)
        return;
    if (!r->resp && !r->raw)
        hs_err(r, 500, "M_UNKNOWN", "internal error");
    r->finish(r);
}
