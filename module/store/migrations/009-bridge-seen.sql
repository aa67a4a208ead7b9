-- v8 -> v9: Matrix events the bridge has handled, so that an event the
-- homeserver delivers again (at-least-once, include/mxm/module.h) is
-- dropped (module/bridge/br_dedupe.c). Rows older than 7 days are pruned:
-- a host replays only what followed its last saved position.
CREATE TABLE br_mx_seen (
    event_id     TEXT PRIMARY KEY,
    seen_ms      INTEGER NOT NULL
);
CREATE INDEX br_mx_seen_age ON br_mx_seen(seen_ms);
