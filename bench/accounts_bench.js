// Many linked accounts in one process (make bench; never a test; issue #15
// item 1). mxhs with signalbridge.so and Signal's own mock server: accounts
// are linked one after another through the module's provisioning API
// (br_prov.c, as tests/e2e/bridge_provision.js does: POST
// v3/login/start/qr, a fresh mock primary device "scans" the sgnl:// data,
// the display_and_wait step completes, whoami says CONNECTED). That is the
// module's whole real path: provisioning socket, key generation, device
// registration, prekey upload, store rows, then one authenticated
// websocket per account, all on the module's one Signal event loop.
// The mock links one device at a time (its provisioning queue checks the
// uuid of the next pending link), so links are sequential.
//
// Figures: mxhs's VmRSS (/proc/<pid>/status) with 0 accounts and after 1,
// 10, 100 (and BENCH_ACCOUNTS_MAX=1000) idle linked accounts, the RSS slope
// per account against the goal (256 KiB), and the latency of one message
// to one account while the others are idle: from a mock contact's send to
// the bridge's websocket ack of it (the bridge acks after the durable
// store, sig_recv), p50/p99 over SB_ACCOUNTS_MSGS messages.
//
// Then, for this build only (not BENCH_ACCOUNTS_BEFORE's): the latency of
// one message to the Matrix side (the contact's send until account 0's
// owner's matrix-js-sdk client sees it, the others idle), and reconnect
// storms (issue #15 item 1), each beside its same-run baseline with the
// bound on connection attempts off (signal.connect_concurrency: 0):
//   drop: the mock destroys every socket at once; time until every
//         account has a new chat websocket at the mock, the most TLS
//         handshakes in progress at once at the mock's TLS server
//         (tests/e2e/storm_lib.js handshakeMeter), and the send-to-ack
//         latency of one message each to SB_STORM_SAMPLE accounts right after;
//   restart: mxhs stops and starts again with every account linked; time
//         from the start until every account is connected, and the peak.
// Usage: node bench/accounts_bench.js [max accounts]
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { Homeserver, until, polyfill, SERVER } = require(path.join(__dirname, '..', 'tests', 'e2e', 'mxhs_harness.js'));
const { startMock } = require(path.join(__dirname, '..', 'tests', 'lib', 'signal-mock.js'));
const { record, silenceMatrixSdk } = require(path.join(__dirname, 'results.js'));
const { writeBridgeConfig } = require(path.join(__dirname, 'hs_config.js'));
const { handshakeMeter, chatSockets } = require(path.join(__dirname, '..', 'tests', 'e2e', 'storm_lib.js'));

const MAX = Number(process.argv[2] || process.env.BENCH_ACCOUNTS_MAX || 100);
const MSGS = Number(process.env.SB_ACCOUNTS_MSGS || 200);
const SAMPLE = Number(process.env.SB_STORM_SAMPLE || 100);
const DEFAULT_BOUND = 16; // signal.connect_concurrency's default (br_config.c)
const STEPS = [1, 10, 100, 1000].filter((n) => n <= MAX);
const builddir = process.env.top_builddir || path.resolve(__dirname, '../build');
const BRIDGE = path.join(builddir, '.libs', 'signalbridge.so');
const SECRET = 'bench-' + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
const GOAL_KIB = 256;
const debug = (s) => { if (process.env.BENCH_DEBUG) process.stderr.write(`accounts: ${s}\n`); };
const now = () => Number(process.hrtime.bigint()) / 1e6;
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))]; };
const pause = (ms) => new Promise((r) => setTimeout(r, ms));

function status(pid) {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (k) => Number((new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s) || [])[1]);
  let sockets = 0;
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try { if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) sockets++; } catch { /* closed */ }
  }
  return { rss: kib('VmRSS'), anon: kib('RssAnon'), name: (/^Name:\s+(\S+)/m.exec(s) || [])[1], sockets };
}

// RSS once the process is idle: the Signal client closes an account's
// HTTPS pool connection (storage, groups: used right after a link) after
// 30 to 45 s without requests (sig_client.c, SIG_POOL_IDLE_MS), so wait
// until only the chat websockets are left (`want` sockets at most, or 90 s),
// then take the largest of three samples 1 s apart (a bench figure, not a
// test; malloc does not always give freed memory back).
async function idleRss(pid, want) {
  const t0 = now();
  await pause(2000);
  while (want !== undefined && status(pid).sockets > want && now() - t0 < 90000) await pause(1000);
  let best = status(pid);
  for (let i = 0; i < 2; i++) {
    await pause(1000);
    const st = status(pid);
    if (st.rss > best.rss) best = st;
  }
  best.waitedMs = now() - t0;
  return best;
}

