// Issue #6, step 5 and Deliver 1: group portals, chats known from the
// phone's storage, and Note to Self, with a real Matrix client
// (matrix-js-sdk) on mxhs and Signal's mock server as Signal. The phone
// creates two groups (one blocked) and stores them, with one accepted
// contact (Alice) and one merely known contact (Bob), in its storage
// service before the bridge is linked. The bridge reads the groups' titles
// and members from the mock's groups server (zkgroup credentials against
// the mock's own server params) and sends the user's text to the group.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { Homeserver } = require('./mxhs_harness.js');
const { startSandbox, decodeQr } = require('../../sandbox/sandbox.js');
const { BOT, SERVER, bridgeConfig, client, messages, until } = require('./bridge_lib.js');
const { StorageState, EMPTY_DATA_MESSAGE, EMPTY_GROUP_ACTIONS, Group, ReceiptType, Proto } = require('@signalapp/mock-server');

let hs;
let sb;
let me;          // the Matrix user
let botRoom;
let group;       // the group with both contacts
let blocked;     // a group the user blocked on the phone
let carol;       // a group member who is not among the phone's contacts
const ghost = (dev) => `@signal_${dev.device.aci}:${SERVER}`;
const hex = (g) => Buffer.from(g.id, 'base64').toString('hex');
const roomNamed = (name) => me.getRooms().find((r) => r.name === name && r.getMyMembership() === 'join');
const withMember = (uid) => me.getRooms().filter((r) => r.getMember(uid));
// the group's portal, whatever it is named now
const portalOf = (g) => dbRows(`SELECT room_id FROM br_portal WHERE chat_id = 'group:${hex(g)}'`)[0]?.[0];
const groupRoom = () => {
  const id = portalOf(group);
  const r = id && me.getRoom(id);
  return r && r.getMyMembership() === 'join' ? r : undefined;
};
const timeline = (room) => room.getLiveTimeline().getEvents();
const rel = (e) => e.getWireContent()['m.relates_to'] || {};
// A contact's raw Content to the linked device (1:1 encrypted), envelope timestamp ts.
const raw = (dev, content, ts) => dev.sendRaw(sb.device, { content, pniSignatureMessage: null,
                                                           senderKeyDistributionMessage: null }, { timestamp: ts });
// A DataMessage in the group (with its context), as Signal's apps send it.
const groupData = (ts, fields) => ({ dataMessage: { ...EMPTY_DATA_MESSAGE, timestamp: BigInt(ts),
                                                    groupV2: group.toContext(), ...fields } });
async function groupText(name, text) {
  const ts = Date.now();
  await sb.sendGroup(name, text, { group, timestamp: ts });
  const ev = await until(() => messages(me, groupRoom().roomId).find((e) => e.getContent().body === text),
                         `'${text}' in the group room`, 60000);
  return { ev, ts };
}

function dbRows(sql) {
  const db = path.join(hs.dir, 'signalbridge', 'signalbridge.db');
  const out = execFileSync('/usr/bin/python3', ['-c',
    'import json,sqlite3,sys;c=sqlite3.connect(sys.argv[1]);print(json.dumps(c.execute(sys.argv[2]).fetchall()))',
    db, sql]);
  return JSON.parse(out.toString());
}

test.before(async () => {
  sb = await startSandbox({});
  const { Alice, Bob } = sb.contacts;
  carol = await sb.mock.server.createPrimaryDevice({ profileName: 'Carol Stranger' });
  group = await sb.phone.createGroup({ title: 'Weekend trip', members: [sb.phone, Alice, Bob, carol] });
  blocked = await sb.phone.createGroup({ title: 'Spam', members: [sb.phone, Bob] });
  await sb.phone.setStorageState(StorageState.getEmpty()
    .addContact(Alice, { profileKey: Alice.profileKey.serialize(), givenName: 'Alice', familyName: 'Smith', whitelisted: true })
    .addContact(Bob, { givenName: 'Bob', familyName: 'Jones', whitelisted: false })
    .addGroup(group, { whitelisted: true })
    .addGroup(blocked, { whitelisted: true, blocked: true }));

  hs = new Homeserver();
  const zkParams = Buffer.from(sb.mock.server.zkSecret.getPublicParams().serialize()).toString('base64');
  fs.writeFileSync(hs.config, bridgeConfig(hs.dir, `      signal: {server: "${sb.url}", ca_file: "${sb.ca}", trust_root: "${sb.trustRoot}",
               server_public_params: "${zkParams}"}`));
  await hs.start();
  assert.equal(hs.registerUser('me', 'pw-me').status, 0);
  me = await client(hs, 'me');
  ({ room_id: botRoom } = await me.createRoom({ preset: 'trusted_private_chat', is_direct: true, invite: [BOT] }));
  await until(() => messages(me, botRoom, BOT)[0], 'the welcome message');
});

