// Reconnect storms against Signal's mock (issue #15 item 1), shared by
// tests/e2e/bridge_storm.js and bench/accounts_bench.js:
//   handshakeMeter(mock)   counts, at the mock's TLS server, connections
//                          accepted whose TLS handshake has not finished
//                          ("in handshake"), now and at the most since reset()
//   slowProxy(port)        a TCP relay in front of the mock that can hold each
//                          new connection's first bytes (the ClientHello) for
//                          `delay` ms, so that handshakes last long enough to
//                          overlap whatever the machine's speed
//   provisionApi(base, secret), linkAccount(api, server, user)
//                          link one account through the module's provisioning
//                          API as the accounts bench does (br_prov.c)
//   chatSockets(mock, devices)  the mock's authenticated websocket of each
//                          device (undefined while it has none)
'use strict';
const net = require('node:net');
const { until } = require('./mxhs_harness.js');

// The mock's https server is node's http2 secure server (a tls.Server):
// 'connection' gives the raw TCP socket at accept, 'secureConnection' the
// TLS socket once the handshake is done (same remote port); a socket that
// closes before that leaves the count too.
function handshakeMeter(mock) {
  const pending = new Set();
  let peak = 0;
  let accepted = 0;
  const https = mock.server.https;
  https.on('connection', (s) => {
    const key = s.remotePort;
    pending.add(key);
    accepted += 1;
    if (pending.size > peak) peak = pending.size;
    s.once('close', () => pending.delete(key));
  });
  https.on('secureConnection', (t) => pending.delete(t.remotePort));
  if (process.env.STORM_DEBUG) {
    https.on('session', (sess) => sess.on('stream', (st, h) => process.stderr.write(`storm: ${sess.socket.remotePort} ${h[':method']} ${h[':path']} pending ${pending.size}\n`)));
  }
  https.on('tlsClientError', (e, t) => { if (t) pending.delete(t.remotePort); });
  return {
    reset() { peak = pending.size; accepted = 0; },
    get peak() { return peak; },
    get now() { return pending.size; },
    get accepted() { return accepted; },
  };
}

async function slowProxy(port) {
  const socks = new Set();
  const proxy = { delay: 0 };
  const srv = net.createServer((c) => {
    const u = net.connect(port, '127.0.0.1');
    const hold = proxy.delay;
    socks.add(c);
    socks.add(u);
    const end = () => { c.destroy(); u.destroy(); socks.delete(c); socks.delete(u); };
    c.on('error', end);
    u.on('error', end);
    c.on('close', end);
    u.on('close', end);
    u.pipe(c);
    if (!hold) c.pipe(u);
    else {
      c.pause();
      setTimeout(() => { if (!c.destroyed) c.pipe(u); }, hold);
    }
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  proxy.port = srv.address().port;
  proxy.url = `https://127.0.0.1:${proxy.port}`;
  proxy.close = () => new Promise((r) => { for (const s of socks) s.destroy(); srv.close(() => r()); });
  return proxy;
}

function provisionApi(base, secret) {
  return async (method, p, user) => {
    const res = await fetch(`${base}${p}?user_id=${encodeURIComponent(user)}`,
                            { method, headers: { Authorization: `Bearer ${secret}` } });
    const text = await res.text();
    let body;
    try { body = JSON.parse(text); } catch { body = text; }
    return { status: res.status, body };
  };
}

// POST v3/login/start/qr, a fresh mock primary device "scans" the
// sgnl:// data, display_and_wait completes, whoami says CONNECTED. The
// mock links one device at a time. Resolves with the linked device.
async function linkAccount(api, server, user, name) {
  const start = await api('POST', '/v3/login/start/qr', user);
  if (start.status !== 200) throw new Error(`start ${user}: ${start.status} ${JSON.stringify(start.body)}`);
  const phone = await server.createPrimaryDevice({ profileName: name || `Phone of ${user}` });
  const pending = await server.waitForProvision();
  const wait = api('POST', `/v3/login/step/${start.body.login_id}/fi.mau.signal.login.qr/display_and_wait`, user);
  const device = await pending.complete({ provisionURL: start.body.display_and_wait.data, primaryDevice: phone });
  const done = await wait;
  if (done.body.type !== 'complete') throw new Error(`link ${user}: ${done.status} ${JSON.stringify(done.body)}`);
  await until(async () => (await api('GET', '/v3/whoami', user)).body.logins?.[0]?.state?.state_event === 'CONNECTED',
              `${user} connected`, 120000);
  return device;
}

function chatSockets(mock, devices) {
  return devices.map((d) => mock.server.webSockets.get(d));
}

module.exports = { handshakeMeter, slowProxy, provisionApi, linkAccount, chatSockets };
