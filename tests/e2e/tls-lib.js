'use strict';
// A TLS server that is not Signal: a CA made in a temp dir (openssl CLI), a
// certificate for 127.0.0.1/localhost signed by it, and a node https server
// on 127.0.0.1 with a random port that records what reached it. For the
// tests that the client trusts Signal's pinned roots (or ca_file) only.
const { execFileSync } = require('child_process');
const fs = require('fs');
const https = require('https');
const os = require('os');
const path = require('path');

function openssl(args, cwd) {
  return execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

// { dir, caFile, certDir, key, cert }: certDir is a hashed directory holding
// the CA, usable as SSL_CERT_DIR.
function makeTestCa() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-tlsca-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'ext.cnf'),
    'basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=signalbridge test CA'], dir);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], dir);
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key',
    '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf'], dir);
  const certDir = path.join(dir, 'certs');
  fs.mkdirSync(certDir);
  const hash = openssl(['x509', '-hash', '-noout', '-in', 'ca.pem'], dir).trim();
  fs.copyFileSync(path.join(dir, 'ca.pem'), path.join(certDir, `${hash}.0`));
  return {
    dir,
    caFile: path.join(dir, 'ca.pem'),
    certDir,
    key: fs.readFileSync(path.join(dir, 'server.key')),
    cert: fs.readFileSync(path.join(dir, 'server.pem')),
  };
}

// Environment under which OpenSSL's default verify paths (the "system
// store" as OpenSSL sees it) hold exactly the test CA.
function systemStoreEnv(ca) {
  return { SSL_CERT_FILE: ca.caFile, SSL_CERT_DIR: ca.certDir };
}

// An https server with the test certificate. Records handshakes that
// completed (`secure`), handshakes the client broke off (`tlsErrors`) and
// HTTP requests or upgrades (`requests`: paths); answers 404 and closes.
// alpn: the protocols the server offers (default http/1.1 only; a client
// that offers only h2 needs h2 here to get as far as the certificate).
async function startTlsServer(ca, { alpn = ['http/1.1'] } = {}) {
  const srv = https.createServer({ key: ca.key, cert: ca.cert, ALPNProtocols: alpn });
  const rec = { secure: 0, tlsErrors: [], requests: [], waiters: [] };
  const note = () => { rec.waiters = rec.waiters.filter((w) => !w()); };
  srv.on('secureConnection', () => { rec.secure++; note(); });
  srv.on('tlsClientError', (err) => { rec.tlsErrors.push(err.code || err.message); note(); });
  srv.on('request', (req, res) => { rec.requests.push(req.url); note(); res.writeHead(404); res.end(); });
  srv.on('upgrade', (req, sock) => {
    rec.requests.push(req.url);
    note();
    sock.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n');
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  rec.port = srv.address().port;
  rec.url = `https://127.0.0.1:${rec.port}`;
  // resolve once pred() holds (checked now and after each recorded event)
  rec.until = (pred, ms, what) => new Promise((resolve, reject) => {
    if (pred()) { resolve(); return; }
    const t = setTimeout(() => reject(new Error(`timeout waiting for ${what}: ${JSON.stringify(
      { secure: rec.secure, tlsErrors: rec.tlsErrors, requests: rec.requests })}`)), ms);
    rec.waiters.push(() => { if (!pred()) return false; clearTimeout(t); resolve(); return true; });
  });
  rec.close = () => new Promise((r) => { srv.closeAllConnections?.(); srv.close(() => r()); });
  return rec;
}

module.exports = { makeTestCa, systemStoreEnv, startTlsServer };
