'use strict';
// signal/net end to end: the provisioning websocket over RFC 8441 against the
// unmodified mock server. The C client (tests/net/sn_probe on sn_sock) must
// open the socket, receive PUT /v1/address and answer 200; only then does the
// mock's waitForProvision() resolve.
const test = require('node:test');
const assert = require('node:assert');
const { startMock } = require('../lib/signal-mock');
const { Probe, state } = require('./probe');

function withTimeout(promise, ms, what) {
  let t;
  return Promise.race([promise, new Promise((_, rej) => {
    t = setTimeout(() => rej(new Error(`timeout: ${what}`)), ms);
  })]).finally(() => clearTimeout(t));
}

// The mock's queue timeout also bounds its wait for a harness to complete()
// the link; keep it short so the pending wait does not hold node for 60 s.
test('provisioning socket over RFC 8441: PUT /v1/address answered, waitForProvision resolves', async () => {
  const mock = await startMock({ timeout: 5000 });
  let probe;
  try {
    const provision = mock.server.waitForProvision();
    probe = new Probe(['127.0.0.1', String(mock.port), mock.ca, 'ws', '/v1/websocket/provisioning/',
      '--transport', 'auto', '--no-reconnect']);
    const up = await probe.waitFor(state('connected'), 10000, 'connected');
    assert.strictEqual(up.transport, 'h2', 'auto must pick RFC 8441 when the server allows it');
    const req = await probe.waitFor((e) => e.ev === 'request', 10000, 'PUT /v1/address');
    assert.strictEqual(req.verb, 'PUT');
    assert.strictEqual(req.path, '/v1/address');
    assert.strictEqual(req.id, 0);
    // body = ProvisioningAddress { address = 1 (string uuid) }
    const body = Buffer.from(req.body, 'hex');
    assert.strictEqual(body[0], 0x0a);
    assert.strictEqual(body[1], body.length - 2);
    assert.match(body.subarray(2).toString(), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const acked = await probe.waitFor((e) => e.ev === 'acked', 5000, 'ack');
    assert.strictEqual(acked.rc, 0);
    const pending = await withTimeout(provision, 10000, 'waitForProvision');
    assert.ok(pending && typeof pending.complete === 'function');
  } finally {
    if (probe) await probe.stop();
    await mock.close();
  }
});

test('without our answer waitForProvision stays pending', async () => {
  const mock = await startMock({ timeout: 3000 });
  let probe;
  try {
    let resolved = false;
    mock.server.waitForProvision().then(() => { resolved = true; }, () => {});
    probe = new Probe(['127.0.0.1', String(mock.port), mock.ca, 'ws', '/v1/websocket/provisioning/',
      '--no-ack', '--no-reconnect']);
    await probe.waitFor((e) => e.ev === 'request' && e.path === '/v1/address', 10000, 'request');
    await new Promise((r) => setTimeout(r, 1000));
    assert.strictEqual(resolved, false, 'resolved although the client never answered');
    assert.ok(!probe.events.some((e) => e.ev === 'acked'));
  } finally {
    if (probe) await probe.stop();
    await mock.close();
  }
});

test('one event loop serves 25 provisioning sockets at once', async () => {
  const N = 25;
  // the queue timeout also bounds each waitForProvision: leave room for 25
  // TLS handshakes on a loaded machine (sanitizer builds, parallel tests)
  const mock = await startMock({ timeout: 8000 });
  let probe;
  try {
    const waits = [];
    for (let i = 0; i < N; i++) waits.push(mock.server.waitForProvision());
    probe = new Probe(['127.0.0.1', String(mock.port), mock.ca, 'ws', '/v1/websocket/provisioning/',
      '--count', String(N), '--no-reconnect']);
    await probe.waitForNth((e) => e.ev === 'acked', N, 20000, `${N} acks`);
    const reqs = probe.events.filter((e) => e.ev === 'request');
    assert.strictEqual(reqs.length, N);
    assert.deepStrictEqual([...new Set(reqs.map((e) => e.i))].sort((a, b) => a - b),
      [...Array(N).keys()]);
    assert.strictEqual(new Set(reqs.map((e) => e.body)).size, N, 'addresses must differ');
    assert.ok(probe.events.filter((e) => e.ev === 'acked').every((e) => e.rc === 0));
    const pendings = await withTimeout(Promise.all(waits), 10000, 'all waitForProvision');
    assert.strictEqual(pendings.length, N);
    // each socket has its own TCP connection
    assert.ok(mock.socketCount() >= N, `only ${mock.socketCount()} connections`);
  } finally {
    if (probe) await probe.stop();
    await mock.close();
  }
});
