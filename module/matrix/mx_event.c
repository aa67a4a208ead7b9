/*
 * mx_event.c - see mx_event.h.
 */
#include "config.h"

#include <string.h>

#include "mx_event.h"

const char *mx_strerror(int code)
{
    switch (code) {
    case MX_ERR_EVENT: return "not a usable Matrix event";
    case MX_ERR_MXID: return "malformed Matrix ID";
    case MX_ERR_STATUS: return "the homeserver refused the request";
    case MX_ERR_HOST: return "the host refused the request";
    default: return ut_strerror(code);
    }
}

static const char *str(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static void parse_relation(mx_event *ev)
{
    json_t *rel = json_object_get(ev->content, "m.relates_to");
    json_t *irt;
    const char *t;

    if (!json_is_object(rel))
        return;
    irt = json_object_get(rel, "m.in_reply_to");
    if (json_is_object(irt))
        ev->reply_to = str(irt, "event_id");
    t = str(rel, "rel_type");
    if (!t) {
        if (ev->reply_to) {
            ev->rel = MX_REL_REPLY;
            ev->rel_event_id = ev->reply_to;
        }
        return;
    }
    ev->rel_event_id = str(rel, "event_id");
    if (!ev->rel_event_id)
        return;
    if (strcmp(t, "m.replace") == 0)
        ev->rel = MX_REL_REPLACE;
    else if (strcmp(t, "m.annotation") == 0) {
        ev->rel_key = str(rel, "key");
        ev->rel = ev->rel_key ? MX_REL_ANNOTATION : MX_REL_OTHER;
    } else if (strcmp(t, "m.thread") == 0)
        ev->rel = MX_REL_THREAD;
    else
        ev->rel = MX_REL_OTHER;
}

int mx_event_parse(mx_event *ev, const char *json, size_t len)
{
    json_error_t je;
    json_t *ts, *uns;

    memset(ev, 0, sizeof(*ev));
    if (!json || len == 0 || len > MX_EVENT_MAX_BYTES)
        return MX_ERR_EVENT;
    /* jansson caps nesting depth itself (JSON_PARSER_MAX_DEPTH = 2048);
     * REJECT_DUPLICATES avoids two readers disagreeing on a key. */
    ev->root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(ev->root))
        goto bad;
    ev->type = str(ev->root, "type");
    ev->room_id = str(ev->root, "room_id");
    ev->sender = str(ev->root, "sender");
    if (!ev->type || !ev->room_id || !ev->sender || ev->room_id[0] != '!' ||
        mx_mxid_split(ev->sender, NULL, NULL, NULL, NULL) != 0)
        goto bad;
    ev->event_id = str(ev->root, "event_id");
    ev->state_key = str(ev->root, "state_key");
    ts = json_object_get(ev->root, "origin_server_ts");
    ev->ts = json_is_integer(ts) ? (int64_t)json_integer_value(ts) : 0;
    ev->content = json_object_get(ev->root, "content");
    if (!json_is_object(ev->content)) {
        /* redacted events may have no content: give an empty object */
        json_t *empty = json_object();
        if (!empty || json_object_set_new(ev->root, "content", empty) != 0)
            goto bad;
        ev->content = empty;
    }
    uns = json_object_get(ev->root, "unsigned");
    if (json_is_object(uns))
        ev->txn_id = str(uns, "transaction_id");
    ev->msgtype = str(ev->content, "msgtype");
    ev->body = str(ev->content, "body");
    ev->membership = str(ev->content, "membership");
    ev->redacts = str(ev->root, "redacts");
    if (!ev->redacts)
        ev->redacts = str(ev->content, "redacts");
    parse_relation(ev);
    return 0;
bad:
    mx_event_free(ev);
    return MX_ERR_EVENT;
}

void mx_event_free(mx_event *ev)
{
    json_decref(ev->root);
    memset(ev, 0, sizeof(*ev));
}

int mx_mxid_split(const char *mxid, const char **local, size_t *local_len,
                  const char **server, size_t *server_len)
{
    const char *colon;
    size_t n;

    if (!mxid || mxid[0] != '@')
        return MX_ERR_MXID;
    n = strlen(mxid);
    if (n > 255)
        return MX_ERR_MXID;
    colon = strchr(mxid, ':');
    if (!colon || colon == mxid + 1 || colon[1] == '\0')
        return MX_ERR_MXID;
    if (local)
        *local = mxid + 1;
    if (local_len)
        *local_len = (size_t)(colon - mxid - 1);
    if (server)
        *server = colon + 1;
    if (server_len)
        *server_len = strlen(colon + 1);
    return 0;
}

int mx_path_escape(char *out, size_t n, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;

    if (!n)
        return UT_ERR_RANGE;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                    c == '.' || c == '~';
        if (o + (plain ? 1 : 3) >= n) {
            out[o] = '\0';
            return UT_ERR_RANGE;
        }
        if (plain) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
    return 0;
}
