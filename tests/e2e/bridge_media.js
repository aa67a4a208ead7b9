// Attachments both ways through the bridge (issue #6), driven like a user:
// a real Matrix client (matrix-js-sdk) on mxhs with signalbridge.so, and
// Signal's own mock server with the sandbox phone and its contacts.
// Signal -> Matrix: a contact's image (made and stored on the mock's CDN by
// the mock's own encryptAttachment) arrives as m.image whose mxc downloads
// to the very bytes sent, with its caption after it; more than one
// attachment, defaults for missing names, a tampered digest and an
// oversized pointer become notices. Matrix -> Signal: m.file and m.image
// sent from the client reach the contact, whose blob on the mock's CDN
// decrypts with the pointer's key to the bytes uploaded.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { Homeserver, PNG } = require('./mxhs_harness.js');
const { startSandbox, decodeQr } = require('../../sandbox/sandbox.js');
const { BOT, SERVER, bridgeConfig, client, messages, until } = require('./bridge_lib.js');
const C = require('./bridge_contact_lib.js');

const { EMPTY_DATA_MESSAGE } = require('@signalapp/mock-server');
const { encryptAttachment } = require('@signalapp/mock-server/src/crypto');
const { ServiceId } = require('@signalapp/libsignal-client');

let hs;
let sb;
let alice;            // the Matrix user
let botRoom;
let portal;           // alice's room with the contact Alice
const got = [];       // every message the contact Alice received, in full

function config(dir) {
  return bridgeConfig(dir, `      signal: {server: "${sb.url}", ca_file: "${sb.ca}", trust_root: "${sb.trustRoot}"}`);
}

async function download(mxc) {
  const [server, id] = mxc.slice(6).split('/');
  const res = await fetch(`${hs.base}/_matrix/client/v1/media/download/${server}/${id}`,
                          { headers: { Authorization: `Bearer ${alice.getAccessToken()}` } });
  assert.equal(res.status, 200, `downloading ${mxc}`);
  return Buffer.from(await res.arrayBuffer());
}

async function upload(bytes, name, type) {
  const r = await hs.req('POST', `/_matrix/media/v3/upload?filename=${encodeURIComponent(name)}`,
                         { token: alice.getAccessToken(), raw: bytes, headers: { 'Content-Type': type } });
  assert.equal(r.status, 200, r.body.toString());
  return r.json.content_uri;
}

// The contact Alice sends a message whose attachments are [{bytes, ...pointer fields}].
async function sendAttachments(body, atts, { tamper = false, size } = {}) {
  const pointers = [];
  for (const a of atts) {
    const enc = encryptAttachment(a.bytes);
    const cdnKey = crypto.randomUUID();
    await sb.mock.server.storeAttachmentOnCdn(3, cdnKey, enc.blob);
    const digest = Buffer.from(enc.digest);
    if (tamper) digest[0] ^= 1;
    const { bytes, ...fields } = a;
    pointers.push({ attachmentIdentifier: { cdnKey }, cdnNumber: 3, key: enc.key,
                    size: size ?? enc.size, digest, ...fields });
  }
  const ts = Date.now();
  await sb.contacts.Alice.sendRaw(sb.device, {
    content: { dataMessage: { ...EMPTY_DATA_MESSAGE, body: body ?? null, timestamp: BigInt(ts),
                              attachments: pointers } },
    pniSignatureMessage: null, senderKeyDistributionMessage: null,
  }, { timestamp: ts });
  return ts;
}

const decryptBlob = C.decryptBlob;

// The attachment the contact received with `fileName`: its pointer and
// its bytes, decrypted from the mock's CDN.
async function receivedFile(fileName) {
  const m = await until(() => got.find((x) => x.dataMessage?.attachments?.some((a) => a.fileName === fileName)),
                        `the contact receives ${fileName}`, 60000);
  const ap = m.dataMessage.attachments.find((a) => a.fileName === fileName);
  const blob = fs.readFileSync(path.join(sb.mock.cdn3Path, 'attachments', ap.attachmentIdentifier.cdnKey));
  return { message: m, pointer: ap, bytes: decryptBlob(blob, Buffer.from(ap.key), ap.size) };
}

const inPortal = (pred) => (portal ? messages(alice, portal) : []).filter((e) => pred(e.getContent(), e));

