/* cmd_inspect.c - `viral inspect`: what a model file holds, checked.
 *
 *   viral inspect [--top K] [--json] MODEL */
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "features/pipeline_json.h"
#include "viral/model.h"

static const cli_option options[] = {
    {"top", 'k', "K", "show the K largest positive and negative weights (default 10)"},
    {"json", 0, NULL, "print a JSON summary, with the whole spec, instead of text"},
    {NULL, 0, NULL, NULL},
};

const cli_spec cmd_inspect_spec = {
    "inspect",
    "[options] MODEL",
    "print a model's metadata, spec, label rule and top weights",
    "Loading the model checks it completely (format, version, checksum, shapes\n"
    "and values): a model that inspect prints is one score can use. Weights are\n"
    "on the features' raw values (logistic) or the SVM's equivalent linear\n"
    "weights; an RBF SVM has none and shows its support vector count.\n\n"
    "example:\n"
    "  viral inspect models/default.json",
    options,
    1,
    1,
};

typedef struct weight {
  uint32_t index;
  double w;
} weight;

static int by_weight_desc(const void *a, const void *b) {
  double x = ((const weight *)a)->w, y = ((const weight *)b)->w;
  return (x < y) - (x > y);
}

/* The model's non-zero weights sorted from largest to smallest; *n set.
 * NULL when there are none (or no linear weights: RBF). Caller frees. */
static weight *sorted_weights(const viral_model *m, size_t *n) {
  uint32_t dim = viral_pipeline_dim(viral_model_pipeline(m));
  double *w = calloc(dim ? dim : 1, sizeof *w);
  weight *out = calloc(dim ? dim : 1, sizeof *out);
  *n = 0;
  if (!w || !out) goto fail;
  if (viral_model_learner(m) == VIRAL_LEARNER_LOGISTIC) {
    for (uint32_t i = 0; i < dim; i++) w[i] = viral_logistic_weight(viral_model_logistic(m), i);
  } else {
    double bias;
    if (viral_svm_linear_weights(viral_model_svm(m), w, dim, &bias, NULL) != VIRAL_OK) goto fail;
  }
  for (uint32_t i = 0; i < dim; i++)
    if (w[i] != 0) out[(*n)++] = (weight){i, w[i]};
  free(w);
  qsort(out, *n, sizeof *out, by_weight_desc);
  return out;
fail:
  free(w);
  free(out);
  *n = 0;
  return NULL;
}

static const char *iso_time(char buf[32], double t) {
  if (isnan(t)) return "unknown";
  time_t s = (time_t)t;
  struct tm tm;
  gmtime_r(&s, &tm);
  strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

static void feature_name(const viral_model *m, uint32_t index, char *buf, size_t size) {
  viral_pipeline_feature_name(viral_model_pipeline(m), index, buf, size);
}

static void print_text(const viral_model *m, const char *path, const weight *ws, size_t n,
                       size_t top) {
  const viral_pipeline *p = viral_model_pipeline(m);
  char a[32], b[32], name[200];
  double first, last;
  viral_model_time_span(m, &first, &last);
  printf("%s: valid viral model\n", path);
  printf("  learner      %s", viral_learner_name(viral_model_learner(m)));
  if (viral_model_learner(m) == VIRAL_LEARNER_LOGISTIC) {
    const viral_logistic_params *lp = viral_logistic_get_params(viral_model_logistic(m));
    printf(" (%s, alpha %g, beta %g, l1 %g, l2 %g, %d pass%s, 2^%d weights, %zu non-zero)\n",
           viral_logistic_optimizer_name(lp->optimizer), lp->alpha, lp->beta, lp->l1, lp->l2,
           lp->passes, lp->passes == 1 ? "" : "es", viral_logistic_bits(viral_model_logistic(m)),
           viral_logistic_nonzero(viral_model_logistic(m)));
  } else {
    const viral_svm_model *s = viral_model_svm(m);
    printf(" (%s kernel, gamma %g, %zu support vectors)\n",
           viral_svm_model_kernel(s) == VIRAL_SVM_RBF ? "rbf" : "linear", viral_svm_model_gamma(s),
           viral_svm_support_vector_count(s));
  }
  printf("  spec         %s (%u features: %u dense, the rest hashed)\n", viral_pipeline_name(p),
         (unsigned)viral_pipeline_dim(p), (unsigned)viral_pipeline_dense_count(p));
  printf("  label rule   %s", viral_pipeline_label_rule(p));
  if (!isnan(viral_pipeline_label_threshold(p)))
    printf(" (threshold %.17g)", viral_pipeline_label_threshold(p));
  printf("\n  window       %gh%s\n", viral_pipeline_window_hours(p),
         viral_pipeline_leaks(p) ? " (LEAKAGE ALLOWED: features observed after the window)" : "");
  printf("  threshold    %g\n", viral_model_threshold(m));
  const viral_calibration *cal = viral_model_calibration(m);
  printf("  calibration  %s", viral_calibration_name(cal->kind));
  if (cal->kind == VIRAL_CALIBRATION_PLATT) printf(" (a %g, b %g)", cal->a, cal->b);
  if (cal->kind == VIRAL_CALIBRATION_ISOTONIC) printf(" (%zu points)", cal->n);
  printf("\n");
  printf("  trained on   %llu rows, %llu positives, posted %s .. %s, %llu update%s\n",
         (unsigned long long)viral_model_rows(m), (unsigned long long)viral_model_positives(m),
         iso_time(a, first), iso_time(b, last), (unsigned long long)viral_model_updates(m),
         viral_model_updates(m) == 1 ? "" : "s");
  if (!ws) {
    printf("  weights      none to show (an RBF kernel has no feature weights)\n");
    return;
  }
  printf("  top positive weights\n");
  for (size_t i = 0; i < n && i < top && ws[i].w > 0; i++) {
    feature_name(m, ws[i].index, name, sizeof name);
    printf("    %+12.6f  %s\n", ws[i].w, name);
  }
  printf("  top negative weights\n");
  for (size_t i = 0; i < n && i < top && ws[n - 1 - i].w < 0; i++) {
    feature_name(m, ws[n - 1 - i].index, name, sizeof name);
    printf("    %+12.6f  %s\n", ws[n - 1 - i].w, name);
  }
}

static cJSON *weights_json(const viral_model *m, const weight *ws, size_t n, size_t top, int positive) {
  cJSON *arr = cJSON_CreateArray();
  char name[200];
  for (size_t i = 0; arr && i < n && i < top; i++) {
    const weight *w = positive ? &ws[i] : &ws[n - 1 - i];
    if (positive ? w->w <= 0 : w->w >= 0) break;
    feature_name(m, w->index, name, sizeof name);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "feature", name);
    cJSON_AddNumberToObject(o, "index", w->index);
    cJSON_AddNumberToObject(o, "weight", w->w);
    cJSON_AddItemToArray(arr, o);
  }
  return arr;
}

