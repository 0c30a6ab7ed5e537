/* logistic_spread.c - the online logistic learner's synchronisation over
 * the processes of an MPI job (learn/logistic_spread.h). */
#include "learn/logistic_spread.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/welford.h"
#include "viral/dist.h"

/* The base: [dim] each coordinate's squared gradients n (0 without), the
 * intercept's, then [dense] mean, m2, then rows. */
static double *base_mean(const viral_logistic *m, double *base) { return base + m->dim + 1; }
static double *base_m2(const viral_logistic *m, double *base) { return base + m->dim + 1 + m->dense; }
static double *base_rows(const viral_logistic *m, double *base) { return base + m->dim + 1 + 2 * (size_t)m->dense; }

static void copy_to_base(const viral_logistic *m, double *base) {
  if (m->n) memcpy(base, m->n, m->dim * sizeof *base);
  else memset(base, 0, m->dim * sizeof *base);
  base[m->dim] = m->n ? m->bias_n : 0;
  memcpy(base_mean(m, base), m->mean, m->dense * sizeof *base);
  memcpy(base_m2(m, base), m->m2, m->dense * sizeof *base);
  *base_rows(m, base) = (double)m->rows;
}

int logistic_spread_start(logistic_spread *s, const viral_logistic *m, viral_error *err) {
  s->size = m->dim + 2 + 2 * (size_t)m->dense;
  if (!(s->base = malloc(s->size * sizeof *s->base)))
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  copy_to_base(m, s->base);
  return VIRAL_OK;
}

void logistic_spread_release(logistic_spread *s) {
  free(s->base);
  s->base = NULL;
}

/* The rows this process saw since the base, as (n, mean, m2) of dense
 * coordinate i: the pairwise rule run backwards. */
static void own_part(const viral_logistic *m, double *base, uint32_t i, double part[3]) {
  double n0 = *base_rows(m, base), mean0 = base_mean(m, base)[i], m20 = base_m2(m, base)[i];
  double n = (double)m->rows, nb = n - n0;
  part[0] = nb;
  part[1] = part[2] = 0;
  if (nb <= 0) return;
  part[1] = mean0 + (m->mean[i] - mean0) * n / nb;
  double delta = part[1] - mean0;
  part[2] = m->m2[i] - m20 - delta * delta * n0 * nb / n;
}

/* Every process's rows since the base merged onto it: m's mean, m2, rows. */
static int merge_statistics(viral_logistic *m, double *base, viral_error *err) {
  size_t dense = m->dense, len = 3 * dense * sizeof(double);
  double *mine = malloc(len ? len : 1);
  char *all = NULL;
  size_t total = 0;
  int rc = mine ? VIRAL_OK : viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  for (uint32_t i = 0; mine && i < dense; i++) own_part(m, base, i, mine + 3 * (size_t)i);
  uint64_t rows = m->rows - (uint64_t)*base_rows(m, base);
  if ((rc = viral_dist_agree(rc, 0, err)) == VIRAL_OK) rc = viral_dist_sum(&rows, 1, err);
  if (rc == VIRAL_OK && dense) rc = viral_dist_allgather(mine, len, &all, &total, err);
  free(mine);
  if (rc != VIRAL_OK) return rc;
  for (uint32_t i = 0; i < dense; i++) {
    double n = *base_rows(m, base), mean = base_mean(m, base)[i], m2 = base_m2(m, base)[i];
    for (size_t at = 0; at + len <= total; at += len) {
      double part[3];
      memcpy(part, all + at + 3 * (size_t)i * sizeof(double), sizeof part);
      welford_merge(&n, &mean, &m2, part[0], part[1], part[2]);
    }
    m->mean[i] = mean;
    m->m2[i] = m2;
  }
  free(all);
  m->rows = (uint64_t)*base_rows(m, base) + rows;
  return VIRAL_OK;
}

/* The processes' models averaged: the weights, and each coordinate's
 * squared gradients since the base; the optimizer's state seeded to give
 * those weights with those sums (viral_logistic_seed_: FTRL's z solved for
 * them). */
static int average_weights(viral_logistic *m, const double *base, viral_error *err) {
  double bias[2] = {m->bias_w, m->n ? m->bias_n - base[m->dim] : 0};
  int rc = viral_dist_sum_double(m->w, m->dim, err);
  if (rc == VIRAL_OK && m->n) {
    for (size_t i = 0; i < m->dim; i++) m->n[i] -= base[i];
    rc = viral_dist_sum_double(m->n, m->dim, err);
  }
  if (rc == VIRAL_OK) rc = viral_dist_sum_double(bias, 2, err);
  if (rc != VIRAL_OK) return rc;
  double processes = viral_dist_size();
  for (size_t i = 0; i < m->dim; i++)
    viral_logistic_seed_(m, (uint32_t)i, m->w[i] / processes, m->n ? base[i] + m->n[i] / processes : 0);
  viral_logistic_seed_bias_(m, bias[0] / processes, m->n ? base[m->dim] + bias[1] / processes : 0);
  return VIRAL_OK;
}

int logistic_spread_sync(logistic_spread *s, viral_logistic *m, viral_error *err) {
  if (viral_dist_size() == 1) return VIRAL_OK; /* nothing to merge: the same bits */
  int rc = merge_statistics(m, s->base, err);
  if (rc == VIRAL_OK) rc = average_weights(m, s->base, err);
  if (rc == VIRAL_OK && m->s) rc = viral_dist_max_double(m->s, m->dim, err);
  if (rc != VIRAL_OK) return rc;
  viral_logistic_refresh_(m);
  copy_to_base(m, s->base);
  return VIRAL_OK;
}
