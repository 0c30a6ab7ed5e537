/* model.c - training, updating and scoring a model (viral/model.h); the file
 * format lives in model_file.c. */
#include "model/model_internal.h"

#include <math.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "learn/logistic_json.h"
#include "viral/calibrate.h"
#include "viral/rows.h"

const char *viral_learner_name(viral_learner_kind kind) {
  return kind == VIRAL_LEARNER_SVM ? "svm" : "logistic";
}

int viral_learner_parse(const char *name, viral_learner_kind *out) {
  if (strcmp(name, "logistic") == 0) *out = VIRAL_LEARNER_LOGISTIC;
  else if (strcmp(name, "svm") == 0) *out = VIRAL_LEARNER_SVM;
  else return VIRAL_ERR_INVALID;
  return VIRAL_OK;
}

void viral_train_options_init(viral_train_options *opts) {
  memset(opts, 0, sizeof *opts);
  opts->learner = VIRAL_LEARNER_LOGISTIC;
  viral_logistic_params_init(&opts->logistic, VIRAL_LOGISTIC_FTRL);
  viral_svm_params_init(&opts->svm);
  opts->threshold = 0.5;
  opts->calibration_fraction = 0.2;
}

/* ---- model object ---- */

viral_model *viral_model_create_(viral_pipeline *p, viral_learner_kind kind) {
  viral_model *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  m->pipeline = p;
  m->kind = kind;
  m->threshold = 0.5;
  m->time_first = NAN;
  m->time_last = NAN;
  viral_sparse_init(&m->vec);
  return m;
}

void viral_model_free(viral_model *m) {
  if (!m) return;
  viral_pipeline_free(m->pipeline);
  viral_logistic_free(m->logistic);
  viral_svm_model_free(m->svm);
  viral_sparse_release(&m->vec);
  viral_pipeline_scratch_free(m->names);
  viral_calibration_release(&m->calibration);
  free(m->contributions);
  free(m);
}

viral_learner_kind viral_model_learner(const viral_model *m) { return m->kind; }
const viral_pipeline *viral_model_pipeline(const viral_model *m) { return m->pipeline; }
viral_pipeline *viral_model_pipeline_mut(viral_model *m) { return m->pipeline; }
double viral_model_threshold(const viral_model *m) { return m->threshold; }
void viral_model_set_threshold(viral_model *m, double threshold) { m->threshold = threshold; }
uint64_t viral_model_rows(const viral_model *m) { return m->rows; }
uint64_t viral_model_positives(const viral_model *m) { return m->positives; }
uint64_t viral_model_updates(const viral_model *m) { return m->updates; }
const viral_logistic *viral_model_logistic(const viral_model *m) { return m->logistic; }
const viral_svm_model *viral_model_svm(const viral_model *m) { return m->svm; }
const viral_calibration *viral_model_calibration(const viral_model *m) { return &m->calibration; }

void viral_model_time_span(const viral_model *m, double *first, double *last) {
  if (first) *first = m->time_first;
  if (last) *last = m->time_last;
}

/* ---- progressive summary: log loss and a binned AUC, in O(1) memory ---- */

/* Probabilities are binned to 1/AUC_BINS so the summary of a stream of any
 * length needs fixed memory; pairs within one bin count as ties, which moves
 * the AUC by at most the share of such pairs. */
#define AUC_BINS 4096

typedef struct summary_acc {
  double loss;
  uint64_t n;
  uint64_t pos[AUC_BINS], neg[AUC_BINS];
} summary_acc;

static void summary_add(summary_acc *a, double p, double y) {
  const double eps = 1e-15;
  double q = p < eps ? eps : p > 1 - eps ? 1 - eps : p;
  a->loss += y > 0.5 ? -log(q) : -log(1 - q);
  a->n++;
  int b = (int)(p * AUC_BINS);
  if (b >= AUC_BINS) b = AUC_BINS - 1;
  if (b < 0) b = 0;
  if (y > 0.5) a->pos[b]++;
  else a->neg[b]++;
}

