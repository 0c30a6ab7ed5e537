/* logistic.c - online logistic regression: FTRL-Proximal, AdaGrad, SGD
 * (include/viral/logistic.h has the objective and the normalisation rule). */
#include "learn/logistic_json.h"
#include "io/random.h"
#include "learn/logistic_batch.h"
#include "io/array.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#define VIRAL_SSE2 1
#else
#define VIRAL_SSE2 0
#endif

/* ---- parameters ---- */

void viral_logistic_params_init(viral_logistic_params *p, viral_logistic_optimizer optimizer) {
  memset(p, 0, sizeof *p);
  p->optimizer = optimizer;
  /* FTRL's 0.5: one pass over generated data (`viral gen --seed 7`, 20k and
   * 200k videos, first 80% to train, AUC on the rest) peaks between 0.3 and 1
   * (0.1 loses 0.008 AUC at 20k videos); AdaGrad keeps the common 0.1. */
  p->alpha = optimizer == VIRAL_LOGISTIC_ADAGRAD ? 0.1 : 0.5;
  p->beta = 1.0;
  p->l1 = 0.0;
  /* FTRL's l2 counts once for the whole stream, so 1 is mild (the paper's
   * setting); for adagrad and sgd it applies at every update, where 1 would
   * crush the weights, so they start unpenalised. */
  p->l2 = optimizer == VIRAL_LOGISTIC_FTRL ? 1.0 : 0.0;
  p->normalize = 1;
  p->passes = 1;
  p->C = 0.0;
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
  if (p->dense > (1u << VIRAL_LOGISTIC_MAX_BITS)) return "dense must be at most 2^24";
  if (p->shuffle != 0 && p->shuffle != 1) return "shuffle must be 0 or 1";
  if (p->passes < 0 || p->passes > VIRAL_LOGISTIC_MAX_PASSES)
    return "passes must be between 0 (the batch optimum) and 100000";
  if (!nonneg(p->C)) return "C must be a finite number >= 0";
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
  /* huge pages where they help (see table_calloc); past 256 MiB calloc's
   * lazy pages: an untouched part of a large hashed space costs no memory */
  m->w = table_calloc(m->dim, sizeof *m->w);
  if (!m->w) goto nomem;
  if (params->optimizer == VIRAL_LOGISTIC_FTRL && !(m->z = table_calloc(m->dim, sizeof *m->z)))
    goto nomem;
  if (params->optimizer != VIRAL_LOGISTIC_SGD && !(m->n = table_calloc(m->dim, sizeof *m->n)))
    goto nomem;
  if (params->normalize && !(m->s = table_calloc(m->dim, sizeof *m->s))) goto nomem;
  if (params->normalize && params->dense > 0) {
    if (params->dense > m->dim) {
      viral_logistic_free(m);
      viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                      "dense must be at most 2^bits = %zu, not %u", (size_t)1 << bits,
                      (unsigned)params->dense);
      return NULL;
    }
    m->dense = params->dense;
    if (!(m->mean = calloc(m->dense, sizeof *m->mean)) || !(m->m2 = calloc(m->dense, sizeof *m->m2)) ||
        !(m->sd = calloc(m->dense, sizeof *m->sd)) ||
        !(m->scratch = calloc(5 * (size_t)m->dense, sizeof *m->scratch)))
      goto nomem;
    if (params->optimizer == VIRAL_LOGISTIC_FTRL && !(m->sqrt_n = calloc(m->dense, sizeof *m->sqrt_n)))
      goto nomem;
  }
  return m;
nomem:
  viral_logistic_free(m);
  viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory for 2^%d coordinates", bits);
  return NULL;
}

