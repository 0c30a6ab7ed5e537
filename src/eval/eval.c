/* eval.c - cross-validation data and folds (viral/eval.h). */
#include "viral/eval.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viral/calibrate.h"
#include "viral/logistic.h"
#include "viral/rows.h"
#include "eval/eval_internal.h"
#include "io/read_file.h"
#include "io/reader_options.h"
#include "io/random.h"
#include "io/text.h"

static void source_free(struct viral_eval_source *s) {
  if (!s) return;
  free(s->name);
  free(s->bytes);
  reader_options_copy_release(&s->ropts);
  free(s);
}

void viral_eval_data_free(viral_eval_data *d) {
  if (!d) return;
  if (d->id_text) text_pool_release(d->id_text);
  free(d->id_text);
  viral_dataset_release(&d->ds);
  free(d->id);
  free(d->record);
  free(d->posted_at);
  free(d->views_window);
  free(d->oracle);
  source_free(d->source);
  if (d->named != d->pipeline) viral_pipeline_free(d->named);
  viral_pipeline_free(d->pipeline);
  free(d);
}

int viral_eval_refits(const viral_eval_data *d) { return d->source && d->source->bytes; }

/* The whole of path ("-" or NULL: stdin) into s->bytes. */
static int slurp(struct viral_eval_source *s, const char *path, viral_error *err) {
  return viral_read_file(path, SIZE_MAX, &s->bytes, &s->len, err);
}

/* The rows of the input kept in memory through q, under o. */
static viral_rows *source_rows(const struct viral_eval_source *s, viral_pipeline *q,
                               const viral_rows_options *o, viral_error *err) {
  return viral_rows_open_memory(q, s->name, s->bytes, s->len, &s->ropts.opts, o, err);
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

/* Keep one labelled row (and what eval needs of it) in d. */
static int keep_row(viral_eval_data *d, const viral_row *row, size_t *cap, viral_error *err) {
  if (grow(d, cap) != VIRAL_OK || viral_dataset_append(&d->ds, row->x, row->label) != VIRAL_OK)
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  size_t i = d->ds.rows - 1;
  d->record[i] = row->record;
  d->positives += row->label > 0.5;
  d->posted_at[i] = row->posted_at;
  d->views_window[i] = row->columns[0];
  d->oracle[i] = row->columns[1];
  if (isnan(d->views_window[i])) d->has_views_window = 0;
  if (isnan(d->oracle[i])) d->has_oracle = 0;
  d->id[i] = NULL;
  if (row->id && !(d->id[i] = text_pool_dup(d->id_text, row->id, row->id_len)))
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  return VIRAL_OK;
}

/* The arrays of d's rows cut to their rows (they grew by doubling), the
 * oracle's dropped when a row lacks it: a table of a million rows keeps
 * what it holds, no more. */
static void fit_arrays(viral_eval_data *d) {
  size_t n = d->ds.rows ? d->ds.rows : 1;
  void *p;
  if ((p = realloc(d->record, n * sizeof *d->record))) d->record = p;
  if ((p = realloc(d->posted_at, n * sizeof *d->posted_at))) d->posted_at = p;
  if ((p = realloc(d->views_window, n * sizeof *d->views_window))) d->views_window = p;
  if ((p = realloc(d->id, n * sizeof *d->id))) d->id = p;
  if (!d->has_oracle) {
    free(d->oracle);
    d->oracle = NULL;
  } else if ((p = realloc(d->oracle, n * sizeof *d->oracle))) {
    d->oracle = p;
  }
}

/* Every labelled row of s (ready to transform) into d. */
static int read_rows(viral_eval_data *d, viral_rows *s, viral_error *err) {
  size_t cap = 0;
  const viral_row *row;
  int rc;
  d->has_views_window = d->has_oracle = 1;
  if (!d->id_text && !(d->id_text = calloc(1, sizeof *d->id_text)))
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  while ((rc = viral_rows_next(s, &row, err)) == 1)
    if ((rc = keep_row(d, row, &cap, err)) != VIRAL_OK) break;
  if (rc >= 0 && d->ds.rows == 0) d->has_views_window = d->has_oracle = 0; /* nothing to score them on */
  if (rc >= 0) fit_arrays(d);
  viral_rows_counts counts;
  viral_rows_get_counts(s, &counts);
  d->unlabeled += counts.unlabeled;
  d->bad_rows += counts.bad_rows;
  return rc < 0 ? rc : VIRAL_OK;
}

viral_eval_data *viral_eval_load(const viral_pipeline *p, const char *path,
                                 const viral_reader_options *ropts, int skip_bad_rows,
                                 viral_error *err) {
  return viral_eval_load_with_views(p, path, ropts, skip_bad_rows, NULL, err);
}

/* The data of an evaluation of a copy of shared, empty, its views column's
 * name in views_name (checked by the leakage guard). NULL with err set. */
static viral_eval_data *new_data(const viral_pipeline *shared, const char *views_field, char views_name[64],
                                 viral_error *err) {
  if (views_field && strlen(views_field) >= 64) {
    viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "the views column name is too long");
    return NULL;
  }
  viral_pipeline *p = viral_pipeline_copy(shared, err);
  if (!p) return NULL;
  /* the baseline's field passes the guard every feature passes */
  snprintf(views_name, 64, "views_%gh", viral_pipeline_window_hours(p));
  if (views_field) snprintf(views_name, 64, "%s", views_field);
  if (viral_pipeline_check_observed(p, views_name, "the views baseline", err) != VIRAL_OK) {
    viral_pipeline_free(p);
    return NULL;
  }
  viral_eval_data *d = calloc(1, sizeof *d);
  if (!d) {
    viral_pipeline_free(p);
    viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
    return NULL;
  }
  d->pipeline = p;
  viral_dataset_init(&d->ds);
  return d;
}

