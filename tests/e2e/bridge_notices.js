// Issue #6, "notices that say what to do" and `relink`, with a real Matrix
// client on mxhs and the Signal sandbox (Signal's mock server):
//  - messages that cannot be decrypted give ONE notice per chat with a count;
//  - a contact whose safety number changed (they reinstalled Signal) gives
//    one warning in their chat, before the message that revealed it;
//  - `relink` while linked links a new device (a new QR code), and the chat
//    goes on both ways afterwards;
//  - with double puppeting off, what the user writes on the phone is posted
//    by the bot and marked as theirs, from Signal.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const { Homeserver } = require('./mxhs_harness.js');
const { startSandbox, decodeQr } = require('../../sandbox/sandbox.js');
const { BOT, SERVER, bridgeConfig, client, messages, until } = require('./bridge_lib.js');
const { Proto, ServiceIdKind } = require('@signalapp/mock-server');
const { IdentityKeyPair } = require('@signalapp/libsignal-client');

let hs;
let sb;
let alice;
let botRoom;

function everywhere(c, body) {
  return c.getRooms().flatMap((r) => messages(c, r.roomId)).filter((e) => e.getContent().body === body);
}

async function scanNewCode(before) {
  const img = await until(() => messages(alice, botRoom, BOT).slice(before)
    .find((e) => e.getContent().msgtype === 'm.image'), 'the QR code', 30000);
  const [server, id] = img.getContent().url.slice(6).split('/');
  const res = await fetch(`${hs.base}/_matrix/client/v1/media/download/${server}/${id}`,
                          { headers: { Authorization: `Bearer ${alice.getAccessToken()}` } });
  await sb.scan(decodeQr(Buffer.from(await res.arrayBuffer())));
  return until(() => messages(alice, botRoom, BOT).slice(before)
    .find((e) => /^Successfully logged in as/.test(e.getContent().body)), 'linked', 60000);
}

test.before(async () => {
  sb = await startSandbox({});
  hs = new Homeserver();
  fs.writeFileSync(hs.config, bridgeConfig(hs.dir, `      permissions: {"${SERVER}": user}
      signal: {server: "${sb.url}", ca_file: "${sb.ca}", trust_root: "${sb.trustRoot}"}`,
                                            { doublePuppet: false }));
  await hs.start();
  assert.equal(hs.registerUser('alice', 'pw-alice').status, 0);
  alice = await client(hs, 'alice');
  ({ room_id: botRoom } = await alice.createRoom({ preset: 'trusted_private_chat', is_direct: true, invite: [BOT] }));
  await until(() => messages(alice, botRoom, BOT)[0], 'the welcome message');
  const before = messages(alice, botRoom, BOT).length;
  await alice.sendTextMessage(botRoom, 'link');
  await scanNewCode(before);
});

test.after(async () => {
  if (alice) alice.stopClient();
  if (hs) { await hs.stop(); hs.cleanup(); }
  if (sb) await sb.close();
});

test('undecryptable messages: one notice in the chat, with the count', async () => {
  await sb.send('Alice', 'before the garbage');
  const first = await until(() => everywhere(alice, 'before the garbage')[0], 'the first message', 60000);
  const room = first.getRoomId();
  // Three envelopes from Alice's device whose ciphertext is not a message of
  // our session: what a broken or reset session looks like on the wire.
  const alicePhone = sb.contacts.Alice;
  const now = Date.now();
  for (let i = 0; i < 3; i++) {
    const env = Buffer.from(Proto.Envelope.encode({
      type: Proto.Envelope.Type.DOUBLE_RATCHET,
      sourceServiceIdBinary: alicePhone.device.aciBinary,
      sourceDeviceId: alicePhone.device.deviceId,
      destinationServiceIdBinary: sb.device.aciBinary,
      serverTimestamp: BigInt(now + i),
      clientTimestamp: BigInt(now + i),
      content: Buffer.concat([Buffer.from([0x44]), crypto.randomBytes(80)]),
    }));
    // eslint-disable-next-line no-await-in-loop
    await sb.mock.server.send(sb.device, env);
  }
  const isNotice = (e) => /could not be decrypted/.test(e.getContent().body);
  const notice = await until(() => messages(alice, room, BOT).find(isNotice), 'the decryption notice', 30000);
  assert.equal(notice.getContent().msgtype, 'm.notice');
  assert.match(notice.getContent().body, /^3 Signal messages in this chat could not be decrypted/);
  // the chat goes on, and the three failures did not give three notices
  await sb.send('Alice', 'after the garbage');
  await until(() => everywhere(alice, 'after the garbage')[0], 'the next message', 60000);
  assert.equal(messages(alice, room, BOT).filter(isNotice).length, 1);
});

