-- v7 -> v8: the Signal client's send log, so that a contact's retry request
-- (DecryptionErrorMessage) can be answered with the same Content and the
-- same timestamp (Signal-Desktop's sendLogPayloads/sendLogRecipients,
-- ts/sql/Server.ts; signalmeow's sendCache, pkg/signalmeow/retry.go).
-- One row per recipient device that was sent a Content: the serialized,
-- unpadded Content is secret (it lives only in this 0600 file and is never
-- logged). Rows are written before the PUT goes out, in the transaction
-- that advances the session, and pruned after 24 h. The key makes a
-- re-send (409/410 retries, a replayed request) replace, never duplicate.
CREATE TABLE sig_sendlog (
    account      INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
    recipient    TEXT NOT NULL,      -- service id (ACI text)
    device       INTEGER NOT NULL,
    timestamp    INTEGER NOT NULL,   -- the message's sent timestamp
    content      BLOB NOT NULL,
    sent_ms      INTEGER NOT NULL,   -- local clock when logged, for pruning
    PRIMARY KEY (account, recipient, device, timestamp)
);
CREATE INDEX sig_sendlog_age ON sig_sendlog (account, sent_ms);
