// Issue #15 item 2: what the user writes in a bridged group goes out as
// Signal's clients send it (Signal-Desktop ts/util/sendToGroup.ts,
// signalmeow pkg/signalmeow/senderkey.go): our sender key to each member
// once (a SenderKeyDistributionMessage, 1:1), then every message encrypted
// once with it and sealed once for all (sealed sender v2) in one PUT
// /v1/messages/multi_recipient. Signal's mock server is the peer: its
// members decrypt with libsignal; the request route is our harness's
// (tests/lib/signal-multirecipient.js, Signal-Server's behaviour), which
// counts every request. Covered: the first and later messages, a member
// who adds a device (409, then a retry with their new device holding our
// key), a device with a new registration id (410, a new session, our key
// again), and a member who unregistered (named in the 200's uuids404:
// everyone else still gets it, and the send counts as done).
// The request is authorised as Signal's clients do now: with a
// Group-Send-Token made from the group send endorsements the groups server
// hands out with the group state (libsignal GroupSendEndorsementsResponse,
// Signal-Desktop ts/util/sendToGroup.ts step 10), which the harness
// verifies with libsignal as Signal-Server does; so a member whose profile
// key we do not know takes our sender key too (test 6); endorsements about
// to expire send by access keys and fetch the group again (test 7).
// And a burst written into a group while a member still waits for our key:
// one send of the chat at a time, in the order written, our key to each
// member once (Signal-Desktop sends a conversation's messages one at a
// time: ts/jobs/conversationJobQueue.ts, and its group sends and typing
// through the conversation's one-at-a-time queueJob,
// ts/models/conversations.ts).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { Homeserver } = require('./mxhs_harness.js');
const { startSandbox } = require('../../sandbox/sandbox.js');
const { BOT, bridgeConfig, client, messages, until, linkWithBot } = require('./bridge_lib.js');
const { StorageState, Proto } = require('@signalapp/mock-server');

let hs;
let sb;
let me;
let group;
let burst;         // a second group, for the burst test
let members;       // name -> PrimaryDevice
const got = [];    // {to, body, envelopeType, ts, dataMessage}
// a 1x1 PNG
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4a80000000049454e44ae426082', 'hex');
const hex = (g) => Buffer.from(g.id, 'base64').toString('hex');

function dbExec(sql) {
  const db = path.join(hs.dir, 'signalbridge', 'signalbridge.db');
  execFileSync('/usr/bin/python3', ['-c',
    'import sqlite3,sys;c=sqlite3.connect(sys.argv[1],timeout=30);c.execute(sys.argv[2]);c.commit()', db, sql]);
}

function dbRows(sql) {
  const db = path.join(hs.dir, 'signalbridge', 'signalbridge.db');
  const out = execFileSync('/usr/bin/python3', ['-c',
    'import json,sqlite3,sys;c=sqlite3.connect(sys.argv[1]);print(json.dumps(c.execute(sys.argv[2]).fetchall()))',
    db, sql]);
  return JSON.parse(out.toString());
}
const portalOf = (g) => dbRows(`SELECT room_id FROM br_portal WHERE chat_id = 'group:${hex(g)}'`)[0]?.[0];
const portal = () => portalOf(group);
const mr = () => sb.mock.multiRecipient;
const aciOf = (name) => members[name].device.aci;

// Every member's received messages (the sandbox listens to Alice and Bob).
function listen(name, dev) {
  (async () => {
    for (;;) {
      let m;
      try { m = await dev.waitForMessage(); } catch { return; }
      got.push({ to: name, body: m.body ?? m.dataMessage?.body ?? '', envelopeType: m.envelopeType,
                 ts: Number(m.dataMessage?.timestamp ?? 0), dataMessage: m.dataMessage });
    }
  })();
}

