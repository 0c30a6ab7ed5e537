/* viral/logistic.h - the online logistic learner: FTRL-Proximal, AdaGrad and
 * plain SGD over hashed sparse vectors, resumable bit for bit.
 *
 * Model. p(y = 1 | x) = 1 / (1 + exp(-m)), margin m = b + sum_i w_i x_i, over a
 * hashed space of 2^bits coordinates (feature indices are reduced modulo 2^bits,
 * as Vowpal Wabbit does). The intercept b is learned like a coordinate whose
 * value is always 1, but it is never penalised and never normalised.
 *
 * Loss. Each example t has a label y_t in {0, 1} and an importance c_t >= 0 that
 * multiplies its log loss, hence its gradient: l_t = c_t * logloss(p_t, y_t),
 * dl_t/dm = c_t (p_t - y_t). Class weights are importances chosen by label
 * (viral_logistic_params.weight0/weight1, viral_logistic_balanced_weights()).
 *
 * Objective, per optimizer (the penalties differ in how often they apply):
 *  - FTRL-Proximal (McMahan et al. 2013, "Ad Click Prediction: a View from the
 *    Trenches", Algorithm 1, per-coordinate rate alpha / (beta + sqrt(n_i))):
 *    the weights minimise  g_{1:t} . w + l1 ||w||_1 + (l2 / 2) ||w||^2 plus
 *    the proximal terms, where g_{1:t} sums the gradients of all updates so
 *    far: the penalty counts once for the whole stream (not per example), so
 *    it matters less as data accumulates. P passes over N rows face
 *    P sum_r l_r + l1 ||w||_1 + (l2 / 2) ||w||^2 (scikit-learn's C = P / l2
 *    when l1 = 0), but since z keeps the gradients taken at early iterates
 *    the weights approach that minimiser only as P grows with l2 fixed; FTRL
 *    is an online learner, not a batch solver (tests/test_logistic.c measures
 *    how close it gets). State per coordinate: z_i, n_i (and w_i, cached).
 *  - AdaGrad (Duchi, Hazan and Singer 2011, diagonal composite mirror descent):
 *    n_i += g_i^2, then a proximal step of size alpha / (beta + sqrt(n_i)) on
 *    l_t + l1 ||w||_1 + (l2 / 2) ||w||^2. The penalty applies at every update
 *    (as in Vowpal Wabbit), to the coordinates present in the example (sparse
 *    updates), so it weighs against the mean loss: on dense rows one pass is
 *    sum_r l_r + N (l2 / 2) ||w||^2, scikit-learn's C = 1 / (N l2), and many
 *    passes converge to that minimiser. The same l2 regularises far more
 *    strongly than with FTRL.
 *  - SGD: a proximal step of size eta_t = alpha / sqrt(t) (t = 1, 2, ...: the
 *    number of examples learned, including this one) on the same per-update
 *    objective as AdaGrad (same C mapping). With l1 > 0 the step is the
 *    soft-threshold (truncated gradient).
 *
 * Normalisation (params.normalize, on by default). The learner learns the
 * scale of its inputs in the same single pass as its weights, in two ways:
 *  - Dense coordinates, [0, params.dense) (the pipeline's numeric columns,
 *    present in every row, absent meaning 0): standardized with a running
 *    mean and variance (Welford's update) over the examples seen so far,
 *    including the current one: with t examples, mean_i and
 *    m2_i = sum (x_i - mean_i)^2, sd_i = sqrt(m2_i / t), the optimizer sees
 *    z_i(x_i) = (x_i - mean_i) / sd_i clipped to [-5, 5] (0 while sd_i is 0;
 *    the clip bounds what one out-of-range value can do). Centring matters: without it
 *    a feature's mean leaks into the intercept through every update and one
 *    pass ends far from the batch optimum (liblinear on standardized data).
 *    All dense coordinates are updated on every example, present or not.
 *  - Every other coordinate (hashed one-hots): s_i = max |x_i| over the
 *    examples seen so far, including the current one, and the optimizer
 *    works on x_i / s_i (so every input lies in [-1, 1]); when s_i grows,
 *    u_i is kept, so the raw weight shrinks by s_old / s_new (Vowpal Wabbit's
 *    --normalized, without its global normaliser of the learning rate).
 *    Centring a sparse coordinate would make every absent (zero) coordinate
 *    non-zero, destroying sparsity and the speed of the hashed
 *    representation; a max-abs scale keeps zeros zero.
 * The statistics and scales are part of the saved state. On the raw values
 * the margin is b' + the sum of one share per item of x: u_i (z_i(x_i) -
 * z_i(0)) on a dense coordinate, u_i x_i / s_i on the others, with
 * b' = b + sum_dense u_i z_i(0) the margin of x = 0 (absent dense columns
 * are 0, so they need no share). viral_logistic_bias() reports b' and
 * viral_logistic_weight() the slope u_i / sd_i (exact inside the clip) or
 * u_i / s_i.
 *
 * Exact continuation. Every quantity an update reads is in the saved state
 * (viral_logistic_json_write in src/learn/logistic_json.h), and numbers are
 * saved so they read back to the same bits. Learning rows A, saving, loading
 * and learning rows B gives exactly (bit for bit) the weights of learning A
 * then B in one go. viral_logistic_train() with shuffling depends only on the
 * seed and the pass number, never on earlier calls.
 *
 * Batch optimum (params.passes 0, viral_logistic_train on a learner that
 * has learned nothing). The statistics and scales are first counted over
 * all the rows (as one pass would leave them), then the weights minimise
 *   C sum_r c_r logloss_r + ||u||^2 / 2
 * on the inputs the optimizer sees with those statistics (z_i(x) - z_i(0)
 * on a dense coordinate, x / s_i on the others), the intercept unpenalised:
 * scikit-learn's LogisticRegression objective, solved by viral's own
 * trust-region Newton method, the one of LIBLINEAR's primal solver, whose
 * sums over the rows can be summed over the processes of an MPI job
 * (src/learn/tron.c, logistic_batch.c). C is params.C, or, when 0,
 * chosen by 5-fold stratified cross-validation of the held-out log loss
 * over C = 2^k. l1 and l2 play no part in it. The optimizer's state is
 * then seeded so that learning continues from the fit: for each coordinate
 * n_i = sum_r g_r^2 t_ri^2 (the squared gradients at the fit, t_ri its
 * input in row r; for the intercept sum_r g_r^2), and for FTRL z_i solves
 * w_i = ftrl_weight(z_i, sqrt(n_i)) = u_i. params.passes is 1 afterwards:
 * every later row is one online step. Not bit-for-bit reproducible from a
 * stream: training A at the batch optimum then learning B is not training
 * A+B at the batch optimum.
 *
 * Memory: 8 bytes per coordinate per state array, dense (1, 2 or 3 arrays
 * for sgd, adagrad, ftrl, plus 1 for the scales): FTRL with normalisation
 * takes 8 MiB at bits = 18, 512 MiB at bits = 24 (allocated zeroed, so pages
 * never touched cost nothing), plus 56 bytes per dense coordinate. Learning
 * allocates nothing per example; the JSON state lists only coordinates with
 * some non-zero state. */
