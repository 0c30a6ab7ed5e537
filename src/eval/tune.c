/* tune.c - a grid search of a learner's parameters by cross-validation
 * (viral/eval.h): the grid from each learner's own axes (learn/learner.h),
 * every point cross-validated on the same stratified folds, in the spirit
 * of libsvm's grid.py. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learn/learner.h"
#include "viral/dist.h"
#include "viral/eval.h"
#include "viral/metrics.h"

/* ---- the options of every learner's grid ---- */

#define MAX_LISTED 32

static viral_option listed[MAX_LISTED + 1];
static pthread_once_t listed_once = PTHREAD_ONCE_INIT;

static void list_options(void) {
  size_t n = 0;
  for (size_t i = 0; viral_learner_at(i); i++) {
    const viral_option *o = viral_learner_at(i)->tune_options;
    for (; o && o->name && n < MAX_LISTED; o++) {
      size_t j = 0;
      while (j < n && strcmp(listed[j].name, o->name) != 0) j++;
      if (j == n) listed[n++] = *o;
    }
  }
  listed[n] = (viral_option){NULL, NULL, NULL};
}

const viral_option *viral_tune_option_list(void) {
  pthread_once(&listed_once, list_options);
  return listed;
}

/* ---- the grid ---- */

/* A comma-separated list of numbers >= 0 into axis; VIRAL_OK or -1. */
static int parse_list(const char *text, viral_tune_axis *axis) {
  size_t n = 0;
  const char *s = text;
  while (*s) {
    char *end;
    double x = strtod(s, &end);
    if (end == s || !(x >= 0) || !isfinite(x) || n == VIRAL_TUNE_MAX_VALUES) return -1;
    axis->values[n++] = x;
    if (*end == ',') end++;
    else if (*end) return -1;
    s = end;
  }
  axis->count = n;
  return n ? VIRAL_OK : -1;
}

/* grid.py's "begin,end,step" on the log2 scale into 2^x values; VIRAL_OK
 * or -1. */
static int parse_log2(const char *text, viral_tune_axis *axis) {
  double b, e, s;
  char tail;
  size_t n = 0;
  if (sscanf(text, "%lf,%lf,%lf%c", &b, &e, &s, &tail) == 3 && isfinite(b) && isfinite(e) && s != 0 &&
      (e - b) / s >= 0 && (e - b) / s < VIRAL_TUNE_MAX_VALUES)
    for (double x = b; s > 0 ? x <= e + 1e-9 : x >= e - 1e-9; x += s) axis->values[n++] = pow(2, x);
  axis->count = n;
  return n ? VIRAL_OK : -1;
}

/* 1 when one of the n axes defs is searched over the values of option. */
static int searched_by(const viral_tune_axis_def *defs, size_t n, const char *option) {
  for (size_t i = 0; i < n; i++)
    if (defs[i].option && strcmp(defs[i].option, option) == 0) return 1;
  return 0;
}

int viral_tune_grid_parse(const viral_train_options *base, viral_option_get get, void *ctx,
                          viral_tune_grid *grid, viral_error *err) {
  const viral_tune_axis_def *defs = NULL;
  size_t n = base->learner->tune_axes ? base->learner->tune_axes(base, &defs) : 0;
  memset(grid, 0, sizeof *grid);
  if (n == 0 || n > VIRAL_TUNE_MAX_AXES)
    return viral_option_error(err, "the %s learner has no parameters to tune", base->learner->name);
  for (size_t i = 0; i < n; i++) {
    const viral_tune_axis_def *def = &defs[i];
    viral_tune_axis *axis = &grid->axes[i];
    axis->name = def->name;
    axis->searched = def->option != NULL;
    if (!def->option) {
      axis->values[0] = base->learner->param_get(base, def->name);
      axis->count = 1;
      continue;
    }
    const char *text = get(ctx, def->option) ? get(ctx, def->option) : def->grid;
    if (def->log2 && parse_log2(text, axis) != VIRAL_OK)
      return viral_option_error(err, "--%s must be BEGIN,END,STEP on the log2 scale with at most %d "
                                     "points, such as -5,15,2", def->option, VIRAL_TUNE_MAX_VALUES);
    if (!def->log2 && parse_list(text, axis) != VIRAL_OK)
      return viral_option_error(err, "--%s must be a list of up to %d numbers >= 0 such as 0.1,1",
                                def->option, VIRAL_TUNE_MAX_VALUES);
  }
  grid->count = n;
  if (base->learner->tune_options)
    for (const viral_option *o = base->learner->tune_options; o->name; o++)
      if (get(ctx, o->name) && !searched_by(defs, n, o->name))
        return viral_option_error(err, "--%s does not apply to the %s learner with these options (it tunes %s)",
                                  o->name, base->learner->name, defs[0].name);
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; defs[i].positive && j < grid->axes[i].count; j++)
      if (!(grid->axes[i].values[j] > 0)) return viral_option_error(err, "--%s values must be > 0", defs[i].option);
  /* each value must give parameters the learner can train with */
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; grid->axes[i].searched && j < grid->axes[i].count; j++) {
      viral_train_options o = *base;
      double v = grid->axes[i].values[j];
      if (base->learner->param_set(&o, defs[i].name, v) != VIRAL_OK)
        return viral_option_error(err, "--%s: %g is not a value of %s", defs[i].option, v, defs[i].name);
      const char *why = base->learner->params_check(&o);
      if (why) return viral_option_error(err, "--%s: %s", defs[i].option, why);
    }
  return VIRAL_OK;
}

