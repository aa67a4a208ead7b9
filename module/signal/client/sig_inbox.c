/* sig_inbox.c - the durable inbox (table sig_inbox, migration 002) and
 * turning a stored Content into a SIG_EV_MESSAGE. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "SignalService.pb-c.h"
#include "sig_err.h"
#include "sig_inbox.h"
#include "sig_int.h"

int sig_inbox_seen(sig_client *c, const char *sender, uint32_t dev, uint64_t ts)
{
    static const char sql[] = "SELECT 1 FROM sig_inbox WHERE account = ?1 AND "
                              "sender = ?2 AND device = ?3 AND timestamp = ?4";
    sqlite3_stmt *st = st_db_stmt(c->db, sql);
    int rc;

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, c->cfg.account);
    sqlite3_bind_text(st, 2, sender, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, dev);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)ts);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return 1;
    return rc == SQLITE_DONE ? 0 : ST_ERR_SQL;
}

int sig_inbox_put(sig_client *c, const sig_inbox_row *r, int64_t *id)
{
    static const char sql[] =
        "INSERT INTO sig_inbox (account, sender, device, timestamp, server_ts, "
        "flags, content, received_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
    sqlite3_stmt *st = st_db_stmt(c->db, sql);
    int rc;

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, c->cfg.account);
    sqlite3_bind_text(st, 2, r->sender, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, r->device);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)r->timestamp);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)r->server_ts);
    sqlite3_bind_int64(st, 6, r->flags);
    sqlite3_bind_blob(st, 7, r->content_len ? (const void *)r->content : "",
                      (int)r->content_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, ut_now_ms());
    rc = st_db_step_done(c->db, st);
    if (rc == 0)
        *id = sqlite3_last_insert_rowid(st_db_handle(c->db));
    return rc;
}

int sig_client_done(sig_client *c, int64_t id)
{
    static const char sql[] = "UPDATE sig_inbox SET done = 1, content = NULL "
                              "WHERE account = ?1 AND id = ?2";
    sqlite3_stmt *st = st_db_stmt(c->db, sql);
    int rc;

    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, c->cfg.account);
    sqlite3_bind_int64(st, 2, id);
    rc = st_db_step_done(c->db, st);
    if (rc == 0)
        sig_inbox_maybe_prune(c);
    return rc;
}

int sig_inbox_prune(sig_client *c, int64_t cutoff_ms, int *n_out)
{
    static const char sql[] = "DELETE FROM sig_inbox WHERE account = ?1 AND done = 1 "
                              "AND received_ms < ?2";
    sqlite3_stmt *st = st_db_stmt(c->db, sql);
    int rc;

    if (n_out)
        *n_out = 0;
    if (!st)
        return ST_ERR_SQL;
    sqlite3_bind_int64(st, 1, c->cfg.account);
    sqlite3_bind_int64(st, 2, cutoff_ms);
    rc = st_db_step_done(c->db, st);
    if (rc == 0 && n_out)
        *n_out = sqlite3_changes(st_db_handle(c->db));
    return rc;
}

void sig_inbox_maybe_prune(sig_client *c)
{
    int64_t now = ut_now_ms();
    int64_t keep = (int64_t)(c->cfg.inbox_keep_days ? c->cfg.inbox_keep_days : 45) *
                   86400000;
    int n = 0, rc;

    if (c->inbox_pruned_ms && now - c->inbox_pruned_ms < 3600000)
        return;
    c->inbox_pruned_ms = now;
    rc = sig_inbox_prune(c, now - keep, &n);
    if (rc != 0)
        sig_logf(c, UT_LOG_WARN, "signal: pruning the inbox: %s", sig_strerror(rc));
    else if (n > 0)
        sig_logf(c, UT_LOG_INFO, "signal: pruned %d completed inbox rows", n);
}

void sig_emit_message(sig_client *c, const sig_inbox_row *r, int64_t id)
{
    Signalservice__Content *ct;
    Signalservice__DataMessage *dm = NULL;
    sig_attachment *atts = NULL;
    sig_message m;
    sig_event ev;
    char dest[SIG_UUID_STR_LEN + 5];

    memset(&m, 0, sizeof(m));
    m.id = id;
    m.sender = r->sender;
    m.sender_device = r->device;
    m.timestamp = r->timestamp;
    m.server_timestamp = r->server_ts;
    m.to_pni = (r->flags & SIG_INBOX_TO_PNI) != 0;
    m.sealed = (r->flags & SIG_INBOX_SEALED) != 0;
    m.content = r->content;
    m.content_len = r->content_len;
    ct = signalservice__content__unpack(NULL, r->content_len, r->content);
    if (ct) {
        if (ct->datamessage) {
            dm = ct->datamessage;
        } else if (ct->editmessage && ct->editmessage->datamessage) {
            dm = ct->editmessage->datamessage;
        } else if (ct->syncmessage && ct->syncmessage->sent) {
            Signalservice__SyncMessage__Sent *s = ct->syncmessage->sent;
            m.from_self = 1;
            dm = s->message;
            if (s->has_destinationserviceidbinary &&
                sig_service_id_format(dest, s->destinationserviceidbinary.data,
                                      s->destinationserviceidbinary.len) == 0)
                m.destination = dest;
            else if (s->destinationserviceid)
                m.destination = s->destinationserviceid;
        }
        if (dm) {
            m.body = dm->body;
            if (dm->has_timestamp)
                m.data_timestamp = dm->timestamp;
            if (dm->groupv2 && dm->groupv2->has_masterkey &&
                dm->groupv2->masterkey.len == 32)
                m.group_master_key = dm->groupv2->masterkey.data;
        }
    }
    if (dm && dm->n_attachments > 0 && dm->n_attachments <= 100) {
        size_t i;
        atts = calloc(dm->n_attachments, sizeof(*atts));
        for (i = 0; atts && i < dm->n_attachments; i++) {
            Signalservice__AttachmentPointer *ap = dm->attachments[i];
            size_t len = signalservice__attachment_pointer__get_packed_size(ap);
            uint8_t *pb = malloc(len ? len : 1);
            if (!pb)
                break;
            signalservice__attachment_pointer__pack(ap, pb);
            atts[i].content_type = ap->contenttype;
            atts[i].file_name = ap->filename;
            atts[i].size = ap->has_size ? ap->size : 0;
            atts[i].pointer = pb;
            atts[i].pointer_len = len;
            m.n_attachments = i + 1;
        }
        m.attachments = atts;
    }
    memset(&ev, 0, sizeof(ev));
    ev.type = SIG_EV_MESSAGE;
    ev.msg = &m;
    sig_emit(c, &ev);
    /* a group we may not know yet, or at a newer revision: fetch its state */
    if (m.group_master_key && dm && !sig_dead(c))
        sig_groups_seen(c, m.group_master_key,
                        dm->groupv2->has_revision ? (int64_t)dm->groupv2->revision : 0);
    if (atts) {
        size_t i;
        for (i = 0; i < m.n_attachments; i++)
            ut_free_secret((void *)atts[i].pointer, atts[i].pointer_len);
        free(atts);
    }
    if (ct)
        signalservice__content__free_unpacked(ct, NULL);
}