static void summary_finish(const summary_acc *a, viral_train_summary *s) {
  s->log_loss = a->n ? a->loss / (double)a->n : NAN;
  double pairs = 0, wins = 0, neg_below = 0, total_pos = 0, total_neg = 0;
  for (int b = 0; b < AUC_BINS; b++) {
    wins += (double)a->pos[b] * (neg_below + 0.5 * (double)a->neg[b]);
    neg_below += (double)a->neg[b];
    total_pos += (double)a->pos[b];
    total_neg += (double)a->neg[b];
  }
  pairs = total_pos * total_neg;
  s->auc = pairs > 0 ? wins / pairs : NAN;
}

/* ---- reading rows ---- */

static int is_stdin(const char *path) { return !path || strcmp(path, "-") == 0; }

/* posted_at of rec (unix seconds) through the pipeline's field mapping, or
 * NAN when absent or unreadable: it only feeds the metadata's time span. */
static double record_time(viral_model *m, const viral_record *rec) {
  double t = NAN;
  if (viral_pipeline_field_timestamp(m->pipeline, rec, "posted_at", &t, NULL) != VIRAL_OK) return NAN;
  return t;
}

static void note_time(viral_model *m, double t) {
  if (isnan(t)) return;
  if (isnan(m->time_first) || t < m->time_first) m->time_first = t;
  if (isnan(m->time_last) || t > m->time_last) m->time_last = t;
}

/* Called for each labelled, transformed row; returns VIRAL_OK or an error. */
typedef int (*row_fn)(viral_model *m, const viral_sparse *x, double y, void *ctx, viral_error *err);

/* The labelled rows of path, with their time, through p; bad rows skipped
 * when either options say so. NULL with err set. */
static viral_rows *training_rows(viral_pipeline *p, const char *path, const viral_reader_options *ropts,
                                 const viral_train_options *opts, viral_error *err) {
  viral_reader_options ro;
  viral_reader_options_init(&ro);
  if (ropts) ro = *ropts;
  ro.skip_bad_rows = ro.skip_bad_rows || opts->skip_bad_rows;
  viral_rows_options o;
  viral_rows_options_init(&o);
  o.times = 1;
  return viral_rows_open(p, path, &ro, &o, err);
}

/* Hand every labelled row of s (one pass) to fn, noting its time. Counts
 * go to summary (unlabeled, bad rows, rows posted before the row above). */
static int read_rows(viral_model *m, viral_rows *s, const viral_train_options *opts, row_fn fn,
                     void *ctx, viral_train_summary *summary, viral_error *err) {
  const viral_row *row;
  int rc;
  uint64_t seen = 0;
  double previous = NAN; /* posted_at of the last labelled row */
  while ((rc = viral_rows_next(s, &row, err)) == 1) {
    double t = row->posted_at;
    if (t < previous) summary->backwards++; /* NAN compares false */
    if (!isnan(t)) previous = t;
    note_time(m, t);
    if ((rc = fn(m, row->x, row->label, ctx, err)) != VIRAL_OK) break;
    if (opts->progress && ++seen % 65536 == 0) opts->progress(opts->progress_ctx, seen);
  }
  viral_rows_counts counts;
  viral_rows_get_counts(s, &counts);
  summary->unlabeled += counts.unlabeled;
  summary->bad_rows += counts.bad_rows;
  return rc < 0 ? rc : VIRAL_OK;
}

/* read_rows, naming the hashed features met on the way (for inspect and
 * explanations) when the rows come from records. */
static int for_each_row(viral_model *m, viral_rows *s, int name, const viral_train_options *opts,
                        row_fn fn, void *ctx, viral_train_summary *summary, viral_error *err) {
  if (name && viral_pipeline_collect_names(m->pipeline, 1, err) != VIRAL_OK) return err->code;
  int rc = read_rows(m, s, opts, fn, ctx, summary, err);
  viral_error ignored;
  if (name && viral_pipeline_collect_names(m->pipeline, 0, rc ? &ignored : err) != VIRAL_OK && rc == VIRAL_OK)
    rc = err->code;
  return rc;
}