const quiet = { log() {}, info() {}, debug() {}, warn() {}, error() {}, trace() {}, getChild() { return quiet; } };

// A logged-in Matrix client that joins what it is invited to and calls
// onBody(body) for every message it sees.
async function mxClient(hs, user, onBody) {
  polyfill();
  const sdk = require('matrix-js-sdk');
  silenceMatrixSdk();
  const creds = await sdk.createClient({ baseUrl: hs.base, logger: quiet }).loginWithPassword(user, `pw-${user}`);
  const c = sdk.createClient({ baseUrl: hs.base, accessToken: creds.access_token, userId: creds.user_id,
                               deviceId: creds.device_id, logger: quiet });
  c.on('RoomMember.membership', (ev, m) => {
    if (m.userId === c.getUserId() && m.membership === 'invite') c.joinRoom(m.roomId).catch(() => {});
  });
  c.on('Room.timeline', (ev) => { if (ev.getType() === 'm.room.message') onBody(ev.getContent().body); });
  const ready = new Promise((r) => c.on('sync', (st) => (st === 'PREPARED' || st === 'SYNCING') && r()));
  await c.startClient({ initialSyncLimit: 10 });
  await ready;
  return c;
}

// Poll every 10 ms (a figure's resolution, not a test's wait).
async function poll(check, what, ms) {
  const end = now() + ms;
  while (!check()) {
    if (now() > end) throw new Error(`timed out waiting for ${what}`);
    await pause(10);
  }
}

// One series: a fresh mock and mxhs loading `so`; links up to MAX
// accounts, sampling RSS at each step, then times MSGS messages; with
// `full`, also the Matrix side and the reconnect storms.
async function series(so, full) {
  const mock = await startMock({ timeout: 3600000 });
  const { server } = mock;
  const meter = handshakeMeter(mock);
  const hs = new Homeserver();
  const config = (bound) => writeBridgeConfig(hs, so, [
    `provisioning: {shared_secret: "${SECRET}"}`,
    `permissions: {"${SERVER}": user}`,
    'link_timeout: 300',
    `signal: {server: "${mock.url}", ca_file: "${mock.ca}", trust_root: "BZ8zqn+/bbZcpoKqnvkHXvoTI+n9o/Iuc9kpVog2ZEYs"${bound === undefined ? '' : `, connect_concurrency: ${bound}`}}`]);
  config();
  await hs.start();
  hs.registerUser('bench0', 'pw-bench0'); // account 0's owner, for the Matrix side
  const pid = hs.proc.pid;
  const api = async (method, p, user) => {
    const res = await fetch(`${hs.base}/_mxm/signalbridge/_matrix/provision${p}?user_id=${encodeURIComponent(user)}`,
                            { method, headers: { Authorization: `Bearer ${SECRET}` } });
    const text = await res.text();
    let body;
    try { body = JSON.parse(text); } catch { body = text; }
    return { status: res.status, body };
  };
  const devices = [];
  const points = [];
  const linkMs = [];
  const lat = [];
  const extra = {};
  let watcher;
  try {
    const contact = await server.createPrimaryDevice({ profileName: 'Bench Contact' });
    const base = await idleRss(pid);
    debug(`${so}: process ${base.name} pid ${pid}: ${base.rss} KiB with no account`);
    points.push({ n: 0, ...base });
    for (const target of STEPS) {
      while (devices.length < target) {
        const i = devices.length;
        const user = `@bench${i}:${SERVER}`;
        const t0 = now();
        const start = await api('POST', '/v3/login/start/qr', user);
        if (start.status !== 200) throw new Error(`start ${i}: ${start.status} ${JSON.stringify(start.body)}`);
        const phone = await server.createPrimaryDevice({ profileName: `Bench Phone ${i}` });
        const pending = await server.waitForProvision();
        const wait = api('POST', `/v3/login/step/${start.body.login_id}/fi.mau.signal.login.qr/display_and_wait`, user);
        const device = await pending.complete({ provisionURL: start.body.display_and_wait.data, primaryDevice: phone });
        const done = await wait;
        if (done.body.type !== 'complete') throw new Error(`link ${i}: ${done.status} ${JSON.stringify(done.body)}`);
        await until(async () => (await api('GET', '/v3/whoami', user)).body.logins?.[0]?.state?.state_event === 'CONNECTED',
                    `account ${i} connected`, 120000);
        linkMs.push(now() - t0);
        devices.push(device);
      }
      const st = await idleRss(pid, base.sockets + target);
      points.push({ n: target, ...st });
      debug(`${target} accounts: ${st.rss} KiB, ${st.sockets} sockets after ${(st.waitedMs / 1000).toFixed(0)} s idle, link p50 ${pct(linkMs, 50).toFixed(0)} ms`);
    }

    // account 0's owner watches the Matrix side (its portal is made by the
    // first message below)
    const seen = new Map();
    if (full) watcher = await mxClient(hs, 'bench0', (body) => { const f = seen.get(body); if (f) f(); });

    // One message to account 0 at a time while the others are idle.
    const target = devices[0];
    await contact.addSingleUseKey(target, await target.popSingleUseKey('ACI'), 'ACI');
    let ts = Date.now();
    for (let i = 0; i < MSGS; i++) {
      ts = Math.max(Date.now(), ts + 1); // Signal keys a message by (sender, timestamp)
      const t0 = now();
      await contact.sendText(target, `bench ${i}`, { timestamp: ts });
      lat.push(now() - t0);
    }
    if (full) Object.assign(extra, await stormPart({ hs, mock, meter, contact, devices, config, seen, ts, watcher }));
  } catch (e) {
    if (process.env.BENCH_DEBUG) console.error(hs.log.split('\n').filter((l) => /WARN|ERROR/.test(l)).slice(-40).join('\n'));
    throw e;
  } finally {
    if (watcher) watcher.stopClient();
    await hs.stop();
    hs.cleanup();
    await mock.close();
  }

  // Least-squares slope of RSS over the account counts 1, 10, 100...
  // (not 0: the first account also pays one-time costs of the process).
  const xs = points.slice(1).map((p) => p.n);
  const ys = points.slice(1).map((p) => p.rss);
  const mx = xs.reduce((x, y) => x + y) / xs.length;
  const my = ys.reduce((x, y) => x + y) / ys.length;
  const slope = xs.reduce((acc, x, k) => acc + (x - mx) * (ys[k] - my), 0) / xs.reduce((acc, x) => acc + (x - mx) ** 2, 0);
  return { so, pid, points, linkMs, lat, slope, xs, others: devices.length - 1, ...extra };
}

