-- A ghost's avatar (issue #13 item 5): the Signal profile's avatar path it
-- came from and the mxc: URI it was uploaded as, so that an unchanged
-- avatar is not uploaded again. avatar_path '' = the profile has none.
ALTER TABLE br_puppet ADD COLUMN avatar_path TEXT;
ALTER TABLE br_puppet ADD COLUMN avatar_mxc TEXT;
