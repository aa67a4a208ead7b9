// Message kinds beyond text through the bridge (issue #17 items 4, 5, 7):
// a real Matrix client (matrix-js-sdk) on mxhs with signalbridge.so, and
// Signal's own mock server whose contact Bob sends real Contents in the
// shapes Signal-Desktop sends, and receives what the bridge sends.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
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
// Signal-Desktop ts/util/longAttachment.std.ts, ts/types/MIME.ts
const LONG_BODY_BYTES = 2048;
const LONG_MESSAGE = 'text/x-signal-plain';

function timeline(roomId) {
  const room = alice.getRoom(roomId);
  return room ? room.getLiveTimeline().getEvents() : [];
}

const bobSendsContent = (content, ts) => C.sendContent(sb, bob, content, ts);
const bobSends = (fields, ts) => C.sendData(sb, bob, fields, ts);

const pointer = (bytes, fields) => C.cdnPointer(sb, bytes, fields);

const decryptBlob = C.decryptBlob;

const receivedBytes = (ap) => C.receivedBytes(sb, ap);

const inRoom = (pred, what) => until(() => timeline(dmRoom).find((e) => pred(e.getWireContent(), e)),
                                      what, T);

const bobGot = (pred, from) => C.receivedBy(sb, 'Bob', pred, from);

test.before(async () => {
  ({ sb, bob, hs, alice, dmRoom } = await startDmSuite(T));
});

test.after(() => stopDmSuite({ hs, alice, sb }));

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

test('a Signal story reply, gift badge, timer change, group call and newer kind each get a notice', { timeout: 120000 }, async () => {
  await bobSends({ body: 'nice view!', storyContext: { authorAci: sb.phone.device.aci, sentTimestamp: 1000n,
                                                       authorAciBinary: null } });
  await notice(/^Bob .*replied to a story \(stories are not bridged\): nice view!$/);
  await bobSends({ giftBadge: { receiptCredentialPresentation: Buffer.from('x') } });
  await notice(/^Bob .*sent a gift badge/);
  await bobSends({ flags: 2, expireTimer: 604800 });
  await notice(/^Set disappearing messages to 1 week/); // br_expire.c, as Bob's ghost
  await bobSends({ groupCallUpdate: { eraId: 'abc' } });
  await notice(/^Bob .*started a group call/);
  await bobSends({ requiredProtocolVersion: 99 });
  await notice(/^Bob .*sent a message of a kind this bridge cannot show yet/);
  // view-once media are bridged and then disappear: bridge_cards.js
});

// ---- item 6: polls ------------------------------------------------------------

// The room's events as the server has them (any type, relations included).
async function roomEvents() {
  const r = await hs.req('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(dmRoom)}/messages?dir=b&limit=100`,
                         { token: alice.getAccessToken() });
  assert.equal(r.status, 200);
  return r.json.chunk;
}
const serverEvent = (pred, what) => until(async () => (await roomEvents()).find(pred), what, T);
const POLL = 'org.matrix.msc3381.poll';

test('a Signal poll, a vote and its end arrive as MSC3381 poll events (as mautrix-signal sends them)', { timeout: 120000 }, async () => {
  const pollTs = await bobSends({ pollCreate: { question: 'Lunch where?', allowMultiple: true,
                                                options: ['Pizza <b>', 'Sushi', 'Tacos'] },
                                  requiredProtocolVersion: 8 });
  const start = await serverEvent((e) => e.type === `${POLL}.start`, 'the poll start');
  const p = start.content[`${POLL}.start`];
  assert.equal(p.question['org.matrix.msc1767.text'], 'Lunch where?');
  assert.deepEqual(p.answers.map((a) => [a.id, a['org.matrix.msc1767.text']]),
                   [['0', 'Pizza <b>'], ['1', 'Sushi'], ['2', 'Tacos']]);
  assert.equal(p.max_selections, 3, 'allowMultiple: every option may be picked');
  assert.equal(p.kind, `${POLL}.disclosed`);
  assert.match(start.content.body, /^Lunch where\?\n\n1\. Pizza <b>\n2\. Sushi\n3\. Tacos$/, 'fallback text');
  assert.match(start.content.formatted_body, /<li>Pizza &lt;b&gt;<\/li>/, 'fallback HTML escaped');

  const aci = Buffer.from(bob.device.aci.replace(/-/g, ''), 'hex');
  await bobSends({ pollVote: { targetAuthorAciBinary: aci, targetSentTimestamp: BigInt(pollTs),
                               optionIndexes: [0, 2], voteCount: 1 } });
  const vote = await serverEvent((e) => e.type === `${POLL}.response`, 'the vote');
  assert.deepEqual(vote.content['m.relates_to'], { rel_type: 'm.reference', event_id: start.event_id });
  assert.deepEqual(vote.content[`${POLL}.response`].answers, ['0', '2']);
  assert.equal(vote.sender, start.sender, "Bob's ghost votes");

  await bobSends({ pollTerminate: { targetSentTimestamp: BigInt(pollTs) } });
  const end = await serverEvent((e) => e.type === `${POLL}.end`, 'the poll end');
  assert.deepEqual(end.content['m.relates_to'], { rel_type: 'm.reference', event_id: start.event_id });
  assert.ok(!(await roomEvents()).some((e) => /poll/.test(e.content?.body || '') && e.content?.msgtype === 'm.notice'),
            'no "cannot be bridged" notice');
});

