/* export.c - the folds of a cross-validation as files for other tools
 * (viral_eval_options.export_folds, viral/eval.h): per fold the training
 * and test rows as the learner sees them (LIBSVM vectors and a CSV of who
 * each line is), and a manifest.json that says how the folds were made. */
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viral/eval.h"
#include "viral/vector_io.h"
#include "viral/writer.h"
#include "eval/eval_internal.h"
#include "features/pipeline_json.h"
#include "io/json_number.h"
#include "io/text.h"

/* One part of a fold: its training rows (role 0, in the order the learner
 * learns them) or its test rows (role 1, in row order, as --predictions). */
typedef struct fold_part {
  const viral_eval_fold *fold;
  int role;
} fold_part;

/* The row at place j of the part. */
static size_t part_row(const fold_part *part, size_t j) {
  return part->role == 0 && part->fold->order ? part->fold->order[j] : j;
}

static int write_vectors(FILE *out, const void *ctx, viral_error *err) {
  const fold_part *part = ctx;
  const viral_dataset *ds = part->fold->ds;
  viral_libsvm_writer *w = viral_libsvm_writer_create();
  int rc = w ? VIRAL_OK : VIRAL_ERR_NOMEM;
  for (size_t j = 0; j < ds->rows && rc == VIRAL_OK; j++) {
    size_t r = part_row(part, j);
    if (part->fold->role[r] != part->role) continue;
    viral_sparse x = viral_dataset_row(ds, r);
    rc = viral_libsvm_writer_write(w, out, &x, ds->labels[r]);
  }
  viral_libsvm_writer_free(w);
  return rc == VIRAL_OK ? VIRAL_OK : viral_error_set(err, rc, NULL, 0, "out of memory");
}

/* record (1-based, as --predictions), video_id, posted_at (unix seconds),
 * label: one line per line of the vectors. */
static int write_rows(FILE *out, const void *ctx, viral_error *err) {
  (void)err; /* write errors show in ferror(out), which the caller checks */
  const fold_part *part = ctx;
  const viral_eval_data *d = part->fold->data;
  char buf[32];
  fputs("record,video_id,posted_at,label\n", out);
  for (size_t j = 0; j < d->ds.rows; j++) {
    size_t r = part_row(part, j);
    if (part->fold->role[r] != part->role) continue;
    fprintf(out, "%llu,", (unsigned long long)d->record[r] + 1);
    if (d->id[r]) viral_csv_write_cell(out, d->id[r], strlen(d->id[r]));
    fprintf(out, ",%s,%d\n", isnan(d->posted_at[r]) ? "" : viral_format_double(buf, d->posted_at[r]),
            part->fold->ds->labels[r] > 0.5);
  }
  return VIRAL_OK;
}

int eval_export_fold(viral_atomic_dir *dir, const viral_eval_fold *fold, int f, export_fold_info *info,
                     viral_error *err) {
  static const char *const part_name[2] = {"train", "test"};
  memset(info, 0, sizeof *info);
  for (size_t r = 0; r < fold->ds->rows; r++) {
    if (fold->role[r] < 0) continue;
    size_t *count = fold->role[r] == 0 ? &info->train : &info->test;
    size_t *pos = fold->role[r] == 0 ? &info->train_positives : &info->test_positives;
    (*count)++;
    *pos += fold->ds->labels[r] > 0.5;
  }
  info->threshold = viral_pipeline_label_threshold(fold->pipeline);
  int rc = VIRAL_OK;
  for (int role = 0; role < 2 && rc == VIRAL_OK; role++) {
    fold_part part = {fold, role};
    char name[64];
    snprintf(name, sizeof name, "fold-%d-%s.svm", f + 1, part_name[role]);
    if ((rc = viral_atomic_dir_write(dir, name, write_vectors, &part, err)) != VIRAL_OK) break;
    snprintf(name, sizeof name, "fold-%d-%s.csv", f + 1, part_name[role]);
    rc = viral_atomic_dir_write(dir, name, write_rows, &part, err);
  }
  return rc;
}

/* ---- the manifest ---- */

/* x exactly, or null when it is not a number. */
static cJSON *number_or_null(double x) { return isfinite(x) ? viral_json_exact_number(x) : cJSON_CreateNull(); }

/* Add item under key; 0, or -1 (item freed) when it is NULL or out of memory. */
static int add(cJSON *o, const char *key, cJSON *item) {
  if (item && cJSON_AddItemToObject(o, key, item)) return 0;
  cJSON_Delete(item);
  return -1;
}

/* The names of the dense columns, in vector order (index i + 1 in the
 * vectors). */
static cJSON *dense_names(const viral_pipeline *p) {
  cJSON *names = cJSON_CreateArray();
  for (uint32_t i = 0; names && i < viral_pipeline_dense_count(p); i++) {
    char buf[256];
    viral_pipeline_feature_name(p, i, buf, sizeof buf);
    if (!cJSON_AddItemToArray(names, cJSON_CreateString(buf))) {
      cJSON_Delete(names);
      return NULL;
    }
  }
  return names;
}

