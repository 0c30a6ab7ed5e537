/* test_tron.c - viral's trust-region Newton (learn/tron.h, the batch
 * optimum's solver) against LIBLINEAR's (learn/linear.h, its solver before) on the same
 * objective, and its sum hook: rows split between two "processes" (threads
 * summing through the hook as viral_dist_sum_double would) reach the
 * whole's solution, each process the same bits. tests/mpi.sh runs it again
 * under mpirun with 1, 2 and 4 processes: the "job" case then deals the
 * rows over a real job, summed by tron_sum_over_processes. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/random.h"
#include "learn/linear.h"
#include "learn/logistic_batch.h"
#include "learn/tron.h"
#include "testutil.h"
#include "viral/dist.h"
#include "viral/features.h"
#include "viral/logistic.h"
#include "viral/metrics.h"
#include "viral/reader.h"

/* A bias item as large as LIBLINEAR needs for its penalised intercept to
 * matter little (logistic_batch.c's before its own solver). */
#define BIAS_ITEM 1000.0
/* LIBLINEAR's -e for the model viral keeps (logistic_batch.c FINAL_EPS). */
#define LIBLINEAR_EPS 1e-8

/* ---- problems ---- */

static double uniform(uint64_t *state) { return (double)(splitmix64_next(state) >> 11) * 0x1.0p-53; }

/* n rows over `features` coordinates, each present with probability 1/3
 * at a value in [-2, 2), labelled by a draw from a logistic model (so the
 * classes overlap and the optimum is finite), finished with bias
 * (generated: BIAS_ITEM). */
static linear_rows *generated_with(size_t n, uint32_t features, uint64_t seed, double bias) {
  linear_rows *r = linear_rows_create();
  ck_assert_ptr_nonnull(r);
  uint64_t state = seed;
  double *truth = malloc(features * sizeof *truth);
  for (uint32_t j = 0; j < features; j++) truth[j] = 2 * uniform(&state) - 1;
  viral_sparse x;
  viral_sparse_init(&x);
  for (size_t i = 0; i < n; i++) {
    viral_sparse_clear(&x);
    double margin = -0.5;
    for (uint32_t j = 0; j < features; j++)
      if (uniform(&state) < 1.0 / 3) {
        double v = 4 * uniform(&state) - 2;
        ck_assert_int_eq(viral_sparse_push(&x, j, v), VIRAL_OK);
        margin += truth[j] * v;
      }
    double y = uniform(&state) < 1 / (1 + exp(-margin)) ? 1.0 : 0.0;
    ck_assert_int_eq(linear_rows_add(r, &x, y), VIRAL_OK);
  }
  viral_sparse_release(&x);
  free(truth);
  viral_error err;
  ck_assert_int_eq(linear_rows_finish(r, bias, &err), VIRAL_OK);
  return r;
}

static linear_rows *generated(size_t n, uint32_t features, uint64_t seed) {
  return generated_with(n, features, seed, BIAS_ITEM);
}

/* datasets/sample.csv through the default pipeline and the logistic
 * learner's preparation for its batch fit (logistic_batch_prepare): the
 * rows the batch fit fits there. */
static linear_rows *sample_rows(void) {
  char path[4096];
  test_repo_path(path, sizeof path, "datasets/sample.csv");
  viral_error err;
  viral_pipeline *p = test_default_pipeline("none");
  viral_reader *in;
  const viral_record *rec;
  linear_rows *r = linear_rows_create();
  viral_sparse x;
  viral_sparse_init(&x);
  ck_assert_ptr_nonnull(in = viral_reader_open(path, NULL, &err));
  while (viral_reader_next(in, &rec, &err) == 1) {
    double y;
    ck_assert_int_eq(viral_pipeline_transform(p, rec, &x, &y, &err), VIRAL_OK);
    ck_assert_int_eq(linear_rows_add(r, &x, y), VIRAL_OK);
  }
  viral_reader_free(in);
  viral_sparse_release(&x);
  viral_logistic_params params;
  viral_logistic_params_init(&params, VIRAL_LOGISTIC_FTRL);
  params.passes = 0;
  params.C = 1;
  params.dense = viral_pipeline_dense_count(p);
  int bits = VIRAL_LOGISTIC_MIN_BITS;
  while (bits < VIRAL_LOGISTIC_MAX_BITS && ((uint32_t)1 << bits) < viral_pipeline_dim(p)) bits++;
  viral_logistic *m = viral_logistic_create(&params, bits, &err);
  ck_assert_msg(m != NULL, "%s", err.message);
  ck_assert_msg(logistic_batch_prepare(m, r, NULL, &err) == VIRAL_OK, "%s", err.message);
  viral_logistic_free(m);
  viral_pipeline_free(p);
  return r;
}

