/*
 * hs_media.c - the content repository: files under media_path named by a
 * random media ID ([A-Za-z0-9_-]), metadata in SQLite. Thumbnails return
 * the original (no scaling). Legacy unauthenticated download stays
 * available unless `unauthenticated_media: false` (nio 0.20 needs it).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hs.h"

static int valid_media_id(const char *id)
{
    size_t i;

    if (!id || !*id || strlen(id) > 64)
        return 0;
    for (i = 0; id[i]; i++)
        if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", id[i]))
            return 0;
    return 1;
}

int hs_media_store(hs *s, const char *user_id, const char *ctype,
                   const char *filename, const void *data, size_t len,
                   char *mxc_out, size_t mxc_len)
{
    unsigned char raw[24];
    char id[25], path[1024];
    FILE *f;
    sqlite3_stmt *st;
    size_t i;
    int fd;

    if (len > s->cfg.max_upload)
        return UT_ERR_RANGE;
    if (ut_random(raw, sizeof(raw)))
        return HS_ERR_CRYPTO;
    for (i = 0; i < sizeof(raw); i++)
        id[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"[raw[i] % 64];
    id[sizeof(raw)] = '\0';
    mkdir(s->cfg.media_path, 0700);
    snprintf(path, sizeof(path), "%s/%s", s->cfg.media_path, id);
    /* 0600 whatever the umask (media are private to the server) */
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || !(f = fdopen(fd, "wb"))) {
        if (fd >= 0)
            close(fd);
        return UT_ERR_IO;
    }
    if ((len && fwrite(data, 1, len, f) != len) | (fclose(f) != 0)) {
        remove(path);
        return UT_ERR_IO;
    }
    st = hs_db_stmt(s, "INSERT INTO media(media_id,user_id,content_type,filename,size,created_ts) VALUES(?,?,?,?,?,?)");
    if (!st)
        return HS_ERR_DB;
    hs_bind_text(st, 1, id);
    hs_bind_text(st, 2, user_id);
    hs_bind_text(st, 3, ctype ? ctype : "application/octet-stream");
    hs_bind_text(st, 4, filename);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)len);
    sqlite3_bind_int64(st, 6, ut_now_ms());
    if (hs_db_step_done(s, st))
        return HS_ERR_DB;
    snprintf(mxc_out, mxc_len, "mxc://%s/%s", s->cfg.server_name, id);
    return 0;
}

int hs_media_load(hs *s, const char *server, const char *media_id,
                  unsigned char **data, size_t *len, char *ctype, size_t ctlen,
                  char *fname, size_t fnlen)
{
    sqlite3_stmt *st;
    char path[1024];
    FILE *f;
    long sz = -1;
    int found = 0;

    *data = NULL;
    *len = 0;
    if (strcmp(server, s->cfg.server_name) || !valid_media_id(media_id))
        return HS_ERR_NOTFOUND;
    st = hs_db_stmt(s, "SELECT content_type, filename FROM media WHERE media_id=?");
    if (!st)
        return HS_ERR_DB;
    hs_bind_text(st, 1, media_id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        found = 1;
        snprintf(ctype, ctlen, "%s", hs_col_text(st, 0));
        snprintf(fname, fnlen, "%s", hs_col_text(st, 1));
    }
    sqlite3_reset(st);
    if (!found)
        return HS_ERR_NOTFOUND;
    snprintf(path, sizeof(path), "%s/%s", s->cfg.media_path, media_id);
    f = fopen(path, "rb");
    if (!f)
        return HS_ERR_NOTFOUND;
    if (fseek(f, 0, SEEK_END) == 0)
        sz = ftell(f);
    if (sz < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return UT_ERR_IO;
    }
    *data = malloc((size_t)sz + 1);
    if (!*data || (sz && fread(*data, 1, (size_t)sz, f) != (size_t)sz)) {
        fclose(f);
        free(*data);
        *data = NULL;
        return UT_ERR_IO;
    }
    fclose(f);
    *len = (size_t)sz;
    return 0;
}

int hs_h_media_upload(hs_req *r)
{
    char mxc[300];
    const char *fn = hs_query(r, "filename");
    int rc;

    if (r->body_len > r->s->cfg.max_upload)
        return hs_err(r, 413, "M_TOO_LARGE", "Upload over %zu bytes", r->s->cfg.max_upload);
    rc = hs_media_store(r->s, r->user_id, r->content_type, fn, r->body, r->body_len,
                        mxc, sizeof(mxc));
    if (rc)
        return hs_err(r, 500, "M_UNKNOWN", "cannot store media: %s", hs_strerror(rc));
    return hs_ok(r, json_pack("{s:s}", "content_uri", mxc));
}

int hs_h_media_config(hs_req *r)
{
    return hs_ok(r, json_pack("{s:I}", "m.upload.size", (json_int_t)r->s->cfg.max_upload));
}

static int inline_safe(const char *ct)
{
    static const char *const safe[] = {"image/png", "image/jpeg", "image/gif", "image/webp",
                                       "image/apng", "image/avif", "video/mp4", "video/webm",
                                       "audio/mp4", "audio/ogg", "audio/mpeg", "audio/wav",
                                       "audio/webm", "text/plain", NULL};
    size_t i;

    for (i = 0; safe[i]; i++)
        if (!strncmp(ct, safe[i], strlen(safe[i])))
            return 1;
    return 0;
}

int hs_h_media_download(hs_req *r)
{
    char ctype[128], fname[256];
    unsigned char *data;
    size_t len, i;
    int rc;

    if (!r->authed && (r->media_auth || !r->s->cfg.unauth_media))
        return hs_err(r, 401, "M_MISSING_TOKEN", "Missing access token");
    rc = hs_media_load(r->s, r->segs[1], r->segs[2], &data, &len, ctype, sizeof(ctype),
                       fname, sizeof(fname));
    if (rc == HS_ERR_NOTFOUND)
        return hs_err(r, 404, "M_NOT_FOUND", "Media not found");
    if (rc)
        return hs_err(r, 500, "M_UNKNOWN", "cannot read media");
    if (r->nseg > 3 && r->segs[3][0])
        snprintf(fname, sizeof(fname), "%s", r->segs[3]);
    for (i = 0; fname[i]; i++) /* keep the header well-formed */
        if (fname[i] == '"' || fname[i] == '\\' || (unsigned char)fname[i] < 32)
            fname[i] = '_';
    r->status = 200;
    r->raw = data;
    r->raw_len = len;
    snprintf(r->ctype, sizeof(r->ctype), "%s", ctype);
    snprintf(r->disposition, sizeof(r->disposition), "%s%s%s%s",
             inline_safe(ctype) ? "inline" : "attachment", fname[0] ? "; filename=\"" : "",
             fname, fname[0] ? "\"" : "");
    return HS_DONE;
}
