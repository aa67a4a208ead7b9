/*
 * hs_event.c - the event graph's pure functions: canonical JSON, content and
 * reference hashes (event IDs of room versions 4+), the redaction algorithm
 * (v10 and v11 rules) and the authorization rules for membership, power
 * levels and redactions. No I/O, no database: unit-tested in tests/unit/homeserver.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "hs.h"

char *hs_canonical_json(const json_t *j)
{
    return json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
}

static int sha256_b64(const json_t *j, char *out, size_t outlen, int variant)
{
    unsigned char h[32];
    char *txt = hs_canonical_json(j);

    if (!txt)
        return UT_ERR_NOMEM;
    crypto_hash_sha256(h, (const unsigned char *)txt, strlen(txt));
    free(txt);
    sodium_bin2base64(out, outlen, h, sizeof(h), variant);
    return 0;
}

int hs_event_hash(json_t *pdu)
{
    json_t *c = json_deep_copy(pdu);
    char b64[64];
    int rc;

    if (!c)
        return UT_ERR_NOMEM;
    json_object_del(c, "unsigned");
    json_object_del(c, "signatures");
    json_object_del(c, "hashes");
    rc = sha256_b64(c, b64, sizeof(b64), sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
    json_decref(c);
    if (rc)
        return rc;
    return json_object_set_new(pdu, "hashes", json_pack("{s:s}", "sha256", b64))
               ? UT_ERR_NOMEM
               : 0;
}

int hs_event_id(const json_t *pdu, const char *room_version, char out[64])
{
    json_t *red = hs_event_redact(pdu, room_version);
    char b64[48];
    int rc;

    if (!red)
        return UT_ERR_NOMEM;
    json_object_del(red, "signatures");
    json_object_del(red, "unsigned");
    json_object_del(red, "event_id");
    rc = sha256_b64(red, b64, sizeof(b64), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    json_decref(red);
    if (rc == 0) {
        out[0] = '$';
        memcpy(out + 1, b64, 44); /* 43 characters and the NUL */
    }
    return rc;
}

static int in_list(const char *k, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(k, *list))
            return 1;
    return 0;
}

json_t *hs_event_redact(const json_t *pdu, const char *room_version)
{
    static const char *const top_v10[] = {
        "event_id", "type", "room_id", "sender", "state_key", "content",
        "hashes", "signatures", "depth", "prev_events", "prev_state",
        "auth_events", "origin", "origin_server_ts", "membership", NULL};
    static const char *const top_v11[] = {
        "event_id", "type", "room_id", "sender", "state_key", "content",
        "hashes", "signatures", "depth", "prev_events", "auth_events",
        "origin_server_ts", NULL};
    int v11 = room_version && strcmp(room_version, "11") == 0;
    const char *type = json_string_value(json_object_get(pdu, "type"));
    json_t *out = json_object(), *content = json_object_get(pdu, "content");
    json_t *nc = json_object();
    const char *k;
    json_t *v;

    if (!out || !nc) {
        json_decref(out);
        json_decref(nc);
        return NULL;
    }
    json_object_foreach((json_t *)pdu, k, v)
        if (in_list(k, v11 ? top_v11 : top_v10))
            json_object_set(out, k, v);
    if (type && json_is_object(content)) {
        static const char *const member10[] = {"membership", NULL};
        static const char *const member11[] = {"membership", "join_authorised_via_users_server", NULL};
        static const char *const create10[] = {"creator", NULL};
        static const char *const jr10[] = {"join_rule", NULL};
        static const char *const jr11[] = {"join_rule", "allow", NULL};
        static const char *const pl10[] = {"ban", "events", "events_default", "kick", "redact",
                                           "state_default", "users", "users_default", NULL};
        static const char *const pl11[] = {"ban", "events", "events_default", "invite", "kick",
                                           "redact", "state_default", "users", "users_default", NULL};
        static const char *const hv[] = {"history_visibility", NULL};
        static const char *const red11[] = {"redacts", NULL};
        const char *const *keep = NULL;
        int all = 0;

        if (!strcmp(type, "m.room.member"))
            keep = v11 ? member11 : member10;
        else if (!strcmp(type, "m.room.create"))
            v11 ? (void)(all = 1) : (void)(keep = create10);
        else if (!strcmp(type, "m.room.join_rules"))
            keep = v11 ? jr11 : jr10;
        else if (!strcmp(type, "m.room.power_levels"))
            keep = v11 ? pl11 : pl10;
        else if (!strcmp(type, "m.room.history_visibility"))
            keep = hv;
        else if (v11 && !strcmp(type, "m.room.redaction"))
            keep = red11;
        json_object_foreach(content, k, v)
            if (all || (keep && in_list(k, keep)))
                json_object_set(nc, k, v);
        if (v11 && !strcmp(type, "m.room.member")) {
            json_t *signed_ = json_object_get(json_object_get(content, "third_party_invite"), "signed");
            if (signed_)
                json_object_set_new(nc, "third_party_invite", json_pack("{s:O}", "signed", signed_));
        }
    }
    json_object_set_new(out, "content", nc);
    return out;
}

