'use strict';
// The harness's PUT /v1/messages/multi_recipient (tests/lib/signal-
// multirecipient.js) answers as Signal-Server's MessageController.
// sendMultiRecipientMessage does: the refusals and the 409/410 bodies. The
// SSv2 bodies are made by our C code (sc_sealed_tool mr-encrypt), parsed
// by libsignal in the harness; delivery (200) is covered end to end by
// bridge_senderkey.js. Also the Group-Send-Token check (test 4).
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { startMock } = require('../lib/signal-mock');
const L = require('../interop/sealed-lib.js');

const { S, okOf, hex } = L;
let mock;
let a;
let b;
let usmc;

test.before(async () => {
  mock = await startMock();
  a = await mock.server.createPrimaryDevice({ profileName: 'A' });
  b = await mock.server.createPrimaryDevice({ profileName: 'B' });
  const me = L.keyPair(S);
  const { cert } = L.senderCert(S, L.mockTrustRoot(S), { uuid: crypto.randomUUID(), device: 1, identity: me,
                                                          expires: Date.now() + 3600e3 });
  [usmc] = okOf('usmc-new', 8, hex(cert.serialize()), hex(Buffer.from('x')), 0, '-');
  a.me = me;
});

test.after(() => mock.close());

const sid = (dev) => '00' + L.uuidHex(dev.device.aci);
const reg = (dev) => dev.device.getCheckedRegistrationId('ACI');
// recipients: [[primary, [[deviceId, registrationId], ...]], ...]
function body(recipients) {
  const args = recipients.map(([dev, devices]) => `${sid(dev)}:${L.keyPair(S).pubHex}:${devices.map((d) => d.join('.')).join(',')}`);
  return Buffer.from(okOf('mr-encrypt', a.me.pubHex, a.me.privHex, usmc, ...args)[0], 'hex');
}
const accessKey = (dev) => Buffer.from(dev.device.accessKey);
const xor = (...ks) => ks.reduce((x, k) => Buffer.from(x.map((v, i) => v ^ k[i])), Buffer.alloc(16));
async function put(payload, headers = {}, query = `ts=${Date.now()}&online=false&urgent=true&story=false`) {
  const h = { 'Content-Type': 'application/vnd.signal-messenger.mrm', ...headers };
  const res = await mock.multiRecipient.handle({
    id: 1, verb: 'PUT', path: `/v1/messages/multi_recipient?${query}`,
    headers: Object.entries(h).map(([k, v]) => `${k}:${v}`), body: payload,
  });
  return { status: res.status, json: res.body ? JSON.parse(Buffer.from(res.body).toString()) : undefined };
}

test('refusals: media type, empty body, duplicate device, no key, a wrong key, a bad timestamp', async () => {
  const ok = body([[a, [[1, reg(a)]]], [b, [[1, reg(b)]]]]);
  const key = xor(accessKey(a), accessKey(b)).toString('base64');
  assert.equal((await put(ok, { 'Content-Type': 'application/json', 'Unidentified-Access-Key': key })).status, 415);
  assert.equal((await put(Buffer.alloc(0), { 'Unidentified-Access-Key': key })).status, 400);
  assert.equal((await put(Buffer.from([0x23, 1, 2]), { 'Unidentified-Access-Key': key })).status, 400);
  const dup = body([[a, [[1, reg(a)], [1, reg(a)]]], [b, [[1, reg(b)]]]]);
  assert.equal((await put(dup, { 'Unidentified-Access-Key': key })).status, 400);
  assert.equal((await put(ok)).status, 401, 'neither key nor token');
  assert.equal((await put(ok, { 'Unidentified-Access-Key': key, 'Group-Send-Token': 'x' })).status, 400);
  assert.equal((await put(ok, { 'Unidentified-Access-Key': accessKey(a).toString('base64') })).status, 401,
               "one member's key is not the combined key");
  assert.equal((await put(ok, { 'Unidentified-Access-Key': 'AAAA' })).status, 401, 'not 16 bytes');
  assert.equal((await put(ok, { 'Unidentified-Access-Key': key }, 'ts=-1')).status, 400);
});

test('409 names missing and extra devices, 410 stale registration ids, per account', async () => {
  const second = await mock.server.createSecondaryDevice(b);
  const key = xor(accessKey(a), accessKey(b)).toString('base64');
  const missing = await put(body([[a, [[1, reg(a)]]], [b, [[1, reg(b)]]]]), { 'Unidentified-Access-Key': key });
  assert.equal(missing.status, 409);
  assert.deepEqual(missing.json, [{ uuid: b.device.aci, devices: { missingDevices: [second.deviceId], extraDevices: [] } }]);
  const extra = await put(body([[a, [[1, reg(a)], [5, 1]]], [b, [[1, reg(b)], [second.deviceId, second.registrationId]]]]),
                          { 'Unidentified-Access-Key': key });
  assert.equal(extra.status, 409);
  assert.deepEqual(extra.json, [{ uuid: a.device.aci, devices: { missingDevices: [], extraDevices: [5] } }]);
  const stale = await put(body([[a, [[1, (reg(a) % 16000) + 1]]], [b, [[1, reg(b)], [second.deviceId, second.registrationId]]]]),
                          { 'Unidentified-Access-Key': key });
  assert.equal(stale.status, 410);
  assert.deepEqual(stale.json, [{ uuid: a.device.aci, devices: { staleDevices: [1] } }]);
});