// The Matrix side, then the storms (see the top of the file).
async function stormPart({ hs, mock, meter, contact, devices, config, seen, ts, watcher }) {
  const out = {};
  const stamp = () => { ts = Math.max(Date.now(), ts + 1); return ts; };
  const arrives = (body) => new Promise((r) => seen.set(body, r));
  const target = devices[0];
  // The portal exists once the first messages show; then time MSGS more.
  await poll(() => watcher.getRooms().some((r) => r.getLiveTimeline().getEvents().some((e) => e.getType() === 'm.room.message')),
             'the portal in Matrix', 120000);
  out.mx = [];
  for (let i = 0; i < MSGS; i++) {
    const body = `matrix ${i}`;
    const shown = arrives(body);
    const t0 = now();
    await contact.sendText(target, body, { timestamp: stamp() });
    await shown;
    out.mx.push(now() - t0);
    seen.delete(body);
  }
  debug(`matrix side p50 ${pct(out.mx, 50).toFixed(1)} ms`);

  // Accounts spread over the range, each with a session from the contact.
  const sample = [];
  const k = Math.min(SAMPLE, devices.length);
  for (let i = 0; i < k; i++) sample.push(devices[Math.floor(i * devices.length / k)]);
  for (const d of sample) {
    if (d !== target) await contact.addSingleUseKey(d, await d.popSingleUseKey('ACI'), 'ACI');
    await contact.sendText(d, 'warm up', { timestamp: stamp() });
  }
  const allNew = (old) => () => chatSockets(mock, devices).every((s, i) => s && s !== old[i]);
  const after = async () => {
    const l = [];
    for (const d of sample) {
      const t0 = now();
      await contact.sendText(d, 'after the storm', { timestamp: stamp() });
      l.push(now() - t0);
    }
    return l;
  };
  const drop = async (label) => {
    const old = chatSockets(mock, devices);
    meter.reset();
    const t0 = now();
    mock.destroySockets();
    await poll(allNew(old), `every account back (${label})`, 600000);
    const r = { ms: now() - t0, peak: meter.peak, accepted: meter.accepted };
    r.after = await after();
    debug(`drop ${label}: ${(r.ms / 1000).toFixed(2)} s, peak ${r.peak}, ${r.accepted} connections`);
    return r;
  };
  const restart = async (bound, label) => {
    await hs.stop();
    config(bound);
    const old = chatSockets(mock, devices);
    meter.reset();
    const t0 = now();
    await hs.start();
    await poll(allNew(old), `every account connected (${label})`, 600000);
    const r = { ms: now() - t0, peak: meter.peak, accepted: meter.accepted };
    debug(`restart ${label}: ${(r.ms / 1000).toFixed(2)} s, peak ${r.peak}, ${r.accepted} connections`);
    return r;
  };
  watcher.stopClient(); // mxhs moves to another port at each restart
  out.dropBounded = await drop(`bound ${DEFAULT_BOUND}`);
  out.restartOpen = await restart(0, 'no bound');
  out.dropOpen = await drop('no bound');
  out.restartBounded = await restart(undefined, `bound ${DEFAULT_BOUND}`);
  return out;
}

