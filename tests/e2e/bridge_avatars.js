// Issue #13: a Signal group's avatar is its portal's m.room.avatar (at
// creation, on change, on removal), and a contact the phone's storage
// knows with a profile key gets their profile (name and avatar) without
// writing first. Real Matrix client (matrix-js-sdk) on mxhs, Signal's mock
// server as Signal, with the group avatars it lacks added the way Signal's
// apps and service make them (tests/lib/signal-groupavatars.js).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { Homeserver, PNG } = require('./mxhs_harness.js');
const { startSandbox } = require('../../sandbox/sandbox.js');
const { SERVER, bridgeConfig, client, messages, until, linkWithBot } = require('./bridge_lib.js');
const { StorageState, EMPTY_GROUP_ACTIONS, Group } = require('@signalapp/mock-server');

// a 1x1 GIF: the group's second avatar
const GIF = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');

let hs;
let sb;
let me;          // the Matrix user
let group;       // created on Signal with an avatar
let firstKey;    // its avatar's CDN key
let dan;         // known from the phone's storage only, with his profile key
let danAvatar;
const ghost = (dev) => `@signal_${dev.device.aci}:${SERVER}`;
const groupRoom = () => me.getRooms().find((r) => r.getMyMembership() === 'join' &&
  r.currentState.getStateEvents('m.room.topic', '')?.getContent().topic?.startsWith('A Signal group'));
const roomAvatar = (r) => r.currentState.getStateEvents('m.room.avatar', '')?.getContent();

function db(sql) {
  const file = path.join(hs.dir, 'signalbridge', 'signalbridge.db');
  const out = execFileSync('/usr/bin/python3', ['-c',
    'import json,sqlite3,sys;c=sqlite3.connect(sys.argv[1]);r=c.execute(sys.argv[2]).fetchall();c.commit();print(json.dumps(r))',
    file, sql]);
  return JSON.parse(out.toString());
}

const config = (extra = '') => bridgeConfig(hs.dir, `      signal: {server: "${sb.url}", ca_file: "${sb.ca}", trust_root: "${sb.trustRoot}",
               server_public_params: "${zkParams}"${extra}}`);
let zkParams;

async function ghostAvatar(dev) {
  const profileUrl = `${hs.base}/_matrix/client/v3/profile/${encodeURIComponent(ghost(dev))}`;
  const res = await fetch(profileUrl, { headers: { Authorization: `Bearer ${me.getAccessToken()}` } });
  return res.status === 200 ? (await res.json()).avatar_url : undefined;
}

async function download(mxc) {
  const [server, id] = mxc.slice('mxc://'.length).split('/');
  const res = await fetch(`${hs.base}/_matrix/client/v1/media/download/${server}/${id}`,
                          { headers: { Authorization: `Bearer ${me.getAccessToken()}` } });
  assert.equal(res.status, 200);
  return { body: Buffer.from(await res.arrayBuffer()), type: res.headers.get('content-type') };
}

// The phone changes the group's avatar on the groups server (revision + 1)
// and a member's next group message carries the new revision.
async function changeAvatar(key, text) {
  const server = sb.mock.server;
  const serverGroup = await server.getGroup(group.publicParams.serialize());
  const current = new Group({ secretParams: group.secretParams, groupState: serverGroup.state });
  const res = await server.modifyGroup({
    group: serverGroup,
    actions: { ...EMPTY_GROUP_ACTIONS, version: current.revision + 1, modifyAvatar: { avatar: key } },
    aciCiphertext: group.encryptServiceId(sb.phone.device.aci),
  });
  assert.ok(!res.conflict);
  const after = new Group({ secretParams: group.secretParams, groupState: serverGroup.state });
  assert.equal(after.state.avatarUrl || '', key, 'the groups server applied the avatar change');
  await sb.contacts.Alice.sendText(sb.device, text, { group: after, timestamp: Date.now() });
  await until(() => messages(me, groupRoom().roomId).find((e) => e.getContent().body === text),
              `'${text}' in the group room`, 60000);
}

test.before(async () => {
  sb = await startSandbox({});
  const { Alice, Bob } = sb.contacts;
  group = await sb.phone.createGroup({ title: 'Avatar club', members: [sb.phone, Alice, Bob] });
  firstKey = sb.mock.groupAvatars.upload(group, PNG);
  await sb.mock.groupAvatars.setInitial(group, firstKey);
  dan = await sb.mock.server.createPrimaryDevice({ profileName: 'Dan Stored' });
  danAvatar = sb.mock.profiles.set(dan, GIF);
  await sb.phone.setStorageState(StorageState.getEmpty()
    .addContact(Alice, { profileKey: Alice.profileKey.serialize(), givenName: 'Alice', familyName: 'Smith', whitelisted: true })
    .addContact(dan, { profileKey: dan.profileKey.serialize(), whitelisted: false })
    .addGroup(group, { whitelisted: true }));
  hs = new Homeserver();
  zkParams = Buffer.from(sb.mock.server.zkSecret.getPublicParams().serialize()).toString('base64');
  fs.writeFileSync(hs.config, config());
  await hs.start();
  assert.equal(hs.registerUser('me', 'pw-me').status, 0);
  me = await client(hs, 'me');
  await linkWithBot(hs, sb, me);
});

