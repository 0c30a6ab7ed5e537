#!/usr/bin/env bash
# compare-outputs.sh - run a broad set of commands with two viral binaries and
# compare everything they write, byte for byte: the proof that a refactoring
# changed no behaviour.
#
#   tools/compare-outputs.sh OLD_BINARY NEW_BINARY [WORKDIR]
#
# Each binary runs the same cases in its own directory (same relative paths,
# so messages match): convert (libsvm, vw), train (each optimizer, svm
# linear/rbf, calibration, class weights, passes and shuffle, quantile
# label, bits, skip-bad-rows, stdin, JSON input), score (--explain, jsonl,
# threshold, default model), update, inspect (text, --json), eval (folds,
# temporal, svm, calibration, --json/--html/--predictions), eval
# --progressive, tune, assemble and stream on a generated log, --help of every command
# and usage and data errors. Compared: stdout, stderr, exit status and every
# file written. Normalized first, because they change from run to run: a
# model's "created_at" (and so its checksum) and elapsed seconds on stderr.
# Data that both runs read is generated once, with OLD. Exit 0 when all
# match; otherwise the differences are printed and the exit status is 1.
set -u
old=$(realpath "$1") new=$(realpath "$2")
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${3:-$(mktemp -d /tmp/viral-compare.XXXXXX)}
mkdir -p "$work/data"
rm -rf "$work/old" "$work/new"

# ---- shared data ----
d=$work/data
cp "$repo/datasets/sample.csv" "$repo/datasets/example.csv" "$repo/datasets/example.jsonl" \
   "$repo/datasets/default.spec.json" "$repo/tests/data/eval/head200.csv" \
   "$repo/tests/data/eval/head200_reversed.csv" "$repo/tests/data/inputs/research.json" \
   "$repo/tests/data/inputs/sparse.csv" "$d/"
[ -s "$d/gen.csv" ] || "$old" gen --quiet --videos 3000 --oracle 20 -o "$d/gen.csv"
[ -s "$d/gen2.csv" ] || "$old" gen --quiet --videos 1500 --seed 7 -o "$d/gen2.csv"
[ -s "$d/gen.jsonl" ] || "$old" gen --quiet --videos 400 --seed 3 --format jsonl -o "$d/gen.jsonl"
[ -s "$d/log.jsonl" ] || "$old" gen --quiet --log --format jsonl --videos 400 --days 3 --seed 5 -o "$d/log.jsonl"
head -n 1501 "$d/sample.csv" > "$d/a.csv"
{ head -n 1 "$d/sample.csv"; tail -n +1502 "$d/sample.csv" | head -n 1500; } > "$d/b.csv"
# rows that fail: a negative count, a bad number, a bad time, no label
awk -F, 'NR == 5 { $11 = "-5" } NR == 9 { $12 = "abc" } NR == 13 { $2 = "2026-02-31T00:00:00Z" }
         NR == 17 { $NF = "" } { print }' OFS=, "$d/head200.csv" > "$d/bad.csv"
sed 's/"scaling": "standard"/"scaling": "none"/' "$d/default.spec.json" > "$d/unscaled.spec.json"
# no row has a label
awk -F, 'NR > 1 { $(NF - 2) = "" } { print }' OFS=, "$d/head200.csv" > "$d/nolabel.csv"