int viral_tune_metric_parse(const char *name, viral_tune_metric *out) {
  static const char *const names[] = {"auc", "logloss", "brier"};
  for (int i = 0; i < 3; i++)
    if (strcmp(name, names[i]) == 0) {
      *out = (viral_tune_metric)i;
      return VIRAL_OK;
    }
  return VIRAL_ERR_INVALID;
}

/* The grid's points (out->points, out->count) around base: every
 * combination, the first axis outermost. */
static int make_points(const viral_train_options *base, const viral_tune_grid *grid, int k,
                       viral_tune_result *out, viral_error *err) {
  size_t n = 1;
  for (size_t a = 0; a < grid->count; a++) n *= grid->axes[a].count;
  out->points = calloc(n, sizeof *out->points);
  out->per_fold_ = calloc(n * (size_t)k, sizeof *out->per_fold_);
  if (!out->points || !out->per_fold_) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  for (size_t i = 0; i < n; i++) {
    viral_tune_point *pt = &out->points[i];
    pt->opts = *base;
    pt->per_fold = out->per_fold_ + i * (size_t)k;
    size_t rest = i;
    for (size_t a = grid->count; a-- > 0;) { /* the last axis moves fastest */
      const viral_tune_axis *axis = &grid->axes[a];
      pt->value[a] = axis->values[rest % axis->count];
      rest /= axis->count;
      base->learner->param_set(&pt->opts, axis->name, pt->value[a]);
    }
  }
  out->count = n;
  return VIRAL_OK;
}

/* ---- the search ---- */

/* The metric of probs on the fold's test rows. */
static int fold_metric(const viral_eval_fold *fold, const double *probs, viral_tune_metric which,
                       double *y, double *q, double *out, viral_error *err) {
  size_t m = 0;
  for (size_t r = 0; r < fold->ds->rows; r++)
    if (fold->role[r] == 1) y[m] = fold->ds->labels[r], q[m++] = probs[r];
  int rc = which == VIRAL_TUNE_AUC        ? viral_metrics_roc_auc(y, q, m, out, err)
           : which == VIRAL_TUNE_LOG_LOSS ? viral_metrics_log_loss(y, q, m, out, err)
                                          : viral_metrics_brier(y, q, m, out, err);
  return rc < 0 ? rc : VIRAL_OK;
}

/* ---- over the processes of an MPI job (viral/dist.h) ----
 *
 * The work is cut in units, one point on one fold, numbered fold-major
 * (u = f * points + i, the order one process runs them in); process p
 * runs the units with u % size == p, each fold it has a unit of fitting its
 * pipeline once; then every process sends its units' metrics to every
 * other. */

/* The metric of every unit, from the process that ran it, into out;
 * after this process's status rc (where: the unit that failed, -1 before
 * any): the first failure of the job, or VIRAL_OK. */
static int share_units(viral_tune_result *out, int k, int rc, int64_t where, viral_error *err) {
  if (viral_dist_size() == 1 || (rc = viral_dist_agree(rc, where, err)) != VIRAL_OK) return rc;
  size_t units = out->count * (size_t)k, ranks = (size_t)viral_dist_size(), mine = 0;
  double *sent = malloc((units / ranks + 1) * sizeof *sent), *all = NULL;
  for (size_t u = (size_t)viral_dist_rank(); sent && u < units; u += ranks)
    sent[mine++] = out->points[u % out->count].per_fold[u / out->count];
  rc = sent ? VIRAL_OK : viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  size_t len = 0;
  int gathered = viral_dist_allgather(sent, rc == VIRAL_OK ? mine * sizeof *sent : 0, (char **)&all, &len, err);
  rc = viral_dist_agree(rc == VIRAL_OK ? gathered : rc, 0, err);
  /* the gathered metrics: process 0's units, then process 1's, ... */
  size_t at = 0;
  for (size_t p = 0; rc == VIRAL_OK && p < ranks; p++)
    for (size_t u = p; u < units; u += ranks) out->points[u % out->count].per_fold[u / out->count] = all[at++];
  free(sent), free(all);
  return rc;
}

