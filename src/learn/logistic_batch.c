/* logistic_batch.c - the logistic learner at the batch optimum
 * (learn/logistic_batch.h; viral/logistic.h "Batch optimum" states the
 * objective and the seeding rule). */
#include "learn/logistic_batch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/random.h"
#include "learn/tron.h"

/* The intercept is LIBLINEAR's weight on an item of this value (learn/
 * linear.h: 2.3 penalises it as (b / BIAS_ITEM)^2 / 2, a thousandth of a
 * unit weight's penalty); polish_intercept then takes what is left of the
 * penalty out. */
#define BIAS_ITEM 1000.0

/* C by cross-validation: up to CV_FOLDS stratified folds (no more than
 * either class has rows) of at most CV_MAX_ROWS rows drawn at random
 * (seeded). C = 2^k: a coarse walk from k = CV_LOG2C_LO up by 2, each
 * fold's fit warm-started from its fit at the C before, stops CV_PATIENCE
 * steps past the least held-out log loss (or at CV_LOG2C_HI); then the
 * powers of 2 either side of the best are tried. With fewer than 2 rows of
 * a class there is nothing to cross-validate: C is DEFAULT_C
 * (scikit-learn's default too). On 100k generated rows `viral train` took
 * 89 s of CPU with 100k rows drawn and a walk by 1 from 2^-14 (C 0.0625),
 * 23 s with 20k rows and this walk (C 0.125), 3.8 s with --C given; the
 * four real tables (under 20k rows) move by 0.0003 AUC at most. A C chosen
 * on a sample is used as it is on all the rows: C multiplies a sum over
 * the rows, so its penalty weighs less as rows are added, as it should. */
#define CV_FOLDS 5
#define CV_MAX_ROWS 20000
#define CV_LOG2C_LO (-12)
#define CV_LOG2C_HI 10
#define CV_PATIENCE 2
#define DEFAULT_C 1.0

/* LIBLINEAR's stopping tolerance (-e): its Newton method stops when the
 * gradient norm falls to eps times the norm at w = 0, which the bias item
 * (BIAS_ITEM times the intercept's gradient) makes large, so its default
 * 0.01 stops far from the optimum. 1e-4 while searching C (C and the
 * held-out losses as with 1e-6 on the four real tables, at a third of the
 * time); 1e-8 for the model kept: the weights within 1e-6 of the exact
 * optimum (test_logistic batch_optimum_is_the_exact_optimum), for little
 * more time (quadratic convergence: one or two more steps). */
#define CV_EPS 0.0001
#define FINAL_EPS 0.00000001

static double transform_item(void *ctx, uint32_t index, double value) {
  return viral_logistic_input_(ctx, index, value);
}

/* ---- C by cross-validation ---- */

typedef struct search {
  const linear_rows *rows;
  linear_fit fit;
  double weight[2];
  int folds;
  size_t sample;        /* rows drawn */
  size_t *order;        /* [rows] the rows drawn first, [0, sample) */
  int *fold;            /* [sample] the fold of order[k] */
  size_t *train;        /* [sample] one fold's training rows */
  double *w[CV_FOLDS];  /* [features + 1] each fold's last fit: the next one's start */
} search;

/* The mean held-out log loss at C, each row weighed by its class
 * importance. */
static int held_out_loss(search *s, double C, double *loss, viral_error *err) {
  size_t width = (size_t)linear_rows_features(s->rows) + 1;
  double sum = 0, weight = 0;
  double *start = malloc(width * sizeof *start);
  if (!start) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  s->fit.C = C;
  int rc = VIRAL_OK;
  for (int f = 0; f < s->folds && rc == VIRAL_OK; f++) {
    size_t n = 0;
    for (size_t k = 0; k < s->sample; k++)
      if (s->fold[k] != f) s->train[n++] = s->order[k];
    memcpy(start, s->w[f], width * sizeof *start);
    if ((rc = linear_train(s->rows, s->train, n, &s->fit, start, s->w[f], err)) != VIRAL_OK) break;
    for (size_t k = 0; k < s->sample; k++) {
      if (s->fold[k] != f) continue;
      size_t r = s->order[k];
      double y = linear_rows_label(s->rows, r), c = s->weight[y > 0.5];
      sum += c * tron_log_loss(linear_rows_decision(s->rows, r, s->w[f]), y);
      weight += c;
    }
  }
  free(start);
  *loss = weight > 0 ? sum / weight : NAN;
  return rc;
}

