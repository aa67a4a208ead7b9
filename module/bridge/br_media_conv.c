/*
 * br_media_conv.c - the pure half of br_media: MIME type -> msgtype, safe
 * file names, the Matrix content of a bridged attachment, and reading a
 * Matrix file event. No I/O.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "br_media.h"
#include "br_net.h"
#include "ut.h"

static int has_prefix(const char *s, const char *p)
{
    return s && strncasecmp(s, p, strlen(p)) == 0;
}

const char *br_media_msgtype(const char *ct)
{
    if (has_prefix(ct, "image/"))
        return "m.image";
    if (has_prefix(ct, "video/"))
        return "m.video";
    if (has_prefix(ct, "audio/"))
        return "m.audio";
    return "m.file";
}

int br_media_is_file_msgtype(const char *mt)
{
    return mt && (strcmp(mt, "m.image") == 0 || strcmp(mt, "m.file") == 0 ||
                  strcmp(mt, "m.video") == 0 || strcmp(mt, "m.audio") == 0);
}

/* Extensions for the types Signal's apps send most; others get none. */
static const struct { const char *type, *ext; } exts[] = {
    {"image/jpeg", "jpg"}, {"image/png", "png"}, {"image/gif", "gif"},
    {"image/webp", "webp"}, {"image/heic", "heic"}, {"video/mp4", "mp4"},
    {"video/quicktime", "mov"}, {"video/webm", "webm"}, {"audio/aac", "aac"},
    {"audio/mpeg", "mp3"}, {"audio/ogg", "ogg"}, {"audio/mp4", "m4a"},
    {"text/plain", "txt"}, {"application/pdf", "pdf"},
};

static void default_name(const char *ct, char *out, size_t n)
{
    const char *mt = br_media_msgtype(ct), *kind = mt + 2; /* "image", ... */
    size_t i, tl = 0;

    if (ct) /* compare the type without parameters (";codecs=...") */
        tl = strcspn(ct, "; ");
    for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
        if (ct && strlen(exts[i].type) == tl && strncasecmp(ct, exts[i].type, tl) == 0) {
            snprintf(out, n, "%s.%s", kind, exts[i].ext);
            return;
        }
    snprintf(out, n, "%s", kind);
}

int br_media_safe_name(const char *name, const char *ct, char *out, size_t n)
{
    const unsigned char *p;
    size_t o = 0;

    if (n < 16)
        return UT_ERR_INVAL;
    out[0] = '\0';
    if (name) {
        const char *slash = strrchr(name, '/'), *bs = strrchr(name, '\\');
        if (bs && (!slash || bs > slash))
            slash = bs;
        p = (const unsigned char *)(slash ? slash + 1 : name);
        while (*p && o + 1 < n) {
            size_t len = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3
                       : (*p >> 3) == 30 ? 4 : 1;
            size_t k;

            if (*p < 0x20 || *p == 0x7f || (len == 1 && *p >= 0x80)) {
                out[o++] = '_'; /* control or stray byte */
                p++;
                continue;
            }
            for (k = 1; k < len; k++)
                if ((p[k] & 0xc0) != 0x80)
                    break;
            if (k < len) { /* truncated sequence in the input */
                out[o++] = '_';
                p++;
                continue;
            }
            if (o + len >= n) /* do not cut a character */
                break;
            memcpy(out + o, p, len);
            o += len;
            p += len;
        }
        out[o] = '\0';
        /* leading dots would hide the file or walk up */
        while (out[0] == '.')
            memmove(out, out + 1, strlen(out));
    }
    if (!out[0])
        default_name(ct, out, n);
    return 0;
}

