#!/bin/sh
# bench/signal-recv.sh - run bench/signal-recv.js (see there). Needs the
# built signalctl and tests/node_modules.
exec "${NODE:-node}" "${top_srcdir:-.}/bench/signal-recv.js"
