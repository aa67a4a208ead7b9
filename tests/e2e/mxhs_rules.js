// End-to-end against the real mxhs over HTTP (issue 13): read rules
// (m.room.history_visibility, ban/kick before joining, leave and rejoin:
// /messages, /event, /context, /relations, bundled edits, /sync),
// redaction auth through /redact and /send, and the limits and files:
// body limits before authentication, parked /sync per user,
// registration-token rate limit, 0600 files,
// register-user namespaces, device last-seen, voip/turnServer; /state and
// /members for former members; UIA sessions and failed-password limits.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Homeserver, SERVER, PNG } = require('./mxhs_harness.js');

// Files are created under umask 0, so only the server's own modes count.
const oldUmask = process.umask(0);
const hs = new Homeserver({ loginPerMinute: 1000 });
const C = '/_matrix/client/v3';
let A, B, Cc, D; // alice (creator), bob, carol, dave: {token, user}
let txn = 0;

async function register(name) {
  const r = await hs.req('POST', `${C}/register`, { body: { username: name, password: 'pw-' + name,
    auth: { type: 'm.login.dummy' } } });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return { token: r.json.access_token, user: r.json.user_id, device: r.json.device_id };
}

async function call(who, method, p, body) {
  return hs.req(method, p, { token: who.token, body });
}

