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
struct br_bridge;

/* Reads what it needs from cfg (copied). */
int br_signal_new(br_signal **out, const mxm_host_api *host,
                  const br_config *cfg, char *err, size_t errlen);
/* Fill `ops` so the bridge can drive this Signal side; events are delivered
 * to `bridge` with br_bridge_net_event on the host loop. UT_ERR_INVAL when
 * this build has no Signal client yet. */
int br_signal_ops(br_signal *s, struct br_bridge *bridge, br_net_ops *ops);
void br_signal_free(br_signal *s);

#endif
