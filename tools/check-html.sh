#!/usr/bin/env bash
# check-html.sh - open the `viral eval --html` report in headless Chromium and
# take a screenshot, to see the charts as a browser draws them. Not part of CI
# (Chromium is not a build dependency): install it once with
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
# The page must stand alone: no URL, no src=, no href=, no script.
if grep -Eq 'https?:|src=|href=|<script|url\(' "$out/report.html"; then
  echo "check-html.sh: the report has an external reference" >&2; exit 1
fi
# No network: any fetch the page tried would fail.
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --proxy-server=127.0.0.1:9 --window-size=1400,1000 \
  --screenshot="$out/report.png" "file://$(realpath "$out/report.html")" 2> "$out/chromium.log"
[ -s "$out/report.png" ] || { echo "check-html.sh: no screenshot (see $out/chromium.log)" >&2; exit 1; }
echo "screenshot: $out/report.png (four charts: ROC, precision-recall, reliability, per-fold AUC)"

# The trajectories page of `viral score --log --html` (a generated log).
"$viral" gen --log --to jsonl -n 60 --days 2 --seed 11 --horizon 48h > "$out/log.jsonl"
"$viral" score -q --log --score-at 2h,3h,6h,12h,24h,36h --html "$out/trajectories.html" "$out/log.jsonl" > /dev/null
if grep -Eq 'https?:|src=|href=|<script|url\(' "$out/trajectories.html"; then
  echo "check-html.sh: the trajectories page has an external reference" >&2; exit 1
fi
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --proxy-server=127.0.0.1:9 --window-size=900,800 \
  --screenshot="$out/trajectories.png" "file://$(realpath "$out/trajectories.html")" 2>> "$out/chromium.log"
[ -s "$out/trajectories.png" ] || { echo "check-html.sh: no trajectories screenshot (see $out/chromium.log)" >&2; exit 1; }
echo "screenshot: $out/trajectories.png (8 videos' probability by age)"
