/* test_metrics.c - evaluation metrics (include/viral/metrics.h).
 *
 * Small cases are worked by hand in the comments; the fixture cases compare
 * with scikit-learn's numbers recorded by tools/fixtures/make_metrics_fixtures.py
 * in tests/fixtures/metrics/ (the header line of each .expected file names
 * the versions). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "viral/metrics.h"

/* Equal within 1e-12 relative (absolute below 1); NaN matches only NaN. */
#define TOL 1e-12
#define ck_assert_close(a, b)                                                  \
  do {                                                                         \
    double a_ = (a), b_ = (b);                                                 \
    ck_assert_msg((isnan(a_) && isnan(b_)) ||                                  \
                      fabs(a_ - b_) <= TOL * fmax(1.0, fabs(b_)),              \
                  "%s = %.17g, expected %.17g", #a, a_, b_);                   \
  } while (0)

/* ---- the hand-worked set ----
 *  row  label  prob
 *   0     1    0.9
 *   1     0    0.8
 *   2     1    0.8   (tied with row 1)
 *   3     0    0.4
 *   4     1    0.4   (tied with row 3)
 *   5     0    0.1
 * P = 3, N = 3. */
static const double HL[6] = {1, 0, 1, 0, 1, 0};
static const double HP[6] = {0.9, 0.8, 0.8, 0.4, 0.4, 0.1};

START_TEST(hand_ranking_metrics) {
  viral_error err = {0};
  double v;
  /* Average ranks (ascending): 0.1 -> 1, the two 0.4 -> 2.5, the two 0.8 ->
   * 4.5, 0.9 -> 6. Positives' rank sum 6 + 4.5 + 2.5 = 13, U = 13 - 3*4/2 = 7,
   * AUC = 7 / (3*3). Pair count agrees: 0.9 beats 3 negatives, row 2 ties one
   * and beats 2 (2.5), row 4 ties one and beats one (1.5): 7. */
  ck_assert_int_eq(viral_metrics_roc_auc(HL, HP, 6, &v, &err), VIRAL_OK);
  ck_assert_close(v, 7.0 / 9.0);
  /* Thresholds 0.9: tp 1 fp 0 (P 1, R 1/3); 0.8: tp 2 fp 1 (P 2/3, R 2/3);
   * 0.4: tp 3 fp 2 (P 3/5, R 1); 0.1 adds no recall.
   * AP = 1/3*1 + 1/3*2/3 + 1/3*3/5 = 34/45. */
  ck_assert_int_eq(viral_metrics_average_precision(HL, HP, 6, &v, &err), VIRAL_OK);
  ck_assert_close(v, 34.0 / 45.0);
  /* F1 = 2tp/(P+tp+fp): 0.9 -> 2/4, 0.8 -> 4/6, 0.4 -> 6/8, 0.1 -> 6/9. */
  double t, f1;
  ck_assert_int_eq(viral_metrics_best_f1(HL, HP, 6, &t, &f1, &err), VIRAL_OK);
  ck_assert_close(t, 0.4);
  ck_assert_close(f1, 0.75);
  /* Ranked order, ties by row: 0, 1, 2, 3, 4, 5. Top 2 = rows 0, 1 (row 1
   * before its tie row 2): 1 hit. Top 3: 2 hits. Top 4: 2 hits. k = 10 > n:
   * all 6 rows, 3 hits, precision over 6. */
  double p, r;
  ck_assert_int_eq(viral_metrics_at_k(HL, HP, 6, 2, &p, &r, &err), VIRAL_OK);
  ck_assert_close(p, 0.5);
  ck_assert_close(r, 1.0 / 3.0);
  ck_assert_int_eq(viral_metrics_at_k(HL, HP, 6, 3, &p, &r, &err), VIRAL_OK);
  ck_assert_close(p, 2.0 / 3.0);
  ck_assert_close(r, 2.0 / 3.0);
  ck_assert_int_eq(viral_metrics_at_k(HL, HP, 6, 4, &p, &r, &err), VIRAL_OK);
  ck_assert_close(p, 0.5);
  ck_assert_close(r, 2.0 / 3.0);
  ck_assert_int_eq(viral_metrics_at_k(HL, HP, 6, 10, &p, &r, &err), VIRAL_OK);
  ck_assert_close(p, 0.5);
  ck_assert_close(r, 1.0);
  ck_assert_int_eq(viral_metrics_at_k(HL, HP, 6, 0, &p, &r, &err), VIRAL_METRIC_UNDEFINED);
  ck_assert(isnan(p) && isnan(r));
}
END_TEST

START_TEST(hand_pointwise_metrics) {
  viral_error err = {0};
  double v;
  /* -[ln .9 + ln(1-.8) + ln .8 + ln(1-.4) + ln .4 + ln(1-.1)] / 6 */
  ck_assert_int_eq(viral_metrics_log_loss(HL, HP, 6, &v, &err), VIRAL_OK);
  ck_assert_close(v, -(2 * log(0.9) + log(0.2) + log(0.8) + log(0.6) + log(0.4)) / 6);
  /* (.1^2 + .8^2 + .2^2 + .4^2 + .6^2 + .1^2) / 6 = 1.22 / 6 */
  ck_assert_int_eq(viral_metrics_brier(HL, HP, 6, &v, &err), VIRAL_OK);
  ck_assert_close(v, 1.22 / 6);
  ck_assert_int_eq(viral_metrics_base_rate(HL, 6, &v, &err), VIRAL_OK);
  ck_assert_close(v, 0.5);
  /* Bins: 0.1 -> 1; 0.4, 0.4 -> 4; 0.8, 0.8 -> 8; 0.9 -> 9.
   * |mean - observed|: bin1 |.1 - 0| = .1, bin4 |.4 - .5| = .1,
   * bin8 |.8 - .5| = .3, bin9 |.9 - 1| = .1.
   * ECE = (1*.1 + 2*.1 + 2*.3 + 1*.1) / 6 = 1/6. */
  viral_reliability_bin bins[VIRAL_METRICS_BINS];
  ck_assert_int_eq(viral_metrics_ece(HL, HP, 6, &v, bins, &err), VIRAL_OK);
  ck_assert_close(v, 1.0 / 6);
  ck_assert_uint_eq(bins[1].count, 1);
  ck_assert_uint_eq(bins[4].count, 2);
  ck_assert_uint_eq(bins[4].positives, 1);
  ck_assert_close(bins[4].mean_predicted, 0.4);
  ck_assert_close(bins[4].observed_rate, 0.5);
  ck_assert_uint_eq(bins[8].count, 2);
  ck_assert_uint_eq(bins[9].count, 1);
  ck_assert_uint_eq(bins[0].count, 0);
  ck_assert(isnan(bins[0].mean_predicted) && isnan(bins[0].observed_rate));
  ck_assert_close(bins[3].lower, 0.3);
  ck_assert_close(bins[3].upper, 0.4);
}
END_TEST

START_TEST(hand_threshold_metrics) {
  viral_error err = {0};
  viral_confusion cm;
  /* t = 0.5 flags rows 0, 1, 2: tp 2 (0, 2), fp 1 (1), tn 2 (3, 5), fn 1 (4). */
  ck_assert_int_eq(viral_metrics_confusion(HL, HP, 6, 0.5, &cm, &err), VIRAL_OK);
  ck_assert_uint_eq(cm.tp, 2);
  ck_assert_uint_eq(cm.fp, 1);
  ck_assert_uint_eq(cm.tn, 2);
  ck_assert_uint_eq(cm.fn, 1);
  ck_assert_close(viral_confusion_accuracy(&cm), 4.0 / 6);
  ck_assert_close(viral_confusion_precision(&cm), 2.0 / 3);
  ck_assert_close(viral_confusion_recall(&cm), 2.0 / 3);
  ck_assert_close(viral_confusion_f1(&cm), 2.0 / 3);
  /* t = 0.4 exactly: prob >= t, so both 0.4 rows are flagged: tp 3, fp 2, tn 1. */
  ck_assert_int_eq(viral_metrics_confusion(HL, HP, 6, 0.4, &cm, &err), VIRAL_OK);
  ck_assert_uint_eq(cm.tp, 3);
  ck_assert_uint_eq(cm.fp, 2);
  ck_assert_uint_eq(cm.tn, 1);
  ck_assert_uint_eq(cm.fn, 0);
  ck_assert_close(viral_confusion_f1(&cm), 0.75); /* 2*3 / (2*3 + 2 + 0) */
  /* Above every score: nothing flagged; precision 0 by zero_division=0. */
  ck_assert_int_eq(viral_metrics_confusion(HL, HP, 6, 0.95, &cm, &err), VIRAL_OK);
  ck_assert_uint_eq(cm.tp + cm.fp, 0);
  ck_assert_uint_eq(cm.tn, 3);
  ck_assert_uint_eq(cm.fn, 3);
  ck_assert_close(viral_confusion_accuracy(&cm), 0.5);
  ck_assert_close(viral_confusion_precision(&cm), 0.0);
  ck_assert_close(viral_confusion_recall(&cm), 0.0);
  ck_assert_close(viral_confusion_f1(&cm), 0.0);
}
END_TEST

START_TEST(hand_curves) {
  viral_error err = {0};
  viral_curve c;
  viral_curve_init(&c);
  /* ROC (fpr, tpr): (0,0) at +inf, then per threshold 0.9 (0, 1/3),
   * 0.8 (1/3, 2/3), 0.4 (2/3, 1), 0.1 (1, 1). */
  ck_assert_int_eq(viral_metrics_roc_curve(HL, HP, 6, &c, &err), VIRAL_OK);
  double rx[] = {0, 0, 1.0 / 3, 2.0 / 3, 1}, ry[] = {0, 1.0 / 3, 2.0 / 3, 1, 1};
  double rt[] = {INFINITY, 0.9, 0.8, 0.4, 0.1};
  ck_assert_uint_eq(c.count, 5);
  for (int i = 0; i < 5; i++) {
    ck_assert_close(c.x[i], rx[i]);
    ck_assert_close(c.y[i], ry[i]);
    ck_assert(c.threshold[i] == rt[i]);
  }
  /* PR (recall, precision): 0.9 (1/3, 1), 0.8 (2/3, 2/3), 0.4 (1, 3/5),
   * 0.1 (1, 1/2). The same struct is reused: the old arrays are freed. */
  ck_assert_int_eq(viral_metrics_pr_curve(HL, HP, 6, &c, &err), VIRAL_OK);
  double px[] = {1.0 / 3, 2.0 / 3, 1, 1}, py[] = {1, 2.0 / 3, 0.6, 0.5};
  ck_assert_uint_eq(c.count, 4);
  for (int i = 0; i < 4; i++) {
    ck_assert_close(c.x[i], px[i]);
    ck_assert_close(c.y[i], py[i]);
    ck_assert_close(c.threshold[i], rt[i + 1]);
  }
  viral_curve_release(&c);
  ck_assert_ptr_null(c.x);
  viral_curve_release(NULL);
}
END_TEST

START_TEST(summary_matches_single_functions) {
  viral_error err = {0};
  viral_metrics m;
  ck_assert_int_eq(viral_metrics_compute(HL, HP, 6, 0.5, 3, &m, &err), VIRAL_OK);
  ck_assert_uint_eq(m.n, 6);
  ck_assert_uint_eq(m.positives, 3);
  ck_assert_close(m.base_rate, 0.5);
  ck_assert_close(m.roc_auc, 7.0 / 9);
  ck_assert_close(m.average_precision, 34.0 / 45);
  ck_assert_close(m.log_loss, -(2 * log(0.9) + log(0.2) + log(0.8) + log(0.6) + log(0.4)) / 6);
  ck_assert_close(m.brier, 1.22 / 6);
  ck_assert_close(m.threshold, 0.5);
  ck_assert_uint_eq(m.confusion.tp, 2);
  ck_assert_uint_eq(m.confusion.fp, 1);
  ck_assert_uint_eq(m.confusion.tn, 2);
  ck_assert_uint_eq(m.confusion.fn, 1);
  ck_assert_close(m.accuracy, 4.0 / 6);
  ck_assert_close(m.precision, 2.0 / 3);
  ck_assert_close(m.recall, 2.0 / 3);
  ck_assert_close(m.f1, 2.0 / 3);
  ck_assert_close(m.best_f1_threshold, 0.4);
  ck_assert_close(m.best_f1, 0.75);
  ck_assert_uint_eq(m.k, 3);
  ck_assert_uint_eq(m.k_used, 3);
  ck_assert_close(m.precision_at_k, 2.0 / 3);
  ck_assert_close(m.recall_at_k, 2.0 / 3);
  ck_assert_close(m.ece, 1.0 / 6);
  ck_assert_uint_eq(m.reliability[8].count, 2);
}
END_TEST

/* ---- degenerate inputs ---- */

START_TEST(one_class_only_is_undefined) {
  viral_error err = {0};
  double zeros[4] = {0, 0, 0, 0}, ones[4] = {1, 1, 1, 1};
  double probs[4] = {0.2, 0.7, 0.7, 0.1};
  double v, t, f1;
  viral_metrics m;

  ck_assert_int_eq(viral_metrics_roc_auc(zeros, probs, 4, &v, &err), VIRAL_METRIC_UNDEFINED);
  ck_assert(isnan(v));
  ck_assert_int_eq(viral_metrics_roc_auc(ones, probs, 4, &v, &err), VIRAL_METRIC_UNDEFINED);
  ck_assert(isnan(v));
  /* No positives: AP and the best F1 are undefined; recall is 0 by
   * zero_division=0. All positives: every threshold has precision 1, AP 1. */
  ck_assert_int_eq(viral_metrics_average_precision(zeros, probs, 4, &v, &err),
                   VIRAL_METRIC_UNDEFINED);
  ck_assert(isnan(v));
  ck_assert_int_eq(viral_metrics_average_precision(ones, probs, 4, &v, &err), VIRAL_OK);
  ck_assert_close(v, 1.0);
  ck_assert_int_eq(viral_metrics_best_f1(zeros, probs, 4, &t, &f1, &err), VIRAL_METRIC_UNDEFINED);
  ck_assert(isnan(t) && isnan(f1));

  ck_assert_int_eq(viral_metrics_compute(zeros, probs, 4, 0.5, 2, &m, &err), VIRAL_OK);
  ck_assert(isnan(m.roc_auc) && isnan(m.average_precision) && isnan(m.best_f1));
  ck_assert_close(m.base_rate, 0.0);
  ck_assert_close(m.recall, 0.0);
  ck_assert_close(m.recall_at_k, 0.0);
  ck_assert_close(m.precision_at_k, 0.0);
  /* -(ln .8 + ln .3 + ln .3 + ln .9) / 4 */
  ck_assert_close(m.log_loss, -(log(0.8) + 2 * log(0.3) + log(0.9)) / 4);

  viral_curve c;
  viral_curve_init(&c);
  ck_assert_int_eq(viral_metrics_roc_curve(ones, probs, 4, &c, &err), VIRAL_METRIC_UNDEFINED);
  ck_assert_uint_eq(c.count, 0);
  ck_assert_int_eq(viral_metrics_pr_curve(zeros, probs, 4, &c, &err), VIRAL_METRIC_UNDEFINED);
  ck_assert_uint_eq(c.count, 0);
  ck_assert_int_eq(viral_metrics_pr_curve(ones, probs, 4, &c, &err), VIRAL_OK);
  ck_assert_uint_eq(c.count, 3); /* distinct 0.7, 0.2, 0.1 */
  viral_curve_release(&c);
}
END_TEST

START_TEST(all_same_score) {
  viral_error err = {0};
  double labels[4] = {1, 0, 0, 1}, probs[4] = {0.5, 0.5, 0.5, 0.5};
  viral_metrics m;
  ck_assert_int_eq(viral_metrics_compute(labels, probs, 4, 0.5, 1, &m, &err), VIRAL_OK);
  /* Every pair tied: AUC 1/2. One threshold flagging all: P 1/2, R 1: AP 1/2.
   * F1 there = 2*2/(2+2+2) = 2/3. Top 1 by row order is row 0, a positive. */
  ck_assert_close(m.roc_auc, 0.5);
  ck_assert_close(m.average_precision, 0.5);
  ck_assert_close(m.best_f1_threshold, 0.5);
  ck_assert_close(m.best_f1, 2.0 / 3);
  ck_assert_close(m.precision_at_k, 1.0);
  ck_assert_close(m.recall_at_k, 0.5);
  ck_assert_close(m.brier, 0.25);
  ck_assert_close(m.log_loss, log(2.0));
  ck_assert_close(m.ece, 0.0); /* bin 5: mean 0.5, observed 0.5 */
  ck_assert_uint_eq(m.reliability[5].count, 4);
  /* k cut through the tie goes by row order: the top 2 are rows 0 and 1. */
  double p, r;
  ck_assert_int_eq(viral_metrics_at_k(labels, probs, 4, 2, &p, &r, &err), VIRAL_OK);
  ck_assert_close(p, 0.5);
  ck_assert_close(r, 0.5);
}
END_TEST

START_TEST(empty_input) {
  viral_error err = {0};
  viral_metrics m;
  ck_assert_int_eq(viral_metrics_compute(NULL, NULL, 0, 0.5, 10, &m, &err), VIRAL_OK);
  ck_assert_uint_eq(m.n, 0);
  ck_assert_uint_eq(m.positives, 0);
  ck_assert_uint_eq(m.k_used, 0);
  ck_assert(isnan(m.base_rate) && isnan(m.roc_auc) && isnan(m.average_precision));
  ck_assert(isnan(m.log_loss) && isnan(m.brier) && isnan(m.accuracy) && isnan(m.ece));
  ck_assert(isnan(m.best_f1) && isnan(m.best_f1_threshold));
  ck_assert(isnan(m.precision_at_k) && isnan(m.recall_at_k));
  ck_assert_close(m.precision, 0.0);
  ck_assert_close(m.recall, 0.0);
  ck_assert_close(m.f1, 0.0);
  for (int b = 0; b < VIRAL_METRICS_BINS; b++) ck_assert_uint_eq(m.reliability[b].count, 0);
  double v;
  ck_assert_int_eq(viral_metrics_log_loss(NULL, NULL, 0, &v, &err), VIRAL_METRIC_UNDEFINED);
  ck_assert(isnan(v));
  ck_assert_int_eq(viral_metrics_roc_auc(NULL, NULL, 0, &v, &err), VIRAL_METRIC_UNDEFINED);
  ck_assert_int_eq(viral_metrics_base_rate(NULL, 0, &v, &err), VIRAL_METRIC_UNDEFINED);
  ck_assert_int_eq(viral_metrics_ece(NULL, NULL, 0, &v, NULL, &err), VIRAL_METRIC_UNDEFINED);
}
END_TEST

START_TEST(bad_input_is_refused) {
  viral_error err = {0};
  double labels[4] = {0, 1, 0, 1}, probs[4] = {0.1, 0.2, 0.3, 0.4};
  double v;
  viral_metrics m;
  labels[2] = 2;
  ck_assert_int_eq(viral_metrics_roc_auc(labels, probs, 4, &v, &err), VIRAL_ERR_INVALID);
  ck_assert_str_eq(err.message, "index 2: label 2 is not 0 or 1");
  ck_assert(isnan(v));
  ck_assert_int_eq(viral_metrics_base_rate(labels, 4, &v, &err), VIRAL_ERR_INVALID);
  labels[2] = 0;
  probs[3] = NAN;
  ck_assert_int_eq(viral_metrics_compute(labels, probs, 4, 0.5, 1, &m, &err), VIRAL_ERR_INVALID);
  ck_assert_str_eq(err.message, "index 3: probability nan is not in [0, 1]");
  probs[3] = 1.5;
  ck_assert_int_eq(viral_metrics_log_loss(labels, probs, 4, &v, &err), VIRAL_ERR_INVALID);
  ck_assert_str_eq(err.message, "index 3: probability 1.5 is not in [0, 1]");
  probs[3] = 0.4;
  viral_confusion cm;
  ck_assert_int_eq(viral_metrics_confusion(labels, probs, 4, NAN, &cm, &err), VIRAL_ERR_INVALID);
  ck_assert_str_eq(err.message, "threshold is not a number");
  ck_assert_int_eq(viral_metrics_compute(labels, probs, 4, NAN, 1, &m, &err), VIRAL_ERR_INVALID);
}
END_TEST

START_TEST(log_loss_clips_extremes) {
  viral_error err = {0};
  double v;
  /* Confident mistakes: p = 0 for a positive costs -ln(1e-15) = 34.54; p = 1
   * for a negative costs -ln(1 - (1 - 1e-15)), the same up to the rounding
   * of 1 - 1e-15 in binary. */
  double wrong_l[2] = {1, 0}, wrong_p[2] = {0, 1};
  ck_assert_int_eq(viral_metrics_log_loss(wrong_l, wrong_p, 2, &v, &err), VIRAL_OK);
  ck_assert_close(v, -(log(1e-15) + log(1.0 - (1.0 - 1e-15))) / 2);
  ck_assert(v > 34 && v < 35);
  /* Confident hits cost -ln(1 - 1e-15), about 1e-15, not 0. */
  double right_l[2] = {1, 0}, right_p[2] = {1, 0};
  ck_assert_int_eq(viral_metrics_log_loss(right_l, right_p, 2, &v, &err), VIRAL_OK);
  ck_assert_close(v, -log(1.0 - 1e-15));
  ck_assert(v > 0);
}
END_TEST

START_TEST(reliability_bin_edges) {
  viral_error err = {0};
  /* [i/10, (i+1)/10), last bin closed: 0 -> 0, 0.1 -> 1, the double just
   * below 0.3 -> 2, 0.3 -> 3, 0.7 -> 7, the double just below 0.9 -> 8 (its
   * product with 10 rounds up to 9.0: the edge comparison must decide),
   * 0.9999 -> 9, 1 -> 9. */
  double probs[8] = {0.0, 0.1, nextafter(0.3, 0.0), 0.3, 0.7, nextafter(0.9, 0.0), 0.9999, 1.0};
  double labels[8] = {0, 0, 0, 1, 1, 0, 1, 1};
  int expect[8] = {0, 1, 2, 3, 7, 8, 9, 9};
  viral_reliability_bin bins[VIRAL_METRICS_BINS];
  double ece;
  ck_assert(probs[5] * 10 == 9.0);
  ck_assert_int_eq(viral_metrics_ece(labels, probs, 8, &ece, bins, &err), VIRAL_OK);
  size_t want[VIRAL_METRICS_BINS] = {0};
  for (int i = 0; i < 8; i++) want[expect[i]]++;
  for (int b = 0; b < VIRAL_METRICS_BINS; b++) ck_assert_uint_eq(bins[b].count, want[b]);
  /* Per bin |mean - observed| * count: bin0 0, bin1 .1, bin2 .3-, bin3 .7,
   * bin7 .3, bin8 .9-, bin9 |1.9999 - 2| = .0001. Sum / 8. */
  ck_assert_close(ece, (0.1 + probs[2] + 0.7 + 0.3 + probs[5] + 0.0001) / 8);
}
END_TEST

START_TEST(mean_std_over_folds) {
  double v[4] = {1, 2, 3, 4}, mean, std;
  size_t used;
  /* mean 2.5; squared deviations 2.25 .25 .25 2.25 sum 5; sample var 5/3 */
  ck_assert_int_eq(viral_metrics_mean_std(v, 4, &mean, &std, &used), VIRAL_OK);
  ck_assert_close(mean, 2.5);
  ck_assert_close(std, sqrt(5.0 / 3));
  ck_assert_uint_eq(used, 4);
  /* An undefined fold is left out: {1, 3}: mean 2, var (1 + 1) / 1. */
  double w[3] = {1, NAN, 3};
  ck_assert_int_eq(viral_metrics_mean_std(w, 3, &mean, &std, &used), VIRAL_OK);
  ck_assert_close(mean, 2.0);
  ck_assert_close(std, sqrt(2.0));
  ck_assert_uint_eq(used, 2);
  /* One value: no sample std. None: no mean either. */
  ck_assert_int_eq(viral_metrics_mean_std(v, 1, &mean, &std, &used), VIRAL_METRIC_UNDEFINED);
  ck_assert_close(mean, 1.0);
  ck_assert(isnan(std));
  ck_assert_int_eq(viral_metrics_mean_std(NULL, 0, &mean, &std, NULL), VIRAL_METRIC_UNDEFINED);
  ck_assert(isnan(mean) && isnan(std));
}
END_TEST

/* ---- scikit-learn fixtures ---- */

typedef struct fixture {
  size_t n;
  double *labels, *probs;
  char *expected; /* the .expected file, searched line by line */
} fixture;

static void fixture_load(fixture *fx, const char *name) {
  char path[4096], rel[256];
  snprintf(rel, sizeof rel, "tests/fixtures/metrics/%s.csv", name);
  char *csv = test_read_file(test_repo_path(path, sizeof path, rel), NULL);
  ck_assert_msg(csv != NULL, "cannot read %s", path);
  size_t lines = 0;
  for (char *c = csv; *c; c++) lines += *c == '\n';
  fx->labels = malloc(lines * sizeof(double));
  fx->probs = malloc(lines * sizeof(double));
  ck_assert(fx->labels && fx->probs);
  fx->n = 0;
  char *line = strchr(csv, '\n') + 1; /* skip "label,prob" */
  while (*line) {
    char *end;
    fx->labels[fx->n] = strtod(line, &end);
    ck_assert(*end == ',');
    fx->probs[fx->n] = strtod(end + 1, &end);
    ck_assert(*end == '\n');
    fx->n++;
    line = end + 1;
  }
  free(csv);
  snprintf(rel, sizeof rel, "tests/fixtures/metrics/%s.expected", name);
  fx->expected = test_read_file(test_repo_path(path, sizeof path, rel), NULL);
  ck_assert_msg(fx->expected != NULL, "cannot read %s", path);
}

static void fixture_free(fixture *fx) {
  free(fx->labels);
  free(fx->probs);
  free(fx->expected);
}

/* The text after "key=" on its own line; fails the test when absent. */
static const char *expected_text(const fixture *fx, const char *key) {
  size_t len = strlen(key);
  for (const char *line = fx->expected; line && *line;) {
    if (strncmp(line, key, len) == 0 && line[len] == '=') return line + len + 1;
    line = strchr(line, '\n');
    if (line) line++;
  }
  ck_abort_msg("fixture has no key %s", key);
  return NULL;
}

static double expected_double(const fixture *fx, const char *key) {
  return strtod(expected_text(fx, key), NULL);
}

static size_t expected_count(const fixture *fx, const char *key) {
  return (size_t)strtoul(expected_text(fx, key), NULL, 10);
}

/* Compare values [count] with the space-separated list under key. */
static void check_list(const fixture *fx, const char *key, const double *values, size_t count) {
  const char *s = expected_text(fx, key);
  size_t i = 0;
  for (char *end;; i++) {
    double want = strtod(s, &end);
    if (end == s) break;
    ck_assert_msg(i < count, "%s: more expected values than the %zu computed", key, count);
    ck_assert_msg(fabs(values[i] - want) <= TOL * fmax(1.0, fabs(want)),
                  "%s[%zu] = %.17g, expected %.17g", key, i, values[i], want);
    s = end;
  }
  ck_assert_msg(i == count, "%s: %zu computed, %zu expected", key, count, i);
}

static void check_fixture(const char *name) {
  fixture fx;
  viral_error err = {0};
  fixture_load(&fx, name);
  ck_assert_uint_eq(fx.n, expected_count(&fx, "n"));
  const double thresholds[2] = {0.5, 0.3};
  for (int ti = 0; ti < 2; ti++) {
    viral_metrics m;
    char key[64];
    double t = thresholds[ti];
    ck_assert_int_eq(viral_metrics_compute(fx.labels, fx.probs, fx.n, t, 10, &m, &err), VIRAL_OK);
    ck_assert_uint_eq(m.positives, expected_count(&fx, "positives"));
    ck_assert_close(m.base_rate, expected_double(&fx, "base_rate"));
    ck_assert_close(m.roc_auc, expected_double(&fx, "roc_auc"));
    ck_assert_close(m.average_precision, expected_double(&fx, "average_precision"));
    ck_assert_close(m.log_loss, expected_double(&fx, "log_loss"));
    ck_assert_close(m.brier, expected_double(&fx, "brier"));
#define AT(stem) (snprintf(key, sizeof key, "%s@%g", stem, t), key)
    ck_assert_uint_eq(m.confusion.tp, expected_count(&fx, AT("tp")));
    ck_assert_uint_eq(m.confusion.fp, expected_count(&fx, AT("fp")));
    ck_assert_uint_eq(m.confusion.tn, expected_count(&fx, AT("tn")));
    ck_assert_uint_eq(m.confusion.fn, expected_count(&fx, AT("fn")));
    ck_assert_close(m.accuracy, expected_double(&fx, AT("accuracy")));
    ck_assert_close(m.precision, expected_double(&fx, AT("precision")));
    ck_assert_close(m.recall, expected_double(&fx, AT("recall")));
    ck_assert_close(m.f1, expected_double(&fx, AT("f1")));
#undef AT
    ck_assert_close(m.best_f1_threshold, expected_double(&fx, "best_f1_threshold"));
    ck_assert_close(m.best_f1, expected_double(&fx, "best_f1"));
    ck_assert_close(m.precision_at_k, expected_double(&fx, "precision_at_10"));
    ck_assert_close(m.recall_at_k, expected_double(&fx, "recall_at_10"));
    ck_assert_close(m.ece, expected_double(&fx, "ece"));
    for (int b = 0; b < VIRAL_METRICS_BINS; b++) {
      const viral_reliability_bin *bin = &m.reliability[b];
      snprintf(key, sizeof key, "bin%d_count", b);
      ck_assert_uint_eq(bin->count, expected_count(&fx, key));
      snprintf(key, sizeof key, "bin%d_positives", b);
      ck_assert_uint_eq(bin->positives, expected_count(&fx, key));
      snprintf(key, sizeof key, "bin%d_mean_predicted", b);
      ck_assert_close(bin->mean_predicted, expected_double(&fx, key));
      snprintf(key, sizeof key, "bin%d_observed_rate", b);
      ck_assert_close(bin->observed_rate, expected_double(&fx, key));
    }
  }
  /* k = 50 and k = n + 100 (all rows). */
  size_t ks[2] = {50, fx.n + 100};
  for (int i = 0; i < 2; i++) {
    double p, r;
    char key[64];
    ck_assert_int_eq(viral_metrics_at_k(fx.labels, fx.probs, fx.n, ks[i], &p, &r, &err), VIRAL_OK);
    snprintf(key, sizeof key, "precision_at_%zu", ks[i]);
    ck_assert_close(p, expected_double(&fx, key));
    snprintf(key, sizeof key, "recall_at_%zu", ks[i]);
    ck_assert_close(r, expected_double(&fx, key));
  }
  /* Curves: sklearn's finite thresholds are ours after the +inf start. */
  viral_curve c;
  viral_curve_init(&c);
  ck_assert_int_eq(viral_metrics_roc_curve(fx.labels, fx.probs, fx.n, &c, &err), VIRAL_OK);
  check_list(&fx, "roc_fpr", c.x, c.count);
  check_list(&fx, "roc_tpr", c.y, c.count);
  ck_assert(c.threshold[0] == INFINITY);
  check_list(&fx, "roc_thresholds", c.threshold + 1, c.count - 1);
  ck_assert_int_eq(viral_metrics_pr_curve(fx.labels, fx.probs, fx.n, &c, &err), VIRAL_OK);
  check_list(&fx, "pr_recall", c.x, c.count);
  check_list(&fx, "pr_precision", c.y, c.count);
  check_list(&fx, "pr_thresholds", c.threshold, c.count);
  viral_curve_release(&c);
  /* Folds by row % 5: AUC each, then mean and sample std. */
  enum { FOLDS = 5 };
  double aucs[FOLDS], mean, std;
  double *fl = malloc(fx.n * sizeof(double)), *fp = malloc(fx.n * sizeof(double));
  ck_assert(fl && fp);
  for (size_t f = 0; f < FOLDS; f++) {
    size_t m = 0;
    for (size_t i = f; i < fx.n; i += FOLDS, m++) {
      fl[m] = fx.labels[i];
      fp[m] = fx.probs[i];
    }
    ck_assert_int_eq(viral_metrics_roc_auc(fl, fp, m, &aucs[f], &err), VIRAL_OK);
  }
  free(fl);
  free(fp);
  check_list(&fx, "fold_auc", aucs, FOLDS);
  ck_assert_int_eq(viral_metrics_mean_std(aucs, FOLDS, &mean, &std, NULL), VIRAL_OK);
  ck_assert_close(mean, expected_double(&fx, "fold_auc_mean"));
  ck_assert_close(std, expected_double(&fx, "fold_auc_std"));
  fixture_free(&fx);
}

START_TEST(sklearn_set1) { check_fixture("set1"); }
END_TEST

START_TEST(sklearn_extreme) { check_fixture("extreme"); }
END_TEST

START_TEST(sklearn_tied) { check_fixture("tied"); }
END_TEST

/* ---- a million rows ----
 * 1000 distinct scores, labels from a hash. The reference AUC and AP come
 * from a histogram per score (no sort), a different algorithm from the
 * library's. */
START_TEST(million_rows_match_histogram) {
  enum { N = 1000000, LEVELS = 1000 };
  double *labels = malloc(N * sizeof(double)), *probs = malloc(N * sizeof(double));
  ck_assert(labels && probs);
  static size_t pos_at[LEVELS], neg_at[LEVELS];
  memset(pos_at, 0, sizeof pos_at);
  memset(neg_at, 0, sizeof neg_at);
  uint64_t h = 88172645463325252ull;
  for (size_t i = 0; i < N; i++) {
    h ^= h << 13, h ^= h >> 7, h ^= h << 17; /* xorshift64 */
    int level = (int)(h % LEVELS);
    probs[i] = level / (double)LEVELS;
    /* Positive with probability about level/LEVELS/2: informative, ~25%. */
    labels[i] = (double)((h >> 20) % (2 * LEVELS) < (uint64_t)level);
    if (labels[i] == 1.0) pos_at[level]++;
    else neg_at[level]++;
  }
  double P = 0, Nn = 0, twice_u = 0, ap = 0, tp = 0, fp = 0;
  for (int l = 0; l < LEVELS; l++) P += (double)pos_at[l], Nn += (double)neg_at[l];
  for (int l = LEVELS - 1; l >= 0; l--) { /* from the highest score down */
    twice_u += (double)neg_at[l] * (2 * tp + (double)pos_at[l]);
    tp += (double)pos_at[l];
    fp += (double)neg_at[l];
    if (pos_at[l] && tp + fp > 0) ap += ((double)pos_at[l] / P) * (tp / (tp + fp));
  }
  viral_metrics m;
  viral_error err = {0};
  ck_assert_int_eq(viral_metrics_compute(labels, probs, N, 0.5, 1000, &m, &err), VIRAL_OK);
  ck_assert_uint_eq(m.positives, (size_t)P);
  ck_assert_close(m.roc_auc, twice_u / (2 * P * Nn));
  ck_assert(m.roc_auc > 0.6 && m.roc_auc < 0.9);
  ck_assert_close(m.average_precision, ap);
  ck_assert_uint_eq(m.confusion.tp + m.confusion.fn, (size_t)P);
  free(labels);
  free(probs);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("metrics");
  TCase *hand = tcase_create("hand");
  tcase_add_test(hand, hand_ranking_metrics);
  tcase_add_test(hand, hand_pointwise_metrics);
  tcase_add_test(hand, hand_threshold_metrics);
  tcase_add_test(hand, hand_curves);
  tcase_add_test(hand, summary_matches_single_functions);
  tcase_add_test(hand, mean_std_over_folds);
  tcase_add_test(hand, reliability_bin_edges);
  tcase_add_test(hand, log_loss_clips_extremes);
  suite_add_tcase(s, hand);
  TCase *edge = tcase_create("degenerate");
  tcase_add_test(edge, one_class_only_is_undefined);
  tcase_add_test(edge, all_same_score);
  tcase_add_test(edge, empty_input);
  tcase_add_test(edge, bad_input_is_refused);
  suite_add_tcase(s, edge);
  TCase *ref = tcase_create("sklearn");
  tcase_add_test(ref, sklearn_set1);
  tcase_add_test(ref, sklearn_extreme);
  tcase_add_test(ref, sklearn_tied);
  tcase_add_test(ref, million_rows_match_histogram);
  suite_add_tcase(s, ref);
  return s;
}

int main(void) { return test_main(make_suite()); }
