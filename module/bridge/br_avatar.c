/* br_avatar.c - uploading a Signal avatar to Matrix media (br_avatar.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "br_avatar.h"

typedef struct up_ctx {
    br_bridge *b;
    const char *what;
    br_avatar_done done;
    void *arg;
} up_ctx;

static void on_uploaded(void *arg, int status, json_t *body)
{
    up_ctx *u = arg;
    const char *mxc = json_string_value(json_object_get(body, "content_uri"));

    if (status != 200 || !mxc || strncmp(mxc, "mxc://", 6) != 0) {
        ut_logf(&u->b->log, UT_LOG_WARN, "bridge: uploading %s avatar failed (HTTP %d)", u->what,
                status);
        mxc = NULL;
    }
    u->done(u->arg, mxc);
    free(u);
}

/* The image's type from its first bytes: Signal clients upload JPEG
 * (Desktop and Android encode profile and group avatars as JPEG), others
 * are recognised in case. */
static const char *image_type(const uint8_t *d, size_t n)
{
    if (n >= 8 && !memcmp(d, "\x89PNG\r\n\x1a\n", 8))
        return "image/png";
    if (n >= 6 && (!memcmp(d, "GIF87a", 6) || !memcmp(d, "GIF89a", 6)))
        return "image/gif";
    if (n >= 12 && !memcmp(d, "RIFF", 4) && !memcmp(d + 8, "WEBP", 4))
        return "image/webp";
    return "image/jpeg";
}

int br_avatar_upload(br_bridge *b, const char *what, const uint8_t *data, size_t len,
                     br_avatar_done done, void *arg)
{
    up_ctx *u;
    int rc;

    if (!data || !len)
        return UT_ERR_INVAL;
    if (!(u = calloc(1, sizeof(*u))))
        return UT_ERR_NOMEM;
    u->b = b;
    u->what = what;
    u->done = done;
    u->arg = arg;
    if ((rc = mx_upload(b->mx, b->bot, image_type(data, len), "avatar", data, len, on_uploaded,
                        u)) != 0)
        free(u);
    return rc;
}
