#!/usr/bin/env bash
# shellcheck disable=SC2154 # measure() in lib.sh sets NAME_s, NAME_kb and NAME_cpu
# eval_memory.sh - peak RSS of `viral eval --folds 5` (the default learner:
# the batch optimum per fold) on generated files of N rows, with the rows it
# holds spilled to a temporary file past 16 MiB (the default, io/spill.h)
# and held on the heap (VIRAL_SPILL_FROM_BYTES set past any array: what
# eval did before). Issue 17's target: at most 150 bytes a row, 150 MB at 1M
# rows. Also checks the two reports are the same but for their seconds.
#
#   tools/bench/eval_memory.sh [N ...]     # default 200000; full: 200000 1000000
#
# Files from `viral gen --videos N` (seed 1). Peak RSS from GNU time; one
# run each: read the memory, and the CPU time as a ratio.
set -eu
cd "$(dirname "$0")/../.."
# shellcheck source=tools/bench/lib.sh
. tools/bench/lib.sh
[ $# -gt 0 ] || set -- 200000
d=$work/eval-memory
mkdir -p "$d"
echo "eval_memory.sh: $(date -u +%FT%TZ), $(nproc) cores, $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
printf '%-10s %-8s %10s %10s %12s %10s\n' rows rows_in "cpu s" "wall s" "peak MB" "B/row"
for n in "$@"; do
  f=$(gen_data "$n")
  measure heap env VIRAL_SPILL_FROM_BYTES=1000000000000 "$viral" eval --folds 5 --json "$d/heap-$n.json" "$f" > /dev/null
  measure spilled "$viral" eval --folds 5 --json "$d/spilled-$n.json" "$f" > /dev/null
  for how in heap spilled; do
    kb=${how}_kb cpu=${how}_cpu s=${how}_s
    printf '%-10s %-8s %10s %10s %12.1f %10.0f\n' "$n" "$how" "${!cpu}" "${!s}" \
      "$(awk -v k="${!kb}" 'BEGIN { print k * 1024 / 1e6 }')" "$(awk -v k="${!kb}" -v n="$n" 'BEGIN { print k * 1024 / n }')"
  done
  cmp -s <(sed 's/"seconds":[0-9.e+-]*//' "$d/heap-$n.json") <(sed 's/"seconds":[0-9.e+-]*//' "$d/spilled-$n.json") ||
    { echo "eval_memory.sh: the reports differ at $n rows" >&2; exit 1; }
  echo "$n rows: spilled / heap peak RSS $(div "$spilled_kb" "$heap_kb" %.3f), CPU $(div "$spilled_cpu" "$heap_cpu" %.3f); reports equal"
done
