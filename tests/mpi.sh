#!/usr/bin/env bash
# mpi.sh VIRAL MPIEXEC VIRAL_MPI SOURCE_DIR TEST_DIST TEST_ROWS_DIST TEST_TRON TEST_SPREAD -
# viral over the processes of an MPI job on this machine (loopback,
# --oversubscribe): with 1, 2 and 4 processes the collective calls of
# viral/dist.h (the Check suite TEST_DIST, each process checking what its
# rank gets) hold, byte ranges of one input sum and fit what one process
# does (TEST_ROWS_DIST), the batch solver summing over the processes
# (TEST_TRON) fits what one process fits, the same bits on every process,
# `viral train` (TEST_SPREAD, the library's spread fit, and the CLI) fits
# the model one process fits, and `viral
# score`, `viral eval` (stratified and --temporal; text, --json, --html,
# --predictions; the HTML page's importance chart too) and `viral tune` write
# the bytes one process writes; a process that fails (a bad row in its share
# only) or is killed ends the job with a non-zero exit, a message naming the
# rank, and no output file (train: no model); update and score --log refuse to run.
# Skipped (77) when viral was built without MPI, failed under CI=true
# (tools/setup.sh installs OpenMPI there).
set -u
viral=$1 mpiexec=$2 built_with_mpi=$3 src=$4 test_dist=$5 test_rows_dist=$6 test_tron=$7 test_spread=$8
if [ "$built_with_mpi" != ON ] || [ ! -x "$mpiexec" ]; then
  echo "mpi: viral was built without MPI (install libopenmpi-dev openmpi-bin: tools/setup.sh)" >&2
  [ "${CI:-}" = true ] && exit 1
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Tests run as root in containers; shared memory between the processes of
# a job without the ptrace-based single copy, which containers forbid.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
# More processes than cores (4 on 2, beside other jobs): a process waiting
# in a collective call yields its core instead of spinning on it.
export OMPI_MCA_mpi_yield_when_idle=1
# Under ASan: the leaks LSan finds at exit inside libmpi and libopen-pal are
# Open MPI's own (never viral's).
# Open MPI's libraries have no frame pointers: LSan needs the slow unwinder
# to see them in a leak's stack (it costs seconds per run, under ASan only).
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$src/tests/lsan-mpi.supp:print_suppressions=0"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0:malloc_context_size=30"
failures=0
fail() { echo "mpi: FAIL: $*" >&2; failures=$((failures + 1)); }
run() { # processes, viral arguments...
  local n=$1; shift
  "$mpiexec" --oversubscribe -np "$n" "$viral" "$@"
}

# ---- the calls of viral/dist.h: agree, sum, allgather, gather_stream ----
# (a failed check on one process can leave the others waiting: timeout)
for n in 1 2 4; do
  timeout 120 "$mpiexec" --oversubscribe -np "$n" "$test_dist" > "$tmp/dist.out" 2>&1 ||
    fail "test_dist with $n processes: $(grep -v '^Running' "$tmp/dist.out" | head -5)"
  # byte ranges of one input: counts, tally and fitted thresholds as one process's
  timeout 120 "$mpiexec" --oversubscribe -np "$n" "$test_rows_dist" > "$tmp/rows.out" 2>&1 ||
    fail "test_rows_dist with $n processes: $(grep -v '^Running' "$tmp/rows.out" | head -5)"
  timeout 120 "$mpiexec" --oversubscribe -np "$n" "$test_tron" > "$tmp/tron.out" 2>&1 ||
    fail "test_tron with $n processes: $(grep -v '^Running' "$tmp/tron.out" | head -5)"
  timeout 300 "$mpiexec" --oversubscribe -np "$n" "$test_spread" > "$tmp/spread.out" 2>&1 ||
    fail "test_model_spread with $n processes: $(grep -v '^Running' "$tmp/spread.out" | head -5)"
done

model=$src/models/default.json
"$viral" gen -q --videos 1200 --seed 5 -o "$tmp/data.csv" || exit 1
"$viral" gen -q --videos 700 --seed 6 --to jsonl -o "$tmp/data.jsonl" || exit 1
"$viral" gen -q --videos 600 --seed 7 --oracle 2 -o "$tmp/oracle.csv" || exit 1

