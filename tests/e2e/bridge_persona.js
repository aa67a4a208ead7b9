// What a person sees (issue #13 item 5), with a real Matrix client
// (matrix-js-sdk) on mxhs and Signal's mock server as Signal: portal names
// as clients compute them, no guest-access line in any room, the group
// room created under its Signal title, the bot's notices in HTML, an answer
// to every command (and a link for `pm` of a chat that exists), and
// mxhs's /.well-known/matrix/client and media headers.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const { Homeserver, PNG } = require('./mxhs_harness.js');
const { startSandbox, decodeQr } = require('../../sandbox/sandbox.js');
const { BOT, SERVER, bridgeConfig, client, messages, until } = require('./bridge_lib.js');
const { StorageState } = require('@signalapp/mock-server');

let hs;
let sb;
let me;          // the Matrix user
let botRoom;
let group;
let carol;       // a stranger: no contact of the phone
let carolAvatar; // her profile avatar's CDN path
const ghost = (dev) => `@signal_${dev.device.aci}:${SERVER}`;
const botSays = () => messages(me, botRoom, BOT);

// Send `text` to the bot; the bot's first message after it.
async function ask(text) {
  const before = botSays().length;
  await me.sendTextMessage(botRoom, text);
  return until(() => botSays()[before], `the bot's answer to '${text}'`, 30000);
}

// Every event of a room from its start, through /messages (not only what
// the client's timeline holds).
async function history(roomId) {
  const url = `${hs.base}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=f&limit=500`;
  const res = await fetch(url, { headers: { Authorization: `Bearer ${me.getAccessToken()}` } });
  assert.equal(res.status, 200);
  return (await res.json()).chunk;
}

// The DM portal with `dev`: their ghost is in it and, unlike a group room
// or Note to Self, it has no topic.
const dmWith = (dev) => me.getRooms().find((r) => r.getMyMembership() === 'join' &&
  r.getMember(ghost(dev))?.membership === 'join' && !r.currentState.getStateEvents('m.room.topic', ''));

test.before(async () => {
  sb = await startSandbox({});
  const { Alice, Bob } = sb.contacts;
  carol = await sb.mock.server.createPrimaryDevice({ profileName: 'Carol Stranger' });
  carolAvatar = sb.mock.profiles.set(carol, PNG); // her Signal profile picture
  group = await sb.phone.createGroup({ title: 'Weekend trip', members: [sb.phone, Alice, Bob] });
  await sb.phone.setStorageState(StorageState.getEmpty()
    .addContact(Alice, { profileKey: Alice.profileKey.serialize(), givenName: 'Alice', familyName: 'Smith', whitelisted: true })
    .addContact(Bob, { givenName: 'Bob', familyName: 'Jones', whitelisted: false })
    .addGroup(group, { whitelisted: true }));
  hs = new Homeserver();
  const zkParams = Buffer.from(sb.mock.server.zkSecret.getPublicParams().serialize()).toString('base64');
  fs.writeFileSync(hs.config, bridgeConfig(hs.dir, `      permissions:
        "${SERVER}": admin
      signal: {server: "${sb.url}", ca_file: "${sb.ca}", trust_root: "${sb.trustRoot}",
               server_public_params: "${zkParams}"}`));
  await hs.start();
  assert.equal(hs.registerUser('me', 'pw-me').status, 0);
  me = await client(hs, 'me');
  ({ room_id: botRoom } = await me.createRoom({ preset: 'trusted_private_chat', is_direct: true, invite: [BOT] }));
  await until(() => botSays()[0], 'the welcome message');
});

test.after(async () => {
  if (process.env.DUMP_HS_LOG && hs) console.log(hs.log);
  if (me) me.stopClient();
  if (hs) { await hs.stop(); hs.cleanup(); }
  if (sb) await sb.close();
});

test("the bot's help and notices are HTML: commands as code, the command list as a table", async () => {
  const hello = botSays()[0].getContent();
  assert.equal(hello.format, 'org.matrix.custom.html');
  assert.match(hello.formatted_body, /<code>link<\/code>/);
  assert.match(hello.formatted_body, /<table>.*<td><code>status<\/code><\/td><td>show the link/);
  assert.match(hello.body, /Send `link`/, 'the plain body keeps the text');
  const help = (await ask('help')).getContent();
  assert.match(help.formatted_body, /<td><code>pm &lt;\+number&gt;<\/code><\/td>/);
  assert.match(help.formatted_body, /<td><code>usage<\/code><\/td>/, 'an admin sees usage');
  const status = (await ask('status')).getContent();
  assert.equal(status.formatted_body, 'Not linked to Signal. Send <code>link</code> to link your account.');
});

