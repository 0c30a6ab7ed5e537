#!/usr/bin/env bash
# gen.sh - time `viral gen` on 1M videos: records to /dev/null, then the
# snapshot log (--log). Prints seconds (wall clock) for each. Not a test:
# numbers depend on the machine. Usage: tools/bench/gen.sh [VIRAL] [VIDEOS]
set -eu
cd "$(dirname "$0")/../.."
viral=${1:-build/viral}
videos=${2:-1000000}
[ -x "$viral" ] || { echo "gen.sh: $viral not built (run tools/build.sh)" >&2; exit 1; }

run() { # label, args...
  local label=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  "$viral" gen --quiet --videos "$videos" "$@" > /dev/null
  t1=$(date +%s.%N)
  awk -v l="$label" -v a="$t0" -v b="$t1" -v n="$videos" \
    'BEGIN { printf "%-28s %8.2f s  (%.0f videos/s)\n", l, b - a, n / (b - a) }'
}

echo "viral gen, $videos videos, $(nproc) cores"
run "records (csv)" 
run "records (jsonl)" --format jsonl
run "snapshot log (csv)" --log
