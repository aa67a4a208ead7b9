// End-to-end encryption on mxhs with the engine Element uses: matrix-js-sdk
// 43 with its Rust crypto (initRustCrypto, @matrix-org/matrix-sdk-crypto-wasm).
// Two users upload keys, share an encrypted room and decrypt each other's
// messages; cross-signing bootstraps; a fresh login restores old keys from
// the server-side backup. Plain-HTTP tests cover the server's rules: the
// one-time-key count after a claim, the fallback key, UIA on
// device_signing/upload, to-device delivery and acknowledgement, and the
// backup version/keys answers.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { pathToFileURL } = require('node:url');
const { Homeserver, until, polyfill, SERVER } = require('./mxhs_harness.js');

polyfill();
let sdk;
const hs = new Homeserver();
const clients = [];
const PASSWORDS = { alice: 'pw-alice', bob: 'pw-bob', carol: 'pw-carol', dave: 'pw-dave' };

async function loadSdk() {
  const url = pathToFileURL(require.resolve('matrix-js-sdk'));
  const m = await import(url.href);
  if (!process.env.MXHS_JS_DEBUG) // the SDK and the crypto log every request
    for (const k of ['log', 'info', 'debug', 'warn']) console[k] = () => {};
  return m;
}

async function login(user, deviceName) {
  const r = await hs.req('POST', '/_matrix/client/v3/login', {
    body: { type: 'm.login.password', identifier: { type: 'm.id.user', user },
            password: PASSWORDS[user], initial_device_display_name: deviceName || user } });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json;
}

const uia = (user) => ({ type: 'm.login.password', identifier: { type: 'm.id.user', user },
                         password: PASSWORDS[user] });

// A client with Rust crypto, synced.
async function cryptoClient(creds) {
  const c = sdk.createClient({ baseUrl: hs.base, accessToken: creds.access_token,
                               userId: creds.user_id, deviceId: creds.device_id });
  clients.push(c);
  await c.initRustCrypto({ useIndexedDB: false });
  const prepared = new Promise((resolve, reject) => {
    c.on(sdk.ClientEvent.Sync, (state) => {
      if (state === 'PREPARED') resolve();
      if (state === 'ERROR') reject(new Error('sync error'));
    });
  });
  await c.startClient({ initialSyncLimit: 20 });
  await prepared;
  return c;
}

// Wait until `c` shows a decrypted m.room.message with this body in roomId.
async function decrypted(c, roomId, body) {
  return until(() => {
    const room = c.getRoom(roomId);
    if (!room) return null;
    return room.getLiveTimeline().getEvents().find((e) =>
      e.isEncrypted() && e.getType() === 'm.room.message' && e.getContent().body === body);
  }, `${c.getUserId()} decrypts "${body}"`, 30000);
}

async function api(method, path, token, body) {
  return hs.req(method, '/_matrix/client/v3' + path, { token, body });
}

// ed25519 helpers for hand-made cross-signing keys (canonical JSON: sorted
// keys, no whitespace; the objects here are flat enough for this).
function canonical(v) {
  if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
  if (v && typeof v === 'object')
    return '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + canonical(v[k])).join(',') + '}';
  return JSON.stringify(v);
}
const unpadded = (buf) => buf.toString('base64').replace(/=+$/, '');
function edKey() {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(12);
  return { pub: unpadded(raw), privateKey };
}
function xsignKey(user, usage, k) {
  return { user_id: user, usage: [usage], keys: { [`ed25519:${k.pub}`]: k.pub } };
}
function sign(obj, user, signer) {
  const o = Object.assign({}, obj);
  delete o.signatures; delete o.unsigned;
  const sig = unpadded(crypto.sign(null, Buffer.from(canonical(o)), signer.privateKey));
  obj.signatures = obj.signatures || {};
  obj.signatures[user] = Object.assign({}, obj.signatures[user], { [`ed25519:${signer.pub}`]: sig });
  return obj;
}

