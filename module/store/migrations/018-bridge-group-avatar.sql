-- A group's avatar (issue #13): the Signal CDN key of the group state's
-- avatar it came from (Group.avatarUrl, '' = none) and the mxc: URI it
-- was uploaded as, so that an unchanged avatar is not uploaded again and
-- a new portal of the group is created with it. One row per group, for
-- every owner's portal of it.
CREATE TABLE br_group_avatar (
    chat_id TEXT PRIMARY KEY,
    path    TEXT NOT NULL,
    mxc     TEXT NOT NULL DEFAULT ''
);
