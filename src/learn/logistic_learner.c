/* logistic_learner.c - the online logistic learner (viral/logistic.h) as a
 * row of the learner table (learn/learner.h): its options, fitting in one
 * streaming pass (or several passes over rows held in memory), learning
 * one row at a time, scoring, explaining, its weights and its section of
 * the model file ("logistic", learn/logistic_json.h). Its state is the
 * viral_logistic itself. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learn/learner.h"
#include "learn/logistic_json.h"
#include "viral/logistic.h"

/* ---- parameters ---- */

static const viral_option options[] = {
    {"optimizer", "NAME", "logistic: ftrl (default), adagrad or sgd"},
    {"alpha", "X", "logistic: learning rate scale (ftrl default 0.5)"},
    {"beta", "X", "logistic: ftrl/adagrad rate smoothing (default 1)"},
    {"l1", "X", "logistic: L1 penalty (default 0)"},
    {"l2", "X", "logistic: L2 penalty (ftrl default 1)"},
    {"passes", "N", "logistic: passes over the data (default 1; more hold rows in memory)"},
    {"shuffle", NULL, "logistic: shuffle the rows every pass (seeded)"},
    {"seed", NULL, NULL},
    {"bits", "B", "logistic: weights for 2^B hashed features (default: the spec's)"},
    {"no-normalize", NULL, "logistic: raw values (no learned means, sds or scales)"},
    {"class-weight", NULL, NULL},
    {NULL, NULL, NULL},
};

static const viral_option tune_options[] = {
    {"alpha-grid", "LIST", "logistic: alpha values (default 0.05,0.1,0.2,0.5,1,2)"},
    {"l1-grid", "LIST", "logistic: l1 values (default 0,1)"},
    {"l2-grid", "LIST", "logistic: l2 values (default 0,1,10)"},
    {NULL, NULL, NULL},
};

_Static_assert(sizeof(viral_logistic_options) <= VIRAL_TRAIN_PARAMS_SIZE, "fits the params block");

static viral_logistic_options *params_of(void *params) { return params; }
static const viral_logistic_options *cparams(const viral_train_options *o) {
  return (const viral_logistic_options *)o->params.bytes;
}

static void params_init(void *params) {
  viral_logistic_options *p = params_of(params);
  viral_logistic_params_init(&p->params, VIRAL_LOGISTIC_FTRL);
  p->bits = 0;
}

static int params_parse(void *params, viral_option_get get, void *ctx, viral_error *err) {
  viral_logistic_options *p = params_of(params);
  viral_logistic_params *lp = &p->params;
  const char *optimizer = get(ctx, "optimizer");
  if (optimizer) {
    viral_logistic_optimizer o;
    if (viral_logistic_optimizer_parse(optimizer, &o) != VIRAL_OK)
      return viral_option_error(err, "--optimizer must be ftrl, adagrad or sgd, not '%s'", optimizer);
    viral_logistic_params_init(lp, o); /* that optimizer's defaults */
  }
  long passes = lp->passes, bits = 0;
  int rc;
  if ((rc = viral_option_number(get, ctx, "alpha", &lp->alpha, err)) != VIRAL_OK ||
      (rc = viral_option_number(get, ctx, "beta", &lp->beta, err)) != VIRAL_OK ||
      (rc = viral_option_number(get, ctx, "l1", &lp->l1, err)) != VIRAL_OK ||
      (rc = viral_option_number(get, ctx, "l2", &lp->l2, err)) != VIRAL_OK ||
      (rc = viral_option_whole(get, ctx, "passes", &passes, err)) != VIRAL_OK ||
      (rc = viral_option_whole(get, ctx, "bits", &bits, err)) != VIRAL_OK)
    return rc;
  if (passes < 1 || passes > VIRAL_LOGISTIC_MAX_PASSES)
    return viral_option_error(err, "--passes must be from 1 to %d", VIRAL_LOGISTIC_MAX_PASSES);
  if (bits && (bits < VIRAL_LOGISTIC_MIN_BITS || bits > VIRAL_LOGISTIC_MAX_BITS))
    return viral_option_error(err, "--bits must be from %d to %d", VIRAL_LOGISTIC_MIN_BITS,
                              VIRAL_LOGISTIC_MAX_BITS);
  lp->passes = (int)passes;
  if (get(ctx, "bits")) p->bits = (int)bits;
  if (get(ctx, "shuffle")) lp->shuffle = 1;
  if (get(ctx, "no-normalize")) lp->normalize = 0;
  return VIRAL_OK;
}