before(async () => {
  sdk = await loadSdk();
  await hs.start();
  for (const u of Object.keys(PASSWORDS)) {
    const r = hs.registerUser(u, PASSWORDS[u]);
    assert.equal(r.status, 0, r.stderr);
  }
});

after(async () => {
  for (const c of clients) c.stopClient();
  const r = await hs.stop();
  if (process.env.MXHS_KEEP) console.log(hs.log);
  hs.cleanup();
  assert.equal(r.code, 0, 'mxhs exits cleanly on SIGTERM');
});

let alice, bob, roomId, aliceCreds;

test('two users with Rust crypto decrypt each other in an encrypted room', async () => {
  aliceCreds = await login('alice', 'alice laptop');
  const bobCreds = await login('bob');
  alice = await cryptoClient(aliceCreds);
  bob = await cryptoClient(bobCreds);
  // both devices published their identity keys and one-time keys
  // (the upload runs in the background after startClient: wait for it)
  const q = await until(async () => {
    const r = await api('POST', '/keys/query', bobCreds.access_token,
                        { device_keys: { [alice.getUserId()]: [], [bob.getUserId()]: [] } });
    assert.equal(r.status, 200);
    return Object.keys(r.json.device_keys[alice.getUserId()]).length &&
           Object.keys(r.json.device_keys[bob.getUserId()]).length && r;
  }, 'both devices publish keys');
  const ak = q.json.device_keys[alice.getUserId()][aliceCreds.device_id];
  assert.ok(ak, 'alice\'s device keys are returned: ' + JSON.stringify(q.json));
  assert.ok(ak.keys[`curve25519:${aliceCreds.device_id}`] && ak.keys[`ed25519:${aliceCreds.device_id}`]);
  assert.equal(ak.unsigned.device_display_name, 'alice laptop');
  assert.ok(q.json.device_keys[bob.getUserId()][bobCreds.device_id]);

  const created = await alice.createRoom({
    preset: 'private_chat', invite: [bob.getUserId()],
    initial_state: [{ type: 'm.room.encryption', state_key: '',
                      content: { algorithm: 'm.megolm.v1.aes-sha2' } }] });
  roomId = created.room_id;
  await until(() => bob.getRoom(roomId), 'bob sees the invite');
  await bob.joinRoom(roomId);
  await until(() => alice.getRoom(roomId) &&
                    alice.getRoom(roomId).getMember(bob.getUserId())?.membership === 'join',
              'alice sees bob join');
  await until(async () => alice.getCrypto().isEncryptionEnabledInRoom(roomId), 'room is encrypted');

  await alice.sendTextMessage(roomId, 'hello bob, this is secret');
  await decrypted(bob, roomId, 'hello bob, this is secret');
  await bob.sendTextMessage(roomId, 'hi alice, secret too');
  await decrypted(alice, roomId, 'hi alice, secret too');

  // the server holds only ciphertext
  const msgs = await api('GET', `/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=50`,
                         bobCreds.access_token);
  const texts = msgs.json.chunk.filter((e) => e.type === 'm.room.message');
  assert.equal(texts.length, 0, 'no plaintext message is stored');
  const enc = msgs.json.chunk.filter((e) => e.type === 'm.room.encrypted');
  assert.ok(enc.length >= 2);
  assert.ok(!JSON.stringify(enc).includes('secret'));
});

