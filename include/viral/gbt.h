/* viral/gbt.h - the gbt learner: gradient-boosted trees fitted by XGBoost
 * (its C API, hist method, binary:logistic) behind viral's vectors.
 *
 * Columns: a tree does not see all 2^b hashed coordinates. A feature
 * becomes a tree column when at least min_rows of the rows it is fitted on
 * hold it (every dense feature of a table of a few hundred rows does; a
 * hashed author or hashtag needs that many videos), columns in viral's
 * index order. An absent coordinate (viral's vectors drop zeros) is
 * XGBoost's "missing": a tree sends it its learned default way. Values go
 * to XGBoost as floats (clamped to +-FLT_MAX), as XGBoost stores them.
 *
 * Rounds: fitting adds at most `rounds` trees and stops early on a slice
 * of the rows: the last valid_fraction of them in the order they come (in
 * posted_at order under `eval --temporal`, and in file order for `train`,
 * which is posted_at order for what `viral assemble` and `viral gen`
 * write). Trees are fitted on the rows before the slice, one round at a
 * time, until early_stop rounds in a row have not lowered the slice's log
 * loss; the best count of rounds is kept, and (refit 1, the default) the
 * trees are then fitted again on all the rows with that many rounds. An
 * update does the same on its new rows, adding trees to the loaded ones.
 *
 * Determinism: the same rows, parameters and seed give the same trees, bit
 * for bit (XGBoost's row and column sampling is seeded from seed and the
 * round number). The histograms are summed by `threads` threads; a model
 * is reproducible for a given thread count, which is therefore a parameter
 * (1 unless told: on a machine shared with other jobs two threads waiting
 * on each other made a fit up to 100 times slower) rather than the
 * machine's core count.
 *
 * Scoring does not call XGBoost: the trees are read from XGBoost's model
 * into flat arrays once, and walked with XGBoost's own float arithmetic
 * (margin = base margin + each tree's leaf, summed in float in tree order),
 * so the margin equals XGBoost's prediction bit for bit; the probability
 * is the logistic of that margin in double. Scoring is read-only and may
 * run from several threads. Explanations are XGBoost's SHAP values
 * (pred_contribs), computed by XGBoost one row at a time under a lock the
 * model holds. */
#ifndef VIRAL_GBT_H
#define VIRAL_GBT_H

#include <stddef.h>
#include <stdint.h>

#include "viral/error.h"
#include "viral/vector.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VIRAL_GBT_MAX_DEPTH 16
#define VIRAL_GBT_MAX_ROUNDS 100000
#define VIRAL_GBT_MAX_THREADS 256

/* Training parameters. Caller-owned; viral_gbt_params_init() sets the
 * defaults given here (README "gbt" says why these). */
typedef struct viral_gbt_params {
  int max_depth;           /* depth of each tree, 1 to 16 (default 4) */
  double eta;              /* learning rate, in (0, 1] (default 0.02) */
  double min_child_weight; /* least hessian in a leaf, >= 0 (default 1) */
  double lambda;           /* L2 penalty on leaf values, >= 0 (default 1) */
  double subsample;        /* share of rows each tree sees, in (0, 1] (default 0.8) */
  double colsample;        /* share of columns each tree sees, in (0, 1] (default 0.8) */
  int rounds;              /* most trees a fit or an update adds, 1 to 100000 (default 2000) */
  int early_stop;          /* stop after this many rounds without a lower log loss on the
                              slice; 0: no slice, exactly `rounds` trees (default 50) */
  double valid_fraction;   /* share of the rows, the last ones, in the slice, in (0, 0.5]
                              (default 0.1) */
  int refit;               /* 1: fit again on all rows with the best count of rounds;
                              0: keep the trees fitted without the slice (default 1) */
  uint32_t min_rows;       /* rows that must hold a feature for it to be a column, >= 1
                              (default 20) */
  int threads;             /* XGBoost's nthread while fitting, 1 to 256 (default 1) */
  uint32_t seed;           /* XGBoost's seed (default 1) */
  double weight0, weight1; /* importance of label-0 and label-1 rows, > 0 (default 1) */
} viral_gbt_params;

/* Fill params with the defaults listed above. */
void viral_gbt_params_init(viral_gbt_params *params);

/* NULL when params are usable, else a static string saying what is wrong
 * ("eta must be a number in (0, 1]"). */
const char *viral_gbt_params_check(const viral_gbt_params *params);

/* A fitted (or loaded) ensemble. Opaque; owns all its memory, XGBoost's
 * booster included. */
typedef struct viral_gbt_model viral_gbt_model;

/* Score x (a finished sparse vector of the model's pipeline): *margin (may
 * be NULL) the log-odds XGBoost predicts, *probability (may be NULL) its
 * logistic. A non-finite value in x is an error (VIRAL_ERR_INVALID). */
int viral_gbt_predict(const viral_gbt_model *m, const viral_sparse *x, double *probability,
                      double *margin, viral_error *err);

/* Explain x: out[k] (out: [x->count]) is the SHAP value of x's item k (0
 * for an item that is not a column); *bias (may be NULL) the expected
 * margin, and *absent (may be NULL) the SHAP values of the columns x does
 * not hold (trees that split on them sent x their missing way). out, bias
 * and absent sum to the margin (in float arithmetic: within a few float
 * ulps of it). Thread-safe: XGBoost computes them one call at a time. */
int viral_gbt_contributions(const viral_gbt_model *m, const viral_sparse *x, double *out,
                            double *bias, double *absent, viral_error *err);

/* Total gain of the splits on each feature: w[i] (w: [dim], viral's index;
 * 0 for a feature no tree splits on). */
void viral_gbt_importance(const viral_gbt_model *m, double *w, uint32_t dim);

/* Trees in the model, and its columns (*columns, may be NULL: borrowed,
 * viral's indices in ascending order). */
size_t viral_gbt_tree_count(const viral_gbt_model *m);
size_t viral_gbt_columns(const viral_gbt_model *m, const uint32_t **columns);
/* The parameters it was fitted with (what an update fits with). */
const viral_gbt_params *viral_gbt_model_params(const viral_gbt_model *m);

/* XGBoost's JSON model text (borrowed, NUL-terminated; *len may be NULL):
 * what the model file holds under "gbt"."booster". XGBoost loads it
 * (XGBoosterLoadModelFromBuffer, xgboost.Booster(model_file=...)); its
 * feature j is viral's index columns[j]. */
const char *viral_gbt_booster_json(const viral_gbt_model *m, size_t *len);

/* ---- as a model's learner ("gbt" in viral/learner.h) ---- */

typedef struct viral_model viral_model;
typedef struct viral_train_options viral_train_options;

/* The gbt learner's parameters in o (when it trains, seed, weight0 and
 * weight1 become the options' seed and class weights); NULL when o's
 * learner is another. */
viral_gbt_params *viral_train_options_gbt(viral_train_options *o);
/* A gbt model's ensemble (borrowed); NULL when m holds another. */
const viral_gbt_model *viral_model_gbt(const viral_model *m);

#ifdef __cplusplus
}
#endif
#endif
