#!/usr/bin/env bash
# test.sh - set up, build and run the whole test suite, in stages:
#   1. gcc, RelWithDebInfo: the whole suite
#   2. gcc, AddressSanitizer + UndefinedBehaviorSanitizer: the whole suite
#   3. clang, ASan + UBSan: the whole suite (clang's UBSan finds what gcc's
#      misses, e.g. arithmetic on a null pointer)
#   4. Release (-O3) with gcc and with clang: compiles without a warning
#   5. under CI=true, or with VIRAL_FUZZ_SECONDS set: each fuzz harness for a
#      short run (tools/fuzz.sh; 30 s each under CI)
# Every build uses -Werror (VIRAL_WERROR=ON; a user's own build does not).
# Every stage runs even when one before it failed; the exit status is 1 when
# any failed, and the summary at the end names them. Build trees: build/,
# build-sanitize/, build-clang-sanitize/, build-release-gcc/,
# build-release-clang/ (VIRAL_BUILD_DIR and VIRAL_SANITIZE_DIR override the
# first two).
#
# The tests tagged "shared" read ../shared/datasets: without it they are
# skipped on a user's clone, and fail under CI=true.
set -u
cd "$(dirname "$0")/.."
tools/setup.sh || exit 1
jobs=$(nproc 2>/dev/null || echo 2)
build=${VIRAL_BUILD_DIR:-build}
sanitize=${VIRAL_SANITIZE_DIR:-build-sanitize}
failed=()

configure_and_build() { # dir, compiler, cmake args...
  local dir=$1 cc=$2; shift 2
  CC=$cc cmake -S . -B "$dir" -DVIRAL_WERROR=ON "$@" >/dev/null &&
    cmake --build "$dir" -j "$jobs" >/dev/null
}

run_suite() { # name, dir, compiler, cmake args...
  local name=$1 dir=$2 cc=$3; shift 3
  echo "== $name ($dir)"
  if ! configure_and_build "$dir" "$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"; then
    failed+=("$name: build")
    return
  fi
  (cd "$dir" && ctest --output-on-failure -j "$jobs") || failed+=("$name: tests")
}

compile_only() { # name, dir, compiler
  echo "== $1 ($2)"
  configure_and_build "$2" "$3" -DCMAKE_BUILD_TYPE=Release || failed+=("$1: build")
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

run_suite "gcc" "$build" gcc -DVIRAL_SANITIZE=OFF
run_suite "gcc ASan+UBSan" "$sanitize" gcc -DVIRAL_SANITIZE=ON
run_suite "clang ASan+UBSan" build-clang-sanitize clang -DVIRAL_SANITIZE=ON
compile_only "gcc Release" build-release-gcc gcc
compile_only "clang Release" build-release-clang clang

fuzz_seconds=${VIRAL_FUZZ_SECONDS:-}
[ -z "$fuzz_seconds" ] && [ "${CI:-}" = true ] && fuzz_seconds=30
if [ -n "$fuzz_seconds" ]; then
  echo "== fuzz (${fuzz_seconds} s per harness)"
  tools/fuzz.sh "$fuzz_seconds" || failed+=("fuzz")
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "== FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "== all stages passed"
