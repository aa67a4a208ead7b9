/*
 * br_qr.c - see br_qr.h.
 */
#include "config.h"

#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <qrencode.h>

#include "br_qr.h"

typedef struct sink {
    ut_buf *b;
    int failed;
} sink;

static void write_fn(png_structp png, png_bytep data, png_size_t len)
{
    sink *s = png_get_io_ptr(png);

    if (!s->failed && ut_buf_append(s->b, data, len) != 0)
        s->failed = 1;
}

static void flush_fn(png_structp png) { (void)png; }

int br_qr_png(const char *text, int scale, int margin, ut_buf *out, int *side)
{
    QRcode *qr = NULL;
    png_structp png = NULL;
    png_infop info = NULL;
    uint8_t *row = NULL;
    sink s = {out, 0};
    volatile int rc = UT_ERR_NOMEM;
    int w, x, y;

    if (!text || !*text || scale < 1 || scale > 32 || margin < 0 || margin > 16)
        return UT_ERR_INVAL;
    /* Level M: phone cameras read it easily off a screen. */
    qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
    if (!qr)
        return UT_ERR_INVAL; /* too long for any QR version */
    w = (qr->width + 2 * margin) * scale;
    row = malloc((size_t)w);
    png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    info = png ? png_create_info_struct(png) : NULL;
    if (!row || !info)
        goto out;
    if (setjmp(png_jmpbuf(png))) {
        rc = s.failed ? UT_ERR_RANGE : UT_ERR_NOMEM;
        goto out;
    }
    png_set_write_fn(png, &s, write_fn, flush_fn);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)w, 8,
                 PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (y = 0; y < w; y++) {
        int my = y / scale - margin;
        for (x = 0; x < w; x++) {
            int mx = x / scale - margin;
            int dark = mx >= 0 && my >= 0 && mx < qr->width && my < qr->width &&
                       (qr->data[my * qr->width + mx] & 1);
            row[x] = dark ? 0 : 255;
        }
        png_write_row(png, row);
    }
    png_write_end(png, info);
    rc = s.failed ? UT_ERR_RANGE : 0;
    if (side)
        *side = w;
out:
    png_destroy_write_struct(&png, &info);
    free(row);
    QRcode_free(qr);
    return rc;
}
