'use strict';
// Groups v2 end to end: the mock phone creates a group with two contacts
// (the group state lives on the mock's groups server, zkgroup by libsignal
// 0.100); a contact writes in it, our C device (signalctl) sees the group
// message, fetches group auth credentials (GET /v1/certificate/auth/group,
// verified with the mock's ServerPublicParams), presents one to GET
// /storageService/v2/groups and decrypts title and members. Then it sends
// to the group: each contact's libsignal gets a DataMessage with the
// group's master key, the phone a SyncMessage.Sent transcript. Wrong
// public params are a clear, typed error.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const path = require('path');
const { startMock } = require('../lib/signal-mock');
const { Ctl, tmpDb, linkDevice } = require('./signalctl-lib');

const MOCK_DIR = path.dirname(require.resolve('@signalapp/mock-server/package.json'));
const ZK = JSON.parse(fs.readFileSync(path.join(MOCK_DIR, 'certs', 'zk-params.json'), 'utf8'));
const SIG_ERR_ZK_PARAMS = -1317;

// Run one send command; its send_started must be 0, then wait for its
// send_done (the n-th of both) and return it.
async function sendAndWait(ctl, line) {
  const before = ctl.events.filter((e) => e.event === 'send_done').length;
  const nStarted = ctl.events.filter((e) => e.event === 'send_started').length;
  ctl.send(line);
  const started = await ctl.waitCount((e) => e.event === 'send_started', nStarted + 1, 10000, 'send_started');
  assert.strictEqual(started[nStarted].code, 0, `${line}: ${JSON.stringify(started[nStarted])}`);
  const done = await ctl.waitCount((e) => e.event === 'send_done', before + 1, 20000, 'send_done');
  assert.strictEqual(done[before].code, undefined, `${line}: ${JSON.stringify(done[before])}`);
  return done[before];
}

