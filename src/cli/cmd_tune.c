/* cmd_tune.c - `viral tune`: grid search by stratified cross-validation, in
 * the spirit of libsvm's grid.py: alpha, l1 and l2 of the FTRL logistic
 * learner, or log2 grids of C (and gamma for the rbf kernel) of the SVM;
 * then optionally the final model on all rows.
 *
 *   viral tune [options] [-o MODEL] FILE */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "eval_report.h"
#include "learn_options.h"
#include "viral/eval.h"
#include "viral/metrics.h"

static const cli_option options[] = {
    {"output", 'o', "MODEL", "train the final model on all rows with the best parameters"},
    {"metric", 0, "NAME", "auc (default), logloss or brier"},
    {"folds", 'k', "K", "number of stratified folds (default 5)"},
    {"alpha-grid", 0, "LIST", "logistic: alpha values (default 0.05,0.1,0.2,0.5,1,2)"},
    {"l1-grid", 0, "LIST", "logistic: l1 values (default 0,1)"},
    {"l2-grid", 0, "LIST", "logistic: l2 values (default 0,1,10)"},
    {"log2c", 0, "B,E,S", "svm: log2 of C from B to E by S (default -5,15,2, as grid.py)"},
    {"log2g", 0, "B,E,S", "svm rbf: log2 of gamma from B to E by S (default 3,-15,-2)"},
    CLI_SPEC_OPTIONS,
    CLI_LEARNER_OPTIONS,
    CLI_CALIBRATE_OPTIONS,
    CLI_INPUT_OPTIONS,
    {"quiet", 'q', NULL, "no progress on stderr"},
    {NULL, 0, NULL, NULL},
};

