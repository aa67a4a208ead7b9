'use strict';
// Receipts and typing: a contact's read receipt (ReceiptMessage), a
// server delivery receipt (envelope type 5, no content) and a typing
// message reach the caller as typed events, not as messages.
const test = require('node:test');
const assert = require('node:assert');
const { startMock } = require('../lib/signal-mock');
const { tmpDb, linkDevice } = require('./signalctl-lib');
const { ReceiptType, EMPTY_DATA_MESSAGE } = require('@signalapp/mock-server'); // eslint-disable-line no-unused-vars

test('receipts (types 1 and 5) and typing', async () => {
  const mock = await startMock();
  let ctl;
  try {
    const alice = await mock.server.createPrimaryDevice({ profileName: 'Alice' });
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Myself', contacts: [alice] });
    const r = await linkDevice(mock, phone, tmpDb(), [], [alice]);
    ctl = r.ctl;
    const sent = 1700000001234;
    await alice.sendReceipt(r.device, { type: ReceiptType.Read, messageTimestamps: [sent], timestamp: Date.now() });
    const rr = await ctl.waitFor((e) => e.event === 'receipt' && e.type === 1, 20000, 'read receipt');
    assert.strictEqual(rr.peer, alice.device.aci);
    assert.deepStrictEqual(rr.timestamps, [sent]);

    await alice.sendUnencryptedReceipt(r.device, { messageTimestamp: sent + 1 });
    const dr = await ctl.waitFor((e) => e.event === 'receipt' && e.type === 0, 20000, 'delivery receipt');
    assert.strictEqual(dr.peer, alice.device.aci);
    assert.deepStrictEqual(dr.timestamps, [sent + 1]);

    const ts = Date.now();
    await alice.sendRaw(r.device, {
      content: { typingMessage: { timestamp: BigInt(ts), action: 0, groupId: null } },
      pniSignatureMessage: null, senderKeyDistributionMessage: null,
    }, { timestamp: ts });
    const ty = await ctl.waitFor((e) => e.event === 'typing', 20000, 'typing');
    assert.strictEqual(ty.peer, alice.device.aci);
    assert.strictEqual(ty.started, true);
    assert.ok(!ctl.events.some((e) => e.event === 'message'), 'none of these is a message');
  } finally {
    if (ctl) await ctl.kill();
    await mock.close();
  }
});
