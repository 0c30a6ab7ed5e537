/* auc.c - ROC AUC of "label prob" lines on stdin (label 0/1 or -1/1), with
 * the project's own viral_metrics_roc_auc (ties count 1/2). Prints the AUC
 * with 4 decimals. Used by the benchmark scripts to compare tools on the
 * same test rows. */
#include <stdio.h>
#include <stdlib.h>

#include "viral/metrics.h"

int main(void) {
  size_t n = 0, cap = 1024;
  double *labels = malloc(cap * sizeof *labels), *probs = malloc(cap * sizeof *probs);
  double y, p;
  while (labels && probs && scanf("%lf %lf", &y, &p) == 2) {
    if (n == cap) {
      cap *= 2;
      double *a = realloc(labels, cap * sizeof *a);
      if (a) labels = a;
      double *b = realloc(probs, cap * sizeof *b);
      if (b) probs = b;
      if (!a || !b) return 1;
    }
    labels[n] = y > 0 ? 1 : 0;
    probs[n++] = p;
  }
  viral_error err = {0};
  double out;
  if (viral_metrics_roc_auc(labels, probs, n, &out, &err) != VIRAL_OK) {
    fprintf(stderr, "auc: %s\n", err.message);
    return 1;
  }
  printf("%.4f\n", out);
  free(labels);
  free(probs);
  return 0;
}