/* The folds: a seeded draw of at most CV_MAX_ROWS rows, each class dealt
 * round the folds in turn; s->folds 0 when a class has fewer than 2. */
static int deal_folds(search *s, uint32_t seed, viral_error *err) {
  size_t n = linear_rows_count(s->rows);
  s->sample = n < CV_MAX_ROWS ? n : CV_MAX_ROWS;
  if (!(s->order = malloc(n * sizeof *s->order)) || !(s->fold = malloc(s->sample * sizeof *s->fold)) ||
      !(s->train = malloc(s->sample * sizeof *s->train)))
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  for (size_t i = 0; i < n; i++) s->order[i] = i;
  uint64_t state = 0x6c696e6561720000ull ^ seed; /* "linear" */
  for (size_t i = 0; i < s->sample; i++) { /* the first places of a Fisher-Yates shuffle */
    size_t j = i + (size_t)(splitmix64_next(&state) % (n - i));
    size_t t = s->order[i];
    s->order[i] = s->order[j];
    s->order[j] = t;
  }
  size_t count[2] = {0, 0};
  for (size_t k = 0; k < s->sample; k++) count[linear_rows_label(s->rows, s->order[k]) > 0.5]++;
  size_t fewest = count[0] < count[1] ? count[0] : count[1];
  s->folds = fewest < CV_FOLDS ? (fewest < 2 ? 0 : (int)fewest) : CV_FOLDS;
  size_t dealt[2] = {0, 0};
  for (size_t k = 0; k < s->sample && s->folds; k++) {
    int c = linear_rows_label(s->rows, s->order[k]) > 0.5;
    s->fold[k] = (int)(dealt[c]++ % (size_t)s->folds);
  }
  size_t width = (size_t)linear_rows_features(s->rows) + 1;
  for (int f = 0; f < s->folds; f++)
    if (!(s->w[f] = calloc(width, sizeof *s->w[f]))) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  return VIRAL_OK;
}

/* Try C = 2^k: *best and info updated when its held-out loss is less. */
static int try_C(search *s, int k, double *best, viral_logistic_fit_info *info, int *improved, viral_error *err) {
  double loss = NAN;
  int rc = held_out_loss(s, ldexp(1.0, k), &loss, err);
  *improved = rc == VIRAL_OK && loss < *best;
  if (*improved) {
    *best = loss;
    info->C = ldexp(1.0, k);
    info->cv_log_loss = loss;
  }
  return rc;
}

/* C = 2^k with the least held-out log loss (the first on ties). */
static int choose_C(const linear_rows *rows, const viral_logistic_params *p, viral_logistic_fit_info *info,
                    viral_error *err) {
  search s;
  memset(&s, 0, sizeof s);
  s.rows = rows;
  s.fit = (linear_fit){LINEAR_LOGISTIC, 1.0, p->weight0, p->weight1, CV_EPS, p->seed};
  s.weight[0] = p->weight0;
  s.weight[1] = p->weight1;
  int rc = deal_folds(&s, p->seed, err);
  double best = INFINITY;
  info->C = DEFAULT_C;
  info->cv_log_loss = NAN;
  info->folds = s.folds;
  int improved = 0, best_k = CV_LOG2C_LO;
  for (int k = CV_LOG2C_LO, since = 0; rc == VIRAL_OK && s.folds && k <= CV_LOG2C_HI && since < CV_PATIENCE; k += 2) {
    rc = try_C(&s, k, &best, info, &improved, err);
    since = improved ? 0 : since + 1;
    if (improved) best_k = k;
  }
  for (int k = best_k - 1; rc == VIRAL_OK && s.folds && k <= best_k + 1; k += 2)
    if (k >= CV_LOG2C_LO && k <= CV_LOG2C_HI) rc = try_C(&s, k, &best, info, &improved, err);
  for (int f = 0; f < CV_FOLDS; f++) free(s.w[f]);
  free(s.train);
  free(s.fold);
  free(s.order);
  return rc;
}

