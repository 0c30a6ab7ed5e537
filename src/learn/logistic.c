/* logistic.c - online logistic regression: FTRL-Proximal, AdaGrad, SGD
 * (include/viral/logistic.h has the objective and the normalisation rule). */
#include "learn/logistic_json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- parameters ---- */

void viral_logistic_params_init(viral_logistic_params *p, viral_logistic_optimizer optimizer) {
  memset(p, 0, sizeof *p);
  p->optimizer = optimizer;
  p->alpha = optimizer == VIRAL_LOGISTIC_SGD ? 0.5 : 0.1;
  p->beta = 1.0;
  p->l1 = 0.0;
  /* FTRL's l2 counts once for the whole stream, so 1 is mild (the paper's
   * setting); for adagrad and sgd it applies at every update, where 1 would
   * crush the weights, so they start unpenalised. */
  p->l2 = optimizer == VIRAL_LOGISTIC_FTRL ? 1.0 : 0.0;
  p->normalize = 1;
  p->passes = 1;
  p->shuffle = 0;
  p->seed = 1;
  p->weight0 = 1.0;
  p->weight1 = 1.0;
}

static int nonneg(double x) { return isfinite(x) && x >= 0.0; }

const char *viral_logistic_params_check(const viral_logistic_params *p) {
  if (p->optimizer != VIRAL_LOGISTIC_FTRL && p->optimizer != VIRAL_LOGISTIC_ADAGRAD &&
      p->optimizer != VIRAL_LOGISTIC_SGD)
    return "optimizer must be ftrl, adagrad or sgd";
  if (!(isfinite(p->alpha) && p->alpha > 0.0)) return "alpha must be a finite number > 0";
  if (!nonneg(p->beta)) return "beta must be a finite number >= 0";
  /* AdaGrad's first step is alpha / (beta + sqrt(n)) with n possibly 0. */
  if (p->optimizer == VIRAL_LOGISTIC_ADAGRAD && !(p->beta > 0.0))
    return "beta must be > 0 with adagrad";
  if (!nonneg(p->l1)) return "l1 must be a finite number >= 0";
  if (!nonneg(p->l2)) return "l2 must be a finite number >= 0";
  if (p->normalize != 0 && p->normalize != 1) return "normalize must be 0 or 1";
  if (p->shuffle != 0 && p->shuffle != 1) return "shuffle must be 0 or 1";
  if (p->passes < 1 || p->passes > VIRAL_LOGISTIC_MAX_PASSES)
    return "passes must be between 1 and 100000";
  if (!nonneg(p->weight0)) return "weight0 must be a finite number >= 0";
  if (!nonneg(p->weight1)) return "weight1 must be a finite number >= 0";
  return NULL;
}

static const char *const optimizer_names[] = {"ftrl", "adagrad", "sgd"};

const char *viral_logistic_optimizer_name(viral_logistic_optimizer o) {
  return (unsigned)o < 3 ? optimizer_names[o] : "unknown";
}

int viral_logistic_optimizer_parse(const char *name, viral_logistic_optimizer *out) {
  for (int i = 0; i < 3; i++)
    if (strcmp(name, optimizer_names[i]) == 0) {
      *out = (viral_logistic_optimizer)i;
      return 0;
    }
  return -1;
}

void viral_logistic_balanced_weights(uint64_t pos, uint64_t neg, double *w0, double *w1) {
  if (pos == 0 || neg == 0) { /* one class: nothing to balance */
    *w0 = *w1 = 1.0;
    return;
  }
  double total = (double)pos + (double)neg;
  *w0 = total / (2.0 * (double)neg);
  *w1 = total / (2.0 * (double)pos);
}

/* ---- lifecycle ---- */

