/* logistic_batch.c - the logistic learner at the batch optimum
 * (learn/logistic_batch.h; viral/logistic.h "Batch optimum" states the
 * objective and the seeding rule). */
#include "learn/logistic_batch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/random.h"
#include "io/welford.h"
#include "learn/tron.h"
#include "viral/dist.h"

/* The intercept is the weight on a bias item of value 1, left out of the
 * penalty (tron_fit's free_last): viral's objective does not penalise it. */
#define BIAS_ITEM 1.0

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

/* The Newton method's stopping tolerance (learn/tron.h: it stops when the
 * gradient norm falls to eps times the norm at w = 0). 1e-4 while
 * searching C (C and the held-out losses as with 1e-6 on the four real
 * tables, at a third of the time); 1e-8 for the model kept: the weights
 * within 1e-6 of the exact optimum (test_logistic
 * batch_optimum_is_the_exact_optimum), for little more time (quadratic
 * convergence: one or two more steps). */
#define CV_EPS 0.0001
#define FINAL_EPS 0.00000001

static double transform_item(void *ctx, uint32_t index, double value) {
  return viral_logistic_input_(ctx, index, value);
}

/* ---- the job: where the rows are ---- */

/* Sums over the rows: this process's, or with job->spread every process's
 * (the same bits on each: viral_dist_sum_double). */
static int job_sum(const logistic_batch_job *job, double *v, size_t n, viral_error *err) {
  return job && job->spread ? viral_dist_sum_double(v, n, err) : VIRAL_OK;
}