function show(r, label) {
  console.log(`${label}: ${r.so}`);
  console.log(`linked accounts in one mxhs process (pid ${r.pid}, ${r.points[0].name}), idle; sockets = open sockets of the process`);
  console.log('accounts   VmRSS KiB   RssAnon KiB   sockets   KiB/account since previous');
  r.points.forEach((p, k) => {
    const per = k ? ((p.rss - r.points[k - 1].rss) / (p.n - r.points[k - 1].n)).toFixed(1) : '';
    console.log(`${String(p.n).padStart(8)} ${String(p.rss).padStart(11)} ${String(p.anon).padStart(13)} ${String(p.sockets).padStart(9)}   ${per}`);
  });
  console.log(`RSS slope ${r.slope.toFixed(1)} KiB per account (least squares over ${r.xs.join(', ')}); goal ${GOAL_KIB} KiB; ratio ${(r.slope / GOAL_KIB).toFixed(2)}`);
  console.log(`link (provisioning API to CONNECTED), ${r.linkMs.length} accounts: p50 ${pct(r.linkMs, 50).toFixed(0)} ms, p99 ${pct(r.linkMs, 99).toFixed(0)} ms`);
  console.log(`one message to one account, ${r.others} others idle, contact send to bridge ack, ${r.lat.length} messages: p50 ${pct(r.lat, 50).toFixed(2)} ms, p99 ${pct(r.lat, 99).toFixed(2)} ms; goal p99 < 100 ms; ratio ${(pct(r.lat, 99) / 100).toFixed(2)}`);
  if (!r.mx) return;
  console.log(`one message to one account, ${r.others} others idle, contact send until the owner's Matrix client shows it, ${r.mx.length} messages: p50 ${pct(r.mx, 50).toFixed(2)} ms, p99 ${pct(r.mx, 99).toFixed(2)} ms; goal p99 < 100 ms; ratio ${(pct(r.mx, 99) / 100).toFixed(2)}`);
  const n = r.points[r.points.length - 1].n;
  console.log(`reconnect storms, ${n} accounts; bound = signal.connect_concurrency (${DEFAULT_BOUND}, the default) against no bound (0), same run:`);
  console.log('storm                          bound    all back s   peak handshakes   connections   message after p50/p99 ms');
  const row = (what, b, x) => console.log(`${what.padEnd(30)} ${String(b).padStart(6)} ${(x.ms / 1000).toFixed(2).padStart(12)} ${String(x.peak).padStart(17)} ${String(x.accepted).padStart(13)}   ${x.after ? `${pct(x.after, 50).toFixed(2)} / ${pct(x.after, 99).toFixed(2)} (${x.after.length})` : ''}`);
  row('all sockets dropped by mock', DEFAULT_BOUND, r.dropBounded);
  row('all sockets dropped by mock', 'none', r.dropOpen);
  row('mxhs restarted', DEFAULT_BOUND, r.restartBounded);
  row('mxhs restarted', 'none', r.restartOpen);
}

