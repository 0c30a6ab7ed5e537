/* inspect.c - what `viral inspect` shows of a model (viral/model.h): its
 * metadata, the learner as it describes itself, and its weights ranked, as
 * text or as a JSON document. */
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "features/pipeline_json.h"
#include "model/model_internal.h"

void viral_model_describe_learner(const viral_model *m, char *buf, size_t size) {
  if (m->learner->describe) m->learner->describe(m->state, buf, size);
  else if (size) buf[0] = '\0';
}

static int by_weight_desc(const void *a, const void *b) {
  double x = ((const viral_weight *)a)->weight, y = ((const viral_weight *)b)->weight;
  return (x < y) - (x > y);
}

viral_weight *viral_model_weights(const viral_model *m, size_t *n, viral_error *err) {
  uint32_t dim = viral_pipeline_dim(m->pipeline);
  *n = 0;
  if (!m->learner->weights)
    return viral_error_set(err, VIRAL_ERR_MISSING, NULL, 0, "the %s learner has no feature weights",
                           m->learner->name), NULL;
  double *w = calloc(dim ? dim : 1, sizeof *w);
  viral_weight *out = calloc(dim ? dim : 1, sizeof *out);
  if (!w || !out) {
    viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
    goto fail;
  }
  if (m->learner->weights(m->state, w, dim, err) != VIRAL_OK) goto fail;
  for (uint32_t i = 0; i < dim; i++)
    if (w[i] != 0) out[(*n)++] = (viral_weight){i, w[i]};
  free(w);
  qsort(out, *n, sizeof *out, by_weight_desc);
  return out;
fail:
  free(w);
  free(out);
  *n = 0;
  return NULL;
}

static int by_abs_importance(const void *a, const void *b) {
  double x = fabs(((const viral_importance *)a)->importance);
  double y = fabs(((const viral_importance *)b)->importance);
  return (x < y) - (x > y);
}

/* Why weight x standard deviation: on a common scale (the score's change
 * for a typical move of the feature) a ratio with weight 190 and a count
 * with weight 0.4 compare, and it is the learner's own weight on the
 * standardized feature. Mean |contribution| would count a feature's offset
 * from 0, which the intercept absorbs; for gbt, whose contributions are
 * not linear, the gain XGBoost reports is kept. */
#define MEASURE_SPREAD "effect: weight x standard deviation in training (the score's change for one sd)"
#define MEASURE_RAW "raw weight (the model file has no training profile: retrain for effects)"

viral_importance *viral_model_importance(const viral_model *m, const double *spread, size_t *n,
                                         const char **measure, size_t *unranked, viral_error *err) {
  const viral_pipeline *p = m->pipeline;
  size_t nw = 0, k = 0, skipped = 0;
  *n = 0;
  if (unranked) *unranked = 0;
  viral_weight *ws = viral_model_weights(m, &nw, err);
  if (!ws) return NULL;
  viral_importance *out = malloc((nw ? nw : 1) * sizeof *out);
  if (!out) {
    free(ws);
    viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
    return NULL;
  }
  int profiled = spread || viral_pipeline_profile_rows(p) > 0;
  *measure = m->learner->importance ? m->learner->importance : profiled ? MEASURE_SPREAD : MEASURE_RAW;
  for (size_t i = 0; i < nw; i++) {
    viral_importance *e = &out[k];
    e->index = ws[i].index;
    e->weight = ws[i].weight;
    e->spread = NAN;
    e->importance = ws[i].weight;
    if (!m->learner->importance && profiled) {
      e->spread = spread ? spread[e->index] : viral_pipeline_spread(p, e->index);
      if (isnan(e->spread)) {
        skipped++;
        continue;
      }
      e->importance = e->weight * e->spread;
    }
    if (e->importance != 0) k++;
  }
  free(ws);
  qsort(out, k, sizeof *out, by_abs_importance);
  *n = k;
  if (unranked) *unranked = skipped;
  return out;
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
  viral_pipeline_feature_name(m->pipeline, index, buf, size);
}

