/*
 * mx_event.h - one Matrix ClientEvent (as the host delivers it to on_event),
 * parsed into the fields the bridge reads. Pure: bytes in, struct out.
 *
 * Parsing never trusts the input: any field may be missing or of the wrong
 * type; such fields are NULL/0 and `type`, `room_id`, `sender` are required
 * (MX_ERR_EVENT otherwise). Strings are views into `root` and live as long
 * as the event.
 */
#ifndef MX_EVENT_H
#define MX_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ut.h"

enum {
    MX_ERR_EVENT = -1600,  /* not a usable ClientEvent */
    MX_ERR_MXID = -1601,   /* malformed user/room id */
    MX_ERR_STATUS = -1602, /* the homeserver answered with an error */
    MX_ERR_HOST = -1603    /* the host refused the request */
};

const char *mx_strerror(int code);

/* What an m.relates_to says. */
typedef enum mx_rel {
    MX_REL_NONE = 0,
    MX_REL_REPLY,      /* m.in_reply_to */
    MX_REL_REPLACE,    /* an edit: m.replace */
    MX_REL_ANNOTATION, /* a reaction: m.annotation with key */
    MX_REL_THREAD,
    MX_REL_OTHER
} mx_rel;

typedef struct mx_event {
    json_t *root;          /* owned */
    const char *type;
    const char *room_id;
    const char *sender;
    const char *event_id;  /* may be NULL */
    const char *state_key; /* NULL unless a state event */
    int64_t ts;            /* origin_server_ts, 0 if absent */
    json_t *content;       /* borrowed from root; an object (maybe empty) */
    const char *msgtype;   /* m.room.message */
    const char *body;
    const char *membership; /* m.room.member */
    const char *redacts;   /* m.room.redaction (top level or content) */
    const char *txn_id;    /* unsigned.transaction_id, if ours */
    mx_rel rel;
    const char *rel_event_id; /* target of the relation */
    const char *rel_key;      /* reaction key */
    const char *reply_to;     /* m.in_reply_to target (also set with threads) */
} mx_event;

/* Parse `len` bytes of JSON. On success the caller frees with mx_event_free.
 * Depth and size are capped (MX_EVENT_MAX_BYTES). */
#define MX_EVENT_MAX_BYTES (256 * 1024)
int mx_event_parse(mx_event *ev, const char *json, size_t len);
void mx_event_free(mx_event *ev);

/* User IDs: "@localpart:server". Returns 0 and views into `mxid` through
 * the out pointers (not NUL-terminated: use the lengths). MX_ERR_MXID on a
 * malformed id. Either out pointer may be NULL. */
int mx_mxid_split(const char *mxid, const char **local, size_t *local_len,
                  const char **server, size_t *server_len);

/* Percent-encode one path segment (room/event/user ids carry ! $ : @).
 * Writes at most n bytes incl. NUL; returns UT_ERR_RANGE if truncated. */
int mx_path_escape(char *out, size_t n, const char *s);

#endif