async function ok(who, method, p, body) {
  const r = await call(who, method, p, body);
  assert.equal(r.status, 200, `${method} ${p}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

const enc = encodeURIComponent;
async function send(who, room, body, extra) {
  return (await ok(who, 'PUT', `${C}/rooms/${enc(room)}/send/m.room.message/t${++txn}`,
                   Object.assign({ msgtype: 'm.text', body }, extra || {}))).event_id;
}
async function state(who, room, type, content, key = '') {
  return (await ok(who, 'PUT', `${C}/rooms/${enc(room)}/state/${type}/${enc(key)}`, content)).event_id;
}
async function room(vis, opts = {}) {
  const { room_id: id } = await ok(A, 'POST', `${C}/createRoom`, Object.assign({ preset: 'private_chat' }, opts));
  if (vis) await state(A, id, 'm.room.history_visibility', { history_visibility: vis });
  return id;
}
const invite = (room, who) => ok(A, 'POST', `${C}/rooms/${enc(room)}/invite`, { user_id: who.user });
const join = (room, who) => ok(who, 'POST', `${C}/rooms/${enc(room)}/join`, {});
const leave = (room, who) => ok(who, 'POST', `${C}/rooms/${enc(room)}/leave`, {});

// Bodies of the m.text messages `who` gets from /messages (all pages).
async function bodies(who, room) {
  const out = [];
  let from = null;
  for (let i = 0; i < 50; i++) {
    const q = `dir=b&limit=5${from ? '&from=' + enc(from) : ''}`;
    const r = await call(who, 'GET', `${C}/rooms/${enc(room)}/messages?${q}`);
    if (r.status !== 200) return r.status;
    for (const e of r.json.chunk) if (e.type === 'm.room.message') out.unshift(e.content.body);
    if (!r.json.end) break;
    from = r.json.end;
  }
  return out;
}

before(async () => {
  await hs.start();
  A = await register('alice');
  B = await register('bob');
  Cc = await register('carol');
  D = await register('dave');
});

after(async () => {
  process.umask(oldUmask);
  await hs.stop();
  hs.cleanup();
});

test('history_visibility joined and invited hide what came before', async () => {
  for (const [vis, expect] of [['joined', ['after-join']],
                               ['invited', ['while-invited', 'after-join']],
                               ['shared', ['before-invite', 'while-invited', 'after-join']]]) {
    const id = await room(vis);
    const before = await send(A, id, 'before-invite');
    await invite(id, B);
    await send(A, id, 'while-invited');
    await join(id, B);
    await send(A, id, 'after-join');
    assert.deepEqual(await bodies(B, id), expect, `/messages with ${vis}`);
    const ev = await call(B, 'GET', `${C}/rooms/${enc(id)}/event/${enc(before)}`);
    assert.equal(ev.status, vis === 'shared' ? 200 : 404, `/event with ${vis}`);
    const ctx = await call(B, 'GET', `${C}/rooms/${enc(id)}/context/${enc(before)}`);
    assert.equal(ctx.status, vis === 'shared' ? 200 : 404, `/context with ${vis}`);
    const s = await ok(B, 'GET', `${C}/sync?filter=${enc(JSON.stringify({ room: { timeline: { limit: 50 } } }))}`);
    const tl = s.rooms.join[id].timeline.events.filter((e) => e.type === 'm.room.message')
      .map((e) => e.content.body);
    assert.deepEqual(tl, expect, `/sync timeline with ${vis}`);
  }
});

test('world_readable rooms can be read without joining; shared ones cannot', async () => {
  const wr = await room('world_readable');
  await send(A, wr, 'for everyone');
  assert.deepEqual(await bodies(Cc, wr), ['for everyone']);
  const sh = await room('shared');
  await send(A, sh, 'members only');
  assert.equal(await bodies(Cc, sh), 403);
});

test('kicked or banned before ever joining: no read access at all', async () => {
  for (const how of ['ban', 'kick']) {
    const id = await room('shared');
    const secret = await send(A, id, 'secret-' + how);
    await invite(id, D);
    await ok(A, 'POST', `${C}/rooms/${enc(id)}/${how}`, { user_id: D.user });
    assert.equal(await bodies(D, id), 403, `/messages after ${how}`);
    for (const p of [`event/${enc(secret)}`, `context/${enc(secret)}`, `relations/${enc(secret)}`]) {
      const r = await call(D, 'GET', `${C}/rooms/${enc(id)}/${p}`);
      assert.equal(r.status, 403, `${p} after ${how}: ${JSON.stringify(r.json)}`);
    }
  }
});

test('after leaving: nothing later in /relations, bundled edits, /context, state as at the leave', async () => {
  const id = await room('shared', { name: 'before' });
  await invite(id, B);
  await join(id, B);
  const orig = await send(A, id, 'original');
  await send(A, id, 'edit-before', { 'm.new_content': { msgtype: 'm.text', body: 'edited-before' },
                                     'm.relates_to': { rel_type: 'm.replace', event_id: orig } });
  await leave(id, B);
  await send(A, id, 'edit-after', { 'm.new_content': { msgtype: 'm.text', body: 'edited-after' },
                                    'm.relates_to': { rel_type: 'm.replace', event_id: orig } });
  await ok(A, 'PUT', `${C}/rooms/${enc(id)}/send/m.reaction/t${++txn}`,
           { 'm.relates_to': { rel_type: 'm.annotation', event_id: orig, key: '👍' } });
  await send(A, id, 'after-leave');
  await state(A, id, 'm.room.name', { name: 'after' });

  const rel = await ok(B, 'GET', `/_matrix/client/v1/rooms/${enc(id)}/relations/${enc(orig)}`);
  assert.deepEqual(rel.chunk.map((e) => e.content.body), ['edit-before']);
  const ev = await ok(B, 'GET', `${C}/rooms/${enc(id)}/event/${enc(orig)}`);
  assert.equal(ev.unsigned['m.relations']['m.replace'].content['m.new_content'].body, 'edited-before');
  const mine = await ok(A, 'GET', `${C}/rooms/${enc(id)}/event/${enc(orig)}`);
  assert.equal(mine.unsigned['m.relations']['m.replace'].content['m.new_content'].body, 'edited-after');
  const ctx = await ok(B, 'GET', `${C}/rooms/${enc(id)}/context/${enc(orig)}?limit=20`);
  const after = ctx.events_after.map((e) => e.content.body || e.content.membership);
  assert.ok(!after.includes('after-leave') && !after.includes('edit-after'), JSON.stringify(after));
  assert.equal(ctx.events_after.at(-1).type, 'm.room.member', 'the leave ends what bob sees');
  const name = ctx.state.find((e) => e.type === 'm.room.name');
  assert.equal(name.content.name, 'before');
  assert.ok(!(await bodies(B, id)).includes('after-leave'));
});

test('after leaving: /state, /state/{type} and /members answer with the state at the leave', async () => {
  const id = await room('shared', { name: 'then' });
  await invite(id, B);
  await join(id, B);
  await leave(id, B);
  await state(A, id, 'm.room.name', { name: 'now' });
  await invite(id, Cc);
  const all = await ok(B, 'GET', `${C}/rooms/${enc(id)}/state`);
  assert.equal(all.find((e) => e.type === 'm.room.name').content.name, 'then');
  assert.equal(all.find((e) => e.type === 'm.room.member' && e.state_key === B.user).content.membership, 'leave');
  assert.equal((await ok(B, 'GET', `${C}/rooms/${enc(id)}/state/m.room.name/`)).name, 'then');
  assert.equal((await ok(B, 'GET', `${C}/rooms/${enc(id)}/state/m.room.name`)).name, 'then');
  const members = (await ok(B, 'GET', `${C}/rooms/${enc(id)}/members`)).chunk;
  assert.ok(members.every((e) => e.type === 'm.room.member'));
  assert.ok(!members.some((e) => e.state_key === Cc.user), 'no one invited after the leave');
  assert.deepEqual(members.map((e) => e.state_key).sort(), [A.user, B.user].sort());
  // never a member: still 403
  for (const p of ['state', 'state/m.room.name/', 'members']) {
    const r = await call(D, 'GET', `${C}/rooms/${enc(id)}/${p}`);
    assert.equal(r.status, 403, `${p} for a stranger: ${JSON.stringify(r.json)}`);
  }
});

test('rejoining a joined-visibility room shows both stays, not the gap', async () => {
  const id = await room('joined');
  await invite(id, B);
  await join(id, B);
  await send(A, id, 'first-stay');
  await leave(id, B);
  await send(A, id, 'gap');
  await invite(id, B);
  await join(id, B);
  await send(A, id, 'second-stay');
  assert.deepEqual(await bodies(B, id), ['first-stay', 'second-stay']);
});

test('redactions need the redact level for others\' events, through /redact and /send', async () => {
  for (const version of ['10', '11']) {
    const id = await room('shared', { room_version: version });
    await invite(id, B);
    await join(id, B);
    const hers = await send(A, id, 'alice says');
    const his = await send(B, id, 'bob says');
    // bob (power 0) on alice's event: refused both ways
    let r = await call(B, 'PUT', `${C}/rooms/${enc(id)}/redact/${enc(hers)}/t${++txn}`, {});
    assert.equal(r.status, 403);
    r = await call(B, 'PUT', `${C}/rooms/${enc(id)}/send/m.room.redaction/t${++txn}`, { redacts: hers });
    assert.equal(r.status, 403, `v${version} /send redaction of another's event: ${JSON.stringify(r.json)}`);
    let ev = await ok(A, 'GET', `${C}/rooms/${enc(id)}/event/${enc(hers)}`);
    assert.equal(ev.content.body, 'alice says');
    // bob's own event through /send: allowed and applied
    r = await call(B, 'PUT', `${C}/rooms/${enc(id)}/send/m.room.redaction/t${++txn}`, { redacts: his });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    ev = await ok(A, 'GET', `${C}/rooms/${enc(id)}/event/${enc(his)}`);
    assert.deepEqual(ev.content, {});
    assert.equal(ev.unsigned.redacted_because.event_id, r.json.event_id);
    // alice (100) on bob's new event through /send
    const his2 = await send(B, id, 'bob again');
    r = await call(A, 'PUT', `${C}/rooms/${enc(id)}/send/m.room.redaction/t${++txn}`, { redacts: his2 });
    assert.equal(r.status, 200);
    ev = await ok(B, 'GET', `${C}/rooms/${enc(id)}/event/${enc(his2)}`);
    assert.deepEqual(ev.content, {});
    r = await call(A, 'PUT', `${C}/rooms/${enc(id)}/send/m.room.redaction/t${++txn}`, {});
    assert.equal(r.status, 400, 'a redaction without redacts');
  }
});

