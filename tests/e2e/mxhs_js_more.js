// End-to-end, matrix-js-sdk 43 + raw HTTP against the real mxhs: media
// (authenticated v1 and legacy download), profile propagation, reactions,
// edits, redaction, /messages both ways, m.direct account data, kick/ban,
// security answers (M_NOT_JSON, M_BAD_JSON, depth limit, M_UNKNOWN_TOKEN,
// 403 outside a room, login rate limit), bad config, and restart
// persistence of sync tokens, txn idempotency, rooms and media.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { pathToFileURL } = require('node:url');
const { Homeserver, until, polyfill, SERVER, PNG, MXHS } = require('./mxhs_harness.js');

polyfill();
let sdk;
const hs = new Homeserver({ loginPerMinute: 1000 });
const clients = [];
let alice, bob, aliceCreds, bobCreds, roomId;

async function login(user, pw) {
  const anon = sdk.createClient({ baseUrl: hs.base });
  return anon.loginWithPassword(user, pw);
}

async function start(creds) {
  const c = sdk.createClient({ baseUrl: hs.base, accessToken: creds.access_token,
                               userId: creds.user_id, deviceId: creds.device_id });
  clients.push(c);
  const prepared = new Promise((res) => c.on(sdk.ClientEvent.Sync, (s) => s === 'PREPARED' && res()));
  await c.startClient({ initialSyncLimit: 8 });
  await prepared;
  return c;
}

function find(c, pred) {
  const room = c.getRoom(roomId);
  return room && room.getLiveTimeline().getEvents().find(pred);
}

before(async () => {
  sdk = await import(pathToFileURL(require.resolve('matrix-js-sdk')).href);
  if (!process.env.MXHS_JS_DEBUG)
    for (const k of ['log', 'info', 'debug', 'warn']) console[k] = () => {};
  await hs.start();
  assert.equal(hs.registerUser('alice', 'pw-alice', true).status, 0);
  assert.equal(hs.registerUser('bob', 'pw-bob').status, 0);
  aliceCreds = await login('alice', 'pw-alice');
  bobCreds = await login('bob', 'pw-bob');
  alice = await start(aliceCreds);
  bob = await start(bobCreds);
  ({ room_id: roomId } = await alice.createRoom({ preset: 'private_chat', invite: [bob.getUserId()],
                                                  is_direct: true, topic: 'the topic' }));
  await until(() => bob.getRoom(roomId)?.getMyMembership() === 'invite', 'bob sees the invite');
  await bob.joinRoom(roomId);
  await until(() => alice.getRoom(roomId)?.getMember(bob.getUserId())?.membership === 'join', 'bob joined');
});

after(async () => {
  for (const c of clients) c.stopClient();
  await hs.stop();
  hs.cleanup();
});

test('invite carried stripped state with the invitee member event', async () => {
  const r = await hs.req('POST', '/_matrix/client/v3/createRoom', { token: aliceCreds.access_token,
    body: { invite: [bob.getUserId()], name: 'invite-state', is_direct: true } });
  assert.equal(r.status, 200);
  const s = await hs.req('GET', '/_matrix/client/v3/sync', { token: bobCreds.access_token });
  const inv = s.json.rooms.invite[r.json.room_id];
  assert.ok(inv, 'room listed under rooms.invite');
  const types = inv.invite_state.events.map((e) => e.type + '|' + (e.state_key ?? ''));
  assert.ok(types.includes('m.room.create|'));
  assert.ok(types.includes('m.room.name|'));
  const mine = inv.invite_state.events.find((e) => e.type === 'm.room.member' && e.state_key === bob.getUserId());
  assert.equal(mine.content.membership, 'invite');
  assert.equal(mine.content.is_direct, true);
  assert.equal(mine.sender, alice.getUserId());
  assert.equal(mine.event_id, undefined, 'stripped events carry no event_id');
});

