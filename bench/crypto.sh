#!/bin/sh
# bench/crypto.sh - `make bench` for signal/crypto: the C operations
# (bench/crypto) and their Node baselines (bench/crypto-node.js: libsignal
# 0.100 and JS references) measured in the same run, joined by operation
# name and printed side by side. ratio = C time / baseline time (< 1: the C
# code is faster). Arguments: optional operation-name prefixes. Under
# `make bench` (BENCH_RESULTS set) each row is also recorded for
# bench/results/latest.md (format: bench/results.js).
set -e
: "${top_builddir:=.}" "${top_srcdir:=.}" "${NODE:=node}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# C and Node take turns, CRYPTO_BENCH_ROUNDS times (default 2), and each
# row keeps its fastest round: on a shared machine the load changes from
# minute to minute, and one C run followed by one Node run would hand
# whichever came during a busy spell a worse figure.
rounds=${CRYPTO_BENCH_ROUNDS:-2}
: >"$tmp/c.all"
: >"$tmp/node.all"
i=0
while [ "$i" -lt "$rounds" ]; do
  "$top_builddir/bench/crypto" "$@" >>"$tmp/c.all"
  "$NODE" --single-threaded-gc "$top_srcdir/bench/crypto-node.js" "$@" >>"$tmp/node.all"
  i=$((i + 1))
done
# fastest per (operation, implementation), first-seen order kept
fastest() {
  awk -F '\t' -v OFS='\t' '{ k = $1 FS $2; if (!(k in best)) { order[++n] = k; best[k] = $3; line[k] = $0 }
    else if ($3 + 0 < best[k] + 0) { best[k] = $3; line[k] = $0 } }
    END { for (i = 1; i <= n; i++) print line[order[i]] }' "$1"
}
fastest "$tmp/c.all" >"$tmp/c.tsv"
fastest "$tmp/node.all" >"$tmp/node.tsv"

echo "signal/crypto benchmark: $(uname -m), $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//'), node $("$NODE" --version)"
echo "CPU microseconds per operation (fastest of 7 batches in each of $rounds alternating C/Node rounds), load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null); ratio = C / baseline"
awk -F '\t' -v res="${BENCH_RESULTS:-}" -v sec="signal/crypto (CPU time per operation)" '
  function rec(op, v, base, bv) {
    if (res != "") printf "%s\t%s\t%s\tµs\t%s\t%s\tlower\n", sec, op, v, base, bv >> res
  }
  FNR == NR { c[$1] = $3; order[++n] = $1; next }
  { base[$1] = base[$1] sprintf("%s\t%s\t%s\n", $2, $3, $5); seen[$1] = 1; norder[++m] = $1 }
  END {
    printf "%-28s %10s   %-16s %10s %8s   %s\n", "operation", "C", "baseline", "baseline", "ratio", "baseline is"
    for (i = 1; i <= n; i++) {
      op = order[i]
      if (!(op in seen)) { printf "%-28s %10.1f   %-16s\n", op, c[op] / 1000, "(no baseline)"; rec(op, c[op] / 1000, "", ""); continue }
      k = split(base[op], lines, "\n"); first = 1
      for (j = 1; j <= k; j++) {
        if (lines[j] == "") continue
        split(lines[j], f, "\t")
        printf "%-28s %10s   %-16s %10.1f %8.2f   %s\n", first ? op : "", first ? sprintf("%.1f", c[op] / 1000) : "",
          f[1], f[2] / 1000, c[op] / f[2], f[3]
        rec(op, c[op] / 1000, f[1] ": " f[3], f[2] / 1000)
        first = 0
      }
    }
    hdr = 0
    for (i = 1; i <= m; i++) {
      op = norder[i]
      if ((op in c) || (op in done)) continue
      done[op] = 1
      if (!hdr) { print ""; print "baseline-only rows (no C row yet; context for the estimates):"; hdr = 1 }
      k = split(base[op], lines, "\n")
      for (j = 1; j <= k; j++) {
        if (lines[j] == "") continue
        split(lines[j], f, "\t")
        printf "%-28s %10s   %-16s %10.1f %8s   %s\n", op, "", f[1], f[2] / 1000, "", f[3]
        rec(op, "", f[1] ": " f[3], f[2] / 1000)
      }
    }
  }' "$tmp/c.tsv" "$tmp/node.tsv"
