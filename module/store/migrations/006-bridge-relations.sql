-- the bridge's relations: reactions, deletes/redactions, edits (both ways).
-- The message map: every bridged message as (author ACI, Signal timestamp)
-- <-> Matrix event id. Signal -> Matrix rows are br_inbox (sender, ts,
-- event_id); Matrix -> Signal rows are br_outbox (event_id, signal_ts), whose
-- author is the account that sent it, recorded when the send succeeded.
ALTER TABLE br_outbox ADD COLUMN author TEXT;
CREATE TRIGGER br_outbox_author AFTER UPDATE OF signal_ts ON br_outbox
    WHEN NEW.signal_ts IS NOT NULL AND NEW.author IS NULL
BEGIN
    UPDATE br_outbox SET author = (SELECT aci FROM br_login WHERE owner_mxid = NEW.owner_mxid)
        WHERE id = NEW.id;
END;
CREATE INDEX br_inbox_event ON br_inbox(event_id);
CREATE INDEX br_outbox_sig ON br_outbox(owner_mxid, signal_ts);
CREATE VIEW br_msgmap(owner_mxid, chat_id, author, ts, event_id) AS
    SELECT owner_mxid, chat_id, sender, ts, event_id FROM br_inbox WHERE event_id IS NOT NULL
    UNION ALL
    SELECT owner_mxid, chat_id, author, signal_ts, event_id FROM br_outbox
        WHERE state = 1 AND author IS NOT NULL AND signal_ts IS NOT NULL;
CREATE TABLE br_relin (              -- Signal -> Matrix relations, durable before ack
    owner_mxid    TEXT NOT NULL,
    chat_id       TEXT NOT NULL,
    sender        TEXT NOT NULL,     -- ACI of who reacted/deleted/edited
    ts            INTEGER NOT NULL,  -- timestamp of the Signal message carrying it
    from_me       INTEGER NOT NULL DEFAULT 0,
    kind          INTEGER NOT NULL,  -- 1 reaction, 2 delete, 3 edit
    target_author TEXT NOT NULL,
    target_ts     INTEGER NOT NULL,
    text          TEXT,              -- emoji, or the edit's new body
    remove        INTEGER NOT NULL DEFAULT 0,
    state         INTEGER NOT NULL DEFAULT 0,  -- 0 pending, 1 done, 2 dropped
    received_ms   INTEGER NOT NULL,
    PRIMARY KEY (owner_mxid, sender, ts)
);
CREATE TABLE br_relout (             -- Matrix -> Signal relations, durable before send
    id            INTEGER PRIMARY KEY,
    owner_mxid    TEXT NOT NULL,
    room_id       TEXT NOT NULL,
    chat_id       TEXT NOT NULL,
    event_id      TEXT NOT NULL UNIQUE,  -- the m.reaction / redaction / edit
    kind          INTEGER NOT NULL,
    target_author TEXT NOT NULL,
    target_ts     INTEGER NOT NULL,
    text          TEXT,
    remove        INTEGER NOT NULL DEFAULT 0,
    signal_ts     INTEGER NOT NULL,      -- chosen once: a resend is deduped
    state         INTEGER NOT NULL DEFAULT 0,  -- 0 queued, 1 sent, 2 failed
    error         TEXT
);
CREATE TABLE br_reaction (           -- reactions on both sides
    owner_mxid    TEXT NOT NULL,
    target_author TEXT NOT NULL,
    target_ts     INTEGER NOT NULL,
    reactor       TEXT NOT NULL,     -- ACI (ours for the user's reactions)
    emoji         TEXT NOT NULL,
    room_id       TEXT NOT NULL,
    event_id      TEXT UNIQUE,       -- the Matrix m.reaction; NULL while sending
    PRIMARY KEY (owner_mxid, target_author, target_ts, reactor, emoji)
);
