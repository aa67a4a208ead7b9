// Disappearing messages both ways and delivery receipts (issue #14 items 3
// and 4): a real Matrix client (matrix-js-sdk) on mxhs with signalbridge.so,
// and Signal's own mock server whose contact Bob sends real DataMessages
// with expireTimer and the EXPIRATION_TIMER_UPDATE flag (2), as Signal's
// apps do (Signal-Desktop protos/SignalService.proto). Timers are seconds
// long; the tests wait for events, never for time to pass, except where
// an expiry must fall while the bridge is stopped (then they wait for the
// stored expiry time, read from the database).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { Homeserver } = require('./mxhs_harness.js');
const { startSandbox } = require('../../sandbox/sandbox.js');
const { BOT, SERVER, bridgeConfig, client, messages, until, linkWithBot } = require('./bridge_lib.js');
const C = require('./bridge_contact_lib.js');
const { EMPTY_DATA_MESSAGE, ReceiptType } = require('@signalapp/mock-server');
const { ServiceId } = require('@signalapp/libsignal-client');

let hs;
let sb;
let alice;
let botRoom;
let dmRoom;
let bob;
let puppet;

const T = 60000;
const TIMER_UPDATE = 2; // DataMessage.Flags.EXPIRATION_TIMER_UPDATE
const STATE = 'com.beeper.disappearing_timer';

function config(dir) {
  return bridgeConfig(dir, `      permissions: {"${SERVER}": user}
      signal: {server: "${sb.url}", ca_file: "${sb.ca}", trust_root: "${sb.trustRoot}"}`);
}

function dbRows(sql) {
  const db = path.join(hs.dir, 'signalbridge', 'signalbridge.db');
  const out = execFileSync('/usr/bin/python3', ['-c',
    'import json,sqlite3,sys;c=sqlite3.connect(sys.argv[1]);print(json.dumps(c.execute(sys.argv[2]).fetchall()))',
    db, sql]);
  return JSON.parse(out.toString());
}

const timeline = (roomId) => { const r = alice.getRoom(roomId); return r ? r.getLiveTimeline().getEvents() : []; };
const byBody = (body) => timeline(dmRoom).find((e) => e.getType() === 'm.room.message' && e.getContent().body === body);
const redacted = (id) => alice.getRoom(dmRoom).findEventById(id)?.isRedacted();
const timerState = () => alice.getRoom(dmRoom)?.currentState.getStateEvents(STATE, '')?.getContent();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Bob sends a DataMessage to the linked device.
const bobSends = (fields, ts) => C.sendData(sb, bob, fields, ts);

// The user writes to Bob from the phone: a SyncMessage.Sent transcript.
async function phoneSends(fields) {
  const ts = Date.now();
  const sent = { destinationServiceIdBinary: ServiceId.parseFromServiceIdString(bob.device.aci).getServiceIdBinary(),
                 destinationServiceId: null, timestamp: BigInt(ts),
                 message: { ...EMPTY_DATA_MESSAGE, timestamp: BigInt(ts), ...fields } };
  await sb.phone.sendRaw(sb.device, { content: { syncMessage: { content: { sent } } }, pniSignatureMessage: null,
                                      senderKeyDistributionMessage: null }, { timestamp: ts });
  return ts;
}

const bobGot = (pred, from) => C.receivedBy(sb, 'Bob', pred, from);

async function aliceText(text) {
  const { event_id: eventId } = await alice.sendTextMessage(dmRoom, text);
  const got = await until(() => bobGot((d) => d.body === text), `Bob receives '${text}'`, T);
  return { eventId, ts: Number(got.dataMessage.timestamp), got };
}

test.before(async () => {
  sb = await startSandbox({});
  bob = sb.contacts.Bob;
  hs = new Homeserver();
  fs.writeFileSync(hs.config, config(hs.dir));
  await hs.start();
  assert.equal(hs.registerUser('alice', 'pw-alice').status, 0);
  alice = await client(hs, 'alice');
  botRoom = await linkWithBot(hs, sb, alice, T);
  await sb.send('Bob', 'hello alice', { timestamp: Date.now() });
  const first = await until(() => alice.getRooms().flatMap((r) => messages(alice, r.roomId))
    .find((e) => e.getContent().body === 'hello alice'), 'the first message', T);
  dmRoom = first.getRoomId();
  puppet = first.getSender();
});

