/* logistic_batch.h - internal: the logistic learner at the batch optimum
 * (viral/logistic.h, "Batch optimum"), fitted by viral's trust-region
 * Newton method (learn/tron.h) on rows held as learn/linear.h holds them,
 * and left as a state that online learning continues. */
#ifndef VIRAL_LOGISTIC_BATCH_H
#define VIRAL_LOGISTIC_BATCH_H

#include "learn/linear.h"
#include "learn/logistic_json.h"
#include "learn/tron.h"

/* Where the rows of a fit are. NULL (or spread 0): all in this process.
 * spread 1: spread over the processes of an MPI job (viral/dist.h), each
 * holding its share; the fit is then collective, every process calling it
 * together, and gives every process the same model, the one a single
 * process holding every row would fit, but for the order of floating-point
 * sums. */
typedef struct logistic_batch_job {
  int spread;
  const uint64_t *record; /* [rows here] each row's record number, ascending (spread) */
  /* filled by the fit: the final fit's solver (C by cross-validation not
   * counted) and its width (features + 1: the doubles of a summed
   * Hessian-vector product) */
  tron_info solver;
  size_t width;
} logistic_batch_job;

/* The first part of logistic_batch_fit: m (which has learned nothing yet)
 * observes the rows (added raw, as below) and fixes its statistics; the
 * rows become the inputs its optimizer sees, finished with the bias item
 * the fit uses. VIRAL_OK, or an error with err set. */
int logistic_batch_prepare(viral_logistic *m, linear_rows *rows, const logistic_batch_job *job, viral_error *err);

/* Fit m, which has learned nothing yet, at the optimum of rows (added
 * raw with linear_rows_add, both classes present; the rows are used up:
 * transformed and finished), with m's params: class importances weight0
 * and weight1, C (0: chosen by cross-validation seeded by seed). Then m
 * holds the statistics of the rows, the weights found and the optimizer
 * state of viral/logistic.h's seeding rule. scored (may be NULL) gets each
 * row's probability under the fitted weights and its label. VIRAL_OK, or
 * an error with err set and m to be freed. */
int logistic_batch_fit(viral_logistic *m, linear_rows *rows, logistic_batch_job *job,
                       void (*scored)(void *ctx, double p, double y), void *ctx, viral_error *err);

/* viral_logistic_train's passes 0: the rows of ds, checked already. */
int logistic_batch_train(viral_logistic *m, const viral_dataset *ds, viral_error *err);

#endif
