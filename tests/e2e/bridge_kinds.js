// Message kinds beyond text through the bridge (issue #17 items 4, 5, 7):
// a real Matrix client (matrix-js-sdk) on mxhs with signalbridge.so, and
// Signal's own mock server whose contact Bob sends real Contents in the
// shapes Signal-Desktop sends, and receives what the bridge sends.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { Homeserver } = require('./mxhs_harness.js');
const { startSandbox, decodeQr } = require('../../sandbox/sandbox.js');
const { BOT, SERVER, bridgeConfig, client, messages, until } = require('./bridge_lib.js');
const { EMPTY_DATA_MESSAGE } = require('@signalapp/mock-server');
const { encryptAttachment } = require('@signalapp/mock-server/src/crypto');

let hs;
let sb;
let alice;
let botRoom;
let dmRoom;
let bob;

const T = 60000;
const BOLD = 1;
// Signal-Desktop ts/util/longAttachment.std.ts, ts/types/MIME.ts
const LONG_BODY_BYTES = 2048;
const LONG_MESSAGE = 'text/x-signal-plain';

function config(dir) {
  return bridgeConfig(dir, `      permissions: {"${SERVER}": user}
      signal: {server: "${sb.url}", ca_file: "${sb.ca}", trust_root: "${sb.trustRoot}"}`);
}

function timeline(roomId) {
  const room = alice.getRoom(roomId);
  return room ? room.getLiveTimeline().getEvents() : [];
}

function bobSendsContent(content, ts = Date.now()) {
  return bob.sendRaw(sb.device, { content, pniSignatureMessage: null, senderKeyDistributionMessage: null },
                     { timestamp: ts }).then(() => ts);
}

function bobSends(fields) {
  const ts = Date.now();
  return bobSendsContent({ dataMessage: { ...EMPTY_DATA_MESSAGE, timestamp: BigInt(ts), ...fields } }, ts);
}

// An attachment pointer for bytes stored on the mock's CDN 3.
async function pointer(bytes, fields) {
  const enc = encryptAttachment(bytes);
  const cdnKey = crypto.randomUUID();
  await sb.mock.server.storeAttachmentOnCdn(3, cdnKey, enc.blob);
  return { attachmentIdentifier: { cdnKey }, cdnNumber: 3, key: enc.key, size: enc.size,
           digest: Buffer.from(enc.digest), ...fields };
}

function decryptBlob(blob, key, size) {
  const mac = crypto.createHmac('sha256', key.subarray(32)).update(blob.subarray(0, blob.length - 32)).digest();
  assert.ok(mac.equals(blob.subarray(blob.length - 32)), 'attachment MAC');
  const d = crypto.createDecipheriv('aes-256-cbc', key.subarray(0, 32), blob.subarray(0, 16));
  return Buffer.concat([d.update(blob.subarray(16, blob.length - 32)), d.final()]).subarray(0, size);
}

// The bytes of an attachment Bob received.
function receivedBytes(ap) {
  const blob = fs.readFileSync(path.join(sb.mock.cdn3Path, 'attachments', ap.attachmentIdentifier.cdnKey));
  return decryptBlob(blob, Buffer.from(ap.key), ap.size);
}

const inRoom = (pred, what) => until(() => timeline(dmRoom).find((e) => pred(e.getWireContent(), e)),
                                      what, T);

function bobGot(pred, from = 0) {
  return sb.received.slice(from).find((m) => m.to === 'Bob' && m.dataMessage && pred(m.dataMessage));
}

test.before(async () => {
  sb = await startSandbox({});
  bob = sb.contacts.Bob;
  hs = new Homeserver();
  fs.writeFileSync(hs.config, config(hs.dir));
  await hs.start();
  assert.equal(hs.registerUser('alice', 'pw-alice').status, 0);
  alice = await client(hs, 'alice');
  ({ room_id: botRoom } = await alice.createRoom({ preset: 'trusted_private_chat', is_direct: true, invite: [BOT] }));
  await until(() => messages(alice, botRoom, BOT)[0], 'the welcome message');
  const before = messages(alice, botRoom, BOT).length;
  await alice.sendTextMessage(botRoom, 'link');
  const img = await until(() => messages(alice, botRoom, BOT).slice(before)
    .find((e) => e.getContent().msgtype === 'm.image'), 'the QR code', T);
  const [server, id] = img.getContent().url.slice('mxc://'.length).split('/');
  const res = await fetch(`${hs.base}/_matrix/client/v1/media/download/${server}/${id}`,
                          { headers: { Authorization: `Bearer ${alice.getAccessToken()}` } });
  await sb.scan(decodeQr(Buffer.from(await res.arrayBuffer())));
  await until(() => messages(alice, botRoom, BOT).some((e) => /^Successfully logged in as/.test(e.getContent().body)),
              'linked', T);
  await sb.send('Bob', 'hello alice', { timestamp: Date.now() });
  const first = await until(() => alice.getRooms().flatMap((r) => messages(alice, r.roomId))
    .find((e) => e.getContent().body === 'hello alice'), 'the first message', T);
  dmRoom = first.getRoomId();
});