/* ---- authorization rules ------------------------------------------------ */

static const json_t *state_get(const json_t *state, const char *type,
                               const char *key)
{
    char k[512];

    snprintf(k, sizeof(k), "%s\x1f%s", type, key ? key : "");
    return json_object_get(state, k);
}

static const char *membership_of(const json_t *state, const char *user)
{
    const json_t *m = state_get(state, "m.room.member", user);
    const char *v = json_string_value(
        json_object_get(json_object_get(m, "content"), "membership"));

    return v ? v : "leave";
}

static int64_t int_or(const json_t *o, const char *k, int64_t def)
{
    json_t *v = json_object_get(o, k);

    return json_is_integer(v) ? json_integer_value(v) : def;
}

static const char *creator_of(const json_t *state)
{
    const json_t *c = state_get(state, "m.room.create", "");
    const char *cr = json_string_value(json_object_get(json_object_get(c, "content"), "creator"));

    return cr ? cr : json_string_value(json_object_get(c, "sender"));
}

int64_t hs_pl_user(const json_t *state, const char *user)
{
    const json_t *pl = json_object_get(state_get(state, "m.room.power_levels", ""), "content");
    const char *creator;

    if (pl)
        return int_or(json_object_get(pl, "users"), user,
                      int_or(pl, "users_default", 0));
    creator = creator_of(state);
    return creator && user && !strcmp(creator, user) ? 100 : 0;
}

int64_t hs_pl_event(const json_t *state, const char *type, int is_state)
{
    const json_t *pl = json_object_get(state_get(state, "m.room.power_levels", ""), "content");

    if (!pl)
        return 0;
    return int_or(json_object_get(pl, "events"), type,
                  is_state ? int_or(pl, "state_default", 50)
                           : int_or(pl, "events_default", 0));
}

static int64_t pl_named(const json_t *state, const char *name, int64_t def)
{
    const json_t *pl = json_object_get(state_get(state, "m.room.power_levels", ""), "content");

    return pl ? int_or(pl, name, def) : def;
}

#define DENY(...)                                                            \
    do {                                                                     \
        snprintf(why, whylen, __VA_ARGS__);                                  \
        return HS_ERR_FORBIDDEN;                                             \
    } while (0)

