// Reactions, deletes, edits, read receipts and typing through the bridge,
// both ways (issue #6),
// the way people make them: a real Matrix client (matrix-js-sdk) on mxhs
// with signalbridge.so, and Signal's own mock server with a simulated phone
// whose contacts react, delete and edit with real Signal messages.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { Homeserver } = require('./mxhs_harness.js');
const { startSandbox } = require('../../sandbox/sandbox.js');
const { BOT, SERVER, bridgeConfig, client, messages, until, linkWithBot } = require('./bridge_lib.js');
const { EMPTY_DATA_MESSAGE, ReceiptType, Proto } = require('@signalapp/mock-server');
const { ServiceId } = require('@signalapp/libsignal-client');

let hs;
let sb;
let alice;
let botRoom;
let dmRoom;          // alice's portal with Bob
let bob;             // Bob's mock primary device
let puppet;          // Bob's ghost

const T = 60000;

function config(dir) {
  return bridgeConfig(dir, `      permissions: {"${SERVER}": user}
      signal: {server: "${sb.url}", ca_file: "${sb.ca}", trust_root: "${sb.trustRoot}"}`);
}

function timeline(roomId) {
  const room = alice.getRoom(roomId);
  return room ? room.getLiveTimeline().getEvents() : [];
}

function rel(e) { return e.getWireContent()['m.relates_to'] || {}; }

// Bob sends a raw Content to the linked device, with envelope timestamp ts.
function bobSends(content, ts) {
  return bob.sendRaw(sb.device, { content, pniSignatureMessage: null, senderKeyDistributionMessage: null },
                     { timestamp: ts });
}
const dataMessage = (ts, fields) => ({ dataMessage: { ...EMPTY_DATA_MESSAGE, timestamp: BigInt(ts), ...fields } });

// A text from Bob with a known Signal timestamp; resolves to its Matrix event.
async function bobText(text) {
  const ts = Date.now();
  await sb.send('Bob', text, { timestamp: ts });
  const ev = await until(() => messages(alice, dmRoom || undefined).find((e) => e.getContent().body === text)
    || alice.getRooms().flatMap((r) => messages(alice, r.roomId)).find((e) => e.getContent().body === text),
  `'${text}' in Matrix`, T);
  return { ev, ts };
}

// What Bob received from the bridge after index `from`, matching pred.
function bobGot(pred, from = 0) {
  return sb.received.slice(from).find((m) => m.to === 'Bob' && m.dataMessage && pred(m.dataMessage));
}

// A text from alice in Matrix; resolves to its event id and Signal timestamp.
async function aliceText(text) {
  const { event_id: eventId } = await alice.sendTextMessage(dmRoom, text);
  const got = await until(() => bobGot((d) => d.body === text), `Bob receives '${text}'`, T);
  return { eventId, ts: Number(got.dataMessage.timestamp) };
}

test.before(async () => {
  sb = await startSandbox({});
  bob = sb.contacts.Bob;
  hs = new Homeserver();
  fs.writeFileSync(hs.config, config(hs.dir));
  await hs.start();
  assert.equal(hs.registerUser('alice', 'pw-alice').status, 0);
  alice = await client(hs, 'alice');
  botRoom = await linkWithBot(hs, sb, alice, T);
  const first = await bobText('hello alice');
  dmRoom = first.ev.getRoomId();
  puppet = first.ev.getSender();
  assert.notEqual(puppet, alice.getUserId());
});

test.after(async () => {
  if (process.env.DUMP_HS_LOG && hs) console.log(hs.log);
  if (alice) alice.stopClient();
  if (hs) { await hs.stop(); hs.cleanup(); }
  if (sb) await sb.close();
});

test('a contact reacts on Signal: an m.reaction on that message from their ghost; taking it back redacts it', async () => {
  const { ev, ts } = await bobText('react to this');
  const rts = Date.now();
  await bobSends(dataMessage(rts, { reaction: { emoji: '👍', remove: false, targetAuthorAci: bob.device.aci,
                                                 targetSentTimestamp: BigInt(ts), targetAuthorAciBinary: null } }), rts);
  const reaction = await until(() => timeline(dmRoom).find((e) => e.getType() === 'm.reaction' &&
    rel(e).event_id === ev.getId()), 'the m.reaction', T);
  assert.equal(rel(reaction).rel_type, 'm.annotation');
  assert.equal(rel(reaction).key, '👍');
  assert.equal(reaction.getSender(), puppet);
  const rts2 = Date.now() + 1;
  await bobSends(dataMessage(rts2, { reaction: { emoji: '👍', remove: true, targetAuthorAci: bob.device.aci,
                                                  targetSentTimestamp: BigInt(ts), targetAuthorAciBinary: null } }), rts2);
  await until(() => reaction.isRedacted(), 'the reaction redacted', T);
});

