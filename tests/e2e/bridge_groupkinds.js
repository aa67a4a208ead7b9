// Formatting, mentions, replies and polls in a Signal group, both ways
// (issue #17; bridge_format.js and bridge_kinds.js cover them in a chat
// with one person). A real Matrix client (matrix-js-sdk) on mxhs with
// signalbridge.so, and Signal's own mock server: the phone's group with
// Alice and Bob, read from the mock's groups server; the contacts send
// DataMessages with the group's context, as Signal's apps do, and receive
// what the bridge sends to the group.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { Homeserver } = require('./mxhs_harness.js');
const { startSandbox } = require('../../sandbox/sandbox.js');
const { SERVER, bridgeConfig, client, messages, until, linkWithBot } = require('./bridge_lib.js');
const { EMPTY_DATA_MESSAGE } = require('@signalapp/mock-server');

let hs;
let sb;
let me;          // the Matrix user
let room;        // the group's portal
let alice;
let bob;

const T = 60000;
const BOLD = 1;
const ITALIC = 2;
const POLL = 'org.matrix.msc3381.poll';
const ghost = (dev) => `@signal_${dev.device.aci}:${SERVER}`;
const aciBytes = (dev) => Buffer.from(dev.device.aci.replace(/-/g, ''), 'hex');
const range = (start, length, associatedValue) => ({ start, length, associatedValue });

let lastTs = 0;
// A contact's DataMessage in the group (with its context), as Signal's apps send it.
function groupSends(dev, fields) {
  const ts = Math.max(Date.now(), lastTs + 1);
  lastTs = ts;
  const content = { dataMessage: { ...EMPTY_DATA_MESSAGE, timestamp: BigInt(ts), groupV2: sb.group.toContext(), ...fields } };
  return dev.sendRaw(sb.device, { content, pniSignatureMessage: null, senderKeyDistributionMessage: null },
                     { timestamp: ts }).then(() => ts);
}

const timeline = () => me.getRoom(room).getLiveTimeline().getEvents();
const inRoom = (pred, what) => until(() => timeline().find((e) => pred(e.getWireContent(), e)), what, T);

// The room's events as the server has them (any type, relations included).
async function roomEvents() {
  const r = await hs.req('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/messages?dir=b&limit=100`,
                         { token: me.getAccessToken() });
  assert.equal(r.status, 200);
  return r.json.chunk;
}
const serverEvent = (pred, what) => until(async () => (await roomEvents()).find(pred), what, T);

// What a member received from the bridge after index `from`, in the group.
function memberGot(name, from, pred) {
  const masterKey = Buffer.from(sb.group.toContext().masterKey);
  return sb.received.slice(from).find((m) => m.to === name && m.dataMessage && pred(m.dataMessage) &&
    m.dataMessage.groupV2 && Buffer.from(m.dataMessage.groupV2.masterKey).equals(masterKey));
}
// Both members got it, in the group: Alice's copy.
async function membersGot(from, pred, what) {
  const b = await until(() => memberGot('Bob', from, pred), `Bob gets ${what}`, T);
  const a = await until(() => memberGot('Alice', from, pred), `Alice gets ${what}`, T);
  assert.equal(a.dataMessage.timestamp, b.dataMessage.timestamp, 'one message, one timestamp');
  return a.dataMessage;
}

test.before(async () => {
  sb = await startSandbox({ group: 'Book club' });
  ({ Alice: alice, Bob: bob } = sb.contacts);
  hs = new Homeserver();
  const zkParams = Buffer.from(sb.mock.server.zkSecret.getPublicParams().serialize()).toString('base64');
  fs.writeFileSync(hs.config, bridgeConfig(hs.dir, `      permissions: {"${SERVER}": user}
      signal: {server: "${sb.url}", ca_file: "${sb.ca}", trust_root: "${sb.trustRoot}",
               server_public_params: "${zkParams}"}`));
  await hs.start();
  assert.equal(hs.registerUser('me', 'pw-me').status, 0);
  me = await client(hs, 'me');
  await linkWithBot(hs, sb, me, T);
  // the group's portal, once both members' ghosts are in (they write there)
  const g = await until(() => me.getRooms().find((r) => r.name === 'Book club' && r.getMyMembership() === 'join' &&
    r.getMember(ghost(alice))?.membership === 'join' && r.getMember(ghost(bob))?.membership === 'join'),
  'the group portal with both members', T);
  room = g.roomId;
});

test.after(async () => {
  if (process.env.DUMP_HS_LOG && hs) console.log(hs.log);
  if (me) me.stopClient();
  if (hs) { await hs.stop(); hs.cleanup(); }
  if (sb) await sb.close();
});

test('in a group, Signal bold and mentions of the user and of a member arrive as HTML and pills', async () => {
  // "hi ￼ and ￼, read this": U+FFFC placeholders for the user and Alice
  const body = 'hi \uFFFC and \uFFFC, read this';
  await groupSends(bob, { body, bodyRanges: [range(3, 1, { mentionAci: sb.phone.device.aci }),
                                             range(9, 1, { mentionAci: alice.device.aci }),
                                             range(12, 4, { style: BOLD })] });
  const ev = await inRoom((c) => c.body?.startsWith('hi me and '), "Bob's message in the group room");
  const c = ev.getWireContent();
  assert.equal(ev.getSender(), ghost(bob));
  assert.ok(!c.body.includes('\uFFFC'), 'no placeholder');
  assert.match(c.formatted_body, new RegExp(`^hi <a href="https://matrix.to/#/${me.getUserId()}">me</a> and ` +
                                            `<a href="https://matrix.to/#/${ghost(alice)}">[^<]+</a>, <strong>read</strong> this$`));
  assert.deepEqual(c['m.mentions'].user_ids.sort(), [me.getUserId(), ghost(alice)].sort());
});

