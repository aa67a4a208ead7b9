-- Chats the user blocked on the phone (storage-service records): their
-- messages, relations and typing are dropped, not bridged.
CREATE TABLE br_blocked (
    owner_mxid   TEXT NOT NULL,
    chat_id      TEXT NOT NULL,      -- group:<id>
    PRIMARY KEY (owner_mxid, chat_id)
);
