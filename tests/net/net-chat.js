'use strict';
// signal/net end to end: the authenticated chat websocket (sn_sock) against
// the unmodified mock: keepalive requests, server requests acked, reconnect
// after the server side is killed, keepalive timeout with a frozen server,
// close codes 3000 (unauthorized) and 4409 (replaced).
const test = require('node:test');
const assert = require('node:assert');
const { spawn } = require('child_process');
const path = require('path');
const { startMock } = require('../lib/signal-mock');
const { Probe, state } = require('./probe');

const PASSWORD = 'sn-test-password';

function basic(user, pass) {
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

async function withPrimary(fn) {
  const mock = await startMock();
  const probes = [];
  try {
    const phone = await mock.server.createPrimaryDevice({ profileName: 'Phone', password: PASSWORD });
    const user = `${phone.device.aci}.${phone.device.deviceId}`;
    await fn({ mock, phone, user, probes });
  } finally {
    for (const p of probes) await p.stop();
    await mock.close();
  }
}

function chat(mock, auth, extra = []) {
  return new Probe(['127.0.0.1', String(mock.port), mock.ca, 'ws', '/v1/websocket/',
    '--auth', auth, ...extra]);
}

test('keepalive round trip and queue/empty acked on the authenticated socket', async () => {
  await withPrimary(async ({ mock, user, probes }) => {
    const p = chat(mock, basic(user, PASSWORD));
    probes.push(p);
    const up = await p.waitFor(state('connected'), 10000, 'connected');
    assert.strictEqual(up.transport, 'h2');
    const q = await p.waitFor((e) => e.ev === 'request', 5000, 'queue/empty');
    assert.strictEqual(q.verb, 'PUT');
    assert.strictEqual(q.path, '/api/v1/queue/empty');
    assert.strictEqual((await p.waitFor((e) => e.ev === 'acked')).rc, 0);
    p.send('req GET /v1/keepalive');
    const r = await p.waitFor((e) => e.ev === 'response', 5000, 'keepalive response');
    assert.strictEqual(r.rc, 0);
    assert.strictEqual(r.status, 200);
    assert.deepStrictEqual(JSON.parse(r.body), { ok: true });
    p.send('req GET /v1/accounts/whoami');
    const w = await p.waitForNth((e) => e.ev === 'response', 2, 5000, 'whoami');
    assert.strictEqual(w.status, 200);
    assert.strictEqual(JSON.parse(w.body).uuid, user.split('.')[0]);
  });
});

test('killing the server side of the socket: the client reconnects', async () => {
  await withPrimary(async ({ mock, user, probes }) => {
    const p = chat(mock, basic(user, PASSWORD), ['--backoff', '100']);
    probes.push(p);
    await p.waitFor(state('connected'), 10000, 'connected');
    assert.ok(mock.socketCount() >= 1);
    mock.destroySockets();
    const down = await p.waitFor(state('disconnected'), 10000, 'disconnected');
    assert.ok(down.err < 0);
    const again = await p.waitForNth(state('connected'), 2, 10000, 'reconnected');
    assert.strictEqual(again.n, 2);
    // the new socket is authenticated and works
    await p.waitForNth((e) => e.ev === 'request' && e.path === '/api/v1/queue/empty', 2, 5000);
    p.send('req GET /v1/keepalive');
    const r = await p.waitFor((e) => e.ev === 'response', 5000, 'keepalive after reconnect');
    assert.strictEqual(r.status, 200);
  });
});

test('keepalive timeout on a frozen server tears the socket down and rebuilds it', async (t) => {
  // The mock runs in its own process so it can be frozen with SIGSTOP.
  const launcher = path.join(__dirname, '..', 'lib', 'signal-mock.js');
  const child = spawn(process.execPath, [launcher, '--primary', PASSWORD],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  let p;
  try {
    const info = await new Promise((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d) => {
        buf += d;
        if (buf.includes('\n')) resolve(JSON.parse(buf.slice(0, buf.indexOf('\n'))));
      });
      child.on('exit', (c) => reject(new Error(`mock exited ${c}`)));
    });
    const user = `${info.primary.aci}.${info.primary.deviceId}`;
    p = new Probe(['127.0.0.1', String(info.port), info.ca, 'ws', '/v1/websocket/',
      '--auth', basic(user, PASSWORD), '--keepalive', '300', '--ka-timeout', '700',
      '--backoff', '100']);
    await p.waitFor(state('connected'), 10000, 'connected');
    process.kill(info.pid, 'SIGSTOP');
    const down = await p.waitFor(state('disconnected'), 10000, 'keepalive timeout');
    assert.strictEqual(down.err, -1216, JSON.stringify(down)); // SN_ERR_KEEPALIVE
    process.kill(info.pid, 'SIGCONT');
    const again = await p.waitForNth(state('connected'), 2, 15000, 'reconnected');
    assert.ok(again.n >= 2);
  } finally {
    try { process.kill(child.pid, 'SIGCONT'); } catch (e) { /* gone */ }
    if (p) await p.stop();
    child.kill('SIGTERM');
    await new Promise((r) => { if (child.exitCode !== null) r(); else child.on('exit', r); });
  }
});

