/* cmd_train.c - `viral train`: fit a model from a labelled dataset.
 *
 *   viral train [options] -o MODEL [FILE|-] */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "learn_options.h"
#include "viral/dist.h"
#include "viral/model.h"

static const cli_option options[] = {
    {"output", 'o', "FILE", "where to write the model (required; written atomically)"},
    CLI_SPEC_OPTIONS,
    CLI_LEARNER_OPTIONS,
    {"threshold", 't', "P", "probability at which score says viral (default 0.5)"},
    CLI_CALIBRATE_OPTIONS,
    CLI_INPUT_OPTIONS,
    CLI_CACHE_OPTION,
    CLI_JSON_SUMMARY_OPTION,
    {"quiet", 'q', NULL, "no summary or progress on stderr"},
    {NULL, 0, NULL, NULL},
};

const cli_spec cmd_train_spec = {
    "train",
    "[options] -o MODEL [FILE|-]",
    "fit a model from a labelled dataset",
    "Reads labelled videos (CSV or JSON Lines), turns each into a feature vector\n"
    "with the spec and fits the learner: the online logistic learner (FTRL-Proximal\n"
    "by default; one streaming pass, memory flat in the rows), a libsvm SVM with\n"
    "Platt probabilities, or XGBoost's gradient-boosted trees (gbt: fitted on the\n"
    "first 90% of the rows until the last 10% stop improving, then refitted on\n"
    "all of them). Rows without a label are skipped and counted. A spec with\n"
    "a quantile label (top:10%:views_final) or scaling, and --class-weight\n"
    "balanced, read the file twice, so they need a FILE rather than stdin.\n"
    "--calibrate holds a seeded share of the rows out of training and fits Platt\n"
    "scaling or isotonic regression on them; score applies it.\n"
    "Prints a summary to stderr: rows, positives and, for the logistic learner,\n"
    "the progressive log loss and AUC (each row scored before it is learned; the\n"
    "SVM's training rows are not scored: that would cost as much as training;\n"
    "gbt's are those of its early-stopping slice, scored by trees that did not\n"
    "see it); --json writes it as JSON too, with the model (both or neither).\n"
    "--cache FILE reads the rows from a vector cache (datasets/FORMATS.md), made\n"
    "from the input on the first run and again whenever the input or the spec\n"
    "changed (a line on stderr says why); a cache given as the input is read as\n"
    "it is. The model is the one training on the input gives.\n\n"
    "example:\n"
    "  viral train -o model.json datasets/sample.csv\n"
    "  viral train --learner svm --kernel rbf --C 4 -o svm.json datasets/sample.csv\n"
    "  viral train --learner gbt -o trees.json datasets/sample.csv\n"
    "  viral train -q --json - -o model.json datasets/sample.csv | jq .auc\n"
    "  viral train --cache sample.vc -o model.json datasets/sample.csv",
    options,
    0,
    1,
};

static void progress(void *ctx, uint64_t rows) {
  (void)ctx;
  fprintf(stderr, "\rviral train: %llu rows", (unsigned long long)rows);
}

static void svm_warning(void *ctx, double seconds, size_t rows) {
  (void)ctx;
  fprintf(stderr,
          "viral train: warning: a kernel SVM on %zu rows takes about %.0f minutes here (it "
          "grows with the square of the rows); the logistic learner takes seconds\n",
          rows, seconds / 60);
}

static void note_line(void *ctx, const char *message) {
  (void)ctx;
  fprintf(stderr, "viral train: %s\n", message);
}

/* Over MPI: what process 0 sent to the job's collective calls. */
static void print_traffic(void) {
  viral_dist_traffic_counts t;
  viral_dist_traffic(&t);
  fprintf(stderr, "viral train: %d processes: process 0 sent %.1f MB in %llu collective calls\n", viral_dist_size(),
          (double)t.bytes / 1e6, (unsigned long long)t.calls);
}

int cmd_train(int argc, char **argv) {
  cli_args args;
  int rc = cli_parse(&cmd_train_spec, argc, argv, &args);
  if (rc != CLI_CONTINUE) return rc;
  const char *out = cli_get(&args, "output");
  if (!out) return cli_usage_error("train", "missing -o MODEL");
  const char *data = args.positional_count ? args.positional[0] : "-";

  viral_train_options opts;
  viral_train_options_init(&opts);
  if ((rc = cli_learner_options(&args, &opts)) != CLI_CONTINUE) return rc;
  if ((rc = cli_get_double(&args, "threshold", 0.5, &opts.threshold)) != CLI_CONTINUE) return rc;
  if (!(opts.threshold >= 0 && opts.threshold <= 1))
    return cli_usage_error("train", "--threshold must be a probability from 0 to 1");
  if ((rc = cli_calibrate_options(&args, &opts)) != CLI_CONTINUE) return rc;
  opts.skip_bad_rows = cli_flag(&args, "skip-bad-rows");
  /* under mpirun the processes train together; process 0 writes and says */
  opts.spread = viral_dist_size() > 1;
  int speaks = viral_dist_rank() == 0;
  int show = speaks && cli_show_progress(&args);
  if (show) opts.progress = progress;
  if (speaks && !cli_flag(&args, "quiet")) opts.warn = svm_warning, opts.note = note_line;

  viral_error err;
  viral_error_clear(&err);
  /* An online learner normalizes in its own pass: no scaling pass. */
  viral_pipeline *p = cli_load_pipeline(&args, viral_learner_scaling(opts.learner), &err);
  if (!p) return cli_data_error("train", &err);
  if (!*viral_pipeline_label_rule(p)) {
    viral_pipeline_free(p);
    return cli_usage_error("train", "the spec has no label rule: give one with --label");
  }
  if (viral_pipeline_leaks(p) && speaks && !cli_flag(&args, "quiet"))
    fprintf(stderr, "viral train: warning: --allow-leakage: features use fields observed after the "
                    "%gh window\n", viral_pipeline_window_hours(p));
  viral_reader_options ropts;
  if ((rc = cli_input_options(&args, p, &ropts)) != CLI_CONTINUE) {
    viral_pipeline_free(p);
    return rc;
  }

  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  viral_train_summary summary;
  viral_model *m = NULL;
  char warning[VIRAL_ERROR_MAX];
  rc = cli_train_model(&args, p, data, &ropts, &opts, &summary, warning, &m);
  viral_pipeline_free(p);
  if (show) fputc('\n', stderr);
  if (rc != CLI_CONTINUE) return rc;
  if (!cli_flag(&args, "quiet")) cli_print_warning("train", warning);
  double seconds = cli_seconds_since(&start);
  rc = speaks ? cli_save_model(m, out, cli_get(&args, "json"), "train", &summary, seconds, &err) : VIRAL_OK;
  viral_model_free(m);
  /* the job's status is process 0's: the others wait for its write */
  if (opts.spread) rc = viral_dist_agree(rc, 0, &err);
  if (rc != VIRAL_OK) return cli_data_error("train", &err);
  if (speaks && !cli_flag(&args, "quiet")) {
    cli_print_train_summary("train", &summary, seconds);
    if (opts.spread) print_traffic();
  }
  return CLI_EXIT_OK;
}
