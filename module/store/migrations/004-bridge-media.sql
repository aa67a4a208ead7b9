-- v3 -> v4: attachments both ways (issue #6).
CREATE TABLE br_media_in (           -- Signal -> Matrix, one row per attachment
    id           INTEGER PRIMARY KEY,
    owner_mxid   TEXT NOT NULL,
    chat_id      TEXT NOT NULL,
    sender       TEXT NOT NULL,      -- with ts: the br_inbox row it belongs to
    ts           INTEGER NOT NULL,
    idx          INTEGER NOT NULL,   -- position in the message
    from_me      INTEGER NOT NULL DEFAULT 0,
    pointer      BLOB NOT NULL,      -- the network's handle (holds the key);
                                     -- emptied once finished
    content_type TEXT,
    file_name    TEXT,
    size         INTEGER NOT NULL DEFAULT 0,
    width        INTEGER NOT NULL DEFAULT 0,
    height       INTEGER NOT NULL DEFAULT 0,
    flags        INTEGER NOT NULL DEFAULT 0,
    state        INTEGER NOT NULL DEFAULT 0, -- 0 stored, 1 downloaded,
                                     -- 2 uploaded, 3 bridged, 4 failed
    mxc          TEXT,
    event_id     TEXT,
    error        TEXT,
    UNIQUE (owner_mxid, sender, ts, idx)
);
CREATE TABLE br_media_out (          -- Matrix -> Signal: the file of a br_outbox row
    outbox_id    INTEGER PRIMARY KEY,
    mxc          TEXT NOT NULL,
    content_type TEXT,
    file_name    TEXT NOT NULL,
    caption      TEXT,
    state        INTEGER NOT NULL DEFAULT 0  -- 0 stored, 1 downloaded,
                                     -- 2 handed to Signal, 3 finished
);
