#!/usr/bin/env bash
# demo.sh - build viral and show what it does, step by step, on the project's
# own data. Each step prints the command it runs. Later issues add steps.
set -eu
cd "$(dirname "$0")/.."
viral=${VIRAL_BUILD_DIR:-build}/viral

step() { # description, command...
  local what=$1; shift
  printf '\n== %s\n$ %s\n' "$what" "$*"
  "$@"
}

step "build (tools/build.sh)" tools/build.sh

# The bundled sample (written by `viral gen`) when it is there, else the
# hand-made example every golden test uses.
data=datasets/sample.csv
[ -f "$data" ] || data=datasets/example.csv
step "check a dataset: rows, and per field type, missing, distinct, min/median/max" \
  "$viral" describe "$data"

report=${TMPDIR:-/tmp}/viral-eval-report.html
step "cross-validate the logistic learner against the base rate, the views-only baseline and the oracle" \
  "$viral" eval --folds 5 --per-fold --html "$report" "$data"
printf '\nThe HTML report (ROC, precision-recall, reliability and per-fold charts; no network needed):\n  %s\n' "$report"
