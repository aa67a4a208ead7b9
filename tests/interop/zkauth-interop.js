'use strict';
// The group auth credential in C (module/signal/crypto/sc_zkauth.c, through
// tests/interop/zkauth_tool) against libsignal-client 0.100's zkgroup as the
// oracle: its server issues, C receives; C presents, libsignal's server
// verifies; with fixed randomness C's bytes equal libsignal's client's.
// Also group send endorsements (sc_zkgse.c), below.
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

// ---- group send endorsements (sc_zkgse.c): libsignal's groups server
// issues (GroupSendEndorsementsResponse.issue), C receives, combines and
// makes the full token; libsignal's chat server (GroupSendFullToken.verify,
// as Signal-Server MessageController checkGroupSendToken) accepts it.

function gseSetup(nMembers, { expiration } = {}) {
  const secret = zk.ServerSecretParams.generateWithRandom(rnd(32));
  const pub = secret.getPublicParams().serialize();
  const group = zk.GroupSecretParams.deriveFromMasterKey(new zk.GroupMasterKey(rnd(32)));
  const members = Array.from({ length: nMembers }, () => Aci.fromUuidBytes(rnd(16)));
  const now = Math.floor(Date.now() / 1000);
  const exp = expiration ?? (Math.floor(now / DAY) + 2) * DAY;
  const keyPair = zk.GroupSendDerivedKeyPair.forExpiration(new Date(exp * 1000), secret);
  const cipher = new zk.ClientZkGroupCipher(group);
  const resp = zk.GroupSendEndorsementsResponse.issue(
    members.map((m) => cipher.encryptServiceId(m)), keyPair);
  return { secret, pub, group, members, now, exp, keyPair, resp, respB: B(resp.serialize()) };
}
const acisHex = (ms) => hex(Buffer.concat(ms.map((m) => B(m.getRawUuidBytes()))));
const gr = (s, members, now, resp, pub = s.pub, group = s.group) =>
  `GR ${hex(pub)} ${hex(group.serialize())} ${acisHex(members)} ${now} ${hex(resp)}`;
const SC_ERR_ZK_VERIFY_ = -1005;

test('endorsements: C receives libsignal\'s response with libsignal\'s bytes, in member order', () => {
  for (const n of [1, 2, 7, 40]) {
    const s = gseSetup(n);
    const got = c1(gr(s, s.members, s.now, s.respB));
    assert.ok(Buffer.isBuffer(got), `n=${n}: ${JSON.stringify(got)}`);
    assert.equal(Number(got.readBigUInt64LE(0)), s.exp);
    const want = s.resp.receiveWithServiceIds(s.members, s.members[0], s.group,
      new zk.ServerPublicParams(s.pub)).endorsements;
    for (let i = 0; i < n; i++)
      assert.equal(hex(got.subarray(8 + 32 * i, 40 + 32 * i)), hex(B(want[i].getContents()).subarray(1)),
        `n=${n} member ${i}`);
    // another order of the same members: the same endorsements, reordered
    const perm = s.members.map((m, i) => i).reverse();
    const got2 = c1(gr(s, perm.map((i) => s.members[i]), s.now, s.respB));
    for (let j = 0; j < n; j++)
      assert.equal(hex(got2.subarray(8 + 32 * j, 40 + 32 * j)), hex(got.subarray(8 + 32 * perm[j], 40 + 32 * perm[j])));
  }
});

