// Rich message parts through the bridge (issue #17): link previews with
// their images both ways, quotes of attachments, poll votes that must be
// dropped or told, and Signal texts too large for one Matrix event. A real
// Matrix client (matrix-js-sdk) on mxhs with signalbridge.so, and Signal's
// own mock server whose contact Bob sends real Contents in the shapes
// Signal-Desktop sends, and receives what the bridge sends.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { until, startDmSuite, stopDmSuite } = require('./bridge_lib.js');
const C = require('./bridge_contact_lib.js');
const { EMPTY_DATA_MESSAGE } = require('@signalapp/mock-server');

let hs;
let sb;
let alice;
let dmRoom;
let bob;

const T = 60000;
const BOLD = 1;
const POLL = 'org.matrix.msc3381.poll';
// A 1x1 PNG: what a preview image or a photo is, to the bridge
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
                        '1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');

function timeline(roomId) {
  const room = alice.getRoom(roomId);
  return room ? room.getLiveTimeline().getEvents() : [];
}

// each message its own timestamp, even two within one millisecond
const bobSends = (fields, ts) => C.sendData(sb, bob, fields, ts);

const pointer = (bytes, fields) => C.cdnPointer(sb, bytes, fields);

const decryptBlob = C.decryptBlob;

const receivedBytes = (ap) => C.receivedBytes(sb, ap);

// The room's events as the server has them (any type, relations included).
async function roomEvents(n = 100) {
  const r = await hs.req('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(dmRoom)}/messages?dir=b&limit=${n}`,
                         { token: alice.getAccessToken() });
  assert.equal(r.status, 200);
  return r.json.chunk;
}
const serverEvent = (pred, what) => until(async () => (await roomEvents()).find(pred), what, T);
const inRoom = (pred, what) => until(() => timeline(dmRoom).find((e) => pred(e.getWireContent(), e)), what, T);

const bobGot = (pred, from) => C.receivedBy(sb, 'Bob', pred, from);

function dbRows(sql) {
  const db = path.join(hs.dir, 'signalbridge', 'signalbridge.db');
  const out = execFileSync('/usr/bin/python3', ['-c',
    'import json,sqlite3,sys;c=sqlite3.connect(sys.argv[1]);print(json.dumps(c.execute(sys.argv[2]).fetchall()))',
    db, sql]);
  return JSON.parse(out.toString());
}

async function download(mxc) {
  const [server, id] = mxc.slice(6).split('/');
  const res = await fetch(`${hs.base}/_matrix/client/v1/media/download/${server}/${id}`,
                          { headers: { Authorization: `Bearer ${alice.getAccessToken()}` } });
  assert.equal(res.status, 200);
  return Buffer.from(await res.arrayBuffer());
}

test.before(async () => {
  ({ sb, bob, hs, alice, dmRoom } = await startDmSuite(T));
});

test.after(() => stopDmSuite({ hs, alice, sb }));

// ---- polls: votes that must not show, polls that cannot ----------------------

test('a Signal vote whose voteCount does not grow is dropped, as mautrix-signal drops it', { timeout: 120000 }, async () => {
  const pollTs = await bobSends({ pollCreate: { question: 'Film?', allowMultiple: false, options: ['old', 'new'] },
                                  requiredProtocolVersion: 8 });
  const start = await serverEvent((e) => e.type === `${POLL}.start` &&
    e.content[`${POLL}.start`].question['org.matrix.msc1767.text'] === 'Film?', 'the poll');
  const aci = Buffer.from(bob.device.aci.replace(/-/g, ''), 'hex');
  const vote = (idx, n) => bobSends({ pollVote: { targetAuthorAciBinary: aci, targetSentTimestamp: BigInt(pollTs),
                                                  optionIndexes: [idx], voteCount: n } });
  const votes = async () => (await roomEvents()).filter((e) => e.type === `${POLL}.response` &&
    e.content['m.relates_to']?.event_id === start.event_id).map((e) => e.content[`${POLL}.response`].answers);
  await vote(1, 2);
  await until(async () => (await votes()).length === 1, 'the vote with count 2', T);
  // an older vote (count 1) arriving late, then a newer one (count 3)
  await vote(0, 1);
  await vote(0, 3);
  await until(async () => (await votes()).length >= 2, 'the vote with count 3', T);
  // the room shows Signal's order: what came before count 3 is in by now
  assert.deepEqual((await votes()).reverse(), [['1'], ['0']], 'count 2, then count 3; count 1 dropped');
  assert.ok(!(await roomEvents()).some((e) => e.content?.msgtype === 'm.notice' && /poll/.test(e.content.body)),
            'no notice for the dropped vote');
});