test('wrong password: close 3000 is reported as unauthorized, no reconnect', async () => {
  await withPrimary(async ({ mock, user, probes }) => {
    const p = chat(mock, basic(user, 'wrong'), ['--backoff', '100']);
    probes.push(p);
    const ev = await p.waitFor((e) => e.ev === 'state' && e.state !== 'connecting'
      && e.state !== 'connected', 10000, 'unauthorized');
    assert.strictEqual(ev.state, 'unauthorized');
    assert.strictEqual(ev.close, 3000);
    assert.strictEqual(ev.err, -1214);
    await new Promise((r) => setTimeout(r, 600)); // > backoff: a retry would show
    assert.strictEqual(p.events.filter(state('connecting')).length, 1);
  });
});

test('a second socket for the same device: the first gets 4409, replaced', async () => {
  await withPrimary(async ({ mock, user, probes }) => {
    const a = chat(mock, basic(user, PASSWORD), ['--backoff', '100']);
    probes.push(a);
    await a.waitFor(state('connected'), 10000, 'first connected');
    await a.waitFor((e) => e.ev === 'acked', 5000, 'first queue/empty');
    const b = chat(mock, basic(user, PASSWORD));
    probes.push(b);
    await b.waitFor(state('connected'), 10000, 'second connected');
    const ev = await a.waitFor(state('replaced'), 10000, 'replaced');
    assert.strictEqual(ev.close, 4409);
    assert.strictEqual(ev.err, -1215);
    assert.ok(!b.events.some(state('replaced')));
  });
});

test('server requests: an answered one is done, an unanswered one comes back after a reconnect', async () => {
  await withPrimary(async ({ mock, phone, user, probes }) => {
    const isMsg = (body) => (e) => e.ev === 'request' && e.path === '/api/v1/message'
      && e.body === Buffer.from(body).toString('hex');
    // 1: the client answers 200 -> the mock's send() completes (the id matched)
    const a = chat(mock, basic(user, PASSWORD), ['--backoff', '100']);
    probes.push(a);
    await a.waitFor(state('connected'), 10000, 'connected');
    await withTimeoutP(mock.server.send(phone.device, Buffer.from('acked-1')), 5000, 'send acked');
    const r1 = await a.waitFor(isMsg('acked-1'), 5000, 'acked-1');
    // the mock's send() completes when the ack frame arrives, which can be
    // before the probe printed its own 'acked' line: wait for that line
    const ack1 = await a.waitFor((e) => e.ev === 'acked' && e.id === r1.id, 5000, 'acked-1 answered');
    assert.strictEqual(ack1.rc, 0);
    await a.stop();
    // 2: a client that never answers: after the socket is killed the same
    // message is delivered again on the next connection
    const b = chat(mock, basic(user, PASSWORD), ['--backoff', '100', '--no-ack']);
    probes.push(b);
    await b.waitFor(state('connected'), 10000, 'connected');
    let delivered = false;
    mock.server.send(phone.device, Buffer.from('unacked-2')).then(() => { delivered = true; }, () => {});
    await b.waitFor(isMsg('unacked-2'), 5000, 'unacked-2');
    mock.destroySockets();
    await b.waitForNth(state('connected'), 2, 10000, 'reconnected');
    await b.waitForNth(isMsg('unacked-2'), 2, 5000, 'redelivery');
    assert.strictEqual(delivered, false);
    // acked-1 never came back
    assert.ok(!b.events.some(isMsg('acked-1')));
  });
});

function withTimeoutP(promise, ms, what) {
  let t;
  return Promise.race([promise, new Promise((_, rej) => {
    t = setTimeout(() => rej(new Error(`timeout: ${what}`)), ms);
  })]).finally(() => clearTimeout(t));
}
