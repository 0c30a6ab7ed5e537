/* test_model.c - training, exact continuation, save/load and refusal of
 * damaged model files. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "learn/logistic_json.h"
#include "model/document.h"
#include "testutil.h"
#include "viral/gbt.h"
#include "viral/logistic.h"
#include "viral/model.h"
#include "viral/svm.h"

static char dir[4096];
static char sample[4200];

static void setup(void) {
  test_tmpdir(dir, sizeof dir, "model");
  test_repo_path(sample, sizeof sample, "datasets/sample.csv");
}

/* Write the header and rows [from, to) of sample.csv to path. */
static void write_rows(const char *path, size_t from, size_t to) {
  char *text = test_read_file(sample, NULL);
  ck_assert_ptr_nonnull(text);
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  char *line = text, *next;
  size_t row = 0;
  for (; line && *line; line = next, row++) {
    next = strchr(line, '\n');
    if (next) next++;
    size_t len = next ? (size_t)(next - line) : strlen(line);
    /* row 0 is the header; data rows are 1-based here */
    if (row == 0 || (row - 1 >= from && row - 1 < to)) fwrite(line, 1, len, f);
  }
  fclose(f);
  free(text);
}

static viral_pipeline *pipeline(const char *label, const char *scaling) {
  viral_pipeline_options o;
  viral_pipeline_options_init(&o);
  o.label = label;
  o.scaling = scaling;
  viral_error err = {0};
  viral_pipeline *p = viral_pipeline_load_spec(NULL, &o, &err);
  ck_assert_msg(p != NULL, "%s", err.message);
  return p;
}

static viral_model *train(const char *path, const char *label, const viral_train_options *opts) {
  viral_error err = {0};
  viral_reader_options ro;
  viral_reader_options_init(&ro);
  viral_pipeline *p = pipeline(label, viral_learner_scaling(opts->learner));
  viral_model *m = viral_model_train(p, path, &ro, opts, NULL, &err);
  viral_pipeline_free(p); /* the model trains its own copy */
  ck_assert_msg(m != NULL, "%s", err.message);
  return m;
}

/* The logistic learner's whole state as JSON text (caller frees). */
static char *learner_state(const viral_model *m) {
  viral_error err = {0};
  cJSON *j = viral_logistic_json_write(viral_model_logistic(m), &err);
  ck_assert_ptr_nonnull(j);
  char *text = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  return text;
}

START_TEST(logistic_standardizes_the_dense_columns) {
  /* The learner standardizes exactly the pipeline's dense columns, and the
   * saved model says so (version 2). */
  viral_train_options opts;
  viral_train_options_init(&opts);
  viral_model *m = train(sample, NULL, &opts);
  const viral_logistic *lr = viral_model_logistic(m);
  uint32_t dense = viral_pipeline_dense_count(viral_model_pipeline(m));
  ck_assert_uint_gt(dense, 10);
  ck_assert_uint_eq(viral_logistic_get_params(lr)->dense, dense);
  ck_assert_uint_eq(lr->dense, dense);
  /* every dense column was seen in every row: mean and m2 over all rows */
  ck_assert_uint_eq(viral_logistic_rows(lr), viral_model_rows(m));
  ck_assert(lr->m2[0] > 0.0);
  viral_error err = {0};
  char *text = viral_model_to_json_text(m, &err);
  ck_assert_ptr_nonnull(text);
  ck_assert_ptr_nonnull(strstr(text, "\"version\":\t2,"));
  ck_assert_ptr_nonnull(strstr(text, "\"standardize\":"));
  free(text);
  viral_model_free(m);
}
END_TEST

START_TEST(update_continues_training_exactly) {
  char a[4200], b[4200];
  snprintf(a, sizeof a, "%s/a.csv", dir);
  snprintf(b, sizeof b, "%s/b.csv", dir);
  write_rows(a, 0, 2000);
  write_rows(b, 2000, 5000);
  viral_train_options opts;
  viral_train_options_init(&opts);
  for (int opt = 0; opt < 3; opt++) {
    viral_logistic_params_init(&viral_train_options_logistic(&opts)->params, (viral_logistic_optimizer)opt);
    viral_model *whole = train(sample, NULL, &opts);
    viral_model *split = train(a, NULL, &opts);
    /* through the file, as `viral update` does */
    char path[4200];
    snprintf(path, sizeof path, "%s/split.json", dir);
    viral_error err = {0};
    ck_assert_int_eq(viral_model_save(split, path, &err), VIRAL_OK);
    viral_model_free(split);
    split = viral_model_load(path, &err);
    ck_assert_msg(split != NULL, "%s", err.message);
    viral_reader_options ro;
    viral_reader_options_init(&ro);
    viral_train_summary s;
    ck_assert_int_eq(viral_model_update(split, b, &ro, &opts, &s, &err), VIRAL_OK);
    ck_assert_uint_eq(s.rows, 3000);
    char *x = learner_state(whole), *y = learner_state(split);
    ck_assert_msg(strcmp(x, y) == 0, "optimizer %d: A then B differs from A+B", opt);
    ck_assert_uint_eq(viral_model_rows(split), 5000);
    ck_assert_uint_eq(viral_model_positives(split), viral_model_positives(whole));
    ck_assert_uint_eq(viral_model_updates(split), 1);
    free(x);
    free(y);
    viral_model_free(whole);
    viral_model_free(split);
  }
}
END_TEST

