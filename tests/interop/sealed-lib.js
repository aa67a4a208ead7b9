'use strict';
// Helpers of the sealed-sender and sender-key interop tests: run the C tool
// (tests/unit/signal/crypto/sc_sealed_tool), make keys and certificates with
// libsignal-client 0.100, and read the SC_ERR_* codes from sc_err.h so that
// the tests name errors, not numbers.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const srcdir = process.env.top_srcdir || path.resolve(__dirname, '../..');
const builddir = process.env.top_builddir || path.resolve(__dirname, '../../build');
const TOOL = path.join(builddir, 'tests/unit/signal/crypto/sc_sealed_tool');

const hex = (b) => (b == null ? '-' : Buffer.from(b).toString('hex') || '-');
const unhex = (h) => (h === '-' ? Buffer.alloc(0) : Buffer.from(h, 'hex'));

// SC_ERR_* name -> code, parsed from the header (the single source).
const ERR = {};
for (const m of fs.readFileSync(path.join(srcdir, 'module/signal/crypto/sc_err.h'), 'utf8')
  .matchAll(/(SC_ERR_[A-Z0-9_]+) = (-\d+)/g)) ERR[m[1]] = Number(m[2]);

// Run one tool command. Returns {ok: true, f: [fields]} or {ok: false, code}.
function tool(...args) {
  const r = spawnSync(TOOL, args.map(String), { maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`sc_sealed_tool ${args[0]} exit ${r.status}: ${r.stderr}`);
  const out = r.stdout.toString().trim().split(' ');
  if (out[0] === 'ok') return { ok: true, f: out.slice(1) };
  if (out[0] === 'err') return { ok: false, code: Number(out[1]) };
  throw new Error('sc_sealed_tool: unexpected output ' + r.stdout);
}

// The code a failing command returned (throws if it succeeded).
function errOf(...args) {
  const r = tool(...args);
  if (r.ok) throw new Error(`${args[0]} unexpectedly succeeded`);
  return r.code;
}

function okOf(...args) {
  const r = tool(...args);
  if (!r.ok) throw new Error(`${args[0]} failed with ${r.code}`);
  return r.f;
}

// A key pair as libsignal objects and raw 32-byte hex for the C tool.
function keyPair(S, priv) {
  const privateKey = priv || S.PrivateKey.generate();
  const publicKey = privateKey.getPublicKey();
  return {
    privateKey,
    publicKey,
    ikp: new S.IdentityKeyPair(publicKey, privateKey),
    privHex: hex(privateKey.serialize()),
    pubHex: hex(Buffer.from(publicKey.serialize()).subarray(1)),
    wireHex: hex(publicKey.serialize()),
  };
}

function mockTrustRoot(S) {
  const j = JSON.parse(fs.readFileSync(require.resolve('@signalapp/mock-server/certs/trust-root.json')));
  return keyPair(S, S.PrivateKey.deserialize(Buffer.from(j.privateKey, 'base64')));
}

// A sender certificate chain under `root` (a keyPair): returns the
// libsignal SenderCertificate and the server key.
function senderCert(S, root, { uuid, e164 = null, device, identity, expires, serverId = 1 }) {
  const server = S.PrivateKey.generate();
  const sc = S.ServerCertificate.new(serverId, server.getPublicKey(), root.privateKey);
  const cert = S.SenderCertificate.new(uuid, e164, device, identity.publicKey, expires, sc, server);
  return { cert, server, serverCert: sc };
}

// minimal protobuf writer, for certificates libsignal's API cannot make
// (reference signers)
function varint(n) {
  const o = []; n = BigInt(n);
  do { let b = Number(n & 0x7fn); n >>= 7n; if (n) b |= 0x80; o.push(b); } while (n);
  return Buffer.from(o);
}
const pbBytes = (f, v) => Buffer.concat([varint((f << 3) | 2), varint(v.length), Buffer.from(v)]);
const pbU32 = (f, v) => Buffer.concat([varint(f << 3), varint(v)]);
const pbFixed64 = (f, v) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); return Buffer.concat([varint((f << 3) | 1), b]); };

module.exports = {
  S: require('@signalapp/libsignal-client'),
  ERR, TOOL, tool, errOf, okOf, hex, unhex, keyPair, mockTrustRoot, senderCert,
  pbBytes, pbU32, pbFixed64,
  uuidHex: (u) => u.replace(/-/g, ''),
};
