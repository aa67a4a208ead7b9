'use strict';
// bench/results.js - how every `make bench` script hands its figures to
// bench/report.js, which writes bench/results/latest.md. `make bench` sets
// BENCH_RESULTS to a file; each figure is one tab-separated line:
//   section  figure  value  unit  baseline  baseline-value  better
// where better is "lower" (times) or "higher" (rates). value or
// baseline-value may be empty (a baseline-only row, or no baseline).
// Without BENCH_RESULTS (a script run by hand) nothing is written.
const fs = require('node:fs');

function record(section, figure, value, unit, baseline = '', baseValue = '', better = 'lower') {
  const file = process.env.BENCH_RESULTS;
  if (!file) return;
  const num = (v) => (v === '' || v === null || v === undefined ? '' : String(Number(v)));
  const clean = (s) => String(s).replace(/[\t\n]/g, ' ');
  fs.appendFileSync(file, [clean(section), clean(figure), num(value), clean(unit), clean(baseline),
    num(baseValue), better].join('\t') + '\n');
}

// matrix-js-sdk logs through loglevel loggers it makes per component, each
// set to DEBUG when made, whatever the root logger's level: give every
// existing and future one a method factory that prints nothing, so that
// `make bench` prints only figures. Call after requiring matrix-js-sdk.
function silenceMatrixSdk() {
  const loglevel = require('loglevel');
  const mute = () => () => {};
  loglevel.methodFactory = mute;
  for (const l of Object.values(loglevel.getLoggers())) {
    l.methodFactory = mute;
    l.rebuild();
  }
}

module.exports = { record, silenceMatrixSdk };
