'use strict';
// Sealed sender between libsignal-client 0.100 and the C code (sc_sealed,
// sc_cert): v1 and v2 from libsignal decrypt in C under the mock server's
// trust root and under a fresh one; v1 made by C decrypts in libsignal;
// tampering and bad certificates fail with distinct SC_ERR_* codes, and
// libsignal rejects the same tampered bytes. Stores:
// tests/lib/libsignal-stores.js.
const test = require('node:test');
const assert = require('node:assert/strict');
const L = require('./sealed-lib.js');
const { makeStores } = require('../lib/libsignal-stores.js');

const { S, ERR, okOf, errOf, hex, unhex } = L;
const UUID_A = '9d0652a3-dcc3-4d11-975f-74d61598733f'; // libsignal side
const UUID_C = '5f2b8d5e-0c5c-4a8f-8d57-0c0e5d3ad1a1'; // C side
const HOUR = 3600 * 1000;

const A = L.keyPair(S);
const C = L.keyPair(S);
const addrC = S.ProtocolAddress.new(UUID_C, 2);
const addrA = S.ProtocolAddress.new(UUID_A, 1);
const storesA = makeStores(S, A.ikp, 1111);
const storesC = makeStores(S, C.ikp, 2222); // libsignal as the C side, to cross-check
const mock = L.mockTrustRoot(S);
const fresh = L.keyPair(S);

// USMC fields from the tool: type hint content group uuid device senderkey
function fields(f) {
  return { type: Number(f[0]), hint: Number(f[1]), content: unhex(f[2]), group: unhex(f[3]),
    uuid: f[4], device: Number(f[5]), key: unhex(f[6]) };
}

// A PlaintextContent (a DecryptionErrorMessage about some SenderKey message)
// needs no session, so sealed sender is tested on its own.
let original = null;
function plaintextContent() {
  const dem = S.DecryptionErrorMessage.forOriginal(original, 7, Date.now(), 1);
  return S.PlaintextContent.from(dem);
}

test.before(async () => {
  const st = makeStores(S, L.keyPair(S).ikp, 1);
  const dist = '0a1b2c3d-0000-4000-8000-000000000001';
  await S.SenderKeyDistributionMessage.create(addrA, dist, st.senderKeys);
  original = Buffer.from((await S.groupEncrypt(addrA, dist, st.senderKeys, Buffer.from('x'))).serialize());
});

async function sealV1(root, { groupId = Buffer.from('group-id-bytes'), expires = Date.now() + HOUR } = {}) {
  const { cert } = L.senderCert(S, root, { uuid: UUID_A, device: 1, identity: A, expires });
  const pc = plaintextContent();
  const usmc = S.UnidentifiedSenderMessageContent.new(pc.asCiphertextMessage(), cert, 1, groupId);
  await storesA.identity.saveIdentity(addrC, C.publicKey);
  const msg = Buffer.from(await S.sealedSenderEncrypt(usmc, addrC, storesA.identity));
  return { msg, pc, cert };
}

function cDecrypt(msg, root, now = Date.now(), uuid = UUID_C, device = 2) {
  return ['decrypt', C.pubHex, C.privHex, hex(msg), root.wireHex, now, uuid, device, '-'];
}

// libsignal's session from A to C, so that multi-recipient encryption
// (which needs the recipient's registration id) works; C's keys are known
// here, so the bundle is C's own.
let sessionReady = false;
async function sessionAtoC() {
  if (sessionReady) return;
  const spk = S.PrivateKey.generate();
  const kyber = S.KEMKeyPair.generate();
  const bundle = S.PreKeyBundle.new(2222, 2, null, null, 7, spk.getPublicKey(),
    C.privateKey.sign(spk.getPublicKey().serialize()), C.publicKey, 9, kyber.getPublicKey(),
    C.privateKey.sign(kyber.getPublicKey().serialize()));
  await S.processPreKeyBundle(bundle, addrC, addrA, storesA.sessions, storesA.identity);
  sessionReady = true;
}

