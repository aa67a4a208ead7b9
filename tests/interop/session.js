'use strict';
// Protocol v4 sessions: the C implementation (tests/interop/session_tool)
// against @signalapp/libsignal-client 0.100.0, both directions:
//  * libsignal opens the session (processPreKeyBundle with a bundle made by
//    C) and the C side opens one to libsignal (C processes libsignal's
//    bundle); then >= 50 messages each way with reordering, late (skipped)
//    messages delivered after DH ratchet turns, and C record round trips.
//  * tampered MAC, ciphertext, Kyber ciphertext and pre-key signatures are
//    rejected with their own error codes; replays are duplicates.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const S = require('@signalapp/libsignal-client');
const { makeStores } = require('../lib/libsignal-stores.js');

const { jsEnd, cEnd, newC, hexb, ERR } = require('./session-lib.js');

// Rounds of bursts in alternating directions (a DH ratchet turn each time
// the direction changes). Each burst is delivered shuffled, and one message
// per burst is held back and delivered two rounds later, after further
// turns (a skipped key from an older receiving chain).
async function conversation(first, second, c, { rounds = 20 } = {}) {
  let seq = 0;
  const sent = { [first.name]: 0, [second.name]: 0 };
  const late = [];
  for (let r = 0; r < rounds; r++) {
    const from = r % 2 ? second : first, to = r % 2 ? first : second;
    const n = 4 + (r % 5);
    const burst = [];
    for (let i = 0; i < n; i++) {
      const pt = i === 1 && r === 3 ? Buffer.alloc(0)
        : Buffer.from(`${from.name} #${seq++} ` + 'x'.repeat(r === 5 && i === 2 ? 5000 : i * 7));
      burst.push({ pt, m: await from.enc(pt), to });
      sent[from.name]++;
    }
    if (r === 0) assert.equal(burst[0].m.type, 3, 'first message is a PreKeySignalMessage');
    if (r >= 2) assert.ok(burst.every((b) => b.m.type === 2), 'after a reply: plain SignalMessages');
    const held = burst.splice(1, 1)[0];
    if (r === 0) burst.push(held); else late.push({ at: r + 2, ...held });
    for (let i = burst.length - 1; i > 0; i--) { // deterministic shuffle
      const j = (i * 7 + r) % (i + 1);
      [burst[i], burst[j]] = [burst[j], burst[i]];
    }
    for (const b of burst) assert.deepEqual(await to.dec(b.m), b.pt);
    for (const l of late.filter((x) => x.at === r)) assert.deepEqual(await l.to.dec(l.m), l.pt, 'late message');
    if (c && r % 4 === 2) await c.ok('save'); // C record round trip mid-conversation
  }
  for (const l of late.filter((x) => x.at >= rounds)) assert.deepEqual(await l.to.dec(l.m), l.pt);
  return sent;
}

