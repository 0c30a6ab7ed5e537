/* viral/metrics.h - evaluation metrics for a binary classifier's probabilities.
 *
 * Inputs everywhere: labels [n] (each exactly 0.0 or 1.0, as in
 * viral_dataset.labels) and probs [n] (predicted probability of class 1, in
 * [0, 1]). Anything else (a label 0.5, a NaN, a probability 1.2) is refused
 * with VIRAL_ERR_INVALID and "index I: ..." in err. Rows are unweighted.
 *
 * Undefined values: a metric that has no value on the data given (ROC AUC
 * with one class only, a mean over zero rows, ...) is set to NAN and the
 * single-metric functions return VIRAL_METRIC_UNDEFINED (positive: not an
 * error, err untouched). Callers print such a value as "undefined", never as
 * a number: test with isnan().
 *
 * Conventions, shared with scikit-learn where it has one:
 * - a threshold t predicts 1 for a row when prob >= t;
 * - precision with no predicted positives, recall with no actual positives,
 *   and F1 when both precision and recall are 0 are 0 (sklearn's
 *   zero_division=0), not undefined;
 * - ranking metrics (ROC AUC, average precision, curves, best F1, @k) treat
 *   equal probabilities as one threshold: ties are never broken by row order,
 *   except for the cut of the top k (see viral_metrics_at_k).
 *
 * Cost: the ranking metrics sort once, O(n log n) time and O(n) extra memory;
 * the others are one O(n) pass. viral_metrics_compute() does everything with
 * one sort. */
#ifndef VIRAL_METRICS_H
#define VIRAL_METRICS_H

#include <stddef.h>

#include "viral/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Returned (with the value set to NAN) when a metric is undefined on the
 * data given. Not an error: err is not touched. */
#define VIRAL_METRIC_UNDEFINED 1

/* Probabilities are clipped to [VIRAL_LOGLOSS_EPS, 1 - VIRAL_LOGLOSS_EPS]
 * before the log loss takes their logarithm (sklearn's eps=1e-15). */
#define VIRAL_LOGLOSS_EPS 1e-15

/* Number of equal-width bins of the reliability table and the ECE. */
#define VIRAL_METRICS_BINS 10

/* Confusion matrix at a threshold: counts of rows. */
typedef struct viral_confusion {
  size_t tp; /* label 1, predicted 1 */
  size_t fp; /* label 0, predicted 1 */
  size_t tn; /* label 0, predicted 0 */
  size_t fn; /* label 1, predicted 0 */
} viral_confusion;

/* One bin of the reliability table. Bin i holds the rows with
 * i/10 <= prob < (i+1)/10 (the edges are the doubles i/10.0), the last bin
 * also prob == 1. An empty bin has count 0 and NAN means. */
typedef struct viral_reliability_bin {
  double lower, upper;   /* the bin's edges, i/10.0 and (i+1)/10.0 */
  size_t count;          /* rows in the bin */
  size_t positives;      /* rows in the bin with label 1 */
  double mean_predicted; /* mean prob of the bin's rows; NAN when empty */
  double observed_rate;  /* positives / count; NAN when empty */
} viral_reliability_bin;

/* Everything a report shows about one set of predictions, filled by
 * viral_metrics_compute(). A plain value: no pointers, nothing to free.
 * Each double is NAN when undefined (see the field's comment). */
typedef struct viral_metrics {
  size_t n;                 /* rows */
  size_t positives;         /* rows with label 1 */
  double base_rate;         /* positives / n; NAN when n == 0 */
  double roc_auc;           /* NAN when one class only (or n == 0) */
  double average_precision; /* NAN when no positives */
  double log_loss;          /* NAN when n == 0 */
  double brier;             /* NAN when n == 0 */

  double threshold;          /* the threshold given: predict 1 when prob >= threshold */
  viral_confusion confusion; /* at threshold */
  double accuracy;           /* at threshold; NAN when n == 0 */
  double precision, recall, f1; /* at threshold; 0 by zero_division=0 */

  double best_f1_threshold; /* distinct prob maximising F1; NAN when no positives */
  double best_f1;           /* F1 there; NAN when no positives */

  size_t k;              /* the k given (0: precision/recall@k not asked for) */
  size_t k_used;         /* min(k, n): rows actually in the top k */
  double precision_at_k; /* positives in the top k_used / k_used; NAN when k_used == 0 */
  double recall_at_k;    /* positives in the top k_used / positives; 0 when no
                            positives, NAN when k_used == 0 */

  double ece; /* expected calibration error over the bins; NAN when n == 0 */
  viral_reliability_bin reliability[VIRAL_METRICS_BINS];
} viral_metrics;

/* ---- the one call ---- */

/* Fill *out with every metric of viral_metrics for labels/probs [n] at the
 * given threshold and k (k may exceed n; 0 skips the @k metrics). Sorts once.
 * n == 0 is allowed: counts are 0 and the rest NAN or 0 as documented above.
 * Returns VIRAL_OK, or VIRAL_ERR_INVALID (bad label, probability or a NaN
 * threshold) or VIRAL_ERR_NOMEM with err set and *out holding no metrics.
 * Undefined metrics are NAN in *out and do not change the status. */
int viral_metrics_compute(const double *labels, const double *probs, size_t n,
                          double threshold, size_t k, viral_metrics *out, viral_error *err);

/* ---- single metrics ----
 * Each returns VIRAL_OK with *out set, VIRAL_METRIC_UNDEFINED with *out =
 * NAN, or a negative status with err set (and *out = NAN). */

/* Fraction of rows with label 1. Undefined when n == 0. */
int viral_metrics_base_rate(const double *labels, size_t n, double *out, viral_error *err);

