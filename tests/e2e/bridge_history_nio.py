"""Read the rooms of a user with matrix-nio (a client bridge_history.js does
not otherwise use): every joined room's m.room.message events as JSON
lines {room, name, sender, body, ts}, in timeline order.
Usage: bridge_history_nio.py BASE_URL USER PASSWORD"""
import asyncio
import json
import sys

from nio import AsyncClient, LoginResponse, RoomMessageText, SyncResponse


async def main(base, user, password):
    c = AsyncClient(base, user)
    r = await c.login(password, device_name="nio-history")
    if not isinstance(r, LoginResponse):
        print(json.dumps({"error": repr(r)}))
        return 1
    s = await c.sync(timeout=0, full_state=True)
    if not isinstance(s, SyncResponse):
        print(json.dumps({"error": repr(s)}))
        return 1
    for room_id, info in s.rooms.join.items():
        room = c.rooms.get(room_id)
        for ev in info.timeline.events:
            if isinstance(ev, RoomMessageText):
                print(json.dumps({"room": room_id, "name": room.display_name if room else "",
                                  "sender": ev.sender, "body": ev.body,
                                  "ts": ev.server_timestamp}))
    await c.close()
    return 0


sys.exit(asyncio.run(main(*sys.argv[1:4])))