#ifndef VIRAL_LOGISTIC_H
#define VIRAL_LOGISTIC_H

#include <stddef.h>
#include <stdint.h>

#include "viral/error.h"
#include "viral/vector.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VIRAL_LOGISTIC_MIN_BITS 1
#define VIRAL_LOGISTIC_MAX_BITS 24
#define VIRAL_LOGISTIC_DEFAULT_BITS 18
#define VIRAL_LOGISTIC_MAX_PASSES 100000
/* The memory the model's learner may hold rows in for the batch optimum
 * (viral_logistic_options.batch_memory_mb), MB: the default and the most. */
#define VIRAL_LOGISTIC_BATCH_MEMORY_MB 1024.0
#define VIRAL_LOGISTIC_MAX_BATCH_MEMORY_MB 1048576.0

typedef enum viral_logistic_optimizer {
  VIRAL_LOGISTIC_FTRL = 0,
  VIRAL_LOGISTIC_ADAGRAD = 1,
  VIRAL_LOGISTIC_SGD = 2
} viral_logistic_optimizer;

/* Hyperparameters; fill with viral_logistic_params_init() then change fields.
 * Defaults (see viral_logistic_params_init):
 *           alpha  beta  l1  l2
 *   ftrl    0.5    1     0   1      (l2 once per stream)
 *   adagrad 0.1    1     0   0      (l1, l2 per update)
 *   sgd     0.5    -     0   0      (eta_t = alpha / sqrt(t); beta unused)
 *   all: normalize 1, dense 0, passes 1, shuffle 0, seed 1, weight0 = weight1 = 1. */
