'use strict';
// Decryption failure: after our side lost its session with a contact (the
// "forget" command), the contact's next Whisper message cannot be
// decrypted. The client reports decrypt_failed for that sender and sends
// Signal's retry request (DecryptionErrorMessage in a PlaintextContent,
// envelope type 8), which the contact's libsignal parses: timestamp of the
// failed message, our device id, and the ratchet key of the failed message
// exactly as libsignal's DecryptionErrorMessage.forOriginal takes it from
// the ciphertext (the contact archives its session when it matches:
// Signal-Desktop handleRetry.ts, signalmeow retry.go).
const test = require('node:test');
const assert = require('node:assert');
const { DecryptionErrorMessage, CiphertextMessageType } = require('@signalapp/libsignal-client');
const { signalservice: { Envelope } } = require('@signalapp/mock-server/protos/compiled');
const { startMock } = require('../lib/signal-mock');
const { tmpDb, linkDevice } = require('./signalctl-lib');

test('undecryptable message: decrypt_failed and a retry request', async () => {
  const mock = await startMock();
  let ctl;
  try {
    // the envelopes the server hands to devices (alice's phone sends
    // through this; it is bound when she is created)
    const sent = [];
    const send = mock.server.send.bind(mock.server);
    mock.server.send = (target, message) => {
      sent.push({ target, env: Envelope.decode(message) });
      return send(target, message);
    };
    const alice = await mock.server.createPrimaryDevice({ profileName: 'Alice' });
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Myself', contacts: [alice] });
    const r = await linkDevice(mock, phone, tmpDb(), [], [alice]);
    ctl = r.ctl;
    await alice.sendText(r.device, 'one');
    await ctl.waitFor((e) => e.event === 'message' && e.body === 'one', 20000, 'one');
    ctl.send(`send ${alice.device.aci} reply`); // alice's session is now confirmed
    assert.strictEqual((await alice.waitForMessage()).body, 'reply');
    ctl.send(`forget ${alice.device.aci}`);
    const f = await ctl.waitFor((e) => e.event === 'forgot', 10000, 'forgot');
    assert.strictEqual(f.code, 0);
    const ts = Date.now();
    await alice.sendText(r.device, 'two', { timestamp: ts });
    const fail = await ctl.waitFor((e) => e.event === 'decrypt_failed', 20000, 'decrypt_failed');
    assert.strictEqual(fail.peer, alice.device.aci);
    assert.strictEqual(fail.timestamp, ts);
    const dem = await alice.waitForDecryptionError();
    assert.strictEqual(Number(dem.timestamp), ts);
    assert.strictEqual(dem.senderDevice, r.linked.device);
    const failed = sent.find((m) => m.target === r.device && Number(m.env.clientTimestamp) === ts);
    assert.strictEqual(failed.env.type, Envelope.Type.DOUBLE_RATCHET);
    const want = DecryptionErrorMessage.forOriginal(Buffer.from(failed.env.content),
      CiphertextMessageType.Whisper, ts, alice.device.deviceId);
    assert.ok(dem.ratchetKey, 'the retry request names the ratchet key');
    assert.deepStrictEqual(Buffer.from(dem.ratchetKey.serialize()),
      Buffer.from(want.ratchetKey().serialize()));
    // so alice's libsignal session is the one to archive, as Desktop's
    // archiveSessionOnMatch and signalmeow's handleRetryRequest decide
    const rec = await alice.sessions.getSession(r.device.address);
    assert.ok(rec && rec.currentRatchetKeyMatches(dem.ratchetKey), 'matches her current session');
    assert.ok(!ctl.events.some((e) => e.event === 'message' && e.body === 'two'));
  } finally {
    if (ctl) await ctl.kill();
    await mock.close();
  }
});

// Signal's server takes a message only for all of the recipient's devices
// (Signal-Server MessageSender.getMismatchedDevices: 409 missing devices;
// the mock does the same), so the retry request goes to every device of
// the contact, as Signal-Desktop's sendRetryRequest (recipients: [aci])
// and signalmeow's sendRetryRequest (sendContent to the service id) do;
// the device that failed to reach us is one of them.
test('a retry request reaches a contact who has a linked device too', async () => {
  const mock = await startMock();
  let ctl;
  try {
    const alice = await mock.server.createPrimaryDevice({ profileName: 'Alice' });
    await mock.server.createSecondaryDevice(alice);
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Myself', contacts: [alice] });
    const r = await linkDevice(mock, phone, tmpDb(), [], [alice]);
    ctl = r.ctl;
    await alice.sendText(r.device, 'one');
    await ctl.waitFor((e) => e.event === 'message' && e.body === 'one', 20000, 'one');
    ctl.send(`send ${alice.device.aci} reply`);
    assert.strictEqual((await alice.waitForMessage()).body, 'reply');
    ctl.send(`forget ${alice.device.aci}`);
    assert.strictEqual((await ctl.waitFor((e) => e.event === 'forgot', 10000, 'forgot')).code, 0);
    const ts = Date.now();
    await alice.sendText(r.device, 'two', { timestamp: ts });
    await ctl.waitFor((e) => e.event === 'decrypt_failed', 20000, 'decrypt_failed');
    let t;
    const dem = await Promise.race([alice.waitForDecryptionError(), new Promise((_, rej) => {
      t = setTimeout(() => rej(new Error(`no retry request; stderr: ${ctl.stderr.slice(-2000)}`)),
        20000);
    })]).finally(() => clearTimeout(t));
    assert.strictEqual(Number(dem.timestamp), ts);
    assert.strictEqual(dem.senderDevice, r.linked.device);
  } finally {
    if (ctl) await ctl.kill();
    await mock.close();
  }
});