test('a Matrix poll and votes arrive at Signal as pollCreate / pollVote; Signal votes come back with its answer ids', { timeout: 120000 }, async () => {
  let from = sb.received.length;
  const { event_id: pollId } = await alice.sendEvent(dmRoom, `${POLL}.start`, {
    [`${POLL}.start`]: { kind: `${POLL}.disclosed`, max_selections: 1, question: { 'org.matrix.msc1767.text': 'Tea?' },
                         answers: [{ id: 'a', 'org.matrix.msc1767.text': 'yes' }, { id: 'b', 'org.matrix.msc1767.text': 'no' },
                                   { id: 'c', 'org.matrix.msc1767.text': 'maybe' }] },
    'org.matrix.msc1767.text': 'Tea?\n1. yes\n2. no\n3. maybe' });
  const got = await until(() => bobGot((d) => d.pollCreate, from), 'the poll at Signal', T);
  const d = got.dataMessage;
  assert.equal(d.pollCreate.question, 'Tea?');
  assert.deepEqual(d.pollCreate.options, ['yes', 'no', 'maybe']);
  assert.equal(d.pollCreate.allowMultiple, false);
  assert.equal(d.requiredProtocolVersion, 8, 'POLLS');
  assert.ok(!d.body, 'a poll has no body');
  const pollTs = d.timestamp;
  const me = Buffer.from(sb.phone.device.aci.replace(/-/g, ''), 'hex');

  // Bob votes "no" (index 1): in Matrix, the poll's own answer id "b"
  await bobSends({ pollVote: { targetAuthorAciBinary: me, targetSentTimestamp: pollTs, optionIndexes: [1], voteCount: 1 } });
  const back = await serverEvent((e) => e.type === `${POLL}.response` && e.content['m.relates_to']?.event_id === pollId,
                                 "Bob's vote in Matrix");
  assert.deepEqual(back.content[`${POLL}.response`].answers, ['b']);

  // Alice votes twice: option indexes, and a growing voteCount
  for (const [ans, idx, n] of [['c', 2, 1], ['a', 0, 2]]) {
    from = sb.received.length;
    await alice.sendEvent(dmRoom, `${POLL}.response`, { [`${POLL}.response`]: { answers: [ans] },
                                                        'm.relates_to': { rel_type: 'm.reference', event_id: pollId } });
    const v = (await until(() => bobGot((x) => x.pollVote, from), `vote ${n} at Signal`, T)).dataMessage.pollVote;
    assert.ok(Buffer.from(v.targetAuthorAciBinary).equals(me), 'the poll is Alice\'s');
    assert.equal(v.targetSentTimestamp, pollTs);
    assert.deepEqual(v.optionIndexes, [idx]);
    assert.equal(v.voteCount, n);
  }

  // ending a poll from Matrix is not sent (nor by mautrix-signal): a notice
  await alice.sendEvent(dmRoom, `${POLL}.end`, { [`${POLL}.end`]: {},
                                                 'm.relates_to': { rel_type: 'm.reference', event_id: pollId } });
  await notice(/^Not sent to Signal: ending a poll cannot be sent from Matrix yet/);
});

test('a Matrix vote on a Signal poll arrives at Signal naming its option index', { timeout: 120000 }, async () => {
  const pollTs = await bobSends({ pollCreate: { question: 'Walk?', allowMultiple: false, options: ['now', 'later'] },
                                  requiredProtocolVersion: 8 });
  const start = await serverEvent((e) => e.type === `${POLL}.start` &&
                                  e.content[`${POLL}.start`].question['org.matrix.msc1767.text'] === 'Walk?', 'the poll');
  const from = sb.received.length;
  await alice.sendEvent(dmRoom, `${POLL}.response`, { [`${POLL}.response`]: { answers: ['1'] },
                                                      'm.relates_to': { rel_type: 'm.reference', event_id: start.event_id } });
  const v = (await until(() => bobGot((x) => x.pollVote, from), 'the vote at Signal', T)).dataMessage.pollVote;
  assert.ok(Buffer.from(v.targetAuthorAciBinary).equals(Buffer.from(bob.device.aci.replace(/-/g, ''), 'hex')));
  assert.equal(v.targetSentTimestamp, BigInt(pollTs));
  assert.deepEqual(v.optionIndexes, [1]);
  assert.equal(v.voteCount, 1);
});