/* Labelled rows of each class in one pass over s, then s starts again. */
static int count_classes(viral_rows *s, const viral_train_options *opts, uint64_t counts[2],
                         viral_error *err) {
  const viral_row *row;
  int rc;
  uint64_t seen = 0;
  while ((rc = viral_rows_next(s, &row, err)) == 1) {
    counts[row->label > 0.5]++;
    if (opts->progress && ++seen % 65536 == 0) opts->progress(opts->progress_ctx, seen);
  }
  if (rc == 0) rc = viral_rows_rewind(s, err);
  return rc < 0 ? rc : VIRAL_OK;
}

/* ---- logistic ---- */

_Static_assert(VIRAL_PIPELINE_MAX_HASH_BITS <= VIRAL_LOGISTIC_MAX_BITS,
               "every spec's vectors must fit the logistic learner's weights");

int viral_model_check_bits_(int bits, const viral_pipeline *p, const char *source, viral_error *err) {
  if (((uint64_t)1 << bits) >= viral_pipeline_dim(p)) return VIRAL_OK;
  return viral_error_set(err, VIRAL_ERR_INVALID, source, 0,
                         "logistic weights (2^%d) are fewer than the pipeline's %u features%s",
                         bits, (unsigned)viral_pipeline_dim(p),
                         source ? "" : ": --bits must be at least the spec's hash_bits");
}

static int bits_for(const viral_pipeline *p) {
  uint32_t dim = viral_pipeline_dim(p);
  int bits = VIRAL_LOGISTIC_MIN_BITS;
  while (bits < VIRAL_LOGISTIC_MAX_BITS && ((uint32_t)1 << bits) < dim) bits++;
  return bits;
}

/* The logistic learner's weight space for p: opts' --bits, else what p
 * needs; a --bits too small for p is refused before any training (score
 * would refuse the model it made). VIRAL_OK or VIRAL_ERR_INVALID. */
static int learner_bits(const viral_pipeline *p, const viral_train_options *opts, int *bits,
                        viral_error *err) {
  *bits = opts->bits ? opts->bits : bits_for(p);
  return viral_model_check_bits_(*bits, p, NULL, err);
}

typedef struct online_ctx {
  summary_acc *acc;
  double weight[2]; /* importance by label */
} online_ctx;

/* Calibration hold-out: while training with calibration, a seeded random
 * share of the labelled rows goes to m->held_out instead of the learner.
 * Returns 1 when the row was held out (or -1 when out of memory). */
static int hold_out(viral_model *m, const viral_sparse *x, double y) {
  if (!m->held_out) return 0;
  uint64_t state = ((uint64_t)m->holdout_seed << 32) ^ m->holdout_index++;
  double u = (double)(viral_logistic_splitmix64(&state) >> 11) * 0x1.0p-53;
  if (u >= m->holdout_fraction) return 0;
  return viral_dataset_append(m->held_out, x, y) == VIRAL_OK ? 1 : -1;
}

static int learn_row(viral_model *m, const viral_sparse *x, double y, void *ctx, viral_error *err) {
  online_ctx *c = ctx;
  int held = hold_out(m, x, y);
  if (held) return held > 0 ? VIRAL_OK : viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  double p = viral_logistic_learn(m->logistic, x, y, c->weight[y > 0.5]);
  if (isnan(p)) return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "a feature value is not finite");
  summary_add(c->acc, p, y);
  m->rows++;
  m->positives += y > 0.5;
  return VIRAL_OK;
}

static int collect_row(viral_model *m, const viral_sparse *x, double y, void *ctx, viral_error *err) {
  int held = hold_out(m, x, y);
  if (held) return held > 0 ? VIRAL_OK : viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  m->rows++;
  m->positives += y > 0.5;
  return viral_dataset_append(ctx, x, y);
}

