/*
 * br_media_int.h - what br_media.c (Signal -> Matrix, shared helpers) and
 * br_media_out.c (Matrix -> Signal) share. Host loop thread only.
 */
#ifndef BR_MEDIA_INT_H
#define BR_MEDIA_INT_H

#include <stddef.h>
#include <stdint.h>

#include "br_internal.h"
#include "br_media.h"

enum { IN_STORED = 0, IN_DOWNLOADED, IN_UPLOADED, IN_BRIDGED, IN_FAILED };
enum { OUT_STORED = 0, OUT_DOWNLOADED, OUT_HANDED, OUT_FINISHED };
enum { DIR_IN = 0, DIR_OUT = 1, DIR_LP = 2 /* a link preview's image */ };

typedef struct busy {
    int dir;
    int64_t id;
    struct busy *next;
} busy;

struct br_media_state {
    char dir[4096];   /* <data_dir>/media */
    busy *busy;
};

typedef struct job {  /* the argument of an asynchronous step */
    br_bridge *b;
    int64_t id;
    int as_bot;       /* sent as the bot: the host refused acting as the user */
} job;

/* Rows in flight (busy_set: 1 when newly marked, 0 when already busy). */
int br_media_busy_test(br_bridge *b, int dir, int64_t id);
int br_media_busy_set(br_bridge *b, int dir, int64_t id);
void br_media_busy_clear(br_bridge *b, int dir, int64_t id);
/* A job for a completion; NULL on out of memory. Caller frees. */
job *br_media_job(br_bridge *b, int64_t id);
/* Temp file of an incoming attachment; folder of an outgoing file. */
void br_media_in_path(br_bridge *b, int64_t id, char *out, size_t n);
void br_media_out_dir(br_bridge *b, int64_t id, char *out, size_t n);
/* Whole file, at most max bytes (UT_ERR_RANGE over, UT_ERR_IO, NOMEM);
 * caller frees *out. */
int br_media_read_all(const char *path, size_t max, uint8_t **out, size_t *len);
/* Create 0600, write, fsync; nothing left behind on error (UT_ERR_IO). */
int br_media_write_all(const char *path, const void *data, size_t len);
/* br_media_out.c: resume the files not sent before the last stop. */
void br_media_out_resume(br_bridge *b);

#endif
