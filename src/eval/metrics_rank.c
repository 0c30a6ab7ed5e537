/* metrics_rank.c - the metrics that need the rows ranked by probability: ROC
 * AUC, average precision, best F1, precision/recall@k and the curves
 * (include/viral/metrics.h). All of them walk the same sorted array one
 * group of equal probabilities at a time, so ties are one threshold. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "eval/metrics_internal.h"

/* ---- ranking ---- */

/* p decreasing; equal p by row increasing, which only the top-k cut sees. */
static int by_rank(const void *a, const void *b) {
  const metrics_item *x = a, *y = b;
  if (x->p != y->p) return x->p > y->p ? -1 : 1;
  return (x->row > y->row) - (x->row < y->row);
}

int metrics_ranking_build(const double *labels, const double *probs, size_t n,
                          metrics_ranking *r, viral_error *err) {
  r->n = n;
  r->positives = 0;
  r->items = n <= SIZE_MAX / sizeof *r->items ? malloc((n ? n : 1) * sizeof *r->items) : NULL;
  if (!r->items)
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory ranking %zu rows", n);
  for (size_t i = 0; i < n; i++) {
    r->items[i].p = probs[i];
    r->items[i].row = i;
    r->items[i].positive = labels[i] == 1.0;
    r->positives += (size_t)r->items[i].positive;
  }
  qsort(r->items, n, sizeof *r->items, by_rank);
  return VIRAL_OK;
}

void metrics_ranking_release(metrics_ranking *r) {
  free(r->items);
  r->items = NULL;
  r->n = r->positives = 0;
}

/* Walks the ranking one group of equal p at a time; zero-initialise. After
 * each step tp/fp count the rows with prob >= p (the group included). */
typedef struct sweep {
  size_t next;     /* first item of the next group */
  double p;        /* the group's probability */
  size_t pos, neg; /* rows of each class in the group */
  size_t tp, fp;   /* cumulative through the group */
} sweep;

static int sweep_next(const metrics_ranking *r, sweep *s) {
  if (s->next >= r->n) return 0;
  size_t i = s->next;
  s->p = r->items[i].p;
  s->pos = s->neg = 0;
  for (; i < r->n && r->items[i].p == s->p; i++) {
    if (r->items[i].positive) s->pos++;
    else s->neg++;
  }
  s->next = i;
  s->tp += s->pos;
  s->fp += s->neg;
  return 1;
}

static size_t count_groups(const metrics_ranking *r) {
  size_t groups = 0;
  for (size_t i = 0; i < r->n; i++)
    if (i == 0 || r->items[i].p != r->items[i - 1].p) groups++;
  return groups;
}

/* ---- metrics on a ranking ---- */

double metrics_ranking_auc(const metrics_ranking *r) {
  size_t pos = r->positives, neg = r->n - r->positives;
  if (pos == 0 || neg == 0) return NAN;
  /* Mann-Whitney: each (positive, negative) pair scores 1 when the positive
   * is higher, 1/2 when tied. Counted doubled so it stays an exact integer
   * (2*pos*neg fits in 64 bits up to billions of rows). */
  uint64_t twice_u = 0;
  sweep s = {0};
  while (sweep_next(r, &s)) {
    uint64_t above = s.tp - s.pos; /* positives strictly higher than the group */
    twice_u += (uint64_t)s.neg * (2 * above + s.pos);
  }
  return (double)twice_u / (2.0 * (double)pos * (double)neg);
}

double metrics_ranking_ap(const metrics_ranking *r) {
  if (r->positives == 0) return NAN;
  double ap = 0.0;
  sweep s = {0};
  while (sweep_next(r, &s))
    if (s.pos > 0) /* recall rises by pos/P; precision at this threshold */
      ap += ((double)s.pos / (double)r->positives) * ((double)s.tp / (double)(s.tp + s.fp));
  return ap;
}

void metrics_ranking_best_f1(const metrics_ranking *r, double *threshold, double *f1) {
  *threshold = *f1 = NAN;
  if (r->positives == 0) return;
  size_t P = r->positives, best_tp = 0, best_fp = 0;
  sweep s = {0};
  while (sweep_next(r, &s)) {
    /* F1 = 2tp / (P + tp + fp); compare the fractions exactly in integers so
     * a tie really is a tie, and keep the first (highest) threshold on ties. */
    uint64_t lhs = (uint64_t)s.tp * (P + best_tp + best_fp);
    uint64_t rhs = (uint64_t)best_tp * (P + s.tp + s.fp);
    if (isnan(*threshold) || lhs > rhs) {
      *threshold = s.p;
      best_tp = s.tp;
      best_fp = s.fp;
    }
  }
  viral_confusion cm = {.tp = best_tp, .fp = best_fp, .fn = P - best_tp,
                        .tn = r->n - P - best_fp};
  *f1 = viral_confusion_f1(&cm);
}

void metrics_ranking_at_k(const metrics_ranking *r, size_t k, double *precision, double *recall) {
  size_t used = k < r->n ? k : r->n;
  if (used == 0) {
    *precision = *recall = NAN;
    return;
  }
  size_t hits = 0;
  for (size_t i = 0; i < used; i++) hits += (size_t)r->items[i].positive;
  *precision = (double)hits / (double)used;
  *recall = r->positives ? (double)hits / (double)r->positives : 0.0;
}

