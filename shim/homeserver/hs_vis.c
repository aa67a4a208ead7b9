/*
 * hs_vis.c - who may read which event of a room: m.room.history_visibility
 * and the reader's membership over time. Pure: the caller (hs_roomread.c)
 * loads the reader's membership changes and the room's history-visibility
 * changes in stream order; mxhs's room graph is linear, so "the state at an
 * event" is the last change at or before its stream position.
 *
 * The rules are the spec's (matrix-org/matrix-spec
 * content/client-server-api/modules/history_visibility.md, "Server
 * behaviour"), in the shape of Synapse's filter_events_for_client
 * (element-hq/synapse synapse/visibility.py: _check_history_visibility,
 * _check_membership, get_effective_room_visibility_from_state):
 *   - world_readable: allowed;
 *   - the reader's membership at the event is join: allowed;
 *   - shared: allowed if the reader joined at or after the event (the
 *     spec's wording; Synapse approximates it with "not peeking", which
 *     also shows a departed member what happened after they left);
 *   - invited: allowed if the reader was invited at the event;
 *   - otherwise denied.
 * A history_visibility event is judged by the laxer of its old and new
 * value; the reader's own membership event by the "more joined" of its old
 * and new membership, and a leave after join or invite is always visible.
 * Unknown values count as shared; no membership counts as leave.
 *
 * Access at all (Synapse check_user_in_room_or_world_readable with
 * allow_departed_users, synapse/api/auth/base.py): a joined reader reads
 * everything the rules allow; a reader who left or was banned after having
 * joined reads up to that membership change (Synapse clamps pagination
 * there, synapse/handlers/pagination.py); anyone else - never joined,
 * invited, kicked or banned before joining - reads nothing, unless the room
 * is world_readable now, when they peek.
 */
#include "config.h"

#include <string.h>

#include "hs_vis.h"

int hs_vis_value(const char *v)
{
    if (v && !strcmp(v, "world_readable"))
        return HS_HV_WORLD_READABLE;
    if (v && !strcmp(v, "invited"))
        return HS_HV_INVITED;
    if (v && !strcmp(v, "joined"))
        return HS_HV_JOINED;
    return HS_HV_SHARED;
}

int hs_vis_membership(const char *m)
{
    if (m && !strcmp(m, "join"))
        return HS_MB_JOIN;
    if (m && !strcmp(m, "invite"))
        return HS_MB_INVITE;
    if (m && !strcmp(m, "knock"))
        return HS_MB_KNOCK;
    if (m && !strcmp(m, "ban"))
        return HS_MB_BAN;
    return HS_MB_LEAVE;
}

/* Index of the last step at or before `stream`, or -1. */
static long step_at(const hs_vis_step *steps, size_t n, int64_t stream)
{
    long i;

    for (i = (long)n - 1; i >= 0; i--)
        if (steps[i].stream <= stream)
            return i;
    return -1;
}

void hs_vis_finish(hs_vis *v)
{
    size_t i;
    int ever_joined = 0, cur = HS_MB_LEAVE;

    for (i = 0; i < v->nmem; i++)
        if (v->mem[i].value == HS_MB_JOIN)
            ever_joined = 1;
    if (v->nmem)
        cur = v->mem[v->nmem - 1].value;
    v->peeking = 0;
    if (cur == HS_MB_JOIN) {
        v->upto = INT64_MAX;
    } else if ((cur == HS_MB_LEAVE || cur == HS_MB_BAN) && ever_joined) {
        v->upto = v->mem[v->nmem - 1].stream;
    } else if (v->nhv && v->hv[v->nhv - 1].value == HS_HV_WORLD_READABLE) {
        v->upto = INT64_MAX;
        v->peeking = 1;
    } else {
        v->upto = -1;
    }
}

int hs_vis_event(const hs_vis *v, int64_t stream)
{
    long h, m;
    int vis, mem;
    size_t i;

    if (v->upto < 0 || stream > v->upto)
        return 0;
    h = step_at(v->hv, v->nhv, stream);
    vis = h < 0 ? HS_HV_SHARED : v->hv[h].value;
    if (h >= 0 && v->hv[h].stream == stream) { /* the visibility event itself */
        int prev = h > 0 ? v->hv[h - 1].value : HS_HV_SHARED;
        if (prev < vis)
            vis = prev;
    }
    if (vis == HS_HV_WORLD_READABLE)
        return 1;
    m = step_at(v->mem, v->nmem, stream);
    mem = m < 0 ? HS_MB_LEAVE : v->mem[m].value;
    if (m >= 0 && v->mem[m].stream == stream) { /* the reader's own membership */
        int prev = m > 0 ? v->mem[m - 1].value : HS_MB_LEAVE;
        if (mem == HS_MB_LEAVE && (prev == HS_MB_JOIN || prev == HS_MB_INVITE))
            return 1;
        if (prev < mem)
            mem = prev;
    }
    if (mem == HS_MB_JOIN)
        return 1;
    if (vis == HS_HV_SHARED) {
        if (v->peeking)
            return 0;
        for (i = m < 0 ? 0 : (size_t)m; i < v->nmem; i++)
            if (v->mem[i].value == HS_MB_JOIN && v->mem[i].stream >= stream)
                return 1;
        return 0;
    }
    if (vis == HS_HV_INVITED)
        return mem == HS_MB_INVITE;
    return 0;
}
