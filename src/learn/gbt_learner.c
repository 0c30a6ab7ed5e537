/* gbt_learner.c - gradient-boosted trees (viral/gbt.h) as a row of the
 * learner table (learn/learner.h): its options, fitting on the rows held
 * in memory, updating by adding trees, scoring, SHAP explanations, gain
 * per feature and its section of the model file:
 *
 *   "gbt": {"params": {...}, "columns": [viral's index of each tree column],
 *           "booster": "XGBoost's JSON model, as text"}
 *
 * It does not learn one row at a time. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/json_number.h"
#include "learn/gbt_internal.h"
#include "learn/learner.h"
#include "viral/logistic.h"

/* ---- parameters ---- */

static const viral_option options[] = {
    {"max-depth", "N", "gbt: depth of each tree (default 4)"},
    {"eta", "X", "gbt: learning rate (default 0.02)"},
    {"min-child-weight", "X", "gbt: least hessian in a leaf (default 1)"},
    {"lambda", "X", "gbt: L2 penalty on leaf values (default 1)"},
    {"subsample", "X", "gbt: share of rows each tree sees (default 0.8)"},
    {"colsample", "X", "gbt: share of features each tree sees (default 0.8)"},
    {"rounds", "N", "gbt: most trees to add (default 2000)"},
    {"early-stop", "N", "gbt: stop after N rounds without a better slice (default 50; 0: all rounds)"},
    {"valid-fraction", "X", "gbt: the last share of rows that early stopping scores (default 0.1)"},
    {"no-refit", NULL, "gbt: keep the trees fitted without the slice (default: refit on all rows)"},
    {"min-feature-rows", "N", "gbt: rows that must hold a feature for trees to use it (default 20)"},
    {"threads", "N", "gbt: XGBoost threads while fitting; results may depend on it (default 1)"},
    {"seed", NULL, NULL},
    {"class-weight", NULL, NULL},
    {NULL, NULL, NULL},
};

static const viral_option tune_options[] = {
    {"max-depth-grid", "LIST", "gbt: max-depth values (default 3,6)"},
    {"eta-grid", "LIST", "gbt: eta values (default 0.05,0.1)"},
    {"min-child-weight-grid", "LIST", "gbt: min-child-weight values (default 1,10)"},
    {NULL, NULL, NULL},
};

_Static_assert(sizeof(viral_gbt_params) <= VIRAL_TRAIN_PARAMS_SIZE, "fits the params block");

static viral_gbt_params *params_of(void *params) { return params; }
static const viral_gbt_params *cparams(const viral_train_options *o) {
  return (const viral_gbt_params *)o->params.bytes;
}

static void params_init(void *params) { viral_gbt_params_init(params_of(params)); }

/* A whole-number option within [lo, hi] into *out when given. */
static int whole_option(viral_option_get get, void *ctx, const char *name, long lo, long hi, long *out,
                        viral_error *err) {
  long v = *out;
  int rc = viral_option_whole(get, ctx, name, &v, err);
  if (rc != VIRAL_OK) return rc;
  if (v < lo || v > hi) return viral_option_error(err, "--%s must be from %ld to %ld", name, lo, hi);
  *out = v;
  return VIRAL_OK;
}

