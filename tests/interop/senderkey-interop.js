'use strict';
// Sender keys between libsignal-client 0.100 and the C code (sc_senderkey):
// distribution messages and group messages both ways, out of order and
// with gaps; tampered and crafted messages fail in C with distinct
// SC_ERR_SK_* codes where libsignal fails too. The C record travels through
// the tool in our own storage format, so every step also reloads it.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const L = require('./sealed-lib.js');
const { makeStores } = require('../lib/libsignal-stores.js');

const { S, ERR, okOf, errOf, hex, unhex } = L;
const addrA = S.ProtocolAddress.new('9d0652a3-dcc3-4d11-975f-74d61598733f', 1);
const addrC = S.ProtocolAddress.new('5f2b8d5e-0c5c-4a8f-8d57-0c0e5d3ad1a1', 2);

// deterministic shuffle (a seeded LCG), so a failure reproduces
function shuffle(a, seed) {
  let x = seed;
  for (let i = a.length - 1; i > 0; i--) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    const j = x % (i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

test('libsignal -> C: 60 group messages, reordered, with gaps', async () => {
  const st = makeStores(S, L.keyPair(S).ikp, 1);
  const dist = crypto.randomUUID();
  const skdm = await S.SenderKeyDistributionMessage.create(addrA, dist, st.senderKeys);
  assert.equal(Buffer.from(skdm.serialize())[0], 0x33);
  let [rec] = okOf('sk-process', '-', L.uuidHex(dist), hex(skdm.serialize()));
  const msgs = [];
  for (let i = 0; i < 60; i++) {
    const text = `group message ${i} ` + 'x'.repeat(i * 7);
    const ct = await S.groupEncrypt(addrA, dist, st.senderKeys, Buffer.from(text));
    assert.equal(ct.type(), 7);
    msgs.push({ i, text, bytes: Buffer.from(ct.serialize()) });
  }
  // first ten in order, then the rest shuffled, with 40..44 never delivered
  const order = msgs.slice(0, 10).concat(shuffle(msgs.slice(10).filter((m) => m.i < 40 || m.i > 44), 7));
  for (const m of order) {
    const [r, pt] = okOf('sk-decrypt', rec, hex(m.bytes));
    assert.equal(unhex(pt).toString(), m.text, `message ${m.i}`);
    rec = r;
  }
  // replays are duplicates, the undelivered ones still open later
  assert.equal(errOf('sk-decrypt', rec, hex(msgs[12].bytes)), ERR.SC_ERR_SK_DUPLICATE);
  const [r2, pt42] = okOf('sk-decrypt', rec, hex(msgs[42].bytes));
  assert.equal(unhex(pt42).toString(), msgs[42].text);
  assert.equal(errOf('sk-decrypt', r2, hex(msgs[42].bytes)), ERR.SC_ERR_SK_DUPLICATE);
});

test('C -> libsignal: distribution message and 60 group messages', async () => {
  const st = makeStores(S, L.keyPair(S).ikp, 2);
  const dist = crypto.randomUUID();
  let [rec, skdm] = okOf('sk-create', L.uuidHex(dist));
  const parsed = S.SenderKeyDistributionMessage.deserialize(unhex(skdm));
  assert.equal(parsed.distributionId(), dist);
  assert.equal(parsed.iteration(), 0);
  await S.processSenderKeyDistributionMessage(addrC, parsed, st.senderKeys);
  const msgs = [];
  for (let i = 0; i < 60; i++) {
    const text = `from C ${i}`;
    const [r, m] = okOf('sk-encrypt', rec, hex(Buffer.from(text)));
    rec = r;
    const b = unhex(m);
    assert.equal(b[0], 0x33);
    const skm = S.SenderKeyMessage.deserialize(b);
    assert.equal(skm.iteration(), i);
    assert.equal(skm.distributionId(), dist);
    msgs.push({ text, b });
  }
  for (const m of shuffle(msgs.slice(), 11)) {
    const pt = await S.groupDecrypt(addrC, st.senderKeys, m.b);
    assert.equal(Buffer.from(pt).toString(), m.text);
  }
  await assert.rejects(S.groupDecrypt(addrC, st.senderKeys, msgs[3].b)); // duplicate
  // a later distribution message from the same record: same chain, moved on
  const [, skdm2] = okOf('sk-create', L.uuidHex(dist), rec);
  const p2 = S.SenderKeyDistributionMessage.deserialize(unhex(skdm2));
  assert.equal(p2.chainId(), parsed.chainId());
  assert.equal(p2.iteration(), 60);
  // a fresh record starts a new chain
  const [, skdm3] = okOf('sk-create', L.uuidHex(dist));
  assert.notEqual(S.SenderKeyDistributionMessage.deserialize(unhex(skdm3)).chainId(), parsed.chainId());
});

test('tampered and crafted sender-key messages: distinct errors in C, rejected by libsignal', async () => {
  const st = makeStores(S, L.keyPair(S).ikp, 3);
  const dist = crypto.randomUUID();
  // a chain whose signing key we hold, to sign crafted messages
  const sig = S.PrivateKey.generate();
  const chainKey = crypto.randomBytes(32);
  const chainId = 77;
  const skdm = S.SenderKeyDistributionMessage._new(3, dist, chainId, 0, chainKey, sig.getPublicKey());
  const [rec] = okOf('sk-process', '-', L.uuidHex(dist), hex(skdm.serialize()));
  await S.processSenderKeyDistributionMessage(addrA, skdm, st.senderKeys);
  const seen = new Map();
  const check = async (what, bytes, code) => {
    assert.equal(errOf('sk-decrypt', rec, hex(bytes)), code, what);
    await assert.rejects(S.groupDecrypt(addrA, st.senderKeys, bytes), what);
    seen.set(what, code);
  };

  // a well-formed message signed with the chain's key, to tamper with
  const good = Buffer.from(S.SenderKeyMessage._new(3, dist, chainId, 0, Buffer.alloc(16), sig).serialize());
  // signature byte flipped
  const badSig = Buffer.from(good); badSig[badSig.length - 1] ^= 1;
  await check('signature', badSig, ERR.SC_ERR_SK_SIGNATURE);
  // ciphertext flipped under the old signature
  const badCt = Buffer.from(good); badCt[badCt.length - 64 - 3] ^= 1;
  await check('ciphertext (signed)', badCt, ERR.SC_ERR_SK_SIGNATURE);
  // properly signed, but the ciphertext is not a CBC message (15 bytes)
  await check('ciphertext (bad CBC)', Buffer.from(S.SenderKeyMessage._new(3, dist, chainId, 1,
    Buffer.alloc(15, 1), sig).serialize()), ERR.SC_ERR_SK_DECRYPT);
  // too far ahead
  await check('too far', Buffer.from(S.SenderKeyMessage._new(3, dist, chainId, 25001,
    Buffer.alloc(16), sig).serialize()), ERR.SC_ERR_SK_TOO_FAR);
  // unknown chain id
  await check('unknown chain', Buffer.from(S.SenderKeyMessage._new(3, dist, chainId + 1, 0,
    Buffer.alloc(16), sig).serialize()), ERR.SC_ERR_SK_NO_STATE);
  // signed by another key
  await check('wrong signer', Buffer.from(S.SenderKeyMessage._new(3, dist, chainId, 0,
    Buffer.alloc(16), S.PrivateKey.generate()).serialize()), ERR.SC_ERR_SK_SIGNATURE);
  seen.delete('wrong signer'); // same cause as a bad signature
  seen.delete('ciphertext (signed)');
  const codes = [...seen.values()];
  assert.equal(new Set(codes).size, codes.length, JSON.stringify([...seen]));

  // the crafted chain still works for a correct message made by C's rules:
  // C cannot encrypt on a received chain, so check decryption of a message
  // built from the published key schedule (HMAC seeds, HKDF "WhisperGroup")
  const seed = crypto.createHmac('sha256', chainKey).update(Buffer.from([1])).digest();
  const keys = Buffer.from(crypto.hkdfSync('sha256', seed, Buffer.alloc(0), 'WhisperGroup', 48));
  const c = crypto.createCipheriv('aes-256-cbc', keys.subarray(16, 48), keys.subarray(0, 16));
  const body = Buffer.concat([c.update('by the book'), c.final()]);
  const ok = Buffer.from(S.SenderKeyMessage._new(3, dist, chainId, 0, body, sig).serialize());
  assert.equal(Buffer.from(await S.groupDecrypt(addrA, st.senderKeys, ok)).toString(), 'by the book');
  const [, pt] = okOf('sk-decrypt', rec, hex(ok));
  assert.equal(unhex(pt).toString(), 'by the book');
});
