#!/usr/bin/env bash
# shellcheck disable=SC2154 # measure() in lib.sh sets NAME_s and NAME_kb
# score.sh - scoring: memory flat in the rows, speed from disk against a bare
# libcsv parse of the same file, and speed from memory (DESIGN.md section 10).
#
#   tools/bench/score.sh [VIDEOS]     # default 200000; the full run is 1000000
#
# A logistic model is trained on `viral gen --videos 10000` (seed 1); then
# `viral score` (output to /dev/null) runs on that file and on a
# `viral gen --videos VIDEOS` file: peak RSS of both (GNU time) and their
# ratio (target: within 10%), rows/s from disk against tools/bench/bare_parse.c
# on the big file (target: parse speed). From memory: tools/bench/inmem.c
# predicts over converted vectors held in memory (target: >= 1M videos/s).
# One run each; asserts nothing.
set -eu
cd "$(dirname "$0")/../.."
# shellcheck source=tools/bench/lib.sh
. tools/bench/lib.sh
videos=${1:-200000}
cc -O2 -o "$work/bare_parse" tools/bench/bare_parse.c -lcsv
bench_cc "$work/inmem" tools/bench/inmem.c
small=$(gen_data 10000)
big=$(gen_data "$videos")
d=$work/score-$videos
mkdir -p "$d"
"$viral" train --quiet -o "$d/model.json" "$small"
"$viral" convert --to libsvm -o "$d/small.svm" "$small"

measure s "$viral" score -m "$d/model.json" "$small" > /dev/null
measure b "$viral" score -m "$d/model.json" "$big" > /dev/null
measure e "$viral" score -m "$d/model.json" --explain 3 "$big" > /dev/null
measure p "$work/bare_parse" "$big" > /dev/null
"$work/inmem" "$d/small.svm" "$d/small.svm" 18 "$videos" > "$d/inmem.txt"
rows=$(($(wc -l < "$big") - 1))
mem() { awk -v k="$1" '$1 == k { print $2 }' "$d/inmem.txt"; }

echo "score.sh: $(date -u +%FT%TZ), $(nproc) cores, big file $rows rows ($(stat -c %s "$big") bytes)"
printf '%-44s %9s %10s %12s\n' step seconds "peak KiB" rows/s
printf '%-44s %9s %10s %12s\n' "viral score, 10000 rows" "$s_s" "$s_kb" "$(div 10000 "$s_s" %.0f)"
printf '%-44s %9s %10s %12s\n' "viral score, $rows rows" "$b_s" "$b_kb" "$(div "$rows" "$b_s" %.0f)"
printf '%-44s %9s %10s %12s\n' "viral score --explain 3, $rows rows" "$e_s" "$e_kb" "$(div "$rows" "$e_s" %.0f)"
printf '%-44s %9s %10s %12s\n' "bare libcsv + strtod parse, $rows rows" "$p_s" "$p_kb" "$(div "$rows" "$p_s" %.0f)"
printf '%-44s %9s %10s %12s\n' "in memory: viral_logistic_predict" "$(mem predict_s)" "-" "$(mem predict_per_s)"
echo "peak RSS ratio, $rows / 10000 rows: $(div "$b_kb" "$s_kb" %.3f) (target <= 1.10)"
echo "time ratio viral score / bare parse: $(div "$b_s" "$p_s") (target ~1: streaming at parse speed)"
echo "predictions from memory: $(mem predict_per_s) /s (target >= 1000000)"
