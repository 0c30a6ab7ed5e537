#!/usr/bin/env bash
# quality.sh [OUTDIR] - prediction quality of viral's learners beside
# scikit-learn's, on the same rows, vectors, temporal folds and labels.
#
# For each table of tools/bench/quality-tables.txt (the four real tables and
# `viral gen` data; made when missing: tools/real-data.sh, viral gen) and
# each learner of tools/bench/quality-learners.txt (plus any learner
# `viral train --help` lists that no line names, with its defaults) it runs
#   viral eval --temporal --folds K TABLE-ARGS LEARNER-ARGS --json OUTDIR/T--L.json DATA
# and prints Markdown tables: per table, each viral learner's ROC AUC (mean
# ± sd over the folds), log loss and ECE (means) and its run time, beside
# scikit-learn's figures recorded by tools/fixtures/quality_sklearn.py in
# tools/fixtures/quality-sklearn.json (LR with C by inner CV, RBF SVC, HGB,
# on viral's exported folds) and, on generated data, the oracle; then the
# best of each side, the gap, and the default learner against sklearn's LR.
#
# OUTDIR defaults to build/quality/runs. Environment: VIRAL (the binary,
# default build/viral), VIRAL_SHARED_DATASETS (default ../shared/datasets),
# QUALITY_TABLES / QUALITY_LEARNERS (comma-separated names / labels to run,
# default all), QUALITY_SKLEARN (the fixture file). Needs jq.
# Takes about 3 minutes on the project's 2-core machine (2026-12-07: 148 s for
# the real tables, most of it libsvm's SVMs on tiktok-vn-2025; 11 s for the
# generated data, where the SVMs are skipped), plus about 2 minutes to make
# the generated data the first time.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$repo/build/quality/runs}
viral=${VIRAL:-$repo/build/viral}
shared=${VIRAL_SHARED_DATASETS:-$repo/../shared/datasets}
fixture=${QUALITY_SKLEARN:-$repo/tools/fixtures/quality-sklearn.json}
[ -x "$viral" ] || { echo "quality.sh: no viral binary at $viral (build first, or set VIRAL)" >&2; exit 1; }
command -v jq > /dev/null || { echo "quality.sh: needs jq (tools/setup.sh installs it)" >&2; exit 1; }
[ -s "$fixture" ] || { echo "quality.sh: no scikit-learn figures at $fixture (tools/fixtures/quality_sklearn.py)" >&2; exit 1; }
mkdir -p "$out"

# wanted LIST NAME: 0 when NAME is in the comma-separated LIST (or LIST is empty)
wanted() { [ -z "$1" ] || [[ ",$1," == *",$2,"* ]]; }

# ---- the learners: the file's lines the binary can run, then the others it lists ----
known=$("$viral" train --help | sed -n 's/^ *--learner NAME *//p' | sed 's/([^)]*)//g; s/ or /,/g; s/ //g')
learners=()
named=","
while IFS=$'\t' read -r label max args; do
  [[ -z "$label" || "$label" == \#* ]] && continue
  learner=$(sed -n 's/.*--learner \([^ ]*\).*/\1/p' <<<"$args")
  if [ -n "$learner" ]; then
    [[ ",$known," == *",$learner,"* ]] || continue
    named="$named$learner,"
  fi
  learners+=("$label"$'\t'"$max"$'\t'"$args")
done < "$repo/tools/bench/quality-learners.txt"
for learner in ${known//,/ }; do
  [[ "$named" == *",$learner,"* ]] || learners+=("$learner"$'\t'"-"$'\t'"--learner $learner")
done

# ---- the data ----
# shellcheck disable=SC2016 # the tables file says $SHARED literally
data_of() {
  case $1 in
    '$SHARED'*) echo "$shared${1#\$SHARED}" ;;
    *) echo "$repo/$1" ;;
  esac
}
make_data() {
  local file=$1
  [ -s "$file" ] && return
  case $file in
    */real-data/*) VIRAL=$viral VIRAL_SHARED_DATASETS=$shared "$repo/tools/real-data.sh" > /dev/null ;;
    */gen-100k-s*.csv)
      local seed=${file##*-s}
      seed=${seed%.csv}
      mkdir -p "$(dirname "$file")"
      echo "quality.sh: making $file (viral gen, about 2 minutes)" >&2
      "$viral" gen --videos 100000 --seed "$seed" --oracle 100 --window 2 -q -o "$file" ;;
    *) echo "quality.sh: no data at $file" >&2; exit 1 ;;
  esac
}