test.after(async () => {
  if (process.env.DUMP_HS_LOG && hs) console.log(hs.log);
  if (me) me.stopClient();
  if (hs) { await hs.stop(); hs.cleanup(); }
  if (sb) await sb.close();
});

test('after linking: invitations for the stored group, the accepted contact and Note to Self', async () => {
  const before = messages(me, botRoom, BOT).length;
  await me.sendTextMessage(botRoom, 'link');
  const img = await until(() => messages(me, botRoom, BOT).slice(before)
    .find((e) => e.getContent().msgtype === 'm.image'), 'the QR code', 30000);
  const [server, id] = img.getContent().url.slice(6).split('/');
  const res = await fetch(`${hs.base}/_matrix/client/v1/media/download/${server}/${id}`,
                          { headers: { Authorization: `Bearer ${me.getAccessToken()}` } });
  await sb.scan(decodeQr(Buffer.from(await res.arrayBuffer())));
  await until(() => messages(me, botRoom, BOT).some((e) => /^Successfully logged in as/.test(e.getContent().body)),
              'linked', 60000);

  // before any message: the group, the DM with the accepted contact, Note to Self
  const g = await until(groupRoom, 'the group portal', 60000)
    .catch((e) => { throw new Error(`${e.message}; rooms: ${JSON.stringify(me.getRooms().map((r) => r.name))}`); });
  const inviter = g.getMember(me.getUserId()).events.member;
  assert.notEqual(inviter.getPrevContent().is_direct, true, 'a group portal is not a direct chat');
  // (the members' ghosts are in the group room too: DMs are the other rooms)
  const dms = (dev) => withMember(ghost(dev)).filter((r) => r.roomId !== g.roomId);
  await until(() => dms(sb.contacts.Alice).length === 1, 'the DM with Alice', 60000);
  await until(() => roomNamed('Note to Self'), 'the Note to Self room', 60000);
  // All three came from one storage read, whose records the Signal thread
  // hands over together, before any later event: once a message Alice
  // writes now is bridged, a portal for Bob or the blocked group would
  // have been reserved already.
  await sb.send('Alice', 'after the storage read');
  await until(() => dms(sb.contacts.Alice).some((r) => messages(me, r.roomId).some((e) => e.getContent().body === 'after the storage read')),
              "Alice's message after the storage read", 60000);
  assert.equal(dbRows(`SELECT count(*) FROM br_portal WHERE chat_id = 'dm:${sb.contacts.Bob.device.aci}'`)[0][0], 0,
               'no DM portal for a contact the user never accepted a chat with');
  assert.equal(dms(sb.contacts.Bob).length, 0,
               'no DM for a contact the user never accepted a chat with');
  assert.ok(!me.getRooms().some((r) => r.name === 'Spam' || r.name === `Signal group ${hex(blocked).slice(0, 8)}`),
            'no portal for a blocked group');
  assert.equal(dbRows("SELECT count(*) FROM br_portal WHERE chat_id LIKE 'group:%'")[0][0], 1);
});

test("the group room has the group's Signal title and every member's ghost, before anyone writes", async () => {
  const g = groupRoom();
  await until(() => g.name === 'Weekend trip', "the group's title as the room name", 60000)
    .catch((e) => { throw new Error(`${e.message}; named '${g.name}'`); });
  // Carol is no contact of the phone and has written nothing: she is known from the member list only
  for (const dev of [sb.contacts.Alice, sb.contacts.Bob, carol]) {
    // eslint-disable-next-line no-await-in-loop
    await until(() => g.getMember(ghost(dev))?.membership === 'join', `${ghost(dev)} in the group room`, 60000);
  }
  assert.equal(g.getMember(ghost(sb.phone))?.membership, undefined, 'the user is not a ghost of their own');
  assert.equal(g.getJoinedMembers().length, 5, 'the user, the bot and three members');
  await until(() => g.getMember(ghost(carol))?.name === 'Carol Stranger (Signal)', "Carol's profile name", 60000)
    .catch((e) => { throw new Error(`${e.message}; named '${g.getMember(ghost(carol))?.name}'`); });
  assert.ok(!messages(me, g.roomId).some((e) => e.getSender() === ghost(carol)), 'Carol wrote nothing yet');
});