test.after(async () => {
  if (process.env.DUMP_HS_LOG && hs) console.log(hs.log);
  if (alice) alice.stopClient();
  if (hs) { await hs.stop(); hs.cleanup(); }
  if (sb) await sb.close();
});

test("Bob sets a timer on Signal: the room's disappearing-timer state and a notice", async () => {
  await bobSends({ flags: TIMER_UPDATE, expireTimer: 3 });
  await until(() => timerState()?.timer === 3000, 'the com.beeper.disappearing_timer state', T);
  assert.deepEqual(timerState(), { type: 'after_read', timer: 3000 });
  const notice = await until(() => timeline(dmRoom).find((e) => e.getContent().msgtype === 'm.notice' &&
    /disappearing messages to 3 seconds/.test(e.getContent().body)), 'the notice', T);
  assert.equal(notice.getSender(), puppet, "the notice is Bob's");
});

test("Bob's message with a timer disappears in Matrix once the user read it", async () => {
  await bobSends({ body: 'this will vanish', expireTimer: 3 });
  const ev = await until(() => byBody('this will vanish'), 'the message', T);
  // stored, waiting for the user to read it: no countdown yet
  const row = await until(() => dbRows(`SELECT expire_s, expire_at, event_id FROM br_expire
    WHERE event_id = '${ev.getId()}'`)[0], 'its expiry row', T);
  assert.equal(row[0], 3);
  assert.equal(row[1], null, 'the countdown starts at reading');
  assert.ok(!redacted(ev.getId()));
  await alice.sendReadReceipt(ev);
  await until(() => redacted(ev.getId()), 'the message redacted after the timer', T);
  await until(() => dbRows(`SELECT 1 FROM br_expire WHERE event_id = '${ev.getId()}'`).length === 0,
              'its row gone', T);
});

test("Bob's disappearing message of two files and a caption: every one of its Matrix events is redacted", async () => {
  const files = [];
  for (const name of ['one.txt', 'two.txt']) {
    files.push(await C.cdnPointer(sb, Buffer.from(`the file ${name}`), { contentType: 'text/plain', fileName: name }));
  }
  await bobSends({ body: 'files that vanish', attachments: files, expireTimer: 3 });
  const caption = await until(() => byBody('files that vanish'), 'the caption', T);
  const evs = [];
  for (const name of ['one.txt', 'two.txt']) evs.push(await until(() => byBody(name), `the file ${name}`, T));
  evs.push(caption);
  await alice.sendReadReceipt(caption);
  for (const ev of evs) {
    await until(() => redacted(ev.getId()), `${ev.getContent().body || 'the event'} redacted after the timer`, T);
  }
  await until(() => dbRows(`SELECT 1 FROM br_expire e JOIN br_inbox i USING (owner_mxid, sender, ts)
    WHERE i.body = 'files that vanish'`).length === 0, 'its row gone once all are redacted', T);
});

test("Bob's disappearing message of two photos without a caption: both are redacted", async () => {
  const pics = [];
  for (const name of ['a.png', 'b.png']) {
    pics.push(await C.cdnPointer(sb, Buffer.from(`not really ${name}`), { contentType: 'application/octet-stream', fileName: name }));
  }
  await bobSends({ attachments: pics, expireTimer: 3 });
  const evs = [];
  for (const name of ['a.png', 'b.png']) evs.push(await until(() => byBody(name), `the file ${name}`, T));
  await alice.sendReadReceipt(evs[1]);
  for (const ev of evs) {
    await until(() => redacted(ev.getId()), `${ev.getContent().body} redacted after the timer`, T);
  }
});

test("the user's own message from the phone disappears from its sending, unread", async () => {
  const from = sb.received.length;
  await phoneSends({ body: 'mine, vanishing', expireTimer: 2 });
  const ev = await until(() => byBody('mine, vanishing'), 'the transcript', T);
  assert.equal(ev.getSender(), alice.getUserId(), 'posted as the user (double puppeting)');
  await until(() => redacted(ev.getId()), 'the own message redacted', T);
  // redacted as the user, but marked: not sent to Signal as a delete
  await aliceText('after my message disappeared');
  assert.equal(bobGot((d) => d.delete, from), undefined, 'no delete for everyone sent to Signal');
});

