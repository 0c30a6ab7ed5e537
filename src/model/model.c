/* model.c - training, updating and scoring a model (viral/model.h) through
 * its learner's row of the table (learn/learner.h); the file format lives
 * in model_file.c, inspect's view in inspect.c. Nothing here knows which
 * learners there are. */
#include "model/model_internal.h"

#include <math.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "io/array.h"
#include "io/random.h"
#include "learn/logistic_json.h"
#include "viral/calibrate.h"
#include "viral/dist.h"
#include "viral/rows.h"

/* ---- model object ---- */

viral_model *viral_model_create_(viral_pipeline *p, const viral_learner *learner) {
  viral_model *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  m->pipeline = p;
  m->learner = learner;
  m->threshold = 0.5;
  m->time_first = NAN;
  m->time_last = NAN;
  viral_sparse_init(&m->vec);
  return m;
}

void viral_model_free(viral_model *m) {
  if (!m) return;
  viral_pipeline_free(m->pipeline);
  if (m->state) m->learner->free(m->state);
  viral_sparse_release(&m->vec);
  viral_calibration_release(&m->calibration);
  free(m);
}

const viral_learner *viral_model_learner(const viral_model *m) { return m->learner; }
const viral_pipeline *viral_model_pipeline(const viral_model *m) { return m->pipeline; }
viral_pipeline *viral_model_pipeline_mut(viral_model *m) { return m->pipeline; }
double viral_model_threshold(const viral_model *m) { return m->threshold; }
void viral_model_set_threshold(viral_model *m, double threshold) { m->threshold = threshold; }
uint64_t viral_model_rows(const viral_model *m) { return m->rows; }
uint64_t viral_model_positives(const viral_model *m) { return m->positives; }
uint64_t viral_model_updates(const viral_model *m) { return m->updates; }
const viral_calibration *viral_model_calibration(const viral_model *m) { return &m->calibration; }

void *viral_model_state_(const viral_model *m, const viral_learner *l) {
  return m->learner == l ? m->state : NULL;
}

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

static void summary_add(void *ctx, double p, double y) {
  summary_acc *a = ctx;
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

/* ---- the rows a learner fits on ---- */

static int is_stdin(const char *path) { return !path || strcmp(path, "-") == 0; }

static void note_time(viral_model *m, double t) {
  if (isnan(t)) return;
  if (isnan(m->time_first) || t < m->time_first) m->time_first = t;
  if (isnan(m->time_last) || t > m->time_last) m->time_last = t;
}

/* Training over MPI (opts->spread), an input that cannot be cut in byte
 * ranges: the records are dealt round the processes in blocks of this
 * many, as distributed scoring deals them. */
#define SPREAD_BLOCK 256

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
  if (opts->spread) { /* this process's share (viral/rows.h) */
    o.shares = (unsigned)viral_dist_size();
    o.share = (unsigned)viral_dist_rank();
    o.share_block = SPREAD_BLOCK;
    o.share_bytes = 1; /* each reads its byte range (viral/rows.h), or, where none can be cut, its blocks */
  }
  return viral_rows_open(p, path, &ro, &o, err);
}

/* What a learner pulls its rows from (learn/learner.h): the model's row
 * source with the model's bookkeeping on the way (time span, rows posted
 * before the row above, counts, progress) and the calibration hold-out. */
struct viral_fit_rows {
  viral_model *m;
  viral_rows *s;
  const viral_train_options *opts;
  viral_train_summary *summary;
  int need_rows;   /* a pass without a row to learn from is an error (training) */
  double previous; /* posted_at of the last labelled row */
  uint64_t seen;   /* labelled rows, for the progress callback */
  uint64_t record; /* the record number of the row given last */
  double posted_at; /* and its posted_at */
  int spread;      /* a share of an MPI job's rows: the job's counts are taken after (spread_merge) */
};

/* Calibration hold-out: while training with calibration, a seeded random
 * share of the labelled rows goes to m->held_out instead of the learner.
 * Returns 1 when the row was held out (or -1 when out of memory). */
