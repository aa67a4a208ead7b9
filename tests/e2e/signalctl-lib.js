'use strict';
// Helpers for the signal-*.js end-to-end tests: run the C signalctl against
// the unmodified mock server (tests/lib/signal-mock.js), collect its JSON
// lines, and link it to a mock phone.
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const BUILD = process.env.top_builddir || path.join(__dirname, '..', '..');
const SIGNALCTL = path.join(BUILD, 'signalctl');
// The mock's sealed-sender trust root (certs/trust-root.json, public key).
const MOCK_TRUST_ROOT = 'BZ8zqn+/bbZcpoKqnvkHXvoTI+n9o/Iuc9kpVog2ZEYs';

class Ctl {
  constructor(mock, db, args, opts = {}) {
    this.events = [];
    this.waiters = [];
    this.stderr = '';
    const base = ['--server', mock.url, '--ca-file', mock.ca, '--db', db,
      '--trust-root', MOCK_TRUST_ROOT, '--no-qr'];
    this.child = spawn(SIGNALCTL, base.concat(args), {
      stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...(opts.env || {}) },
    });
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => resolve({ code, signal }));
      // a failed spawn emits 'error' and never 'exit'
      this.child.on('error', (err) => { this.stderr += `spawn failed: ${err.message}\n`; resolve({ code: -1, signal: null }); });
    });
    let buf = '';
    this.child.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        let ev;
        try { ev = JSON.parse(line); } catch (e) { ev = { event: 'garbage', line }; }
        this.events.push(ev);
        if (this.onEvent) this.onEvent(ev);
        this.waiters = this.waiters.filter((w) => !w(ev));
      }
    });
    this.child.stderr.on('data', (d) => { this.stderr += d; });
  }

  waitFor(pred, ms = 20000, what = 'event') {
    const seen = this.events.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(
        `timeout waiting for ${what}; events: ${JSON.stringify(this.events).slice(-3000)}` +
        ` stderr: ${this.stderr.slice(-3000)}`)), ms);
      this.waiters.push((ev) => {
        if (!pred(ev)) return false;
        clearTimeout(t);
        resolve(ev);
        return true;
      });
    });
  }

  async waitCount(pred, n, ms = 20000, what = 'events') {
    const deadline = Date.now() + ms;
    while (this.events.filter(pred).length < n) {
      if (Date.now() > deadline) {
        throw new Error(`timeout waiting for ${n} ${what}; got ${this.events.filter(pred).length};` +
          ` stderr: ${this.stderr.slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.events.filter(pred);
  }

  send(line) { this.child.stdin.write(`${line}\n`); }

  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.exited;
    try { this.send('quit'); this.child.stdin.end(); } catch (e) { /* gone */ }
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    const r = await this.exited;
    clearTimeout(t);
    // a sanitizer build (build-asan) reports at exit: that fails the test
    if (/ERROR: (Address|Leak)Sanitizer|runtime error:/.test(this.stderr)) {
      throw new Error(`sanitizers found errors in signalctl:\n${this.stderr.slice(-6000)}`);
    }
    return r;
  }

  kill() { try { this.child.kill('SIGKILL'); } catch (e) { /* gone */ } return this.exited; }
}

function tmpDb() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-sig-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'client.db');
}

// Link a fresh signalctl (`link --receive`) to `phone`; returns
// { ctl, device, linked } with the mock's Device for our linked device.
// `contacts` get one-time keys of ours for ACI and PNI, as Signal-Desktop's
// mock bootstrap does (signal-service.md §2.8), so they can open sessions.
async function linkDevice(mock, phone, db, extraArgs = [], contacts = []) {
  const provision = mock.server.waitForProvision();
  const ctl = new Ctl(mock, db, extraArgs.concat(['link', '--receive']));
  try {
    const urlEv = await ctl.waitFor((e) => e.event === 'link_url', 20000, 'link_url');
    const pending = await provision;
    const device = await pending.complete({ provisionURL: urlEv.url, primaryDevice: phone });
    const linked = await ctl.waitFor((e) => e.event === 'linked', 20000, 'linked');
    await phone.addSingleUseKey(device, await device.popSingleUseKey());
    for (const c of contacts) {
      for (const kind of ['ACI', 'PNI']) {
        // eslint-disable-next-line no-await-in-loop
        await c.addSingleUseKey(device, await device.popSingleUseKey(kind), kind);
      }
    }
    return { ctl, device, linked, url: urlEv.url };
  } catch (e) {
    await ctl.kill();
    throw e;
  }
}

module.exports = { Ctl, tmpDb, linkDevice, SIGNALCTL, MOCK_TRUST_ROOT };
