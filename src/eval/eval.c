/* eval.c - cross-validation data and folds (viral/eval.h). */
#include "viral/eval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viral/calibrate.h"
#include "viral/logistic.h"

void viral_eval_data_free(viral_eval_data *d) {
  if (!d) return;
  if (d->id)
    for (size_t i = 0; i < d->ds.rows; i++) free(d->id[i]);
  viral_dataset_release(&d->ds);
  free(d->id);
  free(d->record);
  free(d->posted_at);
  free(d->views_window);
  free(d->oracle);
  free(d);
}

/* A numeric column by its literal name, NAN when absent or unreadable: the
 * oracle and the views at the window are read as the generator writes them. */
static double column_number(const viral_record *rec, const char *name) {
  long i = viral_record_find(rec, name);
  double x = NAN;
  if (i < 0 || viral_record_number(rec, (size_t)i, &x, NULL) != VIRAL_OK) return NAN;
  return x;
}

static int grow(viral_eval_data *d, size_t *cap) {
  if (d->ds.rows < *cap) return VIRAL_OK;
  size_t c = *cap ? *cap * 2 : 1024;
  uint64_t *rec = realloc(d->record, c * sizeof *rec);
  if (rec) d->record = rec;
  double *t = realloc(d->posted_at, c * sizeof *t);
  if (t) d->posted_at = t;
  double *v = realloc(d->views_window, c * sizeof *v);
  if (v) d->views_window = v;
  double *o = realloc(d->oracle, c * sizeof *o);
  if (o) d->oracle = o;
  char **id = realloc(d->id, c * sizeof *id);
  if (id) d->id = id;
  if (!rec || !t || !v || !o || !id) return VIRAL_ERR_NOMEM;
  *cap = c;
  return VIRAL_OK;
}

viral_eval_data *viral_eval_load(viral_pipeline *p, const char *path,
                                 const viral_reader_options *ropts, int skip_bad_rows,
                                 viral_error *err) {
  if (viral_pipeline_needs_fit(p)) {
    viral_error_set(err, VIRAL_ERR_INVALID, viral_pipeline_name(p), 0,
                    "eval featurizes once and needs a pipeline without fitted state (scaling "
                    "\"none\" and a label rule that is not a quantile)");
    return NULL;
  }
  viral_eval_data *d = calloc(1, sizeof *d);
  if (!d) {
    viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
    return NULL;
  }
  viral_dataset_init(&d->ds);
  d->pipeline = p;
  char views_name[64];
  snprintf(views_name, sizeof views_name, "views_%gh", viral_pipeline_window_hours(p));
  viral_reader *r = viral_reader_open(path, ropts, err);
  if (!r) {
    viral_eval_data_free(d);
    return NULL;
  }
  viral_sparse x;
  viral_sparse_init(&x);
  size_t cap = 0;
  uint64_t index = 0;
  const viral_record *rec;
  int rc;
  d->has_views_window = d->has_oracle = 1;
  while ((rc = viral_reader_next(r, &rec, err)) == 1) {
    double y = NAN;
    uint64_t here = index++;
    rc = viral_pipeline_transform(p, rec, &x, &y, err);
    if (rc != VIRAL_OK) {
      if (!skip_bad_rows) break;
      d->bad_rows++;
      continue;
    }
    if (isnan(y)) {
      d->unlabeled++;
      continue;
    }
    if ((rc = grow(d, &cap)) != VIRAL_OK || (rc = viral_dataset_append(&d->ds, &x, y)) != VIRAL_OK) {
      viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
      break;
    }
    size_t i = d->ds.rows - 1;
    d->record[i] = here;
    d->positives += y > 0.5;
    double t = NAN;
    if (viral_pipeline_field_timestamp(p, rec, "posted_at", &t, NULL) != VIRAL_OK) t = NAN;
    d->posted_at[i] = t;
    d->views_window[i] = column_number(rec, views_name);
    d->oracle[i] = column_number(rec, "oracle_p");
    if (isnan(d->views_window[i])) d->has_views_window = 0;
    if (isnan(d->oracle[i])) d->has_oracle = 0;
    viral_strview s;
    d->id[i] = NULL;
    if (viral_pipeline_field_text(p, rec, "video_id", &s, NULL) == VIRAL_OK) {
      d->id[i] = malloc(s.len + 1);
      if (!d->id[i]) {
        rc = viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
        break;
      }
      memcpy(d->id[i], s.ptr, s.len);
      d->id[i][s.len] = '\0';
    }
  }
  d->bad_rows += viral_reader_skipped(r);
  viral_reader_free(r);
  viral_sparse_release(&x);
  if (rc < 0) {
    viral_eval_data_free(d);
    return NULL;
  }
  if (d->ds.rows == 0) {
    d->has_views_window = d->has_oracle = 0;
  }
  return d;
}

