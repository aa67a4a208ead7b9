'use strict';
// A contact's retry request to us (issue #11, item 7): Alice's phone could
// not decrypt a message of ours, so its libsignal makes a
// DecryptionErrorMessage from the very ciphertext it failed on
// (DecryptionErrorMessage.forOriginal) and sends it back as a
// PlaintextContent (envelope type 8). The client archives its session
// with Alice's device (the ratchet key is its current one), finds the
// message in its send log and sends the same Content with the same
// timestamp on a new session (a PreKey message), as Signal-Desktop's
// onRetryRequest (ts/util/handleRetry.ts) and signalmeow's
// handleRetryRequest (pkg/signalmeow/retry.go) do. A request for a
// timestamp we never sent gets a NullMessage on the new session.
// "Could not decrypt" is played by the mock server dropping the envelope
// before Alice's libsignal sees it (her session stays where it was).
const test = require('node:test');
const assert = require('node:assert');
const {
  DecryptionErrorMessage, PlaintextContent, CiphertextMessageType, CiphertextMessage,
  UnidentifiedSenderMessageContent, ContentHint, sealedSenderEncrypt, sealedSenderDecryptToUsmc,
} = require('@signalapp/libsignal-client');
const crypto = require('crypto');
const fs = require('fs');
const { execFileSync } = require('child_process');
const path = require('path');
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

// Watch what the mock server hands to `alice` (ciphertext, type, timestamp)
// and what her libsignal decrypts; drop envelopes while `drop` is set.
function tap(mock, alice) {
  const t = { drop: false, seen: [], decrypted: [], waiters: [] };
  const handle = mock.server.handleMessage.bind(mock.server);
  mock.server.handleMessage = async (source, kind, type, target, encrypted, timestamp) => {
    if (target === alice.device) {
      t.seen.push({ type, encrypted: Buffer.from(encrypted), timestamp: Number(timestamp),
        dropped: t.drop });
      if (t.drop) return undefined;
    }
    return handle(source, kind, type, target, encrypted, timestamp);
  };
  const decrypt = alice.decrypt.bind(alice);
  alice.decrypt = async (source, kind, type, encrypted) => {
    const r = await decrypt(source, kind, type, encrypted);
    t.decrypted.push({ type, content: r.content });
    t.waiters = t.waiters.filter((w) => !w());
    return r;
  };
  t.waitDecrypted = (pred, what) => within(new Promise((resolve) => {
    const check = () => {
      const hit = t.decrypted.find(pred);
      if (hit) resolve(hit);
      return !!hit;
    };
    if (!check()) t.waiters.push(check);
  }), 20000, what);
  return t;
}

// Alice's libsignal answers the ciphertext it "could not decrypt" with a
// retry request for `timestamp`, delivered to our device by the server:
// envelope type 8, or sealed (a USMC of type plaintext) when `sealed`.
async function retryRequest(mock, alice, ours, lost, timestamp, ourDeviceId, sealed = false) {
  let type = lost.type === 'PreKey' ? CiphertextMessageType.PreKey
    : CiphertextMessageType.Whisper;
  let original = lost.encrypted;
  if (lost.type === 'SealedSender') {
    // a group message sent with our sender key: the failed inner message is
    // a SenderKey message, as Desktop's requestResend names it
    // (ts/util/handleRetry.ts: cipherTextBytes/cipherTextType of the USMC)
    const usmc = await sealedSenderDecryptToUsmc(lost.encrypted, alice.identity.get('ACI'));
    type = usmc.msgType();
    original = Buffer.from(usmc.contents());
  }
  const dem = DecryptionErrorMessage.forOriginal(original, type, timestamp, ourDeviceId);
  if (type !== CiphertextMessageType.SenderKey) assert.ok(dem.ratchetKey(), 'a 1:1 message names its ratchet key');
  const ptc = PlaintextContent.from(dem);
  if (sealed) {
    const usmc = UnidentifiedSenderMessageContent.new(CiphertextMessage.from(ptc),
      alice.senderCertificate, ContentHint.Implicit, null);
    const bytes = await sealedSenderEncrypt(usmc, ours.address, alice.identity.get('ACI'));
    await mock.server.handleMessage(undefined, 'ACI', 'SealedSender', ours,
      Buffer.from(bytes), BigInt(Date.now()));
    return;
  }
  await mock.server.handleMessage(alice.device, 'ACI', 'Plaintext', ours,
    Buffer.from(ptc.serialize()), BigInt(Date.now()));
}

