/* gbt.c - the XGBoost adapter (viral/gbt.h, learn/gbt_internal.h):
 * parameters, the rows as floats, columns, fitting and updating with early
 * stopping on a slice, the booster's JSON text, scoring through the trees
 * read from it, SHAP values and gain.
 *
 * XGBoost's types (BoosterHandle, DMatrixHandle) stay in this file. Every
 * booster a model holds is loaded from the JSON text the model saves, so a
 * fitted model and the same model loaded from its file are one state. */
#include "learn/gbt_internal.h"
#include "io/array.h"

#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xgboost/c_api.h>

struct viral_gbt_model {
  viral_gbt_params params; /* what it was fitted with; an update fits with them */
  uint32_t *columns;       /* [ncol]: viral's index of XGBoost's feature j, ascending */
  size_t ncol;
  char *booster_json;      /* XGBoost's JSON model (NUL-terminated) */
  size_t booster_len;
  BoosterHandle booster;   /* the same, loaded: SHAP values and updates */
  pthread_mutex_t lock;    /* one XGBoost call on booster at a time */
  gbt_trees trees;         /* the same trees, walked to score */
};

/* ---- parameters ---- */

void viral_gbt_params_init(viral_gbt_params *p) {
  memset(p, 0, sizeof *p);
  p->max_depth = 4;
  p->eta = 0.02;
  p->min_child_weight = 1;
  p->lambda = 1;
  p->subsample = 0.8;
  p->colsample = 0.8;
  p->rounds = 2000;
  p->early_stop = 50;
  p->valid_fraction = 0.1;
  p->refit = 1;
  p->min_rows = 20;
  p->threads = 1;
  p->seed = 1;
  p->weight0 = p->weight1 = 1;
}

static int in_unit(double x) { return x > 0 && x <= 1; }

const char *viral_gbt_params_check(const viral_gbt_params *p) {
  if (p->max_depth < 1 || p->max_depth > VIRAL_GBT_MAX_DEPTH) return "max-depth must be from 1 to 16";
  if (!in_unit(p->eta)) return "eta must be a number in (0, 1]";
  if (!(p->min_child_weight >= 0) || !isfinite(p->min_child_weight)) return "min-child-weight must be a finite number >= 0";
  if (!(p->lambda >= 0) || !isfinite(p->lambda)) return "lambda must be a finite number >= 0";
  if (!in_unit(p->subsample)) return "subsample must be a number in (0, 1]";
  if (!in_unit(p->colsample)) return "colsample must be a number in (0, 1]";
  if (p->rounds < 1 || p->rounds > VIRAL_GBT_MAX_ROUNDS) return "rounds must be from 1 to 100000";
  if (p->early_stop < 0 || p->early_stop > VIRAL_GBT_MAX_ROUNDS) return "early-stop must be from 0 to 100000";
  if (!(p->valid_fraction > 0 && p->valid_fraction <= 0.5)) return "valid-fraction must be a number in (0, 0.5]";
  if (p->refit != 0 && p->refit != 1) return "refit must be 0 or 1";
  if (p->min_rows < 1) return "min-feature-rows must be at least 1";
  if (p->threads < 1 || p->threads > VIRAL_GBT_MAX_THREADS) return "threads must be from 1 to 256";
  if (!(p->weight0 > 0) || !isfinite(p->weight0) || !(p->weight1 > 0) || !isfinite(p->weight1))
    return "class weights must be finite numbers > 0";
  return NULL;
}

/* ---- the rows ---- */

float gbt_float(double x) {
  if (x > FLT_MAX) return FLT_MAX;
  if (x < -FLT_MAX) return -FLT_MAX;
  return (float)x;
}

void gbt_rows_init(gbt_rows *r) { memset(r, 0, sizeof *r); }

void gbt_rows_release(gbt_rows *r) {
  free(r->start);
  free(r->index);
  free(r->value);
  free(r->label);
  free(r->weight);
  gbt_rows_init(r);
}

static int nomem(viral_error *err) { return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory"); }

static int not_finite(viral_error *err) {
  return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "a feature value is not finite");
}

static int finite_values(const viral_sparse *x) {
  for (size_t i = 0; i < x->count; i++)
    if (!isfinite(x->items[i].value)) return 0;
  return 1;
}

