/* logistic_learner.c - the logistic learner (viral/logistic.h) as a row of
 * the learner table (learn/learner.h): its options, fitting at the batch
 * optimum when the rows fit in the memory allowed (else in one streaming
 * pass), or in the passes asked, learning one row at a time, scoring,
 * explaining, its weights and its section of the model file ("logistic",
 * learn/logistic_json.h). Its state is the viral_logistic itself. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/array.h"
#include "learn/learner.h"
#include "learn/linear.h"
#include "learn/logistic_batch.h"
#include "learn/logistic_json.h"
#include "learn/logistic_spread.h"
#include "viral/dist.h"
#include "viral/logistic.h"

/* ---- parameters ---- */

static const viral_option options[] = {
    {"optimizer", "NAME", "logistic: ftrl (default), adagrad or sgd"},
    {"alpha", "X", "logistic: learning rate scale (ftrl default 0.5)"},
    {"beta", "X", "logistic: ftrl/adagrad rate smoothing (default 1)"},
    {"l1", "X", "logistic: L1 penalty (default 0)"},
    {"l2", "X", "logistic: L2 penalty (ftrl default 1)"},
    {"passes", "N", "logistic: N online passes instead of the batch optimum (1: one streaming pass)"},
    {"C", "X", "logistic: cost of the batch optimum (default: by 5-fold CV); svm: cost (default 1)"},
    {"batch-memory", "MB", "logistic: memory the batch optimum may hold rows in (default 1024; past it one online pass)"},
    {"half-life", "F", "logistic: the batch optimum weighs rows by recency, halving every F of their time span (default 0: equally)"},
    {"shuffle", NULL, "logistic: shuffle the rows every pass (seeded)"},
    {"seed", NULL, NULL},
    {"bits", "B", "logistic: weights for 2^B hashed features (default: the spec's)"},
    {"no-normalize", NULL, "logistic: raw values (no learned means, sds or scales)"},
    {"class-weight", NULL, NULL},
    {NULL, NULL, NULL},
};

static const viral_option tune_options[] = {
    {"alpha-grid", "LIST", "logistic: alpha values (default 0.05,0.1,0.2,0.5,1,2)"},
    {"l1-grid", "LIST", "logistic: l1 values (default 0,1)"},
    {"l2-grid", "LIST", "logistic: l2 values (default 0,1,10)"},
    {"log2c", "B,E,S", "logistic (batch optimum): log2 of C from B to E by S (default -14,10,2); "
                       "svm: the same (default -5,15,2, as grid.py)"},
    {NULL, NULL, NULL},
};

_Static_assert(sizeof(viral_logistic_options) <= VIRAL_TRAIN_PARAMS_SIZE, "fits the params block");

static viral_logistic_options *params_of(void *params) { return params; }
static const viral_logistic_options *cparams(const viral_train_options *o) {
  return (const viral_logistic_options *)o->params.bytes;
}

static void params_init(void *params) {
  viral_logistic_options *p = params_of(params);
  viral_logistic_params_init(&p->params, VIRAL_LOGISTIC_FTRL);
  p->params.passes = 0; /* the batch optimum */
  p->bits = 0;
  p->batch_memory_mb = VIRAL_LOGISTIC_BATCH_MEMORY_MB;
}

