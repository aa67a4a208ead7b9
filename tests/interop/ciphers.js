'use strict';
// The "other ciphers" (module/signal/crypto/sc_{provision,attachment,profile,
// storage,group,devname,padding}) against real peers: the mock server's own
// crypto code (@signalapp/mock-server 27.0.0 src/crypto.js, its protobufs),
// libsignal-client 0.100 (zkgroup, AccountEntropyPool, primitives), and,
// where no library has the function, the client formula re-done here with
// node's crypto and libsignal's X25519.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const SC = require('@signalapp/libsignal-client');
const zk = require('@signalapp/libsignal-client/zkgroup');
const { AccountEntropyPool } = require('@signalapp/libsignal-client/dist/AccountKeys.js');
const mock = require('@signalapp/mock-server/src/crypto.js');
const { signalservice: pb } = require('@signalapp/mock-server/protos/compiled.js');

const TOOL = path.join(process.env.top_builddir || path.resolve(__dirname, '../../build'), 'tests/interop/cipher_tool');
const B = (x, e) => Buffer.from(x, e);
const hex = (b) => (b.length ? B(b).toString('hex') : '-');
const rnd = (n) => crypto.randomBytes(n);

// Run requests; per line an array of fields as strings, or {err}.
function c(lines) {
  const r = spawnSync(TOOL, [], { input: lines.join('\n') + '\n', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`cipher_tool exit ${r.status}: ${r.stderr}`);
  const out = r.stdout.toString().replace(/\n$/, '').split('\n');
  if (out.length !== lines.length) throw new Error(`cipher_tool: ${out.length} answers to ${lines.length} lines`);
  return out.map((l) => (l.startsWith('ERR ') ? { err: Number(l.slice(4)) } : l.split(' ')));
}
const toBuf = (h) => (h === '-' ? Buffer.alloc(0) : B(h, 'hex'));
// one request whose answer is hex fields
const c1 = (line) => {
  const [r] = c([line]);
  if (r.err !== undefined) throw new Error(`${line.slice(0, 2)}: ERR ${r.err}`);
  return r.map(toBuf);
};
const cErr = (line) => c([line])[0].err;

// signal/crypto error codes these tests expect (sc_err.h)
const SC_ERR_DECRYPT = -1001, SC_ERR_DIGEST = -1021;

test('provisioning: the mock encrypts, C decrypts; C encrypts, a by-hand reader decrypts', () => {
  const ours = SC.PrivateKey.generate();
  const msg = pb.ProvisionMessage.encode({ number: '+15551230000', provisioningCode: 'abcdef0123456789',
    profileKey: rnd(32), aciIdentityKeyPrivate: rnd(32), provisioningVersion: 1 });
  const { body, ephemeralKey } = mock.encryptProvisionMessage(B(msg), ours.getPublicKey());
  const env = pb.ProvisionEnvelope.encode({ publicKey: ephemeralKey, body });
  const [pt] = c1(`PD ${hex(ours.serialize())} ${hex(env)}`);
  assert.equal(hex(pt), hex(msg));
  assert.equal(pb.ProvisionMessage.decode(pt).provisioningCode, 'abcdef0123456789');
  // the wrong private key fails the MAC
  assert.equal(cErr(`PD ${hex(SC.PrivateKey.generate().serialize())} ${hex(env)}`), SC_ERR_DECRYPT);

  // reverse: C encrypts to a libsignal key; decrypt with the formula of
  // signal-service.md §2.4 using libsignal's agree and hkdf
  const payload = rnd(300);
  const [cEnv] = c1(`PE ${hex(ours.getPublicKey().getPublicKeyBytes())} ${hex(payload)}`);
  const e = pb.ProvisionEnvelope.decode(cEnv);
  assert.equal(e.publicKey.length, 33);
  assert.equal(e.body[0], 1);
  const okm = B(SC.hkdf(64, ours.agree(SC.PublicKey.deserialize(e.publicKey)), B('TextSecure Provisioning Message'), null));
  const mac = crypto.createHmac('sha256', okm.subarray(32)).update(e.body.subarray(0, e.body.length - 32)).digest();
  assert.equal(hex(mac), hex(e.body.subarray(e.body.length - 32)));
  const d = crypto.createDecipheriv('aes-256-cbc', okm.subarray(0, 32), e.body.subarray(1, 17));
  assert.equal(hex(Buffer.concat([d.update(e.body.subarray(17, e.body.length - 32)), d.final()])), hex(payload));
});

// Desktop's logPadSize (ts/util/attachments or Crypto): the padding bucket
const logPadSize = (size) => Math.max(541, Math.floor(1.05 ** Math.ceil(Math.log(size) / Math.log(1.05))));

test('attachments: identical blob and digest to the mock; C decrypts the mock; padded sizes match the clients', () => {
  for (const n of [0, 1, 16, 1000, 70000]) {
    const pt = rnd(n), aesKey = rnd(32), macKey = rnd(32), iv = rnd(16);
    const m = mock.encryptAttachment(pt, { aesKey, macKey, iv });
    const [blob, digest] = c1(`AE ${hex(m.key)} ${hex(iv)} 0 ${hex(pt)}`);
    assert.equal(hex(blob), hex(m.blob), `blob for ${n} bytes`);
    assert.equal(hex(digest), hex(m.digest));
    const [back] = c1(`AD ${hex(m.key)} ${hex(m.digest)} ${n} ${hex(m.blob)}`);
    assert.equal(hex(back), hex(pt));
    const bad = B(m.blob);
    bad[bad.length - 1] ^= 1;
    assert.equal(cErr(`AD ${hex(m.key)} ${hex(m.digest)} ${n} ${hex(bad)}`), SC_ERR_DIGEST);
  }
  // padded: a client-style reader (HMAC, CBC, truncate to size) gets the plaintext back
  const pt = rnd(3000), key = rnd(64);
  const [blob, digest] = c1(`AE ${hex(key)} ${hex(rnd(16))} 1 ${hex(pt)}`);
  assert.equal(hex(crypto.createHash('sha256').update(blob).digest()), hex(digest));
  const mac = crypto.createHmac('sha256', key.subarray(32)).update(blob.subarray(0, blob.length - 32)).digest();
  assert.equal(hex(mac), hex(blob.subarray(blob.length - 32)));
  const d = crypto.createDecipheriv('aes-256-cbc', key.subarray(0, 32), blob.subarray(0, 16));
  const padded = Buffer.concat([d.update(blob.subarray(16, blob.length - 32)), d.final()]);
  assert.equal(padded.length, logPadSize(3000));
  assert.equal(hex(padded.subarray(0, 3000)), hex(pt));
  assert.ok(padded.subarray(3000).every((b) => b === 0));
  // the bucket function over many sizes
  const sizes = [1, 2, 540, 541, 542, 543, 600, 1023, 1024, 4097, 65535, 65536, 1e6, 25e6, 1e8];
  for (let i = 0; i < 300; i++) sizes.push(1 + Math.floor(Math.random() * 2e7));
  const out = c(sizes.map((s) => `AP ${s}`));
  sizes.forEach((s, i) => assert.equal(Number(out[i][0]), logPadSize(s), `padded size of ${s}`));
});

test('profile names and texts: the mock encrypts, C decrypts; C pads like clients; access key matches libsignal and the mock', () => {
  const pk = rnd(32);
  const box = mock.encryptProfileName(pk, 'Mock Name');
  const [given, family] = c1(`ND ${hex(pk)} ${hex(box)}`);
  assert.equal(given.toString(), 'Mock Name');
  assert.equal(family.length, 0);

  const [cbox] = c1(`NE ${hex(pk)} ${hex(rnd(12))} ${hex(B('Ada'))} ${hex(B('Lovelace'))}`);
  assert.equal(cbox.length, 12 + 53 + 16);
  const d = crypto.createDecipheriv('aes-256-gcm', pk, cbox.subarray(0, 12));
  d.setAuthTag(cbox.subarray(cbox.length - 16));
  const pt = Buffer.concat([d.update(cbox.subarray(12, cbox.length - 16)), d.final()]);
  assert.equal(hex(pt), hex(Buffer.concat([B('Ada\0Lovelace'), Buffer.alloc(53 - 12)])));

  // "about" and emoji: Signal's ProfileCipher buckets 128/254/512 and 32
  const gcmOpen = (key, box) => {
    const dd = crypto.createDecipheriv('aes-256-gcm', key, box.subarray(0, 12));
    dd.setAuthTag(box.subarray(box.length - 16));
    return Buffer.concat([dd.update(box.subarray(12, box.length - 16)), dd.final()]);
  };
  const gcmSeal = (key, ptext) => {
    const iv = rnd(12), cc = crypto.createCipheriv('aes-256-gcm', key, iv);
    const body = Buffer.concat([cc.update(ptext), cc.final()]);
    return Buffer.concat([iv, body, cc.getAuthTag()]);
  };
  for (const [text, kind, bucket] of [['at the bridge', 1, 128], ['x'.repeat(200), 1, 254], ['y'.repeat(300), 1, 512], ['\u{1F309}', 2, 32]]) {
    const [tbox] = c1(`TE ${hex(pk)} ${hex(rnd(12))} ${kind} ${hex(B(text))}`);
    const plain = gcmOpen(pk, tbox);
    assert.equal(plain.length, bucket);
    assert.equal(plain.subarray(0, B(text).length).toString(), text);
    assert.ok(plain.subarray(B(text).length).every((b) => b === 0));
    const padded = Buffer.concat([B(text), Buffer.alloc(bucket - B(text).length)]);
    const [back] = c1(`TD ${hex(pk)} ${hex(gcmSeal(pk, padded))}`);
    assert.equal(back.toString(), text);
  }

  for (let i = 0; i < 5; i++) {
    const key = rnd(32);
    const [ak, verifier] = c1(`AK ${hex(key)}`);
    assert.equal(hex(ak), hex(new zk.ProfileKey(key).deriveAccessKey()), 'libsignal ProfileKey.deriveAccessKey');
    assert.equal(hex(ak), hex(mock.deriveAccessKey(key)), 'mock deriveAccessKey');
    assert.equal(hex(verifier), hex(mock.generateAccessKeyVerifier(ak)));
  }
});

test('storage service: keys, manifest and records from the mock decrypt in C; master key as libsignal', () => {
  const aep = AccountEntropyPool.generate();
  const [master] = c1(`MK ${hex(B(aep))}`);
  assert.equal(hex(master), hex(AccountEntropyPool.deriveSvrKey(aep)), 'libsignal AccountEntropyPool.deriveSvrKey');
  assert.equal(hex(master), hex(mock.deriveMasterKey(aep)));
  const [storageKey] = c1(`SK ${hex(master)}`);
  assert.equal(hex(storageKey), hex(mock.deriveStorageKey(master)));

  const recordIkm = rnd(32);
  const manifestRecord = { version: 7n, sourceDevice: 1, recordIkm,
    identifiers: [{ raw: rnd(16), type: pb.ManifestRecord.Identifier.Type.CONTACT }] };
  const m = mock.encryptStorageManifest(storageKey, manifestRecord);
  const [mkey] = c1(`SM ${hex(storageKey)} 7`);
  const [mpt] = c1(`GO ${hex(mkey)} ${hex(m.value)}`);
  assert.equal(hex(mpt), hex(pb.ManifestRecord.encode(manifestRecord)));
  assert.equal(pb.ManifestRecord.decode(mpt).version, 7n);
  const [wrong] = c1(`SM ${hex(storageKey)} 8`);
  assert.equal(cErr(`GO ${hex(wrong)} ${hex(m.value)}`), SC_ERR_DECRYPT);

  const record = { record: { contact: { profileKey: rnd(32), givenName: 'Bob', aciBinary: rnd(16) } } };
  for (const ikm of [recordIkm, undefined]) {
    const key = rnd(16);
    const item = mock.encryptStorageItem({ storageKey, key, recordIkm: ikm, record });
    const [ikey] = c1(`SI ${hex(storageKey)} ${ikm ? hex(ikm) : '-'} ${hex(key)}`);
    assert.equal(hex(ikey), hex(mock.deriveStorageItemKey({ storageKey, recordIkm: ikm, key })));
    const [rpt] = c1(`GO ${hex(ikey)} ${hex(item.value)}`);
    assert.equal(pb.StorageRecord.decode(rpt).record.contact.givenName, 'Bob');
    // and the mock reads what C seals
    const [sealed] = c1(`GS ${hex(ikey)} ${hex(rnd(12))} ${hex(pb.StorageRecord.encode(record))}`);
    const back = mock.decryptStorageItem({ storageKey, recordIkm: ikm, item: { key, value: sealed } });
    assert.equal(back.record.contact.givenName, 'Bob');
  }
});

test('groups v2: group id and blob key as libsignal zkgroup; attribute blobs both ways', () => {
  for (let i = 0; i < 4; i++) {
    const sp = zk.GroupSecretParams.generate();
    const mk = B(sp.getMasterKey().serialize());
    const [gid, blobKey] = c1(`GD ${hex(mk)}`);
    assert.equal(hex(gid), hex(sp.getPublicParams().getGroupIdentifier().serialize()));
    const cipher = new zk.ClientZkGroupCipher(sp);
    const content = pb.GroupAttributeBlob.encode({ title: `team ${i}` });
    const [pt] = c1(`GB ${hex(blobKey)} ${hex(cipher.encryptBlob(B(content)))}`);
    assert.equal(hex(pt), hex(content));
    const [blob] = c1(`GE ${hex(blobKey)} ${hex(rnd(12))} ${i * 7} ${hex(content)}`);
    assert.equal(hex(cipher.decryptBlob(blob)), hex(content), 'libsignal decryptBlob of a C blob');
    const bad = B(blob);
    bad[0] ^= 1;
    assert.throws(() => cipher.decryptBlob(bad));
    assert.equal(cErr(`GB ${hex(blobKey)} ${hex(bad)}`), SC_ERR_DECRYPT);
  }
});

// Desktop's encryptDeviceName (signal-service.md §2.6) with libsignal's X25519
function jsDeviceName(name, identityPub) {
  const eph = SC.PrivateKey.generate();
  const master = eph.agree(identityPub);
  const hm = (k, d) => crypto.createHmac('sha256', k).update(d).digest();
  const siv = hm(hm(master, 'auth'), name).subarray(0, 16);
  const c = crypto.createCipheriv('aes-256-ctr', hm(hm(master, 'cipher'), siv), Buffer.alloc(16));
  const ciphertext = Buffer.concat([c.update(name), c.final()]);
  return pb.DeviceName.encode({ ephemeralPublic: B(eph.getPublicKey().serialize()), syntheticIv: siv, ciphertext });
}

test('device names: a client-style encryption decrypts in C and vice versa', () => {
  const id = SC.IdentityKeyPair.generate();
  const name = B('Signal bridge \u{1F309} on Matrix');
  const [pt] = c1(`DD ${hex(id.privateKey.serialize())} ${hex(jsDeviceName(name, id.publicKey))}`);
  assert.equal(pt.toString(), name.toString());
  assert.equal(cErr(`DD ${hex(SC.PrivateKey.generate().serialize())} ${hex(jsDeviceName(name, id.publicKey))}`), SC_ERR_DECRYPT);

  const [enc] = c1(`DE ${hex(id.publicKey.getPublicKeyBytes())} ${hex(name)}`);
  const dn = pb.DeviceName.decode(enc);
  const master = id.privateKey.agree(SC.PublicKey.deserialize(dn.ephemeralPublic));
  const hm = (k, d) => crypto.createHmac('sha256', k).update(d).digest();
  const dec = crypto.createDecipheriv('aes-256-ctr', hm(hm(master, 'cipher'), dn.syntheticIv), Buffer.alloc(16));
  const back = Buffer.concat([dec.update(dn.ciphertext), dec.final()]);
  assert.equal(back.toString(), name.toString());
  assert.equal(hex(hm(hm(master, 'auth'), back).subarray(0, 16)), hex(dn.syntheticIv));
});

test('content padding: Desktop padMessage lengths; the mock-style unpad', () => {
  // Desktop: getPaddedMessageLength(len + 1) - 1, 160-byte parts
  const desktopPadded = (len) => Math.ceil((len + 1 + 1) / 160) * 160 - 1;
  for (const n of [0, 1, 157, 158, 159, 160, 318, 319, 1000]) {
    const content = rnd(n);
    const [padded] = c1(`CP ${hex(content)}`);
    assert.equal(padded.length, desktopPadded(n), `padded length of ${n}`);
    assert.equal(hex(padded.subarray(0, n)), hex(content));
    assert.equal(padded[n], 0x80);
    assert.ok(padded.subarray(n + 1).every((b) => b === 0));
    // receive side of the mock: strip zeros, then one 0x80
    let end = padded.length;
    while (end > 0 && padded[end - 1] === 0) end--;
    assert.equal(padded[end - 1], 0x80);
    assert.equal(Number(c([`CU ${hex(padded)}`])[0][0]), end - 1);
  }
  // the mock's own sends: content || 0x80, no zeros
  assert.equal(Number(c([`CU ${hex(Buffer.concat([B('hi'), B([0x80])]))}`])[0][0]), 2);
  assert.equal(cErr(`CU ${hex(B('no terminator'))}`), -1022);
});

// Message backup ("link and sync" archive): backup id and MessageBackupKey
// byte for byte as libsignal 0.100 derives them (BackupKey.deriveBackupId,
// new MessageBackupKey({backupKey, backupId})), and the envelope both ways:
// iv ‖ AES-256-CBC ‖ HMAC-SHA256 (libsignal rust/message-backup/src/frame.rs).
test('message backup: keys as libsignal MessageBackupKey; the envelope both ways', () => {
  const { BackupKey } = require('@signalapp/libsignal-client/dist/AccountKeys.js');
  const { MessageBackupKey } = require('@signalapp/libsignal-client/dist/MessageBackup.js');
  for (let i = 0; i < 4; i++) {
    const bk = rnd(32);
    const aci = SC.Aci.fromUuidBytes(rnd(16));
    const id = B(new BackupKey(bk).deriveBackupId(aci));
    const [cid] = c1(`BI ${hex(bk)} ${hex(aci.getRawUuidBytes())}`);
    assert.equal(hex(cid), hex(id), 'backup id');
    const mbk = new MessageBackupKey({ backupKey: new BackupKey(bk), backupId: id });
    const [hk, ak] = c1(`BK ${hex(bk)} ${hex(id)}`);
    assert.equal(hex(hk), hex(B(mbk.hmacKey)), 'hmac key');
    assert.equal(hex(ak), hex(B(mbk.aesKey)), 'aes key');

    // C encrypts, node decrypts with libsignal's keys
    const pt = rnd(100 + i * 77);
    const iv = rnd(16);
    const [arc] = c1(`BE ${hex(mbk.hmacKey)} ${hex(mbk.aesKey)} ${hex(iv)} ${hex(pt)}`);
    const mac = crypto.createHmac('sha256', B(mbk.hmacKey)).update(arc.subarray(0, arc.length - 32)).digest();
    assert.equal(hex(arc.subarray(arc.length - 32)), hex(mac));
    const d = crypto.createDecipheriv('aes-256-cbc', B(mbk.aesKey), arc.subarray(0, 16));
    assert.equal(hex(Buffer.concat([d.update(arc.subarray(16, arc.length - 32)), d.final()])), hex(pt));

    // node encrypts, C decrypts; a flipped bit anywhere fails the MAC
    const e = crypto.createCipheriv('aes-256-cbc', B(mbk.aesKey), iv);
    const body = Buffer.concat([iv, e.update(pt), e.final()]);
    const full = Buffer.concat([body, crypto.createHmac('sha256', B(mbk.hmacKey)).update(body).digest()]);
    const [back] = c1(`BD ${hex(mbk.hmacKey)} ${hex(mbk.aesKey)} ${hex(full)}`);
    assert.equal(hex(back), hex(pt));
    const bad = B(full);
    bad[(i * 37) % bad.length] ^= 1;
    assert.equal(cErr(`BD ${hex(mbk.hmacKey)} ${hex(mbk.aesKey)} ${hex(bad)}`), SC_ERR_DECRYPT);
    // truncated: too short, or a MAC over something else
    assert.equal(cErr(`BD ${hex(mbk.hmacKey)} ${hex(mbk.aesKey)} ${hex(full.subarray(0, 40))}`), -1004);
    assert.equal(cErr(`BD ${hex(mbk.hmacKey)} ${hex(mbk.aesKey)} ${hex(full.subarray(0, full.length - 16))}`),
      SC_ERR_DECRYPT);
  }
});