/* The learner's parameters for pipeline p (NULL: none yet) under o: its
 * own, with the options' seed and class weights and p's dense columns
 * standardized in its single pass. */
static viral_logistic_params learner_params(const viral_train_options *o, const viral_pipeline *p) {
  viral_logistic_params params = cparams(o)->params;
  params.seed = o->seed;
  params.weight0 = o->weight0;
  params.weight1 = o->weight1;
  if (p) params.dense = viral_pipeline_dense_count(p);
  return params;
}

static const char *params_check(const viral_train_options *o) {
  viral_logistic_params params = learner_params(o, NULL);
  return viral_logistic_params_check(&params);
}

static void params_describe(const viral_train_options *o, char *buf, size_t size) {
  const viral_logistic_params *lp = &cparams(o)->params;
  snprintf(buf, size, "%s alpha %g beta %g l1 %g l2 %g passes %d", viral_logistic_optimizer_name(lp->optimizer),
           lp->alpha, lp->beta, lp->l1, lp->l2, lp->passes);
}

static const viral_tune_axis_def axes[] = {
    {"alpha", "alpha-grid", "0.05,0.1,0.2,0.5,1,2", 0, 1},
    {"l1", "l1-grid", "0,1", 0, 0},
    {"l2", "l2-grid", "0,1,10", 0, 0},
};

static size_t tune_axes(const viral_train_options *o, const viral_tune_axis_def **out) {
  (void)o;
  *out = axes;
  return sizeof axes / sizeof axes[0];
}

/* The tuned parameter called name in o, or NULL. */
static double *tuned(viral_train_options *o, const char *name) {
  viral_logistic_params *lp = &params_of(o->params.bytes)->params;
  return strcmp(name, "alpha") == 0 ? &lp->alpha : strcmp(name, "l1") == 0 ? &lp->l1
                                                 : strcmp(name, "l2") == 0 ? &lp->l2 : NULL;
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

/* ---- the weight space ---- */

_Static_assert(VIRAL_PIPELINE_MAX_HASH_BITS <= VIRAL_LOGISTIC_MAX_BITS,
               "every spec's vectors must fit the logistic learner's weights");

/* VIRAL_OK when 2^bits weights hold every index of p's vectors, else
 * VIRAL_ERR_INVALID naming source (a model file, or NULL for the --bits
 * of training): the one check training and loading share. */
static int check_bits(int bits, const viral_pipeline *p, const char *source, viral_error *err) {
  if (((uint64_t)1 << bits) >= viral_pipeline_dim(p)) return VIRAL_OK;
  return viral_error_set(err, VIRAL_ERR_INVALID, source, 0,
                         "logistic weights (2^%d) are fewer than the pipeline's %u features%s",
                         bits, (unsigned)viral_pipeline_dim(p),
                         source ? "" : ": --bits must be at least the spec's hash_bits");
}

/* The weight space for p: the options' --bits, else what p needs. */
static int bits_for(const viral_train_options *o, const viral_pipeline *p) {
  if (cparams(o)->bits) return cparams(o)->bits;
  uint32_t dim = viral_pipeline_dim(p);
  int bits = VIRAL_LOGISTIC_MIN_BITS;
  while (bits < VIRAL_LOGISTIC_MAX_BITS && ((uint32_t)1 << bits) < dim) bits++;
  return bits;
}

/* A --bits too small for p is refused before any training (score would
 * refuse the model it made). */
static int check(const viral_train_options *o, const viral_pipeline *p, viral_error *err) {
  return check_bits(bits_for(o, p), p, NULL, err);
}

/* ---- training ---- */

static int counts_first(const viral_train_options *o) { return o->balanced; }

static int not_finite(viral_error *err) {
  return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "a feature value is not finite");
}

/* Learn every row of rows once, in order, with importances weight[label]. */
static int learn_rows(viral_logistic *lr, const viral_learner_fit *f, viral_fit_rows *rows,
                      const double weight[2], viral_error *err) {
  const viral_sparse *x;
  double y, w;
  int rc;
  while ((rc = viral_fit_rows_next(rows, &x, &y, &w, err)) == 1) {
    double p = viral_logistic_learn(lr, x, y, weight[y > 0.5] * w);
    if (isnan(p)) return not_finite(err);
    if (f->scored) f->scored(f->scored_ctx, p, y);
  }
  return rc;
}

