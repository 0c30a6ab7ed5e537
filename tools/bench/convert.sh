#!/usr/bin/env bash
# convert.sh - rows/s of `viral convert` against a bare libcsv + strtod parse
# of the same 1M-row CSV (19 numeric columns, the canonical schema). Target
# (DESIGN.md section 10): convert within 1.5x of the bare parse.
#
# usage: tools/bench/convert.sh [ROWS]   (default 1000000; needs a built build/viral)
# The spec is the default spec with scaling "none", so convert reads the file
# once, as the bare parse does; the fitted (two-pass) default is timed too.
set -eu
cd "$(dirname "$0")/../.."
rows=${1:-1000000}
viral=${VIRAL:-build/viral}
work=${VIRAL_BENCH_DIR:-build/bench}
mkdir -p "$work"
[ -x "$viral" ] || { echo "convert.sh: build viral first ($viral missing)" >&2; exit 1; }
csv=$work/canonical-$rows.csv
[ -s "$csv" ] || { awk -v n="$rows" -f tools/bench/gen_csv.awk > "$csv.tmp" && mv "$csv.tmp" "$csv"; }
cc -O2 -o "$work/bare_parse" tools/bench/bare_parse.c -lcsv
sed 's/"scaling": "standard"/"scaling": "none"/' datasets/default.spec.json > "$work/unscaled.spec.json"

now() { date +%s.%N; }
time_it() { # label, command...
  local label=$1; shift
  local t0 t1
  t0=$(now); "$@" > /dev/null || { echo "convert.sh: $label failed" >&2; exit 1; }; t1=$(now)
  echo "$t1 - $t0" | bc
}
bytes=$(stat -c %s "$csv")
echo "input: $csv ($rows rows, $bytes bytes)"
bare=$(time_it bare "$work/bare_parse" "$csv")
conv=$(time_it convert "$viral" convert --spec "$work/unscaled.spec.json" --to libsvm "$csv")
fitted=$(time_it fitted "$viral" convert --to libsvm "$csv")
rate() { echo "scale=0; $rows / $1" | bc; }
printf '%-40s %8.2f s %10s rows/s\n' "bare libcsv + strtod parse" "$bare" "$(rate "$bare")"
printf '%-40s %8.2f s %10s rows/s\n' "viral convert --to libsvm (one pass)" "$conv" "$(rate "$conv")"
printf '%-40s %8.2f s %10s rows/s\n' "viral convert, default spec (fit+write)" "$fitted" "$(rate "$fitted")"
printf 'ratio convert / bare parse: %.2f (target <= 1.5)\n' "$(echo "$conv / $bare" | bc -l)"