/* The options of the rows eval keeps: ids, times, the views and oracle
 * columns (columns: [2], borrowed). */
static void data_rows_options(viral_rows_options *o, const char *const *columns) {
  viral_rows_options_init(o);
  o->ids = VIRAL_ROWS_ID;
  o->times = 1;
  o->columns = columns;
  o->column_count = 2;
}

viral_eval_data *viral_eval_load_with_views(const viral_pipeline *shared, const char *path,
                                            const viral_reader_options *ropts, int skip_bad_rows,
                                            const char *views_field, viral_error *err) {
  char views_name[64];
  viral_eval_data *d = new_data(shared, views_field, views_name, err);
  if (!d) return NULL;
  viral_pipeline *p = d->pipeline;
  struct viral_eval_source *s = calloc(1, sizeof *s);
  d->source = s;
  const char *name = path && strcmp(path, "-") != 0 ? path : "stdin";
  if (!s || !(s->name = text_dup(name)) || reader_options_copy_init(&s->ropts, ropts) != VIRAL_OK) {
    viral_eval_data_free(d);
    viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
    return NULL;
  }
  viral_pipeline *q = NULL; /* what featurizes the load: p, or a copy fitted on all rows */
  viral_rows *rows = NULL;
  const char *const columns[2] = {views_name, "oracle_p"};
  viral_rows_options o;
  data_rows_options(&o, columns);
  s->ropts.opts.skip_bad_rows = s->ropts.opts.skip_bad_rows || skip_bad_rows;
  int rc = VIRAL_OK;
  if (!viral_pipeline_needs_fit(p)) {
    q = p;
    if (!(rows = viral_rows_open(q, path, &s->ropts.opts, &o, err))) rc = err ? err->code : VIRAL_ERR_IO;
  } else if ((rc = slurp(s, path, err)) == VIRAL_OK) {
    if (!(q = viral_pipeline_copy(p, err)) || !(rows = source_rows(s, q, &o, err))) rc = err ? err->code : VIRAL_ERR_NOMEM;
    else rc = viral_rows_fit(rows, err);
  }
  /* profiled as it is read: the report names the features by it */
  if (rc == VIRAL_OK) rc = viral_pipeline_profile(q, 1, err);
  if (rc == VIRAL_OK) rc = read_rows(d, rows, err);
  if (rc == VIRAL_OK) viral_pipeline_tally_warning(q, d->input_warning, sizeof d->input_warning);
  if (rc == VIRAL_OK) rc = viral_pipeline_profile(q, 0, err);
  viral_rows_free(rows);
  if (rc == VIRAL_OK) d->named = q;
  else if (q != p) viral_pipeline_free(q);
  if (rc != VIRAL_OK) {
    viral_eval_data_free(d);
    return NULL;
  }
  return d;
}

