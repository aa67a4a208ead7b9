/* fuzz_hs_event.c - libFuzzer target for mxhs's event functions
 * (shim/homeserver/hs_event.c): the input, if JSON, is used as an event
 * (redacted under v10 and v11 rules, hashed, given an ID, authorised
 * against a fixed room state) and, when it is {"state":{...},"event":{...}},
 * as a room state too. Nothing may crash or leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <sodium.h>

#include "hs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static json_t *fixed_state(void)
{
    return json_pack("{s:{s:s,s:s,s:s,s:{s:s}},s:{s:s,s:s,s:s,s:{s:s}},s:{s:s,s:s,s:s,s:{s:{s:i}}}}",
                     "m.room.create\x1f", "type", "m.room.create", "sender", "@a:t", "state_key", "",
                     "content", "creator", "@a:t",
                     "m.room.member\x1f@a:t", "type", "m.room.member", "sender", "@a:t",
                     "state_key", "@a:t", "content", "membership", "join",
                     "m.room.power_levels\x1f", "type", "m.room.power_levels", "sender", "@a:t",
                     "state_key", "", "content", "users", "@a:t", 100);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *in, *ev, *state, *r;
    char why[256], id[64];
    char *txt;

    if (sodium_init() < 0)
        return 0;
    in = json_loadb((const char *)data, size, 0, NULL);
    if (!json_is_object(in)) {
        json_decref(in);
        return 0;
    }
    ev = json_object_get(in, "event");
    state = json_object_get(in, "state");
    if (json_is_object(ev) && json_is_object(state)) {
        json_incref(ev);
        json_incref(state);
    } else {
        ev = json_incref(in);
        state = fixed_state();
    }
    hs_event_auth(state, ev, why, sizeof(why));
    hs_pl_user(state, "@a:t");
    hs_pl_event(state, "m.room.message", 0);
    r = hs_event_redact(ev, "10");
    json_decref(r);
    r = hs_event_redact(ev, "11");
    json_decref(r);
    r = json_deep_copy(ev);
    if (r && hs_event_hash(r) == 0)
        hs_event_id(r, "10", id);
    json_decref(r);
    txt = hs_canonical_json(ev);
    free(txt);
    json_decref(ev);
    json_decref(state);
    json_decref(in);
    return 0;
}
