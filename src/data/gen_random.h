/* gen_random.h - the generator's own PRNG and samplers (internal).
 *
 * xoshiro256** seeded through splitmix64, so a stream is fixed by its seed on
 * every machine. Samplers are exact for small means and switch to the normal
 * approximation for large ones (documented in datasets/README.md): the
 * simulation draws hundreds of counts per video and must stay fast. */
#ifndef VIRAL_GEN_RANDOM_H
#define VIRAL_GEN_RANDOM_H

#include <stdint.h>

typedef struct gen_rng {
  uint64_t s[4];
} gen_rng;

/* Seed a stream from up to three numbers (e.g. seed, video, purpose):
 * different tuples give independent-looking streams. */
void gen_rng_seed(gen_rng *rng, uint64_t a, uint64_t b, uint64_t c);
uint64_t gen_rng_u64(gen_rng *rng);
/* Uniform in the open interval (0, 1). */
double gen_rng_uniform(gen_rng *rng);
/* Standard normal (Marsaglia's polar method). */
double gen_rng_normal(gen_rng *rng);
/* exp(mu + sigma * Z). */
double gen_rng_lognormal(gen_rng *rng, double mu, double sigma);
/* Pareto with scale xm and tail index alpha: P(X > x) = (xm / x)^alpha. */
double gen_rng_pareto(gen_rng *rng, double xm, double alpha);
/* Exponential with the given mean. */
double gen_rng_exponential(gen_rng *rng, double mean);
/* Poisson(mean): inversion below mean 20, rounded normal above. */
uint64_t gen_rng_poisson(gen_rng *rng, double mean);
/* Binomial(n, p): inversion when n*min(p,1-p) < 20, rounded normal clamped
 * to [0, n] above. */
uint64_t gen_rng_binomial(gen_rng *rng, uint64_t n, double p);

/* A discrete distribution over 0..n-1 by its cumulative weights. */
typedef struct gen_table {
  double *cdf; /* [n], cdf[n-1] == 1 */
  uint32_t n;
} gen_table;

/* Zipf-like weights 1/(rank+1)^s over n items. Returns 0, or -1 out of
 * memory. */
int gen_table_zipf(gen_table *t, uint32_t n, double s);
uint32_t gen_table_draw(const gen_table *t, gen_rng *rng);
void gen_table_release(gen_table *t);

#endif
