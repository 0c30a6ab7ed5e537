/* logistic_batch.c - the logistic learner at the batch optimum
 * (learn/logistic_batch.h; viral/logistic.h "Batch optimum" states the
 * objective and the seeding rule). */
#include "learn/logistic_batch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/array.h"
#include "io/random.h"
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
 * gradient norm falls to eps times the norm at w = 0). 1e-6 while
 * searching C: at 1e-4 a held-out loss moved by 1e-4 with the last bits of
 * the rows (on sample.csv C came out 1 over 2 processes and 0.5 alone,
 * before the statistics were made exact) and the temporal AUC on the
 * Bilibili table fell to 0.825 (0.833 at 1e-6, as LIBLINEAR's search gave);
 * it costs twice the search's time (100k generated rows: 21 s of CPU in
 * all against 10 s). 1e-8 for the model kept: the weights within 1e-6 of
 * the exact optimum (test_logistic batch_optimum_is_the_exact_optimum), for
 * little more time (quadratic convergence: one or two more steps). */
#define CV_EPS 0.000001
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

/* ---- the statistics the inputs are standardized by ---- */

/* A sum kept to twice a double's precision (hi + lo): sums of the same
 * numbers in any order, or in parts added after, round to the same double
 * but in the rarest ties; so each process's rows give the standardization
 * one process gives (a running Welford mean differs in its last bits with
 * the order, and the cross-validation that picks C is sensitive enough to
 * flip on that, measured on sample.csv). */
typedef struct exact_sum {
  double hi, lo;
} exact_sum;

static void exact_add(exact_sum *a, double x) {
  double s = a->hi + x, b = s - a->hi;
  double e = (a->hi - (s - b)) + (x - b); /* the rounding error of s (Knuth's two-sum) */
  double lo = a->lo + e;
  a->hi = s + lo;
  a->lo = lo - (a->hi - s);
}

/* Per dense coordinate: the sums of its values and of their squares (each
 * square exact: its rounding error by fma), over the rows. */
typedef struct dense_sums {
  exact_sum *value, *square; /* [dense] */
} dense_sums;

static void count_row(const viral_logistic *m, const viral_sparse *x, double *xd, dense_sums *d) {
  memset(xd, 0, m->dense * sizeof *xd);
  for (size_t k = 0; k < x->count; k++) {
    double v = x->items[k].value;
    if (v == 0.0) continue;
    uint32_t index = x->items[k].index;
    if (index < m->dense) xd[index] += v; /* a coordinate twice in a row: its sum, as learning sees it */
    else if (m->s && m->s[index & m->mask] < fabs(v)) m->s[index & m->mask] = fabs(v);
  }
  for (uint32_t i = 0; i < m->dense; i++) {
    if (xd[i] == 0.0) continue;
    double sq = xd[i] * xd[i];
    exact_add(&d->value[i], xd[i]);
    exact_add(&d->square[i], sq);
    exact_add(&d->square[i], fma(xd[i], xd[i], -sq));
  }
}

/* mean and m2 (sum of squared deviations) from the sums over n rows. */
static void finish_statistics(const exact_sum *value, const exact_sum *square, double n, double *mean, double *m2) {
  double s = value->hi + value->lo;
  *mean = s / n;
  /* m2 = squares - s^2 / n, the cancellation inside the extra precision */
  exact_sum q = {0, 0};
  double s2 = value->hi * value->hi;
  exact_add(&q, square->hi);
  exact_add(&q, square->lo);
  exact_add(&q, -s2 / n);
  exact_add(&q, -(fma(value->hi, value->hi, -s2) + 2 * value->hi * value->lo) / n);
  exact_add(&q, -fma(-s2 / n, n, s2) / n);
  double v = q.hi + q.lo;
  *m2 = v > 0 ? v : 0;
}

/* The dense means and m2, the hashed scales and the row count of m from
 * the rows (every process's when spread: the sums gathered and added in
 * rank order, the scales' maxima), as if m had observed them. */
