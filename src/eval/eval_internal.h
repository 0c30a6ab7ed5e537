/* eval_internal.h - what eval.c keeps of the input, shared with run.c;
 * the export of folds (export.c). */
#ifndef VIRAL_EVAL_INTERNAL_H
#define VIRAL_EVAL_INTERNAL_H

#include <stddef.h>

#include "io/reader_options.h"
#include "viral/eval.h"
#include "viral/writer.h"

/* The input of viral_eval_load: its name always, its bytes when folds refit
 * the pipeline. */
struct viral_eval_source {
  char *name;                /* the path ("stdin" for standard input), for messages and format detection */
  char *bytes;               /* the whole input (NULL when folds share the vectors) */
  size_t len;
  reader_options_copy ropts; /* the load's (skip_bad_rows too, so a second read skips the same
                                records), strings owned: the caller's may be gone by then */
};

/* What the manifest says of one exported fold. */
typedef struct export_fold_info {
  size_t train, train_positives, test, test_positives;
  double threshold; /* the fold's label threshold (NAN: none) */
} export_fold_info;

/* Write fold f (0-based) of a run into dir: fold-F-train.svm and
 * fold-F-test.svm (LIBSVM lines of the fold's vectors and labels: training
 * rows in the order the learner learns them, test rows in row order) and
 * fold-F-train.csv, fold-F-test.csv (record, video_id, posted_at, label of
 * each line); info receives the counts and threshold. */
int eval_export_fold(viral_atomic_dir *dir, const viral_eval_fold *fold, int f, export_fold_info *info,
                     viral_error *err);
/* Write dir's manifest.json: how the folds of the run o on d (reported in
 * r) were made, and info [o->folds] of each. */
int eval_export_manifest(viral_atomic_dir *dir, const viral_eval_data *d, const viral_eval_options *o,
                         const viral_report *r, const export_fold_info *info, viral_error *err);

#endif
