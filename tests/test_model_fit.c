/* test_model_fit.c - viral_model_fit (rows in memory) against
 * viral_model_train (the same rows in a file): the same model, to the bit. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "viral/gbt.h"
#include "viral/logistic.h"
#include "viral/model.h"
#include "viral/rows.h"
#include "viral/svm.h"

/* Featurize every record of path with p (fitted first when it needs it, on
 * the same records, as training does) into ds. */
static void featurize(viral_pipeline *p, const char *path, viral_dataset *ds) {
  viral_error err;
  viral_reader *r;
  const viral_record *rec;
  if (viral_pipeline_needs_fit(p)) {
    ck_assert_int_eq(viral_pipeline_fit_begin(p, &err), VIRAL_OK);
    ck_assert_ptr_nonnull(r = viral_reader_open(path, NULL, &err));
    while (viral_reader_next(r, &rec, &err) == 1) ck_assert_int_eq(viral_pipeline_fit_record(p, rec, &err), VIRAL_OK);
    viral_reader_free(r);
    ck_assert_int_eq(viral_pipeline_fit_end(p, &err), VIRAL_OK);
  }
  viral_sparse x;
  viral_sparse_init(&x);
  ck_assert_ptr_nonnull(r = viral_reader_open(path, NULL, &err));
  while (viral_reader_next(r, &rec, &err) == 1) {
    double y;
    ck_assert_int_eq(viral_pipeline_transform(p, rec, &x, &y, &err), VIRAL_OK);
    ck_assert(!isnan(y));
    ck_assert_int_eq(viral_dataset_append(ds, &x, y), VIRAL_OK);
  }
  viral_reader_free(r);
  viral_sparse_release(&x);
}

/* The posted_at of each record of path through p (fitted), [n]. */
static double *times_of(viral_pipeline *p, const char *path, size_t n) {
  viral_error err;
  viral_rows_options o;
  viral_rows_options_init(&o);
  o.times = 1;
  viral_rows *s = viral_rows_open(p, path, NULL, &o, &err);
  ck_assert_msg(s != NULL, "%s", err.message);
  double *t = malloc(n * sizeof *t);
  const viral_row *row;
  size_t i = 0;
  while (viral_rows_next(s, &row, &err) == 1) {
    ck_assert_uint_lt(i, n);
    t[i++] = row->posted_at;
  }
  ck_assert_uint_eq(i, n);
  viral_rows_free(s);
  return t;
}

/* The model trained on the file and the one fitted on its rows in memory
 * with their times (viral_model_fit_rows, as eval fits a fold) score
 * every row alike, to the bit. */
static void check_same(const char *label, viral_train_options *opts) {
  char path[4096];
  test_repo_path(path, sizeof path, "tests/data/eval/head200.csv");
  viral_pipeline_options popts;
  viral_pipeline_options_init(&popts);
  popts.label = label;
  popts.scaling = viral_learner_scaling(opts->learner);
  viral_error err;
  viral_pipeline *p = viral_pipeline_load_spec(NULL, &popts, &err);
  viral_pipeline *q = viral_pipeline_load_spec(NULL, &popts, &err);
  ck_assert_ptr_nonnull(p);
  ck_assert_ptr_nonnull(q);
  viral_model *a = viral_model_train(p, path, NULL, opts, NULL, &err);
  viral_pipeline_free(p); /* the model trained its own copy */
  ck_assert_msg(a != NULL, "%s", err.message);
  viral_dataset ds;
  viral_dataset_init(&ds);
  featurize(q, path, &ds);
  double *posted_at = times_of(q, path, ds.rows);
  viral_model *b = viral_model_fit_rows(q, &ds, NULL, 0, posted_at, opts, &err);
  free(posted_at);
  ck_assert_msg(b != NULL, "%s", err.message);
  ck_assert_uint_eq(viral_model_rows(a), viral_model_rows(b));
  ck_assert_uint_eq(viral_model_positives(a), viral_model_positives(b));
  ck_assert_int_eq(viral_model_calibration(a)->kind, viral_model_calibration(b)->kind);
  int moved = 0;
  for (size_t r = 0; r < ds.rows; r++) {
    viral_sparse x = viral_dataset_row(&ds, r);
    viral_prediction pa, pb;
    ck_assert_int_eq(viral_model_predict_vector(a, &x, &pa, &err), VIRAL_OK);
    ck_assert_int_eq(viral_model_predict_vector(b, &x, &pb, &err), VIRAL_OK);
    ck_assert_msg(pa.probability == pb.probability, "row %zu: %.17g vs %.17g", r, pa.probability, pb.probability);
    ck_assert(pa.margin == pb.margin);
    moved += pa.probability != viral_model_threshold(a);
  }
  ck_assert_int_gt(moved, 0);
  viral_dataset_release(&ds);
  viral_model_free(a);
  viral_model_free(b);
  viral_pipeline_free(q);
}

