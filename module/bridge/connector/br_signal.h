/*
 * br_signal.h - the bridge's Signal side: br_net_ops implemented over
 * module/signal/client on the module's own thread (br_loop). Events go back
 * to the host loop through host->post().
 */
#ifndef BR_SIGNAL_H
#define BR_SIGNAL_H

#include <mxm/module.h>

#include "br_config.h"
#include "br_net.h"

typedef struct br_signal br_signal;

/* Reads what it needs from cfg (copied). */
int br_signal_new(br_signal **out, const mxm_host_api *host,
                  const br_config *cfg, char *err, size_t errlen);
/* Fill `ops` so the bridge can drive this Signal side; events are delivered
 * to sink->event on the host loop (sink copied). UT_ERR_IO when the Signal
 * thread cannot start. */
int br_signal_ops(br_signal *s, const br_net_sink *sink, br_net_ops *ops);
void br_signal_free(br_signal *s);

#endif