static int auth_member(const json_t *state, const json_t *ev, char *why,
                       size_t whylen)
{
    const char *sender = json_string_value(json_object_get(ev, "sender"));
    const char *target = json_string_value(json_object_get(ev, "state_key"));
    const char *mem = json_string_value(json_object_get(json_object_get(ev, "content"), "membership"));
    const char *sm, *tm, *jr;
    int64_t spl, tpl;

    if (!sender || !target || !mem)
        DENY("member event needs sender, state_key and membership");
    sm = membership_of(state, sender);
    tm = membership_of(state, target);
    jr = json_string_value(json_object_get(
        json_object_get(state_get(state, "m.room.join_rules", ""), "content"), "join_rule"));
    if (!jr)
        jr = "invite";
    spl = hs_pl_user(state, sender);
    tpl = hs_pl_user(state, target);

    if (!strcmp(mem, "join")) {
        const char *creator = creator_of(state);
        if (strcmp(sender, target))
            DENY("cannot join on behalf of another user");
        if (json_object_size(state) == 1 && creator && !strcmp(creator, sender))
            return 0; /* the creator's first join */
        if (!strcmp(tm, "ban"))
            DENY("%s is banned from the room", target);
        if (!strcmp(jr, "public"))
            return 0;
        if (!strcmp(tm, "invite") || !strcmp(tm, "join"))
            return 0;
        DENY("the room is invite-only and %s is not invited", target);
    }
    if (!strcmp(mem, "invite")) {
        if (strcmp(sm, "join"))
            DENY("the inviter is not in the room");
        if (!strcmp(tm, "join") || !strcmp(tm, "ban"))
            DENY("%s is already %s", target, !strcmp(tm, "ban") ? "banned" : "in the room");
        if (spl < pl_named(state, "invite", 0))
            DENY("power level too low to invite");
        return 0;
    }
    if (!strcmp(mem, "leave")) {
        if (!strcmp(sender, target)) {
            if (!strcmp(tm, "join") || !strcmp(tm, "invite") || !strcmp(tm, "knock"))
                return 0;
            DENY("not in the room");
        }
        if (strcmp(sm, "join"))
            DENY("the sender is not in the room");
        if (!strcmp(tm, "ban") && spl < pl_named(state, "ban", 50))
            DENY("power level too low to unban");
        if (!strcmp(tm, "ban"))
            return 0;
        if (spl < pl_named(state, "kick", 50) || tpl >= spl)
            DENY("power level too low to kick %s", target);
        return 0;
    }
    if (!strcmp(mem, "ban")) {
        if (strcmp(sm, "join"))
            DENY("the sender is not in the room");
        if (spl < pl_named(state, "ban", 50) || tpl >= spl)
            DENY("power level too low to ban %s", target);
        return 0;
    }
    DENY("unsupported membership '%s'", mem);
}

/* A changed key of a power-level map must stay within the sender's level. */
static int pl_map_ok(const json_t *oldm, const json_t *newm, int64_t spl,
                     const char *sender, int is_users)
{
    const char *k;
    json_t *v;

    json_object_foreach((json_t *)newm, k, v) {
        json_t *o = json_object_get(oldm, k);
        if (!json_is_integer(v))
            return 0;
        if (o && json_equal(o, v))
            continue;
        if (json_integer_value(v) > spl)
            return 0;
        if (o && json_integer_value(o) > spl)
            return 0;
        if (is_users && o && strcmp(k, sender) && json_integer_value(o) >= spl)
            return 0;
    }
    json_object_foreach((json_t *)oldm, k, v) {
        if (json_object_get(newm, k))
            continue;
        if (json_integer_value(v) > spl)
            return 0;
        if (is_users && strcmp(k, sender) && json_integer_value(v) >= spl)
            return 0;
    }
    return 1;
}

static int auth_power_levels(const json_t *state, const json_t *ev, char *why,
                             size_t whylen)
{
    const char *sender = json_string_value(json_object_get(ev, "sender"));
    const json_t *oldc = json_object_get(state_get(state, "m.room.power_levels", ""), "content");
    const json_t *newc = json_object_get(ev, "content");
    static const char *const named[] = {"users_default", "events_default", "state_default",
                                        "ban", "redact", "kick", "invite", NULL};
    int64_t spl = hs_pl_user(state, sender);
    json_t *empty = json_object();
    size_t i;
    int ok = 1;

    if (!oldc)
        goto out; /* the first power_levels event */
    for (i = 0; named[i]; i++) {
        json_t *o = json_object_get(oldc, named[i]), *n = json_object_get(newc, named[i]);
        if (n && !json_is_integer(n))
            ok = 0;
        if ((o || n) && !(o && n && json_equal(o, n)) &&
            ((o && json_integer_value(o) > spl) || (n && json_integer_value(n) > spl)))
            ok = 0;
    }
    if (!pl_map_ok(json_object_get(oldc, "users") ? json_object_get(oldc, "users") : empty,
                   json_object_get(newc, "users") ? json_object_get(newc, "users") : empty,
                   spl, sender, 1) ||
        !pl_map_ok(json_object_get(oldc, "events") ? json_object_get(oldc, "events") : empty,
                   json_object_get(newc, "events") ? json_object_get(newc, "events") : empty,
                   spl, sender, 0))
        ok = 0;
out:
    json_decref(empty);
    if (!ok)
        DENY("power level change exceeds the sender's own level");
    return 0;
}