/* The default reaches the batch optimum, and `viral update` continues it
 * online: through the model file or not, the same bits, one pass over the
 * new rows. Past --batch-memory the learner is exactly --passes 1 (the
 * file says which). */
static void note(void *ctx, const char *message) {
  snprintf(ctx, 300, "%s", message);
}

START_TEST(batch_default_then_update_continues) {
  char a[4200], b[4200], path[4200];
  snprintf(a, sizeof a, "%s/a.csv", dir);
  snprintf(b, sizeof b, "%s/b.csv", dir);
  snprintf(path, sizeof path, "%s/batch.json", dir);
  write_rows(a, 0, 2000);
  write_rows(b, 2000, 2600);
  viral_train_options opts;
  viral_train_options_init(&opts);
  viral_model *kept = train(a, NULL, &opts);
  const viral_logistic *lr = viral_model_logistic(kept);
  ck_assert_int_eq(lr->fit.method, VIRAL_LOGISTIC_FIT_BATCH);
  ck_assert_int_eq(lr->fit.folds, 5);
  ck_assert_uint_eq(lr->fit.rows, 2000);
  viral_error err = {0};
  ck_assert_int_eq(viral_model_save(kept, path, &err), VIRAL_OK);
  viral_model *loaded = viral_model_load(path, &err);
  ck_assert_msg(loaded != NULL, "%s", err.message);
  char *before = learner_state(kept);
  viral_reader_options ro;
  viral_reader_options_init(&ro);
  viral_train_summary s;
  ck_assert_int_eq(viral_model_update(kept, b, &ro, &opts, &s, &err), VIRAL_OK);
  ck_assert_uint_eq(s.rows, 600);
  ck_assert(isfinite(s.log_loss)); /* progressive: each new row scored before it is learned */
  ck_assert_int_eq(viral_model_update(loaded, b, &ro, &opts, NULL, &err), VIRAL_OK);
  char *x = learner_state(kept), *y = learner_state(loaded);
  ck_assert_str_eq(x, y);
  ck_assert_str_ne(x, before);
  ck_assert_uint_eq(viral_logistic_rows(viral_model_logistic(kept)), 2600);
  free(before);
  free(x);
  free(y);
  viral_model_free(kept);
  viral_model_free(loaded);

  /* over the memory allowed: --passes 1, and a note */
  char said[300] = "";
  opts.note = note;
  opts.note_ctx = said;
  viral_train_options_logistic(&opts)->batch_memory_mb = 0.01;
  viral_model *over = train(a, NULL, &opts);
  ck_assert_str_eq(said, "the rows pass --batch-memory 0.01 MB at row 18: one online pass (as --passes 1) "
                         "instead of the batch optimum, memory flat from here");
  ck_assert_int_eq(viral_model_logistic(over)->fit.method, VIRAL_LOGISTIC_FIT_OVER_MEMORY);
  viral_train_options_init(&opts);
  viral_train_options_logistic(&opts)->params.passes = 1;
  viral_model *one = train(a, NULL, &opts);
  x = learner_state(over);
  y = learner_state(one);
  char *fit = strstr(x, ",\"fit\":{\"method\":\"over-memory\",\"memory_mb\":0.01}");
  ck_assert_ptr_nonnull(fit);
  memmove(fit, fit + strlen(",\"fit\":{\"method\":\"over-memory\",\"memory_mb\":0.01}"),
          strlen(fit + strlen(",\"fit\":{\"method\":\"over-memory\",\"memory_mb\":0.01}")) + 1);
  ck_assert_str_eq(x, y);
  free(x);
  free(y);
  viral_model_free(over);
  viral_model_free(one);
}
END_TEST

START_TEST(quantile_threshold_is_fitted_once) {
  char a[4200], b[4200];
  snprintf(a, sizeof a, "%s/a.csv", dir);
  snprintf(b, sizeof b, "%s/b.csv", dir);
  write_rows(a, 0, 1000);
  write_rows(b, 1000, 5000);
  viral_train_options opts;
  viral_train_options_init(&opts);
  viral_model *m = train(a, "top:10%:views_final", &opts);
  double t = viral_pipeline_label_threshold(viral_model_pipeline(m));
  ck_assert(isfinite(t) && t > 0);
  /* 10% of 1000 rows at or above the threshold (ties could add more) */
  ck_assert_uint_ge(viral_model_positives(m), 100);
  ck_assert_uint_le(viral_model_positives(m), 110);
  viral_error err = {0};
  viral_reader_options ro;
  viral_reader_options_init(&ro);
  ck_assert_int_eq(viral_model_update(m, b, &ro, &opts, NULL, &err), VIRAL_OK);
  ck_assert(viral_pipeline_label_threshold(viral_model_pipeline(m)) == t);
  viral_model_free(m);
}
END_TEST

