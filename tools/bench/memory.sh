#!/usr/bin/env bash
# shellcheck disable=SC2154 # measure() in lib.sh sets NAME_s and NAME_kb
# memory.sh - peak RSS of `viral train --learner logistic --passes 1` (one
# streaming pass; the default holds the rows for the batch optimum) and `viral update`
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
# shellcheck source=tools/bench/lib.sh
. tools/bench/lib.sh
small_n=${1:-20000}
big_n=${2:-200000}
d=$work/memory
mkdir -p "$d"
base=$(gen_data 10000)
"$viral" train --quiet --passes 1 -o "$d/base.json" "$base"

echo "memory.sh: $(date -u +%FT%TZ), $(nproc) cores"
printf '%-34s %9s %9s %10s\n' step videos seconds "peak KiB"
for n in "$small_n" "$big_n"; do
  f=$(gen_data "$n")
  measure t "$viral" train --quiet --learner logistic --passes 1 -o "$d/t-$n.json" "$f"
  measure u "$viral" update --quiet -m "$d/base.json" -o "$d/u-$n.json" "$f"
  printf '%-34s %9s %9s %10s\n' "viral train --learner logistic" "$n" "$t_s" "$t_kb"
  printf '%-34s %9s %9s %10s\n' "viral update" "$n" "$u_s" "$u_kb"
  [ "$n" = "$small_n" ] && { t_small=$t_kb; u_small=$u_kb; }
done
echo "peak RSS ratio train  $big_n / $small_n: $(div "$t_kb" "$t_small" %.3f) (target <= 1.10)"
echo "peak RSS ratio update $big_n / $small_n: $(div "$u_kb" "$u_small" %.3f) (target <= 1.10)"
