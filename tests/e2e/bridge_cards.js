// Contact cards, locations from Signal's phones and view-once media through
// the bridge (issue #17 item 5): a real Matrix client (matrix-js-sdk) on
// mxhs with signalbridge.so, and Signal's own mock server whose contact Bob
// sends real Contents in the shapes Signal's apps send, and receives what
// the bridge sends.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { until, startDmSuite, stopDmSuite } = require('./bridge_lib.js');
const C = require('./bridge_contact_lib.js');

let hs;
let sb;
let alice;
let dmRoom;
let bob;

const T = 60000;

function dbRows(sql) {
  const db = path.join(hs.dir, 'signalbridge', 'signalbridge.db');
  const out = execFileSync('/usr/bin/python3', ['-c',
    'import json,sqlite3,sys;c=sqlite3.connect(sys.argv[1]);print(json.dumps(c.execute(sys.argv[2]).fetchall()))',
    db, sql]);
  return JSON.parse(out.toString());
}

function timeline(roomId) {
  const room = alice.getRoom(roomId);
  return room ? room.getLiveTimeline().getEvents() : [];
}
const inRoom = (pred, what) => until(() => timeline(dmRoom).find((e) => pred(e.getWireContent(), e)), what, T);
const redacted = (id) => alice.getRoom(dmRoom).findEventById(id)?.isRedacted();

const bobSends = (fields, ts) => C.sendData(sb, bob, fields, ts);

const pointer = (bytes, fields) => C.cdnPointer(sb, bytes, fields);

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

const bobGot = (pred, from) => C.receivedBy(sb, 'Bob', pred, from);

test.before(async () => {
  ({ sb, bob, hs, alice, dmRoom } = await startDmSuite(T));
});

test.after(() => stopDmSuite({ hs, alice, sb }));

// ---- view-once ------------------------------------------------------------------

// mautrix-signal pkg/msgconv/from-signal.go ToMatrix (disappear_view_once):
// the media with "This is a view-once message. It will disappear in 5
// minutes." merged in as its caption, gone 5 minutes after it is read (a
// shorter chat timer wins).
const VIEW_ONCE_TEXT = 'This is a view-once message. It will disappear in 5 minutes.';

test('Signal view-once media arrive with the view-once caption and are redacted after they are read', { timeout: 120000 }, async () => {
  const img = crypto.randomBytes(400);
  await bobSends({ isViewOnce: true, expireTimer: 3,
                   attachments: [await pointer(img, { contentType: 'image/jpeg', fileName: 'once.jpg' })] });
  const ev = await inRoom((c) => c.filename === 'once.jpg', 'the view-once image');
  const c = ev.getWireContent();
  assert.equal(c.msgtype, 'm.image');
  assert.equal(c.body, VIEW_ONCE_TEXT);
  assert.ok((await download(c.url)).equals(img), 'the same bytes');
  assert.ok(!redacted(ev.getId()), 'kept until it is read');
  await alice.sendReadReceipt(ev);
  await until(() => redacted(ev.getId()), 'the view-once image redacted after reading', T);
});

test('Signal view-once media without a chat timer disappear 5 minutes after reading', { timeout: 120000 }, async () => {
  const ts = await bobSends({ isViewOnce: true,
                              attachments: [await pointer(crypto.randomBytes(300), { contentType: 'video/mp4', fileName: 'once.mp4' })] });
  const ev = await inRoom((c) => c.filename === 'once.mp4', 'the view-once video');
  assert.equal(ev.getWireContent().body, VIEW_ONCE_TEXT);
  const row = () => dbRows(`SELECT expire_s, expire_at, event_id FROM br_expire WHERE ts = ${ts}`)[0];
  await until(() => row()?.[2] === ev.getId(), 'its expiry row names the event', T);
  assert.equal(row()[0], 300);
  assert.equal(row()[1], null, 'no countdown before it is read');
  const before = Date.now();
  await alice.sendReadReceipt(ev);
  await until(() => row()?.[1] != null, 'the countdown started by the read receipt', T);
  assert.ok(row()[1] >= before + 300000, 'due 5 minutes after reading');
});

// ---- locations from Signal's phones ----------------------------------------------

