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
  ck_assert_int_lt(snprintf(path, size, "%s/head.csv", dir), (int)size);
  FILE *f = fopen(path, "w");
  for (size_t i = 0; i < n; i++) fprintf(f, "%s\n", lines[i]);
  fclose(f);
  free(lines);
  free(text);
  return path;
}

/* eval --predictions with the learner options `learner` gives, for fold 2
 * of 4, must equal `viral train` with those options on the other folds'
 * rows + `viral score` on fold 2's rows, to the last bit. */
static void check_identity(const char *name, const char *learner) {
  char dir[4096], data[4096], cmd[16384];
  test_tmpdir(dir, sizeof dir, name);
  sample_head(data, sizeof data, dir, 800);
  char *out, *err;
  snprintf(cmd, sizeof cmd, "eval --folds 4 --seed 7 %s --predictions %s/pred.csv %s", learner, dir, data);
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

  /* --seed is eval's folds and the learner's seed alike (libsvm, hold-out) */
  snprintf(cmd, sizeof cmd, "train -q --seed 7 %s -o %s/m.json %s", learner, dir, train);
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

START_TEST(predictions_equal_train_then_score) { check_identity("eval_identity", ""); }
END_TEST

/* The SVM with the spec's standard scaling, fitted per fold, and libsvm's
 * Platt probabilities. */
START_TEST(svm_predictions_equal_train_then_score) {
  check_identity("eval_identity_svm", "--learner svm --kernel rbf --C 2");
}
END_TEST

/* XGBoost's trees: the slice, the refit and the scores of the trees
 * walked without XGBoost. */
START_TEST(gbt_predictions_equal_train_then_score) {
  check_identity("eval_identity_gbt", "--learner gbt --min-feature-rows 5 --class-weight balanced");
}
END_TEST

/* A quantile label fitted per fold, and a calibration held out of the
 * learner inside the fold's training rows. */
START_TEST(fitted_label_and_calibration_equal_train_then_score) {
  check_identity("eval_identity_top", "--label top:10%:views_final --calibrate platt");
  check_identity("eval_identity_svm_iso",
                 "--label top:10%:views_final --learner svm --calibrate isotonic --class-weight balanced");
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

/* views_final of every record of path, in file order (the raw outcome the
 * top:P% rule ranks). */
static size_t read_outcomes(const char *path, double *out, size_t max) {
  viral_error err;
  viral_reader *r = viral_reader_open(path, NULL, &err);
  ck_assert_ptr_nonnull(r);
  const viral_record *rec;
  size_t n = 0;
  while (viral_reader_next(r, &rec, &err) == 1 && n < max) {
    long col = viral_record_find(rec, "views_final");
    ck_assert_int_ge(col, 0);
    ck_assert_int_eq(viral_record_number(rec, (size_t)col, &out[n++], &err), VIRAL_OK);
  }
  viral_reader_free(r);
  return n;
}

static int by_value_descending(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x < y) - (x > y);
}

/* The top:20% threshold of the rows with keep[i] set: the k-th largest
 * value, k = ceil(0.2 n) (datasets/SPEC.md), worked out here apart from the
 * pipeline. */
static double top20(const double *v, const int *keep, size_t n) {
  double *s = malloc(n * sizeof *s);
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (keep[i]) s[m++] = v[i];
  qsort(s, m, sizeof *s, by_value_descending);
  size_t k = (m * 20 + 99) / 100;
  double t = s[k - 1];
  free(s);
  return t;
}

/* Copy of src where each row i with change[i] (0-based, header excluded) has
 * its author_followers (column 3) and views_final (column 34) replaced. */
static void write_changed(const char *src, const char *dst, const int *change) {
  char *text = test_read_file(src, NULL);
  ck_assert_ptr_nonnull(text);
  static char *lines[400];
  size_t n = split_lines(text, lines, 400);
  FILE *f = fopen(dst, "w");
  fprintf(f, "%s\n", lines[0]);
  for (size_t i = 1; i < n; i++) {
    if (!change[i - 1]) {
      fprintf(f, "%s\n", lines[i]);
      continue;
    }
    int col = 0;
    for (char *c = lines[i]; c;) {
      char *comma = strchr(c, ',');
      if (comma) *comma = '\0';
      if (col == 3) fprintf(f, ",%s", "98765432");
      else if (col == 34) fprintf(f, ",%s", "123456789012");
      else fprintf(f, "%s%s", col ? "," : "", c);
      col++;
      c = comma ? comma + 1 : NULL;
    }
    ck_assert_int_eq(col, 38); /* no quoted commas in the sample */
    fputc('\n', f);
  }
  fclose(f);
  free(text);
}

/* The data keeps what the reader options point at: a field path of the
 * caller's (here a buffer it overwrites after the load; a freed pipeline's
 * in a program) still reads the same records when a fold refits the
 * pipeline on the input kept in memory. */
static viral_eval_data *load_with_path(const char *dir, char *path, viral_eval_fold *f, int *role) {
  char spec[4096 + 16], data[4096];
  snprintf(spec, sizeof spec, "%s/spec.json", dir);
  test_write_file(spec, "{\"window\": \"2h\", \"label\": \"viral\", \"scaling\": \"standard\",\n"
                        " \"fields\": {\"caption\": {\"from\": \"challenges[].title\"}},\n"
                        " \"features\": [{\"transform\": \"log1p\", \"field\": \"views_2h\"},\n"
                        "  {\"transform\": \"hash\", \"field\": \"caption\", \"fill\": 0}]}\n");
  test_repo_path(data, sizeof data, "tests/data/inputs/challenges.jsonl");
  viral_error err;
  viral_pipeline *p = viral_pipeline_load_spec(spec, NULL, &err);
  ck_assert_msg(p != NULL, "%s", err.message);
  viral_reader_options ropts;
  viral_reader_options_init(&ropts);
  const char *paths[1] = {path};
  ropts.field_paths = paths;
  ropts.field_path_count = 1;
  viral_eval_data *d = viral_eval_load(p, data, &ropts, 0, &err);
  ck_assert_msg(d != NULL, "%s", err.message);
  ck_assert_int_eq(viral_eval_refits(d), 1); /* the fold reads the input again */
  viral_pipeline_free(p);
  memcpy(path, "challenges[].TITLE", strlen(path)); /* the caller's buffer is reused */
  ck_assert_int_eq(viral_eval_fold_init(f, d, role, &err), VIRAL_OK);
  return d;
}

START_TEST(refit_reads_the_field_paths_given_at_load) {
  char dir[4096];
  test_tmpdir(dir, sizeof dir, "eval_refit_paths");
  int role[6] = {1, 0, 0, 1, 0, 0};
  char path[] = "challenges[].title";
  viral_eval_fold f;
  viral_eval_data *d = load_with_path(dir, path, &f, role);
  /* each row has its title's hashed coordinate beside log1p(views) */
  for (size_t i = 0; i < 6; i++) ck_assert_uint_eq(viral_dataset_row(f.ds, i).count, 2);
  viral_eval_fold_release(&f);
  viral_eval_data_free(d);
}
END_TEST

static viral_eval_data *load_refit(const char *path, viral_pipeline **p) {
  viral_pipeline_options popts;
  viral_pipeline_options_init(&popts);
  popts.label = "top:20%:views_final"; /* and the default spec's standard scaling */
  viral_error err;
  *p = viral_pipeline_load_spec(NULL, &popts, &err);
  ck_assert_ptr_nonnull(*p);
  viral_eval_data *d = viral_eval_load(*p, path, NULL, 0, &err);
  ck_assert_msg(d != NULL, "%s", err.message);
  ck_assert_int_eq(viral_eval_refits(d), 1);
  return d;
}

/* When the pipeline needs fitting, fold f's scaling statistics and quantile
 * threshold come from its training rows alone: changing the test rows'
 * features and outcomes (by orders of magnitude) leaves the fitted pipeline
 * and an unchanged test row's predictions exactly as they were. */
START_TEST(fitted_pipeline_sees_training_rows_only) {
  char dir[4096], a[4096], b[4096 + 16];
  test_tmpdir(dir, sizeof dir, "eval_refit_leak");
  sample_head(a, sizeof a, dir, 300);
  snprintf(b, sizeof b, "%s/changed.csv", dir);
  enum { N = 300 };
  int role[N], change[N], train[N];
  size_t keep = 0; /* the first test row stays as it was */
  for (size_t i = 0; i < N; i++) {
    role[i] = i % 3 == 0;
    train[i] = !role[i];
    change[i] = role[i] && i != keep;
  }
  write_changed(a, b, change);
  viral_pipeline *pa, *pb;
  viral_eval_data *da = load_refit(a, &pa), *db = load_refit(b, &pb);
  ck_assert_uint_eq(da->ds.rows, N);
  ck_assert_uint_eq(db->ds.rows, N);
  viral_eval_fold fa, fb;
  viral_error err;
  ck_assert_int_eq(viral_eval_fold_init(&fa, da, role, &err), VIRAL_OK);
  ck_assert_int_eq(viral_eval_fold_init(&fb, db, role, &err), VIRAL_OK);

  /* the threshold is the training rows' own, worked out by hand */
  double views[N], changed[N];
  ck_assert_uint_eq(read_outcomes(a, views, N), N);
  ck_assert_uint_eq(read_outcomes(b, changed, N), N);
  double want = top20(views, train, N);
  ck_assert(viral_pipeline_label_threshold(fa.pipeline) == want);
  ck_assert(viral_pipeline_label_threshold(fb.pipeline) == want);
  /* not vacuous: over all rows of the changed file it would be another */
  int all[N];
  for (size_t i = 0; i < N; i++) all[i] = 1;
  ck_assert(top20(changed, all, N) != want);
  /* the whole fitted state (scaling means and deviations included) */
  char *ja = test_pipeline_json(fa.pipeline), *jb = test_pipeline_json(fb.pipeline);
  ck_assert_str_eq(ja, jb);
  free(ja), free(jb);
  /* the test rows are labelled by the training threshold */
  for (size_t i = 0; i < N; i++)
    if (role[i]) ck_assert(fa.ds->labels[i] == (views[i] >= want));
  /* and the changed rows' features are scaled with the training statistics:
   * their author_followers column is far outside, the kept row's is equal */
  viral_sparse ra = viral_dataset_row(fa.ds, keep), rb = viral_dataset_row(fb.ds, keep);
  ck_assert_uint_eq(ra.count, rb.count);
  for (size_t i = 0; i < ra.count; i++) {
    ck_assert_uint_eq(ra.items[i].index, rb.items[i].index);
    ck_assert(ra.items[i].value == rb.items[i].value);
  }

  /* every predictor gives the kept row the same probability */
  viral_train_options lopts, sopts;
  viral_train_options_init(&lopts);
  viral_train_options_init(&sopts);
  viral_train_options_set_learner(&sopts, viral_learner_find("svm"));
  const viral_train_options *learners[2] = {&lopts, &sopts};
  const viral_eval_predictor what[3] = {VIRAL_EVAL_MODEL, VIRAL_EVAL_VIEWS, VIRAL_EVAL_BASE_RATE};
  for (int l = 0; l < 2; l++)
    for (int j = 0; j < 3; j++) {
      double *qa = calloc(N, sizeof *qa), *qb = calloc(N, sizeof *qb);
      ck_assert_int_eq(viral_eval_fold_predict_with(&fa, what[j], learners[l], qa, &err), VIRAL_OK);
      ck_assert_int_eq(viral_eval_fold_predict_with(&fb, what[j], learners[l], qb, &err), VIRAL_OK);
      ck_assert_msg(qa[keep] == qb[keep], "learner %d predictor %d", l, j);
      ck_assert(qa[keep] > 0 && qa[keep] < 1);
      free(qa), free(qb);
    }
  viral_eval_fold_release(&fa);
  viral_eval_fold_release(&fb);

  /* Not vacuous: when the changed rows train, the pipeline moves. */
  for (size_t i = 0; i < N; i++) role[i] = !role[i];
  ck_assert_int_eq(viral_eval_fold_init(&fa, da, role, &err), VIRAL_OK);
  ck_assert_int_eq(viral_eval_fold_init(&fb, db, role, &err), VIRAL_OK);
  ja = test_pipeline_json(fa.pipeline), jb = test_pipeline_json(fb.pipeline);
  ck_assert_str_ne(ja, jb);
  ck_assert(viral_pipeline_label_threshold(fa.pipeline) != viral_pipeline_label_threshold(fb.pipeline));
  free(ja), free(jb);
  viral_eval_fold_release(&fa);
  viral_eval_fold_release(&fb);
  viral_eval_data_free(da), viral_eval_data_free(db);
  viral_pipeline_free(pa), viral_pipeline_free(pb);
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

START_TEST(time_order_breaks_ties_by_id_then_file_order) {
  /* rows: posted_at and video_id; ties at t 2 are ordered by id, and the one
   * id-less row after the ones with ids; equal (t, id) keep file order */
  const double t[6] = {2, 1, 2, 2, 0, 2};
  char *ids[6] = {"b", "z", "a", NULL, "y", "a"};
  viral_eval_data d;
  memset(&d, 0, sizeof d);
  d.ds.rows = 6;
  d.posted_at = (double *)t;
  d.id = ids;
  size_t order[6];
  viral_error err;
  ck_assert_int_eq(viral_eval_time_order(&d, order, &err), VIRAL_OK);
  const size_t want[6] = {4, 1, 2, 5, 0, 3};
  ck_assert_mem_eq(order, want, sizeof want);
  const double missing[2] = {1, NAN};
  d.ds.rows = 2;
  d.posted_at = (double *)missing;
  ck_assert_int_eq(viral_eval_time_order(&d, order, &err), VIRAL_ERR_MISSING);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("eval");
  TCase *tc = tcase_create("eval");
  tcase_set_timeout(tc, 240);
  tcase_add_test(tc, folds_are_stratified_and_seeded);
  tcase_add_test(tc, time_order_breaks_ties_by_id_then_file_order);
  tcase_add_test(tc, temporal_split_respects_order_and_gap);
  tcase_add_test(tc, load_reads_oracle_views_and_ids);
  tcase_add_test(tc, test_fold_does_not_reach_training);
  tcase_add_test(tc, predictions_equal_train_then_score);
  tcase_add_test(tc, svm_predictions_equal_train_then_score);
  tcase_add_test(tc, gbt_predictions_equal_train_then_score);
  tcase_add_test(tc, fitted_label_and_calibration_equal_train_then_score);
  tcase_add_test(tc, fitted_pipeline_sees_training_rows_only);
  tcase_add_test(tc, refit_reads_the_field_paths_given_at_load);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return test_main(make_suite()); }
