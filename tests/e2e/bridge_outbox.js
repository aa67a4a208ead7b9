// Issue #12, Losses 1, 2, 4, 5 and Deliver 2/4/5: the outbox waits for
// Signal and does not give up, keeps each message's Signal timestamp across
// a restart, fails only past its age limit; two Matrix users linked to two
// Signal accounts in one group each see every group message once; DM
// portals made back to back all land in m.direct.
//
// Real peers: matrix-js-sdk on mxhs with signalbridge.so, Signal's mock
// server. Signal's reachability is switched with a TCP relay in front of
// the mock (the bridge's signal.server points at it): "down" cuts every
// connection and refuses new ones, "up" lets them through again. The mock
// keeps its state throughout.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { execFileSync, spawn } = require('node:child_process');
const { Homeserver } = require('./mxhs_harness.js');
const { startSandbox, decodeQr } = require('../../sandbox/sandbox.js');
const { BOT, SERVER, bridgeConfig, client, messages, until } = require('./bridge_lib.js');
const { StorageState } = require('@signalapp/mock-server');

let hs;
let sb;
let relay;
let me;          // linked to the sandbox phone
let you;         // linked to a second Signal account, in the same group
let phone2;
let device2;     // the bridge's linked device of phone2
let group;
const rooms = {};  // bot rooms per user
const ghost = (dev) => `@signal_${dev.device.aci}:${SERVER}`;
const hex = (g) => Buffer.from(g.id, 'base64').toString('hex');