static int params_parse(void *params, viral_option_get get, void *ctx, viral_error *err) {
  viral_gbt_params *p = params_of(params);
  long depth = p->max_depth, rounds = p->rounds, stop = p->early_stop, min_rows = p->min_rows, threads = p->threads;
  int rc;
  if ((rc = viral_option_number(get, ctx, "eta", &p->eta, err)) != VIRAL_OK ||
      (rc = viral_option_number(get, ctx, "min-child-weight", &p->min_child_weight, err)) != VIRAL_OK ||
      (rc = viral_option_number(get, ctx, "lambda", &p->lambda, err)) != VIRAL_OK ||
      (rc = viral_option_number(get, ctx, "subsample", &p->subsample, err)) != VIRAL_OK ||
      (rc = viral_option_number(get, ctx, "colsample", &p->colsample, err)) != VIRAL_OK ||
      (rc = viral_option_number(get, ctx, "valid-fraction", &p->valid_fraction, err)) != VIRAL_OK ||
      (rc = whole_option(get, ctx, "max-depth", 1, VIRAL_GBT_MAX_DEPTH, &depth, err)) != VIRAL_OK ||
      (rc = whole_option(get, ctx, "rounds", 1, VIRAL_GBT_MAX_ROUNDS, &rounds, err)) != VIRAL_OK ||
      (rc = whole_option(get, ctx, "early-stop", 0, VIRAL_GBT_MAX_ROUNDS, &stop, err)) != VIRAL_OK ||
      (rc = whole_option(get, ctx, "min-feature-rows", 1, 4294967295L, &min_rows, err)) != VIRAL_OK ||
      (rc = whole_option(get, ctx, "threads", 1, VIRAL_GBT_MAX_THREADS, &threads, err)) != VIRAL_OK)
    return rc;
  p->max_depth = (int)depth;
  p->rounds = (int)rounds;
  p->early_stop = (int)stop;
  p->min_rows = (uint32_t)min_rows;
  p->threads = (int)threads;
  if (get(ctx, "no-refit")) p->refit = 0;
  return VIRAL_OK;
}

/* The parameters the trees are fitted with under o: its own, with the
 * options' seed and class weights. */
static viral_gbt_params learner_params(const viral_train_options *o) {
  viral_gbt_params p = *cparams(o);
  p.seed = o->seed;
  p.weight0 = o->weight0;
  p.weight1 = o->weight1;
  return p;
}

static const char *params_check(const viral_train_options *o) {
  viral_gbt_params p = learner_params(o);
  return viral_gbt_params_check(&p);
}

static void params_describe(const viral_train_options *o, char *buf, size_t size) {
  const viral_gbt_params *p = cparams(o);
  char stop[96] = "";
  if (p->early_stop > 0)
    snprintf(stop, sizeof stop, " early-stop %d on the last %g%s", p->early_stop, p->valid_fraction,
             p->refit ? "" : " no-refit");
  snprintf(buf, size, "max-depth %d eta %g min-child-weight %g lambda %g subsample %g colsample %g rounds %d%s",
           p->max_depth, p->eta, p->min_child_weight, p->lambda, p->subsample, p->colsample, p->rounds, stop);
}

static const viral_tune_axis_def axes[] = {
    {"max-depth", "max-depth-grid", "3,6", 0, 1},
    {"eta", "eta-grid", "0.05,0.1", 0, 1},
    {"min-child-weight", "min-child-weight-grid", "1,10", 0, 0},
};

static size_t tune_axes(const viral_train_options *o, const viral_tune_axis_def **out) {
  (void)o;
  *out = axes;
  return sizeof axes / sizeof axes[0];
}

static int param_set(viral_train_options *o, const char *name, double value) {
  viral_gbt_params *p = params_of(o->params.bytes);
  if (strcmp(name, "max-depth") == 0) {
    if (!(value >= 1 && value <= VIRAL_GBT_MAX_DEPTH) || value != floor(value)) return VIRAL_ERR_INVALID;
    p->max_depth = (int)value;
  } else if (strcmp(name, "eta") == 0) {
    p->eta = value;
  } else if (strcmp(name, "min-child-weight") == 0) {
    p->min_child_weight = value;
  } else {
    return VIRAL_ERR_INVALID;
  }
  return VIRAL_OK;
}

static double param_get(const viral_train_options *o, const char *name) {
  const viral_gbt_params *p = cparams(o);
  return strcmp(name, "max-depth") == 0          ? p->max_depth
         : strcmp(name, "eta") == 0              ? p->eta
         : strcmp(name, "min-child-weight") == 0 ? p->min_child_weight
                                                 : NAN;
}

/* ---- training ---- */

/* Every row of rows into r, with its importance: the row's weight times
 * its class's (balanced: from the counts of r's labels). */