static int params_parse(void *params, viral_option_get get, void *ctx, viral_error *err) {
  viral_logistic_options *p = params_of(params);
  viral_logistic_params *lp = &p->params;
  const char *optimizer = get(ctx, "optimizer");
  if (optimizer) {
    viral_logistic_optimizer o;
    if (viral_logistic_optimizer_parse(optimizer, &o) != VIRAL_OK)
      return viral_option_error(err, "--optimizer must be ftrl, adagrad or sgd, not '%s'", optimizer);
    int passes = lp->passes;
    viral_logistic_params_init(lp, o); /* that optimizer's defaults */
    lp->passes = passes;
  }
  long passes = lp->passes, bits = 0;
  int rc;
  if ((rc = viral_option_number(get, ctx, "alpha", &lp->alpha, err)) != VIRAL_OK ||
      (rc = viral_option_number(get, ctx, "beta", &lp->beta, err)) != VIRAL_OK ||
      (rc = viral_option_number(get, ctx, "l1", &lp->l1, err)) != VIRAL_OK ||
      (rc = viral_option_number(get, ctx, "l2", &lp->l2, err)) != VIRAL_OK ||
      (rc = viral_option_number(get, ctx, "C", &lp->C, err)) != VIRAL_OK ||
      (rc = viral_option_number(get, ctx, "batch-memory", &p->batch_memory_mb, err)) != VIRAL_OK ||
      (rc = viral_option_number(get, ctx, "half-life", &p->half_life, err)) != VIRAL_OK ||
      (rc = viral_option_whole(get, ctx, "passes", &passes, err)) != VIRAL_OK ||
      (rc = viral_option_whole(get, ctx, "bits", &bits, err)) != VIRAL_OK)
    return rc;
  if (get(ctx, "passes") && (passes < 1 || passes > VIRAL_LOGISTIC_MAX_PASSES))
    return viral_option_error(err, "--passes must be from 1 to %d", VIRAL_LOGISTIC_MAX_PASSES);
  if (get(ctx, "C") && !(isfinite(lp->C) && lp->C > 0))
    return viral_option_error(err, "C must be a finite number > 0"); /* svm's words: one option */
  if (!(isfinite(p->half_life) && p->half_life >= 0))
    return viral_option_error(err, "--half-life must be a finite number >= 0 (a share of the rows' time span)");
  if (!(p->batch_memory_mb >= 0 && p->batch_memory_mb <= VIRAL_LOGISTIC_MAX_BATCH_MEMORY_MB))
    return viral_option_error(err, "--batch-memory must be from 0 to %.0f MB", VIRAL_LOGISTIC_MAX_BATCH_MEMORY_MB);
  if (bits && (bits < VIRAL_LOGISTIC_MIN_BITS || bits > VIRAL_LOGISTIC_MAX_BITS))
    return viral_option_error(err, "--bits must be from %d to %d", VIRAL_LOGISTIC_MIN_BITS,
                              VIRAL_LOGISTIC_MAX_BITS);
  lp->passes = (int)passes;
  if (get(ctx, "bits")) p->bits = (int)bits;
  if (get(ctx, "shuffle")) lp->shuffle = 1;
  if (get(ctx, "no-normalize")) lp->normalize = 0;
  return VIRAL_OK;
}

/* The learner's parameters for pipeline p (NULL: none yet) under o: its
 * own, with the options' seed and class weights and p's dense columns
 * standardized in its single pass. */
static viral_logistic_params learner_params(const viral_train_options *o, const viral_pipeline *p) {
  viral_logistic_params params = cparams(o)->params;
  params.seed = o->seed;
  params.weight0 = o->weight0;
  params.weight1 = o->weight1;
  if (p) params.dense = viral_pipeline_dense_count(p);
  return params;
}

static const char *params_check(const viral_train_options *o) {
  viral_logistic_params params = learner_params(o, NULL);
  if (params.passes > 0 && params.C > 0)
    return "--C is the cost of the batch optimum: it does not go with --passes (online)";
  if (params.passes == 0 && params.shuffle) return "--shuffle needs --passes N (online passes)";
  if (params.passes > 0 && cparams(o)->half_life > 0)
    return "--half-life weighs the rows of the batch optimum: it does not go with --passes (online)";
  return viral_logistic_params_check(&params);
}

/* "C by cross-validation" or "C 0.25" */
static void describe_C(double C, char *buf, size_t size) {
  if (C > 0) snprintf(buf, size, "C %g", C);
  else snprintf(buf, size, "C by cross-validation");
}

static void params_describe(const viral_train_options *o, char *buf, size_t size) {
  const viral_logistic_params *lp = &cparams(o)->params;
  char C[48];
  describe_C(lp->C, C, sizeof C);
  char recency[64] = "";
  if (cparams(o)->half_life > 0) snprintf(recency, sizeof recency, ", half-life %g of the span", cparams(o)->half_life);
  if (lp->passes == 0)
    snprintf(buf, size, "batch optimum, %s%s, then online %s alpha %g beta %g l1 %g l2 %g", C, recency,
             viral_logistic_optimizer_name(lp->optimizer), lp->alpha, lp->beta, lp->l1, lp->l2);
  else
    snprintf(buf, size, "%s alpha %g beta %g l1 %g l2 %g passes %d", viral_logistic_optimizer_name(lp->optimizer),
             lp->alpha, lp->beta, lp->l1, lp->l2, lp->passes);
}