/* ---- the fit ---- */

/* The intercept shift d that zeroes the gradient of the importance-weighted
 * log loss in the intercept alone, the weights held (Newton's method on a
 * convex function of one variable, halving steps that do not shrink the
 * gradient): LIBLINEAR penalised the intercept, viral's objective does
 * not. margin: [n] the rows' margins. */
static double polish_intercept(const linear_rows *r, const double *margin, const double weight[2]) {
  size_t n = linear_rows_count(r);
  double d = 0;
  for (int it = 0; it < 50; it++) {
    double g = 0, h = 0;
    for (size_t i = 0; i < n; i++) {
      double y = linear_rows_label(r, i), c = weight[y > 0.5], p = tron_sigmoid(margin[i] + d);
      g += c * (p - y);
      h += c * p * (1 - p);
    }
    if (!(h > 0) || fabs(g) <= 1e-12 * (h + 1)) break;
    d -= g / h;
  }
  return isfinite(d) ? d : 0;
}

/* The optimizer state of viral/logistic.h's seeding rule: each
 * coordinate's squared gradients summed over the rows at the fitted
 * weights, as if the rows had been learned online at those weights. w:
 * [features + 1] the fit, b the intercept on the margin of x = 0 (bias
 * item and polish included), margin: [n]. */
static int seed_state(viral_logistic *m, const linear_rows *r, const double *w, double b, const double *margin,
                      void (*scored)(void *, double, double), void *ctx, viral_error *err) {
  uint32_t features = linear_rows_features(r);
  size_t n = linear_rows_count(r);
  /* n_j: [features] summed g^2 x^2 of the optimizer's input; present_j:
   * the g^2 of the rows where dense feature j is present */
  double *nj = calloc((size_t)features + 1, sizeof *nj), *present = calloc((size_t)features + 1, sizeof *present);
  viral_sparse x;
  viral_sparse_init(&x);
  if (!nj || !present) {
    free(nj);
    free(present);
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  }
  const double weight[2] = {m->p.weight0, m->p.weight1};
  double total = 0; /* summed g^2: the intercept's */
  for (size_t i = 0; i < n; i++) {
    double y = linear_rows_label(r, i), p = tron_sigmoid(margin[i]);
    double g = weight[y > 0.5] * (p - y), g2 = g * g;
    if (scored) scored(ctx, p, y);
    total += g2;
    if (linear_rows_get(r, i, &x) != VIRAL_OK) {
      free(nj);
      free(present);
      viral_sparse_release(&x);
      return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
    }
    for (size_t k = 0; k < x.count; k++) {
      uint32_t j = x.items[k].index, index = linear_rows_index(r, j);
      double v = x.items[k].value + viral_logistic_zero_input_(m, index); /* z_i(x) on a dense one */
      nj[j] += g2 * v * v;
      present[j] += g2;
    }
  }
  viral_sparse_release(&x);
  /* a dense coordinate is learned from in every row: where it is absent,
   * at z_i(0) */
  for (uint32_t j = 0; j < features; j++) {
    uint32_t index = linear_rows_index(r, j);
    double z0 = viral_logistic_zero_input_(m, index);
    viral_logistic_seed_(m, index, w[j], nj[j] + z0 * z0 * (total - present[j]));
  }
  /* (a dense column present in no row has sd 0, so z_i(0) = 0: no state) */
  /* the intercept of the optimizer: b less the dense coordinates' shares at 0 */
  double bias = b;
  for (uint32_t i = 0; i < m->dense; i++) bias -= m->w[i] * viral_logistic_zero_input_(m, i);
  viral_logistic_seed_bias_(m, bias, total);
  free(nj);
  free(present);
  return VIRAL_OK;
}

