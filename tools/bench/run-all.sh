#!/usr/bin/env bash
# run-all.sh - run every benchmark once, one after the other (the machine is
# shared: nothing runs in parallel), and write their output with the exact
# commands, the date and the machine to tools/bench/RESULTS.md (or $OUT).
# Hand-written notes below the line "<!-- notes -->" of the old file are kept.
#
#   tools/bench/run-all.sh [VIDEOS]   # default 200000 (a few minutes);
#                                     # 1000000 for the DESIGN.md section 10 sizes
# Needs a build (tools/build.sh), liblinear-tools, libsvm-tools, GNU time.
set -eu
cd "$(dirname "$0")/../.."
videos=${1:-200000}
out=${OUT:-tools/bench/RESULTS.md}
small=$((videos / 10))
notes=
[ -f "$out" ] && notes=$(sed -n '/^<!-- notes -->$/,$p' "$out")
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)

{
  echo "# Benchmark results"
  echo
  echo "Written by \`tools/bench/run-all.sh $videos\` on $(date -u +'%Y-%m-%d %H:%M UTC')."
  echo "Machine: $(nproc) cores ($cpu), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM,"
  echo "$(uname -sr), shared with other users (load average at start: $(cut -d ' ' -f 1-3 /proc/loadavg))."
  echo "Build: \`tools/build.sh\` (RelWithDebInfo), commit $(git rev-parse --short HEAD)."
  echo "Every figure is one wall-clock run: compare ratios, not seconds."
  if VW_NO_BUILD=1 tools/bench/vw.sh > /dev/null 2>&1; then
    echo "Vowpal Wabbit: built by tools/bench/vw.sh, measured by vw_compare.sh."
  else
    echo "Vowpal Wabbit is not built here (tools/bench/vw.sh): no measured VW figure."
  fi
} > "$tmp"

run() { # title, command...
  local title=$1; shift
  echo "running: $*" >&2
  { echo; echo "## $title"; echo; echo '```'; echo "\$ $*"; "$@" 2>&1; echo '```'; } >> "$tmp"
}
run "Reader vs bare libcsv parse" tools/bench/bench_reader.sh "$videos"
run "convert vs bare libcsv parse" tools/bench/convert.sh "$videos"
run "gen" tools/bench/gen.sh build/viral "$videos"
run "Logistic training: viral vs liblinear (and VW's reference figure)" tools/bench/train.sh "$videos"
if VW_NO_BUILD=1 tools/bench/vw.sh > /dev/null 2>&1; then
  run "Logistic training: viral vs Vowpal Wabbit (paired)" tools/bench/vw_compare.sh "$videos" 3
fi
run "Scoring: memory, speed from disk and from memory" tools/bench/score.sh "$videos"
run "Memory of train and update" tools/bench/memory.sh "$small" "$videos"
run "Memory of eval (rows spilled to a file vs held on the heap)" tools/bench/eval_memory.sh "$small"
run "Kernel SVM: viral vs svm-train" tools/bench/svm.sh 5000 10000
if [ -n "$notes" ]; then { echo; echo "$notes"; } >> "$tmp"; fi
mv "$tmp" "$out"
trap - EXIT
echo "wrote $out" >&2