/* Online passes: FTRL's rates and penalties. The batch optimum: C on a
 * log2 grid (C 2^-14 to 2^10, every power of 4; the cross-validation that
 * chooses C by default walks every power of 2). */
static const viral_tune_axis_def online_axes[] = {
    {"alpha", "alpha-grid", "0.05,0.1,0.2,0.5,1,2", 0, 1},
    {"l1", "l1-grid", "0,1", 0, 0},
    {"l2", "l2-grid", "0,1,10", 0, 0},
};
static const viral_tune_axis_def batch_axes[] = {
    {"C", "log2c", "-14,10,2", 1, 1},
};

static size_t tune_axes(const viral_train_options *o, const viral_tune_axis_def **out) {
  if (cparams(o)->params.passes == 0) {
    *out = batch_axes;
    return sizeof batch_axes / sizeof batch_axes[0];
  }
  *out = online_axes;
  return sizeof online_axes / sizeof online_axes[0];
}

/* The tuned parameter called name in o, or NULL. */
static double *tuned(viral_train_options *o, const char *name) {
  viral_logistic_params *lp = &params_of(o->params.bytes)->params;
  return strcmp(name, "alpha") == 0 ? &lp->alpha : strcmp(name, "l1") == 0 ? &lp->l1
                                                 : strcmp(name, "l2") == 0 ? &lp->l2
                                                 : strcmp(name, "C") == 0 ? &lp->C : NULL;
}

static int param_set(viral_train_options *o, const char *name, double value) {
  double *x = tuned(o, name);
  if (!x) return VIRAL_ERR_INVALID;
  *x = value;
  return VIRAL_OK;
}

static double param_get(const viral_train_options *o, const char *name) {
  double *x = tuned((viral_train_options *)o, name);
  return x ? *x : NAN;
}

/* ---- the weight space ---- */

_Static_assert(VIRAL_PIPELINE_MAX_HASH_BITS <= VIRAL_LOGISTIC_MAX_BITS,
               "every spec's vectors must fit the logistic learner's weights");

/* VIRAL_OK when 2^bits weights hold every index of p's vectors, else
 * VIRAL_ERR_INVALID naming source (a model file, or NULL for the --bits
 * of training): the one check training and loading share. */
static int check_bits(int bits, const viral_pipeline *p, const char *source, viral_error *err) {
  if (((uint64_t)1 << bits) >= viral_pipeline_dim(p)) return VIRAL_OK;
  return viral_error_set(err, VIRAL_ERR_INVALID, source, 0,
                         "logistic weights (2^%d) are fewer than the pipeline's %u features%s",
                         bits, (unsigned)viral_pipeline_dim(p),
                         source ? "" : ": --bits must be at least the spec's hash_bits");
}

/* The weight space for p: the options' --bits, else what p needs. */
static int bits_for(const viral_train_options *o, const viral_pipeline *p) {
  if (cparams(o)->bits) return cparams(o)->bits;
  uint32_t dim = viral_pipeline_dim(p);
  int bits = VIRAL_LOGISTIC_MIN_BITS;
  while (bits < VIRAL_LOGISTIC_MAX_BITS && ((uint32_t)1 << bits) < dim) bits++;
  return bits;
}

/* A --bits too small for p is refused before any training (score would
 * refuse the model it made). */
static int check(const viral_train_options *o, const viral_pipeline *p, viral_error *err) {
  return check_bits(bits_for(o, p), p, NULL, err);
}

/* ---- training ---- */

static int counts_first(const viral_train_options *o) { return o->balanced; }

static int not_finite(viral_error *err) {
  return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "a feature value is not finite");
}

/* Learn every row of rows once, in order, with importances weight[label]. */
static int learn_rows(viral_logistic *lr, const viral_learner_fit *f, viral_fit_rows *rows,
                      const double weight[2], viral_error *err) {
  const viral_sparse *x;
  double y, w;
  int rc;
  while ((rc = viral_fit_rows_next(rows, &x, &y, &w, err)) == 1) {
    double p = viral_logistic_learn(lr, x, y, weight[y > 0.5] * w);
    if (isnan(p)) return not_finite(err);
    if (f->scored) f->scored(f->scored_ctx, p, y);
  }
  return rc;
}

