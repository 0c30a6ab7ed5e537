/* gbt_internal.h - the gbt learner's pieces (viral/gbt.h), internal:
 * the rows it fits on, fitting and updating through XGBoost (gbt.c), and
 * the trees read from XGBoost's JSON model and walked to score
 * (gbt_trees.c). */
#ifndef VIRAL_LEARN_GBT_INTERNAL_H
#define VIRAL_LEARN_GBT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "viral/error.h"
#include "viral/gbt.h"
#include "viral/vector.h"

/* ---- the rows a fit or an update sees (gbt.c) ---- */

/* Rows in compressed sparse row form with the values XGBoost reads:
 * floats. Indices are viral's until gbt_fit/gbt_update turn them into
 * columns. */
typedef struct gbt_rows {
  size_t count, row_cap;
  size_t *start;   /* [count + 1]: row r is index/value[start[r] .. start[r + 1]) */
  uint32_t *index; /* [start[count]] */
  float *value;    /* [start[count]] */
  size_t item_cap;
  float *label;    /* [count]: 0 or 1 */
  float *weight;   /* [count] */
} gbt_rows;

void gbt_rows_init(gbt_rows *r);
void gbt_rows_release(gbt_rows *r);
/* Append x (finite values) with its label and weight (> 0): VIRAL_OK,
 * VIRAL_ERR_INVALID for a value that is not finite, or VIRAL_ERR_NOMEM. */
int gbt_rows_append(gbt_rows *r, const viral_sparse *x, double y, double weight, viral_error *err);

/* A value as XGBoost holds it: a float, clamped to +-FLT_MAX (the one
 * conversion fitting and scoring share). */
float gbt_float(double x);

/* Called with each row of the early-stopping slice and the probability the
 * trees fitted without it gave at the best round (a training summary). */
typedef void (*gbt_scored)(void *ctx, double p, double y);

/* Fit params' trees on rows (dim: 1 + the largest index rows may hold);
 * rows are rewritten to columns. Returns the model or NULL with err set. */
viral_gbt_model *gbt_fit(const viral_gbt_params *params, gbt_rows *rows, uint32_t dim,
                         gbt_scored scored, void *ctx, viral_error *err);

/* Add trees fitted on rows (in the model's columns; other features are
 * dropped) with the model's parameters. VIRAL_OK, or an error with m
 * unchanged. */
int gbt_update(viral_gbt_model *m, gbt_rows *rows, gbt_scored scored, void *ctx, viral_error *err);

/* A model from the parts of its file: params (checked), columns[ncol]
 * (copied; ascending, each below dim) and XGBoost's JSON model text (len
 * bytes, copied), all checked. NULL with err saying what is wrong. */
viral_gbt_model *gbt_model_from_parts(const viral_gbt_params *params, const uint32_t *columns,
                                      size_t ncol, uint32_t dim, const char *booster, size_t len,
                                      viral_error *err);

void gbt_model_free(viral_gbt_model *m);

/* ---- the trees, walked without XGBoost (gbt_trees.c) ---- */

/* One node. A split sends x left when its value (as a float) is below
 * cond, right otherwise, and the default way when x lacks the feature. */
typedef struct gbt_node {
  float value;        /* split: the condition; leaf: the leaf value */
  uint32_t index;     /* split: viral's index of the feature */
  int32_t left;       /* -1 for a leaf, else the node's index in the tree */
  int32_t right;
  uint8_t default_left;
} gbt_node;

typedef struct gbt_trees {
  gbt_node *nodes;    /* [all nodes] tree t's are nodes[root[t] ..) */
  size_t *root;       /* [count] */
  size_t count;
  float base_margin;  /* XGBoost's: -logf(1 / base_score - 1) */
  double *gain;       /* [ncol]: total gain of the splits on column j */
  size_t ncol;
} gbt_trees;

/* Read XGBoost's JSON model (len bytes): a gbtree booster of binary:logistic
 * over ncol features, each tree's arrays consistent (every child after its
 * parent, split features below ncol, finite values). columns[j] is viral's
 * index of feature j. VIRAL_OK, or VIRAL_ERR_INVALID saying what is wrong
 * ("tree 3: ..."); out is untouched on failure. */
int gbt_trees_read(gbt_trees *out, const char *json, size_t len, const uint32_t *columns, size_t ncol,
                   viral_error *err);
void gbt_trees_release(gbt_trees *t);

/* The margin of x (its values finite): XGBoost's float sum. */
float gbt_trees_margin(const gbt_trees *t, const viral_sparse *x);

#endif
