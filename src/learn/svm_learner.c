/* svm_learner.c - libsvm's C-SVC (viral/svm.h) as a row of the learner
 * table (learn/learner.h): its options, fitting on the rows held in
 * memory, updating by support-vector carry-over, scoring, explaining, its
 * linear weights and its section of the model file:
 *
 *   "svm": {"model": "libsvm model text", "params": {...}}
 *
 * It does not learn one row at a time. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/json_number.h"
#include "learn/learner.h"
#include "viral/logistic.h"
#include "viral/svm.h"

/* The fitted state: the libsvm model and what it was trained with (its
 * text holds only kernel and gamma). */
typedef struct svm_state {
  viral_svm_model *svm;
  viral_svm_params params;
} svm_state;

/* ---- parameters ---- */

static const viral_option options[] = {
    {"kernel", "K", "svm: linear (default) or rbf"},
    {"C", "X", "svm: cost (default 1)"},
    {"gamma", "X", "svm: rbf width (default 1 / mean non-zero features per row)"},
    {"seed", NULL, NULL},
    {"class-weight", NULL, NULL},
    {NULL, NULL, NULL},
};

static const viral_option tune_options[] = {
    {"log2c", "B,E,S", "svm: log2 of C from B to E by S (default -5,15,2, as grid.py)"},
    {"log2g", "B,E,S", "svm rbf: log2 of gamma from B to E by S (default 3,-15,-2)"},
    {NULL, NULL, NULL},
};

_Static_assert(sizeof(viral_svm_params) <= VIRAL_TRAIN_PARAMS_SIZE, "fits the params block");

static viral_svm_params *params_of(void *params) { return params; }
static const viral_svm_params *cparams(const viral_train_options *o) {
  return (const viral_svm_params *)o->params.bytes;
}

static void params_init(void *params) { viral_svm_params_init(params_of(params)); }

static int params_parse(void *params, viral_option_get get, void *ctx, viral_error *err) {
  viral_svm_params *sp = params_of(params);
  int rc;
  if ((rc = viral_option_number(get, ctx, "C", &sp->C, err)) != VIRAL_OK ||
      (rc = viral_option_number(get, ctx, "gamma", &sp->gamma, err)) != VIRAL_OK)
    return rc;
  const char *kernel = get(ctx, "kernel");
  if (kernel) {
    if (strcmp(kernel, "linear") == 0) sp->kernel = VIRAL_SVM_LINEAR;
    else if (strcmp(kernel, "rbf") == 0) sp->kernel = VIRAL_SVM_RBF;
    else return viral_option_error(err, "--kernel must be linear or rbf, not '%s'", kernel);
  }
  return VIRAL_OK;
}

/* The parameters the SVM trains with under o: its own, with the options'
 * seed and class weights, and Platt probabilities. */
static viral_svm_params learner_params(const viral_train_options *o) {
  viral_svm_params params = *cparams(o);
  params.seed = o->seed;
  params.weight0 = o->weight0;
  params.weight1 = o->weight1;
  params.probability = 1;
  params.liblinear = params.kernel == VIRAL_SVM_LINEAR; /* libsvm stays for rbf */
  return params;
}

static const char *params_check(const viral_train_options *o) {
  viral_svm_params params = *cparams(o);
  params.seed = o->seed;
  params.weight0 = o->weight0;
  params.weight1 = o->weight1;
  return viral_svm_params_check(&params);
}

static void params_describe(const viral_train_options *o, char *buf, size_t size) {
  const viral_svm_params *sp = cparams(o);
  char gamma[32];
  if (sp->gamma == 0) snprintf(gamma, sizeof gamma, "auto");
  else snprintf(gamma, sizeof gamma, "%g", sp->gamma);
  snprintf(buf, size, "%s C %g%s%s", sp->kernel == VIRAL_SVM_RBF ? "rbf" : "linear", sp->C,
           sp->kernel == VIRAL_SVM_RBF ? " gamma " : "", sp->kernel == VIRAL_SVM_RBF ? gamma : "");
}

/* libsvm's grid.py: C on a log2 scale, and gamma too for the rbf kernel
 * (the linear kernel has none: it stays as given). */
static const viral_tune_axis_def linear_axes[] = {
    {"C", "log2c", "-5,15,2", 1, 0},
    {"gamma", NULL, NULL, 0, 0},
};
static const viral_tune_axis_def rbf_axes[] = {
    {"C", "log2c", "-5,15,2", 1, 0},
    {"gamma", "log2g", "3,-15,-2", 1, 0},
};