/*
 * Redactions. Room versions 3+ (mxhs serves 10 and 11) dropped the redaction
 * rule from the auth rules and let the server apply a redaction only when
 * the sender has the redact level or sent the original
 * (matrix-org/matrix-spec content/rooms/fragments/v3-handling-redactions.md).
 * Synapse checks the same before it accepts a local client's redaction,
 * from any endpoint (element-hq/synapse synapse/event_auth.py
 * check_redaction, synapse/handlers/message.py persist_and_notify_client_events:
 * the original must be in the same room, and m.room.create is never
 * redacted). mxhs has no federation, so it refuses here instead of storing
 * a redaction it would not apply. v11 moved `redacts` into content
 * (content/rooms/fragments/v11-redactions.md); mxhs writes both.
 */
static int auth_redaction(const json_t *state, const json_t *ev,
                          const json_t *original, char *why, size_t whylen)
{
    const char *sender = json_string_value(json_object_get(ev, "sender"));
    const char *target = json_string_value(json_object_get(json_object_get(ev, "content"), "redacts"));
    const char *osender, *otype;

    if (!target)
        target = json_string_value(json_object_get(ev, "redacts"));
    if (!target)
        DENY("a redaction needs the ID of the event it redacts (redacts)");
    if (original) {
        const char *oroom = json_string_value(json_object_get(original, "room_id"));
        const char *room = json_string_value(json_object_get(ev, "room_id"));
        if (!oroom || !room || strcmp(oroom, room))
            original = NULL; /* another room's event is unknown here */
    }
    otype = json_string_value(json_object_get(original, "type"));
    if (otype && !strcmp(otype, "m.room.create"))
        DENY("the m.room.create event cannot be redacted");
    if (hs_pl_user(state, sender) >= pl_named(state, "redact", 50))
        return 0;
    osender = json_string_value(json_object_get(original, "sender"));
    if (!original)
        DENY("unknown event %s (only moderators redact events they cannot see)", target);
    if (!osender || strcmp(osender, sender))
        DENY("power level too low to redact others' events");
    return 0;
}

int hs_event_auth(const json_t *state, const json_t *ev, char *why,
                  size_t whylen)
{
    return hs_event_auth_with(state, ev, NULL, why, whylen);
}

int hs_event_auth_with(const json_t *state, const json_t *ev,
                       const json_t *original, char *why, size_t whylen)
{
    const char *type = json_string_value(json_object_get(ev, "type"));
    const char *sender = json_string_value(json_object_get(ev, "sender"));
    const json_t *sk = json_object_get(ev, "state_key");
    int64_t need;

    if (!type || !sender || !json_is_object(json_object_get(ev, "content")))
        DENY("event lacks type, sender or content");
    if (!strcmp(type, "m.room.create")) {
        if (state_get(state, "m.room.create", ""))
            DENY("the room already exists");
        return 0;
    }
    if (!state_get(state, "m.room.create", ""))
        DENY("no m.room.create in the room state");
    if (!strcmp(type, "m.room.member"))
        return auth_member(state, ev, why, whylen);
    if (strcmp(membership_of(state, sender), "join"))
        DENY("%s is not in the room", sender);
    need = hs_pl_event(state, type, sk != NULL);
    if (hs_pl_user(state, sender) < need)
        DENY("power level %lld below the %lld needed for %s",
             (long long)hs_pl_user(state, sender), (long long)need, type);
    if (json_is_string(sk) && json_string_value(sk)[0] == '@' &&
        strcmp(json_string_value(sk), sender))
        DENY("state keys starting with @ belong to that user");
    if (!strcmp(type, "m.room.power_levels"))
        return auth_power_levels(state, ev, why, whylen);
    if (!strcmp(type, "m.room.redaction"))
        return auth_redaction(state, ev, original, why, whylen);
    return 0;
}
