-- Issue #15 item 2: group sends with sender keys. What Signal-Desktop keeps
-- as a group conversation's senderKeyInfo (ts/util/sendToGroup.ts:
-- distributionId, createdAtDate, memberDevices) and signalmeow as its
-- SenderKeyInfo (pkg/signalmeow/senderkey.go: DistributionID, CreatedAt,
-- SharedWith). Our own sender key chain itself is a "sender_key" record
-- (st_records), like the chains received from others.
CREATE TABLE sig_sk_group (
    account          INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
    group_id         BLOB NOT NULL,      -- 32-byte group identifier
    distribution_id  BLOB NOT NULL,      -- 16 bytes, ours for this group
    created_ms       INTEGER NOT NULL,   -- when our chain was made
    PRIMARY KEY (account, group_id)
);
-- The member devices that hold our current chain (got its distribution
-- message), with the registration id they had then: a device not listed,
-- or listed with another registration id, gets it before the next send.
CREATE TABLE sig_sk_shared (
    account          INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
    distribution_id  BLOB NOT NULL,
    member           TEXT NOT NULL,      -- ACI text
    device           INTEGER NOT NULL,
    registration_id  INTEGER NOT NULL,
    PRIMARY KEY (account, distribution_id, member, device)
);
