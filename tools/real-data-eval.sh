#!/usr/bin/env bash
# real-data-eval.sh [OUTDIR] - time-ordered evaluation of both learners on
# each shared real dataset, next to the two baselines.
#
# For each labelled table tools/real-data.sh builds (and the TikTok trending
# JSON read in place with its spec), runs
#   viral eval --temporal --learner logistic ...
#   viral eval --temporal --learner svm ...
# writes each report as text and JSON under OUTDIR (default build/real-eval/),
# and prints a Markdown table: rows, positives, and the mean +- standard
# deviation over the folds of ROC AUC, PR AUC (average precision) and Brier
# score of the logistic model, the SVM, the views baseline (logistic on
# log1p of the early count) and the base rate. The numbers are read back from
# the JSON reports. The binary is $VIRAL (default build/viral); raw data come
# from $VIRAL_SHARED_DATASETS (default ../shared/datasets). Takes about a
# minute (the SVM on tiktok-vn-2025 is most of it).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$repo/build/real-eval}
viral=${VIRAL:-$repo/build/viral}
shared=${VIRAL_SHARED_DATASETS:-$repo/../shared/datasets}
data=$repo/build/real-data
[ -x "$viral" ] || { echo "real-data-eval.sh: no viral binary at $viral (build first, or set VIRAL)" >&2; exit 1; }
mkdir -p "$out"
# The assembled tables: built once by tools/real-data.sh.
if [ ! -s "$data/reddit-rall-hourly.csv" ]; then
  VIRAL=$viral VIRAL_SHARED_DATASETS=$shared "$repo/tools/real-data.sh" "$data" > /dev/null
fi

# The SVM: a linear kernel with C = 1 (libsvm's default) and Platt
# probabilities on the spec's standard scaling; the RBF kernel's probability
# fit runs libsvm five more times per fold and adds little on these features.
svm_args=(--learner svm --kernel linear --C 1)

# mean KEY PRED METRIC: "0.123 ± 0.045" from the JSON report KEY, or "n/a".
mean() {
  awk -v pred="\"$2\":{" -v metric="\"$3\":{\"mean\":" '
    { i = index($0, pred); if (!i) { print "n/a"; exit }
      rest = substr($0, i); j = index(rest, metric)
      rest = substr(rest, j + length(metric)); split(rest, a, ",")
      k = index(rest, "\"std\":"); s = substr(rest, k + 6); split(s, b, ",")
      if (a[1] == "null") { print "undefined"; exit }
      if (b[1] == "null") printf "%.3f\n", a[1]; else printf "%.3f ± %.3f\n", a[1], b[1] }' "$out/$1.json"
}

# run NAME FOLDS DATA SPEC VIEWS_FIELD [EVAL ARGS...]: both learners, and the
# table rows.
run() {
  local name=$1 folds=$2 file=$3 spec=$4 views=$5
  shift 5
  local common=(--temporal --folds "$folds" --spec "$repo/datasets/$spec.spec.json" --quiet "$@")
  [ -n "$views" ] && common+=(--views-field "$views")
  "$viral" eval "${common[@]}" --json "$out/$name-logistic.json" "$file" > "$out/$name-logistic.txt"
  "$viral" eval "${common[@]}" "${svm_args[@]}" --json "$out/$name-svm.json" "$file" > "$out/$name-svm.txt"
  # "..., rows N, positives P (x%), ..."
  local rows pos
  rows=$(sed -n '1s/.*, rows \([0-9]*\), positives.*/\1/p' "$out/$name-logistic.txt")
  pos=$(sed -n '1s/.*, positives \([0-9]*\) (\([0-9.]*%\)).*/\1 (\2)/p' "$out/$name-logistic.txt")
  local label="$name ($folds folds)"
  for p in "logistic:$name-logistic:model" "svm:$name-svm:model" \
           "views baseline${views:+ ($views)}:$name-logistic:views" "base rate:$name-logistic:base rate"; do
    IFS=: read -r shown key pred <<<"$p"
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$rows" "$pos" "$shown" \
      "$(mean "$key" "$pred" roc_auc)" "$(mean "$key" "$pred" average_precision)" "$(mean "$key" "$pred" brier)"
    label="" rows="" pos=""
  done
}

echo "| dataset (temporal folds) | rows | positives | predictor | ROC AUC | PR AUC | Brier |"
echo "|---|---:|---:|---|---|---|---|"
# The early count of each table's views baseline: the last one every row has.
run tiktok-vn-2025 5 "$data/tiktok-vn-2025.csv" tiktok-vn-2025-pairs views_s1
# The table's viral column is the top 10% of all posts; the same rule fitted
# on each fold's training part keeps the test posts out of the threshold.
run reddit-rall-hourly 5 "$data/reddit-rall-hourly.csv" reddit-rall-hourly-early score_s1 \
  --label 'top:10%:score_peak'
# 3 folds: with 5, the first training part (the 56 earliest videos) has no positive.
run bilibili-hot-hourly 3 "$data/bilibili-hot-hourly.csv" bilibili-hot-hourly-8h views_s2
# One snapshot of final counts: no early views, so no views baseline.
run tiktok-trending-2020 5 "$shared/raw/tiktok-trending-2020/trending.json" tiktok-trending-2020 ""
echo
echo "reports: $out/*.txt, $out/*.json"