/* The learner's own probability for x (before calibration); NAN if the
 * SVM cannot score it. */
static double raw_probability(const viral_model *m, const viral_sparse *x) {
  double p = NAN;
  if (m->kind == VIRAL_LEARNER_LOGISTIC) p = viral_logistic_predict(m->logistic, x);
  else viral_svm_predict(m->svm, x, &p, NULL, NULL);
  return p;
}

/* Score every row of ds with the trained model, for the summary. */
static void summarize_dataset(viral_model *m, const viral_dataset *ds, summary_acc *acc) {
  for (size_t r = 0; r < ds->rows; r++) {
    viral_sparse row = viral_dataset_row(ds, r);
    double p = raw_probability(m, &row);
    if (!isnan(p)) summary_add(acc, p, ds->labels[r]);
  }
}

/* The learner's parameters for pipeline p: the options', with p's dense
 * columns standardized in the learner's single pass. */
static viral_logistic_params logistic_params(const viral_pipeline *p, const viral_train_options *opts) {
  viral_logistic_params params = opts->logistic;
  params.dense = viral_pipeline_dense_count(p);
  return params;
}

static int train_logistic(viral_model *m, viral_rows *s, int name, const viral_train_options *opts,
                          summary_acc *acc, viral_train_summary *summary, viral_error *err) {
  viral_logistic_params params = logistic_params(m->pipeline, opts);
  int bits;
  int rc = learner_bits(m->pipeline, opts, &bits, err);
  if (rc != VIRAL_OK) return rc;
  if (opts->balanced) {
    uint64_t counts[2] = {0, 0};
    if ((rc = count_classes(s, opts, counts, err)) != VIRAL_OK) return rc;
    viral_logistic_balanced_weights(counts[1], counts[0], &params.weight0, &params.weight1);
  }
  if (!(m->logistic = viral_logistic_create(&params, bits, err))) return err ? err->code : VIRAL_ERR_INVALID;
  if (params.passes <= 1 && !params.shuffle) {
    online_ctx c = {acc, {params.weight0, params.weight1}};
    return for_each_row(m, s, name, opts, learn_row, &c, summary, err);
  }
  /* Several passes or a shuffle: the rows are held in memory. */
  viral_dataset ds;
  viral_dataset_init(&ds);
  rc = for_each_row(m, s, name, opts, collect_row, &ds, summary, err);
  if (rc == VIRAL_OK) rc = viral_logistic_train(m->logistic, &ds, err);
  if (rc == VIRAL_OK) summarize_dataset(m, &ds, acc);
  viral_dataset_release(&ds);
  return rc;
}

/* ---- svm ---- */

/* Fit the SVM of opts on ds (the rows it learns from, counted in m->rows and
 * m->positives): the one place that chooses gamma and class weights, for
 * training from a file and from memory alike. */
static int fit_svm(viral_model *m, const viral_dataset *ds, const viral_train_options *opts,
                   viral_error *err) {
  m->svm_params = opts->svm;
  m->svm_params.probability = 1;
  /* libsvm's default gamma, 1 / (largest index + 1), is meant for dense
   * data: over 2^b hashed indices it makes the RBF kernel flat. Use one
   * over the mean number of non-zeros per row instead (each standardized or
   * one-hot feature contributes about 1 to |u - v|^2). */
  if (m->svm_params.kernel == VIRAL_SVM_RBF && m->svm_params.gamma == 0 && ds->rows > 0)
    m->svm_params.gamma = (double)ds->rows / (double)(ds->row_start[ds->rows] ? ds->row_start[ds->rows] : 1);
  if (opts->balanced) {
    uint64_t pos = m->positives, neg = m->rows - m->positives;
    viral_logistic_balanced_weights(pos, neg, &m->svm_params.weight0, &m->svm_params.weight1);
  }
  if (opts->warn) {
    double secs = viral_svm_estimate_seconds(&m->svm_params, ds->rows,
                                             ds->rows ? (double)ds->row_start[ds->rows] / (double)ds->rows : 0);
    if (secs > 60) opts->warn(opts->warn_ctx, secs, ds->rows);
  }
  m->svm = viral_svm_train(&m->svm_params, ds, err);
  return m->svm ? VIRAL_OK : err ? err->code : VIRAL_ERR_INVALID;
}