test('libsignal opens a session to C; conversation both ways; tampering', async (t) => {
  const jsUuid = crypto.randomUUID(), cUuid = crypto.randomUUID();
  const jsAddr = S.ProtocolAddress.new(jsUuid, 1), cAddr = S.ProtocolAddress.new(cUuid, 2);
  const st = makeStores(S, S.IdentityKeyPair.generate(), 1111);
  const { c } = await newC(2222, cUuid, 2, jsUuid, 1);
  t.after(() => c.close());

  const f = await c.ok('bundle 11 22 33');
  const bundle = S.PreKeyBundle.new(Number(f[0]), 2, Number(f[1]), S.PublicKey.deserialize(hexb(f[2])),
    Number(f[3]), S.PublicKey.deserialize(hexb(f[4])), hexb(f[5]), S.PublicKey.deserialize(hexb(f[6])),
    Number(f[7]), S.KEMPublicKey.deserialize(hexb(f[8])), hexb(f[9]));
  assert.equal(hexb(f[8]).length, 1569);
  await S.processPreKeyBundle(bundle, cAddr, jsAddr, st.sessions, st.identity);

  const js = jsEnd(st, jsAddr, cAddr), cc = cEnd(c);

  // A PreKey message whose Kyber ciphertext was altered: implicit rejection
  // gives another secret, so the MAC fails; the genuine one still works.
  const first = await js.enc(Buffer.from('first'));
  assert.equal(first.type, 3);
  const at = first.bytes.indexOf(Buffer.from([0x42, 0xa1, 0x0c, 0x08])); // field 8, 1569 bytes, 0x08
  assert.ok(at > 0, 'kyber_ciphertext field present');
  const bad = Buffer.from(first.bytes); bad[at + 200] ^= 0x10;
  assert.equal(await c.err(`dec 3 ${bad.toString('hex')}`), ERR.BAD_MAC);
  const [pt1, usedOpk] = await c.ok(`dec 3 ${first.bytes.toString('hex')}`);
  assert.equal(hexb(pt1).toString(), 'first');
  assert.equal(usedOpk, '33', 'the one-time pre-key was used');

  const sent = await conversation(js, cc, c);
  assert.ok(sent.libsignal >= 50 && sent.C >= 50, JSON.stringify(sent));

  // Tampering, libsignal -> C
  const m = await js.enc(Buffer.from('tamper target'));
  assert.equal(m.type, 2);
  const macBad = Buffer.from(m.bytes); macBad[macBad.length - 1] ^= 1;
  assert.equal(await c.err(`dec 2 ${macBad.toString('hex')}`), ERR.BAD_MAC, 'tampered MAC');
  const ctBad = Buffer.from(m.bytes); ctBad[ctBad.length - 8 - 3] ^= 0x80;
  assert.equal(await c.err(`dec 2 ${ctBad.toString('hex')}`), ERR.BAD_MAC, 'tampered ciphertext');
  assert.deepEqual(await cc.dec(m), Buffer.from('tamper target'), 'state unchanged by the failures');
  assert.equal(await c.err(`dec 2 ${m.bytes.toString('hex')}`), ERR.DUPLICATE, 'replay');

  // Tampering, C -> libsignal
  const back = await cc.enc(Buffer.from('from C'));
  const b2 = Buffer.from(back.bytes); b2[b2.length - 2] ^= 4;
  await assert.rejects(js.dec({ type: back.type, bytes: b2 }));
  assert.deepEqual(await js.dec(back), Buffer.from('from C'));
});

test('C opens a session to libsignal; conversation both ways; bad signatures', async (t) => {
  const jsUuid = crypto.randomUUID(), cUuid = crypto.randomUUID();
  const jsAddr = S.ProtocolAddress.new(jsUuid, 1), cAddr = S.ProtocolAddress.new(cUuid, 2);
  const ikp = S.IdentityKeyPair.generate();
  const st = makeStores(S, ikp, 3333);
  const { c } = await newC(4444, cUuid, 2, jsUuid, 1);
  t.after(() => c.close());

  const spk = S.PrivateKey.generate();
  const spkSig = Buffer.from(ikp.privateKey.sign(spk.getPublicKey().serialize()));
  await st.signedPreKeys.saveSignedPreKey(5, S.SignedPreKeyRecord.new(5, Date.now(), spk.getPublicKey(), spk, spkSig));
  const kyb = S.KEMKeyPair.generate();
  const kybPub = Buffer.from(kyb.getPublicKey().serialize());
  const kybSig = Buffer.from(ikp.privateKey.sign(kybPub));
  await st.kyberPreKeys.saveKyberPreKey(6, S.KyberPreKeyRecord.new(6, Date.now(), kyb, kybSig));
  const opk = S.PrivateKey.generate();
  await st.preKeys.savePreKey(7, S.PreKeyRecord.new(7, opk.getPublicKey(), opk));
  const h = (b) => Buffer.from(b).toString('hex');
  const line = (ss, ks) => `process 3333 7 ${h(opk.getPublicKey().serialize())} 5 ${h(spk.getPublicKey().serialize())} ` +
    `${h(ss)} ${h(ikp.publicKey.serialize())} 6 ${h(kybPub)} ${h(ks)}`;

  const flip = (b) => { const x = Buffer.from(b); x[20] ^= 1; return x; };
  assert.equal(await c.err(line(flip(spkSig), kybSig)), ERR.SIGNATURE, 'bad signed pre-key signature');
  assert.equal(await c.err(line(spkSig, flip(kybSig))), ERR.SIGNATURE, 'bad Kyber pre-key signature');
  // the Kyber signature covers 0x08||pk (1569 bytes), not the raw 1568
  const rawSig = Buffer.from(ikp.privateKey.sign(kybPub.subarray(1)));
  assert.equal(await c.err(line(spkSig, rawSig)), ERR.SIGNATURE, 'signature over the raw key is refused');
  await c.ok(line(spkSig, kybSig));

  const js = jsEnd(st, jsAddr, cAddr), cc = cEnd(c);
  const sent = await conversation(cc, js, c);
  assert.ok(sent.libsignal >= 50 && sent.C >= 50, JSON.stringify(sent));
  assert.deepEqual(st.kyberPreKeys.used.map((u) => u.id), [6], 'libsignal marked our Kyber pre-key used');
  assert.deepEqual(st.preKeys.removed, [7], 'libsignal consumed the one-time pre-key');
  const rec = await st.sessions.getSession(cAddr);
  assert.ok(rec.hasCurrentState(), 'libsignal session is current');
});

