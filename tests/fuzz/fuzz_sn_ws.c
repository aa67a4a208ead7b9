/* fuzz_sn_ws.c - a client sn_ws fed arbitrary server bytes in arbitrary
 * splits (first byte picks the split size); every complete message goes to
 * the WebSocketMessage decoder, as in sn_sock. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../module/signal/net/sn_ws.h"
#include "../../module/signal/net/sn_wsmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sink(void *ctx, const uint8_t *p, size_t n)
{
    size_t *total = ctx;

    (void)p;
    *total += n;
    return 0;
}

static void on_msg(sn_ws *ws, int binary, const uint8_t *p, size_t n, void *ud)
{
    sn_wsmsg m;

    (void)ws;
    (void)binary;
    (void)ud;
    if (n > 4096)
        abort(); /* the cap below must hold */
    if (sn_wsmsg_decode(p, n, &m) == 0)
        sn_wsmsg_clear(&m);
}

static void on_close(sn_ws *ws, int code, void *ud)
{
    (void)ws;
    (void)code;
    (void)ud;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const sn_ws_callbacks cbs = {on_msg, on_close};
    sn_ws *ws;
    size_t total = 0, step, off;

    if (size < 1)
        return 0;
    step = (size_t)data[0] % 17 + 1;
    data++;
    size--;
    if (sn_ws_new(&ws, SN_WS_CLIENT, 4096, sink, &total, &cbs, NULL) != 0)
        return 0;
    for (off = 0; off < size; off += step) {
        size_t n = size - off < step ? size - off : step;
        if (sn_ws_feed(ws, data + off, n) != 0)
            break;
    }
    (void)sn_ws_send(ws, 1, (const uint8_t *)"x", 1);
    sn_ws_free(ws);
    return 0;
}