START_TEST(logistic_fit_equals_train) {
  viral_train_options opts;
  viral_train_options_init(&opts);
  check_same(NULL, &opts);
  viral_train_options_logistic(&opts)->half_life = 0.25; /* rows weighed by their posted_at */
  check_same(NULL, &opts);
  viral_train_options_logistic(&opts)->half_life = 0;
  viral_train_options_logistic(&opts)->params.passes = 3;
  viral_train_options_logistic(&opts)->params.shuffle = 1;
  check_same(NULL, &opts);
}
END_TEST

/* --half-life needs every row's posted_at, and moves the model. */
START_TEST(half_life_weighs_by_time) {
  char path[4096];
  test_repo_path(path, sizeof path, "tests/data/eval/head200.csv");
  viral_error err;
  viral_pipeline *p = viral_pipeline_load_spec(NULL, NULL, &err);
  viral_dataset ds;
  viral_dataset_init(&ds);
  featurize(p, path, &ds);
  double *posted_at = times_of(p, path, ds.rows);
  viral_train_options opts;
  viral_train_options_init(&opts);
  viral_model *plain = viral_model_fit_rows(p, &ds, NULL, 0, posted_at, &opts, &err);
  ck_assert_msg(plain != NULL, "%s", err.message);
  viral_train_options_logistic(&opts)->half_life = 0.25;
  ck_assert_ptr_null(viral_model_fit(p, &ds, &opts, &err));
  ck_assert_str_eq(err.message, "--half-life weighs rows by their posted_at: record 1 (from 1) has none");
  viral_model *recent = viral_model_fit_rows(p, &ds, NULL, 0, posted_at, &opts, &err);
  ck_assert_msg(recent != NULL, "%s", err.message);
  int moved = 0;
  for (size_t r = 0; r < ds.rows; r++) {
    viral_sparse x = viral_dataset_row(&ds, r);
    viral_prediction a, b;
    ck_assert_int_eq(viral_model_predict_vector(plain, &x, &a, &err), VIRAL_OK);
    ck_assert_int_eq(viral_model_predict_vector(recent, &x, &b, &err), VIRAL_OK);
    moved += fabs(a.probability - b.probability) > 1e-6;
  }
  ck_assert_int_gt(moved, (int)ds.rows / 2);
  viral_model_free(recent);
  viral_model_free(plain);
  free(posted_at);
  viral_dataset_release(&ds);
  viral_pipeline_free(p);
}
END_TEST

/* balanced weights count the held-out rows in training from a file */
START_TEST(calibrated_balanced_fit_equals_train) {
  viral_train_options opts;
  viral_train_options_init(&opts);
  opts.balanced = 1;
  opts.calibrate = VIRAL_CALIBRATION_PLATT;
  check_same("top:20%:views_final", &opts);
  viral_train_options_set_learner(&opts, viral_learner_find("svm"));
  opts.calibrate = VIRAL_CALIBRATION_ISOTONIC;
  check_same("top:20%:views_final", &opts);
}
END_TEST

START_TEST(svm_fit_equals_train) {
  viral_train_options opts;
  viral_train_options_init(&opts);
  viral_train_options_set_learner(&opts, viral_learner_find("svm"));
  viral_train_options_svm(&opts)->kernel = VIRAL_SVM_RBF; /* gamma from the rows */
  check_same(NULL, &opts);
}
END_TEST

/* XGBoost's trees, with the early-stopping slice and the refit on all rows */
START_TEST(gbt_fit_equals_train) {
  viral_train_options opts;
  viral_train_options_init(&opts);
  viral_train_options_set_learner(&opts, viral_learner_find("gbt"));
  viral_train_options_gbt(&opts)->min_rows = 5;
  check_same(NULL, &opts);
  opts.balanced = 1;
  opts.calibrate = VIRAL_CALIBRATION_PLATT;
  check_same("top:20%:views_final", &opts);
}
END_TEST

START_TEST(fit_refuses_no_rows) {
  viral_error err;
  viral_pipeline *p = viral_pipeline_load_spec(NULL, NULL, &err);
  viral_dataset ds;
  viral_dataset_init(&ds);
  viral_train_options opts;
  viral_train_options_init(&opts);
  ck_assert_ptr_null(viral_model_fit(p, &ds, &opts, &err));
  ck_assert_str_eq(err.message, "no labelled rows to learn from");
  viral_pipeline_free(p);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("model_fit");
  TCase *tc = tcase_create("model_fit");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, logistic_fit_equals_train);
  tcase_add_test(tc, calibrated_balanced_fit_equals_train);
  tcase_add_test(tc, svm_fit_equals_train);
  tcase_add_test(tc, gbt_fit_equals_train);
  tcase_add_test(tc, fit_refuses_no_rows);
  tcase_add_test(tc, half_life_weighs_by_time);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return test_main(make_suite()); }
