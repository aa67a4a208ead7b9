// The whole user journey of issue #6, the way a person walks it: a real
// Matrix client (matrix-js-sdk 43) on mxhs with signalbridge.so, and
// Signal's own mock server as Signal, with a simulated phone (the sandbox).
// The QR code the bot posts is downloaded and decoded with jsqr, and that
// decoded URL is what the phone "scans".
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { Homeserver } = require('./mxhs_harness.js');
const { startSandbox, decodeQr } = require('../../sandbox/sandbox.js');
const { BOT, SERVER, bridgeConfig, client: login, messages, until } = require('./bridge_lib.js');

let hs;
let sb;
let alice;      // the Matrix user
let botRoom;

function config(dir) {
  return bridgeConfig(dir, `      link_timeout: 30
      signal:
        server: ${sb.url}
        ca_file: ${sb.ca}
        trust_root: "${sb.trustRoot}"`);
}

const client = (user) => login(hs, user);

async function ask(text) {
  const before = messages(alice, botRoom, BOT).length;
  await alice.sendTextMessage(botRoom, text);
  const ev = await until(() => messages(alice, botRoom, BOT)[before], `the bot's answer to '${text}'`, 30000);
  return ev.getContent().body;
}

test.before(async () => {
  sb = await startSandbox({});
  hs = new Homeserver();
  fs.writeFileSync(hs.config, config(hs.dir));
  await hs.start();
  assert.equal(hs.registerUser('alice', 'pw-alice').status, 0);
  alice = await client('alice');
  ({ room_id: botRoom } = await alice.createRoom({ preset: 'trusted_private_chat', is_direct: true, invite: [BOT] }));
  await until(() => messages(alice, botRoom, BOT)[0], 'the welcome message');
});

test.after(async () => {
  if (alice) alice.stopClient();
  if (hs) { await hs.stop(); hs.cleanup(); }
  if (sb) await sb.close();
});

test('link: the QR image decodes to the link, the phone scans it, the bot confirms', async () => {
  const before = messages(alice, botRoom, BOT).length;
  await alice.sendTextMessage(botRoom, 'link');
  const image = await until(() => messages(alice, botRoom, BOT).slice(before)
    .find((e) => e.getContent().msgtype === 'm.image'), 'the QR code image', 30000);
  const text = await until(() => messages(alice, botRoom, BOT).slice(before)
    .find((e) => /sgnl:\/\/linkdevice\?/.test(e.getContent().body)), 'the link as text', 30000);
  assert.match(text.getContent().body, /expires in about/);
  // download the posted image with the client's own token, decode it
  const mxc = image.getContent().url;
  const [server, id] = mxc.slice('mxc://'.length).split('/');
  const res = await fetch(`${hs.base}/_matrix/client/v1/media/download/${server}/${id}`,
                          { headers: { Authorization: `Bearer ${alice.getAccessToken()}` } });
  assert.equal(res.status, 200);
  const url = decodeQr(Buffer.from(await res.arrayBuffer()));
  assert.ok(text.getContent().body.includes(url), 'the text carries the same link as the image');
  // a second `link` while one is in progress gets a clear answer, not a second device
  assert.match(await ask('link'), /already in progress/);
  await sb.scan(url);
  const human = sb.number.replace(/^\+1(\d{3})(\d{3})(\d{4})$/, '+1 $1-$2-$3');
  await until(() => messages(alice, botRoom, BOT).find((e) => e.getContent().body === `Successfully logged in as ${human}`),
              'the success message', 60000);
  assert.match(await ask('link'), /already linked as/);
  assert.match(await ask('status'), /Linked as .*Connection: (connected|connecting)/);
});