# ---- score: the single process's bytes, rows in input order ----
"$viral" score -m "$model" -o "$tmp/one.csv" "$tmp/data.csv" || exit 1
for n in 1 4; do
  run "$n" score -m "$model" -o "$tmp/n$n.csv" "$tmp/data.csv" || fail "score with $n processes exited $?"
  cmp -s "$tmp/one.csv" "$tmp/n$n.csv" || fail "score with $n processes wrote other bytes than one process"
done
# to standard output, where process 0 alone writes
run 2 score -m "$model" "$tmp/data.csv" > "$tmp/n2.csv" || fail "score to stdout with 2 processes exited $?"
cmp -s "$tmp/one.csv" "$tmp/n2.csv" || fail "score to stdout with 2 processes wrote other bytes than one process"
# CSV with reasons in words (the shared row writer of viral/score.h)
"$viral" score -m "$model" --explain 3 -o "$tmp/one-explain.csv" "$tmp/data.csv" || exit 1
run 2 score -m "$model" --explain 3 -o "$tmp/n2-explain.csv" "$tmp/data.csv" ||
  fail "score --explain with 2 processes exited $?"
cmp -s "$tmp/one-explain.csv" "$tmp/n2-explain.csv" || fail "score --explain with 2 processes differs"
# JSON Lines in and out, with reasons
"$viral" score -m "$model" --explain 2 --to jsonl -o "$tmp/one.jsonl" "$tmp/data.jsonl" || exit 1
run 4 score -m "$model" --explain 2 --to jsonl -o "$tmp/n4.jsonl" "$tmp/data.jsonl" ||
  fail "score --explain of JSON Lines with 4 processes exited $?"
cmp -s "$tmp/one.jsonl" "$tmp/n4.jsonl" || fail "score --explain of JSON Lines with 4 processes differs"

# ---- eval: the same report, predictions and pages, folds spread ----
eval_run() { # directory, processes (0: without mpirun), eval arguments...
  local dir=$1 n=$2; shift 2
  mkdir -p "$dir"
  if [ "$n" = 0 ]; then
    "$viral" eval -q --per-fold --json "$dir/r.json" --html "$dir/r.html" --predictions "$dir/p.csv" "$@" > "$dir/r.txt"
  else
    run "$n" eval -q --per-fold --json "$dir/r.json" --html "$dir/r.html" --predictions "$dir/p.csv" "$@" > "$dir/r.txt"
  fi
}
for mode in stratified temporal; do
  args=("$tmp/oracle.csv")
  [ $mode = temporal ] && args=(--temporal --gap 1d "$tmp/oracle.csv")
  eval_run "$tmp/eval-$mode-one" 0 "${args[@]}" || exit 1
  # the page has the folds' mean importance, which must add up alike
  grep -q 'aria-label="feature importance"' "$tmp/eval-$mode-one/r.html" ||
    fail "eval ($mode): the HTML page has no importance chart to compare"
  for n in 1 2 4; do
    eval_run "$tmp/eval-$mode-$n" "$n" "${args[@]}" || fail "eval ($mode) with $n processes exited $?"
    for f in r.txt r.json r.html p.csv; do
      cmp -s "$tmp/eval-$mode-one/$f" "$tmp/eval-$mode-$n/$f" || fail "eval ($mode) with $n processes: $f differs"
    done
  done
done

# ---- tune: the same table, JSON and final model (but its created_at and checksum) ----
tune_run() { # directory, processes (0: without mpirun)
  local dir=$1 n=$2
  mkdir -p "$dir"
  local cmd=("$viral")
  [ "$n" = 0 ] || cmd=("$mpiexec" --oversubscribe -np "$n" "$viral")
  (cd "$dir" && "${cmd[@]}" tune -q --log2c -4,4,4 -k 3 --json t.json -o m.json "$tmp/oracle.csv" > t.txt) &&
    grep -v '"created_at"\|"checksum"' "$dir/m.json" > "$dir/m.cut"
}
tune_run "$tmp/tune-one" 0 || exit 1
for n in 1 2 4; do
  tune_run "$tmp/tune-$n" "$n" || fail "tune with $n processes exited $?"
  for f in t.txt t.json m.cut; do
    cmp -s "$tmp/tune-one/$f" "$tmp/tune-$n/$f" || fail "tune with $n processes: $f differs"
  done
