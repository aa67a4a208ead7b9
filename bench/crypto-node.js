'use strict';
// bench/crypto-node.js - the Node side of bench/crypto: baselines measured
// in the same run as the C rows. Loads every bench/crypto-node-<part>.js;
// each exports `rows(tools)` returning row specs:
//   { op, impl, note, setup?: async () => ctx, run: async (ctx) => void }
//       timed like the C side (batches of >= 50 ms, fastest batch counts);
//   { op, impl, note, each: async (ctx) => ns, setup?: ... }
//       for operations that need fresh untimed preparation every time:
//       `each` prepares, times only the operation itself and returns its ns;
//   { op, impl, note, derive: (get) => ns }
//       computed from rows measured before it; get(op, impl) -> ns.
// Prints "<op>\t<impl>\t<ns>\t<iterations>\t<note>" lines, like bench/crypto.
const fs = require('node:fs');
const path = require('node:path');

const BATCHES = 7, MIN_BATCH_NS = 50e6;
// CPU time of the process, like bench/crypto (run with --single-threaded-gc
// so V8's collector works on this thread and is counted as it would be).
const nowNs = () => { const u = process.cpuUsage(); return (u.user + u.system) * 1000; };

async function timeRun(row, ctx) {
  let iters = 1;
  for (;;) {
    const t0 = nowNs();
    for (let i = 0; i < iters; i++) await row.run(ctx);
    if (nowNs() - t0 >= MIN_BATCH_NS) break;
    iters *= 2;
  }
  let best = Infinity, total = 0;
  for (let b = 0; b < BATCHES; b++) {
    const t0 = nowNs();
    for (let i = 0; i < iters; i++) await row.run(ctx);
    best = Math.min(best, (nowNs() - t0) / iters);
    total += iters;
  }
  return [best, total];
}

async function timeEach(row, ctx) {
  // per-iteration timing: batches of n samples, the fastest batch mean counts
  const n = row.iterations || 20;
  for (let i = 0; i < 3; i++) await row.each(ctx); // warm-up
  let best = Infinity;
  for (let b = 0; b < BATCHES; b++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += await row.each(ctx);
    best = Math.min(best, sum / n);
  }
  return [best, n * BATCHES];
}

async function main() {
  const filters = process.argv.slice(2);
  const dir = __dirname;
  const files = fs.readdirSync(dir).filter((f) => /^crypto-node-.+\.js$/.test(f)).sort();
  const measured = new Map();
  const get = (op, impl) => {
    const v = measured.get(`${op}\t${impl}`);
    if (v === undefined) throw new Error(`derive: ${op} / ${impl} not measured`);
    return v;
  };
  for (const f of files) {
    const rows = await require(path.join(dir, f)).rows();
    for (const row of rows) {
      if (filters.length && !filters.some((p) => row.op.startsWith(p))) continue;
      let ns, iters = 0;
      if (row.derive) ns = row.derive(get);
      else {
        const ctx = row.setup ? await row.setup() : undefined;
        [ns, iters] = row.each ? await timeEach(row, ctx) : await timeRun(row, ctx);
      }
      measured.set(`${row.op}\t${row.impl}`, ns);
      process.stdout.write(`${row.op}\t${row.impl}\t${Math.round(ns)}\t${iters}\t${row.note || ''}\n`);
    }
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