viral_eval_data *viral_eval_load_cache(const viral_pipeline *shared, const viral_cache *c,
                                       const char *views_field, viral_error *err) {
  if (viral_pipeline_needs_fit(shared)) {
    viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "a spec with scaling or a quantile label is fitted "
                                                     "inside each fold: a vector cache holds the vectors of "
                                                     "one fitted pipeline");
    return NULL;
  }
  char views_name[64];
  viral_eval_data *d = new_data(shared, views_field, views_name, err);
  if (!d) return NULL;
  const char *const columns[2] = {views_name, "oracle_p"};
  viral_rows_options o;
  data_rows_options(&o, columns);
  viral_rows *rows = viral_rows_open_cache(c, &o, err);
  int rc = rows ? read_rows(d, rows, err) : err ? err->code : VIRAL_ERR_NOMEM;
  viral_rows_free(rows);
  snprintf(d->input_warning, sizeof d->input_warning, "%s", viral_cache_warning(c));
  /* the pass that made the cache profiled its pipeline, as the load above does */
  if (rc == VIRAL_OK && !(d->named = viral_cache_pipeline(c, err))) rc = err ? err->code : VIRAL_ERR_NOMEM;
  if (rc != VIRAL_OK) {
    viral_eval_data_free(d);
    return NULL;
  }
  return d;
}

/* ---- folds ---- */

