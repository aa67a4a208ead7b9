'use strict';
// signal/net end to end: websockets over an HTTP/1.1 Upgrade (what
// production servers use), and the automatic choice between RFC 8441 and
// HTTP/1.1.
//  - the mock's own websocket Connection behind an HTTP/1.1 'upgrade'
//    listener (tests/lib/signal-mock.js h1Upgrade: dependencies.md §2b);
//  - the unmodified mock refuses HTTP/1.1 upgrades (401);
//  - the npm `ws` server (the library the mock itself uses) behind node's
//    http2 server without extended CONNECT, and behind an HTTP/1.1-only TLS
//    server: the client must fall back to / choose the Upgrade.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const http2 = require('http2');
const https = require('https');
const { WebSocketServer } = require('ws');
const { startMock, MOCK_DIR } = require('../lib/signal-mock');
const { Probe, state } = require('./probe');

const { signalservice: P } = require(`${MOCK_DIR}/protos/compiled.js`);

function withTimeout(promise, ms, what) {
  let t;
  return Promise.race([promise, new Promise((_, rej) => {
    t = setTimeout(() => rej(new Error(`timeout: ${what}`)), ms);
  })]).finally(() => clearTimeout(t));
}

test('provisioning over HTTP/1.1 Upgrade to the mock\'s own websocket handler', async () => {
  const mock = await startMock({ h1Upgrade: true, timeout: 5000 });
  let p;
  try {
    const provision = mock.server.waitForProvision();
    p = new Probe(['127.0.0.1', String(mock.port), mock.ca, 'ws', '/v1/websocket/provisioning/',
      '--transport', 'h1', '--no-reconnect']);
    const up = await p.waitFor(state('connected'), 10000, 'connected');
    assert.strictEqual(up.transport, 'http/1.1');
    const req = await p.waitFor((e) => e.ev === 'request', 10000, 'PUT /v1/address');
    assert.strictEqual(req.path, '/v1/address');
    assert.strictEqual((await p.waitFor((e) => e.ev === 'acked')).rc, 0);
    await withTimeout(provision, 10000, 'waitForProvision');
  } finally {
    if (p) await p.stop();
    await mock.close();
  }
});

test('authenticated chat over HTTP/1.1: keepalive, then 3000 for a wrong password', async () => {
  const mock = await startMock({ h1Upgrade: true });
  const probes = [];
  try {
    const phone = await mock.server.createPrimaryDevice({ profileName: 'P', password: 'pw' });
    const user = `${phone.device.aci}.${phone.device.deviceId}`;
    const auth = (pw) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;
    const a = new Probe(['127.0.0.1', String(mock.port), mock.ca, 'ws', '/v1/websocket/',
      '--transport', 'h1', '--auth', auth('pw')]);
    probes.push(a);
    await a.waitFor(state('connected'), 10000, 'connected');
    await a.waitFor((e) => e.ev === 'request' && e.path === '/api/v1/queue/empty', 5000);
    a.send('req GET /v1/keepalive');
    const r = await a.waitFor((e) => e.ev === 'response', 5000, 'keepalive');
    assert.strictEqual(r.status, 200);
    assert.deepStrictEqual(JSON.parse(r.body), { ok: true });
    const b = new Probe(['127.0.0.1', String(mock.port), mock.ca, 'ws', '/v1/websocket/',
      '--transport', 'h1', '--auth', auth('bad')]);
    probes.push(b);
    const ev = await b.waitFor(state('unauthorized'), 10000, 'unauthorized');
    assert.strictEqual(ev.close, 3000);
  } finally {
    for (const p of probes) await p.stop();
    await mock.close();
  }
});

test('the unmodified mock refuses an HTTP/1.1 upgrade (401 -> unauthorized)', async () => {
  const mock = await startMock();
  let p;
  try {
    p = new Probe(['127.0.0.1', String(mock.port), mock.ca, 'ws', '/v1/websocket/provisioning/',
      '--transport', 'h1', '--no-reconnect']);
    const ev = await p.waitFor((e) => e.ev === 'state' && e.state !== 'connecting', 10000);
    assert.strictEqual(ev.state, 'unauthorized');
    assert.strictEqual(ev.err, -1214);
    assert.ok(!p.events.some(state('connected')));
  } finally {
    if (p) await p.stop();
    await mock.close();
  }
});