test('cross-signing bootstraps and keys/query shows it with the visibility rules', async () => {
  const c = alice.getCrypto();
  await c.bootstrapCrossSigning({
    authUploadDeviceSigningKeys: async (makeRequest) => { await makeRequest(uia('alice')); },
  });
  const st = await c.getCrossSigningStatus();
  assert.ok(st.publicKeysOnDevice, 'public cross-signing keys are trusted on the device');
  assert.ok(st.privateKeysCachedLocally.masterKey && st.privateKeysCachedLocally.selfSigningKey);
  await until(async () => (await c.getDeviceVerificationStatus(alice.getUserId(),
                                                               alice.getDeviceId()))?.crossSigningVerified,
              'alice\'s device is signed by her self-signing key');
  // as seen by alice: all three keys; the device carries the self-signing signature
  const me = alice.getUserId();
  const qa = await api('POST', '/keys/query', aliceCreds.access_token, { device_keys: { [me]: [] } });
  assert.ok(qa.json.master_keys[me] && qa.json.self_signing_keys[me] && qa.json.user_signing_keys[me]);
  const ssk = Object.values(qa.json.self_signing_keys[me].keys)[0];
  assert.ok(qa.json.device_keys[me][aliceCreds.device_id].signatures[me][`ed25519:${ssk}`],
            'the device signature by the self-signing key is served');
  // as seen by bob: no user-signing key of alice
  const qb = await api('POST', '/keys/query', bob.getAccessToken(), { device_keys: { [me]: [] } });
  assert.ok(qb.json.master_keys[me] && qb.json.self_signing_keys[me]);
  assert.equal(qb.json.user_signing_keys[me], undefined);
});

test('a fresh login restores old room keys from the server-side backup', async () => {
  const c = alice.getCrypto();
  await c.resetKeyBackup();
  const version = await c.getActiveSessionBackupVersion();
  assert.ok(version, 'a backup version is active');
  const key = await c.getSessionBackupPrivateKey();
  assert.ok(key);
  await alice.sendTextMessage(roomId, 'backed up message');
  // the session key reaches the backup
  await until(async () => {
    const r = await api('GET', `/room_keys/version/${version}`, aliceCreds.access_token);
    return r.status === 200 && r.json.count > 0;
  }, 'the backup holds room keys', 30000);
  const v = await api('GET', '/room_keys/version', aliceCreds.access_token);
  assert.equal(v.json.version, version);
  assert.equal(v.json.algorithm, 'm.megolm_backup.v1.curve25519-aes-sha2');

  // a new device of alice, with only the backup key
  const creds2 = await login('alice', 'alice phone');
  const alice2 = await cryptoClient(creds2);
  await alice2.getCrypto().storeSessionBackupPrivateKey(key, version);
  const res = await alice2.getCrypto().restoreKeyBackup();
  assert.ok(res.imported >= 1, 'keys imported: ' + JSON.stringify(res));
  // the old message decrypts on the new device (re-fetch the timeline)
  const room = alice2.getRoom(roomId);
  await until(() => room, 'alice2 sees the room');
  const dec = await until(async () => {
    const ev = room.getLiveTimeline().getEvents().find((e) => e.isEncrypted() &&
                 e.getType() === 'm.room.message' && e.getContent().body === 'backed up message');
    if (ev) return ev;
    for (const e of room.getLiveTimeline().getEvents())
      if (e.isDecryptionFailure()) await alice2.decryptEventIfNeeded(e, { isRetry: true });
    return null;
  }, 'alice2 decrypts the old message from backup', 30000);
  assert.equal(dec.getContent().body, 'backed up message');
});

test('a second device verified by cross-signing reads new messages', async () => {
  const me = alice.getUserId();
  const c = alice.getCrypto();
  const alice2 = clients[clients.length - 1]; // the fresh login of the backup test
  const d2 = alice2.getDeviceId();
  assert.notEqual(d2, alice.getDeviceId());
  // alice's first device learns about the new one through device_lists
  await until(async () => (await c.getUserDeviceInfo([me], true)).get(me)?.has(d2),
              'alice sees her new device');
  assert.equal((await c.getDeviceVerificationStatus(me, d2)).crossSigningVerified, false);
  await c.crossSignDevice(d2);
  // the signature is stored and served (signatures/upload)
  const q = await api('POST', '/keys/query', bob.getAccessToken(), { device_keys: { [me]: [d2] } });
  const ssk = Object.values(q.json.self_signing_keys[me].keys)[0];
  assert.ok(q.json.device_keys[me][d2].signatures[me][`ed25519:${ssk}`], JSON.stringify(q.json));
  await until(async () => (await c.getDeviceVerificationStatus(me, d2))?.crossSigningVerified,
              'the new device is cross-signing verified');
  // bob's next message reaches the new device too
  await bob.sendTextMessage(roomId, 'for both of alice\'s devices');
  await decrypted(alice2, roomId, 'for both of alice\'s devices');
  await decrypted(alice, roomId, 'for both of alice\'s devices');
});

