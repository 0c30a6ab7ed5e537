/* run.c - a whole cross-validation (viral/eval.h): folds, the learner and the
 * references on each, the per-fold metrics and the line that says what was
 * measured. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viral/eval.h"
#include "viral/writer.h"
#include "eval/eval_internal.h"

void viral_eval_options_init(viral_eval_options *o) {
  memset(o, 0, sizeof *o);
  o->folds = 5;
  o->seed = 1;
  viral_train_options_init(&o->train);
}

static int describe(viral_report *r, const viral_eval_data *d, const viral_eval_options *o,
                    viral_error *err) {
  const viral_pipeline *p = d->pipeline;
  char learner[512], folds[128], text[1024];
  viral_train_options_describe(&o->train, learner, sizeof learner);
  if (o->temporal) snprintf(folds, sizeof folds, "rolling-origin folds by posted_at (gap %gh)", o->gap / 3600);
  else snprintf(folds, sizeof folds, "stratified folds (seed %llu)", (unsigned long long)o->seed);
  size_t n = d->ds.rows;
  snprintf(text, sizeof text,
           "label %s, window %gh, learner %s, rows %zu, positives %llu (%.2f%%), leakage %s, %d %s%s",
           viral_pipeline_label_rule(p), viral_pipeline_window_hours(p), learner, n,
           (unsigned long long)d->positives, n ? 100.0 * (double)d->positives / (double)n : 0.0,
           viral_pipeline_leaks(p) ? "ALLOWED" : "not allowed", o->folds, folds,
           viral_eval_refits(d) ? ", pipeline fitted per fold" : "");
  return viral_report_set_description(r, text, err);
}

/* The fold's roles: stratified (fold_of) or rolling-origin by time (order). */
static int fold_roles(const viral_eval_data *d, const viral_eval_options *o, const int *fold_of,
                      const size_t *order, int f, int *role, double span[2], viral_error *err) {
  if (o->temporal)
    return viral_eval_temporal_split_ordered(d->posted_at, order, d->ds.rows, o->folds, f, o->gap, role, span, err);
  for (size_t r = 0; r < d->ds.rows; r++) role[r] = fold_of[r] == f;
  return VIRAL_OK;
}

/* Predict fold f with every predictor r has, learning and scoring the rows
 * in order (NULL: file order), and score them. */
static int run_fold(const viral_eval_data *d, const viral_eval_options *o, const int *role,
                    const size_t *order, int f, viral_report *r, double *y, double *q,
                    export_fold_info *exported, double *importance, const char **measure,
                    viral_error *err) {
  size_t train = 0;
  for (size_t row = 0; row < d->ds.rows; row++) train += role[row] == 0;
  if (train == 0)
    return viral_error_set(err, VIRAL_ERR_INVALID, d->source ? d->source->name : NULL, 0,
                           "fold %d has no training rows%s", f + 1,
                           o->temporal ? " posted --gap before its test part: use fewer folds or a shorter gap" : "");
  viral_eval_fold fold;
  int rc = viral_eval_fold_init(&fold, d, role, err);
  if (rc != VIRAL_OK) return rc;
  fold.order = order;
  fold.importance = importance;
  fold.importance_measure = measure;
  if (o->export_folds) rc = eval_export_fold(o->export_folds, &fold, f, exported, err);
  static const viral_eval_predictor what[3] = {VIRAL_EVAL_MODEL, VIRAL_EVAL_VIEWS, VIRAL_EVAL_BASE_RATE};
  static const int slot[3] = {VIRAL_REPORT_MODEL, VIRAL_REPORT_VIEWS, VIRAL_REPORT_BASE};
  for (int j = 0; j < 3 && rc == VIRAL_OK; j++)
    if (r->have[slot[j]]) rc = viral_eval_fold_predict_with(&fold, what[j], &o->train, r->probs[slot[j]], err);
  if (rc != VIRAL_OK && err) { /* say which fold: a time fold may hold one class only */
    char msg[VIRAL_ERROR_MAX];
    snprintf(msg, sizeof msg, "%s", err->message);
    viral_error_set(err, rc, NULL, 0, "fold %d: %s", f + 1, msg);
  }
  for (size_t row = 0; row < d->ds.rows && rc == VIRAL_OK; row++)
    if (role[row] == 1) {
      r->fold[row] = f;
      r->labels[row] = fold.ds->labels[row];
    }
  for (int j = 0; j < VIRAL_REPORT_PREDICTORS && rc == VIRAL_OK; j++) {
    if (!r->have[j]) continue;
    size_t m = 0;
    for (size_t at = 0; at < d->ds.rows; at++) {
      size_t row = order ? order[at] : at;
      if (role[row] == 1) {
        y[m] = fold.ds->labels[row];
        q[m++] = r->probs[j][row];
      }
    }
    rc = viral_metrics_compute(y, q, m, o->train.threshold, 0,
                               &r->per_fold[(size_t)j * (size_t)r->folds + (size_t)f], err);
  }
  viral_eval_fold_release(&fold);
  return rc;
}

/* Features shown in the report's importance chart. */
#define REPORT_IMPORTANCE_TOP 15

typedef struct ranked_feature {
  uint32_t index;
  double value;
} ranked_feature;

static int by_abs_value(const void *a, const void *b) {
  double x = fabs(((const ranked_feature *)a)->value), y = fabs(((const ranked_feature *)b)->value);
  return (x < y) - (x > y);
}