json_t *br_media_event_content(const br_media_desc *d, const char *mxc)
{
    const char *ct = d->content_type && *d->content_type ? d->content_type
                                                         : "application/octet-stream";
    const char *mt = d->voice ? "m.audio" : br_media_msgtype(ct);
    char name[256];
    json_t *info, *c;

    br_media_safe_name(d->file_name, ct, name, sizeof(name));
    info = json_pack("{s:s,s:I}", "mimetype", ct, "size", (json_int_t)d->size);
    if (info && d->width && d->height && (!strcmp(mt, "m.image") || !strcmp(mt, "m.video"))) {
        json_object_set_new(info, "w", json_integer(d->width));
        json_object_set_new(info, "h", json_integer(d->height));
    }
    if (info && d->sticker) {
        /* mautrix-signal from-signal.go convertStickerToMatrix: body is
         * the emoji, and Signal's 512x512 stickers show at 200x200 as in
         * Signal-Desktop (Message.dom.tsx) */
        if (d->width == 512 && d->height == 512) {
            json_object_set_new(info, "w", json_integer(200));
            json_object_set_new(info, "h", json_integer(200));
        } else if (d->width && d->height) {
            json_object_set_new(info, "w", json_integer(d->width));
            json_object_set_new(info, "h", json_integer(d->height));
        }
        return json_pack("{s:s,s:o,s:s}", "body", d->file_name && *d->file_name ? d->file_name
                                                                               : "sticker",
                         "info", info, "url", mxc);
    }
    if (info && d->gif) {
        /* mautrix-signal from-signal.go reuploadAttachment: Signal's GIF
         * flag as fi.mau.gif and a muted, looping, autoplaying video */
        json_object_set_new(info, "fi.mau.gif", json_true());
        json_object_set_new(info, "fi.mau.loop", json_true());
        json_object_set_new(info, "fi.mau.autoplay", json_true());
        json_object_set_new(info, "fi.mau.hide_controls", json_true());
        json_object_set_new(info, "fi.mau.no_audio", json_true());
    }
    c = info ? json_pack("{s:s,s:s,s:o,s:s}", "msgtype", mt, "body", name, "info", info,
                         "url", mxc)
             : NULL;
    if (c && d->voice)
        json_object_set_new(c, "org.matrix.msc3245.voice", json_object());
    if (c && d->view_once) {
        /* mautrix-signal appends the notice as a text part, which
         * bridgev2's ConvertedMessage.MergeCaption folds into the media
         * event as its caption (Matrix 1.10: body + filename): one event,
         * which then disappears */
        json_object_set_new(c, "filename", json_string(name));
        json_object_set_new(c, "body", json_string(BR_MEDIA_VIEW_ONCE_TEXT));
    }
    return c;
}

int br_media_parse_request(json_t *content, br_media_request *out)
{
    json_t *info = json_object_get(content, "info");
    const char *body = json_string_value(json_object_get(content, "body"));
    const char *fname = json_string_value(json_object_get(content, "filename"));
    json_t *size = json_object_get(info, "size");

    memset(out, 0, sizeof(*out));
    out->mxc = json_string_value(json_object_get(content, "url"));
    if (!out->mxc || strncmp(out->mxc, "mxc://", 6) != 0 || !out->mxc[6])
        return UT_ERR_INVAL;
    out->content_type = json_string_value(json_object_get(info, "mimetype"));
    if (out->content_type && !*out->content_type)
        out->content_type = NULL;
    if (json_is_integer(size) && json_integer_value(size) > 0)
        out->size = (uint64_t)json_integer_value(size);
    /* Matrix 1.10: a separate filename makes body the caption. */
    if (fname && *fname && body && *body && strcmp(fname, body) != 0)
        out->caption = body;
    br_media_safe_name(fname && *fname ? fname : body, out->content_type, out->name,
                       sizeof(out->name));
    /* a voice note (MSC3245) goes out with Signal's VOICE_MESSAGE flag, as
     * mautrix-signal from-matrix.go convertFileToSignal does; a GIF marked
     * as mautrix marks Signal's (fi.mau.gif) with Signal's GIF flag */
    if (json_object_get(content, "org.matrix.msc3245.voice"))
        out->flags |= BR_NET_ATT_VOICE;
    if (json_is_true(json_object_get(info, "fi.mau.gif")))
        out->flags |= BR_NET_ATT_GIF;
    return 0;
}