/* ---- measures ---- */

static size_t width_of(const linear_rows *r) { return (size_t)linear_rows_features(r) + 1; }

/* ||a - b|| / ||b||. */
static double relative_gap(const double *a, const double *b, size_t n) {
  double d = 0, s = 0;
  for (size_t j = 0; j < n; j++) {
    d += (a[j] - b[j]) * (a[j] - b[j]);
    s += b[j] * b[j];
  }
  return sqrt(d / s);
}

static double auc(const linear_rows *r, const double *w) {
  size_t n = linear_rows_count(r);
  double *y = malloc(n * sizeof *y), *p = malloc(n * sizeof *p), out = NAN;
  for (size_t i = 0; i < n; i++) {
    y[i] = linear_rows_label(r, i);
    p[i] = 1 / (1 + exp(-linear_rows_decision(r, i, w)));
  }
  viral_error err;
  ck_assert_int_eq(viral_metrics_roc_auc(y, p, n, &out, &err), VIRAL_OK);
  free(p);
  free(y);
  return out;
}

/* LIBLINEAR's stopping rule for the logistic loss: -e times the smaller
 * class's share of the rows, relative to ||g(0)||. */
static double liblinear_tolerance(const linear_rows *r) {
  size_t n = linear_rows_count(r), pos = 0;
  for (size_t i = 0; i < n; i++) pos += linear_rows_label(r, i) > 0.5;
  size_t fewer = pos < n - pos ? pos : n - pos;
  return LIBLINEAR_EPS * (double)(fewer ? fewer : 1) / (double)n;
}

static int count_sums(void *ctx, double *v, size_t n, viral_error *err) {
  (void)v, (void)n, (void)err;
  ++*(int *)ctx;
  return VIRAL_OK;
}

static tron_fit fit_of(double C, double weight0, double weight1, const linear_rows *r) {
  tron_fit f = {C, weight0, weight1, liblinear_tolerance(r), 0, 0, NULL, NULL};
  return f;
}

/* TRON and LIBLINEAR on r with C and class importances: the same optimum,
 * and TRON's every sum through the hook. */
static void check_against_liblinear(const char *name, const linear_rows *r, double C, double weight0, double weight1) {
  size_t width = width_of(r);
  double *wl = malloc(width * sizeof *wl), *wt = malloc(width * sizeof *wt);
  viral_error err;
  linear_fit lf = {LINEAR_LOGISTIC, C, weight0, weight1, LIBLINEAR_EPS, 1};
  ck_assert_msg(linear_train(r, NULL, 0, &lf, NULL, wl, &err) == VIRAL_OK, "%s", err.message);
  int calls = 0;
  tron_fit tf = fit_of(C, weight0, weight1, r);
  tf.sum = count_sums;
  tf.sum_ctx = &calls;
  tron_info info;
  ck_assert_msg(tron_train(r, NULL, 0, &tf, NULL, wt, &info, &err) == VIRAL_OK, "%s", err.message);
  ck_assert_int_eq(calls, info.sums);
  /* ||g(0)||, then one per point tried (one at least per step) and per CG step */
  ck_assert_int_ge(info.sums, 1 + info.iterations + info.cg_steps);
  double fl;
  ck_assert_int_eq(tron_objective(r, NULL, 0, &tf, wl, &fl, &err), VIRAL_OK);
  double objective_gap = (info.objective - fl) / fabs(fl), weight_gap = relative_gap(wt, wl, width);
  double auc_t = auc(r, wt), auc_l = auc(r, wl);
  fprintf(stderr,
          "%s: %zu rows, %zu weights: objective %.17g (tron) %.17g (liblinear), gap %.3g; weights gap %.3g; "
          "AUC %.9f vs %.9f; %d Newton steps, %d CG steps, %d sums; ||g|| %.3g of ||g(0)|| %.3g\n",
          name, linear_rows_count(r), width, info.objective, fl, objective_gap, weight_gap, auc_t, auc_l,
          info.iterations, info.cg_steps, info.sums, info.gnorm, info.gnorm0);
  ck_assert_msg(fabs(objective_gap) <= 1e-8, "%s: objective gap %g", name, objective_gap);
  ck_assert_msg(weight_gap <= 1e-4, "%s: weights gap %g", name, weight_gap);
  ck_assert_msg(fabs(auc_t - auc_l) <= 1e-6, "%s: AUC %.9f vs %.9f", name, auc_t, auc_l);
  ck_assert_int_gt(info.iterations, 0);
  free(wt);
  free(wl);
}

