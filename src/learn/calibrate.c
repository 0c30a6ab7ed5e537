/* calibrate.c - Platt scaling and isotonic regression (viral/calibrate.h). */
#include "viral/calibrate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CLIP 1e-15

void viral_calibration_init(viral_calibration *c) { memset(c, 0, sizeof *c); }

void viral_calibration_release(viral_calibration *c) {
  if (!c) return;
  free(c->x);
  free(c->y);
  viral_calibration_init(c);
}

const char *viral_calibration_name(viral_calibration_kind kind) {
  switch (kind) {
  case VIRAL_CALIBRATION_PLATT: return "platt";
  case VIRAL_CALIBRATION_ISOTONIC: return "isotonic";
  default: return "none";
  }
}

int viral_calibration_parse(const char *name, viral_calibration_kind *out) {
  if (strcmp(name, "none") == 0) *out = VIRAL_CALIBRATION_NONE;
  else if (strcmp(name, "platt") == 0) *out = VIRAL_CALIBRATION_PLATT;
  else if (strcmp(name, "isotonic") == 0) *out = VIRAL_CALIBRATION_ISOTONIC;
  else return VIRAL_ERR_INVALID;
  return VIRAL_OK;
}

static double logit(double p) {
  p = p < CLIP ? CLIP : p > 1 - CLIP ? 1 - CLIP : p;
  return log(p / (1 - p));
}

/* ---- Platt ---- */

/* log(1 + exp(-|t|)) + max(t, 0) written to avoid overflow: the loss of one
 * row is t_i * f + log1p(exp(-f)) with f = a s + b (Lin, Lin and Weng). */
static double platt_loss(const double *s, const double *t, size_t n, double a, double b) {
  double loss = 0;
  for (size_t i = 0; i < n; i++) {
    double f = a * s[i] + b;
    loss += f >= 0 ? t[i] * f + log1p(exp(-f)) : (t[i] - 1) * f + log1p(exp(f));
  }
  return loss;
}

static int fit_platt(viral_calibration *c, const double *p, const double *y, size_t n,
                     viral_error *err) {
  double pos = 0;
  for (size_t i = 0; i < n; i++) pos += y[i];
  double neg = (double)n - pos;
  double *s = malloc(n * sizeof *s), *t = malloc(n * sizeof *t);
  if (!s || !t) {
    free(s);
    free(t);
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  }
  double hi = (pos + 1) / (pos + 2), lo = 1 / (neg + 2);
  for (size_t i = 0; i < n; i++) {
    s[i] = logit(p[i]);
    t[i] = y[i] > 0.5 ? hi : lo;
  }
  /* Newton with backtracking line search (Lin, Lin and Weng 2007, Alg. 1). */
  double a = 0, b = log((neg + 1) / (pos + 1));
  double fval = platt_loss(s, t, n, a, b);
  const double sigma = 1e-12, eps = 1e-5, min_step = 1e-10;
  for (int it = 0; it < 100; it++) {
    double h11 = sigma, h22 = sigma, h21 = 0, g1 = 0, g2 = 0;
    for (size_t i = 0; i < n; i++) {
      double f = a * s[i] + b;
      double pi, qi; /* pi = 1/(1+exp(f)), qi = 1 - pi, computed stably */
      if (f >= 0) {
        pi = exp(-f) / (1 + exp(-f));
        qi = 1 / (1 + exp(-f));
      } else {
        pi = 1 / (1 + exp(f));
        qi = exp(f) / (1 + exp(f));
      }
      double d2 = pi * qi, d1 = t[i] - pi;
      h11 += s[i] * s[i] * d2;
      h22 += d2;
      h21 += s[i] * d2;
      g1 += s[i] * d1;
      g2 += d1;
    }
    if (fabs(g1) < eps && fabs(g2) < eps) break;
    double det = h11 * h22 - h21 * h21;
    double da = -(h22 * g1 - h21 * g2) / det, db = -(-h21 * g1 + h11 * g2) / det;
    double gd = g1 * da + g2 * db, step = 1;
    while (step >= min_step) {
      double na = a + step * da, nb = b + step * db, nf = platt_loss(s, t, n, na, nb);
      if (nf < fval + 1e-4 * step * gd) {
        a = na;
        b = nb;
        fval = nf;
        break;
      }
      step /= 2;
    }
    if (step < min_step) break;
  }
  free(s);
  free(t);
  c->kind = VIRAL_CALIBRATION_PLATT;
  c->a = a;
  c->b = b;
  return VIRAL_OK;
}