test('at most 8 parked syncs per user: the oldest ones are answered early', { timeout: 40000 }, async () => {
  const since = (await ok(Cc, 'GET', `${C}/sync`)).next_batch;
  // 12 long-polls of 60 s: whatever order they reach the server in, once
  // 9 are parked the oldest is answered at once with an empty sync.
  const polls = [];
  for (let i = 0; i < 12; i++) {
    polls.push(call(Cc, 'GET', `${C}/sync?since=${since}&timeout=60000`));
    await ok(Cc, 'GET', `${C}/account/whoami`);
  }
  const early = await Promise.race(polls);
  assert.equal(early.status, 200);
  assert.deepEqual(early.json.rooms.join, {});
  // the ones still parked are answered by news: a room for carol
  const { room_id: id } = await ok(Cc, 'POST', `${C}/createRoom`, {});
  const all = await Promise.all(polls);
  const withRoom = all.filter((r) => r.json.rooms.join[id]).length;
  assert.ok(withRoom >= 8, `${withRoom} of 12 polls saw the new room`);
  assert.equal(all.every((r) => r.status === 200), true);
});

test('without a valid token a body may have 64 KiB; uploads need a token for more', async () => {
  const big = 'x'.repeat(100 * 1024);
  let r = await hs.req('POST', `${C}/login`, { raw: big });
  assert.equal(r.status, 413, 'unauthenticated 100 KiB');
  r = await call(A, 'PUT', `${C}/user/${enc(A.user)}/account_data/org.example.big`, { a: big });
  assert.equal(r.status, 200, 'authenticated 100 KiB of JSON');
  const blob = Buffer.alloc(3 * 1024 * 1024, 7);
  for (const token of [undefined, 'not-a-token']) {
    r = await hs.req('POST', '/_matrix/media/v3/upload', { token, raw: blob });
    assert.equal(r.status, 413, `3 MiB upload with token ${token}`);
  }
  r = await hs.req('POST', '/_matrix/media/v3/upload', { token: A.token, raw: blob,
                                                         headers: { 'Content-Type': 'application/octet-stream' } });
  assert.equal(r.status, 200, 'authenticated 3 MiB upload');
  assert.equal((await call(A, 'GET', `${C}/account/whoami`)).status, 200);
});

