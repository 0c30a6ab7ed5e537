#!/usr/bin/env bash
# convert.sh - rows/s of `viral convert` against a bare libcsv + strtod parse
# of the same CSV (default 1M rows x 19 numeric columns of the canonical
# schema, DESIGN.md section 10). Target: featurizing within 1.5x of the bare
# parse. Three numbers, best of 3 runs each:
#   bare       tools/bench/bare_parse.c: libcsv + strtod on every cell
#   featurize  tools/bench/featurize.c: viral reader + pipeline, no output
#   convert    `viral convert --to libsvm > /dev/null`: the same plus writing
#              every value so that it reads back exactly
#   vw         the same with `--to vw` (names and namespaces instead of indices)
# The spec is the default spec with scaling "none" (one pass over the file, as
# the bare parse makes); the fitted default spec (two passes) is timed once.
#
# usage: tools/bench/convert.sh [ROWS]   (after a build in build/, or VIRAL_BUILD_DIR)
set -eu
cd "$(dirname "$0")/../.."
rows=${1:-1000000}
build=${VIRAL_BUILD_DIR:-build}
viral=$build/viral
work=$build/bench
mkdir -p "$work"
[ -x "$viral" ] || { echo "convert.sh: build viral first ($viral missing)" >&2; exit 1; }
cc=${CC:-cc}
csv=$work/canonical-$rows.csv
[ -f "$csv" ] || awk -v n="$rows" -f tools/bench/gen_csv.awk > "$csv"
$cc -O2 -o "$work/bare_parse" tools/bench/bare_parse.c -lcsv
$cc -O2 -Iinclude -o "$work/featurize" tools/bench/featurize.c "$build/libviral.a" \
  -lcsv -lcjson -lyajl -lsvm -lm
sed 's/"scaling": "standard"/"scaling": "none"/' datasets/default.spec.json > "$work/unscaled.spec.json"

best() { # runs command... -> best wall time in seconds
  local runs=$1 b= s e; shift
  for _ in $(seq "$runs"); do
    s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N)
    b=$(echo "$s $e ${b:-}" | awk '{ t = $2 - $1; if ($3 == "" || t < $3) print t; else print $3 }')
  done
  echo "$b"
}
line() { awk -v l="$1" -v t="$2" -v n="$rows" -v base="$3" \
  'BEGIN { printf "%-44s %7.2f s %9d rows/s  %5.2fx bare\n", l, t, n / t, t / base }'; }

echo "input: $csv ($rows rows, $(stat -c %s "$csv") bytes), load average $(cut -d' ' -f1-3 /proc/loadavg)"
bare=$(best 3 "$work/bare_parse" "$csv")
feat=$(best 3 "$work/featurize" "$work/unscaled.spec.json" "$csv")
conv=$(best 3 "$viral" convert --allow-missing --spec "$work/unscaled.spec.json" --to libsvm "$csv")
vw=$(best 1 "$viral" convert --allow-missing --spec "$work/unscaled.spec.json" --to vw "$csv")
fitted=$(best 1 "$viral" convert --allow-missing --to libsvm "$csv")
line "bare libcsv + strtod parse" "$bare" "$bare"
line "featurize (read + pipeline, no output)" "$feat" "$bare"
line "viral convert --to libsvm (one pass)" "$conv" "$bare"
line "viral convert --to vw (one pass)" "$vw" "$bare"
line "viral convert, default spec (fit + write)" "$fitted" "$bare"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