async function main() {
  // BENCH_ACCOUNTS_BEFORE=<older signalbridge.so>[:<another>...]: the same
  // series with each first, in the same run, as baselines of a memory change.
  const befores = [];
  for (const so of (process.env.BENCH_ACCOUNTS_BEFORE || '').split(':').filter(Boolean)) befores.push(await series(so));
  const r = await series(BRIDGE, true);
  befores.forEach((b, k) => show(b, `before ${k + 1}`));
  show(r, befores.length ? 'after' : 'this build');
  const before = befores[0];
  const SEC = 'linked accounts in one process (mxhs + signalbridge, Signal mock; VmRSS of mxhs)';
  r.points.forEach((p, k) => {
    if (!k) return;
    if (before) record(SEC, `VmRSS, ${p.n} idle linked accounts`, p.rss, 'KiB', 'same, before 1 (BENCH_ACCOUNTS_BEFORE)', before.points[k].rss, 'lower');
    else record(SEC, `VmRSS, ${p.n} idle linked accounts`, p.rss, 'KiB', 'VmRSS with no account', r.points[0].rss, 'lower');
  });
  befores.forEach((b, k) => record(SEC, `RSS slope per account, before ${k + 1} (${b.xs.join(', ')})`, b.slope, 'KiB', 'goal (issue #15)', GOAL_KIB, 'lower'));
  record(SEC, `RSS slope per idle linked account (${r.xs.join(', ')})`, r.slope, 'KiB', 'goal (issue #15)', GOAL_KIB, 'lower');
  record(SEC, `link one account, provisioning API to CONNECTED, p50 (${r.linkMs.length})`, pct(r.linkMs, 50), 'ms', '', '', 'lower');
  record(SEC, `one message to one account (${r.others} idle), contact send to bridge ack, p50`, pct(r.lat, 50), 'ms', '', '', 'lower');
  record(SEC, `one message to one account (${r.others} idle), contact send to bridge ack, p99`, pct(r.lat, 99), 'ms', 'goal (issue #15)', 100, 'lower');
  const n = r.points[r.points.length - 1].n;
  record(SEC, `one message to one account (${r.others} idle), contact send until the Matrix client shows it, p50`, pct(r.mx, 50), 'ms',
         'contact send to bridge ack, p50 (same run)', pct(r.lat, 50), 'lower');
  record(SEC, `one message to one account (${r.others} idle), contact send until the Matrix client shows it, p99`, pct(r.mx, 99), 'ms', 'goal (issue #15)', 100, 'lower');
  const STORM = `reconnect storms, ${n} accounts (bound: signal.connect_concurrency ${DEFAULT_BOUND}; baseline: no bound, same run)`;
  const NB = 'same, no bound (connect_concurrency 0)';
  record(STORM, 'all sockets dropped by the mock: until every account is back', r.dropBounded.ms / 1000, 's', NB, r.dropOpen.ms / 1000, 'lower');
  record(STORM, 'all sockets dropped: most TLS handshakes in progress at once (at the mock)', r.dropBounded.peak, 'handshakes', NB, r.dropOpen.peak, 'lower');
  record(STORM, `all sockets dropped: one message each to ${r.dropBounded.after.length} accounts right after, send to ack, p50`, pct(r.dropBounded.after, 50), 'ms', NB, pct(r.dropOpen.after, 50), 'lower');
  record(STORM, `all sockets dropped: one message each to ${r.dropBounded.after.length} accounts right after, send to ack, p99`, pct(r.dropBounded.after, 99), 'ms', NB, pct(r.dropOpen.after, 99), 'lower');
  record(STORM, 'all sockets dropped: until every account is back, against the goal', r.dropBounded.ms / 1000, 's', 'goal (issue #15)', 60, 'lower');
  record(STORM, 'mxhs restarted: from its start until every account is connected', r.restartBounded.ms / 1000, 's', NB, r.restartOpen.ms / 1000, 'lower');
  record(STORM, 'mxhs restarted: most TLS handshakes in progress at once (at the mock)', r.restartBounded.peak, 'handshakes', NB, r.restartOpen.peak, 'lower');
  // attempts beyond one per account are failed ones (timeouts) retried
  record(STORM, 'all sockets dropped: connections the mock accepted', r.dropBounded.accepted, 'connections', NB, r.dropOpen.accepted, 'lower');
  record(STORM, 'mxhs restarted: connections the mock accepted', r.restartBounded.accepted, 'connections', NB, r.restartOpen.accepted, 'lower');
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