test('one-time keys: the count goes down after a claim; the fallback key follows', async () => {
  const carol = await login('carol');
  const dave = await login('dave');
  const otk = {};
  for (let i = 1; i <= 2; i++)
    otk[`signed_curve25519:AAAA${i}`] = { key: unpadded(crypto.randomBytes(32)), signatures: {} };
  let r = await api('POST', '/keys/upload', carol.access_token, {
    one_time_keys: otk,
    fallback_keys: { 'signed_curve25519:FB1': { key: 'fallbackkey', fallback: true, signatures: {} } } });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.one_time_key_counts.signed_curve25519, 2);
  // retrying the same upload is fine (even with other signatures); a
  // different key under an ID is not
  r = await api('POST', '/keys/upload', carol.access_token, { one_time_keys: otk });
  assert.equal(r.json.one_time_key_counts.signed_curve25519, 2);
  const resigned = { 'signed_curve25519:AAAA1': Object.assign({}, otk['signed_curve25519:AAAA1'],
                                                              { signatures: { x: { y: 'z' } } }) };
  r = await api('POST', '/keys/upload', carol.access_token, { one_time_keys: resigned });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.one_time_key_counts.signed_curve25519, 2);
  r = await api('POST', '/keys/upload', carol.access_token,
                { one_time_keys: { 'signed_curve25519:AAAA1': { key: 'other' } } });
  assert.equal(r.status, 400);
  // device_keys must name the caller
  r = await api('POST', '/keys/upload', carol.access_token,
                { device_keys: { user_id: `@dave:${SERVER}`, device_id: carol.device_id,
                                 algorithms: [], keys: { 'ed25519:X': 'x' } } });
  assert.equal(r.status, 400);
  assert.equal(r.json.errcode, 'M_INVALID_PARAM');

  let sync = await api('GET', '/sync', carol.access_token);
  assert.equal(sync.json.device_one_time_keys_count.signed_curve25519, 2);
  assert.deepEqual(sync.json.device_unused_fallback_key_types, ['signed_curve25519']);

  const claim = () => api('POST', '/keys/claim', dave.access_token, {
    one_time_keys: { [carol.user_id]: { [carol.device_id]: 'signed_curve25519' } } });
  const c1 = await claim();
  const got1 = Object.keys(c1.json.one_time_keys[carol.user_id][carol.device_id]);
  assert.equal(got1.length, 1);
  assert.ok(otk[got1[0]], 'a key carol uploaded');
  sync = await api('GET', '/sync', carol.access_token);
  assert.equal(sync.json.device_one_time_keys_count.signed_curve25519, 1);
  const c2 = await claim();
  const got2 = Object.keys(c2.json.one_time_keys[carol.user_id][carol.device_id]);
  assert.notEqual(got2[0], got1[0], 'a key is handed out once');
  r = await api('POST', '/keys/upload', carol.access_token, {});
  assert.equal(r.json.one_time_key_counts.signed_curve25519, 0);
  // none left: the fallback key, marked used
  const c3 = await claim();
  assert.deepEqual(c3.json.one_time_keys[carol.user_id][carol.device_id],
                   { 'signed_curve25519:FB1': { key: 'fallbackkey', fallback: true, signatures: {} } });
  sync = await api('GET', '/sync', carol.access_token);
  assert.deepEqual(sync.json.device_unused_fallback_key_types, []);
});

