/* test_eval.c - cross-validation: folds, out-of-fold predictions against
 * `viral train` + `viral score`, and no information from the test fold. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "viral/eval.h"

/* Lines of a text file (the buffer is modified; lines point into it). */
static size_t split_lines(char *text, char **lines, size_t max) {
  size_t n = 0;
  for (char *s = text; *s && n < max;) {
    char *e = strchr(s, '\n');
    lines[n++] = s;
    if (!e) break;
    *e = '\0';
    s = e + 1;
  }
  return n;
}

/* The first `rows` videos of the bundled sample (generated: no quoted
 * newlines, so one line is one record). */
static const char *sample_head(char *path, size_t size, const char *dir, size_t rows) {
  char src[4096];
  char *text = test_read_file(test_repo_path(src, sizeof src, "datasets/sample.csv"), NULL);
  ck_assert_ptr_nonnull(text);
  char **lines = malloc((rows + 1) * sizeof *lines);
  size_t n = split_lines(text, lines, rows + 1);
  ck_assert_uint_eq(n, rows + 1);
  snprintf(path, size, "%s/head.csv", dir);
  FILE *f = fopen(path, "w");
  for (size_t i = 0; i < n; i++) fprintf(f, "%s\n", lines[i]);
  fclose(f);
  free(lines);
  free(text);
  return path;
}

START_TEST(predictions_equal_train_then_score) {
  char dir[4096], data[4096], cmd[16384];
  test_tmpdir(dir, sizeof dir, "eval_identity");
  sample_head(data, sizeof data, dir, 800);
  char *out, *err;
  snprintf(cmd, sizeof cmd, "eval --folds 4 --seed 7 --predictions %s/pred.csv %s", dir, data);
  ck_assert_int_eq(test_run_viral(cmd, NULL, &out, &err), 0);
  free(out), free(err);

  /* Split the data by the fold eval gave each record (fold 2 is the test). */
  char path[4096 + 32];
  snprintf(path, sizeof path, "%s/pred.csv", dir);
  char *pred = test_read_file(path, NULL);
  char *text = test_read_file(data, NULL);
  ck_assert_ptr_nonnull(pred);
  static char *plines[1000], *dlines[1000];
  size_t np = split_lines(pred, plines, 1000), nd = split_lines(text, dlines, 1000);
  ck_assert_uint_eq(nd, 801);
  ck_assert_uint_eq(np, 801); /* every sample row is labelled */
  char train[4096 + 32], test[4096 + 32];
  snprintf(train, sizeof train, "%s/train.csv", dir);
  snprintf(test, sizeof test, "%s/test.csv", dir);
  FILE *ft = fopen(train, "w"), *fs = fopen(test, "w");
  fprintf(ft, "%s\n", dlines[0]);
  fprintf(fs, "%s\n", dlines[0]);
  static char expected[1000][160];
  size_t ntest = 0;
  for (size_t i = 1; i < np; i++) {
    unsigned long rec;
    int fold, label;
    char id[64], prob[64];
    ck_assert_int_eq(sscanf(plines[i], "%lu,%63[^,],%d,%d,%63[^,]", &rec, id, &fold, &label, prob), 5);
    ck_assert_uint_eq(rec, i); /* records in file order, 1-based */
    if (fold == 2) {
      fprintf(fs, "%s\n", dlines[rec]);
      snprintf(expected[ntest++], 160, "%s,%s", id, prob);
    } else {
      fprintf(ft, "%s\n", dlines[rec]);
    }
  }
  fclose(ft), fclose(fs);
  ck_assert_uint_eq(ntest, 200);

  snprintf(cmd, sizeof cmd, "train -q -o %s/m.json %s", dir, train);
  ck_assert_int_eq(test_run_viral(cmd, NULL, &out, &err), 0);
  free(out), free(err);
  snprintf(cmd, sizeof cmd, "score -m %s/m.json %s", dir, test);
  ck_assert_int_eq(test_run_viral(cmd, NULL, &out, &err), 0);
  static char *slines[1000];
  size_t ns = split_lines(out, slines, 1000);
  ck_assert_uint_eq(ns, ntest + 1);
  ck_assert_str_eq(slines[0], "video_id,probability,viral");
  for (size_t i = 0; i < ntest; i++) {
    /* "id,prob,label": compare the id and the exact probability text */
    char *last = strrchr(slines[i + 1], ',');
    ck_assert_ptr_nonnull(last);
    *last = '\0';
    ck_assert_str_eq(slines[i + 1], expected[i]);
  }
  free(out), free(err), free(pred), free(text);
}
END_TEST

