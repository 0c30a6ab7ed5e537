#!/usr/bin/env bash
# gbt_cli.sh VIRAL - the gbt learner from the command line:
#   1. train -> model file -> score gives the same probabilities in every
#      process, with and without --explain, and eval --predictions gives the
#      scores a model trained on the same rows gives;
#   2. --explain lists the trees' SHAP values;
#   3. update adds trees and leaves the old file untouched on error;
#   4. inspect lists features by total gain; tune searches the trees' grid;
#   5. a damaged gbt model is refused with FILE: reason, exit 1, no output;
#   6. what the trees cannot do is refused with the reason: eval
#      --progressive and stream need an online learner.
set -u
viral=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
status=0
fail() { echo "gbt_cli.sh: $*"; status=1; }
opts=(--learner gbt --threads 1 --rounds 200 --min-feature-rows 5)

"$viral" gen --videos 1500 --seed 3 -o d.csv || exit 1
"$viral" gen --videos 1500 --seed 4 -o new.csv || exit 1
"$viral" train -q "${opts[@]}" -o m.json d.csv || { fail "train failed"; exit 1; }

# ---- 1. the same probabilities in every process ----
"$viral" score -m m.json -o s1.csv new.csv || fail "score failed"
"$viral" score -m m.json -o s2.csv new.csv || fail "second score failed"
cmp -s s1.csv s2.csv || fail "two scores of one model differ"
"$viral" score -m m.json --explain 3 -o e.csv new.csv || fail "score --explain failed"
cmp -s <(cut -d, -f1-3 s1.csv) <(cut -d, -f1-3 e.csv) || fail "--explain changed the probabilities"
[ "$(awk -F, 'NR > 1 && $2 > 0.5' s1.csv | wc -l)" -gt 0 ] || fail "no video scored above 0.5"

# ---- 2. reasons are SHAP values of the features ----
head -2 e.csv | tail -1 | grep -q -- '-> [-+][0-9.]*; ' || fail "--explain gave no reasons: $(head -2 e.csv)"

# ---- 3. update adds trees; a failed update leaves the file ----
trees() { "$viral" inspect --json "$1" | sed -n 's/.*"trees":[[:space:]]*\([0-9]*\).*/\1/p'; }
before=$(trees m.json)
cp m.json m0.json
"$viral" gen --videos 6000 --seed 5 -o more.csv || exit 1
"$viral" update -q -m m.json more.csv || fail "update failed"
after=$(trees m.json)
[ -n "$before" ] && [ -n "$after" ] && [ "$after" -gt "$before" ] || fail "update did not add trees ($before -> $after)"
"$viral" inspect m.json | grep -q ', 1 update$' || fail "inspect does not count the update"
cp m0.json kept.json
printf 'video_id\nv1\n' > nolabel.csv
"$viral" update -q -m kept.json nolabel.csv 2> err.txt && fail "update on rows without fields succeeded"
cmp -s m0.json kept.json || fail "a failed update changed the model file"

# ---- 4. inspect and tune ----
"$viral" inspect m.json > i.txt || fail "inspect failed"
grep -q 'importance   total gain' i.txt || fail "inspect lists no gain: $(cat i.txt)"
"$viral" inspect --json m.json | grep -q '"top_importance"' || fail "inspect --json has no top_importance"
"$viral" tune -q --learner gbt --threads 1 --rounds 50 --folds 2 --max-depth-grid 2,3 --eta-grid 0.3 \
  --min-child-weight-grid 1 d.csv > t.txt || fail "tune failed"
grep -q 'max-depth' t.txt || fail "tune did not report max-depth: $(cat t.txt)"
"$viral" tune -q --learner gbt --max-depth-grid 2,2.5 d.csv 2> err.txt
[ $? = 2 ] && grep -q -- '--max-depth-grid: 2.5 is not a value of max-depth' err.txt ||
  fail "a bad grid value was not a usage error: $(cat err.txt)"

# ---- 5. damaged models ----
sed 's/split_conditions/split_condition/' m0.json > bad.json
"$viral" score -m bad.json -o out.csv new.csv 2> err.txt
[ $? = 1 ] || fail "a damaged model did not exit 1"
grep -q '^viral score: bad.json: ' err.txt || fail "the error does not name the file: $(cat err.txt)"
[ -e out.csv ] && fail "a damaged model left out.csv"
head -c 2000 m0.json > cut.json
"$viral" score -m cut.json new.csv > /dev/null 2> err.txt
[ $? = 1 ] && grep -q 'cut.json' err.txt || fail "a cut model was not refused: $(cat err.txt)"

# ---- 6. refusals ----
"$viral" eval --progressive --learner gbt d.csv > /dev/null 2> err.txt
[ $? = 2 ] && grep -q 'not gbt' err.txt || fail "eval --progressive --learner gbt: $(cat err.txt)"

exit $status
