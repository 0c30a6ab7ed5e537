/* gen_random.c - PRNG and samplers for the generator (see gen_random.h). */
#include "data/gen_random.h"
#include "io/random.h"

#include <math.h>
#include <stdlib.h>

void gen_rng_seed(gen_rng *rng, uint64_t a, uint64_t b, uint64_t c) {
  /* Chain the three inputs through splitmix64 so nearby tuples (video 7 and
   * video 8) start far apart. */
  uint64_t x = a;
  uint64_t h = splitmix64_next(&x);
  x = h ^ b;
  h = splitmix64_next(&x);
  x = h ^ c;
  for (int i = 0; i < 4; i++) rng->s[i] = splitmix64_next(&x);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t gen_rng_u64(gen_rng *rng) {
  uint64_t *s = rng->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double gen_rng_uniform(gen_rng *rng) {
  return ((double)(gen_rng_u64(rng) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

double gen_rng_normal(gen_rng *rng) {
  double u, v, s;
  do {
    u = 2.0 * gen_rng_uniform(rng) - 1.0;
    v = 2.0 * gen_rng_uniform(rng) - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  /* The second value of the pair is dropped: keeping it would put hidden
   * state outside the four words a simulation copies for the oracle. */
  return u * sqrt(-2.0 * log(s) / s);
}

double gen_rng_lognormal(gen_rng *rng, double mu, double sigma) {
  return exp(mu + sigma * gen_rng_normal(rng));
}

double gen_rng_pareto(gen_rng *rng, double xm, double alpha) {
  return xm * exp(-log(gen_rng_uniform(rng)) / alpha);
}

double gen_rng_exponential(gen_rng *rng, double mean) {
  return -mean * log(gen_rng_uniform(rng));
}

/* Above this mean the rounded normal is within a few percent of the Poisson
 * or binomial in every quantile the model cares about. */
#define EXACT_MEAN_LIMIT 20.0

uint64_t gen_rng_poisson(gen_rng *rng, double mean) {
  if (!(mean > 0)) return 0;
  if (mean < EXACT_MEAN_LIMIT) {
    double u = gen_rng_uniform(rng), p = exp(-mean), cdf = p;
    uint64_t k = 0;
    while (u > cdf && k < 1000) {
      k++;
      p *= mean / (double)k;
      cdf += p;
    }
    return k;
  }
  double x = floor(mean + sqrt(mean) * gen_rng_normal(rng) + 0.5);
  return x < 0 ? 0 : (uint64_t)x;
}

uint64_t gen_rng_binomial(gen_rng *rng, uint64_t n, double p) {
  if (n == 0 || !(p > 0)) return 0;
  if (p >= 1) return n;
  if (p > 0.5) return n - gen_rng_binomial(rng, n, 1.0 - p);
  double dn = (double)n, mean = dn * p;
  if (mean < EXACT_MEAN_LIMIT) {
    /* Inversion by the recurrence P(k+1) = P(k) (n-k)/(k+1) p/q; q^n does
     * not underflow because n p < 20 and p <= 1/2. */
    double q = 1.0 - p, s = p / q, a = (dn + 1.0) * s;
    double r = exp(dn * log1p(-p)), u = gen_rng_uniform(rng);
    uint64_t k = 0;
    while (u > r && k < n) {
      u -= r;
      k++;
      r *= a / (double)k - s;
      if (r <= 0) break;
    }
    return k;
  }
  double x = floor(mean + sqrt(mean * (1.0 - p)) * gen_rng_normal(rng) + 0.5);
  if (x < 0) return 0;
  if (x > dn) return n;
  return (uint64_t)x;
}

int gen_table_zipf(gen_table *t, uint32_t n, double s) {
  t->n = n;
  t->cdf = malloc(sizeof *t->cdf * n);
  if (!t->cdf) return -1;
  double sum = 0;
  for (uint32_t i = 0; i < n; i++) {
    sum += pow((double)i + 1.0, -s);
    t->cdf[i] = sum;
  }
  for (uint32_t i = 0; i < n; i++) t->cdf[i] /= sum;
  t->cdf[n - 1] = 1.0;
  return 0;
}

uint32_t gen_table_draw(const gen_table *t, gen_rng *rng) {
  double u = gen_rng_uniform(rng);
  uint32_t lo = 0, hi = t->n - 1; /* first i with u <= cdf[i] */
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (u <= t->cdf[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

void gen_table_release(gen_table *t) {
  free(t->cdf);
  t->cdf = NULL;
  t->n = 0;
}