async function setup(mock, aliceLinked = false) {
  const alice = await mock.server.createPrimaryDevice({ profileName: 'Alice' });
  if (aliceLinked) await mock.server.createSecondaryDevice(alice);
  const phone = await mock.server.createPrimaryDevice({ profileName: 'Myself', contacts: [alice] });
  const t = tap(mock, alice);
  const r = await linkDevice(mock, phone, tmpDb(), [], [alice]);
  await alice.sendText(r.device, 'hello');
  await r.ctl.waitFor((e) => e.event === 'message' && e.body === 'hello', 20000, 'hello');
  r.ctl.send(`send ${alice.device.aci} first`);
  assert.strictEqual((await within(alice.waitForMessage(), 20000, 'first')).body, 'first');
  return { alice, r, t };
}

async function sendLost(r, t, alice, body) {
  t.drop = true;
  const n = r.ctl.events.filter((e) => e.event === 'send_started').length;
  r.ctl.send(`send ${alice.device.aci} ${body}`);
  const started = (await r.ctl.waitCount((e) => e.event === 'send_started', n + 1))[n];
  assert.strictEqual(started.code, 0);
  const ts = started.timestamp;
  await r.ctl.waitFor((e) => e.event === 'send_done' && e.timestamp === ts, 20000, 'send_done');
  t.drop = false;
  const lost = t.seen.find((s) => s.dropped && s.timestamp === ts);
  assert.ok(lost, 'the message reached the server and was lost');
  return { lost, ts };
}

async function resendCase(sealed, aliceLinked = false) {
  const mock = await startMock();
  let ctl;
  try {
    const { alice, r, t } = await setup(mock, aliceLinked);
    ctl = r.ctl;
    const { lost, ts } = await sendLost(r, t, alice, 'lost in transit');
    assert.strictEqual(lost.type, 'CipherText');
    const before = t.seen.length;
    await retryRequest(mock, alice, r.device, lost, ts, r.linked.device, sealed);
    const msg = await within(alice.waitForMessage(), 20000, 'the resent message');
    assert.strictEqual(msg.body, 'lost in transit');
    assert.strictEqual(Number(msg.dataMessage.timestamp), ts);
    const again = t.seen.slice(before).filter((s) => !s.dropped);
    assert.strictEqual(again.length, 1, 'one copy for her phone');
    assert.strictEqual(again[0].timestamp, ts, 'the envelope has the original timestamp');
    assert.strictEqual(again[0].type, 'PreKey', 'on a new session: the old one was archived');
    // and the new session carries on
    r.ctl.send(`send ${alice.device.aci} after`);
    assert.strictEqual((await within(alice.waitForMessage(), 20000, 'after')).body, 'after');
    // the send log is secret: neither the content nor who asked is logged
    assert.doesNotMatch(ctl.stderr, /lost in transit/);
    assert.ok(!ctl.stderr.includes(alice.device.aci), 'no ACI in the log');
    assert.match(ctl.stderr, /asked again/, 'the resend itself is logged');
  } finally {
    if (ctl) await ctl.stop();
    await mock.close();
  }
}

test('a retry request gets the same message again, same timestamp, new session',
  () => resendCase(false));

test('the same through sealed sender (plaintext inside the envelope type 6)',
  () => resendCase(true));

// Signal's server takes a message only for all of a recipient's devices
// (Signal-Server MessageSender.getMismatchedDevices; so does the mock), and
// Desktop resends to the requester's account (recipients: [requesterAci]).
test('a contact with a linked device: the resend goes to the account',
  () => resendCase(false, true));


test('a retry request for a timestamp we never sent gets a null message', async () => {
  const mock = await startMock();
  let ctl;
  try {
    const { alice, r, t } = await setup(mock);
    ctl = r.ctl;
    const { lost, ts } = await sendLost(r, t, alice, 'dropped');
    const unknown = ts - 3600 * 1000; // nothing was sent then
    await retryRequest(mock, alice, r.device, lost, unknown, r.linked.device);
    const nul = await t.waitDecrypted((d) => d.content.content && d.content.content.nullMessage,
      'a null message');
    assert.strictEqual(nul.type, 'PreKey', 'the null message opens a new session');
    assert.ok(nul.content.content.nullMessage.padding.length >= 1);
    assert.strictEqual(alice.getMessageQueueSize(), 0, 'no message was resent');
    // the new session works both ways
    await alice.sendText(r.device, 'still here');
    await r.ctl.waitFor((e) => e.event === 'message' && e.body === 'still here', 20000, 'still here');
  } finally {
    if (ctl) await ctl.stop();
    await mock.close();
  }
});