static viral_eval_data *load_head(viral_pipeline **p, size_t rows, const char *name) {
  char dir[4096], data[4096];
  test_tmpdir(dir, sizeof dir, name);
  sample_head(data, sizeof data, dir, rows);
  viral_pipeline_options popts;
  viral_pipeline_options_init(&popts);
  popts.scaling = "none";
  viral_error err;
  *p = viral_pipeline_load_spec(NULL, &popts, &err);
  ck_assert_ptr_nonnull(*p);
  viral_reader_options ropts;
  viral_reader_options_init(&ropts);
  viral_eval_data *d = viral_eval_load(*p, data, &ropts, 0, &err);
  ck_assert_msg(d != NULL, "%s", err.message);
  return d;
}

static void predict_all(const viral_eval_data *d, const int *fold, int f,
                        const viral_train_options *opts, double *out[3]) {
  const viral_eval_predictor what[3] = {VIRAL_EVAL_MODEL, VIRAL_EVAL_VIEWS, VIRAL_EVAL_BASE_RATE};
  viral_error err;
  for (int j = 0; j < 3; j++)
    ck_assert_int_eq(viral_eval_fold_predict(d, fold, f, what[j], opts, out[j], &err), VIRAL_OK);
}

/* The test fold's labels, and the features of its other rows, do not move
 * a test row's prediction by a single bit: nothing of the test fold reaches
 * training (class weights, the views baseline's standardization, the base
 * rate, the learner). */
START_TEST(test_fold_does_not_reach_training) {
  viral_pipeline *p;
  viral_eval_data *d = load_head(&p, 600, "eval_leak");
  size_t n = d->ds.rows;
  int *fold = malloc(n * sizeof *fold);
  viral_error err;
  ck_assert_int_eq(viral_eval_stratified_folds(d->ds.labels, n, 3, 5, fold, &err), VIRAL_OK);
  viral_train_options opts;
  viral_train_options_init(&opts);
  opts.balanced = 1; /* class weights come from the training part too */
  double *before[3], *after[3], *other[3];
  for (int j = 0; j < 3; j++) {
    before[j] = calloc(n, sizeof(double));
    after[j] = calloc(n, sizeof(double));
    other[j] = calloc(n, sizeof(double));
  }
  predict_all(d, fold, 0, &opts, before);
  predict_all(d, fold, 1, &opts, other);
  size_t keep = n; /* the one test row left as it was */
  for (size_t r = 0; r < n; r++) {
    if (fold[r] != 0) continue;
    d->ds.labels[r] = 1 - d->ds.labels[r];
    if (keep == n) {
      keep = r;
      continue;
    }
    d->views_window[r] = d->views_window[r] * 1000 + 7;
    for (size_t i = d->ds.row_start[r]; i < d->ds.row_start[r + 1]; i++) d->ds.items[i].value *= 3;
  }
  ck_assert_uint_lt(keep, n);
  predict_all(d, fold, 0, &opts, after);
  for (int j = 0; j < 3; j++) ck_assert(before[j][keep] == after[j][keep]);
  for (size_t r = 0; r < n; r++)
    if (fold[r] == 0) ck_assert(before[2][r] == after[2][r]); /* base rate: every row */
  /* Not vacuous: fold 1 trains on fold 0, and its predictions do move. */
  predict_all(d, fold, 1, &opts, after);
  int moved[3] = {0, 0, 0};
  for (size_t r = 0; r < n; r++)
    for (int j = 0; j < 3; j++)
      if (fold[r] == 1 && other[j][r] != after[j][r]) moved[j] = 1;
  ck_assert(moved[0] && moved[1] && moved[2]);
  for (int j = 0; j < 3; j++) free(before[j]), free(after[j]), free(other[j]);
  free(fold);
  viral_eval_data_free(d);
  viral_pipeline_free(p);
}
END_TEST

