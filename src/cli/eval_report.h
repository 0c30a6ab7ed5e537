/* eval_report.h - what `viral eval` and `viral tune` share: loading the data
 * once, the fold progress line. The report itself is library code
 * (viral/report.h), and so is writing its files (viral/writer.h). */
#ifndef VIRAL_CLI_EVAL_REPORT_H
#define VIRAL_CLI_EVAL_REPORT_H

#include <stdio.h>
#include <time.h>

#include "cli.h"
#include "viral/eval.h"
#include "viral/model.h"

/* Load the spec and featurize args' FILE once for eval and tune, with the
 * scaling `viral train` uses for opts' learner (none for the online
 * logistic learner, the spec's for the SVM) and the views baseline on
 * views_field (NULL: views_<window>h). Returns CLI_CONTINUE with *p
 * and *d filled (caller frees both; *ropts holds the reader options), or the
 * command's exit status with nothing to free. */
int cli_eval_load(const cli_args *args, const viral_train_options *opts, const char *views_field,
                  viral_pipeline **p, viral_eval_data **d, viral_reader_options *ropts);

/* The second half of cli_eval_load for a pipeline the caller has (a model's,
 * for eval --progressive -m): reader options, featurize args' FILE once,
 * refuse a file with no labelled row. CLI_CONTINUE with *d filled (caller
 * frees it), or the exit status with *d NULL. */
int cli_eval_featurize(const cli_args *args, viral_pipeline *p, const char *views_field, viral_eval_data **d,
                       viral_reader_options *ropts);

/* "\rviral CMD: fold i of K, elapsed, estimate" on stderr; ctx is a
 * cli_progress. */
typedef struct cli_progress {
  const char *command;
  struct timespec start;
  int shown;
} cli_progress;
void cli_progress_fold(void *ctx, int fold, int folds);

#endif
