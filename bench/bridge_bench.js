// signalbridge end to end (make bench; never a test). 1,000 messages each
// way through mxhs + signalbridge.so + Signal's mock server, measured from
// the sending API call to the message being visible at the receiver:
//   Signal -> Matrix: a mock contact sends; the event appears in the Matrix
//     client's /sync.
//   Matrix -> Signal: the Matrix client sends; the mock contact receives.
// Baseline measured in the same run, on the same machine:
//   Matrix -> Matrix: one client sends, another sees it via /sync (mxhs alone).
// "Added" is bridged latency minus that baseline, so it also contains the
// mock server's own delivery time (a Signal-only baseline through the mock
// is not here: mock device to mock device sends never completed in our
// tries; bench/signal-recv.sh compares the Signal side with libsignal).
// Usage: node bench/bridge_bench.js [messages]
'use strict';
const path = require('node:path');
const { Homeserver, until, polyfill, SERVER } = require(path.join(__dirname, '..', 'tests', 'e2e', 'mxhs_harness.js'));
const { startSandbox, decodeQr } = require(path.join(__dirname, '..', 'sandbox', 'sandbox.js'));

polyfill();
const sdk = require('matrix-js-sdk');
const { record, silenceMatrixSdk } = require(path.join(__dirname, 'results.js'));
const { writeBridgeConfig } = require(path.join(__dirname, 'hs_config.js'));

silenceMatrixSdk();
const N = Number(process.argv[2] || process.env.BRIDGE_BENCH_MESSAGES || 1000);
const builddir = process.env.top_builddir || path.resolve(__dirname, '../build');
const BRIDGE = path.join(builddir, '.libs', 'signalbridge.so');
const BOT = `@signalbot:${SERVER}`;
const now = () => Number(process.hrtime.bigint()) / 1e6;
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))]; };
const quiet = { log() {}, info() {}, debug() {}, warn() {}, error() {}, trace() {}, getChild() { return quiet; } };

async function client(hs, user) {
  hs.registerUser(user, `pw-${user}`);
  const creds = await sdk.createClient({ baseUrl: hs.base, logger: quiet }).loginWithPassword(user, `pw-${user}`);
  const c = sdk.createClient({ baseUrl: hs.base, accessToken: creds.access_token, userId: creds.user_id,
                               deviceId: creds.device_id, logger: quiet });
  await c.startClient({ initialSyncLimit: 10 });
  await new Promise((r) => c.once('sync', (s) => s === 'PREPARED' && r()));
  c.on('RoomMember.membership', (ev, m) => {
    if (m.userId === c.getUserId() && m.membership === 'invite') c.joinRoom(m.roomId).catch(() => {});
  });
  return c;
}

// Stamp each body with its index, record send and arrival times.
function tracker() {
  const sent = new Map();
  const lat = [];
  let first = 0;
  let last = 0;
  return {
    sent(i) { const t = now(); if (!first) first = t; sent.set(i, t); },
    seen(body) {
      const m = /^bench (\d+)$/.exec(body || '');
      if (!m || !sent.has(Number(m[1]))) return;
      last = now();
      lat.push(last - sent.get(Number(m[1])));
      sent.delete(Number(m[1]));
    },
    done: () => lat.length >= N,
    result: () => ({ n: lat.length, rate: lat.length / ((last - first) / 1000), p50: pct(lat, 50), p99: pct(lat, 99) }),
  };
}

// Watch a room through our own /sync long-poll (timeline limit 500), so a
// burst between two syncs is never a gap the way a small client limit is.
function watchRoom(hs, c, roomId, t) {
  let stop = false;
  const ctl = new AbortController();
  const filter = encodeURIComponent(JSON.stringify({ room: { rooms: [roomId], timeline: { limit: 500 } } }));
  (async () => {
    let since = '';
    for (; !stop;) {
      let j;
      try {
        const res = await fetch(`${hs.base}/_matrix/client/v3/sync?timeout=10000&filter=${filter}${since ? `&since=${since}` : ''}`,
                                { headers: { Authorization: `Bearer ${c.getAccessToken()}` }, signal: ctl.signal });
        j = await res.json();
      } catch (e) { if (stop) return; continue; }
      if (since) {
        const tl = j.rooms?.join?.[roomId]?.timeline?.events || [];
        for (const e of tl) if (e.type === 'm.room.message') t.seen(e.content.body);
      }
      since = j.next_batch;
    }
  })();
  return () => { stop = true; ctl.abort(); };
}

// Signal identifies a message by (sender, device, timestamp): two sends in
// one millisecond would be one message to every receiver. Unique stamps.
let lastTs = 0;
const stamp = () => { lastTs = Math.max(Date.now(), lastTs + 1); return lastTs; };

async function run(name, send, wait) {
  if (process.env.BENCH_DEBUG) process.stderr.write(`bench: ${name}\n`);
  const t = tracker();
  const seen = wait(t);
  for (let i = 0; i < N; i++) { t.sent(i); await send(`bench ${i}`); }
  await until(() => t.done(), `${name}: all ${N} messages`, 300000)
    .catch((e) => { throw new Error(`${e.message} (${t.result().n} arrived)`); });
  seen();
  return t.result();
}