void viral_logistic_free(viral_logistic *m) {
  if (!m) return;
  free(m->scratch);
  free(m->sd);
  free(m->m2);
  free(m->mean);
  free(m->s);
  free(m->sqrt_n);
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

/* 1 / alpha when it is exact (alpha a power of two, as FTRL's default 0.5
 * is): then x * (1 / alpha) and x / alpha are the same real number rounded
 * once, the same double, and the multiply is cheaper. 0 otherwise. */
static double exact_reciprocal(double alpha) {
  int e;
  double r = 1.0 / alpha;
  return frexp(alpha, &e) == 0.5 && isfinite(r) && r * alpha == 1.0 ? r : 0.0;
}

/* x / alpha, by the exact reciprocal inv when there is one. */
static inline double over_alpha(const viral_logistic_params *p, double inv, double x) {
  return inv != 0.0 ? x * inv : x / p->alpha;
}

static inline double ftrl_weight_(const viral_logistic_params *p, double inv_alpha, double z,
                                  double sqrt_n, double l1, double l2) {
  if (fabs(z) <= l1) return 0.0; /* L1 makes weak coordinates exactly zero */
  double shrunk = z > 0.0 ? z - l1 : z + l1;
  return -shrunk / (over_alpha(p, inv_alpha, p->beta + sqrt_n) + l2);
}

double viral_logistic_ftrl_weight(const viral_logistic_params *p, double z, double sqrt_n,
                                  double l1, double l2) {
  return ftrl_weight_(p, exact_reciprocal(p->alpha), z, sqrt_n, l1, l2);
}

/* One FTRL-Proximal step (Algorithm 1) on a coordinate with gradient g,
 * given sqrt_old = sqrt(n); returns sqrt of the new n. A dense coordinate
 * keeps that for its next step (one square root per step instead of two,
 * same bits); a hashed one takes the square root again rather than a
 * fifth array's cache miss. */
static inline double ftrl_step(const viral_logistic_params *p, double inv_alpha, double *z,
                               double *n, double sqrt_old, double *w, double g, double l1,
                               double l2) {
  double n_new = *n + g * g;
  double sqrt_new = sqrt(n_new);
  double sigma = over_alpha(p, inv_alpha, sqrt_new - sqrt_old);
  *z += g - sigma * *w;
  *n = n_new;
  *w = ftrl_weight_(p, inv_alpha, *z, sqrt_new, l1, l2);
  return sqrt_new;
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

/* The value the optimizer sees on a hashed coordinate: x / s_i when
 * normalising, with s_i the scale after this example (|x / s_i| <= 1).
 * scaled() only looks, for the margin; take_scaled() also records the new
 * scale, for the update. Both give the same bits. */
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

/* A dense coordinate's standard deviation from m2 over t examples; the one
 * expression used while learning and on load, so both give the same bits. */
static inline double dense_sd(double m2, double t) { return m2 > 0.0 ? sqrt(m2 / t) : 0.0; }

/* Standardized values are clipped to [-STD_CLIP, STD_CLIP]: a row far out
 * of the training range (a creator with 100x the largest follower count
 * seen, a rare flag 12 sd from its mean) moves the margin by at most 5 of
 * the coordinate's units. Measured on `viral gen --seed 7` data it does not
 * change the AUC (0.9720 with 5, 0.9722 without, at 200k videos) while 5-fold
 * AUC on datasets/sample.csv goes from 0.9426 to 0.9457. */
#define STD_CLIP 5.0

/* The standardized value of x on a dense coordinate, clipped (0 while sd
 * is 0). */
static inline double standardized(double x, double mean, double sd) {
  if (!(sd > 0.0)) return 0.0;
  double z = (x - mean) / sd;
  return z > STD_CLIP ? STD_CLIP : z < -STD_CLIP ? -STD_CLIP : z;
}

/* bias_w + sum_i u_i z_i(0), in index order: the margin of x = 0. z0, when
 * not NULL, holds each z_i(0) already computed from the current mean and sd. */
static double raw_bias_of(const viral_logistic *m, const double *z0) {
  double b = m->bias_w;
  for (uint32_t i = 0; i < m->dense; i++)
    b += m->w[i] * (z0 ? z0[i] : standardized(0.0, m->mean[i], m->sd[i]));
  return b;
}

void viral_logistic_refresh_(viral_logistic *m) {
  for (uint32_t i = 0; i < m->dense; i++) m->sd[i] = dense_sd(m->m2[i], (double)m->rows);
  if (m->sqrt_n)
    for (uint32_t i = 0; i < m->dense; i++) m->sqrt_n[i] = sqrt(m->n[i]);
  m->raw_bias = raw_bias_of(m, NULL);
}

/* ---- the state a batch fit leaves (logistic_batch.c) ---- */

void viral_logistic_observe_(viral_logistic *m, const viral_sparse *x) {
  const uint32_t dense = m->dense;
  double *restrict xd = m->scratch;
  if (dense) memset(xd, 0, dense * sizeof *xd);
  for (size_t k = 0; k < x->count; k++) {
    double v = x->items[k].value;
    if (v == 0.0) continue;
    if (x->items[k].index < dense) xd[x->items[k].index] += v;
    else if (m->s) (void)take_scaled(m->s, x->items[k].index & m->mask, v);
  }
  const double t = (double)(m->rows + 1);
  for (uint32_t i = 0; i < dense; i++) { /* Welford's update, as viral_logistic_learn's */
    double delta = xd[i] - m->mean[i];
    double mean1 = m->mean[i] + delta / t;
    m->m2[i] += delta * (xd[i] - mean1);
    m->mean[i] = mean1;
  }
  m->rows++;
}

double viral_logistic_zero_input_(const viral_logistic *m, uint32_t i) {
  return i < m->dense ? standardized(0.0, m->mean[i], m->sd[i]) : 0.0;
}

double viral_logistic_input_(const viral_logistic *m, uint32_t index, double value) {
  if (value == 0.0) return 0.0;
  if (index < m->dense)
    return standardized(value, m->mean[index], m->sd[index]) - standardized(0.0, m->mean[index], m->sd[index]);
  if (!m->s) return value;
  uint32_t i = index & m->mask;
  return m->s[i] > 0.0 ? value / m->s[i] : 0.0;
}

/* Coordinate state (w, z, n) that gives weight u after squared gradients
 * n: FTRL's z solves u = ftrl_weight(z, sqrt(n)) (the weight is then
 * recomputed from z, so the loader finds them consistent); AdaGrad and
 * SGD keep u itself. */
static void seed_coordinate(const viral_logistic_params *p, double u, double n, double l1, double l2,
                            double *w, double *z, double *nn) {
  if (nn) *nn = n;
  if (!z) {
    *w = u;
    return;
  }
  double scale = (p->beta + sqrt(n)) / p->alpha + l2;
  *z = u == 0.0 ? 0.0 : -u * scale - (u > 0.0 ? l1 : -l1);
  *w = viral_logistic_ftrl_weight(p, *z, sqrt(n), l1, l2);
}

void viral_logistic_seed_(viral_logistic *m, uint32_t i, double u, double n) {
  i &= m->mask;
  seed_coordinate(&m->p, u, n, m->p.l1, m->p.l2, &m->w[i], m->z ? &m->z[i] : NULL, m->n ? &m->n[i] : NULL);
}

void viral_logistic_seed_bias_(viral_logistic *m, double b, double n) {
  seed_coordinate(&m->p, b, n, 0.0, 0.0, &m->bias_w, m->z ? &m->bias_z : NULL, m->n ? &m->bias_n : NULL);
}

/* A hint to fetch the cache line at address a (rw 1: to write it). A macro:
 * gcc finds a function around __builtin_prefetch free of side effects and
 * drops the calls to it. */
#if defined(__GNUC__)
#define PREFETCH(a, rw) __builtin_prefetch((a), (rw))
#else
#define PREFETCH(a, rw) ((void)(a))
#endif

/* Dense column i after this example: Welford's update of its mean and m2
 * over t examples (mean1, m21), its sd (sd1), the example's value xd[i]
 * standardized, and the standardized value of 0 (z0, for raw_bias). */
static inline void dense_statistics(const viral_logistic *m, uint32_t i, double t, double *xd,
                                    double *mean1, double *m21, double *sd1, double *z0) {
  double delta = xd[i] - m->mean[i];
  mean1[i] = m->mean[i] + delta / t;
  m21[i] = m->m2[i] + delta * (xd[i] - mean1[i]);
  sd1[i] = dense_sd(m21[i], t);
  double x0 = xd[i];
  xd[i] = standardized(x0, mean1[i], sd1[i]);
  /* an absent value (+0: a sum of non-zero values that cancel is +0 too)
   * is already standardized(0) */
  z0[i] = x0 == 0.0 ? xd[i] : standardized(0.0, mean1[i], sd1[i]);
}

#if VIRAL_SSE2
/* The dense columns' steps are chains of divisions and square roots, which
 * the divider takes one at a time: two columns per SSE2 instruction halve
 * them. Each lane is the scalar code's operation on the same operands in
 * the same order (no fused multiply-add, the same comparisons), so the
 * results are the same bits; a lane whose scalar code would compute no
 * value there (sd 0, a column at 0) computes one and drops it. */

static inline __m128d pick(__m128d mask, __m128d yes, __m128d no) {
  return _mm_or_pd(_mm_and_pd(mask, yes), _mm_andnot_pd(mask, no));
}

/* standardized() of two values: +0 where sd is not > 0 (sd_pos false);
 * min and max in this operand order pass a NaN on as the scalar
 * comparisons do. */
static inline __m128d standardized_pair(__m128d x, __m128d mean, __m128d sd, __m128d sd_pos) {
  __m128d z = _mm_div_pd(_mm_sub_pd(x, mean), sd);
  z = _mm_max_pd(_mm_set1_pd(-STD_CLIP), _mm_min_pd(_mm_set1_pd(STD_CLIP), z));
  return _mm_and_pd(sd_pos, z);
}

/* dense_statistics of columns i and i + 1. */
static inline void dense_pair_statistics(const viral_logistic *m, uint32_t i, double t, double *xd,
                                         double *mean1, double *m21, double *sd1, double *z0) {
  const __m128d zero = _mm_setzero_pd(), tt = _mm_set1_pd(t);
  __m128d x = _mm_loadu_pd(xd + i), mean = _mm_loadu_pd(m->mean + i);
  __m128d delta = _mm_sub_pd(x, mean);
  __m128d mean1v = _mm_add_pd(mean, _mm_div_pd(delta, tt));
  __m128d m21v = _mm_add_pd(_mm_loadu_pd(m->m2 + i), _mm_mul_pd(delta, _mm_sub_pd(x, mean1v)));
  /* dense_sd: sqrt(m2 / t) where m2 > 0, else +0 */
  __m128d sd1v = _mm_and_pd(_mm_cmpgt_pd(m21v, zero), _mm_sqrt_pd(_mm_div_pd(m21v, tt)));
  __m128d sd_pos = _mm_cmpgt_pd(sd1v, zero);
  __m128d xs = standardized_pair(x, mean1v, sd1v, sd_pos);
  __m128d z0v = pick(_mm_cmpeq_pd(x, zero), xs, standardized_pair(zero, mean1v, sd1v, sd_pos));
  _mm_storeu_pd(mean1 + i, mean1v);
  _mm_storeu_pd(m21 + i, m21v);
  _mm_storeu_pd(sd1 + i, sd1v);
  _mm_storeu_pd(xd + i, xs);
  _mm_storeu_pd(z0 + i, z0v);
}

/* over_alpha of two values. */
static inline __m128d over_alpha_pair(const viral_logistic_params *p, double inv, __m128d x) {
  return inv != 0.0 ? _mm_mul_pd(x, _mm_set1_pd(inv)) : _mm_div_pd(x, _mm_set1_pd(p->alpha));
}

/* ftrl_step on dense columns i and i + 1 with gradients gm * xd where xd
 * is not 0 (a column at 0 keeps its state, as in the scalar loop). */
static inline void ftrl_dense_pair(const viral_logistic_params *p, double inv, uint32_t i,
                                   double *z, double *n, double *rn, double *w, const double *xd,
                                   double gm) {
  const __m128d zero = _mm_setzero_pd(), sign = _mm_set1_pd(-0.0);
  const __m128d l1 = _mm_set1_pd(p->l1), l2 = _mm_set1_pd(p->l2);
  __m128d x = _mm_loadu_pd(xd + i), step = _mm_cmpneq_pd(x, zero);
  __m128d g = _mm_mul_pd(_mm_set1_pd(gm), x);
  __m128d n_old = _mm_loadu_pd(n + i), w_old = _mm_loadu_pd(w + i), z_old = _mm_loadu_pd(z + i);
  __m128d rn_old = _mm_loadu_pd(rn + i);
  __m128d n_new = _mm_add_pd(n_old, _mm_mul_pd(g, g));
  __m128d sqrt_new = _mm_sqrt_pd(n_new);
  __m128d sigma = over_alpha_pair(p, inv, _mm_sub_pd(sqrt_new, rn_old));
  __m128d z_new = _mm_add_pd(z_old, _mm_sub_pd(g, _mm_mul_pd(sigma, w_old)));
  /* ftrl_weight_: +0 where |z| <= l1, else -(z -+ l1) / ((beta + sqrt n) / alpha + l2) */
  __m128d weak = _mm_cmple_pd(_mm_andnot_pd(sign, z_new), l1);
  __m128d shrunk = pick(_mm_cmpgt_pd(z_new, zero), _mm_sub_pd(z_new, l1), _mm_add_pd(z_new, l1));
  __m128d den = _mm_add_pd(over_alpha_pair(p, inv, _mm_add_pd(_mm_set1_pd(p->beta), sqrt_new)), l2);
  __m128d w_new = _mm_andnot_pd(weak, _mm_div_pd(_mm_xor_pd(shrunk, sign), den));
  _mm_storeu_pd(z + i, pick(step, z_new, z_old));
  _mm_storeu_pd(n + i, pick(step, n_new, n_old));
  _mm_storeu_pd(w + i, pick(step, w_new, w_old));
  _mm_storeu_pd(rn + i, pick(step, sqrt_new, rn_old));
}
#endif

double viral_logistic_learn(viral_logistic *m, const viral_sparse *x, double y, double c) {
  if (!(y == 0.0 || y == 1.0) || !nonneg(c)) return NAN;
  const viral_feature *it = x->items;
  const size_t count = x->count;
  const uint32_t dense = m->dense;
  double *restrict w = m->w, *restrict s = m->s;
  /* scratch: xd [dense] this example's dense values, then standardized;
   * mean1, m21, sd1 [dense] the statistics after this example; z0 [dense]
   * the standardized value of 0 with them (for raw_bias). Without dense
   * coordinates there is no scratch, and NULL + 0 is undefined. */
  double *restrict xd = m->scratch, *restrict mean1 = NULL, *restrict m21 = NULL,
                 *restrict sd1 = NULL, *restrict z0 = NULL;
  if (dense) {
    mean1 = xd + dense;
    m21 = mean1 + dense;
    sd1 = m21 + dense;
    z0 = sd1 + dense;
  }
  /* Pass 1: the margin with the scales this example will leave behind, so
   * prediction and update see the same inputs; nothing is written to the
   * state yet, so a non-finite value can still be refused with the learner
   * untouched. */
  if (dense) memset(xd, 0, dense * sizeof *xd);
  for (size_t k = 0; k < count; k++) {
    double v = it[k].value;
    if (v == 0.0) continue; /* an unfinished vector's zero: no effect */
    if (it[k].index < dense) {
      xd[it[k].index] += v;
      continue;
    }
    /* the hashed coordinates' state is scattered over four arrays of
     * 2^bits, a cache miss each: asked for here, it arrives while the
     * dense columns are worked out */
    uint32_t i = it[k].index & m->mask;
    PREFETCH(&w[i], 1);
    if (s) PREFETCH(&s[i], 1);
    if (m->z) PREFETCH(&m->z[i], 1);
    if (m->n) PREFETCH(&m->n[i], 1);
  }
  const double t = (double)(m->rows + 1); /* examples including this one */
  uint32_t i = 0;
#if VIRAL_SSE2
  for (; i + 1 < dense; i += 2) dense_pair_statistics(m, i, t, xd, mean1, m21, sd1, z0);
#endif
  for (; i < dense; i++) dense_statistics(m, i, t, xd, mean1, m21, sd1, z0);
  /* the margin: the intercept, the hashed terms, then the dense ones */
  double margin = m->bias_w;
  for (size_t k = 0; k < count; k++) {
    if (it[k].value == 0.0 || it[k].index < dense) continue;
    i = it[k].index & m->mask;
    margin += w[i] * scaled(s, i, it[k].value);
  }
  for (i = 0; i < dense; i++) margin += w[i] * xd[i];
  if (!isfinite(margin)) return NAN;
  double p = sigmoid(margin);
  double gm = c * (p - y); /* d(c * logloss) / d margin */
  const viral_logistic_params *par = &m->p;
  m->rows++;

  /* Pass 2: commit the statistics, then update every dense coordinate, every
   * present hashed one (and its scale) and the intercept. One loop per
   * optimizer so that the step inlines. */
  for (i = 0; i < dense; i++) {
    m->mean[i] = mean1[i];
    m->m2[i] = m21[i];
    m->sd[i] = sd1[i];
  }
  const double l1 = par->l1, l2 = par->l2;
  switch (par->optimizer) {
  case VIRAL_LOGISTIC_FTRL: {
    double *restrict z = m->z, *restrict n = m->n, *restrict rn = m->sqrt_n;
    const double inv = exact_reciprocal(par->alpha);
    i = 0;
#if VIRAL_SSE2
    for (; i + 1 < dense; i += 2) ftrl_dense_pair(par, inv, i, z, n, rn, w, xd, gm);
#endif
    for (; i < dense; i++)
      if (xd[i] != 0.0) rn[i] = ftrl_step(par, inv, &z[i], &n[i], rn[i], &w[i], gm * xd[i], l1, l2);
    for (size_t k = 0; k < count; k++) {
      if (it[k].value == 0.0 || it[k].index < dense) continue;
      uint32_t i = it[k].index & m->mask;
      ftrl_step(par, inv, &z[i], &n[i], sqrt(n[i]), &w[i], gm * take_scaled(s, i, it[k].value),
                l1, l2);
    }
    ftrl_step(par, inv, &m->bias_z, &m->bias_n, sqrt(m->bias_n), &m->bias_w, gm, 0.0, 0.0);
    break;
  }
  case VIRAL_LOGISTIC_ADAGRAD: {
    double *restrict n = m->n;
    for (i = 0; i < dense; i++)
      if (xd[i] != 0.0) adagrad_step(par, &n[i], &w[i], gm * xd[i], l1, l2);
    for (size_t k = 0; k < count; k++) {
      if (it[k].value == 0.0 || it[k].index < dense) continue;
      uint32_t i = it[k].index & m->mask;
      adagrad_step(par, &n[i], &w[i], gm * take_scaled(s, i, it[k].value), l1, l2);
    }
    adagrad_step(par, &m->bias_n, &m->bias_w, gm, 0.0, 0.0);
    break;
  }
  case VIRAL_LOGISTIC_SGD: {
    /* eta_t = alpha / sqrt(t), t counting this example: one sqrt per row. */
    const double eta = par->alpha / sqrt(t);
    for (i = 0; i < dense; i++)
      if (xd[i] != 0.0) w[i] = prox(w[i] - eta * gm * xd[i], eta, l1, l2);
    for (size_t k = 0; k < count; k++) {
      if (it[k].value == 0.0 || it[k].index < dense) continue;
      uint32_t i = it[k].index & m->mask;
      w[i] = prox(w[i] - eta * gm * take_scaled(s, i, it[k].value), eta, l1, l2);
    }
    m->bias_w -= eta * gm;
    break;
  }
  }
  m->raw_bias = raw_bias_of(m, dense ? z0 : NULL);
  return p;
}

/* ---- prediction ---- */

/* The weight on the raw value of coordinate i: u_i / sd_i (dense) or
 * u_i / s_i. A coordinate never seen has a zero scale and u_i = 0; it
 * contributes nothing (not 0/0). */
static inline double raw_weight(const viral_logistic *m, uint32_t i) {
  if (i < m->dense) return m->sd[i] > 0.0 ? m->w[i] / m->sd[i] : 0.0;
  if (!m->s) return m->w[i];
  return m->s[i] > 0.0 ? m->w[i] / m->s[i] : 0.0;
}

double viral_logistic_margin(const viral_logistic *m, const viral_sparse *x) {
  return viral_logistic_contributions(m, x, NULL);
}

double viral_logistic_predict(const viral_logistic *m, const viral_sparse *x) {
  return sigmoid(viral_logistic_margin(m, x));
}

/* A hashed (or unstandardized) coordinate's share of the margin: u_i * (x /
 * scale_i), the product the learner itself uses; not (u_i / scale_i) * x,
 * which may differ in the last bit. */
static double hashed_share(const viral_logistic *m, uint32_t i, double v) {
  if (m->s) return m->s[i] > 0.0 ? m->w[i] * (v / m->s[i]) : 0.0;
  return m->w[i] * v;
}

double viral_logistic_contributions(const viral_logistic *m, const viral_sparse *x, double *out) {
  /* The intercept on raw values holds every dense coordinate's share at
   * x_i = 0, so an absent dense coordinate needs no term. */
  double margin = m->raw_bias;
  const uint32_t dense = m->dense;
  for (size_t k = 0; k < x->count; k++) {
    uint32_t raw = x->items[k].index, i = raw & m->mask;
    double v = x->items[k].value;
    double share = 0.0;
    if (v == 0.0) share = 0.0;
    else if (raw < dense)
      share = m->w[raw] * (standardized(v, m->mean[raw], m->sd[raw]) -
                           standardized(0.0, m->mean[raw], m->sd[raw]));
    else share = hashed_share(m, i, v);
    if (out) out[k] = share;
    margin += share;
  }
  return margin;
}

double viral_logistic_effects(const viral_logistic *m, const viral_sparse *x, double *out) {
  for (size_t k = 0; k < x->count; k++) {
    uint32_t raw = x->items[k].index;
    double v = x->items[k].value;
    if (raw < m->dense) out[k] = m->w[raw] * standardized(v, m->mean[raw], m->sd[raw]);
    else out[k] = v == 0.0 ? 0.0 : hashed_share(m, raw & m->mask, v);
  }
  return m->bias_w;
}

double viral_logistic_weight(const viral_logistic *m, uint32_t index) {
  return raw_weight(m, index & m->mask);
}

double viral_logistic_bias(const viral_logistic *m) { return m->raw_bias; }

size_t viral_logistic_nonzero(const viral_logistic *m) {
  size_t count = 0;
  for (size_t i = 0; i < m->dim; i++) count += m->w[i] != 0.0;
  return count;
}

uint64_t viral_logistic_rows(const viral_logistic *m) { return m->rows; }

/* ---- batch passes ---- */

/* Uniform in [0, bound) without modulo bias. */
static uint64_t below(uint64_t *state, uint64_t bound) {
  uint64_t threshold = (0 - bound) % bound;
  for (;;) {
    uint64_t r = splitmix64_next(state);
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
      else if (m->p.passes == 0 && ds->items[k].index > m->mask)
        return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                               "row %zu: feature %u is beyond the 2^%d weights (the batch optimum "
                               "does not fold indices)", r + 1, (unsigned)ds->items[k].index, m->bits);
  }
  if (m->p.passes == 0) return logistic_batch_train(m, ds, err);
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
