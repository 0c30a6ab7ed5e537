#!/usr/bin/env bash
# stream.sh [VIDEOS] - events per second through `viral stream` on a generated
# log (gen --log, horizon 24h), without a journal and with the journal under
# three fsync policies. Wall-clock figures: run on a quiet machine.
#   --fsync-every 1    each event is on disk before it is applied: survives
#                      power loss with nothing lost
#   --fsync-every 100  at most the last 99 events lost on power loss (a
#                      producer that replays its input brings them back)
#   --fsync-every 0    the OS writes back: survives a crash of the process
#                      (SIGKILL) with nothing lost, not a power loss
set -eu
cd "$(dirname "$0")/../.."
n=${1:-4000}
viral=${VIRAL:-build/viral}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$viral" gen --log --format jsonl -n "$n" --days $((n / 1000 + 1)) -s 4 -q > "$tmp/log.jsonl"
events=$(wc -l < "$tmp/log.jsonl")
run() { # label, extra options
  local label=$1
  shift
  rm -rf "$tmp/state"
  local t0 t1
  t0=$(date +%s.%N)
  "$viral" stream -q -m models/default.json --label 'views_final>=1000000' --horizon 24h \
    --metrics-every 0 "$@" "$tmp/log.jsonl" > /dev/null
  t1=$(date +%s.%N)
  awk -v l="$label" -v e="$events" -v a="$t0" -v b="$t1" \
    'BEGIN { printf "%-28s %8d events %7.2f s %9.0f events/s\n", l, e, b - a, e / (b - a) }'
}
echo "videos $n, events $events"
run "no journal"
run "journal, fsync every 0" --state "$tmp/state" --fsync-every 0
run "journal, fsync every 100" --state "$tmp/state" --fsync-every 100
run "journal, fsync every 1" --state "$tmp/state" --fsync-every 1
