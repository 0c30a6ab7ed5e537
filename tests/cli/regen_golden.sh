#!/usr/bin/env bash
# regen_golden.sh VIRAL FILE.test... - rewrite the stdout section of golden
# tests from the binary's current output, after a deliberate change of
# behaviour (review the diff before committing: a golden is a claim).
set -eu
viral=$1; shift
for test in "$@"; do
  args=$(sed -n 's/^args: //p' "$test" | head -n1)
  stdin=$(sed -n 's/^stdin: //p' "$test" | head -n1)
  out=$(mktemp)
  (eval "set -- $args"; "$viral" "$@" < "${stdin:-/dev/null}" > "$out" 2>/dev/null) || true
  awk -v outf="$out" '
    /^--- stdout$/ { print; while ((getline l < outf) > 0) print l; skip = 1; next }
    /^--- / { skip = 0 }
    !skip { print }' "$test" > "$test.new"
  mv "$test.new" "$test"
  rm -f "$out"
done