test('rejecting an invite moves the room to rooms.leave', async () => {
  const r = await hs.req('POST', '/_matrix/client/v3/createRoom', { token: aliceCreds.access_token,
    body: { invite: [bob.getUserId()], name: 'to reject' } });
  const R = r.json.room_id;
  const s1 = await hs.req('GET', '/_matrix/client/v3/sync?timeout=0', { token: bobCreds.access_token });
  assert.ok(s1.json.rooms.invite[R]);
  const lv = await hs.req('POST', `/_matrix/client/v3/rooms/${encodeURIComponent(R)}/leave`,
                          { token: bobCreds.access_token, body: {} });
  assert.deepEqual([lv.status, lv.json], [200, {}]);
  const s2 = await hs.req('GET', `/_matrix/client/v3/sync?since=${s1.json.next_batch}&timeout=5000`,
                          { token: bobCreds.access_token });
  const left = s2.json.rooms.leave[R];
  assert.ok(left, 'room listed under rooms.leave');
  assert.equal(left.timeline.events.at(-1).content.membership, 'leave');
  assert.equal(left.timeline.events.length, 1, 'nothing from a room never joined but the leave');
  assert.equal(s2.json.rooms.invite[R], undefined);
  const s3 = await hs.req('GET', '/_matrix/client/v3/sync?timeout=0', { token: bobCreds.access_token });
  assert.equal(s3.json.rooms.invite[R] || s3.json.rooms.join[R] || s3.json.rooms.leave[R], undefined,
               'an initial sync leaves it out');
});

test('media: upload, authenticated v1 and legacy download, thumbnail', async () => {
  const up = await alice.uploadContent(PNG, { name: 'dot.png', type: 'image/png' });
  const m = /^mxc:\/\/([^/]+)\/([A-Za-z0-9_-]+)$/.exec(up.content_uri);
  assert.ok(m, up.content_uri);
  const v1 = `/_matrix/client/v1/media/download/${m[1]}/${m[2]}`;
  assert.equal((await hs.req('GET', v1)).status, 401, 'v1 download needs a token');
  const got = await hs.req('GET', v1, { token: bobCreds.access_token });
  assert.equal(got.status, 200);
  assert.deepEqual(got.body, PNG);
  assert.equal(got.headers.get('content-type'), 'image/png');
  assert.match(got.headers.get('content-disposition'), /^inline; filename="dot.png"/);
  const legacy = await hs.req('GET', `/_matrix/media/v3/download/${m[1]}/${m[2]}`);
  assert.equal(legacy.status, 200, 'legacy download stays unauthenticated');
  assert.deepEqual(legacy.body, PNG);
  const th = await hs.req('GET', `/_matrix/client/v1/media/thumbnail/${m[1]}/${m[2]}?width=32&height=32`,
                          { token: bobCreds.access_token });
  assert.equal(th.status, 200);
  assert.equal((await hs.req('GET', `/_matrix/media/v3/download/${m[1]}/nosuchmedia`)).status, 404);
  const ev = await alice.sendMessage(roomId, { msgtype: 'm.image', body: 'dot.png', url: up.content_uri,
                                               info: { mimetype: 'image/png', size: PNG.length } });
  const seen = await until(() => find(bob, (e) => e.getId() === ev.event_id), 'bob sees the image');
  assert.equal(seen.getContent().url, up.content_uri);
});

test('display name propagates into member events', async () => {
  await bob.setDisplayName('Bobby');
  await until(() => alice.getRoom(roomId).getMember(bob.getUserId())?.name === 'Bobby', 'alice sees Bobby');
  const p = await alice.getProfileInfo(bob.getUserId());
  assert.equal(p.displayname, 'Bobby');
  assert.equal(p.avatar_url, undefined, 'unset fields are omitted');
});

