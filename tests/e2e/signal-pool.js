'use strict';
// Client HTTPS goes through one pool of HTTP/2 connections (sig_https,
// sn_pool): one connection per host, shared by the storage sync, the group
// state fetches it starts and every attachment download, closed when idle
// and at logout. CDN 3 and the storage service are reached through TCP
// relays to the mock (as in signal-cdn.js) that count the TLS connections
// accepted. Before the pool every download, every group fetch and every
// storage sync opened a connection of its own.
const test = require('node:test');
const assert = require('node:assert');
const crypto = require('crypto');
const EventEmitter = require('events');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const { startMock } = require('../lib/signal-mock');
const { tmpDb, linkDevice } = require('./signalctl-lib');

const { Proto, StorageState } = require('@signalapp/mock-server');
const { encryptAttachment } = require('@signalapp/mock-server/src/crypto');

const MOCK_DIR = path.dirname(require.resolve('@signalapp/mock-server/package.json'));
const SIG_ERR_RATE_LIMIT = -1307;
const ZK = JSON.parse(fs.readFileSync(path.join(MOCK_DIR, 'certs', 'zk-params.json'), 'utf8'));

// Counts connections accepted and those the client closed ('closed' event).
function startRelay(targetPort, host) {
  const stats = { conns: 0, open: 0, ev: new EventEmitter() };
  const socks = new Set();
  const srv = net.createServer((c) => {
    stats.conns += 1;
    stats.open += 1;
    const u = net.connect(targetPort, '127.0.0.1');
    socks.add(c);
    socks.add(u);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      c.destroy(); u.destroy(); socks.delete(c); socks.delete(u);
      stats.open -= 1;
      stats.ev.emit('closed');
    };
    c.on('error', end);
    u.on('error', end);
    c.on('close', end);
    u.on('close', end);
    c.pipe(u);
    u.pipe(c);
  });
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, host, () => resolve({
      port: srv.address().port,
      stats,
      // resolves once no connection is open
      allClosed: () => new Promise((r) => {
        if (stats.open === 0) { r(); return; }
        const f = () => { if (stats.open === 0) { stats.ev.off('closed', f); r(); } };
        stats.ev.on('closed', f);
      }),
      close: () => new Promise((r) => { for (const s of socks) s.destroy(); srv.close(() => r()); }),
    }));
  });
}

async function cdn3Pointer(mock, bytes) {
  const enc = encryptAttachment(bytes);
  const cdnKey = crypto.randomUUID();
  await mock.server.storeAttachmentOnCdn(3, cdnKey, enc.blob);
  return Buffer.from(Proto.AttachmentPointer.encode({
    attachmentIdentifier: { cdnKey }, cdnNumber: 3, key: enc.key, size: enc.size,
    digest: enc.digest, contentType: 'application/octet-stream',
  })).toString('hex');
}

// Start downloads of `blobs` at once; wait for all; check the bytes.
async function downloadAll(ctl, mock, dir, blobs, tag) {
  const ptrs = [];
  for (const b of blobs) ptrs.push(await cdn3Pointer(mock, b)); // eslint-disable-line no-await-in-loop
  const before = ctl.events.filter((e) => e.event === 'download_done').length;
  ptrs.forEach((p, i) => ctl.send(`download ${p} ${path.join(dir, `${tag}${i}.bin`)}`));
  const done = await ctl.waitCount((e) => e.event === 'download_done', before + blobs.length,
    30000, `${tag} downloads`);
  for (const d of done.slice(before)) assert.strictEqual(d.code, undefined, JSON.stringify(d));
  blobs.forEach((b, i) => assert.ok(fs.readFileSync(path.join(dir, `${tag}${i}.bin`)).equals(b),
    `${tag}${i}: downloaded bytes equal the original`));
}

