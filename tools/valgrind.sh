#!/usr/bin/env bash
# valgrind.sh - build (normal build) and run the CLI under valgrind's leak
# checker on real datasets. Exit status 0 when every run is clean; valgrind
# exits 3 on a leak or a memory error.
#   tools/valgrind.sh            uses ../shared/datasets beside the repository
set -u
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind is not installed (tools/setup.sh)" >&2; exit 1; }
tools/build.sh || exit 1
viral=${VIRAL_BUILD_DIR:-build}/viral
shared=${VIRAL_SHARED_DATASETS:-../shared/datasets}/raw
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0

check() { # what, expected exit status, viral arguments...
  local what=$1 want=$2; shift 2
  valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect,possible \
    --error-exitcode=3 --log-file="$log" "$viral" "$@" >/dev/null 2>&1
  local got=$?
  if [ "$got" = "$want" ]; then
    echo "ok    $what: $(grep -E 'ERROR SUMMARY|in use at exit' "$log" | sed 's/^==[0-9]*== *//' | paste -sd ';' -)"
  else
    echo "FAIL  $what (exit $got, expected $want):"
    cat "$log"
    status=1
  fi
}

check "describe CSV (bilibili)" 0 describe "$shared/bilibili-hot-hourly/bilibili_hot_videos_server.csv"
check "describe JSON (tiktok trending)" 0 describe --json --json-path collector \
  "$shared/tiktok-trending-2020/trending.json"
check "describe, missing file" 1 describe /nonexistent/file.csv

work=$(mktemp -d)
trap 'rm -f "$log"; rm -rf "$work"' EXIT
head -n 1001 datasets/sample.csv > "$work/train.csv"
check "train logistic" 0 train -o "$work/m.json" "$work/train.csv"
check "train svm (rbf, isotonic calibration)" 0 train --learner svm --kernel rbf \
  --calibrate isotonic -o "$work/s.json" "$work/train.csv"
check "update" 0 update -m "$work/m.json" datasets/example.csv
check "score with reasons" 0 score -m "$work/m.json" --explain 3 datasets/example.csv
check "score svm, jsonl" 0 score -m "$work/s.json" --explain 2 --to jsonl datasets/example.csv
check "inspect" 0 inspect "$work/m.json"
check "inspect, damaged model" 1 inspect datasets/example.csv
check "convert to vw" 0 convert --to vw --skip-bad-rows datasets/example.csv
check "gen with oracle" 0 gen --videos 200 --oracle 5
"$viral" gen --videos 100 --log -o "$work/log.csv"
check "assemble" 0 assemble --id video_id --observed-at observed_at --posted-at posted_at \
  --at 1h,2h --counters views,likes "$work/log.csv"
check "eval, 3 folds, JSON and HTML" 0 eval --folds 3 --json "$work/r.json" --html "$work/r.html" \
  --predictions "$work/p.csv" "$work/train.csv"
check "eval --temporal" 0 eval --temporal --folds 3 --gap 1d "$work/train.csv"
check "tune, small grid, final model" 0 tune --folds 3 --alpha-grid 0.1,1 --l1-grid 0 --l2-grid 0,1 \
  -o "$work/t.json" "$work/train.csv"
check "eval --progressive, final model, JSON and HTML" 0 eval --progressive --window-size 200 \
  --final-model "$work/f.json" --json "$work/pr.json" --html "$work/pr.html" "$work/train.csv"
check "eval --learner svm, 3 folds" 0 eval --learner svm --folds 3 "$work/train.csv"
"$viral" gen --videos 300 --days 2 --log --format jsonl -o "$work/log.jsonl"
check "stream with journal, checkpoints" 0 stream -m "$work/m.json" --state "$work/state" \
  --checkpoint-every 500 "$work/log.jsonl"
check "stream restart from the checkpoint" 0 stream --state "$work/state" "$work/log.jsonl"
exit $status
