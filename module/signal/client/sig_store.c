/* sig_store.c - the account and the crypto stores of a sig_client on
 * st_records (kinds: "account", "identity", "signed_prekey", "kyber_prekey",
 * "prekey", "session"). Values holding keys are wiped after use. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sc_profile.h"
#include "sig_err.h"
#include "sig_int.h"

#define REC_MAX (SC_RECORD_MAX_LEN)

int sig_rec_get(sig_client *c, const char *kind, const char *key, ut_buf *out)
{
    return st_record_get(c->db, c->cfg.account, kind, key, out);
}

int sig_rec_put(sig_client *c, const char *kind, const char *key,
                const void *v, size_t n)
{
    return st_record_put(c->db, c->cfg.account, kind, key, v, n);
}

int sig_rec_del(sig_client *c, const char *kind, const char *key)
{
    return st_record_delete(c->db, c->cfg.account, kind, key);
}

int sig_access_key(sig_client *c, const char *aci, uint8_t out[16])
{
    ut_buf b;
    int rc;

    ut_buf_init(&b, 64);
    rc = sig_rec_get(c, "profile_key", aci, &b);
    if (rc == 0 && b.len != 32)
        rc = ST_ERR_NOTFOUND;
    if (rc == 0)
        rc = sc_access_key(out, b.data);
    ut_buf_free_secret(&b);
    return rc;
}

int sig_peer_identity(sig_client *c, const char *peer, const uint8_t ik[32], int *changed)
{
    ut_buf b;
    int rc, same = 0;

    *changed = 0;
    ut_buf_init(&b, 64);
    rc = sig_rec_get(c, "peer_identity", peer, &b);
    if (rc == 0) {
        same = b.len == 32 && ut_ct_eq(b.data, ik, 32);
        *changed = !same;
    }
    ut_buf_free(&b);
    if (rc != 0 && rc != ST_ERR_NOTFOUND)
        return rc;
    return same ? 0 : sig_rec_put(c, "peer_identity", peer, ik, 32);
}

static int get_str(sig_client *c, const char *key, char *dst, size_t cap)
{
    ut_buf b;
    int rc;

    ut_buf_init(&b, 4096);
    rc = sig_rec_get(c, "account", key, &b);
    if (rc == 0 && (b.len == 0 || b.len >= cap))
        rc = SIG_ERR_NOT_LINKED;
    if (rc == 0) {
        memcpy(dst, b.data, b.len);
        dst[b.len] = '\0';
    }
    ut_buf_free_secret(&b);
    return rc;
}

static int put_str(sig_client *c, const char *key, const char *v)
{
    return sig_rec_put(c, "account", key, v, strlen(v));
}

static int get_u32(sig_client *c, const char *key, uint32_t *v)
{
    char s[16];
    int rc = get_str(c, key, s, sizeof(s));

    if (rc == 0)
        *v = (uint32_t)strtoul(s, NULL, 10);
    return rc;
}

static int put_u32(sig_client *c, const char *key, uint32_t v)
{
    char s[16];

    snprintf(s, sizeof(s), "%" PRIu32, v);
    return put_str(c, key, s);
}

static int get_blob(sig_client *c, const char *kind, const char *key,
                    uint8_t *dst, size_t n)
{
    ut_buf b;
    int rc;

    ut_buf_init(&b, 64 * 1024);
    rc = sig_rec_get(c, kind, key, &b);
    if (rc == 0 && b.len != n)
        rc = SIG_ERR_NOT_LINKED;
    if (rc == 0)
        memcpy(dst, b.data, n);
    ut_buf_free_secret(&b);
    return rc;
}

int sig_acct_load(sig_client *c)
{
    uint8_t rec[SC_IDENTITY_RECORD_LEN];
    int rc;

    c->linked = 0;
    if ((rc = get_str(c, "aci", c->aci, sizeof(c->aci))) != 0 ||
        (rc = get_str(c, "number", c->number, sizeof(c->number))) != 0 ||
        (rc = get_str(c, "password", c->password, sizeof(c->password))) != 0 ||
        (rc = get_u32(c, "device_id", &c->device_id)) != 0 ||
        (rc = get_u32(c, "regid", &c->regid[0])) != 0 ||
        (rc = get_blob(c, "identity", "aci", rec, sizeof(rec))) != 0)
        goto out;
    if ((rc = sc_identity_keypair_load(&c->identity[0], rec, sizeof(rec))) != 0)
        goto out;
    c->has_pni = 0;
    if (get_str(c, "pni", c->pni, sizeof(c->pni)) == 0 &&
        get_u32(c, "pni_regid", &c->regid[1]) == 0 &&
        get_blob(c, "identity", "pni", rec, sizeof(rec)) == 0 &&
        sc_identity_keypair_load(&c->identity[1], rec, sizeof(rec)) == 0)
        c->has_pni = 1;
    c->has_profile_key =
        get_blob(c, "account", "profile_key", c->profile_key, 32) == 0;
    c->has_master_key =
        get_blob(c, "account", "master_key", c->master_key, 32) == 0;
    c->has_ephemeral_backup_key =
        get_blob(c, "account", "ephemeral_backup_key", c->ephemeral_backup_key, 32) == 0;
    c->linked = 1;
out:
    ut_wipe(rec, sizeof(rec));
    if (rc == ST_ERR_NOTFOUND)
        rc = SIG_ERR_NOT_LINKED;
    return rc;
}

int sig_acct_save(sig_client *c)
{
    uint8_t rec[SC_IDENTITY_RECORD_LEN];
    int rc;

    if ((rc = st_db_begin(c->db)) != 0)
        return rc;
    if ((rc = put_str(c, "aci", c->aci)) != 0 ||
        (rc = put_str(c, "number", c->number)) != 0 ||
        (rc = put_str(c, "password", c->password)) != 0 ||
        (rc = put_u32(c, "device_id", c->device_id)) != 0 ||
        (rc = put_u32(c, "regid", c->regid[0])) != 0)
        goto out;
    sc_identity_keypair_store(rec, &c->identity[0]);
    if ((rc = sig_rec_put(c, "identity", "aci", rec, sizeof(rec))) != 0)
        goto out;
    if (c->has_pni) {
        sc_identity_keypair_store(rec, &c->identity[1]);
        if ((rc = sig_rec_put(c, "identity", "pni", rec, sizeof(rec))) != 0 ||
            (rc = put_str(c, "pni", c->pni)) != 0 ||
            (rc = put_u32(c, "pni_regid", c->regid[1])) != 0)
            goto out;
    }
    if (c->has_profile_key &&
        (rc = sig_rec_put(c, "account", "profile_key", c->profile_key, 32)) != 0)
        goto out;
    if (c->has_master_key &&
        (rc = sig_rec_put(c, "account", "master_key", c->master_key, 32)) != 0)
        goto out;
    /* kept like the identity keys, in the 0600 module database, until the
     * history archive has been read (sig_backup_forget_key) */
    if (c->has_ephemeral_backup_key &&
        (rc = sig_rec_put(c, "account", "ephemeral_backup_key",
                          c->ephemeral_backup_key, 32)) != 0)
        goto out;
    rc = st_db_commit(c->db);
