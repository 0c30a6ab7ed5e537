#!/bin/sh
# `viral stream` under faults: at least 30 SIGKILLs on a log with malformed
# and out-of-order events mixed in, and runs whose stdout is full (/dev/full)
# or closed, all on one state directory per episode, the input replayed from
# its start by each run (as a producer does after a restart). Checked:
#   - an uninterrupted run on the faulty log rejects every malformed event
#     (counted), drops every out-of-order one (counted), and gives the clean
#     log's scores and model byte for byte;
#   - every run either was killed, or (stdout full or closed) said why and
#     exited 1, or ran to its end: no restart fails;
#   - no score is marked delivered that was not written: after each episode
#     the scores written across its runs, duplicates dropped, are exactly the
#     uninterrupted clean run's, and so is the final model;
#   - no stray file is left in the state directory.
# Kills are placed by event counts, not by time: a run reads the log through
# a FIFO, K lines of it, and is killed as soon as the writer is through (the
# stream is then somewhere in the last 64 KB of those lines: applying,
# journalling, scoring or checkpointing), so a slow machine only moves the
# kill within that window. A kill inside the write of a score line leaves it
# torn: the torn tail is dropped before the next run (tests/stream_lib.sh;
# it must be the beginning of a score) and the restart must write that score.
# Usage: tests/stream_fault.sh path/to/viral [kills]
set -eu
VIRAL=$1
KILLS=${2:-30}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
M=$ROOT/models/default.json
T=$(mktemp -d)
trap 'exec 3>&- 2>/dev/null; rm -rf "$T"' EXIT
fail() { echo "stream_fault: $*" >&2; exit 1; }
. "$ROOT/tests/stream_lib.sh"
torn=0
run() { # execs, so that (run ...) & makes $! the stream itself
  exec "$VIRAL" stream -q --label 'views_final>=1000000' --horizon 24h --checkpoint-every 200 \
    --fsync-every 0 --max-event-bytes 4096 "$@"
}
model_of() { sed -n 's/^[[:space:]]*"model":[[:space:]]*"\([^"]*\)".*/\1/p' "$1/checkpoint.json"; }
rand() { # seed n: a number in [1, n]
  awk -v s="$1" -v n="$2" 'BEGIN { srand(s); print 1 + int(rand() * n) }'
}

"$VIRAL" gen --log --format jsonl -n 150 --days 2 -s 17 -q > "$T/clean.jsonl"
# The faulty log: before some lines a corrupt copy of that line (same video
# and time: were it applied, the good line would be skipped as a replay and
# the scores would differ), after some lines an older line (out of order).
awk -v long="$(head -c 5000 /dev/zero | tr '\0' x)" -v counts="$T/counts" '
  BEGIN { srand(5) }
  function corrupt(line, kind) {
    if (kind == 0) sub(/"views":[0-9]+/, "\"views\":\"abc\"", line)
    else if (kind == 1) sub(/"saves":[0-9]+,/, "", line)
    else if (kind == 2) sub(/"caption":"/, "\"caption\":\"\377\376", line)
    else if (kind == 3) line = line " {}"
    else if (kind == 4) sub(/"posted_at":"[^"]*"/, "\"posted_at\":\"2099-01-01T00:00:00Z\"", line)
    else if (kind == 5) sub(/"caption":"/, "\"caption\":\"" long, line)
    else if (kind == 6) line = substr(line, 1, int(length(line) / 2))
    else if (kind == 7) sub(/"likes":[0-9]+/, "\"likes\":-3", line)
    else sub(/"author_id":"[^"]*",/, "", line)
    return line
  }
  {
    if (NR > 1 && rand() < 0.06) { print corrupt($0, bad % 9); bad++ }
    print
    if (NR > 40 && rand() < 0.04) { print old[(NR - 30 - int(rand() * 10)) % 40]; ooo++ }
    old[NR % 40] = $0
  }
  END { print bad, ooo > counts }' "$T/clean.jsonl" > "$T/faulty.jsonl"
read -r n_bad n_ooo < "$T/counts"
[ "$n_bad" -ge 9 ] && [ "$n_ooo" -ge 5 ] || fail "the faulty log has only $n_bad bad and $n_ooo out-of-order events"
lines=$(wc -l < "$T/faulty.jsonl")