int sig_recv_redeliver(sig_client *c)
{
    static const char ids_sql[] = "SELECT id FROM sig_inbox WHERE account = ?1 "
                                  "AND done = 0 ORDER BY id";
    static const char row_sql[] =
        "SELECT sender, device, timestamp, server_ts, flags, content FROM "
        "sig_inbox WHERE account = ?1 AND id = ?2 AND done = 0";
    sqlite3_stmt *st = st_db_stmt(c->db, ids_sql);
    int64_t *ids = NULL;
    size_t n = 0, cap = 0, i;
    int rc;

    if (!st)
        return ST_ERR_SQL;
    sig_inbox_maybe_prune(c); /* at every start, then at most hourly */
    sqlite3_bind_int64(st, 1, c->cfg.account);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            int64_t *t = realloc(ids, (cap ? cap * 2 : 16) * sizeof(*ids));
            if (!t) {
                sqlite3_reset(st);
                free(ids);
                return UT_ERR_NOMEM;
            }
            ids = t;
            cap = cap ? cap * 2 : 16;
        }
        ids[n++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_reset(st);
    for (i = 0; i < n && !sig_dead(c); i++) {
        sig_inbox_row r;
        char *sender;
        uint8_t *content;

        st = st_db_stmt(c->db, row_sql);
        if (!st)
            break;
        sqlite3_bind_int64(st, 1, c->cfg.account);
        sqlite3_bind_int64(st, 2, ids[i]);
        if (sqlite3_step(st) != SQLITE_ROW) {
            sqlite3_reset(st);
            continue;
        }
        memset(&r, 0, sizeof(r));
        sender = strdup((const char *)sqlite3_column_text(st, 0));
        r.device = (uint32_t)sqlite3_column_int64(st, 1);
        r.timestamp = (uint64_t)sqlite3_column_int64(st, 2);
        r.server_ts = (uint64_t)sqlite3_column_int64(st, 3);
        r.flags = (int)sqlite3_column_int64(st, 4);
        r.content_len = (size_t)sqlite3_column_bytes(st, 5);
        content = malloc(r.content_len + 1);
        if (content && r.content_len)
            memcpy(content, sqlite3_column_blob(st, 5), r.content_len);
        sqlite3_reset(st);
        if (sender && content) {
            r.sender = sender;
            r.content = content;
            sig_emit_message(c, &r, ids[i]);
        }
        free(sender);
        ut_free_secret(content, r.content_len + 1);
    }
    free(ids);
    return 0;
}
