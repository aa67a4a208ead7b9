'use strict';
// CDN and storage endpoints are configurable (production has cdn.signal.org,
// cdn2/cdn3.signal.org and storage.signal.org apart from the chat server).
// Here the chat server is the unmodified mock at 127.0.0.1:PORT; signalctl
// gets --cdn3 and --storage pointing at TCP relays (other ports, one reached
// as "localhost") that forward to the mock and count connections and bytes,
// and --cdn2 at a port where nothing listens. A CDN 3 download must pass
// through its relay and decrypt to the original bytes; the storage sync
// must pass through its relay; a CDN 2 download must fail (its blob is on
// the mock, so going to the chat server instead would succeed).
const test = require('node:test');
const assert = require('node:assert');
const crypto = require('crypto');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const { startMock } = require('../lib/signal-mock');
const { execFile } = require('child_process');
const { tmpDb, linkDevice, SIGNALCTL } = require('./signalctl-lib');

const { Proto, StorageState } = require('@signalapp/mock-server');
const { encryptAttachment } = require('@signalapp/mock-server/src/crypto');

function startRelay(targetPort, host) {
  const stats = { conns: 0, down: 0 };
  const socks = new Set();
  const srv = net.createServer((c) => {
    stats.conns += 1;
    const u = net.connect(targetPort, '127.0.0.1');
    socks.add(c);
    socks.add(u);
    const end = () => { c.destroy(); u.destroy(); socks.delete(c); socks.delete(u); };
    c.on('error', end);
    u.on('error', end);
    c.on('close', end);
    u.on('close', end);
    u.on('data', (d) => { stats.down += d.length; });
    c.pipe(u);
    u.pipe(c);
  });
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, host, () => resolve({
      port: srv.address().port,
      stats,
      close: () => new Promise((r) => { for (const s of socks) s.destroy(); srv.close(() => r()); }),
    }));
  });
}

test('a malformed endpoint URL is refused with a message naming the flag', async () => {
  const r = await new Promise((resolve) => {
    execFile(SIGNALCTL, ['--server', 'https://127.0.0.1:9', '--db', tmpDb(), '--cdn3', 'http://cdn3.example', 'receive'],
      { timeout: 10000 }, (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stderr }));
  });
  assert.strictEqual(r.code, 2, r.stderr);
  assert.match(r.stderr, /--cdn3: expected https:\/\/host/);
});

function deadPort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