/* --skip-bad-rows skips every bad row, not only the first (train and update
 * stopped at the first one). */
START_TEST(skip_bad_rows_skips_them_all) {
  char bad[4200];
  test_repo_path(bad, sizeof bad, "tests/data/inputs/bad_rows.csv");
  viral_train_options opts;
  viral_train_options_init(&opts);
  opts.skip_bad_rows = 1;
  viral_error err = {0};
  viral_reader_options ro;
  viral_reader_options_init(&ro);
  viral_train_summary s;
  viral_pipeline *p = pipeline(NULL, "none");
  viral_model *m = viral_model_train(p, bad, &ro, &opts, &s, &err);
  viral_pipeline_free(p);
  ck_assert_msg(m != NULL, "%s", err.message);
  ck_assert_uint_eq(s.bad_rows, 3);
  ck_assert_uint_eq(s.unlabeled, 1);
  ck_assert_uint_eq(s.rows, 196);
  ck_assert_int_eq(viral_model_update(m, bad, &ro, &opts, &s, &err), VIRAL_OK);
  ck_assert_uint_eq(s.bad_rows, 3);
  ck_assert_uint_eq(s.rows, 196);
  ck_assert_uint_eq(viral_model_rows(m), 392);
  viral_model_free(m);
}
END_TEST

/* Save, load, save: the same bytes; and the same predictions. */
static void check_round_trip(viral_model *m, const char *name) {
  char p1[4200], p2[4200];
  snprintf(p1, sizeof p1, "%s/%s-1.json", dir, name);
  snprintf(p2, sizeof p2, "%s/%s-2.json", dir, name);
  viral_error err = {0};
  ck_assert_int_eq(viral_model_save(m, p1, &err), VIRAL_OK);
  viral_model *back = viral_model_load(p1, &err);
  ck_assert_msg(back != NULL, "%s", err.message);
  ck_assert_int_eq(viral_model_save(back, p2, &err), VIRAL_OK);
  size_t n1, n2;
  char *t1 = test_read_file(p1, &n1), *t2 = test_read_file(p2, &n2);
  ck_assert_uint_eq(n1, n2);
  ck_assert_msg(memcmp(t1, t2, n1) == 0, "%s: save/load/save changed the file", name);
  free(t1);
  free(t2);

  viral_reader *r = viral_reader_open(sample, NULL, &err);
  const viral_record *rec;
  size_t rows = 0;
  viral_model_scratch *scratch = viral_model_scratch_create();
  while (viral_reader_next(r, &rec, &err) == 1 && rows < 500) {
    viral_prediction a, b;
    ck_assert_int_eq(viral_model_predict(m, scratch, rec, &a, NULL, 0, NULL, &err), VIRAL_OK);
    ck_assert_int_eq(viral_model_predict(back, scratch, rec, &b, NULL, 0, NULL, &err), VIRAL_OK);
    ck_assert_msg(a.probability == b.probability && a.margin == b.margin, "row %zu", rows);
    rows++;
  }
  ck_assert_uint_eq(rows, 500);
  viral_model_scratch_free(scratch);
  viral_reader_free(r);
  viral_model_free(back);
}

START_TEST(save_load_is_exact_for_both_learners) {
  viral_train_options opts;
  viral_train_options_init(&opts);
  viral_model *m = train(sample, NULL, &opts);
  check_round_trip(m, "logistic");
  viral_model_free(m);
  viral_train_options_set_learner(&opts, viral_learner_find("svm"));
  viral_train_options_svm(&opts)->kernel = VIRAL_SVM_RBF;
  m = train(sample, NULL, &opts);
  check_round_trip(m, "svm");
  viral_model_free(m);
  for (int kind = VIRAL_CALIBRATION_PLATT; kind <= VIRAL_CALIBRATION_ISOTONIC; kind++) {
    viral_train_options_init(&opts);
    opts.calibrate = (viral_calibration_kind)kind;
    m = train(sample, NULL, &opts);
    ck_assert_int_eq(viral_model_calibration(m)->kind, kind);
    /* a fifth of the labelled rows went to the calibration, not the learner */
    ck_assert_uint_lt(viral_model_rows(m), 4200);
    ck_assert_uint_gt(viral_model_rows(m), 3800);
    check_round_trip(m, kind == VIRAL_CALIBRATION_PLATT ? "platt" : "isotonic");
    viral_model_free(m);
  }
}
END_TEST

