#!/bin/sh
# Bounded memory of `viral stream`: the same posting rate (1000 videos a day)
# over 2 days and over 16 days, horizon 24h. A stream holding every video
# would need about 8x the memory on the long log; one holding only videos
# younger than the horizon needs the same. Peak RSS from GNU time (a memory
# figure, not a timing). Fails when the long run peaks over 1.5x the short.
# Usage: tests/stream_memory.sh path/to/viral
set -eu
VIRAL=$1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
peak() { # videos days
  "$VIRAL" gen --log --format jsonl -n "$1" --days "$2" -s 3 -q > "$T/log.jsonl"
  /usr/bin/time -f %M -o "$T/rss" "$VIRAL" stream -q -m "$ROOT/models/default.json" \
    --label 'views_final>=1000000' --horizon 24h --metrics-every 0 "$T/log.jsonl" > "$T/out"
  [ "$(wc -l < "$T/out")" -eq "$1" ] || { echo "stream_memory: expected $1 scores" >&2; exit 1; }
  cat "$T/rss"
}
short=$(peak 2000 2)
long=$(peak 16000 16)
echo "stream_memory: peak RSS 2 days ${short} KB, 16 days ${long} KB"
awk -v a="$short" -v b="$long" 'BEGIN { exit !(b <= 1.5 * a) }' || {
  echo "stream_memory: memory grows with the log (${short} KB -> ${long} KB)" >&2
  exit 1
}