test('CDN and storage endpoints apart from the chat server', async () => {
  const mock = await startMock();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-cdn-'));
  const cdn3 = await startRelay(mock.port, '127.0.0.1');
  const storage = await startRelay(mock.port, 'localhost');
  const dead = await deadPort();
  let ctl;
  try {
    const alice = await mock.server.createPrimaryDevice({ profileName: 'Alice' });
    const bob = await mock.server.createPrimaryDevice({ profileName: 'Bob' });
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Myself', contacts: [alice] });
    const r = await linkDevice(mock, phone, tmpDb(), [
      '--cdn3', `https://127.0.0.1:${cdn3.port}/cdn3`,
      '--storage', `https://localhost:${storage.port}/storageService`,
      '--cdn2', `https://127.0.0.1:${dead}`,
    ], [alice]);
    ctl = r.ctl;
    await ctl.waitFor((e) => e.event === 'conn' && e.conn === 2, 10000, 'online');
    assert.strictEqual(cdn3.stats.conns, 0, 'nothing used the CDN before the download');

    // ---- CDN 3 through its relay ----
    const original = crypto.randomBytes(300 * 1024 + 11);
    const enc = encryptAttachment(original);
    const cdnKey = crypto.randomUUID();
    await mock.server.storeAttachmentOnCdn(3, cdnKey, enc.blob);
    const ptr3 = Buffer.from(Proto.AttachmentPointer.encode({
      attachmentIdentifier: { cdnKey }, cdnNumber: 3, key: enc.key, size: enc.size,
      digest: enc.digest, contentType: 'application/octet-stream',
    })).toString('hex');
    const out = path.join(dir, 'cdn3.bin');
    ctl.send(`download ${ptr3} ${out}`);
    const dl = await ctl.waitFor((e) => e.event === 'download_done', 20000, 'download_done');
    assert.strictEqual(dl.code, undefined, JSON.stringify(dl));
    assert.ok(fs.readFileSync(out).equals(original), 'downloaded bytes equal the original');
    assert.ok(cdn3.stats.conns >= 1, 'the download connected to the configured CDN 3');
    assert.ok(cdn3.stats.down >= enc.blob.length,
      `the blob came through the CDN 3 relay (${cdn3.stats.down} bytes)`);

    // ---- CDN 2 configured to a dead port: fails though the mock has it ----
    const cdnKey2 = await mock.server.storeAttachment(enc.blob);
    const ptr2 = Buffer.from(Proto.AttachmentPointer.encode({
      attachmentIdentifier: { cdnKey: cdnKey2 }, cdnNumber: 2, key: enc.key, size: enc.size,
      digest: enc.digest,
    })).toString('hex');
    const out2 = path.join(dir, 'cdn2.bin');
    ctl.send(`download ${ptr2} ${out2}`);
    const dl2 = await ctl.waitFor((e) => e.event === 'download_done' && e !== dl, 20000, 'download_done 2');
    assert.notStrictEqual(dl2.code, undefined, 'CDN 2 at a dead port must fail');
    assert.ok(!fs.existsSync(out2));

    // ---- storage service through its relay (reached as "localhost") ----
    const before = storage.stats.conns;
    await phone.setStorageState(StorageState.getEmpty()
      .addContact(bob, { profileKey: bob.profileKey.serialize(), givenName: 'Bobby', familyName: 'B' }));
    await phone.sendFetchStorage({ timestamp: Date.now() });
    const done = await ctl.waitFor((e) => e.event === 'sync_done', 20000, 'storage sync_done');
    assert.strictEqual(done.code, undefined, JSON.stringify(done));
    const c = ctl.events.find((e) => e.event === 'contact' && e.aci === bob.device.aci);
    assert.ok(c && c.name === 'Bobby B', JSON.stringify(ctl.events.slice(-5)));
    assert.ok(storage.stats.conns > before, 'the storage sync connected to the configured endpoint');
  } finally {
    if (ctl) await ctl.kill();
    await cdn3.close();
    await storage.close();
    await mock.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// The harness works around a bug of the mock (tests/lib/signal-mock.js
// guardLateAnswers): a CDN 3 download the client abandons midway, as a
// bridge killed during a download does, made the mock answer twice on the
// same response and throw ERR_HTTP2_HEADERS_SENT into whatever test ran.
test('a CDN 3 download abandoned midway leaves the mock serving', async () => {
  const http2 = require('http2');
  const mock = await startMock();
  const client = http2.connect(mock.url, { ca: fs.readFileSync(mock.ca) });
  const failures = [];
  const onRejection = (e) => failures.push(e);
  process.on('unhandledRejection', onRejection);
  try {
    client.on('error', () => {});
    const key = crypto.randomUUID();
    await mock.server.storeAttachmentOnCdn(3, key, crypto.randomBytes(4 << 20));
    const req = client.request({ ':path': `/cdn3/attachments/${key}` });
    req.on('error', () => {});
    // give up after the first bytes, the headers being out already
    await new Promise((resolve) => req.once('data', () => { req.close(http2.constants.NGHTTP2_CANCEL); resolve(); }));
    // the mock's handler saw the stream end (its pipeline failed) and
    // answered its 500: a later request on a new stream is served after it
    await new Promise((resolve) => req.once('close', resolve));
    const small = crypto.randomUUID();
    await mock.server.storeAttachmentOnCdn(3, small, Buffer.from('still here'));
    const body = await new Promise((resolve, reject) => {
      const r = client.request({ ':path': `/cdn3/attachments/${small}` });
      const parts = [];
      r.on('data', (d) => parts.push(d));
      r.on('end', () => resolve(Buffer.concat(parts).toString()));
      r.on('error', reject);
    });
    assert.strictEqual(body, 'still here');
    assert.deepStrictEqual(failures.map((e) => e.code), [], 'no error escaped the mock');
  } finally {
    process.removeListener('unhandledRejection', onRejection);
    client.close();
    await mock.close();
  }
});