static int hold_out(viral_model *m, const viral_sparse *x, double y) {
  if (!m->held_out) return 0;
  uint64_t state = ((uint64_t)m->holdout_seed << 32) ^ m->holdout_index++;
  double u = (double)(splitmix64_next(&state) >> 11) * 0x1.0p-53;
  if (u >= m->holdout_fraction) return 0;
  return viral_dataset_append(m->held_out, x, y) == VIRAL_OK ? 1 : -1;
}

int viral_fit_rows_next(viral_fit_rows *r, const viral_sparse **x, double *y, double *weight,
                        viral_error *err) {
  viral_model *m = r->m;
  const viral_row *row;
  int rc;
  while ((rc = viral_rows_next(r->s, &row, err)) == 1) {
    double t = row->posted_at;
    if (t < r->previous) r->summary->backwards++; /* NAN compares false */
    if (!isnan(t)) r->previous = t;
    note_time(m, t);
    if (r->opts->progress && ++r->seen % 65536 == 0) r->opts->progress(r->opts->progress_ctx, r->seen);
    int held = hold_out(m, row->x, row->label);
    if (held < 0) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
    if (held) continue;
    m->rows++;
    m->positives += row->label > 0.5;
    r->record = row->record;
    r->posted_at = t;
    *x = row->x;
    *y = row->label;
    *weight = row->weight;
    return 1;
  }
  if (rc < 0) return rc;
  if (r->spread) return 0;
  viral_rows_counts counts;
  viral_rows_get_counts(r->s, &counts);
  r->summary->unlabeled += counts.unlabeled;
  r->summary->bad_rows += counts.bad_rows;
  if (r->need_rows && m->rows == 0) return viral_rows_no_labels(r->s, err);
  return 0;
}

uint64_t viral_fit_rows_record(const viral_fit_rows *r) { return r->record; }

double viral_fit_rows_posted_at(const viral_fit_rows *r) { return r->posted_at; }

int viral_fit_rows_none(const viral_fit_rows *r, viral_error *err) { return viral_rows_no_labels(r->s, err); }

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

/* ---- fitting ---- */

/* The learner's own probability for x (before calibration); NAN if it
 * cannot score it. */
static double raw_probability(const viral_model *m, const viral_sparse *x) {
  double p = NAN;
  if (m->learner->predict(m->state, x, &p, NULL, NULL) != VIRAL_OK) return NAN;
  return p;
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

/* Name the hashed features met in a pass over records (for inspect and
 * explanations): on before, off (names sorted) after. */
static int name_features(viral_model *m, int on, int rc, viral_error *err) {
  viral_error ignored;
  if (viral_pipeline_collect_names(m->pipeline, on, rc ? &ignored : err) != VIRAL_OK && rc == VIRAL_OK)
    rc = err->code;
  return rc;
}

/* Profile the rows of a training pass (viral_pipeline_profile: spreads and
 * quantiles for inspect and the reasons, the hashed features' names by
 * frequency): on before, off after. */
static int profile_rows(viral_model *m, int on, int rc, viral_error *err) {
  viral_error ignored;
  if (viral_pipeline_profile(m->pipeline, on, rc ? &ignored : err) != VIRAL_OK && rc == VIRAL_OK)
    rc = err->code;
  return rc;
}

/* The one training loop, over rows from a file or from memory (name:
 * profile the records, naming the hashed features met): the learner's check, the class
 * counts it may need first, the calibration hold-out, the learner's fit on
 * the rest, the calibration. */
static int train_rows(viral_model *m, viral_rows *s, int name, const viral_train_options *opts,
                      summary_acc *acc, viral_train_summary *summary, viral_error *err) {
  const viral_learner *l = m->learner;
  uint64_t counts[2] = {0, 0};
  int first = l->counts_first && l->counts_first(opts);
  int rc = l->check ? l->check(opts, m->pipeline, err) : VIRAL_OK;
  if (rc == VIRAL_OK && first) rc = count_classes(s, opts, counts, err);
  if (first && opts->spread && (rc = viral_dist_agree(rc, 0, err)) == VIRAL_OK) rc = viral_dist_sum(counts, 2, err);
  if (rc != VIRAL_OK) return rc;
  viral_dataset held;
  viral_dataset_init(&held);
  if (opts->calibrate != VIRAL_CALIBRATION_NONE) {
    m->held_out = &held;
    m->holdout_fraction = opts->calibration_fraction;
    m->holdout_seed = opts->seed;
  }
  viral_fit_rows rows = {m, s, opts, summary, 1, NAN, 0, 0, NAN, opts->spread};
  viral_learner_fit f = {opts, m->pipeline, first ? counts : NULL, summary_add, acc};
  if (name) rc = profile_rows(m, 1, VIRAL_OK, err);
  if (rc == VIRAL_OK && !(m->state = l->fit(&f, &rows, err))) rc = err ? err->code : VIRAL_ERR_INVALID;
  /* spread: a fit that failed, failed on every process (it agreed) */
  if (name && rc == VIRAL_OK && opts->spread) rc = viral_pipeline_profile_merge(m->pipeline, err);
  if (name) rc = profile_rows(m, 0, rc, err);
  if (rc == VIRAL_OK && m->held_out) rc = fit_calibration(m, opts->calibrate, &held, err);
  m->held_out = NULL;
  summary->held_out = held.rows;
  viral_dataset_release(&held);
  return rc;
}

/* ---- training over MPI (opts->spread) ---- */

/* Whether opts can train spread over processes: the learner must fit on
 * shares, and nothing may be held out (calibration is fitted alone). */
static int spread_check(const viral_train_options *opts, viral_error *err) {
  if (!opts->spread) return VIRAL_OK;
  if (!opts->learner->spreads)
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                           "the %s learner trains as one process: start it without mpirun (the logistic "
                           "learner trains over MPI)", opts->learner->name);
  if (opts->calibrate != VIRAL_CALIBRATION_NONE)
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                           "--calibrate trains as one process: start it without mpirun");
  return VIRAL_OK;
}