test('reactions, edits and redaction flow through', async () => {
  const orig = await alice.sendTextMessage(roomId, 'original');
  const react = await bob.sendEvent(roomId, 'm.reaction', { 'm.relates_to': {
    rel_type: 'm.annotation', event_id: orig.event_id, key: '👍' } });
  const edit = await alice.sendMessage(roomId, { msgtype: 'm.text', body: '* edited',
    'm.new_content': { msgtype: 'm.text', body: 'edited' },
    'm.relates_to': { rel_type: 'm.replace', event_id: orig.event_id } });
  const dup = await hs.req('PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.reaction/dup1`,
    { token: bobCreds.access_token, body: { 'm.relates_to': { rel_type: 'm.annotation', event_id: orig.event_id, key: '👍' } } });
  assert.deepEqual([dup.status, dup.json.errcode], [400, 'M_DUPLICATE_ANNOTATION']);
  const r = await until(() => find(alice, (e) => e.getId() === react.event_id), 'alice sees the reaction');
  assert.equal(r.getRelation().key, '👍');
  await until(() => find(bob, (e) => e.getId() === edit.event_id), 'bob sees the edit');
  const served0 = await hs.req('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(orig.event_id)}`,
                               { token: bobCreds.access_token });
  assert.equal(served0.json.unsigned['m.relations']['m.replace'].event_id, edit.event_id, 'edit aggregated');
  assert.equal(served0.json.content.body, 'original', 'the original content is kept');
  const rel = await hs.req('GET', `/_matrix/client/v1/rooms/${encodeURIComponent(roomId)}/relations/${encodeURIComponent(orig.event_id)}`,
                           { token: aliceCreds.access_token });
  assert.deepEqual(rel.json.chunk.map((e) => e.event_id).sort(), [react.event_id, edit.event_id].sort());

  // alice (power 100) may redact bob's reaction; bob (power 0) may not redact alice's message
  await assert.rejects(bob.redactEvent(roomId, orig.event_id), (e) => e.errcode === 'M_FORBIDDEN');
  const red = await alice.redactEvent(roomId, react.event_id, undefined, { reason: 'no' });
  const rev = await until(() => find(bob, (e) => e.getId() === red.event_id), 'bob sees the redaction');
  assert.equal(rev.event.redacts, react.event_id, 'top-level redacts');
  assert.equal(rev.getContent().redacts, react.event_id, 'content.redacts');
  const served = await hs.req('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(react.event_id)}`,
                              { token: bobCreds.access_token });
  assert.deepEqual(served.json.content, {}, 'redacted content is stripped');
  assert.equal(served.json.unsigned.redacted_because.event_id, red.event_id);
});

