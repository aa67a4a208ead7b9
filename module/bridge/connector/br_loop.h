/*
 * br_loop.h - the module's own thread: one libevent loop that serves every
 * linked Signal account (ARCHITECTURE §4). Other threads hand it work with
 * br_loop_post(), the mirror image of the host's post().
 */
#ifndef BR_LOOP_H
#define BR_LOOP_H

struct event_base;

typedef struct br_loop br_loop;

/* A task runs exactly once on the loop thread; cancelled = 1 when the loop
 * is stopping and the task must only release `arg`. */
typedef void (*br_task_fn)(void *arg, int cancelled);

/* Start the thread. `init`, if given, runs first on the new thread (create
 * per-thread objects there). */
int br_loop_new(br_loop **out, void (*init)(void *arg, struct event_base *base),
                void *init_arg);
/* Thread-safe. 0, or UT_ERR_INVAL when the loop is stopping (arg still
 * owned by the caller). Tasks from one thread run in posting order. */
int br_loop_post(br_loop *l, br_task_fn fn, void *arg);
/* The base, for objects created on the loop thread. */
struct event_base *br_loop_base(br_loop *l);
/* Stop: `fini` (if given) runs on the loop thread to free per-thread
 * objects, queued tasks run cancelled, then the thread is joined. */
void br_loop_free(br_loop *l, void (*fini)(void *arg), void *fini_arg);

#endif
