-- v12 -> v13 (file 021, the number assigned to this branch): disappearing
-- messages (issue #14 item 3; module/bridge/br_expire.c).
-- br_chat_timer: a chat's disappearing-message timer as Signal last said
-- (DataMessage.expireTimer with the EXPIRATION_TIMER_UPDATE flag) or as the
-- user set it from Matrix; state_pending = 1 until the room's
-- com.beeper.disappearing_timer state event and its notice are sent.
CREATE TABLE br_chat_timer (
    owner_mxid    TEXT NOT NULL,
    chat_id       TEXT NOT NULL,
    expire_s      INTEGER NOT NULL,
    changed_by    TEXT,
    changed_ts    INTEGER NOT NULL,
    state_pending INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (owner_mxid, chat_id)
);
-- br_expire: one row per bridged message that disappears, keyed like the
-- message itself (owner, sender, Signal timestamp). expire_at (ms) is NULL
-- until the countdown starts: at sending for the user's own messages, at
-- reading for others' (as mautrix-go bridgev2 does for Signal's after_read
-- timers). The sweep redacts rows whose expire_at passed, then deletes them.
CREATE TABLE br_expire (
    owner_mxid TEXT NOT NULL,
    sender     TEXT NOT NULL,
    ts         INTEGER NOT NULL,
    chat_id    TEXT NOT NULL,
    expire_s   INTEGER NOT NULL,
    room_id    TEXT,
    event_id   TEXT,
    redact_as  TEXT,
    expire_at  INTEGER,
    PRIMARY KEY (owner_mxid, sender, ts)
);
CREATE INDEX br_expire_due ON br_expire(expire_at);
CREATE INDEX br_expire_chat ON br_expire(owner_mxid, chat_id, ts);