# ---- the runs ----
slug() { tr -c 'a-zA-Z0-9\n' '-' <<<"$1"; }
results=$out/results.tsv # table, label, auc mean, auc sd, log loss, ece, seconds
: > "$results"
start=$(date +%s)
while IFS=$'\t' read -r table folds data targs; do
  [[ -z "$table" || "$table" == \#* ]] && continue
  wanted "${QUALITY_TABLES:-}" "$table" || continue
  file=$(data_of "$data")
  make_data "$file"
  # shellcheck disable=SC2206 # the arguments are words
  tableargs=($targs)
  for i in "${!tableargs[@]}"; do
    [[ "${tableargs[$i]}" == datasets/* ]] && tableargs[i]=$repo/${tableargs[$i]}
  done
  rows=
  for entry in "${learners[@]}"; do
    IFS=$'\t' read -r label max args <<<"$entry"
    wanted "${QUALITY_LEARNERS:-}" "$label" || continue
    json=$out/$table--$(slug "$label").json
    if [ "$max" != - ] && [ -n "$rows" ] && [ "$rows" -gt "$max" ]; then
      printf '%s\t%s\tskipped (more than %s rows)\n' "$table" "$label" "$max" >> "$results"
      continue
    fi
    # shellcheck disable=SC2206
    learnargs=($args)
    t0=$(date +%s.%N)
    if "$viral" eval --temporal --folds "$folds" "${tableargs[@]}" "${learnargs[@]}" --quiet \
         --json "$json" "$file" > /dev/null 2> "$out/err"; then
      t1=$(date +%s.%N)
      rows=$(jq -r .rows "$json")
      jq -r --arg t "$table" --arg l "$label" --arg s "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')" \
        '.predictors.model | [$t, $l, .roc_auc.mean, .roc_auc.std, .log_loss.mean, .ece.mean, $s] | @tsv' \
        "$json" >> "$results"
    else
      printf '%s\t%s\tfailed: %s\n' "$table" "$label" "$(head -1 "$out/err")" >> "$results"
    fi
  done
done < "$repo/tools/bench/quality-tables.txt"
elapsed=$(($(date +%s) - start))

# ---- the tables ----
f3() { awk -v x="$1" 'BEGIN { if (x == "" || x == "null") print "-"; else printf "%.3f", x }'; }
pm() { if [ "$2" = null ] || [ -z "$2" ]; then f3 "$1"; else echo "$(f3 "$1") ± $(f3 "$2")"; fi; }
sk() { # TABLE MODEL: the fixture's figures as TSV, or nothing
  jq -r --arg t "$1" --arg m "$2" '.tables[$t].models[$m] // empty |
    if .skipped then ["skipped"] else [.roc_auc.mean, .roc_auc.sd, .log_loss.mean, .ece.mean] end | @tsv' "$fixture"
}
sk_name() { case $1 in lr) echo "sklearn LR (C by inner CV)" ;; svc) echo "sklearn SVC rbf (tuned)" ;;
  hgb) echo "sklearn HGB (tuned)" ;; oracle) echo "oracle (oracle_p)" ;; esac; }

echo "| table | predictor | ROC AUC | log loss | ECE | seconds |"
echo "|---|---|---|---|---|---:|"
summary=()
for table in $(cut -f1 "$results" | uniq); do
  shown=$table
  best_v=-1 best_vl=- best_s=-1 best_sl=- def=()
  while IFS=$'\t' read -r _ label auc sd ll ece secs; do
    if [ -z "$sd" ]; then
      echo "| $shown | viral $label | $auc | | | |"
    else
      echo "| $shown | viral $label | $(pm "$auc" "$sd") | $(f3 "$ll") | $(f3 "$ece") | $secs |"
      if awk -v a="$auc" -v b="$best_v" 'BEGIN { exit !(a > b) }'; then best_v=$auc best_vl=$label; fi
      [ "$label" = default ] && def=("$auc" "$ll" "$ece")
    fi
    shown=
  done < <(awk -F'\t' -v t="$table" '$1 == t' "$results")
  lr=()
  for m in lr svc hgb oracle; do
    IFS=$'\t' read -r auc sd ll ece <<<"$(sk "$table" "$m")" || true
    [ -z "${auc:-}" ] && continue
    if [ "$auc" = skipped ]; then
      echo "| | $(sk_name "$m") | skipped (rows) | | | |"
      continue
    fi
    echo "| | $(sk_name "$m") | $(pm "$auc" "$sd") | $(f3 "$ll") | $(f3 "$ece") | |"
    [ "$m" = lr ] && lr=("$auc" "$ll" "$ece")
    if [ "$m" != oracle ] && awk -v a="$auc" -v b="$best_s" 'BEGIN { exit !(a > b) }'; then best_s=$auc best_sl=$m; fi
  done
  gap=$(awk -v a="$best_v" -v b="$best_s" 'BEGIN { if (a < 0 || b < 0) print "-"; else printf "%+.3f", a - b }')
  vs_lr="-"
  if [ ${#def[@]} = 3 ] && [ ${#lr[@]} = 3 ]; then
    vs_lr=$(awk -v a="${def[0]}" -v b="${lr[0]}" -v c="${def[1]}" -v d="${lr[1]}" -v e="${def[2]}" -v f="${lr[2]}" \
      'BEGIN { printf "%+.3f / %+.3f / %+.3f", a - b, c - d, e - f }')
  fi
  summary+=("| $table | $(f3 "$best_v") ($best_vl) | $(f3 "$best_s") ($(sk_name "$best_sl" | sed 's/ (.*//')) | $gap | $vs_lr |")
done
echo
echo "| table | best viral (learner) | best sklearn | gap (viral - sklearn) | default - sklearn LR: AUC / log loss / ECE |"
echo "|---|---|---|---|---|"
printf '%s\n' "${summary[@]}"
echo
echo "$("$viral" --version | head -1), $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?'); sklearn figures: $(jq -r '"scikit-learn \(.versions.sklearn), viral \(.viral_commit), \(.date)"' "$fixture"); ${elapsed}s; reports in $out"