test('storage, groups and CDN downloads share one connection per host', async () => {
  const mock = await startMock();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-pool-'));
  const cdn3 = await startRelay(mock.port, '127.0.0.1');
  const storage = await startRelay(mock.port, 'localhost');
  let ctl;
  try {
    const alice = await mock.server.createPrimaryDevice({ profileName: 'Alice' });
    const bob = await mock.server.createPrimaryDevice({ profileName: 'Bob' });
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Me', contacts: [alice, bob] });
    // an idle limit far above the test's length: every request below must
    // find the first connection still open
    const r = await linkDevice(mock, phone, tmpDb(), [
      '--server-params', ZK.publicParams,
      '--cdn3', `https://127.0.0.1:${cdn3.port}/cdn3`,
      '--storage', `https://localhost:${storage.port}/storageService`,
      '--pool-idle', '600000',
    ], [alice, bob]);
    ctl = r.ctl;
    await ctl.waitFor((e) => e.event === 'conn' && e.conn === 2, 10000, 'online');

    // storage sync: manifest + read, then one group fetch per group
    const groups = [];
    let state = StorageState.getEmpty()
      .addContact(bob, { profileKey: bob.profileKey.serialize(), givenName: 'Bobby' });
    for (let i = 0; i < 5; i++) {
      // eslint-disable-next-line no-await-in-loop
      const g = await phone.createGroup({ title: `Pool ${i}`, members: [phone, alice, bob] });
      groups.push(g);
      state = state.addGroup(g, { whitelisted: true });
    }
    await phone.setStorageState(state);
    await phone.sendFetchStorage({ timestamp: Date.now() });
    const sync = await ctl.waitFor((e) => e.event === 'sync_done', 20000, 'storage sync_done');
    assert.strictEqual(sync.code, undefined, JSON.stringify(sync));
    for (const [i, g] of groups.entries()) {
      const hex = Buffer.from(g.id, 'base64').toString('hex');
      // eslint-disable-next-line no-await-in-loop
      const u = await ctl.waitFor((e) => e.event === 'group_updated' && e.group_id === hex,
        20000, `group_updated for Pool ${i}`);
      assert.strictEqual(u.code, undefined, JSON.stringify(u));
      assert.strictEqual(u.title, `Pool ${i}`);
    }

    // four downloads at once, then two more after them
    await downloadAll(ctl, mock, dir, [0, 1, 2, 3].map((i) => crypto.randomBytes(40 * 1024 + i)), 'a');
    await downloadAll(ctl, mock, dir, [0, 1].map((i) => crypto.randomBytes(70 * 1024 + i)), 'b');

    assert.strictEqual(storage.stats.conns, 1,
      `storage sync and ${groups.length} group fetches: connections to the storage host`);
    assert.strictEqual(cdn3.stats.conns, 1, '6 downloads: connections to the CDN 3 host');

    // logout closes them
    ctl.send('logout');
    await ctl.waitFor((e) => e.event === 'logged_out', 10000, 'logged_out');
    await storage.allClosed();
    await cdn3.allClosed();
    assert.strictEqual(storage.stats.conns, 1);
    assert.strictEqual(cdn3.stats.conns, 1);
  } finally {
    if (ctl) await ctl.kill();
    await cdn3.close();
    await storage.close();
    await mock.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an idle connection is closed, and the next request opens a new one; Retry-After on storage', async () => {
  const mock = await startMock();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-pool-'));
  const cdn3 = await startRelay(mock.port, '127.0.0.1');
  let ctl;
  try {
    const alice = await mock.server.createPrimaryDevice({ profileName: 'Alice' });
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Me', contacts: [alice] });
    const r = await linkDevice(mock, phone, tmpDb(), [
      '--cdn3', `https://127.0.0.1:${cdn3.port}/cdn3`, '--pool-idle', '200',
    ], [alice]);
    ctl = r.ctl;
    await ctl.waitFor((e) => e.event === 'conn' && e.conn === 2, 10000, 'online');
    await downloadAll(ctl, mock, dir, [crypto.randomBytes(1000)], 'c');
    assert.strictEqual(cdn3.stats.conns, 1);
    // the client closes it on its own once idle (the relay sees the close)
    await cdn3.allClosed();
    await downloadAll(ctl, mock, dir, [crypto.randomBytes(2000)], 'd');
    assert.strictEqual(cdn3.stats.conns, 2, 'a new connection after the idle one was closed');

    // #11: a rate-limited storage sync (429 with Retry-After in seconds,
    // Signal-Server RateLimitExceededExceptionMapper) tells the caller how
    // long to wait
    mock.rules.limitNext.push({ verb: 'GET', path: '/v1/storage/auth', status: 429, retryAfter: 3 });
    await phone.sendFetchStorage({ timestamp: Date.now() });
    const sync = await ctl.waitFor((e) => e.event === 'sync_done', 20000, 'sync_done');
    assert.strictEqual(sync.code, SIG_ERR_RATE_LIMIT, JSON.stringify(sync));
    assert.strictEqual(sync.retry_after_ms, 3000, JSON.stringify(sync));
  } finally {
    if (ctl) await ctl.kill();
    await cdn3.close();
    await mock.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
