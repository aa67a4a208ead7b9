-- v1 -> v2: the Signal client's inbox. A decrypted Content is written here
-- (with the session update, in one transaction) before the envelope is
-- acknowledged to the server; `done` is set when the caller has made it
-- durable on its side, and the plaintext is dropped then. The unique key
-- de-duplicates redeliveries (sender ACI, device, sender timestamp).
CREATE TABLE sig_inbox (
    id           INTEGER PRIMARY KEY,
    account      INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
    sender       TEXT NOT NULL,
    device       INTEGER NOT NULL,
    timestamp    INTEGER NOT NULL,
    server_ts    INTEGER NOT NULL DEFAULT 0,
    flags        INTEGER NOT NULL DEFAULT 0,   -- 1 to_pni, 2 sealed
    content      BLOB,
    done         INTEGER NOT NULL DEFAULT 0,
    received_ms  INTEGER NOT NULL,
    UNIQUE (account, sender, device, timestamp)
);
CREATE INDEX sig_inbox_pending ON sig_inbox (account, done, id);
