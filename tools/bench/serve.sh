#!/usr/bin/env bash
# serve.sh [REQUESTS] - `viral serve` on loopback: requests/s and p50/p99
# latency at 1, 16 and 64 concurrent connections, with single records and
# batches of 100 in the body (JSON Lines, ?explain=0).
#
#   tools/bench/serve.sh          # REQUESTS per run, default 20000 (batches: a tenth)
#
# The load generator is tools/bench/loadgen.c (compiled here, not installed):
# one thread per connection, keep-alive, each sends its share of a bounded
# number of requests and times each one from its first byte sent to the last
# byte of its answer read. The server gets the model trained on
# `viral gen --videos 10000` (seed 1) and --threads $(nproc). One run each;
# asserts nothing but that every answer was 200. The client and the server
# share the machine's cores: read the figures as what one box does, not as
# the server's ceiling.
set -eu
cd "$(dirname "$0")/../.."
# shellcheck source=tools/bench/lib.sh
. tools/bench/lib.sh
requests=${1:-20000}
d=$work/serve
mkdir -p "$d"
${CC:-cc} -O2 -std=c11 -Wall -Wextra -Wpedantic -pthread -o "$d/loadgen" tools/bench/loadgen.c
small=$(gen_data 10000)
"$viral" train --quiet -o "$d/model.json" "$small"
"$viral" gen --quiet --videos 100 --seed 3 --format jsonl -o "$d/batch.jsonl"
head -1 "$d/batch.jsonl" > "$d/one.jsonl"

"$viral" serve -m "$d/model.json" --listen 127.0.0.1:0 --reload-interval 0 2> "$d/serve.log" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT
port=
for _ in $(seq 200); do
  port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$d/serve.log")
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || { cat "$d/serve.log" >&2; exit 1; }

echo "serve.sh: $(date -u +%FT%TZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), server threads $(nproc)"
printf '%-18s %11s %9s %10s %9s %9s\n' body connections requests "req/s" "p50 ms" "p99 ms"
for body in one batch; do
  n=$requests
  [ "$body" = batch ] && n=$((requests / 10))
  label="1 record"
  [ "$body" = batch ] && label="100 records"
  for c in 1 16 64; do
    line=$("$d/loadgen" 127.0.0.1 "$port" /score application/x-ndjson "$d/$body.jsonl" "$c" "$n")
    val() { echo "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
    [ "$(val errors)" = 0 ] || { echo "serve.sh: errors: $line" >&2; exit 1; }
    printf '%-18s %11s %9s %10s %9s %9s\n' "$label" "$c" "$n" "$(val rps)" "$(val p50_ms)" "$(val p99_ms)"
  done
done
echo "rows/s with batches of 100: req/s x 100"
