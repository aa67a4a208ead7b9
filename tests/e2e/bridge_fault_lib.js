// Shared by the crash and fault tests (bridge_crash.js, bridge_faults.js):
// a seeded PRNG, mxhs with signalbridge linked to the sandbox phone, a
// Matrix client that survives kill -9 of the homeserver (same access token,
// so the same device and the same transaction-ID scope), explicit
// idempotent sends, the server's own record of a room, and a TCP proxy that
// can stall or refuse the bridge's connections to Signal.
'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const { Homeserver } = require('./mxhs_harness.js');
const { startSandbox, decodeQr } = require('../../sandbox/sandbox.js');
const { sdk, BOT, bridgeConfig, client, messages, until } = require('./bridge_lib.js');

// mulberry32: small, seedable, the same sequence for the same seed.
function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)); // [lo, hi]
  return next;
}

function seedFromEnv(name = 'CRASH_SEED') {
  const v = process.env[name];
  if (v !== undefined && v !== '') {
    const n = Number(v);
    assert.ok(Number.isInteger(n) && n >= 0 && n < 2 ** 32, `${name} must be an integer in [0, 2^32)`);
    return n;
  }
  return Math.floor(Math.random() * 2 ** 32);
}

// A TCP forwarder in front of the Signal mock. TLS stays end to end (the
// bridge verifies the mock's certificate for 127.0.0.1 either way).
//   stall(): every open connection stops forwarding both ways but stays
//            open, as a server that hangs; new connections work.
//   down():  every connection is dropped and new ones are refused until up().
async function startProxy(targetPort) {
  const pairs = new Set();
  let refusing = false;
  let accepted = 0;
  let abandoned = 0;
  const server = net.createServer((c) => {
    if (refusing) { c.destroy(); return; }
    accepted += 1;
    const u = net.connect(targetPort, '127.0.0.1');
    const pair = { c, u, stalled: false };
    // a stalled connection that the bridge closed itself: it gave up on it
    const fromClient = () => { if (pair.stalled && !pair.dropped && !pair.upGone) { pair.dropped = true; abandoned += 1; } };
    for (const ev of ['end', 'error', 'close']) { c.on(ev, fromClient); u.on(ev, () => { pair.upGone = true; }); }
    pairs.add(pair);
    const fwd = (from, to) => from.on('data', (d) => { if (!pair.stalled) to.write(d); });
    fwd(c, u);
    fwd(u, c);
    const end = () => { c.destroy(); u.destroy(); pairs.delete(pair); };
    c.on('close', end); u.on('close', end); c.on('error', end); u.on('error', end);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: server.address().port,
    accepted: () => accepted,
    abandoned: () => abandoned,               // stalled connections the client closed
    open: () => pairs.size,
    stall() { for (const p of pairs) p.stalled = true; },
    dropStalled() { for (const p of pairs) if (p.stalled) { p.dropped = true; p.c.destroy(); p.u.destroy(); pairs.delete(p); } },
    down() { refusing = true; for (const p of pairs) { p.dropped = true; p.c.destroy(); p.u.destroy(); } pairs.clear(); },
    up() { refusing = false; },
    close() {
      for (const p of pairs) { p.c.destroy(); p.u.destroy(); }
      return new Promise((r) => server.close(() => r()));
    },
  };
}

// mxhs with signalbridge, linked to the sandbox phone; `got` records every
// message the contact Alice receives, in full (timestamp included).
// opts.viaProxy: the bridge reaches Signal through startProxy().
// opts.dataDir: put the homeserver's data directory there.
async function setupBridge(opts = {}) {
  const env = { got: [], hs: null, sb: null, proxy: null, alice: null, token: null };
  env.sb = await startSandbox({});
  const { sb } = env;
  const wait = sb.contacts.Alice.waitForMessage.bind(sb.contacts.Alice);
  sb.contacts.Alice.waitForMessage = async (...a) => { const m = await wait(...a); env.got.push(m); return m; };
  let url = sb.url;
  if (opts.viaProxy) {
    env.proxy = await startProxy(sb.mock.port);
    url = `https://127.0.0.1:${env.proxy.port}`;
  }
  env.hs = new Homeserver();
  const { hs } = env;
  if (opts.dataDir) {
    // the harness wrote its config for its own temp dir: rewrite for ours
    fs.rmSync(hs.dir, { recursive: true, force: true });
    hs.dir = opts.dataDir;
    hs.config = `${hs.dir}/homeserver.yaml`;
  }
  // opts.groups: the bridge reads groups' titles and members from the
  // mock's groups server (its zkgroup public params)
  const zk = opts.groups
    ? `, server_public_params: "${Buffer.from(sb.mock.server.zkSecret.getPublicParams().serialize()).toString('base64')}"`
    : '';
  // opts.storeFaults: the module's test-only write-fault rules file
  // (docs/store-faults.md); env.fault(rule) arms one
  let debug = '';
  if (opts.storeFaults) {
    env.faultFile = `${hs.dir}/store-faults`;
    // opts.faultRule: armed from the start (see armFault)
    fs.writeFileSync(env.faultFile, opts.faultRule ? `${opts.faultRule}\n` : '');
    debug = `\n      debug: {store_faults: "${env.faultFile}"}`;
  }
  fs.writeFileSync(hs.config, bridgeConfig(hs.dir,
    `      signal: {server: "${url}", ca_file: "${sb.ca}", trust_root: "${sb.trustRoot}"${zk}}${debug}`));
  await hs.start();
  assert.equal(hs.registerUser('alice', 'pw-alice').status, 0);
  env.alice = await client(hs, 'alice');
  env.token = env.alice.getAccessToken();
  env.userId = env.alice.getUserId();
  env.deviceId = env.alice.getDeviceId();
  const { room_id: botRoom } = await env.alice.createRoom({ preset: 'trusted_private_chat', is_direct: true, invite: [BOT] });
  env.botRoom = botRoom;
  await until(() => messages(env.alice, botRoom, BOT)[0], 'the welcome message');
  await env.alice.sendTextMessage(botRoom, 'link');
  const img = await until(() => messages(env.alice, botRoom, BOT).find((e) => e.getContent().msgtype === 'm.image'),
                          'the QR code', 30000);
  const [server, id] = img.getContent().url.slice(6).split('/');
  const res = await fetch(`${hs.base}/_matrix/client/v1/media/download/${server}/${id}`,
                          { headers: { Authorization: `Bearer ${env.token}` } });
  await sb.scan(decodeQr(Buffer.from(await res.arrayBuffer())));
  await until(() => messages(env.alice, botRoom, BOT).some((e) => /^Successfully logged in as/.test(e.getContent().body)),
              'linked', 60000);
  // the portal with the contact Alice: her first message creates it
  await sb.send('Alice', 'portal opener');
  env.portal = (await until(() => env.alice.getRooms().find((r) => r.getMyMembership() === 'join' &&
    messages(env.alice, r.roomId).some((e) => e.getContent().body === 'portal opener')), 'the portal', 60000)).roomId;
  return env;
}

// Arm a write-fault rule ("<table> <op> <busy|locked|full|ioerr> <count>",
// st_fault.h): the module's next `count` writes of that kind fail. The
// module logs each injected failure; `injected(label)` resolves once all
// `count` happened (the log from the arming on).
function armFault(env, rule) {
  const [table, op, err, count] = rule.split(/\s+/);
  const from = env.hs.log.length;
  // whole or not at all: the module may be reading the file
  fs.writeFileSync(`${env.faultFile}.new`, `${rule}\n`);
  fs.renameSync(`${env.faultFile}.new`, env.faultFile);
  const any = (x, v) => (x === '*' ? '\\w+' : v);
  const re = new RegExp(`store: injected fault ${err} on ${any(op, op)} of ${any(table, table)}`, 'g');
  const seen = () => (env.hs.log.slice(from).match(re) || []).length;
  return {
    from,
    seen,
    injected: (label, ms = 60000) => until(() => seen() >= Number(count), `${label}: the injected fault (${rule})`, ms),
  };
}

// The contact Alice writes `body` to the linked device. Each message has
// its own sent timestamp, as from a real Signal app: the same sender and
// timestamp is the same message to Signal clients (Signal-Desktop
// ts/messages/handleDataMessage.ts drops it as a duplicate). Resolves when
// the bridge acknowledged it. Signal's server keeps a message until the
// device acknowledges it and delivers it again on the next connection; the
// mock instead rejects a queued message whose socket closed before the
// acknowledgement (@signalapp/mock-server src/server/base.js, queued
// sends), so such a message is sent again with the same timestamp, which
// is what Signal's redelivery amounts to.
let lastTs = 0;
async function contactSends(env, body) {
  lastTs = Math.max(Date.now(), lastTs + 1);
  const timestamp = lastTs;
  for (let attempt = 1; ; attempt++) {
    try {
      await env.sb.contacts.Alice.sendText(env.sb.device, body, { timestamp });
      return;
    } catch (e) {
      if (env.closed || attempt >= 50) throw e;
      await new Promise((r) => setImmediate(r));
    }
  }
}

// A new matrix-js-sdk client on the (possibly restarted) server, with the
// same access token: the same device, as a client that reconnects.
async function reconnect(env) {
  if (env.alice) env.alice.stopClient();
  env.alice = null;
  const c = sdk.createClient({ baseUrl: env.hs.base, accessToken: env.token, userId: env.userId, deviceId: env.deviceId });
  const ready = new Promise((resolve) => c.on('sync', (s) => s === 'PREPARED' && resolve()));
  await c.startClient({ initialSyncLimit: 10 });
  await ready;
  env.alice = c;
  return c;
}

// kill -9 the homeserver (module inside) and start it again on the same
// data directory and database.
async function crash(env) {
  const { hs } = env;
  if (env.alice) env.alice.stopClient();
  hs.proc.kill('SIGKILL');
  await hs.exited;
  hs.proc = null;
  await hs.start();
  await reconnect(env);
}

async function stopAll(env) {
  if (!env) return;
  env.closed = true;
  if (env.alice) env.alice.stopClient();
  if (env.hs) {
    try { await env.hs.stop(); } finally {
      // SB_HS_LOG=<file>: keep the homeserver's whole log for a look afterwards
      if (process.env.SB_HS_LOG) fs.appendFileSync(process.env.SB_HS_LOG, env.hs.log);
      env.hs.cleanup();
    }
  }
  if (env.proxy) await env.proxy.close();
  if (env.sb) await env.sb.close();
}

// One PUT of a text message with an explicit transaction ID, as the Matrix
// C-S API defines it (PUT /rooms/{roomId}/send/{eventType}/{txnId}): a
// retry with the same txnId is the same request. Returns the event ID, or
// null when the server was unreachable or answered an error.
async function putText(env, room, txn, body) {
  try {
    const r = await env.hs.req('PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/send/m.room.message/${txn}`,
                               { token: env.token, body: { msgtype: 'm.text', body } });
    return r.status === 200 ? r.json.event_id : null;
  } catch (e) {
    return null;
  }
}

// Every event of a room as the server stores it, in stream order.
async function roomEvents(env, room) {
  const out = [];
  let from = 's0';
  for (;;) {
    const r = await env.hs.req('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/messages?dir=f&limit=500&from=${from}`,
                               { token: env.token });
    assert.equal(r.status, 200, `/messages: ${r.body}`);
    if (!r.json.chunk.length) return out;
    out.push(...r.json.chunk);
    from = r.json.end;
  }
}

// Count a burst: `seen` is the sequence of bodies as they appear at the
// receiver; `sent` the bodies in send order. Lost: sent but never seen;
// dup: seen more than once (extra copies); order: first copies out of send order.
function tally(sent, seen) {
  const count = new Map();
  for (const b of seen) count.set(b, (count.get(b) || 0) + 1);
  const lost = sent.filter((b) => !count.has(b));
  let dup = 0;
  for (const b of sent) dup += Math.max(0, (count.get(b) || 0) - 1);
  const rank = new Map(sent.map((b, i) => [b, i]));
  const firsts = [];
  const firstSeen = new Set();
  for (const b of seen) if (rank.has(b) && !firstSeen.has(b)) { firstSeen.add(b); firsts.push(rank.get(b)); }
  let order = 0;
  for (let i = 1; i < firsts.length; i++) if (firsts[i] < firsts[i - 1]) order += 1;
  return { lost: lost.length, lostList: lost, dup, order, of: sent.length };
}

const textOf = (ev) => (ev.type === 'm.room.message' ? ev.content.body : undefined);

module.exports = {
  prng, seedFromEnv, startProxy, setupBridge, reconnect, crash, stopAll, putText, roomEvents, tally, textOf, contactSends,
  armFault,
  messages, until, BOT,
};