START_TEST(reasons_add_up_from_the_mean_video_to_the_margin) {
  viral_train_options opts;
  viral_train_options_init(&opts);
  viral_model *m = train(sample, NULL, &opts);
  viral_error err = {0};
  viral_reader *r = viral_reader_open(sample, NULL, &err);
  const viral_record *rec;
  viral_reason reasons[400];
  viral_model_scratch *scratch = viral_model_scratch_create();
  for (int row = 0; row < 50 && viral_reader_next(r, &rec, &err) == 1; row++) {
    viral_prediction p;
    size_t n = 0;
    ck_assert_int_eq(viral_model_predict(m, scratch, rec, &p, reasons, 400, &n, &err), VIRAL_OK);
    /* every dense coordinate has a reason, those at 0 too: each effect is
     * measured from the video at the training mean, whose margin they
     * complete to the row's */
    ck_assert_uint_ge(n, viral_pipeline_dense_count(viral_model_pipeline(m)));
    viral_sparse none = {0};
    double unused;
    double sum = viral_logistic_effects(viral_model_logistic(m), &none, &unused);
    for (size_t i = 0; i < n; i++) {
      sum += reasons[i].contribution;
      ck_assert_msg(reasons[i].name[0], "reason %zu has a name", i);
      if (i) ck_assert(fabs(reasons[i].contribution) <= fabs(reasons[i - 1].contribution));
    }
    ck_assert_double_near(sum, p.margin, 1e-9);
    ck_assert_double_near(p.probability, 1 / (1 + exp(-p.margin)), 1e-15);
    ck_assert_int_eq(p.label, p.probability >= 0.5);
  }
  viral_model_scratch_free(scratch);
  viral_reader_free(r);
  viral_model_free(m);
}
END_TEST

/* inspect's ranking comes from the model: non-zero weights, largest first;
 * a learner without weights says why. */
START_TEST(weights_ranked_or_said_missing) {
  viral_train_options opts;
  viral_train_options_init(&opts);
  char small[4200];
  snprintf(small, sizeof small, "%s/small.csv", dir);
  write_rows(small, 0, 300);
  viral_model *m = train(small, NULL, &opts);
  viral_error err = {0};
  size_t n = 0;
  viral_weight *w = viral_model_weights(m, &n, &err);
  ck_assert_ptr_nonnull(w);
  ck_assert_uint_gt(n, 10);
  for (size_t i = 0; i < n; i++) {
    ck_assert(w[i].weight != 0);
    ck_assert(w[i].weight == viral_logistic_weight(viral_model_logistic(m), w[i].index));
    if (i) ck_assert(w[i - 1].weight >= w[i].weight);
  }
  free(w);
  char text[400];
  viral_model_describe_learner(m, text, sizeof text);
  ck_assert_msg(strncmp(text, "batch optimum C 0.5 (5-fold CV) on 300 rows, then ftrl, alpha 0.5, beta 1, l1 0, "
                              "l2 1, 1 pass, 2^18 weights, ", 105) == 0, "%s", text);
  viral_model_free(m);
  viral_train_options_set_learner(&opts, viral_learner_find("svm"));
  viral_train_options_svm(&opts)->kernel = VIRAL_SVM_RBF;
  m = train(small, NULL, &opts);
  ck_assert_ptr_null(viral_model_weights(m, &n, &err));
  ck_assert_int_eq(err.code, VIRAL_ERR_MISSING);
  ck_assert_str_eq(err.message, "an RBF kernel has no feature weights");
  char *json = viral_model_inspect_json(m, "m.json", 5, &err);
  ck_assert_ptr_nonnull(strstr(json, "\"support_vectors\":"));
  ck_assert_ptr_null(strstr(json, "top_positive"));
  free(json);
  viral_model_free(m);
}
END_TEST

/* viral_model_train with p (freed here), for what it refuses. */
static viral_model *refused(viral_pipeline *p, const char *path, const viral_train_options *opts,
                            viral_error *err) {
  viral_model *m = viral_model_train(p, path, NULL, opts, NULL, err);
  viral_pipeline_free(p);
  return m;
}

