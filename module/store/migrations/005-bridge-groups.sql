-- The bridge's group portals: which ghosts already joined a portal room
-- (a group's members are not known up front: each sender's ghost joins the
-- room when it first speaks).
CREATE TABLE br_portal_member (
    room_id      TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    PRIMARY KEY (room_id, user_id)
);