static int print_json(const viral_model *m, const char *path, const weight *ws, size_t n, size_t top) {
  const viral_pipeline *p = viral_model_pipeline(m);
  char a[32], b[32];
  double first, last;
  viral_model_time_span(m, &first, &last);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "file", path);
  cJSON_AddBoolToObject(o, "valid", 1);
  cJSON_AddStringToObject(o, "learner", viral_learner_name(viral_model_learner(m)));
  cJSON_AddStringToObject(o, "spec", viral_pipeline_name(p));
  cJSON_AddStringToObject(o, "label_rule", viral_pipeline_label_rule(p));
  double lt = viral_pipeline_label_threshold(p);
  if (isnan(lt)) cJSON_AddNullToObject(o, "label_threshold");
  else cJSON_AddNumberToObject(o, "label_threshold", lt);
  cJSON_AddNumberToObject(o, "window_hours", viral_pipeline_window_hours(p));
  cJSON_AddBoolToObject(o, "leakage_allowed", viral_pipeline_leaks(p));
  cJSON_AddNumberToObject(o, "threshold", viral_model_threshold(m));
  cJSON_AddStringToObject(o, "calibration", viral_calibration_name(viral_model_calibration(m)->kind));
  cJSON_AddNumberToObject(o, "features", viral_pipeline_dim(p));
  cJSON_AddNumberToObject(o, "rows", (double)viral_model_rows(m));
  cJSON_AddNumberToObject(o, "positives", (double)viral_model_positives(m));
  cJSON_AddNumberToObject(o, "updates", (double)viral_model_updates(m));
  cJSON_AddStringToObject(o, "posted_at_first", iso_time(a, first));
  cJSON_AddStringToObject(o, "posted_at_last", iso_time(b, last));
  if (viral_model_learner(m) == VIRAL_LEARNER_SVM)
    cJSON_AddNumberToObject(o, "support_vectors", (double)viral_svm_support_vector_count(viral_model_svm(m)));
  /* the spec as the model applies it (label and scaling overrides included) */
  cJSON *pj = viral_pipeline_to_json(p, NULL);
  cJSON *spec = pj ? cJSON_DetachItemFromObjectCaseSensitive(pj, "spec") : NULL;
  cJSON_Delete(pj);
  if (spec) cJSON_AddItemToObject(o, "spec_document", spec);
  if (ws) {
    cJSON_AddItemToObject(o, "top_positive", weights_json(m, ws, n, top, 1));
    cJSON_AddItemToObject(o, "top_negative", weights_json(m, ws, n, top, 0));
  }
  char *text = cJSON_Print(o);
  cJSON_Delete(o);
  if (!text) return CLI_EXIT_DATA;
  puts(text);
  free(text);
  return CLI_EXIT_OK;
}

int cmd_inspect(int argc, char **argv) {
  cli_args args;
  int rc = cli_parse(&cmd_inspect_spec, argc, argv, &args);
  if (rc != CLI_CONTINUE) return rc;
  long top = 10;
  if ((rc = cli_get_long(&args, "top", 10, &top)) != CLI_CONTINUE) return rc;
  if (top < 0) return cli_usage_error("inspect", "--top must be 0 or more");
  viral_error err;
  viral_error_clear(&err);
  const char *path = args.positional[0];
  viral_model *m = viral_model_load(path, &err);
  if (!m) return cli_data_error("inspect", &err);
  size_t n = 0;
  weight *ws = sorted_weights(m, &n);
  rc = CLI_EXIT_OK;
  if (cli_flag(&args, "json")) rc = print_json(m, path, ws, n, (size_t)top);
  else print_text(m, path, ws, n, (size_t)top);
  free(ws);
  viral_model_free(m);
  return rc;
}