# ---- the cases: NAME then the arguments ("V" is the binary) ----
cases() {
  c help_train V train --help
  c help_eval V eval --help
  c help_tune V tune --help
  c help_update V update --help
  c help_score V score --help
  c help_inspect V inspect --help
  c help_convert V convert --help
  c help_stream V stream --help
  c help_all V --help

  c conv_libsvm V convert --to libsvm -o out/sample.svm data/sample.csv
  c conv_libsvm_stdout V convert --to libsvm data/head200.csv
  c conv_vw V convert --to vw -o out/sample.vw data/sample.csv
  c conv_vw_unscaled V convert --spec data/unscaled.spec.json --to vw data/head200.csv
  c conv_libsvm_unscaled V convert --spec data/unscaled.spec.json data/gen.csv
  c conv_quantile V convert --label top:10%:views_final data/head200.csv
  c conv_jsonl V convert --spec data/unscaled.spec.json data/gen.jsonl
  c conv_bad V convert data/bad.csv
  c conv_bad_skip V convert --skip-bad-rows data/bad.csv
  c conv_bad_skip_vw V convert --to vw --skip-bad-rows data/bad.csv
  c conv_missing V convert --json-path data.videos data/research.json
  c conv_missing_allow V convert --allow-missing --spec data/unscaled.spec.json --json-path data.videos data/research.json
  c conv_sparse V convert --spec data/unscaled.spec.json data/sparse.csv
  c conv_stdin_unscaled V convert --allow-missing --spec data/unscaled.spec.json - '<' data/example.csv

  c train_ftrl V train -o out/ftrl.json data/sample.csv
  c train_adagrad V train --optimizer adagrad -o out/adagrad.json data/sample.csv
  c train_sgd V train --optimizer sgd --alpha 0.2 -o out/sgd.json data/sample.csv
  c train_l1 V train --l1 1 --l2 0.5 --bits 20 -o out/l1.json data/sample.csv
  c train_nonorm V train --no-normalize -o out/nonorm.json data/gen.csv
  c train_passes V train --passes 3 --shuffle --seed 7 -o out/passes.json data/sample.csv
  c train_balanced V train --class-weight balanced -o out/balanced.json data/sample.csv
  c train_weights V train --class-weight 1:4 -o out/weights.json data/sample.csv
  c train_platt V train --calibrate platt -o out/platt.json data/sample.csv
  c train_isotonic V train --calibrate isotonic --calibration-fraction 0.3 -o out/isotonic.json data/sample.csv
  c train_quantile V train --label top:10%:views_final -o out/quantile.json data/sample.csv
  c train_threshold V train --threshold 0.3 -o out/threshold.json data/gen.csv
  c train_a V train -o out/a.json data/a.csv
  c train_svm V train --learner svm -o out/svm.json data/head200.csv
  c train_svm_rbf V train --learner svm --kernel rbf --C 4 -o out/rbf.json data/head200.csv
  c train_svm_gamma V train --learner svm --kernel rbf --gamma 0.05 --class-weight balanced -o out/rbf2.json data/head200.csv
  c train_svm_platt V train --learner svm --calibrate platt -o out/svmplatt.json data/head200.csv
  c train_svm_iso V train --learner svm --calibrate isotonic --label top:20%:views_final -o out/svmiso.json data/head200.csv
  c train_svm_a V train --learner svm -o out/svm_a.json data/head200_reversed.csv
  c train_stdin V train -o out/stdin.json - '<' data/head200.csv
  c train_stdin_two V train --class-weight balanced -o out/x.json - '<' data/head200.csv
  c train_jsonl V train -o out/jsonl.json data/gen.jsonl
  c train_bad V train -o out/bad.json data/bad.csv
  c train_bad_skip V train --skip-bad-rows -o out/badskip.json data/bad.csv
  c train_svm_bad_skip V train --learner svm --skip-bad-rows -o out/svmbadskip.json data/bad.csv
  c train_missing V train -o out/x.json --json-path data.videos data/research.json
  c train_missing_q V train --learner svm --label top:10%:views_final -o out/x.json --json-path data.videos data/research.json
  c train_nolabels V train -o out/x.json data/nolabel.csv
  c train_svm_nolabels V train --learner svm -o out/x.json data/nolabel.csv
  c eval_nolabels V eval data/nolabel.csv
  c train_badopt1 V train --learner tree -o out/x.json data/head200.csv
  c train_badopt2 V train --passes 0 -o out/x.json data/head200.csv
  c train_badopt3 V train --learner svm --C -1 -o out/x.json data/head200.csv
  c train_badopt4 V train --class-weight 1:x -o out/x.json data/head200.csv
  c train_badopt5 V train --optimizer adagrad --beta 0 -o out/x.json data/head200.csv
  c train_badopt6 V train --bits 4 -o out/x.json data/head200.csv
  c train_badopt7 V train --alpha abc -o out/x.json data/head200.csv
  c train_badopt8 V train --kernel poly -o out/x.json data/head200.csv
  c train_badopt9 V train --seed -1 -o out/x.json data/head200.csv
  c train_leaky V train --allow-leakage -o out/leaky.json data/head200.csv
  c train_svm_ignored V train --learner svm --alpha 3 --passes 2 -o out/svm_ignored.json data/head200.csv

  for m in ftrl adagrad sgd l1 passes balanced platt isotonic quantile threshold svm rbf rbf2 svmplatt svmiso; do
    c "score_$m" V score -m out/$m.json data/head200.csv
  done
  c score_explain V score -m out/ftrl.json --explain 3 data/gen2.csv
  c score_explain_svm V score -m out/svm.json --explain 5 data/head200.csv
  c score_explain_rbf V score -m out/rbf.json --explain 2 --to jsonl data/head200.csv
  c score_jsonl V score -m out/platt.json --to jsonl --explain 3 data/gen.jsonl
  c score_threshold V score -m out/ftrl.json --threshold 0.01 -o out/scores.csv data/sample.csv
  c score_default V score --explain 1 data/example.csv
  c score_bad V score -m out/ftrl.json data/bad.csv
  c score_bad_skip V score -m out/ftrl.json --skip-bad-rows data/bad.csv
  c score_missing V score -m out/ftrl.json --json-path data.videos data/research.json
  c score_missing_allow V score -m out/ftrl.json --allow-missing --explain 2 --json-path data.videos data/research.json
  c score_sparse V score -m out/ftrl.json data/sparse.csv
  c score_stdin V score -m out/svm.json --allow-missing - '<' data/example.jsonl

  c update_a V update -m out/a.json data/b.csv
  c update_ftrl_o V update -m out/ftrl.json -o out/ftrl_updated.json data/gen2.csv
  c update_svm V update -m out/svm_a.json --budget 30 data/head200.csv
  c update_svm_all V update -m out/svm.json -o out/svm_updated.json data/gen2.csv
  c update_bad V update -m out/quantile.json -o out/x.json data/bad.csv
  c update_bad_skip V update -m out/quantile.json --skip-bad-rows -o out/quantile_upd.json data/bad.csv
  c update_missing V update -m out/ftrl.json -o out/x.json --json-path data.videos data/research.json

  for m in ftrl adagrad sgd l1 nonorm passes balanced platt isotonic quantile a svm rbf svmplatt svmiso ftrl_updated svm_updated svm_a; do
    c "inspect_$m" V inspect --top 7 out/$m.json
    c "inspect_json_$m" V inspect --json out/$m.json
  done

  c eval_folds V eval --folds 5 --per-fold data/gen.csv
  c eval_outputs V eval --json out/eval.json --html out/eval.html --predictions out/eval.csv data/sample.csv
  c eval_temporal V eval --temporal --gap 2h --per-fold data/sample.csv
  c eval_temporal_rev V eval --temporal --per-fold data/head200_reversed.csv
  c eval_quantile V eval --label top:10%:views_final --per-fold data/head200.csv
  c eval_svm V eval --learner svm --per-fold --json out/evalsvm.json data/head200.csv
  c eval_svm_rbf V eval --learner svm --kernel rbf --temporal --folds 3 data/head200.csv
  c eval_calib V eval --calibrate isotonic --class-weight balanced --passes 2 --shuffle data/sample.csv
  c eval_svm_calib V eval --learner svm --calibrate platt --folds 3 --predictions out/evalsvm.csv data/head200.csv
  c eval_views V eval --views-field views_2h --allow-leakage data/head200.csv
  c eval_views_leak V eval --allow-leakage --views-field views_6h --folds 3 data/head200.csv
  c eval_bad_skip V eval --skip-bad-rows data/bad.csv
  c eval_bad V eval data/bad.csv
  c eval_missing V eval --json-path data.videos data/research.json
  c eval_jsonl V eval --folds 3 data/gen.jsonl

  c prog V eval --progressive --per-fold --window-size 500 data/sample.csv
  c prog_outputs V eval --progressive --json out/prog.json --html out/prog.html --predictions out/prog.csv --final-model out/prog_model.json data/gen.csv
  c prog_nodelay V eval --progressive --no-delay --optimizer adagrad --horizon 3d data/sample.csv
  c prog_model V eval --progressive -m out/a.json data/b.csv
  c prog_svm V eval --progressive --learner svm data/head200.csv
  c prog_svm_model V eval --progressive -m out/svm.json data/head200.csv
  c prog_passes V eval --progressive --passes 2 data/head200.csv
  c prog_model_opts V eval --progressive -m out/a.json --alpha 2 data/b.csv
  c prog_views_leak V eval --progressive --allow-leakage --views-field views_6h data/head200.csv
  c prog_views_leak_model V eval --progressive -m out/leaky.json --views-field views_6h data/head200.csv

  c tune_lr V tune --alpha-grid 0.1,0.5 --l1-grid 0 --l2-grid 0,1 --folds 3 -o out/tuned.json data/head200.csv
  c tune_lr_ll V tune --metric logloss --folds 4 --alpha-grid 0.2,1 data/sample.csv
  c tune_svm V tune --learner svm --log2c -1,3,2 --folds 3 data/head200.csv
  c tune_rbf V tune --learner svm --kernel rbf --log2c 0,2,2 --log2g -3,-1,2 --metric brier --folds 3 -o out/tuned_rbf.json data/head200.csv
  c tune_badgrid V tune --alpha-grid 0,1 data/head200.csv
  c tune_badlog V tune --learner svm --log2c 1,2 data/head200.csv

  c assemble_csv V assemble --id video_id --observed-at observed_at --posted-at posted_at --counters views,likes,shares,comments,saves,watch_ratio:number --attrs author_id,author_followers:number,author_verified:bool,duration_s:number,music_id,music_original:bool,hashtags,caption --at 1h,2h,6h --horizon 48h --label views_final'>='20000 -o out/assembled.csv data/log.jsonl
  c assemble_jsonl V assemble -q --id video_id --observed-at observed_at --posted-at posted_at --counters views,likes,shares,comments,saves,watch_ratio:number --attrs author_id,author_followers:number,author_verified:bool,duration_s:number,music_id,music_original:bool,hashtags,caption --at 1h,2h --window 2h --horizon 48h --grace 1h --label views_final'>='20000 --unlabeled keep --format jsonl -o out/assembled.jsonl data/log.jsonl
  c stream V stream -m out/ftrl.json --label views_final'>='20000 --state out/state --window 2h --horizon 2d --checkpoint-every 200 --metrics-every 100 data/log.jsonl
  c stream_again V stream --label views_final'>='20000 --state out/state data/log.jsonl
  c stream_stdout V stream -m out/a.json --label views_final'>='20000 --reasons 2 '<' data/log.jsonl
  c stream_svm V stream -m out/svm.json --state out/state2 data/log.jsonl
}

