'use strict';
// Trust: the client trusts Signal's own roots (built in and pinned) and
// nothing else unless ca_file says otherwise. A local server whose
// certificate comes from a test CA is refused under the default config,
// even when OpenSSL's default store (SSL_CERT_FILE / SSL_CERT_DIR) holds
// that CA; with --ca-file set to the test CA the same server is accepted.
// Driven through signalctl `link`, the product's own path (sig_client ->
// sn_sock -> sn_tls).
const test = require('node:test');
const assert = require('node:assert');
const { execFile, spawn } = require('child_process');
const { SIGNALCTL, tmpDb } = require('./signalctl-lib');
const { makeTestCa, systemStoreEnv, startTlsServer } = require('./tls-lib');

const SN_ERR_TLS_VERIFY = -1201;

// Run `signalctl ... link`; resolve with { code, events, stderr } when it
// exits or once `stopWhen(server)` holds (then it is killed).
function runLink(args, env, server, stopWhen) {
  return new Promise((resolve) => {
    const events = [];
    let out = '';
    let stderr = '';
    const child = spawn(SIGNALCTL, args.concat(['--db', tmpDb(), '--no-qr', 'link']), {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env },
    });
    child.stdout.on('data', (d) => {
      out += d;
      let i;
      while ((i = out.indexOf('\n')) >= 0) {
        events.push(JSON.parse(out.slice(0, i)));
        out = out.slice(i + 1);
      }
    });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('exit', (code) => resolve({ code, events, stderr }));
    if (stopWhen) server.until(stopWhen, 20000, 'the server to see the request').then(() => child.kill());
  });
}

test('a server from another CA is refused by default, even with that CA in the system store', async () => {
  const ca = makeTestCa();
  const server = await startTlsServer(ca, { alpn: ['h2', 'http/1.1'] });
  try {
    // Precondition: OpenSSL's own default store does trust the test CA now,
    // so a refusal below comes from the pinning, not from an unknown CA.
    const sc = await new Promise((resolve) => {
      const p = execFile('openssl', ['s_client', '-connect', `127.0.0.1:${server.port}`,
        '-verify_return_error', '-verify_ip', '127.0.0.1'],
      { env: { ...process.env, ...systemStoreEnv(ca) } }, (err, stdout) => resolve({ err, stdout }));
      p.stdin.end('Q\n');
    });
    assert.ok(!sc.err, `openssl s_client should trust the test CA via SSL_CERT_FILE: ${sc.err}`);
    assert.match(sc.stdout, /Verify return code: 0 \(ok\)/);

    // by IP and by name; websocket over HTTP/2 and over HTTP/1.1 alike
    for (const [url, transport] of [[server.url, 'auto'], [`https://localhost:${server.port}`, 'h2'],
      [server.url, 'h1']]) {
      const before = server.tlsErrors.length;
      const r = await runLink(['--server', url, '--transport', transport], systemStoreEnv(ca), server, null);
      const failed = r.events.find((e) => e.event === 'link_failed');
      assert.ok(failed, `${url}: no link_failed in ${JSON.stringify(r.events)} ${r.stderr}`);
      assert.strictEqual(failed.code, SN_ERR_TLS_VERIFY, JSON.stringify(failed));
      assert.strictEqual(r.code, 1);
      assert.ok(!r.events.some((e) => e.event === 'link_url'));
      // it reached the server and broke off the handshake; no request got through
      await server.until(() => server.tlsErrors.length > before, 10000, 'the refused handshake');
    }
    assert.deepStrictEqual(server.requests, []);
  } finally {
    await server.close();
  }
});

test('with ca_file set to the test CA the same server is accepted', async () => {
  const ca = makeTestCa();
  const server = await startTlsServer(ca);
  try {
    const r = await runLink(['--server', server.url, '--ca-file', ca.caFile], {}, server,
      () => server.requests.length > 0);
    assert.ok(!r.events.some((e) => e.code === SN_ERR_TLS_VERIFY), JSON.stringify(r.events));
    assert.ok(server.secure >= 1, 'the handshake completed');
    // the provisioning websocket request got through TLS
    assert.match(server.requests[0], /^\/v1\/websocket\/provisioning\//);
  } finally {
    await server.close();
  }
});
