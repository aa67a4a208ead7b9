// Formatting, mentions and replies through the bridge, both ways (issue #17
// items 1-3): a real Matrix client (matrix-js-sdk) on mxhs with
// signalbridge.so, and Signal's own mock server whose contact Bob sends
// real DataMessages with bodyRanges and quotes (Signal-Desktop's shapes:
// BodyRange{start, length, style | mentionAci}, Quote{id, authorAci, text}).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { Homeserver } = require('./mxhs_harness.js');
const { startSandbox } = require('../../sandbox/sandbox.js');
const { BOT, SERVER, bridgeConfig, client, messages, until, linkWithBot } = require('./bridge_lib.js');
const C = require('./bridge_contact_lib.js');

let hs;
let sb;
let alice;
let botRoom;
let dmRoom;
let bob;
let puppet;

const T = 60000;
const BOLD = 1;
const ITALIC = 2;

function config(dir) {
  return bridgeConfig(dir, `      permissions: {"${SERVER}": user}
      signal: {server: "${sb.url}", ca_file: "${sb.ca}", trust_root: "${sb.trustRoot}"}`);
}

function timeline(roomId) {
  const room = alice.getRoom(roomId);
  return room ? room.getLiveTimeline().getEvents() : [];
}

const bobSends = (fields, ts) => C.sendData(sb, bob, fields, ts);

// Bob's message in Matrix whose plain body is `body`.
function inMatrix(body) {
  return until(() => timeline(dmRoom).find((e) => e.getType() === 'm.room.message' &&
    e.getWireContent().body === body), `'${body}' in Matrix`, T);
}

const bobGot = (pred, from) => C.receivedBy(sb, 'Bob', pred, from);

const range = (start, length, associatedValue) => ({ start, length, associatedValue });

test.before(async () => {
  sb = await startSandbox({});
  bob = sb.contacts.Bob;
  hs = new Homeserver();
  fs.writeFileSync(hs.config, config(hs.dir));
  await hs.start();
  assert.equal(hs.registerUser('alice', 'pw-alice').status, 0);
  alice = await client(hs, 'alice');
  botRoom = await linkWithBot(hs, sb, alice, T);
  await sb.send('Bob', 'hello alice', { timestamp: Date.now() });
  const first = await until(() => alice.getRooms().flatMap((r) => messages(alice, r.roomId))
    .find((e) => e.getContent().body === 'hello alice'), 'the first message', T);
  dmRoom = first.getRoomId();
  puppet = first.getSender();
});

test.after(async () => {
  if (process.env.DUMP_HS_LOG && hs) console.log(hs.log);
  if (alice) alice.stopClient();
  if (hs) { await hs.stop(); hs.cleanup(); }
  if (sb) await sb.close();
});

test('bold and italic from Signal arrive as formatted_body, offsets in UTF-16 (emoji, CJK)', async () => {
  // "😀 你好 bold italic": the emoji is 2 UTF-16 units
  const body = '😀 你好 bold italic';
  await bobSends({ body, bodyRanges: [range(3, 2, { style: ITALIC }), range(6, 4, { style: BOLD }),
                                      range(11, 6, { style: ITALIC })] });
  const ev = await inMatrix(body);
  const c = ev.getWireContent();
  assert.equal(c.format, 'org.matrix.custom.html');
  assert.equal(c.formatted_body, '😀 <em>你好</em> <strong>bold</strong> <em>italic</em>');
});