/* Area under the ROC curve: the Mann-Whitney probability that a random
 * positive has a higher prob than a random negative, a tie counting 1/2
 * (ties get average ranks). Undefined unless both classes are present. */
int viral_metrics_roc_auc(const double *labels, const double *probs, size_t n, double *out,
                          viral_error *err);

/* Average precision (sklearn's average_precision_score): over the distinct
 * probs d_1 > d_2 > ..., sum of (R_j - R_{j-1}) * P_j where P_j and R_j are
 * the precision and recall of "prob >= d_j" and R_0 = 0. No interpolation.
 * Undefined when there are no positives (1 when there are no negatives). */
int viral_metrics_average_precision(const double *labels, const double *probs, size_t n,
                                    double *out, viral_error *err);

/* Mean of -log(p) over label-1 rows and -log(1 - p) over label-0 rows, with p
 * the prob clipped to [VIRAL_LOGLOSS_EPS, 1 - VIRAL_LOGLOSS_EPS], so a
 * confident mistake costs about 34.5, not infinity. Undefined when n == 0. */
int viral_metrics_log_loss(const double *labels, const double *probs, size_t n, double *out,
                           viral_error *err);

/* Mean of (prob - label)^2. Undefined when n == 0. */
int viral_metrics_brier(const double *labels, const double *probs, size_t n, double *out,
                        viral_error *err);

/* Confusion matrix of "predict 1 when prob >= threshold". Always defined;
 * a NaN threshold is VIRAL_ERR_INVALID. */
int viral_metrics_confusion(const double *labels, const double *probs, size_t n,
                            double threshold, viral_confusion *out, viral_error *err);

/* Derived from a confusion matrix. accuracy is NAN when the matrix is empty;
 * precision, recall and F1 are 0 when their denominator is 0. */
double viral_confusion_accuracy(const viral_confusion *cm);
double viral_confusion_precision(const viral_confusion *cm);
double viral_confusion_recall(const viral_confusion *cm);
double viral_confusion_f1(const viral_confusion *cm);

/* The threshold among the distinct probs that maximises F1 (predict 1 when
 * prob >= threshold), and that F1. On a tie in F1 the highest such threshold
 * wins (fewest rows flagged). Both NAN and VIRAL_METRIC_UNDEFINED when there
 * are no positives (F1 is 0 everywhere) or n == 0. */
int viral_metrics_best_f1(const double *labels, const double *probs, size_t n,
                          double *threshold, double *f1, viral_error *err);

/* Precision and recall of flagging the k rows with the highest probs. Rows
 * with equal probs straddling the cut are taken in their original order
 * (the earlier row is in the top k), so the result is deterministic. k > n
 * means all n rows (precision over n, not over k). precision is
 * positives-in-top / min(k, n); recall is positives-in-top / positives (0
 * when there are none). Both NAN and VIRAL_METRIC_UNDEFINED when min(k, n)
 * == 0. Either output pointer may be NULL. */
int viral_metrics_at_k(const double *labels, const double *probs, size_t n, size_t k,
                       double *precision, double *recall, viral_error *err);

/* Expected calibration error: sum over the VIRAL_METRICS_BINS bins of
 * (count / n) * |mean_predicted - observed_rate|, with the bins of
 * viral_reliability_bin. bins [VIRAL_METRICS_BINS] may be NULL; when given it
 * receives the reliability table (also when n == 0: all bins empty).
 * Undefined when n == 0. */
int viral_metrics_ece(const double *labels, const double *probs, size_t n, double *out,
                      viral_reliability_bin *bins, viral_error *err);

/* ---- over folds ---- */

/* Mean and sample standard deviation (divisor m - 1) of the values [n] that
 * are not NAN (a fold whose metric was undefined is left out, not counted as
 * 0). *used (may be NULL) receives m, the number of values used. mean is NAN
 * when m == 0, std NAN when m < 2. Returns VIRAL_OK, or
 * VIRAL_METRIC_UNDEFINED when mean or std is NAN. */
int viral_metrics_mean_std(const double *values, size_t n, double *mean, double *std,
                           size_t *used);

/* ---- curves (for charts) ---- */

/* Points of a curve, one per distinct threshold in decreasing order of
 * threshold. Caller-owned struct: viral_curve_init() it, pass it to a curve
 * function (which allocates the arrays, replacing any earlier content), and
 * viral_curve_release() it, which frees the arrays. */
typedef struct viral_curve {
  size_t count;      /* points */
  double *x;         /* [count] ROC: false positive rate; PR: recall */
  double *y;         /* [count] ROC: true positive rate;  PR: precision */
  double *threshold; /* [count] the prob at which the point is reached:
                        predict 1 when prob >= threshold */
} viral_curve;

void viral_curve_init(viral_curve *curve);
/* Free the arrays and re-init. NULL-safe. */
void viral_curve_release(viral_curve *curve);

/* ROC curve: first the point (0, 0) at threshold +INFINITY, then
 * (fpr, tpr) for each distinct prob from the highest down; the last point is
 * (1, 1). Undefined (count 0) unless both classes are present. */
int viral_metrics_roc_curve(const double *labels, const double *probs, size_t n,
                            viral_curve *curve, viral_error *err);

/* Precision-recall curve: (recall, precision) for each distinct prob from the
 * highest down, so recall rises to 1 at the last point. No artificial
 * (0, 1) start point: a chart adds one if it wants. Undefined (count 0) when
 * there are no positives. */
int viral_metrics_pr_curve(const double *labels, const double *probs, size_t n,
                           viral_curve *curve, viral_error *err);

#ifdef __cplusplus
}
#endif
#endif