async function sendAndWait(text, names) {
  const { event_id: eid } = await me.sendTextMessage(portal(), text);
  for (const name of names) {
    // eslint-disable-next-line no-await-in-loop
    await until(() => got.find((g) => g.to === name && g.body === text) ||
                      sb.received.find((r) => r.to === name && r.body === text),
                `${name} receives '${text}'`, 60000);
  }
  await until(() => dbRows(`SELECT state FROM br_outbox WHERE event_id = '${eid}'`)[0]?.[0] === 1,
              `'${text}' marked sent`, 60000);
  return eid;
}
const envelopeOf = (name, text) => (got.find((g) => g.to === name && g.body === text)?.envelopeType);
// PUTs to members' accounts (1:1 copies or distribution messages)
const singlesTo = (from, names) => mr().singles.slice(from).filter((s) => names.some((n) => s.serviceId === aciOf(n)));

test.before(async () => {
  sb = await startSandbox({});
  const { Alice, Bob } = sb.contacts;
  const carol = await sb.mock.server.createPrimaryDevice({ profileName: 'Carol Group' });
  const dave = await sb.mock.server.createPrimaryDevice({ profileName: 'Dave Group' });
  members = { Alice, Bob, Carol: carol, Dave: dave };
  group = await sb.phone.createGroup({ title: 'Sender keys', members: [sb.phone, Alice, Bob, carol, dave] });
  burst = await sb.phone.createGroup({ title: 'Burst', members: [sb.phone, Alice, Bob, carol, dave] });
  await sb.phone.setStorageState(StorageState.getEmpty()
    .addContact(Alice, { profileKey: Alice.profileKey.serialize(), givenName: 'Alice', familyName: 'Smith', whitelisted: true })
    .addContact(Bob, { profileKey: Bob.profileKey.serialize(), givenName: 'Bob', familyName: 'Jones', whitelisted: true })
    .addGroup(group, { whitelisted: true })
    .addGroup(burst, { whitelisted: true }));
  listen('Carol', carol);
  listen('Dave', dave);
  hs = new Homeserver();
  const zkParams = Buffer.from(sb.mock.server.zkSecret.getPublicParams().serialize()).toString('base64');
  fs.writeFileSync(hs.config, bridgeConfig(hs.dir, `      signal: {server: "${sb.url}", ca_file: "${sb.ca}", trust_root: "${sb.trustRoot}",
               server_public_params: "${zkParams}"}`));
  await hs.start();
  assert.equal(hs.registerUser('me', 'pw-me').status, 0);
  me = await client(hs, 'me');
  await linkWithBot(hs, sb, me);
  await until(() => portal() && me.getRoom(portal())?.getMyMembership() === 'join', 'the group portal', 60000);
  await until(() => portalOf(burst) && me.getRoom(portalOf(burst))?.getMyMembership() === 'join', 'the burst portal', 60000);
  // our sealed-sender certificate (fetched at connection) and the
  // members' profile keys (from the group's state) are in the store
  await until(() => dbRows("SELECT count(*) FROM record WHERE kind = 'account' AND key = 'sender_cert'")[0][0] === 1,
              'the sender certificate', 30000);
  await until(() => dbRows("SELECT count(*) FROM record WHERE kind = 'profile_key'")[0][0] >= 4,
              "the members' profile keys", 30000);
});

test.after(async () => {
  if (process.env.DUMP_HS_LOG && hs) console.log(hs.log);
  if (me) me.stopClient();
  if (hs) { await hs.stop(); hs.cleanup(); }
  if (sb) await sb.close();
});

