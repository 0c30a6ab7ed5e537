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

data=datasets/sample.csv
out=${VIRAL_DEMO_DIR:-build/demo}
mkdir -p "$out"

step "check a dataset: rows, and per field type, missing, distinct, min/median/max" \
  "$viral" describe "$data"

step "train the logistic model (batch optimum, C by 5-fold CV, then online)" \
  "$viral" train -o "$out/model.json" "$data"

step "what the model learned" "$viral" inspect --top 5 "$out/model.json"

# Score videos the model never saw: a fresh draw from the same generator.
step "new videos from the generator" "$viral" gen --videos 1000 --seed 99 -o "$out/new.csv"
step "score them, with the top 3 reasons (first rows)" \
  sh -c "'$viral' score -m '$out/model.json' --explain 3 '$out/new.csv' | head -n 6"

step "learn from new outcomes as they arrive (online update, in place)" \
  "$viral" update -m "$out/model.json" "$out/new.csv"

report=$out/eval-report.html
step "cross-validate the logistic learner against the base rate, the views-only baseline and the oracle" \
  "$viral" eval --folds 5 --per-fold --html "$report" "$data"
printf '\nThe HTML report (ROC, precision-recall, reliability and per-fold charts; no network needed):\n  %s\n' "$report"

step "progressive validation as a live system sees it: scored at 2h, learned when the 7-day outcome is known" \
  sh -c "'$viral' eval --progressive --window-size 1000 '$data' | head -n 10"
echo
echo "The model is $out/model.json; 'viral score' without -m uses models/default.json."