done

# ---- a bad row in one process's share: record 601 is in block 2 (of 256
# records), rank 2's of 4 ----
awk -F, 'BEGIN { OFS = "," } NR == 1 { for (i = 1; i <= NF; i++) if ($i == "views_1h") c = i }
         NR == 603 { $c = -5 } { print }' "$tmp/data.csv" > "$tmp/bad.csv"
run 4 score -m "$model" -o "$tmp/bad-out.csv" "$tmp/bad.csv" 2> "$tmp/bad.err"
status=$?
[ $status != 0 ] || fail "a bad row in rank 2's share: exit 0"
grep -q "^viral score: rank 2: .*bad.csv:603: field 'views_1h'" "$tmp/bad.err" ||
  fail "a bad row in rank 2's share: the message does not name rank 2 and the row: $(grep viral "$tmp/bad.err")"
[ "$(grep -c '^viral score' "$tmp/bad.err")" = 1 ] || fail "a bad row in rank 2's share: not said once"
ls "$tmp" | grep -q '^bad-out' && fail "a bad row in rank 2's share left an output file"
# the same row skipped, counted once, as one process does
"$viral" score -m "$model" --skip-bad-rows -o "$tmp/skip1.csv" "$tmp/bad.csv" 2> "$tmp/skip1.err"
run 4 score -m "$model" --skip-bad-rows -o "$tmp/skip4.csv" "$tmp/bad.csv" 2> "$tmp/skip4.err" ||
  fail "score --skip-bad-rows with 4 processes exited $?"
cmp -s "$tmp/skip1.csv" "$tmp/skip4.csv" || fail "score --skip-bad-rows with 4 processes differs"
diff <(grep '^viral' "$tmp/skip1.err") <(grep '^viral' "$tmp/skip4.err") >&2 ||
  fail "score --skip-bad-rows with 4 processes says other things than one process"

# ---- a killed process: rank 1 dies while the others wait for their input
# (a FIFO nobody writes); the job ends non-zero, saying so, with no file ----
mkfifo "$tmp/never.csv"
"$mpiexec" --oversubscribe -np 2 "$viral" score -m "$model" -o "$tmp/killed-out.csv" "$tmp/never.csv" \
  2> "$tmp/killed.err" &
job=$!
victim=
for _ in $(seq 1 200); do
  for pid in $(pgrep -P "$job" 2>/dev/null); do
    tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null | grep -qx 'OMPI_COMM_WORLD_RANK=1' && victim=$pid
  done
  [ -n "$victim" ] && break
  sleep 0.05
done
if [ -n "$victim" ]; then
  sleep 0.3 # past MPI_Init, into the read of its share
  kill -9 "$victim"
else
  fail "rank 1 of the job never started"
  kill "$job" 2>/dev/null
fi
for _ in $(seq 1 300); do
  kill -0 "$job" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$job" 2>/dev/null; then
  fail "the job outlived its killed rank by 30 s"
  exec 3<> "$tmp/never.csv" # an end of input for the ranks left
  exec 3>&-
fi
wait "$job"
status=$?
[ $status != 0 ] || fail "a killed rank: exit 0"
grep -q "rank 1 .*signal 9" "$tmp/killed.err" || fail "a killed rank: no message naming rank 1 and the signal"
ls "$tmp" | grep -q '^killed-out' && fail "a killed rank left an output file"