test("in a group, a member's quote of another member's message arrives as m.in_reply_to", async () => {
  const ts = await groupSends(alice, { body: 'chapter 3?' });
  const target = await inRoom((c) => c.body === 'chapter 3?', "Alice's question");
  await groupSends(bob, { body: 'yes, chapter 3', quote: { id: BigInt(ts), authorAci: alice.device.aci, text: 'chapter 3?',
                                                           attachments: null, bodyRanges: null, type: null, authorAciBinary: null } });
  const ev = await inRoom((c) => c.body === 'yes, chapter 3', "Bob's reply");
  assert.equal(ev.getWireContent()['m.relates_to']?.['m.in_reply_to']?.event_id, target.getId());
});

test('in a group, a Matrix reply with bold, italic and a pill reaches every member with ranges, a mention and a quote', async () => {
  const ts = await groupSends(bob, { body: 'who brings snacks?' });
  const target = await inRoom((c) => c.body === 'who brings snacks?', "Bob's question");
  const from = sb.received.length;
  await me.sendMessage(room, { msgtype: 'm.text', body: `> <${ghost(bob)}> who brings snacks?\n\nBob: **I** do _today_`,
    format: 'org.matrix.custom.html',
    formatted_body: `<mx-reply><blockquote>who brings snacks?</blockquote></mx-reply>` +
                    `<a href="https://matrix.to/#/${ghost(bob)}">Bob</a>: <b>I</b> do <i>today</i>`,
    'm.mentions': { user_ids: [ghost(bob)] },
    'm.relates_to': { 'm.in_reply_to': { event_id: target.getId() } } });
  const d = await membersGot(from, (x) => x.body === '\uFFFC: I do today', 'the reply');
  const rs = d.bodyRanges.map((r) => [r.start, r.length, r.associatedValue.style ?? r.associatedValue.mentionAci]);
  assert.deepEqual(rs.sort(), [[0, 1, bob.device.aci], [3, 1, BOLD], [8, 5, ITALIC]].sort());
  assert.ok(d.quote, 'a quote');
  assert.equal(Number(d.quote.id), ts);
  assert.equal(d.quote.authorAci, bob.device.aci);
  assert.equal(d.quote.text, 'who brings snacks?');
});

test('in a group, a Signal poll and a member\'s vote arrive as MSC3381 events; a Matrix vote reaches the members', { timeout: 120000 }, async () => {
  const pollTs = await groupSends(alice, { pollCreate: { question: 'Next book?', allowMultiple: false, options: ['Dune', 'Emma'] },
                                           requiredProtocolVersion: 8 });
  const start = await serverEvent((e) => e.type === `${POLL}.start` &&
    e.content[`${POLL}.start`].question['org.matrix.msc1767.text'] === 'Next book?', 'the poll in the group room');
  assert.equal(start.sender, ghost(alice));
  await groupSends(bob, { pollVote: { targetAuthorAciBinary: aciBytes(alice), targetSentTimestamp: BigInt(pollTs),
                                      optionIndexes: [1], voteCount: 1 } });
  const vote = await serverEvent((e) => e.type === `${POLL}.response` && e.sender === ghost(bob), "Bob's vote");
  assert.deepEqual(vote.content['m.relates_to'], { rel_type: 'm.reference', event_id: start.event_id });
  assert.deepEqual(vote.content[`${POLL}.response`].answers, ['1']);

  const from = sb.received.length;
  await me.sendEvent(room, `${POLL}.response`, { [`${POLL}.response`]: { answers: ['0'] },
                                                 'm.relates_to': { rel_type: 'm.reference', event_id: start.event_id } });
  const d = await membersGot(from, (x) => x.pollVote, 'the vote');
  assert.ok(Buffer.from(d.pollVote.targetAuthorAciBinary).equals(aciBytes(alice)));
  assert.equal(d.pollVote.targetSentTimestamp, BigInt(pollTs));
  assert.deepEqual(d.pollVote.optionIndexes, [0]);
});

test('in a group, a Matrix poll reaches every member as pollCreate, and their votes come back with its answer ids', { timeout: 120000 }, async () => {
  const from = sb.received.length;
  const { event_id: pollId } = await me.sendEvent(room, `${POLL}.start`, {
    [`${POLL}.start`]: { kind: `${POLL}.disclosed`, max_selections: 2, question: { 'org.matrix.msc1767.text': 'Meet when?' },
                         answers: [{ id: 'mon', 'org.matrix.msc1767.text': 'Monday' },
                                   { id: 'fri', 'org.matrix.msc1767.text': 'Friday' }] },
    'org.matrix.msc1767.text': 'Meet when?\n1. Monday\n2. Friday' });
  const d = await membersGot(from, (x) => x.pollCreate, 'the poll');
  assert.equal(d.pollCreate.question, 'Meet when?');
  assert.deepEqual(d.pollCreate.options, ['Monday', 'Friday']);
  assert.equal(d.pollCreate.allowMultiple, true);
  await groupSends(bob, { pollVote: { targetAuthorAciBinary: aciBytes(sb.phone), targetSentTimestamp: d.timestamp,
                                      optionIndexes: [1], voteCount: 1 } });
  const back = await serverEvent((e) => e.type === `${POLL}.response` && e.content['m.relates_to']?.event_id === pollId,
                                 "Bob's vote in Matrix");
  assert.equal(back.sender, ghost(bob));
  assert.deepEqual(back.content[`${POLL}.response`].answers, ['fri']);
});