test('<b> and <i> from Matrix arrive at Signal as body ranges; plain asterisks stay text', async () => {
  const from = sb.received.length;
  await alice.sendMessage(dmRoom, { msgtype: 'm.text', body: '**bold** and _it_ 😀',
    format: 'org.matrix.custom.html', formatted_body: '<b>bold</b> and <i>it</i> 😀' });
  const got = await until(() => bobGot((d) => d.body === 'bold and it 😀', from), 'the formatted text', T);
  const rs = got.dataMessage.bodyRanges.map((r) => [r.start, r.length, r.associatedValue.style]);
  assert.deepEqual(rs.sort(), [[0, 4, BOLD], [9, 2, ITALIC]].sort());
  await alice.sendMessage(dmRoom, { msgtype: 'm.text', body: 'a **literal** star' });
  const plain = await until(() => bobGot((d) => d.body === 'a **literal** star', from), 'the plain text', T);
  assert.equal((plain.dataMessage.bodyRanges || []).length, 0);
});

test('a Signal mention of the user arrives as a pill to the Matrix user, never as U+FFFC', async () => {
  await bobSends({ body: 'hey \uFFFC, look', bodyRanges: [range(4, 1, { mentionAci: sb.phone.device.aci })] });
  const ev = await inMatrix('hey alice, look');
  const c = ev.getWireContent();
  assert.ok(!c.body.includes('\uFFFC'));
  assert.equal(c.formatted_body, `hey <a href="https://matrix.to/#/${alice.getUserId()}">alice</a>, look`);
  assert.deepEqual(c['m.mentions'], { user_ids: [alice.getUserId()] });
});

test("a Matrix pill to a contact's ghost arrives at Signal as a mention of their ACI", async () => {
  const from = sb.received.length;
  await alice.sendMessage(dmRoom, { msgtype: 'm.text', body: 'Bob: ping',
    format: 'org.matrix.custom.html', formatted_body: `<a href="https://matrix.to/#/${puppet}">Bob</a>: ping`,
    'm.mentions': { user_ids: [puppet] } });
  const got = await until(() => bobGot((d) => d.body === '\uFFFC: ping', from), 'the mention', T);
  assert.equal(got.dataMessage.bodyRanges.length, 1);
  const r = got.dataMessage.bodyRanges[0];
  assert.equal(r.start, 0);
  assert.equal(r.length, 1);
  assert.equal(r.associatedValue.mentionAci, bob.device.aci);
});

test("a Signal quote arrives as m.in_reply_to the quoted message's event", async () => {
  const ts = await bobSends({ body: 'what time?' });
  const target = await inMatrix('what time?');
  await bobSends({ body: 'answer me', quote: { id: BigInt(ts), authorAci: bob.device.aci, text: 'what time?',
                                              attachments: null, bodyRanges: null, type: null, authorAciBinary: null } });
  const ev = await inMatrix('answer me');
  assert.equal(ev.getWireContent()['m.relates_to']?.['m.in_reply_to']?.event_id, target.getId());
});

test('a quote of a message the bridge never saw still shows the quoted text', async () => {
  await bobSends({ body: 'about that', quote: { id: 12345n, authorAci: bob.device.aci, text: 'an old message',
                                               attachments: null, bodyRanges: null, type: null, authorAciBinary: null } });
  const ev = await inMatrix('> an old message\n\nabout that');
  assert.match(ev.getWireContent().formatted_body, /<blockquote>an old message<\/blockquote>about that/);
});

test('a Matrix reply arrives at Signal as a quote (id, authorAci, text), its fallback stripped', async () => {
  const ts = await bobSends({ body: 'lunch?' });
  const target = await inMatrix('lunch?');
  const from = sb.received.length;
  await alice.sendMessage(dmRoom, { msgtype: 'm.text', body: `> <${puppet}> lunch?\n\nyes please`,
    'm.relates_to': { 'm.in_reply_to': { event_id: target.getId() } } });
  const got = await until(() => bobGot((d) => d.body === 'yes please', from), 'the reply', T);
  const q = got.dataMessage.quote;
  assert.ok(q, 'a quote');
  assert.equal(Number(q.id), ts);
  assert.equal(q.authorAci, bob.device.aci);
  assert.equal(q.text, 'lunch?');
  assert.ok(!bobGot((d) => d.body && d.body.startsWith('> <'), from), 'no fallback leaked');
});
