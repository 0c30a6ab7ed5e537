#!/usr/bin/env bash
# test.sh - set up, build and run the whole test suite twice: a normal build,
# then the AddressSanitizer + UndefinedBehaviorSanitizer build. Exit status is
# the suite's. Build trees: build/ and build-sanitize/ (override with
# VIRAL_BUILD_DIR / VIRAL_SANITIZE_DIR).
set -eu
cd "$(dirname "$0")/.."
tools/setup.sh
jobs=$(nproc 2>/dev/null || echo 2)
build=${VIRAL_BUILD_DIR:-build}
sanitize=${VIRAL_SANITIZE_DIR:-build-sanitize}

run_suite() { # dir, cmake args...
  local dir=$1; shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j "$jobs" >/dev/null
  (cd "$dir" && ctest --output-on-failure -j "$jobs")
}

echo "== normal build ($build)"
run_suite "$build" -DVIRAL_SANITIZE=OFF
echo "== sanitizer build ($sanitize)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite "$sanitize" -DVIRAL_SANITIZE=ON