static int train_svm(viral_model *m, viral_rows *s, int name, const viral_train_options *opts,
                     summary_acc *acc, viral_train_summary *summary, viral_error *err) {
  viral_dataset ds;
  viral_dataset_init(&ds);
  int rc = for_each_row(m, s, name, opts, collect_row, &ds, summary, err);
  /* No training-set summary (acc stays empty: NAN): scoring every row
   * against every support vector took a third of the time of svm-train. */
  (void)acc;
  /* no rows: train_rows says so, in its own words */
  if (rc == VIRAL_OK && ds.rows > 0) rc = fit_svm(m, &ds, opts, err);
  viral_dataset_release(&ds);
  return rc;
}

/* Fit the calibration on the held-out rows, scored by the final model. */
static int fit_calibration(viral_model *m, viral_calibration_kind kind, const viral_dataset *held,
                           viral_error *err) {
  double *p = malloc((held->rows ? held->rows : 1) * sizeof *p);
  if (!p) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  for (size_t r = 0; r < held->rows; r++) {
    viral_sparse row = viral_dataset_row(held, r);
    p[r] = raw_probability(m, &row);
  }
  int rc = viral_calibration_fit(&m->calibration, kind, p, held->labels, held->rows, err);
  free(p);
  return rc;
}

/* ---- train and update ---- */

