// The bridge bot, driven the way a person drives it: a real Matrix client
// (matrix-js-sdk 43) on mxhs with signalbridge.so loaded from homeserver.yaml.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { Homeserver } = require('./mxhs_harness.js');
const { sdk, BOT, SERVER, bridgeConfig, client, syncReady, messages, until } = require('./bridge_lib.js');

let hs;
const clients = [];

async function login(user) {
  const made = hs.registerUser(user, `pw-${user}`);
  assert.equal(made.status, 0, made.stderr);
  const c = await client(hs, user, { acceptInvites: false });
  clients.push(c);
  return c;
}

function botSays(c, roomId) {
  return messages(c, roomId, BOT).map((e) => e.getContent().body);
}

// Send `text` and wait for the bot's next message; return it.
async function ask(c, roomId, text) {
  const before = botSays(c, roomId).length;
  await c.sendTextMessage(roomId, text);
  return until(() => botSays(c, roomId)[before], `the bot's answer to '${text}'`);
}

async function openDm(c) {
  const { room_id: roomId } = await c.createRoom({ preset: 'trusted_private_chat', is_direct: true, invite: [BOT] });
  await until(() => c.getRoom(roomId)?.getMember(BOT)?.membership === 'join', 'the bot joins');
  return roomId;
}

const AVATAR = `mxc://${SERVER}/signal-bot-avatar`;

test.before(async () => {
  hs = new Homeserver();
  fs.writeFileSync(hs.config, bridgeConfig(hs.dir, `      bot: {avatar: "${AVATAR}"}
      permissions:
        "${SERVER}": user
        "@mallory:${SERVER}": none
        "@boss:${SERVER}": admin`));
  await hs.start();
});

test.after(async () => {
  for (const c of clients) c.stopClient();
  if (hs) { await hs.stop(); hs.cleanup(); }
});

test('the bot joins a DM and explains how to link', async () => {
  const alice = await login('alice');
  const roomId = await openDm(alice);
  const hello = await until(() => botSays(alice, roomId)[0], 'the welcome message');
  assert.match(hello, /Send `link`/);
  assert.match(hello, /Settings > Linked devices > Link new device/);
  assert.doesNotMatch(hello, /usage/, 'no admin commands for a user');
  assert.equal(alice.getRoom(roomId).getMember(BOT).name, 'Signal bridge', 'the bot shows its display name');
  assert.equal((await alice.getProfileInfo(BOT)).avatar_url, AVATAR, 'the avatar from bot.avatar');
  assert.equal(alice.getRoom(roomId).getMember(BOT).getMxcAvatarUrl(), AVATAR, 'and in the room');
});

test('commands answer what the user should do next', async () => {
  const alice = clients[0];
  const roomId = alice.getRooms().find((r) => r.getMember(BOT)).roomId;
  assert.match(await ask(alice, roomId, 'hello'), /^Unknown command 'hello'\.[\s\S]*link/);
  assert.match(await ask(alice, roomId, 'status'), /Not linked to Signal\. Send `link`/);
  assert.match(await ask(alice, roomId, 'pm 5551234'), /not a valid phone number: .*start with \+/);
  assert.match(await ask(alice, roomId, 'pm +1 555 123 4567'), /link Signal first/);
  assert.match(await ask(alice, roomId, 'usage'), /for bridge administrators/);
  assert.match(await ask(alice, roomId, 'logout'), /You are not linked/);
  assert.match(await ask(alice, roomId, 'cancel'), /Nothing to cancel/);
  assert.match(await ask(alice, roomId, 'help'), /pm <\+number>/);
});

test('admins see usage against the monthly maximum', async () => {
  const boss = await login('boss');
  const roomId = await openDm(boss);
  const hello = await until(() => botSays(boss, roomId)[0], 'the welcome message');
  assert.match(hello, /usage/);
  assert.match(await ask(boss, roomId, 'usage'), /Signal users active this month: 0 of at most 100\./);
});

test('a user without permission gets a polite refusal and the bot leaves', async () => {
  const mallory = await login('mallory');
  const { room_id: roomId } = await mallory.createRoom({ preset: 'trusted_private_chat', is_direct: true, invite: [BOT] });
  const said = await until(() => botSays(mallory, roomId)[0], 'the refusal');
  assert.match(said, /not allowed to use this Signal bridge/);
  await until(() => mallory.getRoom(roomId)?.getMember(BOT)?.membership === 'leave', 'the bot leaves');
});

test('puppet and bot user IDs are reserved for the bridge', async () => {
  for (const username of ['signalbot', 'signal_6b1f7a2e-3c4d-4e5f-8a9b-0c1d2e3f4a5b']) {
    const r = await hs.req('POST', '/_matrix/client/v3/register',
                           { body: { username, password: 'x', auth: { type: 'm.login.dummy' } } });
    assert.equal(r.status, 400, `${username}: ${JSON.stringify(r.json)}`);
    assert.equal(r.json.errcode, 'M_EXCLUSIVE');
  }
});

test('the bot room survives a homeserver restart', async () => {
  for (const c of clients) c.stopClient();
  clients.length = 0;
  await hs.restart();
  const creds = await sdk.createClient({ baseUrl: hs.base }).loginWithPassword('alice', 'pw-alice');
  const alice = sdk.createClient({ baseUrl: hs.base, accessToken: creds.access_token,
                                   userId: creds.user_id, deviceId: creds.device_id });
  clients.push(alice);
  const ready = syncReady(alice);
  await alice.startClient({ initialSyncLimit: 20 });
  await ready;
  const roomId = alice.getRooms().find((r) => r.getMember(BOT)?.membership === 'join').roomId;
  assert.match(await ask(alice, roomId, 'status'), /Not linked to Signal/);
});