test('a group from the phone: state fetched, text sent to every member', async () => {
  const mock = await startMock();
  let ctl;
  let ctl2;
  try {
    const alice = await mock.server.createPrimaryDevice({ profileName: 'Alice' });
    const bob = await mock.server.createPrimaryDevice({ profileName: 'Bob' });
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Me', contacts: [alice, bob] });
    const db = tmpDb();
    const r = await linkDevice(mock, phone, db, ['--server-params', ZK.publicParams], [alice, bob]);
    ctl = r.ctl;
    await ctl.waitFor((e) => e.event === 'conn' && e.conn === 2, 10000, 'online');

    const group = await phone.createGroup({ title: 'Climbing Saturday', members: [phone, alice, bob] });
    const gidHex = Buffer.from(group.id, 'base64').toString('hex');

    // a contact writes in the group: the message names the group, and
    // the client fetches the group's state by itself
    await alice.sendText(r.device, 'who brings the rope?', { group, withProfileKey: true });
    const msg = await ctl.waitFor((e) => e.event === 'message' && e.body === 'who brings the rope?',
      20000, 'group message');
    assert.strictEqual(msg.group, true);
    const upd = await ctl.waitFor((e) => e.event === 'group_updated' && e.group_id === gidHex,
      20000, 'group_updated');
    assert.strictEqual(upd.code, undefined, JSON.stringify(upd));
    assert.strictEqual(upd.id, group.id);
    assert.strictEqual(upd.title, 'Climbing Saturday');
    assert.strictEqual(upd.revision, group.revision);
    assert.deepStrictEqual(upd.members.map((m) => m.aci).sort(),
      [phone.device.aci, alice.device.aci, bob.device.aci].sort());
    for (const m of upd.members) assert.strictEqual(m.profile_key, true, JSON.stringify(m));
    assert.doesNotMatch(ctl.stderr, /Climbing/, 'the title is not logged');
    // bob never wrote to us: his profile key came only with the group
    // state, and it opens his profile (name 'Bob')
    assert.ok(!ctl.events.some((e) => e.event === 'contact' && e.aci === bob.device.aci &&
      e.has_profile_key && ctl.events.indexOf(e) < ctl.events.indexOf(upd)), 'no key for bob before');
    const bobContact = await ctl.waitFor((e) => e.event === 'contact' && e.aci === bob.device.aci &&
      e.name === 'Bob', 20000, "bob's profile name");
    assert.strictEqual(bobContact.has_profile_key, true);

    // the stored state, listed
    ctl.send('groups');
    const info = await ctl.waitFor((e) => e.event === 'group_info' && e.group_id === gidHex, 10000, 'group_info');
    assert.strictEqual(info.title, 'Climbing Saturday');
    assert.strictEqual(info.members.length, 3);

    // send to the group: one copy per contact, a transcript to the phone
    ctl.send(`send-group ${group.id} I do`);
    const started = await ctl.waitFor((e) => e.event === 'send_started', 10000, 'send_started');
    assert.strictEqual(started.code, 0, JSON.stringify(started));
    const done = await ctl.waitFor((e) => e.event === 'send_done', 20000, 'send_done');
    assert.strictEqual(done.code, undefined, JSON.stringify(done));
    assert.strictEqual(String(done.timestamp), String(started.timestamp));
    for (const contact of [alice, bob]) {
      // eslint-disable-next-line no-await-in-loop
      const got = await contact.waitForMessage();
      assert.strictEqual(got.body, 'I do');
      assert.strictEqual(got.source.aci, phone.device.aci);
      assert.ok(got.dataMessage.groupV2, 'carries the group context');
      assert.strictEqual(Buffer.from(got.dataMessage.groupV2.masterKey).toString('hex'),
        group.masterKey.toString('hex'));
      assert.strictEqual(got.dataMessage.groupV2.revision, group.revision);
      assert.strictEqual(String(got.dataMessage.timestamp), String(done.timestamp));
    }
    const sent = await phone.waitForSyncMessage((e) => e.syncMessage.content?.sent != null);
    const s = sent.syncMessage.content.sent;
    assert.strictEqual(s.message.body, 'I do');
    assert.strictEqual(Buffer.from(s.message.groupV2.masterKey).toString('hex'), group.masterKey.toString('hex'));
    assert.ok(!s.destinationServiceId && !(s.destinationServiceIdBinary && s.destinationServiceIdBinary.length),
      'a group transcript has no destination');
    assert.deepStrictEqual(s.unidentifiedStatus.map((u) => u.destinationServiceId).sort(),
      [alice.device.aci, bob.device.aci].sort());

    // the other kinds of message go the same way: a reaction to alice's
    // message, an edit and a delete of ours, a file
    const mk = group.masterKey.toString('hex');
    const inGroup = (dm) => dm.groupV2 && Buffer.from(dm.groupV2.masterKey).toString('hex') === mk;
    await sendAndWait(ctl, `react-group ${group.id} 👍 ${alice.device.aci} ${msg.timestamp}`);
    for (const contact of [alice, bob]) {
      // eslint-disable-next-line no-await-in-loop
      const got = await contact.waitForMessage();
      assert.ok(inGroup(got.dataMessage), 'reaction in the group');
      assert.strictEqual(got.dataMessage.reaction.emoji, '👍');
      assert.strictEqual(String(got.dataMessage.reaction.targetSentTimestamp), String(msg.timestamp));
    }
    await sendAndWait(ctl, `edit-group ${group.id} ${done.timestamp} I do, 60 m`);
    for (const contact of [alice, bob]) {
      // eslint-disable-next-line no-await-in-loop
      const got = await contact.waitForEditMessage();
      const em = got.editMessage || got.content?.editMessage || got;
      assert.strictEqual(String(em.targetSentTimestamp), String(done.timestamp), JSON.stringify(Object.keys(got)));
      assert.strictEqual(em.dataMessage.body, 'I do, 60 m');
      assert.ok(inGroup(em.dataMessage), 'edit in the group');
    }
    await sendAndWait(ctl, `delete-group ${group.id} ${done.timestamp}`);
    for (const contact of [alice, bob]) {
      // eslint-disable-next-line no-await-in-loop
      const got = await contact.waitForMessage();
      assert.ok(inGroup(got.dataMessage), 'delete in the group');
      assert.strictEqual(String(got.dataMessage.delete.targetSentTimestamp), String(done.timestamp));
    }
    // typing in the group: fire and forget (the mock ignores typing), but
    // it advances each session, so the next message proves it was readable
    ctl.send(`typing-group ${group.id} 1`);
    const ty = await ctl.waitFor((e) => e.event === 'typing_sent', 10000, 'typing_sent');
    assert.strictEqual(ty.code, 0, JSON.stringify(ty));
    const file = path.join(path.dirname(db), 'topo.txt');
    fs.writeFileSync(file, 'route: 6a+, 25 m\n'.repeat(100));
    await sendAndWait(ctl, `sendfile-group ${group.id} ${file} the topo`);
    for (const contact of [alice, bob]) {
      // eslint-disable-next-line no-await-in-loop
      const got = await contact.waitForMessage();
      assert.ok(inGroup(got.dataMessage), 'file in the group');
      assert.strictEqual(got.body, 'the topo');
      assert.strictEqual(got.dataMessage.attachments.length, 1);
      assert.strictEqual(got.dataMessage.attachments[0].size, 1700);
      assert.strictEqual(got.dataMessage.attachments[0].fileName, 'topo.txt');
    }
    await ctl.stop();
    ctl = null;

    // the same account with Signal production's params (the default): the
    // mock's credentials do not verify against them
    ctl2 = new Ctl(mock, db, ['receive']);
    await ctl2.waitFor((e) => e.event === 'conn' && e.conn === 2, 10000, 'online again');
    ctl2.send(`group-fetch ${group.id}`);
    const st2 = await ctl2.waitFor((e) => e.event === 'group_fetch_started', 10000, 'fetch started');
    assert.strictEqual(st2.code, 0, JSON.stringify(st2));
    const bad = await ctl2.waitFor((e) => e.event === 'group_updated', 20000, 'group_updated');
    assert.strictEqual(bad.code, SIG_ERR_ZK_PARAMS, JSON.stringify(bad));
    assert.match(bad.error, /zkgroup server public params/);
    await ctl2.stop();

    // malformed params: refused at once
    ctl2 = new Ctl(mock, db, ['--server-params', 'AAAA', 'receive']);
    await ctl2.waitFor((e) => e.event === 'conn' && e.conn === 2, 10000, 'online again');
    ctl2.send(`group-fetch ${group.id}`);
    const st3 = await ctl2.waitFor((e) => e.event === 'group_fetch_started', 10000, 'fetch started');
    assert.strictEqual(st3.code, SIG_ERR_ZK_PARAMS, JSON.stringify(st3));
    // the log line explains it (stderr may trail stdout a little)
    for (let i = 0; i < 50 && !/server public params are not valid/.test(ctl2.stderr); i++) {
      // eslint-disable-next-line no-await-in-loop
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.match(ctl2.stderr, /server public params are not valid/);
    // the stored state is still there for the bridge
    ctl2.send('groups');
    const info2 = await ctl2.waitFor((e) => e.event === 'group_info', 10000, 'group_info');
    assert.strictEqual(info2.title, 'Climbing Saturday');
    await ctl2.stop();
    ctl2 = null;
  } finally {
    if (ctl) await ctl.kill();
    if (ctl2) await ctl2.kill();
    await mock.close();
  }
});

test('the stored state follows the group: newer revisions, groups from storage', async () => {
  // eslint-disable-next-line global-require
  const { StorageState } = require('@signalapp/mock-server');
  const mock = await startMock();
  let ctl;
  try {
    const alice = await mock.server.createPrimaryDevice({ profileName: 'Alice' });
    const bob = await mock.server.createPrimaryDevice({ profileName: 'Bob' });
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Me', contacts: [alice, bob] });
    const r = await linkDevice(mock, phone, tmpDb(), ['--server-params', ZK.publicParams], [alice, bob]);
    ctl = r.ctl;
    await ctl.waitFor((e) => e.event === 'conn' && e.conn === 2, 10000, 'online');

    // the phone changes the timer: its update (revision 1, with a
    // groupChange) reaches us as a transcript; we fetch revision 1
    let group = await phone.createGroup({ title: 'Timer group', members: [phone, alice] });
    const gidHex = Buffer.from(group.id, 'base64').toString('hex');
    group = await phone.modifyGroupDisappearingMessageTimer(group, 3600,
      { timestamp: Date.now(), sendUpdateTo: [{ device: r.device }] });
    assert.strictEqual(group.revision, 1);
    const upd = await ctl.waitFor((e) => e.event === 'group_updated' && e.group_id === gidHex,
      20000, 'group_updated after the timer change');
    assert.strictEqual(upd.code, undefined, JSON.stringify(upd));
    assert.strictEqual(upd.revision, 1);
    assert.strictEqual(upd.timer, 3600);
    assert.strictEqual(upd.title, 'Timer group');

    // groups known only from the storage service are fetched too; more
    // of them than the client fetches at once (4), so some wait their turn
    const group2 = await phone.createGroup({ title: 'From storage', members: [phone, bob] });
    const gid2Hex = Buffer.from(group2.id, 'base64').toString('hex');
    let state = StorageState.getEmpty().addGroup(group2, { whitelisted: true });
    const more = [];
    for (let i = 0; i < 6; i++) {
      // eslint-disable-next-line no-await-in-loop
      const g = await phone.createGroup({ title: `Crag ${i}`, members: [phone, alice, bob] });
      more.push(g);
      state = state.addGroup(g, { whitelisted: true });
    }
    await phone.setStorageState(state);
    await phone.sendFetchStorage({ timestamp: Date.now() });
    const upd2 = await ctl.waitFor((e) => e.event === 'group_updated' && e.group_id === gid2Hex,
      20000, 'group_updated from storage');
    assert.strictEqual(upd2.code, undefined, JSON.stringify(upd2));
    assert.strictEqual(upd2.title, 'From storage');
    assert.deepStrictEqual(upd2.members.map((m) => m.aci).sort(), [phone.device.aci, bob.device.aci].sort());
    for (const [i, g] of more.entries()) {
      const hex = Buffer.from(g.id, 'base64').toString('hex');
      // eslint-disable-next-line no-await-in-loop
      const u = await ctl.waitFor((e) => e.event === 'group_updated' && e.group_id === hex,
        20000, `group_updated for Crag ${i}`);
      assert.strictEqual(u.code, undefined, JSON.stringify(u));
      assert.strictEqual(u.title, `Crag ${i}`);
      assert.strictEqual(u.members.length, 3);
    }
    // one credential request served every group (cached per day)
    ctl.send('groups');
    await ctl.waitFor((e) => e.event === 'groups_end', 10000, 'groups_end');
    const listed = ctl.events.filter((e) => e.event === 'group_info');
    assert.deepStrictEqual(listed.map((e) => e.group_id).sort(),
      [gidHex, gid2Hex].concat(more.map((g) => Buffer.from(g.id, 'base64').toString('hex'))).sort());
    assert.strictEqual((ctl.stderr.match(/group credentials received/g) || []).length, 1, ctl.stderr);
    await ctl.stop();
    ctl = null;
  } finally {
    if (ctl) await ctl.kill();
    await mock.close();
  }
});

test('removed from a group: sends are refused with a clear error, not fanned out', async () => {
  // eslint-disable-next-line global-require
  const { Group, EMPTY_GROUP_ACTIONS } = require('@signalapp/mock-server');
  const mock = await startMock();
  let ctl;
  try {
    const alice = await mock.server.createPrimaryDevice({ profileName: 'Alice' });
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Me', contacts: [alice] });
    const r = await linkDevice(mock, phone, tmpDb(), ['--server-params', ZK.publicParams], [alice]);
    ctl = r.ctl;
    await ctl.waitFor((e) => e.event === 'conn' && e.conn === 2, 10000, 'online');
    const group = await phone.createGroup({ title: 'Short-lived', members: [phone, alice] });
    const gidHex = Buffer.from(group.id, 'base64').toString('hex');
    await alice.sendText(r.device, 'welcome', { group });
    await ctl.waitFor((e) => e.event === 'group_updated' && e.group_id === gidHex && e.code === undefined,
      20000, 'group_updated');
    await sendAndWait(ctl, `send-group ${group.id} still here`); // a member: it goes out

    // Alice removes us on the groups server, then writes with the new revision
    const server = mock.server;
    const serverGroup = await server.getGroup(group.publicParams.serialize());
    await server.modifyGroup({
      group: serverGroup,
      actions: { ...EMPTY_GROUP_ACTIONS, version: group.revision + 1,
                 deleteMembers: [{ deletedUserId: group.encryptServiceId(phone.device.aci) }] },
      aciCiphertext: group.encryptServiceId(alice.device.aci),
    });
    const after = new Group({ secretParams: group.secretParams, groupState: serverGroup.state });
    const n = ctl.events.filter((e) => e.event === 'group_updated' && e.group_id === gidHex).length;
    await alice.sendText(r.device, 'bye', { group: after });
    const upd = await ctl.waitCount((e) => e.event === 'group_updated' && e.group_id === gidHex, n + 1,
      20000, 'group_updated after the removal');
    assert.ok(!upd[n].members || !upd[n].members.some((m) => m.aci === phone.device.aci),
      `we are no longer listed: ${JSON.stringify(upd[n])}`);

    const nStarted = ctl.events.filter((e) => e.event === 'send_started').length;
    ctl.send(`send-group ${group.id} am I still here?`);
    const started = await ctl.waitCount((e) => e.event === 'send_started', nStarted + 1, 10000, 'send_started');
    assert.strictEqual(started[nStarted].code, -1318, `refused: ${JSON.stringify(started[nStarted])}`);
  } finally {
    if (ctl) await ctl.kill();
    await mock.close();
  }
});
