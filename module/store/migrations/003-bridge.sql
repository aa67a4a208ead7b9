-- v2 -> v3: the bridge's own tables (portals, puppets, message map, queues).
CREATE TABLE br_mgmt_room (          -- the DM between a user and the bot
    owner_mxid   TEXT PRIMARY KEY,
    room_id      TEXT NOT NULL UNIQUE
);
CREATE TABLE br_login (              -- a linked Signal account per user
    owner_mxid   TEXT PRIMARY KEY,
    aci          TEXT NOT NULL,
    number       TEXT NOT NULL,
    linked_ms    INTEGER NOT NULL
);
CREATE TABLE br_portal (             -- one Matrix room per Signal chat per user
    owner_mxid   TEXT NOT NULL,
    chat_id      TEXT NOT NULL,      -- dm:<aci> | group:<id> | self
    room_id      TEXT UNIQUE,        -- NULL while being created
    PRIMARY KEY (owner_mxid, chat_id)
);
CREATE TABLE br_puppet (             -- a Signal user as a Matrix ghost
    aci          TEXT PRIMARY KEY,
    phone        TEXT,
    name         TEXT,               -- profile name, once known
    shown_name   TEXT                -- what the ghost's display name is now
);
CREATE TABLE br_inbox (              -- Signal -> Matrix, durable before ack
    owner_mxid   TEXT NOT NULL,
    chat_id      TEXT NOT NULL,
    sender       TEXT NOT NULL,
    ts           INTEGER NOT NULL,
    from_me      INTEGER NOT NULL DEFAULT 0,
    body         TEXT NOT NULL,
    event_id     TEXT,               -- set once bridged
    PRIMARY KEY (owner_mxid, sender, ts)
);
CREATE TABLE br_outbox (             -- Matrix -> Signal, durable before send
    id           INTEGER PRIMARY KEY,
    owner_mxid   TEXT NOT NULL,
    room_id      TEXT NOT NULL,
    chat_id      TEXT NOT NULL,
    event_id     TEXT NOT NULL UNIQUE,
    body         TEXT NOT NULL,
    state        INTEGER NOT NULL DEFAULT 0,  -- 0 queued, 1 sent, 2 failed
    signal_ts    INTEGER,
    error        TEXT
);
CREATE TABLE br_usage (              -- Signal users active per calendar month
    month        TEXT NOT NULL,      -- YYYY-MM (UTC)
    aci          TEXT NOT NULL,
    PRIMARY KEY (month, aci)
);