/* Several passes or a shuffle: the rows are held in memory, then the
 * trained learner scores each for the summary. */
static int train_in_memory(viral_logistic *lr, const viral_learner_fit *f, viral_fit_rows *rows,
                           viral_error *err) {
  viral_dataset ds;
  viral_dataset_init(&ds);
  const viral_sparse *x;
  double y, w;
  int rc;
  while ((rc = viral_fit_rows_next(rows, &x, &y, &w, err)) == 1)
    if (w != 1 || viral_dataset_append(&ds, x, y) != VIRAL_OK) {
      rc = w != 1 ? viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "logistic: rows held in memory take no weight")
                  : viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
      break;
    }
  if (rc == VIRAL_OK) rc = viral_logistic_train(lr, &ds, err);
  for (size_t r = 0; rc == VIRAL_OK && f->scored && r < ds.rows; r++) {
    viral_sparse row = viral_dataset_row(&ds, r);
    double p = viral_logistic_predict(lr, &row);
    if (!isnan(p)) f->scored(f->scored_ctx, p, ds.labels[r]);
  }
  viral_dataset_release(&ds);
  return rc;
}

static void *fit(const viral_learner_fit *f, viral_fit_rows *rows, viral_error *err) {
  viral_logistic_params params = learner_params(f->opts, f->pipeline);
  if (f->class_counts)
    viral_logistic_balanced_weights(f->class_counts[1], f->class_counts[0], &params.weight0, &params.weight1);
  viral_logistic *lr = viral_logistic_create(&params, bits_for(f->opts, f->pipeline), err);
  if (!lr) return NULL;
  const double weight[2] = {params.weight0, params.weight1};
  int rc = params.passes <= 1 && !params.shuffle ? learn_rows(lr, f, rows, weight, err)
                                                 : train_in_memory(lr, f, rows, err);
  if (rc != VIRAL_OK) {
    viral_logistic_free(lr);
    return NULL;
  }
  return lr;
}

/* One pass in file order, with the importances training used: exactly
 * what training on the concatenation would have done next. */
static int update(void *state, const viral_learner_fit *f, viral_fit_rows *rows, viral_error *err) {
  viral_logistic *lr = state;
  const viral_logistic_params *lp = viral_logistic_get_params(lr);
  const double weight[2] = {lp->weight0, lp->weight1};
  return learn_rows(lr, f, rows, weight, err);
}

/* ---- one row at a time ---- */

static const char *online_refusal(const viral_train_options *o) {
  const viral_logistic_params *lp = &cparams(o)->params;
  return lp->passes > 1 || lp->shuffle ? "passes and shuffling need the data first" : NULL;
}

static void *create(const viral_train_options *o, const viral_pipeline *p, viral_error *err) {
  viral_logistic_params params = learner_params(o, p); /* as fit: dense columns standardized */
  int bits = bits_for(o, p);
  if (check_bits(bits, p, NULL, err) != VIRAL_OK) return NULL;
  return viral_logistic_create(&params, bits, err);
}

static int learn(void *state, const viral_sparse *x, double y, double *p_before, viral_error *err) {
  viral_logistic *lr = state;
  const viral_logistic_params *lp = viral_logistic_get_params(lr);
  double p = viral_logistic_learn(lr, x, y, y > 0.5 ? lp->weight1 : lp->weight0);
  if (isnan(p)) return not_finite(err);
  if (p_before) *p_before = p;
  return VIRAL_OK;
}

/* ---- scoring ---- */

static double sigmoid(double z) { return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z)); }

static int predict(const void *state, const viral_sparse *x, double *probability, double *margin,
                   viral_error *err) {
  (void)err;
  double m = viral_logistic_margin(state, x);
  if (margin) *margin = m;
  if (probability) *probability = sigmoid(m);
  return VIRAL_OK;
}

static int contributions(const void *state, const viral_sparse *x, double *out, viral_error *err) {
  (void)err;
  viral_logistic_contributions(state, x, out);
  return VIRAL_OK;
}

static int weights(const void *state, double *w, uint32_t dim, viral_error *err) {
  (void)err;
  for (uint32_t i = 0; i < dim; i++) w[i] = viral_logistic_weight(state, i);
  return VIRAL_OK;
}