/* What the processes counted on their shares made the job's: rows,
 * positives, the time span, the input's counts (summed by the row source
 * itself when each process read a byte range of it: viral_rows_sum_shares,
 * which also checks the input's fields), the summary's binned scores, the
 * same on every process. Collective. */
static int spread_merge(viral_model *m, viral_rows *s, summary_acc *acc, viral_train_summary *summary,
                        viral_error *err) {
  int rc = viral_rows_sum_shares(s, err);
  viral_rows_counts input;
  viral_rows_get_counts(s, &input);
  int summed = viral_rows_get_sharing(s) == VIRAL_ROWS_BYTE_RANGE;
  uint64_t counts[] = {m->rows, m->positives, summary->backwards, acc->n, summed ? 0 : input.unlabeled,
                       summed ? 0 : input.bad_rows};
  double span[2] = {isnan(m->time_first) ? -INFINITY : -m->time_first, isnan(m->time_last) ? -INFINITY : m->time_last};
  if (rc == VIRAL_OK) rc = viral_dist_sum(counts, sizeof counts / sizeof *counts, err);
  if (rc == VIRAL_OK) rc = viral_dist_sum(acc->pos, AUC_BINS, err);
  if (rc == VIRAL_OK) rc = viral_dist_sum(acc->neg, AUC_BINS, err);
  if (rc == VIRAL_OK) rc = viral_dist_sum_double(&acc->loss, 1, err);
  if (rc == VIRAL_OK) rc = viral_dist_max_double(span, 2, err);
  if (rc != VIRAL_OK) return rc;
  m->rows = counts[0];
  m->positives = counts[1];
  summary->backwards = counts[2];
  acc->n = counts[3];
  summary->unlabeled = summed ? input.unlabeled : counts[4];
  summary->bad_rows = summed ? input.bad_rows : counts[5];
  m->time_first = isinf(span[0]) ? NAN : -span[0];
  m->time_last = isinf(span[1]) ? NAN : span[1];
  return m->rows ? VIRAL_OK : viral_rows_no_labels(s, err);
}

static void stamp_created(viral_model *m) { viral_format_timestamp(m->created_at, (double)time(NULL)); }

/* An empty model of opts' learner with a copy of p; NULL with err set. */
static viral_model *empty_model(const viral_pipeline *p, const viral_train_options *opts,
                                viral_error *err) {
  viral_pipeline *own = viral_pipeline_copy(p, err);
  if (!own) return NULL;
  viral_model *m = viral_model_create_(own, opts->learner);
  if (!m) {
    viral_pipeline_free(own);
    viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
    return NULL;
  }
  m->threshold = opts->threshold;
  return m;
}