int gbt_rows_append(gbt_rows *r, const viral_sparse *x, double y, double weight, viral_error *err) {
  if (!finite_values(x)) return not_finite(err);
  size_t items = r->count ? r->start[r->count] : 0, cap = r->item_cap, rows_cap = r->row_cap;
  if (array_grow((void **)&r->index, &cap, items + x->count, sizeof *r->index, 1024) < 0) return nomem(err);
  if (array_grow((void **)&r->value, &r->item_cap, items + x->count, sizeof *r->value, 1024) < 0) return nomem(err);
  if (array_grow((void **)&r->start, &rows_cap, r->count + 2, sizeof *r->start, 1024) < 0) return nomem(err);
  size_t label_cap = r->row_cap;
  if (array_grow((void **)&r->label, &label_cap, r->count + 2, sizeof *r->label, 1024) < 0) return nomem(err);
  if (array_grow((void **)&r->weight, &r->row_cap, r->count + 2, sizeof *r->weight, 1024) < 0) return nomem(err);
  for (size_t i = 0; i < x->count; i++) {
    r->index[items + i] = x->items[i].index;
    r->value[items + i] = gbt_float(x->items[i].value);
  }
  r->start[0] = 0;
  r->start[r->count + 1] = items + x->count;
  r->label[r->count] = y > 0.5 ? 1.0f : 0.0f;
  r->weight[r->count] = (float)weight;
  r->count++;
  return VIRAL_OK;
}

/* Keep in each row only the features column_of maps (column_of: [n], -1:
 * not a column) and write their columns in place of the indices. */
static void to_columns(gbt_rows *r, const int32_t *column_of, size_t n) {
  size_t out = 0;
  for (size_t row = 0; row < r->count; row++) {
    size_t begin = r->start[row], end = r->start[row + 1];
    r->start[row] = out;
    for (size_t i = begin; i < end; i++) {
      uint32_t index = r->index[i];
      if (index >= n || column_of[index] < 0) continue;
      r->index[out] = (uint32_t)column_of[index];
      r->value[out++] = r->value[i];
    }
  }
  if (r->count) r->start[r->count] = out;
}

/* The features at least min_rows rows hold, ascending: *columns (caller
 * frees) and *ncol; and column_of[dim] (caller frees). */
static int choose_columns(const gbt_rows *r, uint32_t dim, uint32_t min_rows, uint32_t **columns, size_t *ncol,
                          int32_t **column_of, viral_error *err) {
  uint32_t *held = calloc(dim ? dim : 1, sizeof *held);
  *column_of = malloc((dim ? dim : 1) * sizeof **column_of);
  *columns = NULL;
  *ncol = 0;
  if (!held || !*column_of) goto fail;
  size_t items = r->count ? r->start[r->count] : 0;
  for (size_t i = 0; i < items; i++) {
    if (r->index[i] >= dim) {
      free(held);
      free(*column_of);
      *column_of = NULL;
      return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "gbt: feature index %u beyond the pipeline's %u",
                             (unsigned)r->index[i], (unsigned)dim);
    }
    held[r->index[i]]++;
  }
  for (uint32_t i = 0; i < dim; i++) *ncol += held[i] >= min_rows;
  if (!(*columns = malloc((*ncol ? *ncol : 1) * sizeof **columns))) goto fail;
  size_t j = 0;
  for (uint32_t i = 0; i < dim; i++) {
    (*column_of)[i] = held[i] >= min_rows ? (int32_t)j : -1;
    if (held[i] >= min_rows) (*columns)[j++] = i;
  }
  free(held);
  return VIRAL_OK;
fail:
  free(held);
  free(*column_of);
  *column_of = NULL;
  return nomem(err);
}

/* ---- XGBoost ---- */

/* XGBoost logs through one process-wide callback; a library prints nothing. */
static void quiet(const char *message) { (void)message; }
static pthread_once_t quiet_once = PTHREAD_ONCE_INIT;
static void make_quiet(void) { XGBRegisterLogCallback(quiet); }

/* XGBoost's last error, first line, as err. */
static int xgb_error(viral_error *err, const char *what) {
  const char *e = XGBGetLastError();
  if (!e) e = "unknown error";
  return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "xgboost %s: %.*s", what, (int)strcspn(e, "\n"), e);
}