test('a malformed Signal poll (no options) and a vote for an option the poll lacks each get a notice', { timeout: 120000 }, async () => {
  await bobSends({ pollCreate: { question: 'Empty?', allowMultiple: false, options: [] }, requiredProtocolVersion: 8 });
  await inRoom((c) => c.msgtype === 'm.notice' && /sent a poll this bridge cannot show: it has no question or no options/.test(c.body),
               'the notice for the poll without options');
  const pollTs = await bobSends({ pollCreate: { question: 'Two?', allowMultiple: false, options: ['a', 'b'] },
                                  requiredProtocolVersion: 8 });
  await serverEvent((e) => e.type === `${POLL}.start` &&
    e.content[`${POLL}.start`].question['org.matrix.msc1767.text'] === 'Two?', 'the poll');
  const aci = Buffer.from(bob.device.aci.replace(/-/g, ''), 'hex');
  await bobSends({ pollVote: { targetAuthorAciBinary: aci, targetSentTimestamp: BigInt(pollTs),
                               optionIndexes: [7], voteCount: 1 } });
  await inRoom((c) => c.msgtype === 'm.notice' && /for an option the poll does not have/.test(c.body),
               'the notice for the vote on option 7');
});

// ---- a Signal text too large for one Matrix event ------------------------------

// The Matrix spec's size limit: a whole event is at most 65,536 bytes.
const EVENT_MAX = 65536;
// Text of about n bytes that HTML doubles and more ('<' is '&lt;').
function bigText(tag, n) {
  let s = `${tag} `;
  for (let i = 0; Buffer.byteLength(s) < n; i++) s += `<${i}> & "ünï" 你好 😀\n`;
  return s;
}

test('a Signal long text near 64 KiB arrives as a text file plus its cut body: no event over 65,536 bytes', { timeout: 120000 }, async () => {
  const whole = bigText('huge-long', 60000);
  // Signal-Desktop's shape: the body cut to 2 KiB, the whole text attached (ts/util/longAttachment.std.ts)
  const cut = Buffer.from(whole).subarray(0, 2048).toString().replace(/\uFFFD+$/, '');
  await bobSends({ body: cut, bodyRanges: [{ start: 0, length: 9, associatedValue: { style: BOLD } }],
                   attachments: [await pointer(Buffer.from(whole), { contentType: 'text/x-signal-plain' })] });
  const text = await serverEvent((e) => e.content?.msgtype === 'm.text' && e.content.body?.startsWith('huge-long'),
                                 'the text in Matrix');
  const file = await serverEvent((e) => e.content?.msgtype === 'm.file' && e.content.body === 'long-message.txt',
                                 'the whole text as a file');
  for (const e of [text, file]) {
    assert.ok(Buffer.byteLength(JSON.stringify(e)) < EVENT_MAX, `${e.content.msgtype} fits in one event`);
  }
  assert.equal(text.content.body, cut, 'the text is the cut body');
  assert.match(text.content.formatted_body, /^<strong>huge-long<\/strong>/, 'with its formatting');
  assert.equal((await download(file.content.url)).toString(), whole, 'the file is the whole text');
  assert.match(file.content.info.mimetype, /^text\/plain/);
});

test('a Signal body too large for one event keeps its text and loses only the HTML', { timeout: 120000 }, async () => {
  // not what Signal's apps send (they cut at 2 KiB), but nothing stops a client
  const body = bigText('huge-body', 40000);
  await bobSends({ body, bodyRanges: [{ start: 0, length: 9, associatedValue: { style: BOLD } }] });
  const ev = await serverEvent((e) => e.content?.body?.startsWith('huge-body'), 'the text in Matrix');
  assert.ok(Buffer.byteLength(JSON.stringify(ev)) < EVENT_MAX, 'it fits in one event');
  assert.equal(ev.content.body, body, 'the whole text');
  assert.equal(ev.content.formatted_body, undefined, 'no HTML: it would not fit');
});