test("contacts' group messages appear in the group room from their ghosts", async () => {
  const { Alice, Bob } = sb.contacts;
  const g = groupRoom();
  const tsA = Date.now() - 60000;
  // Alice as Signal's apps send groups: sender key, sealed sender v2
  const distributionId = await Alice.sendSenderKey(sb.device, { timestamp: tsA - 1 });
  await Alice.sendText(sb.device, 'group hello from Alice', { sealed: true, group, distributionId, timestamp: tsA });
  // Bob with a plain 1:1-encrypted message that carries the group context
  const tsB = Date.now() - 30000;
  await sb.sendGroup('Bob', 'group hello from Bob', { group, timestamp: tsB });
  const a = await until(() => messages(me, g.roomId).find((e) => e.getContent().body === 'group hello from Alice'),
                        "Alice's group message", 60000);
  const b = await until(() => messages(me, g.roomId).find((e) => e.getContent().body === 'group hello from Bob'),
                        "Bob's group message", 60000);
  assert.equal(a.getSender(), ghost(Alice));
  assert.equal(b.getSender(), ghost(Bob));
  assert.equal(a.getTs(), tsA, 'the Signal timestamp');
  assert.equal(b.getTs(), tsB);
  assert.equal(g.getMember(ghost(Alice)).membership, 'join');
  assert.equal(g.getMember(ghost(Bob)).membership, 'join');
  // not in the DM with Alice
  const dm = withMember(ghost(Alice)).find((r) => r.roomId !== g.roomId);
  assert.ok(!messages(me, dm.roomId).some((e) => e.getContent().body === 'group hello from Alice'));
  // a second message from a member already in the room
  await Alice.sendText(sb.device, 'again from Alice', { sealed: true, group, distributionId, timestamp: tsA + 5 });
  await until(() => messages(me, g.roomId).find((e) => e.getContent().body === 'again from Alice'), 'the second message', 60000);
  assert.equal(messages(me, g.roomId).filter((e) => e.getContent().body === 'group hello from Alice').length, 1);
});

test('a member who is not a contact appears as they write, then with their profile name', async () => {
  const g = groupRoom();
  await carol.addSingleUseKey(sb.device, await sb.device.popSingleUseKey());
  await carol.sendText(sb.device, 'hi, I am new here', { group, withProfileKey: true, timestamp: Date.now() });
  const ev = await until(() => messages(me, g.roomId).find((e) => e.getContent().body === 'hi, I am new here'),
                         "Carol's group message", 60000);
  assert.equal(ev.getSender(), ghost(carol));
  await until(() => g.getMember(ghost(carol))?.name === 'Carol Stranger (Signal)', "Carol's profile name", 60000)
    .catch((e) => { throw new Error(`${e.message}; named '${g.getMember(ghost(carol))?.name}'`); });
  assert.deepEqual(withMember(ghost(carol)).map((r) => r.roomId), [g.roomId], 'no DM portal for a group message');
});

test('what the user sends to the group from the phone appears as the user', async () => {
  const g = groupRoom();
  const ts = Date.now() - 10000;
  // a sync transcript whose DataMessage carries the group context
  await sb.sendGroup('Phone', 'my own group message', { group, timestamp: ts });
  const ev = await until(() => messages(me, g.roomId).find((e) => e.getContent().body === 'my own group message'),
                         'the transcript in the group room', 60000);
  assert.equal(ev.getSender(), me.getUserId(), 'sent as the user (double puppeting)');
  assert.equal(ev.getTs(), ts);
});