test('the user reacts in Matrix: the contact gets a Signal reaction to the right message; redacting removes it', async () => {
  const { ev, ts } = await bobText('react here, alice');
  const from = sb.received.length;
  const { event_id: reactionId } = await alice.sendEvent(dmRoom, 'm.reaction', {
    'm.relates_to': { rel_type: 'm.annotation', event_id: ev.getId(), key: '❤️' } });
  const got = await until(() => bobGot((d) => d.reaction && !d.reaction.remove, from), 'the Signal reaction', T);
  const r = got.dataMessage.reaction;
  assert.equal(r.emoji, '❤️');
  assert.equal(Number(r.targetSentTimestamp), ts);
  assert.equal(r.targetAuthorAci, bob.device.aci);
  await alice.redactEvent(dmRoom, reactionId);
  const gone = await until(() => bobGot((d) => d.reaction && d.reaction.remove, from), 'the removal', T);
  assert.equal(gone.dataMessage.reaction.emoji, '❤️');
  assert.equal(Number(gone.dataMessage.reaction.targetSentTimestamp), ts);
});

test("the user reacts to their own bridged message; the contact's reaction to it lands on it", async () => {
  const { eventId, ts } = await aliceText('my own words');
  const from = sb.received.length;
  await alice.sendEvent(dmRoom, 'm.reaction', {
    'm.relates_to': { rel_type: 'm.annotation', event_id: eventId, key: '🎉' } });
  const got = await until(() => bobGot((d) => d.reaction && d.reaction.emoji === '🎉', from), 'the reaction', T);
  assert.equal(Number(got.dataMessage.reaction.targetSentTimestamp), ts);
  assert.equal(got.dataMessage.reaction.targetAuthorAci, sb.phone.device.aci, "the target's author is the user");
  const rts = Date.now();
  await bobSends(dataMessage(rts, { reaction: { emoji: '😂', remove: false, targetAuthorAci: sb.phone.device.aci,
                                                 targetSentTimestamp: BigInt(ts), targetAuthorAciBinary: null } }), rts);
  const reaction = await until(() => timeline(dmRoom).find((e) => e.getType() === 'm.reaction' &&
    rel(e).event_id === eventId && rel(e).key === '😂'), "Bob's reaction in Matrix", T);
  assert.equal(reaction.getSender(), puppet);
});

test('a contact deletes a message on Signal: the Matrix event is redacted', async () => {
  const { ev, ts } = await bobText('oops, wrong chat');
  const dts = Date.now();
  await bobSends(dataMessage(dts, { delete: { targetSentTimestamp: BigInt(ts) } }), dts);
  await until(() => ev.isRedacted(), 'the message redacted', T);
  assert.equal(ev.getUnsigned().redacted_because?.sender ?? puppet, puppet);
});

test('the user redacts a message they sent: the contact gets a delete for everyone', async () => {
  const { eventId, ts } = await aliceText('delete me later');
  const from = sb.received.length;
  await alice.redactEvent(dmRoom, eventId);
  const got = await until(() => bobGot((d) => d.delete, from), 'the Signal delete', T);
  assert.equal(Number(got.dataMessage.delete.targetSentTimestamp), ts);
});

test('a contact edits on Signal: an m.replace with the new text', async () => {
  const { ev, ts } = await bobText('see you at 5');
  const ets = Date.now();
  await bobSends({ editMessage: { targetSentTimestamp: BigInt(ts),
                                  dataMessage: { ...EMPTY_DATA_MESSAGE, body: 'see you at 6', timestamp: BigInt(ets) } } }, ets);
  const edit = await until(() => timeline(dmRoom).find((e) => e.getType() === 'm.room.message' &&
    rel(e).rel_type === 'm.replace' && rel(e).event_id === ev.getId()), 'the edit', T);
  assert.equal(edit.getWireContent()['m.new_content'].body, 'see you at 6');
  assert.equal(edit.getSender(), puppet);
  // it is an edit, not a new message
  assert.ok(!messages(alice, dmRoom).some((e) => e.getWireContent().body === 'see you at 6' && !rel(e).rel_type));
});

