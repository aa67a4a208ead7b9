// A Matrix message and reaction in a DM reach the Signal contact sealed
// (sealed sender v1: the unauthenticated socket, the contact's access key,
// envelope type UNIDENTIFIED_SENDER) once the contact's profile key is
// known, as Signal's clients send 1:1 messages (signalmeow
// pkg/signalmeow/sending.go sendContent; Signal-Desktop
// ts/util/getSendOptions.preload.ts, ts/textsecure/OutgoingMessage.ts
// doSendMessage). A wrong access key (Signal-Server MessageController
// sendMessage answers 401) still delivers the message once, identified.
// A real Matrix client (matrix-js-sdk) on mxhs with signalbridge.so and
// Signal's own mock server, whose contact Bob decrypts what arrives.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { until, messages, startDmSuite, stopDmSuite } = require('./bridge_lib.js');
const C = require('./bridge_contact_lib.js');

let hs;
let sb;
let alice;
let dmRoom;
let bob;
let keyEvent;

const T = 60000;

function dbCount(sql) {
  const db = path.join(hs.dir, 'signalbridge', 'signalbridge.db');
  return Number(execFileSync('/usr/bin/python3', ['-c',
    'import sqlite3,sys;c=sqlite3.connect(sys.argv[1]);print(c.execute(sys.argv[2]).fetchone()[0])',
    db, sql]).toString());
}

// Our PUT /v1/messages to Bob from index `from` on, once all are answered.
async function putsToBob(from) {
  const list = () => sb.mock.multiRecipient.singles.slice(from).filter((s) => s.serviceId === bob.device.aci);
  await until(() => list().length > 0 && list().every((s) => s.status !== 0), 'our requests to Bob answered', T);
  return list();
}

// Alice writes `body` in the DM, then a marker: the marker's arrival means
// any second copy of `body` would have arrived too (one chat's sends go
// in order).
async function aliceSends(body) {
  await alice.sendMessage(dmRoom, { msgtype: 'm.text', body });
  const marker = `after ${body}`;
  await alice.sendMessage(dmRoom, { msgtype: 'm.text', body: marker });
  await until(() => sb.received.some((m) => m.to === 'Bob' && m.body === marker), marker, T);
  return sb.received.filter((m) => m.to === 'Bob' && m.body === body);
}

test.before(async () => {
  ({ sb, bob, hs, alice, dmRoom } = await startDmSuite(T));
  // Bob's message carries his profile key, as every DataMessage of
  // Signal's apps does
  await C.sendData(sb, bob, { body: 'my key', profileKey: bob.profileKey.serialize() });
  keyEvent = await until(() => messages(alice, dmRoom).find((e) => e.getContent().body === 'my key'), 'my key', T);
  await until(() => dbCount(`SELECT count(*) FROM record WHERE kind = 'profile_key' AND key = '${bob.device.aci}'`) === 1 &&
                    dbCount("SELECT count(*) FROM record WHERE kind = 'account' AND key = 'sender_cert'") === 1,
              "Bob's profile key and our sender certificate", T);
});

test.after(() => stopDmSuite({ hs, alice, sb }));

test('a Matrix message and reaction reach the contact sealed, exactly once', { timeout: 120000 }, async () => {
  let from = sb.mock.multiRecipient.singles.length;
  const got = await aliceSends('sealed from matrix');
  assert.equal(got.length, 1, 'exactly once');
  const puts = await putsToBob(from);
  assert.ok(puts.every((s) => !s.authenticated && s.status === 200 && s.types.every((t) => t === 6)),
            `sealed, unauthenticated: ${JSON.stringify(puts)}`);
  assert.equal(sb.mock.rules.refusals.filter((r) => r.rule === 'access key').length, 0);

  from = sb.mock.multiRecipient.singles.length;
  const rfrom = sb.received.length;
  await alice.sendEvent(dmRoom, 'm.reaction', {
    'm.relates_to': { rel_type: 'm.annotation', event_id: keyEvent.getId(), key: '❤️' } });
  const r = await until(() => C.receivedBy(sb, 'Bob', (d) => d.reaction, rfrom), 'the reaction', T);
  assert.equal(r.dataMessage.reaction.emoji, '❤️');
  const rputs = await putsToBob(from);
  assert.ok(rputs.every((s) => !s.authenticated && s.status === 200 && s.types.every((t) => t === 6)),
            `sealed, unauthenticated: ${JSON.stringify(rputs)}`);
});

// Last: Bob's access key no longer matches the profile key we hold.
test('a refused access key: the message still arrives exactly once, identified', { timeout: 120000 }, async () => {
  bob.device.accessKey = crypto.randomBytes(16);
  const from = sb.mock.multiRecipient.singles.length;
  const got = await aliceSends('key refused');
  assert.equal(got.length, 1, 'exactly once');
  const puts = await putsToBob(from);
  assert.deepEqual([puts[0].authenticated, puts[0].status], [false, 401], JSON.stringify(puts));
  assert.ok(puts.slice(1).every((s) => s.authenticated && s.status === 200), JSON.stringify(puts));
  assert.equal(puts.filter((s) => !s.authenticated).length, 1, 'the refused key is not tried again');
});
