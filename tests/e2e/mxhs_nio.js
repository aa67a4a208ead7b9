// End-to-end: matrix-nio 0.20 (Debian python3-matrix-nio, /usr/bin/python3)
// against the real mxhs, driven from node:test. The journey (r0 paths,
// ?access_token=, exact {} bodies) lives in mxhs_nio.py; the second test
// puts a nio user and a matrix-js-sdk user in one room and checks each sees
// the other's typing and receipts.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { Homeserver, until, polyfill, SERVER } = require('./mxhs_harness.js');

polyfill();
const PY = process.env.NIO_PYTHON || '/usr/bin/python3';
const SCRIPT = path.join(__dirname, 'mxhs_nio.py');
const hs = new Homeserver();
let sdk;
const clients = [];

function runNio(args, ms = 90000) {
  return new Promise((resolve) => {
    const p = spawn(PY, [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    const t = setTimeout(() => p.kill('SIGKILL'), ms);
    p.on('close', (code) => { clearTimeout(t); resolve({ code, out }); });
  });
}

before(async () => {
  const url = pathToFileURL(require.resolve('matrix-js-sdk'));
  sdk = await import(url.href);
  if (!process.env.MXHS_JS_DEBUG)
    for (const k of ['log', 'info', 'debug', 'warn']) console[k] = () => {};
  await hs.start();
});

after(async () => {
  for (const c of clients) c.stopClient();
  const r = await hs.stop();
  hs.cleanup();
  assert.equal(r.code, 0, 'mxhs exits cleanly');
});

test('nio journey: register, DM echo, media, react, edit, redact, profile, 403', async () => {
  const r = await runNio(['journey', hs.base, SERVER]);
  assert.equal(r.code, 0, r.out + '\n--- mxhs log\n' + hs.log);
  assert.match(r.out, /NIO OK/);
  assert.match(r.out, /ok - the echo/);
});

test('nio after a restart: account, DM, history and the module persist', async () => {
  await hs.restart();
  const r = await runNio(['resume', hs.base, SERVER]);
  assert.equal(r.code, 0, r.out + '\n--- mxhs log\n' + hs.log);
  assert.match(r.out, /ok - history survived the restart/);
  assert.match(r.out, /ok - the echo after restart/);
});

test('nio and js-sdk see each other typing and reading', async () => {
  assert.equal(hs.registerUser('jsuser', 'pw-js').status, 0);
  assert.equal(hs.registerUser('niouser', 'pw-nio').status, 0);
  const anon = sdk.createClient({ baseUrl: hs.base });
  const creds = await anon.loginWithPassword('jsuser', 'pw-js');
  const js = sdk.createClient({ baseUrl: hs.base, accessToken: creds.access_token,
                                userId: creds.user_id, deviceId: creds.device_id });
  clients.push(js);
  const prepared = new Promise((res) => js.on(sdk.ClientEvent.Sync, (s) => s === 'PREPARED' && res()));
  await js.startClient({ initialSyncLimit: 8 });
  await prepared;
  const nioUser = `@niouser:${SERVER}`;
  const { room_id: roomId } = await js.createRoom({ preset: 'private_chat', invite: [nioUser] });

  let nioTyping = false, nioReceipt = false;
  js.on(sdk.RoomMemberEvent.Typing, (ev, member) => {
    if (member.userId === nioUser && member.typing) nioTyping = true;
  });
  const peer = runNio(['peer', hs.base, SERVER, 'niouser', 'pw-nio', roomId, js.getUserId()]);
  await until(() => nioTyping, 'the nio user typing in js-sdk', 30000);
  const msg = await until(() => js.getRoom(roomId)?.getLiveTimeline().getEvents()
    .find((e) => e.getSender() === nioUser && e.getType() === 'm.room.message'), 'the nio message');
  assert.equal(msg.getContent().body, 'hello from nio');
  await until(() => {
    nioReceipt = js.getRoom(roomId).getUsersReadUpTo(msg).includes(nioUser);
    return nioReceipt;
  }, 'the nio receipt in js-sdk');
  await js.sendTyping(roomId, true, 20000);
  await js.sendReadReceipt(msg);
  const r = await peer;
  assert.equal(r.code, 0, r.out + '\n--- mxhs log\n' + hs.log);
  assert.match(r.out, /ok - the js user typing/);
  assert.match(r.out, /NIO OK/);
});
