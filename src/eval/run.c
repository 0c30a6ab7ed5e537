/* run.c - a whole cross-validation (viral/eval.h): folds, the learner and the
 * references on each, the per-fold metrics and the line that says what was
 * measured. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viral/dist.h"
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
                    const size_t *order, int f, viral_report *r, export_fold_info *exported,
                    double *importance, const char **measure, viral_error *err) {
  size_t train = 0, tested = 0;
  for (size_t row = 0; row < d->ds.rows; row++) {
    train += role[row] == 0;
    tested += role[row] == 1;
  }
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
  /* the test part's labels and each predictor's probabilities, in the fold's order */
  double *y = malloc((tested ? tested : 1) * sizeof *y), *q = malloc((tested ? tested : 1) * sizeof *q);
  if (rc == VIRAL_OK && (!y || !q)) rc = viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
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
  free(y), free(q);
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

/* One fold's importance in its model: the features it gave a value other
 * than 0 and what the values measure (NULL: the model has none). Kept per
 * fold, not summed as the folds run, so that a job of several processes
 * adds them in fold order as one process does, to the same bits. */
typedef struct fold_importance {
  size_t n;
  uint32_t *index;
  double *value;
  char *measure;
} fold_importance;

static void fold_importance_free(fold_importance *kept, int k) {
  for (int f = 0; kept && f < k; f++) free(kept[f].index), free(kept[f].value), free(kept[f].measure);
  free(kept);
}

/* The importance run_fold added to scratch ([dim], made 0 again here) and
 * what it measures, into kept (empty). */
static int keep_fold_importance(double *scratch, uint32_t dim, const char *measure, fold_importance *kept,
                                viral_error *err) {
  size_t n = 0;
  for (uint32_t i = 0; i < dim; i++) n += scratch[i] != 0;
  kept->index = malloc((n ? n : 1) * sizeof *kept->index);
  kept->value = malloc((n ? n : 1) * sizeof *kept->value);
  kept->measure = measure ? strdup(measure) : NULL;
  if (!kept->index || !kept->value || (measure && !kept->measure))
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  for (uint32_t i = 0; i < dim; i++)
    if (scratch[i] != 0) {
      kept->index[kept->n] = i;
      kept->value[kept->n++] = scratch[i];
      scratch[i] = 0;
    }
  return VIRAL_OK;
}

/* The k folds' importance added in fold order into sum ([dim], 0); what
 * it measures: the last fold's measure, NULL when none has one. */
static const char *add_folds_importance(const fold_importance *kept, int k, double *sum) {
  const char *measure = NULL;
  for (int f = 0; f < k; f++) {
    for (size_t i = 0; i < kept[f].n; i++) sum[kept[f].index[i]] += kept[f].value[i];
    if (kept[f].measure) measure = kept[f].measure;
  }
  return measure;
}

/* ---- folds over the processes of an MPI job (viral/dist.h) ----
 *
 * Process p runs the folds f with f % size == p; then every process
 * sends what its folds put in the report (the fold's span and metrics,
 * the fold, label and probabilities of each row it tested, and the
 * importance in the fold's model) to every other, so each holds the
 * report one process makes, to the bit. */

/* A fold's importance (keep_fold_importance) into out: the length of its
 * measure (UINT32_MAX: none) and the measure, the count of features, their
 * indexes and values. */
static void pack_fold_importance(const fold_importance *kept, FILE *out) {
  uint32_t len = kept->measure ? (uint32_t)strlen(kept->measure) : UINT32_MAX;
  uint64_t n = kept->n;
  fwrite(&len, sizeof len, 1, out);
  if (kept->measure) fwrite(kept->measure, 1, len, out);
  fwrite(&n, sizeof n, 1, out);
  fwrite(kept->index, sizeof *kept->index, kept->n, out);
  fwrite(kept->value, sizeof *kept->value, kept->n, out);
}

/* A fold's importance packed by pack_fold_importance into kept (what it
 * held before is freed); 0 when damaged or out of memory. */
