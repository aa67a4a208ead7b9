'use strict';
// 1:1 sends go sealed (sealed sender v1) when we hold the contact's
// profile key, as Signal's clients send them: signalmeow
// pkg/signalmeow/sending.go sendContent (the unauthenticated socket with
// the Unidentified-Access-Key header), Signal-Desktop
// ts/util/getSendOptions.preload.ts and ts/textsecure/OutgoingMessage.ts
// doSendMessage (a USMC with our sender certificate, envelope type
// UNIDENTIFIED_SENDER). Signal-Server's MessageController.sendMessage
// answers 401 for a wrong key (OptionalAccess.verify); the client then
// sends the message again with its credentials (Desktop doSendMessage,
// signalmeow sendContent) and keeps sending identified while the key stays
// the same (Desktop handleMessageSend.preload.ts: sealedSender DISABLED,
// back to UNKNOWN on a new profile key, ts/models/conversations.ts
// setProfileKey). Sends to our own devices stay identified.
//
// What the contact receives is seen where the mock hands it to her
// libsignal (server.handleMessage: the envelope type) and at the mock's
// PUT /v1/messages (signal-multirecipient.js singles: authenticated or
// not, each message's type, the status).
const test = require('node:test');
const assert = require('node:assert');
const crypto = require('crypto');
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { sealedSenderDecryptToUsmc } = require('@signalapp/libsignal-client');
const { ProfileKey } = require('@signalapp/libsignal-client/zkgroup');
const { deriveAccessKey } = require('@signalapp/mock-server/src/crypto');
const { startMock } = require('../lib/signal-mock');
const { tmpDb, linkDevice } = require('./signalctl-lib');

const MOCK_DIR = path.dirname(require.resolve('@signalapp/mock-server/package.json'));
const ZK = JSON.parse(fs.readFileSync(path.join(MOCK_DIR, 'certs', 'zk-params.json'), 'utf8'));

function within(p, ms, what) {
  let t;
  return Promise.race([p, new Promise((_, rej) => {
    t = setTimeout(() => rej(new Error(`timeout waiting for ${what}`)), ms);
  })]).finally(() => clearTimeout(t));
}

// Every envelope the mock hands to `contact`: {type, timestamp, encrypted}.
function tap(mock, contact) {
  const seen = [];
  const handle = mock.server.handleMessage.bind(mock.server);
  mock.server.handleMessage = async (source, kind, type, target, encrypted, timestamp) => {
    if (target === contact.device) seen.push({ type, timestamp: Number(timestamp), encrypted: Buffer.from(encrypted) });
    return handle(source, kind, type, target, encrypted, timestamp);
  };
  return seen;
}

function dbCount(db, sql) {
  const out = execFileSync('/usr/bin/python3', ['-c',
    'import sqlite3,sys;c=sqlite3.connect(sys.argv[1]);print(c.execute(sys.argv[2]).fetchone()[0])', db, sql]);
  return Number(out.toString());
}