test('the user edits a bridged message in Matrix: the contact gets an EditMessage of the original', async () => {
  const { eventId, ts } = await aliceText('meet at the station');
  await alice.sendMessage(dmRoom, {
    msgtype: 'm.text', body: '* meet at the bridge',
    'm.new_content': { msgtype: 'm.text', body: 'meet at the bridge' },
    'm.relates_to': { rel_type: 'm.replace', event_id: eventId } });
  const got = await Promise.race([bob.waitForEditMessage(),
    new Promise((_, reject) => setTimeout(() => reject(new Error('no EditMessage')), T).unref())]);
  assert.equal(Number(got.editMessage.targetSentTimestamp), ts);
  assert.equal(got.editMessage.dataMessage.body, 'meet at the bridge');
  assert.ok(!bobGot((d) => d.body === '* meet at the bridge'), 'not sent as a new text');
});

test('reactions from the user\'s phone appear as the user and are not sent back to Signal', async () => {
  const { ev, ts } = await bobText('phone reaction target');
  const from = sb.received.length;
  const rts = Date.now();
  // as Signal's apps send it: SyncMessage.Sent with the binary service id
  const sent = { destinationServiceIdBinary: ServiceId.parseFromServiceIdString(bob.device.aci).getServiceIdBinary(),
                 destinationServiceId: null, timestamp: BigInt(rts),
                 message: { ...EMPTY_DATA_MESSAGE, timestamp: BigInt(rts),
                            reaction: { emoji: '👀', remove: false, targetAuthorAci: bob.device.aci,
                                        targetSentTimestamp: BigInt(ts), targetAuthorAciBinary: null } } };
  await sb.phone.sendRaw(sb.device, { content: { syncMessage: { content: { sent } } }, pniSignatureMessage: null,
                                      senderKeyDistributionMessage: null }, { timestamp: rts });
  const reaction = await until(() => timeline(dmRoom).find((e) => e.getType() === 'm.reaction' &&
    rel(e).event_id === ev.getId() && rel(e).key === '👀'), 'the reaction as the user', T);
  assert.equal(reaction.getSender(), alice.getUserId());
  // a later message reaches Bob; no reaction came back before it
  await aliceText('after the phone reaction');
  assert.equal(bobGot((d) => d.reaction && d.reaction.emoji === '👀', from), undefined);
});

test('a text from the user\'s phone is not sent back to the contact', async () => {
  const from = sb.received.length;
  await sb.fromPhone('Bob', 'typed on the phone');
  await until(() => timeline(dmRoom).find((e) => e.getContent().body === 'typed on the phone'), 'the transcript', T);
  await aliceText('after the phone text');
  assert.equal(bobGot((d) => d.body === 'typed on the phone', from), undefined);
});

function within(promise, what) {
  return Promise.race([promise, new Promise((_, reject) =>
    setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), T).unref())]);
}

test("the contact reads the user's message on Signal: a read receipt from their ghost in Matrix", async () => {
  const { eventId, ts } = await aliceText('did you read this?');
  await bob.sendReceipt(sb.device, { type: ReceiptType.Read, messageTimestamps: [ts], timestamp: Date.now() });
  await until(() => alice.getRoom(dmRoom).getEventReadUpTo(puppet) === eventId, "the ghost's read receipt", T);
});

test('the contact types on Signal: their ghost types in Matrix, and stops', async () => {
  const member = () => alice.getRoom(dmRoom).getMember(puppet);
  let ts = Date.now();
  await bobSends({ typingMessage: { timestamp: BigInt(ts), action: Proto.TypingMessage.Action.STARTED, groupId: null } }, ts);
  await until(() => member()?.typing === true, 'the ghost typing', T);
  ts = Date.now() + 1;
  await bobSends({ typingMessage: { timestamp: BigInt(ts), action: Proto.TypingMessage.Action.STOPPED, groupId: null } }, ts);
  await until(() => member()?.typing === false, 'the ghost stops typing', T);
});

test('the user reads in Matrix: the contact gets a Signal read receipt, the phone a read sync', async () => {
  const { ev, ts } = await bobText('read me please');
  await alice.sendReadReceipt(ev);
  const got = await within(bob.waitForReceipt(), 'the Signal read receipt');
  assert.equal(got.receiptMessage.type, Proto.ReceiptMessage.Type.READ);
  assert.ok(got.receiptMessage.timestamp.map(Number).includes(ts), 'the receipt names the message');
  const sync = await within(sb.phone.waitForSyncMessage((e) => (e.syncMessage.read || []).length > 0),
                            "the phone's read sync");
  const bobBin = Buffer.from(ServiceId.parseFromServiceIdString(bob.device.aci).getServiceIdBinary());
  assert.ok(sync.syncMessage.read.some((r) => Number(r.timestamp) === ts &&
    Buffer.from(r.senderAciBinary).equals(bobBin)), 'the read sync names the message and its author');
});

