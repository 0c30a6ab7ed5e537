#!/usr/bin/env bash
# export_folds.sh VIRAL - viral eval --export-folds DIR writes each fold as
# the learner sees it:
#   1. the test rows of each fold are the rows --predictions gives that fold,
#      with the same records and labels (a top:P% label: the fold's own);
#   2. the training rows of a temporal fold are exactly the rows posted
#      before its test part, in time order, whatever the file's order;
#   3. the vectors are viral's: with a pipeline that needs no fitting they
#      are the lines `viral convert --to libsvm` writes for those records;
#      each .svm has one line per .csv row, with its label;
#   4. liblinear-train / liblinear-predict and svm-train read the files;
#   5. the manifest says what was done;
#   6. all or none: a DIR that is not empty, a file, another output that
#      fails, or a fold that fails leave no DIR and no temporary directory;
#      --export-folds does not go with --progressive (exit 2).
set -u
viral=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
status=0
fail() { echo "export_folds.sh: $*"; status=1; }

# 300 videos in shuffled order (the folds must follow posted_at, not the file)
"$viral" gen --videos 300 --seed 3 -q -o g.csv || exit 1
{ head -1 g.csv; tail -n +2 g.csv | awk 'BEGIN { srand(7) } { print rand() "\t" $0 }' | sort | cut -f2-; } > d.csv
[ "$(cut -d, -f2 d.csv | sort | uniq -d | wc -l)" = 0 ] || { echo "export_folds.sh: the data has tied posted_at"; exit 1; }
cmp -s <(cut -d, -f1 d.csv) <(cut -d, -f1 g.csv) && { echo "export_folds.sh: the shuffle did nothing"; exit 1; }

# ---- 1, 2, 5: a temporal run with a quantile label (the pipeline is fitted per fold) ----
"$viral" eval -q --temporal --folds 4 --label 'top:10%:views_final' --predictions pred.csv \
  --export-folds out d.csv > /dev/null || fail "eval --export-folds failed"
[ -d out ] || { echo "export_folds.sh: no directory out"; exit 1; }
for f in 1 2 3 4; do
  # 1. test records and labels = those --predictions gives fold f (both in row order)
  cmp -s <(tail -n +2 out/fold-$f-test.csv | cut -d, -f1,4) \
         <(awk -F, -v f=$f 'NR > 1 && $3 == f { print $1 "," $4 }' pred.csv) ||
    fail "fold $f: the exported test records and labels differ from --predictions"
  # 2. training rows = the rows posted before the first test row (ISO times sort as text)
  first=$(tail -n +2 out/fold-$f-test.csv | cut -d, -f2 |
          awk -F, 'NR == FNR { want[$1] = 1; next } ($1 in want) { print $2 }' - d.csv | sort | head -1)
  cmp -s <(tail -n +2 out/fold-$f-train.csv | cut -d, -f2 | sort) \
         <(awk -F, -v t="$first" 'NR > 1 && $2 < t { print $1 }' d.csv | sort) ||
    fail "fold $f: the training rows are not the rows posted before $first"
  tail -n +2 out/fold-$f-train.csv | cut -d, -f3 | sort -c -n 2> /dev/null ||
    fail "fold $f: the training rows are not in time order"
  # 3. one vector line per row, with its label
  for part in train test; do
    cmp -s <(cut -d' ' -f1 out/fold-$f-$part.svm) <(tail -n +2 out/fold-$f-$part.csv | cut -d, -f4) ||
      fail "fold $f $part: the .svm labels differ from the .csv rows"
  done
done
grep -q '"format":[[:space:]]*"viral-folds"' out/manifest.json || fail "manifest: no format"
grep -q '"split":[[:space:]]*"temporal"' out/manifest.json || fail "manifest: not temporal"
grep -q '"fold_count":[[:space:]]*4' out/manifest.json || fail "manifest: not 4 folds"
grep -q '"label":[[:space:]]*"top:10%:views_final"' out/manifest.json || fail "manifest: no label rule"
[ "$(grep -c '"label_threshold":[[:space:]]*[0-9]' out/manifest.json)" = 4 ] || fail "manifest: no threshold per fold"
# each fold's own threshold labels its rows: the top 10% of its training part
# (k = ceil(n p) rows; views_final has no ties there in this data)
for f in 1 2 3 4; do
  awk -F, 'NR > 1 { n++; p += $4 } END { k = int(n / 10); if (k * 10 < n) k++; if (p != k) exit 1 }' \
    out/fold-$f-train.csv || fail "fold $f: the training part is not labelled by its own top 10%"
