'use strict';
// ML-KEM-768 (FIPS 203) of sc_mlkem768 against crystals-kyber-js@2.7.0's
// MlKem768 (an independent implementation, deterministic through
// deriveKeyPair(d ‖ z) and encap(ek, m)), byte for byte, both ways. The C
// tool also checks that encaps1 + encaps2 (SPQR's incremental split) give
// the same ciphertext and secret. Go's published accumulated vector is in
// tests/unit/signal/crypto/test_sc_mlkem.c.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { cTool, hex } = require('./kyber-lib.js');
const { MlKem768 } = require('crystals-kyber-js');

const rnd = (n) => crypto.randomBytes(n);

test('keygen, encaps, decaps identical to crystals-kyber-js MlKem768 (16 seeds)', async () => {
  const ml = new MlKem768();
  const cases = [];
  for (let i = 0; i < 16; i++) {
    const seed = i ? rnd(64) : Buffer.alloc(64), m = i ? rnd(32) : Buffer.alloc(32);
    const [ek, dk] = await ml.deriveKeyPair(new Uint8Array(seed));
    const [ct, ss] = await ml.encap(ek, new Uint8Array(m));
    cases.push({ seed, m, ek: Buffer.from(ek), dk: Buffer.from(dk), ct: Buffer.from(ct), ss: Buffer.from(ss) });
  }
  const out = cTool(cases.flatMap((c) => [`k ${hex(c.seed)}`, `e ${hex(c.ek)} ${hex(c.m)}`, `d ${hex(c.ct)} ${hex(c.dk)}`]));
  cases.forEach((c, i) => {
    const tag = `seed=${hex(c.seed)} m=${hex(c.m)}`;
    assert.equal(c.ek.length, 1184);
    assert.equal(c.dk.length, 2400);
    assert.equal(hex(out[3 * i][0]), hex(c.ek), `ek, ${tag}`);
    assert.equal(hex(out[3 * i][1]), hex(c.dk), `dk, ${tag}`);
    assert.equal(hex(out[3 * i + 1][0]), hex(c.ct), `ct, ${tag}`);
    assert.equal(hex(out[3 * i + 1][1]), hex(c.ss), `ss, ${tag}`);
    assert.equal(hex(out[3 * i + 2][0]), hex(c.ss), `decaps ss, ${tag}`);
  });
});

test('implicit rejection: a modified ciphertext decapsulates as the oracle does', async () => {
  const ml = new MlKem768();
  const seed = rnd(64);
  const [ek, dk] = await ml.deriveKeyPair(new Uint8Array(seed));
  const [ct, ss] = await ml.encap(ek);
  const bad = Buffer.from(ct);
  bad[500] ^= 0x04;
  const [[cBad]] = cTool([`d ${hex(bad)} ${hex(dk)}`]);
  assert.notEqual(hex(cBad), hex(ss));
  assert.equal(hex(cBad), hex(await ml.decap(new Uint8Array(bad), dk)));
});

test('C keygen -> JS encaps -> C decaps, and JS keygen -> C encaps -> JS decaps', async () => {
  const ml = new MlKem768();
  for (let i = 0; i < 4; i++) {
    const [[ek, dk]] = cTool([`k ${hex(rnd(64))}`]);
    const [ct, ss] = await ml.encap(new Uint8Array(ek));
    const [[ss2]] = cTool([`d ${hex(ct)} ${hex(dk)}`]);
    assert.equal(hex(ss2), hex(ss));
    const [jek, jdk] = await ml.generateKeyPair();
    const [[cct, css]] = cTool([`e ${hex(jek)} ${hex(rnd(32))}`]);
    assert.equal(hex(await ml.decap(new Uint8Array(cct), jdk)), hex(css));
  }
});