typedef struct viral_logistic_params {
  viral_logistic_optimizer optimizer;
  double alpha;   /* learning rate scale, > 0 */
  double beta;    /* ftrl, adagrad: added to sqrt(n_i) in the rate, >= 0 */
  double l1;      /* L1 penalty, >= 0 (the intercept is never penalised) */
  double l2;      /* L2 penalty, >= 0 (the intercept is never penalised) */
  int normalize;  /* 1: standardize dense coordinates, max-abs scale the rest (above) */
  uint32_t dense; /* coordinates [0, dense) are dense numeric columns, standardized
                     when normalize is 1; viral_model_* set it to the pipeline's
                     viral_pipeline_dense_count(); 0: none; at most 2^bits */
  int passes;     /* viral_logistic_train: passes over the data set, >= 1; 0: the batch
                     optimum ("Batch optimum" above), after which it is 1 */
  double C;       /* passes 0: the cost C of the batch optimum, > 0; 0 (default): chosen
                     by cross-validation ("Batch optimum" above); not saved */
  int shuffle;    /* viral_logistic_train: 1 to shuffle every pass */
  uint32_t seed;  /* the shuffle's seed */
  double weight0; /* viral_logistic_train: importance of label-0 rows, >= 0 */
  double weight1; /* viral_logistic_train: importance of label-1 rows, >= 0 */
} viral_logistic_params;

/* Fill p with the defaults for optimizer (table above). */
void viral_logistic_params_init(viral_logistic_params *p, viral_logistic_optimizer optimizer);

/* NULL when p is usable, else a static string saying what is wrong (like
 * liblinear's check_parameter): "alpha must be a finite number > 0", ... */
const char *viral_logistic_params_check(const viral_logistic_params *p);

/* Name of an optimizer ("ftrl", "adagrad", "sgd"), and back: returns 0 and
 * sets *out, or -1 for an unknown name. */
const char *viral_logistic_optimizer_name(viral_logistic_optimizer o);
int viral_logistic_optimizer_parse(const char *name, viral_logistic_optimizer *out);

/* Balanced class weights for pos positives and neg negatives, as
 * scikit-learn's class_weight="balanced": w_c = (pos + neg) / (2 count_c),
 * so both classes carry the same total importance. When either count is 0
 * there is nothing to balance and both weights are 1. */
void viral_logistic_balanced_weights(uint64_t pos, uint64_t neg, double *w0, double *w1);

typedef struct viral_logistic viral_logistic;

/* A fresh learner (all weights 0) with a copy of params over 2^bits
 * coordinates. Returns NULL and fills err when params fail the check, bits is
 * outside [VIRAL_LOGISTIC_MIN_BITS, VIRAL_LOGISTIC_MAX_BITS] or memory runs
 * out. Free with viral_logistic_free(). */
viral_logistic *viral_logistic_create(const viral_logistic_params *params, int bits,
                                      viral_error *err);
/* NULL-safe. */
void viral_logistic_free(viral_logistic *m);

/* The learner's parameters (borrowed, valid until free) and size. */
const viral_logistic_params *viral_logistic_get_params(const viral_logistic *m);
int viral_logistic_bits(const viral_logistic *m);

/* One online update with example (x, y) of importance c (a finished vector:
 * sorted, no duplicates). Returns the probability predicted for x BEFORE the
 * update (what progressive validation scores). Returns NaN and leaves the
 * learner untouched when y is not 0 or 1, c is negative or not finite, or x
 * holds a non-finite value. */
double viral_logistic_learn(viral_logistic *m, const viral_sparse *x, double y, double c);