out:
    ut_wipe(rec, sizeof(rec));
    if (rc != 0)
        st_db_rollback(c->db);
    return rc;
}

/* ---- sessions ------------------------------------------------------------ */

typedef struct store_ctx {
    sig_client *c;
    int which;
} store_ctx;

void sig_session_addr(char *out, size_t cap, int which, const char *peer,
                      uint32_t dev)
{
    snprintf(out, cap, "%s:%s.%" PRIu32, which == SIG_ID_PNI ? "p" : "a",
             peer, dev);
}

static int ss_load(void *ctx, const char *address, uint8_t **rec, size_t *len)
{
    store_ctx *s = ctx;
    ut_buf b;
    int rc;

    ut_buf_init(&b, REC_MAX);
    rc = sig_rec_get(s->c, "session", address, &b);
    if (rc == ST_ERR_NOTFOUND) {
        ut_buf_free(&b);
        return SC_ERR_NO_SESSION;
    }
    if (rc != 0) {
        ut_buf_free_secret(&b);
        return rc;
    }
    *rec = ut_buf_take(&b, len);
    return 0;
}

static int ss_store(void *ctx, const char *address, const uint8_t *rec,
                    size_t len)
{
    store_ctx *s = ctx;

    return sig_rec_put(s->c, "session", address, rec, len);
}

