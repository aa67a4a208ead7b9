'use strict';
// Full SPQR against libsignal 0.100 (@signalapp/libsignal-client), both
// directions: >= 240 messages in bursts of 1-5, each burst delivered out of
// order and one message per burst held back for two bursts, while the
// ML-KEM-768 epochs advance on both sides. Our side is read through
// session_tool's `spqr` debug command (SCKA epoch and state, newest chain
// epoch); libsignal's side through the SCKA epoch it writes into every
// message's pq_ratchet field (spqr src/v1/chunked/states/serialize.rs:
// 01 ‖ varint epoch ‖ varint index ‖ type ...). A record round trip of the
// C side every few bursts checks that the SPQR state serializes.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const S = require('@signalapp/libsignal-client');
const { makeStores } = require('../lib/libsignal-stores.js');
const { jsEnd, cEnd, newC, hexb } = require('./session-lib.js');

function varint(b, at) {
  let v = 0n, shift = 0n;
  for (;;) {
    const x = b[at.i++];
    v |= BigInt(x & 0x7f) << shift;
    if (!(x & 0x80)) return v;
    shift += 7n;
  }
}

// pq_ratchet (field 5) of a SignalMessage: 0x44 ‖ protobuf ‖ MAC(8).
function pqRatchet(bytes) {
  const b = bytes.subarray(1, bytes.length - 8);
  const at = { i: 0 };
  while (at.i < b.length) {
    const tag = Number(varint(b, at)), field = tag >> 3, wt = tag & 7;
    if (wt === 0) varint(b, at);
    else if (wt === 2) {
      const n = Number(varint(b, at));
      if (field === 5) return b.subarray(at.i, at.i + n);
      at.i += n;
    } else throw new Error(`wire type ${wt}`);
  }
  return null;
}

function scka(bytes) {
  const pq = pqRatchet(bytes);
  assert.ok(pq && pq[0] === 1, 'libsignal sends a V1 pq_ratchet');
  const at = { i: 1 };
  const epoch = Number(varint(pq, at));
  varint(pq, at);
  return { epoch, type: pq[at.i] };
}

async function run(first, second, js, c, { bursts = 120 } = {}) {
  let seq = 0, delivered = 0;
  const late = [], jsEpochs = new Set(), jsTypes = new Set(), ours = [];
  for (let r = 0; r < bursts; r++) {
    const from = r % 2 ? second : first, to = r % 2 ? first : second;
    const n = 1 + ((r * 7) % 5);
    const burst = [];
    for (let i = 0; i < n; i++) {
      const pt = Buffer.from(`${from.name} #${seq++} ` + 'y'.repeat((r * 13 + i * 5) % 97));
      const m = await from.enc(pt);
      if (from === js && m.type === 2) {
        const s = scka(m.bytes);
        jsEpochs.add(s.epoch);
        jsTypes.add(s.type);
      }
      burst.push({ pt, m, to });
    }
    if (r >= 2 && burst.length > 1) late.push({ at: r + 2, ...burst.splice(0, 1)[0] });
    burst.reverse(); // newest first: every burst arrives out of order
    for (const b of burst) { assert.deepEqual(await to.dec(b.m), b.pt, `burst ${r}`); delivered++; }
    for (const l of late.filter((x) => x.at === r)) {
      assert.deepEqual(await l.to.dec(l.m), l.pt, `held-back message, burst ${r}`);
      delivered++;
    }
    if (r % 10 === 5) await c.ok('save');
    const [ok, se, st, ce] = (await c.cmd('spqr')).split(' ');
    ours.push(ok === 'OK' ? { scka: Number(se), state: Number(st), chain: Number(ce) } : null);
  }
  for (const l of late.filter((x) => x.at >= bursts)) {
    assert.deepEqual(await l.to.dec(l.m), l.pt);
    delivered++;
  }
  return { delivered, seq, jsEpochs, jsTypes, ours };
}