test('the first message: our key to each member 1:1, then one multi-recipient request for all', async () => {
  const all = ['Alice', 'Bob', 'Carol', 'Dave'];
  mr().reset();
  await sendAndWait('first, with our sender key', all);
  const ok = mr().requests.filter((r) => r.status === 200);
  assert.equal(mr().requests.length, 1, `one multi-recipient request: ${JSON.stringify(mr().requests)}`);
  assert.equal(ok.length, 1);
  assert.deepEqual(Object.keys(ok[0].recipients).sort(), all.map(aciOf).sort(), 'every member but us');
  // sealed: on the unauthenticated socket, so the server cannot tell who
  // sent it (signalmeow's UnauthedWS, libsignal's unauthenticated chat)
  assert.equal(ok[0].authenticated, false, 'sent without our credentials');
  // authorised by the group's send endorsements, not access keys
  assert.equal(ok[0].auth, 'token');
  // the distribution messages: one 1:1 send per member, nothing else
  assert.equal(singlesTo(0, all).length, all.length, JSON.stringify(mr().singles));
  // each sealed with the member's access key, as Desktop hands out its key
  // (sendSenderKeyDistributionMessage → OutgoingMessage.doSendMessage):
  // on the unauthenticated socket, every device's message UNIDENTIFIED_SENDER
  for (const s of singlesTo(0, all)) {
    assert.equal(s.authenticated, false, `our key to ${s.serviceId} without our credentials`);
    assert.ok(s.types.length > 0 && s.types.every((t) => t === 6), `sealed envelopes: ${JSON.stringify(s.types)}`);
  }
  for (const name of ['Carol', 'Dave']) assert.equal(envelopeOf(name, 'first, with our sender key'), 'SenderKey');
});

test('later messages: exactly one request, no 1:1 copy to any member, one timestamp', async () => {
  const all = ['Alice', 'Bob', 'Carol', 'Dave'];
  // the phone's transcript says every member was reached sealed, as
  // Desktop reports sender-key recipients (unidentifiedDeliveries)
  const transcript = sb.phone.waitForSyncMessage((e) => e.syncMessage.content?.sent?.message?.body === 'second, one request');
  mr().reset();
  await sendAndWait('second, one request', all);
  await sendAndWait('third, one request', all);
  assert.deepEqual(mr().requests.map((r) => r.status), [200, 200]);
  assert.deepEqual(singlesTo(0, all), [], 'no 1:1 sends to members');
  const ts = got.filter((g) => g.body === 'second, one request').map((g) => g.ts);
  assert.equal(new Set(ts).size, 1, 'one message, one timestamp');
  assert.equal(mr().requests[0].ts, ts[0], 'the request carries the message timestamp');
  const sent = (await transcript).syncMessage.content.sent;
  const sealed = sent.unidentifiedStatus.filter((u) => u.unidentified).map((u) => u.destinationServiceId);
  assert.deepEqual(sealed.sort(), all.map(aciOf).sort());
});

test('typing in the group: one multi-recipient request, online, to every member', async () => {
  // Desktop sends typing to a group with its sender key (ts/models/
  // conversations.ts sendTypingMessage → sendContentMessageToGroup,
  // online: true, urgent: false); each member's device decrypts it
  const all = ['Alice', 'Bob', 'Carol', 'Dave'];
  const groupId = Buffer.from(group.id, 'base64');
  const typing = [];
  const restore = all.map((name) => {
    const dev = members[name];
    const decrypt = dev.decrypt;
    dev.decrypt = async function watched(...args) {
      const r = await decrypt.apply(this, args);
      const t = r?.content?.content?.typingMessage;
      if (t) typing.push({ name, action: t.action, groupId: t.groupId && Buffer.from(t.groupId), envelopeType: r.envelopeType });
      return r;
    };
    return () => { dev.decrypt = decrypt; };
  });
  const typed = (action) => all.every((name) => typing.some((t) => t.name === name && t.action === action &&
                                                            t.groupId?.equals(groupId)));
  try {
    mr().reset();
    await me.sendTyping(portal(), true, 20000);
    await until(() => typed(Proto.TypingMessage.Action.STARTED), 'every member sees typing started', 60000);
    await me.sendTyping(portal(), false);
    await until(() => typed(Proto.TypingMessage.Action.STOPPED), 'every member sees typing stopped', 60000);
    assert.deepEqual(mr().requests.map((r) => [r.status, r.online, r.urgent]), [[200, true, false], [200, true, false]],
                     JSON.stringify(mr().requests));
    for (const r of mr().requests) assert.deepEqual(Object.keys(r.recipients).sort(), all.map(aciOf).sort());
    assert.deepEqual(singlesTo(0, all), [], 'no 1:1 typing to any member');
    assert.ok(typing.every((t) => t.envelopeType === 'SenderKey'), JSON.stringify(typing.map((t) => t.envelopeType)));
  } finally {
    for (const r of restore) r();
  }
});