static void describe(const void *state, char *buf, size_t size) {
  const viral_logistic_params *lp = viral_logistic_get_params(state);
  snprintf(buf, size, "%s, alpha %g, beta %g, l1 %g, l2 %g, %d pass%s, 2^%d weights, %zu non-zero",
           viral_logistic_optimizer_name(lp->optimizer), lp->alpha, lp->beta, lp->l1, lp->l2, lp->passes,
           lp->passes == 1 ? "" : "es", viral_logistic_bits(state), viral_logistic_nonzero(state));
}

/* ---- the model file: "logistic" ---- */

static const viral_document_key params_keys[] = {
    {"optimizer", NULL, 0}, {"alpha", NULL, 0}, {"beta", NULL, 0}, {"l1", NULL, 0},
    {"l2", NULL, 0}, {"normalize", NULL, 0}, {"dense", NULL, 0}, {"passes", NULL, 0},
    {"shuffle", NULL, 0}, {"seed", NULL, 0}, {"weight0", NULL, 0}, {"weight1", NULL, 0},
    {NULL, NULL, 0}};
static const viral_document_key bias_keys[] = {
    {"weight", NULL, 0}, {"z", NULL, 0}, {"n", NULL, 0}, {NULL, NULL, 0}};
static const viral_document_key standardize_keys[] = {
    {"mean", NULL, 0}, {"m2", NULL, 0}, {NULL, NULL, 0}};
/* the coordinate table is cut out and read from its text */
static const viral_document_key section_keys[] = {
    {"params", params_keys, 0}, {"bits", NULL, 0}, {"rows", NULL, 0},
    {"bias", bias_keys, 0}, {"standardize", standardize_keys, 0}, {"columns", NULL, 0},
    {"coordinates", NULL, 1}, {NULL, NULL, 0}};

static int write_coordinates(void *ctx, viral_text_emit emit, void *emit_ctx) {
  return viral_logistic_json_write_coordinates(ctx, emit, emit_ctx);
}

static int to_json(const void *state, cJSON *doc, viral_document_part *parts, size_t *count,
                   viral_error *err) {
  cJSON *placeholder = viral_document_placeholder((unsigned)*count);
  if (!placeholder) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  cJSON *section = viral_logistic_json_write_head(state, placeholder, err);
  if (!section) return err ? err->code : VIRAL_ERR_NOMEM;
  cJSON_AddItemToObject(doc, "logistic", section);
  parts[*count].write = write_coordinates;
  parts[*count].ctx = (void *)state;
  ++*count;
  return VIRAL_OK;
}

static void *from_json(const cJSON *doc, const char *cut, size_t cut_len, const viral_pipeline *p,
                       const char *path, viral_error *err) {
  const cJSON *section = cJSON_GetObjectItemCaseSensitive(doc, "logistic");
  viral_logistic *lr = cut ? viral_logistic_json_read_split(section, cut, cut_len, err)
                           : viral_logistic_json_read(section, err);
  if (!lr) {
    viral_error_wrap(err, path, 0);
    return NULL;
  }
  if (check_bits(viral_logistic_bits(lr), p, path, err) != VIRAL_OK) {
    viral_logistic_free(lr);
    return NULL;
  }
  return lr;
}

static void free_state(void *state) { viral_logistic_free(state); }

/* ---- its row of the table ---- */

const viral_learner viral_logistic_learner_ = {
    .name = "logistic",
    .summary = "online",
    .scaling = "none", /* it normalizes in its own single pass */
    .options = options,
    .tune_options = tune_options,
    .params_init = params_init,
    .params_parse = params_parse,
    .params_check = params_check,
    .params_describe = params_describe,
    .tune_axes = tune_axes,
    .param_set = param_set,
    .param_get = param_get,
    .check = check,
    .counts_first = counts_first,
    .fit = fit,
    .update = update,
    .online_refusal = online_refusal,
    .create = create,
    .learn = learn,
    .predict = predict,
    .contributions = contributions,
    .weights = weights,
    .describe = describe,
    .describe_json = NULL,
    .section = {"logistic", section_keys, 0},
    .to_json = to_json,
    .from_json = from_json,
    .free = free_state,
};

viral_logistic_options *viral_train_options_logistic(viral_train_options *o) {
  return o->learner == &viral_logistic_learner_ ? params_of(o->params.bytes) : NULL;
}

const viral_logistic *viral_model_logistic(const viral_model *m) {
  return viral_model_state_(m, &viral_logistic_learner_);
}
