/* cmd_eval.c - `viral eval`: cross-validation of any learner with the base
 * rate, the views-only baseline and (when the data has it) the oracle's
 * probabilities on the same folds. The work and the report are library code
 * (viral/eval.h, viral/report.h); this file parses options, picks the mode
 * and writes the outputs.
 *
 *   viral eval [options] FILE */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "age.h"
#include "cli.h"
#include "eval_progressive.h"
#include "eval_report.h"
#include "learn_options.h"
#include "viral/dist.h"
#include "viral/eval.h"
#include "viral/report.h"
#include "viral/writer.h"

static const cli_option options[] = {
    {"folds", 'k', "K", "number of stratified folds (default 5)"},
    {"temporal", 0, NULL, "rolling-origin folds by posted_at instead of stratified ones"},
    {"gap", 0, "DURATION", "--temporal: time between training and test (default 0; e.g. 7d)"},
    {"per-fold", 0, NULL, "also print one row per fold"},
    {"predictions", 0, "FILE", "write the out-of-fold probability of every row (CSV)"},
    {"json", 0, "FILE", "write every number of the report as JSON ('-': standard output, instead of the text)"},
    {"html", 0, "FILE", "write a self-contained HTML report with charts"},
    {"export-folds", 0, "DIR", "write each fold's rows as the learner sees them (LIBSVM, CSV, manifest.json) into the new directory DIR"},
    CLI_PROGRESSIVE_OPTIONS,
    {"views-field", 0, "NAME", "column of the views baseline (default views_<window>h)"},
    {"threshold", 't', "P", "probability at which the model says viral (default 0.5)"},
    CLI_SPEC_OPTIONS,
    CLI_LEARNER_OPTIONS,
    CLI_CALIBRATE_OPTIONS,
    CLI_INPUT_OPTIONS,
    CLI_CACHE_OPTION,
    {"quiet", 'q', NULL, "no progress on stderr"},
    {NULL, 0, NULL, NULL},
};

const cli_spec cmd_eval_spec = {
    "eval",
    "[options] FILE",
    "cross-validate the learner against reference baselines",
    "Reads the labelled videos once, deals them into K stratified folds (seeded\n"
    "by --seed, which seeds the learner too, as in viral train) and, for each\n"
    "fold, trains the learner (logistic or svm, with\n"
    "--calibrate if asked) on the other folds in file order and scores the fold,\n"
    "exactly as `viral train` on those rows and `viral score` would. The same\n"
    "folds score two references: the base rate of the training part (a constant:\n"
    "ROC AUC 0.5) and the Szabo-Huberman baseline, a logistic model on\n"
    "log1p(views at the window) alone. When the data has an oracle_p column (viral\n"
    "gen --oracle) the oracle's own probabilities are scored too. Prints the mean\n"
    "and standard deviation of each metric over the folds then, over all the rows\n"
    "the folds tested, precision and lift at the top 1%, 5% and 10% of each\n"
    "predictor's ranking, the model's confusion matrix at --threshold, and its\n"
    "rows of each class in each tenth of probability with the rate observed\n"
    "there (the reliability bins).\n"
    "Nothing of a test fold reaches its model: a spec with scaling (the svm uses\n"
    "the spec's; the logistic learner normalizes online) or a top:P% label is\n"
    "fitted inside each fold on its training rows only, and the test rows get\n"
    "the labels of that fold's threshold.\n"
    "With --temporal the rows, in posted_at order (ties by video_id, then file\n"
    "order), are cut into K + 1 equal parts; fold i tests part i + 1 with a model\n"
    "trained, in that time order whatever the file's order, on the rows posted at\n"
    "least --gap before it (set the gap to the label's horizon so no training\n"
    "outcome overlaps the test videos); --per-fold shows each fold's time span.\n"
    "--predictions writes the rows that were tested, with their fold.\n"
    "--export-folds DIR writes every fold as the learner sees it, for another\n"
    "tool to fit on the same rows, vectors, folds and labels: per fold F,\n"
    "fold-F-train.svm and fold-F-test.svm (LIBSVM lines, liblinear-train and\n"
    "svm-train read them; the fold's labels and its fitted pipeline's values,\n"
    "training rows in learning order) and fold-F-train.csv, fold-F-test.csv\n"
    "(record, video_id, posted_at, label of each line; records as in\n"
    "--predictions), and manifest.json (folds, split, gap, label rule, spec,\n"
    "learner, names of the dense columns, per fold its counts and threshold).\n"
    "DIR must be new or empty; it appears whole when the run succeeds.\n"
    "The files of a run (--predictions, --json, --html, --export-folds,\n"
    "--final-model) are written together: if one of them fails, none of them\n"
    "is left.\n"
    "With --progressive each video is scored when its window closes and learned\n"
    "from when its outcome is known, in event order (the order of viral stream:\n"
    "from the scored_at/learned_at columns of viral assemble --window, else at\n"
    "posted_at + window and posted_at + --horizon); --no-delay learns right after\n"
    "scoring. Metrics over all outcomes and the last --window-size (--per-fold:\n"
    "each consecutive window; --html: a chart of them over time); -m starts\n"
    "from a saved model, --final-model writes the model the run ends with.\n"
    "Under mpirun the folds are spread over the processes and process 0 writes\n"
    "the report one process writes (not --progressive, --export-folds).\n\n"
    "example:\n"
    "  viral eval --folds 5 --per-fold datasets/sample.csv\n"
    "  viral eval --temporal --learner svm --kernel rbf --C 4 data.csv",
    options,
    1,
    1,
};

