// Group changes made in Matrix reach Signal (issue #14's leftovers: every
// kind both ways). A real Matrix client (matrix-js-sdk) on mxhs with
// signalbridge.so, and Signal's own mock server as the groups server: the
// user renames the group's portal, sets its topic, or sets its
// disappearing timer with `!signal disappearing`; the bridge changes the
// group on the groups server (PATCH /v2/groups, as Signal-Desktop
// ts/groups.ts modifyGroupV2) and sends the members the group update
// (groupV2 {masterKey, revision, groupChange}). The mock applies changes
// as production does (tests/lib/signal-groupchanges.js: descriptions).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { ClientZkGroupCipher, NotarySignature } = require('@signalapp/libsignal-client/zkgroup');
const { Homeserver } = require('./mxhs_harness.js');
const { startSandbox } = require('../../sandbox/sandbox.js');
const { SERVER, BOT, bridgeConfig, client, messages, until, linkWithBot } = require('./bridge_lib.js');
const { StorageState, EMPTY_GROUP_ACTIONS, Proto } = require('@signalapp/mock-server');

let hs;
let sb;
let me;          // the Matrix user
let club;        // the group the phone made (every member an admin)
let room;        // its portal
let board;       // a group where only admins may change attributes, the phone not admin
let boardRoom;

const T = 60000;
const ghost = (dev) => `@signal_${dev.device.aci}:${SERVER}`;
const serverGroup = (g) => sb.mock.server.getGroup(g.publicParams.serialize());
// a GroupAttributeBlob of group g, opened as a member's client does
const openBlob = (g, blob) => Proto.GroupAttributeBlob.decode(
  new ClientZkGroupCipher(g.secretParams).decryptBlob(Buffer.from(blob))).content;
const titleAt = async (g) => openBlob(g, (await serverGroup(g)).state.title).title;
const notices = (r) => messages(me, r, BOT).filter((e) => e.getContent().msgtype === 'm.notice');

// What a member received from the bridge after index `from` in group g
// with a group change (a group update: no body).
function updateGot(name, from, g) {
  const masterKey = Buffer.from(g.toContext().masterKey);
  return sb.received.slice(from).find((m) => m.to === name && m.dataMessage?.groupV2?.groupChange?.length &&
    Buffer.from(m.dataMessage.groupV2.masterKey).equals(masterKey));
}

// The Actions of a received group change, checked as a member's client
// does: signed by the groups server (ServerPublicParams.verifySignature).
function changeActions(groupV2) {
  const change = Proto.GroupChange.decode(Buffer.from(groupV2.groupChange));
  sb.mock.server.zkSecret.getPublicParams()
    .verifySignature(Buffer.from(change.actions), new NotarySignature(Buffer.from(change.serverSignature)));
  return Proto.GroupChange.Actions.decode(Buffer.from(change.actions));
}

test.before(async () => {
  sb = await startSandbox({});
  const { Alice, Bob } = sb.contacts;
  club = await sb.phone.createGroup({ title: 'Book club', members: [sb.phone, Alice, Bob] });
  // Alice's board: only admins change its name, topic and timer, and the
  // user (the phone) is a plain member; the state an admin's
  // modifyAttributesAccess and modifyMemberRoles would leave (the mock
  // applies neither action, so the fixture is written as that state)
  board = await Alice.createGroup({ title: 'Notice board', members: [Alice, sb.phone, Bob] });
  const sg = await serverGroup(board);
  sg.state.accessControl.attributes = Proto.AccessControl.AccessRequired.ADMINISTRATOR;
  sg.getMember(new (require('@signalapp/libsignal-client/zkgroup').UuidCiphertext)(
    board.encryptServiceId(sb.phone.device.aci))).role = Proto.Member.Role.DEFAULT;
  let state = StorageState.getEmpty();
  for (const [name, c] of Object.entries(sb.contacts)) {
    state = state.addContact(c, { profileKey: c.profileKey.serialize(), givenName: name, whitelisted: true });
  }
  await sb.phone.setStorageState(state.addGroup(club, { whitelisted: true })
    .addGroup(board, { whitelisted: true }));

  hs = new Homeserver();
  const zkParams = Buffer.from(sb.mock.server.zkSecret.getPublicParams().serialize()).toString('base64');
  fs.writeFileSync(hs.config, bridgeConfig(hs.dir, `      permissions: {"${SERVER}": user}
      signal: {server: "${sb.url}", ca_file: "${sb.ca}", trust_root: "${sb.trustRoot}",
               server_public_params: "${zkParams}"}`));
  await hs.start();
  assert.equal(hs.registerUser('me', 'pw-me').status, 0);
  me = await client(hs, 'me');
  await linkWithBot(hs, sb, me, T);
  const portal = (title) => until(() => me.getRooms().find((r) => r.name === title && r.getMyMembership() === 'join' &&
    r.getMember(ghost(Alice))?.membership === 'join' && r.getMember(ghost(Bob))?.membership === 'join'),
  `the portal of '${title}' with both members`, T);
  room = (await portal('Book club')).roomId;
  boardRoom = (await portal('Notice board')).roomId;
});

