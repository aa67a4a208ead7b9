-- v0 -> v1: opaque crypto records and accounts.
CREATE TABLE account (
    id           INTEGER PRIMARY KEY,
    owner_mxid   TEXT NOT NULL UNIQUE,   -- the Matrix user who linked it
    created_ms   INTEGER NOT NULL
);
CREATE TABLE record (
    account      INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    key          TEXT NOT NULL,
    value        BLOB NOT NULL,
    PRIMARY KEY (account, kind, key)
) WITHOUT ROWID;