test.before(async () => {
  sb = await startSandbox({});
  // Record what the contact receives in full (the sandbox keeps bodies only).
  const wait = sb.contacts.Alice.waitForMessage.bind(sb.contacts.Alice);
  sb.contacts.Alice.waitForMessage = async (...a) => { const m = await wait(...a); got.push(m); return m; };
  hs = new Homeserver();
  fs.writeFileSync(hs.config, config(hs.dir));
  await hs.start();
  assert.equal(hs.registerUser('alice', 'pw-alice').status, 0);
  alice = await client(hs, 'alice');
  ({ room_id: botRoom } = await alice.createRoom({ preset: 'trusted_private_chat', is_direct: true, invite: [BOT] }));
  await until(() => messages(alice, botRoom, BOT)[0], 'the welcome message');
  await alice.sendTextMessage(botRoom, 'link');
  const img = await until(() => messages(alice, botRoom, BOT).find((e) => e.getContent().msgtype === 'm.image'),
                          'the QR code', 30000);
  await sb.scan(decodeQr(await download(img.getContent().url)));
  await until(() => messages(alice, botRoom, BOT).some((e) => /^Successfully logged in as/.test(e.getContent().body)),
              'linked', 60000);
});

test.after(async () => {
  if (process.env.DUMP_HS_LOG) console.log(hs.log);
  if (alice) alice.stopClient();
  if (hs) { await hs.stop(); hs.cleanup(); }
  if (sb) await sb.close();
});

