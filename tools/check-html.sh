#!/usr/bin/env bash
# check-html.sh - open the HTML reports of `viral eval --html` (k-fold),
# `viral eval --progressive --html` and the trajectories page of `viral
# score --log --html` in headless Chromium and take a
# screenshot of each, to see the charts as a browser draws them; checks that
# each page stands alone and has every chart. Not part of CI (Chromium is
# not a build dependency): install it once with
#   apt-get install -y chromium
# usage: tools/check-html.sh [DATA] [OUT_DIR]   (default: datasets/sample.csv, /tmp/viral-check-html)
set -eu
cd "$(dirname "$0")/.."
viral=${VIRAL_BUILD_DIR:-build}/viral
data=${1:-datasets/sample.csv}
out=${2:-/tmp/viral-check-html}
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "check-html.sh: chromium is not installed (apt-get install -y chromium)" >&2; exit 1; }
mkdir -p "$out"
"$viral" eval --folds 5 --html "$out/report.html" "$data" > /dev/null
# a window of a tenth of the rows: about ten points over time
rows=$(($(wc -l < "$data") - 1))
"$viral" eval --progressive --horizon 48h --window-size $((rows / 10 > 2 ? rows / 10 : 2)) \
  --html "$out/progressive.html" "$data" > /dev/null

# The trajectories page of `viral score --log --html`, on a generated log.
"$viral" gen --log --to jsonl -n 60 --days 2 --seed 11 --horizon 48h > "$out/log.jsonl"
"$viral" score -q --log --score-at 2h,3h,6h,12h,24h,36h --html "$out/trajectories.html" "$out/log.jsonl" > /dev/null

# check NAME WIDTH,HEIGHT CHART... - the page stands alone and has each chart
# (its SVG aria-label); then the screenshot, big enough for the whole page.
check() {
  local name=$1 page=$out/$1.html size=$2
  shift 2
  # The page must stand alone: no URL, no src=, no href=, no script.
  if grep -Eq 'https?:|src=|href=|<script|url\(|@import' "$page"; then
    echo "check-html.sh: $page has an external reference" >&2; exit 1
  fi
  for chart in "$@"; do
    grep -q "aria-label=\"$chart\"" "$page" || { echo "check-html.sh: $page has no chart '$chart'" >&2; exit 1; }
  done
  # No network: any fetch the page tried would fail.
  "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --proxy-server=127.0.0.1:9 --window-size="$size" \
    --screenshot="$out/$name.png" "file://$(realpath "$page")" 2> "$out/chromium-$name.log"
  [ -s "$out/$name.png" ] || { echo "check-html.sh: no screenshot (see $out/chromium-$name.log)" >&2; exit 1; }
  echo "screenshot: $out/$name.png"
  for chart in "$@"; do echo "  chart: $chart"; done
}
common=("ROC curve" "Precision-recall curve" "Reliability diagram" "Score distribution by class (model)")
check report 1400,3400 "${common[@]}" "ROC AUC per fold" "feature importance"
check progressive 1400,3000 "${common[@]}" "ROC AUC over time"
check trajectories 900,800 "probability by age"