// A TCP relay to the mock: down() cuts and refuses, up() lets through.
async function startRelay(port) {
  const live = new Set();
  let down = false;
  const server = net.createServer((c) => {
    if (down) { c.destroy(); return; }
    const u = net.connect(port, '127.0.0.1');
    live.add(c); live.add(u);
    c.pipe(u); u.pipe(c);
    const end = () => { c.destroy(); u.destroy(); live.delete(c); live.delete(u); };
    c.on('error', end); u.on('error', end); c.on('close', end); u.on('close', end);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: server.address().port,
    down() { down = true; for (const s of live) s.destroy(); live.clear(); },
    up() { down = false; },
    close() { this.down(); server.close(); },
  };
}

function config(extra = '') {
  const zk = Buffer.from(sb.mock.server.zkSecret.getPublicParams().serialize()).toString('base64');
  return bridgeConfig(hs.dir, `${extra}      signal: {server: "https://127.0.0.1:${relay.port}", ca_file: "${sb.ca}",
               trust_root: "${sb.trustRoot}", server_public_params: "${zk}"}`);
}

function dbRows(sql) {
  const db = path.join(hs.dir, 'signalbridge', 'signalbridge.db');
  const out = execFileSync('/usr/bin/python3', ['-c',
    // read-only: a reader must never checkpoint or remove the bridge's WAL
    'import json,sqlite3,sys;c=sqlite3.connect("file:"+sys.argv[1]+"?mode=ro",uri=True);'
    + 'print(json.dumps(c.execute(sys.argv[2]).fetchall()))',
    db, sql]);
  return JSON.parse(out.toString());
}

async function ask(c, text) {
  const room = rooms[c.getUserId()];
  const before = messages(c, room, BOT).length;
  await c.sendTextMessage(room, text);
  const ev = await until(() => messages(c, room, BOT)[before], `the bot's answer to '${text}'`, 30000);
  return ev.getContent().body;
}

async function login(user) {
  const c = await client(hs, user);
  if (!rooms[c.getUserId()]) {
    const { room_id: r } = await c.createRoom({ preset: 'trusted_private_chat', is_direct: true, invite: [BOT] });
    rooms[c.getUserId()] = r;
    await until(() => messages(c, r, BOT)[0], 'the welcome message');
  }
  return c;
}

// `c` sends link; the QR is scanned by `primary`; the new device gets
// sessions from the contacts (as Signal-Desktop's mock tests do).
async function link(c, scan) {
  const room = rooms[c.getUserId()];
  const before = messages(c, room, BOT).length;
  await c.sendTextMessage(room, 'link');
  const img = await until(() => messages(c, room, BOT).slice(before)
    .find((e) => e.getContent().msgtype === 'm.image'), 'the QR code', 30000);
  const [server, id] = img.getContent().url.slice(6).split('/');
  const res = await fetch(`${hs.base}/_matrix/client/v1/media/download/${server}/${id}`,
                          { headers: { Authorization: `Bearer ${c.getAccessToken()}` } });
  const dev = await scan(decodeQr(Buffer.from(await res.arrayBuffer())));
  await until(() => messages(c, room, BOT).some((e) => /^Successfully logged in as/.test(e.getContent().body)),
              'linked', 60000);
  return dev;
}

async function scanPhone2(url) {
  const pending = await sb.mock.server.waitForProvision();
  const dev = await pending.complete({ provisionURL: url, primaryDevice: phone2 });
  await phone2.addSingleUseKey(dev, await dev.popSingleUseKey());
  for (const k of Object.values(sb.contacts)) {
    for (const kind of ['ACI', 'PNI']) {
      // eslint-disable-next-line no-await-in-loop
      await k.addSingleUseKey(dev, await dev.popSingleUseKey(kind), kind);
    }
  }
  return dev;
}

const portal = (owner, chat) =>
  dbRows(`SELECT room_id FROM br_portal WHERE owner_mxid = '${owner}' AND chat_id = '${chat}'`)[0]?.[0];
const bodies = (c, roomId, body) => messages(c, roomId).filter((e) => e.getContent().body === body);
const aliceGot = (body) => sb.received.filter((m) => m.to === 'Alice' && m.body === body);

async function goOffline() {
  relay.down();
  await until(async () => /Connection: connecting/.test(await ask(me, 'status')), 'the bridge offline', 30000);
}

async function aliceDm() {
  const id = portal(me.getUserId(), `dm:${sb.contacts.Alice.device.aci}`);
  return until(() => id && me.getRoom(id)?.getMyMembership() === 'join' && id, 'the DM with Alice', 60000);
}

test.before(async () => {
  sb = await startSandbox({});
  relay = await startRelay(sb.mock.port);
  const { Alice, Bob } = sb.contacts;
  phone2 = await sb.mock.server.createPrimaryDevice({ profileName: 'Second Phone' });
  group = await sb.phone.createGroup({ title: 'Two homes', members: [sb.phone, phone2, Alice, Bob] });
  await sb.phone.setStorageState(StorageState.getEmpty()
    .addContact(Alice, { profileKey: Alice.profileKey.serialize(), givenName: 'Alice', familyName: 'Smith', whitelisted: true })
    .addGroup(group, { whitelisted: true }));
  await phone2.setStorageState(StorageState.getEmpty().addGroup(group, { whitelisted: true }));
  hs = new Homeserver();
  fs.writeFileSync(hs.config, config());
  await hs.start();
  assert.equal(hs.registerUser('me', 'pw-me').status, 0);
  assert.equal(hs.registerUser('you', 'pw-you').status, 0);
  me = await login('me');
  you = await login('you');
});

test.after(async () => {
  if (process.env.DUMP_HS_LOG && hs) console.log(hs.log);
  if (process.env.DUMP_HS_LOG && hs) console.log(hs.log);
  if (me) me.stopClient();
  if (you) you.stopClient();
  if (hs) { await hs.stop(); hs.cleanup(); }
  if (relay) relay.close();
  if (sb) await sb.close();
});

test('two users linked to two Signal accounts that share a group each see every group message once', async () => {
  await link(me, (url) => sb.scan(url));
  device2 = await link(you, scanPhone2);
  const chat = `group:${hex(group)}`;
  const mine = await until(() => portal(me.getUserId(), chat), "my group portal", 60000);
  const yours = await until(() => portal(you.getUserId(), chat), "your group portal", 60000);
  assert.notEqual(mine, yours);
  await until(() => me.getRoom(mine)?.getMyMembership() === 'join', 'me in my group room', 60000);
  await until(() => you.getRoom(yours)?.getMyMembership() === 'join', 'you in your group room', 60000);
  // Alice writes to the group: Signal delivers the one message (one
  // timestamp) to each member's devices, here both linked devices.
  for (const text of ['group hello 1', 'group hello 2']) {
    const timestamp = Date.now();
    // eslint-disable-next-line no-await-in-loop
    await sb.contacts.Alice.sendText(sb.device, text, { group, timestamp });
    // eslint-disable-next-line no-await-in-loop
    await sb.contacts.Alice.sendText(device2, text, { group, timestamp });
  }
  for (const [c, room] of [[me, mine], [you, yours]]) {
    for (const text of ['group hello 1', 'group hello 2']) {
      // eslint-disable-next-line no-await-in-loop
      await until(() => bodies(c, room, text).length > 0, `'${text}' for ${c.getUserId()}`, 60000);
    }
  }
  // a later message as a barrier, then count
  const timestamp = Date.now();
  await sb.contacts.Alice.sendText(sb.device, 'group barrier', { group, timestamp });
  await sb.contacts.Alice.sendText(device2, 'group barrier', { group, timestamp });
  await until(() => bodies(me, mine, 'group barrier').length && bodies(you, yours, 'group barrier').length,
              'the barrier for both', 60000);
  for (const [c, room] of [[me, mine], [you, yours]]) {
    for (const text of ['group hello 1', 'group hello 2']) {
      assert.equal(bodies(c, room, text).length, 1, `'${text}' once for ${c.getUserId()}`);
      assert.equal(bodies(c, room, text)[0].getSender(), ghost(sb.contacts.Alice));
    }
  }
});

test('DM portals created back to back are both in m.direct', async () => {
  relay.up(); // whatever an earlier test left
  // Neither contact has a chat with the second account yet. Both write
  // while the bridge cannot reach Signal; at the reconnection the server
  // delivers both at once, so both portals are made back to back.
  await goOffline();
  const sent = [sb.contacts.Alice.sendText(device2, 'dm from Alice'),
                sb.contacts.Bob.sendText(device2, 'dm from Bob')];
  relay.up();
  await Promise.all(sent);
  const dm = (k) => portal(you.getUserId(), `dm:${sb.contacts[k].device.aci}`);
  const a = await until(() => dm('Alice'), 'the DM portal with Alice', 60000);
  const b = await until(() => dm('Bob'), 'the DM portal with Bob', 60000);
  await until(() => bodies(you, a, 'dm from Alice').length && bodies(you, b, 'dm from Bob').length,
              'both DMs shown', 60000);
  const direct = () => you.getAccountData('m.direct')?.getContent() || {};
  await until(() => (direct()[ghost(sb.contacts.Alice)] || []).includes(a) &&
                    (direct()[ghost(sb.contacts.Bob)] || []).includes(b),
              'both DMs in m.direct', 30000)
    .catch((e) => { throw new Error(`${e.message}: m.direct is ${JSON.stringify(direct())}`); });
});

test('text sent while Signal is unreachable arrives after the reconnection, once, with no failure notice', async () => {
  relay.up(); // whatever an earlier test left
  const dm = await aliceDm();
  await goOffline();
  await me.sendTextMessage(dm, 'written while offline');
  // it is stored, with its Signal timestamp, and waits
  const row = await until(() => dbRows("SELECT state, signal_ts FROM br_outbox WHERE body = 'written while offline'")[0],
                          'the outbox row', 30000);
  assert.equal(row[0], 0, 'queued, not failed');
  relay.up();
  await until(() => aliceGot('written while offline').length, 'Alice gets it after the reconnection', 60000);
  await me.sendTextMessage(dm, 'offline barrier');
  await until(() => aliceGot('offline barrier').length, 'the barrier', 60000);
  assert.equal(aliceGot('written while offline').length, 1, 'exactly once');
  assert.equal(Number(aliceGot('written while offline')[0].dataMessage.timestamp), row[1],
               'sent with the timestamp stored before the first attempt');
  assert.ok(!messages(me, dm, BOT).some((e) => /not delivered/.test(e.getContent().body)),
            'no "not delivered" notice');
});

test('a reaction made while Signal is unreachable arrives after the reconnection, with no notice', async () => {
  relay.up(); // whatever an earlier test left
  const dm = await aliceDm();
  await sb.send('Alice', 'react to this');
  const ev = await until(() => bodies(me, dm, 'react to this')[0], 'the message from Alice', 60000);
  await goOffline();
  await me.sendEvent(dm, 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: ev.getId(), key: '🎉' } });
  const row = await until(() => dbRows("SELECT state, signal_ts FROM br_relout WHERE text = '🎉'")[0],
                          'the relation row', 30000);
  relay.up();
  const got = await until(() => sb.received.find((m) => m.to === 'Alice' && m.dataMessage?.reaction?.emoji === '🎉'),
                          'Alice gets the reaction after the reconnection', 60000);
  assert.equal(Number(got.dataMessage.timestamp), row[1], 'with the timestamp stored before the first attempt');
  assert.ok(!messages(me, dm, BOT).some((e) => /not delivered/.test(e.getContent().body)),
            'no "not delivered" notice');
});