test.after(async () => {
  if (process.env.DUMP_HS_LOG && hs) console.log(hs.log);
  if (me) me.stopClient();
  if (hs) { await hs.stop(); hs.cleanup(); }
  if (sb) await sb.close();
});

test("a group created on Signal with an avatar: its room is created with it", async () => {
  const g = await until(groupRoom, 'the group portal', 60000)
    .catch((e) => { throw new Error(`${e.message}; rooms: ${JSON.stringify(me.getRooms().map((r) => r.name))}`); });
  await until(() => g.name === 'Avatar club', "the group's title", 60000);
  const url = await until(() => roomAvatar(g)?.url, "the room's avatar", 60000);
  assert.match(url, /^mxc:\/\//);
  const { body, type } = await download(url);
  assert.deepEqual(body, PNG, 'the picture the phone set, decrypted with the group key');
  assert.equal(type, 'image/png');
  assert.deepEqual(sb.mock.groupAvatars.fetches, [firstKey], 'fetched once, by the key its state names');
  // in createRoom's initial state, as the name: the avatar is set before
  // the user's invitation (mautrix/go createMatrixRoomInLoop)
  const ev = g.currentState.getStateEvents('m.room.avatar', '');
  const invite = g.currentState.getStateEvents('m.room.member', me.getUserId());
  assert.ok(g.getLiveTimeline().getEvents().indexOf(ev) === -1 ||
            g.getLiveTimeline().getEvents().indexOf(ev) < g.getLiveTimeline().getEvents().indexOf(invite),
            'the avatar came with the room, before the invitation');
});

test("a new avatar on Signal becomes the group room's avatar", async () => {
  const g = groupRoom();
  const before = roomAvatar(g).url;
  const key = sb.mock.groupAvatars.upload(group, GIF);
  await changeAvatar(key, 'new picture');
  const url = await until(() => roomAvatar(g)?.url !== before && roomAvatar(g)?.url, 'the new avatar', 60000)
    .catch((e) => { throw new Error(`${e.message}; m.room.avatar ${JSON.stringify(roomAvatar(g))}`); });
  const { body, type } = await download(url);
  assert.deepEqual(body, GIF);
  assert.equal(type, 'image/gif');
  assert.deepEqual(sb.mock.groupAvatars.fetches, [firstKey, key]);
});

test("an avatar removed on Signal is removed from the group room", async () => {
  const g = groupRoom();
  await changeAvatar('', 'no picture');
  await until(() => roomAvatar(g) && !roomAvatar(g).url, 'the avatar removed', 60000)
    .catch((e) => { throw new Error(`${e.message}; m.room.avatar ${JSON.stringify(roomAvatar(g))}`); });
});

test("a contact from the phone's storage gets their profile picture without writing first", async () => {
  // the storage record carries Dan's profile key; his versioned profile
  // names his avatar, which the bridge fetches and decrypts
  const mxc = await until(() => ghostAvatar(dan), "Dan's ghost's avatar", 60000);
  assert.deepEqual((await download(mxc)).body, GIF);
  assert.ok(sb.mock.profiles.fetches.includes(danAvatar));
});

test('a portal row left half-made when the homeserver stopped is cleared at start; the next message makes the room', async () => {
  // Bob has no DM portal yet. A row reserved for it while its room was
  // being made, when mxhs stopped before the room's ID was stored:
  const Bob = sb.contacts.Bob;
  assert.deepEqual(db(`SELECT room_id FROM br_portal WHERE chat_id = 'dm:${Bob.device.aci}'`), []);
  me.stopClient();
  await hs.stop();
  db(`INSERT INTO br_portal(owner_mxid, chat_id, room_id) VALUES ('${me.getUserId()}', 'dm:${Bob.device.aci}', NULL)`);
  // (and profiles refreshed every 2 s from now on, for the next test)
  fs.writeFileSync(hs.config, config(', profile_refresh: 2'));
  await hs.start();
  me = await client(hs, 'me');
  await Bob.sendText(sb.device, 'hello after the restart', { timestamp: Date.now() });
  const dm = await until(() => me.getRooms().find((r) => r.getMyMembership() === 'join' &&
    messages(me, r.roomId).some((e) => e.getContent().body === 'hello after the restart')), "Bob's message in a new DM", 60000)
    .catch((e) => { throw new Error(`${e.message}; rows ${JSON.stringify(db(`SELECT room_id FROM br_portal WHERE chat_id = 'dm:${Bob.device.aci}'`))}`); });
  assert.deepEqual(db(`SELECT room_id FROM br_portal WHERE chat_id = 'dm:${Bob.device.aci}'`), [[dm.roomId]]);
});

test('a profile picture changed on Signal reaches the ghost by the periodic profile refresh', async () => {
  // Dan changes his picture; no new profile key, no message: only the
  // refresh (signal.profile_refresh, 2 s here) can see it
  const before = await ghostAvatar(dan);
  assert.ok(before);
  const name = sb.mock.profiles.set(dan, PNG);
  const mxc = await until(async () => { const a = await ghostAvatar(dan); return a !== before && a; },
                          "Dan's new avatar", 60000);
  assert.deepEqual((await download(mxc)).body, PNG);
  assert.ok(sb.mock.profiles.fetches.includes(name));
});
