/* viral/calibrate.h - probability calibration fitted on held-out rows:
 * Platt scaling (a sigmoid of the score's logit) or isotonic regression (a
 * non-decreasing step function, pool-adjacent-violators).
 *
 * Platt, as in Platt (1999) with the corrections of Lin, Lin and Weng (2007)
 * (the same fit libsvm and scikit-learn's sigmoid calibration use): with
 * s = logit(p) of the raw probability p (clipped to [1e-15, 1 - 1e-15]),
 * calibrated = 1 / (1 + exp(a s + b)); a and b minimise the log loss against
 * the smoothed targets (N+ + 1) / (N+ + 2) for positives and 1 / (N- + 2) for
 * negatives, by Newton's method with backtracking.
 *
 * Isotonic: the least-squares non-decreasing fit of the labels on the raw
 * probabilities (ties pooled), applied by linear interpolation between the
 * ends of its blocks and clipped outside the fitted range, as
 * scikit-learn's IsotonicRegression(out_of_bounds="clip"). */
#ifndef VIRAL_CALIBRATE_H
#define VIRAL_CALIBRATE_H

#include <stddef.h>

#include "viral/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum viral_calibration_kind {
  VIRAL_CALIBRATION_NONE = 0,
  VIRAL_CALIBRATION_PLATT,
  VIRAL_CALIBRATION_ISOTONIC
} viral_calibration_kind;

/* Caller-owned: viral_calibration_init / viral_calibration_release. */
typedef struct viral_calibration {
  viral_calibration_kind kind;
  double a, b;     /* platt */
  size_t n;        /* isotonic: points of the piecewise linear map */
  double *x, *y;   /* [n] raw probability (ascending) -> calibrated */
} viral_calibration;

void viral_calibration_init(viral_calibration *c);
void viral_calibration_release(viral_calibration *c);

/* "none", "platt", "isotonic"; parse returns VIRAL_OK or VIRAL_ERR_INVALID. */
const char *viral_calibration_name(viral_calibration_kind kind);
int viral_calibration_parse(const char *name, viral_calibration_kind *out);

/* Fit c (released first) from raw probabilities p and labels y (0/1), n
 * rows. Needs both classes among the rows (VIRAL_ERR_INVALID otherwise). */
int viral_calibration_fit(viral_calibration *c, viral_calibration_kind kind, const double *p,
                          const double *y, size_t n, viral_error *err);

/* The calibrated probability of raw probability p (p itself for "none"). */
double viral_calibration_apply(const viral_calibration *c, double p);

#ifdef __cplusplus
}
#endif
#endif