viral_logistic *viral_logistic_create(const viral_logistic_params *params, int bits,
                                      viral_error *err) {
  const char *why = viral_logistic_params_check(params);
  if (why) {
    viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "%s", why);
    return NULL;
  }
  if (bits < VIRAL_LOGISTIC_MIN_BITS || bits > VIRAL_LOGISTIC_MAX_BITS) {
    viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "bits must be between %d and %d, not %d",
                    VIRAL_LOGISTIC_MIN_BITS, VIRAL_LOGISTIC_MAX_BITS, bits);
    return NULL;
  }
  viral_logistic *m = calloc(1, sizeof *m);
  if (!m) goto nomem;
  m->p = *params;
  m->bits = bits;
  m->dim = (size_t)1 << bits;
  m->mask = (uint32_t)(m->dim - 1);
  /* calloc: untouched pages of a large hashed space cost no memory. */
  m->w = calloc(m->dim, sizeof *m->w);
  if (!m->w) goto nomem;
  if (params->optimizer == VIRAL_LOGISTIC_FTRL && !(m->z = calloc(m->dim, sizeof *m->z)))
    goto nomem;
  if (params->optimizer != VIRAL_LOGISTIC_SGD && !(m->n = calloc(m->dim, sizeof *m->n)))
    goto nomem;
  if (params->normalize && !(m->s = calloc(m->dim, sizeof *m->s))) goto nomem;
  return m;
nomem:
  viral_logistic_free(m);
  viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory for 2^%d coordinates", bits);
  return NULL;
}

void viral_logistic_free(viral_logistic *m) {
  if (!m) return;
  free(m->s);
  free(m->n);
  free(m->z);
  free(m->w);
  free(m);
}

const viral_logistic_params *viral_logistic_get_params(const viral_logistic *m) { return &m->p; }
int viral_logistic_bits(const viral_logistic *m) { return m->bits; }

/* ---- the update ---- */

static double sigmoid(double m) {
  if (m >= 0.0) return 1.0 / (1.0 + exp(-m));
  double e = exp(m);
  return e / (1.0 + e);
}

double viral_logistic_ftrl_weight(const viral_logistic_params *p, double z, double sqrt_n,
                                  double l1, double l2) {
  if (fabs(z) <= l1) return 0.0; /* L1 makes weak coordinates exactly zero */
  double shrunk = z > 0.0 ? z - l1 : z + l1;
  return -shrunk / ((p->beta + sqrt_n) / p->alpha + l2);
}

/* One FTRL-Proximal step (Algorithm 1) on a coordinate with gradient g. */
static inline void ftrl_step(const viral_logistic_params *p, double *z, double *n, double *w,
                             double g, double l1, double l2) {
  double sqrt_old = sqrt(*n);
  double n_new = *n + g * g;
  double sqrt_new = sqrt(n_new);
  double sigma = (sqrt_new - sqrt_old) / p->alpha;
  *z += g - sigma * *w;
  *n = n_new;
  *w = viral_logistic_ftrl_weight(p, *z, sqrt_new, l1, l2);
}

/* Proximal operator of step * (l1 |u| + l2 u^2 / 2) at v: soft-threshold, then
 * shrink. With l1 = l2 = 0 it returns v. */
static inline double prox(double v, double step, double l1, double l2) {
  if (l1 > 0.0) {
    double t = fabs(v) - step * l1;
    if (t <= 0.0) return 0.0;
    v = v > 0.0 ? t : -t;
  }
  return l2 > 0.0 ? v / (1.0 + step * l2) : v;
}

static inline void adagrad_step(const viral_logistic_params *p, double *n, double *w, double g,
                                double l1, double l2) {
  *n += g * g;
  double step = p->alpha / (p->beta + sqrt(*n));
  *w = prox(*w - step * g, step, l1, l2);
}

/* The value the optimizer sees: x / s_i when normalising, with s_i the scale
 * after this example (|x / s_i| <= 1). scaled() only looks, for the margin;
 * take_scaled() also records the new scale, for the update. Both give the
 * same bits. */
