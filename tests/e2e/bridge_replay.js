// At-least-once delivery from mxhs to signalbridge, seen from the user
// (issue 12, "the module drops duplicates by event ID"): a real Matrix
// client, signalbridge.so in mxhs, and Signal's own mock server.
// The homeserver is killed (-9) and its database is put in the state a
// crash leaves when it strikes before the module's position was saved
// (every event queued again after position 0), so on restart the bridge is
// handed every event of its rooms a second time: the link command, the bot
// invite, bot commands and a message to a Signal contact. The contact must
// receive that message once, and the bot must not answer anything twice.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { Homeserver } = require('./mxhs_harness.js');
const { startSandbox, decodeQr } = require('../../sandbox/sandbox.js');
const { BOT, SERVER, bridgeConfig, client, messages, until, QUEUE_KEY } = require('./bridge_lib.js');

let hs;
let sb;
let alice;
let botRoom;

// Runs SQL on mxhs's database (python3's sqlite3; mxhs may be running: WAL).
function sql(q) {
  const r = spawnSync('python3', ['-c', `import sqlite3,sys
c=sqlite3.connect(sys.argv[1]); c.execute('PRAGMA busy_timeout=5000')
rows=c.executescript(sys.argv[2]) if sys.argv[3]=='w' else c.execute(sys.argv[2]).fetchall()
c.commit()
print(rows[0][0] if sys.argv[3]=='r' and rows else '')`, path.join(hs.dir, 'hs.db'), q, q.startsWith('SELECT') ? 'r' : 'w'],
  { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

// The bot's messages in a room, from the server (not a client's timeline).
async function botMessages(room) {
  const r = await hs.req('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/messages?dir=b&limit=1000`,
    { token: alice.getAccessToken() });
  assert.equal(r.status, 200);
  return r.json.chunk.filter((e) => e.type === 'm.room.message' && e.sender === BOT).reverse();
}

async function ask(text) {
  const before = (await botMessages(botRoom)).length;
  await alice.sendTextMessage(botRoom, text);
  return until(async () => (await botMessages(botRoom))[before], `the bot's answer to '${text}'`, 30000);
}

test.before(async () => {
  sb = await startSandbox({});
  hs = new Homeserver();
  fs.writeFileSync(hs.config, bridgeConfig(hs.dir, `      permissions: {"${SERVER}": user}
      signal: {server: "${sb.url}", ca_file: "${sb.ca}", trust_root: "${sb.trustRoot}"}`));
  await hs.start();
  assert.equal(hs.registerUser('alice', 'pw-alice').status, 0);
  alice = await client(hs, 'alice');
  ({ room_id: botRoom } = await alice.createRoom({ preset: 'trusted_private_chat', is_direct: true, invite: [BOT] }));
  await until(() => messages(alice, botRoom, BOT)[0], 'the welcome message');
  const before = messages(alice, botRoom, BOT).length;
  await alice.sendTextMessage(botRoom, 'link');
  const img = await until(() => messages(alice, botRoom, BOT).slice(before)
    .find((e) => e.getContent().msgtype === 'm.image'), 'the QR code', 30000);
  const [server, id] = img.getContent().url.slice(6).split('/');
  const res = await fetch(`${hs.base}/_matrix/client/v1/media/download/${server}/${id}`,
                          { headers: { Authorization: `Bearer ${alice.getAccessToken()}` } });
  await sb.scan(decodeQr(Buffer.from(await res.arrayBuffer())));
  await until(() => messages(alice, botRoom, BOT).slice(before)
    .find((e) => /^Successfully logged in as/.test(e.getContent().body)), 'linked', 60000);
});

test.after(async () => {
  if (alice) alice.stopClient();
  if (hs) { await hs.stop(); hs.cleanup(); }
  if (sb) await sb.close();
});

test('every event delivered again after a crash: no second Signal send, no second bot answer', async () => {
  await sb.send('Alice', 'hello before the crash');
  const first = await until(() => alice.getRooms().flatMap((r) => messages(alice, r.roomId))
    .find((e) => e.getContent().body === 'hello before the crash'), 'the portal', 60000);
  const portal = first.getRoomId();
  await alice.sendTextMessage(portal, 'to Alice, once');
  await until(() => sb.received.find((m) => m.to === 'Alice' && m.body === 'to Alice, once'), 'Alice receives it', 60000);
  assert.match((await ask('status')).content.body, /Linked as/);
  const answers = (await botMessages(botRoom)).length;

  alice.stopClient();
  hs.proc.kill('SIGKILL');
  assert.equal((await hs.exited).sig, 'SIGKILL');
  hs.proc = null;
  // The state of a crash before the position was saved: all queued again.
  // (in AS mode the queue is mxhs's for the application service: every
  // event goes again in new transactions, and the module gets them again)
  sql(`UPDATE module_pos SET stream = 0 WHERE module = '${QUEUE_KEY}';
       INSERT OR IGNORE INTO module_queue(module, stream) SELECT '${QUEUE_KEY}', stream FROM events;`);
  const last = Number(sql('SELECT MAX(stream) FROM events'));
  await hs.start();
  alice = await client(hs, 'alice');
  await until(() => Number(sql(`SELECT stream FROM module_pos WHERE module = '${QUEUE_KEY}'`)) >= last,
              'the bridge was handed every event again', 60000);

  // barriers: a new command is answered and a new message reaches Signal
  // after anything the replay could have caused
  assert.match((await ask('status')).content.body, /Linked as/);
  await alice.sendTextMessage(portal, 'after the replay');
  await until(() => sb.received.find((m) => m.to === 'Alice' && m.body === 'after the replay'), 'a message after the replay', 60000);

  assert.equal(sb.received.filter((m) => m.to === 'Alice' && m.body === 'to Alice, once').length, 1,
               'the replayed message was not sent to Signal again');
  const now = await botMessages(botRoom);
  assert.deepEqual(now.slice(answers).map((e) => e.content.body).filter((b) => !/^Linked as/.test(b)), [],
                   'the bot answered nothing again (welcome, link, status)');
  assert.equal(now.length, answers + 1, 'only the new status command was answered');
});
