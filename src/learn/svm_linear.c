/* svm_linear.c - the linear kernel by LIBLINEAR, as a libsvm-shaped model
 * (learn/svm_linear.h). */
#include "learn/svm_linear.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/random.h"
#include "learn/linear.h"
#include "viral/calibrate.h"

#define PLATT_FOLDS 5

/* LIBLINEAR's primal Newton method stops when the gradient norm falls to
 * eps times the norm at w = 0, which the bias item makes large: at 1e-6 the
 * support vectors' sum (the model) still moved the intercept by 1e-2 on
 * test_svm's data, at 1e-8 by 1e-5 (linear_by_liblinear_is_at_its_
 * optimum), for the same time. */
#define SVM_LINEAR_EPS 1e-8

static double sign_of(double y) { return y > 0.5 ? 1.0 : -1.0; }

/* ---- the dual variables ---- */

/* alpha: [rows] the dual variables of the L2-loss SVM at weights w: at the
 * optimum of C sum_i xi_i^2 + |w|^2 / 2 (xi_i = max(0, 1 - y_i f(x_i))),
 * w = sum_i alpha_i y_i x~_i with alpha_i = 2 C_i xi_i (x~: the row with
 * its bias item), so the rows inside the margin are the support vectors. */
static void dual_variables(const linear_rows *r, const double *w, const double cost[2], double *alpha) {
  for (size_t i = 0; i < linear_rows_count(r); i++) {
    double y = sign_of(linear_rows_label(r, i)), slack = 1 - y * linear_rows_decision(r, i, w);
    alpha[i] = slack > 0 ? 2 * cost[y > 0] * slack : 0;
  }
}

/* ---- Platt's probabilities, as libsvm's -b 1 ---- */

static double sigmoid(double t) { return t >= 0 ? 1 / (1 + exp(-t)) : exp(t) / (1 + exp(t)); }

/* The decision values of 5-fold cross-validation (a seeded shuffle cut in
 * five, as libsvm's svm_binary_svc_probability; a fold trained on one
 * class says +1 or -1), then the sigmoid fitted on them. */
static int fit_platt(const linear_rows *r, const linear_fit *fit, double *prob_a, double *prob_b, viral_error *err) {
  size_t n = linear_rows_count(r), width = (size_t)linear_rows_features(r) + 1;
  size_t *perm = malloc(n * sizeof *perm), *train = malloc(n * sizeof *train);
  double *p = malloc(n * sizeof *p), *y = malloc(n * sizeof *y), *w = malloc(width * sizeof *w);
  int rc = perm && train && p && y && w ? VIRAL_OK : viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "svm: out of memory");
  uint64_t state = 0x706c617474000000ull ^ fit->seed; /* "platt" */
  for (size_t i = 0; i < n && rc == VIRAL_OK; i++) perm[i] = i;
  for (size_t i = n; i > 1 && rc == VIRAL_OK; i--) {
    size_t j = (size_t)(splitmix64_next(&state) % i), t = perm[i - 1];
    perm[i - 1] = perm[j];
    perm[j] = t;
  }
  for (int f = 0; f < PLATT_FOLDS && rc == VIRAL_OK; f++) {
    size_t begin = (size_t)f * n / PLATT_FOLDS, end = (size_t)(f + 1) * n / PLATT_FOLDS, m = 0, pos = 0;
    for (size_t k = 0; k < n; k++)
      if (k < begin || k >= end) pos += linear_rows_label(r, train[m++] = perm[k]) > 0.5;
    if (pos > 0 && pos < m) rc = linear_train(r, train, m, fit, NULL, w, err);
    for (size_t k = begin; k < end && rc == VIRAL_OK; k++) {
      size_t i = perm[k];
      double dec = pos == 0 ? -1.0 : pos == m ? 1.0 : linear_rows_decision(r, i, w);
      p[i] = sigmoid(dec);
      y[i] = linear_rows_label(r, i);
    }
  }
  viral_calibration c;
  viral_calibration_init(&c);
  if (rc == VIRAL_OK && (rc = viral_calibration_fit(&c, VIRAL_CALIBRATION_PLATT, p, y, n, err)) == VIRAL_OK) {
    *prob_a = c.a;
    *prob_b = c.b;
  }
  viral_calibration_release(&c);
  free(w);
  free(y);
  free(p);
  free(train);
  free(perm);
  return rc;
}