# The references: the clean log, uninterrupted; the faulty log must give the same.
(run -m "$M" --state "$T/ref" "$T/clean.jsonl") > "$T/ref.out"
n_ref=$(wc -l < "$T/ref.out")
[ "$n_ref" -gt 50 ] || fail "only $n_ref scores in the reference run"
(run -m "$M" --state "$T/faulty" "$T/faulty.jsonl") > "$T/faulty.out" 2> "$T/faulty.err" || fail "the faulty log: exit $?"
cmp -s "$T/faulty.out" "$T/ref.out" || fail "the faulty log's scores differ from the clean log's"
cmp -s "$T/faulty/$(model_of "$T/faulty")" "$T/ref/$(model_of "$T/ref")" || fail "the faulty log's model differs"
grep -qx "viral stream: $n_bad bad events rejected" "$T/faulty.err" || fail "expected $n_bad bad events: $(tail -n 2 "$T/faulty.err")"
grep -q "^viral stream: $n_ooo out-of-order events dropped" "$T/faulty.err" || fail "expected $n_ooo out-of-order events"
sort -u "$T/ref.out" > "$T/ref.sorted"

mkfifo "$T/fifo"
kills=0 runs=0 full=0 closed=0 episode=0
while [ "$kills" -lt "$KILLS" ]; do
  episode=$((episode + 1))
  [ "$episode" -le $((KILLS * 2)) ] || fail "only $kills kills in $((episode - 1)) episodes"
  rm -rf "$T/state"
  : > "$T/all.out"
  model="-m $M"
  cut=0
  for step in 1 2 3 4; do
    runs=$((runs + 1))
    seed=$((episode * 31 + step))
    cut=$((cut + $(rand "$seed" $(((lines - cut) / (5 - step))))))  # K lines, growing along the episode
    mode=$(rand "$((seed + 7))" 8)
    if [ "$mode" = 1 ]; then # stdout full from the start: the first score fails
      full=$((full + 1))
      if (run $model --state "$T/state" "$T/faulty.jsonl") > /dev/full 2> "$T/err"; then :
      else grep -q "cannot write the score of video" "$T/err" || fail "stdout full: $(cat "$T/err")"; fi
    elif [ "$mode" = 2 ]; then # stdout closed
      closed=$((closed + 1))
      if (run $model --state "$T/state" "$T/faulty.jsonl") >&- 2> "$T/err"; then fail "stdout closed: exit 0"; fi
      grep -q "stdout is closed" "$T/err" || fail "stdout closed: $(cat "$T/err")"
    else # the first cut lines, then SIGKILL
      (run $model --state "$T/state") < "$T/fifo" >> "$T/all.out" 2> "$T/err" &
      pid=$!
      exec 3> "$T/fifo"
      head -n "$cut" "$T/faulty.jsonl" >&3 2>/dev/null || true
      if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
      rc=0
      wait "$pid" 2>/dev/null || rc=$?
      exec 3>&-
      [ "$rc" = 137 ] || [ "$rc" = 0 ] || fail "episode $episode run $step: exit $rc: $(cat "$T/err")"
      drop_torn "$T/all.out" "$T/ref.out" || fail "episode $episode run $step: a damaged score line"
    fi
    if [ -f "$T/state/checkpoint.json" ]; then model=; fi
  done
  (run $model --state "$T/state" "$T/faulty.jsonl") >> "$T/all.out" 2> "$T/err" || fail "episode $episode: the last run failed: $(cat "$T/err")"
  sort -u "$T/all.out" | cmp -s - "$T/ref.sorted" ||
    fail "episode $episode: the scores differ from the uninterrupted run's: $(sort -u "$T/all.out" | diff "$T/ref.sorted" - | head -n 3)"
  cmp -s "$T/state/$(model_of "$T/state")" "$T/ref/$(model_of "$T/ref")" || fail "episode $episode: the final model differs"
  k=$(model_of "$T/state" | tr -dc 0-9)
  [ "$(ls "$T/state" | tr '\n' ' ')" = "checkpoint.json journal-$k.jsonl lock model-$k.json " ] ||
    fail "episode $episode: stray files in the state directory: $(ls "$T/state" | tr '\n' ' ')"
done
echo "stream_fault: $kills kills, $full runs on a full stdout, $closed on a closed one, in $episode episodes ($runs runs;" \
  "$n_bad bad and $n_ooo out-of-order events in the log; $torn torn score lines dropped): same scores and model every" \
  "time, no stray file"
