-- Issue #17: a disappearing Signal message may be several Matrix events
-- (each attachment its own event, then the caption: br_media.c), and every
-- one of them must be redacted when it expires. br_expire (014) keeps one
-- row per Signal message (its timer and countdown); br_expire_event lists
-- each Matrix event the message became, with who posted it (who redacts
-- it). The sweep redacts the events of due messages one by one and drops
-- each event's row when done; the message's row goes when none is left
-- and the message is wholly bridged (br_store_expire.c).
CREATE TABLE br_expire_event (
    owner_mxid TEXT NOT NULL,
    sender     TEXT NOT NULL,
    ts         INTEGER NOT NULL,
    event_id   TEXT NOT NULL,
    room_id    TEXT NOT NULL,
    redact_as  TEXT,
    PRIMARY KEY (owner_mxid, sender, ts, event_id)
);
CREATE INDEX br_expire_event_by_event ON br_expire_event(owner_mxid, event_id);
-- the one event each row had until now
INSERT OR IGNORE INTO br_expire_event (owner_mxid, sender, ts, event_id, room_id, redact_as)
    SELECT owner_mxid, sender, ts, event_id, room_id, redact_as FROM br_expire
    WHERE event_id IS NOT NULL AND room_id IS NOT NULL;
