'use strict';
// In a sanitizer build ASan's quarantine keeps freed memory for a while
// (256 MiB by default), which would hide what the streaming test measures:
// keep it small for the signalctl processes this suite starts.
process.env.ASAN_OPTIONS = `${process.env.ASAN_OPTIONS ? `${process.env.ASAN_OPTIONS}:` : ''}quarantine_size_mb=1`;
// Attachments both ways against the unmodified mock. Inbound: a contact
// sends a pointer to a blob the mock's own encryptAttachment made and
// stored on CDN 3; our client downloads, verifies, decrypts and writes the
// file, whose bytes must equal the original; a pointer with a wrong digest
// is refused. Outbound: our client asks for an upload form with REST
// GET /v4/attachments/form/upload on its chat socket (the production-rules
// mode serves it, signal-prodrules.js), uploads the file (tus POST) and
// sends the pointer; the contact's message carries it and the blob in the
// mock's cdn3 folder decrypts (with the pointer's key) to the file we
// sent. Another test gets a CDN 2 form and uploads through GCS's resumable
// protocol (the stand-in of signal-gcs.js), and a 413 for a too-long upload
// is "too big". A further test moves 25 MiB each way and checks the bytes
// and that signalctl's peak memory grew far less than the file's size
// (attachments stream through files, not whole copies in memory).
const test = require('node:test');
const assert = require('node:assert');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { startMock } = require('../lib/signal-mock');
const { tmpDb, linkDevice } = require('./signalctl-lib');

const { EMPTY_DATA_MESSAGE, Proto } = require('@signalapp/mock-server');
const { encryptAttachment } = require('@signalapp/mock-server/src/crypto');

const SIG_ERR_DIGEST = -1314;
const SIG_ERR_TOO_BIG = -1313;
const SIG_ERR_RATE_LIMIT = -1307;

function decryptBlob(blob, key, size) {
  const iv = blob.subarray(0, 16);
  const ct = blob.subarray(16, blob.length - 32);
  const mac = crypto.createHmac('sha256', key.subarray(32)).update(blob.subarray(0, blob.length - 32)).digest();
  assert.ok(mac.equals(blob.subarray(blob.length - 32)), 'attachment MAC');
  const d = crypto.createDecipheriv('aes-256-cbc', key.subarray(0, 32), iv);
  return Buffer.concat([d.update(ct), d.final()]).subarray(0, size);
}