test('Signal -> Matrix: an image with a caption becomes m.image with the same bytes, then the caption', { timeout: 180000 }, async () => {
  const photo = Buffer.concat([PNG, crypto.randomBytes(50 * 1024)]); // a PNG with trailing bytes
  await sendAttachments('look at this', [{ bytes: photo, contentType: 'image/png', fileName: 'cat.png',
                                           width: 640, height: 480 }]);
  const ev = await until(() => alice.getRooms().flatMap((r) => messages(alice, r.roomId))
    .find((e) => e.getContent().msgtype === 'm.image' && e.getContent().body === 'cat.png'), 'the m.image', 60000);
  portal = ev.getRoomId();
  assert.notEqual(portal, botRoom);
  assert.match(ev.getSender(), /^@signal_/, 'sent by the contact\'s ghost');
  const c = ev.getContent();
  assert.deepEqual(c.info, { mimetype: 'image/png', size: photo.length, w: 640, h: 480 });
  assert.match(c.url, /^mxc:\/\//);
  assert.ok((await download(c.url)).equals(photo), 'the downloaded bytes equal what the contact sent');
  const caption = await until(() => inPortal((x) => x.body === 'look at this')[0], 'the caption', 30000);
  assert.equal(caption.getContent().msgtype, 'm.text');
  assert.equal(caption.getSender(), ev.getSender());
  const events = messages(alice, portal);
  assert.ok(events.indexOf(caption) > events.indexOf(ev), 'the caption follows its image');
});

test('Signal -> Matrix: several attachments without a caption, in order, with sensible names', { timeout: 180000 }, async () => {
  const clip = crypto.randomBytes(30000);
  const doc = crypto.randomBytes(1234);
  const voice = crypto.randomBytes(999);
  await sendAttachments(null, [
    { bytes: clip, contentType: 'video/mp4', fileName: 'clip.mp4', width: 32, height: 16 },
    { bytes: doc, contentType: 'application/pdf' },            // no file name
    { bytes: voice, contentType: 'audio/aac', flags: 1 },      // a voice note
  ]);
  const v = await until(() => inPortal((x) => x.body === 'clip.mp4')[0], 'the video', 60000);
  const f = await until(() => inPortal((x) => x.body === 'file.pdf')[0], 'the pdf', 60000);
  const a = await until(() => inPortal((x) => x.body === 'audio.aac')[0], 'the voice note', 60000);
  assert.equal(v.getContent().msgtype, 'm.video');
  assert.deepEqual(v.getContent().info, { mimetype: 'video/mp4', size: clip.length, w: 32, h: 16 });
  assert.equal(f.getContent().msgtype, 'm.file');
  assert.deepEqual(f.getContent().info, { mimetype: 'application/pdf', size: doc.length });
  assert.equal(a.getContent().msgtype, 'm.audio');
  assert.ok(a.getContent()['org.matrix.msc3245.voice'], 'marked as a voice message');
  assert.ok((await download(v.getContent().url)).equals(clip));
  assert.ok((await download(f.getContent().url)).equals(doc));
  assert.ok((await download(a.getContent().url)).equals(voice));
  const events = messages(alice, portal);
  assert.ok(events.indexOf(v) < events.indexOf(f) && events.indexOf(f) < events.indexOf(a), 'in the order sent');
  // no empty text for the missing caption: a later text from the same
  // contact is bridged after everything of this message (in order, as the
  // next test checks), so once it is here an empty caption would be too
  await sb.send('Alice', 'after the attachments');
  await until(() => inPortal((x) => x.body === 'after the attachments')[0], 'the text after them', 60000);
  assert.equal(inPortal((x) => x.msgtype === 'm.text' && !x.body).length, 0);
});

test('Signal -> Matrix: a text sent right after a big photo stays after it', { timeout: 180000 }, async () => {
  const big = crypto.randomBytes(3 * 1024 * 1024);
  await sendAttachments(null, [{ bytes: big, contentType: 'image/jpeg', fileName: 'big.jpg' }]);
  await sb.send('Alice', 'right after the photo');
  const text = await until(() => inPortal((x) => x.body === 'right after the photo')[0], 'the text', 60000);
  const img = inPortal((x) => x.body === 'big.jpg')[0];
  assert.ok(img, 'the photo is already there when the text arrives');
  const events = messages(alice, portal);
  assert.ok(events.indexOf(img) < events.indexOf(text), 'photo first, as on Signal');
  assert.ok((await download(img.getContent().url)).equals(big));
});

test('Signal -> Matrix: a tampered or oversized attachment becomes a notice naming the reason', { timeout: 180000 }, async () => {
  await sendAttachments('tampered', [{ bytes: crypto.randomBytes(4000), contentType: 'image/jpeg', fileName: 'bad.jpg' }],
                        { tamper: true });
  const n1 = await until(() => inPortal((x) => /bad\.jpg.*could not be bridged/.test(x.body))[0], 'the digest notice', 60000);
  assert.equal(n1.getSender(), BOT);
  assert.equal(n1.getContent().msgtype, 'm.notice');
  assert.match(n1.getContent().body, /integrity check/);
  // the caption still arrives, and no image was posted
  await until(() => inPortal((x) => x.body === 'tampered')[0], 'the caption of the tampered message', 30000);
  assert.equal(inPortal((x) => x.body === 'bad.jpg').length, 0);

  await sendAttachments(null, [{ bytes: crypto.randomBytes(100), contentType: 'video/mp4', fileName: 'huge.mp4' }],
                        { size: 200 * 1024 * 1024 });
  const n2 = await until(() => inPortal((x) => /huge\.mp4.*could not be bridged/.test(x.body))[0], 'the size notice', 60000);
  assert.match(n2.getContent().body, /larger than this bridge's limit/);
});

test('Signal -> Matrix: a picture the user sends from the phone appears as the user', { timeout: 180000 }, async () => {
  const photo = Buffer.concat([PNG, crypto.randomBytes(5000)]);
  const enc = encryptAttachment(photo);
  const cdnKey = crypto.randomUUID();
  await sb.mock.server.storeAttachmentOnCdn(3, cdnKey, enc.blob);
  const ts = Date.now();
  const message = { ...EMPTY_DATA_MESSAGE, body: null, timestamp: BigInt(ts), attachments: [{
    attachmentIdentifier: { cdnKey }, cdnNumber: 3, key: enc.key, size: enc.size, digest: enc.digest,
    contentType: 'image/png', fileName: 'from-phone.png' }] };
  // the transcript Signal's apps send to linked devices (SyncMessage.Sent)
  const env = await sb.phone.encryptContent(sb.device, {
    content: { syncMessage: { content: { sent: {
      destinationServiceIdBinary: ServiceId.parseFromServiceIdString(sb.contacts.Alice.device.aci).getServiceIdBinary(),
      timestamp: BigInt(ts), message, destinationE164: null, unidentifiedStatus: null, isRecipientUpdate: null,
      expirationStartTimestamp: null, storyMessage: null, storyMessageRecipients: null, editMessage: null,
      destinationServiceId: null } }, stickerPackOperation: null, read: null, viewed: null, padding: null } },
    pniSignatureMessage: null, senderKeyDistributionMessage: null,
  }, { timestamp: ts });
  await sb.mock.server.send(sb.device, env);
  const ev = await until(() => inPortal((x) => x.body === 'from-phone.png')[0], 'the picture from the phone', 60000);
  assert.equal(ev.getSender(), alice.getUserId(), 'sent as the user (double puppeting)');
  assert.equal(ev.getContent().msgtype, 'm.image');
  assert.ok((await download(ev.getContent().url)).equals(photo));
});

test('Matrix -> Signal: m.file and m.image reach the contact with their bytes, names and types', { timeout: 180000 }, async () => {
  assert.ok(portal, 'the portal from the first test');
  const pdf = crypto.randomBytes(77777);
  const url = await upload(pdf, 'report.pdf', 'application/pdf');
  await alice.sendMessage(portal, { msgtype: 'm.file', body: 'report.pdf', url,
                                    info: { mimetype: 'application/pdf', size: pdf.length } });
  const r1 = await receivedFile('report.pdf');
  assert.equal(r1.pointer.contentType, 'application/pdf');
  assert.equal(r1.pointer.size, pdf.length);
  assert.ok(r1.bytes.equals(pdf), 'the contact decrypts the bytes alice uploaded');
  assert.ok(!r1.message.body, 'no caption');

  // the modern form: filename plus body as the caption
  const pic = Buffer.concat([PNG, crypto.randomBytes(2048)]);
  const url2 = await upload(pic, 'pic.png', 'image/png');
  await alice.sendMessage(portal, { msgtype: 'm.image', body: 'our garden', filename: 'pic.png', url: url2,
                                    info: { mimetype: 'image/png', size: pic.length, w: 1, h: 1 } });
  const r2 = await receivedFile('pic.png');
  assert.equal(r2.pointer.contentType, 'image/png');
  assert.equal(r2.message.body, 'our garden');
  assert.ok(r2.bytes.equals(pic));

  // no mimetype in the event: the type the homeserver stored is used
  const txt = Buffer.from('plain words\n');
  const url3 = await upload(txt, 'notes.txt', 'text/plain');
  await alice.sendMessage(portal, { msgtype: 'm.file', body: '../../notes.txt', url: url3 });
  const r3 = await receivedFile('notes.txt');
  assert.equal(r3.pointer.contentType, 'text/plain');
  assert.ok(r3.bytes.equals(txt));
});

test('Matrix -> Signal: texts and files reach the contact in the order they were sent', { timeout: 180000 }, async () => {
  // A file needs a fetch and an upload, a text goes at once: without
  // ordering the text written after a big file would overtake it.
  const tag = crypto.randomBytes(3).toString('hex');
  const big = crypto.randomBytes(3 << 20);
  const small = crypto.randomBytes(1000);
  const url1 = await upload(big, `first-${tag}.bin`, 'application/octet-stream');
  const url2 = await upload(small, `third-${tag}.bin`, 'application/octet-stream');
  await alice.sendMessage(portal, { msgtype: 'm.file', body: `first-${tag}.bin`, url: url1 });
  await alice.sendTextMessage(portal, `second ${tag}`);
  await alice.sendMessage(portal, { msgtype: 'm.file', body: `third-${tag}.bin`, url: url2 });
  await alice.sendTextMessage(portal, `fourth ${tag}`);
  const at = (pred, what) => until(() => { const i = got.findIndex(pred); return i >= 0 ? i + 1 : 0; },
                                   `the contact receives ${what}`, 60000);
  const hasFile = (name) => (m) => m.dataMessage?.attachments?.some((a) => a.fileName === name);
  const hasText = (t) => (m) => m.dataMessage?.body === t && !m.dataMessage.attachments?.length;
  const order = [await at(hasFile(`first-${tag}.bin`), 'the big file'), await at(hasText(`second ${tag}`), 'the text after it'),
                 await at(hasFile(`third-${tag}.bin`), 'the small file'), await at(hasText(`fourth ${tag}`), 'the last text')];
  assert.deepEqual([...order].sort((a, b) => a - b), order, `arrival positions ${order.join(',')} keep the sending order`);
  const r = await receivedFile(`first-${tag}.bin`);
  assert.ok(r.bytes.equals(big));
});

test('Matrix -> Signal: a file sent while Signal is unreachable goes out on reconnection', { timeout: 180000 }, async () => {
  // Signal becomes unreachable: refuse new connections, drop the open ones
  let blocked = true;
  const refuse = (sock) => { if (blocked) sock.destroy(); };
  sb.mock.server.https.prependListener('connection', refuse);
  sb.mock.destroySockets();
  const status = async () => {
    const before = messages(alice, botRoom, BOT).length;
    await alice.sendTextMessage(botRoom, 'status');
    return (await until(() => messages(alice, botRoom, BOT)[before], 'the status', 30000)).getContent().body;
  };
  try {
    await until(async () => /connecting/.test(await status()), 'the bridge notices Signal is gone', 30000);
    const data = crypto.randomBytes(4321);
    const url = await upload(data, 'offline.bin', 'application/octet-stream');
    const before = inPortal((x) => /not delivered to Signal/.test(x.body)).length;
    await alice.sendMessage(portal, { msgtype: 'm.file', body: 'offline.bin', url });
    // the bridge takes it (its answer to a later command comes after the
    // event was handled: events reach the module in order), and it waits
    assert.match(await status(), /connecting/);
    assert.ok(!got.some((m) => m.dataMessage?.attachments?.some((a) => a.fileName === 'offline.bin')));
    blocked = false;
    const r = await receivedFile('offline.bin');
    assert.ok(r.bytes.equals(data), 'sent once Signal was back');
    // a row given up while Signal was unreachable is never sent, so the
    // notice count after the delivery covers the whole outage
    assert.equal(inPortal((x) => /not delivered to Signal/.test(x.body)).length, before,
                 'no failure notice while Signal was unreachable');
  } finally {
    blocked = false;
    sb.mock.server.https.removeListener('connection', refuse);
  }
});

test('Matrix -> Signal: a file the homeserver cannot serve gives a notice naming the reason', { timeout: 180000 }, async () => {
  await alice.sendMessage(portal, { msgtype: 'm.file', body: 'gone.bin', url: `mxc://${SERVER}/doesnotexist` });
  const n = await until(() => inPortal((x) => /not delivered to Signal/.test(x.body))[0], 'the failure notice', 30000);
  assert.equal(n.getSender(), BOT);
  assert.match(n.getContent().body, /could not be fetched from the homeserver \(HTTP 404\)/);
  await alice.sendMessage(portal, { msgtype: 'm.image', body: 'secret.png', file: { url: `mxc://${SERVER}/x` } });
  await until(() => inPortal((x) => /encrypted rooms/.test(x.body))[0], 'the encrypted-file notice', 30000);
});

test('a restart doubles no attachment and leaves no temp files behind', { timeout: 180000 }, async () => {
  const before = inPortal((x) => x.msgtype === 'm.image').length;
  await hs.stop();
  await hs.start();
  alice.stopClient();
  alice = await client(hs, 'alice');
  await sendAttachments('after restart', [{ bytes: PNG, contentType: 'image/png', fileName: 'again.png' }]);
  await until(() => inPortal((x) => x.body === 'after restart')[0], 'a message after the restart', 60000);
  assert.equal(inPortal((x) => x.body === 'cat.png').length, 1, 'the first image once');
  assert.equal(inPortal((x) => x.msgtype === 'm.image').length, before + 1);
  const dir = path.join(hs.dir, 'signalbridge', 'media');
  assert.deepEqual(fs.readdirSync(dir), [], 'temp files removed');
});

test('a crash right after Signal handed over an image loses nothing and doubles nothing', { timeout: 180000 }, async () => {
  const photo = Buffer.concat([PNG, crypto.randomBytes(300 * 1024)]);
  // sendRaw resolves once the bridge's Signal client acknowledged the
  // message: kill the homeserver at once, wherever the bridge is then
  await sendAttachments('crash caption', [{ bytes: photo, contentType: 'image/png', fileName: 'crash.png' }]);
  hs.proc.kill('SIGKILL');
  await hs.exited;
  hs.proc = null;
  await hs.start();
  alice.stopClient();
  alice = await client(hs, 'alice');
  const ev = await until(() => inPortal((x) => x.body === 'crash.png')[0], 'the image after the crash', 60000);
  assert.ok((await download(ev.getContent().url)).equals(photo), 'the bytes survived the crash');
  await until(() => inPortal((x) => x.body === 'crash caption')[0], 'its caption', 30000);
  // a later message proves the queue moved on; still one of each
  await sb.send('Alice', 'after the crash');
  await until(() => inPortal((x) => x.body === 'after the crash')[0], 'a text after the crash', 60000);
  assert.equal(inPortal((x) => x.body === 'crash.png').length, 1, 'one image');
  assert.equal(inPortal((x) => x.body === 'crash caption').length, 1, 'one caption');
});