static void stamp_created(viral_model *m) {
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(m->created_at, sizeof m->created_at, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The one training loop, over rows from a file or from memory (names:
 * name the hashed features met, from records): the calibration hold-out,
 * the learner, the calibration. */
static int train_rows(viral_model *m, viral_rows *s, int name, const viral_train_options *opts,
                      summary_acc *acc, viral_train_summary *summary, viral_error *err) {
  viral_dataset held;
  viral_dataset_init(&held);
  if (opts->calibrate != VIRAL_CALIBRATION_NONE) {
    m->held_out = &held;
    m->holdout_fraction = opts->calibration_fraction;
    m->holdout_seed = opts->logistic.seed;
  }
  int rc;
  if (opts->learner == VIRAL_LEARNER_SVM) rc = train_svm(m, s, name, opts, acc, summary, err);
  else rc = train_logistic(m, s, name, opts, acc, summary, err);
  if (rc == VIRAL_OK && m->rows == 0) rc = viral_rows_no_labels(s, err);
  if (rc == VIRAL_OK && m->held_out) rc = fit_calibration(m, opts->calibrate, &held, err);
  m->held_out = NULL;
  summary->held_out = held.rows;
  viral_dataset_release(&held);
  return rc;
}

viral_model *viral_model_train(viral_pipeline *p, const char *path,
                               const viral_reader_options *ropts, const viral_train_options *opts,
                               viral_train_summary *summary, viral_error *err) {
  viral_train_summary local = {0};
  if (!summary) summary = &local;
  memset(summary, 0, sizeof *summary);
  viral_model *m = viral_model_create_(p, opts->learner);
  summary_acc *acc = calloc(1, sizeof *acc);
  if (!m || !acc) {
    if (!m) viral_pipeline_free(p);
    viral_model_free(m);
    free(acc);
    viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
    return NULL;
  }
  m->threshold = opts->threshold;
  stamp_created(m);
  int two_passes = viral_pipeline_needs_fit(p) || opts->balanced;
  int bits, rc = VIRAL_OK;
  if (opts->learner == VIRAL_LEARNER_LOGISTIC) rc = learner_bits(p, opts, &bits, err); /* before any pass */
  if (two_passes && is_stdin(path)) {
    rc = viral_error_set(err, VIRAL_ERR_INVALID, "stdin", 0,
                         "%s needs two passes over the data: give a file, not standard input",
                         viral_pipeline_needs_fit(p) ? "this spec (scaling or a quantile label)"
                                                     : "--class-weight balanced");
  }
  viral_rows *s = rc == VIRAL_OK ? training_rows(p, path, ropts, opts, err) : NULL;
  if (rc == VIRAL_OK && !s) rc = err ? err->code : VIRAL_ERR_IO;
  if (rc == VIRAL_OK && viral_pipeline_needs_fit(p)) rc = viral_rows_fit(s, err);
  if (rc == VIRAL_OK) rc = train_rows(m, s, 1, opts, acc, summary, err);
  viral_rows_free(s);
  if (rc != VIRAL_OK) {
    free(acc);
    viral_model_free(m);
    return NULL;
  }
  summary->rows = m->rows;
  summary->positives = m->positives;
  summary_finish(acc, summary);
  free(acc);
  return m;
}

int viral_model_update(viral_model *m, const char *path, const viral_reader_options *ropts,
                       const viral_train_options *opts, viral_train_summary *summary,
                       viral_error *err) {
  viral_train_summary local = {0};
  if (!summary) summary = &local;
  memset(summary, 0, sizeof *summary);
  summary_acc *acc = calloc(1, sizeof *acc);
  if (!acc) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  uint64_t rows_before = m->rows, pos_before = m->positives;
  viral_rows *s = training_rows(m->pipeline, path, ropts, opts, err);
  if (!s) {
    free(acc);
    return err ? err->code : VIRAL_ERR_IO;
  }
  int rc;
  if (m->kind == VIRAL_LEARNER_LOGISTIC) {
    /* One pass in file order, with the importances training used: exactly
     * what training on the concatenation would have done next. */
    const viral_logistic_params *lp = viral_logistic_get_params(m->logistic);
    online_ctx c = {acc, {lp->weight0, lp->weight1}};
    rc = for_each_row(m, s, 1, opts, learn_row, &c, summary, err);
  } else {
    viral_dataset ds;
    viral_dataset_init(&ds);
    rc = for_each_row(m, s, 1, opts, collect_row, &ds, summary, err);
    if (rc == VIRAL_OK && ds.rows > 0) {
      viral_svm_params params = m->svm_params;
      params.gamma = 0; /* keep the model's own gamma */
      viral_svm_model *next = viral_svm_update(m->svm, &ds, opts->svm_budget, &params, err);
      if (!next) rc = err ? err->code : VIRAL_ERR_INVALID;
      else {
        viral_svm_model_free(m->svm);
        m->svm = next;
        summarize_dataset(m, &ds, acc);
      }
    }
    viral_dataset_release(&ds);
  }
  viral_rows_free(s);
  if (rc == VIRAL_OK) {
    m->updates++;
    summary->rows = m->rows - rows_before;
    summary->positives = m->positives - pos_before;
    summary_finish(acc, summary);
  }
  free(acc);
  return rc;
}

/* Learn x with label y (0/1) at posted_at: the one step behind learn and
 * learn_vector. */
static int learn_one(viral_model *m, const viral_sparse *x, double y, double posted_at,
                     double *p_before, viral_error *err) {
  note_time(m, posted_at);
  const viral_logistic_params *lp = viral_logistic_get_params(m->logistic);
  double p = viral_logistic_learn(m->logistic, x, y, y > 0.5 ? lp->weight1 : lp->weight0);
  if (isnan(p)) return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "a feature value is not finite");
  if (p_before) *p_before = p;
  m->rows++;
  m->positives += y > 0.5;
  return VIRAL_OK;
}

int viral_model_learn(viral_model *m, const viral_record *rec, double y, double *p_before,
                      viral_error *err) {
  if (m->kind != VIRAL_LEARNER_LOGISTIC)
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "learning one record needs the logistic learner");
  double rule_y = NAN;
  int rc = viral_pipeline_transform(m->pipeline, rec, &m->vec, &rule_y, err);
  if (rc != VIRAL_OK) return rc;
  if (!(y == 0 || y == 1)) y = rule_y;
  if (isnan(y)) return VIRAL_MISSING;
  return learn_one(m, &m->vec, y, record_time(m, rec), p_before, err);
}

