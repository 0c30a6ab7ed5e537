#!/bin/sh
# Rows spilled to a temporary file (io/spill.h; issue 17, eval in bounded
# memory) give the outputs rows on the heap give: with VIRAL_SPILL_FROM_BYTES=1
# every dataset and every set of rows a batch fit holds lives in a file, and
#   1. train (the batch optimum, the SVM's linear kernel),
#      eval (stratified with --predictions and --json, --temporal, the gbt
#      learner) and tune give the same bytes as without it (models but for
#      created_at and checksum, JSON but for seconds);
#   2. no temporary file is left behind in TMPDIR;
#   3. with TMPDIR where no file can be made, the rows stay on the heap and
#      the outputs are still the same.
# Usage: tests/spill.sh path/to/viral
set -eu
VIRAL=$1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "spill.sh: $*" >&2; exit 1; }
DATA=$ROOT/datasets/sample.csv
mkdir "$T/tmp"

# cut FILE: a model without created_at and checksum, a report without seconds
cut() { grep -v '"created_at"\|"checksum"' "$1" | sed 's/"seconds":[0-9.e+-]*//'; }

# same NAME CMD...: CMD's stdout and out.* files alike on the heap, spilled,
# and spilled where no file can be made
same() {
  name=$1
  shift
  for how in heap spilled nowhere; do
    rm -f "$T"/out.*
    case $how in
      heap) env TMPDIR="$T/tmp" "$VIRAL" "$@" > "$T/$how.out" 2> "$T/$how.err" ;;
      spilled) env TMPDIR="$T/tmp" VIRAL_SPILL_FROM_BYTES=1 "$VIRAL" "$@" > "$T/$how.out" 2> "$T/$how.err" ;;
      nowhere) env TMPDIR="$T/none" VIRAL_SPILL_FROM_BYTES=1 "$VIRAL" "$@" > "$T/$how.out" 2> "$T/$how.err" ;;
    esac || fail "$name ($how): exit $?: $(cat "$T/$how.err")"
    for f in "$T"/out.*; do
      [ -e "$f" ] && cut "$f" > "$T/$how.$(basename "$f")"
    done
    [ "$how" = heap ] && continue
    cmp -s "$T/heap.out" "$T/$how.out" || fail "$name ($how): stdout differs: $(diff "$T/heap.out" "$T/$how.out" | head -5)"
    for f in "$T"/out.*; do
      [ -e "$f" ] || continue
      b=$(basename "$f")
      cmp -s "$T/heap.$b" "$T/$how.$b" || fail "$name ($how): $b differs: $(diff "$T/heap.$b" "$T/$how.$b" | head -5)"
    done
    [ -z "$(ls -A "$T/tmp")" ] || fail "$name ($how): left in TMPDIR: $(ls "$T/tmp")"
  done
  echo "spill.sh: $name: the same heap, spilled and spilled nowhere"
}

same train train -q -o "$T/out.model.json" "$DATA"
same train_svm train -q --learner svm --kernel linear -o "$T/out.model.json" "$DATA"
same eval eval --folds 3 --predictions "$T/out.pred.csv" --json "$T/out.report.json" "$DATA"
same eval_temporal eval --temporal --folds 3 "$DATA"
same eval_gbt eval --folds 2 --learner gbt --rounds 20 "$DATA"
same tune tune --folds 3 --log2c -2,0,2 "$DATA"