done

# 4. the reference tools read the files
liblinear-train -q -s 0 out/fold-2-train.svm lin.model > /dev/null 2>&1 || fail "liblinear-train refused fold-2-train.svm"
liblinear-predict -b 1 out/fold-2-test.svm lin.model lin.out > /dev/null 2>&1 || fail "liblinear-predict refused fold-2-test.svm"
[ "$(($(wc -l < lin.out) - 1))" = "$(($(wc -l < out/fold-2-test.csv) - 1))" ] || fail "liblinear-predict: not one prediction per test row"
svm-train -q -t 0 out/fold-2-train.svm svm.model > /dev/null 2>&1 || fail "svm-train refused fold-2-train.svm"

# ---- 3. no fitting (the logistic learner, a 0/1 label): the vectors are convert's ----
cat > none.spec.json <<'EOF'
{"window": "2h", "label": "viral", "hash_bits": 12, "scaling": "none",
 "missing": {"fill": 0, "indicator": true},
 "features": [{"transform": "log_views"}, {"transform": "log_ratio", "fields": ["likes_2h", "views_2h"]},
              {"transform": "clip", "field": "watch_ratio_2h", "min": 0, "max": 1},
              {"transform": "hour", "field": "posted_at"}, {"transform": "hash", "field": "author_id"},
              {"transform": "hash_list", "field": "hashtags"}]}
EOF
"$viral" eval -q --folds 3 --spec none.spec.json --export-folds plain d.csv > /dev/null || fail "eval --export-folds (stratified) failed"
"$viral" convert --spec none.spec.json --to libsvm d.csv > all.svm || fail "convert failed"
for f in 1 2 3; do
  cmp -s plain/fold-$f-test.svm <(tail -n +2 plain/fold-$f-test.csv | cut -d, -f1 |
    awk 'NR == FNR { line[FNR] = $0; next } { print line[$1] }' all.svm -) ||
    fail "fold $f: the exported test vectors are not convert's lines of those records"
done
grep -q '"split":[[:space:]]*"stratified"' plain/manifest.json || fail "manifest: not stratified"
grep -q '"pipeline_fitted_per_fold":[[:space:]]*false' plain/manifest.json || fail "manifest: fitted per fold?"

# ---- 6. all or none ----
no_temporaries() {
  local left
  left=$(compgen -G '*.tmp.*')
  [ -n "$left" ] && fail "$1: a temporary directory was left: $left"
}
mkdir full && touch full/keep
"$viral" eval -q --export-folds full d.csv > /dev/null 2> err
[ $? = 1 ] || fail "a DIR that is not empty: not exit 1"
grep -q "^viral eval: full: exists and is not empty" err || fail "a DIR that is not empty: $(cat err)"
[ "$(ls -A full)" = keep ] || fail "a DIR that is not empty was changed"
touch afile
"$viral" eval -q --export-folds afile d.csv > /dev/null 2> err && fail "a DIR that is a file: exit 0"
grep -q "afile: exists and is not a directory" err || fail "a DIR that is a file: $(cat err)"
mkdir empty
"$viral" eval -q --folds 2 --export-folds empty/ d.csv > /dev/null || fail "an empty DIR was refused"
[ -f empty/manifest.json ] || fail "an empty DIR was not filled"
"$viral" eval -q --export-folds x1 --json no/such/dir/r.json d.csv > /dev/null 2> err && fail "a failing --json: exit 0"
[ -e x1 ] && fail "a failing --json left the exported directory"
# a fold that fails: the svm on a training part of one class (every positive in the last part)
cut=$(tail -n +2 d.csv | sort -t, -k2,2 | head -n 240 | cut -d, -f35 | sort -n | tail -1)
"$viral" eval -q --temporal --folds 4 --learner svm --label "views_final>$cut" --export-folds x2 d.csv > /dev/null 2> err &&
  fail "a failing fold: exit 0"
[ -e x2 ] && fail "a failing fold left the exported directory"
no_temporaries "failures"
"$viral" eval -q --progressive --export-folds x3 d.csv > /dev/null 2> err
[ $? = 2 ] || fail "--progressive --export-folds: not a usage error"
grep -q -- "--export-folds does not go with --progressive" err || fail "--progressive --export-folds: $(cat err)"

[ $status = 0 ] && echo "export_folds.sh: ok"
exit $status