function checkAdvanced(res, t) {
  const js = [...res.jsEpochs].sort((a, b) => a - b);
  t.diagnostic(`messages ${res.delivered}; libsignal's SCKA epochs ${js.join(',')}; payload types ` +
    `${[...res.jsTypes].sort()}; ours (SCKA epoch/state/chain epoch) every 20 bursts: ` +
    res.ours.filter((_, i) => i % 20 === 19).map((o) => o ? `${o.scka}/${o.state}/${o.chain}` : '-').join(' '));
  assert.ok(res.delivered >= 240, `${res.delivered} messages`);
  assert.equal(res.delivered, res.seq, 'every message decrypted once');
  // each epoch takes ~44 chunks from alternating sides: 120 bursts give several
  assert.ok(js.at(-1) >= 4, `libsignal's SCKA reached epoch ${js.at(-1)}`);
  assert.ok(res.ours.every((o) => o), 'session_tool reports our SPQR state');
  const ourEpochs = res.ours.map((o) => o.scka), chain = res.ours.map((o) => o.chain);
  assert.ok(ourEpochs.at(-1) >= 4, `our SCKA reached epoch ${ourEpochs.at(-1)}`);
  assert.ok(chain.at(-1) >= 3, `our chain reached epoch ${chain.at(-1)}`);
  for (let i = 1; i < ourEpochs.length; i++) assert.ok(ourEpochs[i] >= ourEpochs[i - 1], 'epochs never go back');
  // libsignal sent key material itself (Hdr/Ek chunks) and ciphertexts
  assert.ok(res.jsTypes.has(1) || res.jsTypes.has(2), 'libsignal sent header or key chunks');
  assert.ok(res.jsTypes.has(5) || res.jsTypes.has(6), 'libsignal sent ciphertext chunks');
}

test('libsignal opens (A2B), C answers (B2A): epochs advance both ways over 240+ messages', async (t) => {
  const jsUuid = crypto.randomUUID(), cUuid = crypto.randomUUID();
  const jsAddr = S.ProtocolAddress.new(jsUuid, 1), cAddr = S.ProtocolAddress.new(cUuid, 2);
  const st = makeStores(S, S.IdentityKeyPair.generate(), 1212);
  const { c } = await newC(2121, cUuid, 2, jsUuid, 1);
  t.after(() => c.close());
  const f = await c.ok('bundle 11 22 33');
  await S.processPreKeyBundle(S.PreKeyBundle.new(Number(f[0]), 2, Number(f[1]), S.PublicKey.deserialize(hexb(f[2])),
    Number(f[3]), S.PublicKey.deserialize(hexb(f[4])), hexb(f[5]), S.PublicKey.deserialize(hexb(f[6])),
    Number(f[7]), S.KEMPublicKey.deserialize(hexb(f[8])), hexb(f[9])), cAddr, jsAddr, st.sessions, st.identity);
  const js = jsEnd(st, jsAddr, cAddr), cc = cEnd(c);
  const res = await run(js, cc, js, c);
  checkAdvanced(res, t);
});

test('C opens (A2B), libsignal answers (B2A): epochs advance both ways over 240+ messages', async (t) => {
  const jsUuid = crypto.randomUUID(), cUuid = crypto.randomUUID();
  const jsAddr = S.ProtocolAddress.new(jsUuid, 1), cAddr = S.ProtocolAddress.new(cUuid, 2);
  const ikp = S.IdentityKeyPair.generate();
  const st = makeStores(S, ikp, 3434);
  const { c } = await newC(4343, cUuid, 2, jsUuid, 1);
  t.after(() => c.close());
  const spk = S.PrivateKey.generate(), kyb = S.KEMKeyPair.generate();
  const spkSig = Buffer.from(ikp.privateKey.sign(spk.getPublicKey().serialize()));
  const kybSig = Buffer.from(ikp.privateKey.sign(kyb.getPublicKey().serialize()));
  await st.signedPreKeys.saveSignedPreKey(5, S.SignedPreKeyRecord.new(5, Date.now(), spk.getPublicKey(), spk, spkSig));
  await st.kyberPreKeys.saveKyberPreKey(6, S.KyberPreKeyRecord.new(6, Date.now(), kyb, kybSig));
  const h = (b) => Buffer.from(b).toString('hex');
  await c.ok(`process 3434 0 - 5 ${h(spk.getPublicKey().serialize())} ${h(spkSig)} ${h(ikp.publicKey.serialize())} ` +
    `6 ${h(kyb.getPublicKey().serialize())} ${h(kybSig)}`);
  const js = jsEnd(st, jsAddr, cAddr), cc = cEnd(c);
  const res = await run(cc, js, js, c);
  checkAdvanced(res, t);
});