/* Several passes or a shuffle: the rows are held in memory, then the
 * trained learner scores each for the summary. */
static int train_in_memory(viral_logistic *lr, const viral_learner_fit *f, viral_fit_rows *rows,
                           viral_error *err) {
  viral_dataset ds;
  viral_dataset_init(&ds);
  const viral_sparse *x;
  double y, w;
  int rc;
  while ((rc = viral_fit_rows_next(rows, &x, &y, &w, err)) == 1)
    if (w != 1 || viral_dataset_append(&ds, x, y) != VIRAL_OK) {
      rc = w != 1 ? viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "logistic: rows held in memory take no weight")
                  : viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
      break;
    }
  if (rc == VIRAL_OK) rc = viral_logistic_train(lr, &ds, err);
  for (size_t r = 0; rc == VIRAL_OK && f->scored && r < ds.rows; r++) {
    viral_sparse row = viral_dataset_row(&ds, r);
    double p = viral_logistic_predict(lr, &row);
    if (!isnan(p)) f->scored(f->scored_ctx, p, ds.labels[r]);
  }
  viral_dataset_release(&ds);
  return rc;
}

/* x, y (importance weight[y]) learned online, handed to the summary. */
static int learn_one_row(viral_logistic *lr, const viral_learner_fit *f, const viral_sparse *x, double y,
                         const double weight[2], viral_error *err) {
  double p = viral_logistic_learn(lr, x, y, weight[y > 0.5]);
  if (isnan(p)) return not_finite(err);
  if (f->scored) f->scored(f->scored_ctx, p, y);
  return VIRAL_OK;
}

/* The rows held for the batch optimum learned online instead, in order. */
static int learn_held(viral_logistic *lr, const viral_learner_fit *f, const linear_rows *held, const double weight[2],
                      viral_error *err) {
  viral_sparse x;
  viral_sparse_init(&x);
  int rc = VIRAL_OK;
  for (size_t i = 0; i < linear_rows_count(held) && rc == VIRAL_OK; i++)
    if ((rc = linear_rows_get(held, i, &x)) != VIRAL_OK) rc = viral_error_set(err, rc, NULL, 0, "out of memory");
    else rc = learn_one_row(lr, f, &x, linear_rows_label(held, i), weight, err);
  viral_sparse_release(&x);
  return rc;
}

/* The learner went online instead of the batch optimum (why, after rows
 * rows): one pass, said through the options' note. */
static void note_online(viral_logistic *lr, const viral_learner_fit *f, viral_logistic_fit_method why,
                        size_t rows) {
  lr->p.passes = 1;
  lr->fit.method = why;
  lr->fit.memory_mb = cparams(f->opts)->batch_memory_mb;
  if (!f->opts->note) return;
  char message[200];
  if (why == VIRAL_LOGISTIC_FIT_OVER_MEMORY)
    snprintf(message, sizeof message,
             "the rows pass --batch-memory %g MB at row %zu: one online pass (as --passes 1) instead of "
             "the batch optimum, memory flat from here",
             lr->fit.memory_mb, rows + 1);
  else
    snprintf(message, sizeof message, "the %zu rows hold one class: one online pass instead of the batch optimum",
             rows);
  f->opts->note(f->opts->note_ctx, message);
}

/* The recency weights of viral_logistic_options.half_life (> 0) for rows
 * posted at time[n], given to held: VIRAL_OK or an error. */
static int weigh_by_recency(linear_rows *held, const double *time, size_t n, double half_life, viral_error *err) {
  double first = INFINITY, last = -INFINITY;
  for (size_t i = 0; i < n; i++) {
    first = time[i] < first ? time[i] : first;
    last = time[i] > last ? time[i] : last;
  }
  double *weight = malloc((n ? n : 1) * sizeof *weight);
  if (!weight) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  double scale = last > first ? half_life * (last - first) : 0;
  for (size_t i = 0; i < n; i++) weight[i] = scale > 0 ? exp2(-(last - time[i]) / scale) : 1.0;
  linear_rows_set_weights(held, weight);
  return VIRAL_OK;
}