async function sealV2(root, content) {
  await sessionAtoC();
  const { cert } = L.senderCert(S, root, { uuid: UUID_A, device: 1, identity: A, expires: Date.now() + HOUR });
  const usmc = S.UnidentifiedSenderMessageContent.new(content, cert, 2, Buffer.from('grp'));
  const multi = await S.sealedSenderMultiRecipientEncrypt(usmc, [addrC], storesA.identity, storesA.sessions);
  return Buffer.from(S.sealedSenderMultiRecipientMessageForSingleRecipient(multi));
}

test('v1 from libsignal decrypts in C (mock trust root)', async () => {
  const { msg, pc } = await sealV1(mock);
  assert.equal(msg[0], 0x11);
  const u = fields(okOf(...cDecrypt(msg, mock)));
  assert.equal(u.type, 8); // PLAINTEXT_CONTENT
  assert.equal(u.hint, 1);
  assert.deepEqual(u.content, Buffer.from(pc.serialize()));
  assert.deepEqual(u.group, Buffer.from('group-id-bytes'));
  assert.equal(u.uuid, UUID_A);
  assert.equal(u.device, 1);
  assert.deepEqual(u.key, Buffer.from(A.publicKey.serialize()));
  // and without certificate validation
  const v = fields(okOf('to-usmc', C.pubHex, C.privHex, hex(msg)));
  assert.deepEqual(v.content, u.content);
});

test('v1 from libsignal under a fresh trust root; the wrong root is refused', async () => {
  const { msg } = await sealV1(fresh);
  assert.equal(fields(okOf(...cDecrypt(msg, fresh))).uuid, UUID_A);
  assert.equal(errOf(...cDecrypt(msg, mock)), ERR.SC_ERR_CERT_TRUST);
  // libsignal agrees on the certificate
  const usmc = await S.sealedSenderDecryptToUsmc(msg, storesC.identity);
  assert.equal(usmc.senderCertificate().validate(fresh.publicKey, Date.now()), true);
  assert.equal(usmc.senderCertificate().validate(mock.publicKey, Date.now()), false);
});

test('v2 (0x22) from libsignal decrypts in C, both trust roots', async () => {
  for (const root of [mock, fresh]) {
    const pc = plaintextContent();
    const msg = await sealV2(root, pc.asCiphertextMessage());
    assert.equal(msg[0], 0x22);
    const u = fields(okOf(...cDecrypt(msg, root)));
    assert.equal(u.type, 8);
    assert.equal(u.hint, 2);
    assert.deepEqual(u.content, Buffer.from(pc.serialize()));
    assert.deepEqual(u.group, Buffer.from('grp'));
    assert.equal(u.uuid, UUID_A);
  }
});

test('v2 carrying a SenderKey message: C opens the envelope, then the group message', async () => {
  const dist = '3b7a5d1e-9f4c-4c1a-8e2b-1d2c3b4a5f60';
  const skdm = await S.SenderKeyDistributionMessage.create(addrA, dist, storesA.senderKeys);
  const [rec] = okOf('sk-process', '-', L.uuidHex(dist), hex(skdm.serialize()));
  const inner = await S.groupEncrypt(addrA, dist, storesA.senderKeys, Buffer.from('group hello'));
  const msg = await sealV2(mock, inner);
  const u = fields(okOf(...cDecrypt(msg, mock)));
  assert.equal(u.type, 7); // SENDERKEY_MESSAGE
  const [, pt] = okOf('sk-decrypt', rec, hex(u.content));
  assert.equal(unhex(pt).toString(), 'group hello');
});

test('v1 made by C decrypts in libsignal', async () => {
  // C's certificate (as the mock would issue it for C), USMC built by C
  const { cert } = L.senderCert(S, mock, { uuid: UUID_C, device: 2, identity: C, expires: Date.now() + HOUR });
  const pc = plaintextContent();
  const [usmc] = okOf('usmc-new', 8, hex(cert.serialize()), hex(pc.serialize()), 1, hex(Buffer.from('gid')));
  // libsignal parses the USMC C serialized
  const parsed = S.UnidentifiedSenderMessageContent.deserialize(unhex(usmc));
  assert.equal(parsed.msgType(), 8);
  assert.equal(parsed.contentHint(), 1);
  assert.deepEqual(Buffer.from(parsed.groupId()), Buffer.from('gid'));
  const [sealed] = okOf('v1-encrypt', C.pubHex, C.privHex, A.pubHex, usmc);
  const msg = unhex(sealed);
  assert.equal(msg[0], 0x11);
  const got = await S.sealedSenderDecryptToUsmc(msg, storesA.identity);
  assert.equal(got.msgType(), 8);
  assert.deepEqual(Buffer.from(got.contents()), Buffer.from(pc.serialize()));
  assert.equal(got.senderCertificate().senderUuid(), UUID_C);
  assert.equal(got.senderCertificate().senderDeviceId(), 2);
  assert.equal(got.senderCertificate().validate(mock.publicKey, Date.now()), true);
  // sealed to the wrong recipient: libsignal refuses
  await assert.rejects(S.sealedSenderDecryptToUsmc(msg, storesC.identity));
});