static int nomem(viral_error *err) { return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory"); }

/* The statistics each process observed on its rows (dense means and m2,
 * hashed scales) made those of all the rows: the parts combined in rank
 * order (io/welford.h; the same bits on every process; a single process's
 * running Welford means differ in the last bits). */
static int merge_observed(viral_logistic *m, viral_error *err) {
  size_t dense = m->dense, len = (1 + 2 * dense) * sizeof(double);
  double *mine = malloc(len);
  char *all = NULL;
  size_t total = 0;
  int rc = mine ? VIRAL_OK : nomem(err);
  if (rc == VIRAL_OK) {
    mine[0] = (double)m->rows;
    memcpy(mine + 1, m->mean, dense * sizeof *mine);
    memcpy(mine + 1 + dense, m->m2, dense * sizeof *mine);
  }
  if ((rc = viral_dist_agree(rc, 0, err)) == VIRAL_OK) rc = viral_dist_allgather(mine, len, &all, &total, err);
  free(mine);
  if (rc != VIRAL_OK) return rc;
  double n = 0;
  for (size_t i = 0; i < dense; i++) {
    double rows = 0, mean = 0, m2 = 0;
    for (size_t at = 0; at + len <= total; at += len) {
      double part[3];
      memcpy(&part[0], all + at, sizeof part[0]);
      memcpy(&part[1], all + at + (1 + i) * sizeof(double), sizeof part[1]);
      memcpy(&part[2], all + at + (1 + dense + i) * sizeof(double), sizeof part[2]);
      welford_merge(&rows, &mean, &m2, part[0], part[1], part[2]);
    }
    m->mean[i] = mean;
    m->m2[i] = m2;
  }
  for (size_t at = 0; at + len <= total; at += len) {
    double part;
    memcpy(&part, all + at, sizeof part);
    n += part;
  }
  free(all);
  m->rows = (uint64_t)n;
  return m->s ? viral_dist_max_double(m->s, m->dim, err) : VIRAL_OK;
}

/* Where each row of the job stands among all of them (in record order, as
 * one process reading everything holds them): the job's labels, and which
 * are this process's rows. */
typedef struct job_rows {
  size_t total;      /* rows of the job */
  unsigned char *label; /* [total] 0 or 1; NULL: this process holds every row */
  size_t *local;     /* [total] the row's number here, SIZE_MAX when another process has it */
} job_rows;

static void job_rows_free(job_rows *j) {
  free(j->label);
  free(j->local);
}

/* Every process's record numbers and labels, gathered and merged in record
 * order (each process's are ascending: it reads its share in input order). */
static int place_rows(const linear_rows *rows, const logistic_batch_job *job, job_rows *j, viral_error *err) {
  size_t n = linear_rows_count(rows);
  memset(j, 0, sizeof *j);
  j->total = n;
  if (!job || !job->spread) return VIRAL_OK;
  /* each row as record * 2 + label, after the process's row count */
  uint64_t *mine = malloc((n + 1) * sizeof *mine);
  char *all = NULL;
  size_t bytes = 0;
  int rc = mine ? VIRAL_OK : nomem(err);
  for (size_t i = 0; i < n && rc == VIRAL_OK; i++) mine[1 + i] = job->record[i] * 2 + (linear_rows_label(rows, i) > 0.5);
  if (mine) mine[0] = n;
  if ((rc = viral_dist_agree(rc, 0, err)) == VIRAL_OK) rc = viral_dist_allgather(mine, (n + 1) * sizeof *mine, &all, &bytes, err);
  free(mine);
  if (rc != VIRAL_OK) return rc;
  int processes = viral_dist_size(), me = viral_dist_rank();
  size_t *head = calloc((size_t)processes * 3, sizeof *head); /* per process: where its rows start, count, next */
  j->total = bytes / sizeof(uint64_t) - (size_t)processes;
  j->label = malloc(j->total ? j->total : 1);
  j->local = malloc((j->total ? j->total : 1) * sizeof *j->local);
  if (!head || !j->label || !j->local) rc = nomem(err);
  const uint64_t *v = (const uint64_t *)(const void *)all;
  for (size_t at = 0, r = 0; rc == VIRAL_OK && r < (size_t)processes; r++) {
    head[3 * r] = at + 1;
    head[3 * r + 1] = (size_t)v[at];
    at += 1 + (size_t)v[at];
  }
  for (size_t pos = 0; rc == VIRAL_OK && pos < j->total; pos++) { /* merge the ascending lists */
    size_t best = SIZE_MAX;
    for (size_t r = 0; r < (size_t)processes; r++)
      if (head[3 * r + 2] < head[3 * r + 1] &&
          (best == SIZE_MAX || v[head[3 * r] + head[3 * r + 2]] < v[head[3 * best] + head[3 * best + 2]]))
        best = r;
    uint64_t item = v[head[3 * best] + head[3 * best + 2]];
    j->label[pos] = (unsigned char)(item & 1);
    j->local[pos] = best == (size_t)me ? head[3 * best + 2] : SIZE_MAX;
    head[3 * best + 2]++;
  }
  free(head);
  free(all);
  return viral_dist_agree(rc, 0, err);
}

static double job_label(const job_rows *j, const linear_rows *rows, size_t pos) {
  return j->label ? j->label[pos] : linear_rows_label(rows, pos);
}

static size_t job_local(const job_rows *j, size_t pos) { return j->local ? j->local[pos] : pos; }

/* ---- C by cross-validation ---- */

typedef struct search {
  const linear_rows *rows;
  const logistic_batch_job *job;
  job_rows where;
  tron_fit fit;
  int folds;
  size_t sample;        /* rows drawn */
  size_t *order;        /* [rows of the job] the rows drawn first, [0, sample) */
  int *fold;            /* [sample] the fold of order[k] */
  size_t *train;        /* [sample] one fold's training rows here */
  double *w[CV_FOLDS];  /* [features + 1] each fold's last fit: the next one's start */
} search;

/* The mean held-out log loss at C, each row weighed by its class
 * importance. */
static int held_out_loss(search *s, double C, double *loss, viral_error *err) {
  size_t width = (size_t)linear_rows_features(s->rows) + 1;
  double sums[2] = {0, 0}; /* loss, weight */
  double *start = malloc(width * sizeof *start);
  int rc = start ? VIRAL_OK : nomem(err);
  s->fit.C = C;
  for (int f = 0; f < s->folds && rc == VIRAL_OK; f++) {
    size_t n = 0;
    for (size_t k = 0; k < s->sample; k++) {
      size_t here = job_local(&s->where, s->order[k]);
      if (s->fold[k] != f && here != SIZE_MAX) s->train[n++] = here;
    }
    memcpy(start, s->w[f], width * sizeof *start);
    if ((rc = tron_train(s->rows, s->train, n, &s->fit, start, s->w[f], NULL, err)) != VIRAL_OK) break;
    for (size_t k = 0; k < s->sample; k++) {
      size_t here = job_local(&s->where, s->order[k]);
      if (s->fold[k] != f || here == SIZE_MAX) continue;
      double y = linear_rows_label(s->rows, here), c = y > 0.5 ? s->fit.weight1 : s->fit.weight0;
      sums[0] += c * tron_log_loss(linear_rows_decision(s->rows, here, s->w[f]), y);
      sums[1] += c;
    }
  }
  free(start);
  if (rc == VIRAL_OK) rc = job_sum(s->job, sums, 2, err);
  *loss = sums[1] > 0 ? sums[0] / sums[1] : NAN;
  return rc;
}

/* The folds: a seeded draw of at most CV_MAX_ROWS of the job's rows, each
 * class dealt round the folds in turn; s->folds 0 when a class has fewer
 * than 2. The same on every process. */
static int deal_folds(search *s, uint32_t seed, viral_error *err) {
  size_t n = s->where.total;
  s->sample = n < CV_MAX_ROWS ? n : CV_MAX_ROWS;
  if (!(s->order = malloc((n ? n : 1) * sizeof *s->order)) || !(s->fold = malloc((s->sample ? s->sample : 1) * sizeof *s->fold)) ||
      !(s->train = malloc((s->sample ? s->sample : 1) * sizeof *s->train)))
    return nomem(err);
  for (size_t i = 0; i < n; i++) s->order[i] = i;
  uint64_t state = 0x6c696e6561720000ull ^ seed; /* "linear" */
  for (size_t i = 0; i < s->sample; i++) { /* the first places of a Fisher-Yates shuffle */
    size_t j = i + (size_t)(splitmix64_next(&state) % (n - i));
    size_t t = s->order[i];
    s->order[i] = s->order[j];
    s->order[j] = t;
  }
  size_t count[2] = {0, 0};
  for (size_t k = 0; k < s->sample; k++) count[job_label(&s->where, s->rows, s->order[k]) > 0.5]++;
  size_t fewest = count[0] < count[1] ? count[0] : count[1];
  s->folds = fewest < CV_FOLDS ? (fewest < 2 ? 0 : (int)fewest) : CV_FOLDS;
  size_t dealt[2] = {0, 0};
  for (size_t k = 0; k < s->sample && s->folds; k++) {
    int c = job_label(&s->where, s->rows, s->order[k]) > 0.5;
    s->fold[k] = (int)(dealt[c]++ % (size_t)s->folds);
  }
  size_t width = (size_t)linear_rows_features(s->rows) + 1;
  for (int f = 0; f < s->folds; f++)
    if (!(s->w[f] = calloc(width, sizeof *s->w[f]))) return nomem(err);
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

/* The solver's settings for m's objective at C (tolerance eps), its sums
 * over the job's processes when the rows are spread. */
static tron_fit objective(const viral_logistic *m, const logistic_batch_job *job, double C, double eps) {
  tron_fit f = {C, m->p.weight0, m->p.weight1, eps, 1, 0, NULL, NULL};
  if (job && job->spread) f.sum = tron_sum_over_processes;
  return f;
}

/* C = 2^k with the least held-out log loss (the first on ties). */
static int choose_C(const viral_logistic *m, const linear_rows *rows, const logistic_batch_job *job,
                    viral_logistic_fit_info *info, viral_error *err) {
  search s;
  memset(&s, 0, sizeof s);
  s.rows = rows;
  s.job = job;
  s.fit = objective(m, job, 1.0, CV_EPS);
  int rc = place_rows(rows, job, &s.where, err);
  /* what follows is the same on every process: no failure to agree on but memory */
  if (rc == VIRAL_OK) rc = deal_folds(&s, m->p.seed, err);
  if (job && job->spread) rc = viral_dist_agree(rc, 0, err);
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
  job_rows_free(&s.where);
  return rc;
}

/* ---- the fit ---- */

/* The optimizer state of viral/logistic.h's seeding rule: each
 * coordinate's squared gradients summed over the rows at the fitted
 * weights, as if the rows had been learned online at those weights. w:
 * [features + 1] the fit, b the intercept on the margin of x = 0, margin:
 * [n] the rows' margins. */
static int seed_state(viral_logistic *m, const linear_rows *r, const logistic_batch_job *job, const double *w, double b,
                      const double *margin, void (*scored)(void *, double, double), void *ctx, viral_error *err) {
  uint32_t features = linear_rows_features(r);
  size_t n = linear_rows_count(r);
  /* sums: [2 features + 1] n_j, summed g^2 x^2 of the optimizer's input;
   * present_j, the g^2 of the rows where dense feature j is present; the
   * summed g^2 (the intercept's) */
  double *sums = calloc(2 * (size_t)features + 1, sizeof *sums);
  int rc = sums ? VIRAL_OK : nomem(err);
  double *nj = sums, *present = sums ? sums + features : NULL, *total = sums ? sums + 2 * (size_t)features : NULL;
  viral_sparse x;
  viral_sparse_init(&x);
  const double weight[2] = {m->p.weight0, m->p.weight1};
  for (size_t i = 0; i < n && rc == VIRAL_OK; i++) {
    double y = linear_rows_label(r, i), p = tron_sigmoid(margin[i]);
    double g = weight[y > 0.5] * (p - y), g2 = g * g;
    if (scored) scored(ctx, p, y);
    *total += g2;
    if (linear_rows_get(r, i, &x) != VIRAL_OK) {
      rc = nomem(err);
      break;
    }
    for (size_t k = 0; k < x.count; k++) {
      uint32_t j = x.items[k].index, index = linear_rows_index(r, j);
      double v = x.items[k].value + viral_logistic_zero_input_(m, index); /* z_i(x) on a dense one */
      nj[j] += g2 * v * v;
      present[j] += g2;
    }
  }
  viral_sparse_release(&x);
  if (job && job->spread) rc = viral_dist_agree(rc, 0, err);
  if (rc == VIRAL_OK) rc = job_sum(job, sums, 2 * (size_t)features + 1, err);
  if (rc != VIRAL_OK) {
    free(sums);
    return rc;
  }
  /* a dense coordinate is learned from in every row: where it is absent,
   * at z_i(0) */
  for (uint32_t j = 0; j < features; j++) {
    uint32_t index = linear_rows_index(r, j);
    double z0 = viral_logistic_zero_input_(m, index);
    viral_logistic_seed_(m, index, w[j], nj[j] + z0 * z0 * (*total - present[j]));
  }
  /* (a dense column present in no row has sd 0, so z_i(0) = 0: no state) */
  /* the intercept of the optimizer: b less the dense coordinates' shares at 0 */
  double bias = b;
  for (uint32_t i = 0; i < m->dense; i++) bias -= m->w[i] * viral_logistic_zero_input_(m, i);
  viral_logistic_seed_bias_(m, bias, *total);
  free(sums);
  return VIRAL_OK;
}

int logistic_batch_prepare(viral_logistic *m, linear_rows *rows, const logistic_batch_job *job, viral_error *err) {
  size_t n = linear_rows_count(rows);
  viral_sparse x;
  viral_sparse_init(&x);
  int rc = VIRAL_OK;
  for (size_t i = 0; i < n && rc == VIRAL_OK; i++)
    if ((rc = linear_rows_get(rows, i, &x)) == VIRAL_OK) viral_logistic_observe_(m, &x);
  viral_sparse_release(&x);
  if (rc != VIRAL_OK) rc = nomem(err);
  if (job && job->spread && rc == VIRAL_OK) rc = merge_observed(m, err);
  if (rc != VIRAL_OK) return rc;
  viral_logistic_refresh_(m);
  linear_rows_transform(rows, transform_item, m);
  return linear_rows_finish_spread(rows, BIAS_ITEM, job && job->spread, err);
}

int logistic_batch_fit(viral_logistic *m, linear_rows *rows, const logistic_batch_job *job,
                       void (*scored)(void *ctx, double p, double y), void *ctx, viral_error *err) {
  int rc = logistic_batch_prepare(m, rows, job, err);
  if (rc != VIRAL_OK) return rc;

  viral_logistic_fit_info info = {VIRAL_LOGISTIC_FIT_BATCH, m->p.C, 0, NAN, m->rows, 0};
  if (m->p.C == 0.0 && (rc = choose_C(m, rows, job, &info, err)) != VIRAL_OK) return rc;
  size_t n = linear_rows_count(rows), width = (size_t)linear_rows_features(rows) + 1;
  double *w = malloc(width * sizeof *w), *margin = malloc((n ? n : 1) * sizeof *margin);
  if (!w || !margin) rc = nomem(err);
  if (job && job->spread) rc = viral_dist_agree(rc, 0, err);
  tron_fit fit = objective(m, job, info.C, FINAL_EPS);
  if (rc == VIRAL_OK) rc = tron_train(rows, NULL, 0, &fit, NULL, w, NULL, err);
  if (rc == VIRAL_OK) {
    for (size_t i = 0; i < n; i++) margin[i] = linear_rows_decision(rows, i, w);
    double b = w[width - 1] * BIAS_ITEM;
    w[width - 1] = 0; /* the bias item's weight is in b */
    rc = seed_state(m, rows, job, w, b, margin, scored, ctx, err);
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
  if (rc == VIRAL_OK) rc = logistic_batch_fit(m, rows, NULL, NULL, NULL, err);
  linear_rows_free(rows);
  return rc;
}