static inline double scaled(const double *s, uint32_t i, double x) {
  if (!s) return x;
  double a = fabs(x);
  double si = s[i] < a ? a : s[i];
  return x / si;
}

static inline double take_scaled(double *s, uint32_t i, double x) {
  if (!s) return x;
  double a = fabs(x);
  if (s[i] < a) s[i] = a;
  return x / s[i];
}

double viral_logistic_learn(viral_logistic *m, const viral_sparse *x, double y, double c) {
  if (!(y == 0.0 || y == 1.0) || !nonneg(c)) return NAN;
  const viral_feature *it = x->items;
  const size_t count = x->count;
  double *restrict w = m->w, *restrict s = m->s;
  /* Pass 1: the margin with the scales this example will leave behind, so
   * prediction and update see the same inputs; nothing is written yet, so a
   * non-finite value can still be refused with the learner untouched. */
  double margin = m->bias_w;
  for (size_t k = 0; k < count; k++) {
    if (it[k].value == 0.0) continue; /* an unfinished vector's zero: no effect */
    uint32_t i = it[k].index & m->mask;
    margin += w[i] * scaled(s, i, it[k].value);
  }
  if (!isfinite(margin)) return NAN;
  double p = sigmoid(margin);
  double gm = c * (p - y); /* d(c * logloss) / d margin */
  const viral_logistic_params *par = &m->p;
  const double l1 = par->l1, l2 = par->l2;
  m->rows++;

  /* Pass 2: update every present coordinate and the scales. */
  switch (par->optimizer) {
  case VIRAL_LOGISTIC_FTRL: {
    double *restrict z = m->z, *restrict n = m->n;
    for (size_t k = 0; k < count; k++) {
      if (it[k].value == 0.0) continue;
      uint32_t i = it[k].index & m->mask;
      double xs = take_scaled(s, i, it[k].value);
      ftrl_step(par, &z[i], &n[i], &w[i], gm * xs, l1, l2);
    }
    ftrl_step(par, &m->bias_z, &m->bias_n, &m->bias_w, gm, 0.0, 0.0);
    break;
  }
  case VIRAL_LOGISTIC_ADAGRAD: {
    double *restrict n = m->n;
    for (size_t k = 0; k < count; k++) {
      if (it[k].value == 0.0) continue;
      uint32_t i = it[k].index & m->mask;
      double xs = take_scaled(s, i, it[k].value);
      adagrad_step(par, &n[i], &w[i], gm * xs, l1, l2);
    }
    adagrad_step(par, &m->bias_n, &m->bias_w, gm, 0.0, 0.0);
    break;
  }
  case VIRAL_LOGISTIC_SGD: {
    /* eta_t = alpha / sqrt(t), t counting this example: one sqrt per row. */
    double eta = par->alpha / sqrt((double)m->rows);
    for (size_t k = 0; k < count; k++) {
      if (it[k].value == 0.0) continue;
      uint32_t i = it[k].index & m->mask;
      double xs = take_scaled(s, i, it[k].value);
      w[i] = prox(w[i] - eta * gm * xs, eta, l1, l2);
    }
    m->bias_w -= eta * gm;
    break;
  }
  }
  return p;
}

/* ---- prediction ---- */

/* The weight on the raw value of coordinate i: u_i / s_i. A coordinate never
 * seen has s_i = 0 and u_i = 0; it contributes nothing (not 0/0). */
static inline double raw_weight(const viral_logistic *m, uint32_t i) {
  if (!m->s) return m->w[i];
  return m->s[i] > 0.0 ? m->w[i] / m->s[i] : 0.0;
}

double viral_logistic_margin(const viral_logistic *m, const viral_sparse *x) {
  return viral_logistic_contributions(m, x, NULL);
}

double viral_logistic_predict(const viral_logistic *m, const viral_sparse *x) {
  return sigmoid(viral_logistic_margin(m, x));
}