test('reactions, deletes and edits made in the group on Signal land in the group room from the ghosts', async () => {
  const { Alice, Bob } = sb.contacts;
  const g = groupRoom();
  const dmAlice = withMember(ghost(Alice)).find((r) => r.roomId !== g.roomId);
  const { ev: target, ts: tsB } = await groupText('Bob', 'react to me in the group');
  // Alice reacts to Bob's group message
  const rts = Date.now();
  await raw(Alice, groupData(rts, { reaction: { emoji: '👍', remove: false, targetAuthorAci: Bob.device.aci,
                                                targetSentTimestamp: BigInt(tsB), targetAuthorAciBinary: null } }), rts);
  const reaction = await until(() => timeline(g).find((e) => e.getType() === 'm.reaction' &&
    rel(e).event_id === target.getId()), "Alice's reaction in the group room", 60000);
  assert.equal(reaction.getSender(), ghost(Alice));
  assert.equal(rel(reaction).key, '👍');
  assert.ok(!timeline(dmAlice).some((e) => e.getType() === 'm.reaction'), 'not in the DM with Alice');
  // Alice edits her own group message
  const { ev: mine, ts: tsA } = await groupText('Alice', 'meet at 5');
  const ets = Date.now();
  await raw(Alice, { editMessage: { targetSentTimestamp: BigInt(tsA),
    dataMessage: { ...EMPTY_DATA_MESSAGE, timestamp: BigInt(ets), body: 'meet at 6', groupV2: group.toContext() } } }, ets);
  const edit = await until(() => timeline(g).find((e) => rel(e).rel_type === 'm.replace' &&
    rel(e).event_id === mine.getId()), "Alice's edit in the group room", 60000);
  assert.equal(edit.getSender(), ghost(Alice));
  assert.equal(edit.getWireContent()['m.new_content'].body, 'meet at 6');
  // Bob deletes his group message for everyone
  const dts = Date.now();
  await raw(Bob, groupData(dts, { delete: { targetSentTimestamp: BigInt(tsB) } }), dts);
  await until(() => g.findEventById(target.getId())?.isRedacted(), "Bob's message redacted", 60000);
});

test('typing and read receipts of group members show in the group room', async () => {
  const { Alice } = sb.contacts;
  const g = groupRoom();
  const dmAlice = withMember(ghost(Alice)).find((r) => r.roomId !== g.roomId);
  let ts = Date.now();
  const groupId = Buffer.from(group.id, 'base64');
  await raw(Alice, { typingMessage: { timestamp: BigInt(ts), action: Proto.TypingMessage.Action.STARTED, groupId } }, ts);
  await until(() => g.getMember(ghost(Alice))?.typing === true, 'Alice typing in the group room', 60000);
  assert.notEqual(dmAlice.getMember(ghost(Alice))?.typing, true, 'not typing in the DM');
  ts = Date.now() + 1;
  await raw(Alice, { typingMessage: { timestamp: BigInt(ts), action: Proto.TypingMessage.Action.STOPPED, groupId } }, ts);
  await until(() => g.getMember(ghost(Alice))?.typing === false, 'Alice stops typing', 60000);
  // the user writes to the group from the phone; Alice reads it (receipts are 1:1 on Signal)
  const { ev, ts: mts } = await groupText('Phone', 'did everyone read this?');
  await Alice.sendReceipt(sb.device, { type: ReceiptType.Read, messageTimestamps: [mts], timestamp: Date.now() });
  await until(() => g.getEventReadUpTo(ghost(Alice)) === ev.getId(), "Alice's read receipt in the group room", 60000);
});

test('the user reads the group room: each author gets a Signal read receipt', async () => {
  const { Alice, Bob } = sb.contacts;
  const a = await groupText('Alice', 'read receipt for Alice');
  const b = await groupText('Bob', 'read receipt for Bob');
  const gotA = Alice.waitForReceipt();
  const gotB = Bob.waitForReceipt();
  await me.sendReadReceipt(b.ev);
  const within = (p, what) => Promise.race([p, new Promise((_, reject) =>
    setTimeout(() => reject(new Error(`no ${what}`)), 60000).unref())]);
  const ra = await within(gotA, "read receipt for Alice");
  const rb = await within(gotB, "read receipt for Bob");
  assert.equal(ra.receiptMessage.type, Proto.ReceiptMessage.Type.READ);
  assert.ok(ra.receiptMessage.timestamp.map(Number).includes(a.ts), "Alice's receipt names her message");
  assert.ok(!ra.receiptMessage.timestamp.map(Number).includes(b.ts), "not Bob's");
  assert.ok(rb.receiptMessage.timestamp.map(Number).includes(b.ts), "Bob's receipt names his message");
});