test('/messages pages backwards and forwards', async () => {
  for (let i = 0; i < 5; i++) await alice.sendTextMessage(roomId, `page ${i}`);
  const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages`;
  const back = await hs.req('GET', `${path}?dir=b&limit=3`, { token: bobCreds.access_token });
  assert.equal(back.status, 200);
  assert.deepEqual(back.json.chunk.map((e) => e.content.body), ['page 4', 'page 3', 'page 2']);
  assert.ok(back.json.start && back.json.end);
  const more = await hs.req('GET', `${path}?dir=b&limit=2&from=${back.json.end}`, { token: bobCreds.access_token });
  assert.deepEqual(more.json.chunk.map((e) => e.content.body), ['page 1', 'page 0']);
  const fwd = await hs.req('GET', `${path}?dir=f&limit=2&from=${more.json.end}`, { token: bobCreds.access_token });
  assert.deepEqual(fwd.json.chunk.map((e) => e.content.body), ['page 0', 'page 1']);
  // unsigned.transaction_id only for the device that sent it
  const mine = await hs.req('GET', `${path}?dir=b&limit=1`, { token: aliceCreds.access_token });
  assert.ok(mine.json.chunk[0].unsigned.transaction_id, 'sending device sees its txn id');
  const second = await login('alice', 'pw-alice');
  const other = await hs.req('GET', `${path}?dir=b&limit=1`, { token: second.access_token });
  assert.equal(other.json.chunk[0].event_id, mine.json.chunk[0].event_id);
  assert.equal(other.json.chunk[0].unsigned.transaction_id, undefined, 'other device does not');
  assert.equal(back.json.chunk[0].unsigned.transaction_id, undefined, 'other user does not');
});

test('account data: global m.direct and per room, echoed by /sync', async () => {
  await alice.setAccountData('m.direct', { [bob.getUserId()]: [roomId] });
  await until(() => alice.getAccountData('m.direct')?.getContent()[bob.getUserId()]?.[0] === roomId, 'm.direct in sync');
  await alice.setRoomAccountData(roomId, 'm.tag', { tags: { 'm.favourite': {} } });
  await until(() => alice.getRoom(roomId).getAccountData('m.tag')?.getContent().tags['m.favourite'], 'room tag in sync');
  const g = await hs.req('GET', `/_matrix/client/v3/user/${encodeURIComponent(alice.getUserId())}/account_data/m.direct`,
                         { token: aliceCreds.access_token });
  assert.deepEqual(g.json, { [bob.getUserId()]: [roomId] });
  const other = await hs.req('GET', `/_matrix/client/v3/user/${encodeURIComponent(alice.getUserId())}/account_data/m.direct`,
                             { token: bobCreds.access_token });
  assert.equal(other.status, 403);
});

test('joined_members, members, kick and ban', async () => {
  assert.equal(hs.registerUser('carl', 'pw-carl').status, 0);
  const carl = await login('carl', 'pw-carl');
  const r1 = await hs.req('POST', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/join`,
                          { token: carl.access_token, body: {} });
  assert.equal(r1.status, 403, 'invite-only room refuses an uninvited join');
  await alice.invite(roomId, carl.user_id);
  assert.equal((await hs.req('POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`,
                             { token: carl.access_token, body: {} })).status, 200);
  const jm = await hs.req('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/joined_members`,
                          { token: carl.access_token });
  assert.deepEqual(Object.keys(jm.json.joined).sort(), [alice.getUserId(), bob.getUserId(), carl.user_id].sort());
  assert.ok('display_name' in jm.json.joined[carl.user_id]);
  // bob (power 0) cannot kick; alice can
  await assert.rejects(bob.kick(roomId, carl.user_id), (e) => e.errcode === 'M_FORBIDDEN');
  const k = await hs.req('POST', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/kick`,
                         { token: aliceCreds.access_token, body: { user_id: carl.user_id, reason: 'bye' } });
  assert.deepEqual([k.status, k.json], [200, {}]);
  const after = await hs.req('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b`,
                             { token: carl.access_token });
  assert.equal(after.status, 200, 'a kicked user still reads history up to the kick');
  assert.ok(!after.json.chunk.some((e) => e.content.body === 'after kick'));
  await alice.sendTextMessage(roomId, 'after kick');
  const after2 = await hs.req('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b`,
                              { token: carl.access_token });
  assert.ok(!after2.json.chunk.some((e) => e.content.body === 'after kick'), 'nothing after the kick');
  const st = await hs.req('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state`, { token: carl.access_token });
  // a former member reads the state as it was when they left (the spec's
  // GET /state/{type}/{key}; Synapse answers /state the same way)
  assert.equal(st.status, 200, 'a kicked user reads the state at the kick');
  assert.equal(st.json.find((e) => e.type === 'm.room.member' && e.state_key === carl.user_id).content.membership,
               'leave');
  const send = await hs.req('PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/x1`,
                            { token: carl.access_token, body: { msgtype: 'm.text', body: 'hi' } });
  assert.equal(send.status, 403);
  await alice.ban(roomId, carl.user_id, 'banned');
  const rejoin = await hs.req('POST', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/join`,
                              { token: carl.access_token, body: {} });
  assert.equal(rejoin.status, 403, 'banned users cannot join');
  const stBan = await hs.req('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state`, { token: carl.access_token });
  assert.equal(stBan.status, 403, 'a banned user reads no state (Synapse: departed means left, not banned)');
  const mem = await hs.req('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/members?membership=ban`,
                           { token: aliceCreds.access_token });
  assert.deepEqual(mem.json.chunk.map((e) => e.state_key), [carl.user_id]);
});

