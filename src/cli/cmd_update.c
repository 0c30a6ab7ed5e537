/* cmd_update.c - `viral update`: continue training a saved model.
 *
 *   viral update -m MODEL [-o OUT] [FILE|-] */
#include <stdio.h>
#include <time.h>

#include "cli.h"
#include "learn_options.h"
#include "viral/model.h"

static const cli_option options[] = {
    {"model", 'm', "MODEL", "the model to update (required)"},
    {"output", 'o', "FILE", "write the updated model here (default: replace MODEL, atomically)"},
    {"budget", 0, "N", "svm: support vectors carried over at most (default: all)"},
    CLI_INPUT_OPTIONS,
    CLI_CACHE_OPTION,
    CLI_ALLOW_MISSING_OPTION,
    CLI_JSON_SUMMARY_OPTION,
    {"quiet", 'q', NULL, "no summary on stderr"},
    {NULL, 0, NULL, NULL},
};

const cli_spec cmd_update_spec = {
    "update",
    "[options] -m MODEL [FILE|-]",
    "continue training a saved model on new labelled rows (online learning)",
    "The logistic learner continues exactly where it stopped: training on A then\n"
    "updating with B gives bit for bit the model of training on A followed by B\n"
    "in one pass. The label rule, its fitted threshold (top:10%:... is fitted\n"
    "once, at train) and the features are the model's own. An SVM model is\n"
    "retrained on its support vectors plus the new rows: an approximation.\n"
    "A gbt model keeps its trees and adds trees fitted on the new rows (with\n"
    "early stopping on their last 10%; none when no new tree helps).\n"
    "The model file is replaced atomically, and only when the whole update\n"
    "succeeded: on any error the old file is left as it was. Prints a summary\n"
    "to stderr as viral train does; --json writes it as JSON too.\n\n"
    "example:\n"
    "  viral update -m model.json new-labels.csv\n"
    "  viral update -m model.json -o model-2.json --json update.json new-labels.csv",
    options,
    0,
    1,
};

/* viral_model_update on the rows of c, m taking the pipeline c's pass left. */
static int update_from_cache(viral_model *m, const viral_cache *c, const viral_train_options *opts,
                             viral_train_summary *summary, viral_error *err) {
  viral_rows_options o;
  viral_rows_options_init(&o);
  o.times = 1;
  viral_pipeline *named = viral_cache_pipeline(c, err);
  viral_rows *rows = named ? viral_rows_open_cache(c, &o, err) : NULL;
  int rc = rows ? viral_model_update_rows(m, named, rows, opts, summary, err) : err->code;
  viral_rows_free(rows);
  viral_pipeline_free(named);
  return rc;
}

int cmd_update(int argc, char **argv) {
  cli_args args;
  int rc = cli_parse(&cmd_update_spec, argc, argv, &args);
  if (rc != CLI_CONTINUE) return rc;
  const char *model_path = cli_get(&args, "model");
  if (!model_path) return cli_usage_error("update", "missing -m MODEL");
  const char *out = cli_get(&args, "output") ? cli_get(&args, "output") : model_path;
  const char *data = args.positional_count ? args.positional[0] : "-";
  viral_train_options opts;
  viral_train_options_init(&opts);
  long budget = 0;
  if ((rc = cli_get_long(&args, "budget", 0, &budget)) != CLI_CONTINUE) return rc;
  if (budget < 0) return cli_usage_error("update", "--budget must be 0 (no cap) or more");
  opts.svm_budget = (size_t)budget;
  opts.skip_bad_rows = cli_flag(&args, "skip-bad-rows");

  viral_error err;
  viral_error_clear(&err);
  viral_model *m = viral_model_load(model_path, &err);
  if (!m) return cli_data_error("update", &err);
  viral_pipeline_set_allow_missing(viral_model_pipeline_mut(m), cli_flag(&args, "allow-missing"));
  viral_reader_options ropts;
  if ((rc = cli_input_options(&args, viral_model_pipeline(m), &ropts)) != CLI_CONTINUE) {
    viral_model_free(m);
    return rc;
  }
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  viral_train_summary summary;
  viral_cache *c;
  viral_cache_options co = {VIRAL_CACHE_UPDATE, NULL, 0};
  if ((rc = cli_open_cache(&args, data, viral_model_pipeline(m), &ropts, &co, &c)) != CLI_CONTINUE) {
    viral_model_free(m);
    return rc;
  }
  rc = c ? update_from_cache(m, c, &opts, &summary, &err) : viral_model_update(m, data, &ropts, &opts, &summary, &err);
  if (rc == VIRAL_OK && !cli_flag(&args, "quiet") && c) cli_print_warning("update", viral_cache_warning(c));
  else if (rc == VIRAL_OK && !cli_flag(&args, "quiet")) cli_input_warning("update", viral_model_pipeline(m));
  viral_cache_free(c);
  double seconds = cli_seconds_since(&start);
  if (rc == VIRAL_OK) rc = cli_save_model(m, out, cli_get(&args, "json"), "update", &summary, seconds, &err);
  viral_model_free(m);
  if (rc != VIRAL_OK) return cli_data_error("update", &err);
  if (!cli_flag(&args, "quiet")) cli_print_train_summary("update", &summary, seconds);
  return CLI_EXIT_OK;
}
