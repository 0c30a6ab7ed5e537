#!/bin/sh
# Bounded memory of the JSON document reader: `viral convert --to libsvm` on a
# JSON array of 2,000 records and of 200,000 (19 MB), under --json-path. A
# reader holding the document needs many times the memory on the long one
# (cJSON took 8x the file size); one streaming it record by record needs the
# same. Peak RSS from GNU time (a memory figure, not a timing). Fails when the
# long run peaks over 1.5x the short one.
# Usage: tests/json_memory.sh path/to/viral
set -eu
VIRAL=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
peak() { # records
  awk -v n="$1" 'BEGIN {
    printf "{\"meta\":{\"records\":%d},\n \"items\":[\n", n
    for (i = 1; i <= n; i++)
      printf "%s{\"video_id\":7455%015d,\"views_1h\":%d,\"likes_1h\":%d,\"hashtags\":[\"fyp\",\"t%d\"],\"viral\":%d}\n",
             (i > 1 ? "," : ""), i, i % 9973, i % 97, i % 50, (i % 10 == 0)
    printf "]}\n"
  }' > "$T/data.json"
  /usr/bin/time -f %M -o "$T/rss" "$VIRAL" convert --allow-missing --to libsvm --json-path items "$T/data.json" > "$T/out"
  [ "$(wc -l < "$T/out")" -eq "$1" ] || { echo "json_memory: expected $1 rows" >&2; exit 1; }
  cat "$T/rss"
}
short=$(peak 2000)
long=$(peak 200000)
echo "json_memory: peak RSS 2k records ${short} KB, 200k records ${long} KB"
awk -v a="$short" -v b="$long" 'BEGIN { exit !(b <= 1.5 * a) }' || {
  echo "json_memory: memory grows with the document (${short} KB -> ${long} KB)" >&2
  exit 1
}
