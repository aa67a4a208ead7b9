// Issue #12, its last loss path: a store write made in a callback that
// nobody retries (the host's answer to a room creation or to a send) meets
// a lock or a full disk. Each test makes exactly that write fail, through
// the module's test-only fault injector (debug.store_faults, st_fault.h,
// docs/store-faults.md), on mxhs with signalbridge linked to Signal's mock
// (sandbox phone, contacts Alice and Bob), and checks that what the write
// was for still happens, once.
//  - A new group portal whose room ID cannot be stored: the room exists and
//    the user is in it, but the portal row stayed "being made", so nothing
//    reached the room (the clean-clone bridge_groups.js failure of the
//    fifth session).
//  - The same for a new DM portal.
//  - A Signal message is in Matrix, but its event cannot be stored: a
//    reaction to it from Signal waited for it in vain.
//  - The bot room cannot be stored when the bot joins it: the bot greeted
//    the user, then ignored every command there.
//  - A Matrix message delivered to Signal whose result cannot be stored:
//    the bridge sent it to Signal a second time at once.
//  - The expiry row of a message sent from Matrix with the chat's
//    disappearing timer cannot be stored when Signal took it: the message
//    never disappeared in Matrix.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { EMPTY_DATA_MESSAGE } = require('@signalapp/mock-server');
const L = require('./bridge_fault_lib.js');
const { messages, until } = L;

const T = 90000;
// the joined room in which `body` arrived
const roomWith = (env, body) => env.alice.getRooms().find((r) => r.getMyMembership() === 'join' &&
  messages(env.alice, r.roomId).some((e) => e.getContent().body === body));
const texts = async (env, room) => (await L.roomEvents(env, room)).map(L.textOf).filter(Boolean);

// Every body once in the room, in this order.
async function expectOnce(env, room, bodies) {
  const got = (await texts(env, room)).filter((b) => bodies.includes(b));
  assert.deepEqual(got, bodies, `each message once and in order in ${room}`);
}

test('a new group portal whose room ID cannot be stored (disk full) still gets every message', { timeout: 300000 }, async () => {
  const env = await L.setupBridge({ storeFaults: true, groups: true });
  try {
    const { sb } = env;
    const group = await sb.phone.createGroup({ title: 'Faulty trip', members: [sb.phone, sb.contacts.Alice, sb.contacts.Bob] });
    // the only UPDATE of br_portal is the write of a new portal's room ID
    // (br_store_portal_set_room)
    const f = L.armFault(env, 'br_portal update full 1');
    await sb.sendGroup('Alice', 'group first', { group });
    await f.injected('the group portal');
    const room = await until(() => roomWith(env, 'group first'), "the group's first message in its portal", T)
      .catch((e) => {
        const said = env.hs.log.slice(f.from).split('\n').filter((l) => /bridge|store/.test(l)).slice(-10).join('\n  ');
        throw new Error(`${e.message}; rooms: ${JSON.stringify(env.alice.getRooms().map((r) => r.name))}; log:\n  ${said}`);
      });
    await sb.sendGroup('Bob', 'group second', { group });
    await until(() => messages(env.alice, room.roomId).some((e) => e.getContent().body === 'group second'),
                "the group's next message in the same portal", T);
    await expectOnce(env, room.roomId, ['group first', 'group second']);
    assert.equal(f.seen(), 1, 'the fault was injected once');
  } finally {
    await L.stopAll(env);
  }
});

test('a new DM portal whose room ID cannot be stored (locked) still gets every message', { timeout: 300000 }, async () => {
  const env = await L.setupBridge({ storeFaults: true });
  try {
    // Bob has no portal yet: his first message makes one
    const f = L.armFault(env, 'br_portal update busy 1');
    await env.sb.send('Bob', 'dm first');
    await f.injected('the DM portal');
    const room = await until(() => roomWith(env, 'dm first'), "Bob's first message in his new portal", T);
    await env.sb.send('Bob', 'dm second');
    await until(() => messages(env.alice, room.roomId).some((e) => e.getContent().body === 'dm second'),
                "Bob's next message in the same portal", T);
    await expectOnce(env, room.roomId, ['dm first', 'dm second']);
    const withBob = env.alice.getRooms().filter((r) => r.getMyMembership() === 'join' &&
      messages(env.alice, r.roomId).some((e) => /^dm /.test(e.getContent().body || '')));
    assert.equal(withBob.length, 1, 'one portal for Bob');
  } finally {
    await L.stopAll(env);
  }
});