test('a member adds a device: 409, the new device gets our key, the retry reaches them', async () => {
  const all = ['Alice', 'Bob', 'Carol', 'Dave'];
  const carol = members.Carol;
  const second = await sb.mock.server.createSecondaryDevice(carol);
  mr().reset();
  await sendAndWait('after Carol linked a device', all);
  assert.deepEqual(mr().requests.map((r) => r.status), [409, 200], JSON.stringify(mr().requests));
  assert.deepEqual(mr().requests[1].recipients[aciOf('Carol')].sort(), [1, second.deviceId].sort(),
                   "Carol's new device is addressed");
  assert.equal(mr().requests[0].ts, mr().requests[1].ts, 'the retry keeps the timestamp');
  // only Carol got our key again (1:1), and nobody a 1:1 copy of the text
  assert.ok(singlesTo(0, ['Carol']).length >= 1, 'our key to Carol');
  assert.deepEqual(singlesTo(0, ['Alice', 'Bob', 'Dave']), []);
  assert.equal(envelopeOf('Carol', 'after Carol linked a device'), 'SenderKey');
});

test("a member's device has a new registration id: 410, a new session and our key, the retry reaches them", async () => {
  const all = ['Alice', 'Bob', 'Carol', 'Dave'];
  // as after a reinstall: the server now knows another registration id for
  // Bob's phone (the mock has no call for it; its bundles serve this field)
  const bob = members.Bob.device;
  bob.registrationId = (bob.registrationId % 16000) + 1;
  mr().reset();
  await sendAndWait('after Bob reinstalled', all);
  assert.deepEqual(mr().requests.map((r) => r.status), [410, 200], JSON.stringify(mr().requests));
  assert.ok(singlesTo(0, ['Bob']).length >= 1, 'our key to Bob again, on a new session');
  assert.deepEqual(singlesTo(0, ['Alice', 'Carol', 'Dave']), []);
  assert.equal(mr().requests[0].ts, mr().requests[1].ts, 'the retry keeps the timestamp');
});

test('a member whose profile key we do not know: in the same request, by token, once', async () => {
  const all = ['Alice', 'Bob', 'Carol', 'Dave'];
  // as for a member whose profile key never reached us: no access key
  dbExec(`DELETE FROM record WHERE kind = 'profile_key' AND key = '${aciOf('Carol')}'`);
  assert.equal(dbRows(`SELECT count(*) FROM record WHERE kind = 'profile_key' AND key = '${aciOf('Carol')}'`)[0][0], 0);
  mr().reset();
  await sendAndWait('to Carol without her profile key', all);
  assert.deepEqual(mr().requests.map((r) => [r.status, r.auth]), [[200, 'token']], JSON.stringify(mr().requests));
  assert.deepEqual(Object.keys(mr().requests[0].recipients).sort(), all.map(aciOf).sort(), 'Carol is a recipient');
  assert.deepEqual(singlesTo(0, ['Carol']), [], 'no 1:1 copy to Carol');
  const toCarol = got.filter((g) => g.to === 'Carol' && g.body === 'to Carol without her profile key');
  assert.equal(toCarol.length, 1, 'Carol got it once');
  assert.equal(toCarol[0].envelopeType, 'SenderKey');
});

// The stored endorsements' header: le64 expiration (s), le64 stored at (ms).
const gseHeader = () => {
  const h = dbRows(`SELECT hex(value) FROM record WHERE kind = 'group_gse' AND key = '${Buffer.from(group.id, 'base64').toString('base64')}'`)[0]?.[0];
  if (!h) return undefined;
  const b = Buffer.from(h, 'hex');
  return { exp: Number(b.readBigUInt64LE(0)), stored: Number(b.readBigUInt64LE(8)), hex: h };
};

