/* tron.c - trust-region Newton for L2-regularised logistic regression,
 * its sums through a hook (learn/tron.h states the objective, the method
 * and the sums). */
#include "learn/tron.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "viral/dist.h"

/* The paper's constants: a step is taken when the actual reduction is
 * more than ETA0 of the predicted one; ETA1 and ETA2 grade the prediction;
 * SIGMA1..3 bound how delta shrinks and grows. */
#define ETA0 1e-4
#define ETA1 0.25
#define ETA2 0.75
#define SIGMA1 0.25
#define SIGMA2 0.5
#define SIGMA3 4.0
/* The conjugate gradient stops at ||r||_{M^-1} <= CG_TOL ||g||_{M^-1}. */
#define CG_TOL 0.1
/* M = (1 - PRECONDITION) I + PRECONDITION diag(H). */
#define PRECONDITION 0.01
#define MAX_ITERATIONS 1000

typedef struct tron {
  const linear_rows *r;
  const size_t *rows; /* NULL: 0 .. n */
  size_t n;
  const tron_fit *f;
  size_t width;  /* features + 1 */
  double *D;     /* [n] C c_r p_r (1 - p_r) at w: the Hessian's row weights */
  double *D_try; /* [n] the same at the point tried */
  double *at;    /* [1 + 2 width] f, g, diag(H) at w */
  double *tried; /* [1 + 2 width] the same at the point tried */
  tron_info *info;
  viral_error *err;
} tron;

static size_t row_of(const tron *t, size_t k) { return t->rows ? t->rows[k] : k; }

/* Whether weight j is penalised. */
static int penalised(const tron *t, size_t j) { return !(t->f->free_last && j + 1 == t->width); }

static int sum(tron *t, double *v, size_t n) {
  t->info->sums++;
  return t->f->sum ? t->f->sum(t->f->sum_ctx, v, n, t->err) : VIRAL_OK;
}

static double dot(const double *a, const double *b, size_t n) {
  double s = 0;
  for (size_t j = 0; j < n; j++) s += a[j] * b[j];
  return s;
}

double tron_sigmoid(double t) { return t >= 0 ? 1 / (1 + exp(-t)) : exp(t) / (1 + exp(t)); }

double tron_log_loss(double t, double y) {
  double s = y > 0.5 ? -t : t;
  return s > 0 ? s + log1p(exp(-s)) : log1p(exp(s));
}

/* out: [1 + 2 width] f, g and diag(H) at w, summed, the penalty added;
 * D: [n] the rows' Hessian weights there (this process's rows). */
static int evaluate(tron *t, const double *w, double *out, double *D) {
  size_t width = t->width;
  double *g = out + 1, *diag = out + 1 + width;
  memset(out, 0, (1 + 2 * width) * sizeof *out);
  for (size_t k = 0; k < t->n; k++) {
    size_t i = row_of(t, k);
    double y = linear_rows_label(t->r, i), c = t->f->C * (y > 0.5 ? t->f->weight1 : t->f->weight0);
    c *= linear_rows_weight(t->r, i);
    double margin = linear_rows_decision(t->r, i, w), p = tron_sigmoid(margin);
    out[0] += c * tron_log_loss(margin, y);
    linear_rows_add_row(t->r, i, c * (p - y), g);
    D[k] = c * p * (1 - p);
    linear_rows_add_squares(t->r, i, D[k], diag);
  }
  int rc = sum(t, out, 1 + 2 * width);
  if (rc != VIRAL_OK) return rc;
  for (size_t j = 0; j < width; j++)
    if (penalised(t, j)) {
      out[0] += w[j] * w[j] / 2;
      g[j] += w[j];
      diag[j] += 1;
    }
  if (!isfinite(out[0]) || !isfinite(dot(g, g, width)))
    return viral_error_set(t->err, VIRAL_ERR_INVALID, NULL, 0, "tron: the objective or its gradient is not finite");
  return VIRAL_OK;
}

/* out = H s at the point D belongs to, summed. */
static int hessian_times(tron *t, const double *s, double *out) {
  memset(out, 0, t->width * sizeof *out);
  for (size_t k = 0; k < t->n; k++) {
    size_t i = row_of(t, k);
    linear_rows_add_row(t->r, i, t->D[k] * linear_rows_decision(t->r, i, s), out);
  }
  t->info->cg_steps++;
  int rc = sum(t, out, t->width);
  for (size_t j = 0; j < t->width; j++)
    if (penalised(t, j)) out[j] += s[j];
  return rc;
}

/* ---- the trust-region step ---- */

/* u' M v, M: [width] diagonal. */
static double m_dot(const double *u, const double *M, const double *v, size_t n) {
  double s = 0;
  for (size_t j = 0; j < n; j++) s += u[j] * M[j] * v[j];
  return s;
}