static int observe_rows(viral_logistic *m, const linear_rows *rows, const logistic_batch_job *job, viral_error *err) {
  size_t dense = m->dense, n = linear_rows_count(rows), width = 4 * dense + 1;
  double *part = calloc(width, sizeof *part), *xd = malloc((dense ? dense : 1) * sizeof *xd);
  char *all = NULL;
  size_t total = 0;
  viral_sparse x;
  viral_sparse_init(&x);
  int rc = part && xd ? VIRAL_OK : nomem(err);
  dense_sums d = {(exact_sum *)(void *)part, (exact_sum *)(void *)(part + 2 * dense)};
  for (size_t r = 0; r < n && rc == VIRAL_OK; r++)
    if (linear_rows_get(rows, r, &x) != VIRAL_OK) rc = nomem(err);
    else count_row(m, &x, xd, &d);
  viral_sparse_release(&x);
  free(xd);
  if (part) part[4 * dense] = (double)n;
  int spread = job && job->spread;
  if (spread && (rc = viral_dist_agree(rc, 0, err)) == VIRAL_OK) rc = viral_dist_allgather(part, width * sizeof *part, &all, &total, err);
  if (spread && rc == VIRAL_OK && m->s) rc = viral_dist_max_double(m->s, m->dim, err);
  if (rc == VIRAL_OK && spread) { /* the parts added in rank order */
    memset(part, 0, width * sizeof *part);
    for (size_t at = 0; at + width * sizeof *part <= total; at += width * sizeof *part) {
      double *other = (double *)(void *)(all + at);
      for (size_t j = 0; j < 4 * dense; j++) exact_add((exact_sum *)(void *)&part[2 * (j / 2)], other[j]);
      part[4 * dense] += other[4 * dense];
    }
  }
  free(all);
  if (rc == VIRAL_OK) {
    double rows_seen = part[4 * dense];
    for (size_t i = 0; i < dense && rows_seen > 0; i++)
      finish_statistics(&d.value[i], &d.square[i], rows_seen, &m->mean[i], &m->m2[i]);
    m->rows = (uint64_t)rows_seen;
  }
  free(part);
  return rc;
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
  const logistic_batch_job *job;
  job_rows where;
  linear_rows *cv;      /* the rows drawn, in the order drawn (every process holds them all) */
  tron_fit fit;
  int folds;
  size_t sample;        /* rows drawn */
  size_t *order;        /* [rows of the job] the rows drawn first, [0, sample) */
  int *fold;            /* [sample] the fold of order[k] */
  size_t *train;        /* [sample] one fold's training rows (of cv) */
  double *w[CV_FOLDS];  /* [features + 1] each fold's last fit: the next one's start */
} search;

/* Whether this process fits fold f: over MPI the folds are dealt round the
 * processes (each fold's fits chain from one C to the next), alone all. */
static int my_fold(const search *s, int f) {
  return !(s->job && s->job->spread) || f % viral_dist_size() == viral_dist_rank();
}

/* The mean held-out log loss at C, each row weighed by its class
 * importance. Rows with importances of their own (--half-life's recency)
 * are fitted with them but scored without: on TikTok VN (temporal folds,
 * half-life 0.25) C chosen so gave ROC AUC 0.7389, log loss 0.3204, and
 * with the held-out rows weighed too 0.7352, 0.3210 (scikit-learn's
 * LogisticRegressionCV also scores its folds unweighted). Each fold's loss and weight are its process's alone (the
 * others add zeros), then the folds are added in order: the same bits
 * whatever the number of processes. */