test('endorsements about to expire: this send by access keys, the group is fetched again, the next by token', async () => {
  const all = ['Alice', 'Bob', 'Carol', 'Dave'];
  const before = gseHeader();
  assert.ok(before && before.exp > Date.now() / 1000 + 7200, `usable endorsements stored: ${JSON.stringify(before)}`);
  // one hour left (Desktop refreshes below two), stored two hours ago
  const b = Buffer.from(before.hex, 'hex');
  b.writeBigUInt64LE(BigInt(Math.floor(Date.now() / 1000) + 3600), 0);
  b.writeBigUInt64LE(BigInt(Date.now() - 2 * 3600e3), 8);
  dbExec(`UPDATE record SET value = x'${b.toString('hex')}' WHERE kind = 'group_gse' AND key = '${Buffer.from(group.id, 'base64').toString('base64')}'`);
  mr().reset();
  await sendAndWait('endorsements expiring', all);
  // this send: access keys, so Carol (no profile key) gets a 1:1 copy
  assert.deepEqual(mr().requests.map((r) => [r.status, r.auth]), [[200, 'access-key']], JSON.stringify(mr().requests));
  assert.ok(!Object.keys(mr().requests[0].recipients).includes(aciOf('Carol')));
  assert.ok(singlesTo(0, ['Carol']).length >= 1, 'Carol 1:1');
  // the state was fetched again: fresh endorsements stored
  await until(() => { const h = gseHeader(); return h && h.exp > Date.now() / 1000 + 7200; },
              'fresh endorsements', 60000);
  mr().reset();
  await sendAndWait('endorsements fresh again', all);
  assert.deepEqual(mr().requests.map((r) => [r.status, r.auth]), [[200, 'token']], JSON.stringify(mr().requests));
  assert.deepEqual(Object.keys(mr().requests[0].recipients).sort(), all.map(aciOf).sort());
  assert.deepEqual(singlesTo(0, all), []);
});