static size_t tune_axes(const viral_train_options *o, const viral_tune_axis_def **out) {
  *out = cparams(o)->kernel == VIRAL_SVM_RBF ? rbf_axes : linear_axes;
  return 2;
}

static double *tuned(viral_train_options *o, const char *name) {
  viral_svm_params *sp = params_of(o->params.bytes);
  return strcmp(name, "C") == 0 ? &sp->C : strcmp(name, "gamma") == 0 ? &sp->gamma : NULL;
}

static int param_set(viral_train_options *o, const char *name, double value) {
  double *x = tuned(o, name);
  if (!x) return VIRAL_ERR_INVALID;
  *x = value;
  return VIRAL_OK;
}

static double param_get(const viral_train_options *o, const char *name) {
  double *x = tuned((viral_train_options *)o, name);
  return x ? *x : NAN;
}

/* ---- training ---- */

/* Every row of rows into ds (the SVM holds them all). */
static int collect(viral_fit_rows *rows, viral_dataset *ds, viral_error *err) {
  const viral_sparse *x;
  double y, w;
  int rc;
  while ((rc = viral_fit_rows_next(rows, &x, &y, &w, err)) == 1) {
    if (w != 1) return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "svm: rows take no weight");
    if (viral_dataset_append(ds, x, y) != VIRAL_OK)
      return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  }
  return rc;
}

static void free_state(void *state) {
  svm_state *s = state;
  if (!s) return;
  viral_svm_model_free(s->svm);
  free(s);
}

/* Fit on ds (the rows it learns from): the one place that chooses gamma and
 * class weights. No training-set summary: scoring every row against every
 * support vector took a third of the time of svm-train. */
static void *fit(const viral_learner_fit *f, viral_fit_rows *rows, viral_error *err) {
  svm_state *s = calloc(1, sizeof *s);
  if (!s) {
    viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
    return NULL;
  }
  viral_dataset ds;
  viral_dataset_init(&ds);
  int rc = collect(rows, &ds, err);
  s->params = learner_params(f->opts);
  /* libsvm's default gamma, 1 / (largest index + 1), is meant for dense
   * data: over 2^b hashed indices it makes the RBF kernel flat. Use one
   * over the mean number of non-zeros per row instead (each standardized or
   * one-hot feature contributes about 1 to |u - v|^2). */
  if (s->params.kernel == VIRAL_SVM_RBF && s->params.gamma == 0 && ds.rows > 0)
    s->params.gamma = (double)ds.rows / (double)(ds.row_start[ds.rows] ? ds.row_start[ds.rows] : 1);
  if (f->opts->balanced) {
    uint64_t pos = 0;
    for (size_t r = 0; r < ds.rows; r++) pos += ds.labels[r] > 0.5;
    viral_logistic_balanced_weights(pos, ds.rows - pos, &s->params.weight0, &s->params.weight1);
  }
  if (rc == VIRAL_OK && f->opts->warn && !s->params.liblinear) { /* LIBLINEAR takes seconds */
    double secs = viral_svm_estimate_seconds(&s->params, ds.rows,
                                             ds.rows ? (double)ds.row_start[ds.rows] / (double)ds.rows : 0);
    if (secs > 60) f->opts->warn(f->opts->warn_ctx, secs, ds.rows);
  }
  if (rc == VIRAL_OK && !(s->svm = viral_svm_train(&s->params, &ds, err))) rc = err ? err->code : VIRAL_ERR_INVALID;
  viral_dataset_release(&ds);
  if (rc != VIRAL_OK) {
    free_state(s);
    return NULL;
  }
  return s;
}

/* Retrain on the support vectors plus the new rows (viral_svm_update), with
 * the model's own gamma; the new rows scored by the new model summarize. */
