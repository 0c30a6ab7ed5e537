#!/usr/bin/env bash
# memory.sh - peak RSS of `viral train --learner logistic` and `viral update`
# on SMALL and BIG generated files: both stream, so memory should be flat in
# the rows (DESIGN.md section 10). `viral score` is measured by score.sh.
#
#   tools/bench/memory.sh [SMALL BIG]     # default 20000 200000; full: 100000 1000000
#
# Files from `viral gen --videos N` (seed 1). update starts from a model
# trained on 10000 videos. Peak RSS from GNU time (/usr/bin/time -f %M).
# Prints a table and the BIG / SMALL ratios; asserts nothing.
set -eu
cd "$(dirname "$0")/../.."
. tools/bench/lib.sh
small_n=${1:-20000}
big_n=${2:-200000}
d=$work/memory
mkdir -p "$d"
base=$(gen_data 10000)
"$viral" train --quiet -o "$d/base.json" "$base"

echo "memory.sh: $(date -u +%FT%TZ), $(nproc) cores"
printf '%-34s %9s %9s %10s\n' step videos seconds "peak KiB"
for n in "$small_n" "$big_n"; do
  f=$(gen_data "$n")
  measure t "$viral" train --quiet --learner logistic -o "$d/t-$n.json" "$f"
  measure u "$viral" update --quiet -m "$d/base.json" -o "$d/u-$n.json" "$f"
  printf '%-34s %9s %9s %10s\n' "viral train --learner logistic" "$n" "$t_s" "$t_kb"
  printf '%-34s %9s %9s %10s\n' "viral update" "$n" "$u_s" "$u_kb"
  eval "t_kb_$n=$t_kb u_kb_$n=$u_kb"
done
eval "echo \"peak RSS ratio train  $big_n / $small_n: \$(div \$t_kb_$big_n \$t_kb_$small_n %.3f) (target <= 1.10)\""
eval "echo \"peak RSS ratio update $big_n / $small_n: \$(div \$u_kb_$big_n \$u_kb_$small_n %.3f) (target <= 1.10)\""