test('tampering is rejected in C with distinct errors, and by libsignal', async () => {
  const seen = new Map();
  const note = (what, code) => { seen.set(what, code); return code; };

  const { msg } = await sealV1(mock);
  const mac = Buffer.from(msg); mac[mac.length - 1] ^= 1; // encrypted_message MAC
  assert.equal(note('v1 message MAC', errOf(...cDecrypt(mac, mock))), ERR.SC_ERR_SEALED_MESSAGE_MAC);
  await assert.rejects(S.sealedSenderDecryptToUsmc(mac, storesC.identity));
  const smac = Buffer.from(msg); smac[1 + 35 + 2 + 40] ^= 1; // encrypted_static MAC
  assert.equal(note('v1 static MAC', errOf(...cDecrypt(smac, mock))), ERR.SC_ERR_SEALED_STATIC_MAC);
  await assert.rejects(S.sealedSenderDecryptToUsmc(smac, storesC.identity));

  const v2 = await sealV2(mock, plaintextContent().asCiphertextMessage());
  const ct = Buffer.from(v2); ct[90] ^= 1; // AES-GCM-SIV ciphertext
  assert.equal(note('v2 ciphertext', errOf(...cDecrypt(ct, mock))), ERR.SC_ERR_SEALED_DECRYPT);
  await assert.rejects(S.sealedSenderDecryptToUsmc(ct, storesC.identity));
  const at = Buffer.from(v2); at[40] ^= 1; // sender authentication tag
  assert.equal(note('v2 auth tag', errOf(...cDecrypt(at, mock))), ERR.SC_ERR_SEALED_AUTH_TAG);
  await assert.rejects(S.sealedSenderDecryptToUsmc(at, storesC.identity));
  const ck = Buffer.from(v2); ck[3] ^= 1; // encrypted message key C
  assert.equal(note('v2 message key', errOf(...cDecrypt(ck, mock))), ERR.SC_ERR_SEALED_EPHEMERAL);
  await assert.rejects(S.sealedSenderDecryptToUsmc(ck, storesC.identity));

  // certificates: expired, revoked server id, server signature, trust root
  const exp = (await sealV1(mock, { expires: Date.now() - 1000 })).msg;
  assert.equal(note('expired cert', errOf(...cDecrypt(exp, mock))), ERR.SC_ERR_CERT_EXPIRED);
  const server = S.PrivateKey.generate();
  const revoked = S.ServerCertificate.new(0xDEADC357, server.getPublicKey(), mock.privateKey);
  const rcert = S.SenderCertificate.new(UUID_A, null, 1, A.publicKey, Date.now() + HOUR, revoked, server);
  assert.equal(note('revoked server cert',
    errOf('cert-check', hex(rcert.serialize()), mock.wireHex, Date.now())), ERR.SC_ERR_CERT_REVOKED);
  assert.equal(rcert.validate(mock.publicKey, Date.now()), false);
  const good = L.senderCert(S, mock, { uuid: UUID_A, device: 1, identity: A, expires: Date.now() + HOUR });
  const forged = S.SenderCertificate.new(UUID_A, null, 1, A.publicKey, Date.now() + HOUR,
    good.serverCert, S.PrivateKey.generate()); // not signed by the server key
  assert.equal(note('cert signature',
    errOf('cert-check', hex(forged.serialize()), mock.wireHex, Date.now())), ERR.SC_ERR_CERT_SIGNATURE);
  assert.equal(forged.validate(mock.publicKey, Date.now()), false);
  assert.equal(note('untrusted root',
    errOf('cert-check', hex(good.cert.serialize()), fresh.wireHex, Date.now())), ERR.SC_ERR_CERT_TRUST);
  assert.deepEqual(okOf('cert-check', hex(good.cert.serialize()), mock.wireHex, Date.now()), [UUID_A, '1']);

  // certificate key != the key that sealed the message
  const other = L.keyPair(S);
  const { cert } = L.senderCert(S, mock, { uuid: UUID_C, device: 2, identity: C, expires: Date.now() + HOUR });
  const [usmc] = okOf('usmc-new', 8, hex(cert.serialize()), '00', 0, '-');
  const [sealed] = okOf('v1-encrypt', other.pubHex, other.privHex, A.pubHex, usmc);
  assert.equal(note('sealed by another key', errOf('to-usmc', A.pubHex, A.privHex, sealed)),
    ERR.SC_ERR_SEALED_KEY_MISMATCH);
  await assert.rejects(S.sealedSenderDecryptToUsmc(unhex(sealed), storesA.identity));

  const codes = [...seen.values()];
  assert.equal(new Set(codes).size, codes.length, 'distinct codes: ' + JSON.stringify([...seen]));
});