/* The training of viral_model_train (given NULL: on the records of path,
 * the pipeline fitted and profiled on the way) and viral_model_train_rows
 * (on given, whose pass fitted and profiled shared). */
static viral_model *train_model(const viral_pipeline *shared, const char *path, viral_rows *given,
                                const viral_reader_options *ropts, const viral_train_options *opts,
                                viral_train_summary *summary, viral_error *err) {
  viral_train_summary local = {0};
  if (!summary) summary = &local;
  memset(summary, 0, sizeof *summary);
  viral_model *m = empty_model(shared, opts, err);
  if (!m) return NULL;
  summary_acc *acc = calloc(1, sizeof *acc);
  if (!acc) {
    viral_model_free(m);
    viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
    return NULL;
  }
  viral_pipeline *p = m->pipeline;
  stamp_created(m);
  int two_passes = viral_pipeline_needs_fit(p) || opts->balanced;
  /* before any pass */
  int rc = opts->learner->check ? opts->learner->check(opts, p, err) : VIRAL_OK;
  if (!given && two_passes && is_stdin(path)) {
    rc = viral_error_set(err, VIRAL_ERR_INVALID, "stdin", 0,
                         "%s needs two passes over the data: give a file, not standard input",
                         viral_pipeline_needs_fit(p) ? "this spec (scaling or a quantile label)"
                                                     : "--class-weight balanced");
  }
  /* what spread_check refuses, every process refuses alike: no need to agree */
  int refused = rc == VIRAL_OK ? spread_check(opts, err) : VIRAL_OK;
  if (refused) rc = refused;
  viral_rows *s = given;
  if (rc == VIRAL_OK && !given && !(s = training_rows(p, path, ropts, opts, err))) rc = err ? err->code : VIRAL_ERR_IO;
  if (rc == VIRAL_OK && !given && viral_pipeline_needs_fit(p)) rc = viral_rows_fit(s, err);
  /* spread: the learner's fit is collective, so every process starts it or none */
  if (opts->spread && !refused) rc = viral_dist_agree(rc, 0, err);
  if (rc == VIRAL_OK) rc = train_rows(m, s, !given, opts, acc, summary, err);
  if (rc == VIRAL_OK && opts->spread) rc = spread_merge(m, s, acc, summary, err);
  if (s != given) viral_rows_free(s);
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

viral_model *viral_model_train(const viral_pipeline *shared, const char *path,
                               const viral_reader_options *ropts, const viral_train_options *opts,
                               viral_train_summary *summary, viral_error *err) {
  return train_model(shared, path, NULL, ropts, opts, summary, err);
}

viral_model *viral_model_train_rows(const viral_pipeline *p, viral_rows *s,
                                    const viral_train_options *opts, viral_train_summary *summary,
                                    viral_error *err) {
  return train_model(p, NULL, s, NULL, opts, summary, err);
}

/* The update of viral_model_update (given NULL: on the records of path,
 * naming the hashed features met) and viral_model_update_rows (on given,
 * m taking named, the pipeline its pass left). */
static int update_model(viral_model *m, const char *path, viral_rows *given, const viral_pipeline *named,
                        const viral_reader_options *ropts, const viral_train_options *opts,
                        viral_train_summary *summary, viral_error *err) {
  viral_train_summary local = {0};
  if (!summary) summary = &local;
  memset(summary, 0, sizeof *summary);
  if (!m->learner->update)
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "a %s model cannot be updated", m->learner->name);
  viral_pipeline *taken = named ? viral_pipeline_copy(named, err) : NULL;
  if (named && !taken) return err ? err->code : VIRAL_ERR_NOMEM;
  summary_acc *acc = calloc(1, sizeof *acc);
  if (!acc) {
    viral_pipeline_free(taken);
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  }
  if (taken) {
    viral_pipeline_free(m->pipeline);
    m->pipeline = taken;
  }
  uint64_t rows_before = m->rows, pos_before = m->positives;
  viral_rows *s = given ? given : training_rows(m->pipeline, path, ropts, opts, err);
  if (!s) {
    free(acc);
    return err ? err->code : VIRAL_ERR_IO;
  }
  viral_fit_rows rows = {m, s, opts, summary, 0, NAN, 0, 0, NAN, 0};
  viral_learner_fit f = {opts, m->pipeline, NULL, summary_add, acc};
  int rc = given ? VIRAL_OK : name_features(m, 1, VIRAL_OK, err);
  if (rc == VIRAL_OK) rc = m->learner->update(m->state, &f, &rows, err);
  if (!given) rc = name_features(m, 0, rc, err);
  if (s != given) viral_rows_free(s);
  if (rc == VIRAL_OK) {
    m->updates++;
    summary->rows = m->rows - rows_before;
    summary->positives = m->positives - pos_before;
    summary_finish(acc, summary);
  }
  free(acc);
  return rc;
}