async function until(pred, what, ms = 20000) {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timeout waiting for ${what}`);
    // eslint-disable-next-line no-await-in-loop
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Alice, a contact whose first message carries her profile key; our
// device linked to `phone`, with our sender certificate.
async function setup(mock) {
  const alice = await mock.server.createPrimaryDevice({ profileName: 'Alice' });
  const phone = await mock.server.createPrimaryDevice({ profileName: 'Myself', contacts: [alice] });
  const seen = tap(mock, alice);
  const db = tmpDb();
  const r = await linkDevice(mock, phone, db, [], [alice]);
  const hello = Date.now();
  await alice.sendText(r.device, 'hello', { withProfileKey: true, timestamp: hello });
  await r.ctl.waitFor((e) => e.event === 'message' && e.body === 'hello', 20000, 'hello');
  await until(() => dbCount(db, `SELECT count(*) FROM record WHERE kind = 'profile_key' AND key = '${alice.device.aci}'`) === 1 &&
                    dbCount(db, "SELECT count(*) FROM record WHERE kind = 'account' AND key = 'sender_cert'") === 1,
              "alice's profile key and our sender certificate");
  return { alice, phone, r, seen, db, hello };
}

// One command whose send_started is the n-th; its send_done.
async function sendCmd(ctl, line) {
  const n = ctl.events.filter((e) => e.event === 'send_started').length;
  ctl.send(line);
  const started = (await ctl.waitCount((e) => e.event === 'send_started', n + 1, 10000, 'send_started'))[n];
  assert.strictEqual(started.code, 0, JSON.stringify(started));
  return started;
}

async function sendText(ctl, to, text) {
  const started = await sendCmd(ctl, `send ${to} ${text}`);
  const done = await ctl.waitFor((e) => e.event === 'send_done' && e.timestamp === started.timestamp,
                                 20000, `send_done of ${text}`);
  assert.strictEqual(done.code, undefined, JSON.stringify(done));
  return started.timestamp;
}

// Our PUTs to `aci` since `from`, once the mock answered them all.
async function puts(mock, aci, from) {
  const list = mock.multiRecipient.singles.slice(from).filter((s) => s.serviceId === aci);
  await until(() => list.every((s) => s.status !== 0), 'the answers to our requests');
  return list.map((s) => ({ authenticated: s.authenticated, status: s.status, types: s.types }));
}

test('a message, a reaction, typing and a receipt go sealed; our own devices identified', async () => {
  const mock = await startMock();
  let ctl;
  try {
    const { alice, phone, r, seen, hello } = await setup(mock);
    ({ ctl } = r);
    const aci = alice.device.aci;
    let from = mock.multiRecipient.singles.length;

    const ts = await sendText(ctl, aci, 'sealed hi');
    const got = await within(alice.waitForMessage(), 20000, 'the message');
    assert.strictEqual(got.body, 'sealed hi');
    assert.strictEqual(got.source.aci, phone.device.aci, 'the certificate inside names our account');
    assert.strictEqual(Number(got.dataMessage.timestamp), ts);
    // exactly one envelope of it, sealed (the server learned no sender)
    assert.deepStrictEqual(seen.filter((s) => s.timestamp === ts).map((s) => s.type), ['SealedSender']);
    assert.deepStrictEqual(await puts(mock, aci, from), [{ authenticated: false, status: 200, types: [6] }]);
    // the transcript to our phone went identified and says "sealed"
    const sent = await within(phone.waitForSyncMessage((e) => e.syncMessage.content?.sent?.message?.body === 'sealed hi'),
                              20000, 'the transcript');
    const st = sent.syncMessage.content.sent.unidentifiedStatus;
    assert.deepStrictEqual(st.map((u) => [u.destinationServiceId, u.unidentified]), [[aci, true]]);
    const own = mock.multiRecipient.singles.slice(from).filter((s) => s.serviceId === phone.device.aci);
    assert.ok(own.length >= 1 && own.every((s) => s.authenticated && !s.types.includes(6)),
              `to our own devices identified: ${JSON.stringify(own)}`);

    // a reaction to her message
    from = mock.multiRecipient.singles.length;
    const re = await sendCmd(ctl, `react ${aci} 👍 ${aci} ${hello}`);
    const reaction = await within(alice.waitForMessage(), 20000, 'the reaction');
    assert.strictEqual(reaction.dataMessage.reaction?.emoji, '👍');
    assert.strictEqual(Number(reaction.dataMessage.reaction.targetSentTimestamp), hello);
    assert.strictEqual(reaction.source.aci, phone.device.aci);
    assert.deepStrictEqual(seen.filter((s) => s.timestamp === re.timestamp).map((s) => s.type), ['SealedSender']);
    assert.deepStrictEqual(await puts(mock, aci, from), [{ authenticated: false, status: 200, types: [6] }]);

    // typing and a read receipt: sealed too (Desktop sendTypingMessage,
    // #sendReceiptMessage; signalmeow sendContent)
    from = mock.multiRecipient.singles.length;
    await sendCmd(ctl, `typing ${aci} 1`);
    await sendCmd(ctl, `receipt ${aci} 2 ${hello}`);
    const receipt = await within(alice.waitForReceipt(), 20000, 'the receipt');
    assert.deepStrictEqual(receipt.receiptMessage.timestamp.map(Number), [hello]);
    await until(() => mock.multiRecipient.singles.slice(from).filter((s) => s.serviceId === aci).length >= 2,
                'typing and receipt at the server');
    const p = await puts(mock, aci, from);
    assert.ok(p.length >= 2 && p.every((x) => !x.authenticated && x.status === 200 &&
                                         x.types.every((y) => y === 6)), JSON.stringify(p));
    assert.deepStrictEqual(mock.rules.refusals.filter((x) => x.rule === 'access key'), []);
  } finally {
    if (ctl) await ctl.stop();
    await mock.close();
  }
});

test('a wrong access key: the message arrives once, identified, and the next ones go identified', async () => {
  const mock = await startMock();
  let ctl;
  try {
    const { alice, r, seen, db } = await setup(mock);
    ({ ctl } = r);
    const aci = alice.device.aci;
    // her profile key changed; we still hold the old one
    alice.device.accessKey = crypto.randomBytes(16);
    let from = mock.multiRecipient.singles.length;
    const ts = await sendText(ctl, aci, 'refused key');
    const got = await within(alice.waitForMessage(), 20000, 'the message');
    assert.strictEqual(got.body, 'refused key');
    assert.strictEqual(Number(got.dataMessage.timestamp), ts);
    const mine = seen.filter((s) => s.timestamp === ts);
    assert.strictEqual(mine.length, 1, `delivered once: ${JSON.stringify(mine)}`);
    assert.notStrictEqual(mine[0].type, 'SealedSender');
    assert.deepStrictEqual((await puts(mock, aci, from)).map((x) => [x.authenticated, x.status]),
                           [[false, 401], [true, 200]]);
    assert.match(ctl.stderr, /access key refused \(401\), sending identified/);

    // remembered: the next message goes identified at once
    from = mock.multiRecipient.singles.length;
    const ts2 = await sendText(ctl, aci, 'still identified');
    assert.strictEqual((await within(alice.waitForMessage(), 20000, 'the next message')).body, 'still identified');
    assert.strictEqual(seen.filter((s) => s.timestamp === ts2).length, 1);
    assert.deepStrictEqual((await puts(mock, aci, from)).map((x) => [x.authenticated, x.status]), [[true, 200]]);

    // her new profile key reaches us: sealed again
    alice.profileKey = new ProfileKey(crypto.randomBytes(32));
    alice.device.accessKey = deriveAccessKey(alice.profileKey.serialize());
    await alice.sendText(r.device, 'my new key', { withProfileKey: true });
    await ctl.waitFor((e) => e.event === 'message' && e.body === 'my new key', 20000, 'her new key');
    const keyHex = Buffer.from(alice.profileKey.serialize()).toString('hex');
    await until(() => dbCount(db, `SELECT count(*) FROM record WHERE kind = 'profile_key' AND key = '${aci}' AND hex(value) = upper('${keyHex}')`) === 1,
                'her new profile key stored');
    from = mock.multiRecipient.singles.length;
    const ts3 = await sendText(ctl, aci, 'sealed again');
    assert.strictEqual((await within(alice.waitForMessage(), 20000, 'sealed again')).body, 'sealed again');
    assert.deepStrictEqual(seen.filter((s) => s.timestamp === ts3).map((s) => s.type), ['SealedSender']);
    assert.deepStrictEqual((await puts(mock, aci, from)).map((x) => [x.authenticated, x.status]), [[false, 200]]);
  } finally {
    if (ctl) await ctl.stop();
    await mock.close();
  }
});

test('no session and a wrong key: the bundle fetch is refused, the message arrives once, identified', async () => {
  const mock = await startMock();
  let ctl;
  try {
    const { alice, r, seen } = await setup(mock);
    ({ ctl } = r);
    const aci = alice.device.aci;
    alice.device.accessKey = crypto.randomBytes(16);
    ctl.send(`forget ${aci}`);
    await ctl.waitFor((e) => e.event === 'forgot', 10000, 'forgot');
    const from = mock.multiRecipient.singles.length;
    const ts = await sendText(ctl, aci, 'fresh session');
    const got = await within(alice.waitForMessage(), 20000, 'the message');
    assert.strictEqual(got.body, 'fresh session');
    const mine = seen.filter((s) => s.timestamp === ts);
    assert.deepStrictEqual(mine.map((s) => s.type), ['PreKey'], 'once, identified, on a new session');
    // Signal-Server refuses the bundles without the right key (the rule in
    // signal-prodrules.js); the client fetched them again with credentials
    assert.ok(mock.rules.refusals.some((x) => x.rule === 'access key' && x.detail.includes(aci)),
              JSON.stringify(mock.rules.refusals));
    assert.deepStrictEqual((await puts(mock, aci, from)).map((x) => [x.authenticated, x.status]), [[true, 200]]);
  } finally {
    if (ctl) await ctl.stop();
    await mock.close();
  }
});

// signalmeow's sendRetryRequest (pkg/signalmeow/retry.go) sends the
// DecryptionErrorMessage through sendContent, sealed when it can: a USMC
// of type plaintext in an UNIDENTIFIED_SENDER envelope.
test('a retry request to a contact whose profile key we hold goes sealed', async () => {
  const mock = await startMock();
  let ctl;
  try {
    const { alice, r } = await setup(mock);
    ({ ctl } = r);
    const aci = alice.device.aci;
    await sendText(ctl, aci, 'reply'); // her session with us is confirmed
    assert.strictEqual((await within(alice.waitForMessage(), 20000, 'reply')).body, 'reply');
    ctl.send(`forget ${aci}`);
    await ctl.waitFor((e) => e.event === 'forgot', 10000, 'forgot');
    const from = mock.multiRecipient.singles.length;
    const ts = Date.now();
    await alice.sendText(r.device, 'undecryptable', { timestamp: ts });
    await ctl.waitFor((e) => e.event === 'decrypt_failed', 20000, 'decrypt_failed');
    const dem = await within(alice.waitForDecryptionError(), 20000, 'the retry request');
    assert.strictEqual(Number(dem.timestamp), ts);
    assert.strictEqual(dem.senderDevice, r.linked.device);
    const p = await puts(mock, aci, from);
    assert.deepStrictEqual(p, [{ authenticated: false, status: 200, types: [6] }]);
  } finally {
    if (ctl) await ctl.stop();
    await mock.close();
  }
});

// Fewer than two members can take our sender key (here the group has one
// other member), so the group message goes 1:1 (Desktop sendToGroup: "Not
// enough recipients for Sender Key message" → sendGroupProto with
// getSendOptions' access keys and the groupId): sealed, with the group in
// the USMC.
test("a group's 1:1 copy goes sealed with the group's id in the USMC", async () => {
  const mock = await startMock();
  let ctl;
  try {
    const alice = await mock.server.createPrimaryDevice({ profileName: 'Alice' });
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Me', contacts: [alice] });
    const seen = tap(mock, alice);
    const db = tmpDb();
    const r = await linkDevice(mock, phone, db, ['--server-params', ZK.publicParams], [alice]);
    ({ ctl } = r);
    const group = await phone.createGroup({ title: 'Just us', members: [phone, alice] });
    const gid = Buffer.from(group.id, 'base64');
    await alice.sendText(r.device, 'alice here', { group, withProfileKey: true });
    await ctl.waitFor((e) => e.event === 'group_updated' && e.group_id === gid.toString('hex'), 20000, 'group_updated');
    await ctl.waitFor((e) => e.event === 'message' && e.body === 'alice here', 20000, "alice's message");
    await until(() => dbCount(db, `SELECT count(*) FROM record WHERE kind = 'profile_key' AND key = '${alice.device.aci}'`) === 1 &&
                      dbCount(db, "SELECT count(*) FROM record WHERE kind = 'account' AND key = 'sender_cert'") === 1,
                "alice's profile key and our sender certificate");
    const from = mock.multiRecipient.singles.length;
    const started = await sendCmd(ctl, `send-group ${group.id} one by one`);
    await ctl.waitFor((e) => e.event === 'send_done' && e.timestamp === started.timestamp, 20000, 'send_done');
    assert.strictEqual((await within(alice.waitForMessage(), 20000, "alice's copy")).body, 'one by one');
    assert.deepStrictEqual(mock.multiRecipient.requests, [], 'no multi-recipient send');
    const mine = seen.filter((s) => s.timestamp === started.timestamp);
    assert.deepStrictEqual(mine.map((s) => s.type), ['SealedSender']);
    const usmc = await sealedSenderDecryptToUsmc(mine[0].encrypted, alice.identity.get('ACI'));
    assert.deepStrictEqual(Buffer.from(usmc.groupId()), gid, "the group's id in the USMC");
    assert.deepStrictEqual((await puts(mock, alice.device.aci, from)).map((x) => [x.authenticated, x.status]),
                           [[false, 200]]);
  } finally {
    if (ctl) await ctl.stop();
    await mock.close();
  }
});