test('security: error codes, limits, rate limit', async () => {
  const tok = bobCreds.access_token;
  const base = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message`;
  let r = await hs.req('PUT', `${base}/bad1`, { token: tok, raw: '{"msgtype":', headers: { 'Content-Type': 'application/json' } });
  assert.deepEqual([r.status, r.json.errcode], [400, 'M_NOT_JSON']);
  r = await hs.req('PUT', `${base}/bad2`, { token: tok, raw: '[1,2]' });
  assert.deepEqual([r.status, r.json.errcode], [400, 'M_BAD_JSON']);
  r = await hs.req('PUT', `${base}/bad3`, { token: tok, raw: '{"a":' + '['.repeat(100) + ']'.repeat(100) + '}' });
  assert.deepEqual([r.status, r.json.errcode], [400, 'M_BAD_JSON'], 'JSON depth limit');
  r = await hs.req('PUT', `${base}/bad4`, { token: tok, raw: '{"body":"' + 'x'.repeat(1100000) + '"}' });
  assert.equal(r.status, 413, 'body size limit');
  r = await hs.req('GET', '/_matrix/client/v3/account/whoami', { token: 'mxhs_nope' });
  assert.deepEqual([r.status, r.json.errcode], [401, 'M_UNKNOWN_TOKEN']);
  r = await hs.req('GET', '/_matrix/client/v3/account/whoami');
  assert.deepEqual([r.status, r.json.errcode], [401, 'M_MISSING_TOKEN']);
  r = await hs.req('GET', `/_matrix/client/r0/account/whoami?access_token=${tok}`);
  assert.equal(r.json.user_id, bob.getUserId(), 'query-string token (nio)');
  r = await hs.req('GET', '/_matrix/client/v3/no/such/thing', { token: tok });
  assert.deepEqual([r.status, r.json.errcode, typeof r.json.error], [404, 'M_UNRECOGNIZED', 'string']);
  r = await hs.req('DELETE', '/_matrix/client/v3/createRoom', { token: tok });
  assert.deepEqual([r.status, r.json.errcode], [405, 'M_UNRECOGNIZED']);
  r = await hs.req('POST', '/_matrix/client/v3/login', { body: { type: 'm.login.password', user: 'echo', password: 'x' } });
  assert.deepEqual([r.status, r.json.errcode], [400, 'M_EXCLUSIVE'], 'module namespace is exclusive');
  // a user outside the room
  assert.equal(hs.registerUser('eve', 'pw-eve').status, 0);
  const eve = await login('eve', 'pw-eve');
  for (const p of ['state', 'joined_members', 'members', 'messages']) {
    r = await hs.req('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/${p}`, { token: eve.access_token });
    assert.deepEqual([p, r.status, r.json.errcode], [p, 403, 'M_FORBIDDEN']);
  }
  const s = await hs.req('GET', '/_matrix/client/v3/sync', { token: eve.access_token });
  assert.deepEqual(Object.keys(s.json.rooms.join), [], 'sync shows no foreign rooms');
  // devices: list, rename (exactly {}), unknown
  r = await hs.req('GET', '/_matrix/client/v3/devices', { token: eve.access_token });
  assert.deepEqual(r.json.devices.map((d) => d.device_id), [eve.device_id]);
  r = await hs.req('PUT', `/_matrix/client/r0/devices/${eve.device_id}`, { token: eve.access_token, body: { display_name: 'phone' } });
  assert.deepEqual([r.status, r.json], [200, {}]);
  r = await hs.req('GET', `/_matrix/client/v3/devices/${eve.device_id}`, { token: eve.access_token });
  assert.equal(r.json.display_name, 'phone');
  r = await hs.req('GET', `/_matrix/client/v3/devices/${bobCreds.device_id}`, { token: eve.access_token });
  assert.equal(r.status, 404, 'another user\'s device is not visible');
  // logout kills the token
  r = await hs.req('POST', '/_matrix/client/v3/logout', { token: eve.access_token, body: {} });
  assert.deepEqual([r.status, r.json], [200, {}]);
  r = await hs.req('GET', '/_matrix/client/v3/account/whoami', { token: eve.access_token });
  assert.equal(r.json.errcode, 'M_UNKNOWN_TOKEN');
});