/* ---- the model ---- */

/* The rows with alpha > 0, class 1 first, as the model's support vectors. */
static viral_svm_model *to_model(const viral_dataset *ds, const double *alpha, double bias, int probability,
                                 double prob_a, double prob_b, viral_error *err) {
  viral_dataset svs;
  viral_dataset_init(&svs);
  double *coef = malloc((ds->rows ? ds->rows : 1) * sizeof *coef), sum = 0;
  size_t l = 0, class1 = 0;
  int rc = coef ? VIRAL_OK : VIRAL_ERR_NOMEM;
  for (int c = 1; c >= 0 && rc == VIRAL_OK; c--)
    for (size_t i = 0; i < ds->rows && rc == VIRAL_OK; i++) {
      if (alpha[i] <= 0 || (ds->labels[i] > 0.5) != c) continue;
      viral_sparse row = viral_dataset_row(ds, i);
      rc = viral_dataset_append(&svs, &row, ds->labels[i]);
      coef[l] = c ? alpha[i] : -alpha[i];
      sum += coef[l++];
      class1 += (size_t)c;
    }
  viral_svm_model *m = NULL;
  if (rc != VIRAL_OK) viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "svm: out of memory");
  /* the intercept: the bias item's weight sum coef * bias, times bias */
  else m = svm_model_linear(&svs, coef, class1, -bias * bias * sum, probability, prob_a, prob_b, err);
  free(coef);
  viral_dataset_release(&svs);
  return m;
}

viral_svm_model *svm_linear_train(const viral_svm_params *params, const viral_dataset *ds, viral_error *err) {
  linear_rows *r = linear_rows_create();
  viral_svm_model *m = NULL;
  double *w = NULL, *alpha = NULL;
  int rc = r ? VIRAL_OK : VIRAL_ERR_NOMEM;
  for (size_t i = 0; i < ds->rows && rc == VIRAL_OK; i++) {
    viral_sparse row = viral_dataset_row(ds, i);
    rc = linear_rows_add(r, &row, ds->labels[i]);
  }
  if (rc != VIRAL_OK) {
    viral_error_set(err, rc, NULL, 0, "svm: out of memory for %zu rows", ds->rows);
    goto done;
  }
  if ((rc = linear_rows_finish(r, SVM_LINEAR_BIAS, err)) != VIRAL_OK) goto done;
  size_t width = (size_t)linear_rows_features(r) + 1;
  w = malloc(width * sizeof *w);
  alpha = malloc((ds->rows ? ds->rows : 1) * sizeof *alpha);
  if (!w || !alpha) {
    viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "svm: out of memory");
    goto done;
  }
  /* (params->eps is libsvm's tolerance, on another scale: not LIBLINEAR's) */
  const linear_fit fit = {LINEAR_SQUARED_HINGE, params->C, params->weight0, params->weight1, SVM_LINEAR_EPS,
                          params->seed};
  const double cost[2] = {params->C * params->weight0, params->C * params->weight1};
  double prob_a = 0, prob_b = 0;
  if (linear_train(r, NULL, 0, &fit, NULL, w, err) != VIRAL_OK) goto done;
  dual_variables(r, w, cost, alpha);
  if (params->probability && fit_platt(r, &fit, &prob_a, &prob_b, err) != VIRAL_OK) goto done;
  m = to_model(ds, alpha, linear_rows_bias(r), params->probability, prob_a, prob_b, err);
done:
  free(alpha);
  free(w);
  linear_rows_free(r);
  return m;
}