test('devices carry last_seen_ts and last_seen_ip; turnServer answers {}', async () => {
  const d = await ok(A, 'GET', `${C}/devices`);
  const mine = d.devices.find((x) => x.device_id === A.device);
  assert.ok(mine.last_seen_ts > 0, JSON.stringify(mine));
  assert.equal(mine.last_seen_ip, '127.0.0.1');
  const one = await ok(A, 'GET', `${C}/devices/${enc(A.device)}`);
  assert.ok(one.last_seen_ts > 0);
  assert.deepEqual(await ok(A, 'GET', `${C}/voip/turnServer`), {});
});

test('database and media files are 0600 and the media directory 0700 under umask 0', async () => {
  const up = await hs.req('POST', '/_matrix/media/v3/upload', { token: A.token, raw: PNG,
                                                                headers: { 'Content-Type': 'image/png' } });
  assert.equal(up.status, 200);
  const id = up.json.content_uri.split('/').pop();
  const mode = (f) => (fs.statSync(f).mode & 0o777).toString(8);
  for (const f of ['hs.db', 'hs.db-wal', 'hs.db-shm'])
    if (fs.existsSync(path.join(hs.dir, f))) assert.equal(mode(path.join(hs.dir, f)), '600', f);
  assert.equal(mode(path.join(hs.dir, 'hs.db')), '600');
  assert.equal(mode(path.join(hs.dir, 'media', id)), '600');
  assert.equal(mode(path.join(hs.dir, 'media')), '700');
});