static void shuffle(size_t *a, size_t n, uint64_t *state) {
  for (size_t i = n; i > 1; i--) {
    size_t j = (size_t)(xorshift64_next(state) % i);
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

/* Places of the rows by time: t, then video_id (NULL last), then file row. */
typedef struct timed_row {
  double t;
  const char *id;
  size_t r;
} timed_row;

static int by_time(const void *a, const void *b) {
  const timed_row *x = a, *y = b;
  if (x->t != y->t) return x->t < y->t ? -1 : 1;
  if (x->id != y->id) {
    if (!x->id || !y->id) return x->id ? -1 : 1;
    int c = strcmp(x->id, y->id);
    if (c) return c;
  }
  return (x->r > y->r) - (x->r < y->r);
}

static int missing_time(viral_error *err) {
  return viral_error_set(err, VIRAL_ERR_MISSING, NULL, 0, "temporal evaluation needs posted_at in every row");
}

/* Sort rows 0..n-1 by (posted_at, id when ids is not NULL, row) into order. */
static int sort_by_time(const double *posted_at, char *const *ids, size_t n, size_t *order,
                        viral_error *err) {
  for (size_t r = 0; r < n; r++)
    if (isnan(posted_at[r])) return missing_time(err);
  timed_row *idx = malloc((n ? n : 1) * sizeof *idx);
  if (!idx) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  for (size_t r = 0; r < n; r++) idx[r] = (timed_row){posted_at[r], ids ? ids[r] : NULL, r};
  qsort(idx, n, sizeof *idx, by_time);
  for (size_t j = 0; j < n; j++) order[j] = idx[j].r;
  free(idx);
  return VIRAL_OK;
}

int viral_eval_time_order(const viral_eval_data *d, size_t *order, viral_error *err) {
  return sort_by_time(d->posted_at, d->id, d->ds.rows, order, err);
}

int viral_eval_temporal_split_ordered(const double *posted_at, const size_t *order, size_t n, int k,
                                      int f, double gap, int *role, double span[2], viral_error *err) {
  if (k < 1 || f < 0 || f >= k || (size_t)k + 1 > n)
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                           "%d time folds need at least %d rows, and fold %d does not exist", k,
                           k + 1, f + 1);
  for (size_t r = 0; r < n; r++)
    if (isnan(posted_at[r])) return missing_time(err);
  size_t lo = n * (size_t)(f + 1) / (size_t)(k + 1), hi = n * (size_t)(f + 2) / (size_t)(k + 1);
  double start = posted_at[order[lo]];
  span[0] = start;
  span[1] = posted_at[order[hi - 1]];
  for (size_t j = 0; j < n; j++)
    role[order[j]] = j >= lo && j < hi ? 1 : j < lo && posted_at[order[j]] <= start - gap ? 0 : -1;
  return VIRAL_OK;
}

int viral_eval_temporal_split(const double *posted_at, size_t n, int k, int f, double gap,
                              int *role, double span[2], viral_error *err) {
  if (k < 1 || f < 0 || f >= k || (size_t)k + 1 > n)
    return viral_eval_temporal_split_ordered(posted_at, NULL, n, k, f, gap, role, span, err);
  size_t *order = malloc(n * sizeof *order);
  if (!order) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  int rc = sort_by_time(posted_at, NULL, n, order, err);
  if (rc == VIRAL_OK) rc = viral_eval_temporal_split_ordered(posted_at, order, n, k, f, gap, role, span, err);
  free(order);
  return rc;
}

/* ---- one fold ---- */

void viral_eval_fold_release(viral_eval_fold *fold) {
  if (!fold) return;
  viral_dataset_release(&fold->own_ds);
  viral_pipeline_free(fold->own_pipeline);
  memset(fold, 0, sizeof *fold);
}

/* The records of d's rows whose role is 0 (training_only) or at least 0,
 * in ascending order; *n set. NULL when out of memory. */
static uint64_t *fold_records(const viral_eval_data *d, const int *role, int training_only, size_t *n) {
  uint64_t *records = malloc((d->ds.rows ? d->ds.rows : 1) * sizeof *records);
  *n = 0;
  for (size_t j = 0; records && j < d->ds.rows; j++)
    if (training_only ? role[j] == 0 : role[j] >= 0) records[(*n)++] = d->record[j];
  return records;
}

/* The fold's rows read again from d's input through q: its chosen records
 * only, read before (checked). */
static viral_rows *fold_rows(const viral_eval_fold *fold, viral_pipeline *q, int training_only,
                             viral_rows_labels labels, uint64_t **records, viral_error *err) {
  size_t n;
  if (!(*records = fold_records(fold->data, fold->role, training_only, &n))) {
    viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
    return NULL;
  }
  viral_rows_options o;
  viral_rows_options_init(&o);
  o.labels = labels;
  o.records = *records;
  o.record_count = n;
  o.checked = 1;
  return source_rows(fold->data->source, q, &o, err);
}

/* Fit q on the fold's training records, in file order. */
static int fit_fold(viral_eval_fold *fold, viral_pipeline *q, viral_error *err) {
  uint64_t *records;
  viral_rows *rows = fold_rows(fold, q, 1, VIRAL_ROWS_ANY_LABEL, &records, err);
  int rc = rows ? viral_rows_fit(rows, err) : err ? err->code : VIRAL_ERR_NOMEM;
  viral_rows_free(rows);
  free(records);
  return rc;
}

/* Featurize the rows with a role with q (fitted); unused rows get an empty
 * vector and no label, so row numbers stay those of d. */
static int featurize_fold(viral_eval_fold *fold, viral_pipeline *q, viral_error *err) {
  const viral_eval_data *d = fold->data;
  uint64_t *records;
  viral_rows *rows = fold_rows(fold, q, 0, VIRAL_ROWS_ANY_LABEL, &records, err);
  if (!rows) {
    free(records);
    return err ? err->code : VIRAL_ERR_NOMEM;
  }
  viral_sparse none;
  viral_sparse_init(&none);
  const viral_row *row;
  int rc = VIRAL_OK;
  for (size_t j = 0; j < d->ds.rows && rc == VIRAL_OK; j++) {
    const viral_sparse *x = &none;
    double y = NAN;
    if (fold->role[j] >= 0) {
      if ((rc = viral_rows_next(rows, &row, err)) != 1 || row->record != d->record[j]) {
        if (rc >= 0)
          rc = viral_error_set(err, VIRAL_ERR_IO, d->source->name, 0, "the input changed while it was read");
        break;
      }
      rc = VIRAL_OK;
      if (isnan(row->label))
        rc = viral_error_set(err, VIRAL_ERR_INVALID, viral_record_source(row->rec), viral_record_line(row->rec),
                             "the fold's label rule gives this row no label");
      x = row->x;
      y = row->label;
    }
    if (rc == VIRAL_OK && viral_dataset_append(&fold->own_ds, x, y) != VIRAL_OK)
      rc = viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  }
  viral_rows_free(rows);
  free(records);
  return rc;
}

int viral_eval_fold_init(viral_eval_fold *fold, const viral_eval_data *d, const int *role,
                         viral_error *err) {
  memset(fold, 0, sizeof *fold);
  viral_dataset_init(&fold->own_ds);
  fold->data = d;
  fold->role = role;
  fold->ds = &d->ds;
  fold->pipeline = d->pipeline;
  size_t train = 0;
  for (size_t r = 0; r < d->ds.rows; r++) train += role[r] == 0;
  if (train == 0) return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "the fold has no training rows");
  if (!viral_eval_refits(d)) return VIRAL_OK;
  int rc = VIRAL_OK;
  if (!(fold->own_pipeline = viral_pipeline_copy(d->pipeline, err))) rc = err ? err->code : VIRAL_ERR_NOMEM;
  else rc = fit_fold(fold, fold->own_pipeline, err);
  if (rc == VIRAL_OK) rc = featurize_fold(fold, fold->own_pipeline, err);
  if (rc != VIRAL_OK) {
    viral_eval_fold_release(fold);
    return rc;
  }
  fold->ds = &fold->own_ds;
  fold->pipeline = fold->own_pipeline;
  return VIRAL_OK;
}

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

