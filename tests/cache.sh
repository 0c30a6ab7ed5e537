#!/bin/sh
# The vector cache (issue 17): every command that reads rows gives from the
# cache what it gives from the input, and a bad cache is a clear error.
#   1. train (the default trainer, one online pass, calibration, an SVM
#      whose spec is scaled), eval (text, --predictions, --json, --temporal),
#      tune (table and final model), update and score (CSV and JSON lines)
#      give the same bytes from the input, from --cache (made on the first
#      run, read on the second) and from the cache given as the input; the
#      models but for created_at and checksum, stderr but for the seconds;
#   2. on datasets/sample.csv and on a generated file with unlabelled rows,
#      rows without an id and bad rows (--skip-bad-rows: the same skipped
#      messages and counts);
#   3. the note: made when missing, input changed, spec changed; nothing
#      when fresh; convert --to cache writes the file --cache makes;
#   4. errors (exit 1, no output): a truncated cache, a flipped byte, another
#      format version, a cache made with another spec given as the input, a
#      --cache that is not a cache (left as it was), standard input;
#      --explain with a cache (exit 2).
# Usage: tests/cache.sh path/to/viral
set -eu
VIRAL=$1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "cache.sh: $*" >&2; exit 1; }
cd "$T"

# stderr without its timings ("..., 1.58s")
untimed() { sed 's/, [0-9.]*s\(,\|$\)/\1/' "$1"; }
# a model without what changes from run to run
cut_model() { grep -v '"created_at"\|"checksum"' "$1"; }

# same_run NAME CMD...: CMD from the input (DATA), from --cache NAME.vc made
# then read, and from NAME.vc as the input: the same stdout, stderr (bar
# notes and seconds) and output files (out.* : models cut).
same_run() {
  name=$1
  shift
  for how in text made read direct; do
    rm -f out.*
    ${PREP:-}
    case $how in
      text) set +e; "$VIRAL" "$@" "$DATA" > "$how.out" 2> "$how.err"; rc=$?; set -e ;;
      made) rm -f "$name.vc"; set +e; "$VIRAL" "$@" --cache "$name.vc" "$DATA" > "$how.out" 2> "$how.err"; rc=$?; set -e
            grep -q "made the vector cache $name.vc (missing)" "$how.err" || fail "$name: no note: $(cat "$how.err")"
            { grep -v "made the vector cache" "$how.err" || true; } > "$how.tmp"; mv "$how.tmp" "$how.err" ;;
      read) set +e; "$VIRAL" "$@" --cache "$name.vc" "$DATA" > "$how.out" 2> "$how.err"; rc=$?; set -e
            ! grep -q 'vector cache' "$how.err" || fail "$name: a fresh cache was made again: $(cat "$how.err")" ;;
      direct) set +e; "$VIRAL" "$@" "$name.vc" > "$how.out" 2> "$how.err"; rc=$?; set -e ;;
    esac
    [ "$rc" = 0 ] || fail "$name ($how): exit $rc: $(cat "$how.err")"
    untimed "$how.err" > "$how.err.cut"
    for f in out.*; do
      [ -e "$f" ] || continue
      case $f in *.json) if grep -q '"viral-model"' "$f"; then cut_model "$f" > "$how.$f"; else sed 's/"seconds":[0-9.e+-]*//' "$f" > "$how.$f"; fi ;;
                 *) cp "$f" "$how.$f" ;; esac
    done
    [ "$how" = text ] && continue
    cmp -s text.out "$how.out" || fail "$name ($how): stdout differs: $(diff text.out "$how.out" | head -5)"
    cmp -s text.err.cut "$how.err.cut" || fail "$name ($how): stderr differs: $(diff text.err.cut "$how.err.cut" | head -5)"
    for f in text.out.*; do
      [ -e "$f" ] || continue
      g=$how.${f#text.}
      cmp -s "$f" "$g" || fail "$name ($how): $f differs: $(diff "$f" "$g" | head -5)"
    done
  done
  rm -f text.* made.* read.* direct.*
}

# ---- 1, 2: the same output, on the sample and on a generated file ----
"$VIRAL" gen -n 900 -s 5 -q > gen.csv
# an unlabelled row, a row without an id, a bad count, a row of two fields
awk -F, 'NR == 5 {$36 = ""} NR == 9 {$1 = ""} NR == 12 {$11 = "-5"} {print} NR == 20 {print "v0,2026"}' OFS=, gen.csv > messy.csv
head -n 300 "$ROOT/datasets/sample.csv" > old.csv
"$VIRAL" train -q --learner logistic --passes 1 -o start.json old.csv
for DATA in "$ROOT/datasets/sample.csv" messy.csv; do
  skip=
  [ "$DATA" = messy.csv ] && skip=--skip-bad-rows
  same_run train train $skip -o out.model.json
  same_run train train $skip --learner logistic --passes 1 --json out.summary.json -o out.model.json
  same_run train train $skip --calibrate platt -o out.model.json
  same_run eval eval $skip --folds 3 --per-fold --predictions out.pred.csv --json out.report.json
  same_run eval eval $skip --temporal --folds 2 --learner logistic --passes 1
  same_run tune tune $skip --folds 2 --learner logistic --passes 1 --alpha-grid 0.1,0.5 --l1-grid 0 --l2-grid 0,1 -o out.model.json
  PREP="cp start.json out.model.json" same_run update update $skip -m out.model.json
  same_run score score $skip -m start.json
  same_run score score $skip -m start.json --to jsonl