function row(name, r, base) {
  const f = (x) => x.toFixed(1).padStart(8);
  let line = `${name.padEnd(26)} ${String(r.n).padStart(5)} msgs ${f(r.rate)} msg/s  p50 ${f(r.p50)} ms  p99 ${f(r.p99)} ms`;
  if (base) line += `   added p50 ${f(r.p50 - base.p50)} ms  p99 ${f(r.p99 - base.p99)} ms  (ratio p50 ${(r.p50 / base.p50).toFixed(2)})`;
  console.log(line);
  const SEC = 'signalbridge end to end (wall clock)';
  if (!base) return;
  record(SEC, `${name}: rate, ${N} messages one after another`, r.rate, 'msg/s', 'matrix->matrix on mxhs alone', base.rate, 'higher');
  record(SEC, `${name}: latency p50`, r.p50, 'ms', 'matrix->matrix p50', base.p50, 'lower');
  record(SEC, `${name}: latency p99`, r.p99, 'ms', 'matrix->matrix p99', base.p99, 'lower');
}

async function main() {
  const sb = await startSandbox({});
  const hs = new Homeserver();
  writeBridgeConfig(hs, BRIDGE, [
    `signal: {server: "${sb.url}", ca_file: "${sb.ca}", trust_root: "${sb.trustRoot}"}`]);
  await hs.start();
  const clients = [];
  try {
    const alice = await client(hs, 'alice');
    const bob = await client(hs, 'bob');
    clients.push(alice, bob);

    // baseline 1: Matrix -> Matrix on the same server
    const { room_id: mm } = await alice.createRoom({ invite: [bob.getUserId()] });
    await until(() => bob.getRoom(mm)?.getMyMembership() === 'join', 'bob joins');
    const mmBase = await run('matrix->matrix', (b) => alice.sendTextMessage(mm, b), (t) => watchRoom(hs, bob, mm, t));

    if (process.env.BENCH_DEBUG) process.stderr.write('bench: linking\n');
    // link alice's Signal account through the bot, as a user does
    const { room_id: botRoom } = await alice.createRoom({ is_direct: true, invite: [BOT] });
    await until(() => alice.getRoom(botRoom)?.getMember(BOT)?.membership === 'join', 'the bot joins');
    await alice.sendTextMessage(botRoom, 'link');
    const img = await until(() => alice.getRoom(botRoom).getLiveTimeline().getEvents()
      .find((e) => e.getContent().msgtype === 'm.image'), 'the QR code', 30000);
    const [server, id] = img.getContent().url.slice(6).split('/');
    const png = await fetch(`${hs.base}/_matrix/client/v1/media/download/${server}/${id}`,
                            { headers: { Authorization: `Bearer ${alice.getAccessToken()}` } });
    await sb.scan(decodeQr(Buffer.from(await png.arrayBuffer())));
    await until(() => alice.getRoom(botRoom).getLiveTimeline().getEvents()
      .some((e) => /^Successfully logged in/.test(e.getContent().body)), 'linked', 60000);

    // bridged: Signal -> Matrix (the first message also creates the portal)
    await sb.send('Alice', 'warm up');
    const portal = (await until(() => alice.getRooms().find((r) => r.getLiveTimeline().getEvents()
      .some((e) => e.getContent().body === 'warm up')), 'the portal', 60000)).roomId;
    const sm = await run('signal->matrix (bridge)', (b) => sb.send('Alice', b, { timestamp: stamp() }),
                         (t) => watchRoom(hs, alice, portal, t));

    // bridged: Matrix -> Signal
    const before = sb.received.length;
    const ms = await run('matrix->signal (bridge)', (b) => alice.sendTextMessage(portal, b), (t) => {
      const timer = setInterval(() => { while (sb.received.length > before + t.result().n) t.seen(sb.received[before + t.result().n].body); }, 5);
      return () => clearInterval(timer);
    });

    console.log(`signalbridge end to end, ${N} messages each way (sent one after another)`);
    row('matrix->matrix (baseline)', mmBase);
    row('signal->matrix (bridge)', sm, mmBase);
    row('matrix->signal (bridge)', ms, mmBase);
    console.log('"added" = bridged latency minus mxhs alone; it includes the mock server\'s own delivery');
    console.log('(bench/signal-recv.sh compares the Signal side with libsignal in its own run).');
  } catch (e) {
    if (process.env.BENCH_DEBUG) {
      console.error(hs.log.split('\n').filter((l) => /WARN|ERROR|not bridged/.test(l)).slice(-40).join('\n'));
      for (const r of clients[0].getRooms()) {
        const res = await fetch(`${hs.base}/_matrix/client/v3/rooms/${encodeURIComponent(r.roomId)}/messages?dir=b&limit=1000`,
                                { headers: { Authorization: `Bearer ${clients[0].getAccessToken()}` } });
        const j = await res.json();
        const bodies = (j.chunk || []).filter((e) => e.type === 'm.room.message').map((e) => e.content.body);
        console.error(`room ${r.roomId}: ${bodies.length} messages, ${new Set(bodies.filter((b) => /^bench /.test(b))).size} distinct bench`);
      }
      console.error(require('node:child_process').execFileSync('python3', ['-c',
        'import sqlite3,sys;c=sqlite3.connect(sys.argv[1])\nprint("inbox", c.execute("select count(*), sum(event_id is null) from br_inbox").fetchall())\nprint("sig_inbox", c.execute("select count(*), sum(done=0) from sig_inbox").fetchall())',
        path.join(hs.dir, 'signalbridge', 'signalbridge.db')]).toString());
    }
    throw e;
  } finally {
    for (const c of clients) c.stopClient();
    await hs.stop();
    hs.cleanup();
    await sb.close();
  }
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
