#!/usr/bin/env bash
# json_summaries.sh VIRAL - the summaries as JSON (issue 15):
#   1. train, update and tune --json - write one JSON object to stdout and
#      nothing else there; --json FILE writes it to FILE;
#   2. eval --json - (stratified and --progressive) writes the report to
#      stdout instead of the text;
#   3. the model and the summary are written both or neither: a --json that
#      cannot be created leaves no model (and an updated model as it was).
set -u
viral=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
status=0
fail() { echo "json_summaries.sh: $*"; status=1; }
# stdout of "$@" is exactly one JSON object having every key of $keys
one_object() { # keys, command...
  local keys=$1; shift
  "$@" > out.json 2> err.txt || { fail "$*: exit $?: $(cat err.txt)"; return; }
  [ "$(jq -s length out.json 2>/dev/null)" = 1 ] || { fail "$*: stdout is not one JSON value: $(head -c 300 out.json)"; return; }
  for k in $keys; do
    jq -e --arg k "$k" 'has($k)' out.json > /dev/null || fail "$*: no \"$k\" in $(head -c 300 out.json)"
  done
}

"$viral" gen --videos 300 --seed 5 -q -o d.csv || exit 1

# ---- 1. train, update, tune ----
train_keys="command model rows positives unlabeled bad_rows held_out out_of_order log_loss auc seconds"
one_object "$train_keys" "$viral" train -q --json - -o m.json d.csv
[ "$(jq -r '.command, .model, .rows' out.json | tr '\n' ' ')" = "train m.json 300 " ] || fail "train --json: $(cat out.json)"
[ -s m.json ] || fail "train --json -: no model"
# the text summary stays on stderr without -q
"$viral" train --json - -o m.json d.csv > out.json 2> err.txt
grep -q '^viral train: 300 rows' err.txt || fail "train --json -: no summary on stderr: $(cat err.txt)"
jq -e . out.json > /dev/null || fail "train --json - without -q: stdout is not JSON"
"$viral" update -q -m m.json -o m2.json --json u.json d.csv > out.txt || fail "update --json FILE failed"
[ -s out.txt ] && fail "update --json FILE wrote to stdout: $(cat out.txt)"
[ "$(jq -r '.command, .model, .rows' u.json | tr '\n' ' ')" = "update m2.json 300 " ] || fail "update --json: $(cat u.json)"
one_object "command metric folds seed rows positives label points best model" \
  "$viral" tune -q --json - -k 3 --alpha-grid 0.1,0.5 --l1-grid 0 --l2-grid 1 d.csv
[ "$(jq '.points | length' out.json)" = 2 ] || fail "tune --json: not 2 points: $(cat out.json)"
jq -e '.best.alpha == 0.1 or .best.alpha == 0.5' out.json > /dev/null || fail "tune --json: best: $(cat out.json)"
# without --json the table is text, as before
"$viral" tune -q -k 3 --alpha-grid 0.1,0.5 --l1-grid 0 --l2-grid 1 d.csv | grep -q '^best: --alpha' || fail "tune: no text table"

# ---- 2. eval --json - ----
one_object "folds predictors rows" "$viral" eval -q --json - -k 3 d.csv
"$viral" eval -q --json - --progressive --window-size 50 d.csv > out.json 2> err.txt || fail "eval --progressive --json -: $(cat err.txt)"
jq -e . out.json > /dev/null || fail "eval --progressive --json -: stdout is not JSON: $(head -c 300 out.json)"
[ "$(jq -s length out.json 2>/dev/null)" = 1 ] || fail "eval --progressive --json -: more than one value on stdout"

# ---- 3. both or neither ----
rm -f m3.json
"$viral" train -q --json no-such-dir/s.json -o m3.json d.csv 2> err.txt && fail "train --json into a missing directory succeeded"
[ -e m3.json ] && fail "train: a --json that failed left the model"
cp m.json before.json
"$viral" update -q -m m.json --json no-such-dir/s.json d.csv 2> err.txt && fail "update --json into a missing directory succeeded"
cmp -s m.json before.json || fail "update: a --json that failed changed the model"
"$viral" tune -q -k 3 --alpha-grid 0.1 --l1-grid 0 --l2-grid 1 -o m4.json --json no-such-dir/s.json d.csv > /dev/null 2>&1 &&
  fail "tune --json into a missing directory succeeded"
[ -e m4.json ] && fail "tune: a --json that failed left the model"
exit $status
