/* inmem.c - the logistic learner and its scoring with no parsing and no
 * featurizing: reads LIBSVM files (as written by `viral convert --to libsvm`)
 * into memory first, then times, with CLOCK_MONOTONIC:
 *   - one FTRL pass (default parameters, 2^BITS weights) over TRAIN,
 *   - viral_logistic_predict over the rows of TEST, cycled until at least
 *     MIN_PREDICTIONS predictions were made (DESIGN.md section 10: "at least
 *     1M videos/s from memory").
 * usage: inmem TRAIN.svm TEST.svm [BITS [MIN_PREDICTIONS]]  (default 18, 1000000)
 * Prints "train_s N", "predict_per_s N", "test_auc N" lines. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "viral/logistic.h"
#include "viral/metrics.h"
#include "viral/vector.h"

static int read_libsvm(const char *path, viral_dataset *ds) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  viral_sparse v;
  viral_sparse_init(&v);
  char *line = NULL;
  size_t cap = 0;
  int rc = 0;
  while (rc == 0 && getline(&line, &cap, f) > 0) {
    char *s = line, *end;
    double label = strtod(s, &end);
    viral_sparse_clear(&v);
    for (s = end; *s == ' ';) {
      unsigned long j = strtoul(s + 1, &end, 10);
      if (j == 0 || *end != ':') break;
      if (viral_sparse_push(&v, (uint32_t)(j - 1), strtod(end + 1, &s)) != 0) rc = -1;
    }
    viral_sparse_finish(&v);
    if (rc == 0 && viral_dataset_append(ds, &v, label > 0 ? 1 : 0) != 0) rc = -1;
  }
  free(line);
  viral_sparse_release(&v);
  fclose(f);
  return rc;
}

static double seconds_since(const struct timespec *t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: inmem TRAIN.svm TEST.svm [BITS [MIN_PREDICTIONS]]\n");
    return 2;
  }
  int bits = argc > 3 ? atoi(argv[3]) : VIRAL_LOGISTIC_DEFAULT_BITS;
  size_t min_pred = argc > 4 ? strtoul(argv[4], NULL, 10) : 1000000;
  viral_dataset train, test;
  viral_dataset_init(&train);
  viral_dataset_init(&test);
  if (read_libsvm(argv[1], &train) || read_libsvm(argv[2], &test) || test.rows == 0) {
    fprintf(stderr, "inmem: cannot read %s or %s\n", argv[1], argv[2]);
    return 1;
  }
  viral_logistic_params p;
  viral_logistic_params_init(&p, VIRAL_LOGISTIC_FTRL);
  viral_error err = {0};
  viral_logistic *m = viral_logistic_create(&p, bits, &err);
  if (!m) {
    fprintf(stderr, "inmem: %s\n", err.message);
    return 1;
  }
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (viral_logistic_train(m, &train, &err) != VIRAL_OK) {
    fprintf(stderr, "inmem: %s\n", err.message);
    return 1;
  }
  double train_s = seconds_since(&t0);

  double *probs = malloc(test.rows * sizeof *probs);
  if (!probs) return 1;
  size_t done = 0;
  double sink = 0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  while (done < min_pred || done < test.rows) {
    for (size_t r = 0; r < test.rows; r++) {
      viral_sparse x = viral_dataset_row(&test, r);
      double q = viral_logistic_predict(m, &x);
      if (done < test.rows) probs[r] = q;
      sink += q;
    }
    done += test.rows;
  }
  double pred_s = seconds_since(&t0);
  double auc = 0;
  if (viral_metrics_roc_auc(test.labels, probs, test.rows, &auc, &err) != VIRAL_OK)
    fprintf(stderr, "inmem: %s\n", err.message);
  printf("train_rows %zu\ntrain_s %.3f\npredictions %zu\npredict_s %.3f\n", train.rows, train_s,
         done, pred_s);
  printf("predict_per_s %.0f\ntest_auc %.4f\nchecksum %.6g\n", (double)done / pred_s, auc, sink);
  free(probs);
  viral_logistic_free(m);
  viral_dataset_release(&train);
  viral_dataset_release(&test);
  return 0;
}
