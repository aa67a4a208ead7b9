/*
 * br_media.h - attachments both ways between Signal and Matrix.
 *
 * Signal -> Matrix (br_media.c): each attachment of a received message is
 * a br_media_in row, written before the message is confirmed to Signal.
 * The attachments of one message are bridged in order, one at a time:
 * download (the network verifies digest and MAC) into a temp file under
 * <data_dir>/media, upload to the media repo, send m.image / m.video /
 * m.audio / m.file with the txn id "sig-<sender>-<ts>-a<idx>" (a replay
 * after a restart cannot duplicate it), delete the temp file. The caption
 * (the message body) follows as its own m.text once every attachment is
 * finished, and later messages of the chat wait for it, so the room shows
 * the chat in Signal's order. A failure (digest, size, HTTP) becomes a
 * notice in the room naming the reason; the row is marked failed and the
 * next one goes on.
 *
 * Matrix -> Signal: m.image / m.file / m.video / m.audio become a
 * br_outbox row (state 3: driven from here) plus a br_media_out row, then
 * the mxc is downloaded through the host into <data_dir>/media/out-<id>/
 * <file name> and handed to net->send_file; SEND_RESULT reports as for
 * text (the same notice path names the reason) and removes the file.
 *
 * Everything here runs on the host loop thread.
 */
#ifndef BR_MEDIA_H
#define BR_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Biggest file bridged either way (bytes); the Signal client has the same
 * default cap. */
#define BR_MEDIA_MAX (100u << 20)

/* ---- pure helpers (br_media_conv.c) ------------------------------------ */

/* The Matrix msgtype for a MIME type: "m.image", "m.video", "m.audio" or
 * "m.file" (also for NULL or anything unknown). Never NULL. */
const char *br_media_msgtype(const char *content_type);

/* 1 for the msgtypes that carry a file (m.image, m.file, m.video,
 * m.audio), 0 otherwise (also NULL). */
int br_media_is_file_msgtype(const char *msgtype);

/* A file name safe to show and to use as the last path component: `name`
 * without directory parts or control characters, at most `n - 1` bytes
 * (never cutting a UTF-8 sequence); when nothing usable is left, a
 * default from the MIME type ("image.jpg", "video.mp4", "file").
 * `n` >= 16. Returns 0, or UT_ERR_INVAL for n < 16. */
int br_media_safe_name(const char *name, const char *content_type, char *out,
                       size_t n);

/* What a Signal attachment becomes in Matrix. */
typedef struct br_media_desc {
    const char *content_type; /* may be NULL: application/octet-stream */
    const char *file_name;    /* may be NULL: a default from the type */
    uint64_t size;
    uint32_t width, height;   /* 0: unknown, left out */
    int voice;                /* a voice note (m.audio + MSC3245 marker) */
    int gif;                  /* Signal's GIF flag: a looping video */
    int sticker;              /* a sticker: an m.sticker event */
    int view_once;            /* view-once: BR_MEDIA_VIEW_ONCE_TEXT is its
                                 caption (body), the name its filename */
} br_media_desc;

/* A view-once message's media: the text mautrix-signal adds
 * (pkg/msgconv/from-signal.go ToMatrix, with disappear_view_once); the
 * connector sets the 5 minutes (BR_NET_VIEW_ONCE_S). */
#define BR_MEDIA_VIEW_ONCE_TEXT "This is a view-once message. It will disappear in 5 minutes."

/* The m.room.message content for an uploaded attachment at `mxc`:
 * {msgtype, body: file name, info: {mimetype, size[, w, h]}, url}; a
 * view-once one has the notice as body and the name as filename; a GIF
 * gets mautrix-signal's looping-video info keys, a sticker is the content
 * of an m.sticker event (no msgtype, body: its emoji).
 * Returns a new reference (caller decrefs) or NULL on out of memory. */
json_t *br_media_event_content(const br_media_desc *d, const char *mxc);

/* What a Matrix file event asks to send. Views into `content` (valid as
 * long as it is) except name, which is sanitized into the buffer. */
