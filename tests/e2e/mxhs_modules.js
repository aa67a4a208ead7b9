// End-to-end: module hosting in mxhs, driven through the scriptable test
// module hstest.so (tests/e2e/hstest_mod.c) and checked with raw HTTP as
// real users: ensure_user and request() inside/outside the namespace
// (M_EXCLUSIVE), double puppeting only when configured, asynchronous
// completions, the ts override, createRoom/send/state/membership/redact/
// typing/receipts/profile/account data through request(), on_event for
// rooms with module users (and invites of them), on_ephemeral for typing
// and receipts, media upload/download, and the echo module's stats route.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Homeserver, until, SERVER, HSTEST } = require('./mxhs_harness.js');

const hs = new Homeserver({ modules: [{ path: HSTEST, double_puppet: false }] });
let bob, roomId;
const A = `@hst_a:${SERVER}`;

async function mod(op, body) {
  const r = await hs.req('POST', `/_mxm/hstest/${op}`, { body });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  if (r.json.rc === 0) assert.equal(r.json.inline, 0, 'completion is asynchronous');
  return r.json;
}
const rq = (user, method, path, body, ts) => mod('request', { user, method, path, body, ts });
const enc = encodeURIComponent;

before(async () => {
  await hs.start();
  assert.equal(hs.registerUser('bob', 'pw-bob').status, 0);
  bob = (await hs.req('POST', '/_matrix/client/v3/login',
    { body: { type: 'm.login.password', user: 'bob', password: 'pw-bob' } })).json;
});

after(async () => {
  const r = await hs.stop();
  hs.cleanup();
  assert.equal(r.code, 0);
});

test('ensure_user only inside the namespace', async () => {
  let r = await mod('ensure', { localpart: 'hst_a' });
  assert.deepEqual([r.status, r.json.user_id], [200, A]);
  r = await mod('ensure', { localpart: 'alice' });
  assert.equal(r.rc, -22, 'refused at once (MXM_ERR_INVAL) outside the namespace');
  r = await rq(`@bob:${SERVER}`, 'GET', '/_matrix/client/v3/account/whoami');
  assert.deepEqual([r.status, r.json.errcode], [403, 'M_EXCLUSIVE'], 'no double puppeting unless configured');
  r = await rq(A, 'GET', '/_matrix/client/v3/account/whoami');
  assert.deepEqual([r.status, r.json.user_id], [200, A]);
  r = await rq(A, 'POST', '/_matrix/client/v3/login', { type: 'm.login.password', user: 'bob', password: 'x' });
  assert.equal(r.status, 403, 'modules cannot log in');
});

test('createRoom, send with ts, state, redact, typing, receipts via request()', async () => {
  let r = await rq(A, 'POST', '/_matrix/client/v3/createRoom',
                   { preset: 'private_chat', name: 'bridged', invite: [bob.user_id] });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  roomId = r.json.room_id;
  assert.equal((await hs.req('POST', `/_matrix/client/v3/join/${enc(roomId)}`, { token: bob.access_token, body: {} })).status, 200);
  const ts = 1600000000000;
  r = await rq(A, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/m1`,
               { msgtype: 'm.text', body: 'from the past' }, ts);
  const eid = r.json.event_id;
  const ev = await hs.req('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(eid)}`, { token: bob.access_token });
  assert.deepEqual([ev.json.sender, ev.json.origin_server_ts, ev.json.content.body], [A, ts, 'from the past']);
  r = await rq(A, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/m1`,
               { msgtype: 'm.text', body: 'from the past' }, ts);
  assert.equal(r.json.event_id, eid, 'txn idempotency for modules too');
  r = await rq(A, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.topic/`, { topic: 'set by module' });
  assert.equal(r.status, 200);
  const topic = await hs.req('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.topic`, { token: bob.access_token });
  assert.equal(topic.json.topic, 'set by module');
  r = await rq(A, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/redact/${enc(eid)}/r1`, { reason: 'x' });
  assert.equal(r.status, 200);
  r = await rq(A, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(A)}`, { typing: true, timeout: 5000 });
  assert.deepEqual([r.status, r.json], [200, {}]);
  r = await rq(A, 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(eid)}`, {});
  assert.equal(r.status, 200);
  r = await rq(A, 'PUT', `/_matrix/client/v3/profile/${enc(A)}/displayname`, { displayname: 'Ghost A' });
  assert.equal(r.status, 200);
  r = await rq(A, 'PUT', `/_matrix/client/v3/user/${enc(A)}/account_data/m.direct`, { [bob.user_id]: [roomId] });
  assert.equal(r.status, 200);
  r = await rq(A, 'GET', `/_matrix/client/v3/user/${enc(A)}/account_data/m.direct`);
  assert.deepEqual(r.json, { [bob.user_id]: [roomId] });
  const s = await hs.req('GET', '/_matrix/client/v3/sync', { token: bob.access_token });
  const room = s.json.rooms.join[roomId];
  const typing = room.ephemeral.events.find((e) => e.type === 'm.typing');
  assert.deepEqual(typing.content.user_ids, [A], 'bob sees the module user typing');
  assert.ok(room.ephemeral.events.find((e) => e.type === 'm.receipt').content[eid]['m.read'][A]);
  const mem = room.state.events.concat(room.timeline.events)
    .filter((e) => e.type === 'm.room.member' && e.state_key === A).pop();
  assert.equal(mem.content.displayname, 'Ghost A', 'profile change propagated');
  // a module user cannot act where it is not allowed
  r = await rq(`@hst_z:${SERVER}`, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/z`, { body: 'x' });
  assert.equal(r.status, 403, 'auto-created namespace user is not in the room');
});