test('every command gets a visible answer', async () => {
  const answers = {
    help: /^Commands:/,
    status: /Not linked to Signal/,
    pm: /Usage: pm <phone number>/,
    'pm 12345': /not a valid phone number/,
    'pm +15551234567': /link Signal first/,
    usage: /Signal users active this month: 0 of at most/,
    cancel: /Nothing to cancel/,
    logout: /You are not linked/,
    unlink: /You are not linked/,
    '!signal status': /Not linked to Signal/,
    frobnicate: /^Unknown command 'frobnicate'/,
  };
  for (const [cmd, want] of Object.entries(answers)) {
    // eslint-disable-next-line no-await-in-loop
    assert.match((await ask(cmd)).getContent().body, want, `the answer to '${cmd}'`);
  }
  // link (and its alias login, and relink) answer with a QR code
  const n = botSays().length;
  const qr = (await ask('login')).getContent();
  assert.equal(qr.msgtype, 'm.image', 'login starts a link: the QR code');
  // the QR comes as two messages, the image and the link as text: wait for
  // both, or the text could be taken for the answer to the next command
  await until(() => botSays().slice(n).some((e) => /this is the link it contains/.test(e.getContent().body || '')),
              'the link under the QR code', 30000);
  assert.match((await ask('link')).getContent().body, /already in progress/);
  assert.match((await ask('cancel')).getContent().body, /Linking cancelled/);
  const n2 = botSays().length;
  assert.equal((await ask('relink')).getContent().msgtype, 'm.image', 'relink starts a link too');
  await until(() => botSays().slice(n2).some((e) => /this is the link it contains/.test(e.getContent().body || '')),
              'the link under the second QR code', 30000);
  assert.match((await ask('cancel')).getContent().body, /Linking cancelled/);
});

let qrUrl; // the mxc:// of the QR code the bot posted

test('link (the QR code, as the phone scans it)', async () => {
  const before = botSays().length;
  await me.sendTextMessage(botRoom, 'link');
  const img = await until(() => botSays().slice(before).find((e) => e.getContent().msgtype === 'm.image'),
                          'the QR code', 30000);
  qrUrl = img.getContent().url;
  const [server, id] = qrUrl.slice(6).split('/');
  const res = await fetch(`${hs.base}/_matrix/client/v1/media/download/${server}/${id}`,
                          { headers: { Authorization: `Bearer ${me.getAccessToken()}` } });
  assert.equal(res.status, 200);
  await sb.scan(decodeQr(Buffer.from(await res.arrayBuffer())));
  await until(() => botSays().some((e) => /^Successfully logged in as/.test(e.getContent().body)), 'linked', 60000);
});