test('device_signing/upload: first without auth, then UIA with the password', async () => {
  const carol = await login('carol');
  const me = carol.user_id;
  const m1 = edKey(), s1 = edKey(), m2 = edKey();
  const master = xsignKey(me, 'master', m1);
  const selfSigning = sign(xsignKey(me, 'self_signing', s1), me, m1);
  // a self-signing key not signed by the master key is refused
  let r = await api('POST', '/keys/device_signing/upload', carol.access_token,
                    { master_key: master, self_signing_key: xsignKey(me, 'self_signing', s1) });
  assert.equal(r.status, 400);
  assert.equal(r.json.errcode, 'M_INVALID_SIGNATURE');
  // keys for someone else are refused
  r = await api('POST', '/keys/device_signing/upload', carol.access_token,
                { master_key: xsignKey(`@dave:${SERVER}`, 'master', m1) });
  assert.equal(r.status, 400);
  // first upload: no UIA (MSC3967)
  r = await api('POST', '/keys/device_signing/upload', carol.access_token,
                { master_key: master, self_signing_key: selfSigning });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  // the same keys again: no UIA either
  r = await api('POST', '/keys/device_signing/upload', carol.access_token, { master_key: master });
  assert.equal(r.status, 200);
  // replacing them needs the password
  const body = { master_key: xsignKey(me, 'master', m2) };
  r = await api('POST', '/keys/device_signing/upload', carol.access_token, body);
  assert.equal(r.status, 401);
  assert.deepEqual(r.json.flows, [{ stages: ['m.login.password'] }]);
  assert.ok(r.json.session);
  r = await api('POST', '/keys/device_signing/upload', carol.access_token,
                Object.assign({ auth: Object.assign(uia('carol'), { password: 'wrong',
                                                                    session: r.json.session }) }, body));
  assert.equal(r.status, 401);
  assert.equal(r.json.errcode, 'M_FORBIDDEN');
  r = await api('POST', '/keys/device_signing/upload', carol.access_token,
                Object.assign({ auth: uia('carol') }, body));
  assert.equal(r.status, 200);
  const q = await api('POST', '/keys/query', carol.access_token, { device_keys: { [me]: [] } });
  assert.deepEqual(Object.keys(q.json.master_keys[me].keys), [`ed25519:${m2.pub}`]);

  // dave signs carol's master key with his user-signing key
  const dave = await login('dave');
  const dm = edKey(), du = edKey();
  r = await api('POST', '/keys/device_signing/upload', dave.access_token, {
    master_key: xsignKey(dave.user_id, 'master', dm),
    user_signing_key: sign(xsignKey(dave.user_id, 'user_signing', du), dave.user_id, dm) });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const carolMaster = q.json.master_keys[me];
  const signed = sign(JSON.parse(JSON.stringify(carolMaster)), dave.user_id, du);
  r = await api('POST', '/keys/signatures/upload', dave.access_token, { [me]: { [m2.pub]: signed } });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.failures, {});
  // a signature by a key that is not dave's user-signing key is refused
  const forged = sign(JSON.parse(JSON.stringify(carolMaster)), dave.user_id, edKey());
  r = await api('POST', '/keys/signatures/upload', dave.access_token, { [me]: { [m2.pub]: forged } });
  assert.ok(r.json.failures[me][m2.pub], JSON.stringify(r.json));
  // dave sees his signature on carol's master key; carol does not
  const byDave = await api('POST', '/keys/query', dave.access_token, { device_keys: { [me]: [] } });
  assert.ok(byDave.json.master_keys[me].signatures[dave.user_id][`ed25519:${du.pub}`]);
  const byCarol = await api('POST', '/keys/query', carol.access_token, { device_keys: { [me]: [] } });
  assert.equal((byCarol.json.master_keys[me].signatures || {})[dave.user_id], undefined);
  assert.equal(byCarol.json.user_signing_keys[dave.user_id], undefined);
});