typedef struct br_media_request {
    const char *mxc;          /* content.url, an mxc:// URI */
    const char *content_type; /* info.mimetype or NULL */
    char name[256];           /* filename, else body; sanitized */
    const char *caption;      /* body when a separate filename is given and
                                 differs from it; else NULL */
    uint64_t size;            /* info.size, 0 when absent */
    uint32_t flags;           /* BR_NET_ATT_*: org.matrix.msc3245.voice ->
                                 voice note, info["fi.mau.gif"] -> GIF */
} br_media_request;

/* Parse the content of an m.image/m.file/m.video/m.audio event.
 * 0 on success; UT_ERR_INVAL when there is no plain mxc:// url (e.g. an
 * encrypted file, which this bridge cannot read). */
int br_media_parse_request(json_t *content, br_media_request *out);

/* ---- the flows (br_media.c; br_internal.h users only) ------------------ */

struct br_bridge;
struct br_net_event;
struct mx_event;
typedef struct br_media_state br_media_state;

/* Called from br_bridge_start after the database is open; makes the temp
 * folder and resumes unfinished Matrix -> Signal files (Signal -> Matrix
 * ones resume through the inbox, see br_media_hold). */
void br_media_start(struct br_bridge *b);
void br_media_free(struct br_bridge *b);

/* Store the attachments of a MESSAGE event (idempotent); 0 or an ST_ERR_*
 * code, in which case the message must not be confirmed. */
int br_media_store(struct br_bridge *b, const struct br_net_event *ev);

/* The inbox row (owner, sender, ts) of chat_id is about to be sent as
 * text: 1 when it must not be now (its attachments are still on their
 * way, which this call moves along; or an earlier message of the chat
 * still has attachments on their way, so the chat stays in order; or it
 * has no body and was settled here), 0 to send it. Held rows are flushed
 * again when the attachments before them are finished. */
int br_media_hold(struct br_bridge *b, const char *owner, const char *chat_id,
                  const char *sender, int64_t ts, const char *body);

/* BR_NET_DOWNLOADED; does not free ev. */
void br_media_downloaded(struct br_bridge *b, const struct br_net_event *ev);
/* Any SEND_RESULT, before the portal reports it; does not free ev.
 * Returns 1 when the result is not final (a file that waits for the
 * Signal connection: the caller drops it without a notice), else 0. */
int br_media_sent(struct br_bridge *b, const struct br_net_event *ev);
/* The Signal side of `owner` is connected: send the files that waited. */
void br_media_online(struct br_bridge *b, const char *owner);

/* Matrix -> Signal order: 1 when file `id` is not yet its chat's turn
 * (br_outbox_turn: an earlier text or file has no final answer from
 * Signal yet). Whatever was written after a file waits behind it, and a
 * file behind what was written before it; br_outbox_release and the
 * outbox's pump send it on. */
int br_media_out_waiting(struct br_bridge *b, const char *owner,
                         const char *chat_id, int64_t id);
/* Hand outbox row id (a queued file) to Signal if it is its turn. */
void br_media_out_kick(struct br_bridge *b, int64_t id);
/* The outbox's age limit reached file `id`: fail it with `why` (a notice,
 * the chat released). 0 when it is being fetched or sent now (it finishes
 * that step first), 1 when done. */
int br_media_out_expire(struct br_bridge *b, int64_t id, const char *why);

/* The image of a link preview that outbox row `id` (a text) carries,
 * fetched from the homeserver (mxc) into a temp file: 1 with its path,
 * 0 while it is being fetched (the row is pumped again when it is done:
 * br_outbox_repump), -1 when there is none to send (not fetched: the
 * preview goes without it). br_media_preview_forget removes the file
 * once the row has its final answer. */
int br_media_preview_image(struct br_bridge *b, int64_t id, const char *mxc, const char *owner,
                           const char *chat_id, char *path, size_t n);
void br_media_preview_forget(struct br_bridge *b, int64_t id);

/* A file event from the portal's owner, already admitted (linked, within
 * the monthly limit). */
void br_media_from_matrix(struct br_bridge *b, const struct mx_event *ev,
                          const char *owner, const char *chat_id);

#endif
