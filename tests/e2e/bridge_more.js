// More of issue #6, with a real Matrix client on mxhs and the Signal sandbox:
// messages the user sends from the phone, the monthly limit of active Signal
// users, and the phone unlinking the bridge.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Homeserver } = require('./mxhs_harness.js');
const { startSandbox, decodeQr } = require('../../sandbox/sandbox.js');
const { BOT, SERVER, bridgeConfig, client, messages, until } = require('./bridge_lib.js');

let hs;
const sandboxes = [];
const clients = [];

function config(dir, sb) {
  return bridgeConfig(dir, `      max_signal_users: 1
      permissions: {"${SERVER}": user, "@boss:${SERVER}": admin}
      signal: {server: "${sb.url}", ca_file: "${sb.ca}", trust_root: "${sb.trustRoot}"}`);
}

function everywhere(c, body) {
  return c.getRooms().flatMap((r) => messages(c, r.roomId)).filter((e) => e.getContent().body === body);
}

// A Matrix user with a bot room; link() links them to a sandbox phone.
async function user(name) {
  assert.equal(hs.registerUser(name, `pw-${name}`).status, 0);
  const c = await client(hs, name);
  clients.push(c);
  const { room_id: botRoom } = await c.createRoom({ preset: 'trusted_private_chat', is_direct: true, invite: [BOT] });
  await until(() => messages(c, botRoom, BOT)[0], 'the welcome message');
  c.ask = async (text) => {
    const before = messages(c, botRoom, BOT).length;
    await c.sendTextMessage(botRoom, text);
    return (await until(() => messages(c, botRoom, BOT)[before], `the answer to '${text}'`, 30000)).getContent().body;
  };
  c.botSaid = (re) => messages(c, botRoom, BOT).some((e) => re.test(e.getContent().body));
  c.link = async (sb) => {
    const before = messages(c, botRoom, BOT).length;
    await c.sendTextMessage(botRoom, 'link');
    const img = await until(() => messages(c, botRoom, BOT).slice(before)
      .find((e) => e.getContent().msgtype === 'm.image'), 'the QR code', 30000);
    const [server, id] = img.getContent().url.slice(6).split('/');
    const res = await fetch(`${hs.base}/_matrix/client/v1/media/download/${server}/${id}`,
                            { headers: { Authorization: `Bearer ${c.getAccessToken()}` } });
    await sb.scan(decodeQr(Buffer.from(await res.arrayBuffer())));
    await until(() => c.botSaid(/^Successfully logged in as/), 'linked', 60000);
  };
  return c;
}

test.before(async () => {
  sandboxes.push(await startSandbox({}));
  hs = new Homeserver();
  fs.writeFileSync(hs.config, config(hs.dir, sandboxes[0]));
  await hs.start();
});

test.after(async () => {
  if (process.env.DUMP_HS_LOG) {
    console.log(hs.log);
    console.log(require('node:child_process').execFileSync('python3', ['-c',
      'import sqlite3,sys;c=sqlite3.connect(sys.argv[1])\nfor t in ("br_mgmt_room","br_portal","br_login"):\n print(t, c.execute("select * from "+t).fetchall())',
      path.join(hs.dir, 'signalbridge', 'signalbridge.db')]).toString());
  }
  for (const c of clients) c.stopClient();
  if (hs) { await hs.stop(); hs.cleanup(); }
  for (const sb of sandboxes) await sb.close();
});

test('a message the user sends from the phone appears in Matrix as the user', async () => {
  const sb = sandboxes[0];
  const alice = await user('alice');
  await alice.link(sb);
  await sb.fromPhone('Bob', 'written on my phone');
  const ev = await until(() => everywhere(alice, 'written on my phone')[0], 'the transcript', 60000);
  assert.equal(ev.getSender(), alice.getUserId(), 'sent as the user (double puppeting)');
});

test('the monthly limit: a second Signal user is refused with a notice', async () => {
  const sb1 = sandboxes[0];
  const alice = clients[0];
  // alice sends over the bridge: the one allowed active user this month
  await sb1.send('Alice', 'ping');
  const ping = await until(() => everywhere(alice, 'ping')[0], 'the ping', 60000);
  await alice.sendTextMessage(ping.getRoomId(), 'pong');
  await until(() => sb1.received.find((m) => m.to === 'Alice' && m.body === 'pong'), 'pong delivered', 60000)
    .catch((e) => {
      const seen = messages(alice, ping.getRoomId()).map((x) => `${x.getSender()}: ${x.getContent().body}`);
      throw new Error(`${e.message}; the room shows: ${JSON.stringify(seen)}; Alice got: ${JSON.stringify(sb1.received)}`);
    });

  // carol links a second phone on the same Signal server; her first message
  // would exceed the maximum
  const carol = await user('carol');
  const phone2 = await sb1.mock.server.createPrimaryDevice({ profileName: 'Carol', contacts: [sb1.contacts.Alice] });
  const sbCarol = { ...sb1, phone: phone2, device: null, received: [] };
  sbCarol.scan = async (url) => {
    const pending = await sb1.mock.server.waitForProvision();
    sbCarol.device = await pending.complete({ provisionURL: url, primaryDevice: phone2 });
    await phone2.addSingleUseKey(sbCarol.device, await sbCarol.device.popSingleUseKey());
    for (const kind of ['ACI', 'PNI']) {
      await sb1.contacts.Alice.addSingleUseKey(sbCarol.device, await sbCarol.device.popSingleUseKey(kind), kind);
    }
  };
  await carol.link(sbCarol);
  sb1.contacts.Alice.sendText(sbCarol.device, 'hi carol').catch(() => {});
  const hi = await until(() => everywhere(carol, 'hi carol')[0], 'carol receives', 60000);
  await carol.sendTextMessage(hi.getRoomId(), 'hello alice');
  const notice = await until(() => messages(carol, hi.getRoomId())
    .find((e) => /reached its limit of 1 Signal users this month/.test(e.getContent().body)), 'the limit notice', 30000);
  assert.equal(notice.getSender(), BOT);
  const boss = await user('boss');
  assert.match(await boss.ask('usage'), /Signal users active this month: 1 of at most 1\./);
});

test('the phone unlinks the bridge: the bot says so and how to relink', async () => {
  const alice = clients[0];
  await sandboxes[0].unlink();
  await until(() => alice.botSaid(/unlinked from your Signal account.*Send `link` to link again/), 'the unlink notice', 60000);
  assert.match(await alice.ask('status'), /Not linked to Signal/);
});
