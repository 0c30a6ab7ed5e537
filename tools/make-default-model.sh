#!/usr/bin/env bash
# make-default-model.sh - retrain models/default.json, the model `viral score`
# uses without -m, from the bundled sample (datasets/sample.csv, made by
# `viral gen`; see datasets/README.md). Run it whenever the model format or the
# default spec changes.
set -eu
cd "$(dirname "$0")/.."
tools/build.sh
build/viral train -o models/default.json datasets/sample.csv
build/viral inspect --top 5 models/default.json