/* ---- isotonic ---- */

typedef struct point {
  double p, y;
} point;

static int by_p(const void *a, const void *b) {
  double x = ((const point *)a)->p, y = ((const point *)b)->p;
  return (x > y) - (x < y);
}

typedef struct block {
  double sum, weight; /* of labels */
  double lo, hi;      /* raw probabilities covered */
} block;

static int fit_isotonic(viral_calibration *c, const double *p, const double *y, size_t n,
                        viral_error *err) {
  point *pts = malloc(n * sizeof *pts);
  block *blocks = malloc(n * sizeof *blocks);
  if (!pts || !blocks) goto nomem;
  for (size_t i = 0; i < n; i++) pts[i] = (point){p[i], y[i]};
  qsort(pts, n, sizeof *pts, by_p);
  /* Pool equal raw probabilities first (ties get one value), then merge
   * adjacent blocks while their means decrease (pool adjacent violators).
   * Ties must be pooled before any merging: a tie joining a block merged
   * earlier would tie other points to it that the fit leaves free. */
  size_t nb = 0;
  for (size_t i = 0; i < n;) {
    block b = {0, 0, pts[i].p, pts[i].p};
    for (; i < n && pts[i].p == b.lo; i++) {
      b.sum += pts[i].y;
      b.weight += 1;
    }
    blocks[nb++] = b;
    while (nb > 1 && blocks[nb - 2].sum * blocks[nb - 1].weight >
                         blocks[nb - 1].sum * blocks[nb - 2].weight) {
      block *l = &blocks[nb - 2], *r = &blocks[nb - 1];
      l->sum += r->sum;
      l->weight += r->weight;
      l->hi = r->hi;
      nb--;
    }
  }
  c->x = malloc(2 * nb * sizeof *c->x);
  c->y = malloc(2 * nb * sizeof *c->y);
  if (!c->x || !c->y) goto nomem;
  /* Each block's two ends (one when it covers a single value). */
  size_t k = 0;
  for (size_t i = 0; i < nb; i++) {
    double v = blocks[i].sum / blocks[i].weight;
    c->x[k] = blocks[i].lo;
    c->y[k++] = v;
    if (blocks[i].hi != blocks[i].lo) {
      c->x[k] = blocks[i].hi;
      c->y[k++] = v;
    }
  }
  c->n = k;
  c->kind = VIRAL_CALIBRATION_ISOTONIC;
  free(pts);
  free(blocks);
  return VIRAL_OK;
nomem:
  free(pts);
  free(blocks);
  viral_calibration_release(c);
  return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
}

int viral_calibration_fit(viral_calibration *c, viral_calibration_kind kind, const double *p,
                          const double *y, size_t n, viral_error *err) {
  viral_calibration_release(c);
  if (kind == VIRAL_CALIBRATION_NONE) return VIRAL_OK;
  size_t pos = 0;
  for (size_t i = 0; i < n; i++) {
    if (!(y[i] == 0 || y[i] == 1) || !(p[i] >= 0 && p[i] <= 1))
      return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                             "calibration row %zu: label must be 0/1 and probability in [0, 1]", i);
    pos += y[i] == 1;
  }
  if (pos == 0 || pos == n)
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                           "calibration needs both classes among its %zu held-out rows", n);
  return kind == VIRAL_CALIBRATION_PLATT ? fit_platt(c, p, y, n, err) : fit_isotonic(c, p, y, n, err);
}

double viral_calibration_apply(const viral_calibration *c, double p) {
  switch (c->kind) {
  case VIRAL_CALIBRATION_PLATT: {
    double f = c->a * logit(p) + c->b;
    return f >= 0 ? exp(-f) / (1 + exp(-f)) : 1 / (1 + exp(f));
  }
  case VIRAL_CALIBRATION_ISOTONIC: {
    if (c->n == 0) return p;
    if (p <= c->x[0]) return c->y[0];
    if (p >= c->x[c->n - 1]) return c->y[c->n - 1];
    size_t lo = 0, hi = c->n - 1; /* x[lo] < p < x[hi] */
    while (hi - lo > 1) {
      size_t mid = (lo + hi) / 2;
      if (c->x[mid] <= p) lo = mid;
      else hi = mid;
    }
    if (c->x[lo] == p) return c->y[lo];
    double w = (p - c->x[lo]) / (c->x[hi] - c->x[lo]);
    return c->y[lo] + w * (c->y[hi] - c->y[lo]);
  }
  default: return p;
  }
}
