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
// Usage: node bench/accounts_bench.js [max accounts]
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { Homeserver, until, SERVER } = require(path.join(__dirname, '..', 'tests', 'e2e', 'mxhs_harness.js'));
const { startMock } = require(path.join(__dirname, '..', 'tests', 'lib', 'signal-mock.js'));
const { record } = require(path.join(__dirname, 'results.js'));

const MAX = Number(process.argv[2] || process.env.BENCH_ACCOUNTS_MAX || 100);
const MSGS = Number(process.env.SB_ACCOUNTS_MSGS || 200);
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

// One series: a fresh mock and mxhs loading `so`; links up to MAX
// accounts, sampling RSS at each step, then times MSGS messages.
async function series(so) {
  const mock = await startMock({ timeout: 3600000 });
  const { server } = mock;
  const hs = new Homeserver();
  fs.writeFileSync(hs.config, `server_name: ${SERVER}
listen: {address: 127.0.0.1, port: 0}
database: {path: ${hs.dir}/hs.db}
media_path: ${hs.dir}/media
data_dir: ${hs.dir}
registration: {enabled: true}
log_level: warn
modules:
  - module: ${so}
    double_puppet: true
    config:
      provisioning: {shared_secret: "${SECRET}"}
      permissions: {"${SERVER}": user}
      link_timeout: 300
      signal: {server: "${mock.url}", ca_file: "${mock.ca}", trust_root: "BZ8zqn+/bbZcpoKqnvkHXvoTI+n9o/Iuc9kpVog2ZEYs"}
`);
  await hs.start();
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
  } catch (e) {
    if (process.env.BENCH_DEBUG) console.error(hs.log.split('\n').filter((l) => /WARN|ERROR/.test(l)).slice(-40).join('\n'));
    throw e;
  } finally {
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
  return { so, pid, points, linkMs, lat, slope, xs, others: devices.length - 1 };
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
}

async function main() {
  // BENCH_ACCOUNTS_BEFORE=<older signalbridge.so>[:<another>...]: the same
  // series with each first, in the same run, as baselines of a memory change.
  const befores = [];
  for (const so of (process.env.BENCH_ACCOUNTS_BEFORE || '').split(':').filter(Boolean)) befores.push(await series(so));
  const r = await series(BRIDGE);
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
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