test('to-device: idempotent per transaction, delivered until acknowledged', async () => {
  const carol = await login('carol');
  const dave = await login('dave');
  const s0 = (await api('GET', '/sync', carol.access_token)).json.next_batch;
  const send = (txn, n) => api('PUT', `/sendToDevice/m.test.ping/${txn}`, dave.access_token,
                               { messages: { [carol.user_id]: { [carol.device_id]: { n } } } });
  assert.equal((await send('t1', 1)).status, 200);
  assert.equal((await send('t1', 1)).status, 200); // a retry
  assert.equal((await send('t2', 2)).status, 200);
  const s1 = await api('GET', `/sync?since=${s0}&timeout=10000`, carol.access_token);
  const evs = s1.json.to_device.events;
  assert.deepEqual(evs.map((e) => [e.type, e.sender, e.content.n]),
                   [['m.test.ping', dave.user_id, 1], ['m.test.ping', dave.user_id, 2]]);
  // the response was lost: the same since gets them again
  const again = await api('GET', `/sync?since=${s0}`, carol.access_token);
  assert.equal(again.json.to_device.events.length, 2);
  // acknowledged by the next since: gone
  const s2 = await api('GET', `/sync?since=${again.json.next_batch}`, carol.access_token);
  assert.equal(s2.json.to_device.events.length, 0);
  const s3 = await api('GET', `/sync?since=${s0}`, carol.access_token);
  assert.equal(s3.json.to_device.events.length, 0, 'deleted once acknowledged');
  // "*" reaches every device of the user
  const carol2 = await login('carol');
  await api('PUT', '/sendToDevice/m.test.ping/t3', dave.access_token,
            { messages: { [carol.user_id]: { '*': { n: 3 } } } });
  for (const t of [carol, carol2]) {
    const s = await api('GET', '/sync', t.access_token);
    assert.deepEqual(s.json.to_device.events.map((e) => e.content.n), [3]);
  }
});

test('device lists: a key change and a leave reach users sharing a room; keys/changes', async () => {
  const carol = await login('carol');
  const dave = await login('dave');
  const room = (await api('POST', '/createRoom', carol.access_token,
                          { invite: [dave.user_id] })).json.room_id;
  await api('POST', `/join/${encodeURIComponent(room)}`, dave.access_token, {});
  const from = (await api('GET', '/sync', carol.access_token)).json.next_batch;
  const dk = { user_id: dave.user_id, device_id: dave.device_id, algorithms: ['m.olm.v1.curve25519-aes-sha2'],
               keys: { [`ed25519:${dave.device_id}`]: 'abc', [`curve25519:${dave.device_id}`]: 'def' },
               signatures: {} };
  assert.equal((await api('POST', '/keys/upload', dave.access_token, { device_keys: dk })).status, 200);
  const s = await api('GET', `/sync?since=${from}&timeout=10000`, carol.access_token);
  assert.ok(s.json.device_lists.changed.includes(dave.user_id), JSON.stringify(s.json.device_lists));
  let ch = await api('GET', `/keys/changes?from=${from}&to=${s.json.next_batch}`, carol.access_token);
  assert.ok(ch.json.changed.includes(dave.user_id));
  await api('POST', `/rooms/${encodeURIComponent(room)}/leave`, dave.access_token, {});
  const s2 = await api('GET', `/sync?since=${s.json.next_batch}&timeout=10000`, carol.access_token);
  assert.ok(s2.json.device_lists.left.includes(dave.user_id), JSON.stringify(s2.json.device_lists));
  ch = await api('GET', `/keys/changes?from=${s.json.next_batch}&to=${s2.json.next_batch}`, carol.access_token);
  assert.ok(ch.json.left.includes(dave.user_id));
});