const cli_spec cmd_tune_spec = {
    "tune",
    "[options] [-o MODEL] FILE",
    "grid search of the learner's parameters by cross-validation",
    "Reads the labelled videos once, then cross-validates the learner on the same\n"
    "stratified folds (seeded by --seed) for every point of the grid and prints\n"
    "the mean and standard deviation of the metric over the folds, then the best\n"
    "parameters. The logistic learner's grid is alpha x l1 x l2; the SVM's is\n"
    "C x gamma on log2 scales as libsvm's grid.py has them (C only for the\n"
    "linear kernel). Other learner options (--optimizer, --passes,\n"
    "--class-weight, --calibrate, ...) stay fixed. Each fold fits its pipeline\n"
    "(scaling, quantile label) on its own training rows, as in viral eval.\n"
    "With -o, trains the final model on all rows with the best parameters.\n\n"
    "example:\n"
    "  viral tune --metric auc -o model.json datasets/sample.csv\n"
    "  viral tune --learner svm --kernel rbf --log2c -1,7,2 --log2g -9,1,2 data.csv",
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

/* grid.py's "begin,end,step" on the log2 scale into 2^x values; count or -1
 * (after a usage error). */
static int log2_option(const cli_args *args, const char *name, const char *def, double *out) {
  const char *text = cli_get(args, name) ? cli_get(args, name) : def;
  double b, e, s;
  char tail;
  int n = 0;
  if (sscanf(text, "%lf,%lf,%lf%c", &b, &e, &s, &tail) == 3 && isfinite(b) && isfinite(e) && s != 0 &&
      (e - b) / s >= 0 && (e - b) / s < GRID_MAX)
    for (double x = b; s > 0 ? x <= e + 1e-9 : x >= e - 1e-9; x += s) out[n++] = pow(2, x);
  if (n == 0)
    return cli_usage_error("tune", "--%s must be BEGIN,END,STEP on the log2 scale with at most %d "
                           "points, such as -5,15,2", name, GRID_MAX), -1;
  return n;
}

/* One grid point: the learner's options and the metric on each fold. */
typedef struct point {
  viral_train_options opts;
  double *per_fold; /* [folds] */
  double mean, sd;
} point;

/* The grid of the learner's parameters around base; count or -1. */
static int make_grid(const cli_args *args, const viral_train_options *base, point **out) {
  double a[GRID_MAX], b[GRID_MAX], c[GRID_MAX];
  int na, nb, nc = 1;
  int svm = base->learner == VIRAL_LEARNER_SVM;
  if (svm) {
    if ((na = log2_option(args, "log2c", "-5,15,2", a)) < 0) return -1;
    nb = 1;
    b[0] = base->svm.gamma;
    if (base->svm.kernel == VIRAL_SVM_RBF && (nb = log2_option(args, "log2g", "3,-15,-2", b)) < 0) return -1;
  } else {
    if ((na = grid_option(args, "alpha-grid", "0.05,0.1,0.2,0.5,1,2", a)) < 0) return -1;
    if ((nb = grid_option(args, "l1-grid", "0,1", b)) < 0) return -1;
    if ((nc = grid_option(args, "l2-grid", "0,1,10", c)) < 0) return -1;
    for (int i = 0; i < na; i++)
      if (!(a[i] > 0)) return cli_usage_error("tune", "--alpha-grid values must be > 0"), -1;
  }
  point *g = calloc((size_t)(na * nb * nc), sizeof *g);
  if (!g) return -1;
  int n = 0;
  for (int i = 0; i < na; i++)
    for (int j = 0; j < nb; j++)
      for (int l = 0; l < nc; l++, n++) {
        g[n].opts = *base;
        if (svm) {
          g[n].opts.svm.C = a[i];
          g[n].opts.svm.gamma = b[j];
        } else {
          g[n].opts.logistic.alpha = a[i];
          g[n].opts.logistic.l1 = b[j];
          g[n].opts.logistic.l2 = c[l];
        }
      }
  *out = g;
  return n;
}

/* The metric of probs on the fold's test rows. */
static int fold_metric(const viral_eval_fold *fold, const double *probs, int which, double *y,
                       double *q, double *out, viral_error *err) {
  size_t m = 0;
  for (size_t r = 0; r < fold->ds->rows; r++)
    if (fold->role[r] == 1) y[m] = fold->ds->labels[r], q[m++] = probs[r];
  int rc = which == 0   ? viral_metrics_roc_auc(y, q, m, out, err)
           : which == 1 ? viral_metrics_log_loss(y, q, m, out, err)
                        : viral_metrics_brier(y, q, m, out, err);
  return rc < 0 ? rc : VIRAL_OK;
}

/* Cross-validate every point of the grid; each fold fits its pipeline once. */
static int run_grid(const viral_eval_data *d, int k, uint64_t seed, int which, point *g, int n,
                    int show, viral_error *err) {
  size_t rows = d->ds.rows ? d->ds.rows : 1;
  int *fold_of = malloc(rows * sizeof *fold_of), *role = malloc(rows * sizeof *role);
  double *probs = calloc(rows, sizeof *probs), *y = malloc(rows * sizeof *y), *q = malloc(rows * sizeof *q);
  int rc = fold_of && role && probs && y && q ? VIRAL_OK
                                               : viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  if (rc == VIRAL_OK) rc = viral_eval_stratified_folds(d->ds.labels, d->ds.rows, k, seed, fold_of, err);
  for (int f = 0; f < k && rc == VIRAL_OK; f++) {
    for (size_t r = 0; r < d->ds.rows; r++) role[r] = fold_of[r] == f;
    viral_eval_fold fold;
    if ((rc = viral_eval_fold_init(&fold, d, role, err)) != VIRAL_OK) break;
    for (int i = 0; i < n && rc == VIRAL_OK; i++) {
      if (show) fprintf(stderr, "\rviral tune: fold %d of %d, point %d of %d", f + 1, k, i + 1, n);
      rc = viral_eval_fold_predict_with(&fold, VIRAL_EVAL_MODEL, &g[i].opts, probs, err);
      if (rc == VIRAL_OK) rc = fold_metric(&fold, probs, which, y, q, &g[i].per_fold[f], err);
    }
    viral_eval_fold_release(&fold);
  }
  if (show) fputc('\n', stderr);
  free(fold_of), free(role), free(probs), free(y), free(q);
  return rc;
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
  if ((rc = cli_calibrate_options(&args, &opts)) != CLI_CONTINUE) return rc;
  point *g = NULL;
  int n = make_grid(&args, &opts, &g);
  if (n < 0) return CLI_EXIT_USAGE;
  int svm = opts.learner == VIRAL_LEARNER_SVM;

  viral_error err;
  viral_error_clear(&err);
  viral_pipeline *p;
  viral_eval_data *d;
  viral_reader_options ropts;
  if ((rc = cli_eval_load(&args, &opts, NULL, &p, &d, &ropts)) != CLI_CONTINUE) {
    free(g);
    return rc;
  }
  int status = CLI_EXIT_OK;
  double *values = calloc((size_t)n * (size_t)k, sizeof *values);
  if (!values) {
    viral_error_set(&err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
    status = cli_data_error("tune", &err);
    goto done;
  }
  for (int i = 0; i < n; i++) g[i].per_fold = values + (size_t)i * (size_t)k;
  if (run_grid(d, (int)k, (uint64_t)seed, which, g, n, cli_show_progress(&args), &err) != VIRAL_OK) {
    status = cli_data_error("tune", &err);
    goto done;
  }
  cli_print_warning("tune", d->input_warning);
  printf("%s of %ld stratified folds (seed %ld), rows %zu, positives %llu, label %s\n\n", metric, k,
         seed, d->ds.rows, (unsigned long long)d->positives, viral_pipeline_label_rule(p));
  if (svm) printf("%-10s %-10s %-10s %-10s\n", "C", "gamma", "mean", "std");
  else printf("%-10s %-10s %-10s %-10s %-10s\n", "alpha", "l1", "l2", "mean", "std");
  int best = -1;
  for (int i = 0; i < n; i++) {
    viral_metrics_mean_std(g[i].per_fold, (size_t)k, &g[i].mean, &g[i].sd, NULL);
    const viral_train_options *o = &g[i].opts;
    if (svm) printf("%-10g %-10g %-10.4f %-10.4f\n", o->svm.C, o->svm.gamma, g[i].mean, g[i].sd);
    else printf("%-10g %-10g %-10g %-10.4f %-10.4f\n", o->logistic.alpha, o->logistic.l1, o->logistic.l2,
                g[i].mean, g[i].sd);
    if (!isnan(g[i].mean) && (best < 0 || (which == 0 ? g[i].mean > g[best].mean : g[i].mean < g[best].mean)))
      best = i;
  }
  if (best < 0) {
    viral_error_set(&err, VIRAL_ERR_INVALID, args.positional[0], 0, "%s is undefined on every fold", metric);
    status = cli_data_error("tune", &err);
    goto done;
  }
  const viral_train_options *b = &g[best].opts;
  if (svm && b->svm.kernel == VIRAL_SVM_RBF)
    printf("\nbest: --C %g --gamma %g (%s %.4f)\n", b->svm.C, b->svm.gamma, metric, g[best].mean);
  else if (svm) printf("\nbest: --C %g (%s %.4f)\n", b->svm.C, metric, g[best].mean);
  else printf("\nbest: --alpha %g --l1 %g --l2 %g (%s %.4f)\n", b->logistic.alpha, b->logistic.l1,
              b->logistic.l2, metric, g[best].mean);
  const char *out = cli_get(&args, "output");
  if (out) {
    viral_pipeline *fresh = cli_load_pipeline(&args, svm ? NULL : "none", &err);
    viral_model *m = fresh ? viral_model_train(fresh, args.positional[0], &ropts, b, NULL, &err) : NULL;
    if (!m || viral_model_save(m, out, &err) != VIRAL_OK) status = cli_data_error("tune", &err);
    viral_model_free(m);
  }

done:
  free(values);
  free(g);
  viral_eval_data_free(d);
  viral_pipeline_free(p);
  return status;
}