int viral_model_learn_vector(viral_model *m, const viral_sparse *x, double y, double posted_at,
                             viral_error *err) {
  if (m->kind != VIRAL_LEARNER_LOGISTIC)
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "learning one row needs the logistic learner");
  if (!(y == 0 || y == 1)) return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "a label must be 0 or 1");
  return learn_one(m, x, y, posted_at, NULL, err);
}

viral_model *viral_model_create(viral_pipeline *p, const viral_train_options *opts,
                                viral_error *err) {
  const char *why = opts->learner != VIRAL_LEARNER_LOGISTIC    ? "it needs the logistic learner"
                    : opts->balanced                           ? "balanced class weights need the data first"
                    : opts->logistic.passes > 1 || opts->logistic.shuffle ? "passes and shuffling need the data first"
                    : opts->calibrate != VIRAL_CALIBRATION_NONE ? "a calibration needs the data first"
                                                                : NULL;
  if (why) {
    viral_pipeline_free(p);
    viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "an untrained model learns one row at a time: %s", why);
    return NULL;
  }
  viral_model *m = viral_model_create_(p, VIRAL_LEARNER_LOGISTIC);
  if (!m) {
    viral_pipeline_free(p);
    viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
    return NULL;
  }
  m->threshold = opts->threshold;
  stamp_created(m);
  viral_logistic_params params = logistic_params(p, opts); /* as viral_model_train: dense columns standardized */
  int bits;
  if (learner_bits(p, opts, &bits, err) == VIRAL_OK) m->logistic = viral_logistic_create(&params, bits, err);
  if (!m->logistic) {
    viral_model_free(m);
    return NULL;
  }
  return m;
}

/* ---- scoring and reasons ---- */

static int ensure_capacity(viral_model *m, size_t n) {
  if (n <= m->capacity) return VIRAL_OK;
  size_t cap = m->capacity ? m->capacity : 64;
  while (cap < n) cap *= 2;
  double *c = realloc(m->contributions, cap * sizeof *c);
  if (!c) return VIRAL_ERR_NOMEM;
  m->contributions = c;
  m->capacity = cap;
  return VIRAL_OK;
}

static double sigmoid(double z) { return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z)); }

int viral_model_predict_vector(const viral_model *m, const viral_sparse *x, viral_prediction *out,
                               viral_error *err) {
  if (m->kind == VIRAL_LEARNER_LOGISTIC) {
    out->margin = viral_logistic_margin(m->logistic, x);
    out->probability = sigmoid(out->margin);
  } else {
    int rc = viral_svm_predict(m->svm, x, &out->probability, &out->margin, err);
    if (rc != VIRAL_OK) return rc;
  }
  out->probability = viral_calibration_apply(&m->calibration, out->probability);
  out->label = out->probability >= m->threshold;
  return VIRAL_OK;
}

/* Names of the coordinates of one record, taken from the record itself (so
 * hashed values never seen in training are named too). */
typedef struct name_ctx {
  viral_reason *reasons;
  size_t count;
} name_ctx;

static int name_sink(void *ctx, uint32_t index, double value, const char *group, const char *name) {
  (void)value, (void)group;
  name_ctx *c = ctx;
  for (size_t i = 0; i < c->count; i++)
    if (c->reasons[i].index == index && !c->reasons[i].name[0])
      snprintf(c->reasons[i].name, sizeof c->reasons[i].name, "%s", name);
  return 0;
}