static int held_out_loss(search *s, double C, double *loss, viral_error *err) {
  size_t width = (size_t)linear_rows_features(s->cv) + 1;
  double sums[2 * CV_FOLDS] = {0}; /* per fold: loss, weight */
  double *start = malloc(width * sizeof *start);
  int rc = start ? VIRAL_OK : nomem(err);
  s->fit.C = C;
  for (int f = 0; f < s->folds && rc == VIRAL_OK; f++) {
    if (!my_fold(s, f)) continue;
    size_t n = 0;
    for (size_t k = 0; k < s->sample; k++)
      if (s->fold[k] != f) s->train[n++] = k;
    memcpy(start, s->w[f], width * sizeof *start);
    if ((rc = tron_train(s->cv, s->train, n, &s->fit, start, s->w[f], NULL, err)) != VIRAL_OK) break;
    for (size_t k = 0; k < s->sample; k++) {
      if (s->fold[k] != f) continue;
      double y = linear_rows_label(s->cv, k), c = y > 0.5 ? s->fit.weight1 : s->fit.weight0;
      sums[2 * f] += c * tron_log_loss(linear_rows_decision(s->cv, k, s->w[f]), y);
      sums[2 * f + 1] += c;
    }
  }
  free(start);
  if (s->job && s->job->spread && (rc = viral_dist_agree(rc, 0, err)) == VIRAL_OK)
    rc = job_sum(s->job, sums, 2 * (size_t)s->folds, err);
  double total = 0, weight = 0;
  for (int f = 0; f < s->folds; f++) {
    total += sums[2 * f];
    weight += sums[2 * f + 1];
  }
  *loss = weight > 0 ? total / weight : NAN;
  return rc;
}

/* The folds: a seeded draw of at most CV_MAX_ROWS of the job's rows, each
 * class dealt round the folds in turn; s->folds 0 when a class has fewer
 * than 2. The same on every process. */
static int deal_folds(search *s, const linear_rows *rows, uint32_t seed, viral_error *err) {
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
  for (size_t k = 0; k < s->sample; k++) count[job_label(&s->where, rows, s->order[k]) > 0.5]++;
  size_t fewest = count[0] < count[1] ? count[0] : count[1];
  s->folds = fewest < CV_FOLDS ? (fewest < 2 ? 0 : (int)fewest) : CV_FOLDS;
  size_t dealt[2] = {0, 0};
  for (size_t k = 0; k < s->sample && s->folds; k++) {
    int c = job_label(&s->where, rows, s->order[k]) > 0.5;
    s->fold[k] = (int)(dealt[c]++ % (size_t)s->folds);
  }
  size_t width = (size_t)linear_rows_features(rows) + 1;
  for (int f = 0; f < s->folds; f++)
    if (!(s->w[f] = calloc(width, sizeof *s->w[f]))) return nomem(err);
  return VIRAL_OK;
}

/* This process's rows among the drawn ones: for each, its place k in the
 * draw, label, item count, importance (a double's bits), then (feature,
 * value) per item. */
static int pack_drawn(const search *s, const linear_rows *rows, char **out, size_t *len, viral_error *err) {
  size_t cap = 0;
  viral_sparse x;
  viral_sparse_init(&x);
  int rc = VIRAL_OK;
  *out = NULL;
  *len = 0;
  for (size_t k = 0; k < s->sample && rc == VIRAL_OK; k++) {
    size_t here = job_local(&s->where, s->order[k]);
    if (here == SIZE_MAX) continue;
    if (linear_rows_get(rows, here, &x) != VIRAL_OK) {
      rc = nomem(err);
      break;
    }
    double weight = linear_rows_weight(rows, here);
    uint64_t head[4] = {k, linear_rows_label(rows, here) > 0.5, x.count, 0};
    memcpy(&head[3], &weight, sizeof weight);
    size_t need = *len + sizeof head + x.count * (sizeof(uint32_t) + sizeof(double));
    if (array_grow((void **)out, &cap, need, 1, 65536) < 0) {
      rc = nomem(err);
      break;
    }
    memcpy(*out + *len, head, sizeof head);
    *len += sizeof head;
    for (size_t i = 0; i < x.count; i++) {
      memcpy(*out + *len, &x.items[i].index, sizeof(uint32_t));
      memcpy(*out + *len + sizeof(uint32_t), &x.items[i].value, sizeof(double));
      *len += sizeof(uint32_t) + sizeof(double);
    }
  }
  viral_sparse_release(&x);
  return rc;
}

/* s->cv: the drawn rows, every process's, in the order drawn, numbered as
 * rows are (collective over MPI; alone a copy). */
