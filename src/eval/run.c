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
                    const size_t *order, int f, viral_report *r, double *y, double *q,
                    export_fold_info *exported, viral_error *err) {
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

/* ---- folds over the processes of an MPI job (viral/dist.h) ----
 *
 * Process p runs the folds f with f % size == p; then every process
 * sends what its folds put in the report (the fold's span and metrics,
 * and the fold, label and probabilities of each row it tested) to every
 * other, so each holds the report one process makes, to the bit. */

/* What this process's folds put in r, into out. */
static void pack_folds(const viral_report *r, int rank, int ranks, FILE *out) {
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
  }
}

/* The folds packed by every process (pack_folds) into r. */
static int unpack_folds(viral_report *r, FILE *in, viral_error *err) {
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
    if (!ok) return viral_error_set(err, VIRAL_ERR_IO, NULL, 0, "the folds of another process came damaged");
  }
  return VIRAL_OK;
}

/* After this process ran its folds (status rc; where: the fold that
 * failed, -1 before any): the first failure of the job, or every fold's
 * results in r. */
static int share_folds(viral_report *r, int rc, int64_t where, viral_error *err) {
  if ((rc = viral_dist_agree(rc, where, err)) != VIRAL_OK) return rc;
  char *mine = NULL, *all = NULL;
  size_t mine_len = 0, all_len = 0;
  FILE *out = open_memstream(&mine, &mine_len);
  if (out) {
    pack_folds(r, viral_dist_rank(), viral_dist_size(), out);
    if (fclose(out) != 0) free(mine), mine = NULL;
  }
  rc = mine ? VIRAL_OK : viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  /* every process gathers, even one short of memory, then they agree */
  int gathered = viral_dist_allgather(mine, rc == VIRAL_OK ? mine_len : 0, &all, &all_len, err);
  if ((rc = viral_dist_agree(rc == VIRAL_OK ? gathered : rc, 0, err)) == VIRAL_OK && all_len) {
    FILE *in = fmemopen(all, all_len, "rb");
    rc = in ? unpack_folds(r, in, err) : viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
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
  if (rc != VIRAL_OK) return viral_dist_size() > 1 ? share_folds(r, rc, -1, err) : rc;
  r->temporal = o->temporal;
  r->have[VIRAL_REPORT_MODEL] = r->have[VIRAL_REPORT_BASE] = 1;
  r->have[VIRAL_REPORT_VIEWS] = d->has_views_window;
  r->have[VIRAL_REPORT_ORACLE] = d->has_oracle;
  if (d->has_oracle) memcpy(r->probs[VIRAL_REPORT_ORACLE], d->oracle, n * sizeof *d->oracle);
  int *fold_of = malloc((n ? n : 1) * sizeof *fold_of), *role = malloc((n ? n : 1) * sizeof *role);
  double *y = malloc((n ? n : 1) * sizeof *y), *q = malloc((n ? n : 1) * sizeof *q);
  size_t *order = o->temporal ? malloc((n ? n : 1) * sizeof *order) : NULL;
  export_fold_info *exported = calloc((size_t)(k > 0 ? k : 1), sizeof *exported);
  if (!fold_of || !role || !y || !q || (o->temporal && !order) || !exported)
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
    where = f;
    if (o->progress) o->progress(o->progress_ctx, f, k);
    if ((rc = fold_roles(d, o, fold_of, order, f, role, r->span[f], err)) == VIRAL_OK)
      rc = run_fold(d, o, role, order, f, r, y, q, &exported[f], err);
  }
  if (ranks > 1) rc = share_folds(r, rc, where, err);
  if (rc == VIRAL_OK) rc = describe(r, d, o, err);
  if (rc == VIRAL_OK && o->export_folds) rc = eval_export_manifest(o->export_folds, d, o, r, exported, err);
  free(fold_of), free(role), free(y), free(q), free(order), free(exported);
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