static int by_abs_contribution(const void *a, const void *b) {
  double x = fabs(((const viral_reason *)a)->contribution);
  double y = fabs(((const viral_reason *)b)->contribution);
  return (x < y) - (x > y);
}

int viral_model_predict(viral_model *m, const viral_record *rec, viral_prediction *out,
                        viral_reason *reasons, size_t max_reasons, size_t *reason_count,
                        viral_error *err) {
  if (reason_count) *reason_count = 0;
  int rc = viral_pipeline_transform(m->pipeline, rec, &m->vec, NULL, err);
  if (rc != VIRAL_OK) return rc;
  const viral_sparse *x = &m->vec;
  if ((rc = viral_model_predict_vector(m, x, out, err)) != VIRAL_OK) return rc;
  return viral_model_explain(m, x, rec, reasons, max_reasons, reason_count, err);
}

int viral_model_explain(viral_model *m, const viral_sparse *x, const viral_record *rec,
                        viral_reason *reasons, size_t max_reasons, size_t *reason_count,
                        viral_error *err) {
  int rc;
  if (reason_count) *reason_count = 0;
  if (!reasons || max_reasons == 0 || x->count == 0) return VIRAL_OK;
  if (ensure_capacity(m, x->count) != VIRAL_OK)
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  if (m->kind == VIRAL_LEARNER_LOGISTIC) {
    viral_logistic_contributions(m->logistic, x, m->contributions);
  } else if ((rc = viral_svm_contributions(m->svm, x, m->contributions, err)) != VIRAL_OK) {
    return rc;
  }
  /* Rank all coordinates, keep the largest max_reasons, then name those. */
  viral_reason *all = calloc(x->count, sizeof *all);
  if (!all) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  for (size_t i = 0; i < x->count; i++) {
    all[i].value = x->items[i].value;
    all[i].contribution = m->contributions[i];
    all[i].index = x->items[i].index;
  }
  qsort(all, x->count, sizeof *all, by_abs_contribution);
  size_t k = x->count < max_reasons ? x->count : max_reasons;
  memcpy(reasons, all, k * sizeof *reasons);
  free(all);
  name_ctx c = {reasons, k};
  /* transform_named recomputes the same coordinates, in the model's own
   * scratch: what the caller read of rec stays as it was. */
  if (!m->names && !(m->names = viral_pipeline_scratch_create()))
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  rc = viral_pipeline_transform_named_with(m->pipeline, m->names, rec, name_sink, &c, NULL, err);
  if (rc != VIRAL_OK) return rc;
  for (size_t i = 0; i < k; i++)
    if (!reasons[i].name[0])
      viral_pipeline_feature_name(m->pipeline, reasons[i].index, reasons[i].name,
                                  sizeof reasons[i].name);
  *reason_count = k;
  return VIRAL_OK;
}

/* ---- training from rows in memory (cross-validation) ---- */

viral_model *viral_model_fit(const viral_pipeline *p, const viral_dataset *ds,
                             const viral_train_options *opts, viral_error *err) {
  viral_pipeline *own = viral_pipeline_copy(p, err);
  if (!own) return NULL;
  viral_model *m = viral_model_create_(own, opts->learner);
  summary_acc *acc = calloc(1, sizeof *acc);
  viral_rows *s = m && acc ? viral_rows_open_dataset(ds, NULL, err) : NULL;
  if (!m || !acc || !s) {
    if (!m) viral_pipeline_free(own);
    viral_model_free(m);
    free(acc);
    viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
    return NULL;
  }
  m->threshold = opts->threshold;
  viral_train_summary summary = {0};
  int rc = train_rows(m, s, 0, opts, acc, &summary, err);
  viral_rows_free(s);
  free(acc);
  if (rc != VIRAL_OK) {
    viral_model_free(m);
    return NULL;
  }
  return m;
}