/* The evaluation options from the command line. CLI_CONTINUE or exit 2. */
static int eval_options(const cli_args *args, viral_eval_options *o) {
  viral_eval_options_init(o);
  long k, seed;
  int rc;
  if ((rc = cli_get_long(args, "folds", 5, &k)) != CLI_CONTINUE) return rc;
  if (k < 2 || k > 1000) return cli_usage_error("eval", "--folds must be from 2 to 1000");
  o->folds = (int)k;
  if ((rc = cli_learner_options(args, &o->train)) != CLI_CONTINUE) return rc;
  if ((rc = cli_calibrate_options(args, &o->train)) != CLI_CONTINUE) return rc;
  if ((rc = cli_get_double(args, "threshold", 0.5, &o->train.threshold)) != CLI_CONTINUE) return rc;
  if (!(o->train.threshold >= 0 && o->train.threshold <= 1))
    return cli_usage_error("eval", "--threshold must be a probability from 0 to 1");
  if ((rc = cli_get_long(args, "seed", 1, &seed)) != CLI_CONTINUE) return rc;
  o->seed = (uint64_t)seed;
  o->temporal = cli_flag(args, "temporal");
  const char *gap_text = cli_get(args, "gap");
  if (gap_text && (!o->temporal || (o->gap = cli_parse_seconds(gap_text)) < 0))
    return cli_usage_error("eval", "--gap needs --temporal and a duration such as 7d or 36h, not '%s'",
                           gap_text);
  return CLI_CONTINUE;
}

/* Adapters for viral_write_outputs. */
typedef struct pred_ctx {
  const viral_eval_data *d;
  const viral_report *r;
} pred_ctx;

static int write_predictions(FILE *out, const void *ctx, viral_error *err) {
  const pred_ctx *c = ctx;
  return viral_eval_write_predictions(c->d, c->r, out, err);
}
static int write_json(FILE *out, const void *ctx, viral_error *err) {
  return viral_report_write_json(ctx, out, err);
}
static int write_html(FILE *out, const void *ctx, viral_error *err) {
  return viral_report_write_html(ctx, out, err);
}

int cmd_eval(int argc, char **argv) {
  cli_args args;
  int rc = cli_parse(&cmd_eval_spec, argc, argv, &args);
  if (rc != CLI_CONTINUE) return rc;
  /* time runs one way: progressive validation is one process's */
  if (cli_flag(&args, "progressive") && viral_dist_size() > 1)
    return cli_usage_error("eval", "--progressive runs as one process: start it without mpirun");
  if (cli_flag(&args, "progressive") && cli_get(&args, "cache"))
    return cli_usage_error("eval", "--cache is not given with --progressive");
  if (cli_flag(&args, "progressive")) return eval_progressive(&args);
  if ((rc = eval_progressive_check_unused(&args)) != CLI_CONTINUE) return rc;
  if (cli_get(&args, "export-folds") && viral_dist_size() > 1)
    return cli_usage_error("eval", "--export-folds runs as one process: start it without mpirun");
  viral_eval_options o;
  if ((rc = eval_options(&args, &o)) != CLI_CONTINUE) return rc;

  viral_pipeline *p;
  viral_eval_data *d;
  viral_reader_options ropts;
  if ((rc = cli_eval_load(&args, &o.train, cli_get(&args, "views-field"), &p, &d, &ropts)) != CLI_CONTINUE) return rc;
  const char *export_dir = cli_get(&args, "export-folds");
  viral_error err;
  viral_error_clear(&err);
  if (export_dir && !(o.export_folds = viral_atomic_dir_open(export_dir, &err))) {
    viral_eval_data_free(d);
    viral_pipeline_free(p);
    return cli_data_error("eval", &err);
  }
  cli_progress progress = {"eval", {0, 0}, 0};
  clock_gettime(CLOCK_MONOTONIC, &progress.start);
  if (cli_show_progress(&args)) {
    o.progress = cli_progress_fold;
    o.progress_ctx = &progress;
  }

  viral_report r;
  /* The mode fills the report; everything after it is the same for all. */
  rc = viral_eval_run(d, &o, &r, &err);
  if (progress.shown) fputc('\n', stderr);
  const char *pred = cli_get(&args, "predictions"), *json = cli_get(&args, "json"),
             *html = cli_get(&args, "html");
  pred_ctx pc = {d, &r};
  const viral_output outputs[] = {{pred, write_predictions, &pc}, {json, write_json, &r}, {html, write_html, &r}};
  /* in an MPI job every process holds the whole report; process 0 writes it */
  int writes = viral_dist_rank() == 0;
  if (rc == VIRAL_OK && writes) rc = viral_write_outputs(outputs, sizeof outputs / sizeof *outputs, &err);
  /* the directory last: the other outputs fail more easily than its rename */
  if (rc == VIRAL_OK && o.export_folds) rc = viral_atomic_dir_commit(o.export_folds, &err);
  else viral_atomic_dir_abort(o.export_folds);
  /* --json -: the JSON alone on stdout */
  if (rc == VIRAL_OK && writes && !(json && viral_names_stdout(json)))
    rc = viral_report_write_text(&r, stdout, cli_flag(&args, "per-fold"), &err);
  if (rc == VIRAL_OK) cli_print_warning("eval", d->input_warning);
  int status = rc == VIRAL_OK ? CLI_EXIT_OK : cli_data_error("eval", &err);
  if (rc == VIRAL_OK && writes && (d->unlabeled || d->bad_rows))
    fprintf(stderr, "viral eval: skipped %llu unlabelled and %llu bad rows\n",
            (unsigned long long)d->unlabeled, (unsigned long long)d->bad_rows);
  viral_report_release(&r);
  viral_eval_data_free(d);
  viral_pipeline_free(p);
  return status;
}
