/*
 * br_conv.h - message text conversion between Signal and Matrix (issue #17,
 * items 1-3): pure functions, no I/O, split by direction as mautrix-signal's
 * pkg/msgconv does (from-signal.go / signalfmt, from-matrix.go / matrixfmt).
 *
 * Signal carries formatting and mentions as DataMessage.bodyRanges next to
 * a plain body: start/length count UTF-16 code units (Signal-Desktop's
 * JavaScript strings; mautrix-signal pkg/signalfmt/utf16.go converts the
 * same way), and a mention covers the placeholder U+FFFC with mentionAci.
 * Styles are SignalService.proto BodyRange.Style: BOLD 1, ITALIC 2,
 * SPOILER 3, STRIKETHROUGH 4, MONOSPACE 5 (signalmeow protobuf
 * SignalService.proto). Matrix carries them as formatted_body in
 * org.matrix.custom.html, mentions as matrix.to pills plus m.mentions.
 *
 * Ownership: every char * / array in an out struct is malloc'd and freed by
 * the matching *_free. Errors: 0, UT_ERR_NOMEM, UT_ERR_INVAL (NULL text).
 */
#ifndef BR_CONV_H
#define BR_CONV_H

#include <stddef.h>
#include <stdint.h>

enum {
    BR_STYLE_NONE = 0,
    BR_STYLE_BOLD = 1,
    BR_STYLE_ITALIC = 2,
    BR_STYLE_SPOILER = 3,
    BR_STYLE_STRIKE = 4,
    BR_STYLE_MONO = 5
};

/* One Signal body range, in UTF-16 code units of the body. A mention has
 * aci set (and style 0); a style range has aci[0] == '\0'. */
typedef struct br_range {
    uint32_t start, len;
    int style;
    char aci[37];
} br_range;

/* ---- Signal -> Matrix (br_conv_from_signal.c) ---------------------- */

/* Who a mentioned ACI is on Matrix: *mxid and *name malloc'd by the
 * callback (the ghost, or the linked user for their own ACI); return
 * non-zero when unknown (the mention then shows as its name or "@" +
 * the first 8 characters of the ACI, never as U+FFFC). */
typedef int (*br_mention_lookup)(void *ud, const char *aci, char **mxid, char **name);

typedef struct br_from_signal {
    char *body;          /* plain text, U+FFFC replaced by names */
    char *html;          /* formatted_body, NULL when nothing to format */
    char **mentions;     /* MXIDs for m.mentions.user_ids (unique) */
    size_t n_mentions;
} br_from_signal;

int br_conv_from_signal(const char *text, const br_range *ranges, size_t n,
                        br_mention_lookup lookup, void *ud, br_from_signal *out);
void br_from_signal_free(br_from_signal *o);

/* A Signal text that is a location as Signal-Android and Signal-iOS send
 * one (a map snapshot image plus this body: optional name and address
 * lines, then "https://maps.google.com/maps?q=LAT%2CLON" on its own line,
 * last or followed by a blank line and the user's caption): write
 * "geo:LAT,LON" (RFC 5870) into geo and return 1; 0 when the body is no
 * such location (or geo is too small). Pure. */
int br_conv_signal_location(const char *body, char *geo, size_t n);

/* Text as HTML (escaped, newlines as <br>), malloc'd; NULL on error. */
char *br_conv_html_escape(const char *s);

/* ---- Matrix -> Signal (br_conv_to_signal.c) ------------------------ */

/* The ACI behind a pill's MXID (a ghost, or the linked user): write it
 * into aci (37 bytes) and return 0; non-zero for anyone else (the pill
 * then stays text). */
typedef int (*br_pill_lookup)(void *ud, const char *mxid, char aci[37]);

typedef struct br_to_signal {
    char *text;          /* Signal body (UTF-8) */
    br_range *ranges;    /* UTF-16 offsets into text */
    size_t n_ranges;
} br_to_signal;

/* formatted_body (org.matrix.custom.html) -> Signal text and ranges.
 * Any input is safe: unknown tags keep their text, <mx-reply> (the reply
 * fallback), <script> and <style> lose theirs, nesting beyond a fixed
 * depth is flattened, text is kept as is otherwise. */
int br_conv_html_to_signal(const char *html, size_t len, br_pill_lookup lookup,
                           void *ud, br_to_signal *out);
/* A Matrix message: html (formatted_body, may be NULL) when the format is
 * org.matrix.custom.html, else the plain body as is (markdown asterisks
 * are not formatting). is_reply strips the plain body's "> " fallback. */
int br_conv_to_signal(const char *body, const char *html, int is_reply,
                      br_pill_lookup lookup, void *ud, br_to_signal *out);
void br_to_signal_free(br_to_signal *o);

/* The body without a reply fallback ("> <@user> ..." lines and the blank
 * line after them), malloc'd; as is when there is none. */
char *br_conv_strip_reply_fallback(const char *body);

/* An m.location's geo_uri ("geo:LAT,LON[,ALT][;params]", RFC 5870) as the
 * map link sent to Signal, written into out: mautrix-signal's default
 * location_format (pkg/connector/example-config.yaml)
 * "https://www.google.com/maps/place/LAT,LON". 0, or UT_ERR_INVAL when the
 * URI is not two decimal numbers, UT_ERR_RANGE when out is too small. */
int br_conv_geo_url(const char *geo_uri, char *out, size_t n);

/* One code point of UTF-8 text (n > 0 bytes): *used bytes; invalid
 * bytes are one U+FFFD each. */
uint32_t br_conv_utf8_next(const unsigned char *s, size_t n, size_t *used);
/* UTF-16 length of UTF-8 text (invalid bytes count as U+FFFD, 1 unit). */
size_t br_conv_utf16_len(const char *s, size_t n);

#endif