test('bad input gets a JSON error, never a crash', async () => {
  const t = aliceCreds.access_token;
  const R = encodeURIComponent(roomId);
  const cases = [
    ['GET', '/_matrix/client/v3/rooms/%00/state'],
    ['GET', '/_matrix/client/v3/rooms/%ZZ/state'],
    ['GET', '/_matrix/client/v3/' + 'a/'.repeat(40)],
    ['GET', `/_matrix/client/v3/sync?since=garbage`],
    ['GET', `/_matrix/client/v3/sync?filter=${encodeURIComponent('{"room":')}&timeout=0`],
    ['GET', `/_matrix/client/v3/rooms/${R}/messages?from=s-1`],
    ['GET', `/_matrix/client/v3/rooms/${R}/messages?limit=-3&dir=x`],
    ['GET', `/_matrix/client/v3/rooms/${R}/event/%24nope`],
    ['GET', `/_matrix/client/v3/rooms/${R}/context/%24nope`],
    ['GET', '/_matrix/client/v3/rooms/!nope:test.mxhs/state/m.room.name'],
    ['PUT', '/_matrix/client/v3/rooms/!nope:test.mxhs/send/m.room.message/t', { body: 'x' }],
    ['POST', '/_matrix/client/v3/createRoom', { invite: 'not-a-list' }],
    ['POST', '/_matrix/client/v3/createRoom', { invite: [42] }],
    ['POST', '/_matrix/client/v3/createRoom', { room_version: '12' }],
    ['POST', '/_matrix/client/v3/createRoom', { preset: 'weird' }],
    ['POST', '/_matrix/client/v3/createRoom', { initial_state: [{ type: 'x' }] }],
    ['POST', '/_matrix/client/v3/createRoom', { invite: ['@ghost:elsewhere.org'] }],
    ['POST', `/_matrix/client/v3/rooms/${R}/invite`, {}],
    ['POST', `/_matrix/client/v3/rooms/${R}/kick`, { user_id: 42 }],
    ['PUT', `/_matrix/client/v3/rooms/${R}/state/m.room.power_levels/`, { users: { [alice.getUserId()]: 'high' } }],
    ['PUT', `/_matrix/client/v3/rooms/${R}/typing/${encodeURIComponent(bob.getUserId())}`, { typing: true }],
    ['POST', `/_matrix/client/v3/rooms/${R}/receipt/m.bogus/%24x`, {}],
    ['PUT', `/_matrix/client/v3/profile/${encodeURIComponent(alice.getUserId())}/displayname`, { displayname: 5 }],
    ['PUT', `/_matrix/client/v3/profile/${encodeURIComponent(bob.getUserId())}/displayname`, { displayname: 'x' }],
    ['GET', '/_matrix/client/v3/profile/@nobody:test.mxhs'],
    ['POST', '/_matrix/client/v3/login', { type: 'm.login.token', token: 'x' }],
    ['POST', '/_matrix/client/v3/login', { type: 'm.login.password', identifier: { type: 'm.id.phone' }, password: 'x' }],
    ['POST', '/_matrix/client/v3/register', { username: 'Bad Name!', password: 'x', auth: { type: 'm.login.dummy' } }],
    ['POST', '/_matrix/client/v3/register?kind=guest', {}],
    ['GET', '/_matrix/media/v3/download/other.server/abc'],
    ['GET', '/_matrix/media/v3/download/test.mxhs/..%2F..%2Fetc%2Fpasswd'],
    ['GET', '/_matrix/client/v3/user/%40alice%3Atest.mxhs/filter/notanumber'],
    ['POST', '/_matrix/client/v3/user/%40bob%3Atest.mxhs/filter', {}],
  ];
  for (const [method, p, body] of cases) {
    const r = await hs.req(method, p, { token: t, body });
    assert.ok(r.status >= 400 && r.status < 500, `${method} ${p} -> ${r.status} ${r.body}`);
    assert.ok(r.json && typeof r.json.errcode === 'string' && typeof r.json.error === 'string',
              `${method} ${p} -> JSON error body`);
  }
  const ok = await hs.req('GET', '/_matrix/client/versions');
  assert.equal(ok.status, 200, 'still serving');
});