/* Rows [from, to) of r (in columns) as a DMatrix of ncol features, with
 * labels and weights. */
static int matrix(const gbt_rows *r, size_t from, size_t to, size_t ncol, DMatrixHandle *out, viral_error *err) {
  size_t n = to - from, base = r->start[from];
  size_t *ptr = malloc((n + 1) * sizeof *ptr);
  if (!ptr) return nomem(err);
  for (size_t i = 0; i <= n; i++) ptr[i] = r->start[from + i] - base;
  int rc = XGDMatrixCreateFromCSREx(ptr, r->index + base, r->value + base, n + 1, ptr[n], ncol, out);
  free(ptr);
  if (rc != 0) return xgb_error(err, "matrix");
  if (XGDMatrixSetFloatInfo(*out, "label", r->label + from, (bst_ulong)n) != 0 ||
      XGDMatrixSetFloatInfo(*out, "weight", r->weight + from, (bst_ulong)n) != 0) {
    rc = xgb_error(err, "matrix");
    XGDMatrixFree(*out);
    return rc;
  }
  return VIRAL_OK;
}

static int set(BoosterHandle b, const char *name, const char *fmt, double x) {
  char v[64];
  snprintf(v, sizeof v, fmt, x);
  return XGBoosterSetParam(b, name, v);
}

/* The training parameters of p on b (a model's own are in its JSON). */
static int train_params(BoosterHandle b, const viral_gbt_params *p, viral_error *err) {
  if (XGBoosterSetParam(b, "verbosity", "0") || XGBoosterSetParam(b, "objective", "binary:logistic") ||
      XGBoosterSetParam(b, "tree_method", "hist") || set(b, "max_depth", "%.0f", p->max_depth) ||
      set(b, "eta", "%.17g", p->eta) || set(b, "min_child_weight", "%.17g", p->min_child_weight) ||
      set(b, "lambda", "%.17g", p->lambda) || set(b, "subsample", "%.17g", p->subsample) ||
      set(b, "colsample_bytree", "%.17g", p->colsample) || set(b, "nthread", "%.0f", p->threads) ||
      set(b, "seed", "%.0f", p->seed) || XGBoosterSetParam(b, "seed_per_iteration", "1"))
    return xgb_error(err, "parameters");
  return VIRAL_OK;
}

/* A booster over the matrices cache[n] (their predictions are kept from
 * round to round): a new one starting from base_score, or (json != NULL)
 * the model json holds. */
static int booster(DMatrixHandle *cache, int n, const viral_gbt_params *p, float base_score, const char *json,
                   size_t len, BoosterHandle *out, viral_error *err) {
  pthread_once(&quiet_once, make_quiet);
  if (XGBoosterCreate(cache, (bst_ulong)n, out) != 0) return xgb_error(err, "booster");
  int rc = json && XGBoosterLoadModelFromBuffer(*out, json, (bst_ulong)len) != 0 ? xgb_error(err, "model")
                                                                                  : VIRAL_OK;
  if (rc == VIRAL_OK) rc = train_params(*out, p, err);
  if (rc == VIRAL_OK && !json && set(*out, "base_score", "%.9g", base_score) != 0) rc = xgb_error(err, "base score");
  if (rc != VIRAL_OK) XGBoosterFree(*out);
  return rc;
}

static const char margin_config[] =
    "{\"type\": 1, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, \"strict_shape\": false}";
static const char contrib_config[] =
    "{\"type\": 2, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, \"strict_shape\": false}";

/* b's margins on d (n rows) into out[n]. */
static int margins(BoosterHandle b, DMatrixHandle d, size_t n, float *out, viral_error *err) {
  const bst_ulong *shape;
  bst_ulong dim;
  const float *m;
  if (XGBoosterPredictFromDMatrix(b, d, margin_config, &shape, &dim, &m) != 0) return xgb_error(err, "predict");
  memcpy(out, m, n * sizeof *out);
  return VIRAL_OK;
}

static double softplus(double z) { return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z)); }

/* Weighted log loss of margins m[n] on labels y and weights w. */
static double log_loss(const float *m, const float *y, const float *w, size_t n) {
  double loss = 0, total = 0;
  for (size_t i = 0; i < n; i++) {
    loss += w[i] * softplus(y[i] > 0.5f ? -(double)m[i] : (double)m[i]);
    total += w[i];
  }
  return total > 0 ? loss / total : 0;
}

