#!/usr/bin/env bash
# fuzz.sh [SECONDS] - build the libFuzzer harnesses of tests/fuzz (clang,
# AddressSanitizer + UndefinedBehaviorSanitizer) and run each for SECONDS
# (default 30), one after the other. Exit status 1 when any harness finds a
# crash, a leak, a sanitizer report, an input slower than VIRAL_FUZZ_TIMEOUT
# seconds (default 10) or one using more than VIRAL_FUZZ_RSS_MB (default
# 2048); the input is saved as build-fuzz/findings/<harness>/crash-* (or
# leak-, timeout-, oom-). New inputs that add coverage go to
# build-fuzz/corpus/<harness>; the committed seeds (tests/fuzz/corpus) are
# read, never written. tests/fuzz/README.md: the long run and what to do with
# a finding. Environment: VIRAL_FUZZ_DIR (build tree, default build-fuzz),
# VIRAL_FUZZ_ONLY (space-separated harness names, default all).
set -u
cd "$(dirname "$0")/.."
seconds=${1:-30}
case $seconds in ''|*[!0-9]*) echo "usage: tools/fuzz.sh [SECONDS]" >&2; exit 2;; esac
dir=${VIRAL_FUZZ_DIR:-build-fuzz}
harnesses=${VIRAL_FUZZ_ONLY:-"csv json spec model stream cache"}
timeout=${VIRAL_FUZZ_TIMEOUT:-10}
rss=${VIRAL_FUZZ_RSS_MB:-2048}

CC=clang cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIRAL_FUZZ=ON \
  -DVIRAL_BUILD_TESTS=OFF -DVIRAL_SHARED=OFF >/dev/null || exit 1
targets=""
for h in $harnesses; do targets="$targets fuzz_$h"; done
cmake --build "$dir" -j 2 --target $targets >/dev/null || exit 1

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=""
for h in $harnesses; do
  corpus=$dir/corpus/$h findings=$dir/findings/$h
  mkdir -p "$corpus" "$findings"
  log=$dir/findings/$h.log
  echo "== fuzz_$h: $seconds s"
  "$dir/tests/fuzz/fuzz_$h" -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb="$rss" \
    -print_final_stats=1 -artifact_prefix="$findings/" "$corpus" "tests/fuzz/corpus/$h" >"$log" 2>&1
  status=$?
  grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$log" | sed 's/^/   /'
  if [ $status != 0 ]; then
    failed="$failed $h"
    echo "   FINDING (exit $status): $(ls -t "$findings" | head -n1) - see $log"
    grep -E 'ERROR|runtime error|SUMMARY' "$log" | head -n 5 | sed 's/^/   /'
  fi
done
if [ -n "$failed" ]; then
  echo "fuzz: findings in:$failed"
  exit 1
fi
echo "fuzz: no findings"
