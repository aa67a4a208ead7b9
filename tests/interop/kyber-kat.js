'use strict';
// Known answers for sc_kyber, generated in the test run: the C code
// (tests/interop/kyber_tool) against crystals-kyber@5.1.0 (JS port of the
// round-3 reference), the NIST round-3 KAT file that package ships, and
// crystals-kyber-js@2.7.0's ML-KEM-1024, which must NOT agree.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { cTool, hex, withCoins, NistDrbg } = require('./kyber-lib.js');

const kyberJs = require('crystals-kyber');
const { MlKem1024 } = require('crystals-kyber-js');

const jsKeyGen = (d, z) => withCoins([d, z], () => kyberJs.KeyGen1024()).map((a) => Buffer.from(a));
const jsEnc = (pk, m) => withCoins([m], () => kyberJs.Encrypt1024(Array.from(pk))).map((a) => Buffer.from(a));
const jsDec = (ct, sk) => Buffer.from(kyberJs.Decrypt1024(Array.from(ct), Array.from(sk)));
const rnd = (n) => crypto.randomBytes(n);

// Both SHAKE paths of sc_kyber: AVX2 batches (where the CPU has AVX2) and
// OpenSSL only.
for (const [label, env] of [['default path', undefined], ['OpenSSL-only path', { SC_KYBER_NO_AVX2: '1' }]]) {
test(`NIST round-3 KAT file (100 vectors), ${label}: keygen, encaps, decaps byte for byte`, () => {
  const file = path.join(path.dirname(require.resolve('crystals-kyber')), 'PQCkemKAT_3168.rsp');
  const text = fs.readFileSync(file, 'utf8');
  const vecs = [];
  let cur = null;
  for (const line of text.split('\n')) {
    const m = /^(\w+) = ([0-9A-Fa-f]*)$/.exec(line.trim());
    if (!m) continue;
    if (m[1] === 'count') { cur = {}; vecs.push(cur); }
    cur[m[1]] = m[1] === 'count' ? Number(m[2]) : Buffer.from(m[2], 'hex');
  }
  assert.equal(vecs.length, 100);
  const reqs = [];
  for (const v of vecs) {
    const drbg = new NistDrbg(v.seed);
    const d = drbg.bytes(32), z = drbg.bytes(32), msg = drbg.bytes(32);
    reqs.push(`K ${hex(Buffer.concat([d, z]))}`, `E ${hex(v.pk)} ${hex(msg)}`, `D ${hex(v.ct)} ${hex(v.sk)}`);
  }
  const out = cTool(reqs, env);
  vecs.forEach((v, i) => {
    const [k, e, d] = out.slice(3 * i, 3 * i + 3);
    assert.equal(hex(k[0]), hex(v.pk), `pk of count ${v.count}`);
    assert.equal(hex(k[1]), hex(v.sk), `sk of count ${v.count}`);
    assert.equal(hex(e[0]), hex(v.ct), `ct of count ${v.count}`);
    assert.equal(hex(e[1]), hex(v.ss), `ss (encaps) of count ${v.count}`);
    assert.equal(hex(d[0]), hex(v.ss), `ss (decaps) of count ${v.count}`);
  });
});
}

test('fixed seeds: C and crystals-kyber produce identical pk, sk, ct, ss', () => {
  const cases = [];
  for (let i = 0; i < 8; i++) {
    // first case all-zero coins, the rest random: printed on failure
    const d = i ? rnd(32) : Buffer.alloc(32), z = i ? rnd(32) : Buffer.alloc(32), m = i ? rnd(32) : Buffer.alloc(32);
    const [pk, sk] = jsKeyGen(d, z);
    const [ct, ss] = jsEnc(pk, m);
    cases.push({ d, z, m, pk, sk, ct, ss });
  }
  const out = cTool(cases.flatMap((c) => [`K ${hex(c.d)}${hex(c.z)}`, `E ${hex(c.pk)} ${hex(c.m)}`, `D ${hex(c.ct)} ${hex(c.sk)}`]));
  cases.forEach((c, i) => {
    const tag = `coins d=${hex(c.d)} z=${hex(c.z)} m=${hex(c.m)}`;
    assert.equal(c.pk.length, 1568);
    assert.equal(c.sk.length, 3168);
    assert.equal(hex(out[3 * i][0]), hex(c.pk), `pk, ${tag}`);
    assert.equal(hex(out[3 * i][1]), hex(c.sk), `sk, ${tag}`);
    assert.equal(hex(out[3 * i + 1][0]), hex(c.ct), `ct, ${tag}`);
    assert.equal(hex(out[3 * i + 1][1]), hex(c.ss), `ss, ${tag}`);
    assert.equal(hex(out[3 * i + 2][0]), hex(c.ss), `decaps ss, ${tag}`);
  });
});

test('JS keygen -> C encaps -> JS decaps', () => {
  for (let i = 0; i < 4; i++) {
    const [pk, sk] = jsKeyGen(rnd(32), rnd(32));
    const [[ct, ss]] = cTool([`E ${hex(pk)} ${hex(rnd(32))}`]);
    assert.equal(hex(jsDec(ct, sk)), hex(ss));
  }
});

test('C keygen -> JS encaps -> C decaps', () => {
  for (let i = 0; i < 4; i++) {
    const [[pk, sk]] = cTool([`K ${hex(rnd(64))}`]);
    const [ct, ss] = jsEnc(pk, rnd(32));
    const [[ss2]] = cTool([`D ${hex(ct)} ${hex(sk)}`]);
    assert.equal(hex(ss2), hex(ss));
  }
});

test('implicit rejection of a modified ciphertext matches the reference', () => {
  const [pk, sk] = jsKeyGen(rnd(32), rnd(32));
  const [ct, ss] = jsEnc(pk, rnd(32));
  const bad = Buffer.from(ct);
  bad[700] ^= 0x10;
  const [[cBad]] = cTool([`D ${hex(bad)} ${hex(sk)}`]);
  assert.notEqual(hex(cBad), hex(ss));
  assert.equal(hex(cBad), hex(jsDec(bad, sk)));
});

test('ML-KEM-1024 (FIPS 203) decapsulation of the same input differs', async () => {
  const mlkem = new MlKem1024();
  // the oracle works: its own round trip agrees
  const [mpk, msk] = await mlkem.generateKeyPair();
  const [mct, mss] = await mlkem.encap(mpk);
  assert.equal(hex(await mlkem.decap(mct, msk)), hex(mss));
  assert.equal(mpk.length, 1568);
  assert.equal(msk.length, 3168);

  // a Kyber round-3 (ct, sk) from C: ML-KEM decapsulates to another secret
  const [[pk, sk]] = cTool([`K ${hex(rnd(64))}`]);
  const [[ct, ss]] = cTool([`E ${hex(pk)} ${hex(rnd(32))}`]);
  const ml = Buffer.from(await mlkem.decap(new Uint8Array(ct), new Uint8Array(sk)));
  assert.equal(ml.length, 32);
  assert.notEqual(hex(ml), hex(ss));

  // and the C code does not decapsulate ML-KEM's ciphertext to ML-KEM's secret
  const [[cSs]] = cTool([`D ${hex(mct)} ${hex(msk)}`]);
  assert.notEqual(hex(cSs), hex(mss));
});
