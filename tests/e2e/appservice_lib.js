// Helpers for the mxm-appservice end-to-end tests (appservice*.js): a free
// port, and the shim process (started, killed with SIGKILL, stopped).
'use strict';
const { spawn } = require('node:child_process');
const net = require('node:net');
const path = require('node:path');

const builddir = process.env.top_builddir || path.resolve(__dirname, '../../build');
const SHIM = path.join(builddir, 'mxm-appservice');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => { const p = srv.address().port; srv.close(() => resolve(p)); });
  });
}

class Shim {
  constructor(config) { this.config = config; this.log = ''; this.proc = null; }
  async start() {
    // MXM_AS_VALGRIND=1 runs the shim under memcheck (manual runs; slow):
    // memory errors or definite leaks make it exit 99, which stop() reports
    const vg = process.env.MXM_AS_VALGRIND === '1';
    const cmd = vg ? path.join(builddir, 'libtool') : SHIM;
    const args = vg ? ['--mode=execute', 'valgrind', '-q', '--error-exitcode=99', '--leak-check=full',
                       '--show-leak-kinds=definite', '--errors-for-leak-kinds=definite', SHIM,
                       '--config', this.config]
                    : ['--config', this.config];
    this.proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const proc = this.proc;
    proc.stderr.on('data', (d) => { this.log += d.toString(); });
    this.exited = new Promise((resolve) => proc.on('close', (code, sig) => resolve({ code, sig })));
    await new Promise((resolve, reject) => {
      let out = '';
      const t = setTimeout(() => reject(new Error('mxm-appservice did not start:\n' + this.log)), vg ? 60000 : 15000);
      proc.stdout.on('data', (d) => {
        out += d.toString();
        if (/mxm-appservice: listening on/.test(out)) { clearTimeout(t); resolve(); }
      });
      proc.on('exit', (code) => { clearTimeout(t); reject(new Error(`mxm-appservice exited ${code}:\n${this.log}`)); });
    });
  }
  async kill9() { const p = this.proc; this.proc = null; p.kill('SIGKILL'); return this.exited; }
  async stop() {
    if (!this.proc) return { code: 0 };
    const p = this.proc; this.proc = null; p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), process.env.MXM_AS_VALGRIND === '1' ? 30000 : 5000);
    const r = await this.exited;
    clearTimeout(t);
    if (r.code === 99) throw new Error('valgrind found errors in mxm-appservice:\n' + this.log);
    if (/AddressSanitizer|LeakSanitizer|runtime error:/.test(this.log))
      throw new Error('sanitizers found errors in mxm-appservice:\n' + this.log);
    return r;
  }
}

module.exports = { Shim, SHIM, freePort };