/* The rows held while they fit in --batch-memory, then the batch optimum
 * (weighed by recency with --half-life); past it (or with one class) one
 * online pass over all of them. */
static int fit_batch(viral_logistic *lr, const viral_learner_fit *f, viral_fit_rows *rows, const double weight[2],
                     viral_error *err) {
  const double limit = cparams(f->opts)->batch_memory_mb * 1048576.0, half_life = cparams(f->opts)->half_life;
  linear_rows *held = linear_rows_create();
  if (!held) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  const viral_sparse *x;
  double y, w, *time = NULL;
  size_t positives = 0, time_capacity = 0;
  int rc;
  while ((rc = viral_fit_rows_next(rows, &x, &y, &w, err)) == 1) {
    if (w != 1) {
      rc = viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "logistic: rows held in memory take no weight");
      break;
    }
    if (half_life > 0) {
      size_t n = linear_rows_count(held);
      double t = viral_fit_rows_posted_at(rows);
      if (isnan(t)) {
        rc = viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                             "--half-life weighs rows by their posted_at: record %llu (from 1) has none",
                             (unsigned long long)viral_fit_rows_record(rows) + 1);
        break;
      }
      if (array_grow((void **)&time, &time_capacity, n + 1, sizeof *time, 1024)) {
        rc = viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
        break;
      }
      time[n] = t;
    }
    if ((double)linear_rows_bytes_with(held, x->count) > limit) {
      /* exactly `--passes 1`: the rows held, this one and the rest, in order */
      note_online(lr, f, VIRAL_LOGISTIC_FIT_OVER_MEMORY, linear_rows_count(held));
      linear_rows *all = held;
      held = NULL;
      rc = learn_held(lr, f, all, weight, err);
      linear_rows_free(all);
      if (rc == VIRAL_OK) rc = learn_one_row(lr, f, x, y, weight, err);
      if (rc == VIRAL_OK) rc = learn_rows(lr, f, rows, weight, err);
      break;
    }
    if (linear_rows_add(held, x, y) != VIRAL_OK) {
      rc = viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory holding %zu rows for the batch optimum "
                                                          "(--batch-memory or --passes 1 learn in one pass)",
                           linear_rows_count(held));
      break;
    }
    positives += y > 0.5;
  }
  if (rc == 0 && held) {
    size_t n = linear_rows_count(held);
    if (positives == 0 || positives == n) { /* no optimum to reach */
      note_online(lr, f, VIRAL_LOGISTIC_FIT_ONE_CLASS, n);
      rc = learn_held(lr, f, held, weight, err);
    } else {
      if (half_life > 0) rc = weigh_by_recency(held, time, n, half_life, err);
      if (rc == VIRAL_OK) rc = logistic_batch_fit(lr, held, NULL, f->scored, f->scored_ctx, err);
    }
  }
  free(time);
  linear_rows_free(held);
  return rc;
}

/* ---- spread over the processes of an MPI job (opts->spread) ---- */

static int spread_refused(viral_error *err) {
  return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                         "--passes N (N > 1) and --shuffle train as one process: start it without mpirun (over MPI "
                         "the logistic learner fits the batch optimum, or one online pass with --passes 1)");
}

/* One online pass over this process's share, synchronised with the other
 * processes every so many rows of each and at the end
 * (learn/logistic_spread.h). */
static int learn_rows_spread(viral_logistic *lr, const viral_learner_fit *f, viral_fit_rows *rows,
                             const double weight[2], viral_error *err) {
  logistic_spread sync;
  int rc = logistic_spread_start(&sync, lr, err);
  size_t interval = LOGISTIC_SPREAD_FIRST;
  for (uint64_t more = 1; more; interval = interval < LOGISTIC_SPREAD_INTERVAL ? 2 * interval : interval) {
    const viral_sparse *x;
    double y, w;
    int got = 1;
    for (size_t k = 0; rc == VIRAL_OK && k < interval; k++) {
      if ((got = viral_fit_rows_next(rows, &x, &y, &w, err)) != 1) break;
      double p = viral_logistic_learn(lr, x, y, weight[y > 0.5] * w);
      if (isnan(p)) rc = not_finite(err);
      else if (f->scored) f->scored(f->scored_ctx, p, y);
    }
    if (got < 0) rc = got;
    more = got == 1;
    /* every process learned its rows of this interval: stop together or go on together */
    if ((rc = viral_dist_agree(rc, 0, err)) == VIRAL_OK) rc = viral_dist_sum(&more, 1, err);
    if (rc == VIRAL_OK) rc = logistic_spread_sync(&sync, lr, err);
    if (rc != VIRAL_OK) break;
  }
  logistic_spread_release(&sync);
  return rc;
}

