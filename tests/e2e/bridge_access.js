// Permissions and `enabled` at every entry point and at start (issue #12,
// Deliver 6): a real Matrix client (matrix-js-sdk) on mxhs with
// signalbridge.so, and Signal's own mock server with the sandbox's phone.
// mxhs reads the module config only at start, so access changes here go
// through a restart, as an administrator's would.
//
// Negative checks ("did not reach") are made deterministic by ordering, not
// by waiting: the bot answers a command only after the portal event before it
// was handled (events reach the module in order), the mock delivers a
// device's messages in order, and a message that the bridge held back must
// arrive exactly once when access comes back.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { Homeserver } = require('./mxhs_harness.js');
const { startSandbox } = require('../../sandbox/sandbox.js');
const { BOT, SERVER, bridgeConfig, client: login, messages, until } = require('./bridge_lib.js');

let hs;
let sb;
let alice;
let botRoom;
let portal;

// access: 'user' (the default), 'none' (alice set to none), 'off' (enabled: false)
function config(access) {
  const perms = access === 'none' ? `      permissions: {"${SERVER}": user, "@alice:${SERVER}": none}\n` : '';
  const enabled = access === 'off' ? '      enabled: false\n' : '';
  return bridgeConfig(hs.dir, `${enabled}${perms}      link_timeout: 30
      signal:
        server: ${sb.url}
        ca_file: ${sb.ca}
        trust_root: "${sb.trustRoot}"`);
}

const botSays = (re) => messages(alice, botRoom, BOT).filter((e) => re.test(e.getContent().body));
const inMatrix = (body) => alice.getRooms().flatMap((r) => messages(alice, r.roomId))
  .filter((e) => e.getContent().body === body);
const count = (re) => (hs.log.match(new RegExp(re.source, 'g')) || []).length;
const LOST = /You no longer have access to this Signal bridge/;
const OFF = /The administrator turned this Signal bridge off/;
const HELD = /signal: the login of @alice:\S+ stays disconnected: no access/;

async function ask(text) {
  const before = messages(alice, botRoom, BOT).length;
  await alice.sendTextMessage(botRoom, text);
  const ev = await until(() => messages(alice, botRoom, BOT)[before], `the bot's answer to '${text}'`, 30000);
  return ev.getContent().body;
}

// Restart mxhs with `access`; for a held login, wait until the Signal
// thread said it left it disconnected (the `held`-th such line).
async function restart(access, held) {
  alice.stopClient();
  await hs.stop();
  fs.writeFileSync(hs.config, config(access));
  const connections = sb.mock.connectionCount();
  await hs.start();
  alice = await login(hs, 'alice');
  if (held) await until(() => count(HELD) >= held, 'the held login in the log', 30000);
  return connections;
}

test.before(async () => {
  sb = await startSandbox({});
  hs = new Homeserver();
  fs.writeFileSync(hs.config, config('user'));
  await hs.start();
  assert.equal(hs.registerUser('alice', 'pw-alice').status, 0);
  alice = await login(hs, 'alice');
  ({ room_id: botRoom } = await alice.createRoom({ preset: 'trusted_private_chat', is_direct: true, invite: [BOT] }));
  await until(() => messages(alice, botRoom, BOT)[0], 'the welcome message');
  await alice.sendTextMessage(botRoom, 'link');
  const link = await until(() => messages(alice, botRoom, BOT)
    .map((e) => /sgnl:\/\/linkdevice\?\S+/.exec(e.getContent().body)).find(Boolean), 'the link', 30000);
  await sb.scan(link[0]);
  await until(() => botSays(/Successfully logged in/)[0], 'the success message', 60000);
  await sb.send('Alice', 'with access');
  portal = (await until(() => inMatrix('with access')[0], 'the first message', 60000)).getRoomId();
});

test.after(async () => {
  if (alice) alice.stopClient();
  if (hs) { await hs.stop(); hs.cleanup(); }
  if (sb) await sb.close();
});

test('a user set to none is bridged neither way, told once, and resumes when access is back', async () => {
  const connections = await restart('none', 1);
  await until(() => botSays(LOST)[0], 'the notice that access is gone', 30000);
  // Signal -> Matrix: the message waits at Signal, unacknowledged
  let acked = false;
  const queued = sb.send('Alice', 'sent while without access');
  queued.then(() => { acked = true; }, () => {});
  // Matrix -> Signal: dropped; the bot's answer comes after it was handled
  await alice.sendTextMessage(portal, 'written in Matrix without access');
  assert.match(await ask('status'), /not allowed to use this Signal bridge.*still linked/);
  assert.equal(sb.mock.connectionCount(), connections, 'the login did not connect to Signal');
  assert.equal(acked, false, 'nothing acknowledged the Signal message');
  assert.equal(inMatrix('sent while without access').length, 0);

  // another start without access: still held, and no second notice
  await restart('none', 2);
  assert.match(await ask('help'), /not allowed/);
  assert.equal(botSays(LOST).length, 1, 'exactly one notice');

  // access back: the held Signal message arrives once, Matrix -> Signal works,
  // and what was written without access was never sent (the mock keeps order)
  await restart('user');
  await until(() => inMatrix('sent while without access')[0], 'the held message', 60000);
  await queued;
  await until(() => botSays(/access to this Signal bridge again/)[0], 'the notice that access is back', 30000);
  await alice.sendTextMessage(portal, 'written in Matrix with access again');
  await until(() => sb.received.find((m) => m.to === 'Alice' && m.body === 'written in Matrix with access again'),
              'Alice receives the message', 60000);
  assert.equal(sb.received.filter((m) => m.body === 'written in Matrix without access').length, 0);
  assert.equal(inMatrix('sent while without access').length, 1, 'no duplicate');
});

test('enabled: false bridges nothing, says so in one log line, and logout still works', async () => {
  const connections = await restart('off', 3);
  await until(() => botSays(OFF)[0], 'the notice that the bridge is off', 30000);
  assert.equal(count(/`enabled: false` in the config: nothing is bridged/), 1, 'one log line');
  let acked = false;
  sb.send('Alice', 'sent while the bridge is off').then(() => { acked = true; }, () => {});
  await alice.sendTextMessage(portal, 'written in Matrix while the bridge is off');
  assert.match(await ask('link'), /not allowed to use this Signal bridge/);
  assert.equal(sb.mock.connectionCount(), connections, 'no login connected to Signal');
  assert.equal(acked, false);
  assert.equal(inMatrix('sent while the bridge is off').length, 0);

  // a user without access can still unlink
  assert.match(await ask('logout'), /Unlinked from Signal/);
  assert.equal(botSays(OFF).length, 1, 'exactly one notice');
  await restart('user');
  assert.match(await ask('status'), /Not linked/);
  assert.equal(sb.received.filter((m) => m.body === 'written in Matrix while the bridge is off').length, 0);
});
