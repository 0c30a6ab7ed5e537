/* metrics.c - input checks, the metrics computed in one pass over the rows
 * (log loss, Brier, confusion matrix, calibration), statistics over folds,
 * and viral_metrics_compute() (include/viral/metrics.h). The ranking metrics
 * are in metrics_rank.c. */
#include <math.h>
#include <string.h>

#include "eval/metrics_internal.h"

/* ---- input ---- */

int metrics_check(const double *labels, const double *probs, size_t n, viral_error *err) {
  VIRAL_ASSERT(n == 0 || labels);
  for (size_t i = 0; i < n; i++) {
    if (labels[i] != 0.0 && labels[i] != 1.0)
      return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "index %zu: label %g is not 0 or 1",
                             i, labels[i]);
    if (probs && !(probs[i] >= 0.0 && probs[i] <= 1.0)) /* NaN fails both */
      return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                             "index %zu: probability %g is not in [0, 1]", i, probs[i]);
  }
  return VIRAL_OK;
}

/* ---- compensated sums ----
 * Means over a million rows: Neumaier's summation keeps the error at a few
 * ulps whatever the order, so results agree with other tools to ~1e-15. */

typedef struct ksum {
  double sum, carry;
} ksum;

static void ksum_add(ksum *k, double x) {
  double t = k->sum + x;
  if (fabs(k->sum) >= fabs(x)) k->carry += (k->sum - t) + x;
  else k->carry += (x - t) + k->sum;
  k->sum = t;
}

static double ksum_value(const ksum *k) { return k->sum + k->carry; }

/* ---- pointwise metrics (rows checked) ---- */

static double log_loss_of(const double *labels, const double *probs, size_t n) {
  if (n == 0) return NAN;
  ksum k = {0, 0};
  for (size_t i = 0; i < n; i++) {
    double p = probs[i];
    if (p < VIRAL_LOGLOSS_EPS) p = VIRAL_LOGLOSS_EPS;
    if (p > 1.0 - VIRAL_LOGLOSS_EPS) p = 1.0 - VIRAL_LOGLOSS_EPS;
    ksum_add(&k, -log(labels[i] == 1.0 ? p : 1.0 - p));
  }
  return ksum_value(&k) / (double)n;
}

static double brier_of(const double *labels, const double *probs, size_t n) {
  if (n == 0) return NAN;
  ksum k = {0, 0};
  for (size_t i = 0; i < n; i++) {
    double d = probs[i] - labels[i];
    ksum_add(&k, d * d);
  }
  return ksum_value(&k) / (double)n;
}

static size_t positives_of(const double *labels, size_t n) {
  size_t pos = 0;
  for (size_t i = 0; i < n; i++) pos += labels[i] == 1.0;
  return pos;
}

static viral_confusion confusion_of(const double *labels, const double *probs, size_t n,
                                    double threshold) {
  viral_confusion cm = {0, 0, 0, 0};
  for (size_t i = 0; i < n; i++) {
    int predicted = probs[i] >= threshold, actual = labels[i] == 1.0;
    if (predicted) actual ? cm.tp++ : cm.fp++;
    else actual ? cm.fn++ : cm.tn++;
  }
  return cm;
}

/* Bin of p in [0, 1]: the largest i with p >= i/B (as the double i/(double)B),
 * at most B-1. The multiplication only guesses; the comparisons with the
 * edges decide, so an edge value always lands in the bin it opens. */
static int bin_of(double p) {
  const int B = VIRAL_METRICS_BINS;
  int i = (int)(p * B);
  if (i > B - 1) i = B - 1;
  if (i < 0) i = 0;
  while (i > 0 && p < i / (double)B) i--;
  while (i < B - 1 && p >= (i + 1) / (double)B) i++;
  return i;
}

/* Fills bins [VIRAL_METRICS_BINS]; returns the ECE (NAN when n == 0). */
static double ece_of(const double *labels, const double *probs, size_t n,
                     viral_reliability_bin *bins) {
  ksum sums[VIRAL_METRICS_BINS];
  memset(sums, 0, sizeof sums);
  for (int b = 0; b < VIRAL_METRICS_BINS; b++) {
    bins[b].lower = b / (double)VIRAL_METRICS_BINS;
    bins[b].upper = (b + 1) / (double)VIRAL_METRICS_BINS;
    bins[b].count = bins[b].positives = 0;
  }
  for (size_t i = 0; i < n; i++) {
    int b = bin_of(probs[i]);
    bins[b].count++;
    bins[b].positives += labels[i] == 1.0;
    ksum_add(&sums[b], probs[i]);
  }
  double ece = 0.0;
  for (int b = 0; b < VIRAL_METRICS_BINS; b++) {
    viral_reliability_bin *bin = &bins[b];
    if (bin->count == 0) {
      bin->mean_predicted = bin->observed_rate = NAN;
      continue;
    }
    bin->mean_predicted = ksum_value(&sums[b]) / (double)bin->count;
    bin->observed_rate = (double)bin->positives / (double)bin->count;
    ece += ((double)bin->count / (double)n) * fabs(bin->mean_predicted - bin->observed_rate);
  }
  return n ? ece : NAN;
}

/* ---- public single metrics ---- */

int metrics_status(double value) { return isnan(value) ? VIRAL_METRIC_UNDEFINED : VIRAL_OK; }

int viral_metrics_base_rate(const double *labels, size_t n, double *out, viral_error *err) {
  *out = NAN;
  int rc = metrics_check(labels, NULL, n, err);
  if (rc != VIRAL_OK) return rc;
  if (n > 0) *out = (double)positives_of(labels, n) / (double)n;
  return metrics_status(*out);
}

