'use strict';
// The group auth credential in C (module/signal/crypto/sc_zkauth.c, through
// tests/interop/zkauth_tool) against libsignal-client 0.100's zkgroup as the
// oracle: its server issues, C receives; C presents, libsignal's server
// verifies; with fixed randomness C's bytes equal libsignal's client's.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const zk = require('@signalapp/libsignal-client/zkgroup');
const { Aci, Pni } = require('@signalapp/libsignal-client');

const TOOL = path.join(process.env.top_builddir || path.resolve(__dirname, '../../build'),
  'tests/interop/zkauth_tool');
const B = (x, e) => Buffer.from(x, e);
const hex = (b) => (b.length ? B(b).toString('hex') : '-');
const rnd = (n) => crypto.randomBytes(n);
const DAY = 86400;

// Run requests, one line each; answers are hex buffers, 'OK', or {err}.
function c(lines) {
  const r = spawnSync(TOOL, [], { input: lines.join('\n') + '\n', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`zkauth_tool exit ${r.status}: ${r.stderr}`);
  const out = r.stdout.toString().replace(/\n$/, '').split('\n');
  assert.equal(out.length, lines.length, 'one answer per request');
  return out.map((l) => (l.startsWith('ERR ') ? { err: Number(l.slice(4)) }
    : l === 'OK' ? 'OK' : B(l, 'hex')));
}
const c1 = (line) => c([line])[0];

// sc_err.h / ut.h codes the tests expect
const SC_ERR_FORMAT = -1004, SC_ERR_ZK_VERIFY = -1005;

// A libsignal server with fixed keys, and one credential issued by it.
function setup(seed) {
  const secret = zk.ServerSecretParams.generateWithRandom(B(seed));
  const pub = secret.getPublicParams().serialize();
  const aci = Aci.fromUuidBytes(rnd(16));
  const pni = Pni.fromUuidBytes(rnd(16));
  const time = Math.floor(Date.now() / 1000 / DAY) * DAY;
  const server = new zk.ServerZkAuthOperations(secret);
  const resp = server.issueAuthCredentialWithPniZkcWithRandom(rnd(32), aci, pni, time);
  return { secret, pub, aci, pni, time, server, resp: resp.serialize(), respObj: resp };
}

test('server public params: libsignal\'s and the mock server\'s parse; malformed ones do not', () => {
  const { pub } = setup(Buffer.alloc(32, 0x11));
  assert.equal(pub.length, 673);
  const mockFile = path.join(path.dirname(require.resolve('@signalapp/mock-server/package.json')),
    'certs/zk-params.json');
  const mockPub = B(JSON.parse(fs.readFileSync(mockFile, 'utf8')).publicParams, 'base64');
  const bad = B(pub);
  bad[32] |= 0x80; // the first point's encoding is no longer canonical
  const reserved = B(pub);
  reserved[0] = 1;
  const r = c([`SP ${hex(pub)}`, `SP ${hex(mockPub)}`, `SP ${hex(pub.subarray(0, 672))}`,
    `SP ${hex(Buffer.concat([pub, B([0])]))}`, `SP ${hex(bad)}`, `SP ${hex(reserved)}`, 'SP -']);
  assert.deepEqual(r, ['OK', 'OK', { err: SC_ERR_FORMAT }, { err: SC_ERR_FORMAT },
    { err: SC_ERR_FORMAT }, { err: SC_ERR_FORMAT }, { err: SC_ERR_FORMAT }]);
});

test('receive: C verifies libsignal\'s issuance and yields libsignal\'s credential bytes', () => {
  for (let i = 0; i < 3; i++) {
    const s = setup(rnd(32));
    const aciB = s.aci.getRawUuidBytes(), pniB = s.pni.getRawUuidBytes();
    const want = new zk.ClientZkAuthOperations(new zk.ServerPublicParams(s.pub))
      .receiveAuthCredentialWithPniAsServiceId(s.aci, s.pni, s.time, s.respObj).serialize();
    const got = c1(`RC ${hex(s.pub)} ${hex(aciB)} ${hex(pniB)} ${s.time} ${hex(s.resp)}`);
    assert.ok(Buffer.isBuffer(got), `receive failed: ${JSON.stringify(got)}`);
    assert.equal(got.length, 265);
    assert.equal(hex(got), hex(want));
  }
});

test('receive: the wrong aci, pni, time, server, or a tampered response is rejected', () => {
  const s = setup(rnd(32));
  const aciB = hex(s.aci.getRawUuidBytes()), pniB = hex(s.pni.getRawUuidBytes());
  const other = setup(rnd(32));
  const rc = (pub, a, p, t, r) => `RC ${hex(pub)} ${a} ${p} ${t} ${hex(r)}`;
  const flip = (i) => { const x = B(s.resp); x[i] ^= 1; return x; };
  const lines = [
    rc(s.pub, aciB, pniB, s.time, s.resp), // control: accepted
    rc(s.pub, pniB, aciB, s.time, s.resp), // aci and pni swapped
    rc(s.pub, hex(rnd(16)), pniB, s.time, s.resp),
    rc(s.pub, aciB, hex(rnd(16)), s.time, s.resp),
    rc(s.pub, aciB, pniB, s.time + DAY, s.resp),
    rc(s.pub, aciB, pniB, s.time + 1, s.resp), // not day-aligned
    rc(other.pub, aciB, pniB, s.time, s.resp), // another server's key
    rc(s.pub, aciB, pniB, s.time, flip(400)), // in the proof
    rc(s.pub, aciB, pniB, s.time, flip(70)), // in V
    rc(s.pub, aciB, pniB, s.time, s.resp.subarray(0, 424)),
    rc(s.pub, aciB, pniB, s.time, Buffer.concat([s.resp, B([0])])),
  ];
  const r = c(lines);
  assert.ok(Buffer.isBuffer(r[0]), 'the unmodified response is accepted');
  for (let i = 1; i <= 7; i++)
    assert.equal(r[i].err, SC_ERR_ZK_VERIFY, `line ${i}`);
  // a flipped bit in V is either not a point at all or a failing proof
  assert.ok([SC_ERR_FORMAT, SC_ERR_ZK_VERIFY].includes(r[8].err), `V: ${JSON.stringify(r[8])}`);
  // and libsignal agrees that the tampered ones are bad
  for (const x of [flip(400), flip(70)])
    assert.throws(() => new zk.ClientZkAuthOperations(new zk.ServerPublicParams(s.pub))
      .receiveAuthCredentialWithPniAsServiceId(s.aci, s.pni, s.time, new zk.AuthCredentialWithPniResponse(x)));
  assert.equal(r[9].err, SC_ERR_FORMAT);
  assert.equal(r[10].err, SC_ERR_FORMAT);
});

test('present: byte-equal to libsignal with fixed randomness, and accepted by libsignal\'s server', () => {
  for (let i = 0; i < 3; i++) {
    const s = setup(rnd(32));
    const cred = new zk.ClientZkAuthOperations(new zk.ServerPublicParams(s.pub))
      .receiveAuthCredentialWithPniAsServiceId(s.aci, s.pni, s.time, s.respObj);
    const group = zk.GroupSecretParams.deriveFromMasterKey(new zk.GroupMasterKey(rnd(32)));
    const otherGroup = zk.GroupSecretParams.deriveFromMasterKey(new zk.GroupMasterKey(rnd(32)));
    const r32 = rnd(32);
    const want = new zk.ClientZkAuthOperations(new zk.ServerPublicParams(s.pub))
      .createAuthCredentialWithPniPresentationWithRandom(r32, group, cred).serialize();
    const [got, fresh] = c([`PR ${hex(s.pub)} ${hex(group.serialize())} ${hex(cred.serialize())} ${hex(r32)}`,
      `PR ${hex(s.pub)} ${hex(group.serialize())} ${hex(cred.serialize())} -`]);
    assert.ok(Buffer.isBuffer(got), `present failed: ${JSON.stringify(got)}`);
    assert.equal(got.length, want.length);
    assert.equal(hex(got), hex(want));

    const now = new Date(s.time * 1000);
    for (const p of [got, fresh]) {
      const pres = new zk.AuthCredentialPresentation(B(p));
      s.server.verifyAuthCredentialPresentation(group.getPublicParams(), pres, now);
      assert.throws(() => s.server.verifyAuthCredentialPresentation(otherGroup.getPublicParams(), pres, now));
      assert.equal(hex(pres.getUuidCiphertext().serialize()),
        hex(new zk.ClientZkGroupCipher(group).encryptServiceId(s.aci).serialize()));
    }
    assert.notEqual(hex(fresh), hex(got), 'no randomness given: fresh randomness used');
    // another server's key pair does not accept it
    const other = setup(rnd(32));
    assert.throws(() => other.server.verifyAuthCredentialPresentation(group.getPublicParams(),
      new zk.AuthCredentialPresentation(B(got)), now));
  }
});

test('present: a malformed credential or group is refused', () => {
  const s = setup(rnd(32));
  const cred = new zk.ClientZkAuthOperations(new zk.ServerPublicParams(s.pub))
    .receiveAuthCredentialWithPniAsServiceId(s.aci, s.pni, s.time, s.respObj).serialize();
  const group = zk.GroupSecretParams.generateWithRandom(rnd(32)).serialize();
  const wrongVersion = B(cred); wrongVersion[0] = 2;
  const badPoint = B(cred); badPoint[64] |= 0x80; // U's top bit: not canonical
  const r = c([`PR ${hex(s.pub)} ${hex(group)} ${hex(cred.subarray(0, 264))} -`,
    `PR ${hex(s.pub)} ${hex(group)} ${hex(wrongVersion)} -`,
    `PR ${hex(s.pub)} ${hex(group)} ${hex(badPoint)} -`]);
  assert.deepEqual(r, [{ err: SC_ERR_FORMAT }, { err: SC_ERR_FORMAT }, { err: SC_ERR_FORMAT }]);
});

test('C end to end: C receives, C presents, libsignal\'s server accepts', () => {
  const s = setup(rnd(32));
  const group = zk.GroupSecretParams.deriveFromMasterKey(new zk.GroupMasterKey(rnd(32)));
  const cred = c1(`RC ${hex(s.pub)} ${hex(s.aci.getRawUuidBytes())} ${hex(s.pni.getRawUuidBytes())} ${s.time} ${hex(s.resp)}`);
  assert.ok(Buffer.isBuffer(cred), `receive failed: ${JSON.stringify(cred)}`);
  const pres = c1(`PR ${hex(s.pub)} ${hex(group.serialize())} ${hex(cred)} -`);
  assert.ok(Buffer.isBuffer(pres), `present failed: ${JSON.stringify(pres)}`);
  s.server.verifyAuthCredentialPresentation(group.getPublicParams(),
    new zk.AuthCredentialPresentation(B(pres)), new Date(s.time * 1000));
  assert.equal(hex(new zk.AuthCredentialPresentation(B(pres)).getPniCiphertext().serialize()),
    hex(new zk.ClientZkGroupCipher(group).encryptServiceId(s.pni).serialize()));
});

test('the mock server 27.0.0\'s own group credential code: it issues, C receives and presents, it verifies', async () => {
  // node 20: the mock needs Promise.withResolvers before it is loaded
  if (!Promise.withResolvers) {
    Promise.withResolvers = function withResolvers() {
      let resolve, reject;
      const promise = new Promise((a, b) => { resolve = a; reject = b; });
      return { promise, resolve, reject };
    };
  }
  const { Server } = require('@signalapp/mock-server');
  const server = new Server(); // not listening: only its credential methods are used
  const pub = B(server.config.zkParams.publicParams, 'base64');
  const aci = Aci.fromUuidBytes(rnd(16)), pni = Pni.fromUuidBytes(rnd(16));
  const today = Math.floor(Date.now() / 1000 / DAY) * DAY;
  const creds = await server.getGroupCredentials(
    { aci: aci.getServiceIdString(), pni: pni.getServiceIdString() }, { from: today, to: today + DAY });
  assert.equal(creds.length, 2);
  const group = zk.GroupSecretParams.deriveFromMasterKey(new zk.GroupMasterKey(rnd(32)));
  const otherGroup = zk.GroupSecretParams.deriveFromMasterKey(new zk.GroupMasterKey(rnd(32)));
  for (const { credential, redemptionTime } of creds) {
    const resp = B(credential, 'base64');
    const cred = c1(`RC ${hex(pub)} ${hex(aci.getRawUuidBytes())} ${hex(pni.getRawUuidBytes())} ${redemptionTime} ${hex(resp)}`);
    assert.ok(Buffer.isBuffer(cred), `receive failed: ${JSON.stringify(cred)}`);
    // a day it was not issued for
    assert.equal(c1(`RC ${hex(pub)} ${hex(aci.getRawUuidBytes())} ${hex(pni.getRawUuidBytes())} ${redemptionTime + 2 * DAY} ${hex(resp)}`).err,
      SC_ERR_ZK_VERIFY);
    const pres = c1(`PR ${hex(pub)} ${hex(group.serialize())} ${hex(cred)} -`);
    assert.ok(Buffer.isBuffer(pres), `present failed: ${JSON.stringify(pres)}`);
    // the mock checks against the current time: today's and tomorrow's
    // credentials are both within its window
    await server.verifyGroupCredentials(group.getPublicParams().serialize(), pres);
    await assert.rejects(async () => server.verifyGroupCredentials(otherGroup.getPublicParams().serialize(), pres));
  }
});