test('login rate limit answers 429 with retry_after_ms', async () => {
  const limited = new Homeserver({ loginPerMinute: 3 });
  try {
    await limited.start();
    const codes = [];
    for (let i = 0; i < 5; i++) {
      const r = await limited.req('POST', '/_matrix/client/v3/login',
        { body: { type: 'm.login.password', user: 'nobody', password: 'x' } });
      codes.push(r.status);
      if (r.status === 429) assert.ok(r.json.retry_after_ms > 0);
    }
    assert.deepEqual(codes, [403, 403, 403, 429, 429]);
  } finally {
    await limited.stop();
    limited.cleanup();
  }
});

test('closed registration, and the shared-secret registration token', async () => {
  const closed = new Homeserver({ registration: false, sharedSecret: 's3cret-token' });
  try {
    await closed.start();
    const reg = (auth) => closed.req('POST', '/_matrix/client/v3/register',
      { body: { username: 'zed', password: 'pw', auth } });
    let r = await reg({ type: 'm.login.dummy' });
    assert.equal(r.status, 401, 'dummy auth is not enough when registration is closed');
    assert.deepEqual(r.json.flows, [{ stages: ['m.login.registration_token'] }]);
    r = await reg({ type: 'm.login.registration_token', token: 's3cret-tokeX', session: r.json.session });
    assert.deepEqual([r.status, r.json.errcode], [401, 'M_FORBIDDEN']);
    r = await reg({ type: 'm.login.registration_token', token: 's3cret-token' });
    assert.deepEqual([r.status, r.json.user_id], [200, `@zed:${SERVER}`]);
  } finally {
    await closed.stop();
    closed.cleanup();
  }
  const none = new Homeserver({ registration: false });
  try {
    await none.start();
    const r = await none.req('POST', '/_matrix/client/v3/register',
      { body: { username: 'zed', password: 'pw', auth: { type: 'm.login.dummy' } } });
    assert.deepEqual([r.status, r.json.errcode], [403, 'M_FORBIDDEN']);
  } finally {
    await none.stop();
    none.cleanup();
  }
});