/* The rounds of a fit or an update. */
typedef struct boosting {
  const viral_gbt_params *p;
  const gbt_rows *rows;
  size_t from, to;  /* the slice: rows [from, to), or from == to for none */
  int first;        /* the round number of the first new tree */
  int best;         /* new trees that gave the slice its lowest log loss */
  float *best_m;    /* [to - from]: the slice's margins then */
} boosting;

/* Add rounds to b on train: all p->rounds, or (a slice) until p->early_stop
 * rounds pass without a lower log loss on it; g->best says how many were
 * best. */
static int boost(boosting *g, BoosterHandle b, DMatrixHandle train, DMatrixHandle slice, int rounds,
                 viral_error *err) {
  size_t n = g->to - g->from;
  float *m = n ? malloc(n * sizeof *m) : NULL;
  if (n && !m) return nomem(err);
  const float *y = g->rows->label + g->from, *w = g->rows->weight + g->from;
  int rc = n ? margins(b, slice, n, g->best_m, err) : VIRAL_OK;
  double best = n ? log_loss(g->best_m, y, w, n) : 0;
  g->best = n ? 0 : rounds;
  for (int it = 0; rc == VIRAL_OK && it < rounds; it++) {
    if (XGBoosterUpdateOneIter(b, g->first + it, train) != 0) rc = xgb_error(err, "round");
    if (rc != VIRAL_OK || !n) continue;
    if ((rc = margins(b, slice, n, m, err)) != VIRAL_OK) break;
    double loss = log_loss(m, y, w, n);
    if (loss < best) {
      best = loss;
      g->best = it + 1;
      memcpy(g->best_m, m, n * sizeof *m);
    } else if (it + 1 - g->best >= g->p->early_stop) {
      break;
    }
  }
  free(m);
  return rc;
}

/* The weighted share of label 1 among rows [from, to), kept inside (0, 1)
 * as XGBoost's base_score must be. */
static float base_rate(const gbt_rows *r, size_t from, size_t to) {
  double pos = 0, all = 0;
  for (size_t i = from; i < to; i++) {
    pos += r->weight[i] * r->label[i];
    all += r->weight[i];
  }
  double rate = all > 0 ? pos / all : 0.5;
  return gbt_float(rate < 1e-6 ? 1e-6 : rate > 1 - 1e-6 ? 1 - 1e-6 : rate);
}

static double sigmoid(double z) { return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z)); }

/* The JSON text of b (caller frees). */
static int save_json(BoosterHandle b, char **json, size_t *len, viral_error *err) {
  bst_ulong n;
  const char *text;
  if (XGBoosterSaveModelToBuffer(b, "{\"format\": \"json\"}", &n, &text) != 0) return xgb_error(err, "save");
  if (!(*json = malloc((size_t)n + 1))) return nomem(err);
  memcpy(*json, text, (size_t)n);
  (*json)[n] = '\0';
  *len = (size_t)n;
  return VIRAL_OK;
}

/* The slice of a fit or an update on rows: its last valid_fraction, none
 * without early stopping or when it would hold every row or none. */
static void choose_slice(boosting *g, const gbt_rows *rows) {
  size_t n = rows->count, v = g->p->early_stop > 0 ? (size_t)((double)n * g->p->valid_fraction) : 0;
  g->rows = rows;
  g->from = g->to = n;
  if (v > 0 && v < n) g->from = n - v;
}

/* Fit or continue (json != NULL: the model json holds, at round g->first)
 * on g's rows: rounds with early stopping on the slice, then, to refit,
 * the best count of rounds on all rows. *out: the JSON text of the trees
 * (caller frees). */
