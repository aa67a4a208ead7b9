-- Users told in their bot room that they lost access to the bridge
-- (permissions or `enabled: false`, br_access.c): the notice is given once
-- per loss, not at every start; the row goes when access comes back or the
-- user logs out.
CREATE TABLE br_access_notice (
    owner_mxid   TEXT PRIMARY KEY,
    noticed_ms   INTEGER NOT NULL
);