test('register-user refuses a module namespace however the user is named', async () => {
  for (const u of ['echo', `@echo:${SERVER}`]) {
    const r = hs.registerUser(u, 'pw');
    assert.notEqual(r.status, 0, `${u} was created: ${r.stdout}`);
    assert.match(r.stderr, /exclusive user namespace of module echo/);
  }
  assert.equal(hs.registerUser(`@erin:${SERVER}`, 'pw').status, 0);
});

// nheko showed a user made by register-user as its whole MXID everywhere:
// the profile was empty. Synapse starts it with the localpart.
test('a new user (register-user or /register) starts with the localpart as display name', async () => {
  assert.equal(hs.registerUser('frank', 'pw').status, 0);
  let r = await hs.req('GET', `${C}/profile/${enc(`@frank:${SERVER}`)}/displayname`, { token: A.token });
  assert.deepEqual([r.status, r.json.displayname], [200, 'frank']);
  const g = await register('grace');
  r = await call(g, 'GET', `${C}/profile/${enc(g.user)}`);
  assert.deepEqual([r.status, r.json.displayname], [200, 'grace']);
});

test('registration-token guesses are rate limited with retry_after_ms', async () => {
  const t = new Homeserver({ registration: false, sharedSecret: 'the-token', loginPerMinute: 3 });
  await t.start();
  try {
    const guess = () => t.req('POST', `${C}/register`, { body: { username: 'g', password: 'p',
      auth: { type: 'm.login.registration_token', token: 'wrong' } } });
    for (let i = 0; i < 3; i++) assert.equal((await guess()).status, 401);
    const r = await guess();
    assert.equal(r.status, 429);
    assert.equal(r.json.errcode, 'M_LIMIT_EXCEEDED');
    assert.ok(r.json.retry_after_ms > 0);
  } finally {
    await t.stop();
    t.cleanup();
  }
});

test('UIA: sessions belong to one user and one operation; failed passwords are rate limited', async () => {
  const login = async () => (await hs.req('POST', `${C}/login`, { body: { type: 'm.login.password',
    identifier: { type: 'm.id.user', user: 'bob' }, password: 'pw-bob' } })).json;
  const b1 = await login(), b2 = await login();
  const auth = (extra) => Object.assign({ type: 'm.login.password', identifier: { type: 'm.id.user', user: 'bob' },
                                          password: 'pw-bob' }, extra);
  const del = (dev, body) => hs.req('DELETE', `${C}/devices/${enc(dev)}`, { token: B.token, body });
  let r = await del(b1.device_id, {});
  assert.equal(r.status, 401);
  const sess = r.json.session;
  // an unknown session, or one opened for another operation or user, is refused
  r = await del(b1.device_id, { auth: auth({ session: 'nonexistent' }) });
  assert.equal(r.status, 400, JSON.stringify(r.json));
  r = await del(b2.device_id, { auth: auth({ session: sess }) });
  assert.equal(r.status, 403, JSON.stringify(r.json));
  r = await hs.req('POST', `${C}/delete_devices`, { token: A.token,
    body: { devices: [], auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'alice' },
                                 password: 'pw-alice', session: sess } } });
  assert.equal(r.status, 403, 'another user cannot complete bob\'s session');
  // the right one works, once
  r = await del(b1.device_id, { auth: auth({ session: sess }) });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  r = await del(b2.device_id, { auth: auth({ session: sess }) });
  assert.equal(r.status, 400, 'a completed session is gone');
  // wrong passwords: a few, then 429 with retry_after_ms, even for the right one
  let limited = null;
  for (let i = 0; i < 10 && !limited; i++) {
    // eslint-disable-next-line no-await-in-loop
    r = await del(b2.device_id, { auth: auth({ password: `wrong-${i}` }) });
    if (r.status === 429) limited = r;
    else assert.equal(r.status, 401);
  }
  assert.ok(limited, 'failed UIA passwords are rate limited');
  assert.equal(limited.json.errcode, 'M_LIMIT_EXCEEDED');
  assert.ok(limited.json.retry_after_ms > 0 && limited.json.retry_after_ms <= 60000);
  r = await del(b2.device_id, { auth: auth() });
  assert.equal(r.status, 429, 'the limit holds for the right password too, until the window ends');
});