static int unpack_fold_importance(fold_importance *kept, uint32_t dim, FILE *in) {
  free(kept->index), free(kept->value), free(kept->measure);
  memset(kept, 0, sizeof *kept);
  uint32_t len;
  uint64_t n;
  if (fread(&len, sizeof len, 1, in) != 1) return 0;
  if (len != UINT32_MAX) {
    if (!(kept->measure = malloc((size_t)len + 1)) || fread(kept->measure, 1, len, in) != len) return 0;
    kept->measure[len] = '\0';
  }
  if (fread(&n, sizeof n, 1, in) != 1 || n > dim) return 0;
  kept->index = malloc((n ? n : 1) * sizeof *kept->index);
  kept->value = malloc((n ? n : 1) * sizeof *kept->value);
  if (!kept->index || !kept->value || fread(kept->index, sizeof *kept->index, n, in) != n ||
      fread(kept->value, sizeof *kept->value, n, in) != n)
    return 0;
  kept->n = n;
  for (size_t i = 0; i < kept->n; i++)
    if (kept->index[i] >= dim) return 0;
  return 1;
}

/* What this process's folds put in r and kept, into out. */
static void pack_folds(const viral_report *r, const fold_importance *kept, int rank, int ranks, FILE *out) {
  for (int f = rank; f < r->folds; f += ranks) {
    uint64_t tested = 0;
    for (size_t row = 0; row < r->rows; row++) tested += r->fold[row] == f;
    fwrite(&f, sizeof f, 1, out);
    fwrite(r->span[f], sizeof r->span[f], 1, out);
    fwrite(&tested, sizeof tested, 1, out);
    for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++)
      if (r->have[j]) fwrite(viral_report_fold(r, j, f), sizeof(viral_metrics), 1, out);
    for (uint64_t row = 0; row < r->rows; row++) {
      if (r->fold[row] != f) continue;
      fwrite(&row, sizeof row, 1, out);
      fwrite(&r->labels[row], sizeof r->labels[row], 1, out);
      for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++)
        if (r->have[j]) fwrite(&r->probs[j][row], sizeof r->probs[j][row], 1, out);
    }
    pack_fold_importance(&kept[f], out);
  }
}

/* The folds packed by every process (pack_folds) into r and kept ([dim]
 * importance). */
static int unpack_folds(viral_report *r, fold_importance *kept, uint32_t dim, FILE *in, viral_error *err) {
  int f;
  while (fread(&f, sizeof f, 1, in) == 1) {
    uint64_t tested;
    int ok = f >= 0 && f < r->folds && fread(r->span[f], sizeof r->span[f], 1, in) == 1 &&
             fread(&tested, sizeof tested, 1, in) == 1;
    for (int j = 0; ok && j < VIRAL_REPORT_PREDICTORS; j++)
      if (r->have[j]) ok = fread(&r->per_fold[(size_t)j * (size_t)r->folds + (size_t)f], sizeof(viral_metrics), 1, in) == 1;
    for (uint64_t i = 0; ok && i < tested; i++) {
      uint64_t row;
      ok = fread(&row, sizeof row, 1, in) == 1 && row < r->rows && fread(&r->labels[row], sizeof r->labels[row], 1, in) == 1;
      if (ok) r->fold[row] = f;
      for (int j = 0; ok && j < VIRAL_REPORT_PREDICTORS; j++)
        if (r->have[j]) ok = fread(&r->probs[j][row], sizeof r->probs[j][row], 1, in) == 1;
    }
    ok = ok && unpack_fold_importance(&kept[f], dim, in);
    if (!ok) return viral_error_set(err, VIRAL_ERR_IO, NULL, 0, "the folds of another process came damaged");
  }
  return VIRAL_OK;
}

/* After this process ran its folds (status rc; where: the fold that
 * failed, -1 before any): the first failure of the job, or every fold's
 * results in r and its importance in kept ([k], of [dim] features). */