START_TEST(generated_matches_liblinear) {
  linear_rows *r = generated(600, 24, 11);
  check_against_liblinear("generated", r, 0.5, 1.0, 2.5);
  linear_rows_free(r);
}
END_TEST

START_TEST(sample_matches_liblinear) {
  linear_rows *r = sample_rows();
  check_against_liblinear("sample.csv", r, 1.0, 1.0, 1.0);
  linear_rows_free(r);
}
END_TEST

/* free_last: viral's own objective, the intercept (the bias item's weight)
 * out of the penalty: at the fit, C sum_r c_r (p_r - y_r) x_r + w is 0 in
 * every penalised weight and C sum_r c_r (p_r - y_r) x_r in the last, to
 * 1e-8 of the gradient at w = 0 (LIBLINEAR's rule stops at 4e-9 here);
 * the objective is below LIBLINEAR's fit's (which penalised the intercept)
 * and the intercept moved. Bias item 1, so that the penalty matters. */
START_TEST(free_intercept_zeroes_its_gradient) {
  linear_rows *r = generated_with(600, 24, 31, 1.0); /* an intercept penalised in full: far from free */
  size_t n = linear_rows_count(r), width = width_of(r);
  const double C = 0.5, weight[2] = {2.0, 1.0};
  double *w = malloc(width * sizeof *w), *wl = malloc(width * sizeof *wl), *g = calloc(width, sizeof *g);
  viral_error err;
  tron_fit f = fit_of(C, weight[0], weight[1], r);
  f.free_last = 1;
  tron_info info;
  ck_assert_int_eq(tron_train(r, NULL, 0, &f, NULL, w, &info, &err), VIRAL_OK);
  for (size_t i = 0; i < n; i++) {
    double y = linear_rows_label(r, i);
    linear_rows_add_row(r, i, C * weight[y > 0.5] * (tron_sigmoid(linear_rows_decision(r, i, w)) - y), g);
  }
  double worst = 0;
  for (size_t j = 0; j < width; j++) worst = fmax(worst, fabs(g[j] + (j + 1 < width ? w[j] : 0)));
  /* measured 2.4e-7 of 150; penalised, the intercept's would be -w_last, 1.27 */
  ck_assert_msg(worst <= 1e-8 * info.gnorm0, "gradient %g at the fit, %g at 0", worst, info.gnorm0);
  linear_fit lf = {LINEAR_LOGISTIC, C, weight[0], weight[1], LIBLINEAR_EPS, 1};
  ck_assert_int_eq(linear_train(r, NULL, 0, &lf, NULL, wl, &err), VIRAL_OK);
  double fl;
  ck_assert_int_eq(tron_objective(r, NULL, 0, &f, wl, &fl, &err), VIRAL_OK);
  ck_assert(info.objective < fl);
  ck_assert(w[width - 1] != wl[width - 1]);
  free(g);
  free(wl);
  free(w);
  linear_rows_free(r);
}
END_TEST

/* ---- the sum hook ---- */

