// Test harness for mxhs end-to-end tests: starts the real mxhs binary on a
// random port with a temporary data directory and the echo module, and
// always stops it. CommonJS; used by mxhs_*.js (node:test).
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const builddir = process.env.top_builddir || path.resolve(__dirname, '../../build');
const MXHS = path.join(builddir, 'mxhs');
const ECHO = path.join(builddir, '.libs', 'echo.so');
const HSTEST = path.join(builddir, 'tests', 'e2e', '.libs', 'hstest.so');
const SERVER = 'test.mxhs';

// Node 20 lacks Promise.withResolvers (matrix-js-sdk 43 needs it). The SDK
// also arms a never-cleared request timeout of timeout + 80 s per /sync
// (http-api/utils.js timeoutSignal); unref long timers so the test process
// exits when the tests are done instead of 110 s later.
function polyfill() {
  if (!globalThis.__mxhsTimersPatched) {
    const orig = globalThis.setTimeout;
    globalThis.setTimeout = function (fn, ms, ...args) {
      const t = orig(fn, ms, ...args);
      if (ms >= 20000 && t && typeof t.unref === 'function') t.unref();
      return t;
    };
    globalThis.__mxhsTimersPatched = true;
  }
  if (!Promise.withResolvers) {
    Promise.withResolvers = function () {
      let resolve, reject;
      const promise = new Promise((a, b) => { resolve = a; reject = b; });
      return { promise, resolve, reject };
    };
  }
}

function writeConfig(dir, extra) {
  const cfg = `server_name: ${SERVER}
listen: {address: 127.0.0.1, port: 0}
database: {path: ${dir}/hs.db}
media_path: ${dir}/media
data_dir: ${dir}
registration:
  enabled: ${extra && extra.registration === false ? 'false' : 'true'}
${extra && extra.sharedSecret ? `  shared_secret: "${extra.sharedSecret}"
` : ''}login_rate_limit: {per_minute: ${(extra && extra.loginPerMinute) || 1000}}
log_level: ${process.env.MXHS_LOG || 'info'}
modules:
  - module: ${ECHO}
    config: {localpart: echo, prefix: "echo: "}
${((extra && extra.modules) || []).map((m) => `  - module: ${m.path}
    double_puppet: ${m.double_puppet ? 'true' : 'false'}
    config: {}
`).join('')}`;
  const file = path.join(dir, 'homeserver.yaml');
  fs.writeFileSync(file, cfg);
  return file;
}

class Homeserver {
  constructor(opts) {
    this.opts = opts || {};
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mxhs-e2e-'));
    this.config = writeConfig(this.dir, this.opts);
    this.log = '';
    this.proc = null;
  }

  async start() {
    // MXHS_VALGRIND=1 runs the server under memcheck (manual runs; slow):
    // memory errors or definite leaks make it exit 99, which tests see.
    const vg = process.env.MXHS_VALGRIND === '1';
    // `mxhs` in the build tree is libtool's wrapper script: libtool
    // --mode=execute puts valgrind on the real binary, not on the shell.
    const cmd = vg ? path.join(builddir, 'libtool') : MXHS;
    const args = vg ? ['--mode=execute', 'valgrind', '-q', '--error-exitcode=99', '--leak-check=full',
                       '--show-leak-kinds=definite', '--errors-for-leak-kinds=definite', MXHS,
                       '--config', this.config]
                    : ['--config', this.config];
    this.proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const proc = this.proc;
    proc.stderr.on('data', (d) => { this.log += d.toString(); });
    this.exited = new Promise((resolve) => proc.on('close', (code, sig) => resolve({ code, sig })));
    const port = await new Promise((resolve, reject) => {
      let out = '';
      const t = setTimeout(() => reject(new Error('mxhs did not start:\n' + this.log)), vg ? 60000 : 15000);
      proc.stdout.on('data', (d) => {
        out += d.toString();
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m) { clearTimeout(t); resolve(Number(m[1])); }
      });
      proc.on('exit', (code) => { clearTimeout(t); reject(new Error(`mxhs exited ${code}:\n${this.log}`)); });
    });
    this.port = port;
    this.base = `http://127.0.0.1:${port}`;
    return this;
  }

  async stop() {
    if (!this.proc) return;
    const proc = this.proc;
    this.proc = null;
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), process.env.MXHS_VALGRIND === '1' ? 30000 : 5000);
    const r = await this.exited;
    clearTimeout(t);
    if (r.code === 99) throw new Error('valgrind found errors in mxhs:\n' + this.log);
    if (/AddressSanitizer|LeakSanitizer|runtime error:/.test(this.log))
      throw new Error('sanitizers found errors in mxhs:\n' + this.log);
    return r;
  }

  async restart(opts) {
    await this.stop();
    if (opts) { this.opts = opts; this.config = writeConfig(this.dir, opts); }
    return this.start();
  }

  registerUser(user, password, admin) {
    const args = ['register-user', '--config', this.config];
    if (admin) args.push('--admin');
    args.push(user, password);
    return spawnSync(MXHS, args, { encoding: 'utf8' });
  }

  cleanup() {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  // Plain HTTP helper: returns {status, json, headers, body}
  async req(method, p, { token, body, raw, headers } = {}) {
    const h = Object.assign({}, headers || {});
    if (token) h.Authorization = `Bearer ${token}`;
    let data;
    if (raw !== undefined) data = raw;
    else if (body !== undefined) { data = JSON.stringify(body); h['Content-Type'] = 'application/json'; }
    const res = await fetch(this.base + p, { method, headers: h, body: data });
    const buf = Buffer.from(await res.arrayBuffer());
    let json = null;
    try { json = JSON.parse(buf.toString()); } catch (e) { /* not JSON */ }
    return { status: res.status, json, headers: res.headers, body: buf };
  }
}

// Wait until check() returns a truthy value; poll every 50 ms.
async function until(check, what, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// A 1x1 red PNG, for media tests.
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108020000009077' +
  '53de0000000c4944415408d763f8cfc000000301010018dd8db00000000049454e44ae426082', 'hex');

module.exports = { Homeserver, until, polyfill, SERVER, PNG, MXHS, ECHO, HSTEST };