test("a contact's safety number changes: one warning in their chat, before their message", async () => {
  const alicePhone = sb.contacts.Alice;
  await sb.send('Alice', 'before my reinstall');
  const first = await until(() => everywhere(alice, 'before my reinstall')[0], 'the first message', 60000);
  const room = first.getRoomId();
  const isWarning = (e) => /safety number with .+ changed/.test(e.getContent().body);
  assert.equal(messages(alice, room, BOT).filter(isWarning).length, 0, 'no warning for a known key');
  // Alice reinstalls Signal: a new identity key, no sessions, a fresh bundle of ours
  const fresh = IdentityKeyPair.generate();
  await alicePhone.identity.get(ServiceIdKind.ACI).updateIdentityKey(fresh.privateKey);
  alicePhone.sessions = new alicePhone.sessions.constructor();
  await alicePhone.addSingleUseKey(sb.device, await sb.device.popSingleUseKey());
  await sb.send('Alice', 'after my reinstall');
  const msg = await until(() => everywhere(alice, 'after my reinstall')[0], 'the message under the new key', 60000);
  assert.equal(msg.getRoomId(), room);
  const warning = await until(() => messages(alice, room, BOT).find(isWarning), 'the safety-number warning', 30000);
  assert.equal(warning.getContent().msgtype, 'm.notice');
  assert.match(warning.getContent().body, /^Your safety number with Alice Smith changed/);
  const timeline = alice.getRoom(room).getLiveTimeline().getEvents().map((e) => e.getId());
  assert.ok(timeline.indexOf(warning.getId()) < timeline.indexOf(msg.getId()),
            'the warning comes before the message that revealed the new key');
  // the new key is trusted from then on
  await sb.send('Alice', 'third under the new key');
  await until(() => everywhere(alice, 'third under the new key')[0], 'the third message', 60000);
  assert.equal(messages(alice, room, BOT).filter(isWarning).length, 1, 'one warning only');
});

test('relink: a new QR code, a new device, and the chat goes on both ways', async () => {
  const oldDevice = sb.device.deviceId;
  const before = messages(alice, botRoom, BOT).length;
  await alice.sendTextMessage(botRoom, 'relink');
  const done = await scanNewCode(before);
  assert.match(done.getContent().body, /^Successfully logged in as \+1 /);
  assert.notEqual(sb.device.deviceId, oldDevice, 'a new linked device');
  assert.match(await (async () => {
    const n = messages(alice, botRoom, BOT).length;
    await alice.sendTextMessage(botRoom, 'status');
    return (await until(() => messages(alice, botRoom, BOT)[n], 'the status')).getContent().body;
  })(), /^Linked as \+1 .*Connection: (connected|connecting)/);

  await sb.send('Bob', 'hello after relink');
  const ev = await until(() => everywhere(alice, 'hello after relink')[0], 'a message after relink', 60000);
  await alice.sendTextMessage(ev.getRoomId(), 'reply after relink');
  await until(() => sb.received.find((m) => m.to === 'Bob' && m.body === 'reply after relink'),
              'the reply reaches Bob', 60000);
});

test('without double puppeting, a message from the phone is posted by the bot, marked as from Signal', async () => {
  const text = `from my phone ${crypto.randomBytes(3).toString('hex')}`;
  await sb.fromPhone('Bob', text);
  const ev = await until(() => everywhere(alice, `(you, from Signal) ${text}`)[0], 'the marked message', 30000);
  assert.equal(ev.getSender(), BOT, 'the bot posts it: the host does not let the module act as alice');
  assert.equal(ev.getContent().msgtype, 'm.notice');
  assert.equal(everywhere(alice, text).length, 0, 'never unmarked');
});
