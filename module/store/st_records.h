/*
 * st_records.h - opaque byte records keyed by (account, kind, key): the
 * storage behind the Signal crypto stores (identity keys, prekeys, signed
 * prekeys, Kyber prekeys, sessions, sender keys, ...). The store knows
 * nothing of their contents (STYLE.md §22): the crypto layer serializes.
 *
 * `kind` names a record family, e.g. "session", "prekey", "kyber_prekey";
 * `key` is the family's key as text (an address "aci:<uuid>.<device>", a
 * prekey id "42", ...). Values may be secret: get() copies into a ut_buf the
 * caller must release with ut_buf_free_secret.
 */
#ifndef ST_RECORDS_H
#define ST_RECORDS_H

#include "st_db.h"

/* Insert or replace. */
int st_record_put(st_db *db, int64_t account, const char *kind,
                  const char *key, const void *value, size_t len);
/* ST_ERR_NOTFOUND when absent. `out` is appended to (init it with a cap). */
int st_record_get(st_db *db, int64_t account, const char *kind,
                  const char *key, ut_buf *out);
/* 0 whether or not it existed. */
int st_record_delete(st_db *db, int64_t account, const char *kind,
                     const char *key);
/* Number of records of a family (e.g. remaining one-time prekeys), or a
 * negative ST_ERR_*. */
int64_t st_record_count(st_db *db, int64_t account, const char *kind);
/* Call fn for every record of a family in key order; stop early when fn
 * returns nonzero (that value is returned). */
int st_record_each(st_db *db, int64_t account, const char *kind,
                   int (*fn)(void *arg, const char *key, const void *value,
                             size_t len),
                   void *arg);
/* The same for the records whose key starts with `prefix` (non-empty),
 * e.g. one peer's sessions "a:<aci>.": a seek on the primary key, not a
 * walk over the whole family. UT_ERR_INVAL for an empty prefix. */
int st_record_each_prefix(st_db *db, int64_t account, const char *kind, const char *prefix,
                          int (*fn)(void *arg, const char *key, const void *value,
                                    size_t len),
                          void *arg);
/* Accounts: one per Matrix user who linked Signal. ensure creates it if
 * needed; delete cascades to its records. */
int st_account_ensure(st_db *db, const char *owner_mxid, int64_t *id);
int st_account_find(st_db *db, const char *owner_mxid, int64_t *id); /* ST_ERR_NOTFOUND */
int st_account_delete(st_db *db, int64_t id);
/* Every account's owner, in creation order, as a list the caller frees
 * with st_account_owners_free (the whole list is read first, so the caller
 * may write while walking it). 0, UT_ERR_NOMEM or ST_ERR_SQL. */
int st_account_owners(st_db *db, char ***owners, size_t *n);
void st_account_owners_free(char **owners, size_t n);

/* Delete every record of an account but keep the account (relink). */
int st_record_delete_account(st_db *db, int64_t account);

#endif