test('a Signal body larger than one event even without HTML is cut at a character, and says so', { timeout: 120000 }, async () => {
  const body = `huge-plain ${'é你😀 '.repeat(7000)}`; // about 77 KB
  await bobSends({ body });
  const ev = await serverEvent((e) => e.content?.body?.startsWith('huge-plain'), 'the text in Matrix');
  assert.ok(Buffer.byteLength(JSON.stringify(ev)) < EVENT_MAX, 'it fits in one event');
  const [kept, note] = ev.content.body.split('\n\n(cut here');
  assert.ok(note && /longer than one Matrix event can hold/.test(note), 'a note says it was cut');
  assert.ok(body.startsWith(kept), 'what is kept is the start of the text');
  assert.ok(!kept.includes('\uFFFD'), 'not cut inside a character');
  assert.ok(Buffer.byteLength(kept) > 50000, 'most of it is kept');
});

// A Signal edit (EditMessage) becomes m.new_content plus a "* " fallback
// body: the text is in the event twice, its HTML twice more.
async function bobEdits(targetTs, fields) {
  const ts = C.nextTs();
  await C.sendContent(sb, bob, { editMessage: { targetSentTimestamp: BigInt(targetTs),
    dataMessage: { ...EMPTY_DATA_MESSAGE, timestamp: BigInt(ts), ...fields } } }, ts);
}
const editOf = (id) => serverEvent((e) => e.content?.['m.relates_to']?.rel_type === 'm.replace' &&
                                          e.content['m.relates_to'].event_id === id, 'the edit in Matrix');

test('a Signal edit too large for one event with its HTML keeps its text and loses only the HTML', { timeout: 120000 }, async () => {
  const ts = await bobSends({ body: 'edit-html short' });
  const orig = await serverEvent((e) => e.content?.body === 'edit-html short', 'the original');
  const body = bigText('edit-html', 20000);
  await bobEdits(ts, { body, bodyRanges: [{ start: 0, length: 9, associatedValue: { style: BOLD } }] });
  const ev = await editOf(orig.event_id);
  assert.ok(Buffer.byteLength(JSON.stringify(ev)) < EVENT_MAX, 'the edit fits in one event');
  assert.equal(ev.content['m.new_content'].body, body, 'the whole new text');
  assert.equal(ev.content.body, `* ${body}`, 'and its fallback');
  assert.equal(ev.content['m.new_content'].formatted_body, undefined, 'no HTML: it would not fit');
  assert.equal(ev.content.formatted_body, undefined, 'no HTML in the fallback either');
});

test('a Signal edit larger than one event even without HTML is cut at a character, and says so', { timeout: 120000 }, async () => {
  const ts = await bobSends({ body: 'edit-cut short' });
  const orig = await serverEvent((e) => e.content?.body === 'edit-cut short', 'the original');
  const body = `edit-cut ${'é你😀 '.repeat(3500)}`; // about 38 KB, twice in the edit
  await bobEdits(ts, { body });
  const ev = await editOf(orig.event_id);
  assert.ok(Buffer.byteLength(JSON.stringify(ev)) < EVENT_MAX, 'the edit fits in one event');
  const nc = ev.content['m.new_content'];
  const [kept, note] = nc.body.split('\n\n(cut here');
  assert.ok(note && /longer than one Matrix event can hold/.test(note), 'a note says it was cut');
  assert.ok(body.startsWith(kept), 'what is kept is the start of the text');
  assert.ok(!kept.includes('\uFFFD'), 'not cut inside a character');
  assert.ok(Buffer.byteLength(kept) > 25000, 'most of what fits is kept');
  assert.equal(ev.content.body, `* ${nc.body}`, 'the fallback says the same');
});

// ---- link previews ---------------------------------------------------------------

