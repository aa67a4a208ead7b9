'use strict';
// Decryption failure: after our side lost its session with a contact (the
// "forget" command), the contact's next Whisper message cannot be
// decrypted. The client reports decrypt_failed for that sender and sends
// Signal's retry request (DecryptionErrorMessage in a PlaintextContent,
// envelope type 8), which the contact's libsignal parses: timestamp of the
// failed message, our device id.
const test = require('node:test');
const assert = require('node:assert');
const { startMock } = require('../lib/signal-mock');
const { tmpDb, linkDevice } = require('./signalctl-lib');

test('undecryptable message: decrypt_failed and a retry request', async () => {
  const mock = await startMock();
  let ctl;
  try {
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
    assert.ok(!ctl.events.some((e) => e.event === 'message' && e.body === 'two'));
  } finally {
    if (ctl) await ctl.kill();
    await mock.close();
  }
});
