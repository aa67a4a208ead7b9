'use strict';
// Sealed sender and sender-key baselines for bench/crypto: libsignal 0.100
// through its Node API (each call includes the N-API crossing and, for
// sender keys, the async store calls; the C rows do the same work without
// them). Messages carry a ~100-byte USMC content and a real certificate
// chain, like the C rows in bench/crypto_sealed.c.
const crypto = require('node:crypto');
const SC = require('@signalapp/libsignal-client');
const { Sessions, Ids } = require('./libsignal-stores');

class SenderKeys extends SC.SenderKeyStore {
  m = new Map();
  async saveSenderKey(s, d, r) { this.m.set(s.toString() + d, r); }
  async getSenderKey(s, d) { return this.m.get(s.toString() + d) ?? null; }
}

async function rows() {
  const sender = SC.IdentityKeyPair.generate(), rcpt = SC.IdentityKeyPair.generate();
  const sAddr = SC.ProtocolAddress.new(crypto.randomUUID(), 1), rAddr = SC.ProtocolAddress.new(crypto.randomUUID(), 1);
  const sIds = new Ids(sender), rIds = new Ids(rcpt), sSessions = new Sessions();
  await sIds.saveIdentity(rAddr, rcpt.publicKey);
  const root = SC.PrivateKey.generate(), server = SC.PrivateKey.generate();
  const cert = SC.SenderCertificate.new(sAddr.name(), null, 1, sender.publicKey, 2 ** 52,
    SC.ServerCertificate.new(1, server.getPublicKey(), root), server);
  // a ~100-byte PlaintextContent (a decryption error about a group message)
  const keys = new SenderKeys(), dist = crypto.randomUUID();
  await SC.SenderKeyDistributionMessage.create(sAddr, dist, keys);
  const orig = (await SC.groupEncrypt(sAddr, dist, keys, Buffer.alloc(10))).serialize();
  const pc = SC.PlaintextContent.from(SC.DecryptionErrorMessage.forOriginal(orig, 7, Date.now(), 1));
  const usmc = SC.UnidentifiedSenderMessageContent.new(pc.asCiphertextMessage(), cert, 0, null);
  const v1 = await SC.sealedSenderEncrypt(usmc, rAddr, sIds);
  // v2 needs a session for the recipient's registration id
  const spk = SC.PrivateKey.generate(), kyb = SC.KEMKeyPair.generate();
  await SC.processPreKeyBundle(SC.PreKeyBundle.new(1, 1, null, null, 1, spk.getPublicKey(),
    rcpt.privateKey.sign(spk.getPublicKey().serialize()), rcpt.publicKey, 2, kyb.getPublicKey(),
    rcpt.privateKey.sign(kyb.getPublicKey().serialize())), rAddr, sAddr, sSessions, sIds);
  const v2 = SC.sealedSenderMultiRecipientMessageForSingleRecipient(
    await SC.sealedSenderMultiRecipientEncrypt(usmc, [rAddr], sIds, sSessions));
  // sender keys, receiver side set up from the sender's distribution message
  const tx = new SenderKeys(), rx = new SenderKeys(), gdist = crypto.randomUUID();
  const skdm = await SC.SenderKeyDistributionMessage.create(sAddr, gdist, tx);
  await SC.processSenderKeyDistributionMessage(sAddr, skdm, rx);
  const pt = Buffer.alloc(100, 0x62);
  // multi-recipient for 50 recipients with one device each (sessions give
  // their registration ids)
  const many = [];
  for (let i = 0; i < 50; i++) {
    const ik = SC.IdentityKeyPair.generate(), a = SC.ProtocolAddress.new(crypto.randomUUID(), 1);
    const pk = SC.PrivateKey.generate(), kk = SC.KEMKeyPair.generate();
    await SC.processPreKeyBundle(SC.PreKeyBundle.new(1 + i, 1, null, null, 1, pk.getPublicKey(),
      ik.privateKey.sign(pk.getPublicKey().serialize()), ik.publicKey, 2, kk.getPublicKey(),
      ik.privateKey.sign(kk.getPublicKey().serialize())), a, sAddr, sSessions, sIds);
    many.push(a);
  }
  const usmcSk = SC.UnidentifiedSenderMessageContent.new(
    await SC.groupEncrypt(sAddr, dist, keys, Buffer.alloc(10)), cert, 1, null);
  return [
    { op: 'sealed.v2.multi50.encrypt', impl: 'libsignal',
      note: 'sealedSenderMultiRecipientEncrypt, 50 recipients (its worker threads count as CPU time)',
      run: () => SC.sealedSenderMultiRecipientEncrypt(usmcSk, many, sIds, sSessions) },
    { op: 'sealed.v1.decrypt', impl: 'libsignal', note: 'sealedSenderDecryptToUsmc (0x11)',
      run: () => SC.sealedSenderDecryptToUsmc(v1, rIds) },
    { op: 'sealed.v2.decrypt', impl: 'libsignal', note: 'sealedSenderDecryptToUsmc (0x22)',
      run: () => SC.sealedSenderDecryptToUsmc(v2, rIds) },
    { op: 'senderkey.100B', impl: 'libsignal', note: 'groupEncrypt + groupDecrypt',
      run: async () => {
        const m = await SC.groupEncrypt(sAddr, gdist, tx, pt);
        await SC.groupDecrypt(sAddr, rx, m.serialize());
      } },
  ];
}

module.exports = { rows };