# c NAME ARGS...: run one case in the current binary's directory.
c() {
  local name=$1; shift
  local cmd="" a input=/dev/null redirect=0
  for a in "$@"; do
    if [ $redirect = 1 ]; then input=$a; redirect=0; continue; fi
    case $a in
      V) cmd+=" \"\$bin\"" ;;
      '<') redirect=1 ;;
      *) cmd+=" $(printf '%q' "$a")" ;;
    esac
  done
  (eval "$cmd" > "cases/$name.out" 2> "cases/$name.err" < "$input"; echo $? > "cases/$name.rc")
}

run_all() { # BINARY DIR
  bin=$1
  mkdir -p "$2/cases" "$2/out"
  ln -s "$d" "$2/data"
  (cd "$2" && bin=$bin && cases)
}

# Model files: "created_at" and the checksum over it differ from run to run.
normalize() { # DIR
  find "$1" -type f | while read -r f; do
    if head -c 40 "$f" | grep -q '"format":'; then
      sed -i -E 's/("created_at":[[:space:]]*)"[^"]*"/\1"T"/; s/("checksum":[[:space:]]*)"[^"]*"/\1"C"/' "$f"
    fi
    case $f in
      *.err) sed -i -E 's/[0-9]+\.[0-9]+s\b/Ns/g' "$f" ;;
    esac
  done
}

run_all "$old" "$work/old"
run_all "$new" "$work/new"
normalize "$work/old"
normalize "$work/new"
n=$(find "$work/old/cases" -name '*.rc' | wc -l)
files=$(find "$work/old/out" -type f | wc -l)
if diff -r "$work/old" "$work/new" > "$work/diff.txt"; then
  echo "compare-outputs: $n cases, $files files written: identical ($work)"
  exit 0
fi
cat "$work/diff.txt"
echo "compare-outputs: differences above ($work)"
exit 1