static int collect(const viral_learner_fit *f, viral_gbt_params *p, viral_fit_rows *rows, gbt_rows *r,
                   viral_error *err) {
  const viral_sparse *x;
  double y, w;
  int rc;
  uint64_t pos = 0;
  while ((rc = viral_fit_rows_next(rows, &x, &y, &w, err)) == 1) {
    if ((rc = gbt_rows_append(r, x, y, w, err)) != VIRAL_OK) return rc;
    pos += y > 0.5;
  }
  if (rc != VIRAL_OK) return rc;
  if (f->opts->balanced) viral_logistic_balanced_weights(pos, r->count - pos, &p->weight0, &p->weight1);
  for (size_t i = 0; i < r->count; i++) r->weight[i] *= (float)(r->label[i] > 0.5f ? p->weight1 : p->weight0);
  return VIRAL_OK;
}

static void *fit(const viral_learner_fit *f, viral_fit_rows *rows, viral_error *err) {
  viral_gbt_params p = learner_params(f->opts);
  gbt_rows r;
  gbt_rows_init(&r);
  viral_gbt_model *m = NULL;
  if (collect(f, &p, rows, &r, err) == VIRAL_OK)
    m = gbt_fit(&p, &r, viral_pipeline_dim(f->pipeline), f->scored, f->scored_ctx, err);
  gbt_rows_release(&r);
  return m;
}

/* More trees, fitted on the new rows with the model's own parameters and
 * class weights (a balanced model keeps the weights of its training rows). */
static int update(void *state, const viral_learner_fit *f, viral_fit_rows *rows, viral_error *err) {
  viral_gbt_model *m = state;
  viral_gbt_params p = *viral_gbt_model_params(m);
  viral_learner_fit keep = *f;
  viral_train_options o = *f->opts;
  o.balanced = 0;
  keep.opts = &o;
  gbt_rows r;
  gbt_rows_init(&r);
  int rc = collect(&keep, &p, rows, &r, err);
  if (rc == VIRAL_OK) rc = gbt_update(m, &r, f->scored, f->scored_ctx, err);
  gbt_rows_release(&r);
  return rc;
}

/* ---- scoring ---- */

static int predict(const void *state, const viral_sparse *x, double *probability, double *margin,
                   viral_error *err) {
  return viral_gbt_predict(state, x, probability, margin, err);
}

static int contributions(const void *state, const viral_sparse *x, double *out, viral_error *err) {
  return viral_gbt_contributions(state, x, out, NULL, NULL, err);
}

static int weights(const void *state, double *w, uint32_t dim, viral_error *err) {
  (void)err;
  viral_gbt_importance(state, w, dim);
  return VIRAL_OK;
}

static void describe(const void *state, char *buf, size_t size) {
  const viral_gbt_params *p = viral_gbt_model_params(state);
  snprintf(buf, size, "%zu trees of depth %d at most, eta %g, %zu features used as columns",
           viral_gbt_tree_count(state), p->max_depth, p->eta, viral_gbt_columns(state, NULL));
}

static int describe_json(const void *state, cJSON *o) {
  return cJSON_AddNumberToObject(o, "trees", (double)viral_gbt_tree_count(state)) &&
                 cJSON_AddNumberToObject(o, "columns", (double)viral_gbt_columns(state, NULL))
             ? VIRAL_OK
             : VIRAL_ERR_NOMEM;
}

/* ---- the model file: "gbt" ---- */

static const viral_document_key params_keys[] = {
    {"max_depth", NULL, 0}, {"eta", NULL, 0}, {"min_child_weight", NULL, 0}, {"lambda", NULL, 0},
    {"subsample", NULL, 0}, {"colsample", NULL, 0}, {"rounds", NULL, 0}, {"early_stop", NULL, 0},
    {"valid_fraction", NULL, 0}, {"refit", NULL, 0}, {"min_rows", NULL, 0}, {"threads", NULL, 0},
    {"seed", NULL, 0}, {"weight0", NULL, 0}, {"weight1", NULL, 0}, {NULL, NULL, 0}};
static const viral_document_key section_keys[] = {
    {"params", params_keys, 0}, {"columns", NULL, 0}, {"booster", NULL, 0}, {NULL, NULL, 0}};