/* The rows of this process's share held, every process's rows past
 * --batch-memory or of one class an error (each process holds its share,
 * so the limit is per process; there is no online course to take alone);
 * then the batch optimum together (logistic_batch.h). */
static int fit_batch_spread(viral_logistic *lr, const viral_learner_fit *f, viral_fit_rows *rows, viral_error *err) {
  if (cparams(f->opts)->half_life > 0) /* every process has the same options: all stop here */
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                           "--half-life trains as one process: start it without mpirun");
  const double limit = cparams(f->opts)->batch_memory_mb * 1048576.0;
  linear_rows *held = linear_rows_create();
  uint64_t *record = NULL;
  size_t capacity = 0;
  const viral_sparse *x;
  double y, w;
  int rc = held ? VIRAL_OK : viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  while (rc == VIRAL_OK && (rc = viral_fit_rows_next(rows, &x, &y, &w, err)) == 1) {
    size_t n = linear_rows_count(held);
    rc = VIRAL_OK;
    if (w != 1) rc = viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "logistic: rows held in memory take no weight");
    else if ((double)linear_rows_bytes_with(held, x->count) > limit)
      rc = viral_error_set(err, VIRAL_ERR_LIMIT, NULL, 0,
                           "this process's rows pass --batch-memory %g MB at its row %zu: give more processes, a "
                           "larger --batch-memory, or train as one process",
                           cparams(f->opts)->batch_memory_mb, n + 1);
    else if (array_grow((void **)&record, &capacity, n + 1, sizeof *record, 1024) || linear_rows_add(held, x, y) != VIRAL_OK)
      rc = viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory holding %zu rows for the batch optimum", n);
    else
      record[n] = viral_fit_rows_record(rows);
  }
  /* every process has read its share: go on together or stop together */
  rc = viral_dist_agree(rc, 0, err);
  uint64_t counts[2] = {0, linear_rows_count(held)};
  for (size_t i = 0; rc == VIRAL_OK && i < counts[1]; i++) counts[0] += linear_rows_label(held, i) > 0.5;
  if (rc == VIRAL_OK) rc = viral_dist_sum(counts, 2, err);
  if (rc == VIRAL_OK && counts[1] == 0) rc = viral_fit_rows_none(rows, err);
  if (rc == VIRAL_OK && (counts[0] == 0 || counts[0] == counts[1]))
    rc = viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "the %llu rows hold one class: no batch optimum to reach",
                         (unsigned long long)counts[1]);
  logistic_batch_job job = {1, record, {0, 0, 0, 0, 0, 0}, 0};
  if (rc == VIRAL_OK) rc = logistic_batch_fit(lr, held, &job, f->scored, f->scored_ctx, err);
  if (rc == VIRAL_OK && f->opts->note) {
    char message[200];
    snprintf(message, sizeof message,
             "the batch optimum: %d Newton steps, %d Hessian-vector products, each a sum of %zu doubles (%.2f MB) "
             "over the processes",
             job.solver.iterations, job.solver.cg_steps, job.width, (double)job.width * 8 / 1e6);
    f->opts->note(f->opts->note_ctx, message);
  }
  free(record);
  linear_rows_free(held);
  return rc;
}

static void *fit(const viral_learner_fit *f, viral_fit_rows *rows, viral_error *err) {
  viral_logistic_params params = learner_params(f->opts, f->pipeline);
  if (f->class_counts)
    viral_logistic_balanced_weights(f->class_counts[1], f->class_counts[0], &params.weight0, &params.weight1);
  viral_logistic *lr = viral_logistic_create(&params, bits_for(f->opts, f->pipeline), err);
  if (!lr) return NULL;
  const double weight[2] = {params.weight0, params.weight1};
  int rc = f->opts->spread ? (params.passes == 0                    ? fit_batch_spread(lr, f, rows, err)
                              : params.passes == 1 && !params.shuffle ? learn_rows_spread(lr, f, rows, weight, err)
                                                                      : spread_refused(err))
           : params.passes == 0                     ? fit_batch(lr, f, rows, weight, err)
           : params.passes == 1 && !params.shuffle ? learn_rows(lr, f, rows, weight, err)
                                                   : train_in_memory(lr, f, rows, err);
  if (rc != VIRAL_OK) {
    viral_logistic_free(lr);
    return NULL;
  }
  return lr;
}