test('the user types in the group room: members get typing started, then stopped, in the group', async () => {
  // the mock decrypts typing messages but keeps no queue of them: watch what Bob's device decrypts
  const { Bob } = sb.contacts;
  const groupId = Buffer.from(group.id, 'base64');
  const typing = [];
  const decrypt = Bob.decrypt;
  Bob.decrypt = async function watched(...args) {
    const r = await decrypt.apply(this, args);
    const t = r && r.content && r.content.content && r.content.content.typingMessage;
    if (t) typing.push(t);
    return r;
  };
  try {
    const inGroup = (action) => typing.some((t) => t.action === action && t.groupId && Buffer.from(t.groupId).equals(groupId));
    await me.sendTyping(groupRoom().roomId, true, 20000);
    await until(() => inGroup(Proto.TypingMessage.Action.STARTED), 'typing started in the group on Signal', 60000);
    await me.sendTyping(groupRoom().roomId, false);
    await until(() => inGroup(Proto.TypingMessage.Action.STOPPED), 'typing stopped in the group on Signal', 60000);
  } finally {
    Bob.decrypt = decrypt;
  }
});

test('messages of a group the user blocked on the phone are not bridged', async () => {
  // timestamps in the past: Bob's next message must not share one (Signal dedupes by sender and timestamp)
  const ts = Date.now() - 5000;
  await sb.sendGroup('Bob', 'spam in the blocked group', { group: blocked, timestamp: ts });
  const rts = ts + 1;
  await raw(sb.contacts.Bob, { dataMessage: { ...EMPTY_DATA_MESSAGE, timestamp: BigInt(rts), groupV2: blocked.toContext(),
    reaction: { emoji: '😡', remove: false, targetAuthorAci: sb.contacts.Bob.device.aci,
                targetSentTimestamp: BigInt(ts), targetAuthorAciBinary: null } } }, rts);
  // Bob's next message, in the other group, arrives after them: they were handled
  await groupText('Bob', 'after the blocked group');
  assert.ok(!me.getRooms().some((r) => messages(me, r.roomId).some((e) => e.getContent().body === 'spam in the blocked group')),
            'the message is in no room');
  assert.equal(dbRows("SELECT count(*) FROM br_inbox WHERE body = 'spam in the blocked group'")[0][0], 0, 'not stored');
  assert.equal(dbRows("SELECT count(*) FROM br_relin WHERE text = '😡'")[0][0], 0, 'the reaction not stored');
  assert.equal(dbRows(`SELECT count(*) FROM br_portal WHERE chat_id = 'group:${hex(blocked)}'`)[0][0], 0, 'no portal');
  assert.deepEqual(dbRows('SELECT chat_id FROM br_blocked'), [[`group:${hex(blocked)}`]]);
});

test('what the user writes in the group room goes to every member, in the group', async () => {
  const g = groupRoom();
  const masterKey = Buffer.from(group.toContext().masterKey);
  const from = sb.received.length;
  const { event_id: eid } = await me.sendTextMessage(g.roomId, 'to the group from Matrix');
  const got = (name) => sb.received.slice(from).find((m) => m.to === name && m.body === 'to the group from Matrix');
  for (const name of ['Alice', 'Bob']) {
    // eslint-disable-next-line no-await-in-loop
    const m = await until(() => got(name), `${name} receives the group message`, 60000);
    assert.ok(m.dataMessage.groupV2, `${name}'s copy carries the group context`);
    assert.ok(Buffer.from(m.dataMessage.groupV2.masterKey).equals(masterKey), `${name}'s copy names the group`);
  }
  assert.equal(Number(got('Alice').dataMessage.timestamp), Number(got('Bob').dataMessage.timestamp),
               'one message, one timestamp');
  await until(() => dbRows(`SELECT state FROM br_outbox WHERE event_id = '${eid}'`)[0]?.[0] === 1,
              'the outbox row marked sent', 30000);
  // the phone gets the transcript, without a destination, in the group
  assert.ok(!messages(me, g.roomId, BOT).some((e) => /not supported/.test(e.getContent().body)), 'no refusal notice');
  // a member's reply to it arrives in the same room: both ways
  await groupText('Bob', 'got it, from Signal');
});

// What a member received from the bridge after index `from`, in the group.
function memberGot(name, from, pred) {
  const masterKey = Buffer.from(group.toContext().masterKey);
  return sb.received.slice(from).find((m) => m.to === name && m.dataMessage && pred(m.dataMessage) &&
    m.dataMessage.groupV2 && Buffer.from(m.dataMessage.groupV2.masterKey).equals(masterKey));
}

