/* sig_attach.c - attachments (signal-service.md §7): upload = REST
 * GET /v4/attachments/form/upload on the chat socket, then by the form's
 * cdn either one tus creation-with-upload POST (CDN 3) or a GCS resumable
 * session, POST then PUT (CDN 2), the body encrypted from the file as
 * nghttp2 asks for it, then a DataMessage with the pointer; download =
 * GET <cdn endpoint>/attachments/<key>, decrypted into "<path>.part" (0600) as it arrives, renamed to <path> only after digest,
 * MAC and padding verified. Nothing holds a whole attachment in memory
 * (sig_attstream.h: fixed-size pieces). Transfers share the client's
 * HTTP/2 connections (sig_https: one per host, multiplexed). */
#include "config.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "SignalService.pb-c.h"
#include "StorageService.pb-c.h"
#include "sc_attachment.h"
#include "sig_attstream.h"
#include "sig_err.h"
#include "sig_int.h"
#include "sig_sync.h"
#include "sn_err.h"

#define FORM_MAX_HEADERS 16
#define FORM_NAME_MAX 64
/* x->flags beside SIG_SEND_*: the upload is the image of the text's link
 * preview (sig_client_send_preview_text), not an attachment */
#define SEND_PREVIEW 0x100u

struct sig_xfer {
    sig_xfer *next;
    sig_client *c;
    void *ud;
    char *path;                  /* download target */
    char *part;                  /* download: path.part while unverified */
    int fd;                      /* the file being read or written, or -1 */
    sig_att_enc *enc;            /* upload stream */
    sig_att_dec *dec;            /* download stream */
    uint8_t key[64];
    uint8_t digest[32];
    int has_digest;
    size_t size;
    /* upload */
    char to[SIG_UUID_STR_LEN + 1];
    uint8_t gid[32];             /* to a group instead (is_group) */
    int is_group;
    uint64_t blob_len;
    char *content_type, *file_name, *caption;
    sig_format fmt;              /* the caption's ranges and quote */
    uint32_t flags;              /* SIG_SEND_* */
    char *cdn_key;
    uint32_t cdn;
    uint64_t ts;
    uint32_t retry_after_ms;     /* a refused upload form's Retry-After */
    char host[256];              /* where the next request goes */
    uint16_t port;
    /* the upload form's headers, names lower-cased */
    char form_name[FORM_MAX_HEADERS][FORM_NAME_MAX];
    char *form_value[FORM_MAX_HEADERS];
    size_t n_form;
};

static void x_free(sig_xfer *x)
{
    sig_xfer **pp;

    for (pp = &x->c->xfers; *pp; pp = &(*pp)->next)
        if (*pp == x) {
            *pp = x->next;
            break;
        }
    free(x->path);
    sig_att_enc_free(x->enc);
    sig_att_dec_free(x->dec);
    if (x->fd >= 0)
        close(x->fd);
    if (x->part) {
        unlink(x->part); /* unfinished or unverified */
        free(x->part);
    }
    free(x->content_type);
    free(x->file_name);
    free(x->caption);
    sig_format_clear(&x->fmt);
    free(x->cdn_key);
    for (size_t i = 0; i < x->n_form; i++) {
        ut_wipe(x->form_value[i], strlen(x->form_value[i])); /* upload credentials */
        free(x->form_value[i]);
    }
    ut_wipe(x->key, sizeof(x->key));
    free(x);
}

void sig_attach_cancel_all(sig_client *c)
{
    /* the chat socket and sig_pool_close went first: their cancelled
     * callbacks freed the transfers in flight (the client is dead) */
    while (c->xfers)
        x_free(c->xfers);
}

static int x_request(sig_xfer *x, const sn_http_req *req, sn_http_cb cb)
{
    return sig_https(x->c, x->host, x->port, req, cb, x);
}

/* A whole transfer's deadline: 2 minutes plus 32 KiB/s, so that large
 * attachments on slow links are not cut off (sn_h2 timeouts are totals). */