test('a Signal link preview arrives as com.beeper.linkpreviews (as mautrix-signal sends it)', { timeout: 60000 }, async () => {
  const url = 'https://example.org/lunch';
  await bobSends({ body: `menu: ${url}`,
                   preview: [{ url, title: 'Lunch menu', description: 'What we eat today', image: null, date: 1n }] });
  const ev = await inRoom((c) => c.body === `menu: ${url}`, 'the message with a preview');
  assert.deepEqual(ev.getWireContent()['com.beeper.linkpreviews'],
                   [{ matched_url: url, 'og:url': url, 'og:title': 'Lunch menu', 'og:description': 'What we eat today' }]);
});

test('Matrix: a kind Signal cannot take gets a notice instead of vanishing', { timeout: 60000 }, async () => {
  await alice.sendMessage(dmRoom, { msgtype: 'org.example.poll', body: 'Which day?' });
  const n = await inRoom((c) => c.msgtype === 'm.notice' && /^Not sent to Signal: messages of this kind \(org\.example\.poll\)/.test(c.body),
                         'the notice about the unsupported kind');
  assert.ok(n);
});

// ---- item 5: voice notes, GIFs, stickers, locations ------------------------

async function upload(bytes, name, type) {
  const r = await hs.req('POST', `/_matrix/media/v3/upload?filename=${encodeURIComponent(name)}`,
                         { token: alice.getAccessToken(), raw: bytes, headers: { 'Content-Type': type } });
  assert.equal(r.status, 200, r.body.toString());
  return r.json.content_uri;
}

async function download(mxc) {
  const [server, id] = mxc.slice(6).split('/');
  const res = await fetch(`${hs.base}/_matrix/client/v1/media/download/${server}/${id}`,
                          { headers: { Authorization: `Bearer ${alice.getAccessToken()}` } });
  assert.equal(res.status, 200, `downloading ${mxc}`);
  return Buffer.from(await res.arrayBuffer());
}

test('Signal GIF (flag GIF) arrives as a looping video; a sticker as m.sticker with its emoji', { timeout: 120000 }, async () => {
  const gif = crypto.randomBytes(700);
  await bobSends({ attachments: [await pointer(gif, { contentType: 'video/mp4', fileName: 'funny.mp4', flags: 8 })] });
  const g = await inRoom((c) => c.body === 'funny.mp4', 'the GIF');
  const gc = g.getWireContent();
  assert.equal(gc.msgtype, 'm.video');
  for (const k of ['fi.mau.gif', 'fi.mau.loop', 'fi.mau.autoplay', 'fi.mau.hide_controls', 'fi.mau.no_audio'])
    assert.equal(gc.info[k], true, k);
  assert.ok((await download(gc.url)).equals(gif));

  const img = crypto.randomBytes(500);
  await bobSends({ sticker: { packId: crypto.randomBytes(16), packKey: crypto.randomBytes(32), stickerId: 3,
                              emoji: '🐱', data: await pointer(img, { contentType: 'image/webp', width: 512, height: 512 }) } });
  const s = await until(() => timeline(dmRoom).find((e) => e.getType() === 'm.sticker'), 'the sticker', T);
  const sc = s.getWireContent();
  assert.equal(sc.body, '🐱');
  assert.equal(sc.info.mimetype, 'image/webp');
  assert.deepEqual([sc.info.w, sc.info.h], [200, 200]);
  assert.ok((await download(sc.url)).equals(img));
});

