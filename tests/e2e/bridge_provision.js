// The provisioning HTTP API (issue #16 item 4), called with plain HTTP
// (node's fetch) as an integration manager would, in the shape of
// mautrix's /_matrix/provision/v3 (mautrix/go bridgev2/matrix/
// provisioning.go). Against Signal's own mock server with the sandbox's
// phone: an account is linked through the API (the phone scans the QR data
// the API returns), whoami shows it, create_dm makes a portal the user is
// invited to, logout unlinks. Inside mxhs the API is the module's route
// /_mxm/signalbridge/_matrix/provision; with MXM_MODE=appservice the same
// module answers on mxm-appservice's listener at /_matrix/provision.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Homeserver } = require('./mxhs_harness.js');
const { startSandbox } = require('../../sandbox/sandbox.js');
const { SERVER, AS_MODE, bridgeConfig, client, messages, until } = require('./bridge_lib.js');

const SECRET = 'prov-secret-' + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
const ALICE = `@alice:${SERVER}`;
const MALLORY = `@mallory:${SERVER}`; // set to `none` in permissions

let hs;
let sb;
let alice;
let aci;

function config(withSecret) {
  const prov = withSecret ? `      provisioning: {shared_secret: "${SECRET}"}\n` : '';
  return bridgeConfig(hs.dir, `${prov}      permissions: {"${SERVER}": user, "${MALLORY}": none}
      link_timeout: 300
      signal: {server: "${sb.url}", ca_file: "${sb.ca}", trust_root: "${sb.trustRoot}"}`);
}

function base() {
  if (!AS_MODE) return `${hs.base}/_mxm/signalbridge/_matrix/provision`;
  const port = /listen: \{address: 127\.0\.0\.1, port: (\d+)\}/.exec(
    fs.readFileSync(path.join(hs.dir, 'appservice.yaml'), 'utf8'))[1];
  return `http://127.0.0.1:${port}/_matrix/provision`;
}

// One call: {status, body}. auth: the secret (default), null for none.
async function api(method, p, { user = ALICE, auth = SECRET } = {}) {
  const headers = auth === null ? {} : { Authorization: `Bearer ${auth}` };
  const q = user === null ? '' : `${p.includes('?') ? '&' : '?'}user_id=${encodeURIComponent(user)}`;
  const res = await fetch(base() + p + q, { method, headers });
  const text = await res.text();
  let body;
  try { body = JSON.parse(text); } catch { body = text; }
  return { status: res.status, body };
}

test.before(async () => {
  sb = await startSandbox({});
  hs = new Homeserver();
  fs.writeFileSync(hs.config, config(true));
  await hs.start();
  assert.equal(hs.registerUser('alice', 'pw-alice').status, 0);
  alice = await client(hs, 'alice');
});

test.after(async () => {
  if (alice) alice.stopClient();
  if (hs) { await hs.stop(); hs.cleanup(); }
  if (sb) await sb.close();
});

test('a missing or wrong secret, no user_id or a user without access are refused', async () => {
  let r = await api('GET', '/v3/whoami', { auth: null });
  assert.equal(r.status, 401);
  assert.equal(r.body.errcode, 'M_MISSING_TOKEN');
  // the last character changed (never to itself: the secret is random)
  r = await api('GET', '/v3/whoami', { auth: SECRET.slice(0, -1) + (SECRET.endsWith('x') ? 'y' : 'x') });
  assert.equal(r.status, 401);
  assert.equal(r.body.errcode, 'M_UNKNOWN_TOKEN');
  r = await api('GET', '/v3/whoami', { auth: SECRET + 'x' });
  assert.equal(r.status, 401);
  assert.equal(r.body.errcode, 'M_UNKNOWN_TOKEN');
  r = await api('GET', '/v3/whoami', { user: null });
  assert.equal(r.status, 400);
  assert.equal(r.body.errcode, 'M_MISSING_PARAM');
  r = await api('GET', '/v3/whoami', { user: MALLORY });
  assert.equal(r.status, 403);
  assert.equal(r.body.errcode, 'M_FORBIDDEN');
  r = await api('POST', '/v3/login/start/qr', { user: MALLORY });
  assert.equal(r.status, 403, 'a user without access cannot link');
  r = await api('GET', '/v3/nothing');
  assert.equal(r.status, 404);
  assert.equal(r.body.errcode, 'M_UNRECOGNIZED');
  r = await api('POST', '/v3/whoami');
  assert.equal(r.status, 405);
});

test('before linking: whoami has no login, lookups say not logged in', async () => {
  const r = await api('GET', '/v3/whoami');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.logins, []);
  assert.equal(r.body.bridge_bot, `@signalbot:${SERVER}`);
  assert.equal(r.body.login_flows[0].id, 'qr');
  const res = await api('GET', '/v3/resolve_identifier/%2B15550000000');
  assert.equal(res.status, 400);
  assert.equal(res.body.errcode, 'FI.MAU.NOT_LOGGED_IN');
  assert.equal((await api('POST', '/v3/login/start/password')).status, 404);
});