START_TEST(training_refuses_what_it_cannot_do) {
  viral_train_options opts;
  viral_train_options_init(&opts);
  viral_error err = {0};
  viral_reader_options ro;
  viral_reader_options_init(&ro);
  /* a quantile label needs two passes: not over stdin */
  ck_assert_ptr_null(refused(pipeline("top:10%:views_final", "none"), "-", &opts, &err));
  ck_assert_str_eq(err.message, "stdin: this spec (scaling or a quantile label) needs two passes "
                                "over the data: give a file, not standard input");
  /* a weight space smaller than the spec's hashed features: refused before
   * training (the model it made was refused by score, inspect and update) */
  viral_train_options narrow = opts;
  viral_train_options_logistic(&narrow)->bits = 10;
  char sample[4200];
  test_repo_path(sample, sizeof sample, "datasets/sample.csv");
  ck_assert_ptr_null(refused(pipeline(NULL, "none"), sample, &narrow, &err));
  ck_assert_str_eq(err.message, "logistic weights (2^10) are fewer than the pipeline's 262144 "
                                "features: --bits must be at least the spec's hash_bits");
  /* an input without the fields the spec reads: named, with what it has */
  char path[4200];
  snprintf(path, sizeof path, "%s/nolabel.csv", dir);
  test_write_file(path, "video_id,views_1h\nv1,10\n");
  ck_assert_ptr_null(refused(pipeline(NULL, "none"), path, &opts, &err));
  ck_assert_int_eq(err.code, VIRAL_ERR_MISSING);
  ck_assert_msg(strstr(err.message, "nolabel.csv: the input lacks fields the spec reads: viral, views_2h, "
                                    "likes_2h,") != NULL, "%s", err.message);
  ck_assert_msg(strstr(err.message, "(the input has: video_id, views_1h)") != NULL, "%s", err.message);
  /* no labelled rows: the label field looked for, and what was found */
  viral_pipeline *lenient = pipeline(NULL, "none");
  viral_pipeline_set_allow_missing(lenient, 1);
  ck_assert_ptr_null(refused(lenient, path, &opts, &err));
  ck_assert_msg(strstr(err.message, "no labelled rows to learn from: the label rule 'viral' reads "
                                    "'viral', which is not in the input (it has: video_id, views_1h)") != NULL,
                "%s", err.message);
  snprintf(path, sizeof path, "%s/emptylabel.csv", dir);
  test_write_file(path, "video_id,views_1h,viral\nv1,10,\nv2,20,\n");
  lenient = pipeline(NULL, "none");
  viral_pipeline_set_allow_missing(lenient, 1);
  ck_assert_ptr_null(refused(lenient, path, &opts, &err));
  ck_assert_msg(strstr(err.message, "the label rule 'viral' reads 'viral', missing in 2 of 2 rows") != NULL,
                "%s", err.message);
  /* a bad value names file, line and field */
  snprintf(path, sizeof path, "%s/bad.csv", dir);
  test_write_file(path, "video_id,views_1h,views_2h,viral\nv1,10,20,1\nv2,ten,20,0\n");
  lenient = pipeline(NULL, "none");
  viral_pipeline_set_allow_missing(lenient, 1);
  ck_assert_ptr_null(refused(lenient, path, &opts, &err));
  ck_assert_msg(strstr(err.message, "bad.csv:3: field 'views_1h': bad count 'ten'") != NULL, "%s",
                err.message);
}
END_TEST

/* ---- one loaded model scoring from several threads ---- */

#define THREADS 4
#define SCORED 400

typedef struct scored {
  viral_prediction p[SCORED];
  viral_reason why[SCORED][3];
  size_t n[SCORED];
  size_t rows;
} scored;

typedef struct scoring_job {
  const viral_model *m;
  scored *out;
} scoring_job;

/* Score the first SCORED rows of sample.csv with reasons, in a scratch of
 * its own: what each thread does. */
static void *score_rows(void *arg) {
  scoring_job *job = arg;
  viral_error err;
  viral_reader *r = viral_reader_open(sample, NULL, &err);
  viral_model_scratch *s = viral_model_scratch_create();
  const viral_record *rec;
  job->out->rows = 0;
  while (r && s && job->out->rows < SCORED && viral_reader_next(r, &rec, &err) == 1) {
    size_t i = job->out->rows++;
    if (viral_model_predict(job->m, s, rec, &job->out->p[i], job->out->why[i], 3, &job->out->n[i], &err) != VIRAL_OK)
      job->out->n[i] = (size_t)-1;
  }
  viral_model_scratch_free(s);
  viral_reader_free(r);
  return NULL;
}

static void same_scores(const scored *a, const scored *b) {
  ck_assert_uint_eq(a->rows, SCORED);
  ck_assert_uint_eq(b->rows, SCORED);
  for (size_t i = 0; i < SCORED; i++) {
    ck_assert_msg(a->p[i].probability == b->p[i].probability && a->p[i].margin == b->p[i].margin &&
                      a->p[i].label == b->p[i].label, "row %zu", i);
    ck_assert_uint_eq(a->n[i], b->n[i]);
    ck_assert_uint_eq(a->n[i], 3);
    for (size_t k = 0; k < a->n[i]; k++) {
      ck_assert_str_eq(a->why[i][k].name, b->why[i][k].name);
      ck_assert(a->why[i][k].contribution == b->why[i][k].contribution);
      ck_assert_uint_eq(a->why[i][k].index, b->why[i][k].index);
    }
  }
}

/* A model loaded once scores from 4 threads at once, each with its own
 * scratch, exactly as from one: probabilities, margins and reasons. */
