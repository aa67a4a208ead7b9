'use strict';
// Safety number change: a contact's first message stores their identity key
// (no warning); the same contact "reinstalls" (the mock device gets a new
// identity key pair and forgets its sessions, as a reinstalled phone would)
// and writes again: our client reports identity_changed for that contact
// before handing over the message, and the message still arrives. A third
// message under the new key brings no further warning.
const test = require('node:test');
const assert = require('node:assert');
const { startMock } = require('../lib/signal-mock');
const { tmpDb, linkDevice } = require('./signalctl-lib');

const { ServiceIdKind } = require('@signalapp/mock-server');
const { IdentityKeyPair } = require('@signalapp/libsignal-client');

test('a contact whose identity key changed is reported before their message', async () => {
  const mock = await startMock();
  let ctl;
  try {
    const alice = await mock.server.createPrimaryDevice({ profileName: 'Alice' });
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Myself', contacts: [alice] });
    const r = await linkDevice(mock, phone, tmpDb(), [], [alice]);
    ctl = r.ctl;
    await ctl.waitFor((e) => e.event === 'conn' && e.conn === 2, 10000, 'online');
    const aci = alice.device.aci;

    await alice.sendText(r.device, 'before');
    await ctl.waitFor((e) => e.event === 'message' && e.body === 'before', 20000, 'first message');
    assert.ok(!ctl.events.some((e) => e.event === 'identity_changed'), 'no warning on first contact');

    // reinstall: new identity key, no sessions; a fresh bundle of ours
    const fresh = IdentityKeyPair.generate();
    await alice.identity.get(ServiceIdKind.ACI).updateIdentityKey(fresh.privateKey);
    alice.sessions = new alice.sessions.constructor();
    await alice.addSingleUseKey(r.device, await r.device.popSingleUseKey());
    await alice.sendText(r.device, 'after reinstall');
    const m = await ctl.waitFor((e) => e.event === 'message' && e.body === 'after reinstall', 20000, 'second message');
    const warn = ctl.events.find((e) => e.event === 'identity_changed');
    assert.ok(warn, `identity_changed expected; events: ${JSON.stringify(ctl.events.slice(-6))}`);
    assert.strictEqual(warn.peer, aci);
    assert.ok(ctl.events.indexOf(warn) < ctl.events.indexOf(m), 'the warning comes before the message');

    await alice.sendText(r.device, 'third');
    await ctl.waitFor((e) => e.event === 'message' && e.body === 'third', 20000, 'third message');
    assert.strictEqual(ctl.events.filter((e) => e.event === 'identity_changed').length, 1,
      'the new key is trusted from then on');
  } finally {
    if (ctl) await ctl.kill();
    await mock.close();
  }
});