static int grow_trees(boosting *g, const char *json, size_t json_len, size_t ncol, char **out, size_t *out_len,
                      gbt_scored scored, void *ctx, viral_error *err) {
  const gbt_rows *r = g->rows;
  size_t n = r->count, nv = g->to - g->from;
  DMatrixHandle d[2] = {NULL, NULL};
  BoosterHandle b = NULL;
  int rc = VIRAL_OK, last = 0;
  if (nv && !(g->best_m = malloc(nv * sizeof *g->best_m))) return nomem(err);
  if (nv) {
    /* rounds on the rows before the slice, scored on it */
    rc = matrix(r, 0, g->from, ncol, &d[0], err);
    if (rc == VIRAL_OK) rc = matrix(r, g->from, n, ncol, &d[1], err);
    if (rc == VIRAL_OK) rc = booster(d, 2, g->p, base_rate(r, 0, g->from), json, json_len, &b, err);
    if (rc == VIRAL_OK) rc = boost(g, b, d[0], d[1], g->p->rounds, err);
    for (size_t i = 0; rc == VIRAL_OK && scored && i < nv; i++)
      scored(ctx, sigmoid(g->best_m[i]), r->label[g->from + i]);
    last = g->best;
    if (rc == VIRAL_OK && !g->p->refit && g->first + g->best > 0) { /* keep the best rounds of these trees */
      BoosterHandle kept = NULL;
      if (XGBoosterSlice(b, 0, g->first + g->best, 1, &kept) != 0) rc = xgb_error(err, "slice");
      XGBoosterFree(b);
      b = kept;
    } else if (b) {
      XGBoosterFree(b); /* refit (or no tree to keep): boosted again below */
      b = NULL;
    }
    for (int i = 0; i < 2; i++)
      if (d[i]) XGDMatrixFree(d[i]);
    d[0] = d[1] = NULL;
  } else {
    last = g->p->rounds;
  }
  if (rc == VIRAL_OK && !b) { /* every row: the best count of rounds, or all of them */
    rc = matrix(r, 0, n, ncol, &d[0], err);
    if (rc == VIRAL_OK) rc = booster(d, 1, g->p, base_rate(r, 0, n), json, json_len, &b, err);
    boosting all = *g;
    all.from = all.to = n;
    if (rc == VIRAL_OK) rc = boost(&all, b, d[0], NULL, last, err);
  }
  if (rc == VIRAL_OK) rc = save_json(b, out, out_len, err);
  if (b) XGBoosterFree(b);
  if (d[0]) XGDMatrixFree(d[0]);
  free(g->best_m);
  g->best_m = NULL;
  return rc;
}

/* ---- the model ---- */

void gbt_model_free(viral_gbt_model *m) {
  if (!m) return;
  if (m->booster) XGBoosterFree(m->booster);
  pthread_mutex_destroy(&m->lock);
  gbt_trees_release(&m->trees);
  free(m->columns);
  free(m->booster_json);
  free(m);
}

/* A model owning columns and json (freed here on failure). */
static viral_gbt_model *assemble(const viral_gbt_params *p, uint32_t *columns, size_t ncol, char *json, size_t len,
                                 viral_error *err) {
  viral_gbt_model *m = calloc(1, sizeof *m);
  if (!m || pthread_mutex_init(&m->lock, NULL) != 0) {
    free(m);
    free(columns);
    free(json);
    nomem(err);
    return NULL;
  }
  m->params = *p;
  m->columns = columns;
  m->ncol = ncol;
  m->booster_json = json;
  m->booster_len = len;
  int rc = gbt_trees_read(&m->trees, json, len, columns, ncol, err);
  bst_ulong features = 0;
  if (rc == VIRAL_OK) rc = booster(NULL, 0, p, 0, json, len, &m->booster, err);
  if (rc == VIRAL_OK && (XGBoosterGetNumFeature(m->booster, &features) != 0 || features != ncol))
    rc = viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "booster: xgboost reads %lu features, not %zu",
                         (unsigned long)features, ncol);
  /* explanations are one row at a time */
  if (rc == VIRAL_OK && XGBoosterSetParam(m->booster, "nthread", "1") != 0) rc = xgb_error(err, "parameters");
  if (rc != VIRAL_OK) {
    gbt_model_free(m);
    return NULL;
  }
  return m;
}

/* Both labels among the rows, as a base score in (0, 1) needs. */
static int both_classes(const gbt_rows *r, viral_error *err) {
  int seen[2] = {0, 0};
  for (size_t i = 0; i < r->count; i++) seen[r->label[i] > 0.5f] = 1;
  if (seen[0] && seen[1]) return VIRAL_OK;
  return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "gbt needs rows of both classes to learn from, not only %d",
                         seen[1]);
}