// The bridge's real case: C is a linked device of a libsignal primary, one
// account (ACI) and one identity key. libsignal opens the session (as the
// mock server's PrimaryDevice does); it is a self-session on both sides, so
// a jump past MAX_FORWARD_JUMPS (25000) is accepted.
test('self-session: linked C device and libsignal primary share ACI and identity', async (t) => {
  const aci = crypto.randomUUID();
  const primary = S.ProtocolAddress.new(aci, 1), linked = S.ProtocolAddress.new(aci, 2);
  const ikp = S.IdentityKeyPair.generate();
  const st = makeStores(S, ikp, 5555);
  const { c, ik } = await newC(6666, aci, 2, aci, 1, Buffer.from(ikp.privateKey.serialize()));
  t.after(() => c.close());
  assert.equal(ik, Buffer.from(ikp.publicKey.serialize()).toString('hex'), 'C derived the shared identity key');

  const f = await c.ok('bundle 1 2 3');
  await S.processPreKeyBundle(S.PreKeyBundle.new(Number(f[0]), 2, Number(f[1]), S.PublicKey.deserialize(hexb(f[2])),
    Number(f[3]), S.PublicKey.deserialize(hexb(f[4])), hexb(f[5]), S.PublicKey.deserialize(hexb(f[6])),
    Number(f[7]), S.KEMPublicKey.deserialize(hexb(f[8])), hexb(f[9])), linked, primary, st.sessions, st.identity);
  const js = jsEnd(st, primary, linked), cc = cEnd(c);
  await conversation(js, cc, c, { rounds: 6 });

  // C sends 25 003 messages; libsignal gets only the last (counter and
  // SPQR index far ahead) and accepts it: our long chains match libsignal's.
  const [type, last] = await c.ok(`encn 25003 ${Buffer.from('far ahead').toString('hex')}`);
  assert.equal(Number(type), 2);
  assert.deepEqual(await js.dec({ type: 2, bytes: hexb(last) }), Buffer.from('far ahead'));
  assert.deepEqual(await cc.dec(await js.enc(Buffer.from('and back'))), Buffer.from('and back'));
});

// PQXDH without a one-time EC pre-key (no DH4), both directions.
test('no one-time pre-key (three DHs) in both directions', async (t) => {
  const jsUuid = crypto.randomUUID(), cUuid = crypto.randomUUID();
  const jsAddr = S.ProtocolAddress.new(jsUuid, 1), cAddr = S.ProtocolAddress.new(cUuid, 2);
  const ikp = S.IdentityKeyPair.generate();
  const st = makeStores(S, ikp, 7777);
  const { c } = await newC(8888, cUuid, 2, jsUuid, 1);
  t.after(() => c.close());
  const js = jsEnd(st, jsAddr, cAddr), cc = cEnd(c);

  // libsignal -> C
  const f = await c.ok('bundle 21 22 0');
  assert.equal(f[2], '-');
  await S.processPreKeyBundle(S.PreKeyBundle.new(Number(f[0]), 2, null, null,
    Number(f[3]), S.PublicKey.deserialize(hexb(f[4])), hexb(f[5]), S.PublicKey.deserialize(hexb(f[6])),
    Number(f[7]), S.KEMPublicKey.deserialize(hexb(f[8])), hexb(f[9])), cAddr, jsAddr, st.sessions, st.identity);
  const m = await js.enc(Buffer.from('no opk'));
  const [pt, used] = await c.ok(`dec ${m.type} ${m.bytes.toString('hex')}`);
  assert.equal(hexb(pt).toString(), 'no opk');
  assert.equal(used, '-', 'no one-time pre-key named');
  assert.deepEqual(await js.dec(await cc.enc(Buffer.from('reply'))), Buffer.from('reply'));

  // C -> libsignal (a new session replaces the first on both sides)
  const spk = S.PrivateKey.generate(), kyb = S.KEMKeyPair.generate();
  const spkSig = Buffer.from(ikp.privateKey.sign(spk.getPublicKey().serialize()));
  const kybSig = Buffer.from(ikp.privateKey.sign(kyb.getPublicKey().serialize()));
  await st.signedPreKeys.saveSignedPreKey(31, S.SignedPreKeyRecord.new(31, Date.now(), spk.getPublicKey(), spk, spkSig));
  await st.kyberPreKeys.saveKyberPreKey(32, S.KyberPreKeyRecord.new(32, Date.now(), kyb, kybSig));
  const h = (b) => Buffer.from(b).toString('hex');
  await c.ok(`process 7777 0 - 31 ${h(spk.getPublicKey().serialize())} ${h(spkSig)} ${h(ikp.publicKey.serialize())} ` +
    `32 ${h(kyb.getPublicKey().serialize())} ${h(kybSig)}`);
  const m2 = await cc.enc(Buffer.from('C again, no opk'));
  assert.equal(m2.type, 3);
  assert.deepEqual(await js.dec(m2), Buffer.from('C again, no opk'));
  assert.deepEqual(await cc.dec(await js.enc(Buffer.from('ok'))), Buffer.from('ok'));
});

