# lib.sh - helpers sourced by the benchmark scripts (bash). Not a benchmark.
# shellcheck shell=bash
# Needs a build in $VIRAL_BUILD_DIR (default build/) and GNU time (/usr/bin/time,
# Debian package "time"). Every timing is one wall-clock run: read ratios, not
# absolute seconds, and expect a few percent of noise on a shared machine.

build=${VIRAL_BUILD_DIR:-build}
viral=${VIRAL:-$build/viral}
work=${VIRAL_BENCH_DIR:-$build/bench}
mkdir -p "$work"
[ -x "$viral" ] || { echo "$0: build viral first: tools/build.sh ($viral missing)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "$0: needs GNU time: apt-get install time" >&2; exit 1; }

# measure NAME command... : runs the command (stdout kept by the caller's
# redirections), sets ${NAME}_s (wall seconds), ${NAME}_kb (peak RSS, KiB)
# and ${NAME}_cpu (user + system seconds, all threads: steadier than the
# wall clock when the machine is busy).
measure() {
  local name=$1; shift
  /usr/bin/time -f '%e %M %U %S' -o "$work/.time" "$@"
  local s kb user sys
  read -r s kb user sys < "$work/.time"
  printf -v "${name}_s" '%s' "$s"
  printf -v "${name}_kb" '%s' "$kb"
  printf -v "${name}_cpu" '%.2f' "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')"
}

# bench_cc OUT SOURCE: compile a bench helper against the static library.
bench_cc() {
  local mpi=
  # a library built with MPI (VIRAL_MPI) links Open MPI's
  grep -q '^VIRAL_MPI:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null && mpi=$(pkg-config --libs ompi-c)
  # shellcheck disable=SC2086 # $mpi is a list of flags
  ${CC:-cc} -O2 -std=c11 -Wall -Wextra -Iinclude -o "$1" "$2" "$build/libviral.a" \
    -lsvm -llinear -lcsv -lcjson -lyajl -lm $mpi
}

# gen_data N: path of a cached `viral gen --videos N` CSV (seed 1).
gen_data() {
  local f=$work/gen-$1.csv
  [ -s "$f" ] || "$viral" gen --quiet --videos "$1" -o "$f"
  echo "$f"
}

# div A B [FMT]: A / B printed with FMT (default %.2f).
div() { awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN { if (b == 0) print "n/a"; else printf f "\n", a / b }'; }

# auc LABELS PROBS: ROC AUC of two one-number-per-line files (same row order).
auc() { paste -d ' ' "$1" "$2" | "$work/auc"; }

# split_data VIDEOS DIR: `viral gen --videos VIDEOS` rows split by position,
# first 80% to DIR/train.csv, last 20% to DIR/test.csv (both with the
# header); sets ntrain and ntest. The data file's path is in $data.
split_data() {
  data=$(gen_data "$1")
  local rows=$(($(wc -l < "$data") - 1))
  ntrain=$((rows * 8 / 10))
  ntest=$((rows - ntrain))
  mkdir -p "$2"
  head -n $((ntrain + 1)) "$data" > "$2/train.csv"
  { head -n 1 "$data"; tail -n "$ntest" "$data"; } > "$2/test.csv"
}

# split_svm DIR: DIR/all.svm split as split_data split the CSV, into
# DIR/train.svm and DIR/test.svm, and the test labels into DIR/labels.
split_svm() {
  head -n "$ntrain" "$1/all.svm" > "$1/train.svm"
  tail -n "$ntest" "$1/all.svm" > "$1/test.svm"
  cut -d ' ' -f 1 "$1/test.svm" > "$1/labels"
}
