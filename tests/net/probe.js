'use strict';
// Drives tests/net/sn_probe (a client on the signal/net C stack) from node
// tests: spawn it, collect its JSON-line events, wait for one, stop it.
const { spawn } = require('child_process');
const path = require('path');

const PROBE = path.join(process.env.top_builddir || path.join(__dirname, '..', '..'),
  'tests', 'net', 'sn_probe');

class Probe {
  constructor(args, env = {}) {
    this.events = [];
    this.waiters = [];
    this.stderr = '';
    this.child = spawn(PROBE, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => resolve({ code, signal }));
    });
    let buf = '';
    this.child.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        let ev;
        try { ev = JSON.parse(line); } catch (e) { ev = { ev: 'garbage', line }; }
        this.events.push(ev);
        this.waiters = this.waiters.filter((w) => !w(ev));
      }
    });
    this.child.stderr.on('data', (d) => { this.stderr += d; });
  }

  // Resolve with the first event (past or future) matching `pred`.
  waitFor(pred, ms = 10000, what = 'event') {
    const seen = this.events.find(pred);
    if (seen) return Promise.resolve(seen);
    return this.waitFuture(pred, ms, what);
  }

  // Resolve with the first future event matching `pred`.
  waitFuture(pred, ms, what) {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(
        `timeout waiting for ${what}; events: ${JSON.stringify(this.events)} stderr: ${this.stderr}`
        + ` exit: ${this.child.exitCode ?? this.child.signalCode ?? 'running'}`)), ms);
      this.waiters.push((ev) => {
        if (!pred(ev)) return false;
        clearTimeout(t);
        resolve(ev);
        return true;
      });
    });
  }

  // Resolve with the Nth (1-based) matching event.
  waitForNth(pred, n, ms = 10000, what = 'event') {
    let count = this.events.filter(pred).length;
    if (count >= n) return Promise.resolve(this.events.filter(pred)[n - 1]);
    return this.waitFuture((ev) => pred(ev) && ++count >= n, ms, what);
  }

  send(line) {
    this.child.stdin.write(`${line}\n`);
  }

  // Stop the probe; throws if it reported a sanitizer or valgrind error
  // (builds with --enable-sanitizers make the e2e tests memory checks too).
  async stop() {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      try { this.send('quit'); this.child.stdin.end(); } catch (e) { /* gone */ }
    }
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    const r = await this.exited;
    clearTimeout(t);
    checkStderr(this.stderr);
    // "quit" must end it cleanly: a signal (a crash, SIGPIPE, or our
    // SIGKILL after a hang) or a failure code fails the test
    if (r.signal || r.code !== 0) {
      throw new Error(`sn_probe ended with ${r.signal || `code ${r.code}`}; stderr: ${this.stderr}`);
    }
    return r;
  }
}

const BAD = /ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|Invalid (read|write)|definitely lost: [1-9]/;

function checkStderr(text) {
  if (BAD.test(text)) throw new Error(`sn_probe reported a memory error:\n${text}`);
}

function state(name) {
  return (ev) => ev.ev === 'state' && ev.state === name;
}

// Run a one-shot probe (http/grpc) and return its events and exit code.
async function runOnce(args, ms = 15000, env = {}) {
  const p = new Probe(args, env);
  p.child.stdin.end();
  const t = setTimeout(() => p.child.kill('SIGKILL'), ms);
  const r = await p.exited;
  clearTimeout(t);
  checkStderr(p.stderr);
  return { events: p.events, code: r.code, stderr: p.stderr };
}

module.exports = { Probe, state, runOnce, PROBE };