test('on_event and on_ephemeral reach the module', async () => {
  await hs.req('PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/b1`,
               { token: bob.access_token, body: { msgtype: 'm.text', body: 'to the module' } });
  await hs.req('PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(bob.user_id)}`,
               { token: bob.access_token, body: { typing: true, timeout: 3000 } });
  // a room where the only module user is merely invited
  const other = (await hs.req('POST', '/_matrix/client/v3/createRoom',
    { token: bob.access_token, body: { invite: [`@hst_c:${SERVER}`], is_direct: true } })).json.room_id;
  const seen = await until(async () => {
    const r = (await hs.req('GET', '/_mxm/hstest/events')).json;
    const msg = r.events.find((e) => e.content?.body === 'to the module');
    const inv = r.events.find((e) => e.room_id === other && e.type === 'm.room.member' &&
                              e.state_key === `@hst_c:${SERVER}` && e.content.membership === 'invite');
    const typ = r.ephemeral.find((e) => e.type === 'm.typing' && e.room_id === roomId &&
                                 e.content.user_ids.includes(bob.user_id));
    const rec = r.ephemeral.find((e) => e.type === 'm.receipt' && e.room_id === roomId);
    return msg && inv && typ && rec && { msg, inv, r };
  }, 'module deliveries');
  assert.equal(seen.msg.room_id, roomId);
  assert.equal(seen.msg.sender, bob.user_id);
  assert.equal(seen.inv.content.is_direct, true);
  // nothing from rooms without module users
  const lone = (await hs.req('POST', '/_matrix/client/v3/createRoom', { token: bob.access_token, body: { name: 'lone' } })).json.room_id;
  await hs.req('PUT', `/_matrix/client/v3/rooms/${enc(lone)}/send/m.room.message/l1`,
               { token: bob.access_token, body: { msgtype: 'm.text', body: 'private' } });
  // events reach the module in the order they were stored: once a later
  // one in the module's room is there, one of the lone room would be too
  await hs.req('PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/b2`,
               { token: bob.access_token, body: { msgtype: 'm.text', body: 'after the lone room' } });
  const r = await until(async () => {
    const j = (await hs.req('GET', '/_mxm/hstest/events')).json;
    return j.events.some((e) => e.content?.body === 'after the lone room') && j;
  }, 'the event after the lone room');
  assert.ok(!r.events.some((e) => e.room_id === lone), 'no events of rooms without module users');
});

test('media upload and download for modules', async () => {
  let r = await mod('upload', { user: A, text: 'hello media', type: 'text/plain' });
  assert.equal(r.status, 200);
  const mxc = r.json.content_uri;
  assert.match(mxc, /^mxc:\/\/test\.mxhs\/[A-Za-z0-9_-]+$/);
  r = await mod('download', { mxc });
  assert.deepEqual([r.status, r.type, r.text], [200, 'text/plain', 'hello media']);
  r = await mod('download', { mxc: 'mxc://test.mxhs/nope' });
  assert.equal(r.status, 404);
  r = await mod('upload', { user: `@bob:${SERVER}`, text: 'x', type: 'text/plain' });
  assert.equal(r.status, 403, 'not as a local user without double puppeting');
});

test('echo module counted typing and receipts (its stats route)', async () => {
  const room = (await hs.req('POST', '/_matrix/client/v3/createRoom',
    { token: bob.access_token, body: { invite: [`@echo:${SERVER}`], is_direct: true } })).json.room_id;
  await until(async () => (await hs.req('GET', `/_matrix/client/v3/rooms/${enc(room)}/joined_members`,
    { token: bob.access_token })).json.joined[`@echo:${SERVER}`], 'echo joins');
  const sent = (await hs.req('PUT', `/_matrix/client/v3/rooms/${enc(room)}/send/m.room.message/e1`,
    { token: bob.access_token, body: { msgtype: 'm.text', body: 'count me' } })).json.event_id;
  await hs.req('PUT', `/_matrix/client/v3/rooms/${enc(room)}/typing/${enc(bob.user_id)}`,
               { token: bob.access_token, body: { typing: true } });
  await hs.req('POST', `/_matrix/client/v3/rooms/${enc(room)}/receipt/m.read/${enc(sent)}`,
               { token: bob.access_token, body: {} });
  const st = await until(async () => {
    const s = (await hs.req('GET', '/_mxm/echo/stats')).json;
    return s.echoed >= 1 && s.typing >= 1 && s.receipts >= 1 && s;
  }, 'echo stats');
  assert.ok(st.echoed >= 1);
});

test('double puppeting when the module config allows it', async () => {
  await hs.restart({ modules: [{ path: HSTEST, double_puppet: true }] });
  let r = await rq(`@bob:${SERVER}`, 'GET', '/_matrix/client/v3/account/whoami');
  assert.deepEqual([r.status, r.json.user_id], [200, `@bob:${SERVER}`]);
  r = await rq(`@bob:${SERVER}`, 'PUT', `/_matrix/client/v3/user/${enc(bob.user_id)}/account_data/m.direct`,
               { [A]: [roomId] });
  assert.equal(r.status, 200);
  const g = await hs.req('GET', `/_matrix/client/v3/user/${enc(bob.user_id)}/account_data/m.direct`, { token: bob.access_token });
  assert.deepEqual(g.json, { [A]: [roomId] });
  r = await rq(`@echo:${SERVER}`, 'GET', '/_matrix/client/v3/account/whoami');
  assert.equal(r.status, 403, 'never as another module\'s user');
  r = await rq(`@nobody:${SERVER}`, 'GET', '/_matrix/client/v3/account/whoami');
  assert.equal(r.status, 403, 'only existing local users');
});
