-- The outbox waits for Signal (issue #12). signal_ts (003) is now
-- set when the row is stored, before the first send, and reused on every
-- resend; these columns pace the retries and bound a row's age.
ALTER TABLE br_outbox ADD COLUMN created_ms INTEGER NOT NULL DEFAULT 0;  -- 0: before v10
ALTER TABLE br_outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;    -- transient failures so far
ALTER TABLE br_outbox ADD COLUMN next_try_ms INTEGER NOT NULL DEFAULT 0; -- not before this (backoff)
CREATE INDEX br_outbox_queued ON br_outbox(owner_mxid, chat_id, id) WHERE state IN (0, 3);