test('media downloads tell browsers not to sniff the type', async () => {
  const [server, id] = qrUrl.slice(6).split('/');
  const res = await fetch(`${hs.base}/_matrix/client/v1/media/download/${server}/${id}`,
                          { headers: { Authorization: `Bearer ${me.getAccessToken()}` } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
});

test('the DM portal is named after the contact; the bot is in it as a service member', async () => {
  const { Alice } = sb.contacts;
  const dm = await until(() => dmWith(Alice), 'the DM with Alice', 60000);
  // what a client shows: the contact's name, not "Alice Smith (Signal) and 1 other"
  await until(() => dm.name === 'Alice Smith', 'the DM named after Alice', 30000)
    .catch((e) => { throw new Error(`${e.message}; named '${dm.name}'`); });
  const fm = dm.currentState.getStateEvents('io.element.functional_members', '');
  assert.deepEqual(fm?.getContent().service_members, [BOT], 'the bot is a service member');
  assert.equal(dm.getMember(BOT)?.membership, 'join', 'the bot stays in the DM for its notices');
});

test('the group room is created under its Signal title, never renamed from a placeholder', async () => {
  const g = await until(() => me.getRooms().find((r) => r.getMyMembership() === 'join' && r.name === 'Weekend trip'),
                        'the group room', 60000)
    .catch((e) => { throw new Error(`${e.message}; rooms: ${JSON.stringify(me.getRooms().map((r) => r.name))}`); });
  const names = (await history(g.roomId)).filter((e) => e.type === 'm.room.name').map((e) => e.content.name);
  assert.deepEqual(names, ['Weekend trip'], 'named once, at creation, with its Signal title');
  assert.deepEqual(g.currentState.getStateEvents('io.element.functional_members', '')?.getContent().service_members, [BOT]);
});

test("no room says it was opened to guests (no m.room.guest_access from a preset)", async () => {
  const rooms = me.getRooms().filter((r) => r.getMyMembership() === 'join');
  assert.ok(rooms.length >= 4, 'the bot room, the DM, the group and Note to Self');
  for (const r of rooms) {
    // eslint-disable-next-line no-await-in-loop
    const ga = (await history(r.roomId)).filter((e) => e.type === 'm.room.guest_access');
    assert.deepEqual(ga, [], `no guest_access event in ${r.name}`);
  }
});

test('pm for a chat that exists answers with a link to it; for a new one, that it opens', async () => {
  const { Alice, Bob } = sb.contacts;
  const dm = await until(() => dmWith(Alice), 'the DM with Alice', 60000);
  const ans = (await ask(`pm ${Alice.device.number}`)).getContent();
  assert.equal(ans.body, `You already have a chat with Alice Smith: https://matrix.to/#/${dm.roomId}`);
  assert.match(ans.formatted_body, new RegExp(`https://matrix.to/#/${dm.roomId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  const bob = (await ask(`pm ${Bob.device.number}`)).getContent().body;
  assert.equal(bob, 'Opening your chat with Bob Jones: you will be invited to it.');
  const bobDm = await until(() => dmWith(Bob), 'the DM with Bob', 60000);
  await until(() => bobDm.name === 'Bob Jones', 'the DM named after Bob', 30000)
    .catch((e) => { throw new Error(`${e.message}; named '${bobDm.name}'`); });
});

test("a stranger's DM is renamed when their profile name arrives", async () => {
  // no name is known when the first message makes the room; the profile
  // key it carries brings the profile name, and the DM follows the ghost
  await carol.addSingleUseKey(sb.device, await sb.device.popSingleUseKey());
  await carol.sendText(sb.device, 'hello from a stranger', { withProfileKey: true });
  const dm = await until(() => dmWith(carol), 'the DM with Carol', 60000);
  await until(() => dm.name === 'Carol Stranger', "the DM named after Carol's profile", 60000)
    .catch((e) => { throw new Error(`${e.message}; named '${dm.name}'`); });
});

test("a contact's Signal profile picture is their ghost's avatar and their DM's", async () => {
  // the profile key of Carol's message brought her versioned profile,
  // which names her avatar; the bridge fetched it from CDN 0, decrypted
  // it with her profile key and uploaded it
  const dm = await until(() => dmWith(carol), 'the DM with Carol', 60000);
  const profileUrl = `${hs.base}/_matrix/client/v3/profile/${encodeURIComponent(ghost(carol))}`;
  const mxc = await until(async () => {
    const res = await fetch(profileUrl, { headers: { Authorization: `Bearer ${me.getAccessToken()}` } });
    return res.status === 200 && (await res.json()).avatar_url;
  }, "Carol's ghost's avatar", 60000);
  assert.match(mxc, /^mxc:\/\//);
  assert.deepEqual(sb.mock.profiles.fetches, [carolAvatar], 'fetched once, from the path her profile names');
  const [server, id] = mxc.slice(6).split('/');
  const res = await fetch(`${hs.base}/_matrix/client/v1/media/download/${server}/${id}`,
                          { headers: { Authorization: `Bearer ${me.getAccessToken()}` } });
  assert.equal(res.status, 200);
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), PNG, 'the picture as she set it, decrypted');
  assert.equal(res.headers.get('content-type'), 'image/png');
  // the DM shows her picture (mautrix's private_chat_portal_meta)
  await until(() => dm.currentState.getStateEvents('m.room.avatar', '')?.getContent().url === mxc,
              "the DM's avatar", 30000)
    .catch((e) => { throw new Error(`${e.message}; m.room.avatar ${JSON.stringify(dm.currentState.getStateEvents('m.room.avatar', '')?.getContent())}`); });
});

test('/.well-known/matrix/client names the homeserver as the client reached it', async () => {
  const get = (host) => new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: hs.port, path: '/.well-known/matrix/client', headers: { Host: host } }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, json: JSON.parse(body) }));
    }).on('error', reject);
  });
  const direct = await get(`127.0.0.1:${hs.port}`);
  assert.equal(direct.status, 200);
  assert.equal(direct.json['m.homeserver'].base_url, hs.base);
  const named = await get(`localhost:${hs.port}`);
  assert.equal(named.json['m.homeserver'].base_url, `http://localhost:${hs.port}`);
  const versions = await fetch(`${named.json['m.homeserver'].base_url}/_matrix/client/versions`);
  assert.equal(versions.status, 200, 'the advertised base URL works');
  const bad = await get('evil"host');
  assert.equal(bad.json['m.homeserver'].base_url, hs.base, 'a strange Host header is not echoed');
});
