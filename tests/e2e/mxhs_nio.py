#!/usr/bin/python3
"""matrix-nio 0.20 against mxhs (driven by tests/e2e/mxhs_nio.js).

journey BASE SERVER: register (dummy auth without session), log in with an
  identifier, DM @echo and get the echo through /sync, upload and download
  an image (r0, unauthenticated download), the echo module echoes the image,
  react, edit, redact, set a display name, typing, receipts, read markers,
  /messages, /event, joined_members, state; an outsider gets 403.
resume BASE SERVER: after a restart, logs in again and finds the DM, its
  history and a working echo.
peer BASE SERVER USER PASSWORD ROOM JSUSER: joins ROOM, sends typing, a
  message and a receipt, then waits to see JSUSER typing and a receipt.
Every check raises on failure; success prints "NIO OK".
"""
import asyncio
import sys
import time

from nio import (AsyncClient, DownloadResponse, JoinedMembersResponse,
                 LoginResponse, ProfileGetResponse, RedactionEvent,
                 RedactedEvent, RegisterResponse, RoomCreateResponse,
                 RoomGetEventResponse, RoomGetStateResponse,
                 RoomMessagesResponse, RoomMessageImage, RoomMessageText,
                 RoomReadMarkersResponse, RoomRedactResponse,
                 RoomSendResponse, RoomTypingResponse, SyncResponse,
                 UnknownEvent, UploadResponse, ProfileSetDisplayNameResponse,
                 RoomMemberEvent, TypingNoticeEvent, ReceiptEvent,
                 JoinResponse, RoomGetStateError, RoomMessagesError)

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108020000009077"
    "53de0000000c4944415408d763f8cfc000000301010018dd8db00000000049454e44ae426082")


def check(cond, what):
    if not cond:
        raise SystemExit("FAILED: " + what)
    print("ok -", what.split(":")[0], flush=True)