/* tau >= 0 with ||s + tau d||_M = delta, s inside the region. */
static double to_boundary(const double *s, const double *d, const double *M, size_t n, double delta) {
  double sd = m_dot(s, M, d, n), ss = m_dot(s, M, s, n), dd = m_dot(d, M, d, n);
  double room = delta * delta - ss;
  double root = sqrt(sd * sd + dd * room);
  return sd >= 0 ? room / (sd + root) : (root - sd) / dd;
}

/* Work arrays of the conjugate gradient, each [width]. */
typedef struct cg_work {
  double *M, *z, *d, *Hd;
} cg_work;

/* The step s: [width] and the residual r = -g - H s: [width], within
 * ||s||_M <= delta; *boundary 1 when it stopped there. */
static int conjugate_gradient(tron *t, const double *g, double delta, cg_work *cw, double *s, double *r,
                              int *boundary) {
  size_t n = t->width;
  double *M = cw->M, *z = cw->z, *d = cw->d, *Hd = cw->Hd;
  *boundary = 0;
  for (size_t j = 0; j < n; j++) {
    s[j] = 0;
    r[j] = -g[j];
    d[j] = z[j] = r[j] / M[j];
  }
  double zr = dot(z, r, n), tol = CG_TOL * sqrt(zr);
  /* exact arithmetic ends within n steps; this bounds a rounding stall */
  for (size_t step = 0; step < 2 * n + 10 && sqrt(zr) > tol; step++) {
    int rc = hessian_times(t, d, Hd);
    if (rc != VIRAL_OK) return rc;
    double dHd = dot(d, Hd, n), alpha = dHd > 0 ? zr / dHd : 0;
    for (size_t j = 0; j < n; j++) s[j] += alpha * d[j];
    if (!(dHd > 0) || m_dot(s, M, s, n) > delta * delta) {
      for (size_t j = 0; j < n; j++) s[j] -= alpha * d[j];
      alpha = to_boundary(s, d, M, n, delta);
      for (size_t j = 0; j < n; j++) {
        s[j] += alpha * d[j];
        r[j] -= alpha * Hd[j];
      }
      *boundary = 1;
      break;
    }
    for (size_t j = 0; j < n; j++) {
      r[j] -= alpha * Hd[j];
      z[j] = r[j] / M[j];
    }
    double zr_next = dot(z, r, n), beta = zr_next / zr;
    for (size_t j = 0; j < n; j++) d[j] = z[j] + beta * d[j];
    zr = zr_next;
  }
  return VIRAL_OK;
}

static void precondition(const double *diag, double *M, size_t n) {
  for (size_t j = 0; j < n; j++) M[j] = (1 - PRECONDITION) + PRECONDITION * diag[j];
}

/* The new radius from the step's actual and predicted reductions (the
 * paper's rules). gs = g.s, snorm = ||s||_M, f_try = f(w + s). */
static double next_delta(double delta, double f, double f_try, double gs, double snorm, double actual,
                         double predicted, int boundary) {
  /* alpha: the minimiser of the quadratic through f, gs and f_try */
  double curve = f_try - f - gs, alpha = curve <= 0 ? SIGMA3 : fmax(SIGMA1, -0.5 * (gs / curve));
  if (actual < ETA0 * predicted) return fmin(fmax(alpha, SIGMA1) * snorm, SIGMA2 * delta);
  if (actual < ETA1 * predicted) return fmax(SIGMA1 * delta, fmin(alpha * snorm, SIGMA2 * delta));
  if (actual < ETA2 * predicted) return fmax(SIGMA1 * delta, fmin(alpha * snorm, SIGMA3 * delta));
  if (boundary) return SIGMA3 * delta;
  return fmax(delta, fmin(alpha * snorm, SIGMA3 * delta));
}

/* Newton steps from w (t->at, t->D evaluated there) until a stop. work:
 * [7 width]. */