int viral_model_update(viral_model *m, const char *path, const viral_reader_options *ropts,
                       const viral_train_options *opts, viral_train_summary *summary,
                       viral_error *err) {
  return update_model(m, path, NULL, NULL, ropts, opts, summary, err);
}

int viral_model_update_rows(viral_model *m, const viral_pipeline *named, viral_rows *s,
                            const viral_train_options *opts, viral_train_summary *summary,
                            viral_error *err) {
  return update_model(m, NULL, s, named, NULL, opts, summary, err);
}

/* ---- training from rows in memory (cross-validation) ---- */

viral_model *viral_model_fit(const viral_pipeline *p, const viral_dataset *ds,
                             const viral_train_options *opts, viral_error *err) {
  return viral_model_fit_rows(p, ds, NULL, 0, NULL, opts, err);
}

viral_model *viral_model_fit_rows(const viral_pipeline *p, const viral_dataset *ds, const size_t *rows, size_t n,
                                  const double *posted_at, const viral_train_options *opts, viral_error *err) {
  viral_model *m = empty_model(p, opts, err);
  if (!m) return NULL;
  summary_acc *acc = calloc(1, sizeof *acc);
  viral_rows *s = acc ? viral_rows_open_dataset_rows(ds, rows, n, posted_at, NULL, err) : NULL;
  if (!acc || !s) {
    viral_model_free(m);
    free(acc);
    viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
    return NULL;
  }
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

/* ---- one row at a time ---- */

/* Learn x with label y (0/1) at posted_at: the one step behind learn and
 * learn_vector. */
static int learn_one(viral_model *m, const viral_sparse *x, double y, double posted_at,
                     double *p_before, viral_error *err) {
  note_time(m, posted_at);
  int rc = m->learner->learn(m->state, x, y, p_before, err);
  if (rc != VIRAL_OK) return rc;
  m->rows++;
  m->positives += y > 0.5;
  return VIRAL_OK;
}

static int not_online(const viral_model *m, const char *what, viral_error *err) {
  return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "learning one %s needs a learner that learns "
                                                          "online, not %s", what, m->learner->name);
}

int viral_model_learn(viral_model *m, const viral_record *rec, double y, double *p_before,
                      viral_error *err) {
  if (!m->learner->learn) return not_online(m, "record", err);
  double rule_y = NAN;
  int rc = viral_pipeline_transform(m->pipeline, rec, &m->vec, &rule_y, err);
  if (rc != VIRAL_OK) return rc;
  if (!(y == 0 || y == 1)) y = rule_y;
  if (isnan(y)) return VIRAL_MISSING;
  double t = NAN; /* only the time span: NAN when absent or unreadable */
  if (viral_pipeline_field_timestamp(m->pipeline, rec, "posted_at", &t, NULL) != VIRAL_OK) t = NAN;
  return learn_one(m, &m->vec, y, t, p_before, err);
}

int viral_model_learn_vector(viral_model *m, const viral_sparse *x, double y, double posted_at,
                             viral_error *err) {
  if (!m->learner->learn) return not_online(m, "row", err);
  if (!(y == 0 || y == 1)) return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "a label must be 0 or 1");
  return learn_one(m, x, y, posted_at, NULL, err);
}