viral_gbt_model *gbt_fit(const viral_gbt_params *p, gbt_rows *rows, uint32_t dim, gbt_scored scored, void *ctx,
                         viral_error *err) {
  const char *why = viral_gbt_params_check(p);
  if (why) {
    viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "gbt: %s", why);
    return NULL;
  }
  uint32_t *columns = NULL;
  int32_t *column_of = NULL;
  size_t ncol = 0, len = 0;
  char *json = NULL;
  int rc = both_classes(rows, err);
  if (rc == VIRAL_OK) rc = choose_columns(rows, dim, p->min_rows, &columns, &ncol, &column_of, err);
  if (rc == VIRAL_OK) to_columns(rows, column_of, dim);
  free(column_of);
  boosting g = {p, rows, 0, 0, 0, 0, NULL};
  choose_slice(&g, rows);
  if (rc == VIRAL_OK) rc = grow_trees(&g, NULL, 0, ncol, &json, &len, scored, ctx, err);
  if (rc != VIRAL_OK) {
    free(columns);
    return NULL;
  }
  return assemble(p, columns, ncol, json, len, err);
}

/* Exchange the fitted state (trees, columns, text, booster) of a and b;
 * each keeps its parameters and lock. */
static void swap_state(viral_gbt_model *a, viral_gbt_model *b) {
  gbt_trees trees = a->trees;
  a->trees = b->trees;
  b->trees = trees;
  uint32_t *columns = a->columns;
  a->columns = b->columns;
  b->columns = columns;
  char *json = a->booster_json;
  a->booster_json = b->booster_json;
  b->booster_json = json;
  size_t len = a->booster_len;
  a->booster_len = b->booster_len;
  b->booster_len = len;
  BoosterHandle h = a->booster;
  a->booster = b->booster;
  b->booster = h;
}

int gbt_update(viral_gbt_model *m, gbt_rows *rows, gbt_scored scored, void *ctx, viral_error *err) {
  if (rows->count == 0) return VIRAL_OK;
  uint32_t n = m->ncol ? m->columns[m->ncol - 1] + 1 : 0;
  int32_t *column_of = malloc((n ? n : 1) * sizeof *column_of);
  uint32_t *columns = malloc((m->ncol ? m->ncol : 1) * sizeof *columns);
  if (!column_of || !columns) {
    free(column_of);
    free(columns);
    return nomem(err);
  }
  for (uint32_t i = 0; i < n; i++) column_of[i] = -1;
  for (size_t j = 0; j < m->ncol; j++) column_of[m->columns[j]] = (int32_t)j;
  memcpy(columns, m->columns, m->ncol * sizeof *columns);
  to_columns(rows, column_of, n);
  free(column_of);
  boosting g = {&m->params, rows, 0, 0, (int)m->trees.count, 0, NULL};
  choose_slice(&g, rows);
  char *json = NULL;
  size_t len = 0;
  int rc = grow_trees(&g, m->booster_json, m->booster_len, m->ncol, &json, &len, scored, ctx, err);
  viral_gbt_model *next = rc == VIRAL_OK ? assemble(&m->params, columns, m->ncol, json, len, err) : NULL;
  if (!next) {
    if (rc == VIRAL_OK) return err ? err->code : VIRAL_ERR_INVALID;
    free(columns);
    return rc;
  }
  swap_state(m, next);
  gbt_model_free(next); /* with m's old trees, text and booster */
  return VIRAL_OK;
}

viral_gbt_model *gbt_model_from_parts(const viral_gbt_params *p, const uint32_t *columns, size_t ncol, uint32_t dim,
                                      const char *booster_text, size_t len, viral_error *err) {
  const char *why = viral_gbt_params_check(p);
  if (why) {
    viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "gbt params: %s", why);
    return NULL;
  }
  for (size_t j = 0; j < ncol; j++)
    if (columns[j] >= dim || (j > 0 && columns[j] <= columns[j - 1])) {
      viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                      "gbt columns must be ascending feature indices below the pipeline's %u", (unsigned)dim);
      return NULL;
    }
  uint32_t *own = malloc((ncol ? ncol : 1) * sizeof *own);
  char *json = malloc(len + 1);
  if (!own || !json) {
    free(own);
    free(json);
    nomem(err);
    return NULL;
  }
  memcpy(own, columns, ncol * sizeof *own);
  memcpy(json, booster_text, len);
  json[len] = '\0';
  return assemble(p, own, ncol, json, len, err);
}