/* Two processes in one: threads that meet in the hook, each lays down its
 * part and both add the two in the same order (the same bits on both, as
 * viral_dist_sum_double gives). */
typedef struct exchange {
  pthread_barrier_t met;
  double *part[2];
} exchange;

typedef struct process {
  exchange *x;
  int rank;
  const linear_rows *r;
  size_t *rows, n;
  tron_fit f;
  double *w;
  tron_info info;
  int rc;
  viral_error err;
} process;

static int sum_pair(void *ctx, double *v, size_t n, viral_error *err) {
  (void)err;
  process *p = ctx;
  memcpy(p->x->part[p->rank], v, n * sizeof *v);
  pthread_barrier_wait(&p->x->met);
  for (size_t j = 0; j < n; j++) v[j] = p->x->part[0][j] + p->x->part[1][j];
  pthread_barrier_wait(&p->x->met); /* both have read before either writes again */
  return VIRAL_OK;
}

static void *run_process(void *arg) {
  process *p = arg;
  p->rc = tron_train(p->r, p->rows, p->n, &p->f, NULL, p->w, &p->info, &p->err);
  return NULL;
}

/* The rows dealt unevenly to two processes, summed through the hook: the whole's solution to rounding,
 * and the same bits on both. */
START_TEST(split_rows_sum_to_the_whole) {
  linear_rows *r = generated(600, 24, 23);
  size_t n = linear_rows_count(r), width = width_of(r);
  tron_fit f = fit_of(0.5, 1.0, 2.5, r);
  double *whole = malloc(width * sizeof *whole);
  tron_info info;
  viral_error err;
  ck_assert_int_eq(tron_train(r, NULL, 0, &f, NULL, whole, &info, &err), VIRAL_OK);

  exchange x;
  pthread_barrier_init(&x.met, NULL, 2);
  process p[2];
  pthread_t thread[2];
  for (int k = 0; k < 2; k++) {
    x.part[k] = malloc((1 + 2 * width) * sizeof *x.part[k]);
    p[k] = (process){&x, k, r, malloc(n * sizeof(size_t)), 0, f, malloc(width * sizeof(double)), {0}, -1, {0}};
    p[k].f.sum = sum_pair;
    p[k].f.sum_ctx = &p[k];
  }
  for (size_t i = 0; i < n; i++) { /* a third and two thirds */
    process *q = &p[i % 3 == 0 ? 0 : 1];
    q->rows[q->n++] = i;
  }
  ck_assert_uint_eq(p[0].n + p[1].n, n);
  for (int k = 0; k < 2; k++) ck_assert_int_eq(pthread_create(&thread[k], NULL, run_process, &p[k]), 0);
  for (int k = 0; k < 2; k++) ck_assert_int_eq(pthread_join(thread[k], NULL), 0);
  for (int k = 0; k < 2; k++) ck_assert_msg(p[k].rc == VIRAL_OK, "%s", p[k].err.message);
  ck_assert_int_eq(memcmp(p[0].w, p[1].w, width * sizeof *p[0].w), 0);
  ck_assert_int_eq(p[0].info.sums, p[1].info.sums);
  double gap = relative_gap(p[0].w, whole, width);
  fprintf(stderr, "split: %zu + %zu rows, weights gap to the whole %.3g; %d vs %d Newton steps, objective %.17g vs %.17g\n",
          p[0].n, p[1].n, gap, p[0].info.iterations, info.iterations, p[0].info.objective, info.objective);
  ck_assert_msg(gap <= 1e-9, "split vs whole: weights gap %g", gap);
  ck_assert_msg(fabs(p[0].info.objective - info.objective) <= 1e-12 * fabs(info.objective), "objective %.17g vs %.17g",
                p[0].info.objective, info.objective);
  for (int k = 0; k < 2; k++) {
    free(p[k].w);
    free(p[k].rows);
    free(x.part[k]);
  }
  pthread_barrier_destroy(&x.met);
  free(whole);
  linear_rows_free(r);
}
END_TEST

static int twice(void *ctx, double *v, size_t n, viral_error *err) {
  (void)ctx, (void)err;
  for (size_t j = 0; j < n; j++) v[j] *= 2;
  return VIRAL_OK;
}