done
# a spec fitted on the rows (the SVM's scaling): train reads it from the cache
DATA=old.csv
same_run svm train --learner svm -o out.model.json
# eval fits it inside each fold, from the records: said, and the same report
"$VIRAL" eval --learner svm --folds 2 old.csv > svm.txt 2> /dev/null
"$VIRAL" eval --learner svm --folds 2 --cache svm.vc old.csv > svm2.txt 2> svm2.err
grep -q 'the vector cache is not used' svm2.err || fail "eval svm --cache: no note"
cmp -s svm.txt svm2.txt || fail "eval svm --cache: another report"
"$VIRAL" train -q -o svm-direct.json --learner svm svm.vc
set +e; "$VIRAL" eval --learner svm --folds 2 svm.vc > /dev/null 2> svm3.err; rc=$?; set -e
[ "$rc" = 1 ] && grep -q 'fitted inside each fold' svm3.err || fail "eval svm on a cache: exit $rc: $(cat svm3.err)"

# ---- 3: notes ----
S=$ROOT/datasets/sample.csv
cp "$S" data.csv
"$VIRAL" train -q -o m.json --cache n.vc data.csv 2> n1.err || fail "train --cache: exit $?"
[ ! -s n1.err ] || fail "-q: a note: $(cat n1.err)"
"$VIRAL" train -o m.json --cache n.vc data.csv 2> n2.err
! grep -q 'vector cache' n2.err || fail "fresh cache made again"
touch -d '2001-01-01' data.csv
"$VIRAL" train -o m.json --cache n.vc data.csv 2> n3.err
grep -q 'viral train: made the vector cache n.vc (input changed)' n3.err || fail "no input-changed note: $(cat n3.err)"
"$VIRAL" train -o m.json --label 'views_final>=100000' --cache n.vc data.csv 2> n4.err
grep -q 'viral train: made the vector cache n.vc (spec changed)' n4.err || fail "no spec-changed note: $(cat n4.err)"
"$VIRAL" convert -q --to cache -o conv.vc data.csv
"$VIRAL" train -q -o m.json --cache made.vc data.csv
cmp -s conv.vc made.vc || fail "convert --to cache and --cache made other files"

# ---- 4: bad caches ----
# expect_error WANT CMD...: exit 1, WANT on stderr, no bad.json left
expect_error() {
  want=$1
  shift
  rm -f bad.json
  set +e; "$VIRAL" "$@" > /dev/null 2> bad.err; rc=$?; set -e
  [ "$rc" = 1 ] || fail "$*: exit $rc, not 1: $(cat bad.err)"
  grep -qF "$want" bad.err || fail "$*: no '$want' in: $(cat bad.err)"
  [ ! -e bad.json ] || fail "$*: left bad.json"
}
size=$(wc -c < made.vc)
head -c $((size - 100)) made.vc > short.vc
expect_error "short.vc: truncated: $((size - 100)) of its $size bytes" train -o bad.json short.vc
head -c 40 made.vc > tiny.vc
expect_error "tiny.vc: truncated: 40 bytes, not even the 128 of the header" train -o bad.json tiny.vc
cp made.vc flip.vc
printf '\377' | dd of=flip.vc bs=1 seek=5000 conv=notrunc 2> /dev/null
expect_error "flip.vc: checksum mismatch: the file is corrupt" train -o bad.json flip.vc
expect_error "flip.vc: checksum mismatch: the file is corrupt" train -o bad.json --cache flip.vc data.csv
cp made.vc v9.vc
printf '\011' | dd of=v9.vc bs=1 seek=8 conv=notrunc 2> /dev/null
expect_error "v9.vc: vector cache format version 9, this viral reads version 1: make it again" train -o bad.json v9.vc
"$VIRAL" train -o m.json --cache v9.vc data.csv 2> v9.err
grep -q 'made the vector cache v9.vc (made by format version 9)' v9.err || fail "no version note: $(cat v9.err)"
expect_error "made.vc: the vector cache was made with another spec, options or command" train -o bad.json --label 'views_final>=100000' made.vc
expect_error "made.vc: the vector cache was made with another spec, options or command" score -m m.json -o bad.json made.vc
cp data.csv notcache.csv
expect_error "notcache.csv: not a viral vector cache (no magic)" train -o bad.json --cache notcache.csv data.csv
cmp -s data.csv notcache.csv || fail "a file that is no cache was replaced"
set +e; "$VIRAL" train -o bad.json --cache x.vc - < data.csv > /dev/null 2> stdin.err; rc=$?; set -e
[ "$rc" = 1 ] && grep -q 'stdin: --cache needs the input as a file' stdin.err || fail "stdin: exit $rc: $(cat stdin.err)"
set +e; "$VIRAL" score --explain 2 --cache s.vc data.csv > /dev/null 2> explain.err; rc=$?; set -e
[ "$rc" = 2 ] && grep -q 'a vector cache holds vectors only' explain.err || fail "--explain: exit $rc: $(cat explain.err)"
echo "cache.sh: ok"