test('a burst into a group while a member still waits for our key: one send at a time, in order, our key once each', async () => {
  // Nothing was sent to 'Burst' yet, so its first send hands our key to
  // every member. Bob's hand-out is held at the server (in flight) while
  // the user writes a text, a photo, two texts and a reaction as fast as
  // the homeserver takes them. A second send of the chat under way beside
  // the first would find Bob not yet holding our key and hand it out again.
  const all = ['Alice', 'Bob', 'Carol', 'Dave'];
  const room = portalOf(burst);
  const skdm = Object.fromEntries(all.map((n) => [n, 0]));
  const restore = all.map((name) => {
    const dev = members[name];
    const orig = dev.processSenderKeyDistribution;
    dev.processSenderKeyDistribution = async function counted(...args) {
      skdm[name] += 1;
      return orig.apply(this, args);
    };
    return () => { dev.processSenderKeyDistribution = orig; };
  });
  let release;
  const held = new Promise((r) => { release = r; });
  let holding = false;
  try {
    mr().reset();
    mr().gate = (s) => {
      if (holding || s.serviceId !== aciOf('Bob')) return undefined;
      holding = true;
      return held;
    };
    const logFrom = hs.log.length;
    const up = await me.uploadContent(PNG, { name: 'burst.png', type: 'image/png' });
    const sent = [];
    sent.push((await me.sendTextMessage(room, 'burst one')).event_id);
    sent.push((await me.sendMessage(room, { msgtype: 'm.image', body: 'burst.png', url: up.content_uri,
                                            info: { mimetype: 'image/png', size: PNG.length } })).event_id);
    sent.push((await me.sendTextMessage(room, 'burst two')).event_id);
    sent.push((await me.sendTextMessage(room, 'burst three')).event_id);
    const { event_id: reaction } = await me.sendEvent(room, 'm.reaction', {
      'm.relates_to': { rel_type: 'm.annotation', event_id: sent[0], key: '👍' } });
    // Bob's hand-out stays in flight until every send the bridge was given
    // has either reached Signal beside it (a second hand-out to Bob) or
    // waits its turn: the photo behind the first text (bridge), the
    // reaction behind the first text's group send (Signal side).
    const said = (s) => hs.log.slice(logFrom).includes(s);
    await until(() => holding && (mr().singles.filter((s) => s.serviceId === aciOf('Bob')).length >= 2 ||
                                  (said("waits for the chat's earlier messages") &&
                                   said('a group send waits for the one before it'))),
                'the burst handed over', 60000);
    release();
    // the Signal timestamps of what was written, in the order written
    const ts = sent.map((e) => Number(dbRows(`SELECT signal_ts FROM br_outbox WHERE event_id = '${e}'`)[0][0]));
    const rts = await until(() => dbRows(`SELECT signal_ts FROM br_relout WHERE event_id = '${reaction}'`)[0]?.[0],
                            'the reaction queued', 60000);
    const dataOf = (name) => (['Alice', 'Bob'].includes(name) ? sb.received.filter((r) => r.to === name) : got.filter((g) => g.to === name))
      .map((r) => r.dataMessage).filter(Boolean);
    const mine = (name) => dataOf(name).filter((d) => ts.includes(Number(d.timestamp)) ||
                                                     Number(d.reaction?.targetSentTimestamp) === ts[0]);
    await until(() => all.every((n) => mine(n).length >= 5), 'every member gets the burst', 120000);
    for (const e of sent) {
      // eslint-disable-next-line no-await-in-loop
      await until(() => dbRows(`SELECT state FROM br_outbox WHERE event_id = '${e}'`)[0]?.[0] === 1, 'marked sent', 60000);
    }
    for (const name of all) {
      // our key: one hand-out request to the member and one message read
      assert.equal(mr().singles.filter((s) => s.serviceId === aciOf(name)).length, 1,
                   `${name}: one hand-out request: ${JSON.stringify(mr().singles)}`);
      assert.equal(skdm[name], 1, `${name}: our sender key distribution message once`);
    }
    for (const name of all) {
      const seq = mine(name);
      const msgs = seq.filter((d) => !d.reaction).map((d) => Number(d.timestamp));
      assert.deepEqual(msgs, ts, `${name}: every message once, in the order written (${JSON.stringify(seq.map((d) => d.body ?? d.reaction?.emoji))})`);
      const r = seq.findIndex((d) => d.reaction);
      assert.equal(seq.filter((d) => d.reaction).length, 1, `${name}: the reaction once`);
      assert.equal(Number(seq[r].timestamp), Number(rts));
      assert.ok(r > seq.findIndex((d) => Number(d.timestamp) === ts[0]), `${name}: the reaction after its message`);
      assert.equal(seq.find((d) => d.attachments?.length)?.attachments[0].fileName, 'burst.png');
    }
    // and every send went as one multi-recipient request, each once
    assert.deepEqual(mr().requests.map((q) => q.status), [200, 200, 200, 200, 200]);
    assert.equal(new Set(mr().requests.map((q) => q.ts)).size, 5);
  } finally {
    release();
    for (const r of restore) r();
  }
});

test('a member who unregistered: named in the 200, the others get it, the send is done without a notice', async () => {
  sb.mock.server.unregister(members.Dave);
  const others = ['Alice', 'Bob', 'Carol'];
  mr().reset();
  await sendAndWait('after Dave left Signal', others);
  // with a token Signal-Server does not refuse the request for an
  // unregistered recipient: it delivers to the others and names them in
  // uuids404 (MessageController sendMultiRecipientMessage)
  assert.deepEqual(mr().requests.map((r) => [r.status, r.auth]), [[200, 'token']], JSON.stringify(mr().requests));
  assert.deepEqual(singlesTo(0, ['Dave']), [], 'no 1:1 copy to Dave');
  assert.deepEqual(singlesTo(0, others), [], 'nor to the others');
  assert.ok(!messages(me, portal(), BOT).some((e) => /not sent|no longer registered/.test(e.getContent().body)),
            'no failure notice');
});