test('login: start gives the QR data, a new code follows Signal\'s expiry, the phone scans, the wait completes', async () => {
  const start = await api('POST', '/v3/login/start/qr');
  assert.equal(start.status, 200, JSON.stringify(start.body));
  assert.equal(start.body.type, 'display_and_wait');
  assert.equal(start.body.step_id, 'fi.mau.signal.login.qr');
  assert.equal(start.body.display_and_wait.type, 'qr');
  assert.match(start.body.display_and_wait.data, /^sgnl:\/\/linkdevice\?/);
  const id = start.body.login_id;
  const again = await api('POST', '/v3/login/start/qr');
  assert.equal(again.status, 409, 'one login at a time');

  // Signal closes the provisioning socket (as its 90 s timer does): the
  // waiting step answers with the new code
  const step = `/v3/login/step/${id}/fi.mau.signal.login.qr/display_and_wait`;
  const wait1 = api('POST', step);
  await sb.mock.rules.expireProvisioning();
  const next = await wait1;
  assert.equal(next.status, 200, JSON.stringify(next.body));
  assert.equal(next.body.type, 'display_and_wait');
  assert.match(next.body.display_and_wait.data, /^sgnl:\/\/linkdevice\?/);
  assert.notEqual(next.body.display_and_wait.data, start.body.display_and_wait.data);

  const wait2 = api('POST', step);
  await sb.scan(next.body.display_and_wait.data);
  const done = await wait2;
  assert.equal(done.status, 200, JSON.stringify(done.body));
  assert.equal(done.body.type, 'complete');
  assert.equal(done.body.step_id, 'fi.mau.signal.login.complete');
  aci = done.body.complete.user_login_id;
  assert.match(aci, /^[0-9a-f-]{36}$/);
  assert.match(done.body.instructions, new RegExp(`Successfully logged in as \\${sb.number} / ${aci}`));

  // whoami: the login, connected to Signal
  const who = await until(async () => {
    const r = await api('GET', '/v3/whoami');
    return r.body.logins[0]?.state.state_event === 'CONNECTED' && r;
  }, 'the login connected in whoami', 60000);
  assert.equal(who.body.logins.length, 1);
  assert.equal(who.body.logins[0].id, aci);
  assert.equal(who.body.logins[0].name, sb.number);
  assert.deepEqual((await api('GET', '/v3/logins')).body.login_ids, [aci]);
  const more = await api('POST', '/v3/login/start/qr');
  assert.equal(more.status, 403);
  assert.equal(more.body.errcode, 'FI.MAU.BRIDGE.TOO_MANY_LOGINS');
});

test('resolve_identifier and create_dm: a contact resolves, the DM portal invites the user and works', async () => {
  const bob = sb.contacts.Bob.device.number;
  let r = await api('GET', '/v3/resolve_identifier/12345');
  assert.equal(r.status, 400);
  assert.equal(r.body.errcode, 'M_INVALID_PARAM');
  r = await api('GET', '/v3/resolve_identifier/%2B15550000000');
  assert.equal(r.status, 404);
  assert.equal(r.body.errcode, 'M_NOT_FOUND');
  // the phone's contacts reach the bridge after the link (contact sync):
  // until then Bob is "not found" too
  r = await until(async () => {
    const x = await api('GET', `/v3/resolve_identifier/${encodeURIComponent('tel:' + bob)}`);
    return x.status !== 404 && x;
  }, 'Bob among the contacts', 60000);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(r.body.identifiers, [`tel:${bob}`]);
  assert.match(r.body.mxid, new RegExp(`^@signal_${r.body.id}:`));
  assert.equal(r.body.dm_room_mxid, undefined, 'resolving opens no chat');

  const dm = await api('POST', `/v3/create_dm/${encodeURIComponent(bob)}`);
  assert.equal(dm.status, 201, JSON.stringify(dm.body));
  assert.equal(dm.body.id, r.body.id);
  const room = dm.body.dm_room_mxid;
  assert.match(room, /^!/);
  // the user was invited (the client accepts invites) and the chat works
  await until(() => alice.getRoom(room)?.getMyMembership() === 'join', 'alice in the DM portal', 60000);
  await alice.sendTextMessage(room, 'hi Bob, via the provisioning API');
  await until(() => sb.received.find((m) => m.to === 'Bob' && m.body === 'hi Bob, via the provisioning API'),
              'Bob receives it', 60000);
  const again = await api('POST', `/v3/create_dm/${encodeURIComponent(bob)}`);
  assert.equal(again.status, 200);
  assert.equal(again.body.dm_room_mxid, room, 'the same portal');
  assert.ok(messages(alice, room).length >= 1);
});

test('logout unlinks; a new login can start and be cancelled', async () => {
  let r = await api('POST', '/v3/logout/not-a-login');
  assert.equal(r.status, 404);
  r = await api('POST', `/v3/logout/${aci}`);
  assert.equal(r.status, 200);
  assert.deepEqual((await api('GET', '/v3/whoami')).body.logins, []);
  r = await api('GET', `/v3/resolve_identifier/${encodeURIComponent(sb.contacts.Bob.device.number)}`);
  assert.equal(r.body.errcode, 'FI.MAU.NOT_LOGGED_IN');
  const start = await api('POST', '/v3/login/start/qr');
  assert.equal(start.status, 200);
  const wait = api('POST', `/v3/login/step/${start.body.login_id}/fi.mau.signal.login.qr/display_and_wait`);
  r = await api('POST', `/v3/login/cancel/${start.body.login_id}`);
  assert.equal(r.status, 200);
  const w = await wait;
  assert.equal(w.status, 410);
  assert.equal(w.body.errcode, 'FI.MAU.BRIDGE.LOGIN_CANCELLED');
});

test('without provisioning.shared_secret the API is disabled', async () => {
  alice.stopClient();
  await hs.stop();
  fs.writeFileSync(hs.config, config(false));
  await hs.start();
  const r = await api('GET', '/v3/whoami');
  assert.equal(r.status, 403);
  assert.equal(r.body.errcode, 'M_FORBIDDEN');
  assert.match(r.body.error, /disabled/);
  alice = await client(hs, 'alice');
});
