/* qr_tool.c - `qr_tool TEXT OUT.png`: br_qr_png to a file, for the jsqr
 * round-trip test (tests/unit/bridge/qr-roundtrip.js). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "br_qr.h"

int main(int argc, char **argv)
{
    ut_buf png;
    int side = 0, rc;
    FILE *f;

    if (argc != 3) {
        fprintf(stderr, "usage: qr_tool TEXT OUT.png\n");
        return 2;
    }
    ut_buf_init(&png, 1 << 20);
    rc = br_qr_png(argv[1], 8, 4, &png, &side);
    if (rc != 0) {
        fprintf(stderr, "br_qr_png: %s\n", ut_strerror(rc));
        return 1;
    }
    f = fopen(argv[2], "wb");
    if (!f || fwrite(png.data, 1, png.len, f) != png.len || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", argv[2]);
        return 1;
    }
    printf("%d\n", side);
    ut_buf_free(&png);
    return 0;
}
