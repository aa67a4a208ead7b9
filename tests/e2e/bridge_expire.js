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
