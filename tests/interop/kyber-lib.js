'use strict';
// Shared helpers of the Kyber node oracles: run tests/interop/kyber_tool
// (the C implementation) and make crystals-kyber@5.1.0 deterministic.
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const crypto = require('node:crypto');

const builddir = process.env.top_builddir || path.resolve(__dirname, '../../build');
const TOOL = path.join(builddir, 'tests/interop/kyber_tool');

// Send request lines to the C tool; returns one array of hex fields per line.
// env: extra environment (SC_KYBER_NO_AVX2=1 selects the OpenSSL-only path).
function cTool(lines, env) {
  const r = spawnSync(TOOL, [], { input: lines.join('\n') + '\n', maxBuffer: 1 << 28,
    env: env ? { ...process.env, ...env } : process.env });
  if (r.status !== 0) throw new Error(`kyber_tool exit ${r.status}: ${r.stderr}`);
  const out = r.stdout.toString().trim().split('\n');
  if (out.length !== lines.length) throw new Error(`kyber_tool gave ${out.length} lines for ${lines.length}`);
  return out.map((l) => {
    if (l.startsWith('ERR')) throw new Error(`kyber_tool: ${l}`);
    return l.split(' ').map((h) => Buffer.from(h, 'hex'));
  });
}

const hex = (b) => Buffer.from(b).toString('hex');

// crystals-kyber takes its randomness from webcrypto.getRandomValues, which
// it calls in the reference order (keygen: d then z; encaps: m). Feed it
// chosen bytes for the duration of fn.
function withCoins(chunks, fn) {
  const wc = crypto.webcrypto;
  const queue = chunks.map((c) => Buffer.from(c));
  const had = Object.prototype.hasOwnProperty.call(wc, 'getRandomValues');
  const saved = wc.getRandomValues;
  wc.getRandomValues = (arr) => {
    const next = queue.shift();
    if (!next || next.length !== arr.length) throw new Error('unexpected randomness request');
    arr.set(next);
    return arr;
  };
  try {
    const r = fn();
    if (queue.length) throw new Error('randomness left unused');
    return r;
  } finally {
    if (had) wc.getRandomValues = saved; else delete wc.getRandomValues;
  }
}

// NIST's AES-256-CTR DRBG (rng.c of the KAT generator): the source of the
// coins behind PQCkemKAT_3168.rsp.
class NistDrbg {
  constructor(seed48) {
    this.key = Buffer.alloc(32);
    this.v = Buffer.alloc(16);
    this.update(seed48);
  }
  block() {
    for (let i = 15; i >= 0; i--) { this.v[i] = (this.v[i] + 1) & 0xff; if (this.v[i]) break; }
    const c = crypto.createCipheriv('aes-256-ecb', this.key, null);
    c.setAutoPadding(false);
    return c.update(this.v);
  }
  update(data) {
    const t = Buffer.concat([this.block(), this.block(), this.block()]);
    if (data) for (let i = 0; i < 48; i++) t[i] ^= data[i];
    this.key = t.subarray(0, 32);
    this.v = Buffer.from(t.subarray(32, 48));
  }
  bytes(n) {
    const parts = [];
    let got = 0;
    while (got < n) { const b = this.block(); parts.push(b); got += 16; }
    this.update(null);
    return Buffer.concat(parts).subarray(0, n);
  }
}

module.exports = { cTool, hex, withCoins, NistDrbg };