static cJSON *params_json(const viral_gbt_params *p) {
  cJSON *o = cJSON_CreateObject();
  if (!o || viral_json_add_number(o, "max_depth", p->max_depth) || viral_json_add_number(o, "eta", p->eta) ||
      viral_json_add_number(o, "min_child_weight", p->min_child_weight) ||
      viral_json_add_number(o, "lambda", p->lambda) || viral_json_add_number(o, "subsample", p->subsample) ||
      viral_json_add_number(o, "colsample", p->colsample) || viral_json_add_number(o, "rounds", p->rounds) ||
      viral_json_add_number(o, "early_stop", p->early_stop) ||
      viral_json_add_number(o, "valid_fraction", p->valid_fraction) ||
      viral_json_add_number(o, "refit", p->refit) || viral_json_add_number(o, "min_rows", p->min_rows) ||
      viral_json_add_number(o, "threads", p->threads) || viral_json_add_number(o, "seed", p->seed) ||
      viral_json_add_number(o, "weight0", p->weight0) || viral_json_add_number(o, "weight1", p->weight1)) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

static int to_json(const void *state, cJSON *doc, viral_document_part *parts, size_t *count, viral_error *err) {
  (void)parts, (void)count;
  const uint32_t *columns;
  size_t ncol = viral_gbt_columns(state, &columns);
  cJSON *section = cJSON_CreateObject();
  cJSON *params = params_json(viral_gbt_model_params(state));
  cJSON *cols = cJSON_CreateArray();
  int ok = section && params && cols;
  for (size_t j = 0; ok && j < ncol; j++) ok = viral_json_append_number(cols, columns[j]) == 0;
  if (ok) {
    cJSON_AddItemToObjectCS(section, "params", params);
    cJSON_AddItemToObjectCS(section, "columns", cols);
    params = cols = NULL;
    ok = cJSON_AddStringToObject(section, "booster", viral_gbt_booster_json(state, NULL)) != NULL;
  }
  if (!ok) {
    cJSON_Delete(section);
    cJSON_Delete(params);
    cJSON_Delete(cols);
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  }
  cJSON_AddItemToObject(doc, "gbt", section);
  return VIRAL_OK;
}

static int read_params(const cJSON *o, viral_gbt_params *p, const char *path, viral_error *err) {
  viral_gbt_params_init(p);
  double depth, rounds, stop, refit, min_rows, threads, seed;
  int rc;
  if ((rc = viral_document_number(o, "max_depth", 1, VIRAL_GBT_MAX_DEPTH, 1, &depth, path, err)) ||
      (rc = viral_document_number(o, "eta", 0, 1, 0, &p->eta, path, err)) ||
      (rc = viral_document_number(o, "min_child_weight", 0, 1e300, 0, &p->min_child_weight, path, err)) ||
      (rc = viral_document_number(o, "lambda", 0, 1e300, 0, &p->lambda, path, err)) ||
      (rc = viral_document_number(o, "subsample", 0, 1, 0, &p->subsample, path, err)) ||
      (rc = viral_document_number(o, "colsample", 0, 1, 0, &p->colsample, path, err)) ||
      (rc = viral_document_number(o, "rounds", 1, VIRAL_GBT_MAX_ROUNDS, 1, &rounds, path, err)) ||
      (rc = viral_document_number(o, "early_stop", 0, VIRAL_GBT_MAX_ROUNDS, 1, &stop, path, err)) ||
      (rc = viral_document_number(o, "valid_fraction", 0, 0.5, 0, &p->valid_fraction, path, err)) ||
      (rc = viral_document_number(o, "refit", 0, 1, 1, &refit, path, err)) ||
      (rc = viral_document_number(o, "min_rows", 1, 4294967295.0, 1, &min_rows, path, err)) ||
      (rc = viral_document_number(o, "threads", 1, VIRAL_GBT_MAX_THREADS, 1, &threads, path, err)) ||
      (rc = viral_document_number(o, "seed", 0, 4294967295.0, 1, &seed, path, err)) ||
      (rc = viral_document_number(o, "weight0", 0, 1e300, 0, &p->weight0, path, err)) ||
      (rc = viral_document_number(o, "weight1", 0, 1e300, 0, &p->weight1, path, err)))
    return rc;
  p->max_depth = (int)depth;
  p->rounds = (int)rounds;
  p->early_stop = (int)stop;
  p->refit = (int)refit;
  p->min_rows = (uint32_t)min_rows;
  p->threads = (int)threads;
  p->seed = (uint32_t)seed;
  const char *why = viral_gbt_params_check(p);
  return why ? viral_error_set(err, VIRAL_ERR_INVALID, path, 0, "gbt params: %s", why) : VIRAL_OK;
}

/* The "columns" array: whole numbers (ascending, below the pipeline's
 * dimension: gbt_model_from_parts checks) into *out (caller frees). */
static int read_columns(const cJSON *a, uint32_t **out, size_t *n, const char *path, viral_error *err) {
  *n = (size_t)cJSON_GetArraySize(a);
  if (!(*out = malloc((*n ? *n : 1) * sizeof **out))) return viral_error_set(err, VIRAL_ERR_NOMEM, path, 0, "out of memory");
  size_t j = 0;
  for (const cJSON *c = a->child; c; c = c->next) {
    if (!cJSON_IsNumber(c) || !(c->valuedouble >= 0 && c->valuedouble < 4294967296.0) ||
        c->valuedouble != floor(c->valuedouble))
      return viral_document_bad(err, path, "columns", "must hold feature indices");
    (*out)[j++] = (uint32_t)c->valuedouble;
  }
  return VIRAL_OK;
}

static void *from_json(const cJSON *doc, const char *cut, size_t cut_len, const viral_pipeline *pipeline,
                       const char *path, viral_error *err) {
  (void)cut, (void)cut_len;
  const cJSON *section = cJSON_GetObjectItemCaseSensitive(doc, "gbt");
  const cJSON *params = cJSON_GetObjectItemCaseSensitive(section, "params");
  const cJSON *columns = cJSON_GetObjectItemCaseSensitive(section, "columns");
  const cJSON *booster = cJSON_GetObjectItemCaseSensitive(section, "booster");
  if (!cJSON_IsObject(section) || !cJSON_IsObject(params) || !cJSON_IsArray(columns) || !cJSON_IsString(booster)) {
    viral_document_bad(err, path, "gbt", "must hold \"params\", \"columns\" and the XGBoost \"booster\" text");
    return NULL;
  }
  viral_gbt_params p;
  uint32_t *cols = NULL;
  size_t ncol = 0;
  viral_gbt_model *m = NULL;
  if (read_params(params, &p, path, err) == VIRAL_OK && read_columns(columns, &cols, &ncol, path, err) == VIRAL_OK &&
      !(m = gbt_model_from_parts(&p, cols, ncol, viral_pipeline_dim(pipeline), booster->valuestring,
                                 strlen(booster->valuestring), err)))
    viral_error_wrap(err, path, 0);
  free(cols);
  return m;
}

static void free_state(void *state) { gbt_model_free(state); }

/* ---- its row of the table ---- */

const viral_learner viral_gbt_learner_ = {
    .name = "gbt",
    .summary = "XGBoost trees",
    .scaling = "none", /* a split is the same on any monotone scale */
    .importance = "total gain",
    .options = options,
    .tune_options = tune_options,
    .params_init = params_init,
    .params_parse = params_parse,
    .params_check = params_check,
    .params_describe = params_describe,
    .tune_axes = tune_axes,
    .param_set = param_set,
    .param_get = param_get,
    .check = NULL,
    .counts_first = NULL,
    .fit = fit,
    .update = update,
    .online_refusal = NULL,
    .create = NULL,
    .learn = NULL,
    .predict = predict,
    .contributions = contributions,
    .weights = weights,
    .describe = describe,
    .describe_json = describe_json,
    .section = {"gbt", section_keys, 0},
    .to_json = to_json,
    .from_json = from_json,
    .free = free_state,
};

viral_gbt_params *viral_train_options_gbt(viral_train_options *o) {
  return o->learner == &viral_gbt_learner_ ? params_of(o->params.bytes) : NULL;
}

const viral_gbt_model *viral_model_gbt(const viral_model *m) { return viral_model_state_(m, &viral_gbt_learner_); }