test('an expiry survives a restart: a message due while the bridge was down is redacted at start', async () => {
  await phoneSends({ body: 'expires while stopped', expireTimer: 15 });
  const ev = await until(() => byBody('expires while stopped'), 'the transcript', T);
  const [[at]] = await until(() => {
    const r = dbRows(`SELECT expire_at FROM br_expire WHERE event_id = '${ev.getId()}'`);
    return r.length ? r : null;
  }, 'its expiry row', T);
  alice.stopClient();
  await hs.stop();
  assert.equal(dbRows(`SELECT COUNT(*) FROM br_expire WHERE event_id = '${ev.getId()}'`)[0][0], 1,
               'not redacted before the stop (the timer is 15 s)');
  // wait for the stored expiry time to pass while the bridge is down
  while (Date.now() <= at + 100) await sleep(Math.max(50, at + 100 - Date.now()));
  await hs.start();
  alice = await client(hs, 'alice');
  await until(() => alice.getRoom(dmRoom)?.findEventById(ev.getId())?.isRedacted(), 'redacted after the restart', T);
});

test('`!signal disappearing 5s` in the portal sends the timer to Signal; later texts carry it', async () => {
  const from = sb.received.length;
  await alice.sendTextMessage(dmRoom, '!signal disappearing 5s');
  const upd = await until(() => bobGot((d) => (d.flags & TIMER_UPDATE) !== 0, from), 'the timer change at Bob', T);
  assert.equal(upd.dataMessage.expireTimer, 5);
  assert.ok(!upd.dataMessage.body, 'a timer change has no body');
  await until(() => timerState()?.timer === 5000, 'the state event follows', T);
  const { got, eventId } = await aliceText('this text carries the timer');
  assert.equal(got.dataMessage.expireTimer, 5);
  // the phone deletes it after 5 s; so does Matrix
  await until(() => redacted(eventId), 'the text from Matrix redacted after its timer', T);
  assert.equal(bobGot((d) => d.body === '!signal disappearing 5s', from), undefined, 'the command is not sent as text');
  await alice.sendTextMessage(dmRoom, '!signal disappearing off');
  const off = await until(() => bobGot((d) => (d.flags & TIMER_UPDATE) !== 0 && !d.expireTimer, from),
                          'the timer turned off at Bob', T);
  assert.ok(off);
  await until(() => timerState() && Object.keys(timerState()).length === 0, 'the state event is {} when off', T);
  const after = await aliceText('no timer any more');
  assert.ok(!after.got.dataMessage.expireTimer, 'no expireTimer once off');
});

