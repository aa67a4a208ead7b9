/*
 * br_avatar.h - a Signal avatar (a contact's profile picture or a group's
 * avatar) uploaded to Matrix media once, for br_puppet.c and br_group.c.
 * Host loop thread only.
 */
#ifndef BR_AVATAR_H
#define BR_AVATAR_H

#include <stddef.h>
#include <stdint.h>

#include "br_internal.h"

/* Called once with the upload's mxc: URI, or NULL when it failed (logged). */
typedef void (*br_avatar_done)(void *arg, const char *mxc);

/* Upload `data` (an image; its type is read from its first bytes) as the
 * bot. 0 when started (`done` follows), else an error and `done` is not
 * called. `what` names it in the log ("a contact's", "a group's"). */
int br_avatar_upload(br_bridge *b, const char *what, const uint8_t *data, size_t len,
                     br_avatar_done done, void *arg);

#endif