/* ---- folds ---- */

static uint64_t xorshift(uint64_t *s) {
  uint64_t x = *s;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return *s = x;
}

static void shuffle(size_t *a, size_t n, uint64_t *state) {
  for (size_t i = n; i > 1; i--) {
    size_t j = (size_t)(xorshift(state) % i);
    size_t t = a[i - 1];
    a[i - 1] = a[j];
    a[j] = t;
  }
}

int viral_eval_stratified_folds(const double *labels, size_t n, int k, uint64_t seed, int *fold,
                                viral_error *err) {
  if (k < 2 || (size_t)k > n)
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                           "%d folds need from 2 to %zu (the rows) folds", k, n);
  size_t *idx = malloc((n ? n : 1) * sizeof *idx);
  if (!idx) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  uint64_t state = seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
  if (!state) state = 1;
  size_t next = 0; /* the round-robin continues from one class to the other */
  for (int cls = 1; cls >= 0; cls--) {
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
      if ((labels[i] > 0.5) == cls) idx[m++] = i;
    shuffle(idx, m, &state);
    for (size_t j = 0; j < m; j++) fold[idx[j]] = (int)(next++ % (size_t)k);
  }
  free(idx);
  return VIRAL_OK;
}

typedef struct timed_row {
  double t;
  size_t r;
} timed_row;

static int by_time(const void *a, const void *b) {
  const timed_row *x = a, *y = b;
  if (x->t != y->t) return x->t < y->t ? -1 : 1;
  return (x->r > y->r) - (x->r < y->r);
}

int viral_eval_temporal_split(const double *posted_at, size_t n, int k, int f, double gap,
                              int *role, double span[2], viral_error *err) {
  if (k < 1 || f < 0 || f >= k || (size_t)k + 1 > n)
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                           "%d time folds need at least %d rows, and fold %d does not exist", k,
                           k + 1, f + 1);
  for (size_t r = 0; r < n; r++)
    if (isnan(posted_at[r]))
      return viral_error_set(err, VIRAL_ERR_MISSING, NULL, 0,
                             "temporal evaluation needs posted_at in every row");
  timed_row *idx = malloc(n * sizeof *idx);
  if (!idx) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  for (size_t r = 0; r < n; r++) idx[r] = (timed_row){posted_at[r], r};
  qsort(idx, n, sizeof *idx, by_time);
  size_t lo = n * (size_t)(f + 1) / (size_t)(k + 1), hi = n * (size_t)(f + 2) / (size_t)(k + 1);
  double start = idx[lo].t;
  span[0] = start;
  span[1] = idx[hi - 1].t;
  for (size_t j = 0; j < n; j++)
    role[idx[j].r] = j >= lo && j < hi ? 1 : j < lo && idx[j].t <= start - gap ? 0 : -1;
  free(idx);
  return VIRAL_OK;
}

/* ---- one fold ---- */

/* The one-feature vector of the views baseline: log1p(views), standardized
 * with the training part's mean and deviation. Centring matters: an
 * uncentred always-positive feature is collinear with the bias, and one
 * online pass then learns it with the wrong sign (AUC 0.23 instead of 0.77
 * on datasets/sample.csv). */
static int views_vector(const viral_eval_data *d, size_t r, const double ms[2], viral_sparse *x) {
  viral_sparse_clear(x);
  int rc = viral_sparse_push(x, 0, (log1p(d->views_window[r]) - ms[0]) / ms[1]);
  viral_sparse_finish(x);
  return rc;
}

