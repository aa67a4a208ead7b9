// mxm-appservice reaching the homeserver over https (homeserver.url
// https://, homeserver.ca_file): mxhs behind a TLS-terminating proxy (node
// https with a certificate from a test CA, for 127.0.0.1), the echo module
// in the shim. The certificate is verified: with the test CA in ca_file the
// module's calls go through (and survive the proxy dropping every
// connection); with only the system store, which lacks the test CA, the
// shim refuses the certificate and says the homeserver is unreachable.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { Homeserver, until, polyfill, SERVER, ECHO } = require('./mxhs_harness.js');
const { Shim, SHIM, freePort } = require('./appservice_lib.js');
const { makeTestCa } = require('./tls-lib.js');
const ECHO_ID = `@echo:${SERVER}`;

polyfill();
let sdk, alice, roomId, shim, proxy, asCfg, cfgText;
const hs = new Homeserver();
const ca = makeTestCa();
const seen = { requests: 0, tlsErrors: 0, sockets: new Set() };

// https://127.0.0.1:<port> -> mxhs, request by request
function startProxy() {
  const srv = https.createServer({ key: ca.key, cert: ca.cert }, (req, res) => {
    seen.requests++;
    const up = http.request({ host: '127.0.0.1', port: new URL(hs.base).port, path: req.url, method: req.method,
                              headers: req.headers }, (r) => { res.writeHead(r.statusCode, r.headers); r.pipe(res); });
    up.on('error', () => { res.writeHead(502); res.end(); });
    req.pipe(up);
  });
  srv.on('secureConnection', (s) => { seen.sockets.add(s); s.on('close', () => seen.sockets.delete(s)); });
  srv.on('tlsClientError', () => { seen.tlsErrors++; });
  return new Promise((r) => srv.listen(0, '127.0.0.1', () => r(srv)));
}

function bodies(rid) {
  const room = alice.getRoom(rid);
  return room ? room.getLiveTimeline().getEvents().filter((e) => e.getType() === 'm.room.message')
    .map((e) => ({ sender: e.getSender(), body: e.getContent().body })) : [];
}

before(async () => {
  sdk = await import(pathToFileURL(require.resolve('matrix-js-sdk')).href);
  if (!process.env.MXHS_JS_DEBUG) for (const k of ['log', 'info', 'debug', 'warn']) console[k] = () => {};
  const shimPort = await freePort();
  const dir = hs.dir;
  const regFile = path.join(dir, 'echo-registration.yaml');
  asCfg = path.join(dir, 'appservice.yaml');
  fs.writeFileSync(asCfg, `homeserver: {url: "https://127.0.0.1:1", server_name: ${SERVER}, ca_file: "${ca.caFile}"}
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
  config: {localpart: echo, prefix: "echo: "}
`);
  const g = spawnSync(SHIM, ['generate-registration', '--config', asCfg], { encoding: 'utf8' });
  assert.equal(g.status, 0, g.stderr);
  fs.writeFileSync(hs.config, `server_name: ${SERVER}
listen: {address: 127.0.0.1, port: 0}
database: {path: ${dir}/hs.db}
media_path: ${dir}/media
data_dir: ${dir}
registration: {enabled: true}
login_rate_limit: {per_minute: 1000}
log_level: debug
app_service_config_files: [${regFile}]
`);
  await hs.start();
  proxy = await startProxy();
  cfgText = fs.readFileSync(asCfg, 'utf8').replace('https://127.0.0.1:1', `https://127.0.0.1:${proxy.address().port}`);
  fs.writeFileSync(asCfg, cfgText);
  shim = new Shim(asCfg);
  await shim.start();
  assert.equal(hs.registerUser('alice', 'pw-alice').status, 0);
  const creds = await sdk.createClient({ baseUrl: hs.base }).loginWithPassword('alice', 'pw-alice');
  alice = sdk.createClient({ baseUrl: hs.base, accessToken: creds.access_token, userId: creds.user_id,
                             deviceId: creds.device_id });
  const prepared = new Promise((resolve) => alice.on(sdk.ClientEvent.Sync, (st) => st === 'PREPARED' && resolve()));
  await alice.startClient({ initialSyncLimit: 8 });
  await prepared;
  // the module registers @echo through the shim once it has started: wait
  // for it (a slow start, e.g. under ASan, lost the race to the invite)
  await until(async () => (await hs.req('GET', `/_matrix/client/v3/profile/${encodeURIComponent(ECHO_ID)}`,
                                        { token: creds.access_token })).status === 200,
              'the shim registered @echo', 30000);
});

after(async () => {
  if (alice) alice.stopClient();
  const s = shim ? await shim.stop() : { code: 0 };
  if (proxy) { proxy.closeAllConnections(); await new Promise((r) => proxy.close(r)); }
  await hs.stop();
  if (process.env.MXHS_KEEP) console.error(hs.log + '\n---- shim ----\n' + (shim ? shim.log : ''));
  hs.cleanup();
  assert.equal(s.code, 0);
});

test('over https with homeserver.ca_file: the module talks through the proxy', async () => {
  ({ room_id: roomId } = await alice.createRoom({ preset: 'private_chat', invite: [ECHO_ID] }));
  await until(() => alice.getRoom(roomId)?.getMember(ECHO_ID)?.membership === 'join', 'echo joins', 30000);
  await alice.sendTextMessage(roomId, 'hello over https');
  await until(() => bodies(roomId).find((m) => m.body === 'echo: hello over https'), 'the echo', 30000);
  assert.ok(seen.requests > 0, 'the calls went through the https proxy');
  assert.equal(seen.tlsErrors, 0);
});

test('the proxy drops every connection: the next calls open a new one', async () => {
  for (const s of seen.sockets) s.destroy();
  await alice.sendTextMessage(roomId, 'after the drop');
  await until(() => bodies(roomId).find((m) => m.body === 'echo: after the drop'), 'the echo after the drop', 30000);
});

test('without ca_file the system store does not trust the test CA: no call goes through', async () => {
  await shim.stop();
  const env = { SSL_CERT_FILE: process.env.SSL_CERT_FILE, SSL_CERT_DIR: process.env.SSL_CERT_DIR };
  process.env.SSL_CERT_FILE = '/nonexistent.pem'; // an empty system store, whatever this machine has
  process.env.SSL_CERT_DIR = '/nonexistent';
  fs.writeFileSync(asCfg, cfgText.replace(`, ca_file: "${ca.caFile}"`, ''));
  const before = { requests: seen.requests, tlsErrors: seen.tlsErrors };
  shim = new Shim(asCfg);
  try {
    await shim.start();
  } finally {
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
  await until(() => seen.tlsErrors > before.tlsErrors, 'the shim refusing the certificate', 30000);
  await until(() => /homeserver unreachable/.test(shim.log), 'the retry line in the log', 30000);
  assert.equal(seen.requests, before.requests, 'no request was sent to an untrusted server');
  // back with the CA: the module's calls go through again
  await shim.stop();
  fs.writeFileSync(asCfg, cfgText);
  shim = new Shim(asCfg);
  await shim.start();
  await alice.sendTextMessage(roomId, 'trusted again');
  await until(() => bodies(roomId).find((m) => m.body === 'echo: trusted again'), 'the echo', 30000);
});
