/* sig_history.c - a decrypted message-backup archive -> sig_history
 * (see sig_history.h). gunzip with zlib as it goes, split the varint-
 * delimited frames, parse each with protobuf-c, keep per chat the newest
 * messages within the limits. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "Backup.pb-c.h"
#include "sig_err.h"
#include "sig_history.h"
#include "ut.h"

typedef struct recip {
    uint64_t id;
    int kind;                      /* SIG_HIST_*, 0 = something we skip */
    char aci[SIG_UUID_STR_LEN + 1];
    char number[24];
    char *name;
    uint8_t master_key[32];
    int blocked, hidden;
} recip;

typedef struct reader {
    const sig_history_limits *lim;
    sig_history *h;
    recip *r;
    size_t nr, capr;
    int r_sorted;
    size_t capc;
    int have_info;
    char *err;
    size_t errlen;
} reader;

static int fail(reader *rd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(reader *rd, const char *fmt, ...)
{
    va_list ap;

    if (rd->err && rd->errlen) {
        va_start(ap, fmt);
        vsnprintf(rd->err, rd->errlen, fmt, ap);
        va_end(ap);
    }
    return SIG_ERR_HISTORY;
}

static void msg_free(sig_hist_msg *m)
{
    size_t i;

    free(m->body);
    free(m->quote_text);
    for (i = 0; i < m->n_reactions; i++)
        free(m->reactions[i].emoji);
    free(m->reactions);
    for (i = 0; i < m->n_revs; i++)
        free(m->revs[i].body);
    for (i = 0; i < m->n_atts; i++) {
        free(m->atts[i].content_type);
        free(m->atts[i].file_name);
        free(m->atts[i].cdn_key);
        ut_wipe(m->atts[i].key, sizeof(m->atts[i].key));
    }
    free(m->atts);
    free(m->revs);
    memset(m, 0, sizeof(*m));
}

void sig_history_free(sig_history *h)
{
    size_t i, j;

    if (!h)
        return;
    for (i = 0; i < h->n_chats; i++) {
        sig_hist_chat *c = &h->chats[i];
        for (j = 0; j < c->n_msgs; j++)
            msg_free(&c->msgs[j]);
        free(c->msgs);
        free(c->name);
        ut_wipe(c->master_key, sizeof(c->master_key));
    }
    free(h->chats);
    free(h);
}

static char *dup_or_null(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

/* "given family" with either part optional; NULL when both are empty. */
static char *join_name(const char *given, const char *family)
{
    size_t a = given ? strlen(given) : 0, b = family ? strlen(family) : 0;
    char *s;

    if (!a && !b)
        return NULL;
    s = malloc(a + b + 2);
    if (!s)
        return NULL;
    snprintf(s, a + b + 2, "%s%s%s", a ? given : "", a && b ? " " : "", b ? family : "");
    return s;
}

static int recip_cmp(const void *x, const void *y)
{
    const recip *a = x, *b = y;

    return a->id < b->id ? -1 : a->id > b->id;
}

static recip *find_recip(reader *rd, uint64_t id)
{
    recip key;

    if (!rd->r_sorted) {
        qsort(rd->r, rd->nr, sizeof(*rd->r), recip_cmp);
        rd->r_sorted = 1;
    }
    key.id = id;
    return rd->nr ? bsearch(&key, rd->r, rd->nr, sizeof(*rd->r), recip_cmp) : NULL;
}

static int add_recipient(reader *rd, const Signal__Backup__Recipient *p)
{
    recip *r;

    if (!p->has_id)
        return fail(rd, "a recipient without an id");
    if (rd->nr == rd->capr) {
        size_t cap = rd->capr ? rd->capr * 2 : 64;
        recip *n = realloc(rd->r, cap * sizeof(*n));
        if (!n)
            return UT_ERR_NOMEM;
        rd->r = n;
        rd->capr = cap;
    }
    r = &rd->r[rd->nr];
    memset(r, 0, sizeof(*r));
    r->id = p->id;
    switch (p->destination_case) {
    case SIGNAL__BACKUP__RECIPIENT__DESTINATION_CONTACT: {
        const Signal__Backup__Contact *k = p->contact;
        /* a contact known only by number or username has no ACI: we cannot
         * address it, so it gets no room */
        if (!k->has_aci || k->aci.len != 16)
            break;
        r->kind = SIG_HIST_CONTACT;
        sig_uuid_format(r->aci, k->aci.data);
        if (k->has_e164 && k->e164 > 0)
            snprintf(r->number, sizeof(r->number), "+%llu", (unsigned long long)k->e164);
        r->blocked = k->has_blocked && k->blocked;
        r->hidden = k->has_visibility && k->visibility != 0;
        /* the name the phone shows: nickname, then system, then profile */
        if (k->nickname)
            r->name = join_name(k->nickname->given, k->nickname->family);
        if (!r->name)
            r->name = join_name(k->systemgivenname, k->systemfamilyname);
        if (!r->name)
            r->name = join_name(k->profilegivenname, k->profilefamilyname);
        break;
    }
    case SIGNAL__BACKUP__RECIPIENT__DESTINATION_GROUP: {
        const Signal__Backup__Group *g = p->group;
        if (!g->has_masterkey || g->masterkey.len != 32)
            return fail(rd, "a group without a 32-byte master key");
        r->kind = SIG_HIST_GROUP;
        memcpy(r->master_key, g->masterkey.data, 32);
        r->blocked = g->has_blocked && g->blocked;
        if (g->snapshot && g->snapshot->title &&
            g->snapshot->title->content_case ==
                SIGNAL__BACKUP__GROUP__GROUP_ATTRIBUTE_BLOB__CONTENT_TITLE)
            r->name = dup_or_null(g->snapshot->title->title);
        break;
    }
    case SIGNAL__BACKUP__RECIPIENT__DESTINATION_SELF:
        r->kind = SIG_HIST_SELF;
        break;
    default: /* release notes, distribution lists, call links */
        break;
    }
    if (rd->nr && rd->r[rd->nr - 1].id >= r->id)
        rd->r_sorted = 0;
    rd->nr++;
    return 0;
}

static sig_hist_chat *find_chat(reader *rd, uint64_t id)
{
    size_t i;

    /* newest first: a chat's items usually follow it */
    for (i = rd->h->n_chats; i > 0; i--)
        if (rd->h->chats[i - 1].chat_id == id)
            return &rd->h->chats[i - 1];
    return NULL;
}

static int add_chat(reader *rd, const Signal__Backup__Chat *p)
{
    sig_hist_chat *c;
    recip *r;

    if (!p->has_id || !p->has_recipientid)
        return fail(rd, "a chat without id or recipient");
    if (find_chat(rd, p->id))
        return fail(rd, "chat %llu appears twice", (unsigned long long)p->id);
    r = find_recip(rd, p->recipientid);
    if (!r)
        return fail(rd, "chat %llu names an unknown recipient", (unsigned long long)p->id);
    if (!r->kind)
        return 0; /* release notes and the like: no room */
    if (rd->h->n_chats >= SIG_HISTORY_MAX_CHATS)
        return fail(rd, "more than %u chats", SIG_HISTORY_MAX_CHATS);
    if (rd->h->n_chats == rd->capc) {
        size_t cap = rd->capc ? rd->capc * 2 : 16;
        sig_hist_chat *n = realloc(rd->h->chats, cap * sizeof(*n));
        if (!n)
            return UT_ERR_NOMEM;
        rd->h->chats = n;
        rd->capc = cap;
    }
    c = &rd->h->chats[rd->h->n_chats];
    memset(c, 0, sizeof(*c));
    c->kind = r->kind;
    c->chat_id = p->id;
    memcpy(c->aci, r->aci, sizeof(c->aci));
    memcpy(c->number, r->number, sizeof(c->number));
    memcpy(c->master_key, r->master_key, 32);
    c->blocked = r->blocked;
    c->hidden = r->hidden;
    c->archived = p->has_archived && p->archived;
    c->marked_unread = p->has_markedunread && p->markedunread;
    c->expire_timer_ms = p->has_expirationtimerms ? p->expirationtimerms : 0;
    if (r->name && !(c->name = strdup(r->name)))
        return UT_ERR_NOMEM;
    if (rd->lim->max_messages &&
        !(c->msgs = calloc(rd->lim->max_messages, sizeof(*c->msgs))))
        return UT_ERR_NOMEM;
    rd->h->n_chats++;
    return 0;
}

/* The ACI of a recipient id for authors; "" for ourselves or unknown. */
static void author_of(reader *rd, uint64_t id, char out[SIG_UUID_STR_LEN + 1])
{
    recip *r = find_recip(rd, id);

    out[0] = '\0';
    if (r && r->kind == SIG_HIST_CONTACT)
        memcpy(out, r->aci, SIG_UUID_STR_LEN + 1);
}

/* One MessageAttachment: kept when it can still be downloaded from the
 * transit tier (libsignal backup.proto LocatorInfo: transitCdnKey and
 * transitCdnNumber set together, key non-empty; encryptedDigest set when
 * the file was never downloaded, which is what a transfer archive of a
 * linked device carries), else counted as lost. */
static int fill_att(sig_hist_msg *m, const Signal__Backup__MessageAttachment *ma)
{
    const Signal__Backup__FilePointer *fp = ma ? ma->pointer : NULL;
    const Signal__Backup__FilePointer__LocatorInfo *li = fp ? fp->locatorinfo : NULL;
    sig_hist_att *a = &m->atts[m->n_atts];

    if (!li || !li->transitcdnkey || !*li->transitcdnkey || !li->has_transitcdnnumber ||
        !li->has_key || li->key.len != sizeof(a->key) || !li->has_encrypteddigest ||
        li->encrypteddigest.len != sizeof(a->digest) || strlen(li->transitcdnkey) > 255) {
        m->n_atts_lost++;
        return 0;
    }
    memcpy(a->key, li->key.data, sizeof(a->key));
    memcpy(a->digest, li->encrypteddigest.data, sizeof(a->digest));
    a->cdn_number = li->transitcdnnumber;
    a->size = li->has_size ? li->size : 0;
    a->upload_ts = li->has_transittieruploadtimestamp ? li->transittieruploadtimestamp : 0;
    a->width = fp->has_width ? fp->width : 0;
    a->height = fp->has_height ? fp->height : 0;
    a->flag = ma->has_flag ? (int)ma->flag : 0;
    m->n_atts++;
    if (!(a->cdn_key = strdup(li->transitcdnkey)) ||
        (fp->contenttype && !(a->content_type = strdup(fp->contenttype))) ||
        (fp->filename && !(a->file_name = strdup(fp->filename))))
        return UT_ERR_NOMEM;
    return 0;
}

static int fill_msg(reader *rd, sig_hist_msg *m, const Signal__Backup__ChatItem *it)
{
    const Signal__Backup__StandardMessage *sm = NULL;
    size_t i;

    m->ts = it->datesent;
    m->outgoing = it->directional_details_case ==
                  SIGNAL__BACKUP__CHAT_ITEM__DIRECTIONAL_DETAILS_OUTGOING;
    if (it->directional_details_case == SIGNAL__BACKUP__CHAT_ITEM__DIRECTIONAL_DETAILS_INCOMING &&
        it->incoming->has_dateserversent)
        m->server_ts = it->incoming->dateserversent;
    /* libsignal backup.proto IncomingMessageDetails.read: the phone's
     * read state, where its read marker was */
    if (it->directional_details_case == SIGNAL__BACKUP__CHAT_ITEM__DIRECTIONAL_DETAILS_INCOMING)
        m->read = it->incoming->has_read && it->incoming->read;
    if (!m->outgoing)
        author_of(rd, it->authorid, m->author);
    m->edited = it->n_revisions > 0;
    if (it->n_revisions &&
        it->item_case == SIGNAL__BACKUP__CHAT_ITEM__ITEM_STANDARD_MESSAGE) {
        if (!(m->revs = calloc(it->n_revisions, sizeof(*m->revs))))
            return UT_ERR_NOMEM;
        for (i = 0; i < it->n_revisions; i++) {
            const Signal__Backup__ChatItem *rv = it->revisions[i];
            sig_hist_rev *o = &m->revs[m->n_revs];
            const Signal__Backup__StandardMessage *rsm =
                rv->item_case == SIGNAL__BACKUP__CHAT_ITEM__ITEM_STANDARD_MESSAGE
                    ? rv->standardmessage : NULL;
            /* a revision must be older than what follows it, else it
             * cannot name the message (libsignal's validator checks it) */
            if (!rv->has_datesent || rv->datesent >= it->datesent ||
                (m->n_revs && rv->datesent <= m->revs[m->n_revs - 1].ts))
                continue;
            o->ts = rv->datesent;
            if (rsm && rsm->text && rsm->text->body && *rsm->text->body &&
                !(o->body = strdup(rsm->text->body)))
                return UT_ERR_NOMEM;
            m->n_revs++;
        }
    }
    if (it->item_case == SIGNAL__BACKUP__CHAT_ITEM__ITEM_REMOTE_DELETED_MESSAGE) {
        m->deleted = 1;
        return 0;
    }
    sm = it->standardmessage;
    if (sm->text && sm->text->body && *sm->text->body &&
        !(m->body = strdup(sm->text->body)))
        return UT_ERR_NOMEM;
    if (sm->n_attachments) {
        if (!(m->atts = calloc(sm->n_attachments, sizeof(*m->atts))))
            return UT_ERR_NOMEM;
        for (i = 0; i < sm->n_attachments; i++)
            if (fill_att(m, sm->attachments[i]) != 0)
                return UT_ERR_NOMEM;
    }
    if (sm->quote && sm->quote->has_targetsenttimestamp) {
        m->quote_ts = sm->quote->targetsenttimestamp;
        author_of(rd, sm->quote->authorid, m->quote_author);
        if (sm->quote->text && sm->quote->text->body && *sm->quote->text->body &&
            !(m->quote_text = strdup(sm->quote->text->body)))
            return UT_ERR_NOMEM;
    }
    if (sm->n_reactions) {
        m->reactions = calloc(sm->n_reactions, sizeof(*m->reactions));
        if (!m->reactions)
            return UT_ERR_NOMEM;
        for (i = 0; i < sm->n_reactions; i++) {
            const Signal__Backup__Reaction *r = sm->reactions[i];
            sig_hist_reaction *o = &m->reactions[m->n_reactions];
            if (!r->emoji || !*r->emoji)
                continue;
            if (!(o->emoji = strdup(r->emoji)))
                return UT_ERR_NOMEM;
            author_of(rd, r->authorid, o->author);
            o->ts = r->has_senttimestamp ? r->senttimestamp : 0;
            m->n_reactions++;
        }
    }
    return 0;
}

static int add_item(reader *rd, const Signal__Backup__ChatItem *it)
{
    sig_hist_chat *c;
    sig_hist_msg *slot = NULL;
    size_t i;
    int rc;

    if (!it->has_chatid || !it->has_datesent)
        return fail(rd, "a chat item without chat or date");
    c = find_chat(rd, it->chatid);
    if (!c)
        return 0; /* a chat we skip (release notes), or unknown: nothing to show */
    /* only what a room can show: text messages and deletions; updates,
     * stickers, payments, polls... are counted but not imported */
    if (it->item_case != SIGNAL__BACKUP__CHAT_ITEM__ITEM_STANDARD_MESSAGE &&
        it->item_case != SIGNAL__BACKUP__CHAT_ITEM__ITEM_REMOTE_DELETED_MESSAGE)
        return 0;
    c->n_items++;
    if (!rd->lim->max_messages || it->datesent < rd->lim->min_ts)
        return 0;
    if (c->n_msgs < rd->lim->max_messages) {
        slot = &c->msgs[c->n_msgs++];
    } else {
        /* full: replace the oldest if this one is newer */
        slot = &c->msgs[0];
        for (i = 1; i < c->n_msgs; i++)
            if (c->msgs[i].ts < slot->ts)
                slot = &c->msgs[i];
        if (slot->ts >= it->datesent)
            return 0;
        rd->h->n_msgs--;
        msg_free(slot);
    }
    rd->h->n_msgs++;
    rc = fill_msg(rd, slot, it);
    return rc;
}

static int on_frame(reader *rd, const uint8_t *p, size_t n)
{
    Signal__Backup__Frame *f;
    int rc = 0;

    if (!rd->have_info) {
        Signal__Backup__BackupInfo *bi = signal__backup__backup_info__unpack(NULL, n, p);
        if (!bi)
            return fail(rd, "the first frame is not a BackupInfo");
        rd->have_info = 1;
        /* mautrix-signal backup.go: BackupVersion = 1 */
        if (!bi->has_version || bi->version != 1)
            rc = fail(rd, "unsupported backup version %llu",
                      (unsigned long long)(bi->has_version ? bi->version : 0));
        rd->h->backup_time_ms = bi->has_backuptimems ? bi->backuptimems : 0;
        if (bi->has_mediarootbackupkey)
            ut_wipe(bi->mediarootbackupkey.data, bi->mediarootbackupkey.len);
        signal__backup__backup_info__free_unpacked(bi, NULL);
        return rc;
    }
    f = signal__backup__frame__unpack(NULL, n, p);
    if (!f)
        return fail(rd, "frame %zu does not parse", rd->h->n_frames + 1);
    rd->h->n_frames++;
    switch (f->item_case) {
    case SIGNAL__BACKUP__FRAME__ITEM_RECIPIENT:
        rc = add_recipient(rd, f->recipient);
        if (f->recipient->destination_case == SIGNAL__BACKUP__RECIPIENT__DESTINATION_GROUP &&
            f->recipient->group->has_masterkey)
            ut_wipe(f->recipient->group->masterkey.data, f->recipient->group->masterkey.len);
        break;
    case SIGNAL__BACKUP__FRAME__ITEM_CHAT:
        rc = add_chat(rd, f->chat);
        break;
    case SIGNAL__BACKUP__FRAME__ITEM_CHAT_ITEM:
        rc = add_item(rd, f->chatitem);
        break;
    default: /* account data, sticker packs, calls, profiles, folders */
        break;
    }
    signal__backup__frame__free_unpacked(f, NULL);
    return rc;
}

/* Split the decompressed bytes in `buf` into frames; keeps an incomplete
 * tail for the next call. */
static int split(reader *rd, ut_buf *buf, int final)
{
    size_t off = 0;
    int rc = 0;

    while (off < buf->len) {
        uint64_t len = 0;
        unsigned shift = 0;
        size_t i = off;
        int done = 0;

        while (i < buf->len && shift < 64) {
            uint8_t b = buf->data[i++];
            len |= (uint64_t)(b & 0x7f) << shift;
            shift += 7;
            if (!(b & 0x80)) {
                done = 1;
                break;
            }
        }
        if (!done) {
            if (shift >= 64)
                return fail(rd, "a frame length does not end");
            break; /* the rest of the varint is yet to come */
        }
        if (len > SIG_HISTORY_MAX_FRAME)
            return fail(rd, "a frame of %llu bytes", (unsigned long long)len);
        if (buf->len - i < len)
            break;
        if ((rc = on_frame(rd, buf->data + i, (size_t)len)) != 0)
            return rc;
        off = i + (size_t)len;
    }
    if (off) {
        memmove(buf->data, buf->data + off, buf->len - off);
        buf->len -= off;
    }
    if (final && buf->len)
        return fail(rd, "the archive ends inside a frame");
    return 0;
}

static int cmp_msg(const void *x, const void *y)
{
    const sig_hist_msg *a = x, *b = y;

    return a->ts < b->ts ? -1 : a->ts > b->ts;
}

static int inflate_all(reader *rd, const uint8_t *data, size_t n)
{
    z_stream z;
    ut_buf buf;
    uint8_t chunk[16384];
    size_t i;
    int zr, rc = 0;

    memset(&z, 0, sizeof(z));
    /* 16 + MAX_WBITS: a gzip header, not zlib's */
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return UT_ERR_NOMEM;
    ut_buf_init(&buf, 2u * SIG_HISTORY_MAX_FRAME + sizeof(chunk));
    z.next_in = (Bytef *)(uintptr_t)data;
    /* a size_t archive may be larger than uInt: feed it in pieces */
    z.avail_in = 0;
    i = 0;
    do {
        if (z.avail_in == 0 && i < n) {
            size_t take = n - i > (1u << 30) ? (1u << 30) : n - i;
            z.next_in = (Bytef *)(uintptr_t)(data + i);
            z.avail_in = (uInt)take;
            i += take;
        }
        z.next_out = chunk;
        z.avail_out = sizeof(chunk);
        zr = inflate(&z, Z_NO_FLUSH);
        if (zr != Z_OK && zr != Z_STREAM_END) {
            if (zr == Z_BUF_ERROR && z.avail_in == 0 && i >= n)
                rc = fail(rd, "the archive is truncated");
            else if (zr == Z_MEM_ERROR)
                rc = UT_ERR_NOMEM;
            else
                rc = fail(rd, "the archive is not a valid gzip stream");
            break;
        }
        if (sizeof(chunk) - z.avail_out &&
            (rc = ut_buf_append(&buf, chunk, sizeof(chunk) - z.avail_out)) != 0) {
            rc = rc == UT_ERR_RANGE ? fail(rd, "a frame is too large") : rc;
            break;
        }
        if ((rc = split(rd, &buf, 0)) != 0)
            break;
    } while (zr != Z_STREAM_END);
    if (rc == 0)
        rc = split(rd, &buf, 1);
    if (rc == 0) {
        /* what follows the gzip stream is padding, zeros only (signalmeow
         * backup.go: "unexpected data after decompression") */
        const uint8_t *rest = z.next_in;
        size_t left = z.avail_in + (n - i), k;
        for (k = 0; k < left; k++)
            if (rest[k]) {
                rc = fail(rd, "data after the compressed stream");
                break;
            }
    }
    if (rc == 0 && !rd->have_info)
        rc = fail(rd, "the archive is empty");
    inflateEnd(&z);
    ut_buf_free(&buf);
    return rc;
}

int sig_history_read(sig_history **out, const uint8_t *data, size_t n,
                     const sig_history_limits *lim, char *err, size_t errlen)
{
    reader rd;
    size_t i;
    int rc;

    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    memset(&rd, 0, sizeof(rd));
    rd.lim = lim;
    rd.err = err;
    rd.errlen = errlen;
    rd.r_sorted = 1;
    rd.h = calloc(1, sizeof(*rd.h));
    if (!rd.h)
        return UT_ERR_NOMEM;
    rc = inflate_all(&rd, data, n);
    for (i = 0; i < rd.nr; i++) {
        free(rd.r[i].name);
        ut_wipe(rd.r[i].master_key, 32);
    }
    free(rd.r);
    if (rc != 0) {
        sig_history_free(rd.h);
        return rc;
    }
    for (i = 0; i < rd.h->n_chats; i++) /* a chat without messages has msgs NULL:
                                            * qsort's base must not be */
        if (rd.h->chats[i].n_msgs > 1)
            qsort(rd.h->chats[i].msgs, rd.h->chats[i].n_msgs, sizeof(sig_hist_msg), cmp_msg);
    *out = rd.h;
    return 0;
}
