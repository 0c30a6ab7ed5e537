/* cmd_tune.c - `viral tune`: grid search of the FTRL logistic learner's
 * alpha, l1 and l2 by stratified cross-validation (in the spirit of libsvm's
 * grid.py), then optionally the final model on all rows.
 *
 *   viral tune [options] [-o MODEL] FILE */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "eval_report.h"
#include "learn_options.h"
#include "viral/eval.h"
#include "viral/metrics.h"

static const cli_option options[] = {
    {"output", 'o', "MODEL", "train the final model on all rows with the best parameters"},
    {"metric", 0, "NAME", "auc (default), logloss or brier"},
    {"folds", 'k', "K", "number of stratified folds (default 5)"},
    {"alpha-grid", 0, "LIST", "alpha values (default 0.05,0.1,0.2,0.5,1,2)"},
    {"l1-grid", 0, "LIST", "l1 values (default 0,1)"},
    {"l2-grid", 0, "LIST", "l2 values (default 0,1,10)"},
    CLI_SPEC_OPTIONS,
    CLI_LEARNER_OPTIONS,
    CLI_INPUT_OPTIONS,
    {"quiet", 'q', NULL, "no progress on stderr"},
    {NULL, 0, NULL, NULL},
};

const cli_spec cmd_tune_spec = {
    "tune",
    "[options] [-o MODEL] FILE",
    "grid search of the learner's parameters by cross-validation",
    "Reads and featurizes the labelled videos once, then for every combination of\n"
    "the alpha, l1 and l2 grids cross-validates the logistic learner on the same\n"
    "stratified folds (seeded by --seed) and prints the mean and standard\n"
    "deviation of the metric over the folds, then the best parameters. Other\n"
    "learner options (--optimizer, --passes, --class-weight, ...) stay fixed.\n"
    "With -o, trains the final model on all rows with the best parameters.\n"
    "The SVM grid (C, gamma) is not supported yet.\n\n"
    "example:\n"
    "  viral tune --metric auc -o model.json datasets/sample.csv",
    options,
    1,
    1,
};

#define GRID_MAX 32

/* A comma-separated list of non-negative numbers; count or -1. */
static int parse_grid(const char *text, double *out) {
  int n = 0;
  const char *s = text;
  while (*s) {
    char *end;
    double x = strtod(s, &end);
    if (end == s || !(x >= 0) || !isfinite(x) || n == GRID_MAX) return -1;
    out[n++] = x;
    if (*end == ',') end++;
    else if (*end) return -1;
    s = end;
  }
  return n ? n : -1;
}

static int grid_option(const cli_args *args, const char *name, const char *def, double *out) {
  int n = parse_grid(cli_get(args, name) ? cli_get(args, name) : def, out);
  if (n < 0)
    return cli_usage_error("tune", "--%s must be a list of up to %d numbers >= 0 such as 0.1,1", name,
                           GRID_MAX), -1;
  return n;
}

