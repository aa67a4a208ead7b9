// A QR code that Signal expires before the user scans it (issue #11):
// Signal-Server closes a provisioning socket after 90 s
// (ProvisioningConnectListener), and the sandbox's production-rules mode
// does the same (here on demand, rules.expireProvisioning(), so that no
// test waits 90 s or depends on a clock). The bot posts a new QR code for
// a new link URL, and the phone scanning that one links; with a
// link_timeout above 90 s the notice says a new code will follow.
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

async function qrUrl(img) {
  const [server, id] = img.getContent().url.slice(6).split('/');
  const res = await fetch(`${hs.base}/_matrix/client/v1/media/download/${server}/${id}`,
                          { headers: { Authorization: `Bearer ${alice.getAccessToken()}` } });
  assert.equal(res.status, 200);
  return decodeQr(Buffer.from(await res.arrayBuffer()));
}

test.before(async () => {
  sb = await startSandbox({});
  assert.ok(sb.mock.rules, 'the sandbox runs with production rules');
  hs = new Homeserver();
  fs.writeFileSync(hs.config, bridgeConfig(hs.dir, `      link_timeout: 300
      signal: {server: "${sb.url}", ca_file: "${sb.ca}", trust_root: "${sb.trustRoot}"}`));
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

test('Signal expires the QR code: the bot posts a new one, and scanning it links', async () => {
  const before = messages(alice, botRoom, BOT).length;
  await alice.sendTextMessage(botRoom, 'link');
  const images = () => messages(alice, botRoom, BOT).slice(before)
    .filter((e) => e.getContent().msgtype === 'm.image');
  const first = await until(() => images()[0], 'the first QR code', 30000);
  const text = await until(() => messages(alice, botRoom, BOT).slice(before)
    .find((e) => /sgnl:\/\/linkdevice\?/.test(e.getContent().body)), 'the link as text', 30000);
  assert.match(text.getContent().body, /expires in about 90 seconds; I then post a new one, for about 300 seconds/);
  const url1 = await qrUrl(first);

  await sb.mock.rules.expireProvisioning(); // as Signal's 90 s timer does
  // (the first is redacted once the second is posted: its content is gone)
  const second = await until(() => images().find((e) => e !== first), 'a new QR code', 30000);
  const url2 = await qrUrl(second);
  assert.notEqual(url2, url1, 'the new code carries a new link');
  assert.ok(!messages(alice, botRoom, BOT).slice(before).some((e) => /Linking failed/.test(e.getContent().body)),
            'no failure notice for an expired code');

  await sb.scan(url2);
  const human = sb.number.replace(/^\+1(\d{3})(\d{3})(\d{4})$/, '+1 $1-$2-$3');
  await until(() => messages(alice, botRoom, BOT).find((e) => e.getContent().body === `Successfully logged in as ${human}`),
              'the success message', 60000);
});
