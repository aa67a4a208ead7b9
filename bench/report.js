'use strict';
// bench/report.js - writes bench/results/latest.md from the figures that
// the `make bench` scripts recorded (bench/results.js) in one run.
// Usage: node bench/report.js RESULTS.tsv LOAD-AT-START > latest.md
// The machine (CPU model, cores, load average at the start and at the end)
// goes on top: wall-clock figures depend on what else the machine runs.
// BENCH_NOTE, if set, is printed under it.
const fs = require('node:fs');
const os = require('node:os');
const { execFileSync } = require('node:child_process');

const [file, loadStart] = process.argv.slice(2);
const rows = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => {
  const [section, figure, value, unit, baseline, baseValue, better] = l.split('\t');
  return { section, figure, value, unit, baseline, baseValue, better };
});

const cpus = os.cpus();
const model = (cpus[0] && cpus[0].model) || 'unknown CPU';
const cores = cpus.length;
const loadEnd = os.loadavg().map((x) => x.toFixed(2)).join(' ');
let commit = 'unknown';
try {
  const git = (...args) => execFileSync('git', ['-C', `${__dirname}/..`, ...args],
    { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  commit = git('describe', '--always');
  // changed tracked files, other than this results file itself
  if (git('status', '--porcelain', '--untracked-files=no', '--', '.', ':(exclude)bench/results')) commit += ' with local changes';
} catch { /* not a git checkout (a release tarball) */ }
const busy = Number((loadStart || '0').split(' ')[0]) > cores / 2;

const fmt = (v) => {
  if (v === '') return '';
  const n = Number(v);
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 100) return n.toFixed(1);
  return n.toFixed(2);
};
const out = [];
out.push('# `make bench` results', '');
out.push(`- **Machine:** ${model}, ${cores} cores, ${os.arch()}, Linux ${os.release()}, node ${process.version}`);
out.push(`- **Load average** (1, 5, 15 min): ${loadStart || 'unknown'} at the start, ${loadEnd} at the end`);
out.push(`- **When:** ${new Date().toISOString()}, source ${commit}`);
if (busy) {
  out.push(`- **The machine was busy** (load above half its cores): the wall-clock figures (mxhs, ` +
    'Signal receive, end to end) were slowed by other processes, baselines included. The crypto ' +
    'figures are CPU time of the process, fastest of 7 batches, and move much less with load.');
}
if (process.env.BENCH_NOTE) out.push(`- **Note:** ${process.env.BENCH_NOTE}`);
out.push('', 'Every figure sits beside its baseline measured in the same run; ratio = figure / baseline. ' +
  'See bench/README.md for what each baseline is and how to read the ratio.');

let section = null;
for (const r of rows) {
  if (r.section !== section) {
    section = r.section;
    out.push('', `## ${section}`, '', '| figure | value | baseline (same run) | baseline value | ratio | better is |',
      '|---|---|---|---|---|---|');
  }
  const ratio = r.value !== '' && r.baseValue !== '' && Number(r.baseValue) !== 0
    ? (Number(r.value) / Number(r.baseValue)).toFixed(2) : '';
  const unit = (v) => (v === '' ? '—' : `${fmt(v)} ${r.unit}`);
  out.push(`| ${r.figure} | ${unit(r.value)} | ${r.baseline || '—'} | ${r.baseline ? unit(r.baseValue) : '—'} | ` +
    `${ratio || '—'} | ${r.better} |`);
}
process.stdout.write(out.join('\n') + '\n');
