// Issue #11, item 3 (the TLS-failure notice), with a real Matrix client on
// mxhs:
//  - `link` against a server whose certificate the bridge does not trust
//    (default config: only Signal's pinned root) gives the user a notice
//    that says what happened and what to check, never a bare code, and the
//    admin an error line in the log naming the host and signal.ca_file;
//  - the same with signal.ca_file set to a CA that did not sign it;
//  - a linked account whose connection starts failing verification (here:
//    a restart with a ca_file that does not fit) gets one notice for it.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { Homeserver } = require('./mxhs_harness.js');
const { startSandbox, decodeQr } = require('../../sandbox/sandbox.js');
const { BOT, SERVER, bridgeConfig, client, messages, until } = require('./bridge_lib.js');
const { makeTestCa, startTlsServer } = require('./tls-lib.js');

const open = [];

test.after(async () => {
  for (const f of open.reverse()) await f();
});

async function bridgeWith(signalBlock) {
  const hs = new Homeserver();
  fs.writeFileSync(hs.config, bridgeConfig(hs.dir, `      permissions: {"${SERVER}": user}
${signalBlock}`));
  await hs.start();
  open.push(async () => { await hs.stop(); hs.cleanup(); });
  assert.equal(hs.registerUser('alice', 'pw-alice').status, 0);
  const alice = await client(hs, 'alice');
  open.push(async () => alice.stopClient());
  const { room_id: room } = await alice.createRoom({ preset: 'trusted_private_chat', is_direct: true, invite: [BOT] });
  await until(() => messages(alice, room, BOT)[0], 'the welcome message');
  return { hs, alice, room };
}

function botSaysAfter(alice, room, n) {
  return messages(alice, room, BOT).slice(n).map((e) => e.getContent());
}

test('link against an untrusted server: a notice with what to check, an admin log line', async () => {
  const ca = makeTestCa();
  const server = await startTlsServer(ca);
  open.push(() => server.close());
  const host = `127.0.0.1:${server.port}`;
  const { hs, alice, room } = await bridgeWith(`      signal: {server: "${server.url}"}`);
  const before = messages(alice, room, BOT).length;
  await alice.sendTextMessage(room, 'link');
  const notice = await until(() => botSaysAfter(alice, room, before)
    .find((c) => /Linking failed/.test(c.body)), 'the link failure notice', 30000);
  assert.equal(notice.msgtype, 'm.notice');
  assert.match(notice.body, new RegExp(`could not verify the certificate of Signal's server \\(${host.replace(/\./g, '\\.')}\\)`));
  assert.match(notice.body, /TLS-inspecting proxy or firewall/);
  assert.match(notice.body, /signal\.ca_file/);
  assert.match(notice.body, /Send `link` to try again/);
  assert.doesNotMatch(notice.body, /-1[0-9]{3}|unknown error/);
  assert.ok(!botSaysAfter(alice, room, before).some((c) => c.msgtype === 'm.image'), 'no QR code');
  await until(() => /the TLS certificate of 127\.0\.0\.1:\d+ is not trusted/.test(hs.log), 'the admin log line');
  const line = hs.log.split('\n').find((l) => /the TLS certificate of 127\.0\.0\.1/.test(l));
  assert.match(line, new RegExp(host.replace(/\./g, '\\.')));
  assert.match(line, /pinned because signal\.ca_file is not set/);
  assert.match(line, /linking for @alice:/);
  // it was the handshake that failed: the server saw it broken off
  assert.ok(server.tlsErrors.length >= 1);
  assert.deepEqual(server.requests, []);
});

test('link with a ca_file that did not sign the server: the notice names signal.ca_file', async () => {
  const ca = makeTestCa();
  const other = makeTestCa();
  const server = await startTlsServer(ca);
  open.push(() => server.close());
  const { hs, alice, room } = await bridgeWith(
    `      signal: {server: "${server.url}", ca_file: "${other.caFile}"}`);
  const before = messages(alice, room, BOT).length;
  await alice.sendTextMessage(room, 'link');
  const notice = await until(() => botSaysAfter(alice, room, before)
    .find((c) => /Linking failed/.test(c.body)), 'the link failure notice', 30000);
  assert.equal(notice.msgtype, 'm.notice');
  assert.match(notice.body, /not signed by the CA the bridge is configured to trust \(signal\.ca_file\)/);
  await until(() => hs.log.includes(`must chain to a CA in signal.ca_file (${other.caFile})`), 'the admin log line');
});

test('a linked account whose server stops verifying gets one notice', async () => {
  const sb = await startSandbox({});
  open.push(() => sb.close());
  const { hs, alice, room } = await bridgeWith(
    `      signal: {server: "${sb.url}", ca_file: "${sb.ca}", trust_root: "${sb.trustRoot}"}`);
  let before = messages(alice, room, BOT).length;
  await alice.sendTextMessage(room, 'link');
  const img = await until(() => botSaysAfter(alice, room, before).find((c) => c.msgtype === 'm.image'),
    'the QR code', 30000);
  const [server, id] = img.url.slice(6).split('/');
  const res = await fetch(`${hs.base}/_matrix/client/v1/media/download/${server}/${id}`,
    { headers: { Authorization: `Bearer ${alice.getAccessToken()}` } });
  await sb.scan(decodeQr(Buffer.from(await res.arrayBuffer())));
  await until(() => botSaysAfter(alice, room, before).find((c) => /^Successfully logged in/.test(c.body)),
    'linked', 60000);

  // The same sandbox, now with a ca_file that does not fit its certificate.
  const wrong = makeTestCa();
  fs.writeFileSync(hs.config, bridgeConfig(hs.dir, `      permissions: {"${SERVER}": user}
      signal: {server: "${sb.url}", ca_file: "${wrong.caFile}", trust_root: "${sb.trustRoot}"}`));
  hs.log = '';
  alice.stopClient();
  await hs.restart(); // on a new port: log in again
  const alice2 = await client(hs, 'alice');
  open.push(async () => alice2.stopClient());
  before = 0;
  const notice = await until(() => botSaysAfter(alice2, room, before)
    .find((c) => /Your Signal connection is down/.test(c.body)), 'the connection notice', 60000);
  assert.equal(notice.msgtype, 'm.notice');
  assert.match(notice.body, /could not verify the certificate of the Signal server 127\.0\.0\.1:\d+/);
  assert.match(notice.body, /keeps retrying/);
  // it keeps failing (three attempts in the log) and is told once
  await until(() => (hs.log.match(/chat socket lost: server certificate or host name not trusted/g) || [])
    .length >= 3, 'three failed attempts', 60000);
  assert.equal(botSaysAfter(alice2, room, before).filter((c) => /connection is down/.test(c.body)).length, 1);
  // (retries are seconds apart; a second notice or log line would be long posted)
  assert.equal((hs.log.match(/the TLS certificate of 127\.0\.0\.1:\d+ is not trusted .*\(connection for @alice:/g)
    || []).length, 1);
});

test('a ca_file that cannot be loaded stops the start with its name', async () => {
  const hs = new Homeserver();
  open.push(async () => { await hs.stop(); hs.cleanup(); });
  const missing = `${hs.dir}/no-such-ca.pem`;
  fs.writeFileSync(hs.config, bridgeConfig(hs.dir, `      permissions: {"${SERVER}": user}
      signal: {server: "https://127.0.0.1:1", ca_file: "${missing}"}`));
  await assert.rejects(hs.start(), (e) => {
    assert.match(e.message, /mxhs exited 1/);
    assert.ok(e.message.includes(`config.signal.ca_file: cannot load '${missing}'`), e.message);
    return true;
  });
});