test("a Signal link preview's image arrives in com.beeper.linkpreviews as og:image (as mautrix-signal reuploads it)", { timeout: 120000 }, async () => {
  const url = 'https://signal.org/blog/lunch';
  const image = await pointer(PNG, { contentType: 'image/png', width: 1, height: 1 });
  await bobSends({ body: `see ${url}`,
                   preview: [{ url, title: 'Lunch', description: 'Today', image, date: 1n }] });
  const ev = await serverEvent((e) => e.content?.body === `see ${url}`, 'the message with a preview');
  const lp = ev.content['com.beeper.linkpreviews'];
  assert.equal(lp.length, 1);
  assert.match(lp[0]['og:image'] || '', /^mxc:\/\//, 'the image uploaded to Matrix');
  assert.deepEqual({ ...lp[0], 'og:image': 'mxc' },
                   { matched_url: url, 'og:url': url, 'og:title': 'Lunch', 'og:description': 'Today', 'og:image': 'mxc',
                     'og:image:type': 'image/png', 'matrix:image:size': PNG.length, 'og:image:width': 1, 'og:image:height': 1 });
  assert.ok((await download(lp[0]['og:image'])).equals(PNG), 'the bytes of the preview image');
  assert.ok(!(await roomEvents()).some((e) => e.content?.msgtype === 'm.image'), 'the image is no message of its own');
});

// ---- quotes of attachments ---------------------------------------------------------

test('a quote of an unknown message with an attachment shows its kind, name and thumbnail with the quoted text', { timeout: 120000 }, async () => {
  const quote = (id, text, attachments) => ({ id, authorAci: bob.device.aci, text, attachments,
                                              bodyRanges: null, type: null, authorAciBinary: null });
  // Signal-Desktop's Quote.QuotedAttachment: contentType, fileName, thumbnail
  await bobSends({ body: 'nice one', quote: quote(1111n, null, [{ contentType: 'image/jpeg', fileName: 'IMG_1.jpg',
                                                                  thumbnail: await pointer(PNG, { contentType: 'image/png' }) }]) });
  const photo = await inRoom((c) => c.body?.endsWith('nice one'), 'the reply to a photo');
  assert.equal(photo.getWireContent().body, '> [Photo]\n\nnice one');
  // the thumbnail Signal carries, uploaded and shown in the quote (issue #17 item 3)
  const m = /^<blockquote><img src="(mxc:\/\/[^"]+)" alt="thumbnail" height="150"><br>\[Photo\]<\/blockquote>nice one$/
    .exec(photo.getWireContent().formatted_body);
  assert.ok(m, `the quote's HTML: ${photo.getWireContent().formatted_body}`);
  assert.ok((await download(m[1])).equals(PNG), 'the thumbnail is the bytes Signal carried');
  await bobSends({ body: 'read it', quote: quote(2222n, 'the notes', [{ contentType: 'application/pdf', fileName: 'notes.pdf' }]) });
  const file = await inRoom((c) => c.body?.endsWith('read it'), 'the reply to a file');
  assert.equal(file.getWireContent().body, '> [File: notes.pdf] the notes\n\nread it');
});

