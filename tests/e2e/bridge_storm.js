// A reconnect storm (issue #15 item 1): 20 accounts linked in one mxhs
// through the provisioning API against Signal's own mock; then every chat
// socket is dropped at once by the mock (and, in the second test, the
// homeserver restarts). Every account must come back and receive a message
// afterwards, while the mock never sees more TLS handshakes in progress
// at once than the bridge's bound (signal.connect_concurrency, default 16;
// sn_gate.h): counted at the mock's own TLS server (storm_lib.js
// handshakeMeter). A relay in front of the mock holds each new
// connection's ClientHello for a second, so that handshakes overlap on any
// machine: without a bound all 20 would be in their handshake together.
// Nothing here is timed: the test waits for events, and the figures
// (time to recover) are left to bench/accounts_bench.js.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Homeserver } = require('./mxhs_harness.js');
const { startMock } = require('../lib/signal-mock.js');
const { SERVER, AS_MODE, bridgeConfig, client, messages, until } = require('./bridge_lib.js');
const { handshakeMeter, slowProxy, provisionApi, linkAccount, chatSockets } = require('./storm_lib.js');

const N = 20;
const HOLD_MS = 1000;
const SECRET = 'storm-' + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
const USER = (i) => `@storm${i}:${SERVER}`;

let mock;
let proxy;
let meter;
let hs;
let api;
let contact;
let watcher; // a Matrix client of account 0's owner
const devices = [];

function config(bound) {
  const extra = bound === undefined ? '' : `, connect_concurrency: ${bound}`;
  return bridgeConfig(hs.dir, `      provisioning: {shared_secret: "${SECRET}"}
      permissions: {"${SERVER}": user}
      link_timeout: 300
      signal: {server: "${proxy.url}", ca_file: "${mock.ca}", trust_root: "BZ8zqn+/bbZcpoKqnvkHXvoTI+n9o/Iuc9kpVog2ZEYs"${extra}}`);
}

function provBase() {
  if (!AS_MODE) return `${hs.base}/_mxm/signalbridge/_matrix/provision`;
  const port = /listen: \{address: 127\.0\.0\.1, port: (\d+)\}/.exec(
    fs.readFileSync(path.join(hs.dir, 'appservice.yaml'), 'utf8'))[1];
  return `http://127.0.0.1:${port}/_matrix/provision`;
}

// Every device has a chat socket at the mock that is not one of `old`.
function allBack(old) {
  return () => chatSockets(mock, devices).every((s, i) => s && s !== old[i]);
}

// A message from the contact to each account, each resolving when the
// bridge has acknowledged it (after its durable store); the one to account
// 0 must also reach its owner's Matrix client.
async function messageEveryone(tag) {
  await Promise.all(devices.map((d, i) => contact.sendText(d, `${tag} ${i}`, { timestamp: Date.now() + i })));
  await until(() => watcher.getRooms().some((r) => messages(watcher, r.roomId)
    .some((e) => e.getContent().body === `${tag} 0`)), `"${tag} 0" in Matrix`, 60000);
}

test.before(async () => {
  mock = await startMock({ timeout: 600000 });
  meter = handshakeMeter(mock);
  proxy = await slowProxy(mock.port);
  hs = new Homeserver();
  fs.writeFileSync(hs.config, config());
  await hs.start();
  api = provisionApi(provBase(), SECRET);
  assert.equal(hs.registerUser('storm0', 'pw-storm0').status, 0);
  watcher = await client(hs, 'storm0');
  contact = await mock.server.createPrimaryDevice({ profileName: 'Storm Contact' });
  for (let i = 0; i < N; i++) {
    const d = await linkAccount(api, mock.server, USER(i));
    await contact.addSingleUseKey(d, await d.popSingleUseKey('ACI'), 'ACI');
    devices.push(d);
  }
  await until(allBack(devices.map(() => undefined)), 'every chat socket open', 60000);
  await messageEveryone('before');
});

test.after(async () => {
  if (watcher) watcher.stopClient();
  if (hs) { await hs.stop(); hs.cleanup(); }
  if (proxy) await proxy.close();
  if (mock) await mock.close();
});

test('all chat sockets dropped at once: every account is back and gets a message; handshakes stay within the default bound', async () => {
  const old = chatSockets(mock, devices);
  proxy.delay = HOLD_MS;
  meter.reset();
  mock.destroySockets();
  await until(allBack(old), 'every account reconnected', 120000);
  await messageEveryone('after drop');
  proxy.delay = 0;
  // the meter saw the reconnections (so a peak of 0 cannot pass vacuously)
  assert.ok(meter.accepted >= N, `the mock accepted ${meter.accepted} connections, expected at least ${N}`);
  assert.ok(meter.peak <= 16, `at most 16 TLS handshakes at once (the default bound), the mock saw ${meter.peak}`);
});

test('signal.connect_concurrency bounds a restart and a drop; every account is back and gets a message', async () => {
  const BOUND = 3;
  await hs.stop();
  fs.writeFileSync(hs.config, config(BOUND));
  proxy.delay = HOLD_MS;
  meter.reset();
  let old = chatSockets(mock, devices);
  watcher.stopClient();
  await hs.start(); // every account connects at start: a storm of its own
  api = provisionApi(provBase(), SECRET);
  watcher = await client(hs, 'storm0'); // mxhs listens on a new port
  await until(allBack(old), 'every account connected after the restart', 120000);
  assert.ok(meter.peak <= BOUND, `restart: at most ${BOUND} TLS handshakes at once, the mock saw ${meter.peak}`);
  assert.ok(meter.accepted >= N, `restart: the mock accepted ${meter.accepted} connections`);
  old = chatSockets(mock, devices);
  meter.reset();
  mock.destroySockets();
  await until(allBack(old), 'every account reconnected after the drop', 120000);
  proxy.delay = 0;
  await messageEveryone('after restart');
  assert.ok(meter.peak <= BOUND, `drop: at most ${BOUND} TLS handshakes at once, the mock saw ${meter.peak}`);
  assert.ok(meter.accepted >= N, `drop: the mock accepted ${meter.accepted} connections`);
});
