/*
 * br_qr.h - render the link URL as a QR code PNG for an m.image.
 * libqrencode (error correction M) + libpng (8-bit grayscale), in memory.
 */
#ifndef BR_QR_H
#define BR_QR_H

#include "ut.h"

/* Append a PNG of `text` to `png` (init it with a cap of at least 64 KiB).
 * `scale` pixels per module (1..32), `margin` quiet-zone modules (>= 4 per
 * the QR spec). *side gets the image's width = height in pixels. 0, or
 * UT_ERR_INVAL / UT_ERR_NOMEM / UT_ERR_RANGE. */
int br_qr_png(const char *text, int scale, int margin, ut_buf *png, int *side);

#endif
