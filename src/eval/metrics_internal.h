/* metrics_internal.h - shared between metrics.c (pointwise metrics, the
 * summary) and metrics_rank.c (metrics that need the rows sorted by prob).
 * Not API: see include/viral/metrics.h. */
#ifndef VIRAL_METRICS_INTERNAL_H
#define VIRAL_METRICS_INTERNAL_H

#include <stddef.h>

#include "viral/error.h"
#include "viral/metrics.h"

/* One row in ranked order. */
typedef struct metrics_item {
  double p;      /* predicted probability */
  size_t row;    /* index in the caller's arrays: breaks ties for the top-k cut */
  int positive;  /* label == 1 */
} metrics_item;

/* The rows sorted by p decreasing, equal p by row increasing. */
typedef struct metrics_ranking {
  metrics_item *items; /* [n] */
  size_t n;
  size_t positives;
} metrics_ranking;

/* VIRAL_OK, or VIRAL_ERR_INVALID naming the first row whose label is not
 * exactly 0 or 1 or whose prob is not in [0, 1] (NaN included). probs NULL:
 * labels only. Asserts the arrays are there when n > 0. */
int metrics_check(const double *labels, const double *probs, size_t n, viral_error *err);

/* VIRAL_METRIC_UNDEFINED for a NAN value, else VIRAL_OK. */
int metrics_status(double value);

/* Sort checked rows into r (r->items allocated; metrics_ranking_release()).
 * VIRAL_OK or VIRAL_ERR_NOMEM with err set. */
int metrics_ranking_build(const double *labels, const double *probs, size_t n,
                          metrics_ranking *r, viral_error *err);
void metrics_ranking_release(metrics_ranking *r);

/* The ranking metrics on a built ranking; NAN where undefined (see metrics.h). */
double metrics_ranking_auc(const metrics_ranking *r);
double metrics_ranking_ap(const metrics_ranking *r);
void metrics_ranking_best_f1(const metrics_ranking *r, double *threshold, double *f1);
void metrics_ranking_at_k(const metrics_ranking *r, size_t k, double *precision, double *recall);

#endif
