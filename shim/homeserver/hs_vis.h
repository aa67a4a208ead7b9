/*
 * hs_vis.h - history visibility: may a reader see the event at a stream
 * position? Pure functions over the reader's membership changes and the
 * room's m.room.history_visibility changes (hs_vis.c has the rules and
 * their sources; hs_roomread.c loads the steps). Not installed.
 */
#ifndef HS_VIS_H
#define HS_VIS_H

#include <stddef.h>
#include <stdint.h>

/* history_visibility values, laxest first (Synapse VISIBILITY_PRIORITY) */
enum { HS_HV_WORLD_READABLE = 0, HS_HV_SHARED, HS_HV_INVITED, HS_HV_JOINED };
/* memberships, "most joined" first (Synapse MEMBERSHIP_PRIORITY) */
enum { HS_MB_JOIN = 0, HS_MB_INVITE, HS_MB_KNOCK, HS_MB_LEAVE, HS_MB_BAN };

/* One change, at the stream position of the state event that made it. */
typedef struct hs_vis_step {
    int64_t stream;
    int value; /* HS_HV_* or HS_MB_* */
} hs_vis_step;

typedef struct hs_vis {
    hs_vis_step *mem; /* the reader's membership changes, ascending */
    size_t nmem;
    hs_vis_step *hv;  /* the room's history_visibility changes, ascending */
    size_t nhv;
    int64_t upto;     /* set by hs_vis_finish: -1 no access, else the last readable stream */
    int peeking;      /* reading a world_readable room without having joined */
} hs_vis;

int hs_vis_value(const char *history_visibility); /* unknown/NULL: shared */
int hs_vis_membership(const char *membership);    /* unknown/NULL: leave */
/* Compute upto and peeking from the steps. */
void hs_vis_finish(hs_vis *v);
/* 1 when the event at `stream` is visible to the reader, else 0. */
int hs_vis_event(const hs_vis *v, int64_t stream);

#endif