test.after(async () => {
  if (process.env.DUMP_HS_LOG && hs) console.log(hs.log);
  if (alice) alice.stopClient();
  if (hs) { await hs.stop(); hs.cleanup(); }
  if (sb) await sb.close();
});

// ---- item 4: long text ------------------------------------------------------

// Text of about n bytes with multi-byte characters near every cut.
function longText(tag, n) {
  let s = `${tag} `;
  for (let i = 0; Buffer.byteLength(s) < n; i++) s += `line ${i} ünïcödé 你好 😀\n`;
  return s;
}

test('Signal long text (cut body + text/x-signal-plain attachment) arrives whole as one m.text', { timeout: 120000 }, async () => {
  const whole = longText('from-bob', 6000);
  const cut = Buffer.from(whole).subarray(0, LONG_BODY_BYTES).toString().replace(/\uFFFD+$/, '');
  await bobSends({ body: cut, bodyRanges: [{ start: 0, length: 8, associatedValue: { style: BOLD } }],
                   attachments: [await pointer(Buffer.from(whole), { contentType: LONG_MESSAGE })] });
  const ev = await inRoom((c) => c.msgtype === 'm.text' && c.body && c.body.startsWith('from-bob'),
                          'the long text in Matrix');
  const c = ev.getWireContent();
  assert.equal(c.body, whole, 'the whole text, not the 2 KiB body');
  assert.match(c.formatted_body, /^<strong>from-bob<\/strong>/, 'its ranges apply to the whole text');
  assert.ok(!timeline(dmRoom).some((e) => e.getWireContent().info?.mimetype === LONG_MESSAGE ||
                                          e.getWireContent().msgtype === 'm.file'),
            'the long-text attachment is not shown as a file');
});

test('Matrix text over 2 KiB arrives at Signal as Desktop sends it: cut body + the whole text attached', { timeout: 120000 }, async () => {
  const from = sb.received.length;
  const whole = longText('from-alice', 5000);
  await alice.sendMessage(dmRoom, { msgtype: 'm.text', body: whole,
    format: 'org.matrix.custom.html', formatted_body: `<b>from-alice</b>${whole.slice(10).replace(/\n/g, '<br>')}` });
  const got = await until(() => bobGot((d) => d.body && d.body.startsWith('from-alice'), from),
                          'the long text at Signal', T);
  const d = got.dataMessage;
  assert.ok(Buffer.byteLength(d.body) <= LONG_BODY_BYTES, `body cut to 2 KiB (${Buffer.byteLength(d.body)})`);
  assert.ok(Buffer.byteLength(d.body) > LONG_BODY_BYTES - 4, 'cut only at a code point');
  assert.ok(whole.startsWith(d.body), 'the body is the start of the text');
  assert.equal(d.attachments.length, 1);
  assert.equal(d.attachments[0].contentType, LONG_MESSAGE);
  assert.equal(receivedBytes(d.attachments[0]).toString(), whole, 'the attachment is the whole text');
  assert.deepEqual(d.bodyRanges.map((r) => [r.start, r.length, r.associatedValue.style]), [[0, 10, BOLD]]);
});

// ---- item 7: notices for what cannot be bridged -----------------------------

const notice = (re) => inRoom((c) => c.msgtype === 'm.notice' && re.test(c.body || ''), `a notice ${re}`);

test('a Signal call arrives as a notice with its outcome ("Bob called you", then "call ended")', { timeout: 120000 }, async () => {
  const id = 4242n;
  await bobSendsContent({ callMessage: { offer: { id, type: 1, opaque: Buffer.from('sdp') } } });
  const offer = await notice(/^Bob .*called you \(video call\)/);
  assert.match(offer.getWireContent().body, /Answer it in Signal on your phone/);
  await bobSendsContent({ callMessage: { hangup: { id, type: 0, deviceId: 1 } } });
  await notice(/^Bob.*'s call ended\./);
});

test('a Signal story reply, a gift badge, view-once media and a newer kind each get a notice', { timeout: 120000 }, async () => {
  await bobSends({ body: 'nice view!', storyContext: { authorAci: sb.phone.device.aci, sentTimestamp: 1000n,
                                                       authorAciBinary: null } });
  await notice(/^Bob .*replied to a story \(stories are not bridged\): nice view!$/);
  await bobSends({ giftBadge: { receiptCredentialPresentation: Buffer.from('x') } });
  await notice(/^Bob .*sent a gift badge/);
  await bobSends({ isViewOnce: true,
                   attachments: [await pointer(crypto.randomBytes(300), { contentType: 'image/jpeg', fileName: 'once.jpg' })] });
  await notice(/^Bob .*sent a view-once photo or video/);
  await bobSends({ requiredProtocolVersion: 99 });
  await notice(/^Bob .*sent a message of a kind this bridge cannot show yet/);
  assert.ok(!timeline(dmRoom).some((e) => e.getWireContent().body === 'once.jpg'), 'view-once media not kept in Matrix');
});