const char *viral_train_options_online_refusal(const viral_train_options *opts) {
  const viral_learner *l = opts->learner;
  if (!viral_learner_online(l)) return "its learner does not learn one row at a time";
  return l->online_refusal ? l->online_refusal(opts) : NULL;
}

/* Why an untrained model of opts cannot learn one row at a time, or NULL
 * (buf: room for the words). */
static const char *online_refusal(const viral_train_options *opts, char *buf, size_t size) {
  const char *why = NULL;
  if (!viral_learner_online(opts->learner)) {
    char online[256];
    viral_learner_list(online, sizeof online, 0, 1);
    snprintf(buf, size, "it needs the %s learner, not %s", online, opts->learner->name);
    return buf;
  }
  if (opts->balanced) return "balanced class weights need the data first";
  if ((why = viral_train_options_online_refusal(opts))) return why;
  if (opts->calibrate != VIRAL_CALIBRATION_NONE) return "a calibration needs the data first";
  return NULL;
}

viral_model *viral_model_create(const viral_pipeline *p, const viral_train_options *opts,
                                viral_error *err) {
  char buf[400];
  const char *why = online_refusal(opts, buf, sizeof buf);
  if (why) {
    viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "an untrained model learns one row at a time: %s", why);
    return NULL;
  }
  viral_model *m = empty_model(p, opts, err);
  if (!m) return NULL;
  stamp_created(m);
  if (!(m->state = opts->learner->create(opts, m->pipeline, err))) {
    viral_model_free(m);
    return NULL;
  }
  return m;
}

/* ---- scoring and reasons ---- */

/* Reasons described per pass over the record (a batch; more take more passes). */
#define VIRAL_MODEL_MAX_REASONS 100

struct viral_model_scratch {
  viral_pipeline_scratch *pipe; /* the pipeline's per-row work */
  viral_sparse x;               /* the record's vector */
  double *contributions;        /* [capacity] */
  viral_reason *ranked;         /* [capacity] */
  size_t capacity;
  viral_sparse full;            /* the explained vector with every dense coordinate */
  unsigned char *dense_seen;    /* [dense_cap]: coordinate i is in the vector */
  size_t dense_cap;
};

viral_model_scratch *viral_model_scratch_create(void) {
  viral_model_scratch *s = calloc(1, sizeof *s);
  if (s && !(s->pipe = viral_pipeline_scratch_create())) {
    free(s);
    return NULL;
  }
  if (s) viral_sparse_init(&s->x), viral_sparse_init(&s->full);
  return s;
}

void viral_model_scratch_free(viral_model_scratch *s) {
  if (!s) return;
  viral_pipeline_scratch_free(s->pipe);
  viral_sparse_release(&s->x);
  viral_sparse_release(&s->full);
  free(s->dense_seen);
  free(s->contributions);
  free(s->ranked);
  free(s);
}

/* Room in s for the reasons of a row of n items. */
static int ensure_capacity(viral_model_scratch *s, size_t n) {
  if (n <= s->capacity) return VIRAL_OK;
  size_t cap = s->capacity ? s->capacity : 64;
  while (cap < n) cap *= 2;
  double *c = realloc(s->contributions, cap * sizeof *c);
  if (c) s->contributions = c;
  viral_reason *r = realloc(s->ranked, cap * sizeof *r);
  if (r) s->ranked = r;
  if (!c || !r) return VIRAL_ERR_NOMEM;
  s->capacity = cap;
  return VIRAL_OK;
}

int viral_model_predict_vector(const viral_model *m, const viral_sparse *x, viral_prediction *out,
                               viral_error *err) {
  int rc = m->learner->predict(m->state, x, &out->probability, &out->margin, err);
  if (rc != VIRAL_OK) return rc;
  out->probability = viral_calibration_apply(&m->calibration, out->probability);
  out->label = out->probability >= m->threshold;
  return VIRAL_OK;
}

/* Largest effect first; ties by index, so the order is the same on any
 * qsort. */
static int by_abs_contribution(const void *a, const void *b) {
  const viral_reason *p = a, *q = b;
  double x = fabs(p->contribution), y = fabs(q->contribution);
  if (x != y) return (x < y) - (x > y);
  return (p->index > q->index) - (p->index < q->index);
}