test('a bad duration gets a usage notice and sends nothing', async () => {
  const from = sb.received.length;
  await alice.sendTextMessage(dmRoom, '!signal disappearing soon');
  await until(() => timeline(dmRoom).find((e) => e.getSender() === BOT && /^Usage: `!signal disappearing/.test(e.getContent().body)),
              'the usage notice', T);
  await aliceText('after the bad command');
  assert.equal(bobGot((d) => (d.flags & TIMER_UPDATE) !== 0 || /disappearing soon/.test(d.body || ''), from), undefined);
});

test("delivery receipts are not shown; Bob's read receipt is his ghost's read marker", async () => {
  const a = await aliceText('first, read by Bob');
  const b = await aliceText('second, only delivered');
  // delivery for the newer one first, then read for the older: receipts
  // are handled in order, so a delivery shown as a read would land first
  await bob.sendReceipt(sb.device, { type: ReceiptType.Delivery, messageTimestamps: [b.ts], timestamp: Date.now() });
  await bob.sendReceipt(sb.device, { type: ReceiptType.Read, messageTimestamps: [a.ts], timestamp: Date.now() });
  await until(() => alice.getRoom(dmRoom).getEventReadUpTo(puppet) === a.eventId, "the ghost's read receipt", T);
  const rcpt = alice.getRoom(dmRoom).getReceiptsForEvent(alice.getRoom(dmRoom).findEventById(b.eventId));
  assert.ok(!rcpt.some((r) => r.userId === puppet), 'no receipt from the ghost for the delivered message');
});

// ---- issue #14 item 3, the rest: implicit updates, expireTimerVersion,
// files. Signal's apps treat a 1:1 message whose expireTimer differs from
// the chat's as a timer change (Signal-Android messages/
// DataMessageProcessor.kt: handleExpirationUpdate as a side effect), send
// expireTimerVersion with the change and every message, and ignore a
// change of an older version (same file, "Old expireTimerVersion").
const stateHistory = () => timeline(dmRoom).filter((e) => e.getType() === STATE).map((e) => e.getContent().timer);

test("Bob's ordinary message with a different expireTimer changes the room's timer", async () => {
  const before = timerState()?.timer;
  assert.notEqual(before, 7000);
  await bobSends({ body: 'my app says 7 seconds', expireTimer: 7 });
  await until(() => byBody('my app says 7 seconds'), 'the message', T);
  await until(() => timerState()?.timer === 7000, 'the state follows the message\'s timer', T);
  const notice = await until(() => timeline(dmRoom).find((e) => e.getContent().msgtype === 'm.notice' &&
    /disappearing messages to 7 seconds/.test(e.getContent().body)), 'the notice', T);
  assert.equal(notice.getSender(), puppet, "the notice is Bob's");
});

test('timer changes carry expireTimerVersion both ways; an older version is ignored', async () => {
  const from = sb.received.length;
  await alice.sendTextMessage(dmRoom, '!signal disappearing 1w');
  const upd = await until(() => bobGot((d) => (d.flags & TIMER_UPDATE) !== 0 && d.expireTimer === 604800, from),
                          'the timer change at Bob', T);
  const v = upd.dataMessage.expireTimerVersion;
  assert.ok(v >= 2, `the change carries a version above the earlier changes' (got ${v})`);
  await until(() => timerState()?.timer === 604800000, 'the state event follows', T);
  const { got } = await aliceText('a text after the change');
  assert.equal(got.dataMessage.expireTimer, 604800);
  assert.equal(got.dataMessage.expireTimerVersion, v, 'every message carries the version');

  // Bob's app sends a change that crossed ours: an older version, ignored;
  // then a newer one (the barrier: handled in order), taken
  await bobSends({ flags: TIMER_UPDATE, expireTimer: 60, expireTimerVersion: v - 1 });
  await bobSends({ flags: TIMER_UPDATE, expireTimer: 7200, expireTimerVersion: v + 1 });
  await until(() => timerState()?.timer === 7200000, 'the newer change', T);
  assert.ok(!stateHistory().includes(60000), 'the older version never became the room\'s timer');
  const { got: next } = await aliceText('a text after Bob\'s change');
  assert.equal(next.dataMessage.expireTimer, 7200);
  assert.equal(next.dataMessage.expireTimerVersion, v + 1, 'the version Bob sent is ours now');
});

test('a file sent from Matrix carries the chat\'s timer like a text', async () => {
  const from = sb.received.length;
  await alice.sendTextMessage(dmRoom, '!signal disappearing 3h');
  await until(() => timerState()?.timer === 10800000, 'the timer set from Matrix', T);
  const bytes = Buffer.from('a file that disappears\n');
  const r = await hs.req('POST', '/_matrix/media/v3/upload?filename=vanish.txt',
                         { token: alice.getAccessToken(), raw: bytes, headers: { 'Content-Type': 'text/plain' } });
  assert.equal(r.status, 200, r.body.toString());
  await alice.sendMessage(dmRoom, { msgtype: 'm.file', body: 'vanish.txt', url: r.json.content_uri,
                                    info: { mimetype: 'text/plain', size: bytes.length } });
  const got = await until(() => bobGot((d) => (d.attachments || []).some((a) => a.fileName === 'vanish.txt'), from),
                          'the file at Bob', T);
  assert.equal(got.dataMessage.expireTimer, 10800, 'the file carries expireTimer');
  assert.ok(got.dataMessage.expireTimerVersion > 0, 'and the timer\'s version');
});