test('key backup: spec answers for versions and keys', async () => {
  const dave = await login('dave');
  let r = await api('GET', '/room_keys/version', dave.access_token);
  assert.equal(r.status, 404);
  assert.equal(r.json.errcode, 'M_NOT_FOUND');
  r = await api('POST', '/room_keys/version', dave.access_token,
                { algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: { public_key: 'pk' } });
  assert.equal(r.status, 200);
  const v = r.json.version;
  const data = (idx, verified) => ({ first_message_index: idx, forwarded_count: 0, is_verified: verified,
                                     session_data: { ciphertext: `c${idx}` } });
  r = await api('PUT', `/room_keys/keys/!r:x/s1?version=${v}`, dave.access_token, data(5, false));
  assert.equal(r.status, 200);
  assert.equal(r.json.count, 1);
  const etag1 = r.json.etag;
  // a worse copy is ignored, a better one kept
  r = await api('PUT', `/room_keys/keys/!r:x/s1?version=${v}`, dave.access_token, data(9, false));
  assert.equal(r.json.etag, etag1);
  r = await api('PUT', `/room_keys/keys?version=${v}`, dave.access_token,
                { rooms: { '!r:x': { sessions: { s1: data(2, false), s2: data(0, true) } } } });
  assert.equal(r.json.count, 2);
  assert.notEqual(r.json.etag, etag1);
  r = await api('GET', `/room_keys/keys/!r:x/s1?version=${v}`, dave.access_token);
  assert.equal(r.json.first_message_index, 2);
  r = await api('GET', `/room_keys/keys?version=${v}`, dave.access_token);
  assert.deepEqual(Object.keys(r.json.rooms['!r:x'].sessions).sort(), ['s1', 's2']);
  // writing to an old version
  const v2 = (await api('POST', '/room_keys/version', dave.access_token,
                        { algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: {} })).json.version;
  r = await api('PUT', `/room_keys/keys/!r:x/s3?version=${v}`, dave.access_token, data(0, false));
  assert.equal(r.status, 403);
  assert.equal(r.json.errcode, 'M_WRONG_ROOM_KEYS_VERSION');
  assert.equal(r.json.current_version, v2);
  // auth_data may change, the algorithm may not
  r = await api('PUT', `/room_keys/version/${v2}`, dave.access_token,
                { algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: { public_key: 'new' } });
  assert.equal(r.status, 200);
  r = await api('GET', `/room_keys/version/${v2}`, dave.access_token);
  assert.deepEqual(r.json.auth_data, { public_key: 'new' });
  r = await api('PUT', `/room_keys/version/${v2}`, dave.access_token, { algorithm: 'other', auth_data: {} });
  assert.equal(r.status, 400);
  assert.equal(r.json.errcode, 'M_INVALID_PARAM');
  r = await api('DELETE', `/room_keys/version/${v2}`, dave.access_token);
  assert.equal(r.status, 200);
  r = await api('DELETE', `/room_keys/version/${v2}`, dave.access_token);
  assert.equal(r.status, 200, 'deleting a deleted backup succeeds');
  r = await api('DELETE', '/room_keys/version/99', dave.access_token);
  assert.equal(r.status, 404);
  r = await api('GET', `/room_keys/version/${v2}`, dave.access_token);
  assert.equal(r.status, 404);
  r = await api('GET', '/room_keys/version', dave.access_token);
  assert.equal(r.json.version, v);
  assert.equal(r.json.count, 2);
  r = await api('GET', `/room_keys/keys/!r:x/nope?version=${v}`, dave.access_token);
  assert.equal(r.status, 404);
  r = await api('GET', `/room_keys/keys/!other:x?version=${v}`, dave.access_token);
  assert.deepEqual(r.json, { sessions: {} });
  r = await api('DELETE', `/room_keys/keys/!r:x/s2?version=${v}`, dave.access_token);
  assert.equal(r.status, 200);
  assert.equal(r.json.count, 1);
  r = await api('GET', `/room_keys/keys?version=${v2}`, dave.access_token);
  assert.equal(r.status, 404, 'keys of a deleted backup are gone');
});

