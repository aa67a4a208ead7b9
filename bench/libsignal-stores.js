'use strict';
// In-memory libsignal 0.100 stores for the Node baselines of bench/crypto
// (crypto-node-*.js). They keep record objects as they are (no
// serialization): the cheapest setting libsignal can have.
const SC = require('@signalapp/libsignal-client');

// CPU time of the process, like bench/crypto and bench/crypto-node.js
const nowNs = () => { const u = process.cpuUsage(); return (u.user + u.system) * 1000; };

class Sessions extends SC.SessionStore {
  m = new Map();
  async saveSession(a, r) { this.m.set(a.toString(), r); }
  async getSession(a) { return this.m.get(a.toString()) ?? null; }
  async getExistingSessions(as) { return Promise.all(as.map((a) => this.getSession(a))); }
}
class Ids extends SC.IdentityKeyStore {
  constructor(ikp) { super(); this.ikp = ikp; this.m = new Map(); }
  async getIdentityKey() { return this.ikp.privateKey; }
  async getLocalRegistrationId() { return 1; }
  async saveIdentity(a, k) { this.m.set(a.toString(), k); return 0; }
  async isTrustedIdentity() { return true; }
  async getIdentity(a) { return this.m.get(a.toString()) ?? null; }
}
class NoPreKeys extends SC.PreKeyStore {
  async savePreKey() {} async getPreKey() { throw new Error('no one-time prekeys'); } async removePreKey() {}
}
class SignedPreKeys extends SC.SignedPreKeyStore {
  m = new Map(); async saveSignedPreKey(i, r) { this.m.set(i, r); } async getSignedPreKey(i) { return this.m.get(i); }
}
class KyberPreKeys extends SC.KyberPreKeyStore {
  m = new Map(); async saveKyberPreKey(i, r) { this.m.set(i, r); } async getKyberPreKey(i) { return this.m.get(i); }
  async markKyberPreKeyUsed() {} // last-resort key: reusable
}

module.exports = { nowNs, Sessions, Ids, NoPreKeys, SignedPreKeys, KyberPreKeys };