int viral_model_inspect_text(const viral_model *m, const char *path, size_t top, FILE *out,
                             viral_error *err) {
  const viral_pipeline *p = m->pipeline;
  char a[32], b[32], name[200], learner[400];
  fprintf(out, "%s: valid viral model\n", path);
  viral_model_describe_learner(m, learner, sizeof learner);
  fprintf(out, "  learner      %s (%s)\n", m->learner->name, learner);
  fprintf(out, "  spec         %s (%u features: %u dense, the rest hashed)\n", viral_pipeline_name(p),
          (unsigned)viral_pipeline_dim(p), (unsigned)viral_pipeline_dense_count(p));
  fprintf(out, "  label rule   %s", viral_pipeline_label_rule(p));
  if (!isnan(viral_pipeline_label_threshold(p)))
    fprintf(out, " (threshold %.17g)", viral_pipeline_label_threshold(p));
  fprintf(out, "\n  window       %gh%s\n", viral_pipeline_window_hours(p),
          viral_pipeline_leaks(p) ? " (LEAKAGE ALLOWED: features observed after the window)" : "");
  fprintf(out, "  threshold    %g\n", m->threshold);
  const viral_calibration *cal = &m->calibration;
  fprintf(out, "  calibration  %s", viral_calibration_name(cal->kind));
  if (cal->kind == VIRAL_CALIBRATION_PLATT) fprintf(out, " (a %g, b %g)", cal->a, cal->b);
  if (cal->kind == VIRAL_CALIBRATION_ISOTONIC) fprintf(out, " (%zu points)", cal->n);
  fprintf(out, "\n");
  fprintf(out, "  trained on   %llu rows, %llu positives, posted %s .. %s, %llu update%s\n",
          (unsigned long long)m->rows, (unsigned long long)m->positives, iso_time(a, m->time_first),
          iso_time(b, m->time_last), (unsigned long long)m->updates, m->updates == 1 ? "" : "s");
  size_t n = 0, unranked = 0;
  const char *measure = NULL;
  viral_error why;
  viral_error_clear(&why);
  viral_importance *is = viral_model_importance(m, NULL, &n, &measure, &unranked, &why);
  if (!is) {
    if (why.code == VIRAL_ERR_NOMEM) return viral_error_set(err, why.code, NULL, 0, "%s", why.message);
    fprintf(out, "  weights      none to show (%s)\n", why.message);
    return VIRAL_OK;
  }
  fprintf(out, "  importance   %s\n", measure);
  fprintf(out, "  top features\n");
  for (size_t i = 0; i < n && i < top; i++) {
    viral_pipeline_feature_label(p, is[i].index, name, sizeof name);
    if (m->learner->importance) fprintf(out, "    %12.6g  %s\n", is[i].importance, name);
    else if (isnan(is[i].spread)) fprintf(out, "    %+10.4f  %s\n", is[i].importance, name);
    else fprintf(out, "    %+10.4f  %s (weight %+.4g, sd %.4g)\n", is[i].importance, name, is[i].weight, is[i].spread);
  }
  if (unranked)
    fprintf(out, "  (%zu hashed feature%s with a weight not ranked: too rare in training to keep a name)\n",
            unranked, unranked == 1 ? "" : "s");
  free(is);
  return VIRAL_OK;
}

static cJSON *weights_json(const viral_model *m, const viral_weight *ws, size_t n, size_t top, int positive) {
  cJSON *arr = cJSON_CreateArray();
  char name[200];
  for (size_t i = 0; arr && i < n && i < top; i++) {
    const viral_weight *w = positive ? &ws[i] : &ws[n - 1 - i];
    if (positive ? w->weight <= 0 : w->weight >= 0) break;
    feature_name(m, w->index, name, sizeof name);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "feature", name);
    cJSON_AddNumberToObject(o, "index", w->index);
    cJSON_AddNumberToObject(o, "weight", w->weight);
    cJSON_AddItemToArray(arr, o);
  }
  return arr;
}

