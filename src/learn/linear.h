/* linear.h - internal: LIBLINEAR (Fan, Chang, Hsieh, Wang and Lin 2008,
 * Debian's liblinear-dev) behind viral's rows, for the logistic learner's
 * batch fit (logistic_batch.c) and the svm learner's linear kernel
 * (svm_linear.c). LIBLINEAR's types stay in linear.c.
 *
 * Rows are held once, in LIBLINEAR's own form (16 bytes per item, two more
 * per row for the bias item and the terminator), so the rows a batch fit
 * holds cost what LIBLINEAR needs and no copy of them.
 *
 * The bias. LIBLINEAR 2.3 (Debian's) learns the intercept as the weight of
 * an item of constant value `bias` in every row, so the intercept b is
 * penalised too: (b / bias)^2 / 2 joins (1/2) ||w||^2. Callers choose bias
 * large enough for that to matter little (and may polish the intercept
 * afterwards: logistic_batch.c).
 *
 * Not thread-safe: LIBLINEAR's message hook is one process-wide pointer,
 * and linear_train seeds the C library's rand() (LIBLINEAR's dual solvers
 * draw from it; the primal ones used here do not), as svm.c does for
 * libsvm. */
#ifndef VIRAL_LEARN_LINEAR_H
#define VIRAL_LEARN_LINEAR_H

#include <stddef.h>
#include <stdint.h>

#include "viral/error.h"
#include "viral/vector.h"

typedef struct linear_rows linear_rows;

/* Empty rows; NULL when out of memory. Free with linear_rows_free. */
linear_rows *linear_rows_create(void);
/* NULL-safe. */
void linear_rows_free(linear_rows *r);

/* Append x (a finished vector) with label y (0 or 1): VIRAL_OK,
 * VIRAL_ERR_NOMEM, or VIRAL_ERR_LIMIT past LIBLINEAR's INT_MAX rows. Only
 * before linear_rows_finish. */
int linear_rows_add(linear_rows *r, const viral_sparse *x, double y);
size_t linear_rows_count(const linear_rows *r);
/* Row i's label, 0 or 1. */
double linear_rows_label(const linear_rows *r, size_t i);
/* Give the rows importances: weight [count] (malloc'd, >= 0, finite), which
 * r now owns and frees; NULL: every row 1 (the default). tron_train's loss
 * (learn/tron.h) and the batch optimum's cross-validation weigh row i by
 * it; linear_train (LIBLINEAR) does not read it. */
void linear_rows_set_weights(linear_rows *r, double *weight);
/* Row i's importance: 1 unless set. */
double linear_rows_weight(const linear_rows *r, size_t i);
/* The memory the rows would hold with one more row of items items, bytes. */
size_t linear_rows_bytes_with(const linear_rows *r, size_t items);
/* Row i's items into out (cleared first, left finished): before
 * linear_rows_finish as added, after it numbered by feature (0 .. features
 * - 1) and without the bias item. VIRAL_OK or VIRAL_ERR_NOMEM. */
int linear_rows_get(const linear_rows *r, size_t i, viral_sparse *out);
/* value = f(ctx, index, value) for every item of every row, in place
 * (before linear_rows_finish: index is the vector's). */
void linear_rows_transform(linear_rows *r, double (*f)(void *ctx, uint32_t index, double value),
                           void *ctx);

/* Make the rows ready to fit: the indices in use are numbered 0 ..
 * features - 1 in increasing order (LIBLINEAR's weights then cover those
 * alone, not the whole hashed space) and every row gets the bias item.
 * No row is added after it. VIRAL_OK or VIRAL_ERR_NOMEM. */
int linear_rows_finish(linear_rows *r, double bias, viral_error *err);
/* The same for rows spread over the processes of an MPI job (spread 1;
 * collective: viral/dist.h): the indices in use by any process's rows are
 * numbered, so that every process numbers the features alike. spread 0:
 * linear_rows_finish. */
int linear_rows_finish_spread(linear_rows *r, double bias, int spread, viral_error *err);
/* Finish rows whose items were added with like's feature numbers (rows of
 * like, after its finish, as linear_rows_get gives them): numbered as
 * like's, with its bias item. VIRAL_OK or VIRAL_ERR_NOMEM. */
int linear_rows_finish_like(linear_rows *r, const linear_rows *like, viral_error *err);
/* After finish: the number of features, and the vector index of feature j. */
uint32_t linear_rows_features(const linear_rows *r);
uint32_t linear_rows_index(const linear_rows *r, uint32_t j);
double linear_rows_bias(const linear_rows *r);

typedef enum linear_loss {
  LINEAR_LOGISTIC, /* L2-regularised logistic regression, primal (LIBLINEAR -s 0) */
  LINEAR_SQUARED_HINGE /* L2-regularised L2-loss SVM (squared hinge), primal (LIBLINEAR -s 2):
                          C-SVC with the squared slack, whose dual variables are
                          2 C max(0, 1 - y f(x)) exactly (learn/svm_linear.c) */
} linear_loss;

typedef struct linear_fit {
  linear_loss loss;
  double C;                /* > 0 */
  double weight0, weight1; /* the C of class 0 rows is C * weight0, of class 1 C * weight1 */
  double eps;              /* LIBLINEAR's stopping tolerance (-e) */
  uint32_t seed;           /* srand() first (LIBLINEAR's dual solvers shuffle with rand()) */
} linear_fit;

/* Fit on rows[0 .. n) of r (after finish; every row when rows is NULL, n
 * then ignored), which must hold both classes. w: [features + 1], the
 * weights by feature then the bias item's, facing class 1 (positive
 * decision: class 1). init (the same shape, may be NULL) starts the
 * logistic loss from a solution (LIBLINEAR's warm start). VIRAL_OK, or an
 * error with err set. */
int linear_train(const linear_rows *r, const size_t *rows, size_t n, const linear_fit *f,
                 const double *init, double *w, viral_error *err);

/* Row i's decision value under w (bias item included). */
double linear_rows_decision(const linear_rows *r, size_t i, const double *w);
/* v += a x_i, and v_j += a x_ij^2 for every item j of row i (bias item
 * included; after finish): v: [features + 1]. */
void linear_rows_add_row(const linear_rows *r, size_t i, double a, double *v);
void linear_rows_add_squares(const linear_rows *r, size_t i, double a, double *v);

#endif