/* The row at place j of the fold's order. */
static size_t row_at(const viral_eval_fold *fold, size_t j) { return fold->order ? fold->order[j] : j; }

static int predict_views(const viral_eval_fold *fold, double *probs, viral_error *err) {
  const viral_eval_data *d = fold->data;
  const int *role = fold->role;
  if (!d->has_views_window)
    return viral_error_set(err, VIRAL_ERR_MISSING, NULL, 0,
                           "the views baseline needs views at the window in every row");
  viral_logistic_params params;
  viral_logistic_params_init(&params, VIRAL_LOGISTIC_FTRL);
  viral_logistic *lr = viral_logistic_create(&params, VIRAL_LOGISTIC_MIN_BITS, err);
  if (!lr) return err ? err->code : VIRAL_ERR_NOMEM;
  double n = 0, mean = 0, m2 = 0; /* Welford over the training part */
  for (size_t j = 0; j < d->ds.rows; j++) {
    size_t r = row_at(fold, j);
    if (role[r] != 0) continue;
    double v = log1p(d->views_window[r]), delta = v - mean;
    n++;
    mean += delta / n;
    m2 += delta * (v - mean);
  }
  double ms[2] = {mean, n > 0 && m2 > 0 ? sqrt(m2 / n) : 1};
  viral_sparse x;
  viral_sparse_init(&x);
  int rc = VIRAL_OK;
  for (size_t j = 0; j < d->ds.rows && rc == VIRAL_OK; j++) {
    size_t r = row_at(fold, j);
    if (role[r] != 0) continue;
    if ((rc = views_vector(d, r, ms, &x)) != VIRAL_OK) break;
    if (isnan(viral_logistic_learn(lr, &x, fold->ds->labels[r], 1)))
      rc = viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "views at the window are not finite");
  }
  for (size_t r = 0; r < d->ds.rows && rc == VIRAL_OK; r++)
    if (role[r] == 1 && (rc = views_vector(d, r, ms, &x)) == VIRAL_OK)
      probs[r] = viral_logistic_predict(lr, &x);
  if (rc == VIRAL_ERR_NOMEM) viral_error_set(err, rc, NULL, 0, "out of memory");
  viral_sparse_release(&x);
  viral_logistic_free(lr);
  return rc;
}


/* The standard deviation of each index's value over the rows rows[0 .. n)
 * of ds (an index absent from a row is 0 there): sd[dim], caller frees;
 * NULL without memory. Two passes: no cancellation on large values. */
static double *rows_spread(const viral_dataset *ds, const size_t *rows, size_t n, uint32_t dim) {
  double *mean = calloc(dim ? dim : 1, sizeof *mean), *sd = calloc(dim ? dim : 1, sizeof *sd);
  size_t *present = calloc(dim ? dim : 1, sizeof *present);
  if (!mean || !sd || !present || n == 0) {
    free(mean), free(present);
    if (n == 0) return sd;
    free(sd);
    return NULL;
  }
  double count = (double)n;
  for (size_t k = 0; k < n; k++) {
    viral_sparse row = viral_dataset_row(ds, rows[k]);
    for (size_t j = 0; j < row.count; j++)
      if (row.items[j].index < dim) mean[row.items[j].index] += row.items[j].value / count;
  }
  for (size_t k = 0; k < n; k++) {
    viral_sparse row = viral_dataset_row(ds, rows[k]);
    for (size_t j = 0; j < row.count; j++) {
      uint32_t i = row.items[j].index;
      if (i >= dim) continue;
      double d = row.items[j].value - mean[i];
      sd[i] += d * d;
      present[i]++;
    }
  }
  for (uint32_t i = 0; i < dim; i++) /* the rows without it, each at 0 */
    sd[i] = sqrt((sd[i] + (count - (double)present[i]) * mean[i] * mean[i]) / count);
  free(mean), free(present);
  return sd;
}