test('bad config names the key and line and exits 1', () => {
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'mxhs-cfg-'));
  try {
    const f = path.join(dir, 'bad.yaml');
    fs.writeFileSync(f, 'server_name: x.test\nlisten:\n  port: 99999\n');
    let r = spawnSync(MXHS, ['--config', f], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /bad\.yaml:3: listen\.port: expected an integer/);
    fs.writeFileSync(f, 'server_name: x.test\nmodules:\n  - module: echo\n    colour: red\n');
    r = spawnSync(MXHS, ['--config', f], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /bad\.yaml:4: colour: unknown key/);
    fs.writeFileSync(f, 'listen: {port: 1}\n');
    r = spawnSync(MXHS, ['--config', f], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /server_name: missing/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('room version 11, leaving, and rooms.leave in /sync', async () => {
  const { room_id: r11 } = await alice.createRoom({ room_version: '11', invite: [bob.getUserId()], name: 'v11' });
  await until(() => bob.getRoom(r11)?.getMyMembership() === 'invite', 'bob invited to the v11 room');
  await bob.joinRoom(r11);
  const create = bob.getRoom(r11).currentState.getStateEvents('m.room.create', '');
  assert.equal(create.getContent().room_version, '11');
  assert.equal(create.getContent().creator, alice.getUserId(), 'creator kept in v11 for nio');
  const m = await bob.sendTextMessage(r11, 'v11 message');
  await alice.redactEvent(r11, m.event_id);
  await until(() => alice.getRoom(r11)?.findEventById(m.event_id)?.isRedacted(), 'redaction in v11');
  await bob.leave(r11);
  await until(() => bob.getRoom(r11)?.getMyMembership() === 'leave', 'js-sdk sees its leave');
  const r = await hs.req('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(r11)}/messages?dir=b&limit=50`,
                         { token: bobCreds.access_token });
  assert.equal(r.status, 200, 'history up to the leave stays readable');
});

test('restart: sync token, txn idempotency, rooms, media and tokens persist', async () => {
  const tok = aliceCreds.access_token;
  const send = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/persist-1`;
  const first = await hs.req('PUT', send, { token: tok, body: { msgtype: 'm.text', body: 'before restart' } });
  const s1 = await hs.req('GET', '/_matrix/client/v3/sync?timeout=0', { token: tok });
  const up = await hs.req('POST', '/_matrix/media/v3/upload?filename=p.png', { token: tok, raw: PNG,
                          headers: { 'Content-Type': 'image/png' } });
  for (const c of clients) c.stopClient();
  clients.length = 0;
  await hs.restart();
  const again = await hs.req('PUT', send, { token: tok, body: { msgtype: 'm.text', body: 'before restart' } });
  assert.equal(again.json.event_id, first.json.event_id, 'same txn id, same event after restart');
  const s2 = await hs.req('GET', `/_matrix/client/v3/sync?since=${s1.json.next_batch}&timeout=0`, { token: tok });
  assert.equal(s2.status, 200);
  assert.deepEqual(Object.keys(s2.json.rooms.join), [], 'old token still valid: nothing new');
  await hs.req('PUT', send.replace('persist-1', 'persist-2'), { token: bobCreds.access_token,
                                                             body: { msgtype: 'm.text', body: 'after restart' } });
  const s3 = await hs.req('GET', `/_matrix/client/v3/sync?since=${s1.json.next_batch}&timeout=5000`, { token: tok });
  const evs = s3.json.rooms.join[roomId].timeline.events.map((e) => e.content.body);
  assert.deepEqual(evs, ['after restart']);
  const m = /^mxc:\/\/[^/]+\/(.+)$/.exec(up.json.content_uri);
  const got = await hs.req('GET', `/_matrix/client/v1/media/download/${SERVER}/${m[1]}`, { token: tok });
  assert.deepEqual(got.body, PNG);
  // the persisted graph, checked by an independent implementation
  const g = spawnSync(process.env.NIO_PYTHON || '/usr/bin/python3',
                      [path.join(__dirname, 'mxhs_graph.py'), path.join(hs.dir, 'hs.db')], { encoding: 'utf8' });
  assert.equal(g.status, 0, g.stdout + g.stderr);
  assert.match(g.stdout, /GRAPH OK \d+/);
  // a fresh js-sdk client on the new port with the old token
  const c = await start(aliceCreds);
  await until(() => c.getRoom(roomId)?.getLiveTimeline().getEvents().some((e) => e.getContent().body === 'after restart'),
              'js-sdk sees the room after restart');
});