/* One pass in file order, with the importances training used: exactly
 * what training on the concatenation would have done next. */
static int update(void *state, const viral_learner_fit *f, viral_fit_rows *rows, viral_error *err) {
  viral_logistic *lr = state;
  const viral_logistic_params *lp = viral_logistic_get_params(lr);
  const double weight[2] = {lp->weight0, lp->weight1};
  return learn_rows(lr, f, rows, weight, err);
}

/* ---- one row at a time ---- */

static const char *online_refusal(const viral_train_options *o) {
  const viral_logistic_params *lp = &cparams(o)->params;
  return lp->passes > 1 || lp->shuffle ? "passes and shuffling need the data first" : NULL;
}

static void *create(const viral_train_options *o, const viral_pipeline *p, viral_error *err) {
  viral_logistic_params params = learner_params(o, p); /* as fit: dense columns standardized */
  if (params.passes == 0) params.passes = 1; /* no rows to fit first: online from the start */
  params.C = 0;
  int bits = bits_for(o, p);
  if (check_bits(bits, p, NULL, err) != VIRAL_OK) return NULL;
  return viral_logistic_create(&params, bits, err);
}

static int learn(void *state, const viral_sparse *x, double y, double *p_before, viral_error *err) {
  viral_logistic *lr = state;
  const viral_logistic_params *lp = viral_logistic_get_params(lr);
  double p = viral_logistic_learn(lr, x, y, y > 0.5 ? lp->weight1 : lp->weight0);
  if (isnan(p)) return not_finite(err);
  if (p_before) *p_before = p;
  return VIRAL_OK;
}

/* ---- scoring ---- */

static double sigmoid(double z) { return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z)); }

static int predict(const void *state, const viral_sparse *x, double *probability, double *margin,
                   viral_error *err) {
  (void)err;
  double m = viral_logistic_margin(state, x);
  if (margin) *margin = m;
  if (probability) *probability = sigmoid(m);
  return VIRAL_OK;
}

static int contributions(const void *state, const viral_sparse *x, double *out, viral_error *err) {
  (void)err;
  viral_logistic_effects(state, x, out);
  return VIRAL_OK;
}

static int weights(const void *state, double *w, uint32_t dim, viral_error *err) {
  (void)err;
  for (uint32_t i = 0; i < dim; i++) w[i] = viral_logistic_weight(state, i);
  return VIRAL_OK;
}

/* "batch optimum C 0.25 (5-fold CV) on 4610 rows, then " and the like:
 * how the weights were reached when not by the params' passes. */
static void describe_fit(const viral_logistic *lr, char *buf, size_t size) {
  const viral_logistic_fit_info *f = &lr->fit;
  char folds[32] = "given";
  if (f->folds) snprintf(folds, sizeof folds, "%d-fold CV", f->folds);
  switch (f->method) {
  case VIRAL_LOGISTIC_FIT_BATCH:
    snprintf(buf, size, "batch optimum C %g (%s) on %llu rows, then ", f->C, folds, (unsigned long long)f->rows);
    break;
  case VIRAL_LOGISTIC_FIT_OVER_MEMORY:
    snprintf(buf, size, "online: the rows passed --batch-memory %g MB, ", f->memory_mb);
    break;
  case VIRAL_LOGISTIC_FIT_ONE_CLASS: snprintf(buf, size, "online: the rows held one class, "); break;
  default: *buf = '\0';
  }
}

static void describe(const void *state, char *buf, size_t size) {
  const viral_logistic_params *lp = viral_logistic_get_params(state);
  char fit[96];
  describe_fit(state, fit, sizeof fit);
  snprintf(buf, size, "%s%s, alpha %g, beta %g, l1 %g, l2 %g, %d pass%s, 2^%d weights, %zu non-zero", fit,
           viral_logistic_optimizer_name(lp->optimizer), lp->alpha, lp->beta, lp->l1, lp->l2, lp->passes,
           lp->passes == 1 ? "" : "es", viral_logistic_bits(state), viral_logistic_nonzero(state));
}