test('a group message: the member who asks gets his copy again, with the group', async () => {
  const mock = await startMock();
  let ctl;
  try {
    const alice = await mock.server.createPrimaryDevice({ profileName: 'Alice' });
    const bob = await mock.server.createPrimaryDevice({ profileName: 'Bob' });
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Me', contacts: [alice, bob] });
    const t = tap(mock, bob);
    const r = await linkDevice(mock, phone, tmpDb(), ['--server-params', ZK.publicParams],
      [alice, bob]);
    ctl = r.ctl;
    const group = await phone.createGroup({ title: 'Retry club', members: [phone, alice, bob] });
    const gidHex = Buffer.from(group.id, 'base64').toString('hex');
    await alice.sendText(r.device, 'hi all', { group, withProfileKey: true });
    await ctl.waitFor((e) => e.event === 'group_updated' && e.group_id === gidHex, 20000,
      'group_updated');
    // bob's copy of our group message is lost; alice's arrives
    t.drop = true;
    const n = ctl.events.filter((e) => e.event === 'send_started').length;
    ctl.send(`send-group ${group.id} see you there`);
    const started = (await ctl.waitCount((e) => e.event === 'send_started', n + 1))[n];
    assert.strictEqual(started.code, 0);
    const ts = started.timestamp;
    await ctl.waitFor((e) => e.event === 'send_done' && e.timestamp === ts, 20000, 'send_done');
    t.drop = false;
    assert.strictEqual((await within(alice.waitForMessage(), 20000, 'alice')).body, 'see you there');
    const lost = t.seen.find((x) => x.dropped && x.timestamp === ts);
    // sent with our sender key (a sealed envelope) once our sender
    // certificate is in, else 1:1: retryRequest answers either
    assert.ok(lost, "bob's copy was sent and lost");
    await retryRequest(mock, bob, r.device, lost, ts, r.linked.device);
    const got = await within(bob.waitForMessage(), 20000, "bob's copy again");
    assert.strictEqual(got.body, 'see you there');
    assert.strictEqual(Number(got.dataMessage.timestamp), ts);
    assert.strictEqual(Buffer.from(got.dataMessage.groupV2.masterKey).toString('hex'),
      group.masterKey.toString('hex'), 'still a group message');
    assert.strictEqual(alice.getMessageQueueSize(), 0, 'alice did not ask and got nothing more');
  } finally {
    if (ctl) await ctl.stop();
    await mock.close();
  }
});

// The client's database, read while it runs (WAL: a second reader is fine).
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

// Desktop's onRetryRequest (ts/util/handleRetry.ts) resends a logged group
// message with its sender key distribution message attached
// (maybeAddSenderKeyDistributionMessage), the group's id, sealed when it
// knows the member's access key (getSendOptions): the member reads our
// next sender-key message without another hand-out.
// A group of alice, bob and us whose messages go with our sender key (both
// profile keys and our sender certificate are in), and bob's copy of one
// message lost: what his libsignal would ask again for.
async function senderKeyLoss(mock) {
  const alice = await mock.server.createPrimaryDevice({ profileName: 'Alice' });
  const bob = await mock.server.createPrimaryDevice({ profileName: 'Bob' });
  const phone = await mock.server.createPrimaryDevice({ profileName: 'Me', contacts: [alice, bob] });
  const t = tap(mock, bob);
  const db = tmpDb();
  const r = await linkDevice(mock, phone, db, ['--server-params', ZK.publicParams], [alice, bob]);
  const { ctl } = r;
  const group = await phone.createGroup({ title: 'Key club', members: [phone, alice, bob] });
  const gidHex = Buffer.from(group.id, 'base64').toString('hex');
  await alice.sendText(r.device, 'hi from alice', { group, withProfileKey: true });
  await bob.sendText(r.device, 'hi from bob', { group, withProfileKey: true });
  await ctl.waitFor((e) => e.event === 'group_updated' && e.group_id === gidHex, 20000, 'group_updated');
  await ctl.waitFor((e) => e.event === 'message' && e.body === 'hi from bob', 20000, "bob's message");
  await until(() => dbCount(db, "SELECT count(*) FROM record WHERE kind = 'profile_key'") >= 2 &&
                    dbCount(db, "SELECT count(*) FROM record WHERE kind = 'account' AND key = 'sender_cert'") === 1,
              'profile keys and our sender certificate');
  t.drop = true;
  const n = ctl.events.filter((e) => e.event === 'send_started').length;
  ctl.send(`send-group ${group.id} by sender key`);
  const ts = (await ctl.waitCount((e) => e.event === 'send_started', n + 1))[n].timestamp;
  await ctl.waitFor((e) => e.event === 'send_done' && e.timestamp === ts, 20000, 'send_done');
  t.drop = false;
  const lost = t.seen.find((x) => x.dropped && x.timestamp === ts);
  assert.ok(lost, "bob's copy was sent and lost");
  assert.strictEqual(lost.type, 'SealedSender', 'sent with our sender key');
  return { alice, bob, r, ctl, t, group, lost, ts };
}