START_TEST(one_model_scores_from_four_threads) {
  char small[4200], path[4200];
  snprintf(small, sizeof small, "%s/threads.csv", dir);
  write_rows(small, 0, 300);
  for (int which = 0; which < 3; which++) { /* logistic, svm, gbt */
    viral_train_options opts;
    viral_train_options_init(&opts);
    if (which == 1) {
      viral_train_options_set_learner(&opts, viral_learner_find("svm"));
      viral_train_options_svm(&opts)->kernel = VIRAL_SVM_RBF;
    }
    if (which == 2) { /* its reasons are XGBoost's SHAP values, one call at a time */
      viral_train_options_set_learner(&opts, viral_learner_find("gbt"));
      viral_train_options_gbt(&opts)->min_rows = 5;
    }
    viral_model *trained = train(small, NULL, &opts);
    snprintf(path, sizeof path, "%s/threads-%d.json", dir, which);
    viral_error err = {0};
    ck_assert_int_eq(viral_model_save(trained, path, &err), VIRAL_OK);
    viral_model_free(trained);
    const viral_model *m = viral_model_load(path, &err);
    ck_assert_msg(m != NULL, "%s", err.message);
    scored *alone = malloc(sizeof *alone), *each = malloc(THREADS * sizeof *each);
    scoring_job one = {m, alone}, jobs[THREADS];
    score_rows(&one);
    pthread_t t[THREADS];
    for (int k = 0; k < THREADS; k++) {
      jobs[k] = (scoring_job){m, &each[k]};
      ck_assert_int_eq(pthread_create(&t[k], NULL, score_rows, &jobs[k]), 0);
    }
    for (int k = 0; k < THREADS; k++) ck_assert_int_eq(pthread_join(t[k], NULL), 0);
    for (int k = 0; k < THREADS; k++) same_scores(alone, &each[k]);
    free(alone);
    free(each);
    viral_model_free((viral_model *)m);
  }
}
END_TEST

/* ---- damaged model files ---- */

static char good_path[4200];

static void save_good(void) {
  viral_train_options opts;
  viral_train_options_init(&opts);
  char small[4200];
  snprintf(small, sizeof small, "%s/small.csv", dir);
  write_rows(small, 0, 300);
  viral_model *m = train(small, NULL, &opts);
  snprintf(good_path, sizeof good_path, "%s/good.json", dir);
  viral_error err = {0};
  ck_assert_int_eq(viral_model_save(m, good_path, &err), VIRAL_OK);
  viral_model_free(m);
}

/* The load error of a file holding text, without the "PATH: " prefix. */
static const char *load_error(const char *text) {
  static viral_error err;
  static char path[4200];
  snprintf(path, sizeof path, "%s/bad.json", dir);
  test_write_file(path, text);
  viral_error_clear(&err);
  viral_model *m = viral_model_load(path, &err);
  ck_assert_msg(m == NULL, "a damaged model was accepted");
  ck_assert_msg(strncmp(err.message, path, strlen(path)) == 0, "names the file: %s", err.message);
  return err.message + strlen(path) + 2;
}

/* The good model with one change made through cJSON and a valid checksum:
 * what the loader must catch by checking values, not the checksum. */
typedef void (*edit_fn)(cJSON *doc);

static const char *edited_error(edit_fn edit) {
  char *text = test_read_file(good_path, NULL);
  cJSON *doc = cJSON_Parse(text);
  free(text);
  cJSON_DeleteItemFromObject(doc, "checksum");
  edit(doc);
  char path[4200];
  snprintf(path, sizeof path, "%s/edited.json", dir);
  viral_error err = {0};
  ck_assert_int_eq(viral_document_save(doc, path, &err), VIRAL_OK);
  cJSON_Delete(doc);
  char *saved = test_read_file(path, NULL);
  const char *msg = load_error(saved);
  free(saved);
  return msg;
}