// Both sides initiate at once: each processes the other's bundle and their
// PreKey messages cross. Each side then holds two states (its own as
// initiator, archived behind the one the peer started); messages must find
// the right one in the archive and both sides converge on one session.
test('simultaneous initiation: crossing PreKey messages converge', async (t) => {
  const jsUuid = crypto.randomUUID(), cUuid = crypto.randomUUID();
  const jsAddr = S.ProtocolAddress.new(jsUuid, 1), cAddr = S.ProtocolAddress.new(cUuid, 2);
  const ikp = S.IdentityKeyPair.generate();
  const st = makeStores(S, ikp, 9191);
  const { c } = await newC(9292, cUuid, 2, jsUuid, 1);
  t.after(() => c.close());
  const js = jsEnd(st, jsAddr, cAddr), cc = cEnd(c);
  const h = (b) => Buffer.from(b).toString('hex');

  const f = await c.ok('bundle 41 42 43');
  await S.processPreKeyBundle(S.PreKeyBundle.new(Number(f[0]), 2, Number(f[1]), S.PublicKey.deserialize(hexb(f[2])),
    Number(f[3]), S.PublicKey.deserialize(hexb(f[4])), hexb(f[5]), S.PublicKey.deserialize(hexb(f[6])),
    Number(f[7]), S.KEMPublicKey.deserialize(hexb(f[8])), hexb(f[9])), cAddr, jsAddr, st.sessions, st.identity);
  const spk = S.PrivateKey.generate(), kyb = S.KEMKeyPair.generate();
  const spkSig = Buffer.from(ikp.privateKey.sign(spk.getPublicKey().serialize()));
  const kybSig = Buffer.from(ikp.privateKey.sign(kyb.getPublicKey().serialize()));
  await st.signedPreKeys.saveSignedPreKey(51, S.SignedPreKeyRecord.new(51, Date.now(), spk.getPublicKey(), spk, spkSig));
  await st.kyberPreKeys.saveKyberPreKey(52, S.KyberPreKeyRecord.new(52, Date.now(), kyb, kybSig));
  await c.ok(`process 9191 0 - 51 ${h(spk.getPublicKey().serialize())} ${h(spkSig)} ${h(ikp.publicKey.serialize())} ` +
    `52 ${h(kyb.getPublicKey().serialize())} ${h(kybSig)}`);

  const fromJs = await js.enc(Buffer.from('js first')), fromC = await cc.enc(Buffer.from('C first'));
  assert.equal(fromJs.type, 3);
  assert.equal(fromC.type, 3);
  assert.deepEqual(await cc.dec(fromJs), Buffer.from('js first'));
  assert.deepEqual(await js.dec(fromC), Buffer.from('C first'));
  // a few rounds both ways; every message must decrypt on the other side
  for (let r = 0; r < 6; r++) {
    const [from, to] = r % 2 ? [js, cc] : [cc, js];
    for (let i = 0; i < 3; i++) {
      const pt = Buffer.from(`${from.name} round ${r} #${i}`);
      assert.deepEqual(await to.dec(await from.enc(pt)), pt);
    }
    if (r === 2) await c.ok('save');
  }
  const last = await cc.enc(Buffer.from('settled'));
  assert.equal(last.type, 2, 'C no longer sends PreKey messages');
  assert.deepEqual(await js.dec(last), Buffer.from('settled'));
});