test('deleting a device needs the password and removes its keys', async () => {
  const carol = await login('carol');
  const other = await login('carol');
  const dk = { user_id: carol.user_id, device_id: carol.device_id, algorithms: ['m.olm.v1.curve25519-aes-sha2'],
               keys: { [`ed25519:${carol.device_id}`]: 'abc' }, signatures: {} };
  assert.equal((await api('POST', '/keys/upload', carol.access_token, { device_keys: dk })).status, 200);
  const path = `/devices/${encodeURIComponent(carol.device_id)}`;
  let r = await api('DELETE', path, other.access_token, {});
  assert.equal(r.status, 401);
  assert.deepEqual(r.json.flows, [{ stages: ['m.login.password'] }]);
  r = await api('DELETE', path, other.access_token, { auth: Object.assign(uia('carol'), { password: 'no' }) });
  assert.equal(r.status, 401);
  assert.equal(r.json.errcode, 'M_FORBIDDEN');
  r = await api('DELETE', path, other.access_token, { auth: uia('carol') });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  // logged out, gone from /devices and from keys/query
  r = await api('GET', '/account/whoami', carol.access_token);
  assert.equal(r.status, 401);
  r = await api('GET', '/devices', other.access_token);
  assert.ok(!r.json.devices.some((d) => d.device_id === carol.device_id));
  r = await api('POST', '/keys/query', other.access_token, { device_keys: { [carol.user_id]: [] } });
  assert.equal(r.json.device_keys[carol.user_id][carol.device_id], undefined);
  r = await api('DELETE', path, other.access_token, { auth: uia('carol') });
  assert.equal(r.status, 404);
  // several at once
  const a = await login('carol'), b = await login('carol');
  r = await api('POST', '/delete_devices', other.access_token, { devices: [a.device_id, b.device_id] });
  assert.equal(r.status, 401);
  r = await api('POST', '/delete_devices', other.access_token,
                { devices: [a.device_id, b.device_id], auth: uia('carol') });
  assert.equal(r.status, 200);
  for (const t of [a, b])
    assert.equal((await api('GET', '/account/whoami', t.access_token)).status, 401);
  assert.equal((await api('GET', '/account/whoami', other.access_token)).status, 200);
});

test('keys and unacknowledged to-device messages survive a crash', async () => {
  for (const c of clients) c.stopClient(); // the Rust-crypto clients are done
  const carol = await login('carol');
  const dave = await login('dave');
  await api('POST', '/keys/upload', carol.access_token,
            { one_time_keys: { 'signed_curve25519:R1': { key: 'r1', signatures: {} } } });
  const s0 = (await api('GET', '/sync', carol.access_token)).json.next_batch;
  await api('PUT', '/sendToDevice/m.test.ping/r1', dave.access_token,
            { messages: { [carol.user_id]: { [carol.device_id]: { n: 'before restart' } } } });
  // more to-device traffic: the newest stream positions are only in the
  // to-device table, so the restarted server must read them there
  for (let i = 0; i < 10; i++)
    await api('PUT', `/sendToDevice/m.test.ping/x${i}`, carol.access_token,
              { messages: { [dave.user_id]: { [dave.device_id]: { i } } } });
  // carried once (not acknowledged yet), then the server is killed
  const s1 = await api('GET', `/sync?since=${s0}`, carol.access_token);
  assert.equal(s1.json.to_device.events.length, 1);
  const proc = hs.proc;
  proc.kill('SIGKILL');
  await hs.exited;
  hs.proc = null;
  await hs.start();
  const s2 = await api('GET', `/sync?since=${s0}`, carol.access_token);
  assert.deepEqual(s2.json.to_device.events.map((e) => e.content.n), ['before restart']);
  assert.equal(s2.json.device_one_time_keys_count.signed_curve25519, 1);
  // the retried transaction is still known after the restart
  await api('PUT', '/sendToDevice/m.test.ping/r1', dave.access_token,
            { messages: { [carol.user_id]: { [carol.device_id]: { n: 'before restart' } } } });
  const s3 = await api('GET', `/sync?since=${s2.json.next_batch}`, carol.access_token);
  assert.equal(s3.json.to_device.events.length, 0);
  assert.ok(Number(s2.json.next_batch.slice(1)) >= Number(s1.json.next_batch.slice(1)),
            'the stream does not go back after the crash');
});
