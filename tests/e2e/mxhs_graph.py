#!/usr/bin/python3
"""Check mxhs's persisted event graph with an independent implementation.

Usage: mxhs_graph.py DATABASE
For every room: events form a chain (depth = previous + 1, prev_events =
[previous event], first event is m.room.create with no prev_events), every
non-create event lists the create event in auth_events (and the sender's
membership when it has one), the content hash matches, and the event ID is
the reference hash of the redacted event (room versions 10/11, canonical
JSON) recomputed here. Prints "GRAPH OK <events>" or exits non-zero.
"""
import base64
import hashlib
import json
import sqlite3
import sys

TOP10 = {"event_id", "type", "room_id", "sender", "state_key", "content", "hashes",
         "signatures", "depth", "prev_events", "prev_state", "auth_events", "origin",
         "origin_server_ts", "membership"}
TOP11 = TOP10 - {"origin", "membership", "prev_state"}
KEEP10 = {"m.room.member": {"membership"}, "m.room.create": {"creator"},
          "m.room.join_rules": {"join_rule"}, "m.room.history_visibility": {"history_visibility"},
          "m.room.power_levels": {"ban", "events", "events_default", "kick", "redact",
                                  "state_default", "users", "users_default"}}


def canon(o):
    return json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def redact(ev, ver):
    top = TOP11 if ver == "11" else TOP10
    out = {k: v for k, v in ev.items() if k in top}
    keep = KEEP10.get(ev["type"], set())
    if ver == "11":
        if ev["type"] == "m.room.create":
            keep = set(ev["content"])
        elif ev["type"] == "m.room.power_levels":
            keep = keep | {"invite"}
        elif ev["type"] == "m.room.redaction":
            keep = {"redacts"}
    out["content"] = {k: v for k, v in ev["content"].items() if k in keep}
    return out


def fail(msg):
    raise SystemExit("GRAPH FAILED: " + msg)


def main():
    db = sqlite3.connect(sys.argv[1])
    rooms = db.execute("SELECT room_id, version FROM rooms").fetchall()
    total = 0
    for room, ver in rooms:
        rows = db.execute("SELECT event_id, json FROM events WHERE room_id=? ORDER BY stream", (room,)).fetchall()
        prev = None
        create_id = None
        members = {}
        for depth, (eid, text) in enumerate(rows, start=1):
            ev = json.loads(text)
            if ev.get("event_id") != eid:
                fail("stored event_id differs for " + eid)
            body = {k: v for k, v in ev.items() if k not in ("unsigned", "signatures", "hashes", "event_id")}
            h = base64.b64encode(hashlib.sha256(canon(body)).digest()).decode().rstrip("=")
            if ev["hashes"]["sha256"] != h:
                fail("content hash of %s" % eid)
            red = redact({k: v for k, v in ev.items() if k not in ("unsigned", "event_id")}, ver)
            red.pop("signatures", None)
            ref = "$" + base64.urlsafe_b64encode(hashlib.sha256(canon(red)).digest()).decode().rstrip("=")
            if ref != eid:
                fail("reference hash of %s is %s" % (eid, ref))
            if ev["depth"] != depth:
                fail("depth of %s is %s, expected %d" % (eid, ev["depth"], depth))
            if depth == 1:
                if ev["type"] != "m.room.create" or ev["prev_events"] or ev["auth_events"]:
                    fail("room %s does not start with a bare m.room.create" % room)
                create_id = eid
            else:
                if ev["prev_events"] != [prev]:
                    fail("prev_events of %s" % eid)
                if create_id not in ev["auth_events"]:
                    fail("auth_events of %s lack the create event" % eid)
                if ev["sender"] in members and members[ev["sender"]] not in ev["auth_events"]:
                    fail("auth_events of %s lack the sender's membership" % eid)
            if ev["type"] == "m.room.member":
                members[ev["state_key"]] = eid
            prev = eid
            total += 1
    if total == 0:
        fail("no events")
    print("GRAPH OK", total)


if __name__ == "__main__":
    main()