test('a Signal-Android location (map image + "maps?q=LAT%2CLON" body) arrives as m.location', { timeout: 120000 }, async () => {
  // Signal-Android SignalPlace.getDescription and AttachmentManager.setLocation
  const map = crypto.randomBytes(500);
  const body = 'Brandenburger Tor\nPariser Platz, Berlin\nhttps://maps.google.com/maps?q=52.5163%2C13.3777';
  await bobSends({ body, attachments: [await pointer(map, { contentType: 'image/jpeg' })] });
  const loc = await inRoom((c) => c.msgtype === 'm.location', 'the location');
  const c = loc.getWireContent();
  assert.equal(c.geo_uri, 'geo:52.5163,13.3777');
  assert.equal(c.body, body);
  const img = timeline(dmRoom).find((e) => e.getWireContent().msgtype === 'm.image' &&
                                          e.getWireContent().info?.size === map.length);
  assert.ok(img, 'the map snapshot before it');

  // Signal-iOS LocationPicker.swift messageText: address, blank line, link
  await bobSends({ body: '1 Infinite Loop\nCupertino\n\nhttps://maps.google.com/maps?q=37.3318%2C-122.0312' });
  const ios = await inRoom((cc) => cc.msgtype === 'm.location' && cc.geo_uri === 'geo:37.3318,-122.0312',
                           'the iOS location');
  assert.match(ios.getWireContent().body, /^1 Infinite Loop/);
  // a link inside other text stays text
  await bobSends({ body: 'look at https://maps.google.com/maps?q=1%2C2 later' });
  const t = await inRoom((cc) => /^look at/.test(cc.body || ''), 'the plain text');
  assert.equal(t.getWireContent().msgtype, 'm.text');
});

// ---- contact cards ---------------------------------------------------------------

test('a Signal contact card arrives as a vCard file with its avatar (as mautrix-signal converts it)', { timeout: 120000 }, async () => {
  // Signal-Desktop protos/SignalService.proto DataMessage.Contact
  const avatar = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), crypto.randomBytes(200)]);
  await bobSends({ contact: [{
    name: { givenName: 'Ann', familyName: 'Lee', middleName: 'Q', prefix: null, suffix: null, nickname: null },
    number: [{ value: '+15550001111', type: 2, label: null }, { value: '+15550002222', type: 4, label: 'Boat' }],
    email: [{ value: 'ann@example.org', type: 3, label: null }],
    address: [{ type: 1, label: null, street: '1 Main St', pobox: null, neighborhood: null, city: 'Springfield',
                region: 'IL', postcode: '62701', country: 'USA' }],
    avatar: { avatar: await pointer(avatar, { contentType: 'image/png' }), isProfile: false },
    organization: 'Acme, Inc.' }] });
  const f = await inRoom((c) => c.body === 'Ann Lee.vcf', 'the vCard file');
  const c = f.getWireContent();
  assert.equal(c.msgtype, 'm.file');
  assert.equal(c.info.mimetype, 'text/vcf');
  const card = (await download(c.url)).toString('utf8');
  // RFC 6350 3.2: lines folded at 75 octets
  assert.ok(card.split('\r\n').every((l) => Buffer.byteLength(l) <= 75), 'folded lines');
  assert.equal(card.replace(/\r\n /g, ''), 'BEGIN:VCARD\r\nVERSION:4.0\r\n' +
    'ADR;TYPE=home:;;1 Main St;Springfield;IL;62701;USA\r\n' +
    'EMAIL;TYPE=work:ann@example.org\r\n' +
    'FN:Ann Lee\r\n' +
    'N:Lee;Ann;Q;;\r\n' +
    'ORG:Acme\\, Inc.\r\n' +
    `PHOTO:data:image/png;base64,${avatar.toString('base64')}\r\n` +
    'TEL;TYPE=mobile:+15550001111\r\n' +
    'TEL;LABEL=Boat;TYPE=custom:+15550002222\r\n' +
    'END:VCARD\r\n');
  assert.equal(c.info.size, Buffer.byteLength(card), 'the size of the card as uploaded');
  assert.ok(!timeline(dmRoom).some((e) => /contact card/.test(e.getWireContent().body || '')), 'no notice');
});

