#!/bin/sh
# Bounded memory of the JSON document reader: `viral convert --to libsvm` on
# 2,000 records and on 200,000 (19 MB) in three shapes: one array under
# --json-path items; pages of 100 records back to back (concatenated
# documents, --json-path data.videos); the same pages in one top-level array
# (--json-path '[].data.videos'). A reader holding the document needs many
# times the memory on the long one (cJSON took 8x the file size); one
# streaming it record by record needs the same. Peak RSS from GNU time (a
# memory figure, not a timing). Fails when a long run peaks over 1.5x the
# short one of its shape.
# Usage: tests/json_memory.sh path/to/viral
set -eu
VIRAL=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
peak() { # shape records
  awk -v shape="$1" -v n="$2" '
    function record(i) {
      return sprintf("{\"video_id\":7455%015d,\"views_1h\":%d,\"likes_1h\":%d,\"hashtags\":[\"fyp\",\"t%d\"],\"viral\":%d}",
                     i, i % 9973, i % 97, i % 50, (i % 10 == 0))
    }
    BEGIN {
      if (shape == "array") {
        printf "{\"meta\":{\"records\":%d},\n \"items\":[\n", n
        for (i = 1; i <= n; i++) printf "%s%s\n", (i > 1 ? "," : ""), record(i)
        printf "]}\n"
        exit
      }
      if (shape == "paged") printf "["
      for (i = 1; i <= n; i++) {
        if (i % 100 == 1) printf "%s{\"data\":{\"videos\":[\n", (shape == "paged" && i > 1 ? "," : "")
        printf "%s%s\n", (i % 100 == 1 ? "" : ","), record(i)
        if (i % 100 == 0 || i == n) printf "],\"cursor\":%d,\"has_more\":%s}}\n", i, (i < n ? "true" : "false")
      }
      if (shape == "paged") printf "]\n"
    }' > "$T/data.json"
  case $1 in
  array) path=items ;;
  pages) path=data.videos ;;
  paged) path='[].data.videos' ;;
  esac
  /usr/bin/time -f %M -o "$T/rss" "$VIRAL" convert --allow-missing --to libsvm --json-path "$path" "$T/data.json" > "$T/out"
  [ "$(wc -l < "$T/out")" -eq "$2" ] || { echo "json_memory: $1: expected $2 rows" >&2; exit 1; }
  cat "$T/rss"
}
for shape in array pages paged; do
  short=$(peak $shape 2000)
  long=$(peak $shape 200000)
  echo "json_memory: $shape: peak RSS 2k records ${short} KB, 200k records ${long} KB"
  awk -v a="$short" -v b="$long" 'BEGIN { exit !(b <= 1.5 * a) }' || {
    echo "json_memory: $shape: memory grows with the document (${short} KB -> ${long} KB)" >&2
    exit 1
  }
done