test("a Signal message whose Matrix event cannot be stored: a reaction to it from Signal still arrives", { timeout: 300000 }, async () => {
  const env = await L.setupBridge({ storeFaults: true });
  try {
    const alice = env.sb.contacts.Alice;
    const ts = Date.now();
    // the next UPDATE of br_inbox is the message map write of on_bridged
    // (br_store_inbox_set_event), made when the homeserver answered the send
    const f = L.armFault(env, 'br_inbox update full 1');
    await alice.sendText(env.sb.device, 'react to me', { timestamp: ts });
    await f.injected('the message map');
    const ev = await until(() => messages(env.alice, env.portal).find((e) => e.getContent().body === 'react to me'),
                           'the message in the portal', T);
    const rts = ts + 1;
    await alice.sendRaw(env.sb.device, {
      content: { dataMessage: { ...EMPTY_DATA_MESSAGE, timestamp: BigInt(rts),
                                reaction: { emoji: '👍', remove: false, targetAuthorAci: alice.device.aci,
                                            targetSentTimestamp: BigInt(ts), targetAuthorAciBinary: null } } },
      pniSignatureMessage: null, senderKeyDistributionMessage: null,
    }, { timestamp: rts });
    const reaction = await until(async () => (await L.roomEvents(env, env.portal)).find((e) => e.type === 'm.reaction' &&
      e.content['m.relates_to']?.event_id === ev.getId()), 'the reaction on that message', T)
      .catch((e) => {
        const said = env.hs.log.slice(f.from).split('\n').filter((l) => /bridge|store/.test(l)).slice(-10).join('\n  ');
        throw new Error(`${e.message}; log:\n  ${said}`);
      });
    assert.equal(reaction.content['m.relates_to'].key, '👍');
    await expectOnce(env, env.portal, ['react to me']);
  } finally {
    await L.stopAll(env);
  }
});

test('a bot room that cannot be stored when the bot joins (disk full) still takes commands', { timeout: 300000 }, async () => {
  // armed before the user invites the bot; setupBridge then links through
  // that room (`link`, the QR code, the notice), which needs the room known
  const env = await L.setupBridge({ storeFaults: true, faultRule: 'br_mgmt_room insert full 1' });
  try {
    assert.match(env.hs.log, /store: injected fault full on insert of br_mgmt_room/, 'the bot room write failed once');
    const before = messages(env.alice, env.botRoom, L.BOT).length;
    await env.alice.sendTextMessage(env.botRoom, 'status');
    await until(() => messages(env.alice, env.botRoom, L.BOT)[before], "the bot's answer to 'status'", T);
  } finally {
    await L.stopAll(env);
  }
});

test("a message sent to Signal whose result cannot be stored (disk full) is not sent twice", { timeout: 300000 }, async () => {
  const env = await L.setupBridge({ storeFaults: true });
  try {
    // a text's row gets its Signal timestamp when queued (an INSERT): the
    // next UPDATE of br_outbox is the settle of the send result
    const f = L.armFault(env, 'br_outbox update full 1');
    assert.ok(await L.putText(env, env.portal, 'settle-1', 'sent once'));
    await f.injected('the send result');
    const copies = (body) => env.got.filter((m) => m.dataMessage?.body === body).length;
    await until(() => copies('sent once') > 0, 'the message at Alice', T);
    // the next message of the chat goes after the stored result
    assert.ok(await L.putText(env, env.portal, 'settle-2', 'and the next'));
    await until(() => copies('and the next') > 0, 'the next message at Alice', T);
    assert.equal(copies('sent once'), 1, 'sent to Signal once');
    const notices = (await L.roomEvents(env, env.portal))
      .filter((e) => e.content?.msgtype === 'm.notice' && /not delivered/.test(e.content.body));
    assert.deepEqual(notices, [], 'no "not delivered" notice');
  } finally {
    await L.stopAll(env);
  }
});

test('a message sent with a disappearing timer whose expiry cannot be stored (disk full) still disappears', { timeout: 300000 }, async () => {
  const env = await L.setupBridge({ storeFaults: true });
  try {
    // the chat's timer, set from Matrix (br_expire_command); Alice's app gets it
    await env.alice.sendTextMessage(env.portal, '!signal disappearing 5s');
    await until(() => env.got.some((m) => m.dataMessage?.expireTimer === 5), 'the timer at Alice', T);
    const redacted = (eventId) => until(async () => {
      const ev = (await L.roomEvents(env, env.portal)).find((e) => e.event_id === eventId);
      return ev && ev.unsigned?.redacted_because;
    }, 'the message redacted in Matrix after its timer', T);
    // one message first, gone as it should: every send result before it
    // (the timer's own update included) is settled by then
    const warm = await L.putText(env, env.portal, 'expiry-0', 'warm-up');
    assert.ok(warm);
    await redacted(warm);
    // the expiry row of the user's message is written when Signal took it
    // (br_expire_sent): now the next INSERT into br_expire
    const f = L.armFault(env, 'br_expire insert full 1');
    const eventId = await L.putText(env, env.portal, 'expiry-1', 'vanishing');
    assert.ok(eventId);
    await f.injected('the expiry row');
    await until(() => env.got.some((m) => m.dataMessage?.body === 'vanishing' && m.dataMessage.expireTimer === 5),
                'the message at Alice with the timer', T);
    await redacted(eventId);
  } finally {
    await L.stopAll(env);
  }
});
