-- Issue #17 item 6, polls: the last PollVote.voteCount each Signal voter
-- sent on a poll, so that a vote with a count not above it (an older vote
-- arriving late) is dropped, as mautrix-signal does
-- (pkg/msgconv/from-signal.go convertPollVoteToMatrix, "Ignoring poll vote
-- with lower vote count"); vote_ts is the vote's own message, so that the
-- same vote handed again (a replay) still goes.
CREATE TABLE br_poll_seen (
    owner_mxid    TEXT NOT NULL,
    poll_event_id TEXT NOT NULL,
    voter         TEXT NOT NULL,
    count         INTEGER NOT NULL,
    vote_ts       INTEGER NOT NULL,
    PRIMARY KEY (owner_mxid, poll_event_id, voter)
);