/* ---- the model file: "logistic" ---- */

static const viral_document_key params_keys[] = {
    {"optimizer", NULL, 0}, {"alpha", NULL, 0}, {"beta", NULL, 0}, {"l1", NULL, 0},
    {"l2", NULL, 0}, {"normalize", NULL, 0}, {"dense", NULL, 0}, {"passes", NULL, 0},
    {"shuffle", NULL, 0}, {"seed", NULL, 0}, {"weight0", NULL, 0}, {"weight1", NULL, 0},
    {NULL, NULL, 0}};
static const viral_document_key bias_keys[] = {
    {"weight", NULL, 0}, {"z", NULL, 0}, {"n", NULL, 0}, {NULL, NULL, 0}};
static const viral_document_key standardize_keys[] = {
    {"mean", NULL, 0}, {"m2", NULL, 0}, {NULL, NULL, 0}};
/* the coordinate table is cut out and read from its text */
static const viral_document_key section_keys[] = {
    {"params", params_keys, 0}, {"bits", NULL, 0}, {"rows", NULL, 0},
    {"bias", bias_keys, 0}, {"fit", NULL, 0}, {"standardize", standardize_keys, 0}, {"columns", NULL, 0},
    {"coordinates", NULL, 1}, {NULL, NULL, 0}};

static int write_coordinates(void *ctx, viral_text_emit emit, void *emit_ctx) {
  return viral_logistic_json_write_coordinates(ctx, emit, emit_ctx);
}

static int to_json(const void *state, cJSON *doc, viral_document_part *parts, size_t *count,
                   viral_error *err) {
  cJSON *placeholder = viral_document_placeholder((unsigned)*count);
  if (!placeholder) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  cJSON *section = viral_logistic_json_write_head(state, placeholder, err);
  if (!section) return err ? err->code : VIRAL_ERR_NOMEM;
  cJSON_AddItemToObject(doc, "logistic", section);
  parts[*count].write = write_coordinates;
  parts[*count].ctx = (void *)state;
  ++*count;
  return VIRAL_OK;
}

static void *from_json(const cJSON *doc, const char *cut, size_t cut_len, const viral_pipeline *p,
                       const char *path, viral_error *err) {
  const cJSON *section = cJSON_GetObjectItemCaseSensitive(doc, "logistic");
  viral_logistic *lr = cut ? viral_logistic_json_read_split(section, cut, cut_len, err)
                           : viral_logistic_json_read(section, err);
  if (!lr) {
    viral_error_wrap(err, path, 0);
    return NULL;
  }
  if (check_bits(viral_logistic_bits(lr), p, path, err) != VIRAL_OK) {
    viral_logistic_free(lr);
    return NULL;
  }
  return lr;
}

static void free_state(void *state) { viral_logistic_free(state); }

/* ---- its row of the table ---- */

const viral_learner viral_logistic_learner_ = {
    .name = "logistic",
    .spreads = 1,
    .summary = "batch optimum, then online",
    .scaling = "none", /* it normalizes in its own single pass */
    .options = options,
    .tune_options = tune_options,
    .params_init = params_init,
    .params_parse = params_parse,
    .params_check = params_check,
    .params_describe = params_describe,
    .tune_axes = tune_axes,
    .param_set = param_set,
    .param_get = param_get,
    .check = check,
    .counts_first = counts_first,
    .fit = fit,
    .update = update,
    .online_refusal = online_refusal,
    .create = create,
    .learn = learn,
    .predict = predict,
    .contributions = contributions,
    .contributions_from_mean = 1,
    .weights = weights,
    .describe = describe,
    .describe_json = NULL,
    .section = {"logistic", section_keys, 0},
    .to_json = to_json,
    .from_json = from_json,
    .free = free_state,
};

viral_logistic_options *viral_train_options_logistic(viral_train_options *o) {
  return o->learner == &viral_logistic_learner_ ? params_of(o->params.bytes) : NULL;
}

const viral_logistic *viral_model_logistic(const viral_model *m) {
  return viral_model_state_(m, &viral_logistic_learner_);
}