test('endorsements: C\'s combined full token is accepted by libsignal for exactly its recipients', () => {
  const s = gseSetup(6);
  const got = c1(gr(s, s.members, s.now, s.respB));
  const e = (i) => got.subarray(8 + 32 * i, 40 + 32 * i);
  const subset = [1, 2, 4, 5]; // all but member 0 (us) and member 3
  const tok = c1(`GT ${hex(s.pub)} ${hex(s.group.serialize())} ${hex(Buffer.concat(subset.map(e)))} ${s.exp}`);
  assert.ok(Buffer.isBuffer(tok), JSON.stringify(tok));
  assert.equal(tok.length, 33);
  const full = new zk.GroupSendFullToken(B(tok));
  assert.equal(full.getExpiration().getTime(), s.exp * 1000);
  full.verify(subset.map((i) => s.members[i]), s.keyPair); // throws if refused
  // byte-equal to libsignal's own combine + toFullToken
  const lib = s.resp.receiveWithServiceIds(s.members, s.members[0], s.group,
    new zk.ServerPublicParams(s.pub)).endorsements;
  const libTok = zk.GroupSendEndorsement.combine(subset.map((i) => lib[i]))
    .toFullToken(s.group, new Date(s.exp * 1000)).serialize();
  assert.equal(hex(tok), hex(B(libTok)));
  // C's combine equals libsignal's
  assert.equal(hex(c1(`GC ${hex(s.pub)} ${hex(Buffer.concat(subset.map(e)))}`)),
    hex(B(zk.GroupSendEndorsement.combine(subset.map((i) => lib[i])).getContents()).subarray(1)));
  // a different recipient set, another expiration, another group: refused
  assert.throws(() => full.verify([1, 2, 4].map((i) => s.members[i]), s.keyPair));
  assert.throws(() => full.verify([0, 1, 2, 4, 5].map((i) => s.members[i]), s.keyPair));
  const other = zk.GroupSecretParams.deriveFromMasterKey(new zk.GroupMasterKey(rnd(32)));
  const tokOther = c1(`GT ${hex(s.pub)} ${hex(other.serialize())} ${hex(Buffer.concat(subset.map(e)))} ${s.exp}`);
  assert.throws(() => new zk.GroupSendFullToken(B(tokOther)).verify(subset.map((i) => s.members[i]), s.keyPair));
  // one member alone
  const one = c1(`GT ${hex(s.pub)} ${hex(s.group.serialize())} ${hex(e(3))} ${s.exp}`);
  new zk.GroupSendFullToken(B(one)).verify([s.members[3]], s.keyPair);
});

test('endorsements: a tampered response, wrong members, group, server or time are refused', () => {
  const s = gseSetup(5);
  const flip = (i) => { const x = B(s.respB); x[i] ^= 1; return x; };
  const nR = 5, proofAt = 9 + 32 * nR + 8;
  const other = gseSetup(5);
  const lines = [
    gr(s, s.members, s.now, s.respB), // control
    gr(s, s.members, s.now, flip(9 + 32 * 2 + 3)), // in an endorsement
    gr(s, s.members, s.now, flip(proofAt + 40)), // in the proof
    gr(s, [...s.members.slice(0, 4), Aci.fromUuidBytes(rnd(16))], s.now, s.respB), // a stranger
    gr(s, s.members.slice(0, 4), s.now, s.respB), // a member missing
    gr(s, s.members, s.now, s.respB, other.pub), // another server
    gr(s, s.members, s.now, s.respB, s.pub, other.group), // another group
    gr(s, s.members, s.exp - 3600, s.respB), // expires within 2 hours
    gr(s, s.members, s.exp - 8 * DAY, s.respB), // more than 7 days ahead
    gr(s, s.members, s.now, s.respB.subarray(0, s.respB.length - 1)), // truncated
    gr(s, s.members, s.now, Buffer.concat([s.respB, B([0])])), // trailing byte
  ];
  // the expiration itself changed (day-aligned, so only the key is wrong)
  const moved = B(s.respB); moved.writeBigUInt64LE(BigInt(s.exp + DAY), moved.length - 8);
  lines.push(gr(s, s.members, s.now, moved));
  const r = c(lines);
  assert.ok(Buffer.isBuffer(r[0]), JSON.stringify(r[0]));
  for (let i = 1; i <= 8; i++)
    assert.equal(r[i].err, SC_ERR_ZK_VERIFY_, `line ${i}: ${JSON.stringify(r[i])}`);
  assert.equal(r[9].err, SC_ERR_FORMAT);
  assert.equal(r[10].err, SC_ERR_FORMAT);
  assert.equal(r[11].err, SC_ERR_ZK_VERIFY_);
  // libsignal agrees on the tampered bytes
  for (const x of [flip(9 + 32 * 2 + 3), flip(proofAt + 40), moved])
    assert.throws(() => new zk.GroupSendEndorsementsResponse(x).receiveWithServiceIds(
      s.members, s.members[0], s.group, new zk.ServerPublicParams(s.pub)));
});