test("the user reads on the phone: the contact's messages show as read by the user in Matrix", async () => {
  const first = await bobText('first unread');
  await bobText('second unread');
  const env = await sb.phone.encryptSyncRead(sb.device, { timestamp: Date.now(),
    messages: [{ senderAci: bob.device.aci, timestamp: first.ts }] });
  await sb.mock.server.send(sb.device, env);
  await until(() => alice.getRoom(dmRoom).getEventReadUpTo(alice.getUserId(), true) === first.ev.getId(),
              "the user's read receipt on the first message", T);
  // the phone already told Bob: the bridge does not send him a receipt again
  await aliceText('after reading on the phone');
  assert.equal(bob.getReceiptQueueSize(), 0);
});

test('the user types in Matrix: the contact gets typing started, then stopped', async () => {
  // Bob's device (the mock) decrypts typing messages but keeps no queue of
  // them: watch what it decrypts.
  const typing = [];
  const decrypt = bob.decrypt;
  bob.decrypt = async function watched(...args) {
    const r = await decrypt.apply(this, args);
    const t = r && r.content && r.content.content && r.content.content.typingMessage;
    if (t) typing.push(t.action);
    return r;
  };
  try {
    await alice.sendTyping(dmRoom, true, 20000);
    await until(() => typing.includes(Proto.TypingMessage.Action.STARTED), 'typing started on Signal', T);
    await alice.sendTyping(dmRoom, false);
    await until(() => typing.includes(Proto.TypingMessage.Action.STOPPED), 'typing stopped on Signal', T);
  } finally {
    bob.decrypt = decrypt;
  }
});

test('the user deletes on the phone a message sent from Matrix: redacted in Matrix, not sent back', async () => {
  const { eventId, ts } = await aliceText('I regret this');
  const from = sb.received.length;
  const dts = Date.now();
  const sent = { destinationServiceIdBinary: ServiceId.parseFromServiceIdString(bob.device.aci).getServiceIdBinary(),
                 destinationServiceId: null, timestamp: BigInt(dts),
                 message: { ...EMPTY_DATA_MESSAGE, timestamp: BigInt(dts), delete: { targetSentTimestamp: BigInt(ts) } } };
  await sb.phone.sendRaw(sb.device, { content: { syncMessage: { content: { sent } } }, pniSignatureMessage: null,
                                      senderKeyDistributionMessage: null }, { timestamp: dts });
  await until(() => alice.getRoom(dmRoom).findEventById(eventId)?.isRedacted(), 'the message redacted', T);
  await aliceText('after the phone deleted');
  assert.equal(bobGot((d) => d.delete, from), undefined, 'the delete is not sent to Signal again');
});

test('a restart loses and doubles nothing: a reaction sent while the bridge was down arrives once', async () => {
  const { ev, ts } = await bobText('react while I am away');
  const from = sb.received.length;
  alice.stopClient();
  await hs.stop();
  // made while the bridge is down: the mock queues it for the device
  const rts = Date.now();
  const queued = bobSends(dataMessage(rts, { reaction: { emoji: '🔥', remove: false, targetAuthorAci: bob.device.aci,
                                                          targetSentTimestamp: BigInt(ts), targetAuthorAciBinary: null } }), rts);
  await hs.start();
  alice = await client(hs, 'alice');
  await queued;
  const fire = () => timeline(dmRoom).filter((e) => e.getType() === 'm.reaction' && rel(e).key === '🔥' &&
    rel(e).event_id === ev.getId());
  await until(() => fire().length > 0, 'the queued reaction', T);
  await bobText('back again');
  assert.equal(fire().length, 1, 'the queued reaction once');
  const eyes = timeline(dmRoom).filter((e) => e.getType() === 'm.reaction' && rel(e).key === '👀');
  assert.equal(eyes.length, 1, "the phone's earlier reaction not bridged again");
  await aliceText('still here');
  assert.equal(bobGot((d) => d.reaction || d.delete, from), undefined, 'nothing sent to Signal again');
  assert.equal(bob.getEditQueueSize(), 0, 'no edit sent again');
});