static int share_folds(viral_report *r, fold_importance *kept, uint32_t dim, int rc, int64_t where,
                       viral_error *err) {
  if ((rc = viral_dist_agree(rc, where, err)) != VIRAL_OK) return rc;
  char *mine = NULL, *all = NULL;
  size_t mine_len = 0, all_len = 0;
  FILE *out = open_memstream(&mine, &mine_len);
  if (out) {
    pack_folds(r, kept, viral_dist_rank(), viral_dist_size(), out);
    if (fclose(out) != 0) free(mine), mine = NULL;
  }
  rc = mine ? VIRAL_OK : viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  /* every process gathers, even one short of memory, then they agree */
  int gathered = viral_dist_allgather(mine, rc == VIRAL_OK ? mine_len : 0, &all, &all_len, err);
  if ((rc = viral_dist_agree(rc == VIRAL_OK ? gathered : rc, 0, err)) == VIRAL_OK && all_len) {
    FILE *in = fmemopen(all, all_len, "rb");
    rc = in ? unpack_folds(r, kept, dim, in, err) : viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
    if (in) fclose(in);
  }
  free(mine), free(all);
  return rc;
}

int viral_eval_run(const viral_eval_data *d, const viral_eval_options *o, viral_report *r,
                   viral_error *err) {
  size_t n = d->ds.rows;
  int k = o->folds;
  int rc = viral_report_init(r, k, n, err);
  if (rc != VIRAL_OK) return viral_dist_size() > 1 ? share_folds(r, NULL, 0, rc, -1, err) : rc;
  r->temporal = o->temporal;
  r->have[VIRAL_REPORT_MODEL] = r->have[VIRAL_REPORT_BASE] = 1;
  r->have[VIRAL_REPORT_VIEWS] = d->has_views_window;
  r->have[VIRAL_REPORT_ORACLE] = d->has_oracle;
  if (d->has_oracle) memcpy(r->probs[VIRAL_REPORT_ORACLE], d->oracle, n * sizeof *d->oracle);
  int *fold_of = malloc((n ? n : 1) * sizeof *fold_of), *role = malloc((n ? n : 1) * sizeof *role);
  size_t *order = o->temporal ? malloc((n ? n : 1) * sizeof *order) : NULL;
  export_fold_info *exported = calloc((size_t)(k > 0 ? k : 1), sizeof *exported);
  uint32_t dim = viral_pipeline_dim(d->pipeline);
  double *importance = calloc(dim ? dim : 1, sizeof *importance); /* a fold's, then the sum */
  fold_importance *kept = calloc((size_t)(k > 0 ? k : 1), sizeof *kept);
  if (!fold_of || !role || (o->temporal && !order) || !exported || !importance || !kept)
    rc = viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  if (rc == VIRAL_OK && !o->temporal)
    rc = viral_eval_stratified_folds(d->ds.labels, n, k, o->seed, fold_of, err);
  /* time folds learn in time order, so the file's order cannot matter */
  if (rc == VIRAL_OK && o->temporal) rc = viral_eval_time_order(d, order, err);
  int rank = viral_dist_rank(), ranks = viral_dist_size();
  if (rc == VIRAL_OK && ranks > 1 && o->export_folds)
    rc = viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "folds are exported by one process: run it without mpirun");
  int64_t where = -1; /* the fold that failed; -1: before any */
  for (int f = rank; f < k && rc == VIRAL_OK; f += ranks) {
    const char *measure = NULL;
    where = f;
    if (o->progress) o->progress(o->progress_ctx, f, k);
    if ((rc = fold_roles(d, o, fold_of, order, f, role, r->span[f], err)) == VIRAL_OK &&
        (rc = run_fold(d, o, role, order, f, r, &exported[f], importance, &measure, err)) == VIRAL_OK)
      rc = keep_fold_importance(importance, dim, measure, &kept[f], err);
  }
  if (ranks > 1) rc = share_folds(r, kept, dim, rc, where, err);
  const char *measure = rc == VIRAL_OK ? add_folds_importance(kept, k, importance) : NULL;
  if (measure) rc = keep_importance(r, d, importance, k, measure, err);
  if (rc == VIRAL_OK) rc = describe(r, d, o, err);
  if (rc == VIRAL_OK && o->export_folds) rc = eval_export_manifest(o->export_folds, d, o, r, exported, err);
  free(fold_of), free(role), free(order), free(exported), free(importance);
  fold_importance_free(kept, k);
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
