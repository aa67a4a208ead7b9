// What a person saw trying the bridge with nheko (issue #13 item 5), with a
// real Matrix client (matrix-js-sdk) on mxhs and Signal's mock server:
// - the QR code stayed in the bot room after linking: its messages are now
//   redacted when Signal replaces the code and when the link is done, as
//   mautrix bridges do (mautrix/go bridgev2/commands/login.go);
// - a plain DataMessage from the user's own account (the sandbox's
//   `phone <text>`) made a DM with a nameless ghost of the user: it now
//   goes to Note to Self, as the user, as in Signal's apps;
// - a DM whose contact has neither name nor number had no room name, so
//   clients showed "X and 2 others": it is now named after the ghost.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { Homeserver } = require('./mxhs_harness.js');
const { startSandbox } = require('../../sandbox/sandbox.js');
const { BOT, SERVER, bridgeConfig, client, messages, until } = require('./bridge_lib.js');

let hs;
let sb;
let me;
let botRoom;
const T = 60000;

function dbRows(sql) {
  const db = path.join(hs.dir, 'signalbridge', 'signalbridge.db');
  const out = execFileSync('/usr/bin/python3', ['-c',
    'import json,sqlite3,sys;c=sqlite3.connect(sys.argv[1]);print(json.dumps(c.execute(sys.argv[2]).fetchall()))',
    db, sql]);
  return JSON.parse(out.toString());
}

// The message with this body, in whatever room it landed.
function findText(body) {
  for (const r of me.getRooms()) {
    const ev = messages(me, r.roomId).find((e) => e.getContent().body === body);
    if (ev) return ev;
  }
  return undefined;
}

test.before(async () => {
  sb = await startSandbox({});
  assert.ok(sb.mock.rules, 'the sandbox runs with production rules');
  hs = new Homeserver();
  fs.writeFileSync(hs.config, bridgeConfig(hs.dir, `      link_timeout: 300
      signal: {server: "${sb.url}", ca_file: "${sb.ca}", trust_root: "${sb.trustRoot}"}`));
  await hs.start();
  assert.equal(hs.registerUser('me', 'pw-me').status, 0);
  me = await client(hs, 'me');
  ({ room_id: botRoom } = await me.createRoom({ preset: 'trusted_private_chat', is_direct: true, invite: [BOT] }));
  await until(() => messages(me, botRoom, BOT)[0], 'the welcome message');
});

test.after(async () => {
  if (process.env.DUMP_HS_LOG && hs) console.log(hs.log);
  if (me) me.stopClient();
  if (hs) { await hs.stop(); hs.cleanup(); }
  if (sb) await sb.close();
});

test('the QR code is redacted when Signal replaces it and when the link is done', async () => {
  const before = messages(me, botRoom, BOT).length;
  const since = () => messages(me, botRoom, BOT).slice(before);
  const isImage = (e) => e.getContent().msgtype === 'm.image';
  const linkIn = (e) => /sgnl:\/\/linkdevice\?\S+/.exec(e.getContent().body || '');
  await me.sendTextMessage(botRoom, 'link');
  const img1 = await until(() => since().find(isImage), 'the first QR code', 30000);
  const text1 = await until(() => since().find(linkIn), 'the first link as text', 30000);

  await sb.mock.rules.expireProvisioning(); // as Signal's 90 s timer does
  const img2 = await until(() => since().find((e) => isImage(e) && e !== img1), 'a new QR code', 30000);
  const text2 = await until(() => since().find((e) => linkIn(e) && e !== text1), 'the new link as text', 30000);
  await until(() => img1.isRedacted() && text1.isRedacted(), 'the old QR code and its link redacted', 30000);
  assert.equal(img2.isRedacted(), false, 'the new code stays while it is valid');
  assert.equal(text2.isRedacted(), false);
  assert.equal(img1.getUnsigned().redacted_because?.sender, BOT, 'the bot redacted it');

  await sb.scan(linkIn(text2)[0]);
  const ok = await until(() => since().find((e) => /^Successfully logged in as/.test(e.getContent().body)),
                         'the success message', T);
  await until(() => img2.isRedacted() && text2.isRedacted(), 'the used QR code and its link redacted', 30000);
  assert.equal(ok.isRedacted(), false, 'the success message stays');
  assert.ok(!since().some((e) => !e.isRedacted() && (isImage(e) || linkIn(e))), 'no QR code or link left');
});

test("a message from the user's own account (not a transcript) goes to Note to Self, as the user", async () => {
  const aci = sb.phone.device.aci;
  await sb.send('Phone', 'a note from my other device');
  const ev = await until(() => findText('a note from my other device'), 'the message in Matrix', T);
  const room = me.getRoom(ev.getRoomId());
  assert.equal(room.name, 'Note to Self', `it is in Note to Self, not in "${room.name}"`);
  assert.equal(ev.getSender(), me.getUserId(), 'sent as the user (double puppeting)');
  assert.equal(dbRows(`SELECT count(*) FROM br_portal WHERE chat_id = 'dm:${aci}'`)[0][0], 0,
               'no DM portal with the user themself');
  assert.ok(!me.getRooms().some((r) => r.getMember(`@signal_${aci}:${SERVER}`)), 'no ghost of the user');
});

test('a DM with a contact of no known name or number is named after their ghost', async () => {
  // a stranger (not among the phone's contacts) whose message carries no
  // profile key: the bridge learns neither a name nor a number
  const dave = await sb.mock.server.createPrimaryDevice({ profileName: 'Dave Unknown' });
  await dave.addSingleUseKey(sb.device, await sb.device.popSingleUseKey());
  await dave.sendText(sb.device, 'hello from a stranger', { timestamp: Date.now() });
  const ghost = `@signal_${dave.device.aci}:${SERVER}`;
  const ev = await until(() => findText('hello from a stranger'), "the stranger's message", T);
  assert.equal(ev.getSender(), ghost);
  const room = me.getRoom(ev.getRoomId());
  const shown = room.getMember(ghost)?.name;
  assert.ok(shown, 'the ghost has a display name');
  const named = await until(() => room.currentState.getStateEvents('m.room.name', '')?.getContent().name,
                            'the room name', 30000).catch(() => undefined);
  assert.equal(named, shown, 'the DM is named after the ghost, not computed from its members');
  assert.equal(room.name, shown, 'clients show the ghost\'s name, not "X and 2 others"');
});
