// End-to-end: matrix-js-sdk 43 against the real mxhs with the echo module.
// Registers (UIA dummy dance) and logs in (legacy top-level `user`), opens a
// DM with @echo and receives the echo through /sync; checks the local echo
// is de-duplicated through unsigned.transaction_id.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { pathToFileURL } = require('node:url');
const { Homeserver, until, polyfill, SERVER } = require('./mxhs_harness.js');

polyfill();
let sdk;
const hs = new Homeserver();
const clients = [];

async function loadSdk() {
  const url = pathToFileURL(require.resolve('matrix-js-sdk'));
  const m = await import(url.href);
  if (!process.env.MXHS_JS_DEBUG) // the SDK logs every request
    for (const k of ['log', 'info', 'debug', 'warn']) console[k] = () => {};
  return m;
}

async function startClient(creds) {
  const c = sdk.createClient({ baseUrl: hs.base, accessToken: creds.access_token,
                               userId: creds.user_id, deviceId: creds.device_id });
  clients.push(c);
  const prepared = new Promise((resolve, reject) => {
    c.on(sdk.ClientEvent.Sync, (state) => {
      if (state === 'PREPARED') resolve();
      if (state === 'ERROR') reject(new Error('sync error'));
    });
  });
  await c.startClient({ initialSyncLimit: 8 });
  await prepared;
  return c;
}

function bodies(c, roomId) {
  const room = c.getRoom(roomId);
  if (!room) return [];
  return room.getLiveTimeline().getEvents()
    .filter((e) => e.getType() === 'm.room.message')
    .map((e) => ({ sender: e.getSender(), body: e.getContent().body, id: e.getId() }));
}

before(async () => {
  sdk = await loadSdk();
  await hs.start();
});

after(async () => {
  for (const c of clients) c.stopClient();
  const r = await hs.stop();
  if (process.env.MXHS_KEEP) console.log(hs.log);
  hs.cleanup();
  assert.equal(r.code, 0, 'mxhs exits cleanly on SIGTERM');
});

test('register with the UIA dummy dance', async () => {
  const anon = sdk.createClient({ baseUrl: hs.base });
  let session;
  await assert.rejects(anon.registerRequest({ username: 'alice', password: 'secret-a' }), (e) => {
    assert.equal(e.httpStatus, 401);
    session = e.data.session;
    assert.ok(session, 'a UIA session is offered');
    assert.deepEqual(e.data.flows[0].stages, ['m.login.dummy']);
    return true;
  });
  const res = await anon.registerRequest({ username: 'alice', password: 'secret-a',
                                           auth: { type: 'm.login.dummy', session } });
  assert.equal(res.user_id, `@alice:${SERVER}`);
  assert.ok(res.access_token && res.device_id);
  // the echo module's namespace is exclusive
  await assert.rejects(anon.registerRequest({ username: 'echo', password: 'x', auth: { type: 'm.login.dummy' } }),
                       (e) => e.errcode === 'M_EXCLUSIVE');
  await assert.rejects(anon.registerRequest({ username: 'alice', password: 'x', auth: { type: 'm.login.dummy' } }),
                       (e) => e.errcode === 'M_USER_IN_USE');
});

test('DM the echo module and get the echo through /sync', async () => {
  const made = hs.registerUser('bob', 'secret-b');
  assert.equal(made.status, 0, made.stderr);
  const anon = sdk.createClient({ baseUrl: hs.base });
  await assert.rejects(anon.loginWithPassword('bob', 'wrong'), (e) => e.errcode === 'M_FORBIDDEN');
  const creds = await anon.loginWithPassword('bob', 'secret-b'); // legacy top-level `user`
  assert.equal(creds.user_id, `@bob:${SERVER}`);
  const bob = await startClient(creds);
  const who = await bob.whoami();
  assert.equal(who.user_id, `@bob:${SERVER}`);

  const echo = `@echo:${SERVER}`;
  const { room_id: roomId } = await bob.createRoom({ preset: 'trusted_private_chat', is_direct: true,
                                                     invite: [echo], name: 'echo DM' });
  assert.match(roomId, /^!.+:test\.mxhs$/);
  await until(() => bob.getRoom(roomId)?.getMember(echo)?.membership === 'join', 'echo joins');
  const room = bob.getRoom(roomId);
  const create = room.currentState.getStateEvents('m.room.create', '');
  assert.equal(create.getContent().creator, bob.getUserId());
  assert.equal(create.getContent().room_version, '10');
  assert.equal(room.currentState.getStateEvents('m.room.member', echo).getPrevContent().is_direct, true,
               'the invite carried is_direct');

  const sent = await bob.sendTextMessage(roomId, 'hello echo');
  assert.match(sent.event_id, /^\$[A-Za-z0-9_-]{43}$/);
  const reply = await until(() => bodies(bob, roomId).find((m) => m.sender === echo), 'the echo');
  assert.equal(reply.body, 'echo: hello echo');
  const mine = bodies(bob, roomId).filter((m) => m.body === 'hello echo');
  assert.equal(mine.length, 1, 'local echo de-duplicated by transaction_id');
  assert.equal(mine[0].id, sent.event_id);
});