/* x with every dense coordinate of m's pipeline in it (those x lacks at 0),
 * in s->full: for a learner whose contributions are measured from the mean
 * video, a value of 0 has an effect too. */
static int with_every_dense(const viral_model *m, viral_model_scratch *s, const viral_sparse *x,
                            const viral_sparse **out) {
  uint32_t dense = viral_pipeline_dense_count(m->pipeline);
  if (array_grow((void **)&s->dense_seen, &s->dense_cap, dense, 1, 64) < 0) return VIRAL_ERR_NOMEM;
  if (dense) memset(s->dense_seen, 0, dense);
  viral_sparse_clear(&s->full);
  for (size_t k = 0; k < x->count; k++) {
    if (viral_sparse_push(&s->full, x->items[k].index, x->items[k].value) != VIRAL_OK) return VIRAL_ERR_NOMEM;
    if (x->items[k].index < dense) s->dense_seen[x->items[k].index] = 1;
  }
  for (uint32_t i = 0; i < dense; i++)
    if (!s->dense_seen[i] && viral_sparse_push(&s->full, i, 0.0) != VIRAL_OK) return VIRAL_ERR_NOMEM;
  *out = &s->full;
  return VIRAL_OK;
}

int viral_model_predict(const viral_model *m, viral_model_scratch *s, const viral_record *rec,
                        viral_prediction *out, viral_reason *reasons, size_t max_reasons,
                        size_t *reason_count, viral_error *err) {
  if (reason_count) *reason_count = 0;
  int rc = viral_pipeline_transform_with(m->pipeline, s->pipe, rec, &s->x, NULL, err);
  if (rc != VIRAL_OK) return rc;
  if ((rc = viral_model_predict_vector(m, &s->x, out, err)) != VIRAL_OK) return rc;
  return viral_model_explain(m, s, &s->x, rec, reasons, max_reasons, reason_count, err);
}

int viral_model_explain(const viral_model *m, viral_model_scratch *s, const viral_sparse *x,
                        const viral_record *rec, viral_reason *reasons, size_t max_reasons,
                        size_t *reason_count, viral_error *err) {
  int rc;
  if (reason_count) *reason_count = 0;
  if (!reasons || max_reasons == 0 || !m->learner->contributions) return VIRAL_OK;
  if (m->learner->contributions_from_mean && with_every_dense(m, s, x, &x) != VIRAL_OK)
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  if (x->count == 0) return VIRAL_OK;
  if (ensure_capacity(s, x->count) != VIRAL_OK)
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  if ((rc = m->learner->contributions(m->state, x, s->contributions, err)) != VIRAL_OK) return rc;
  /* Rank all coordinates, keep the largest max_reasons, then name those. */
  viral_reason *all = s->ranked;
  memset(all, 0, x->count * sizeof *all);
  for (size_t i = 0; i < x->count; i++) {
    all[i].value = x->items[i].value;
    all[i].contribution = s->contributions[i];
    all[i].index = x->items[i].index;
  }
  qsort(all, x->count, sizeof *all, by_abs_contribution);
  size_t k = x->count < max_reasons ? x->count : max_reasons;
  memcpy(reasons, all, k * sizeof *reasons);
  /* describe recomputes the same coordinates, naming them from the record
   * (so hashed values never seen in training are named too); x may be s's
   * own vector, which it leaves alone */
  uint32_t index[VIRAL_MODEL_MAX_REASONS];
  viral_feature_input in[VIRAL_MODEL_MAX_REASONS];
  for (size_t done = 0; done < k; done += VIRAL_MODEL_MAX_REASONS) {
    size_t n = k - done < VIRAL_MODEL_MAX_REASONS ? k - done : VIRAL_MODEL_MAX_REASONS;
    for (size_t i = 0; i < n; i++) index[i] = reasons[done + i].index;
    rc = viral_pipeline_describe_with(m->pipeline, s->pipe, rec, index, n, in, err);
    if (rc != VIRAL_OK) return rc;
    for (size_t i = 0; i < n; i++) {
      reasons[done + i].input = in[i];
      memcpy(reasons[done + i].name, in[i].name, sizeof reasons[done + i].name);
    }
  }
  *reason_count = k;
  return VIRAL_OK;
}
