'use strict';
// sc_zk (module/signal/crypto/sc_zkgroup.c, sc_lizard.c) against
// @signalapp/libsignal-client 0.100's zkgroup: GroupSecretParams and
// GroupPublicParams byte-equal for random master keys, UuidCiphertext and
// ProfileKeyCiphertext byte-equal, each side decrypting the other's, and
// both sides rejecting the same tampered ciphertexts.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { Aci, Pni } = require('@signalapp/libsignal-client');
const zk = require('@signalapp/libsignal-client/zkgroup');

const TOOL = path.join(process.env.top_builddir || path.resolve(__dirname, '../../build'),
  'tests/interop/zkgroup_tool');
const B = (x, e) => Buffer.from(x, e);
const hex = (b) => B(b).toString('hex');
const rnd = (n) => crypto.randomBytes(n);

// Run requests in one process; per line an array of hex/decimal fields or {err}.
function c(lines) {
  const r = spawnSync(TOOL, [], { input: lines.join('\n') + '\n', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`zkgroup_tool exit ${r.status} ${r.signal || ''}: ${r.stderr}`);
  const out = r.stdout.toString().replace(/\n$/, '').split('\n');
  if (out.length !== lines.length) throw new Error(`zkgroup_tool: ${out.length} answers to ${lines.length} lines`);
  return out.map((l) => (l.startsWith('ERR ') ? { err: Number(l.slice(4)) } : l.split(' ')));
}
const ok = (r, what) => {
  if (r.err !== undefined) throw new Error(`${what}: ERR ${r.err}`);
  return r;
};

const SC_ERR_FORMAT = -1004, SC_ERR_ZK_VERIFY = -1005;

const secretOf = (mk) => zk.GroupSecretParams.deriveFromMasterKey(new zk.GroupMasterKey(mk));

// libsignal's verdict on a ciphertext: the decrypted value, or null if the
// constructor (deserialization) or the decryption throws.
function libUid(cipher, ct) {
  try {
    return cipher.decryptServiceId(new zk.UuidCiphertext(B(ct)));
  } catch (e) {
    return null;
  }
}
function libPk(cipher, ct, aci) {
  try {
    return cipher.decryptProfileKey(new zk.ProfileKeyCiphertext(B(ct)), aci);
  } catch (e) {
    return null;
  }
}

test('GroupSecretParams and GroupPublicParams are byte-equal to libsignal', () => {
  const keys = [B(new Uint8Array(32)), B(new Uint8Array(32).fill(0xff))];
  for (let i = 0; i < 60; i++) keys.push(rnd(32));
  const res = c(keys.map((k) => `GD ${hex(k)}`));
  keys.forEach((k, i) => {
    const [sec, pub] = ok(res[i], 'GD');
    const sp = secretOf(k);
    assert.equal(sec.length, 289 * 2);
    assert.equal(sec, hex(sp.serialize()), `secret params for ${hex(k)}`);
    assert.equal(pub, hex(sp.getPublicParams().serialize()), `public params for ${hex(k)}`);
    // and libsignal accepts C's bytes as its own type
    assert.equal(hex(new zk.GroupSecretParams(B(sec, 'hex')).getMasterKey().serialize()), hex(k));
  });
});

test('UuidCiphertext: byte-equal for ACIs and PNIs, each side decrypts the other', () => {
  const cases = [];
  for (let i = 0; i < 80; i++) {
    const mk = rnd(32);
    const kind = i % 2;
    const uuid = i === 0 ? B(new Uint8Array(16)) : i === 1 ? B(new Uint8Array(16).fill(0xff)) : rnd(16);
    cases.push({ mk, kind, uuid, sid: kind ? Pni.fromUuidBytes(uuid) : Aci.fromUuidBytes(uuid) });
  }
  const enc = c(cases.map((x) => `UE ${hex(x.mk)} ${x.kind} ${hex(x.uuid)}`));
  const libCts = cases.map((x) => new zk.ClientZkGroupCipher(secretOf(x.mk)).encryptServiceId(x.sid).serialize());
  const dec = c(cases.map((x, i) => `UD ${hex(x.mk)} ${hex(libCts[i])}`));
  cases.forEach((x, i) => {
    const [ct] = ok(enc[i], 'UE');
    assert.equal(ct, hex(libCts[i]), `uuid ciphertext ${i} (kind ${x.kind})`);
    const [kind, uuid] = ok(dec[i], 'UD');
    assert.equal(Number(kind), x.kind);
    assert.equal(uuid, hex(x.uuid));
    const back = libUid(new zk.ClientZkGroupCipher(secretOf(x.mk)), B(ct, 'hex'));
    assert.ok(back, 'libsignal decrypts the C ciphertext');
    assert.ok(back.isEqual(x.sid));
  });
});

test('UuidCiphertext: C and libsignal reject the same tampered and foreign ciphertexts', () => {
  const mk = rnd(32), other = rnd(32);
  const cipher = new zk.ClientZkGroupCipher(secretOf(mk));
  const cts = [];
  for (let i = 0; i < 4; i++) {
    cts.push(B(cipher.encryptServiceId(i % 2 ? Pni.fromUuidBytes(rnd(16)) : Aci.fromUuidBytes(rnd(16))).serialize()));
  }
  const bad = [];
  for (let bit = 0; bit < 65 * 8; bit++) {
    const t = B(cts[bit % 4]);
    t[bit >> 3] ^= 1 << (bit & 7);
    bad.push(t);
  }
  // valid points in the wrong places: swapped halves, halves of two ciphertexts
  bad.push(Buffer.concat([B([0]), cts[0].subarray(33), cts[0].subarray(1, 33)]));
  bad.push(Buffer.concat([cts[0].subarray(0, 33), cts[1].subarray(33)]));
  bad.push(Buffer.concat([cts[1].subarray(0, 33), cts[0].subarray(33)]));
  bad.push(B(new Uint8Array(65)));
  for (let i = 0; i < 40; i++) bad.push(rnd(65));
  const res = c(bad.map((t) => `UD ${hex(mk)} ${hex(t)}`));
  let rejected = 0;
  bad.forEach((t, i) => {
    const lib = libUid(cipher, t);
    if (lib === null) {
      assert.ok(res[i].err === SC_ERR_FORMAT || res[i].err === SC_ERR_ZK_VERIFY,
        `C must reject what libsignal rejects: ${hex(t)} -> ${JSON.stringify(res[i])}`);
      rejected++;
    } else {
      const [kind, uuid] = ok(res[i], `C rejected what libsignal accepts: ${hex(t)}`);
      assert.equal(uuid, hex(lib.getRawUuidBytes()));
      assert.equal(Number(kind), lib instanceof Pni ? 1 : 0);
    }
  });
  assert.ok(rejected > bad.length - 5, `libsignal rejected only ${rejected} of ${bad.length}`);
  // the other group's key cannot decrypt
  const foreign = c(cts.map((t) => `UD ${hex(other)} ${hex(t)}`));
  foreign.forEach((r) => assert.equal(r.err, SC_ERR_ZK_VERIFY));
  // wrong lengths and a set reserved byte are format errors
  const fmt = c([`UD ${hex(mk)} ${hex(cts[0].subarray(0, 64))}`, `UD ${hex(mk)} ${hex(Buffer.concat([cts[0], B([0])]))}`,
    `UD ${hex(mk)} 01${hex(cts[0].subarray(1))}`]);
  fmt.forEach((r) => assert.equal(r.err, SC_ERR_FORMAT));
});

test('ProfileKeyCiphertext: byte-equal, each side decrypts the other, wrong ACI rejected by both', () => {
  const cases = [];
  for (let i = 0; i < 40; i++) {
    const pk = rnd(32);
    if (i < 8) { // the three bits the Elligator encoding clears, every combination
      pk[0] = (pk[0] & 0xfe) | ((i >> 2) & 1);
      pk[31] = (pk[31] & 0x3f) | ((i & 3) << 6);
    }
    cases.push({ mk: rnd(32), pk, uuid: rnd(16) });
  }
  const enc = c(cases.map((x) => `PE ${hex(x.mk)} ${hex(x.pk)} ${hex(x.uuid)}`));
  const libCts = cases.map((x) => B(new zk.ClientZkGroupCipher(secretOf(x.mk))
    .encryptProfileKey(new zk.ProfileKey(x.pk), Aci.fromUuidBytes(x.uuid)).serialize()));
  const dec = c(cases.map((x, i) => `PD ${hex(x.mk)} ${hex(libCts[i])} ${hex(x.uuid)}`));
  const wrongAci = cases.map(() => rnd(16));
  const decWrong = c(cases.map((x, i) => `PD ${hex(x.mk)} ${hex(libCts[i])} ${hex(wrongAci[i])}`));
  cases.forEach((x, i) => {
    const [ct] = ok(enc[i], 'PE');
    assert.equal(ct, hex(libCts[i]), `profile key ciphertext ${i}`);
    assert.equal(ok(dec[i], 'PD')[0], hex(x.pk));
    const cipher = new zk.ClientZkGroupCipher(secretOf(x.mk));
    const back = libPk(cipher, B(ct, 'hex'), Aci.fromUuidBytes(x.uuid));
    assert.ok(back, 'libsignal decrypts the C ciphertext');
    assert.equal(hex(back.serialize()), hex(x.pk));
    assert.equal(decWrong[i].err, SC_ERR_ZK_VERIFY);
    assert.equal(libPk(cipher, libCts[i], Aci.fromUuidBytes(wrongAci[i])), null);
  });
});

test('ProfileKeyCiphertext: C and libsignal agree on tampered ciphertexts', () => {
  const mk = rnd(32), uuid = rnd(16), aci = Aci.fromUuidBytes(uuid);
  const cipher = new zk.ClientZkGroupCipher(secretOf(mk));
  const ct = B(cipher.encryptProfileKey(new zk.ProfileKey(rnd(32)), aci).serialize());
  const ct2 = B(cipher.encryptProfileKey(new zk.ProfileKey(rnd(32)), aci).serialize());
  const bad = [];
  for (let bit = 0; bit < 65 * 8; bit += 2) {
    const t = B(ct);
    t[bit >> 3] ^= 1 << (bit & 7);
    bad.push(t);
  }
  bad.push(Buffer.concat([ct.subarray(0, 33), ct2.subarray(33)]));
  bad.push(B(new Uint8Array(65)));
  for (let i = 0; i < 20; i++) bad.push(rnd(65));
  const res = c(bad.map((t) => `PD ${hex(mk)} ${hex(t)} ${hex(uuid)}`));
  bad.forEach((t, i) => {
    const lib = libPk(cipher, t, aci);
    if (lib === null) {
      assert.ok(res[i].err === SC_ERR_FORMAT || res[i].err === SC_ERR_ZK_VERIFY,
        `C must reject what libsignal rejects: ${hex(t)} -> ${JSON.stringify(res[i])}`);
    } else {
      assert.equal(ok(res[i], `C rejected what libsignal accepts: ${hex(t)}`)[0], hex(lib.serialize()));
    }
  });
});