static int predict_views(const viral_eval_data *d, const int *fold, int f, double *probs,
                         viral_error *err) {
  if (!d->has_views_window)
    return viral_error_set(err, VIRAL_ERR_MISSING, NULL, 0,
                           "the views baseline needs views at the window in every row");
  viral_logistic_params params;
  viral_logistic_params_init(&params, VIRAL_LOGISTIC_FTRL);
  viral_logistic *lr = viral_logistic_create(&params, VIRAL_LOGISTIC_MIN_BITS, err);
  if (!lr) return err ? err->code : VIRAL_ERR_NOMEM;
  double n = 0, mean = 0, m2 = 0; /* Welford over the training part */
  for (size_t r = 0; r < d->ds.rows; r++) {
    if (fold[r] == f || fold[r] < 0) continue;
    double v = log1p(d->views_window[r]), delta = v - mean;
    n++;
    mean += delta / n;
    m2 += delta * (v - mean);
  }
  double ms[2] = {mean, n > 0 && m2 > 0 ? sqrt(m2 / n) : 1};
  viral_sparse x;
  viral_sparse_init(&x);
  int rc = VIRAL_OK;
  for (size_t r = 0; r < d->ds.rows && rc == VIRAL_OK; r++) {
    if (fold[r] == f || fold[r] < 0) continue;
    if ((rc = views_vector(d, r, ms, &x)) != VIRAL_OK) break;
    if (isnan(viral_logistic_learn(lr, &x, d->ds.labels[r], 1)))
      rc = viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "views at the window are not finite");
  }
  for (size_t r = 0; r < d->ds.rows && rc == VIRAL_OK; r++)
    if (fold[r] == f && (rc = views_vector(d, r, ms, &x)) == VIRAL_OK)
      probs[r] = viral_logistic_predict(lr, &x);
  if (rc == VIRAL_ERR_NOMEM) viral_error_set(err, rc, NULL, 0, "out of memory");
  viral_sparse_release(&x);
  viral_logistic_free(lr);
  return rc;
}

static int predict_model(const viral_eval_data *d, const int *fold, int f,
                         const viral_train_options *opts, double *probs, viral_error *err) {
  if (opts->learner != VIRAL_LEARNER_LOGISTIC)
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                           "eval supports the logistic learner only (the svm needs scaling "
                           "fitted per fold)");
  if (opts->calibrate != VIRAL_CALIBRATION_NONE)
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                           "eval does not support a calibrated model yet");
  viral_dataset train;
  viral_dataset_init(&train);
  int rc = VIRAL_OK;
  for (size_t r = 0; r < d->ds.rows && rc == VIRAL_OK; r++) {
    if (fold[r] == f || fold[r] < 0) continue;
    viral_sparse row = viral_dataset_row(&d->ds, r);
    rc = viral_dataset_append(&train, &row, d->ds.labels[r]);
  }
  if (rc != VIRAL_OK) {
    viral_dataset_release(&train);
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  }
  if (train.rows == 0) {
    viral_dataset_release(&train);
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "fold %d has no training rows", f + 1);
  }
  viral_logistic *lr = viral_model_fit_logistic(d->pipeline, &train, opts, err);
  viral_dataset_release(&train);
  if (!lr) return err ? err->code : VIRAL_ERR_INVALID;
  for (size_t r = 0; r < d->ds.rows; r++) {
    if (fold[r] != f) continue;
    viral_sparse row = viral_dataset_row(&d->ds, r);
    double z = viral_logistic_margin(lr, &row);
    /* the same sigmoid as viral_model_predict */
    probs[r] = z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z));
  }
  viral_logistic_free(lr);
  return VIRAL_OK;
}

int viral_eval_fold_predict(const viral_eval_data *d, const int *fold, int f,
                            viral_eval_predictor what, const viral_train_options *opts,
                            double *probs, viral_error *err) {
  if (what == VIRAL_EVAL_VIEWS) return predict_views(d, fold, f, probs, err);
  if (what == VIRAL_EVAL_MODEL) return predict_model(d, fold, f, opts, probs, err);
  size_t n = 0, pos = 0;
  for (size_t r = 0; r < d->ds.rows; r++)
    if (fold[r] != f && fold[r] >= 0) {
      n++;
      pos += d->ds.labels[r] > 0.5;
    }
  if (n == 0) return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "fold %d has no training rows", f + 1);
  for (size_t r = 0; r < d->ds.rows; r++)
    if (fold[r] == f) probs[r] = (double)pos / (double)n;
  return VIRAL_OK;
}
