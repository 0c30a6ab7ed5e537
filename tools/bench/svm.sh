#!/usr/bin/env bash
# shellcheck disable=SC2154 # measure() in lib.sh sets NAME_s and NAME_kb
# svm.sh - kernel SVM training: `viral train --learner svm` from CSV against
# `svm-train -b 1` on the same rows converted to LIBSVM (DESIGN.md section 10:
# "no slower than svm-train on the same vectors").
#
#   tools/bench/svm.sh [VIDEOS...]     # default: 5000 10000
#
# For each size: `viral gen --videos VIDEOS` (seed 1), first 80% train, last
# 20% test. Both tools get RBF, C = 1 and the same explicit gamma, computed as
# viral's default would (1 / mean non-zeros per training row), because the
# two defaults differ (svm-train: 1 / number of features). viral's time
# includes reading and featurizing the CSV; svm-train's includes reading the
# LIBSVM file. The LIBSVM file is `viral convert` of all rows, so its
# standard scaling is fitted on train + test (viral's on train only).
# Prints time and test AUC of each (tools/bench/auc.c); asserts nothing.
set -eu
cd "$(dirname "$0")/../.."
# shellcheck source=tools/bench/lib.sh
. tools/bench/lib.sh
command -v svm-train >/dev/null || { echo "needs svm-train: apt-get install libsvm-tools" >&2; exit 1; }
[ $# -gt 0 ] || set -- 5000 10000
bench_cc "$work/auc" tools/bench/auc.c

printf '%-8s %-9s %-26s %9s %10s %8s\n' videos gamma tool seconds "peak KiB" "test AUC"
for videos in "$@"; do
  d=$work/svm-$videos
  split_data "$videos" "$d"
  "$viral" convert --to libsvm -o "$d/all.svm" "$data"
  split_svm "$d"
  gamma=$(awk '{ nz += NF - 1 } END { printf "%.17g", NR / nz }' "$d/train.svm")

  measure vt "$viral" train --quiet --learner svm --kernel rbf --C 1 --gamma "$gamma" \
    -o "$d/model.json" "$d/train.csv"
  "$viral" score -m "$d/model.json" "$d/test.csv" | tail -n +2 | cut -d , -f 2 > "$d/viral.p"
  measure st svm-train -q -b 1 -t 2 -c 1 -g "$gamma" "$d/train.svm" "$d/svm.model"
  svm-predict -b 1 "$d/test.svm" "$d/svm.model" "$d/svm.out" > /dev/null
  col=$(head -n 1 "$d/svm.out" | awk '{ for (i = 2; i <= NF; i++) if ($i == "1") print i }')
  tail -n +2 "$d/svm.out" | awk -v c="$col" '{ print $c }' > "$d/svm.p"

  g=$(printf '%.4g' "$gamma")
  printf '%-8s %-9s %-26s %9s %10s %8s\n' "$videos" "$g" "viral train --learner svm" "$vt_s" "$vt_kb" \
    "$(auc "$d/labels" "$d/viral.p")"
  printf '%-8s %-9s %-26s %9s %10s %8s\n' "$videos" "$g" "svm-train -b 1" "$st_s" "$st_kb" \
    "$(auc "$d/labels" "$d/svm.p")"
  echo "ratio viral / svm-train at $videos videos: $(div "$vt_s" "$st_s") (target <= 1)"
done