/* Add the importance of each feature in m, on the spread of its training
 * rows, to the fold's sums. A learner without weights adds nothing. */
static int add_importance(const viral_eval_fold *fold, const viral_model *m, const size_t *train, size_t rows,
                          viral_error *err) {
  uint32_t dim = viral_pipeline_dim(fold->pipeline);
  double *spread = rows_spread(fold->ds, train, rows, dim);
  if (!spread) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  size_t n = 0;
  const char *measure = NULL;
  viral_error why;
  viral_error_clear(&why);
  viral_importance *is = viral_model_importance(m, spread, &n, &measure, NULL, &why);
  free(spread);
  if (!is) return why.code == VIRAL_ERR_NOMEM ? viral_error_set(err, why.code, NULL, 0, "out of memory") : VIRAL_OK;
  for (size_t i = 0; i < n; i++)
    if (is[i].index < dim) fold->importance[is[i].index] += is[i].importance;
  if (fold->importance_measure) *fold->importance_measure = measure;
  free(is);
  return VIRAL_OK;
}

static int predict_model(const viral_eval_fold *fold, const viral_train_options *opts,
                         double *probs, viral_error *err) {
  const viral_dataset *all = fold->ds;
  /* the training rows by number, in the fold's order: no copy of them */
  size_t n = 0;
  for (size_t r = 0; r < all->rows; r++) n += fold->role[r] == 0;
  size_t *train = malloc((n ? n : 1) * sizeof *train);
  if (!train) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  n = 0;
  for (size_t j = 0; j < all->rows; j++) {
    size_t r = row_at(fold, j);
    if (fold->role[r] == 0) train[n++] = r;
  }
  viral_train_options o = *opts;
  o.warn = NULL, o.progress = NULL, o.note = NULL; /* the caller reports per fold */
  int rc = VIRAL_OK;
  viral_model *m = viral_model_fit_rows(fold->pipeline, all, train, n, fold->data->posted_at, &o, err);
  if (m && fold->importance) rc = add_importance(fold, m, train, n, err);
  free(train);
  if (!m) return err ? err->code : VIRAL_ERR_INVALID;
  for (size_t r = 0; r < all->rows && rc == VIRAL_OK; r++) {
    if (fold->role[r] != 1) continue;
    viral_sparse row = viral_dataset_row(all, r);
    viral_prediction pred;
    if ((rc = viral_model_predict_vector(m, &row, &pred, err)) == VIRAL_OK) probs[r] = pred.probability;
  }
  viral_model_free(m);
  return rc;
}

int viral_eval_fold_predict_with(const viral_eval_fold *fold, viral_eval_predictor what,
                                 const viral_train_options *opts, double *probs, viral_error *err) {
  if (what == VIRAL_EVAL_VIEWS) return predict_views(fold, probs, err);
  if (what == VIRAL_EVAL_MODEL) return predict_model(fold, opts, probs, err);
  size_t n = 0, pos = 0;
  for (size_t r = 0; r < fold->ds->rows; r++)
    if (fold->role[r] == 0) {
      n++;
      pos += fold->ds->labels[r] > 0.5;
    }
  if (n == 0) return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "the fold has no training rows");
  for (size_t r = 0; r < fold->ds->rows; r++)
    if (fold->role[r] == 1) probs[r] = (double)pos / (double)n;
  return VIRAL_OK;
}

int viral_eval_fold_predict(const viral_eval_data *d, const int *fold, int f,
                            viral_eval_predictor what, const viral_train_options *opts,
                            double *probs, viral_error *err) {
  int *role = malloc((d->ds.rows ? d->ds.rows : 1) * sizeof *role);
  if (!role) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  for (size_t r = 0; r < d->ds.rows; r++) role[r] = fold[r] == f ? 1 : fold[r] < 0 ? -1 : 0;
  viral_eval_fold one;
  int rc = viral_eval_fold_init(&one, d, role, err);
  if (rc == VIRAL_OK) rc = viral_eval_fold_predict_with(&one, what, opts, probs, err);
  viral_eval_fold_release(&one);
  free(role);
  return rc;
}