test('a message sent with our sender key: the resend is sealed and carries our key', async () => {
  const mock = await startMock();
  let ctl;
  try {
    const x = await senderKeyLoss(mock);
    ({ ctl } = x);
    const { bob, r, t, group, lost, ts } = x;
    const before = t.seen.length;
    const seenBefore = t.decrypted.length;
    await retryRequest(mock, bob, r.device, lost, ts, r.linked.device);
    const got = await within(bob.waitForMessage(), 20000, "bob's copy again");
    assert.strictEqual(got.body, 'by sender key');
    assert.strictEqual(Number(got.dataMessage.timestamp), ts);
    const again = t.seen.slice(before).filter((y) => !y.dropped);
    assert.strictEqual(again.length, 1, JSON.stringify(again.map((y) => y.type)));
    assert.strictEqual(again[0].type, 'SealedSender', 'sealed with his access key');
    const resent = t.decrypted.slice(seenBefore).find((y) => y.content?.content?.dataMessage?.body === 'by sender key');
    assert.ok(resent?.content?.senderKeyDistributionMessage?.length > 0, 'our sender key went with it');
    // the next message: one multi-recipient request, no other hand-out to bob
    const singles = mock.multiRecipient.singles.length;
    const n2 = ctl.events.filter((e) => e.event === 'send_started').length;
    ctl.send(`send-group ${group.id} and after`);
    const ts2 = (await ctl.waitCount((e) => e.event === 'send_started', n2 + 1))[n2].timestamp;
    await ctl.waitFor((e) => e.event === 'send_done' && e.timestamp === ts2, 20000, 'send_done');
    const next = await within(bob.waitForMessage(), 20000, 'the next message');
    assert.strictEqual(next.body, 'and after');
    assert.strictEqual(next.envelopeType, 'SenderKey');
    assert.deepStrictEqual(mock.multiRecipient.singles.slice(singles).filter((y) => y.serviceId === bob.device.aci), [],
                           'no second hand-out to bob');
  } finally {
    if (ctl) await ctl.stop();
    await mock.close();
  }
});

// Desktop's OutgoingMessage.doSendMessage: a sealed send the server refuses
// (401/403: the access key no longer matches) goes again with our
// credentials.
test('the server refuses his access key: the resend goes again, identified', async () => {
  const mock = await startMock();
  let ctl;
  try {
    const x = await senderKeyLoss(mock);
    ({ ctl } = x);
    const { bob, r, lost, ts } = x;
    // bob's profile key changed; we still hold the old one
    bob.device.accessKey = crypto.randomBytes(16);
    const singles = mock.multiRecipient.singles.length;
    await retryRequest(mock, bob, r.device, lost, ts, r.linked.device);
    const got = await within(bob.waitForMessage(), 20000, "bob's copy again");
    assert.strictEqual(got.body, 'by sender key');
    assert.strictEqual(Number(got.dataMessage.timestamp), ts);
    const puts = mock.multiRecipient.singles.slice(singles).filter((y) => y.serviceId === bob.device.aci);
    // the server answers after it delivered
    await until(() => puts.every((y) => y.status !== 0), 'the answers to our requests');
    assert.deepStrictEqual(puts.map((y) => [y.authenticated, y.status]), [[false, 401], [true, 200]]);
    assert.deepStrictEqual(puts[1].types, [1], 'identified: a plain Whisper message');
  } finally {
    if (ctl) await ctl.stop();
    await mock.close();
  }
});

// Desktop answers at most five retry requests per timestamp
// (ts/util/handleRetry.ts, RETRY_LIMIT): a sixth for the same message is
// dropped, while a request for another message is still answered.
test('at most five answers per message', async () => {
  const mock = await startMock();
  let ctl;
  try {
    const { alice, r, t } = await setup(mock);
    ctl = r.ctl;
    const first = await sendLost(r, t, alice, 'first lost');
    const second = await sendLost(r, t, alice, 'second lost');
    for (let i = 0; i < 5; i++) {
      // eslint-disable-next-line no-await-in-loop
      await retryRequest(mock, alice, r.device, first.lost, first.ts, r.linked.device);
      // eslint-disable-next-line no-await-in-loop
      const got = await within(alice.waitForMessage(), 20000, `copy ${i + 1}`);
      assert.strictEqual(got.body, 'first lost');
    }
    await retryRequest(mock, alice, r.device, first.lost, first.ts, r.linked.device);
    await retryRequest(mock, alice, r.device, second.lost, second.ts, r.linked.device);
    const next = await within(alice.waitForMessage(), 20000, 'the second message');
    assert.strictEqual(next.body, 'second lost', 'no sixth copy of the first');
    assert.strictEqual(Number(next.dataMessage.timestamp), second.ts);
  } finally {
    if (ctl) await ctl.stop();
    await mock.close();
  }
});
