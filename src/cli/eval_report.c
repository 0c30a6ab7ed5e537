/* eval_report.c - what `viral eval` and `viral tune` share (eval_report.h). */
#include "eval_report.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "learn_options.h"

int cli_eval_featurize(const cli_args *args, viral_pipeline *p, const char *views_field, viral_eval_data **d,
                       viral_reader_options *ropts) {
  const char *command = args->spec->command;
  viral_error err;
  viral_error_clear(&err);
  *d = NULL;
  int rc = cli_input_options(args, p, ropts);
  if (rc != CLI_CONTINUE) return rc;
  if (!(*d = viral_eval_load_with_views(p, args->positional[0], ropts, cli_flag(args, "skip-bad-rows"),
                                        views_field, &err)))
    return cli_data_error(command, &err);
  if ((*d)->ds.rows == 0) {
    viral_eval_data_free(*d);
    *d = NULL;
    viral_error_set(&err, VIRAL_ERR_INVALID, args->positional[0], 0, "no labelled rows to evaluate");
    return cli_data_error(command, &err);
  }
  return CLI_CONTINUE;
}

int cli_eval_load(const cli_args *args, const viral_train_options *opts, const char *views_field,
                  viral_pipeline **p, viral_eval_data **d, viral_reader_options *ropts) {
  const char *command = args->spec->command;
  viral_error err;
  viral_error_clear(&err);
  *d = NULL;
  *p = cli_load_pipeline(args, viral_learner_scaling(opts->learner), &err);
  if (!*p) return cli_data_error(command, &err);
  int rc = !*viral_pipeline_label_rule(*p) ? cli_usage_error(command, "the spec has no label rule: give one with --label")
                                           : cli_eval_featurize(args, *p, views_field, d, ropts);
  if (rc != CLI_CONTINUE) {
    viral_pipeline_free(*p);
    *p = NULL;
  }
  return rc;
}

void cli_progress_fold(void *ctx, int fold, int folds) {
  cli_progress *p = ctx;
  double el = cli_seconds_since(&p->start);
  fprintf(stderr, "\rviral %s: fold %d of %d, %.1fs elapsed, about %.1fs left", p->command, fold + 1,
          folds, el, fold ? el / fold * (double)(folds - fold) : 0.0);
  p->shown = 1;
}
