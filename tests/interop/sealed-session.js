'use strict';
// Full flow: sealed sender around real v4 session messages. libsignal 0.100
// opens a session to the C device (a bundle made by C) and sends sealed
// sender v1 messages (inner PreKey, later Whisper) and v2 (0x22, inner
// Whisper); the C device (tests/unit/signal/crypto/sc_sealed_device: sc_sealed
// + sc_session) validates the certificate chain under the mock server's
// trust root, decrypts the inner message, and answers with sealed v1 that
// libsignal's sealedSenderDecryptMessage (trust root, session) opens.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');
const readline = require('node:readline');
const L = require('./sealed-lib.js');
const { makeStores } = require('../lib/libsignal-stores.js');

const { S, ERR } = L;
const builddir = process.env.top_builddir || path.resolve(__dirname, '../../build');
const DEVICE = path.join(builddir, 'tests/unit/signal/crypto/sc_sealed_device');
const UUID_A = '9d0652a3-dcc3-4d11-975f-74d61598733f';
const UUID_C = '5f2b8d5e-0c5c-4a8f-8d57-0c0e5d3ad1a1';
const HOUR = 3600 * 1000;
const hexb = (h) => (h === '-' ? Buffer.alloc(0) : Buffer.from(h, 'hex'));

class CDevice {
  constructor() {
    this.p = spawn(DEVICE, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.rl = readline.createInterface({ input: this.p.stdout });
    this.waiting = [];
    this.rl.on('line', (l) => { const w = this.waiting.shift(); if (w) w(l); });
    this.closed = new Promise((r) => this.p.on('close', r));
  }
  cmd(line) { return new Promise((res) => { this.waiting.push(res); this.p.stdin.write(line + '\n'); }); }
  async ok(line) {
    const r = await this.cmd(line);
    if (!r.startsWith('OK')) throw new Error(`C ${line.split(' ')[0]}: ${r}`);
    return r.split(' ').slice(1);
  }
  async err(line) {
    const r = await this.cmd(line);
    assert.match(r, /^ERR -\d+ /, `expected an error, got ${r.slice(0, 40)}`);
    return Number(r.split(' ')[1]);
  }
  async close() { this.p.stdin.end(); await this.closed; }
}

test('sealed sender over v4 sessions, both directions', async () => {
  const c = new CDevice();
  try {
    const mock = L.mockTrustRoot(S);
    const A = L.keyPair(S);
    const st = makeStores(S, A.ikp, 1111);
    const addrA = S.ProtocolAddress.new(UUID_A, 1), addrC = S.ProtocolAddress.new(UUID_C, 2);

    const [ikC] = await c.ok(`init 2222 ${UUID_C} 2`);
    const ikCPub = S.PublicKey.deserialize(hexb(ikC));
    const f = await c.ok('bundle 7 9');
    const bundle = S.PreKeyBundle.new(Number(f[0]), 2, null, null, Number(f[1]), S.PublicKey.deserialize(hexb(f[2])),
      hexb(f[3]), S.PublicKey.deserialize(hexb(f[4])), Number(f[5]), S.KEMPublicKey.deserialize(hexb(f[6])), hexb(f[7]));
    await S.processPreKeyBundle(bundle, addrC, addrA, st.sessions, st.identity);
    await c.ok(`trust ${mock.wireHex}`);
    // certificates as the mock server issues them (one server key per run)
    const server = S.PrivateKey.generate();
    const sc = S.ServerCertificate.new(1, server.getPublicKey(), mock.privateKey);
    const certA = S.SenderCertificate.new(UUID_A, null, 1, A.publicKey, Date.now() + HOUR, sc, server);
    const certC = S.SenderCertificate.new(UUID_C, null, 2, ikCPub, Date.now() + HOUR, sc, server);
    await c.ok(`cert ${L.hex(certC.serialize())}`);

    let n = 0, sawPreKey = 0, sawWhisper = 0, replies = 0;
    for (let round = 0; round < 6; round++) {
      // libsignal -> C, sealed v1 (inner PreKey until C has answered)
      for (let i = 0; i < 3; i++) {
        const text = `A to C ${n++}`;
        const msg = await S.sealedSenderEncryptMessage(Buffer.from(text), addrC, certA, st.sessions, st.identity);
        const [uuid, dev, type, pt] = await c.ok(`unseal ${Date.now()} ${L.hex(msg)}`);
        assert.equal(uuid, UUID_A);
        assert.equal(dev, '1');
        assert.equal(hexb(pt).toString(), text);
        if (type === '1') sawPreKey++; else if (type === '2') sawWhisper++;
      }
      // libsignal -> C, sealed v2 around a Whisper message (once the
      // session is confirmed)
      if (round > 0) {
        const text = `A to C v2 ${n++}`;
        const inner = await S.signalEncrypt(Buffer.from(text), addrC, addrA, st.sessions, st.identity);
        const usmc = S.UnidentifiedSenderMessageContent.new(inner, certA, 0, null);
        const v2 = S.sealedSenderMultiRecipientMessageForSingleRecipient(
          await S.sealedSenderMultiRecipientEncrypt(usmc, [addrC], st.identity, st.sessions));
        assert.equal(v2[0], 0x22);
        const [, , type, pt] = await c.ok(`unseal ${Date.now()} ${L.hex(v2)}`);
        assert.equal(type, '2');
        assert.equal(hexb(pt).toString(), text);
      }
      // C -> libsignal, sealed v1, full libsignal decrypt with the trust root
      for (let i = 0; i < 2; i++) {
        const text = `C to A ${round}.${i}`;
        const [type, sealed] = await c.ok(`seal ${A.wireHex} ${Buffer.from(text).toString('hex')}`);
        assert.equal(type, '2'); // C is the responder: Whisper messages
        const r = await S.sealedSenderDecryptMessage(hexb(sealed), mock.publicKey, Date.now(), null, UUID_A, 1,
          st.sessions, st.identity, st.preKeys, st.signedPreKeys, st.kyberPreKeys);
        assert.equal(Buffer.from(r.message()).toString(), text);
        assert.equal(r.senderUuid(), UUID_C);
        assert.equal(r.deviceId(), 2);
        replies++;
      }
    }
    assert.equal(sawPreKey, 3, 'PreKey messages until the first reply');
    assert.equal(sawWhisper, 15);
    assert.equal(replies, 12);

    // a tampered envelope fails in C and does not disturb the session
    const good = Buffer.from(await S.sealedSenderEncryptMessage(Buffer.from('after tamper'), addrC, certA,
      st.sessions, st.identity));
    const bad = Buffer.from(good); bad[bad.length - 2] ^= 1;
    assert.equal(await c.err(`unseal ${Date.now()} ${L.hex(bad)}`), ERR.SC_ERR_SEALED_MESSAGE_MAC);
    const [, , , pt] = await c.ok(`unseal ${Date.now()} ${L.hex(good)}`);
    assert.equal(hexb(pt).toString(), 'after tamper');
    // an expired certificate is refused before the session is touched
    const old = S.SenderCertificate.new(UUID_A, null, 1, A.publicKey, Date.now() - 1, sc, server);
    const stale = await S.sealedSenderEncryptMessage(Buffer.from('stale'), addrC, old, st.sessions, st.identity);
    assert.equal(await c.err(`unseal ${Date.now()} ${L.hex(stale)}`), ERR.SC_ERR_CERT_EXPIRED);
  } finally {
    await c.close();
  }
});