// A websocket peer (npm ws) that sends one WebSocketMessage request and
// records the response it gets back.
function wsPeer() {
  const wss = new WebSocketServer({ noServer: true });
  const got = [];
  let onResp;
  const response = new Promise((r) => { onResp = r; });
  wss.on('connection', (ws, req) => {
    got.push(req.url);
    ws.on('message', (data) => {
      const m = P.WebSocketMessage.decode(data);
      if (m.type === 2) onResp(m.response);
    });
    ws.send(P.WebSocketMessage.encode({
      type: 1, request: { verb: 'PUT', path: '/api/v1/message', id: 41n, headers: [] },
    }));
  });
  const onUpgrade = (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
  return { wss, got, response, onUpgrade };
}

async function listen(server) {
  const sockets = new Set();
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: server.address().port,
    close: () => new Promise((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

const tlsOpts = {
  key: fs.readFileSync(`${MOCK_DIR}/certs/key.pem`),
  cert: fs.readFileSync(`${MOCK_DIR}/certs/full-cert.pem`),
};

test('auto: h2 without extended CONNECT falls back to the HTTP/1.1 Upgrade (npm ws peer)', async () => {
  const peer = wsPeer();
  // node's http2 server does not send SETTINGS_ENABLE_CONNECT_PROTOCOL by default
  const srv = http2.createSecureServer({ ...tlsOpts, allowHTTP1: true }, (req, res) => {
    res.writeHead(404); res.end();
  });
  srv.on('upgrade', peer.onUpgrade);
  const l = await listen(srv);
  let p;
  try {
    p = new Probe(['127.0.0.1', String(l.port), `${MOCK_DIR}/certs/ca-cert.pem`, 'ws', '/v1/websocket/',
      '--transport', 'auto', '--no-reconnect']);
    const up = await p.waitFor(state('connected'), 10000, 'connected');
    assert.strictEqual(up.transport, 'http/1.1');
    const req = await p.waitFor((e) => e.ev === 'request', 5000, 'request');
    assert.strictEqual(req.id, 41);
    const resp = await withTimeout(peer.response, 5000, 'response at the ws peer');
    assert.strictEqual(Number(resp.id), 41);
    assert.strictEqual(resp.status, 200);
    assert.deepStrictEqual(peer.got, ['/v1/websocket/']);
    // with h2 forced there is no fallback: a distinct error instead
    const q = new Probe(['127.0.0.1', String(l.port), `${MOCK_DIR}/certs/ca-cert.pem`, 'ws',
      '/v1/websocket/', '--transport', 'h2', '--no-reconnect']);
    const ev = await q.waitFor(state('disconnected'), 10000, 'disconnected');
    assert.strictEqual(ev.err, -1205); // SN_ERR_NO_CONNECT_PROTO
    await q.stop();
  } finally {
    if (p) await p.stop();
    peer.wss.close();
    await l.close();
  }
});

test('auto: a server whose ALPN offers only http/1.1 gets the Upgrade (npm ws peer)', async () => {
  const peer = wsPeer();
  const srv = https.createServer({ ...tlsOpts, ALPNProtocols: ['http/1.1'] }, (req, res) => {
    res.writeHead(404); res.end();
  });
  srv.on('upgrade', peer.onUpgrade);
  const l = await listen(srv);
  let p;
  try {
    p = new Probe(['127.0.0.1', String(l.port), `${MOCK_DIR}/certs/ca-cert.pem`, 'ws', '/v1/websocket/',
      '--no-reconnect']);
    const up = await p.waitFor(state('connected'), 10000, 'connected');
    assert.strictEqual(up.transport, 'http/1.1');
    const resp = await withTimeout(peer.response, 5000, 'response at the ws peer');
    assert.strictEqual(resp.status, 200);
  } finally {
    if (p) await p.stop();
    peer.wss.close();
    await l.close();
  }
});

test('RFC 8441: a 403 answer to the CONNECT is reported as unauthorized', async () => {
  // node's own http2 server, extended CONNECT enabled, refusing the tunnel
  const srv = http2.createSecureServer({ ...tlsOpts, settings: { enableConnectProtocol: true } });
  let seen = null;
  srv.on('stream', (stream, headers) => {
    seen = headers;
    stream.respond({ ':status': 403 }, { endStream: true });
  });
  const l = await listen(srv);
  let p;
  try {
    p = new Probe(['127.0.0.1', String(l.port), `${MOCK_DIR}/certs/ca-cert.pem`, 'ws', '/v1/websocket/',
      '--auth', 'Basic eDp5']);
    const ev = await p.waitFor((e) => e.ev === 'state' && e.state !== 'connecting', 10000);
    assert.strictEqual(ev.state, 'unauthorized');
    assert.strictEqual(ev.err, -1214);
    assert.strictEqual(seen[':method'], 'CONNECT');
    assert.strictEqual(seen[':protocol'], 'websocket');
    assert.strictEqual(seen.authorization, 'Basic eDp5');
    assert.strictEqual(seen['sec-websocket-version'], '13');
  } finally {
    if (p) await p.stop();
    await l.close();
  }
});