static uint32_t xfer_timeout_ms(uint64_t bytes)
{
    uint64_t ms = 120000 + bytes / 32;

    return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

/* End a transfer: free it first, then emit. */
static void x_done(sig_xfer *x, int err, int is_download)
{
    sig_client *c = x->c;
    sig_event ev;
    char *path = x->path;

    x->path = NULL;
    memset(&ev, 0, sizeof(ev));
    ev.type = is_download ? SIG_EV_DOWNLOAD_DONE : SIG_EV_SEND_DONE;
    ev.err = err;
    ev.retry_after_ms = err ? x->retry_after_ms : 0;
    ev.send_ud = x->ud;
    ev.timestamp = x->ts;
    ev.path = path;
    x_free(x);
    sig_emit(c, &ev);
    free(path);
}

/* ---- download ------------------------------------------------------------- */

static int dl_body(const uint8_t *p, size_t n, void *ud)
{
    sig_xfer *x = ud;

    return sig_att_dec_update(x->dec, p, n);
}

static void dl_resp(int rc, const sn_http_resp *r, void *ud)
{
    sig_xfer *x = ud;
    sig_client *c = x->c;

    if (sig_dead(c)) {
        x_free(x); /* cancelled by sig_pool_close */
        return;
    }
    sig_enter(c);
    if (rc == SN_ERR_TOO_BIG)
        rc = SIG_ERR_TOO_BIG;
    if (rc == 0 && r->status != 200)
        rc = SIG_ERR_HTTP;
    if (rc == 0)
        rc = sig_att_dec_final(x->dec);
    if (close(x->fd) != 0 && rc == 0)
        rc = UT_ERR_IO;
    x->fd = -1;
    if (rc == 0 && rename(x->part, x->path) != 0)
        rc = UT_ERR_IO;
    if (rc == 0) {
        free(x->part); /* in place: nothing to remove */
        x->part = NULL;
    }
    x_done(x, rc, 1);
    sig_leave(c);
}

int sig_client_download(sig_client *c, const uint8_t *pointer, size_t len,
                        const char *path, void *ud)
{
    Signalservice__AttachmentPointer *p;
    const sig_endpoint *ep;
    sn_http_req req;
    char rpath[512], part[4096];
    sig_xfer *x = NULL;
    int rc;

    if (!pointer || !path)
        return UT_ERR_INVAL;
    p = signalservice__attachment_pointer__unpack(NULL, len, pointer);
    if (!p)
        return SIG_ERR_ENVELOPE;
    if (!p->cdnkey || strpbrk(p->cdnkey, "/?#%") || !p->has_key || p->key.len != 64 ||
        !p->has_size) {
        rc = SIG_ERR_ENVELOPE;
        goto out;
    }
    if (p->size > c->cfg.max_attachment) {
        rc = SIG_ERR_TOO_BIG;
        goto out;
    }
    x = calloc(1, sizeof(*x));
    if (!x) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    x->c = c;
    x->fd = -1;
    x->ud = ud;
    if (!(x->path = strdup(path))) {
        rc = UT_ERR_NOMEM;
        goto out;
    }
    if (snprintf(part, sizeof(part), "%s.part", path) >= (int)sizeof(part)) {
        rc = UT_ERR_RANGE;
        goto out;
    }
    memcpy(x->key, p->key.data, 64);
    if (p->has_digest && p->digest.len == 32) {
        memcpy(x->digest, p->digest.data, 32);
        x->has_digest = 1;
    }
    x->size = p->size;
    ep = sig_cdn(c, p->has_cdnnumber ? p->cdnnumber : 0);
    if ((rc = sig_ep_path(rpath, sizeof(rpath), ep, "/attachments/")) != 0)
        goto out;
    if (strlen(rpath) + strlen(p->cdnkey) >= sizeof(rpath)) {
        rc = UT_ERR_RANGE;
        goto out;
    }
    strcat(rpath, p->cdnkey);
    x->fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (x->fd < 0) {
        rc = UT_ERR_IO;
        goto out;
    }
    if (!(x->part = strdup(part))) { /* from here on x_free removes it */
        unlink(part);
        rc = UT_ERR_NOMEM;
        goto out;
    }
    if ((rc = sig_att_dec_new(&x->dec, x->fd, x->size, x->key,
                              x->has_digest ? x->digest : NULL)) != 0)
        goto out;
    snprintf(x->host, sizeof(x->host), "%s", ep->host);
    x->port = ep->port;
    x->next = c->xfers;
    c->xfers = x;
    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.path = rpath;
    /* iv + plaintext padded as clients do + PKCS7 block + mac, and slack
     * for senders that pad differently; only `size` bytes reach the file */
    req.max_response = sc_attachment_padded_size(x->size) + 16 + 16 + 32 + 64 * 1024;
    req.timeout_ms = xfer_timeout_ms(req.max_response);
    req.on_body = dl_body;
    rc = x_request(x, &req, dl_resp);
    if (rc != 0)
        x_free(x); /* not submitted: no callback */
    x = NULL;
out:
    if (x) {
        x->next = NULL;
        x_free(x); /* not listed yet: x_free only releases it */
    }
    signalservice__attachment_pointer__free_unpacked(p, NULL);
    return rc;
}

/* ---- upload ----------------------------------------------------------------- */

static void send_pointer(sig_xfer *x)
{
    Signalservice__DataMessage dm = SIGNALSERVICE__DATA_MESSAGE__INIT;
    Signalservice__AttachmentPointer ap = SIGNALSERVICE__ATTACHMENT_POINTER__INIT;
    Signalservice__AttachmentPointer *aps[1] = {&ap};
    sig_quote_buf q;
    Signalservice__DataMessage__Sticker st = SIGNALSERVICE__DATA_MESSAGE__STICKER__INIT;
    Signalservice__BodyRange *rs = NULL, **ptrs = NULL;
    static uint8_t zeros[32];
    sig_client *c = x->c;
    int rc;

    ap.cdnkey = x->cdn_key;
    ap.has_cdnnumber = 1;
    ap.cdnnumber = x->cdn;
    ap.contenttype = x->content_type;
    ap.filename = x->file_name && *x->file_name ? x->file_name : NULL;
    ap.has_key = 1;
    ap.key.data = x->key;
    ap.key.len = 64;
    ap.has_size = 1;
    ap.size = (uint32_t)x->size;
    ap.has_digest = 1;
    ap.digest.data = x->digest;
    ap.digest.len = 32;
    ap.has_uploadtimestamp = 1;
    ap.uploadtimestamp = (uint64_t)ut_now_ms();
    /* AttachmentPointer.Flags: VOICE_MESSAGE 1, BORDERLESS 2, GIF 8 */
    if (x->flags & (SIG_SEND_VOICE | SIG_SEND_GIF | SIG_SEND_STICKER)) {
        ap.has_flags = 1;
        ap.flags = ((x->flags & SIG_SEND_VOICE) ? 1u : 0) | ((x->flags & SIG_SEND_GIF) ? 8u : 0) |
                   ((x->flags & SIG_SEND_STICKER) ? 2u : 0);
    }
    if (x->flags & SEND_PREVIEW) {
        dm.body = x->caption; /* a text whose preview's image this is */
    } else if (x->flags & SIG_SEND_STICKER) {
        /* mautrix-signal from-matrix.go: a sticker of no pack */
        st.has_packid = st.has_packkey = st.has_stickerid = 1;
        st.packid.data = zeros;
        st.packid.len = 16;
        st.packkey.data = zeros;
        st.packkey.len = 32;
        st.stickerid = 0;
        st.data = &ap;
        st.emoji = x->caption;
        dm.sticker = &st;
    } else {
        dm.attachments = aps;
        dm.n_attachments = 1;
        dm.body = x->caption;
    }
    dm.has_timestamp = 1;
    dm.timestamp = x->ts;
    rc = sig_fmt_to_data(&dm, &x->fmt, &rs, &ptrs, &q);
    if (rc == 0 && (x->flags & SEND_PREVIEW)) {
        size_t i;
        for (i = 0; i < dm.n_preview && i < x->fmt.n_previews; i++)
            if (x->fmt.previews[i].image_path) {
                ap.contenttype = x->content_type;
                ap.filename = NULL;
                if (x->fmt.previews[i].width && x->fmt.previews[i].height) {
                    ap.has_width = ap.has_height = 1;
                    ap.width = x->fmt.previews[i].width;
                    ap.height = x->fmt.previews[i].height;
                }
                dm.preview[i]->image = &ap;
                break;
            }
    }
    if (rc != 0)
        ;
    else if (!c->chat || sn_sock_get_state(c->chat) != SN_SOCK_CONNECTED)
        rc = SIG_ERR_STATE;
    else if (x->is_group)
        rc = sig_group_send_dm(c, x->gid, &dm, x->ud);
    else
        rc = sig_send_dm(c, x->to, &dm, x->ud);
    free(rs);
    free(ptrs);
    if (rc != 0) {
        x_done(x, rc, 0);
        return;
    }
    /* sig_send reports SIG_EV_SEND_DONE from here on */
    x_free(x);
}

/* The upload went through whole: the pointer can go out. */
static void upload_done(sig_xfer *x, int rc)
{
    if (rc == 0)
        rc = sig_att_enc_digest(x->enc, x->digest); /* the whole body went out */
    if (rc != 0)
        x_done(x, rc, 0);
    else
        send_pointer(x);
}

static void tus_resp(int rc, const sn_http_resp *r, void *ud)
{
    sig_xfer *x = ud;
    sig_client *c = x->c;

    if (sig_dead(c)) {
        x_free(x);
        return;
    }
    sig_enter(c);
    if (rc == 0 && r->status != 201 && r->status != 200 && r->status != 204)
        rc = SIG_ERR_HTTP;
    upload_done(x, rc);
    sig_leave(c);
}

/* https://host[:port]/path -> pieces; the mock names itself "localhost"
 * in the location: the same port as our server means the same server. */
static int split_url(sig_xfer *x, const char *url, char *host, size_t hcap,
                     uint16_t *port, const char **path)
{
    const char *p, *slash, *colon;
    size_t n;

    if (strncmp(url, "https://", 8) != 0)
        return SIG_ERR_ENVELOPE;
    p = url + 8;
    slash = strchr(p, '/');
    if (!slash)
        return SIG_ERR_ENVELOPE;
    colon = memchr(p, ':', (size_t)(slash - p));
    n = (size_t)((colon ? colon : slash) - p);
    if (n == 0 || n >= hcap)
        return SIG_ERR_ENVELOPE;
    memcpy(host, p, n);
    host[n] = '\0';
    *port = colon ? (uint16_t)strtoul(colon + 1, NULL, 10) : 443;
    *path = slash;
    if (!strcmp(host, "localhost") && *port == x->c->cfg.port)
        snprintf(host, hcap, "%s", x->c->host);
    return 0;
}

/* The transfer's next request goes to `url`'s host (the form or the
 * session URI may name another host than the last request). */
static int connect_url(sig_xfer *x, const char *url, const char **path)
{
    char host[256];
    uint16_t port = 0;
    int rc = split_url(x, url, host, sizeof(host), &port, path);

    if (rc != 0)
        return rc;
    snprintf(x->host, sizeof(x->host), "%s", host);
    x->port = port;
    return 0;
}

static long up_read(uint8_t *buf, size_t len, int *eof, void *ud)
{
    sig_xfer *x = ud;

    return sig_att_enc_read(x->enc, buf, len, eof);
}

/* The upload form's own headers go on the upload as they are: for CDN 3
 * production puts the tus server's credentials there ("Authorization:
 * Bearer <JWT>", "Upload-Metadata"; Signal-Server TusAttachmentGenerator),
 * for CDN 2 the headers its signed URL covers ("host",
 * "x-goog-content-length-range", "x-goog-resumable: start";
 * GcsAttachmentGenerator). Signal-Desktop sends them on every tus request
 * (WebAPI.preload.ts createFetchForAttachmentUpload), signalmeow on the
 * GCS POST (attachments.go uploadAttachmentLegacy). Names are lower-cased
 * for HTTP/2 (sn_h2 refuses anything else that is not a valid header);
 * "host" is HTTP/2's :authority, taken from the URL; the headers we set
 * ourselves keep our value. */
static size_t form_headers(const sig_xfer *x, sn_hdr *h, size_t n)
{
    size_t i, j;

    for (i = 0; i < x->n_form; i++) {
        const char *name = x->form_name[i];
        int dup = 0;

        for (j = 0; j < n; j++)
            dup |= !strcmp(h[j].name, name);
        if (dup || !strcmp(name, "host") || !strcmp(name, "content-length"))
            continue;
        h[n].name = name;
        h[n].value = x->form_value[i];
        n++;
    }
    return n;
}

/* ---- CDN 2: a Google Cloud Storage resumable upload ---------------------
 * The form's signedUploadLocation is a V4 signed URL for a resumable
 * upload (Signal-Server GcsAttachmentGenerator, CanonicalRequestGenerator:
 * POST, signed headers host;x-goog-content-length-range;x-goog-resumable).
 * As signalmeow (pkg/signalmeow/attachments.go uploadAttachmentLegacy) and
 * Signal-Desktop (ts/textsecure/WebAPI.ts putEncryptedAttachment) do it:
 * POST to it with the form's headers and no body, which opens a session
 * (GCS: 201 Created, the session URI in Location; cloud.google.com/storage/
 * docs/xml-api/post-object-resumable), then PUT the whole body to that URI
 * (200 or 201 when the object is complete; cloud.google.com/storage/docs/
 * performing-resumable-uploads). Our own Signal credentials never go to
 * Google. */
static void gcs_put_resp(int rc, const sn_http_resp *r, void *ud)
{
    sig_xfer *x = ud;
    sig_client *c = x->c;

    if (sig_dead(c)) {
        x_free(x);
        return;
    }
    sig_enter(c);
    if (rc == 0 && r->status != 200 && r->status != 201) {
        sig_logf(c, UT_LOG_WARN, "signal: CDN 2 upload: HTTP %d", r->status);
        rc = SIG_ERR_HTTP;
    }
    upload_done(x, rc);
    sig_leave(c);
}

static void gcs_start_resp(int rc, const sn_http_resp *r, void *ud)
{
    sig_xfer *x = ud;
    sig_client *c = x->c;
    const char *loc = NULL, *path = NULL;
    char lenbuf[32], *session = NULL;
    sn_hdr h[2];
    sn_http_req req;

    if (sig_dead(c)) {
        x_free(x);
        return;
    }
    sig_enter(c);
    if (rc == 0 && r->status != 200 && r->status != 201) {
        sig_logf(c, UT_LOG_WARN, "signal: CDN 2 upload session: HTTP %d", r->status);
        rc = SIG_ERR_HTTP;
    }
    if (rc == 0 && (!(loc = sn_hdrs_get(r->headers, "location")) || !*loc))
        rc = SIG_ERR_ENVELOPE;
    /* `loc` lives as long as the response; the transfer keeps a copy */
    if (rc == 0 && !(session = strdup(loc)))
        rc = UT_ERR_NOMEM;
    if (rc == 0)
        rc = connect_url(x, session, &path);
    if (rc == 0) {
        snprintf(lenbuf, sizeof(lenbuf), "%" PRIu64, x->blob_len);
        h[0].name = "content-type";
        h[0].value = "application/octet-stream";
        h[1].name = "content-length";
        h[1].value = lenbuf;
        memset(&req, 0, sizeof(req));
        req.method = "PUT";
        req.path = path;
        req.headers = h;
        req.n_headers = 2;
        req.body_read = up_read;
        req.timeout_ms = xfer_timeout_ms(x->blob_len);
        rc = x_request(x, &req, gcs_put_resp);
    }
    free(session);
    if (rc != 0)
        x_done(x, rc, 0);
    sig_leave(c);
}

static int gcs_start(sig_xfer *x, const char *path)
{
    sn_hdr h[2 + FORM_MAX_HEADERS];
    sn_http_req req;

    h[0].name = "content-type";
    h[0].value = "application/octet-stream";
    h[1].name = "content-length";
    h[1].value = "0"; /* GCS: 0 on the request that opens the session */
    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.path = path;
    req.headers = h;
    req.n_headers = form_headers(x, h, 2);
    req.timeout_ms = 30000;
    return x_request(x, &req, gcs_start_resp);
}

/* ---- CDN 3: one tus creation-with-upload POST ---------------------------- */
static int tus_start(sig_xfer *x, const char *path)
{
    char lenbuf[32];
    sn_hdr h[3 + FORM_MAX_HEADERS];
    sn_http_req req;

    snprintf(lenbuf, sizeof(lenbuf), "%" PRIu64, x->blob_len);
    h[0].name = "tus-resumable";
    h[0].value = "1.0.0";
    h[1].name = "upload-length";
    h[1].value = lenbuf;
    h[2].name = "content-type";
    h[2].value = "application/offset+octet-stream";
    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.path = path;
    req.headers = h;
    req.n_headers = form_headers(x, h, 3);
    req.body_read = up_read;
    req.timeout_ms = xfer_timeout_ms(x->blob_len);
    return x_request(x, &req, tus_resp);
}

/* The form's fields (Signal-Server AttachmentDescriptorV3: cdn, key,
 * headers, signedUploadLocation), copied into the transfer. */
static int parse_form(sig_xfer *x, const sn_rpc_response *r, char **location)
{
    json_t *j, *hdrs, *v;
    const char *key, *loc, *name;
    json_int_t cdn;
    int rc = 0;

    if (!r->body || !(j = json_loadb((const char *)r->body, r->body_len, 0, NULL)))
        return SIG_ERR_JSON;
    key = json_string_value(json_object_get(j, "key"));
    loc = json_string_value(json_object_get(j, "signedUploadLocation"));
    hdrs = json_object_get(j, "headers");
    v = json_object_get(j, "cdn");
    cdn = json_is_integer(v) ? json_integer_value(v) : -1;
    if (!key || !*key || !loc || !json_is_integer(v) || (hdrs && !json_is_object(hdrs) &&
                                                        !json_is_null(hdrs)))
        rc = SIG_ERR_JSON;
    else if (cdn != 2 && cdn != 3) {
        sig_logf(x->c, UT_LOG_WARN, "signal: an upload form for CDN %lld, which we cannot upload to",
                 (long long)cdn);
        rc = SIG_ERR_ENVELOPE;
    }
    if (rc == 0 && json_is_object(hdrs) && json_object_size(hdrs) > FORM_MAX_HEADERS)
        rc = SIG_ERR_ENVELOPE;
    if (rc == 0 && json_is_object(hdrs)) {
        json_object_foreach(hdrs, name, v) {
            const char *val = json_string_value(v);
            size_t k;

            if (!val || !*name || strlen(name) >= FORM_NAME_MAX) {
                rc = SIG_ERR_ENVELOPE;
                break;
            }
            for (k = 0; name[k]; k++)
                x->form_name[x->n_form][k] =
                    (char)(name[k] >= 'A' && name[k] <= 'Z' ? name[k] + 32 : name[k]);
            x->form_name[x->n_form][k] = '\0';
            if (!(x->form_value[x->n_form] = strdup(val))) {
                rc = UT_ERR_NOMEM;
                break;
            }
            x->n_form++;
        }
    }
    if (rc == 0) {
        x->cdn = (uint32_t)cdn;
        x->cdn_key = strdup(key);
        *location = strdup(loc);
        if (!x->cdn_key || !*location)
            rc = UT_ERR_NOMEM;
    }
    json_decref(j);
    return rc;
}

/* GET /v4/attachments/form/upload answered (Signal-Server
 * AttachmentControllerV4): 200 and the form; 413 the upload is larger
 * than the server takes; 429 rate limited. */
static void form_resp(int rc, const sn_rpc_response *r, void *ud)
{
    sig_xfer *x = ud;
    sig_client *c = x->c;
    char *location = NULL;
    const char *path = NULL;

    if (sig_dead(c)) {
        x_free(x);
        return;
    }
    sig_enter(c);
    if (rc == 0 && r->status != 200) {
        sig_logf(c, UT_LOG_WARN, "signal: upload form: HTTP %u", (unsigned)r->status);
        rc = r->status == 413 ? SIG_ERR_TOO_BIG : r->status == 429 ? SIG_ERR_RATE_LIMIT
                                                                   : SIG_ERR_HTTP;
        x->retry_after_ms = sig_retry_after(r->headers);
    }
    if (rc == 0)
        rc = parse_form(x, r, &location);
    if (rc == 0)
        rc = connect_url(x, location, &path);
    if (rc == 0)
        rc = x->cdn == 2 ? gcs_start(x, path) : tus_start(x, path);
    free(location);
    if (rc != 0)
        x_done(x, rc, 0);
    sig_leave(c);
}

int sig_client_send_file(sig_client *c, const char *to, const char *path,
                         const char *content_type, const char *caption,
                         void *send_ud, uint64_t *timestamp_out)
{
    return sig_send_file_to(c, to, NULL, path, content_type, caption, 0, NULL, 0, send_ud,
                            timestamp_out);
}

int sig_client_send_file_at(sig_client *c, const char *to, const char *path,
                            const char *content_type, const char *caption, uint64_t ts,
                            void *send_ud, uint64_t *timestamp_out)
{
    return sig_send_file_to(c, to, NULL, path, content_type, caption, 0, NULL, ts, send_ud,
                            timestamp_out);
}

/* Start an upload of x->fd (x->file_name etc. set): encrypt, ask for the
 * upload form; x is listed from here on or freed on error. */
static int upload_start(sig_xfer *x, uint64_t *timestamp_out)
{
    sig_client *c = x->c;
    char rpath[96];
    struct stat st;
    int rc;

    if (x->fd < 0 || fstat(x->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = UT_ERR_IO;
        goto fail;
    }
    if ((uint64_t)st.st_size > c->cfg.max_attachment) {
        rc = SIG_ERR_TOO_BIG;
        goto fail;
    }
    x->size = (size_t)st.st_size;
    /* padded as Signal clients pad, so the size leaks only coarsely */
    if ((rc = ut_random(x->key, sizeof(x->key))) != 0 ||
        (rc = sig_att_enc_new(&x->enc, x->fd, x->size, x->key, NULL, 1)) != 0)
        goto fail;
    x->blob_len = sig_att_enc_blob_len(x->enc);
    /* The upload form comes from REST on our authenticated chat socket, as
     * signalmeow (pkg/signalmeow/attachments.go UploadAttachment) and
     * libsignal-net (rust/net/chat/src/ws/messages.rs get_upload_form, the
     * default unless remote config "grpc.AttachmentsGetUploadForm" moves it
     * to gRPC on grpc.chat.signal.org) ask for it; uploadLength lets the
     * server refuse (413) what it would not store. */
    snprintf(rpath, sizeof(rpath), "/v4/attachments/form/upload?uploadLength=%" PRIu64,
             x->blob_len);
    x->next = c->xfers;
    c->xfers = x;
    rc = sn_sock_request(c->chat, "GET", rpath, NULL, 0, NULL, 0, 30000, form_resp, x);
    if (rc != 0)
        x_free(x); /* listed: x_free unlinks it */
    else if (timestamp_out)
        *timestamp_out = x->ts;
    return rc;
fail:
    x_free(x); /* not listed: only released */
    return rc;
}

/* A new upload to `to` or the group; NULL with *rc set on error. */
static sig_xfer *upload_new(sig_client *c, const char *to, const uint8_t *group_id,
                            void *send_ud, int *rc)
{
    sig_xfer *x;

    *rc = 0;
    if (!c->linked)
        *rc = SIG_ERR_NOT_LINKED;
    else if (!c->chat || sn_sock_get_state(c->chat) != SN_SOCK_CONNECTED)
        *rc = SIG_ERR_STATE;
    if (*rc)
        return NULL;
    if (!(x = calloc(1, sizeof(*x)))) {
        *rc = UT_ERR_NOMEM;
        return NULL;
    }
    x->c = c;
    x->fd = -1;
    x->ud = send_ud;
    x->ts = (uint64_t)ut_now_ms();
    if (group_id) {
        memcpy(x->gid, group_id, 32);
        x->is_group = 1;
    } else if ((*rc = sig_resolve(c, to, x->to)) != 0) {
        x_free(x);
        return NULL;
    }
    return x;
}

int sig_send_file_to(sig_client *c, const char *to, const uint8_t *group_id,
                     const char *path, const char *content_type, const char *caption,
                     uint32_t flags, const sig_format *f, uint64_t ts, void *send_ud,
                     uint64_t *timestamp_out)
{
    const char *base;
    int rc;
    sig_xfer *x = upload_new(c, to, group_id, send_ud, &rc);

    if (!x)
        return rc;
    x->flags = flags;
    if (f) { /* only the chat's timer: a file carries it as a text does */
        x->fmt.expire_timer = f->expire_timer;
        x->fmt.expire_version = f->expire_version;
    }
    if (ts)
        x->ts = ts; /* a resend keeps its first */
    x->fd = open(path, O_RDONLY | O_CLOEXEC);
    base = strrchr(path, '/');
    x->file_name = strdup(base ? base + 1 : path);
    x->content_type = strdup(content_type ? content_type : "application/octet-stream");
    x->caption = caption ? strdup(caption) : NULL;
    if (!x->file_name || !x->content_type || (caption && !x->caption)) {
        x_free(x);
        return UT_ERR_NOMEM;
    }
    return upload_start(x, timestamp_out);
}

int sig_client_send_preview_text(sig_client *c, const char *to, const uint8_t *group_id,
                                 const char *text, const sig_format *f, uint64_t ts,
                                 void *send_ud, uint64_t *timestamp_out)
{
    const sig_preview *p = NULL;
    sig_xfer *x;
    size_t i;
    int rc;

    for (i = 0; f && i < f->n_previews && !p; i++)
        if (f->previews[i].image_path)
            p = &f->previews[i];
    if (!text || (!to && !group_id) || !p)
        return UT_ERR_INVAL;
    if (!(x = upload_new(c, to, group_id, send_ud, &rc)))
        return rc;
    if (ts)
        x->ts = ts; /* the caller's stored timestamp: a resend is deduplicated */
    x->flags = SEND_PREVIEW;
    x->fd = open(p->image_path, O_RDONLY | O_CLOEXEC);
    x->file_name = strdup("");
    x->content_type = strdup(p->image_type && *p->image_type ? p->image_type : "image/jpeg");
    x->caption = strdup(text);
    if (x->fd < 0 || !x->file_name || !x->content_type || !x->caption ||
        sig_format_copy(&x->fmt, f) != 0) {
        rc = x->fd < 0 ? UT_ERR_IO : UT_ERR_NOMEM;
        x_free(x);
        return rc;
    }
    return upload_start(x, timestamp_out);
}

size_t sig_long_text_cut(const char *text, size_t max)
{
    size_t n = strlen(text);

    if (n <= max)
        return n;
    n = max;
    /* not inside a UTF-8 sequence: back up over continuation bytes */
    while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
        n--;
    return n;
}

int sig_client_send_long_text(sig_client *c, const char *to, const uint8_t *group_id,
                              const char *text, const sig_format *f, uint64_t ts,
                              void *send_ud, uint64_t *timestamp_out)
{
    size_t len, cut;
    FILE *tmp;
    sig_xfer *x;
    int rc;

    if (!text || (!to && !group_id))
        return UT_ERR_INVAL;
    len = strlen(text);
    if (len > SIG_LONG_TEXT_MAX)
        return SIG_ERR_TOO_BIG;
    if (!(x = upload_new(c, to, group_id, send_ud, &rc)))
        return rc;
    if (ts)
        x->ts = ts; /* the caller's stored timestamp: a resend is deduplicated */
    cut = sig_long_text_cut(text, SIG_LONG_TEXT_BODY);
    /* the whole text as the attachment (an unlinked temp file, 0600), the
     * body cut at a code point: Signal-Desktop sendNormalMessage.preload.ts
     * getMessageSendData (trimBody, the long attachment first) */
    tmp = tmpfile();
    if (!tmp || fwrite(text, 1, len, tmp) != len || fflush(tmp) != 0 ||
        (x->fd = dup(fileno(tmp))) < 0 || lseek(x->fd, 0, SEEK_SET) != 0) {
        if (tmp)
            fclose(tmp);
        x_free(x);
        return UT_ERR_IO;
    }
    fclose(tmp);
    x->file_name = strdup("");
    x->content_type = strdup(SIG_LONG_TEXT_TYPE);
    x->caption = strndup(text, cut);
    if (!x->file_name || !x->content_type || !x->caption ||
        sig_format_copy(&x->fmt, f) != 0) {
        x_free(x);
        return UT_ERR_NOMEM;
    }
    return upload_start(x, timestamp_out);
}