test('self-send is rejected; our other devices are not', async () => {
  const { cert } = L.senderCert(S, mock, { uuid: UUID_C, device: 2, identity: A, expires: Date.now() + HOUR });
  const usmc = S.UnidentifiedSenderMessageContent.new(plaintextContent().asCiphertextMessage(), cert, 0, null);
  const msg = Buffer.from(await S.sealedSenderEncrypt(usmc, addrC, storesA.identity));
  assert.equal(errOf(...cDecrypt(msg, mock, Date.now(), UUID_C, 2)), ERR.SC_ERR_SEALED_SELF_SEND);
  assert.equal(fields(okOf(...cDecrypt(msg, mock, Date.now(), UUID_C, 3))).uuid, UUID_C);
});

test('reference signers: libsignal test certificate 0x7357C357, unknown ids', () => {
  // libsignal's built-in test server certificate: trust root = public key of
  // the all-zero private key, server key = the all-0xFF private key.
  const testRoot = L.keyPair(S, S.PrivateKey.deserialize(Buffer.alloc(32)));
  const serverKey = S.PrivateKey.deserialize(Buffer.alloc(32, 0xff));
  const make = (id) => {
    const data = Buffer.concat([
      L.pbU32(2, 1), L.pbFixed64(3, Date.now() + HOUR), L.pbBytes(4, A.publicKey.serialize()),
      L.pbBytes(6, UUID_A), L.pbU32(8, id)]);
    return Buffer.concat([L.pbBytes(1, data), L.pbBytes(2, serverKey.sign(data))]);
  };
  const ref = make(0x7357C357);
  // libsignal resolves the reference and validates it
  assert.equal(S.SenderCertificate.deserialize(ref).validate(testRoot.publicKey, Date.now()), true);
  assert.deepEqual(okOf('cert-check', hex(ref), testRoot.wireHex, Date.now()), [UUID_A, '1']);
  assert.equal(errOf('cert-check', hex(ref), mock.wireHex, Date.now()), ERR.SC_ERR_CERT_TRUST);
  assert.equal(S.SenderCertificate.deserialize(ref).validate(mock.publicKey, Date.now()), false);
  const unknown = make(4242);
  assert.equal(errOf('cert-check', hex(unknown), testRoot.wireHex, Date.now()), ERR.SC_ERR_CERT_UNKNOWN_SIGNER);
  let libsignalAccepts;
  try { libsignalAccepts = S.SenderCertificate.deserialize(unknown).validate(testRoot.publicKey, Date.now()); } catch { libsignalAccepts = false; }
  assert.equal(libsignalAccepts, false);
  // a server certificate configured as known resolves id 4242
  const srv = S.ServerCertificate.new(4242, serverKey.getPublicKey(), fresh.privateKey);
  assert.deepEqual(okOf('cert-check', hex(unknown), fresh.wireHex, Date.now(), hex(srv.serialize())), [UUID_A, '1']);
});

