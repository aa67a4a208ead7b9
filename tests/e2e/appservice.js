// End-to-end: the echo module behind mxhs through the Application Service
// API. mxhs loads only the registration that `mxm-appservice
// generate-registration` wrote (app_service_config_files; the module is NOT
// loaded into mxhs), and mxm-appservice hosts examples/echo. A matrix-js-sdk
// client invites @echo and talks to it: every event reaches the module in a
// transaction, and every reply goes back as a CS API call with the as_token
// and user_id= masquerading. Then: the shim is killed with SIGKILL, a message
// sent meanwhile reaches the module once the shim is back (mxhs retries the
// transaction with backoff); a transaction replayed after a restart of the
// shim is not applied again (the txnId store is durable); hs_token checks,
// user queries, ping; as_token rules in mxhs (namespace, ts, registration).
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { Homeserver, until, polyfill, SERVER, ECHO } = require('./mxhs_harness.js');
const { Shim, SHIM, freePort } = require('./appservice_lib.js');
const ECHO_ID = `@echo:${SERVER}`;
const enc = encodeURIComponent;

polyfill();
let sdk, alice, roomId, shimPort, hsPort, reg;
const hs = new Homeserver();
const clients = [];

let shim;

async function shimReq(method, p, { token, body } = {}) {
  const h = {};
  if (token) h.Authorization = `Bearer ${token}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const res = await fetch(`http://127.0.0.1:${shimPort}${p}`,
                          { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch (e) { /* not JSON */ }
  return { status: res.status, json };
}

function bodies(c, rid) {
  const room = c.getRoom(rid);
  if (!room) return [];
  return room.getLiveTimeline().getEvents()
    .filter((e) => e.getType() === 'm.room.message')
    .map((e) => ({ sender: e.getSender(), body: e.getContent().body, id: e.getId() }));
}

async function echoStats() {
  const r = await shimReq('GET', '/_mxm/echo/stats');
  assert.equal(r.status, 200, 'the module route is served on the shim listener');
  return r.json;
}

before(async () => {
  const url = pathToFileURL(require.resolve('matrix-js-sdk'));
  sdk = await import(url.href);
  if (!process.env.MXHS_JS_DEBUG) for (const k of ['log', 'info', 'debug', 'warn']) console[k] = () => {};
  shimPort = await freePort();
  hsPort = await freePort(); // fixed: the shim reaches mxhs again after a restart
  const dir = hs.dir;
  const regFile = path.join(dir, 'echo-registration.yaml');
  const asCfg = path.join(dir, 'appservice.yaml');
  // one config for the shim: the module block has mxhs's keys (module, config)
  fs.writeFileSync(asCfg, `homeserver: {url: "http://127.0.0.1:1", server_name: ${SERVER}}
appservice:
  id: echo-as
  listen: {address: 127.0.0.1, port: ${shimPort}}
  sender_localpart: echo_bot
  registration: ${regFile}
database: ${dir}/as/appservice.db
data_dir: ${dir}/as
log_level: debug
module:
  module: ${ECHO}
  config: {localpart: echo, prefix: "echo: ", delay_ms: ${process.env.AS_ECHO_DELAY || 0}}
`);
  const g = spawnSync(SHIM, ['generate-registration', '--config', asCfg], { encoding: 'utf8' });
  assert.equal(g.status, 0, g.stderr);
  assert.equal(fs.statSync(regFile).mode & 0o777, 0o600, 'the registration holds tokens: 0600');
  const text = fs.readFileSync(regFile, 'utf8');
  reg = Object.fromEntries(['id', 'url', 'as_token', 'hs_token', 'sender_localpart']
    .map((k) => [k, new RegExp(`^${k}: '([^']*)'$`, 'm').exec(text)[1]]));
  assert.deepEqual([reg.id, reg.url, reg.sender_localpart], ['echo-as', `http://127.0.0.1:${shimPort}`, 'echo_bot']);
  assert.match(reg.as_token, /^[A-Za-z0-9_-]{64}$/);
  assert.notEqual(reg.as_token, reg.hs_token);
  assert.match(text, /^rate_limited: false$/m);
  assert.match(text, /^receive_ephemeral: true$/m);
  assert.match(text, /^de\.sorunome\.msc2409\.push_ephemeral: true$/m);
  assert.ok(text.includes("regex: '^@(echo):test\\.mxhs$'"), text);
  // mxhs without the module, with the registration, unchanged
  fs.writeFileSync(hs.config, `server_name: ${SERVER}
listen: {address: 127.0.0.1, port: ${hsPort}}
database: {path: ${dir}/hs.db}
media_path: ${dir}/media
data_dir: ${dir}
registration: {enabled: true}
login_rate_limit: {per_minute: 1000}
log_level: debug
app_service_config_files: [${regFile}]
`);
  await hs.start();
  fs.writeFileSync(asCfg, fs.readFileSync(asCfg, 'utf8').replace('http://127.0.0.1:1', hs.base));
  shim = new Shim(asCfg);
  await shim.start();
});

after(async () => {
  for (const c of clients) c.stopClient();
  const s = shim ? await shim.stop() : { code: 0 };
  const r = await hs.stop();
  if (process.env.MXHS_KEEP) console.error(hs.log + '\n---- shim ----\n' + (shim ? shim.log : ''));
  hs.cleanup();
  assert.equal(s.code, 0, 'mxm-appservice exits cleanly on SIGTERM');
  assert.equal(r.code, 0);
});

test('a js-sdk client talks to the module through AS transactions', async () => {
  assert.equal(hs.registerUser('alice', 'pw-alice').status, 0);
  const anon = sdk.createClient({ baseUrl: hs.base });
  const creds = await anon.loginWithPassword('alice', 'pw-alice');
  alice = sdk.createClient({ baseUrl: hs.base, accessToken: creds.access_token, userId: creds.user_id,
                             deviceId: creds.device_id });
  clients.push(alice);
  const prepared = new Promise((resolve) => alice.on(sdk.ClientEvent.Sync, (st) => st === 'PREPARED' && resolve()));
  await alice.startClient({ initialSyncLimit: 8 });
  await prepared;
  // @echo was registered by the shim (ensure_user -> m.login.application_service)
  ({ room_id: roomId } = await alice.createRoom({ preset: 'private_chat', invite: [ECHO_ID], name: 'AS echo' }));
  await until(() => alice.getRoom(roomId)?.getMember(ECHO_ID)?.membership === 'join', 'echo joins');
  assert.equal(alice.getRoom(roomId).getMember(ECHO_ID).name, 'Echo', 'profile set through the AS');
  await alice.sendTextMessage(roomId, 'hello over the AS API');
  const reply = await until(() => bodies(alice, roomId).find((m) => m.sender === ECHO_ID), 'the echo');
  assert.equal(reply.body, 'echo: hello over the AS API');
  // ephemeral: typing reaches on_ephemeral through the transaction
  await alice.sendTyping(roomId, true, 5000);
  await until(async () => (await echoStats()).typing >= 1, 'typing reaches the module');
});

test('shim killed with SIGKILL: the message sent meanwhile arrives once it is back', async () => {
  const r = await shim.kill9();
  assert.equal(r.sig, 'SIGKILL');
  await alice.sendTextMessage(roomId, 'sent while the shim is down');
  await until(() => /application service echo-as: transaction s\d+-\d+ not delivered/.test(hs.log),
              'mxhs fails to deliver and retries');
  await shim.start();
  await until(() => bodies(alice, roomId).find((m) => m.body === 'echo: sent while the shim is down'),
              'the echo of the message sent while down', 30000);
  await alice.sendTextMessage(roomId, 'after the restart');
  await until(() => bodies(alice, roomId).find((m) => m.body === 'echo: after the restart'), 'next echo');
  const echoes = bodies(alice, roomId).filter((m) => m.sender === ECHO_ID).map((m) => m.body);
  assert.deepEqual(echoes, ['echo: hello over the AS API', 'echo: sent while the shim is down',
                            'echo: after the restart'], 'each message echoed exactly once, in order');
});

test('a transaction replayed after a restart of the shim is not applied again', async () => {
  const ev = (id, body) => ({ type: 'm.room.message', room_id: roomId, sender: alice.getUserId(),
                              event_id: id, origin_server_ts: Date.now(),
                              content: { msgtype: 'm.text', body } });
  const put = (txn, events) => shimReq('PUT', `/_matrix/app/v1/transactions/${txn}`,
                                       { token: reg.hs_token, body: { events } });
  let r = await put('replay-1', [ev('$replay1', 'replayed')]);
  assert.deepEqual([r.status, r.json], [200, {}]);
  await until(() => bodies(alice, roomId).find((m) => m.body === 'echo: replayed'), 'first application');
  await shim.kill9(); // as if the 200 had been lost: the homeserver sends the same txnId again
  await shim.start();
  assert.equal((await echoStats()).echoed, 0, 'a fresh process');
  r = await put('replay-1', [ev('$replay1b', 'replayed')]); // any content: the txnId decides
  assert.deepEqual([r.status, r.json], [200, {}]);
  r = await put('replay-2', [ev('$marker', 'marker')]);
  assert.equal(r.status, 200);
  await until(() => bodies(alice, roomId).find((m) => m.body === 'echo: marker'), 'the marker');
  assert.equal((await echoStats()).echoed, 1, 'only the marker was applied after the restart');
  assert.equal(bodies(alice, roomId).filter((m) => m.body === 'echo: replayed').length, 1);
});

test('the AS endpoints check the hs_token; users, rooms, ping', async () => {
  const p = '/_matrix/app/v1/transactions/t-auth';
  let r = await shimReq('PUT', p, { body: { events: [] } });
  assert.deepEqual([r.status, r.json.errcode], [401, 'M_UNAUTHORIZED']);
  r = await shimReq('PUT', p, { token: reg.hs_token.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')), body: { events: [] } });
  assert.deepEqual([r.status, r.json.errcode], [403, 'M_FORBIDDEN']);
  r = await shimReq('PUT', `${p}?access_token=${enc(reg.hs_token)}`, { body: { events: [] } });
  assert.equal(r.status, 200, 'legacy access_token query');
  r = await shimReq('PUT', '/_matrix/app/v1/transactions/t-bad', { token: reg.hs_token, body: { nope: 1 } });
  assert.deepEqual([r.status, r.json.errcode], [400, 'M_BAD_JSON']);
  r = await shimReq('GET', `/_matrix/app/v1/users/${enc(ECHO_ID)}`, { token: reg.hs_token });
  assert.deepEqual([r.status, r.json], [200, {}], 'query_user says yes for @echo');
  r = await shimReq('GET', `/_matrix/app/v1/users/${enc(`@nobody:${SERVER}`)}`, { token: reg.hs_token });
  assert.deepEqual([r.status, r.json.errcode], [404, 'M_NOT_FOUND']);
  r = await shimReq('GET', `/_matrix/app/v1/rooms/${enc(`#x:${SERVER}`)}`, { token: reg.hs_token });
  assert.equal(r.status, 404);
  r = await shimReq('POST', '/_matrix/app/v1/ping', { token: reg.hs_token, body: { transaction_id: 'p1' } });
  assert.deepEqual([r.status, r.json], [200, {}]);
  r = await shimReq('GET', '/_matrix/app/v1/ping', { token: reg.hs_token });
  assert.deepEqual([r.status, r.json.errcode], [405, 'M_UNRECOGNIZED']);
  r = await shimReq('GET', '/_matrix/app/v1/nothing', { token: reg.hs_token });
  assert.deepEqual([r.status, r.json.errcode], [404, 'M_UNRECOGNIZED']);
});

test('mxhs: as_token masquerading, ts, namespaces, AS registration', async () => {
  const asReq = (method, p, body) => hs.req(method, p, { token: reg.as_token, body });
  let r = await hs.req('GET', '/_matrix/client/v3/account/whoami', { token: 'mxhs_nope' });
  assert.deepEqual([r.status, r.json.errcode], [401, 'M_UNKNOWN_TOKEN'], 'other tokens still checked');
  r = await hs.req('GET', '/_matrix/client/v3/account/whoami', { token: reg.hs_token });
  assert.deepEqual([r.status, r.json.errcode], [401, 'M_UNKNOWN_TOKEN'], 'the hs_token is no as_token');
  r = await asReq('GET', '/_matrix/client/v3/account/whoami');
  assert.equal(r.json.user_id, `@echo_bot:${SERVER}`, 'no user_id: the sender');
  r = await asReq('GET', `/_matrix/client/v3/account/whoami?user_id=${enc(ECHO_ID)}`);
  assert.equal(r.json.user_id, ECHO_ID);
  r = await asReq('GET', `/_matrix/client/v3/account/whoami?user_id=${enc(alice.getUserId())}`);
  assert.deepEqual([r.status, r.json.errcode], [403, 'M_EXCLUSIVE'], 'not outside its namespace');
  r = await asReq('PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/ts1?user_id=${enc(ECHO_ID)}&ts=1500000000000`,
                  { msgtype: 'm.notice', body: 'from 2017' });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const ev = await hs.req('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(r.json.event_id)}`,
                          { token: alice.getAccessToken() });
  assert.deepEqual([ev.json.sender, ev.json.origin_server_ts], [ECHO_ID, 1500000000000]);
  r = await asReq('POST', '/_matrix/client/v3/register', { type: 'm.login.application_service', username: 'echo' });
  assert.deepEqual([r.status, r.json.errcode], [400, 'M_USER_IN_USE']);
  r = await asReq('POST', '/_matrix/client/v3/register', { type: 'm.login.application_service', username: 'carol' });
  assert.deepEqual([r.status, r.json.errcode], [400, 'M_EXCLUSIVE'], 'outside the namespace');
  r = await hs.req('POST', '/_matrix/client/v3/register', { body: { type: 'm.login.application_service', username: 'echo' } });
  assert.equal(r.status, 401, 'AS registration needs the as_token');
  r = await hs.req('POST', '/_matrix/client/v3/register',
                   { body: { username: 'echo_bot', password: 'x', auth: { type: 'm.login.dummy' } } });
  assert.deepEqual([r.status, r.json.errcode], [400, 'M_EXCLUSIVE'], 'the exclusive namespace is refused to users');
});

test('the homeserver is down for 10 s in the middle of a burst: nothing lost, nothing doubled', async (t) => {
  // echo answers 3 s after each event (delay_ms), so the replies to a burst
  // the shim has acknowledged are still to come when mxhs is killed: the
  // shim retries them with backoff until mxhs is back; events mxhs had not
  // pushed yet wait in its durable queue.
  await shim.stop();
  const cfgFile = shim.config;
  fs.writeFileSync(cfgFile, fs.readFileSync(cfgFile, 'utf8').replace(/delay_ms: \d+/, 'delay_ms: 3000'));
  shim = new Shim(cfgFile);
  await shim.start();
  const burst = Array.from({ length: 10 }, (_, i) => `burst ${i}`);
  for (const b of burst) await alice.sendTextMessage(roomId, b); // each 200: durable in mxhs
  hs.proc.kill('SIGKILL');
  assert.equal((await hs.exited).sig, 'SIGKILL');
  hs.proc = null;
  await new Promise((r) => setTimeout(r, 10000)); // the outage (a scenario, not a wait for an event)
  await hs.start();
  await until(() => burst.every((b) => bodies(alice, roomId).some((m) => m.body === `echo: ${b}`)),
              'every reply of the burst', 60000);
  await alice.sendTextMessage(roomId, 'after the outage');
  await until(() => bodies(alice, roomId).find((m) => m.body === 'echo: after the outage'), 'a reply after it', 30000);
  const echoes = bodies(alice, roomId).filter((m) => m.sender === ECHO_ID && /^echo: burst/.test(m.body))
    .map((m) => m.body);
  // each reply exactly once; not their order: echo's replies wait on host
  // timers with the same deadline, which libevent may fire in any order
  assert.deepEqual([...echoes].sort(), burst.map((b) => `echo: ${b}`).sort(), 'each reply once');
  t.diagnostic(`shim retries while mxhs was down: ${(shim.log.match(/homeserver unreachable/g) || []).length}`);
});