test('Matrix voice note, GIF and sticker arrive at Signal flagged as Signal sends them', { timeout: 180000 }, async () => {
  const from = sb.received.length;
  const voice = crypto.randomBytes(900);
  await alice.sendMessage(dmRoom, { msgtype: 'm.audio', body: 'voice.ogg', url: await upload(voice, 'voice.ogg', 'audio/ogg'),
    info: { mimetype: 'audio/ogg', size: voice.length, duration: 2000 },
    'org.matrix.msc1767.audio': { duration: 2000 }, 'org.matrix.msc3245.voice': {} });
  const v = await until(() => bobGot((d) => d.attachments?.[0]?.fileName === 'voice.ogg', from), 'the voice note', T);
  assert.equal(v.dataMessage.attachments[0].flags & 1, 1, 'VOICE_MESSAGE');
  assert.ok(receivedBytes(v.dataMessage.attachments[0]).equals(voice));

  const gif = crypto.randomBytes(600);
  await alice.sendMessage(dmRoom, { msgtype: 'm.video', body: 'loop.mp4', url: await upload(gif, 'loop.mp4', 'video/mp4'),
    info: { mimetype: 'video/mp4', size: gif.length, 'fi.mau.gif': true, 'fi.mau.loop': true } });
  const g = await until(() => bobGot((d) => d.attachments?.[0]?.fileName === 'loop.mp4', from), 'the GIF', T);
  assert.equal(g.dataMessage.attachments[0].flags & 8, 8, 'GIF');

  const img = crypto.randomBytes(400);
  await alice.sendEvent(dmRoom, 'm.sticker', { body: '🎉', url: await upload(img, 'party.webp', 'image/webp'),
    info: { mimetype: 'image/webp', size: img.length, w: 256, h: 256 } });
  const st = await until(() => bobGot((d) => d.sticker, from), 'the sticker', T);
  const sk = st.dataMessage.sticker;
  assert.equal(sk.emoji, '🎉');
  assert.equal(Buffer.from(sk.packId).length, 16);
  assert.equal(Buffer.from(sk.packKey).length, 32);
  assert.equal(sk.data.contentType, 'image/webp');
  assert.ok(receivedBytes(sk.data).equals(img));
});

test('Matrix m.location arrives at Signal as a map link (mautrix-signal location_format)', { timeout: 60000 }, async () => {
  const from = sb.received.length;
  await alice.sendMessage(dmRoom, { msgtype: 'm.location', body: 'Big Ben', geo_uri: 'geo:51.5008,-0.1247;u=20' });
  await until(() => bobGot((d) => d.body === 'https://www.google.com/maps/place/51.5008,-0.1247', from),
              'the map link', T);
});

// ---- formatting inside edits ---------------------------------------------------

test('a Signal edit keeps its formatting: m.new_content has the formatted_body of its ranges', { timeout: 60000 }, async () => {
  const ts = await bobSends({ body: 'see you at five' });
  const orig = await inRoom((c) => c.body === 'see you at five', 'the original');
  const ets = Date.now() + 1;
  await bobSendsContent({ editMessage: { targetSentTimestamp: BigInt(ts), dataMessage: { ...EMPTY_DATA_MESSAGE,
    body: 'see you at six', timestamp: BigInt(ets),
    bodyRanges: [{ start: 11, length: 3, associatedValue: { style: BOLD } }] } } }, ets);
  const edit = await inRoom((c) => c['m.relates_to']?.rel_type === 'm.replace' &&
                                   c['m.relates_to'].event_id === orig.getId(), 'the edit');
  const nc = edit.getWireContent()['m.new_content'];
  assert.equal(nc.body, 'see you at six');
  assert.equal(nc.format, 'org.matrix.custom.html');
  assert.equal(nc.formatted_body, 'see you at <strong>six</strong>');
  assert.equal(edit.getWireContent().formatted_body, '* see you at <strong>six</strong>');
});

test('a Matrix edit keeps its formatting: the EditMessage carries body ranges', { timeout: 60000 }, async () => {
  const from = sb.received.length;
  const { event_id: eventId } = await alice.sendMessage(dmRoom, { msgtype: 'm.text', body: 'lunch at noon' });
  const orig = await until(() => bobGot((d) => d.body === 'lunch at noon', from), 'the original at Signal', T);
  await alice.sendMessage(dmRoom, {
    msgtype: 'm.text', body: '* lunch at one', format: 'org.matrix.custom.html', formatted_body: '* lunch at <b>one</b>',
    'm.new_content': { msgtype: 'm.text', body: 'lunch at one', format: 'org.matrix.custom.html',
                       formatted_body: 'lunch at <b>one</b>' },
    'm.relates_to': { rel_type: 'm.replace', event_id: eventId } });
  const got = await Promise.race([bob.waitForEditMessage(),
    new Promise((_, reject) => setTimeout(() => reject(new Error('no EditMessage')), T).unref())]);
  assert.equal(Number(got.editMessage.targetSentTimestamp), Number(orig.dataMessage.timestamp));
  const d = got.editMessage.dataMessage;
  assert.equal(d.body, 'lunch at one');
  assert.deepEqual(d.bodyRanges.map((r) => [r.start, r.length, r.associatedValue.style]), [[9, 3, BOLD]]);
});