/* ---- public single-metric functions ---- */

/* Check, rank, and hand back a status for the caller to return. */
static int rank_checked(const double *labels, const double *probs, size_t n, metrics_ranking *r,
                        viral_error *err) {
  r->items = NULL;
  int rc = metrics_check(labels, probs, n, err);
  if (rc != VIRAL_OK) return rc;
  return metrics_ranking_build(labels, probs, n, r, err);
}

/* Check, rank, and apply one metric that yields a single value. */
static int ranked_value(const double *labels, const double *probs, size_t n,
                        double (*metric)(const metrics_ranking *), double *out, viral_error *err) {
  metrics_ranking r;
  *out = NAN;
  int rc = rank_checked(labels, probs, n, &r, err);
  if (rc == VIRAL_OK) rc = metrics_status(*out = metric(&r));
  metrics_ranking_release(&r);
  return rc;
}

int viral_metrics_roc_auc(const double *labels, const double *probs, size_t n, double *out,
                          viral_error *err) {
  return ranked_value(labels, probs, n, metrics_ranking_auc, out, err);
}

int viral_metrics_average_precision(const double *labels, const double *probs, size_t n,
                                    double *out, viral_error *err) {
  return ranked_value(labels, probs, n, metrics_ranking_ap, out, err);
}

int viral_metrics_best_f1(const double *labels, const double *probs, size_t n,
                          double *threshold, double *f1, viral_error *err) {
  metrics_ranking r;
  *threshold = *f1 = NAN;
  int rc = rank_checked(labels, probs, n, &r, err);
  if (rc == VIRAL_OK) {
    metrics_ranking_best_f1(&r, threshold, f1);
    rc = metrics_status(*f1);
  }
  metrics_ranking_release(&r);
  return rc;
}

int viral_metrics_at_k(const double *labels, const double *probs, size_t n, size_t k,
                       double *precision, double *recall, viral_error *err) {
  metrics_ranking r;
  double p = NAN, q = NAN;
  int rc = rank_checked(labels, probs, n, &r, err);
  if (rc == VIRAL_OK) {
    metrics_ranking_at_k(&r, k, &p, &q);
    rc = metrics_status(p);
  }
  metrics_ranking_release(&r);
  if (precision) *precision = p;
  if (recall) *recall = q;
  return rc;
}

/* ---- curves ---- */

void viral_curve_init(viral_curve *curve) {
  curve->count = 0;
  curve->x = curve->y = curve->threshold = NULL;
}

void viral_curve_release(viral_curve *curve) {
  if (!curve) return;
  free(curve->x);
  free(curve->y);
  free(curve->threshold);
  viral_curve_init(curve);
}

static int curve_alloc(viral_curve *curve, size_t count, viral_error *err) {
  viral_curve_release(curve);
  size_t bytes = (count ? count : 1) * sizeof(double);
  curve->x = malloc(bytes);
  curve->y = malloc(bytes);
  curve->threshold = malloc(bytes);
  if (!curve->x || !curve->y || !curve->threshold) {
    viral_curve_release(curve);
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0,
                           "out of memory for a curve of %zu points", count);
  }
  curve->count = count;
  return VIRAL_OK;
}

enum curve_kind { CURVE_ROC, CURVE_PR };

static int make_curve(const double *labels, const double *probs, size_t n, enum curve_kind kind,
                      viral_curve *curve, viral_error *err) {
  viral_curve_release(curve);
  metrics_ranking r;
  sweep s = {0};
  int rc = rank_checked(labels, probs, n, &r, err);
  if (rc != VIRAL_OK) goto done;
  double pos = (double)r.positives, neg = (double)(r.n - r.positives);
  if (pos == 0 || (kind == CURVE_ROC && neg == 0)) {
    rc = VIRAL_METRIC_UNDEFINED;
    goto done;
  }
  size_t at = kind == CURVE_ROC ? 1 : 0; /* ROC starts at (0, 0) */
  rc = curve_alloc(curve, count_groups(&r) + at, err);
  if (rc != VIRAL_OK) goto done;
  if (kind == CURVE_ROC) {
    curve->x[0] = curve->y[0] = 0.0;
    curve->threshold[0] = INFINITY;
  }
  for (; sweep_next(&r, &s); at++) {
    curve->threshold[at] = s.p;
    if (kind == CURVE_ROC) {
      curve->x[at] = (double)s.fp / neg;
      curve->y[at] = (double)s.tp / pos;
    } else {
      curve->x[at] = (double)s.tp / pos;
      curve->y[at] = (double)s.tp / (double)(s.tp + s.fp);
    }
  }
done:
  metrics_ranking_release(&r);
  return rc;
}

int viral_metrics_roc_curve(const double *labels, const double *probs, size_t n,
                            viral_curve *curve, viral_error *err) {
  return make_curve(labels, probs, n, CURVE_ROC, curve, err);
}

int viral_metrics_pr_curve(const double *labels, const double *probs, size_t n,
                           viral_curve *curve, viral_error *err) {
  return make_curve(labels, probs, n, CURVE_PR, curve, err);
}