async def sync_until(client, pred, what, timeout=15):
    """Sync (long-poll) until pred(response) returns something truthy."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        resp = await client.sync(timeout=3000)
        if not isinstance(resp, SyncResponse):
            raise SystemExit("FAILED: sync while waiting for %s: %r" % (what, resp))
        v = pred(resp)
        if v:
            check(True, what)
            return v
    raise SystemExit("FAILED: timed out waiting for " + what)


def timeline(resp, room_id):
    r = resp.rooms.join.get(room_id)
    return r.timeline.events if r else []


async def journey(base, server):
    echo = "@echo:" + server
    reg = AsyncClient(base, "carol")
    r = await reg.register("carol", "pw-carol", "nio")
    check(isinstance(r, RegisterResponse), "register with dummy auth and no session: %r" % r)
    await reg.close()

    c = AsyncClient(base, "carol")
    r = await c.login("pw-carol", device_name="nio")
    check(isinstance(r, LoginResponse), "login with identifier: %r" % r)
    check(r.user_id == "@carol:" + server, "user_id")
    first = await c.sync(timeout=0, full_state=True)
    check(isinstance(first, SyncResponse), "first sync: %r" % first)

    r = await c.room_create(is_direct=True, invite=[echo], name="nio DM")
    check(isinstance(r, RoomCreateResponse), "createRoom: %r" % r)
    room = r.room_id
    check(room.startswith("!") and room.endswith(":" + server), "room id form")

    def echo_joined(resp):
        return any(isinstance(e, RoomMemberEvent) and e.state_key == echo and e.membership == "join"
                   for e in timeline(resp, room))
    await sync_until(c, echo_joined, "echo joins")
    check(c.rooms[room].creator == "@carol:" + server, "m.room.create carries creator")

    r = await c.room_send(room, "m.room.message", {"msgtype": "m.text", "body": "hi from nio"})
    check(isinstance(r, RoomSendResponse), "send text: %r" % r)
    sent_id = r.event_id

    def echo_reply(resp):
        for e in timeline(resp, room):
            if isinstance(e, RoomMessageText) and e.sender == echo:
                return e
    e = await sync_until(c, echo_reply, "the echo")
    check(e.body == "echo: hi from nio", "echo body: %r" % e.body)

    # media: upload (r0 + ?access_token=), legacy unauthenticated download
    r, _ = await c.upload(lambda *a: PNG, content_type="image/png", filename="dot.png",
                          filesize=len(PNG))
    check(isinstance(r, UploadResponse), "upload: %r" % r)
    uri = r.content_uri
    check(uri.startswith("mxc://" + server + "/"), "mxc uri")
    d = await c.download(uri)
    check(isinstance(d, DownloadResponse) and d.body == PNG, "download returns the bytes")
    check(d.content_type == "image/png", "download content type")
    r = await c.room_send(room, "m.room.message", {"msgtype": "m.image", "body": "dot.png", "url": uri,
                                                    "info": {"mimetype": "image/png", "size": len(PNG)}})
    check(isinstance(r, RoomSendResponse), "send image")

    def echo_image(resp):
        for e in timeline(resp, room):
            if isinstance(e, RoomMessageImage) and e.sender == echo:
                return e
    img = await sync_until(c, echo_image, "the echoed image")
    d = await c.download(img.url)
    check(isinstance(d, DownloadResponse) and d.body == PNG, "echoed image has the same bytes")

    # reaction, edit, redaction
    r = await c.room_send(room, "m.reaction", {"m.relates_to": {"rel_type": "m.annotation",
                                                                  "event_id": sent_id, "key": "+1"}})
    check(isinstance(r, RoomSendResponse), "react")
    react_id = r.event_id
    r = await c.room_send(room, "m.room.message", {
        "msgtype": "m.text", "body": "* hi (edited)",
        "m.new_content": {"msgtype": "m.text", "body": "hi (edited)"},
        "m.relates_to": {"rel_type": "m.replace", "event_id": sent_id}})
    check(isinstance(r, RoomSendResponse), "edit")
    r = await c.room_redact(room, react_id, reason="oops")
    check(isinstance(r, RoomRedactResponse), "redact: %r" % r)

    def saw_all(resp):
        evs = timeline(resp, room)
        got = {"react": any(isinstance(e, UnknownEvent) and e.type == "m.reaction" for e in evs),
               "redaction": any(isinstance(e, RedactionEvent) and e.redacts == react_id for e in evs)}
        return got if all(got.values()) else None
    # the reaction may arrive in an earlier batch than the redaction; gather
    seen = {"react": False, "redaction": False}

    def gather(resp):
        for e in timeline(resp, room):
            if isinstance(e, UnknownEvent) and e.type == "m.reaction":
                seen["react"] = True
            if isinstance(e, RedactedEvent) and e.event_id == react_id:
                seen["react"] = True
            if isinstance(e, RedactionEvent) and e.redacts == react_id:
                seen["redaction"] = True
        return all(seen.values())
    await sync_until(c, gather, "reaction and redaction")
    check(True, "reaction and redaction arrive through /sync")
    r = await c.room_get_event(room, react_id)
    check(isinstance(r, RoomGetEventResponse) and isinstance(r.event, RedactedEvent),
          "the redacted reaction is served redacted: %r" % r)

    # profile
    r = await c.set_displayname("Carol N")
    check(isinstance(r, ProfileSetDisplayNameResponse), "set displayname (exactly {}): %r" % r)

    def newname(resp):
        return any(isinstance(e, RoomMemberEvent) and e.state_key == c.user_id and
                   e.content.get("displayname") == "Carol N" for e in timeline(resp, room))
    await sync_until(c, newname, "member event with the new display name")
    r = await c.get_profile(c.user_id)
    check(isinstance(r, ProfileGetResponse) and r.displayname == "Carol N", "get profile")

    # typing, receipts, read markers (exactly {} bodies)
    r = await c.room_typing(room, True, 5000)
    check(isinstance(r, RoomTypingResponse), "typing: %r" % r)
    await c.update_receipt_marker(room, sent_id)
    r = await c.room_read_markers(room, sent_id, sent_id)
    check(isinstance(r, RoomReadMarkersResponse), "read markers: %r" % r)

    def receipts(resp):
        j = resp.rooms.join.get(room)
        return j and any(isinstance(e, ReceiptEvent) for e in j.ephemeral)
    await sync_until(c, receipts, "own receipt in ephemeral")

    # history and room reads
    r = await c.room_messages(room, c.next_batch, limit=50)
    check(isinstance(r, RoomMessagesResponse) and r.start, "messages backwards: %r" % r)
    bodies = [e.body for e in r.chunk if isinstance(e, RoomMessageText)]
    check("hi from nio" in bodies and "echo: hi from nio" in bodies, "history has both messages")
    r = await c.joined_members(room)
    check(isinstance(r, JoinedMembersResponse) and len(r.members) == 2, "joined_members: %r" % r)
    r = await c.room_get_state(room)
    check(isinstance(r, RoomGetStateResponse) and any(e["type"] == "m.room.create" for e in r.events),
          "room state")

    # an outsider gets 403
    o = AsyncClient(base, "mallory")
    r = await o.register("mallory", "pw-m", "nio")
    check(isinstance(r, RegisterResponse), "register outsider")
    r = await o.room_get_state(room)
    check(isinstance(r, RoomGetStateError) and r.status_code == "M_FORBIDDEN", "outsider state: %r" % r)
    r = await o.room_messages(room, "s0", limit=5)
    check(isinstance(r, RoomMessagesError) and r.status_code == "M_FORBIDDEN", "outsider history: %r" % r)
    await o.close()
    await c.close()


async def resume(base, server):
    """After a restart: the account, the DM, its history and the module."""
    echo = "@echo:" + server
    c = AsyncClient(base, "carol")
    r = await c.login("pw-carol", device_name="nio-again")
    check(isinstance(r, LoginResponse), "login after restart: %r" % r)
    s = await c.sync(timeout=0, full_state=True)
    check(isinstance(s, SyncResponse), "sync after restart")
    rooms = [rid for rid, room in c.rooms.items() if room.name == "nio DM"]
    check(len(rooms) == 1, "the DM survived the restart")
    room = rooms[0]
    check(echo in c.rooms[room].users, "echo is still a member")
    r = await c.room_messages(room, c.next_batch, limit=100)
    bodies = [e.body for e in r.chunk if isinstance(e, RoomMessageText)]
    check("hi from nio" in bodies and "echo: hi from nio" in bodies, "history survived the restart")
    r = await c.room_send(room, "m.room.message", {"msgtype": "m.text", "body": "still there?"})
    check(isinstance(r, RoomSendResponse), "send after restart")

    def echo_reply(resp):
        return any(isinstance(e, RoomMessageText) and e.sender == echo and
                   e.body == "echo: still there?" for e in timeline(resp, room))
    await sync_until(c, echo_reply, "the echo after restart")
    await c.close()


async def peer(base, server, user, password, room, jsuser):
    c = AsyncClient(base, user)
    r = await c.login(password, device_name="nio-peer")
    check(isinstance(r, LoginResponse), "peer login")
    await c.sync(timeout=0, full_state=True)
    r = await c.join(room)
    check(isinstance(r, JoinResponse), "peer joins: %r" % r)
    r = await c.room_typing(room, True, 20000)
    check(isinstance(r, RoomTypingResponse), "peer typing")
    r = await c.room_send(room, "m.room.message", {"msgtype": "m.text", "body": "hello from nio"})
    check(isinstance(r, RoomSendResponse), "peer message")
    await c.update_receipt_marker(room, r.event_id)

    def js_typing(resp):
        j = resp.rooms.join.get(room)
        return j and any(isinstance(e, TypingNoticeEvent) and jsuser in e.users for e in j.ephemeral)
    await sync_until(c, js_typing, "the js user typing", 30)

    def js_receipt(resp):
        j = resp.rooms.join.get(room)
        return j and any(isinstance(e, ReceiptEvent) and any(rc.user_id == jsuser for rc in e.receipts)
                         for e in j.ephemeral)
    await sync_until(c, js_receipt, "the js user's receipt", 30)
    await c.close()


def main():
    mode = sys.argv[1]
    if mode == "journey":
        asyncio.run(journey(sys.argv[2], sys.argv[3]))
    elif mode == "resume":
        asyncio.run(resume(sys.argv[2], sys.argv[3]))
    else:
        asyncio.run(peer(*sys.argv[2:8]))
    print("NIO OK", flush=True)


if __name__ == "__main__":
    main()