test('a reaction to the user\'s own message still in the outbox targets its stored timestamp', async () => {
  relay.up(); // whatever an earlier test left
  const dm = await aliceDm();
  await goOffline();
  const { event_id: eventId } = await me.sendTextMessage(dm, 'queued, then reacted to');
  const row = await until(() => dbRows("SELECT state, signal_ts FROM br_outbox WHERE body = 'queued, then reacted to'")[0],
                          'the outbox row', 30000);
  assert.equal(row[0], 0, 'queued');
  await me.sendEvent(dm, 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: eventId, key: '👀' } });
  await until(() => dbRows("SELECT id FROM br_relout WHERE text = '👀'")[0], 'the relation row', 30000);
  relay.up();
  const got = await until(() => sb.received.find((m) => m.to === 'Alice' && m.dataMessage?.reaction?.emoji === '👀'),
                          'Alice gets the reaction', 60000);
  assert.equal(Number(got.dataMessage.reaction.targetSentTimestamp), row[1], 'it targets the queued message');
  await until(() => aliceGot('queued, then reacted to').length, 'and the message itself', 60000);
  assert.ok(!messages(me, dm, BOT).some((e) => /not sent to Signal/.test(e.getContent().body)),
            'no "not sent" notice');
});

test('rows queued across a restart are sent once Signal is up, with their original timestamps', async () => {
  relay.up(); // whatever an earlier test left
  const dm = await aliceDm();
  await goOffline();
  await me.sendTextMessage(dm, 'queued across a restart 1');
  await me.sendTextMessage(dm, 'queued across a restart 2');
  const stored = await until(() => {
    const r = dbRows("SELECT body, signal_ts, state FROM br_outbox WHERE body LIKE 'queued across a restart%' ORDER BY id");
    return r.length === 2 && r;
  }, 'both rows stored', 30000);
  for (const [body, ts, state] of stored) {
    assert.equal(state, 0, `${body} queued`);
    assert.ok(ts > 0, `${body} has its Signal timestamp before any send`);
  }
  assert.ok(stored[0][1] < stored[1][1], 'timestamps in the order written');
  me.stopClient();
  you.stopClient();
  await hs.stop();
  await hs.start();          // Signal still unreachable: nothing can go out yet
  me = await login('me');
  you = await login('you');
  assert.deepEqual(dbRows("SELECT state FROM br_outbox WHERE body LIKE 'queued across a restart%'"), [[0], [0]],
                   'still queued after the start, not failed');
  relay.up();
  for (const [body, ts] of stored) {
    // eslint-disable-next-line no-await-in-loop
    const got = await until(() => aliceGot(body)[0], `Alice gets '${body}'`, 60000);
    assert.equal(Number(got.dataMessage.timestamp), ts, `'${body}' keeps its timestamp`);
  }
  const order = sb.received.filter((m) => m.to === 'Alice' && /^queued across a restart/.test(m.body)).map((m) => m.body);
  assert.deepEqual(order, ['queued across a restart 1', 'queued across a restart 2'], 'in order, once each');
  assert.ok(!messages(me, dm, BOT).some((e) => /not delivered/.test(e.getContent().body)),
            'no "not delivered" notice');
});

