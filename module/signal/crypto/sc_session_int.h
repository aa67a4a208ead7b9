/* sc_session_int.h - the session record struct, shared by sc_session.c and
 * sc_record.c only. */
#ifndef SC_SESSION_INT_H
#define SC_SESSION_INT_H

#include "sc_ratchet.h"
#include "sc_session.h"

struct sc_session {
    int has_current;
    sc_state current;
    sc_state *previous[SC_ARCHIVED_STATES]; /* newest first */
    size_t nprevious;
};

/* Put `st` (moved in, caller's copy cleared) in front of the archive,
 * dropping the oldest beyond SC_ARCHIVED_STATES. */
int sc_session_archive_push(sc_session *s, sc_state *st);

#endif
