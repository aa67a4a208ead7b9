-- Formatting, mentions and quotes of bridged text (issue #17, br_fmt.c),
-- kept beside the inbox/outbox rows so that they are as durable as the
-- body: stored before the Signal message is acknowledged, and before a
-- Matrix message is sent. `fmt` is the JSON of br_net.h (BR_NET_FMT).
CREATE TABLE br_infmt (              -- Signal -> Matrix: one br_inbox row's
    owner_mxid   TEXT NOT NULL,
    sender       TEXT NOT NULL,
    ts           INTEGER NOT NULL,
    fmt          TEXT NOT NULL,
    PRIMARY KEY (owner_mxid, sender, ts)
);
CREATE TABLE br_outfmt (             -- Matrix -> Signal: one br_outbox row's
    outbox_id    INTEGER PRIMARY KEY,
    text         TEXT NOT NULL,      -- the Signal body (converted)
    fmt          TEXT NOT NULL
);