static void set_learner(cJSON *d) { cJSON_ReplaceItemInObject(d, "learner", cJSON_CreateString("tree")); }
static void set_threshold(cJSON *d) { cJSON_ReplaceItemInObject(d, "threshold", cJSON_CreateNumber(1.5)); }
static void drop_pipeline(cJSON *d) { cJSON_DeleteItemFromObject(d, "pipeline"); }
static void more_positives(cJSON *d) {
  cJSON_ReplaceItemInObject(cJSON_GetObjectItem(d, "training"), "positives", cJSON_CreateNumber(1e6));
}
static void bad_coordinate(cJSON *d) {
  cJSON *coords = cJSON_GetObjectItem(cJSON_GetObjectItem(d, "logistic"), "coordinates");
  cJSON_ReplaceItemInArray(cJSON_GetArrayItem(coords, 0), 0, cJSON_CreateNumber(1 << 30));
}
static void nan_weight(cJSON *d) {
  cJSON *coords = cJSON_GetObjectItem(cJSON_GetObjectItem(d, "logistic"), "coordinates");
  cJSON_ReplaceItemInArray(cJSON_GetArrayItem(coords, 0), 1, cJSON_CreateString("nan"));
}
static void drop_logistic(cJSON *d) { cJSON_DeleteItemFromObject(d, "logistic"); }
static void drop_standardize(cJSON *d) {
  cJSON_DeleteItemFromObject(cJSON_GetObjectItem(d, "logistic"), "standardize");
}
static void as_svm(cJSON *d) {
  cJSON_ReplaceItemInObject(d, "learner", cJSON_CreateString("svm"));
  cJSON *svm = cJSON_CreateObject();
  cJSON *params = cJSON_CreateObject();
  cJSON_AddStringToObject(params, "kernel", "rbf");
  cJSON_AddNumberToObject(params, "C", 1);
  cJSON_AddNumberToObject(params, "gamma", 0.5);
  cJSON_AddNumberToObject(params, "weight0", 1);
  cJSON_AddNumberToObject(params, "weight1", 1);
  cJSON_AddNumberToObject(params, "cache_mb", 100);
  cJSON_AddNumberToObject(params, "eps", 0.001);
  cJSON_AddNumberToObject(params, "shrinking", 1);
  cJSON_AddNumberToObject(params, "probability", 1);
  cJSON_AddNumberToObject(params, "seed", 1);
  cJSON_AddItemToObject(svm, "params", params);
  cJSON_AddStringToObject(svm, "model", "svm_type c_svc\nkernel_type rbf\nnr_class 2\ntotal_sv 99999999\n");
  cJSON_AddItemToObject(d, "svm", svm);
}
/* 1e999 reads as infinity, which printing the model back asserted against */
static void infinite_threshold(cJSON *d) {
  cJSON_ReplaceItemInObject(cJSON_GetObjectItem(d, "pipeline"), "label_threshold",
                            cJSON_CreateRaw("1e999"));
}
static void bad_calibration(cJSON *d) {
  cJSON *c = cJSON_CreateObject();
  cJSON_AddStringToObject(c, "kind", "isotonic");
  cJSON *x = cJSON_AddArrayToObject(c, "x"), *y = cJSON_AddArrayToObject(c, "y");
  cJSON_AddItemToArray(x, cJSON_CreateNumber(0.1));
  cJSON_AddItemToArray(x, cJSON_CreateNumber(0.2));
  cJSON_AddItemToArray(y, cJSON_CreateNumber(0.5));
  cJSON_AddItemToArray(y, cJSON_CreateNumber(0.4));
  cJSON_ReplaceItemInObject(d, "calibration", c);
}
static void bad_spec(cJSON *d) {
  cJSON *spec = cJSON_GetObjectItem(cJSON_GetObjectItem(d, "pipeline"), "spec");
  cJSON_ReplaceItemInObject(spec, "hash_bits", cJSON_CreateNumber(40));
}

START_TEST(damaged_models_are_refused_with_their_reason) {
  save_good();
  char *good = test_read_file(good_path, NULL);
  size_t len = strlen(good);

  char *cut = strdup(good);
  cut[len / 2] = '\0';
  ck_assert_str_eq(load_error(cut), "not valid JSON: truncated");
  free(cut);

  char *flipped = strdup(good);
  char *digit = strstr(flipped, "\"coordinates\"");
  while (*digit < '1' || *digit > '8') digit++;
  (*digit)++;
  ck_assert_str_eq(load_error(flipped), "checksum mismatch: the file was changed or damaged");
  free(flipped);

  ck_assert_str_eq(load_error(""), "empty file");
  ck_assert_str_eq(load_error("{\"format\": \"something-else\", \"version\": 1}"),
                   "not a viral-model file (no \"format\": \"viral-model\")");
  ck_assert_str_eq(load_error("{\"format\": \"viral-model\", \"version\": 7}"),
                   "unsupported viral-model version (this viral reads versions 1 to 2)");
  ck_assert_str_eq(load_error("{\"format\": \"viral-model\", \"version\": 1}"),
                   "no checksum at the end of the file");

  /* nesting far beyond anything a model has: an error, not a crash */
  size_t depth = 200000;
  char *deep = malloc(2 * depth + 1);
  memset(deep, '[', depth);
  memset(deep + depth, ']', depth);
  deep[2 * depth] = '\0';
  ck_assert_ptr_nonnull(strstr(load_error(deep), "not valid JSON"));
  free(deep);

  ck_assert_str_eq(edited_error(set_learner), "\"learner\" must be \"logistic\", \"svm\" or \"gbt\"");
  ck_assert_str_eq(edited_error(set_threshold), "\"threshold\" must be a number from 0 to 1");
  ck_assert_str_eq(edited_error(drop_pipeline), "\"pipeline\" is missing or not an object");
  ck_assert_str_eq(edited_error(more_positives), "\"positives\" must be a whole number from 0 to 300");
  ck_assert_ptr_nonnull(strstr(edited_error(bad_coordinate), "coordinates[0][0] (index)"));
  ck_assert_ptr_nonnull(strstr(edited_error(nan_weight), "coordinates[0]"));
  ck_assert_ptr_nonnull(strstr(edited_error(drop_logistic), "logistic"));
  ck_assert_str_eq(edited_error(drop_standardize), "logistic learner: \"standardize\" is missing");
  ck_assert_ptr_nonnull(strstr(edited_error(as_svm), "svm model"));
  ck_assert_ptr_nonnull(strstr(edited_error(bad_spec), "hash_bits"));
  ck_assert_str_eq(edited_error(infinite_threshold), "pipeline: label_threshold must be finite");
  ck_assert_str_eq(edited_error(bad_calibration), "\"y\" must not decrease");

  viral_error err = {0};
  char missing[4200];
  snprintf(missing, sizeof missing, "%s/none.json", dir);
  ck_assert_ptr_null(viral_model_load(missing, &err));
  ck_assert_ptr_nonnull(strstr(err.message, "none.json: cannot open: No such file or directory"));
  free(good);
}
END_TEST

