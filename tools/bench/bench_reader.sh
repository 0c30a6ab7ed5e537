#!/usr/bin/env bash
# bench_reader.sh - how the CSV reader compares with a bare libcsv parse.
# Writes ROWS rows x 19 numeric columns (default 1,000,000, about 100 MB as in
# DESIGN.md section 10), then times a bare libcsv + strtod pass and the viral
# reader + viral_record_number on every cell, best of 3 each, and prints the
# ratio (target: at most 1.5). Run from the repository after a build in build/.
set -eu
cd "$(dirname "$0")/../.."
rows=${1:-1000000}
build=${VIRAL_BUILD_DIR:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc=${CC:-cc}
$cc -O2 -o "$tmp/bare" tools/bench/bare_parse.c -lcsv
$cc -O2 -Iinclude -o "$tmp/viral" tools/bench/viral_read.c "$build/libviral.a" -lcsv -lcjson -lyajl -lsvm -lm
awk -v rows="$rows" 'BEGIN {
  srand(7);
  for (j = 1; j <= 19; j++) printf "%sf%d", (j > 1 ? "," : ""), j; printf "\n";
  for (i = 0; i < rows; i++) {
    for (j = 1; j <= 19; j++) {
      if (j % 3 == 0) v = int(rand() * 100000); else v = sprintf("%.4f", rand() * 1000);
      printf "%s%s", (j > 1 ? "," : ""), v;
    }
    printf "\n";
  }
}' > "$tmp/data.csv"
echo "data: $(wc -c < "$tmp/data.csv") bytes, $rows rows x 19 columns"
best() { # command... -> best wall time of 3 runs, in seconds
  local b=
  for _ in 1 2 3; do
    local s e
    s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N)
    b=$(echo "$s $e ${b:-}" | awk '{ t = $2 - $1; if ($3 == "" || t < $3) print t; else print $3 }')
  done
  echo "$b"
}
"$tmp/bare" "$tmp/data.csv"
"$tmp/viral" "$tmp/data.csv"
bare=$(best "$tmp/bare" "$tmp/data.csv")
viral=$(best "$tmp/viral" "$tmp/data.csv")
echo "bare libcsv + strtod: ${bare} s"
echo "viral reader + viral_record_number: ${viral} s"
echo "ratio: $(echo "$viral $bare" | awk '{ printf "%.2f", $1 / $2 }') (target <= 1.5)"