test('attachments both ways', async () => {
  const mock = await startMock();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-att-'));
  let ctl;
  try {
    const alice = await mock.server.createPrimaryDevice({ profileName: 'Alice' });
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Myself', contacts: [alice] });
    const r = await linkDevice(mock, phone, tmpDb(), [], [alice]);
    ctl = r.ctl;
    await ctl.waitFor((e) => e.event === 'conn' && e.conn === 2, 10000, 'online');

    // ---- inbound ----
    const original = crypto.randomBytes(200 * 1024 + 7);
    const enc = encryptAttachment(original);
    const cdnKey = crypto.randomUUID();
    await mock.server.storeAttachmentOnCdn(3, cdnKey, enc.blob);
    const pointer = (digest) => ({
      attachmentIdentifier: { cdnKey }, cdnNumber: 3, key: enc.key, size: enc.size, digest,
      contentType: 'application/octet-stream', fileName: 'blob.bin',
    });
    const ts = Date.now();
    await alice.sendRaw(r.device, {
      content: { dataMessage: { ...EMPTY_DATA_MESSAGE, body: 'a file', timestamp: BigInt(ts),
        attachments: [pointer(enc.digest)] } },
      pniSignatureMessage: null, senderKeyDistributionMessage: null,
    }, { timestamp: ts });
    const m = await ctl.waitFor((e) => e.event === 'message' && e.body === 'a file', 20000, 'file message');
    assert.strictEqual(m.attachments.length, 1);
    assert.strictEqual(m.attachments[0].size, original.length);
    assert.strictEqual(m.attachments[0].file_name, 'blob.bin');
    const out = path.join(dir, 'in.bin');
    ctl.send(`download ${m.attachments[0].pointer} ${out}`);
    const dl = await ctl.waitFor((e) => e.event === 'download_done', 20000, 'download_done');
    assert.strictEqual(dl.code, undefined, JSON.stringify(dl));
    assert.ok(fs.readFileSync(out).equals(original), 'downloaded bytes equal the original');
    assert.strictEqual(fs.statSync(out).mode & 0o077, 0);

    // a pointer whose digest does not match is refused, nothing written
    const bad = Buffer.from(enc.digest);
    bad[0] ^= 1;
    const badPtr = Buffer.from(Proto.AttachmentPointer.encode(pointer(bad))).toString('hex');
    const out2 = path.join(dir, 'bad.bin');
    ctl.send(`download ${badPtr} ${out2}`);
    const dl2 = await ctl.waitFor((e) => e.event === 'download_done' && e !== dl, 20000, 'download_done 2');
    assert.strictEqual(dl2.code, SIG_ERR_DIGEST);
    assert.ok(!fs.existsSync(out2));

    // ---- outbound ----
    // As in production (Signal-Server AttachmentControllerV4 /
    // TusAttachmentGenerator), the cdn-3 form carries the headers the tus
    // upload must send; the mock's own form has a placeholder it never
    // checks, so this test gives the form real ones and records what
    // reaches the server.
    const bearer = `Bearer ${crypto.randomBytes(24).toString('base64')}`;
    const origForm = mock.server.getAttachmentUploadForm.bind(mock.server);
    mock.server.getAttachmentUploadForm = async (folder, key) => {
      const form = await origForm(folder, key);
      return { ...form, headers: {
        Authorization: bearer,
        'Upload-Metadata': `filename ${Buffer.from(key).toString('base64')}`,
      } };
    };
    const seen = [];
    mock.server.https.prependListener('request', (req) => {
      seen.push({ method: req.method, url: req.url, headers: { ...req.headers } });
    });
    const file = path.join(dir, 'out.bin');
    const payload = crypto.randomBytes(123457);
    fs.writeFileSync(file, payload);
    ctl.send(`sendfile ${alice.device.aci} ${file} here it is`);
    const st = await ctl.waitFor((e) => e.event === 'send_started', 10000, 'send_started');
    assert.strictEqual(st.code, 0, JSON.stringify(st));
    const done = await ctl.waitFor((e) => e.event === 'send_done', 30000, 'send_done');
    assert.strictEqual(done.code, undefined, JSON.stringify(done));
    const got = await alice.waitForMessage();
    assert.strictEqual(got.body, 'here it is');
    const ap = got.dataMessage.attachments[0];
    assert.strictEqual(ap.cdnNumber, 3);
    assert.strictEqual(ap.size, payload.length);
    assert.strictEqual(ap.fileName, 'out.bin');
    const blob = fs.readFileSync(path.join(mock.cdn3Path, 'attachments', ap.attachmentIdentifier.cdnKey));
    assert.ok(crypto.createHash('sha256').update(blob).digest().equals(Buffer.from(ap.digest)), 'digest');
    assert.ok(decryptBlob(blob, Buffer.from(ap.key), ap.size).equals(payload), 'uploaded bytes decrypt to the file');

    // the form came from REST on our authenticated chat socket, as
    // signalmeow and libsignal-net ask for it, with the upload's length
    assert.deepStrictEqual(mock.rules.uploadForms,
      [{ device: `${r.device.aci}.${r.device.deviceId}`, uploadLength: blob.length, cdn: 3 }]);
    assert.ok(!seen.some((q) => q.url.startsWith('/org.signal.chat.attachments.')),
      'no gRPC upload-form call');
    // the tus POST carries the form's headers
    const tus = seen.find((q) => q.method === 'POST' && q.url.startsWith('/cdn3/'));
    assert.ok(tus, 'tus POST reached the server');
    assert.strictEqual(tus.headers.authorization, bearer);
    assert.strictEqual(tus.headers['upload-metadata'],
      `filename ${Buffer.from(ap.attachmentIdentifier.cdnKey).toString('base64')}`);
  } finally {
    if (ctl) await ctl.kill();
    await mock.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('CDN 2: a GCS resumable upload, downloaded from CDN 2', async () => {
  const mock = await startMock();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-att2-'));
  let ctl;
  try {
    const alice = await mock.server.createPrimaryDevice({ profileName: 'Alice' });
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Myself', contacts: [alice] });
    const r = await linkDevice(mock, phone, tmpDb(), [], [alice]);
    ctl = r.ctl;
    await ctl.waitFor((e) => e.event === 'conn' && e.conn === 2, 10000, 'online');
    // an account outside Signal-Server's cdn3 experiment: CDN 2 forms
    mock.rules.cdn2Accounts.add(r.device.aci);

    const file = path.join(dir, 'out.bin');
    const payload = crypto.randomBytes(234567);
    fs.writeFileSync(file, payload);
    ctl.send(`sendfile ${alice.device.aci} ${file} via gcs`);
    const done = await ctl.waitFor((e) => e.event === 'send_done', 30000, 'send_done');
    assert.strictEqual(done.code, undefined, `${JSON.stringify(done)} ${ctl.stderr.slice(-2000)}`);
    const got = await alice.waitForMessage();
    assert.strictEqual(got.body, 'via gcs');
    const ap = got.dataMessage.attachments[0];
    assert.strictEqual(ap.cdnNumber, 2);
    assert.strictEqual(mock.rules.uploadForms.length, 1);
    assert.strictEqual(mock.rules.uploadForms[0].cdn, 2);

    // the upload followed GCS's protocol: POST with the signed headers,
    // then the body PUT to the session URI; none of our Signal
    // credentials went to the CDN
    const g = mock.rules.gcs.requests;
    assert.deepStrictEqual(g.map((q) => q.method), ['POST', 'PUT'], JSON.stringify(g));
    assert.strictEqual(g[0].headers['x-goog-resumable'], 'start');
    assert.ok(/[?&]upload_id=/.test(g[1].url), g[1].url);
    assert.ok(g.every((q) => q.headers.authorization === undefined), 'no authorization to the CDN');

    // a contact downloads it from CDN 2 (here: our client with the
    // pointer the contact received; CDN 2 is the mock's /attachments/)
    const ptr = Buffer.from(Proto.AttachmentPointer.encode(ap)).toString('hex');
    const out = path.join(dir, 'back.bin');
    ctl.send(`download ${ptr} ${out}`);
    const dl = await ctl.waitFor((e) => e.event === 'download_done', 20000, 'download_done');
    assert.strictEqual(dl.code, undefined, JSON.stringify(dl));
    assert.ok(fs.readFileSync(out).equals(payload), 'the CDN 2 download equals the file sent');
  } finally {
    if (ctl) await ctl.kill();
    await mock.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an upload the server will not take (413) is "too big"', async () => {
  const mock = await startMock();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-att3-'));
  let ctl;
  try {
    const alice = await mock.server.createPrimaryDevice({ profileName: 'Alice' });
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Myself', contacts: [alice] });
    const r = await linkDevice(mock, phone, tmpDb(), [], [alice]);
    ctl = r.ctl;
    await ctl.waitFor((e) => e.event === 'conn' && e.conn === 2, 10000, 'online');
    mock.rules.maxUploadLength = 4096; // global.attachments.maxBytes
    const file = path.join(dir, 'big.bin');
    fs.writeFileSync(file, crypto.randomBytes(10000));
    ctl.send(`sendfile ${alice.device.aci} ${file} too big`);
    const done = await ctl.waitFor((e) => e.event === 'send_done', 30000, 'send_done');
    assert.strictEqual(done.code, SIG_ERR_TOO_BIG, JSON.stringify(done));
    assert.ok(mock.rules.refusals.some((f) => f.rule === 'upload form' && f.status === 413));

    // a rate-limited form (429, Retry-After in seconds): the delay reaches
    // the caller, who schedules the resend
    mock.rules.limitNext.push({ verb: 'GET', path: '/v4/attachments/form/upload', status: 429, retryAfter: 9 });
    const small = path.join(dir, 'small.bin');
    fs.writeFileSync(small, crypto.randomBytes(1000));
    ctl.send(`sendfile ${alice.device.aci} ${small} later`);
    const limited = await ctl.waitCount((e) => e.event === 'send_done', 2, 30000, 'send_done 2');
    assert.strictEqual(limited[1].code, SIG_ERR_RATE_LIMIT, JSON.stringify(limited[1]));
    assert.strictEqual(limited[1].retry_after_ms, 9000, JSON.stringify(limited[1]));
  } finally {
    if (ctl) await ctl.kill();
    await mock.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function vmHwmKiB(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]);
}

test('25 MiB attachments both ways stream through files', async (t) => {
  const mock = await startMock();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-att-big-'));
  const SIZE = 25 * 1024 * 1024 + 3;
  let ctl;
  try {
    const alice = await mock.server.createPrimaryDevice({ profileName: 'Alice' });
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Myself', contacts: [alice] });
    const r = await linkDevice(mock, phone, tmpDb(), [], [alice]);
    ctl = r.ctl;
    await ctl.waitFor((e) => e.event === 'conn' && e.conn === 2, 10000, 'online');
    const base = vmHwmKiB(ctl.child.pid);

    // inbound: the mock's own cipher, stored on CDN 3, downloaded by us
    const original = crypto.randomBytes(SIZE);
    const enc = encryptAttachment(original);
    const cdnKey = crypto.randomUUID();
    await mock.server.storeAttachmentOnCdn(3, cdnKey, enc.blob);
    const ptr = Buffer.from(Proto.AttachmentPointer.encode({
      attachmentIdentifier: { cdnKey }, cdnNumber: 3, key: enc.key, size: enc.size,
      digest: enc.digest,
    })).toString('hex');
    const out = path.join(dir, 'in.bin');
    ctl.send(`download ${ptr} ${out}`);
    const dl = await ctl.waitFor((e) => e.event === 'download_done', 120000, 'download_done');
    assert.strictEqual(dl.code, undefined, JSON.stringify(dl));
    assert.ok(fs.readFileSync(out).equals(original), 'downloaded 25 MiB equal the original');
    assert.ok(!fs.existsSync(`${out}.part`), 'no partial file left');

    // outbound: our upload, decrypted from the mock's cdn3 folder
    const file = path.join(dir, 'out.bin');
    const payload = crypto.randomBytes(SIZE);
    fs.writeFileSync(file, payload);
    ctl.send(`sendfile ${alice.device.aci} ${file} big`);
    const done = await ctl.waitFor((e) => e.event === 'send_done', 120000, 'send_done');
    assert.strictEqual(done.code, undefined, JSON.stringify(done));
    const got = await alice.waitForMessage();
    const ap = got.dataMessage.attachments[0];
    assert.strictEqual(ap.size, SIZE);
    const blob = fs.readFileSync(path.join(mock.cdn3Path, 'attachments', ap.attachmentIdentifier.cdnKey));
    assert.ok(crypto.createHash('sha256').update(blob).digest().equals(Buffer.from(ap.digest)), 'digest');
    assert.ok(blob.length > SIZE + 48, 'padded as clients pad');
    assert.ok(decryptBlob(blob, Buffer.from(ap.key), ap.size).equals(payload), 'uploaded 25 MiB decrypt to the file');

    // a whole copy of either file alone would add 25 MiB
    const grew = vmHwmKiB(ctl.child.pid) - base;
    t.diagnostic(`signalctl peak memory grew by ${grew} KiB (from ${base} KiB)`);
    assert.ok(grew < 16 * 1024, `signalctl peak memory grew by ${grew} KiB`);
  } finally {
    if (ctl) await ctl.kill();
    await mock.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