int viral_metrics_log_loss(const double *labels, const double *probs, size_t n, double *out,
                           viral_error *err) {
  *out = NAN;
  int rc = metrics_check(labels, probs, n, err);
  if (rc != VIRAL_OK) return rc;
  return metrics_status(*out = log_loss_of(labels, probs, n));
}

int viral_metrics_brier(const double *labels, const double *probs, size_t n, double *out,
                        viral_error *err) {
  *out = NAN;
  int rc = metrics_check(labels, probs, n, err);
  if (rc != VIRAL_OK) return rc;
  return metrics_status(*out = brier_of(labels, probs, n));
}

static int check_threshold(double threshold, viral_error *err) {
  if (isnan(threshold))
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "threshold is not a number");
  return VIRAL_OK;
}

int viral_metrics_confusion(const double *labels, const double *probs, size_t n,
                            double threshold, viral_confusion *out, viral_error *err) {
  memset(out, 0, sizeof *out);
  int rc = check_threshold(threshold, err);
  if (rc == VIRAL_OK) rc = metrics_check(labels, probs, n, err);
  if (rc == VIRAL_OK) *out = confusion_of(labels, probs, n, threshold);
  return rc;
}

int viral_metrics_ece(const double *labels, const double *probs, size_t n, double *out,
                      viral_reliability_bin *bins, viral_error *err) {
  viral_reliability_bin local[VIRAL_METRICS_BINS];
  *out = NAN;
  int rc = metrics_check(labels, probs, n, err);
  if (rc != VIRAL_OK) return rc;
  return metrics_status(*out = ece_of(labels, probs, n, bins ? bins : local));
}

/* ---- from a confusion matrix ---- */

/* num / den, or 0 when den == 0 (sklearn's zero_division=0). */
static double ratio_or_zero(size_t num, size_t den) {
  return den ? (double)num / (double)den : 0.0;
}

double viral_confusion_accuracy(const viral_confusion *cm) {
  size_t total = cm->tp + cm->fp + cm->tn + cm->fn;
  return total ? (double)(cm->tp + cm->tn) / (double)total : NAN;
}

double viral_confusion_precision(const viral_confusion *cm) {
  return ratio_or_zero(cm->tp, cm->tp + cm->fp);
}

double viral_confusion_recall(const viral_confusion *cm) {
  return ratio_or_zero(cm->tp, cm->tp + cm->fn);
}

double viral_confusion_f1(const viral_confusion *cm) {
  /* 2PR/(P+R) simplified: no division by a zero precision or recall. */
  return ratio_or_zero(2 * cm->tp, 2 * cm->tp + cm->fp + cm->fn);
}

/* ---- over folds ---- */

int viral_metrics_mean_std(const double *values, size_t n, double *mean, double *std,
                           size_t *used) {
  VIRAL_ASSERT(n == 0 || values);
  ksum sum = {0, 0};
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (!isnan(values[i])) {
      ksum_add(&sum, values[i]);
      m++;
    }
  double mu = m ? ksum_value(&sum) / (double)m : NAN;
  double sd = NAN;
  if (m >= 2) { /* two passes: no cancellation when the spread is tiny */
    ksum sq = {0, 0};
    for (size_t i = 0; i < n; i++)
      if (!isnan(values[i])) ksum_add(&sq, (values[i] - mu) * (values[i] - mu));
    sd = sqrt(ksum_value(&sq) / (double)(m - 1));
  }
  if (mean) *mean = mu;
  if (std) *std = sd;
  if (used) *used = m;
  return isnan(mu) || isnan(sd) ? VIRAL_METRIC_UNDEFINED : VIRAL_OK;
}

/* ---- everything at once ---- */

int viral_metrics_compute(const double *labels, const double *probs, size_t n,
                          double threshold, size_t k, viral_metrics *out, viral_error *err) {
  memset(out, 0, sizeof *out);
  out->n = n;
  out->threshold = threshold;
  out->k = k;
  int rc = check_threshold(threshold, err);
  if (rc == VIRAL_OK) rc = metrics_check(labels, probs, n, err);
  metrics_ranking r = {NULL, 0, 0};
  if (rc == VIRAL_OK) rc = metrics_ranking_build(labels, probs, n, &r, err);
  if (rc != VIRAL_OK) {
    metrics_ranking_release(&r);
    return rc;
  }
  out->positives = r.positives;
  out->base_rate = n ? (double)r.positives / (double)n : NAN;
  out->roc_auc = metrics_ranking_auc(&r);
  out->average_precision = metrics_ranking_ap(&r);
  out->log_loss = log_loss_of(labels, probs, n);
  out->brier = brier_of(labels, probs, n);

  out->confusion = confusion_of(labels, probs, n, threshold);
  out->accuracy = viral_confusion_accuracy(&out->confusion);
  out->precision = viral_confusion_precision(&out->confusion);
  out->recall = viral_confusion_recall(&out->confusion);
  out->f1 = viral_confusion_f1(&out->confusion);

  metrics_ranking_best_f1(&r, &out->best_f1_threshold, &out->best_f1);
  out->k_used = k < n ? k : n;
  metrics_ranking_at_k(&r, k, &out->precision_at_k, &out->recall_at_k);
  out->ece = ece_of(labels, probs, n, out->reliability);
  metrics_ranking_release(&r);
  return VIRAL_OK;
}