static int gather_drawn(search *s, const linear_rows *rows, viral_error *err) {
  char *mine = NULL, *all = NULL;
  size_t len = 0, total = 0;
  int rc = pack_drawn(s, rows, &mine, &len, err);
  if (s->job && s->job->spread) { /* alone (or one fold of a spread eval): no collective call */
    if ((rc = viral_dist_agree(rc, 0, err)) == VIRAL_OK) rc = viral_dist_allgather(mine, len, &all, &total, err);
    free(mine);
  } else {
    all = mine;
    total = len;
  }
  const char **at = rc == VIRAL_OK ? calloc(s->sample ? s->sample : 1, sizeof *at) : NULL;
  double *weight = rc == VIRAL_OK ? malloc((s->sample ? s->sample : 1) * sizeof *weight) : NULL;
  if (rc == VIRAL_OK && (!at || !weight || !(s->cv = linear_rows_create()))) rc = nomem(err);
  for (size_t p = 0; rc == VIRAL_OK && p < total;) { /* where each drawn row's bytes are */
    uint64_t head[4];
    memcpy(head, all + p, sizeof head);
    at[head[0]] = all + p;
    p += sizeof head + head[2] * (sizeof(uint32_t) + sizeof(double));
  }
  viral_sparse x;
  viral_sparse_init(&x);
  for (size_t k = 0; rc == VIRAL_OK && k < s->sample; k++) {
    uint64_t head[4];
    memcpy(head, at[k], sizeof head);
    memcpy(&weight[k], &head[3], sizeof weight[k]);
    const char *item = at[k] + sizeof head;
    viral_sparse_clear(&x);
    for (uint64_t i = 0; i < head[2] && rc == VIRAL_OK; i++, item += sizeof(uint32_t) + sizeof(double)) {
      uint32_t index;
      double value;
      memcpy(&index, item, sizeof index);
      memcpy(&value, item + sizeof index, sizeof value);
      if (viral_sparse_push(&x, index, value) != VIRAL_OK) rc = nomem(err);
    }
    if (rc == VIRAL_OK && linear_rows_add(s->cv, &x, (double)head[1]) != VIRAL_OK) rc = nomem(err);
  }
  viral_sparse_release(&x);
  free(at);
  free(all);
  if (rc == VIRAL_OK) {
    linear_rows_set_weights(s->cv, weight);
    weight = NULL;
    rc = linear_rows_finish_like(s->cv, rows, err);
  }
  free(weight);
  return rc;
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

/* C = 2^k with the least held-out log loss (the first on ties). The drawn
 * rows are few (CV_MAX_ROWS at most): every process holds them all and
 * fits its folds without summing over the processes. */
static int choose_C(const viral_logistic *m, const linear_rows *rows, const logistic_batch_job *job,
                    viral_logistic_fit_info *info, viral_error *err) {
  search s;
  memset(&s, 0, sizeof s);
  s.job = job;
  s.fit = objective(m, NULL, 1.0, CV_EPS);
  int rc = place_rows(rows, job, &s.where, err);
  /* the draw is the same on every process: no failure to agree on but memory */
  if (rc == VIRAL_OK) rc = deal_folds(&s, rows, m->p.seed, err);
  if (job && job->spread) rc = viral_dist_agree(rc, 0, err);
  if (rc == VIRAL_OK) rc = gather_drawn(&s, rows, err);
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
  linear_rows_free(s.cv);
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
    double g = weight[y > 0.5] * linear_rows_weight(r, i) * (p - y), g2 = g * g;
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
  int rc = observe_rows(m, rows, job, err);
  if (rc != VIRAL_OK) return rc;
  viral_logistic_refresh_(m);
  linear_rows_transform(rows, transform_item, m);
  return linear_rows_finish_spread(rows, BIAS_ITEM, job && job->spread, err);
}

int logistic_batch_fit(viral_logistic *m, linear_rows *rows, logistic_batch_job *job,
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
  if (rc == VIRAL_OK) rc = tron_train(rows, NULL, 0, &fit, NULL, w, job ? &job->solver : NULL, err);
  if (job) job->width = width;
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