test("the user's reaction, edit and deletion in the group room reach the members, in the group", async () => {
  const { Alice } = sb.contacts;
  const g = groupRoom();
  // a reaction to Alice's group message
  const { ev, ts } = await groupText('Alice', 'react from Matrix to this');
  let from = sb.received.length;
  await me.sendEvent(g.roomId, 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: ev.getId(), key: '🎉' } });
  for (const name of ['Alice', 'Bob']) {
    // eslint-disable-next-line no-await-in-loop
    const m = await until(() => memberGot(name, from, (d) => d.reaction && d.reaction.emoji === '🎉'),
                          `${name} gets the reaction`, 60000);
    assert.equal(Number(m.dataMessage.reaction.targetSentTimestamp), ts);
    assert.equal(m.dataMessage.reaction.targetAuthorAci, Alice.device.aci);
  }
  // the user's own group message, edited, then deleted
  from = sb.received.length;
  const { event_id: eid } = await me.sendTextMessage(g.roomId, 'lunch at noon');
  const sent = await until(() => memberGot('Bob', from, (d) => d.body === 'lunch at noon'), 'Bob gets the text', 60000);
  const mts = Number(sent.dataMessage.timestamp);
  await until(() => dbRows(`SELECT state FROM br_outbox WHERE event_id = '${eid}'`)[0]?.[0] === 1, 'sent', 30000);
  const edited = Alice.waitForEditMessage();
  await me.sendMessage(g.roomId, { msgtype: 'm.text', body: '* lunch at one',
    'm.new_content': { msgtype: 'm.text', body: 'lunch at one' }, 'm.relates_to': { rel_type: 'm.replace', event_id: eid } });
  const edit = await Promise.race([edited, new Promise((_, reject) =>
    setTimeout(() => reject(new Error('no EditMessage for Alice')), 60000).unref())]);
  assert.equal(Number(edit.editMessage.targetSentTimestamp), mts);
  assert.equal(edit.editMessage.dataMessage.body, 'lunch at one');
  assert.ok(Buffer.from(edit.editMessage.dataMessage.groupV2.masterKey).equals(Buffer.from(group.toContext().masterKey)),
            'the edit is in the group');
  from = sb.received.length;
  await me.redactEvent(g.roomId, eid);
  await until(() => memberGot('Bob', from, (d) => d.delete && Number(d.delete.targetSentTimestamp) === mts),
              'Bob gets the delete for everyone', 60000);
  assert.ok(!messages(me, g.roomId, BOT).some((e) => /not sent to Signal/.test(e.getContent().body)), 'no refusal notice');
});

test('a file the user sends to the group room reaches the members', async () => {
  const g = groupRoom();
  const from = sb.received.length;
  const bytes = Buffer.from('group file bytes');
  const r = await hs.req('POST', '/_matrix/media/v3/upload?filename=g.txt',
                         { token: me.getAccessToken(), raw: bytes, headers: { 'Content-Type': 'text/plain' } });
  assert.equal(r.status, 200, r.body.toString());
  await me.sendMessage(g.roomId, { msgtype: 'm.file', body: 'g.txt', url: r.json.content_uri,
                                   info: { mimetype: 'text/plain', size: bytes.length } });
  for (const name of ['Alice', 'Bob']) {
    // eslint-disable-next-line no-await-in-loop
    const m = await until(() => memberGot(name, from, (d) => (d.attachments || []).length === 1),
                          `${name} gets the file in the group`, 60000);
    const [att] = m.dataMessage.attachments;
    assert.equal(att.fileName, 'g.txt');
    assert.equal(att.contentType, 'text/plain');
    assert.equal(Number(att.size), bytes.length);
  }
});

test('a new title on Signal renames the group room', async () => {
  // the phone renames the group on the groups server (revision + 1) ...
  const server = sb.mock.server;
  const serverGroup = await server.getGroup(group.publicParams.serialize());
  await server.modifyGroup({
    group: serverGroup,
    actions: { ...EMPTY_GROUP_ACTIONS, version: group.revision + 1,
               modifyTitle: { title: group.encryptBlob({ content: { title: 'Weekend trip (Sunday)' } }) } },
    aciCiphertext: group.encryptServiceId(sb.phone.device.aci),
  });
  const renamed = new Group({ secretParams: group.secretParams, groupState: serverGroup.state });
  assert.equal(renamed.revision, group.revision + 1);
  // ... and the next group message carries the new revision
  await sb.contacts.Bob.sendText(sb.device, 'we moved it to Sunday', { group: renamed, timestamp: Date.now() });
  await until(() => messages(me, groupRoom().roomId).find((e) => e.getContent().body === 'we moved it to Sunday'),
              'the message with the new revision', 60000);
  await until(() => groupRoom().name === 'Weekend trip (Sunday)', 'the room renamed', 60000)
    .catch((e) => { throw new Error(`${e.message}; named '${groupRoom().name}'`); });
});