static int update(void *state, const viral_learner_fit *f, viral_fit_rows *rows, viral_error *err) {
  svm_state *s = state;
  viral_dataset ds;
  viral_dataset_init(&ds);
  int rc = collect(rows, &ds, err);
  if (rc == VIRAL_OK && ds.rows > 0) {
    viral_svm_params params = s->params;
    params.gamma = 0; /* keep the model's own gamma */
    viral_svm_model *next = viral_svm_update(s->svm, &ds, f->opts->svm_budget, &params, err);
    if (!next) rc = err ? err->code : VIRAL_ERR_INVALID;
    else {
      viral_svm_model_free(s->svm);
      s->svm = next;
    }
  }
  for (size_t r = 0; rc == VIRAL_OK && f->scored && r < ds.rows; r++) {
    viral_sparse row = viral_dataset_row(&ds, r);
    double p = NAN;
    if (viral_svm_predict(s->svm, &row, &p, NULL, NULL) == VIRAL_OK && !isnan(p))
      f->scored(f->scored_ctx, p, ds.labels[r]);
  }
  viral_dataset_release(&ds);
  return rc;
}

/* ---- scoring ---- */

static int predict(const void *state, const viral_sparse *x, double *probability, double *margin,
                   viral_error *err) {
  return viral_svm_predict(((const svm_state *)state)->svm, x, probability, margin, err);
}

static int contributions(const void *state, const viral_sparse *x, double *out, viral_error *err) {
  return viral_svm_contributions(((const svm_state *)state)->svm, x, out, err);
}

static int weights(const void *state, double *w, uint32_t dim, viral_error *err) {
  double bias;
  if (viral_svm_linear_weights(((const svm_state *)state)->svm, w, dim, &bias, NULL) == VIRAL_OK) return VIRAL_OK;
  return viral_error_set(err, VIRAL_ERR_MISSING, NULL, 0, "an RBF kernel has no feature weights");
}

static void describe(const void *state, char *buf, size_t size) {
  const viral_svm_model *m = ((const svm_state *)state)->svm;
  snprintf(buf, size, "%s kernel, gamma %g, %zu support vectors",
           viral_svm_model_kernel(m) == VIRAL_SVM_RBF ? "rbf" : "linear", viral_svm_model_gamma(m),
           viral_svm_support_vector_count(m));
}

static int describe_json(const void *state, cJSON *o) {
  const viral_svm_model *m = ((const svm_state *)state)->svm;
  return cJSON_AddNumberToObject(o, "support_vectors", (double)viral_svm_support_vector_count(m)) ? VIRAL_OK
                                                                                                   : VIRAL_ERR_NOMEM;
}

/* ---- the model file: "svm" ---- */

static const viral_document_key params_keys[] = {
    {"kernel", NULL, 0}, {"C", NULL, 0}, {"gamma", NULL, 0}, {"weight0", NULL, 0},
    {"weight1", NULL, 0}, {"cache_mb", NULL, 0}, {"eps", NULL, 0}, {"shrinking", NULL, 0},
    {"probability", NULL, 0}, {"seed", NULL, 0}, {NULL, NULL, 0}};
static const viral_document_key section_keys[] = {
    {"params", params_keys, 0}, {"model", NULL, 0}, {NULL, NULL, 0}};