test('a message older than outbox_max_age fails with a notice and is never sent', async () => {
  relay.up(); // whatever an earlier test left
  me.stopClient();
  you.stopClient();
  await hs.stop();
  fs.writeFileSync(hs.config, config('      outbox_max_age: 2\n'));
  await hs.start();
  me = await login('me');
  you = await login('you');
  const dm = await aliceDm();
  await until(async () => /Connection: connected/.test(await ask(me, 'status')), 'the bridge online', 60000);
  await goOffline();
  await me.sendTextMessage(dm, 'too old to send');
  const notice = await until(() => messages(me, dm, BOT).find((e) => /not delivered/.test(e.getContent().body)),
                             'the notice', 30000);
  assert.match(notice.getContent().body, /could not be reached within 2 seconds/);
  await until(() => dbRows("SELECT state FROM br_outbox WHERE body = 'too old to send'")[0]?.[0] === 2,
              'the row marked failed', 30000);
  relay.up();
  await until(async () => /Connection: connected/.test(await ask(me, 'status')), 'the bridge online', 60000);
  await me.sendTextMessage(dm, 'age barrier');
  await until(() => aliceGot('age barrier').length, 'the barrier', 60000);
  assert.equal(aliceGot('too old to send').length, 0, 'the expired message was not sent');
});

// Runs after the test above, with outbox_max_age: 2 still in the config.
test('a reaction older than outbox_max_age fails with a notice and is never sent', async () => {
  relay.up(); // whatever an earlier test left
  const dm = await aliceDm();
  await until(async () => /Connection: connected/.test(await ask(me, 'status')), 'the bridge online', 60000);
  await sb.send('Alice', 'react to this too late');
  const ev = await until(() => bodies(me, dm, 'react to this too late')[0], 'the message from Alice', 60000);
  await goOffline();
  await me.sendEvent(dm, 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: ev.getId(), key: '⌛' } });
  const notice = await until(() => messages(me, dm, BOT).find((e) => /reaction was not delivered/.test(e.getContent().body)),
                             'the notice', 30000);
  assert.match(notice.getContent().body, /could not be reached within 2 seconds/);
  await until(() => dbRows("SELECT state FROM br_relout WHERE text = '⌛'")[0]?.[0] === 2,
              'the relation row marked failed', 30000);
  relay.up();
  await until(async () => /Connection: connected/.test(await ask(me, 'status')), 'the bridge online', 60000);
  await me.sendTextMessage(dm, 'reaction age barrier');
  await until(() => aliceGot('reaction age barrier').length, 'the barrier', 60000);
  assert.ok(!sb.received.some((m) => m.to === 'Alice' && m.dataMessage?.reaction?.emoji === '⌛'),
            'the expired reaction was not sent');
});

