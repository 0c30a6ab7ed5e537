#!/usr/bin/env bash
# svm.sh - SVM training time: viral's libsvm adapter against svm-train on the
# same vectors (DESIGN.md section 10: "no slower than svm-train"), and a check
# that both wrote the same model.
#
#   tools/bench/svm.sh [ROWS] [SVM-TRAIN OPTIONS]   # default: 8000 -t 2 -b 1
#
# Data: ROWS dense rows of 19 features in [-1, 1] with noisy labels, from a
# Park-Miller generator in awk (the rows svm.c's time estimate was measured
# on). Needs a build in build/ (libviral.a) and Debian's libsvm-tools.
# Prints the two times and their ratio; asserts nothing about speed.
set -eu
cd "$(dirname "$0")/../.."
rows=${1:-8000}
shift || true
opts=${*:--t 2 -b 1}
[ -f build/libviral.a ] || { echo "build first: cmake -S . -B build && cmake --build build" >&2; exit 1; }
command -v svm-train >/dev/null || { echo "needs svm-train: apt-get install libsvm-tools" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

awk -v N="$rows" 'function rnd() { seed = (16807 * seed) % 2147483647; return seed / 2147483647 }
BEGIN {
  seed = 42
  for (r = 0; r < N; r++) {
    s = 0; line = ""
    for (j = 1; j <= 19; j++) { x = rnd() * 2 - 1; s += x * (j % 3 - 1); line = line " " j ":" sprintf("%.4f", x) }
    print (s + (rnd() - 0.5) * 3 > 0.5 ? 1 : 0) line
  }
}' > "$work/data.txt"

# A small driver: read the libsvm file into a viral dataset, train with the
# same options, time the training alone, write the model text.
cat > "$work/driver.c" <<'C'
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "viral/svm.h"

int main(int argc, char **argv) {
  viral_svm_params p;
  viral_svm_params_init(&p);
  p.kernel = VIRAL_SVM_RBF; /* svm-train's default */
  p.probability = 0;
  for (int i = 3; i + 1 < argc; i += 2) {
    double v = atof(argv[i + 1]);
    if (!strcmp(argv[i], "-t")) p.kernel = v == 0 ? VIRAL_SVM_LINEAR : VIRAL_SVM_RBF;
    else if (!strcmp(argv[i], "-c")) p.C = v;
    else if (!strcmp(argv[i], "-g")) p.gamma = v;
    else if (!strcmp(argv[i], "-b")) p.probability = (int)v;
    else { fprintf(stderr, "driver: option %s not handled\n", argv[i]); return 2; }
  }
  FILE *f = fopen(argv[1], "r");
  if (!f) return 1;
  viral_dataset ds;
  viral_dataset_init(&ds);
  viral_sparse v;
  viral_sparse_init(&v);
  char line[4096];
  while (fgets(line, sizeof line, f)) {
    char *s = line, *end;
    double label = strtod(s, &end);
    viral_sparse_clear(&v);
    for (s = end; *s == ' ';) {
      long j = strtol(s + 1, &end, 10);
      viral_sparse_push(&v, (uint32_t)(j - 1), strtod(end + 1, &s));
    }
    viral_sparse_finish(&v);
    viral_dataset_append(&ds, &v, label);
  }
  fclose(f);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  viral_error err = {0};
  viral_svm_model *m = viral_svm_train(&p, &ds, &err);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  if (!m) { fprintf(stderr, "driver: %s\n", err.message); return 1; }
  char *text;
  if (viral_svm_to_text(m, &text, NULL, &err)) return 1;
  FILE *out = fopen(argv[2], "w");
  fputs(text, out);
  fclose(out);
  printf("%.3f\n", (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
  free(text);
  viral_svm_model_free(m);
  viral_sparse_release(&v);
  viral_dataset_release(&ds);
  return 0;
}
C
${CC:-cc} -O2 -std=c11 -Iinclude "$work/driver.c" build/libviral.a -lsvm -lcsv -lcjson -lm -o "$work/driver"

start=$(date +%s.%N)
# shellcheck disable=SC2086
svm-train -q $opts "$work/data.txt" "$work/svm-train.model" >/dev/null
end=$(date +%s.%N)
ref=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
# shellcheck disable=SC2086
ours=$("$work/driver" "$work/data.txt" "$work/viral.model" $opts)
same=no
cmp -s "$work/svm-train.model" "$work/viral.model" && same=yes
echo "rows=$rows options: $opts"
echo "svm-train (whole run, incl. reading): ${ref} s"
echo "viral_svm_train (training only):      ${ours} s"
echo "ratio viral / svm-train: $(awk -v a="$ours" -v b="$ref" 'BEGIN { printf "%.2f", a / b }')"
echo "identical model files: $same"
