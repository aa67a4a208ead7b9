'use strict';
// In-memory stores for @signalapp/libsignal-client 0.100 (CommonJS), shared by
// the interop tests. Records are kept serialized, as a real store would keep
// them, so every load goes through libsignal's own deserializer.
//
//   const S = require('@signalapp/libsignal-client');
//   const { makeStores } = require('../lib/libsignal-stores.js');
//   const st = makeStores(S, S.IdentityKeyPair.generate(), 1234);
//   await S.processPreKeyBundle(bundle, addr, localAddr, st.sessions, st.identity);
//
// Nothing here logs keys.

function makeStores(S, identityKeyPair, registrationId) {
  class Sessions extends S.SessionStore {
    constructor() { super(); this.m = new Map(); }
    async saveSession(addr, rec) { this.m.set(addr.toString(), Buffer.from(rec.serialize())); }
    async getSession(addr) {
      const r = this.m.get(addr.toString());
      return r ? S.SessionRecord.deserialize(r) : null;
    }
    async getExistingSessions(addrs) {
      return Promise.all(addrs.map(async (a) => {
        const r = await this.getSession(a);
        if (!r) throw new Error('no session for ' + a.toString());
        return r;
      }));
    }
  }

  class Identity extends S.IdentityKeyStore {
    constructor(ikp, reg) { super(); this.ikp = ikp; this.reg = reg; this.m = new Map(); }
    async getIdentityKey() { return this.ikp.privateKey; }
    async getIdentityKeyPair() { return this.ikp; }
    async getLocalRegistrationId() { return this.reg; }
    // Returns IdentityChange: 0 = new or unchanged, 1 = replaced existing.
    async saveIdentity(addr, key) {
      const k = addr.toString();
      const old = this.m.get(k);
      this.m.set(k, Buffer.from(key.serialize()));
      return old && !old.equals(Buffer.from(key.serialize())) ? 1 : 0;
    }
    // Trust on first use; a changed key is untrusted (as Signal clients do).
    async isTrustedIdentity(addr, key /* , direction */) {
      const old = this.m.get(addr.toString());
      return !old || old.equals(Buffer.from(key.serialize()));
    }
    async getIdentity(addr) {
      const r = this.m.get(addr.toString());
      return r ? S.PublicKey.deserialize(r) : null;
    }
  }

  class PreKeys extends S.PreKeyStore {
    constructor() { super(); this.m = new Map(); this.removed = []; }
    async savePreKey(id, rec) { this.m.set(id, Buffer.from(rec.serialize())); }
    async getPreKey(id) {
      const r = this.m.get(id);
      if (!r) throw new Error('no pre-key ' + id);
      return S.PreKeyRecord.deserialize(r);
    }
    async removePreKey(id) { this.m.delete(id); this.removed.push(id); }
  }

  class SignedPreKeys extends S.SignedPreKeyStore {
    constructor() { super(); this.m = new Map(); }
    async saveSignedPreKey(id, rec) { this.m.set(id, Buffer.from(rec.serialize())); }
    async getSignedPreKey(id) {
      const r = this.m.get(id);
      if (!r) throw new Error('no signed pre-key ' + id);
      return S.SignedPreKeyRecord.deserialize(r);
    }
  }

  class KyberPreKeys extends S.KyberPreKeyStore {
    constructor() { super(); this.m = new Map(); this.used = []; }
    async saveKyberPreKey(id, rec) { this.m.set(id, Buffer.from(rec.serialize())); }
    async getKyberPreKey(id) {
      const r = this.m.get(id);
      if (!r) throw new Error('no kyber pre-key ' + id);
      return S.KyberPreKeyRecord.deserialize(r);
    }
    async markKyberPreKeyUsed(id, signedPreKeyId, baseKey) {
      this.used.push({ id, signedPreKeyId, baseKey: baseKey ? Buffer.from(baseKey.serialize()) : null });
    }
  }

  class SenderKeys extends S.SenderKeyStore {
    constructor() { super(); this.m = new Map(); }
    async saveSenderKey(sender, distributionId, rec) {
      this.m.set(sender.toString() + '/' + distributionId, Buffer.from(rec.serialize()));
    }
    async getSenderKey(sender, distributionId) {
      const r = this.m.get(sender.toString() + '/' + distributionId);
      return r ? S.SenderKeyRecord.deserialize(r) : null;
    }
  }

  return {
    sessions: new Sessions(),
    identity: new Identity(identityKeyPair, registrationId),
    preKeys: new PreKeys(),
    signedPreKeys: new SignedPreKeys(),
    kyberPreKeys: new KyberPreKeys(),
    senderKeys: new SenderKeys(),
  };
}

module.exports = { makeStores };