/* ---- scoring and explaining ---- */

int viral_gbt_predict(const viral_gbt_model *m, const viral_sparse *x, double *probability, double *margin,
                      viral_error *err) {
  if (!finite_values(x)) return not_finite(err);
  double z = gbt_trees_margin(&m->trees, x);
  if (margin) *margin = z;
  if (probability) *probability = sigmoid(z);
  return VIRAL_OK;
}

/* Column of viral index i, or -1. */
static long column_of(const viral_gbt_model *m, uint32_t i) {
  size_t lo = 0, hi = m->ncol;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (m->columns[mid] < i) lo = mid + 1;
    else hi = mid;
  }
  return lo < m->ncol && m->columns[lo] == i ? (long)lo : -1;
}

/* x as one row of columns: its columns' items (in order: columns ascend
 * with viral's indices) into r. */
static int one_row(const viral_gbt_model *m, const viral_sparse *x, gbt_rows *r, viral_error *err) {
  viral_sparse kept;
  viral_sparse_init(&kept);
  int rc = VIRAL_OK;
  for (size_t i = 0; i < x->count && rc == VIRAL_OK; i++) {
    long j = column_of(m, x->items[i].index);
    if (j >= 0 && viral_sparse_push(&kept, (uint32_t)j, x->items[i].value) != VIRAL_OK) rc = nomem(err);
  }
  if (rc == VIRAL_OK) rc = gbt_rows_append(r, &kept, 0, 1, err);
  viral_sparse_release(&kept);
  return rc;
}

int viral_gbt_contributions(const viral_gbt_model *m, const viral_sparse *x, double *out, double *bias,
                            double *absent, viral_error *err) {
  if (!finite_values(x)) return not_finite(err);
  gbt_rows r;
  gbt_rows_init(&r);
  float *shap = malloc((m->ncol + 1) * sizeof *shap);
  DMatrixHandle d = NULL;
  int rc = shap ? one_row(m, x, &r, err) : nomem(err);
  if (rc == VIRAL_OK) rc = matrix(&r, 0, 1, m->ncol, &d, err);
  if (rc == VIRAL_OK) {
    pthread_mutex_t *lock = (pthread_mutex_t *)&m->lock; /* the booster's calls, not the model, change */
    pthread_mutex_lock(lock);
    const bst_ulong *shape;
    bst_ulong dim;
    const float *c;
    if (XGBoosterPredictFromDMatrix(m->booster, d, contrib_config, &shape, &dim, &c) != 0) rc = xgb_error(err, "contributions");
    else memcpy(shap, c, (m->ncol + 1) * sizeof *shap);
    pthread_mutex_unlock(lock);
  }
  if (rc == VIRAL_OK) {
    double rest = 0;
    for (size_t j = 0; j < m->ncol; j++) rest += shap[j];
    for (size_t i = 0; i < x->count; i++) {
      long j = column_of(m, x->items[i].index);
      out[i] = j >= 0 ? shap[j] : 0;
      rest -= out[i];
    }
    if (bias) *bias = shap[m->ncol];
    if (absent) *absent = rest;
  }
  if (d) XGDMatrixFree(d);
  gbt_rows_release(&r);
  free(shap);
  return rc;
}

void viral_gbt_importance(const viral_gbt_model *m, double *w, uint32_t dim) {
  for (uint32_t i = 0; i < dim; i++) w[i] = 0;
  for (size_t j = 0; j < m->ncol; j++)
    if (m->columns[j] < dim) w[m->columns[j]] = m->trees.gain[j];
}

size_t viral_gbt_tree_count(const viral_gbt_model *m) { return m->trees.count; }

size_t viral_gbt_columns(const viral_gbt_model *m, const uint32_t **columns) {
  if (columns) *columns = m->columns;
  return m->ncol;
}

const viral_gbt_params *viral_gbt_model_params(const viral_gbt_model *m) { return &m->params; }

const char *viral_gbt_booster_json(const viral_gbt_model *m, size_t *len) {
  if (len) *len = m->booster_len;
  return m->booster_json;
}
