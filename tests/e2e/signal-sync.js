'use strict';
// Sync: our C device asks the phone (mock PrimaryDevice) for contacts,
// blocked, configuration and keys; the phone's contacts blob is downloaded
// from the mock CDN, verified, decrypted and parsed into contacts with
// numbers and names; a contact's profile key (DataMessage.profileKey)
// triggers a profile fetch whose encrypted name decrypts to the contact's
// profile name; `send +number` then resolves through the synced contacts;
// `signalctl contacts` lists them from the database.
const test = require('node:test');
const assert = require('node:assert');
const { execFile } = require('child_process');
const { startMock } = require('../lib/signal-mock');
const { tmpDb, linkDevice, SIGNALCTL, MOCK_TRUST_ROOT } = require('./signalctl-lib');
const { Router } = require('@signalapp/mock-server/src/server/ws/router');
const { Aci } = require('@signalapp/libsignal-client');

// Production's profiles (Signal-Server ProfileController): the unversioned
// GET /v1/profile/<id> has no name; GET /v1/profile/<aci>/<version> has it
// only for the version of the account's current profile key (else 404).
// The mock answers the same for all three routes, so its routes are
// wrapped here, for every connection this file's mocks open; the tests
// register their contacts' profile keys in `profileKeys` (ACI -> key).
const profileKeys = new Map();
const origGet = Router.prototype.get;
Router.prototype.get = function get(pattern, handler) {
  if (pattern === '/v1/profile/:serviceId') {
    return origGet.call(this, pattern, async (...args) => {
      const [status, body] = await handler(...args);
      if (status === 200 && body) delete body.name;
      return [status, body];
    });
  }
  if (pattern === '/v1/profile/:serviceId/:version') {
    return origGet.call(this, pattern, async (params, ...rest) => {
      const key = profileKeys.get(params.serviceId);
      const want = key && key.getProfileKeyVersion(Aci.parseFromServiceIdString(params.serviceId)).toString();
      if (!want || want !== params.version) return [404, { error: 'No such profile version' }];
      return handler(params, ...rest);
    });
  }
  return origGet.call(this, pattern, handler);
};

test('contacts sync, profile names, send by number', async () => {
  const mock = await startMock();
  let ctl;
  try {
    const alice = await mock.server.createPrimaryDevice({ profileName: 'Alice Smith' });
    const bob = await mock.server.createPrimaryDevice({ profileName: 'Bob Jones' });
    for (const p of [alice, bob]) profileKeys.set(p.device.aci, p.profileKey);
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Myself', contacts: [alice, bob] });
    const db = tmpDb();
    const r = await linkDevice(mock, phone, db, [], [alice, bob]);
    ctl = r.ctl;
    await ctl.waitFor((e) => e.event === 'conn' && e.conn === 2, 10000, 'online');

    const synced = phone.waitForSync(r.device); // contacts+blocked+configuration
    ctl.send('sync');
    const st = await ctl.waitFor((e) => e.event === 'sync_started', 10000, 'sync_started');
    assert.strictEqual(st.code, 0);
    await synced;
    const done = await ctl.waitFor((e) => e.event === 'sync_done', 20000, 'sync_done');
    assert.strictEqual(done.code, undefined, JSON.stringify(done));
    const byAci = (aci) => ctl.events.filter((e) => e.event === 'contact' && e.aci === aci).pop();
    assert.strictEqual(byAci(alice.device.aci).number, alice.device.number);
    assert.strictEqual(byAci(alice.device.aci).name, 'Alice Smith');
    assert.strictEqual(byAci(bob.device.aci).number, bob.device.number);

    // a profile key arrives with a message: the profile name is fetched
    await bob.sendText(r.device, 'with my profile key', { withProfileKey: true });
    const prof = await ctl.waitFor((e) => e.event === 'contact' && e.aci === bob.device.aci &&
      e.has_profile_key === true, 20000, 'profile contact event');
    assert.strictEqual(prof.name, 'Bob Jones');

    // send by phone number, resolved through the synced contacts
    ctl.send(`send ${alice.device.number} by number`);
    const got = await alice.waitForMessage();
    assert.strictEqual(got.body, 'by number');
    await ctl.stop();
    ctl = null;

    const out = await new Promise((resolve, reject) => {
      execFile(SIGNALCTL, ['--server', mock.url, '--ca-file', mock.ca, '--db', db,
        '--trust-root', MOCK_TRUST_ROOT, 'contacts'], (err, stdout) => (err ? reject(err) : resolve(stdout)));
    });
    const listed = out.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepStrictEqual(listed.map((c) => c.aci).sort(), [alice.device.aci, bob.device.aci].sort());
    assert.strictEqual(listed.find((c) => c.aci === bob.device.aci).name, 'Bob Jones');
  } finally {
    if (ctl) await ctl.kill();
    await mock.close();
  }
});

test('storage service: contacts with profile keys, group master keys', async () => {
  // eslint-disable-next-line global-require
  const { StorageState } = require('@signalapp/mock-server');
  const mock = await startMock();
  let ctl;
  try {
    const alice = await mock.server.createPrimaryDevice({ profileName: 'Alice' });
    const bob = await mock.server.createPrimaryDevice({ profileName: 'Bob' });
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Myself', contacts: [alice] });
    const r = await linkDevice(mock, phone, tmpDb(), [], [alice]);
    ctl = r.ctl;
    await ctl.waitFor((e) => e.event === 'conn' && e.conn === 2, 10000, 'online');
    const group = await phone.createGroup({ title: 'Storage group', members: [phone, alice] });
    await phone.setStorageState(StorageState.getEmpty()
      .addContact(bob, { profileKey: bob.profileKey.serialize(), givenName: 'Bobby', familyName: 'B', whitelisted: true })
      .addGroup(group, { whitelisted: true }));
    // the phone tells linked devices to fetch storage; the client reads it
    await phone.sendFetchStorage({ timestamp: Date.now() });
    const done = await ctl.waitFor((e) => e.event === 'sync_done', 20000, 'storage sync_done');
    assert.strictEqual(done.code, undefined, JSON.stringify(done));
    const c = ctl.events.find((e) => e.event === 'contact' && e.aci === bob.device.aci);
    assert.ok(c, JSON.stringify(ctl.events));
    assert.strictEqual(c.name, 'Bobby B');
    assert.strictEqual(c.number, bob.device.number);
    assert.strictEqual(c.has_profile_key, true);
    const g = ctl.events.find((e) => e.event === 'group');
    assert.ok(g, 'a group event');
    assert.strictEqual(g.group_id, Buffer.from(group.id, 'base64').toString('hex'));
    assert.strictEqual(g.whitelisted, true);
  } finally {
    if (ctl) await ctl.kill();
    await mock.close();
  }
});