/* Peak memory (KB) a fresh process adds by loading the model at path; -1
 * when it does not load. Forked, so earlier tests' memory does not count. */
static long load_peak_growth_kb(const char *path) {
  int fds[2];
  ck_assert_int_eq(pipe(fds), 0);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    struct rusage before, after;
    getrusage(RUSAGE_SELF, &before);
    viral_error err = {0};
    viral_model *m = viral_model_load(path, &err);
    getrusage(RUSAGE_SELF, &after);
    long grown = m ? after.ru_maxrss - before.ru_maxrss : -1;
    if (write(fds[1], &grown, sizeof grown) != (ssize_t)sizeof grown) _exit(1);
    _exit(0);
  }
  close(fds[1]);
  long grown = -2;
  ck_assert_int_eq(read(fds[0], &grown, sizeof grown), (ssize_t)sizeof grown);
  close(fds[0]);
  waitpid(pid, NULL, 0);
  return grown;
}

static cJSON *raw_number_array(size_t bytes) {
  char *text = malloc(bytes + 2);
  size_t n = 0;
  text[n++] = '[';
  while (n + 2 < bytes) {
    text[n++] = '0';
    text[n++] = ',';
  }
  text[n++] = '0';
  text[n++] = ']';
  text[n] = '\0';
  cJSON *raw = cJSON_CreateRaw(text);
  free(text);
  return raw;
}

/* A member the loader does not read is skipped without building it: a 2 MB
 * array of numbers cost a cJSON node per number, 80 MB (2 MB -> 85 MB
 * measured with `viral score`). Unknown members at every level load; their
 * bytes still count in the checksum. */
START_TEST(unknown_members_are_skipped_unbuilt) {
  save_good();
  char *text = test_read_file(good_path, NULL);
  cJSON *doc = cJSON_Parse(text);
  free(text);
  cJSON_DeleteItemFromObject(doc, "checksum");
  cJSON_AddItemToObject(doc, "junk", raw_number_array(2000000));
  cJSON_AddItemToObject(cJSON_GetObjectItem(doc, "training"), "junk", raw_number_array(1000));
  cJSON *params = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "logistic"), "params");
  cJSON_AddStringToObject(params, "comment", "from a newer viral");
  char path[4200];
  snprintf(path, sizeof path, "%s/junk.json", dir);
  viral_error err = {0};
  ck_assert_int_eq(viral_document_save(doc, path, &err), VIRAL_OK);
  cJSON_Delete(doc);

  long plain = load_peak_growth_kb(good_path), junk = load_peak_growth_kb(path);
  ck_assert_int_ge(plain, 0);
  ck_assert_msg(junk >= 0, "the model with unknown members does not load");
  /* the file twice (text and the copy parsed) and a little more */
  ck_assert_msg(junk - plain < 12 * 1024, "2 MB of unknown members cost %ld KB more", junk - plain);

  /* the skipped bytes are checked */
  text = test_read_file(path, NULL);
  char *zero = strstr(text, "\"junk\":\t[0,0,0");
  ck_assert_ptr_nonnull(zero);
  zero[12] = '1';
  ck_assert_str_eq(load_error(text), "checksum mismatch: the file was changed or damaged");
  free(text);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("model");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_checked_fixture(tc, setup, NULL);
  tcase_add_test(tc, logistic_standardizes_the_dense_columns);
  tcase_add_test(tc, update_continues_training_exactly);
  tcase_add_test(tc, batch_default_then_update_continues);
  tcase_add_test(tc, quantile_threshold_is_fitted_once);
  tcase_add_test(tc, skip_bad_rows_skips_them_all);
  tcase_add_test(tc, save_load_is_exact_for_both_learners);
  tcase_add_test(tc, reasons_add_up_from_the_mean_video_to_the_margin);
  tcase_add_test(tc, weights_ranked_or_said_missing);
  tcase_add_test(tc, one_model_scores_from_four_threads);
  tcase_add_test(tc, training_refuses_what_it_cannot_do);
  tcase_add_test(tc, damaged_models_are_refused_with_their_reason);
  tcase_add_test(tc, unknown_members_are_skipped_unbuilt);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return test_main(make_suite()); }
