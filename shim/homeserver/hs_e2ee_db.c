/*
 * hs_e2ee_db.c - the tables of the E2EE endpoints (hs_e2ee.h), created by
 * hs_db_open next to the main schema. Kept apart from the handlers so the
 * database unit test links the real schema without them.
 */
#include "config.h"

#include "hs_e2ee.h"

static const char e2ee_schema[] =
    "CREATE TABLE IF NOT EXISTS e2e_device_keys("
    " user_id TEXT NOT NULL, device_id TEXT NOT NULL, json TEXT NOT NULL,"
    " PRIMARY KEY(user_id, device_id));"
    "CREATE TABLE IF NOT EXISTS e2e_otk("
    " user_id TEXT NOT NULL, device_id TEXT NOT NULL, algorithm TEXT NOT NULL,"
    " key_id TEXT NOT NULL, json TEXT NOT NULL,"
    " PRIMARY KEY(user_id, device_id, algorithm, key_id));"
    "CREATE TABLE IF NOT EXISTS e2e_fallback("
    " user_id TEXT NOT NULL, device_id TEXT NOT NULL, algorithm TEXT NOT NULL,"
    " key_id TEXT NOT NULL, json TEXT NOT NULL, used INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(user_id, device_id, algorithm));"
    "CREATE TABLE IF NOT EXISTS e2e_devlist("
    " user_id TEXT PRIMARY KEY, stream INTEGER NOT NULL);"
    /* cross-signing keys by usage; signatures by (target, signer) */
    "CREATE TABLE IF NOT EXISTS e2e_xsign("
    " user_id TEXT NOT NULL, usage TEXT NOT NULL, pub TEXT NOT NULL,"
    " json TEXT NOT NULL, PRIMARY KEY(user_id, usage));"
    "CREATE TABLE IF NOT EXISTS e2e_sigs("
    " target_user TEXT NOT NULL, target_key TEXT NOT NULL,"
    " signer_user TEXT NOT NULL, key_id TEXT NOT NULL, sig TEXT NOT NULL,"
    " PRIMARY KEY(target_user, target_key, signer_user, key_id));"
    /* to-device: sent_at is the next_batch of the first response that
     * carried the message; a later since >= sent_at acknowledges it */
    "CREATE TABLE IF NOT EXISTS e2e_todevice("
    " id INTEGER PRIMARY KEY, user_id TEXT NOT NULL, device_id TEXT NOT NULL,"
    " stream INTEGER NOT NULL, json TEXT NOT NULL, sent_at INTEGER);"
    "CREATE INDEX IF NOT EXISTS e2e_todevice_dev ON e2e_todevice(user_id, device_id, id);"
    "CREATE TABLE IF NOT EXISTS e2e_todevice_txn("
    " user_id TEXT NOT NULL, device_id TEXT NOT NULL, txn TEXT NOT NULL,"
    " PRIMARY KEY(user_id, device_id, txn));"
    "CREATE TABLE IF NOT EXISTS e2e_backup_versions("
    " user_id TEXT NOT NULL, version INTEGER NOT NULL, algorithm TEXT NOT NULL,"
    " auth_data TEXT NOT NULL, etag INTEGER NOT NULL DEFAULT 0,"
    " deleted INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(user_id, version));"
    "CREATE TABLE IF NOT EXISTS e2e_backup_keys("
    " user_id TEXT NOT NULL, version INTEGER NOT NULL, room_id TEXT NOT NULL,"
    " session_id TEXT NOT NULL, json TEXT NOT NULL,"
    " PRIMARY KEY(user_id, version, room_id, session_id));";

int hs_e2ee_db_init(hs *s)
{
    static const char *const max_q[] = {
        "SELECT COALESCE(MAX(stream),0) FROM e2e_devlist",
        "SELECT COALESCE(MAX(stream),0) FROM e2e_todevice",
        "SELECT COALESCE(MAX(sent_at),0) FROM e2e_todevice"};
    sqlite3_stmt *st;
    size_t i;

    if (hs_db_exec(s, e2ee_schema))
        return HS_ERR_DB;
    for (i = 0; i < sizeof(max_q) / sizeof(max_q[0]); i++) {
        if (sqlite3_prepare_v2(s->db, max_q[i], -1, &st, NULL) != SQLITE_OK)
            return HS_ERR_DB;
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) > s->stream)
            s->stream = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    return 0;
}