test('an unregistered recipient: 404 for the whole request with an access key', async () => {
  const c = await mock.server.createPrimaryDevice({ profileName: 'C' });
  mock.server.unregister(c);
  const payload = body([[a, [[1, reg(a)]]], [c, [[1, reg(c)]]]]);
  const key = xor(accessKey(a), accessKey(c)).toString('base64');
  assert.equal((await put(payload, { 'Unidentified-Access-Key': key })).status, 404);
  // nothing was delivered to A with the refused request
  assert.equal(a.getMessageQueueSize(), 0);
  mock.server.register(c);
});

// A Group-Send-Token made as a client makes it: libsignal's groups-server
// side issues endorsements for the members (GroupSendEndorsementsResponse
// .issue with the mock's own key, as the mock's groups server does), the
// client side receives them and combines the recipients'.
function tokenFor(members, recipients, { zkSecret = mock.server.zkSecret, now = Date.now() } = {}) {
  const zk = require('@signalapp/libsignal-client/zkgroup');
  const group = zk.GroupSecretParams.generate();
  const cipher = new zk.ClientZkGroupCipher(group);
  const acis = members.map((d) => d.device.aci).map((s) => require('@signalapp/libsignal-client').Aci.parseFromServiceIdString(s));
  const exp = new Date((Math.floor(now / 86400e3) + 2) * 86400e3);
  const resp = zk.GroupSendEndorsementsResponse.issue(acis.map((x) => cipher.encryptServiceId(x)),
    zk.GroupSendDerivedKeyPair.forExpiration(exp, zkSecret));
  const { endorsements } = resp.receiveWithServiceIds(acis, acis[0], group, zkSecret.getPublicParams());
  const picked = recipients.map((d) => endorsements[members.indexOf(d)]);
  return Buffer.from(zk.GroupSendEndorsement.combine(picked).toFullToken(group, exp).serialize()).toString('base64');
}

test('a Group-Send-Token: accepted only when libsignal verifies it for exactly the recipients', async () => {
  const zk = require('@signalapp/libsignal-client/zkgroup');
  // fresh accounts: the tests above added devices to A and B
  const d = await mock.server.createPrimaryDevice({ profileName: 'D' });
  const e = await mock.server.createPrimaryDevice({ profileName: 'E' });
  const c = await mock.server.createPrimaryDevice({ profileName: 'C2' });
  const payload = body([[d, [[1, reg(d)]]], [e, [[1, reg(e)]]]]);
  const before = d.getMessageQueueSize();
  // refused: a token for A only, for A, B and C, another server's key, bytes that are no token
  assert.equal((await put(payload, { 'Group-Send-Token': tokenFor([d, e, c], [d]) })).status, 401);
  assert.equal((await put(payload, { 'Group-Send-Token': tokenFor([d, e, c], [d, e, c]) })).status, 401);
  assert.equal((await put(payload, { 'Group-Send-Token': tokenFor([d, e], [d, e],
    { zkSecret: zk.ServerSecretParams.generate() }) })).status, 401);
  assert.equal((await put(payload, { 'Group-Send-Token': Buffer.from('not a token').toString('base64') })).status, 401);
  assert.equal(d.getMessageQueueSize(), before, 'nothing delivered on a refused token');
  // accepted: the token of exactly D and E passes the check (the request
  // then goes on to delivery, which this synthetic body, sealed to no real
  // identity key, does not survive: delivery is bridge_senderkey.js's)
  await put(payload, { 'Group-Send-Token': tokenFor([d, e, c], [d, e]) });
  const last = mock.multiRecipient.requests.at(-1);
  assert.equal(last.tokenError, undefined, JSON.stringify(last));
  assert.notEqual(last.status, 401);
  // and with a token an unregistered recipient is named in uuids404 instead
  // of failing the request (404 with an access key, test 3)
  mock.server.unregister(c);
  const onlyC = body([[c, [[1, reg(c)]]]]);
  const res2 = await put(onlyC, { 'Group-Send-Token': tokenFor([d, e, c], [c]) });
  assert.equal(res2.status, 200);
  assert.deepEqual(res2.json.uuids404, [c.device.aci]);
  assert.deepEqual(mock.multiRecipient.requests.slice(-2).map((r) => r.auth), ['token', 'token']);
});