test('a Matrix reply to a picture arrives at Signal as a quote with the attachment (contentType, fileName)', { timeout: 120000 }, async () => {
  // Bob's photo, bridged as m.image
  const ts = await bobSends({ attachments: [await pointer(PNG, { contentType: 'image/png', fileName: 'cat.png',
                                                                 width: 1, height: 1 })] });
  const img = await inRoom((c) => c.msgtype === 'm.image' && c.body === 'cat.png', "Bob's photo in Matrix");
  let from = sb.received.length;
  await alice.sendMessage(dmRoom, { msgtype: 'm.text', body: 'cute',
                                    'm.relates_to': { 'm.in_reply_to': { event_id: img.getId() } } });
  let got = await until(() => bobGot((d) => d.body === 'cute', from), 'the reply at Signal', T);
  let q = got.dataMessage.quote;
  assert.equal(Number(q.id), ts);
  assert.equal(q.authorAci, bob.device.aci);
  assert.deepEqual(q.attachments.map((a) => [a.contentType, a.fileName]), [['image/png', 'cat.png']]);

  // Alice's own file sent from Matrix, then her reply to it
  const up = await alice.uploadContent(PNG, { name: 'dog.png', type: 'image/png' });
  from = sb.received.length;
  const { event_id: mine } = await alice.sendMessage(dmRoom, { msgtype: 'm.image', body: 'dog.png', url: up.content_uri,
                                                               info: { mimetype: 'image/png', size: PNG.length } });
  const sent = await until(() => bobGot((d) => d.attachments?.length === 1 && d.attachments[0].fileName === 'dog.png', from),
                           'her photo at Signal', T);
  // a reply quotes what Signal took: wait for the bridge to have its answer
  await until(() => dbRows(`SELECT state FROM br_outbox WHERE event_id = '${mine}'`)[0]?.[0] === 1,
              'her photo marked sent', T);
  from = sb.received.length;
  await alice.sendMessage(dmRoom, { msgtype: 'm.text', body: 'woof',
                                    'm.relates_to': { 'm.in_reply_to': { event_id: mine } } });
  got = await until(() => bobGot((d) => d.body === 'woof', from), 'the reply at Signal', T);
  q = got.dataMessage.quote;
  assert.ok(q, 'a quote');
  assert.equal(q.id, sent.dataMessage.timestamp);
  assert.equal(q.authorAci, sb.phone.device.aci);
  assert.deepEqual(q.attachments.map((a) => [a.contentType, a.fileName]), [['image/png', 'dog.png']]);
});

test('a Matrix link preview (com.beeper.linkpreviews) arrives at Signal as a preview, its image uploaded', { timeout: 120000 }, async () => {
  const url = 'https://signal.org/blog/matrix';
  const up = await alice.uploadContent(PNG, { name: 'og.png', type: 'image/png' });
  const from = sb.received.length;
  await alice.sendMessage(dmRoom, { msgtype: 'm.text', body: `read ${url} now`,
    'com.beeper.linkpreviews': [
      { matched_url: url, 'og:url': url, 'og:title': 'Signal and Matrix', 'og:description': 'A bridge',
        'og:image': up.content_uri, 'og:image:type': 'image/png', 'matrix:image:size': PNG.length,
        'og:image:width': 1, 'og:image:height': 1 },
      // not in the text: Signal-Desktop would drop it (isValidLinkPreview)
      { matched_url: 'https://elsewhere.signal.org/', 'og:title': 'Elsewhere' }] });
  const got = await until(() => bobGot((d) => d.body === `read ${url} now`, from), 'the text at Signal', T);
  const pv = got.dataMessage.preview;
  assert.equal(pv.length, 1, 'only the preview of a link in the text');
  assert.equal(pv[0].url, url);
  assert.equal(pv[0].title, 'Signal and Matrix');
  assert.equal(pv[0].description, 'A bridge');
  assert.ok(pv[0].image, 'the preview has its image');
  assert.equal(pv[0].image.contentType, 'image/png');
  assert.equal(pv[0].image.width, 1);
  assert.ok(receivedBytes(pv[0].image).equals(PNG), 'the bytes of the image');
  assert.equal((got.dataMessage.attachments || []).length, 0, 'the image is no attachment');
});

test('a Matrix link preview without an image, or of a link Signal would not preview, arrives as Signal takes it', { timeout: 120000 }, async () => {
  const url = 'https://signal.org/donate';
  const from = sb.received.length;
  await alice.sendMessage(dmRoom, { msgtype: 'm.text',
    body: `give ${url}, and http://insecure.signal.org/ or https://www.example.com/x`,
    'com.beeper.linkpreviews': [{ matched_url: url, 'og:title': 'Donate' },
                                { matched_url: 'http://insecure.signal.org/', 'og:title': 'Plain http' },
                                // a domain Signal-Desktop never previews (EXCLUDED_DOMAINS)
                                { matched_url: 'https://www.example.com/x', 'og:title': 'Example' }] });
  const got = await until(() => bobGot((d) => d.body?.startsWith('give '), from), 'the text at Signal', T);
  assert.deepEqual(got.dataMessage.preview.map((p) => [p.url, p.title, p.image]), [[url, 'Donate', null]],
                   'https and an allowed domain only (Signal-Desktop shouldPreviewHref)');
});
