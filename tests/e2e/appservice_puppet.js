// End-to-end: mxm-appservice hosting the scriptable test module hstest.so
// behind mxhs, driven over the module's HTTP route on the shim's listener:
// ensure_user as AS registration, request() with user_id= and ts=, media
// upload and authenticated download (/_matrix/client/v1/media), and double
// puppeting through a second registration (url null, a non-exclusive
// namespace over all local users, the way mautrix bridges do it): a real
// user's request goes with that token only when module.double_puppet is
// set, and mxhs refuses it (M_EXCLUSIVE) otherwise. Events reach the module
// in transactions (GET /_mxm/hstest/events).
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { Homeserver, until, SERVER, HSTEST } = require('./mxhs_harness.js');
const { Shim, SHIM, freePort } = require('./appservice_lib.js');

const hs = new Homeserver();
const enc = encodeURIComponent;
let shim, port, asCfg, alice;
const A = `@hst_a:${SERVER}`;

async function mod(op, body) {
  const res = await fetch(`http://127.0.0.1:${port}/_mxm/hstest/${op}`,
                          { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const j = await res.json();
  assert.equal(res.status, 200, JSON.stringify(j));
  if (j.rc === 0) assert.equal(j.inline, 0, 'completion is asynchronous');
  return j;
}
const rq = (user, method, p, body, ts) => mod('request', { user, method, path: p, body, ts });

function shimConfig(doublePuppet) {
  const dir = hs.dir;
  return `homeserver: {url: "${hs.base || 'http://127.0.0.1:1'}", server_name: ${SERVER}}
appservice:
  id: hstest-as
  listen: {address: 127.0.0.1, port: ${port}}
  registration: ${dir}/hstest-registration.yaml
  double_puppet_registration: ${dir}/doublepuppet.yaml
database: ${dir}/as/appservice.db
data_dir: ${dir}/as
module:
  module: ${HSTEST}
  double_puppet: ${doublePuppet}
  config: {}
`;
}

before(async () => {
  const dir = hs.dir;
  port = await freePort();
  asCfg = path.join(dir, 'appservice.yaml');
  fs.writeFileSync(asCfg, shimConfig(true));
  const g = spawnSync(SHIM, ['generate-registration', '--config', asCfg], { encoding: 'utf8' });
  assert.equal(g.status, 0, g.stderr);
  // the double-puppet registration of mautrix/docs double-puppeting.md
  fs.writeFileSync(path.join(dir, 'doublepuppet.yaml'), `id: doublepuppet
url:
as_token: dp-as-token-${Math.random().toString(36).slice(2)}
hs_token: dp-hs-token-unused
sender_localpart: doublepuppet_${Math.random().toString(36).slice(2, 8)}
rate_limited: false
namespaces:
  users:
  - regex: '@.*:test\\.mxhs'
    exclusive: false
`);
  fs.writeFileSync(hs.config, `server_name: ${SERVER}
listen: {address: 127.0.0.1, port: 0}
database: {path: ${dir}/hs.db}
media_path: ${dir}/media
data_dir: ${dir}
registration: {enabled: true}
login_rate_limit: {per_minute: 1000}
app_service_config_files: [${dir}/hstest-registration.yaml, ${dir}/doublepuppet.yaml]
`);
  await hs.start();
  fs.writeFileSync(asCfg, shimConfig(true));
  shim = new Shim(asCfg);
  await shim.start();
  assert.equal(hs.registerUser('alice', 'pw-alice').status, 0);
  alice = (await hs.req('POST', '/_matrix/client/v3/login',
    { body: { type: 'm.login.password', user: 'alice', password: 'pw-alice' } })).json;
});

after(async () => {
  const s = shim ? await shim.stop() : { code: 0 };
  const r = await hs.stop();
  if (process.env.MXHS_KEEP) console.error(hs.log + '\n---- shim ----\n' + (shim ? shim.log : ''));
  hs.cleanup();
  assert.equal(s.code, 0);
  assert.equal(r.code, 0);
});

test('ensure_user, request() with ts, and events in transactions', async () => {
  let r = await mod('ensure', { localpart: 'hst_a' });
  assert.deepEqual([r.status, r.json.user_id], [200, A]);
  r = await mod('ensure', { localpart: 'hst_a' });
  assert.deepEqual([r.status, r.json.user_id], [200, A], 'M_USER_IN_USE is success');
  r = await rq(A, 'POST', '/_matrix/client/v3/createRoom', { preset: 'private_chat', invite: [alice.user_id] });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const roomId = r.json.room_id;
  r = await hs.req('POST', `/_matrix/client/v3/join/${enc(roomId)}`, { token: alice.access_token, body: {} });
  assert.equal(r.status, 200);
  r = await rq(A, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/t1`,
               { msgtype: 'm.text', body: 'with ts' }, 1600000000000);
  const ev = await hs.req('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(r.json.event_id)}`,
                          { token: alice.access_token });
  assert.deepEqual([ev.json.sender, ev.json.origin_server_ts], [A, 1600000000000]);
  r = await hs.req('PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/a1`,
                   { token: alice.access_token, body: { msgtype: 'm.text', body: 'from alice' } });
  const aliceEvent = r.json.event_id;
  const got = await until(async () => {
    const e = await (await fetch(`http://127.0.0.1:${port}/_mxm/hstest/events`)).json();
    return e.events.find((x) => x.event_id === aliceEvent) && e;
  }, 'alice\'s message reaches on_event');
  assert.equal(got.events.filter((x) => x.event_id === aliceEvent).length, 1);
  const types = got.events.map((x) => x.type);
  assert.ok(types.includes('m.room.create') && types.includes('m.room.member'), types.join());
});

test('a namespace user is registered before the first request made as it', async () => {
  // mxhs creates a module's users on demand; a homeserver behind the AS API
  // refuses an AS acting as a user that does not exist, so the shim
  // registers it first (as mautrix/go's intents do)
  const r = await rq(`@hst_fresh:${SERVER}`, 'GET', '/_matrix/client/v3/account/whoami');
  assert.deepEqual([r.status, r.json.user_id], [200, `@hst_fresh:${SERVER}`]);
});

test('media upload and authenticated download through the shim', async () => {
  const up = await mod('upload', { user: A, text: 'bytes via the AS', type: 'text/plain' });
  assert.equal(up.status, 200, JSON.stringify(up.json));
  assert.match(up.json.content_uri, /^mxc:\/\/test\.mxhs\//);
  const down = await mod('download', { mxc: up.json.content_uri });
  assert.deepEqual([down.status, down.type, down.text], [200, 'text/plain', 'bytes via the AS']);
  const missing = await mod('download', { mxc: 'mxc://test.mxhs/nope' });
  assert.equal(missing.status, 404);
});

test('double puppeting with a second registration, only when configured', async () => {
  let r = await rq(alice.user_id, 'GET', '/_matrix/client/v3/account/whoami');
  assert.deepEqual([r.status, r.json.user_id], [200, alice.user_id], 'acts as the real user');
  r = await rq(`@nobody:${SERVER}`, 'GET', '/_matrix/client/v3/account/whoami');
  assert.deepEqual([r.status, r.json.errcode], [403, 'M_FORBIDDEN'], 'only users that exist');
  await shim.stop();
  fs.writeFileSync(asCfg, shimConfig(false));
  shim = new (require('./appservice_lib.js').Shim)(asCfg);
  await shim.start();
  r = await rq(alice.user_id, 'GET', '/_matrix/client/v3/account/whoami');
  assert.deepEqual([r.status, r.json.errcode], [403, 'M_EXCLUSIVE'], 'without double_puppet: refused');
  r = await rq(A, 'GET', '/_matrix/client/v3/account/whoami');
  assert.deepEqual([r.status, r.json.user_id], [200, A]);
});