/* 1 when this process runs a unit of fold f. */
static int runs_fold(int f, size_t points, int rank, int ranks) {
  for (size_t i = 0; i < points; i++)
    if (((size_t)f * points + i) % (size_t)ranks == (size_t)rank) return 1;
  return 0;
}

/* Every point on every fold (this process's units of them); each fold fits
 * its pipeline once. */
static int run_folds(const viral_eval_data *d, int k, uint64_t seed, viral_tune_metric which,
                     void (*progress)(void *, int, int, size_t, size_t), void *ctx,
                     viral_tune_result *out, viral_error *err) {
  size_t rows = d->ds.rows ? d->ds.rows : 1;
  int *fold_of = malloc(rows * sizeof *fold_of), *role = malloc(rows * sizeof *role);
  double *probs = calloc(rows, sizeof *probs), *y = malloc(rows * sizeof *y), *q = malloc(rows * sizeof *q);
  int rc = fold_of && role && probs && y && q ? VIRAL_OK
                                               : viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  int rank = viral_dist_rank(), ranks = viral_dist_size();
  int64_t where = -1; /* the unit that failed; -1: before any */
  if (rc == VIRAL_OK) rc = viral_eval_stratified_folds(d->ds.labels, d->ds.rows, k, seed, fold_of, err);
  for (int f = 0; f < k && rc == VIRAL_OK; f++) {
    if (!runs_fold(f, out->count, rank, ranks)) continue;
    where = (int64_t)f * (int64_t)out->count;
    for (size_t r = 0; r < d->ds.rows; r++) role[r] = fold_of[r] == f;
    viral_eval_fold fold;
    if ((rc = viral_eval_fold_init(&fold, d, role, err)) != VIRAL_OK) break;
    for (size_t i = 0; i < out->count && rc == VIRAL_OK; i++) {
      size_t u = (size_t)f * out->count + i;
      if (u % (size_t)ranks != (size_t)rank) continue;
      where = (int64_t)u;
      if (progress) progress(ctx, f, k, i, out->count);
      viral_tune_point *pt = &out->points[i];
      rc = viral_eval_fold_predict_with(&fold, VIRAL_EVAL_MODEL, &pt->opts, probs, err);
      if (rc == VIRAL_OK) rc = fold_metric(&fold, probs, which, y, q, &pt->per_fold[f], err);
    }
    viral_eval_fold_release(&fold);
  }
  free(fold_of), free(role), free(probs), free(y), free(q);
  return share_units(out, k, rc, where, err);
}

int viral_eval_tune(const viral_eval_data *d, const viral_train_options *base,
                    const viral_tune_grid *grid, int k, uint64_t seed, viral_tune_metric metric,
                    void (*progress)(void *ctx, int fold, int folds, size_t point, size_t points),
                    void *progress_ctx, viral_tune_result *out, viral_error *err) {
  memset(out, 0, sizeof *out);
  out->folds = k;
  out->best = -1;
  int rc = make_points(base, grid, k, out, err);
  /* one process short of memory still tells the others (share_units) */
  rc = rc == VIRAL_OK ? run_folds(d, k, seed, metric, progress, progress_ctx, out, err) : share_units(out, k, rc, -1, err);
  for (size_t i = 0; i < out->count && rc == VIRAL_OK; i++) {
    viral_tune_point *pt = &out->points[i];
    viral_metrics_mean_std(pt->per_fold, (size_t)k, &pt->mean, &pt->sd, NULL);
    const viral_tune_point *best = out->best < 0 ? NULL : &out->points[out->best];
    if (!isnan(pt->mean) &&
        (!best || (metric == VIRAL_TUNE_AUC ? pt->mean > best->mean : pt->mean < best->mean)))
      out->best = (long)i;
  }
  return rc;
}

void viral_tune_result_release(viral_tune_result *r) {
  if (!r) return;
  free(r->points);
  free(r->per_fold_);
  memset(r, 0, sizeof *r);
  r->best = -1;
}