/* A hook that doubles every sum is the rows counted twice: C doubled, to
 * the bit (doubling is exact), the penalty counted once. */
START_TEST(doubled_sums_are_C_doubled) {
  linear_rows *r = generated(300, 10, 5);
  size_t width = width_of(r);
  double *a = malloc(width * sizeof *a), *b = malloc(width * sizeof *b);
  viral_error err;
  tron_fit f = fit_of(0.25, 1.5, 1.0, r);
  f.sum = twice;
  ck_assert_int_eq(tron_train(r, NULL, 0, &f, NULL, a, NULL, &err), VIRAL_OK);
  f = fit_of(0.5, 1.5, 1.0, r);
  ck_assert_int_eq(tron_train(r, NULL, 0, &f, NULL, b, NULL, &err), VIRAL_OK);
  ck_assert_int_eq(memcmp(a, b, width * sizeof *a), 0);
  free(b);
  free(a);
  linear_rows_free(r);
}
END_TEST

/* A row of importance 2 (linear_rows_set_weights) is the row counted
 * twice: the fit on weighted rows reaches the optimum of the fit on a row
 * list naming those rows twice; all importances 1 give the unweighted
 * fit's bits. */
START_TEST(row_weights_are_repeated_rows) {
  linear_rows *r = generated(300, 10, 11);
  size_t n = linear_rows_count(r), width = width_of(r), listed = 0;
  size_t *list = malloc(2 * n * sizeof *list);
  double *weight = malloc(n * sizeof *weight), *ones = malloc(n * sizeof *ones);
  double *plain = malloc(width * sizeof *plain), *twice_listed = malloc(width * sizeof *twice_listed);
  double *weighted = malloc(width * sizeof *weighted), *unit = malloc(width * sizeof *unit);
  for (size_t i = 0; i < n; i++) {
    list[listed++] = i;
    if (i % 3 == 0) list[listed++] = i;
    weight[i] = i % 3 == 0 ? 2.0 : 1.0;
    ones[i] = 1.0;
  }
  viral_error err;
  tron_fit f = fit_of(0.5, 1.5, 1.0, r);
  f.eps = 1e-10;
  ck_assert_int_eq(tron_train(r, NULL, 0, &f, NULL, plain, NULL, &err), VIRAL_OK);
  ck_assert_int_eq(tron_train(r, list, listed, &f, NULL, twice_listed, NULL, &err), VIRAL_OK);
  linear_rows_set_weights(r, weight);
  ck_assert_double_eq(linear_rows_weight(r, 3), 2.0);
  ck_assert_double_eq(linear_rows_weight(r, 4), 1.0);
  ck_assert_int_eq(tron_train(r, NULL, 0, &f, NULL, weighted, NULL, &err), VIRAL_OK);
  ck_assert_double_lt(relative_gap(weighted, twice_listed, width), 1e-6);
  ck_assert_double_gt(relative_gap(weighted, plain, width), 1e-2); /* the weights moved it */
  linear_rows_set_weights(r, ones); /* frees the weights before */
  ck_assert_int_eq(tron_train(r, NULL, 0, &f, NULL, unit, NULL, &err), VIRAL_OK);
  ck_assert_int_eq(memcmp(unit, plain, width * sizeof *unit), 0);
  free(unit);
  free(weighted);
  free(twice_listed);
  free(plain);
  free(list);
  linear_rows_free(r);
}
END_TEST

/* A failing hook stops the fit with its error. */
static int refuse(void *ctx, double *v, size_t n, viral_error *err) {
  (void)ctx, (void)v, (void)n;
  return viral_error_set(err, VIRAL_ERR_IO, NULL, 0, "rank 1: gone");
}

START_TEST(hook_failure_is_the_fits) {
  linear_rows *r = generated(50, 4, 3);
  double w[5];
  viral_error err;
  tron_fit f = fit_of(1, 1, 1, r);
  f.sum = refuse;
  ck_assert_int_eq(tron_train(r, NULL, 0, &f, NULL, w, NULL, &err), VIRAL_ERR_IO);
  ck_assert_str_eq(err.message, "rank 1: gone");
  linear_rows_free(r);
}
END_TEST