static cJSON *importance_json(const viral_model *m, const viral_importance *is, size_t n, size_t top) {
  cJSON *arr = cJSON_CreateArray();
  char name[200];
  for (size_t i = 0; arr && i < n && i < top; i++) {
    cJSON *o = cJSON_CreateObject();
    feature_name(m, is[i].index, name, sizeof name);
    cJSON_AddStringToObject(o, "feature", name);
    viral_pipeline_feature_label(m->pipeline, is[i].index, name, sizeof name);
    cJSON_AddStringToObject(o, "label", name);
    cJSON_AddNumberToObject(o, "index", is[i].index);
    cJSON_AddNumberToObject(o, "importance", is[i].importance);
    if (!m->learner->importance) cJSON_AddNumberToObject(o, "weight", is[i].weight);
    if (isnan(is[i].spread)) cJSON_AddNullToObject(o, "sd");
    else cJSON_AddNumberToObject(o, "sd", is[i].spread);
    cJSON_AddItemToArray(arr, o);
  }
  return arr;
}

char *viral_model_inspect_json(const viral_model *m, const char *path, size_t top, viral_error *err) {
  const viral_pipeline *p = m->pipeline;
  char a[32], b[32];
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "file", path);
  cJSON_AddBoolToObject(o, "valid", 1);
  cJSON_AddStringToObject(o, "learner", m->learner->name);
  cJSON_AddStringToObject(o, "spec", viral_pipeline_name(p));
  cJSON_AddStringToObject(o, "label_rule", viral_pipeline_label_rule(p));
  double lt = viral_pipeline_label_threshold(p);
  if (isnan(lt)) cJSON_AddNullToObject(o, "label_threshold");
  else cJSON_AddNumberToObject(o, "label_threshold", lt);
  cJSON_AddNumberToObject(o, "window_hours", viral_pipeline_window_hours(p));
  cJSON_AddBoolToObject(o, "leakage_allowed", viral_pipeline_leaks(p));
  cJSON_AddNumberToObject(o, "threshold", m->threshold);
  cJSON_AddStringToObject(o, "calibration", viral_calibration_name(m->calibration.kind));
  cJSON_AddNumberToObject(o, "features", viral_pipeline_dim(p));
  cJSON_AddNumberToObject(o, "rows", (double)m->rows);
  cJSON_AddNumberToObject(o, "positives", (double)m->positives);
  cJSON_AddNumberToObject(o, "updates", (double)m->updates);
  cJSON_AddStringToObject(o, "posted_at_first", iso_time(a, m->time_first));
  cJSON_AddStringToObject(o, "posted_at_last", iso_time(b, m->time_last));
  if (m->learner->describe_json) m->learner->describe_json(m->state, o);
  /* the spec as the model applies it (label and scaling overrides included) */
  cJSON *pj = viral_pipeline_to_json(p, NULL);
  cJSON *spec = pj ? cJSON_DetachItemFromObjectCaseSensitive(pj, "spec") : NULL;
  cJSON_Delete(pj);
  if (spec) cJSON_AddItemToObject(o, "spec_document", spec);
  size_t n = 0, unranked = 0;
  const char *measure = NULL;
  viral_importance *is = viral_model_importance(m, NULL, &n, &measure, &unranked, NULL);
  if (is) {
    cJSON_AddStringToObject(o, "importance", measure);
    cJSON_AddItemToObject(o, "top_importance", importance_json(m, is, n, top));
    cJSON_AddNumberToObject(o, "unranked", (double)unranked);
  }
  free(is);
  viral_weight *ws = m->learner->importance ? NULL : viral_model_weights(m, &n, NULL);
  if (ws) {
    cJSON_AddItemToObject(o, "top_positive", weights_json(m, ws, n, top, 1));
    cJSON_AddItemToObject(o, "top_negative", weights_json(m, ws, n, top, 0));
  }
  free(ws);
  char *text = o ? cJSON_Print(o) : NULL;
  cJSON_Delete(o);
  if (!text) viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  return text;
}