static int newton(tron *t, double *w, double *work) {
  size_t n = t->width;
  double *s = work, *r = work + n, *w_try = work + 2 * n;
  cg_work cw = {work + 3 * n, work + 4 * n, work + 5 * n, work + 6 * n};
  int max_iterations = t->f->max_iterations > 0 ? t->f->max_iterations : MAX_ITERATIONS;
  precondition(t->at + 1 + n, cw.M, n);
  /* the first radius: ||g||_{M^-1}, the M norm of the preconditioned
   * steepest descent step (cut to the first step's length below) */
  double delta = 0;
  for (size_t j = 0; j < n; j++) delta += t->at[1 + j] * t->at[1 + j] / cw.M[j];
  delta = sqrt(delta);
  int tries = 0;
  while (t->info->iterations < max_iterations && t->info->gnorm > t->f->eps * t->info->gnorm0) {
    const double *g = t->at + 1;
    int boundary, rc = conjugate_gradient(t, g, delta, &cw, s, r, &boundary);
    if (rc != VIRAL_OK) return rc;
    for (size_t j = 0; j < n; j++) w_try[j] = w[j] + s[j];
    double gs = dot(g, s, n), predicted = -0.5 * (gs - dot(s, r, n)), snorm = sqrt(m_dot(s, cw.M, s, n));
    if ((rc = evaluate(t, w_try, t->tried, t->D_try)) != VIRAL_OK) return rc;
    double f = t->at[0], f_try = t->tried[0], actual = f - f_try;
    if (tries++ == 0) delta = fmin(delta, snorm);
    delta = next_delta(delta, f, f_try, gs, snorm, actual, predicted, boundary);
    if (actual > ETA0 * predicted) { /* take the step */
      memcpy(w, w_try, n * sizeof *w);
      double *swap = t->at;
      t->at = t->tried;
      t->tried = swap;
      swap = t->D;
      t->D = t->D_try;
      t->D_try = swap;
      precondition(t->at + 1 + n, cw.M, n);
      t->info->iterations++;
      t->info->gnorm = sqrt(dot(t->at + 1, t->at + 1, n));
    }
    /* nothing left to gain, to the precision of f */
    if (actual <= 0 && predicted <= 0) break;
    if (fabs(actual) <= 1e-12 * fabs(f) && fabs(predicted) <= 1e-12 * fabs(f)) break;
  }
  return VIRAL_OK;
}

/* ---- the calls ---- */

int tron_sum_over_processes(void *ctx, double *v, size_t n, viral_error *err) {
  (void)ctx;
  return viral_dist_sum_double(v, n, err);
}

static int start(tron *t, const linear_rows *r, const size_t *rows, size_t n, const tron_fit *f, tron_info *info,
                 viral_error *err) {
  memset(t, 0, sizeof *t);
  t->r = r;
  t->rows = rows;
  t->n = rows ? n : linear_rows_count(r);
  t->f = f;
  t->width = (size_t)linear_rows_features(r) + 1;
  t->info = info;
  t->err = err;
  memset(info, 0, sizeof *info);
  size_t point = 1 + 2 * t->width, nd = t->n ? t->n : 1;
  t->D = malloc(nd * sizeof *t->D);
  t->D_try = malloc(nd * sizeof *t->D_try);
  t->at = malloc(point * sizeof *t->at);
  t->tried = malloc(point * sizeof *t->tried);
  if (!t->D || !t->D_try || !t->at || !t->tried)
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "tron: out of memory for %zu rows", t->n);
  return VIRAL_OK;
}

static void finish(tron *t) {
  free(t->tried);
  free(t->at);
  free(t->D_try);
  free(t->D);
}

int tron_train(const linear_rows *r, const size_t *rows, size_t n, const tron_fit *f, const double *init, double *w,
               tron_info *info, viral_error *err) {
  tron_info mine;
  tron t;
  int rc = start(&t, r, rows, n, f, info ? info : &mine, err);
  double *work = rc == VIRAL_OK ? malloc(7 * t.width * sizeof *work) : NULL;
  if (rc == VIRAL_OK && !work) rc = viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "tron: out of memory");
  if (rc == VIRAL_OK) {
    memset(w, 0, t.width * sizeof *w);
    rc = evaluate(&t, w, t.at, t.D); /* the stopping rule's scale: ||g(0)|| */
    t.info->gnorm0 = sqrt(dot(t.at + 1, t.at + 1, t.width));
  }
  if (rc == VIRAL_OK && init) {
    memcpy(w, init, t.width * sizeof *w);
    rc = evaluate(&t, w, t.at, t.D);
  }
  if (rc == VIRAL_OK) {
    t.info->gnorm = sqrt(dot(t.at + 1, t.at + 1, t.width));
    rc = newton(&t, w, work);
  }
  t.info->objective = rc == VIRAL_OK ? t.at[0] : NAN;
  free(work);
  finish(&t);
  return rc;
}

int tron_objective(const linear_rows *r, const size_t *rows, size_t n, const tron_fit *f, const double *w,
                   double *value, viral_error *err) {
  tron_info info;
  tron t;
  int rc = start(&t, r, rows, n, f, &info, err);
  if (rc == VIRAL_OK) rc = evaluate(&t, w, t.at, t.D);
  *value = rc == VIRAL_OK ? t.at[0] : NAN;
  finish(&t);
  return rc;
}