test.after(async () => {
  if (process.env.DUMP_HS_LOG && hs) console.log(hs.log);
  if (me) me.stopClient();
  if (hs) { await hs.stop(); hs.cleanup(); }
  if (sb) await sb.close();
});

test("renaming the group's room in Matrix renames the group on Signal, and the members get the signed change", async () => {
  const before = (await serverGroup(club)).revision;
  const from = sb.received.length;
  await me.setRoomName(room, 'Book club (June)');
  await until(async () => (await titleAt(club)) === 'Book club (June)', "the group's title at the groups server", T);
  assert.equal((await serverGroup(club)).revision, before + 1, 'one change, revision + 1');
  for (const name of ['Alice', 'Bob']) {
    // eslint-disable-next-line no-await-in-loop
    const m = await until(() => updateGot(name, from, club), `${name} gets the group update`, T);
    assert.equal(m.dataMessage.groupV2.revision, before + 1, `${name}'s update names the new revision`);
    const actions = changeActions(m.dataMessage.groupV2);
    assert.equal(actions.version, before + 1);
    assert.equal(openBlob(club, actions.modifyTitle.title).title, 'Book club (June)',
                 `${name}'s client reads the new title from the change`);
  }
  // the bridge's own echo of the new state renames nothing: the room keeps
  // the user's name and the bot sent no m.room.name after it
  assert.equal(me.getRoom(room).name, 'Book club (June)');
  assert.ok(!notices(room).some((e) => /not changed on Signal/.test(e.getContent().body)), 'no failure notice');
});

test("the room's topic becomes the group's description on Signal", async () => {
  const from = sb.received.length;
  await me.setRoomTopic(room, 'We read one book a month');
  await until(async () => {
    const blob = (await serverGroup(club)).state.description;
    return blob?.length && openBlob(club, blob).descriptionText === 'We read one book a month';
  }, "the group's description at the groups server", T);
  const m = await until(() => updateGot('Alice', from, club), 'Alice gets the group update', T);
  assert.equal(openBlob(club, changeActions(m.dataMessage.groupV2).modifyDescription.description).descriptionText,
               'We read one book a month');
});

test("`!signal disappearing 1h` in the group's room sets the group's timer on Signal", async () => {
  await me.sendTextMessage(room, '!signal disappearing 1h');
  await until(async () => {
    const blob = (await serverGroup(club)).state.disappearingMessagesTimer;
    return blob?.length && openBlob(club, blob).disappearingMessagesDuration === 3600;
  }, "the group's timer at the groups server", T);
  // and the room shows it, from the group's new state
  const STATE = 'com.beeper.disappearing_timer';
  await until(() => me.getRoom(room).currentState.getStateEvents(STATE, '')?.getContent().timer === 3600000,
              "the room's disappearing timer", T);
  assert.ok(!notices(room).some((e) => /cannot be set from Matrix/.test(e.getContent().body)), 'no refusal');
});

test('a change meeting a newer revision (409) is rebuilt on the new state and made', async () => {
  // Bob changes the timer on the groups server; the bridge hears nothing of it
  const sg = await serverGroup(club);
  const rev = sg.revision;
  const res = await sb.mock.server.modifyGroup({
    group: sg,
    actions: { ...EMPTY_GROUP_ACTIONS, version: rev + 1,
               modifyDisappearingMessageTimer: { timer: club.encryptBlob({ content: { disappearingMessagesDuration: 60 } }) } },
    aciCiphertext: club.encryptServiceId(sb.contacts.Bob.device.aci),
  });
  assert.ok(!res.conflict);
  const conflicts = sb.mock.groupChanges.conflicts;
  await me.setRoomName(room, 'Book club (July)');
  await until(async () => (await titleAt(club)) === 'Book club (July)', 'the new title at the groups server', T);
  assert.ok(sb.mock.groupChanges.conflicts > conflicts, 'the first try met the newer revision (409)');
  const after = await serverGroup(club);
  assert.equal(after.revision, rev + 2, "Bob's change, then ours");
  assert.equal(openBlob(club, after.state.disappearingMessagesTimer).disappearingMessagesDuration, 60,
               "Bob's timer is kept");
});

test('in a group where only admins change the name, a member cannot: a notice, and nothing changes', async () => {
  const applied = sb.mock.groupChanges.applied.length;
  await me.setRoomName(boardRoom, 'My board now');
  await until(() => notices(boardRoom).find((e) => /only its admins/.test(e.getContent().body)),
              'the notice that only admins may change it', T);
  await me.sendTextMessage(boardRoom, '!signal disappearing 1d');
  await until(() => notices(boardRoom).filter((e) => /only its admins/.test(e.getContent().body)).length === 2,
              'the notice for the timer too', T);
  assert.equal(await titleAt(board), 'Notice board', 'the title is unchanged at the groups server');
  assert.equal(sb.mock.groupChanges.applied.length, applied, 'no change was made');
  // the room does not keep a name the group does not have
  await until(() => me.getRoom(boardRoom).name === 'Notice board', 'the room named after the group again', T);
});
