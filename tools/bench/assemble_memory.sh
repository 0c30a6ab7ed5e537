#!/usr/bin/env bash
# assemble_memory.sh [VIDEOS] - peak memory of `viral assemble` on a sorted
# synthetic log, with and without --horizon, to show that with a horizon it
# holds only the videos in flight (a ratio; no timed assertion anywhere).
#
# Video i is posted at minute i and seen at 30, 90 and 150 minutes (views
# 10, 30, 50), the log in time order: about 150 videos are in flight at any
# moment whatever VIDEOS is.
set -eu
cd "$(dirname "$0")/../.."
n=${1:-200000}
viral=${VIRAL:-build/viral}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
awk -v n="$n" 'BEGIN {
  print "id,seen,posted,views"
  for (m = 0; m < n + 150; m++)
    for (k = 2; k >= 0; k--) {   # at minute m: the 150-, 90- and 30-minute looks
      id = m - 30 - 60 * k
      if (id >= 0 && id < n) printf "v%d,%d,%d,%d\n", id, 1767225600 + m * 60, 1767225600 + id * 60, 10 + 20 * k
    }
}' > "$tmp/log.csv"
rows=$(($(wc -l < "$tmp/log.csv") - 1))
peak() { /usr/bin/time -f %M "$viral" assemble -q --id id --observed-at seen --posted-at posted \
  --counters views --at 1h "$@" -o "$tmp/out.csv" "$tmp/log.csv" 2>&1 >/dev/null | tail -1; }
held=$(peak)
streamed=$(peak --horizon 2h)
echo "rows $rows, videos $n"
echo "peak RSS without --horizon: ${held} KB (every video held to the end)"
echo "peak RSS with --horizon 2h: ${streamed} KB (videos in flight only)"
awk -v a="$held" -v b="$streamed" 'BEGIN { printf "ratio: %.1fx\n", a / b }'