test("a group's disappearing timer set on Signal becomes the room's com.beeper.disappearing_timer", async () => {
  // the phone sets the timer on the groups server: a
  // modifyDisappearingMessageTimer action, its blob encrypted with the
  // group's key (Signal-Desktop ts/groups.ts buildDisappearingMessagesTimerChange)
  const server = sb.mock.server;
  const serverGroup = await server.getGroup(group.publicParams.serialize());
  const current = new Group({ secretParams: group.secretParams, groupState: serverGroup.state });
  await server.modifyGroup({
    group: serverGroup,
    actions: { ...EMPTY_GROUP_ACTIONS, version: current.revision + 1,
               modifyDisappearingMessageTimer: {
                 timer: group.encryptBlob({ content: { disappearingMessagesDuration: 3600 } }) } },
    aciCiphertext: group.encryptServiceId(sb.phone.device.aci),
  });
  const after = new Group({ secretParams: group.secretParams, groupState: serverGroup.state });
  assert.equal(after.revision, current.revision + 1);
  // the next group message carries the new revision: the bridge reads the state
  await sb.contacts.Bob.sendText(sb.device, 'messages vanish after an hour now', { group: after, timestamp: Date.now() });
  await until(() => messages(me, groupRoom().roomId).find((e) => e.getContent().body === 'messages vanish after an hour now'),
              'the message with the new revision', 60000);
  const STATE = 'com.beeper.disappearing_timer';
  await until(() => groupRoom().currentState.getStateEvents(STATE, '')?.getContent().timer === 3600000,
              "the room's disappearing timer", 60000);
  assert.deepEqual(groupRoom().currentState.getStateEvents(STATE, '').getContent(), { type: 'after_read', timer: 3600000 });
  await until(() => timeline(groupRoom()).find((e) => e.getContent().msgtype === 'm.notice' &&
    /disappearing messages are set to 1 hour/.test(e.getContent().body)), 'the notice', 60000);
});

test('a member removed on Signal: their ghost leaves the group room', async () => {
  const server = sb.mock.server;
  const serverGroup = await server.getGroup(group.publicParams.serialize());
  const current = new Group({ secretParams: group.secretParams, groupState: serverGroup.state });
  await server.modifyGroup({
    group: serverGroup,
    actions: { ...EMPTY_GROUP_ACTIONS, version: current.revision + 1,
               deleteMembers: [{ deletedUserId: group.encryptServiceId(carol.device.aci) }] },
    aciCiphertext: group.encryptServiceId(sb.phone.device.aci),
  });
  const after = new Group({ secretParams: group.secretParams, groupState: serverGroup.state });
  await sb.contacts.Alice.sendText(sb.device, 'Carol is out', { group: after, timestamp: Date.now() });
  await until(() => messages(me, groupRoom().roomId).find((e) => e.getContent().body === 'Carol is out'),
              'the message with the new revision', 60000);
  await until(() => groupRoom().getMember(ghost(carol))?.membership === 'leave', "Carol's ghost leaves", 60000)
    .catch((e) => { throw new Error(`${e.message}; membership '${groupRoom().getMember(ghost(carol))?.membership}'`); });
  assert.equal(groupRoom().getMember(ghost(sb.contacts.Alice)).membership, 'join', 'the others stay');
  assert.equal(groupRoom().getMember(ghost(sb.contacts.Bob)).membership, 'join');
});

test('unblocking the group on the phone opens its portal, and its messages are bridged from then on', async () => {
  const state = await sb.phone.getStorageState();
  await sb.phone.setStorageState(state.updateGroup(blocked, { blocked: false }));
  await sb.phone.sendFetchStorage({ timestamp: Date.now() });
  const room = await until(() => {
    const id = portalOf(blocked);
    const r = id && me.getRoom(id);
    return r && r.getMyMembership() === 'join' ? r : undefined;
  }, 'the portal of the unblocked group', 60000);
  await until(() => room.name === 'Spam', 'its Signal title', 60000);
  assert.deepEqual(dbRows('SELECT chat_id FROM br_blocked'), [], 'no longer blocked');
  await sb.sendGroup('Bob', 'not spam any more', { group: blocked, timestamp: Date.now() });
  await until(() => messages(me, room.roomId).find((e) => e.getContent().body === 'not spam any more'),
              'a message of the unblocked group', 60000);
  assert.ok(!messages(me, room.roomId).some((e) => e.getContent().body === 'spam in the blocked group'),
            'what came while it was blocked stays dropped');
});