/* Margin b + sum_i w_i x_i and probability 1 / (1 + exp(-margin)) of x under
 * the current weights; no update. NaN when x holds a non-finite value. The
 * probability is a plain double: for |margin| > ~37 it rounds to exactly 0 or
 * 1, so log-loss code must clip. */
double viral_logistic_margin(const viral_logistic *m, const viral_sparse *x);
double viral_logistic_predict(const viral_logistic *m, const viral_sparse *x);

/* out[k] = the k-th item's share of the margin (w_i * x_k, see the
 * normalisation above for dense coordinates), for explanations. out: [x->count], caller-owned, or
 * NULL. Returns the margin (bias + the shares, added in item order). */
double viral_logistic_contributions(const viral_logistic *m, const viral_sparse *x, double *out);

/* out[k] = item k's effect on the margin measured from the video at the
 * training mean (every dense coordinate at its mean, no hashed feature):
 * u_i z_i(x_k) for a dense coordinate (the learner's weight on its
 * standardized value: positive when a positive weight meets a value above
 * the mean), the share of viral_logistic_contributions for a hashed one.
 * x may hold dense coordinates at 0 (their effect is not 0). Returns the
 * margin of the mean video: it plus the effects of every dense coordinate
 * and of x's hashed items is the margin of x. out: [x->count]. */
double viral_logistic_effects(const viral_logistic *m, const viral_sparse *x, double *out);

/* params.passes passes over ds (labels 0/1), each row with importance
 * params.weight0 or weight1 by label; rows in order, or in a fresh
 * permutation per pass when params.shuffle (splitmix64 seeded by seed and
 * pass number, identical on every machine). Checks every label and value
 * first: on failure returns VIRAL_ERR_INVALID naming the row, and the learner
 * is untouched. */
int viral_logistic_train(viral_logistic *m, const viral_dataset *ds, viral_error *err);

/* The weight on the raw value of coordinate index (mod 2^bits), i.e.
 * u_i / sd_i or u_i / s_i when normalising, and the intercept on the raw
 * values (b' above), so that margin = bias + sum_i weight_i x_i (exactly
 * while no dense value is clipped). */
double viral_logistic_weight(const viral_logistic *m, uint32_t index);
double viral_logistic_bias(const viral_logistic *m);
/* Number of coordinates with a non-zero weight (scans all 2^bits). */
size_t viral_logistic_nonzero(const viral_logistic *m);
/* Examples learned so far (updates, counting every pass). */
uint64_t viral_logistic_rows(const viral_logistic *m);

/* ---- as a model's learner ("logistic" in viral/learner.h) ---- */

typedef struct viral_model viral_model;
typedef struct viral_train_options viral_train_options;

/* The logistic learner's parameters in a viral_train_options. When it
 * trains, params.dense becomes the pipeline's dense columns and
 * params.seed, weight0 and weight1 the options' seed and class weights. */
typedef struct viral_logistic_options {
  viral_logistic_params params;
  int bits; /* weight space 2^bits; 0: what the pipeline needs */
  /* params.passes 0 (the default here): the rows are held for the batch
   * optimum while they take at most this many MB (LIBLINEAR's form: 16
   * bytes per non-zero value, 48 more per row); past it the learner learns
   * them all in one online pass, in order, exactly as passes 1 does, with
   * memory flat from then on. Default VIRAL_LOGISTIC_BATCH_MEMORY_MB; 0:
   * always one pass. */
  double batch_memory_mb;
  /* The batch optimum weighs each row by its recency: 2^(-(t_last - t) /
   * (half_life (t_last - t_first))), t the row's posted_at and t_first,
   * t_last the earliest and latest of the rows fitted, so the weight halves
   * every half_life of the rows' time span (0.25: the newest quarter of the
   * span weighs as much as the three before). Every row needs a posted_at.
   * 0 (the default): every row 1. Not saved: the model continues online as
   * any other (one pass per new row). */
  double half_life;
} viral_logistic_options;

/* The logistic learner's parameters in o; NULL when o's learner is another. */
viral_logistic_options *viral_train_options_logistic(viral_train_options *o);
/* A logistic model's learner (borrowed); NULL when m holds another. */
const viral_logistic *viral_model_logistic(const viral_model *m);

#ifdef __cplusplus
}
#endif
#endif