static int ss_remove(void *ctx, const char *address)
{
    store_ctx *s = ctx;

    return sig_rec_del(s->c, "session", address);
}

void sig_session_store(sig_client *c, int which, sc_session_store *st,
                       void **ctx_out)
{
    store_ctx *s = calloc(1, sizeof(*s));

    *ctx_out = s;
    if (s) {
        s->c = c;
        s->which = which;
    }
    st->ctx = s;
    st->load = ss_load;
    st->store = ss_store;
    st->remove = ss_remove;
}

void sig_stores_free(void *ctx)
{
    free(ctx);
}

/* ---- pre-keys -------------------------------------------------------------- */

static void pk_key(char *out, size_t cap, int which, uint32_t id)
{
    snprintf(out, cap, "%s:%" PRIu32, which == SIG_ID_PNI ? "pni" : "aci", id);
}

typedef sig_pk_ctx pk_ctx;

static int load_rec(pk_ctx *p, const char *kind, uint32_t id, uint8_t *dst,
                    size_t n)
{
    char key[32];
    int rc;

    pk_key(key, sizeof(key), p->which, id);
    rc = get_blob(p->c, kind, key, dst, n);
    return rc == 0 ? 0 : SC_ERR_UNKNOWN_PREKEY;
}

static int src_signed(void *ctx, uint32_t id, sc_signed_prekey *out)
{
    uint8_t r[SC_SIGNED_PREKEY_RECORD_LEN];
    int rc = load_rec(ctx, "signed_prekey", id, r, sizeof(r));

    if (rc == 0 && sc_signed_prekey_load(out, r, sizeof(r)) != 0)
        rc = SC_ERR_UNKNOWN_PREKEY;
    ut_wipe(r, sizeof(r));
    return rc;
}

static int src_kyber(void *ctx, uint32_t id, sc_kyber_prekey *out)
{
    uint8_t *r = malloc(SC_KYBER_PREKEY_RECORD_LEN);
    int rc;

    if (!r)
        return UT_ERR_NOMEM;
    rc = load_rec(ctx, "kyber_prekey", id, r, SC_KYBER_PREKEY_RECORD_LEN);
    if (rc == 0 && sc_kyber_prekey_load(out, r, SC_KYBER_PREKEY_RECORD_LEN) != 0)
        rc = SC_ERR_UNKNOWN_PREKEY;
    ut_free_secret(r, SC_KYBER_PREKEY_RECORD_LEN);
    return rc;
}

static int src_prekey(void *ctx, uint32_t id, sc_prekey *out)
{
    uint8_t r[SC_PREKEY_RECORD_LEN];
    int rc = load_rec(ctx, "prekey", id, r, sizeof(r));

    if (rc == 0 && sc_prekey_load(out, r, sizeof(r)) != 0)
        rc = SC_ERR_UNKNOWN_PREKEY;
    ut_wipe(r, sizeof(r));
    return rc;
}

void sig_prekey_source(sig_pk_ctx *ctx, sc_prekey_source *src)
{
    src->ctx = ctx;
    src->signed_prekey = src_signed;
    src->kyber_prekey = src_kyber;
    src->prekey = src_prekey;
}
