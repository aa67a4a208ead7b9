/*
 * hs_devdel.c - DELETE devices/{deviceId} and POST delete_devices, behind
 * user-interactive auth with the password (matrix-org/matrix-spec
 * data/api/client-server/device_management.yaml: both "require
 * User-Interactive Authentication"). Deleting a device logs it out and
 * removes everything E2EE that belongs to it: its device keys, one-time and
 * fallback keys, signatures on it and its pending to-device messages; the
 * owner's device list changes, so other users stop encrypting to it
 * (Synapse synapse/handlers/device.py delete_devices).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "hs_e2ee.h"

static const char *const del_sql[] = {
    "DELETE FROM devices WHERE user_id=?1 AND device_id=?2",
    "DELETE FROM tokens WHERE user_id=?1 AND device_id=?2",
    "DELETE FROM e2e_device_keys WHERE user_id=?1 AND device_id=?2",
    "DELETE FROM e2e_otk WHERE user_id=?1 AND device_id=?2",
    "DELETE FROM e2e_fallback WHERE user_id=?1 AND device_id=?2",
    "DELETE FROM e2e_todevice WHERE user_id=?1 AND device_id=?2",
    "DELETE FROM e2e_todevice_txn WHERE user_id=?1 AND device_id=?2",
    "DELETE FROM e2e_sigs WHERE target_user=?1 AND target_key=?2"};

/* Delete one device in the caller's transaction: 1 deleted, 0 unknown,
 * HS_ERR_DB. */
static int delete_one(hs *s, const char *user, const char *dev)
{
    size_t i;
    int found = 0;

    for (i = 0; i < sizeof(del_sql) / sizeof(del_sql[0]); i++) {
        sqlite3_stmt *st = hs_db_stmt(s, del_sql[i]);
        if (!st)
            return HS_ERR_DB;
        hs_bind_text(st, 1, user);
        hs_bind_text(st, 2, dev);
        if (hs_db_step_done(s, st))
            return HS_ERR_DB;
        if (i == 0)
            found = sqlite3_changes(s->db) > 0;
    }
    return found;
}

static int delete_list(hs_req *r, json_t *devs, int must_exist)
{
    hs *s = r->s;
    json_t *v;
    size_t i;
    int any = 0;

    if (hs_db_begin(s))
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    json_array_foreach(devs, i, v) {
        int rc = delete_one(s, r->user_id, json_string_value(v));
        if (rc < 0) {
            hs_db_rollback(s);
            return hs_err(r, 500, "M_UNKNOWN", "database error");
        }
        if (!rc && must_exist) {
            hs_db_rollback(s);
            return hs_err(r, 404, "M_NOT_FOUND", "Unknown device");
        }
        any |= rc;
    }
    if ((any && hs_e2ee_mark_changed(s, r->user_id)) || hs_db_commit(s)) {
        hs_db_rollback(s);
        return hs_err(r, 500, "M_UNKNOWN", "database error");
    }
    return hs_ok(r, NULL);
}

static int device_exists(hs *s, const char *user, const char *dev)
{
    sqlite3_stmt *st = hs_db_stmt(s, "SELECT 1 FROM devices WHERE user_id=? AND device_id=? /*dd*/");
    int rc;

    if (!st)
        return 0;
    hs_bind_text(st, 1, user);
    hs_bind_text(st, 2, dev);
    rc = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    return rc;
}

int hs_h_device_delete(hs_req *r)
{
    const char *dev = r->segs[1];
    json_t *one;
    int rc;

    /* an unknown device is 404 before any auth (Synapse answers so too) */
    if (!device_exists(r->s, r->user_id, dev))
        return hs_err(r, 404, "M_NOT_FOUND", "Unknown device");
    if (hs_e2ee_uia_password(r))
        return HS_DONE;
    one = json_pack("[s]", dev);
    rc = delete_list(r, one, 1);
    json_decref(one);
    return rc;
}

int hs_h_delete_devices(hs_req *r)
{
    json_t *devs = json_object_get(r->json, "devices"), *v;
    size_t i;

    if (!json_is_array(devs))
        return hs_err(r, 400, "M_BAD_JSON", "devices must be a list of device IDs");
    json_array_foreach(devs, i, v)
        if (!json_is_string(v))
            return hs_err(r, 400, "M_BAD_JSON", "devices must be a list of device IDs");
    if (hs_e2ee_uia_password(r))
        return HS_DONE;
    return delete_list(r, devs, 0); /* unknown IDs are ignored (the spec) */
}