/* ---- over the processes of a job ---- */


/* Every process holds all of r and fits it whole alone; then the job fits
 * it with row i on process i mod size, summed over the processes: the
 * whole's weights to tolerance relative to ||w|| (the sums' order differs,
 * so the conjugate gradient's path does, and each stops somewhere within
 * the stopping rule), the same AUC, and the same bits on every process. */
static void check_shared(const char *name, const linear_rows *r, double C, double weight0, double weight1,
                         double tolerance) {
  size_t n = linear_rows_count(r), width = width_of(r), mine = 0;
  int rank = viral_dist_rank(), size = viral_dist_size();
  size_t *rows = malloc(n * sizeof *rows);
  for (size_t i = (size_t)rank; i < n; i += (size_t)size) rows[mine++] = i;
  double *whole = malloc(width * sizeof *whole), *w = malloc(width * sizeof *w);
  viral_error err;
  tron_fit f = fit_of(C, weight0, weight1, r);
  tron_info alone, shared;
  ck_assert_int_eq(tron_train(r, NULL, 0, &f, NULL, whole, &alone, &err), VIRAL_OK);
  f.sum = tron_sum_over_processes;
  ck_assert_msg(tron_train(r, rows, mine, &f, NULL, w, &shared, &err) == VIRAL_OK, "%s", err.message);
  double gap = relative_gap(w, whole, width), auc_shared = auc(r, w), auc_whole = auc(r, whole);
  if (rank == 0)
    fprintf(stderr, "%s over %d processes: weights gap %.3g, AUC %.9f vs %.9f, %d vs %d Newton steps, %d sums\n", name,
            size, gap, auc_shared, auc_whole, shared.iterations, alone.iterations, shared.sums);
  ck_assert_msg(gap <= tolerance, "%s: weights gap %g over %d processes", name, gap, size);
  ck_assert_msg(fabs(auc_shared - auc_whole) <= 1e-6, "%s: AUC %.9f vs %.9f", name, auc_shared, auc_whole);
  char *all = NULL;
  size_t total = 0;
  ck_assert_int_eq(viral_dist_allgather(w, width * sizeof *w, &all, &total, &err), VIRAL_OK);
  ck_assert_uint_eq(total, (size_t)size * width * sizeof *w);
  for (int k = 0; k < size; k++)
    ck_assert_msg(memcmp(all + (size_t)k * width * sizeof *w, w, width * sizeof *w) == 0,
                  "%s: process %d's weights differ from process %d's", name, k, rank);
  free(all);
  free(w);
  free(whole);
  free(rows);
}

START_TEST(processes_share_the_rows) {
  linear_rows *r = generated(600, 24, 23);
  check_shared("generated", r, 0.5, 1.0, 2.5, 1e-9); /* measured 1.6e-16 */
  linear_rows_free(r);
  r = sample_rows();
  /* 9154 weights on 5000 rows: measured 1.6e-7 (2 processes) and 1.1e-7
   * (4), as far as TRON from LIBLINEAR (1.5e-7) */
  check_shared("sample.csv", r, 1.0, 1.0, 1.0, 1e-6);
  linear_rows_free(r);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("tron");
  if (!test_in_a_job()) { /* one process: each process of a job would repeat these */
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, generated_matches_liblinear);
    tcase_add_test(tc, sample_matches_liblinear);
    tcase_add_test(tc, free_intercept_zeroes_its_gradient);
    tcase_add_test(tc, split_rows_sum_to_the_whole);
    tcase_add_test(tc, doubled_sums_are_C_doubled);
    tcase_add_test(tc, row_weights_are_repeated_rows);
    tcase_add_test(tc, hook_failure_is_the_fits);
    suite_add_tcase(s, tc);
  }
  /* every process runs this: it is collective */
  TCase *job = tcase_create("job");
  tcase_add_test(job, processes_share_the_rows);
  suite_add_tcase(s, job);
  return s;
}

int main(int argc, char **argv) { return test_main_in_job(&argc, &argv, "test_tron", make_suite); }