START_TEST(folds_are_stratified_and_seeded) {
  double labels[103];
  for (int i = 0; i < 103; i++) labels[i] = i % 10 == 3; /* 10 positives, 93 negatives */
  int a[103], b[103], c[103];
  viral_error err;
  ck_assert_int_eq(viral_eval_stratified_folds(labels, 103, 4, 9, a, &err), VIRAL_OK);
  ck_assert_int_eq(viral_eval_stratified_folds(labels, 103, 4, 9, b, &err), VIRAL_OK);
  ck_assert_int_eq(viral_eval_stratified_folds(labels, 103, 4, 10, c, &err), VIRAL_OK);
  ck_assert_mem_eq(a, b, sizeof a);
  ck_assert(memcmp(a, c, sizeof a) != 0);
  size_t rows[4] = {0}, pos[4] = {0};
  for (int i = 0; i < 103; i++) {
    ck_assert(a[i] >= 0 && a[i] < 4);
    rows[a[i]]++;
    pos[a[i]] += labels[i] > 0.5;
  }
  /* 10 positives over 4 folds: 3,3,2,2; 103 rows: 26,26,26,25 */
  for (int f = 0; f < 4; f++) {
    ck_assert(pos[f] == 2 || pos[f] == 3);
    ck_assert(rows[f] == 25 || rows[f] == 26);
  }
  ck_assert_int_eq(viral_eval_stratified_folds(labels, 103, 1, 9, a, &err), VIRAL_ERR_INVALID);
  ck_assert_int_eq(viral_eval_stratified_folds(labels, 3, 4, 9, a, &err), VIRAL_ERR_INVALID);
}
END_TEST

START_TEST(load_reads_oracle_views_and_ids) {
  viral_pipeline *p;
  viral_eval_data *d = load_head(&p, 50, "eval_load");
  ck_assert_uint_eq(d->ds.rows, 50);
  ck_assert_int_eq(d->has_oracle, 1);
  ck_assert_int_eq(d->has_views_window, 1);
  ck_assert_str_eq(d->id[0], "v1");
  /* v1: views_2h 317 (the default spec's window is 2h), posted 2026-03-01T00:10:15Z */
  ck_assert_double_near(d->views_window[0], 317, 0);
  ck_assert_double_near(d->posted_at[0], 1772323815.0, 0);
  viral_eval_data_free(d);
  viral_pipeline_free(p);
}
END_TEST

START_TEST(temporal_split_respects_order_and_gap) {
  /* sorted times 1,2 | 3,4 | 5,6: three parts of two rows */
  const double t[6] = {5, 1, 3, 2, 4, 6};
  int role[6];
  double span[2];
  viral_error err;
  ck_assert_int_eq(viral_eval_temporal_split(t, 6, 2, 0, 1.5, role, span, &err), VIRAL_OK);
  /* test: t 3 and 4; train: posted by 3 - 1.5 = 1.5, so t 1 only; t 2 unused */
  const int want0[6] = {-1, 0, 1, -1, 1, -1};
  ck_assert_mem_eq(role, want0, sizeof want0);
  ck_assert_double_near(span[0], 3, 0);
  ck_assert_double_near(span[1], 4, 0);
  ck_assert_int_eq(viral_eval_temporal_split(t, 6, 2, 1, 1.5, role, span, &err), VIRAL_OK);
  /* test: t 5 and 6; train: posted by 3.5, so t 1, 2, 3; t 4 unused */
  const int want1[6] = {1, 0, 0, 0, -1, 1};
  ck_assert_mem_eq(role, want1, sizeof want1);
  ck_assert_int_eq(viral_eval_temporal_split(t, 6, 2, 2, 0, role, span, &err), VIRAL_ERR_INVALID);
  const double missing[3] = {1, NAN, 3};
  ck_assert_int_eq(viral_eval_temporal_split(missing, 3, 2, 0, 0, role, span, &err), VIRAL_ERR_MISSING);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("eval");
  TCase *tc = tcase_create("eval");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, folds_are_stratified_and_seeded);
  tcase_add_test(tc, temporal_split_respects_order_and_gap);
  tcase_add_test(tc, load_reads_oracle_views_and_ids);
  tcase_add_test(tc, test_fold_does_not_reach_training);
  tcase_add_test(tc, predictions_equal_train_then_score);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return test_main(make_suite()); }