/* The spec the folds were made with (the label and scaling actually used). */
static cJSON *spec_of(const viral_pipeline *p, viral_error *err) {
  cJSON *json = viral_pipeline_to_json(p, err);
  cJSON *spec = json ? cJSON_DetachItemFromObjectCaseSensitive(json, "spec") : NULL;
  cJSON_Delete(json);
  return spec;
}

static cJSON *fold_entry(const viral_report *r, const export_fold_info *info, int f) {
  cJSON *o = cJSON_CreateObject();
  char name[64];
  static const char *const keys[4] = {"train_vectors", "train_rows", "test_vectors", "test_rows"};
  static const char *const files[4] = {"train.svm", "train.csv", "test.svm", "test.csv"};
  int bad = !o || add(o, "fold", cJSON_CreateNumber(f + 1)) != 0;
  for (int i = 0; i < 4 && !bad; i++) {
    snprintf(name, sizeof name, "fold-%d-%s", f + 1, files[i]);
    bad = add(o, keys[i], cJSON_CreateString(name)) != 0;
  }
  const double counts[4] = {(double)info->train, (double)info->train_positives, (double)info->test,
                            (double)info->test_positives};
  static const char *const count_keys[4] = {"train", "train_positives", "test", "test_positives"};
  for (int i = 0; i < 4 && !bad; i++) bad = add(o, count_keys[i], cJSON_CreateNumber(counts[i])) != 0;
  if (!bad) bad = add(o, "label_threshold", number_or_null(info->threshold)) != 0;
  if (!bad && r->temporal) {
    cJSON *span = cJSON_CreateArray();
    bad = add(o, "test_posted_at", span) != 0 || viral_json_append_number(span, r->span[f][0]) != 0 ||
          viral_json_append_number(span, r->span[f][1]) != 0;
  }
  if (!bad) return o;
  cJSON_Delete(o);
  return NULL;
}

static cJSON *nomem(viral_error *err) {
  viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  return NULL;
}

/* The manifest: how the folds were made, and each fold's files and counts.
 * NULL with err set. */
static cJSON *manifest(const viral_eval_data *d, const viral_eval_options *o, const viral_report *r,
                       const export_fold_info *info, viral_error *err) {
  const viral_pipeline *p = d->pipeline;
  cJSON *spec = spec_of(p, err);
  if (!spec) return NULL;
  cJSON *folds = cJSON_CreateArray();
  for (int f = 0; folds && f < o->folds; f++)
    if (!cJSON_AddItemToArray(folds, fold_entry(r, &info[f], f))) {
      cJSON_Delete(folds);
      folds = NULL;
    }
  char learner[512];
  viral_train_options_describe(&o->train, learner, sizeof learner);
  cJSON *m = cJSON_CreateObject();
  int bad = !m || !folds || add(m, "format", cJSON_CreateString("viral-folds")) != 0 ||
            add(m, "version", cJSON_CreateNumber(1)) != 0 ||
            add(m, "description", cJSON_CreateString(r->description ? r->description : "")) != 0 ||
            add(m, "split", cJSON_CreateString(o->temporal ? "temporal" : "stratified")) != 0 ||
            add(m, "fold_count", cJSON_CreateNumber(o->folds)) != 0 ||
            add(m, o->temporal ? "gap_seconds" : "seed",
                o->temporal ? viral_json_exact_number(o->gap) : cJSON_CreateNumber((double)o->seed)) != 0 ||
            add(m, "label", cJSON_CreateString(viral_pipeline_label_rule(p))) != 0 ||
            add(m, "window_hours", viral_json_exact_number(viral_pipeline_window_hours(p))) != 0 ||
            add(m, "pipeline_fitted_per_fold", cJSON_CreateBool(viral_eval_refits(d))) != 0 ||
            add(m, "learner", cJSON_CreateString(learner)) != 0 ||
            add(m, "rows", cJSON_CreateNumber((double)d->ds.rows)) != 0 ||
            add(m, "dimension", cJSON_CreateNumber(viral_pipeline_dim(p))) != 0 ||
            add(m, "dense_columns", dense_names(p)) != 0;
  /* add takes the item over, or frees it */
  if (bad) cJSON_Delete(spec), cJSON_Delete(folds);
  else {
    bad = add(m, "spec", spec) != 0;
    bad = add(m, "folds", folds) != 0 || bad;
  }
  if (!bad) return m;
  cJSON_Delete(m);
  return nomem(err);
}

static int write_text(FILE *out, const void *ctx, viral_error *err) {
  (void)err;
  fputs(ctx, out);
  fputc('\n', out);
  return VIRAL_OK;
}

int eval_export_manifest(viral_atomic_dir *dir, const viral_eval_data *d, const viral_eval_options *o,
                         const viral_report *r, const export_fold_info *info, viral_error *err) {
  cJSON *m = manifest(d, o, r, info, err);
  if (!m) return err ? err->code : VIRAL_ERR_NOMEM;
  char *text = cJSON_Print(m);
  cJSON_Delete(m);
  if (!text) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  int rc = viral_atomic_dir_write(dir, "manifest.json", write_text, text, err);
  free(text);
  return rc;
}
