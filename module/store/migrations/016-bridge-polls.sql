-- Issue #17 item 6, polls Matrix <-> Signal.
-- A poll the user started in Matrix: its answers' Matrix ids in Signal's
-- option order (JSON array of strings), so that a Signal vote (which names
-- option indexes) names the poll's own answer ids in Matrix.
CREATE TABLE br_poll (
    owner_mxid TEXT NOT NULL,
    event_id   TEXT NOT NULL,
    answers    TEXT NOT NULL,
    PRIMARY KEY (owner_mxid, event_id)
);
-- How many votes the user sent on a poll: Signal's PollVote.voteCount,
-- which must grow with each vote of the same voter.
CREATE TABLE br_poll_vote (
    owner_mxid    TEXT NOT NULL,
    poll_event_id TEXT NOT NULL,
    count         INTEGER NOT NULL,
    PRIMARY KEY (owner_mxid, poll_event_id)
);