// Multi-recipient (0x23) made by C (sc_sealed_encrypt_multi): libsignal's
// parser, the one Signal-Server and the mock use (SealedSenderMultiRecipient
// Message), sees each recipient with its devices and registration ids and
// the excluded one; each recipient's part decrypts in libsignal to the
// USMC, whose SenderKey message (made by C) libsignal's groupDecrypt reads.
test('multi-recipient v2 made by C: libsignal parses it, each recipient decrypts', async () => {
  const MRM = require('@signalapp/libsignal-client/dist/SealedSenderMultiRecipientMessage').default;
  const dist = '6c1f2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';
  const { cert } = L.senderCert(S, mock, { uuid: UUID_C, device: 2, identity: C, expires: Date.now() + HOUR });
  // C's sender key: the distribution message goes to every recipient's store
  const [rec, skdm] = okOf('sk-create', L.uuidHex(dist));
  const [, inner] = okOf('sk-encrypt', rec, hex(Buffer.from('to the whole group')));
  const [usmc] = okOf('usmc-new', 7, hex(cert.serialize()), inner, 1, hex(Buffer.from('gid-32')));
  const people = [
    { uuid: '11111111-1111-4111-8111-111111111111', devices: [[1, 4321]] },
    { uuid: '22222222-2222-4222-8222-222222222222', devices: [[1, 16383], [3, 9]] },
    { uuid: '33333333-3333-4333-8333-333333333333', devices: [[1, 1]] },
  ].map((p) => ({ ...p, keys: L.keyPair(S) }));
  const excluded = '44444444-4444-4444-8444-444444444444';
  const sid = (u) => '00' + L.uuidHex(u);
  const args = people.map((p) => `${sid(p.uuid)}:${p.keys.pubHex}:${p.devices.map((d) => d.join('.')).join(',')}`);
  args.push(`${sid(excluded)}:-:-`);
  const [out] = okOf('mr-encrypt', C.pubHex, C.privHex, usmc, ...args);
  const msg = unhex(out);
  assert.equal(msg[0], 0x23);
  const parsed = new MRM(msg);
  const byId = parsed.recipientsByServiceIdString();
  assert.deepEqual(Object.keys(byId).sort(), people.map((p) => p.uuid).sort());
  assert.deepEqual(parsed.excludedRecipientServiceIdStrings(), [excluded]);
  for (const p of people) {
    const r = byId[p.uuid];
    assert.deepEqual(r.deviceIds, p.devices.map((d) => d[0]));
    assert.deepEqual(r.registrationIds, p.devices.map((d) => d[1]));
    const part = Buffer.from(parsed.messageForRecipient(r));
    assert.equal(part[0], 0x22);
    const st = makeStores(S, p.keys.ikp, 1);
    const got = await S.sealedSenderDecryptToUsmc(part, st.identity);
    assert.equal(got.msgType(), 7);
    assert.equal(got.contentHint(), 1);
    assert.deepEqual(Buffer.from(got.groupId()), Buffer.from('gid-32'));
    assert.equal(got.senderCertificate().senderUuid(), UUID_C);
    assert.equal(got.senderCertificate().validate(mock.publicKey, Date.now()), true);
    await S.processSenderKeyDistributionMessage(addrC,
      S.SenderKeyDistributionMessage.deserialize(unhex(skdm)), st.senderKeys);
    const pt = await S.groupDecrypt(addrC, st.senderKeys, Buffer.from(got.contents()));
    assert.equal(Buffer.from(pt).toString(), 'to the whole group');
    // another recipient's identity cannot open this part
    const other = makeStores(S, L.keyPair(S).ikp, 1);
    await assert.rejects(S.sealedSenderDecryptToUsmc(part, other.identity));
  }
  // libsignal's own multi-recipient message has the same layout (version,
  // recipient, device, registration id), so the server splits ours alike
  await sessionAtoC();
  const lib = Buffer.from(await S.sealedSenderMultiRecipientEncrypt(
    S.UnidentifiedSenderMessageContent.deserialize(unhex(usmc)), [addrC], storesA.identity, storesA.sessions));
  const mine = unhex(okOf('mr-encrypt', A.pubHex, A.privHex, usmc, `${sid(UUID_C)}:${C.pubHex}:2.2222`)[0]);
  assert.equal(mine.length, lib.length);
  assert.deepEqual(mine.subarray(0, 1 + 1 + 17 + 3), lib.subarray(0, 1 + 1 + 17 + 3));
});