int logistic_batch_prepare(viral_logistic *m, linear_rows *rows, viral_error *err) {
  size_t n = linear_rows_count(rows);
  viral_sparse x;
  viral_sparse_init(&x);
  int rc = VIRAL_OK;
  for (size_t i = 0; i < n && rc == VIRAL_OK; i++)
    if ((rc = linear_rows_get(rows, i, &x)) == VIRAL_OK) viral_logistic_observe_(m, &x);
  viral_sparse_release(&x);
  if (rc != VIRAL_OK) return viral_error_set(err, rc, NULL, 0, "out of memory");
  viral_logistic_refresh_(m);
  linear_rows_transform(rows, transform_item, m);
  return linear_rows_finish(rows, BIAS_ITEM, err);
}

int logistic_batch_fit(viral_logistic *m, linear_rows *rows, void (*scored)(void *ctx, double p, double y),
                       void *ctx, viral_error *err) {
  size_t n = linear_rows_count(rows);
  int rc = logistic_batch_prepare(m, rows, err);
  if (rc != VIRAL_OK) return rc;

  viral_logistic_fit_info info = {VIRAL_LOGISTIC_FIT_BATCH, m->p.C, 0, NAN, n, 0};
  if (m->p.C == 0.0 && (rc = choose_C(rows, &m->p, &info, err)) != VIRAL_OK) return rc;
  size_t width = (size_t)linear_rows_features(rows) + 1;
  double *w = malloc(width * sizeof *w), *margin = malloc((n ? n : 1) * sizeof *margin);
  if (!w || !margin) rc = viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  linear_fit fit = {LINEAR_LOGISTIC, info.C, m->p.weight0, m->p.weight1, FINAL_EPS, m->p.seed};
  if (rc == VIRAL_OK) rc = linear_train(rows, NULL, 0, &fit, NULL, w, err);
  if (rc == VIRAL_OK) {
    const double weight[2] = {m->p.weight0, m->p.weight1};
    for (size_t i = 0; i < n; i++) margin[i] = linear_rows_decision(rows, i, w);
    double d = polish_intercept(rows, margin, weight);
    for (size_t i = 0; i < n; i++) margin[i] += d;
    double b = w[width - 1] * BIAS_ITEM + d;
    w[width - 1] = 0; /* the bias item's weight is in b */
    rc = seed_state(m, rows, w, b, margin, scored, ctx, err);
  }
  free(margin);
  free(w);
  if (rc != VIRAL_OK) return rc;
  viral_logistic_refresh_(m);
  m->fit = info;
  m->p.passes = 1; /* what comes next: one online pass per row */
  return VIRAL_OK;
}

int logistic_batch_train(viral_logistic *m, const viral_dataset *ds, viral_error *err) {
  size_t pos = 0;
  for (size_t r = 0; r < ds->rows; r++) pos += ds->labels[r] > 0.5;
  if (viral_logistic_rows(m) > 0)
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "the batch optimum needs a learner that has learned nothing");
  if (pos == 0 || pos == ds->rows)
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "the batch optimum needs rows of both classes");
  linear_rows *rows = linear_rows_create();
  int rc = rows ? VIRAL_OK : VIRAL_ERR_NOMEM;
  for (size_t r = 0; r < ds->rows && rc == VIRAL_OK; r++) {
    viral_sparse x = viral_dataset_row(ds, r);
    rc = linear_rows_add(rows, &x, ds->labels[r]);
  }
  if (rc != VIRAL_OK) rc = viral_error_set(err, rc, NULL, 0, "out of memory for %zu rows", ds->rows);
  if (rc == VIRAL_OK) rc = logistic_batch_fit(m, rows, NULL, NULL, err);
  linear_rows_free(rows);
  return rc;
}
