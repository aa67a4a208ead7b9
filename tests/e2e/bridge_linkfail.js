// The bot explains link failures (issue #11), with a real Matrix client on
// mxhs and the Signal sandbox in production-rules mode:
// - Signal refuses the link with 409 (a capability the account requires is
//   missing, as when Signal starts requiring something new): the notice
//   says so and says to update the bridge and send `link` again;
// - Signal refuses the linked device with 499 (it lacks spqr, as devices
//   linked by old releases do once SPQR is required): the notice says so,
//   and sending `link` again really links a new device.
// The phone removing the device (close 3000) is in bridge_more.js.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { Homeserver } = require('./mxhs_harness.js');
const { startSandbox, decodeQr } = require('../../sandbox/sandbox.js');
const { BOT, bridgeConfig, client, messages, until } = require('./bridge_lib.js');

let hs;
let sb;
let alice;
let botRoom;

const said = (re) => messages(alice, botRoom, BOT).some((e) => re.test(e.getContent().body));
const notices = () => messages(alice, botRoom, BOT).map((e) => e.getContent());

// Send `link`, hand the QR code to the phone; resolves when the phone has
// scanned (the link itself may then be refused).
async function scanNewQr() {
  const before = messages(alice, botRoom, BOT).length;
  await alice.sendTextMessage(botRoom, 'link');
  const img = await until(() => messages(alice, botRoom, BOT).slice(before)
    .find((e) => e.getContent().msgtype === 'm.image'), 'the QR code', 30000);
  const [server, id] = img.getContent().url.slice(6).split('/');
  const res = await fetch(`${hs.base}/_matrix/client/v1/media/download/${server}/${id}`,
                          { headers: { Authorization: `Bearer ${alice.getAccessToken()}` } });
  const url = decodeQr(Buffer.from(await res.arrayBuffer()));
  // a refused link never completes on the mock's side: do not wait for it
  sb.scan(url).catch(() => {});
  return before;
}

test.before(async () => {
  sb = await startSandbox({});
  assert.ok(sb.mock.rules, 'the sandbox runs with production rules');
  hs = new Homeserver();
  fs.writeFileSync(hs.config, bridgeConfig(hs.dir,
    `      signal: {server: "${sb.url}", ca_file: "${sb.ca}", trust_root: "${sb.trustRoot}"}`));
  await hs.start();
  assert.equal(hs.registerUser('alice', 'pw-alice').status, 0);
  alice = await client(hs, 'alice');
  ({ room_id: botRoom } = await alice.createRoom({ preset: 'trusted_private_chat', is_direct: true, invite: [BOT] }));
  await until(() => messages(alice, botRoom, BOT)[0], 'the welcome message');
});

test.after(async () => {
  if (alice) alice.stopClient();
  if (hs) { await hs.stop(); hs.cleanup(); }
  if (sb) await sb.close();
});

test('a link refused with 409: the bot says why and what to do', async () => {
  // Signal starts to require a capability this bridge does not declare
  sb.mock.rules.capabilities.someFutureCapability = { preventDowngrade: false, requireForNewDevices: true };
  try {
    await scanNewQr();
    await until(() => said(/^Signal refused to link this bridge/), 'the 409 notice', 60000);
  } finally {
    delete sb.mock.rules.capabilities.someFutureCapability;
  }
  const n = notices().find((c) => /^Signal refused to link this bridge/.test(c.body));
  assert.equal(n.msgtype, 'm.notice');
  assert.match(n.body, /missing device capability/);
  assert.match(n.body, /update the bridge, then send `link` again/);
  assert.ok(sb.mock.rules.refusals.some((r) => r.status === 409), 'the mock refused it with 409');
  // and the advice works once the bridge declares what Signal requires
  await scanNewQr();
  await until(() => said(/^Successfully logged in as/), 'linked', 60000);
});

test('a device Signal refuses with 499: the bot says why, and `link` links again', async () => {
  if (!sb.device) { // the test before did not leave us linked
    const before = messages(alice, botRoom, BOT).length;
    await scanNewQr();
    await until(() => messages(alice, botRoom, BOT).slice(before)
      .some((e) => /^Successfully logged in as/.test(e.getContent().body)), 'linked', 60000);
  }
  const old = sb.device;
  old.capabilities = {}; // as if linked by a release without spqr
  sb.mock.destroySockets(); // the bridge reconnects and is refused
  await until(() => said(/^Signal no longer accepts this version of the bridge/), 'the 499 notice', 60000);
  const n = notices().find((c) => /^Signal no longer accepts/.test(c.body));
  assert.equal(n.msgtype, 'm.notice');
  assert.match(n.body, /update the bridge, then send `link` again/);
  assert.ok(sb.mock.rules.refusals.some((r) => r.status === 499), 'the mock refused it with 499');
  const before = messages(alice, botRoom, BOT).length;
  await scanNewQr();
  await until(() => messages(alice, botRoom, BOT).slice(before)
    .some((e) => /^Successfully logged in as/.test(e.getContent().body)), 'linked again', 60000);
  assert.notEqual(sb.device.deviceId, old.deviceId, 'a new device');
});