int cmd_tune(int argc, char **argv) {
  cli_args args;
  int rc = cli_parse(&cmd_tune_spec, argc, argv, &args);
  if (rc != CLI_CONTINUE) return rc;
  long k, seed;
  if ((rc = cli_get_long(&args, "folds", 5, &k)) != CLI_CONTINUE) return rc;
  if (k < 2 || k > 1000) return cli_usage_error("tune", "--folds must be from 2 to 1000");
  if ((rc = cli_get_long(&args, "seed", 1, &seed)) != CLI_CONTINUE) return rc;
  const char *metric = cli_get(&args, "metric") ? cli_get(&args, "metric") : "auc";
  int which = strcmp(metric, "auc") == 0 ? 0 : strcmp(metric, "logloss") == 0 ? 1 : strcmp(metric, "brier") == 0 ? 2 : -1;
  if (which < 0) return cli_usage_error("tune", "--metric must be auc, logloss or brier, not '%s'", metric);
  viral_train_options opts;
  viral_train_options_init(&opts);
  if ((rc = cli_learner_options(&args, &opts)) != CLI_CONTINUE) return rc;
  if (opts.learner != VIRAL_LEARNER_LOGISTIC)
    return cli_usage_error("tune", "only --learner logistic is supported by tune so far");
  double alphas[GRID_MAX], l1s[GRID_MAX], l2s[GRID_MAX];
  int na, n1, n2;
  if ((na = grid_option(&args, "alpha-grid", "0.05,0.1,0.2,0.5,1,2", alphas)) < 0) return CLI_EXIT_USAGE;
  if ((n1 = grid_option(&args, "l1-grid", "0,1", l1s)) < 0) return CLI_EXIT_USAGE;
  if ((n2 = grid_option(&args, "l2-grid", "0,1,10", l2s)) < 0) return CLI_EXIT_USAGE;
  for (int i = 0; i < na; i++)
    if (!(alphas[i] > 0)) return cli_usage_error("tune", "--alpha-grid values must be > 0");

  viral_error err;
  viral_error_clear(&err);
  viral_pipeline *p;
  viral_eval_data *d;
  viral_reader_options ropts;
  if ((rc = cli_eval_load(&args, &p, &d, &ropts)) != CLI_CONTINUE) return rc;
  int show = cli_show_progress(&args);
  int status = CLI_EXIT_OK;
  double *probs = NULL, *y = NULL, *q = NULL, *vals = NULL;
  int *fold = NULL, *role = NULL;
  size_t n = d->ds.rows ? d->ds.rows : 1;
  probs = calloc(n, sizeof *probs);
  y = malloc(n * sizeof *y);
  q = malloc(n * sizeof *q);
  vals = malloc((size_t)k * sizeof *vals);
  fold = malloc(n * sizeof *fold);
  role = malloc(n * sizeof *role);
  if (!probs || !y || !q || !vals || !fold || !role) {
    viral_error_set(&err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
    status = cli_data_error("tune", &err);
    goto done;
  }
  if (viral_eval_stratified_folds(d->ds.labels, d->ds.rows, (int)k, (uint64_t)seed, fold, &err) != VIRAL_OK) {
    status = cli_data_error("tune", &err);
    goto done;
  }
  printf("%s of %ld stratified folds (seed %ld), rows %zu, positives %llu, label %s\n\n", metric, k,
         seed, d->ds.rows, (unsigned long long)d->positives, viral_pipeline_label_rule(p));
  printf("%-10s %-10s %-10s %-10s %-10s\n", "alpha", "l1", "l2", "mean", "std");
  double best = NAN, best_params[3] = {0, 0, 0};
  int total = na * n1 * n2, done_points = 0;
  for (int a = 0; a < na; a++)
    for (int i1 = 0; i1 < n1; i1++)
      for (int i2 = 0; i2 < n2; i2++) {
        viral_train_options o = opts;
        o.logistic.alpha = alphas[a];
        o.logistic.l1 = l1s[i1];
        o.logistic.l2 = l2s[i2];
        if (show) fprintf(stderr, "\rviral tune: point %d of %d", ++done_points, total);
        for (int f = 0; f < (int)k; f++) {
          for (size_t r = 0; r < d->ds.rows; r++) role[r] = fold[r] == f;
          if (viral_eval_fold_predict(d, role, 1, VIRAL_EVAL_MODEL, &o, probs, &err) != VIRAL_OK) {
            if (show) fputc('\n', stderr);
            status = cli_data_error("tune", &err);
            goto done;
          }
          size_t m = 0;
          for (size_t r = 0; r < d->ds.rows; r++)
            if (role[r]) y[m] = d->ds.labels[r], q[m++] = probs[r];
          int mrc = which == 0   ? viral_metrics_roc_auc(y, q, m, &vals[f], &err)
                    : which == 1 ? viral_metrics_log_loss(y, q, m, &vals[f], &err)
                                 : viral_metrics_brier(y, q, m, &vals[f], &err);
          if (mrc < 0) {
            status = cli_data_error("tune", &err);
            goto done;
          }
        }
        double mean, sd;
        viral_metrics_mean_std(vals, (size_t)k, &mean, &sd, NULL);
        if (show) fputc('\r', stderr);
        printf("%-10g %-10g %-10g %-10.4f %-10.4f\n", alphas[a], l1s[i1], l2s[i2], mean, sd);
        int better = !isnan(mean) && (isnan(best) || (which == 0 ? mean > best : mean < best));
        if (better) {
          best = mean;
          best_params[0] = alphas[a], best_params[1] = l1s[i1], best_params[2] = l2s[i2];
        }
      }
  if (show) fputc('\n', stderr);
  if (isnan(best)) {
    viral_error_set(&err, VIRAL_ERR_INVALID, args.positional[0], 0, "%s is undefined on every fold", metric);
    status = cli_data_error("tune", &err);
    goto done;
  }
  printf("\nbest: --alpha %g --l1 %g --l2 %g (%s %.4f)\n", best_params[0], best_params[1], best_params[2],
         metric, best);
  const char *out = cli_get(&args, "output");
  if (out) {
    opts.logistic.alpha = best_params[0];
    opts.logistic.l1 = best_params[1];
    opts.logistic.l2 = best_params[2];
    viral_pipeline *fresh = cli_load_pipeline(&args, "none", &err);
    viral_model *m = fresh ? viral_model_train(fresh, args.positional[0], &ropts, &opts, NULL, &err) : NULL;
    if (!m || viral_model_save(m, out, &err) != VIRAL_OK) status = cli_data_error("tune", &err);
    viral_model_free(m);
  }

done:
  free(probs), free(y), free(q), free(vals), free(fold), free(role);
  viral_eval_data_free(d);
  viral_pipeline_free(p);
  return status;
}