double viral_logistic_contributions(const viral_logistic *m, const viral_sparse *x, double *out) {
  double margin = m->bias_w;
  for (size_t k = 0; k < x->count; k++) {
    uint32_t i = x->items[k].index & m->mask;
    double v = x->items[k].value;
    /* u_i * (x / s_i), the product the learner itself uses; not (u_i / s_i) * x,
     * which may differ in the last bit. */
    double share = 0.0;
    if (v != 0.0) share = m->s ? (m->s[i] > 0.0 ? m->w[i] * (v / m->s[i]) : 0.0) : m->w[i] * v;
    if (out) out[k] = share;
    margin += share;
  }
  return margin;
}

double viral_logistic_weight(const viral_logistic *m, uint32_t index) {
  return raw_weight(m, index & m->mask);
}

double viral_logistic_bias(const viral_logistic *m) { return m->bias_w; }

size_t viral_logistic_nonzero(const viral_logistic *m) {
  size_t count = 0;
  for (size_t i = 0; i < m->dim; i++) count += m->w[i] != 0.0;
  return count;
}

uint64_t viral_logistic_rows(const viral_logistic *m) { return m->rows; }

/* ---- batch passes ---- */

/* Tiny, and the same sequence on every machine, which rand() is not. */
uint64_t viral_logistic_splitmix64(uint64_t *state) {
  uint64_t x = (*state += 0x9e3779b97f4a7c15u);
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
  return x ^ (x >> 31);
}

/* Uniform in [0, bound) without modulo bias. */
static uint64_t below(uint64_t *state, uint64_t bound) {
  uint64_t threshold = (0 - bound) % bound;
  for (;;) {
    uint64_t r = viral_logistic_splitmix64(state);
    if (r >= threshold) return r % bound;
  }
}

static void shuffle_order(size_t *order, size_t rows, uint32_t seed, int pass) {
  uint64_t state = ((uint64_t)seed << 32) | (uint32_t)pass;
  for (size_t i = 0; i < rows; i++) order[i] = i;
  for (size_t i = rows; i > 1; i--) { /* Fisher-Yates */
    size_t j = (size_t)below(&state, i);
    size_t t = order[i - 1];
    order[i - 1] = order[j];
    order[j] = t;
  }
}

int viral_logistic_train(viral_logistic *m, const viral_dataset *ds, viral_error *err) {
  for (size_t r = 0; r < ds->rows; r++) {
    if (ds->labels[r] != 0.0 && ds->labels[r] != 1.0)
      return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                             "row %zu: label must be 0 or 1, not %g", r + 1, ds->labels[r]);
    for (size_t k = ds->row_start[r]; k < ds->row_start[r + 1]; k++)
      if (!isfinite(ds->items[k].value))
        return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                               "row %zu: feature %u is not a finite number", r + 1,
                               (unsigned)ds->items[k].index);
  }
  size_t *order = NULL;
  if (m->p.shuffle && ds->rows > 1 && !(order = malloc(ds->rows * sizeof *order)))
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory for %zu rows", ds->rows);
  int rc = VIRAL_OK;
  for (int pass = 0; pass < m->p.passes && rc == VIRAL_OK; pass++) {
    if (order) shuffle_order(order, ds->rows, m->p.seed, pass);
    for (size_t k = 0; k < ds->rows; k++) {
      size_t r = order ? order[k] : k;
      viral_sparse x = viral_dataset_row(ds, r);
      double y = ds->labels[r];
      double c = y == 1.0 ? m->p.weight1 : m->p.weight0;
      if (isnan(viral_logistic_learn(m, &x, y, c))) {
        /* Finite inputs, yet the margin overflowed: say where. */
        rc = viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                             "row %zu: margin is not finite (feature values too large); "
                             "the learner holds the updates before this row", r + 1);
        break;
      }
    }
  }
  free(order);
  return rc;
}