# ---- train: the batch optimum fitted together (test_model_spread checks
# the model against one process's); process 0 writes it, once ----
"$viral" train -q -o "$tmp/train1.json" "$tmp/data.csv" || exit 1
for n in 2 4; do
  run "$n" train -o "$tmp/train$n.json" "$tmp/data.csv" 2> "$tmp/train$n.err" || fail "train with $n processes exited $?"
  [ "$(grep -c '^viral train: 1200 rows' "$tmp/train$n.err")" = 1 ] ||
    fail "train with $n processes: the summary not said once for the 1200 rows: $(cat "$tmp/train$n.err")"
  # the same probabilities to 1e-4 (relative), row by row (measured: 1.2e-5)
  "$viral" score -m "$tmp/train1.json" "$tmp/data.csv" | cut -d, -f2 > "$tmp/p1"
  "$viral" score -m "$tmp/train$n.json" "$tmp/data.csv" | cut -d, -f2 > "$tmp/p$n"
  gap=$(paste -d ' ' "$tmp/p1" "$tmp/p$n" | awk 'NR > 1 { d = ($1 - $2) / $1; if (d < 0) d = -d; if (d > m) m = d }
                                               END { print (NR == 1201 ? m : "rows") }')
  awk -v g="$gap" 'BEGIN { exit !(g != "rows" && g <= 1e-4) }' ||
    fail "train with $n processes: probabilities differ from one process's by $gap (relative)"
done
# one online pass, the processes' weights averaged (test_model_spread
# checks the model); several passes train as one process
run 2 train --passes 1 -o "$tmp/online2.json" "$tmp/data.csv" 2> "$tmp/online2.err" ||
  fail "train --passes 1 with 2 processes exited $?: $(cat "$tmp/online2.err")"
"$viral" inspect "$tmp/online2.json" > /dev/null || fail "train --passes 1 with 2 processes: no valid model"
run 2 train --passes 3 -o "$tmp/passes3.json" "$tmp/data.csv" 2> "$tmp/passes3.err" && fail "train --passes 3 with 2 processes exited 0"
[ "$(grep -c "^viral train: --passes N (N > 1) and --shuffle train as one process" "$tmp/passes3.err")" = 1 ] ||
  fail "train --passes 3 with 2 processes: no message, or two: $(cat "$tmp/passes3.err")"
[ -e "$tmp/passes3.json" ] && fail "train --passes 3 with 2 processes wrote a model"
# a bad row in rank 2's share stops the job, no model written
run 4 train -o "$tmp/bad-model.json" "$tmp/bad.csv" 2> "$tmp/bad-train.err" && fail "train with a bad row in rank 2's share exited 0"
grep -q "^viral train: rank 2: .*bad.csv:603: field 'views_1h'" "$tmp/bad-train.err" ||
  fail "train with a bad row in rank 2's share: the message does not name rank 2 and the row: $(cat "$tmp/bad-train.err")"
[ -e "$tmp/bad-model.json" ] && fail "train with a bad row in rank 2's share wrote a model"
# learners that train as one process say so
run 2 train --learner svm -o "$tmp/svm.json" "$tmp/data.csv" 2> "$tmp/svm.err" && fail "train --learner svm with 2 processes exited 0"
[ "$(grep -c "^viral train: the svm learner trains as one process" "$tmp/svm.err")" = 1 ] ||
  fail "train --learner svm with 2 processes: no message, or two: $(cat "$tmp/svm.err")"
[ -e "$tmp/svm.json" ] && fail "train --learner svm with 2 processes wrote a model"

# ---- commands that do not run over MPI say so, once ----
run 2 update -m "$tmp/train1.json" -o "$tmp/updated.json" "$tmp/data.csv" 2> "$tmp/update.err" && fail "update with 2 processes exited 0"
[ "$(grep -c "^viral update: runs as one process" "$tmp/update.err")" = 1 ] || fail "update with 2 processes: no message, or two"
[ -e "$tmp/updated.json" ] && fail "update with 2 processes wrote a model"
# score --log reads a log in time order: one process's
"$viral" gen -q --log --to jsonl --videos 20 --seed 8 -o "$tmp/log.jsonl" || exit 1
run 2 score --log -m "$model" -o "$tmp/log-out.csv" "$tmp/log.jsonl" 2> "$tmp/log.err"
status=$?
[ $status = 2 ] || fail "score --log with 2 processes exited $status, not 2"
[ "$(grep -c "^viral score: --log runs as one process" "$tmp/log.err")" = 1 ] ||
  fail "score --log with 2 processes: no message, or two"
[ -e "$tmp/log-out.csv" ] && fail "score --log with 2 processes wrote an output"

[ $failures = 0 ] || exit 1
echo "mpi: all passed"