// Runs after the tests above, with outbox_max_age: 2 still in the config.
test('a file older than outbox_max_age fails with a notice and is never sent', async () => {
  relay.up(); // whatever an earlier test left
  const dm = await aliceDm();
  await until(async () => /Connection: connected/.test(await ask(me, 'status')), 'the bridge online', 60000);
  const files = () => sb.received.filter((m) => m.to === 'Alice' && (m.dataMessage?.attachments || []).length).length;
  const before = files();
  const bytes = Buffer.from('a file too late');
  const up = await hs.req('POST', '/_matrix/media/v3/upload?filename=late.txt',
                          { token: me.getAccessToken(), raw: bytes, headers: { 'Content-Type': 'text/plain' } });
  assert.equal(up.status, 200, up.body.toString());
  const older = new Set(messages(me, dm, BOT).map((e) => e.getId())); // the tests above left some
  await goOffline();
  await me.sendMessage(dm, { msgtype: 'm.file', body: 'late.txt', url: up.json.content_uri,
                             info: { mimetype: 'text/plain', size: bytes.length } });
  const notice = await until(() => messages(me, dm, BOT).find((e) => !older.has(e.getId()) &&
                                                                   /not delivered/.test(e.getContent().body)),
                             'the notice for the file', 30000);
  assert.match(notice.getContent().body, /could not be reached within 2 seconds/);
  relay.up();
  await until(async () => /Connection: connected/.test(await ask(me, 'status')), 'the bridge online', 60000);
  await me.sendTextMessage(dm, 'file age barrier');
  await until(() => aliceGot('file age barrier').length, 'the barrier', 60000);
  assert.equal(files(), before, 'the expired file was not sent');
});

// At start the Signal thread starts every stored login. It read the list of
// logins with a statement that stayed open while each login was started,
// so the first write of a login (its account row) ran on that statement's
// read snapshot: once any other connection had committed meanwhile (at
// start the bridge's own host thread writes), SQLite refused it at once
// with SQLITE_BUSY_SNAPSHOT, without waiting, and that login stayed down,
// without a word, until the next restart. Under load this left a restarted
// bridge deaf to Signal (bridge_media.js hung on it) or without its "stays
// disconnected" log line (bridge_access.js). Here another process commits
// to the bridge's database throughout the start.
test('every login starts although the database is written throughout the start', async () => {
  relay.up(); // whatever an earlier test left
  me.stopClient();
  you.stopClient();
  await hs.stop();
  const db = path.join(hs.dir, 'signalbridge', 'signalbridge.db');
  // a commit every fraction of a millisecond, each a real change (+1, -1);
  // short transactions, so the bridge's own writes still get their turn
  const writer = spawn('/usr/bin/python3', ['-c', `
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], timeout=10, isolation_level=None)
first = True
while True:
    for d in (1, -1):
        c.execute('UPDATE account SET created_ms = created_ms + ?', (d,))
        if first:
            print('writing', flush=True)
            first = False
        time.sleep(0.0002)
`, db], { stdio: ['ignore', 'pipe', 'inherit'] });
  const writerGone = new Promise((resolve) => writer.on('close', resolve));
  try {
    await new Promise((resolve, reject) => {
      writer.stdout.once('data', resolve);
      writer.once('close', (code) => reject(new Error(`the writer exited ${code}`)));
    });
    await hs.start();
    me = await login('me');
    you = await login('you');
    for (const c of [me, you]) {
      // eslint-disable-next-line no-await-in-loop
      await until(async () => /Connection: connected/.test(await ask(c, 'status')),
                  `the login of ${c.getUserId()} online`, 60000)
        .catch((e) => { throw new Error(`${e.message}; log: ${hs.log.split('\n').filter((l) => /signal: |store: /.test(l)).slice(-8).join(' | ')}`); });
    }
  } finally {
    writer.kill();
    await writerGone;
  }
  assert.doesNotMatch(hs.log, /could not be started/);
});