static cJSON *params_json(const viral_svm_params *p) {
  cJSON *o = cJSON_CreateObject();
  if (!o || !cJSON_AddStringToObject(o, "kernel", p->kernel == VIRAL_SVM_RBF ? "rbf" : "linear") ||
      viral_json_add_number(o, "C", p->C) || viral_json_add_number(o, "gamma", p->gamma) ||
      viral_json_add_number(o, "weight0", p->weight0) ||
      viral_json_add_number(o, "weight1", p->weight1) ||
      viral_json_add_number(o, "cache_mb", p->cache_mb) || viral_json_add_number(o, "eps", p->eps) ||
      viral_json_add_number(o, "shrinking", p->shrinking) ||
      viral_json_add_number(o, "probability", p->probability) ||
      viral_json_add_number(o, "seed", p->seed)) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

static int to_json(const void *state, cJSON *doc, viral_document_part *parts, size_t *count,
                   viral_error *err) {
  (void)parts, (void)count;
  const svm_state *s = state;
  char *text = NULL;
  size_t len = 0;
  if (viral_svm_to_text(s->svm, &text, &len, err) != VIRAL_OK) return err ? err->code : VIRAL_ERR_NOMEM;
  cJSON *section = cJSON_CreateObject();
  cJSON *params = params_json(&s->params);
  if (!section || !params || !cJSON_AddStringToObject(section, "model", text)) {
    free(text);
    cJSON_Delete(section);
    cJSON_Delete(params);
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  }
  free(text);
  cJSON_AddItemToObjectCS(section, "params", params);
  cJSON_AddItemToObject(doc, "svm", section);
  return VIRAL_OK;
}

static int read_params(const cJSON *params, viral_svm_params *p, const char *path, viral_error *err) {
  viral_svm_params_init(p);
  const cJSON *kernel = cJSON_GetObjectItemCaseSensitive(params, "kernel");
  if (!cJSON_IsString(kernel) || (strcmp(kernel->valuestring, "linear") && strcmp(kernel->valuestring, "rbf")))
    return viral_document_bad(err, path, "kernel", "must be \"linear\" or \"rbf\"");
  p->kernel = strcmp(kernel->valuestring, "rbf") == 0 ? VIRAL_SVM_RBF : VIRAL_SVM_LINEAR;
  double shrinking, probability, seed;
  int rc;
  if ((rc = viral_document_number(params, "C", 0, 1e300, 0, &p->C, path, err)) ||
      (rc = viral_document_number(params, "gamma", 0, 1e300, 0, &p->gamma, path, err)) ||
      (rc = viral_document_number(params, "weight0", 0, 1e300, 0, &p->weight0, path, err)) ||
      (rc = viral_document_number(params, "weight1", 0, 1e300, 0, &p->weight1, path, err)) ||
      (rc = viral_document_number(params, "cache_mb", 0, VIRAL_SVM_MAX_CACHE_MB, 0, &p->cache_mb, path, err)) ||
      (rc = viral_document_number(params, "eps", 0, 1e300, 0, &p->eps, path, err)) ||
      (rc = viral_document_number(params, "shrinking", 0, 1, 1, &shrinking, path, err)) ||
      (rc = viral_document_number(params, "probability", 0, 1, 1, &probability, path, err)) ||
      (rc = viral_document_number(params, "seed", 0, 4294967295.0, 1, &seed, path, err)))
    return rc;
  p->shrinking = (int)shrinking;
  p->probability = (int)probability;
  p->seed = (unsigned)seed;
  p->liblinear = p->kernel == VIRAL_SVM_LINEAR; /* as learner_params: update refits with LIBLINEAR */
  const char *why = viral_svm_params_check(p);
  return why ? viral_error_set(err, VIRAL_ERR_INVALID, path, 0, "svm params: %s", why) : VIRAL_OK;
}

static void *from_json(const cJSON *doc, const char *cut, size_t cut_len, const viral_pipeline *p,
                       const char *path, viral_error *err) {
  (void)cut, (void)cut_len, (void)p;
  const cJSON *section = cJSON_GetObjectItemCaseSensitive(doc, "svm");
  const cJSON *text = cJSON_GetObjectItemCaseSensitive(section, "model");
  const cJSON *params = cJSON_GetObjectItemCaseSensitive(section, "params");
  if (!cJSON_IsObject(section) || !cJSON_IsString(text) || !cJSON_IsObject(params)) {
    viral_document_bad(err, path, "svm", "must hold \"params\" and the libsvm \"model\" text");
    return NULL;
  }
  svm_state *s = calloc(1, sizeof *s);
  if (!s) {
    viral_error_set(err, VIRAL_ERR_NOMEM, path, 0, "out of memory");
    return NULL;
  }
  int rc = read_params(params, &s->params, path, err);
  if (rc == VIRAL_OK && !(s->svm = viral_svm_from_text(text->valuestring, strlen(text->valuestring), err)))
    rc = viral_error_wrap(err, path, 0);
  if (rc == VIRAL_OK && !viral_svm_has_probability(s->svm))
    rc = viral_error_set(err, VIRAL_ERR_INVALID, path, 0, "svm model has no probability estimates");
  if (rc != VIRAL_OK) {
    free_state(s);
    return NULL;
  }
  return s;
}

/* ---- its row of the table ---- */

const viral_learner viral_svm_learner_ = {
    .name = "svm",
    .summary = "LIBLINEAR linear, libsvm rbf",
    .scaling = NULL, /* the spec's: standardized by a fitting pass */
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
    .section = {"svm", section_keys, 0},
    .to_json = to_json,
    .from_json = from_json,
    .free = free_state,
};

viral_svm_params *viral_train_options_svm(viral_train_options *o) {
  return o->learner == &viral_svm_learner_ ? params_of(o->params.bytes) : NULL;
}

const viral_svm_model *viral_model_svm(const viral_model *m) {
  const svm_state *s = viral_model_state_(m, &viral_svm_learner_);
  return s ? s->svm : NULL;
}
