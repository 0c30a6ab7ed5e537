/* eval_report.c - what `viral eval` and `viral tune` share (eval_report.h). */
#include "eval_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "learn_options.h"

/* The rows of the input from its vector cache into *d when the command
 * reads one (cli_open_cache), else *d NULL. A spec fitted inside each fold
 * reads its input itself (saying so) unless the input is the cache.
 * CLI_CONTINUE or an exit status. */
static int featurize_cache(const cli_args *args, viral_pipeline *p, const char *views_field,
                           const viral_reader_options *ropts, viral_eval_data **d) {
  const char *command = args->spec->command, *input = args->positional[0];
  viral_error err;
  viral_error_clear(&err);
  if (!cli_get(args, "cache") && !viral_cache_is(input)) return CLI_CONTINUE;
  if (viral_pipeline_needs_fit(p) && !viral_cache_is(input)) {
    if (!cli_flag(args, "quiet"))
      fprintf(stderr, "viral %s: the vector cache is not used: a spec with scaling or a quantile label is "
                      "fitted inside each fold, from the records\n", command);
    return CLI_CONTINUE;
  }
  char views[64];
  const char *names[2];
  viral_cache_options co;
  cli_train_cache_options(p, views_field, views, names, &co);
  viral_cache *c;
  int rc = cli_open_cache(args, input, p, ropts, &co, &c);
  if (rc != CLI_CONTINUE) return rc;
  *d = viral_eval_load_cache(p, c, views_field, &err);
  viral_cache_free(c);
  return *d ? CLI_CONTINUE : cli_data_error(command, &err);
}

int cli_eval_featurize(const cli_args *args, viral_pipeline *p, const char *views_field, viral_eval_data **d,
                       viral_reader_options *ropts) {
  const char *command = args->spec->command;
  viral_error err;
  viral_error_clear(&err);
  *d = NULL;
  int rc = cli_input_options(args, p, ropts);
  if (rc == CLI_CONTINUE) rc = featurize_cache(args, p, views_field, ropts, d);
  if (rc != CLI_CONTINUE) return rc;
  if (!*d && !(*d = viral_eval_load_with_views(p, args->positional[0], ropts, cli_flag(args, "skip-bad-rows"),
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