/* The REPORT_IMPORTANCE_TOP features of largest mean importance over the
 * k folds (sum: [dim] their sums) into r, named by d's profiled pipeline. */
static int keep_importance(viral_report *r, const viral_eval_data *d, const double *sum, int k,
                           const char *measure, viral_error *err) {
  uint32_t dim = viral_pipeline_dim(d->pipeline);
  size_t n = 0;
  for (uint32_t i = 0; i < dim; i++) n += sum[i] != 0;
  ranked_feature *all = malloc((n ? n : 1) * sizeof *all);
  size_t top = n < REPORT_IMPORTANCE_TOP ? n : REPORT_IMPORTANCE_TOP;
  viral_report_feature *kept = calloc(top ? top : 1, sizeof *kept);
  char *m = malloc(strlen(measure) + 1);
  if (!all || !kept || !m) {
    free(all), free(kept), free(m);
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  }
  strcpy(m, measure);
  n = 0;
  for (uint32_t i = 0; i < dim; i++)
    if (sum[i] != 0) all[n++] = (ranked_feature){i, sum[i] / k};
  qsort(all, n, sizeof *all, by_abs_value);
  for (size_t j = 0; j < top; j++) {
    kept[j].value = all[j].value;
    viral_pipeline_feature_label(d->named ? d->named : d->pipeline, all[j].index, kept[j].label,
                                 sizeof kept[j].label);
  }
  free(all);
  r->importance = kept;
  r->importance_count = top;
  r->importance_measure = m;
  return VIRAL_OK;
}

int viral_eval_run(const viral_eval_data *d, const viral_eval_options *o, viral_report *r,
                   viral_error *err) {
  size_t n = d->ds.rows;
  int k = o->folds;
  int rc = viral_report_init(r, k, n, err);
  if (rc != VIRAL_OK) return rc;
  r->temporal = o->temporal;
  r->have[VIRAL_REPORT_MODEL] = r->have[VIRAL_REPORT_BASE] = 1;
  r->have[VIRAL_REPORT_VIEWS] = d->has_views_window;
  r->have[VIRAL_REPORT_ORACLE] = d->has_oracle;
  if (d->has_oracle) memcpy(r->probs[VIRAL_REPORT_ORACLE], d->oracle, n * sizeof *d->oracle);
  int *fold_of = malloc((n ? n : 1) * sizeof *fold_of), *role = malloc((n ? n : 1) * sizeof *role);
  double *y = malloc((n ? n : 1) * sizeof *y), *q = malloc((n ? n : 1) * sizeof *q);
  size_t *order = o->temporal ? malloc((n ? n : 1) * sizeof *order) : NULL;
  export_fold_info *exported = calloc((size_t)(k > 0 ? k : 1), sizeof *exported);
  uint32_t dim = viral_pipeline_dim(d->pipeline);
  double *importance = calloc(dim ? dim : 1, sizeof *importance);
  const char *measure = NULL;
  if (!fold_of || !role || !y || !q || (o->temporal && !order) || !exported || !importance)
    rc = viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  if (rc == VIRAL_OK && !o->temporal)
    rc = viral_eval_stratified_folds(d->ds.labels, n, k, o->seed, fold_of, err);
  /* time folds learn in time order, so the file's order cannot matter */
  if (rc == VIRAL_OK && o->temporal) rc = viral_eval_time_order(d, order, err);
  for (int f = 0; f < k && rc == VIRAL_OK; f++) {
    if (o->progress) o->progress(o->progress_ctx, f, k);
    if ((rc = fold_roles(d, o, fold_of, order, f, role, r->span[f], err)) == VIRAL_OK)
      rc = run_fold(d, o, role, order, f, r, y, q, &exported[f], importance, &measure, err);
  }
  if (rc == VIRAL_OK && measure) rc = keep_importance(r, d, importance, k, measure, err);
  if (rc == VIRAL_OK) rc = describe(r, d, o, err);
  if (rc == VIRAL_OK && o->export_folds) rc = eval_export_manifest(o->export_folds, d, o, r, exported, err);
  free(fold_of), free(role), free(y), free(q), free(order), free(exported), free(importance);
  return rc;
}

int viral_eval_write_predictions(const viral_eval_data *d, const viral_report *r, FILE *out,
                                 viral_error *err) {
  int oracle = r->have[VIRAL_REPORT_ORACLE];
  fprintf(out, "record,video_id,fold,label,probability,views_baseline,base_rate%s\n",
          oracle ? ",oracle_p" : "");
  char buf[32];
  for (size_t row = 0; row < d->ds.rows && row < r->rows; row++) {
    if (r->fold[row] < 0) continue; /* never tested (the first part of a temporal run) */
    fprintf(out, "%llu,%s,%d,%d", (unsigned long long)d->record[row] + 1, d->id[row] ? d->id[row] : "",
            r->fold[row] + 1, r->labels[row] > 0.5);
    for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++) {
      if (j == VIRAL_REPORT_ORACLE && !oracle) continue;
      fprintf(out, ",%s", r->have[j] ? viral_format_double(buf, r->probs[j][row]) : "");
    }
    fputc('\n', out);
  }
  return ferror(out) ? viral_error_set(err, VIRAL_ERR_IO, NULL, 0, "cannot write the predictions") : VIRAL_OK;
}