test('a Signal contact card whose avatar cannot be fetched arrives without it', { timeout: 120000 }, async () => {
  const gone = await pointer(crypto.randomBytes(100), { contentType: 'image/jpeg' });
  gone.attachmentIdentifier = { cdnKey: crypto.randomUUID() }; // nothing stored there
  await bobSends({ contact: [{ name: { givenName: 'Bo', familyName: null, middleName: null, prefix: null,
                                       suffix: null, nickname: 'Bobo' },
                               number: [{ value: '+15550003333', type: null, label: null }], email: [], address: [],
                               avatar: { avatar: gone, isProfile: false }, organization: null }] });
  const f = await inRoom((c) => c.body === 'Bobo.vcf', 'the card named by its nickname');
  const card = (await download(f.getWireContent().url)).toString('utf8');
  assert.equal(card, 'BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Bobo\r\nN:;Bo;;;\r\nNICKNAME:Bobo\r\n' +
                     'TEL;TYPE=home:+15550003333\r\nEND:VCARD\r\n');
});

test('a Matrix .vcf file arrives at Signal as a contact card; one that does not parse as the file', { timeout: 120000 }, async () => {
  const from = sb.received.length;
  // an Android contacts export (vCard 2.1, QUOTED-PRINTABLE): what Signal-
  // Android's ContactCardReader.readVCard turns into a contact card
  const vcf = Buffer.from('BEGIN:VCARD\r\nVERSION:2.1\r\n' +
    'N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=BCrgen;;;\r\n' +
    'FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=BCrgen M=C3=BCller\r\n' +
    'TEL;CELL;PREF:+49 151 000\r\nEMAIL;HOME:j@example.de\r\n' +
    'ADR;WORK:;;Unter den Linden 1;Berlin;;10117;Germany\r\nORG:Beispiel GmbH\r\nEND:VCARD\r\n');
  await alice.sendMessage(dmRoom, { msgtype: 'm.file', body: 'juergen.vcf', url: await upload(vcf, 'juergen.vcf', 'text/x-vcard'),
                                    info: { mimetype: 'text/x-vcard', size: vcf.length } });
  const got = await until(() => bobGot((d) => d.contact?.length > 0, from), 'the contact card', T);
  const k = got.dataMessage.contact[0];
  assert.equal(got.dataMessage.attachments.length, 0, 'no file besides the card');
  assert.equal(k.name.givenName, 'Jürgen');
  assert.equal(k.name.familyName, 'Müller');
  assert.equal(k.organization, 'Beispiel GmbH');
  assert.deepEqual(k.number.map((p) => [p.value, p.type]), [['+49 151 000', 2]]); // MOBILE
  assert.deepEqual(k.email.map((e) => [e.value, e.type]), [['j@example.de', 1]]); // HOME
  assert.equal(k.address[0].type, 2); // WORK
  assert.equal(k.address[0].street, 'Unter den Linden 1');
  assert.equal(k.address[0].postcode, '10117');

  // not a vCard Signal can show (two cards): the file itself
  const two = Buffer.from('BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:B\r\nEND:VCARD\r\n');
  await alice.sendMessage(dmRoom, { msgtype: 'm.file', body: 'two.vcf', url: await upload(two, 'two.vcf', 'text/vcard'),
                                    info: { mimetype: 'text/vcard', size: two.length } });
  const file = await until(() => bobGot((d) => d.attachments?.[0]?.fileName === 'two.vcf', from), 'the file', T);
  assert.ok(!file.dataMessage.contact?.length);
  const ap = file.dataMessage.attachments[0];
  const blob = fs.readFileSync(path.join(sb.mock.cdn3Path, 'attachments', ap.attachmentIdentifier.cdnKey));
  const mac = crypto.createHmac('sha256', Buffer.from(ap.key).subarray(32)).update(blob.subarray(0, blob.length - 32)).digest();
  assert.ok(mac.equals(blob.subarray(blob.length - 32)), 'attachment MAC');
  const d = crypto.createDecipheriv('aes-256-cbc', Buffer.from(ap.key).subarray(0, 32), blob.subarray(0, 16));
  assert.ok(Buffer.concat([d.update(blob.subarray(16, blob.length - 32)), d.final()]).subarray(0, ap.size).equals(two));
});
