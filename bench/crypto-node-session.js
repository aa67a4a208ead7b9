'use strict';
// Session baselines for bench/crypto: libsignal-client 0.100 doing what
// bench/crypto_session.c does, with in-memory stores that keep record
// objects (no serialization in the store: the cheapest setting for
// libsignal). Every libsignal call also crosses N-API and its async store
// interface; that is part of what an app using it pays.
const crypto = require('node:crypto');
const SC = require('@signalapp/libsignal-client');
const { nowNs, Sessions, Ids, NoPreKeys, SignedPreKeys, KyberPreKeys } = require('./libsignal-stores');

function party() {
  const ik = SC.IdentityKeyPair.generate();
  return { ik, ids: new Ids(ik), sessions: new Sessions(), addr: SC.ProtocolAddress.new(crypto.randomUUID(), 1),
    pre: new NoPreKeys(), signed: new SignedPreKeys(), kyber: new KyberPreKeys() };
}

// Bob with a signed pre-key and a Kyber pre-key, no one-time EC pre-key
// (three DHs, as in the C rows).
function withBundle(bob) {
  const spk = SC.PrivateKey.generate(), kyb = SC.KEMKeyPair.generate();
  const spkSig = bob.ik.privateKey.sign(spk.getPublicKey().serialize());
  const kybSig = bob.ik.privateKey.sign(kyb.getPublicKey().serialize());
  bob.signed.m.set(1, SC.SignedPreKeyRecord.new(1, Date.now(), spk.getPublicKey(), spk, spkSig));
  bob.kyber.m.set(2, SC.KyberPreKeyRecord.new(2, Date.now(), kyb, kybSig));
  bob.bundle = SC.PreKeyBundle.new(2, 1, null, null, 1, spk.getPublicKey(), spkSig, bob.ik.publicKey, 2, kyb.getPublicKey(), kybSig);
  return bob;
}

async function send(from, to, pt) {
  const m = await SC.signalEncrypt(pt, to.addr, from.addr, from.sessions, from.ids);
  if (m.type() === 3) {
    return SC.signalDecryptPreKey(SC.PreKeySignalMessage.deserialize(m.serialize()), from.addr, to.addr,
      to.sessions, to.ids, to.pre, to.signed, to.kyber);
  }
  return SC.signalDecrypt(SC.SignalMessage.deserialize(m.serialize()), from.addr, to.addr, to.sessions, to.ids);
}

async function conversation(n) {
  const a = party(), b = withBundle(party()), pt = Buffer.alloc(n, 'x');
  await SC.processPreKeyBundle(b.bundle, b.addr, a.addr, a.sessions, a.ids);
  await send(a, b, pt); await send(b, a, pt); await send(a, b, pt);
  return { a, b, pt };
}

async function rows() {
  const bob = withBundle(party());
  const one = Buffer.from('1');
  const note = 'signalEncrypt + signalDecrypt';
  return [
    { op: 'session.setup', impl: 'libsignal', note: 'processPreKeyBundle + signalEncrypt + signalDecryptPreKey',
      iterations: 40,
      each: async () => {
        const a = party();
        bob.sessions = new Sessions();
        const t0 = nowNs();
        await SC.processPreKeyBundle(bob.bundle, bob.addr, a.addr, a.sessions, a.ids);
        await send(a, bob, one);
        return nowNs() - t0;
      } },
    { op: 'ratchet.100B', impl: 'libsignal', note, setup: () => conversation(100), run: (c) => send(c.a, c.b, c.pt) },
    { op: 'ratchet.64KiB', impl: 'libsignal', note, setup: () => conversation(65536), run: (c) => send(c.a, c.b, c.pt) },
    { op: 'ratchet.100B.dh-turn', impl: 'libsignal', note: note + ', direction alternates',
      setup: () => conversation(100),
      run: async (c) => { await send(c.a, c.b, c.pt); [c.a, c.b] = [c.b, c.a]; } },
  ];
}

module.exports = { rows };
