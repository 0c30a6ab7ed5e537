#!/usr/bin/env bash
# run_golden.sh VIRAL FILE.test - run one CLI golden test.
#
# A .test file is plain text:
#   args: describe --json tests/cli/data/tiny.csv    (shell words, run from the repo root)
#   stdin: tests/cli/data/tiny.csv                   (optional; default /dev/null)
#   exit: 0
#   --- stdout                                       (optional: exact expected stdout)
#   ...
#   --- stderr                                       (optional: exact expected stderr)
#   ...
# A section that is absent is not checked. "viral" in args is the binary under test.
set -u
viral=$1 test=$2
args=$(sed -n 's/^args: //p' "$test" | head -n1)
stdin=$(sed -n 's/^stdin: //p' "$test" | head -n1)
want_exit=$(sed -n 's/^exit: //p' "$test" | head -n1)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
awk -v dir="$tmp" '/^--- stdout$/ {f=dir"/want_out"; printf "" > f; next}
                   /^--- stderr$/ {f=dir"/want_err"; printf "" > f; next}
                   f {print > f}' "$test"
eval "set -- $args"
"$viral" "$@" < "${stdin:-/dev/null}" > "$tmp/out" 2> "$tmp/err"
got_exit=$?
status=0
if [ "$got_exit" != "$want_exit" ]; then
  echo "$test: exit status $got_exit, expected $want_exit"; status=1
fi
for s in out err; do
  if [ -f "$tmp/want_$s" ] && ! diff -u "$tmp/want_$s" "$tmp/$s"; then
    echo "$test: std$s differs (above)"; status=1
  fi
done
[ $status = 0 ] || { echo "--- stderr was:"; cat "$tmp/err"; }
exit $status