test('a contact writes: the user is invited to a DM and reads it there', async () => {
  const signalTs = Date.now() - 90000; // written a while ago on Signal
  await sb.send('Alice', 'hello from Signal', { timestamp: signalTs });
  const ev = await until(() => {
    for (const r of alice.getRooms()) {
      const m = messages(alice, r.roomId).find((e) => e.getContent().body === 'hello from Signal');
      if (m) return m;
    }
    return null;
  }, 'the message in a portal', 60000);
  const room = alice.getRoom(ev.getRoomId());
  assert.notEqual(room.roomId, botRoom);
  assert.equal(ev.getTs(), signalTs, 'the Matrix event carries the Signal timestamp');
  assert.ok(!messages(alice, room.roomId, BOT).some((e) => /I bridge your Signal chats/.test(e.getContent().body)),
            'the bot treats the portal as a portal, not as a new bot room');
  assert.match(ev.getSender(), new RegExp(`^@signal_[0-9a-f-]{36}:${SERVER.replace('.', '\\.')}$`));
  assert.equal(room.getMember(alice.getUserId()).events.member.getPrevContent().is_direct ?? true, true);
});

test('the user answers from Matrix: the contact receives it on Signal', async () => {
  const room = alice.getRooms().find((r) => messages(alice, r.roomId).some((e) => e.getContent().body === 'hello from Signal'));
  await alice.sendTextMessage(room.roomId, 'hello back from Matrix');
  await until(() => sb.received.find((m) => m.to === 'Alice' && m.body === 'hello back from Matrix'),
              'Alice receives the answer', 60000);
});

test("a contact's ghost takes their profile name from the phone's contacts", async () => {
  // (the phone-number fallback before a name is known: test_br_config)
  const room = alice.getRooms().find((r) => messages(alice, r.roomId).some((e) => e.getContent().body === 'hello from Signal'));
  const ghost = messages(alice, room.roomId).find((e) => e.getContent().body === 'hello from Signal').getSender();
  await until(() => room.getMember(ghost)?.name === 'Alice Smith (Signal)', "the ghost's profile name", 60000)
    .catch((e) => { throw new Error(`${e.message}; ghost is named '${room.getMember(ghost)?.name}'`); });
});

test('pm: an unknown or invalid number gets a clear error, a contact gets a DM', async () => {
  assert.match(await ask('pm +1 555'), /not a valid phone number/);
  assert.match(await ask('pm +15550000000'), /could not find \+15550000000 among your Signal contacts/);
  const bob = sb.contacts.Bob.device.number;
  const rooms = new Set(alice.getRooms().map((r) => r.roomId));
  await alice.sendTextMessage(botRoom, `pm ${bob}`);
  const dm = await until(() => alice.getRooms().find((r) => !rooms.has(r.roomId) &&
                                                     r.getMyMembership() === 'join'), 'the DM with Bob', 60000);
  await alice.sendTextMessage(dm.roomId, 'hi Bob, from Matrix');
  await until(() => sb.received.find((m) => m.to === 'Bob' && m.body === 'hi Bob, from Matrix'),
              'Bob receives it', 60000);
});

test('a homeserver restart loses nothing and doubles nothing', async () => {
  alice.stopClient();
  await hs.stop();
  // written while the bridge is down: the mock queues it for the device
  const queued = sb.send('Alice', 'sent while the bridge was down');
  await hs.start();
  alice = await client('alice');
  await queued;
  const find = (body) => alice.getRooms().flatMap((r) => messages(alice, r.roomId))
    .filter((e) => e.getContent().body === body);
  await until(() => find('sent while the bridge was down').length > 0, 'the queued message', 60000);
  await sb.send('Alice', 'after the restart');
  await until(() => find('after the restart').length > 0, 'a message after the restart', 60000);
  assert.equal(find('sent while the bridge was down').length, 1, 'no duplicate of the queued message');
  assert.equal(find('hello from Signal').length, 1, 'no duplicate of earlier messages');
  assert.match(await ask('status'), /Linked as/);
});

test('logout unlinks and says so', async () => {
  assert.match(await ask('logout'), /Unlinked from Signal/);
  assert.match(await ask('status'), /Not linked/);
});