test('Note to Self both ways', async () => {
  const room = roomNamed('Note to Self');
  // from the phone: a transcript whose destination is the user's own number
  const ts = Date.now() - 5000;
  const env = await sb.phone.encryptSyncSent(sb.device, 'note from my phone',
                                             { timestamp: ts, destinationServiceId: sb.phone.device.aci });
  await sb.mock.server.send(sb.device, env);
  const ev = await until(() => messages(me, room.roomId).find((e) => e.getContent().body === 'note from my phone'),
                         'the note in Matrix', 60000);
  assert.equal(ev.getSender(), me.getUserId());
  assert.equal(ev.getTs(), ts);

  // from Matrix: the phone gets a transcript to itself (as from Signal's apps)
  const synced = sb.phone.waitForSyncMessage((e) => e.syncMessage.content?.sent?.message?.body === 'note from Matrix');
  const { event_id: eid } = await me.sendTextMessage(room.roomId, 'note from Matrix');
  const got = await Promise.race([synced,
    new Promise((_, rej) => setTimeout(() => rej(new Error('the phone got no Note-to-Self transcript')), 60000).unref())]);
  const sent = got.syncMessage.content.sent;
  assert.equal(Buffer.from(sent.destinationServiceIdBinary).toString('hex'),
               sb.phone.device.aci.replace(/-/g, ''), 'the destination is the user');
  assert.equal(sb.phone.getMessageQueueSize(), 0,
            'no plain DataMessage to the phone');
  await until(() => dbRows(`SELECT state FROM br_outbox WHERE event_id = '${eid}'`)[0]?.[0] === 1,
              'the outbox row marked sent', 30000);
});

test('a restart: a group message sent meanwhile arrives once, nothing is recreated', async () => {
  const name = 'Weekend trip (Sunday)';
  const roomId = groupRoom().roomId;
  const renames = async () => {
    const r = await hs.req('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=1000`,
                           { token: me.getAccessToken() });
    assert.equal(r.status, 200);
    return r.json.chunk.filter((e) => e.type === 'm.room.name').length;
  };
  const renamesBefore = await renames();
  me.stopClient();
  await hs.stop();
  const logFrom = hs.log.length;
  // written while the bridge is down: the mock queues it for the device
  const queued = sb.contacts.Bob.sendText(sb.device, 'group message while down', { group, timestamp: Date.now() });
  await hs.start();
  me = await client(hs, 'me');
  await queued;
  const find = (body) => messages(me, roomId).filter((e) => e.getContent().body === body);
  const ev = await until(() => find('group message while down')[0], 'the queued group message', 60000);
  assert.equal(ev.getSender(), ghost(sb.contacts.Bob));
  await sb.contacts.Alice.sendText(sb.device, 'group after the restart', { group, timestamp: Date.now() });
  await until(() => find('group after the restart')[0], 'a group message after the restart', 60000);
  assert.equal(find('group message while down').length, 1, 'no duplicate');
  assert.equal(find('group hello from Alice').length, 1, 'no duplicate of earlier messages');
  // the storage read at start found the same group and contact: no new portals
  assert.equal(me.getRooms().filter((r) => r.name === name).length, 1);
  // the groups' state is fetched again at start: the unchanged title
  // renames nothing (the bridge logs the end of that fetch either way)
  const said = () => hs.log.slice(logFrom).split('\n').filter((l) => l.includes(`group room ${roomId}`));
  await until(() => said().length, "the group's state fetched again at start", 60000);
  assert.match(said()[0], /its Signal title is unchanged/, 'the unchanged title renames nothing');
  assert.equal(await renames(), renamesBefore, 'no new m.room.name event');
  assert.deepEqual(dbRows("SELECT chat_id FROM br_portal WHERE chat_id NOT LIKE 'dm:%'").map((r) => r[0]).sort(),
                   [`group:${hex(group)}`, `group:${hex(blocked)}`, 'self'].sort());
  assert.equal(dbRows(`SELECT count(*) FROM br_portal_member WHERE room_id = '${roomId}'`)[0][0], 2,
               'Alice and Bob joined once each (Carol left)');
});
